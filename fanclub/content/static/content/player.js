// HLS playback with quality switching: hls.js (vendored by the media app) where needed, native HLS
// on Safari. Playlists and segments are signed per viewer by the server.
(function () {
  "use strict";
  document.querySelectorAll("video[data-hls-src]").forEach(function (video) {
    var source = video.getAttribute("data-hls-src");
    var wrapper = video.closest(".player");
    var picker = wrapper ? wrapper.querySelector("select[data-quality-for]") : null;
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls();
      hls.loadSource(source);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.MANIFEST_PARSED, function (event, data) {
        if (!picker) { return; }
        data.levels.forEach(function (level, index) {
          var option = document.createElement("option");
          option.value = String(index);
          option.textContent = level.height + "p";
          picker.appendChild(option);
        });
        picker.addEventListener("change", function () { hls.currentLevel = parseInt(picker.value, 10); });
      });
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source;
      if (picker) { picker.closest("label").hidden = true; }
    }
  });
})();
