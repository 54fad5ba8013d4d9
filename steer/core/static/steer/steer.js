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

// A form that writes is sent once: after the first submit its buttons are disabled, so a double
// click sends nothing more (the server also acts once per form token: steer.core.once). They are
// disabled after the browser has read the form, so the clicked button's name and value still go
// with it, and come back after a while (a download leaves the page in place) or when the page is
// shown again from the history. Buttons the page disabled itself stay disabled.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (event.defaultPrevented || form.method !== "post" || form.hasAttribute("hx-post")) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  const buttons = Array.from(form.querySelectorAll("button, input[type=submit]")).filter(
    function (button) { return !button.disabled && button.type === "submit"; }
  );
  setTimeout(function () {
    buttons.forEach(function (button) {
      button.disabled = true;
      button.dataset.sent = "1";
    });
  }, 0);
  setTimeout(function () { release(form); }, 15000);
});

function release(form) {
  delete form.dataset.sent;
  form.querySelectorAll("[data-sent]").forEach(function (button) {
    button.disabled = false;
    delete button.dataset.sent;
  });
}

window.addEventListener("pageshow", function (event) {
  if (event.persisted) document.querySelectorAll("form[data-sent]").forEach(release);
});

// <li data-stale-on="v-CT15">: a check on a stored value, cleared as soon as that value (or one
// of its parts, v-CT15--option) is typed over; saving checks the new value again.
document.addEventListener("input", function (event) {
  const name = event.target.name;
  if (!name) return;
  document.querySelectorAll("[data-stale-on]").forEach(function (warning) {
    const field = warning.dataset.staleOn;
    if (name === field || name.startsWith(field + "--")) warning.hidden = true;
  });
});
