/*
 * The planners' map: territory outlines, hot spots, density, coverage, gaps
 * and (for coordinators and analysts) entry tiles, all reloaded from the
 * layer API whenever the filter form is applied.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var labels = config.labels;
  var form = document.getElementById("layer-filters");
  var messageBox = document.getElementById("layer-message");
  var mapElement = document.getElementById("layers-map");

  var map = L.map(mapElement, { preferCanvas: false }).setView(config.center, config.zoom);
  var basemap = L.tileLayer(config.basemap.url, {
    attribution: config.basemap.attribution,
    maxZoom: 19,
  }).addTo(map);

  var overlays = {
    territories: L.geoJSON(null, { style: territoryStyle, onEachFeature: bindTerritory }),
    hotspots: L.geoJSON(null, { style: hotspotStyle, onEachFeature: bindCell }),
    density: L.layerGroup(),
    coverage: L.geoJSON(null, { style: coverageStyle, onEachFeature: bindCoverage }),
    gaps: L.geoJSON(null, { style: gapStyle, onEachFeature: bindCoverage }),
  };
  if (config.showEntries) overlays.entries = entryTiles();

  var control = L.control.layers(
    (function () { var bases = {}; bases[labels.basemap] = basemap; return bases; })(),
    (function () {
      var named = {};
      Object.keys(overlays).forEach(function (name) { named[labels[name]] = overlays[name]; });
      return named;
    })(),
    { collapsed: false }
  ).addTo(map);
  control.getContainer().classList.add("layer-switcher");

  overlays.territories.addTo(map);
  overlays.hotspots.addTo(map);

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend");
    div.id = "map-legend";
    return div;
  };
  legend.addTo(map);

  var state = { density: null, fitted: false, pending: 0 };

  // --- query string -------------------------------------------------------

  function filterParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "") params.append(key, value);
    });
    return params;
  }

  function withParams(url, params) {
    var query = params.toString();
    return query ? url + "?" + query : url;
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || response.statusText);
          return body;
        });
      });
  }

  // --- messages and legend ------------------------------------------------

  var messages = {};

  function setMessage(layer, text) {
    if (text) messages[layer] = text; else delete messages[layer];
    var lines = Object.keys(messages).map(function (key) { return messages[key]; });
    messageBox.hidden = lines.length === 0;
    messageBox.textContent = lines.join(" ");
  }

  function swatch(color, text, extraClass) {
    var row = document.createElement("div");
    row.className = "legend-row" + (extraClass ? " " + extraClass : "");
    var box = document.createElement("span");
    box.className = "legend-swatch";
    box.style.background = color;
    row.appendChild(box);
    row.appendChild(document.createTextNode(text));
    return row;
  }

  function legendSection(title, rows, name) {
    var section = document.createElement("section");
    section.className = "legend-section legend-" + name;
    var heading = document.createElement("h2");
    heading.textContent = title;
    section.appendChild(heading);
    rows.forEach(function (row) { section.appendChild(row); });
    return section;
  }

  function formatNumber(value) {
    if (typeof value !== "number") return String(value);
    return value.toLocaleString(document.documentElement.lang || undefined, {
      maximumFractionDigits: value < 10 ? 1 : 0,
    });
  }

  function renderLegend() {
    var div = document.getElementById("map-legend");
    div.textContent = "";
    if (map.hasLayer(overlays.hotspots)) {
      div.appendChild(legendSection(labels.hotspots, config.hotspotLegend.map(function (item) {
        return swatch(item.color, item.label);
      }), "hotspots"));
    }
    if (map.hasLayer(overlays.density) && state.density && state.density.legend) {
      var rows = state.density.legend.slice().reverse().map(function (stop) {
        return swatch(stop.color, formatNumber(stop.value) + " " + labels.densityUnits);
      });
      rows.push(document.createTextNode(
        labels.bandwidth + " : " + formatNumber(state.density.bandwidth_m) + " m"));
      div.appendChild(legendSection(labels.density, rows, "density"));
    }
    if (map.hasLayer(overlays.coverage)) {
      div.appendChild(legendSection(labels.coverage + " (" + labels.coverageRatio + ")", [
        swatch(COVERAGE_COLOURS[0], "≥ 1"),
        swatch(COVERAGE_COLOURS[1], "0,5 – 1"),
        swatch(COVERAGE_COLOURS[2], "0,25 – 0,5"),
        swatch(COVERAGE_COLOURS[3], "< 0,25"),
        swatch(NO_DEMAND, labels.noDemand),
      ], "coverage"));
    }
    if (map.hasLayer(overlays.gaps)) {
      div.appendChild(legendSection(labels.gaps, [
        swatch(GAP_COLOUR, labels.gap),
        swatch(NO_GAP, labels.noGap),
      ], "gaps"));
    }
    if (overlays.entries && map.hasLayer(overlays.entries)) {
      div.appendChild(legendSection(labels.entries, [
        swatch(ENTRY_COLOUR, labels.entries),
        swatch(CLUSTER_COLOUR, labels.cluster),
      ], "entries"));
    }
  }

  map.on("overlayadd overlayremove", renderLegend);

  // --- styles -------------------------------------------------------------

  var BIN_COLOURS = {};
  config.hotspotLegend.forEach(function (item) { BIN_COLOURS[item.gi_bin] = item.color; });
  var COVERAGE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#d73027"];
  var NO_DEMAND = "#d9d9d9";
  var GAP_COLOUR = "#b2182b";
  var NO_GAP = "#f0f0f0";
  var ENTRY_COLOUR = "#1f4e79";
  var CLUSTER_COLOUR = "#5b8cc0";

  function territoryStyle() {
    return { color: "#333", weight: 1.5, fill: true, fillOpacity: 0, className: "layer-territories" };
  }

  function hotspotStyle(feature) {
    var bin = feature.properties.gi_bin;
    return {
      color: "#888",
      weight: 0.3,
      fillColor: BIN_COLOURS[bin] || BIN_COLOURS[0],
      fillOpacity: bin === 0 ? 0.15 : 0.7,
      className: "layer-hotspots hotspot-bin-" + bin,
    };
  }

  function coverageColour(props) {
    if (props.coverage_ratio === null || props.coverage_ratio === undefined) return NO_DEMAND;
    var ratio = props.coverage_ratio;
    if (ratio >= 1) return COVERAGE_COLOURS[0];
    if (ratio >= 0.5) return COVERAGE_COLOURS[1];
    if (ratio >= 0.25) return COVERAGE_COLOURS[2];
    return COVERAGE_COLOURS[3];
  }

  function coverageStyle(feature) {
    return {
      color: "#555", weight: 0.5, fillColor: coverageColour(feature.properties),
      fillOpacity: 0.6, className: "layer-coverage",
    };
  }

  function gapStyle(feature) {
    var gap = feature.properties.is_gap;
    return {
      color: gap ? GAP_COLOUR : "#999", weight: gap ? 1.5 : 0.4,
      fillColor: gap ? GAP_COLOUR : NO_GAP, fillOpacity: gap ? 0.65 : 0.2,
      className: "layer-gaps" + (gap ? " gap" : ""),
    };
  }

  // --- popups -------------------------------------------------------------

  function table(rows) {
    var tableElement = document.createElement("table");
    tableElement.className = "popup-table";
    rows.forEach(function (row) {
      var tr = tableElement.insertRow();
      var th = document.createElement("th");
      th.textContent = row[0];
      tr.appendChild(th);
      var td = tr.insertCell();
      td.textContent = row[1] === null || row[1] === undefined ? "–" : formatNumber(row[1]);
    });
    return tableElement;
  }

  function summaryPopup(layer, url, title, rows) {
    var content = document.createElement("div");
    content.className = "feature-summary";
    var heading = document.createElement("h3");
    heading.textContent = title;
    content.appendChild(heading);
    content.appendChild(table(rows));
    var status = document.createElement("p");
    status.textContent = labels.loading;
    content.appendChild(status);
    layer.bindPopup(content).openPopup();
    fetchJson(withParams(url, filterParams())).then(function (summary) {
      status.remove();
      content.appendChild(table([[labels.entriesCount, summary.count]]));
      var subheading = document.createElement("h4");
      subheading.textContent = labels.topCategories;
      content.appendChild(subheading);
      var list = document.createElement("ol");
      list.className = "top-categories";
      summary.top_categories.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item.label + " : " + formatNumber(item.count);
        list.appendChild(li);
      });
      content.appendChild(list);
      layer.getPopup().update();
    }).catch(function (error) {
      status.textContent = labels.failed + " " + error.message;
    });
  }

  function bindCell(feature, layer) {
    layer.on("click", function () {
      var props = feature.properties;
      var classLabel = config.hotspotLegend.filter(function (item) {
        return item.gi_bin === props.gi_bin;
      })[0];
      summaryPopup(layer, config.urls.cell.replace("{id}", props.cell_id), props.cell_id, [
        [labels.zScore, props.gi_z],
        [labels.confidence, props.is_island ? labels.island : classLabel && classLabel.label],
      ]);
    });
  }

  function bindTerritory(feature, layer) {
    layer.on("click", function () {
      var props = feature.properties;
      summaryPopup(layer, config.urls.territory.replace("{id}", props.territory_id),
        props.name + " (" + props.code + ")", []);
    });
  }

  function bindCoverage(feature, layer) {
    layer.on("click", function () {
      var props = feature.properties;
      var rows = [
        [labels.demand, props.demand],
        [labels.presenceHours, props.presence_hours],
        [labels.presenceDays, props.presence_days],
        [labels.coverageRatio, props.coverage_ratio],
      ];
      if (props.missing_hours !== undefined) rows.push([labels.missingHours, props.missing_hours]);
      if (props.territory_id) {
        summaryPopup(layer, config.urls.territory.replace("{id}", props.territory_id),
          props.name + " (" + props.code + ")", rows);
      } else {
        summaryPopup(layer, config.urls.cell.replace("{id}", props.cell_id), props.cell_id, rows);
      }
    });
  }

  // --- entry tiles --------------------------------------------------------

  function entryTiles() {
    var EntryLayer = L.GridLayer.extend({
      createTile: function (coords, done) {
        var tile = document.createElement("canvas");
        var size = this.getTileSize();
        tile.width = size.x;
        tile.height = size.y;
        var url = config.urls.tiles
          .replace("{z}", coords.z).replace("{x}", coords.x).replace("{y}", coords.y);
        fetch(withParams(url, filterParams()), { credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) throw new Error(response.statusText);
            return response.arrayBuffer();
          })
          .then(function (buffer) {
            drawTile(tile, GeoMediationMVT.decodeTile(buffer));
            done(null, tile);
          })
          .catch(function (error) { done(error, tile); });
        return tile;
      },
    });
    return new EntryLayer({ className: "layer-entries" });
  }

  function drawTile(canvas, layers) {
    var context = canvas.getContext("2d");
    Object.keys(layers).forEach(function (name) {
      var layer = layers[name];
      var scale = canvas.width / layer.extent;
      layer.features.forEach(function (feature) {
        feature.points.forEach(function (point) {
          var x = point[0] * scale;
          var y = point[1] * scale;
          context.beginPath();
          var count = feature.properties.count || 1;
          if (name === "clusters" && count > 1) {
            var radius = Math.min(22, 4 + Math.sqrt(count) * 1.5);
            context.arc(x, y, radius, 0, 2 * Math.PI);
            context.fillStyle = "rgba(91, 140, 192, 0.75)";
            context.fill();
            context.fillStyle = "#fff";
            context.font = "11px sans-serif";
            context.textAlign = "center";
            context.textBaseline = "middle";
            context.fillText(String(count), x, y);
          } else {
            context.arc(x, y, 4, 0, 2 * Math.PI);
            context.fillStyle = ENTRY_COLOUR;
            context.fill();
          }
        });
      });
    });
  }

  // --- loading ------------------------------------------------------------

  function started() {
    state.pending += 1;
    mapElement.dataset.layersReady = "false";
  }

  function finished() {
    state.pending -= 1;
    if (state.pending === 0) {
      mapElement.dataset.layersReady = "true";
      renderLegend();
    }
  }

  function loadGeoJSON(name, url, params) {
    started();
    return fetchJson(withParams(url, params)).then(function (data) {
      overlays[name].clearLayers();
      overlays[name].addData(data);
      setMessage(name, data.message || null);
      return data;
    }).catch(function (error) {
      overlays[name].clearLayers();
      setMessage(name, labels[name] + " – " + labels.failed + " " + error.message);
    }).finally(finished);
  }

  function loadDensity(params) {
    started();
    return fetchJson(withParams(config.urls.density, params)).then(function (meta) {
      state.density = meta;
      overlays.density.clearLayers();
      setMessage("density", meta.message || null);
      if (meta.png_url) {
        var b = meta.image_bounds_4326;
        L.imageOverlay(meta.png_url, [[b[1], b[0]], [b[3], b[2]]], {
          className: "layer-density", opacity: 1,
        }).addTo(overlays.density);
      }
    }).catch(function (error) {
      state.density = null;
      overlays.density.clearLayers();
      setMessage("density", labels.density + " – " + labels.failed + " " + error.message);
    }).finally(finished);
  }

  function fitOnce(layer) {
    if (state.fitted) return;
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20] });
      state.fitted = true;
    }
  }

  function loadAll() {
    var params = filterParams();
    var outlines = loadGeoJSON("territories", config.urls.territories, params)
      .then(function () { fitOnce(overlays.territories); });
    loadGeoJSON("hotspots", config.urls.hotspots, params)
      .then(function () { return outlines; })
      .then(function () { fitOnce(overlays.hotspots); });
    loadDensity(params);
    loadGeoJSON("coverage", config.urls.coverage, params);
    loadGeoJSON("gaps", config.urls.gaps, params);
    if (overlays.entries) overlays.entries.redraw();
    history.replaceState(null, "", withParams(window.location.pathname, params));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    state.fitted = false;
    loadAll();
  });

  renderLegend();
  loadAll();
})();
