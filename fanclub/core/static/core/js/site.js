/* Fanclub site script: service worker registration and the signed-in user's live socket. */
(function () {
  "use strict";

  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* optional */ });
    });
  }

  var body = document.body;
  if (!body || !body.dataset.user || !("WebSocket" in window)) return;

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var port = body.dataset.wsPort;
    var host = port ? location.hostname + ":" + port : location.host;
    return scheme + "//" + host + "/ws/notifications/";
  }

  var indicator = document.querySelector("[data-live-status]");
  var delay = 1000;
  var pingTimer = null;

  function setLive(live) {
    if (indicator) {
      indicator.classList.toggle("is-live", live);
      indicator.setAttribute("title", live ? "Live updates on" : "Reconnecting…");
    }
  }

  function connect() {
    var socket = new WebSocket(socketUrl());
    socket.addEventListener("open", function () {
      delay = 1000;
      setLive(true);
      pingTimer = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
    });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      document.dispatchEvent(new CustomEvent("fanclub:event", { detail: data }));
    });
    socket.addEventListener("close", function () {
      setLive(false);
      clearInterval(pingTimer);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
