/* Inbox: refresh the conversation list when a message arrives (events from site.js's socket). */
(function () {
  "use strict";
  var pending = null;
  document.addEventListener("fanclub:event", function (event) {
    var data = event.detail || {};
    if (data.type !== "message.new" && data.type !== "messages.unread") return;
    var list = document.getElementById("conversation-list");
    if (!window.htmx) return;
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (list) {
        window.htmx.ajax("GET", location.pathname, { target: "#conversation-list", select: "#conversation-list", swap: "outerHTML" });
      } else {
        location.reload();
      }
    }, 250);
  });
})();
