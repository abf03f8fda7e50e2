// A copy button beside each tracked link (the field itself is read-only and selectable without it).
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) return;
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(field.value).then(() => {
      button.textContent = "✓";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
});
