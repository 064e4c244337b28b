// Vault uploads: drag and drop, per-file progress, resume after a dropped connection.
// Protocol (see docs/api.md): POST /api/v1/media/uploads -> PATCH chunks with Upload-Offset (or PUT
// presigned S3 parts) -> GET the upload to learn the offset after a failure -> POST .../complete.
// Upload ids are remembered per file (name, size, mtime) in localStorage, so a page reload resumes.
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  if (!zone) { return; }
  var input = document.getElementById("file-input");
  var list = document.getElementById("upload-list");
  var api = zone.getAttribute("data-api");
  var csrf = (document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/) || [])[1] || "";
  var STORE = "fanclub.uploads";

  function remembered() { try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; } }
  function remember(key, id) { var all = remembered(); if (id) { all[key] = id; } else { delete all[key]; } localStorage.setItem(STORE, JSON.stringify(all)); }
  function fileKey(file) { return [file.name, file.size, file.lastModified].join(":"); }
  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function request(method, url, body, headers, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.withCredentials = true;
      Object.keys(headers || {}).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress) { xhr.upload.onprogress = function (event) { onProgress(event.loaded); }; }
      xhr.onload = function () {
        var data = null;
        try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch (e) { data = null; }
        resolve({ status: xhr.status, data: data, etag: xhr.getResponseHeader("ETag") });
      };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.ontimeout = function () { reject(new Error("timeout")); };
      xhr.send(body);
    });
  }
  function json(method, url, payload) {
    return request(method, url, payload ? JSON.stringify(payload) : null,
      { "Content-Type": "application/json", "X-CSRFToken": csrf });
  }
  function errorMessage(response) {
    return (response.data && response.data.error && response.data.error.message) || ("HTTP " + response.status);
  }

  function row(file) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var name = document.createElement("span");
    name.textContent = file.name;
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "Waiting";
    var bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    item.append(name, status, bar);
    list.append(item);
    return {
      progress: function (sent) { bar.value = sent; status.textContent = Math.floor(100 * sent / (file.size || 1)) + "%"; },
      say: function (text) { status.textContent = text; },
      fail: function (text) { item.classList.add("is-error"); status.textContent = text; },
      done: function () { item.classList.add("is-done"); bar.value = bar.max; status.textContent = "Uploaded, processing"; }
    };
  }

  async function withRetry(action, ui) {
    for (var attempt = 0; ; attempt++) {
      try { return await action(); } catch (error) {
        if (attempt >= 8) { throw error; }
        ui.say("Connection lost, retrying…");
        await sleep(Math.min(30000, 1000 * Math.pow(2, attempt)));
      }
    }
  }

  async function session(file, ui) {
    var key = fileKey(file);
    var id = remembered()[key];
    if (id) {
      var existing = await withRetry(function () { return json("GET", api + "/" + id); }, ui);
      if (existing.status === 200 && existing.data.state === "open") { return existing.data; }
      remember(key, null);
    }
    var created = await withRetry(function () { return json("POST", api, { filename: file.name, size: file.size }); }, ui);
    if (created.status !== 201) { throw new Error(errorMessage(created)); }
    remember(key, created.data.id);
    return created.data;
  }

  async function sendChunks(file, upload, ui) {
    var offset = upload.offset;
    while (offset < file.size) {
      var end = Math.min(file.size, offset + upload.chunkSize);
      var base = offset;
      var response;
      try {
        response = await request("PATCH", api + "/" + upload.id, file.slice(offset, end), {
          "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset), "X-CSRFToken": csrf
        }, function (loaded) { ui.progress(base + loaded); });
      } catch (error) {
        // Dropped connection: ask the server how much it kept, then continue from there.
        var status = await withRetry(function () { return json("GET", api + "/" + upload.id); }, ui);
        if (status.status !== 200) { throw new Error(errorMessage(status)); }
        offset = status.data.offset;
        continue;
      }
      if (response.status === 409 && response.data && response.data.error.details) {
        offset = response.data.error.details.offset;
        continue;
      }
      if (response.status !== 200) { throw new Error(errorMessage(response)); }
      offset = response.data.offset;
      ui.progress(offset);
    }
  }

  async function sendParts(file, upload, ui) {
    var partSize = upload.partSize;
    var count = Math.max(1, Math.ceil(file.size / partSize));
    var have = {};
    (upload.parts || []).forEach(function (part) { have[part.partNumber] = part.size; });
    var sent = Object.values(have).reduce(function (a, b) { return a + b; }, 0);
    for (var number = 1; number <= count; number++) {
      if (have[number]) { continue; }
      var signed = await withRetry(function () { return json("POST", api + "/" + upload.id + "/parts", { partNumbers: [number] }); }, ui);
      if (signed.status !== 200) { throw new Error(errorMessage(signed)); }
      var start = (number - 1) * partSize;
      var blob = file.slice(start, Math.min(file.size, start + partSize));
      var base = sent;
      await withRetry(async function () {
        var put = await request("PUT", signed.data.parts[0].url, blob, {}, function (loaded) { ui.progress(base + loaded); });
        if (put.status !== 200) { throw new Error("part " + number + " failed"); }
      }, ui);
      sent += blob.size;
    }
  }

  async function uploadFile(file) {
    var ui = row(file);
    try {
      var upload = await session(file, ui);
      ui.progress(upload.offset);
      if (upload.protocol === "s3-multipart") { await sendParts(file, upload, ui); } else { await sendChunks(file, upload, ui); }
      ui.say("Checking the file…");
      var done = await withRetry(function () { return json("POST", api + "/" + upload.id + "/complete"); }, ui);
      remember(fileKey(file), null);
      if (done.status !== 201) { ui.fail(errorMessage(done)); return; }
      ui.done();
      document.body.dispatchEvent(new CustomEvent("media-uploaded", { bubbles: true }));
    } catch (error) {
      ui.fail(error.message === "network" ? "Connection lost. Drop the file again to resume." : error.message);
    }
  }

  async function uploadAll(files) {
    for (var index = 0; index < files.length; index++) { await uploadFile(files[index]); }
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("is-over"); });
  });
  zone.addEventListener("drop", function (event) { uploadAll(Array.from(event.dataTransfer.files || [])); });
  input.addEventListener("change", function () { uploadAll(Array.from(input.files || [])); input.value = ""; });
})();
