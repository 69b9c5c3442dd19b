// The receipt's Print button: shown only where scripts run (otherwise the page says Ctrl+P).
document.querySelectorAll("[data-receipt-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
