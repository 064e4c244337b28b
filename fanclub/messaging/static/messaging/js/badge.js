/* Header badge: unread messages, kept live by "messages.unread" events from site.js's socket. */
(function () {
  "use strict";
  document.addEventListener("fanclub:event", function (event) {
    var data = event.detail || {};
    var count = null;
    if (data.type === "messages.unread") count = data.count;
    else if (data.type === "message.new" && typeof data.unreadCount === "number") count = data.unreadCount;
    if (count === null) return;
    document.querySelectorAll("[data-unread-messages]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.hidden = !count;
      badge.setAttribute("aria-label", count + " unread messages");
    });
  });
})();
