// Export page: offer only the formats of the chosen layer, and follow running
// export jobs until their file is ready.
(function () {
  "use strict";

  var POLL_INTERVAL_MS = 1500;

  function restrictFormats() {
    var data = document.getElementById("export-layer-formats");
    var layer = document.getElementById("id_layer");
    var format = document.getElementById("id_format");
    if (!data || !layer || !format) {
      return;
    }
    var formats = JSON.parse(data.textContent);
    function update() {
      var allowed = formats[layer.value] || [];
      var firstAllowed = null;
      Array.prototype.forEach.call(format.options, function (option) {
        option.disabled = allowed.indexOf(option.value) === -1;
        if (!option.disabled && firstAllowed === null) {
          firstAllowed = option.value;
        }
      });
      if (allowed.indexOf(format.value) === -1 && firstAllowed !== null) {
        format.value = firstAllowed;
      }
    }
    layer.addEventListener("change", update);
    update();
  }

  function renderJob(row, job, downloadLabel) {
    row.dataset.status = job.status;
    row.querySelector(".job-status").textContent = job.status_label;
    var progress = row.querySelector(".job-progress");
    if (job.percent === null) {
      progress.removeAttribute("value");
    } else {
      progress.value = job.percent;
    }
    var features = String(job.written_features);
    if (job.total_features !== null) {
      features += " / " + job.total_features;
    }
    row.querySelector(".job-features").textContent = features;
    var cell = row.querySelector(".job-file");
    if (job.status === "done" && job.download_url) {
      cell.textContent = "";
      var link = document.createElement("a");
      link.className = "button";
      link.href = job.download_url;
      link.textContent = downloadLabel;
      cell.appendChild(link);
      var name = document.createElement("small");
      name.textContent = " " + job.file_name;
      cell.appendChild(name);
    } else if (job.status === "failed") {
      cell.textContent = "";
      var error = document.createElement("span");
      error.className = "error";
      error.textContent = job.error;
      cell.appendChild(error);
    }
    (job.messages || []).forEach(function (message) {
      var note = document.createElement("div");
      note.className = "job-message";
      note.textContent = message;
      cell.appendChild(note);
    });
  }

  function follow(row, downloadLabel) {
    function poll() {
      fetch(row.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (job) {
          renderJob(row, job, downloadLabel);
          if (job.status === "queued" || job.status === "running") {
            window.setTimeout(poll, POLL_INTERVAL_MS);
          }
        })
        .catch(function () {
          window.setTimeout(poll, POLL_INTERVAL_MS * 4);
        });
    }
    poll();
  }

  function followRunningJobs() {
    var table = document.getElementById("export-jobs");
    if (!table) {
      return;
    }
    var downloadLabel = table.dataset.downloadLabel;
    table.querySelectorAll("tr.export-job").forEach(function (row) {
      if (row.dataset.status === "queued" || row.dataset.status === "running") {
        follow(row, downloadLabel);
      }
    });
  }

  restrictFormats();
  followRunningJobs();
})();
