/* Conversation page: live messages, typing, read receipts, presence and resume over the user's
   socket (/ws/notifications/), and the htmx composer. Static file: the CSP forbids inline script. */
(function () {
  "use strict";

  var root = document.getElementById("conversation");
  if (!root || !("WebSocket" in window)) return;
  var conversationId = Number(root.dataset.conversation);
  var me = Number(root.dataset.me);
  var other = Number(root.dataset.other);
  var list = document.getElementById("message-list");
  var typingIndicator = document.getElementById("typing-indicator");
  var toast = document.getElementById("purchase-toast");
  var presence = document.querySelector("[data-presence]");
  var form = document.getElementById("composer");
  var textarea = document.getElementById("message-text");
  var socket = null;
  var delay = 1000;
  var typingHide = null;
  var lastTypingSent = 0;
  var presenceTimer = null;
  var pingTimer = null;

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var port = document.body.dataset.wsPort;
    var host = port ? location.hostname + ":" + port : location.host;
    return scheme + "//" + host + "/ws/notifications/";
  }

  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame));
  }

  function messages() {
    return Array.prototype.slice.call(document.querySelectorAll(".message[data-id]"));
  }

  function lastId() {
    return messages().reduce(function (max, el) { return Math.max(max, Number(el.dataset.id)); }, 0);
  }

  function dedupe() {
    var seen = {};
    messages().forEach(function (el) {
      if (seen[el.dataset.id]) el.remove(); else seen[el.dataset.id] = true;
    });
  }

  function insertOrdered(el) {
    var id = Number(el.dataset.id);
    var items = list.querySelectorAll(".message[data-id]");
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].dataset.id) < id) { items[i].after(el); return; }
    }
    list.prepend(el);
  }

  function fetchMessage(id, replace) {
    fetch(root.dataset.fragmentUrl + id + "/", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        var el = template.content.firstElementChild;
        if (!el) return;
        var existing = document.getElementById("m-" + id);
        if (existing) {
          if (replace) existing.replaceWith(el); else return;
        } else {
          insertOrdered(el);
        }
        if (window.htmx) window.htmx.process(el);
        el.scrollIntoView({ block: "nearest" });
      });
  }

  function markRead(upTo) {
    messages().forEach(function (el) {
      if (el.dataset.mine === "1" && Number(el.dataset.id) <= upTo) {
        var state = el.querySelector("[data-read]");
        if (state) state.textContent = "Read";
      }
    });
  }

  function showTyping() {
    if (!typingIndicator) return;
    typingIndicator.hidden = false;
    clearTimeout(typingHide);
    typingHide = setTimeout(function () { typingIndicator.hidden = true; }, 5000);
  }

  function onEvent(data) {
    if (data.type === "message.new" && data.message && data.message.conversationId === conversationId) {
      var message = data.message;
      var existing = document.getElementById("m-" + message.id);
      if (!existing) fetchMessage(message.id, false);
      else if (existing.dataset.locked === "1" && !message.isLocked) fetchMessage(message.id, true);
      if (message.senderId === other) {
        if (typingIndicator) typingIndicator.hidden = true;
        if (document.visibilityState === "visible") {
          send({ type: "read", conversationId: conversationId, lastMessageId: message.id });
        }
      }
    } else if (data.type === "message.removed" && data.conversationId === conversationId) {
      // A moderator removed it: the fragment now renders it as removed (no text, media or price).
      if (document.getElementById("m-" + data.messageId)) fetchMessage(data.messageId, true);
    } else if (data.type === "typing" && data.conversationId === conversationId && data.userId === other) {
      showTyping();
    } else if (data.type === "message.read" && data.conversationId === conversationId && data.userId === other) {
      markRead(data.lastReadMessageId);
    } else if (data.type === "message.purchased" && data.conversationId === conversationId && toast) {
      toast.textContent = "Unlocked by the fan: " + data.currency + " " + (data.amountMinor / 100).toFixed(2);
      toast.hidden = false;
    } else if (data.type === "presence" && presence) {
      var online = (data.online || []).indexOf(other) !== -1;
      presence.classList.toggle("is-online", online);
      presence.setAttribute("title", online ? "Online" : "Offline");
      presence.setAttribute("aria-label", online ? "Online" : "Offline");
    } else if (data.type === "resume.done" && data.more) {
      send({ type: "resume", lastMessageId: data.lastMessageId });
    }
  }

  function connect() {
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", function () {
      delay = 1000;
      root.dataset.live = "1";
      // Whatever happened between the page render (or the last connection) and now.
      send({ type: "resume", lastMessageId: lastId() });
      send({ type: "read", conversationId: conversationId });
      send({ type: "presence.query", userIds: [other] });
      presenceTimer = setInterval(function () { send({ type: "presence.query", userIds: [other] }); }, 15000);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, 25000);
    });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      onEvent(data);
    });
    socket.addEventListener("close", function () {
      root.dataset.live = "0";
      clearInterval(presenceTimer);
      clearInterval(pingTimer);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  if (textarea) {
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2500) {
        lastTypingSent = now;
        send({ type: "typing", conversationId: conversationId });
      }
    });
  }
  var saved = document.querySelector("[data-saved-replies]");
  if (saved && textarea) {
    saved.addEventListener("change", function () {
      if (saved.value) textarea.value = saved.value;
      saved.value = "";
      textarea.focus();
    });
  }
  if (form) {
    form.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail.xhr;
      if (event.detail.successful && !xhr.getResponseHeader("HX-Retarget")) {
        form.reset();
        form.querySelectorAll("[data-client-id]").forEach(function (input) { input.value = newKey(); });
        var error = document.getElementById("composer-error");
        if (error) error.textContent = "";
      }
    });
  }
  document.body.addEventListener("htmx:afterSwap", dedupe);
  if (list && list.lastElementChild) list.lastElementChild.scrollIntoView({ block: "nearest" });
  connect();
})();
