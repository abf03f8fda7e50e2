// What a page must not do at the viewport's width (the browser tests evaluate this function in each page):
// be wider than the screen; have an element reach past its right edge, unless inside a container that scrolls
// sideways, which must then show it (the .table-wrap class draws that cue); clip a table cell's text.
// Returns one line per problem.
() => {
  const width = window.innerWidth;
  const problems = [];
  const describe = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim().split(/\s+/).filter(Boolean) : [];
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes.map((c) => "." + c).join("");
  };
  const text = (el) => el.textContent.replace(/\s+/g, " ").trim().slice(0, 40);
  const scrolls = (el) => {
    const overflow = getComputedStyle(el).overflowX;
    return overflow === "auto" || overflow === "scroll";
  };
  const insideScroller = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (scrolls(up)) return true;
    }
    return false;
  };
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  // What a closed <details> holds is not shown (Chromium still lays it out when asked where it is).
  const shown = (el) => !el.closest("details:not([open]) > :not(summary)");
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1 || rect.right <= width + 1 || insideScroller(el)) continue;
    // Only the outermost element that reaches too far: its children are named by it.
    if (el.parentElement !== document.body && el.parentElement.getBoundingClientRect().right > width + 1) continue;
    problems.push(`${describe(el)} reaches ${Math.round(rect.right)} px: ${text(el)}`);
  }
  for (const box of document.body.querySelectorAll("*")) {
    if (scrolls(box) && box.scrollWidth > box.clientWidth + 1 && !box.classList.contains("table-wrap")) {
      problems.push(`${describe(box)} scrolls sideways without the cue of .table-wrap`);
    }
  }
  for (const cell of document.querySelectorAll("td, th")) {
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`the cell "${text(cell)}" is clipped`);
  }
  return problems;
}
