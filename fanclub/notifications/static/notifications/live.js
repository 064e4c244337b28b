/* Notifications: keeps the header's unread badge (and an open /notifications list) live.
   Listens to the events site.js re-dispatches from the user's socket ("fanclub:event"). */
(function () {
  "use strict";

  function setUnread(count) {
    var badges = document.querySelectorAll("[data-unread-badge]");
    for (var i = 0; i < badges.length; i++) {
      badges[i].textContent = String(count);
      badges[i].hidden = !count;
      badges[i].classList.toggle("badge", Boolean(count));  // .badge sets display, which beats [hidden]
    }
  }

  function prepend(item) {
    var list = document.querySelector("[data-notification-list]");
    if (!list || !item || document.getElementById("notification-" + item.id)) return;
    var li = document.createElement("li");
    li.className = "notification is-unread";
    li.id = "notification-" + item.id;
    li.setAttribute("data-notification-id", String(item.id));
    var link = document.createElement("a");
    link.href = typeof item.url === "string" && item.url.charAt(0) === "/" ? item.url : "/notifications/";
    link.textContent = item.text;  // text, never HTML
    li.appendChild(link);
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    list.insertBefore(li, list.firstChild);
  }

  document.addEventListener("fanclub:event", function (event) {
    var data = event.detail || {};
    if (data.type === "notification") {
      setUnread(data.unreadCount);
      prepend(data.notification);
    } else if (data.type === "notification.unread") {
      setUnread(data.unreadCount);
    }
  });
})();
