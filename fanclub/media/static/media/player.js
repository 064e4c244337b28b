// HLS playback: native where supported (Safari), hls.js (vendored) elsewhere. Playlists are
// per-viewer and every segment URL is signed for this viewer.
(function () {
  "use strict";
  document.querySelectorAll("video[data-hls-src]").forEach(function (video) {
    var source = video.getAttribute("data-hls-src");
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ xhrSetup: function (xhr) { xhr.withCredentials = true; } });
      hls.loadSource(source);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source;
    }
  });
})();
