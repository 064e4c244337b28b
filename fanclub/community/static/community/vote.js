// Up/down votes on ranked and trending posts through the JSON API (clicking the pressed arrow removes the vote).
(function () {
  "use strict";
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }
  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-vote]") : null;
    if (!button) return;
    const box = button.closest("[data-vote-post]");
    const value = Number(button.dataset.vote);
    const remove = Number(box.dataset.voteValue) === value;
    const response = await fetch("/api/v1/posts/" + box.dataset.votePost + "/vote", {
      method: remove ? "DELETE" : "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: remove ? null : JSON.stringify({ value: value }),
    });
    if (!response.ok) return;
    const state = await response.json();
    box.dataset.voteValue = String(state.value);
    box.querySelector("[data-vote-score]").textContent = String(state.upCount);
    box.querySelector("[data-vote-down]").textContent = String(state.downCount);
    for (const other of box.querySelectorAll("[data-vote]")) {
      other.setAttribute("aria-pressed", String(Number(other.dataset.vote) === state.value));
    }
  });
})();
