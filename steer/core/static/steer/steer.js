// What would otherwise be inline event handlers, which the content security policy refuses.
// Listening on the document also covers content htmx swaps in later.

// <select data-submit-on-change>: choosing an option sends its form.
document.addEventListener("change", function (event) {
  const field = event.target;
  if (field.matches("select[data-submit-on-change]") && field.form) field.form.submit();
});

// <button data-confirm="Question?">: asks first, and does nothing unless confirmed.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
