/* Haven's only script of its own: what an htmx form does when its request does not simply succeed (decision 0019).
   Pages work without it (a form then posts and the whole page comes back).
   - 400 and 422 carry the form again with its errors and what was typed: htmx swaps them in (the responseHandling
     of the htmx-config meta tag in base.html), and focus moves to the first field in error, which names its error;
     the error summary above the form is a role="alert" region.
   - Any other failure (a server error, no network, a page that no longer holds the form, e.g. after the session
     ended) changes nothing on the page, so what was typed stays, and says so in a message at the top of the form.
   The messages are translated by the server: data-request-failed-* attributes of <body>. */
(function () {
  "use strict";

  var FORM_ERRORS = [400, 422];
  var handled = new WeakSet();

  // The element that sent the request (detail.elt is the swap's target in some events).
  function source(event) {
    var detail = event.detail || {};
    return (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
  }

  function formOf(event) {
    var elt = source(event);
    if (!elt || !elt.closest) return null;
    return elt.closest("form") || elt;
  }

  function clearFailure(form) {
    var box = form && form.querySelector("[data-request-failed]");
    if (box) box.remove();
  }

  function showFailure(event, kind) {
    var form = formOf(event);
    if (!form) return;
    var box = form.querySelector("[data-request-failed]");
    if (!box) {
      box = document.createElement("p");
      box.className = "message message-error request-failed";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      box.setAttribute("data-request-failed", "");
      form.prepend(box);
    }
    box.textContent = document.body.getAttribute("data-request-failed-" + kind) || "";
    box.focus();
  }

  function focusFirstError(root) {
    var target = root.querySelector('[aria-invalid="true"]') || root.querySelector("[data-error-summary]");
    if (target) target.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    clearFailure(formOf(event));
  });

  // A response that does not hold what the form swaps in (hx-select), such as the sign-in page after the session
  // ended, would empty that part of the page: keep the page as it is and say so instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var elt = source(event);
    if (!detail.shouldSwap || !elt || !elt.closest) return;
    var selecting = elt.closest("[hx-select]");
    var selector = selecting && selecting.getAttribute("hx-select");
    if (!selector) return;
    var page = new DOMParser().parseFromString(detail.serverResponse || "", "text/html");
    if (!page.querySelector(selector)) {
      detail.shouldSwap = false;
      showFailure(event, "stale");
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || handled.has(xhr) || FORM_ERRORS.indexOf(xhr.status) === -1) return;
    if (!(event.target instanceof Element)) return;
    handled.add(xhr);
    focusFirstError(event.target);
  });

  // 403: the form's CSRF token or the session is no longer valid.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    showFailure(event, xhr && xhr.status === 403 ? "stale" : "server");
  });
  document.addEventListener("htmx:sendError", function (event) {
    showFailure(event, "network");
  });
  document.addEventListener("htmx:timeout", function (event) {
    showFailure(event, "network");
  });
})();
