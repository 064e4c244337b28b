// Money forms: disable the submit button after the first submit. The server-side idempotency key
// already makes a double submit charge once; this only spares the second round trip.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const button = form.querySelector("button[data-once]");
  if (button) {
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});
