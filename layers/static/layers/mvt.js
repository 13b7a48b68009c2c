/*
 * Minimal Mapbox Vector Tile (protobuf) reader for the entry tiles of the
 * map: it decodes layers, feature properties and point geometries, which is
 * all the entry tiles contain. Lines and polygons are not decoded.
 */
(function (global) {
  "use strict";

  function Reader(buffer) {
    this.bytes = new Uint8Array(buffer);
    this.pos = 0;
  }

  Reader.prototype.varint = function () {
    var result = 0;
    var factor = 1;
    var byte;
    do {
      byte = this.bytes[this.pos++];
      result += (byte & 0x7f) * factor;
      factor *= 128;
    } while (byte >= 0x80);
    return result;
  };

  Reader.prototype.zigzag = function () {
    var value = this.varint();
    return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
  };

  Reader.prototype.bytesField = function () {
    var length = this.varint();
    var start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, start + length);
  };

  Reader.prototype.skip = function (wireType) {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.pos += this.varint();
    else if (wireType === 5) this.pos += 4;
    else throw new Error("cannot decode the vector tile: unsupported protobuf wire type " + wireType);
  };

  // Call handle(field, wireType, reader) for each field of a message.
  function readMessage(bytes, handle) {
    var reader = new Reader(bytes);
    while (reader.pos < reader.bytes.length) {
      var key = reader.varint();
      handle(key >> 3, key & 7, reader);
    }
  }

  function packed(bytes) {
    var reader = new Reader(bytes);
    var values = [];
    while (reader.pos < reader.bytes.length) values.push(reader.varint());
    return values;
  }

  var text = new TextDecoder("utf-8");

  function readValue(bytes) {
    var value = null;
    readMessage(bytes, function (field, wireType, reader) {
      if (field === 1) value = text.decode(reader.bytesField());
      else if (field === 2) {
        value = new DataView(reader.bytes.buffer, reader.bytes.byteOffset + reader.pos, 4)
          .getFloat32(0, true);
        reader.pos += 4;
      } else if (field === 3) {
        value = new DataView(reader.bytes.buffer, reader.bytes.byteOffset + reader.pos, 8)
          .getFloat64(0, true);
        reader.pos += 8;
      } else if (field === 4 || field === 5) value = reader.varint();
      else if (field === 6) value = reader.zigzag();
      else if (field === 7) value = reader.varint() === 1;
      else reader.skip(wireType);
    });
    return value;
  }

  // Points of a geometry command stream (MoveTo commands only).
  function readPoints(commands) {
    var points = [];
    var x = 0;
    var y = 0;
    var i = 0;
    while (i < commands.length) {
      var command = commands[i] & 7;
      var count = commands[i] >> 3;
      i += 1;
      if (command === 1 || command === 2) {
        for (var k = 0; k < count; k++) {
          var dx = commands[i++];
          var dy = commands[i++];
          x += dx % 2 === 1 ? -(dx + 1) / 2 : dx / 2;
          y += dy % 2 === 1 ? -(dy + 1) / 2 : dy / 2;
          if (command === 1) points.push([x, y]);
        }
      }
    }
    return points;
  }

  function readLayer(bytes) {
    var layer = { name: "", extent: 4096, keys: [], values: [], rawFeatures: [] };
    readMessage(bytes, function (field, wireType, reader) {
      if (field === 1) layer.name = text.decode(reader.bytesField());
      else if (field === 2) layer.rawFeatures.push(reader.bytesField());
      else if (field === 3) layer.keys.push(text.decode(reader.bytesField()));
      else if (field === 4) layer.values.push(readValue(reader.bytesField()));
      else if (field === 5) layer.extent = reader.varint();
      else reader.skip(wireType);
    });
    layer.features = layer.rawFeatures.map(function (raw) {
      var feature = { properties: {}, points: [] };
      readMessage(raw, function (field, wireType, reader) {
        if (field === 2) {
          var tags = packed(reader.bytesField());
          for (var t = 0; t + 1 < tags.length; t += 2) {
            feature.properties[layer.keys[tags[t]]] = layer.values[tags[t + 1]];
          }
        } else if (field === 3) feature.type = reader.varint();
        else if (field === 4) feature.points = readPoints(packed(reader.bytesField()));
        else reader.skip(wireType);
      });
      return feature;
    });
    delete layer.rawFeatures;
    return layer;
  }

  // Decode a tile into {layerName: {extent, features: [{properties, points}]}}.
  function decodeTile(buffer) {
    var layers = {};
    readMessage(new Uint8Array(buffer), function (field, wireType, reader) {
      if (field === 3) {
        var layer = readLayer(reader.bytesField());
        layers[layer.name] = layer;
      } else reader.skip(wireType);
    });
    return layers;
  }

  global.GeoMediationMVT = { decodeTile: decodeTile };
})(window);
