// Draw the zone outline and its listed cells on the report map.
// django-leaflet calls window.reportMapInit once the map exists; the data come
// from the JSON script element "report-map-data" (GeoJSON in EPSG:4326).
(function () {
  "use strict";

  var COLOURS = { hot: "#c0392b", cold: "#2c6fbb", other: "#8a96a0" };

  function cellColour(bin) {
    if (bin > 0) return COLOURS.hot;
    if (bin < 0) return COLOURS.cold;
    return COLOURS.other;
  }

  function tooltip(properties) {
    var element = document.createElement("span");
    element.textContent =
      properties.cell_id + " : " + properties.count + " (" + properties["class"] + ")";
    return element;
  }

  window.reportMapInit = function (map) {
    var source = document.getElementById("report-map-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var bounds = null;

    if (data.zone && data.zone.geometry) {
      var outline = L.geoJSON(data.zone, {
        style: { className: "zone-outline", color: "#0b6e4f", weight: 3, fill: false },
      }).addTo(map);
      bounds = outline.getBounds();
    }
    if (data.cells && data.cells.features.length) {
      L.geoJSON(data.cells, {
        style: function (feature) {
          return {
            className: "hotspot-cell",
            color: "#333333",
            weight: 1,
            fillOpacity: 0.5,
            fillColor: cellColour(feature.properties.gi_bin),
          };
        },
        onEachFeature: function (feature, layer) {
          layer.bindTooltip(tooltip(feature.properties));
        },
      }).addTo(map);
    }
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12] });
    }
    map.getContainer().setAttribute("data-report-ready", "true");
  };
})();
