// The desk's form is sent once: a second click would replace the receipt that carries the PIN
// with the retry's, which cannot show it. The server makes one case either way (the token).
document.querySelectorAll("form[data-send-once]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "yes";
  });
});
