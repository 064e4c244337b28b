/* Web push on the settings page: subscribe this browser through the service worker and register the
   subscription with the API (POST/DELETE /api/v1/me/push-subscriptions). */
(function () {
  "use strict";
  var enable = document.querySelector("[data-push-enable]");
  var disable = document.querySelector("[data-push-disable]");
  var status = document.querySelector("[data-push-status]");
  if (!enable) return;

  function say(text) { if (status) status.textContent = text; }
  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function send(method, body) {
    return fetch("/api/v1/me/push-subscriptions", {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    });
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    enable.disabled = true;
    say("This browser does not support push notifications.");
    return;
  }
  enable.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say("Permission was not granted."); return null; }
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(enable.dataset.vapidKey),
        });
      }).then(function (subscription) {
        return send("POST", subscription.toJSON());
      }).then(function (response) { say(response.ok ? "Push is on for this device." : "Could not enable push."); });
    }).catch(function () { say("Could not enable push."); });
  });
  if (disable) {
    disable.addEventListener("click", function () {
      navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        if (!subscription) { say("Push is off for this device."); return null; }
        var endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(function () { return send("DELETE", { endpoint: endpoint }); })
          .then(function () { say("Push is off for this device."); });
      }).catch(function () { say("Could not turn push off."); });
    });
  }
})();
