// The swipe deck: loads cards from the API, likes (→ / ♥) or passes (← / ✕) the current one.
(function () {
  "use strict";
  const deck = document.getElementById("deck");
  if (!deck) return;
  const cardBox = document.getElementById("deck-card");
  const likeButton = document.getElementById("deck-like");
  const passButton = document.getElementById("deck-pass");
  const status = document.getElementById("deck-status");
  let cards = [];
  let busy = false;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function variant(card, names) {
    for (const name of names) {
      const found = card.variants.find((item) => item.name === name);
      if (found) return found;
    }
    return null;
  }

  function render() {
    cardBox.replaceChildren();
    const card = cards[0];
    likeButton.disabled = passButton.disabled = !card;
    if (!card) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "You have seen every image for now. Come back later!";
      cardBox.append(empty);
      return;
    }
    const figure = document.createElement("figure");
    figure.className = "deck-figure";
    figure.dataset.mediaId = card.mediaId;
    const image = variant(card, card.hasAccess ? ["display", "thumb-640"] : ["blurred"]);
    if (image) {
      const img = document.createElement("img");
      img.src = image.url;
      img.alt = (card.hasAccess ? "Image by " : "Locked preview by ") + card.creatorName;
      if (image.width) img.width = image.width;
      if (image.height) img.height = image.height;
      figure.append(img);
    }
    const caption = document.createElement("figcaption");
    const link = document.createElement("a");
    link.href = "/c/" + encodeURIComponent(card.creatorHandle) + "/";
    link.textContent = card.creatorName;
    caption.append(link, " · ▲ " + card.upCount + " ▼ " + card.downCount);
    if (!card.hasAccess && card.action) {
      const note = document.createElement("p");
      note.className = "locked-note";
      note.textContent = "🔒 Locked" + (card.action.priceMinor ? " · from " + (card.action.priceMinor / 100).toFixed(2) + " " + (card.action.currency || "") : "");
      caption.append(note);
    }
    figure.append(caption);
    cardBox.append(figure);
  }

  async function load() {
    const response = await fetch(deck.dataset.deckUrl + "?limit=10", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) {
      status.textContent = "Could not load the deck (" + response.status + ").";
      return;
    }
    cards = (await response.json()).items;
    render();
  }

  async function swipe(action) {
    const card = cards[0];
    if (!card || busy) return;
    busy = true;
    try {
      const response = await fetch(deck.dataset.swipeUrl + encodeURIComponent(card.mediaId) + "/swipe", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ action: action, postId: card.postId }),
      });
      if (response.ok || response.status === 409 || response.status === 404) {
        status.textContent = action === "like" ? "Liked " + card.creatorName + "'s image." : "Passed.";
        cards.shift();
        if (cards.length === 0) await load();
        else render();
      } else {
        status.textContent = "Could not save that swipe (" + response.status + "). Try again.";
      }
    } finally {
      busy = false;
    }
  }

  likeButton.addEventListener("click", () => swipe("like"));
  passButton.addEventListener("click", () => swipe("pass"));
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLElement && event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowRight") { event.preventDefault(); swipe("like"); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); swipe("pass"); }
  });
  load();
})();
