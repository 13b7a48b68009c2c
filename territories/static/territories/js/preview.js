// Draw the territories of an import preview (GeoJSON in EPSG:4326) on a Leaflet map.
(function () {
  "use strict";
  var container = document.getElementById("preview-map");
  var source = document.getElementById("preview-geojson");
  if (!container || !source || typeof L === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var map = L.map(container);
  var tileUrl = container.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: container.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  var layer = L.geoJSON(data, {
    style: { color: "#0b6e4f", weight: 1.5, fillOpacity: 0.15 },
    onEachFeature: function (feature, featureLayer) {
      var props = feature.properties || {};
      var label = document.createElement("span");
      label.textContent = props.name + " (" + props.code + ")";
      featureLayer.bindTooltip(label);
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [10, 10] });
  } else {
    map.setView([46.6, 2.4], 5);
  }
  container.dataset.featureCount = String(data.features.length);
  container.classList.add("is-ready");
})();
