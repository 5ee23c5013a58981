"""Polygons written compactly into a page: Google's encoded-polyline text, decoded in the browser.

GeoJSON writes every vertex as ``[127.12345,44.12345],`` (21 bytes); the encoded-polyline
algorithm writes the change from the previous vertex in 1e-5° steps (about a metre) as a
few printable characters — 4 to 5 bytes a vertex for outlines simplified to tens of metres,
with the same precision. The sample county's service circles shrink from 2.3 MB to about
a fifth. :data:`UNPACK_JS` turns the text back into Leaflet's nested ``[lat, lng]`` arrays.

Format of one (multi)polygon: a list of polygons, each a list of rings (outer ring first,
then its holes), each ring one encoded string of ``lat, lng`` pairs, the closing vertex left
out (Leaflet closes rings itself).
"""

from __future__ import annotations

import numpy as np
import shapely

#: Coordinates are written in steps of 1/PRECISION degrees (1e-5°: about a metre).
PRECISION = 1e5

#: ``geohealthUnpack(packed)``: the nested ``[lat, lng]`` arrays of a packed (multi)polygon.
UNPACK_JS = """
function geohealthRing(text) {
  var ring = [], i = 0, lat = 0, lng = 0, value = [0, 0];
  while (i < text.length) {
    for (var k = 0; k < 2; k++) {
      var chunk, shift = 0, bits = 0;
      do {
        chunk = text.charCodeAt(i++) - 63;
        bits |= (chunk & 31) << shift;
        shift += 5;
      } while (chunk >= 32);
      value[k] = bits & 1 ? ~(bits >> 1) : bits >> 1;
    }
    lat += value[0];
    lng += value[1];
    ring.push([lat / 1e5, lng / 1e5]);
  }
  return ring;
}
function geohealthUnpack(packed) {
  return packed.map(function (polygon) { return polygon.map(geohealthRing); });
}
"""


def _encode_values(values: np.ndarray) -> np.ndarray:
    """Return the characters (as bytes) of each integer, and how many each takes."""
    zigzag = (values << 1) ^ (values >> 63)  # sign folded into the lowest bit
    chunks = (zigzag[:, None] >> (5 * np.arange(7))) & 31  # 7 × 5 bits: any |value| < 2^34
    bit_length = np.frexp(zigzag.astype(np.float64))[1]  # exact below 2^53
    length = np.maximum(1, -(-bit_length // 5))
    more = np.arange(7)[None, :] < (length[:, None] - 1)
    used = np.arange(7)[None, :] < length[:, None]
    codes = (chunks | np.where(more, 32, 0)) + 63
    return codes[used].astype(np.uint8), length


def pack(geometry: shapely.Geometry) -> list[list[str]]:
    """Encode a polygon or multipolygon (WGS 84 degrees) as polyline text.

    Parameters
    ----------
    geometry
        A Polygon, a MultiPolygon or a collection holding them (its points and lines are
        left out), lon/lat.

    Returns
    -------
    list of list of str
        Per polygon, its rings (outer first) as encoded strings of ``lat, lng`` pairs; empty
        for an empty geometry.
    """
    parts = shapely.get_parts(geometry)
    while (nested := shapely.get_type_id(parts) >= shapely.GeometryType.MULTIPOINT).any():
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        return []
    rings, polygon_of = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    last = np.r_[ring_of[1:] != ring_of[:-1], True]  # each ring's closing vertex: dropped
    xy, ring_of = xy[~last], ring_of[~last]
    steps = np.round(xy[:, ::-1] * PRECISION).astype(np.int64)  # lat, lng
    first = np.r_[True, ring_of[1:] != ring_of[:-1]]
    deltas = steps - np.where(first[:, None], 0, np.roll(steps, 1, axis=0))
    text, length = _encode_values(deltas.ravel())
    per_vertex = length.reshape(-1, 2).sum(axis=1)
    per_ring = np.bincount(ring_of, weights=per_vertex, minlength=len(rings)).astype(np.int64)
    ends = np.cumsum(per_ring)
    joined = text.tobytes().decode("ascii")
    encoded = [joined[e - n : e] for e, n in zip(ends.tolist(), per_ring.tolist(), strict=True)]
    out: list[list[str]] = [[] for _ in range(len(parts))]
    for ring, polygon in zip(encoded, polygon_of.tolist(), strict=True):
        out[polygon].append(ring)
    return out


def unpack(packed: list[list[str]]) -> list[list[np.ndarray]]:
    """Decode :func:`pack`'s text (what the browser does), for tests.

    Parameters
    ----------
    packed
        Per polygon, its encoded rings.

    Returns
    -------
    list of list of numpy.ndarray
        Per polygon, its rings as (n, 2) arrays of lon, lat (closing vertex left out).
    """
    out = []
    for polygon in packed:
        rings = []
        for text in polygon:
            values, bits, shift = [], 0, 0
            for char in text.encode("ascii"):
                chunk = char - 63
                bits |= (chunk & 31) << shift
                shift += 5
                if chunk < 32:
                    values.append(~(bits >> 1) if bits & 1 else bits >> 1)
                    bits, shift = 0, 0
            latlng = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0)
            rings.append(latlng[:, ::-1] / PRECISION)
        out.append(rings)
    return out
