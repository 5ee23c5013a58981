"""Basemap tiles for the interactive maps, and lining overlays up with GCJ-02 tiles.

Chinese web-map tiles (AMap/GaoDe) are drawn in GCJ-02, offset from WGS-84 by a few hundred
metres. geohealth computes in WGS-84; when the basemap is GCJ-02, :func:`align` moves every
overlay of a finished map — GeoJSON layers, markers, image overlays and the initial view — to
GCJ-02 so roads on the tiles and facilities on the map coincide. OpenStreetMap and Tianditu
(天地图, CGCS2000, within a metre of WGS-84) need no shift. Tiles are optional: offline, the
page shows the plain background and every layer still works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import folium
import numpy as np
import shapely
import shapely.geometry

from geohealth.errors import ConfigError
from geohealth.inputs import coords
from geohealth.webmap.text_layers import TextLayer


@dataclass(frozen=True)
class Basemap:
    """A tile source.

    Attributes
    ----------
    name
        Name in the layer control.
    url
        Tile URL template (``{s}``, ``{x}``, ``{y}``, ``{z}``; ``{key}`` for a service key).
    attribution
        The provider's attribution.
    system
        Coordinate system the tiles are drawn in: ``"wgs84"`` or ``"gcj02"``.
    subdomains
        Values of ``{s}``.
    """

    name: str
    url: str
    attribution: str
    system: str
    subdomains: str = "abc"


BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap(
        "OpenStreetMap 底图",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors (ODbL 1.0)",
        "wgs84",
        "",
    ),
    "amap": Basemap(
        "高德地图 底图",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "底图 © 高德地图 AutoNavi（GCJ-02，叠加图层已偏移对齐）",
        "gcj02",
        "1234",
    ),
    "amap-satellite": Basemap(
        "高德影像 底图",
        "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
        "影像 © 高德地图 AutoNavi（GCJ-02，叠加图层已偏移对齐）",
        "gcj02",
        "1234",
    ),
    "tianditu": Basemap(
        "天地图 底图",
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
        "&TILECOL={x}&tk={key}",
        "底图 © 天地图 国家地理信息公共服务平台",
        "wgs84",
        "01234567",
    ),
}


def add_basemap(fmap: folium.Map, key: str, *, tianditu_key: str | None = None) -> str:
    """Add the chosen tiles to a map; return the system overlays must be drawn in.

    Parameters
    ----------
    fmap
        The map.
    key
        ``osm``, ``amap``, ``amap-satellite``, ``tianditu`` or ``none``.
    tianditu_key
        The Tianditu service key (``output.tianditu_key``).

    Returns
    -------
    str
        ``"wgs84"`` or ``"gcj02"``.

    Raises
    ------
    ConfigError
        If the basemap is unknown, or Tianditu is chosen without a key.
    """
    if key == "none":
        return "wgs84"
    if key not in BASEMAPS:
        msg = f"unknown output.basemap '{key}' — use {', '.join([*BASEMAPS, 'none'])}"
        raise ConfigError(msg)
    tiles = BASEMAPS[key]
    url = tiles.url
    if "{key}" in url:
        if not tianditu_key:
            msg = (
                "output.basemap = 'tianditu' needs output.tianditu_key (a free key from "
                "console.tianditu.gov.cn), or choose another basemap"
            )
            raise ConfigError(msg)
        url = url.replace("{key}", tianditu_key)
    options = {"subdomains": tiles.subdomains} if tiles.subdomains else {}
    folium.TileLayer(
        tiles=url, name=tiles.name, attr=tiles.attribution, max_zoom=18, **options
    ).add_to(fmap)
    return tiles.system


def _shift_lonlat(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    if system == "wgs84":
        return lon, lat
    return coords.from_wgs84(lon, lat, system)  # type: ignore[arg-type]


def _mover(system: str) -> Callable[[np.ndarray], np.ndarray]:
    """Return the shift into ``system`` of an (n, 2) array of lon, lat."""

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = _shift_lonlat(xy[:, 0], xy[:, 1], system)
        return np.column_stack([lon, lat])

    return move


def _shift_geometry(geometry: dict, system: str) -> dict:
    shape = shapely.geometry.shape(geometry)
    return shapely.geometry.mapping(shapely.transform(shape, _mover(system)))


def _shift_latlon_pairs(pairs: list, system: str) -> list:
    arr = np.asarray(pairs, dtype=float).reshape(-1, 2)
    lon, lat = _shift_lonlat(arr[:, 1], arr[:, 0], system)
    return np.column_stack([lat, lon]).tolist()


def align(fmap: folium.Map, system: str) -> None:
    """Move every overlay of a finished map into the basemap's coordinate system.

    GeoJSON layers, markers (incl. circle markers), image overlays and the initial view are
    moved; nothing happens for WGS-84 basemaps.

    Parameters
    ----------
    fmap
        The map, with all its layers.
    system
        From :func:`add_basemap`.
    """
    if system == "wgs84":
        return
    stack = list(fmap._children.values())
    while stack:
        child = stack.pop()
        stack.extend(getattr(child, "_children", {}).values())
        if isinstance(child, folium.GeoJson) and isinstance(child.data, dict):
            features = child.data.get("features", [child.data])
            for feature in features:
                geometry = feature.get("geometry", feature)
                if geometry and geometry.get("coordinates") is not None:
                    moved = _shift_geometry(geometry, system)
                    geometry["coordinates"] = moved["coordinates"]
        elif isinstance(child, TextLayer):
            child.move(_mover(system))
        elif isinstance(child, folium.Marker) and child.location is not None:
            child.location = _shift_latlon_pairs([child.location], system)[0]
        elif (
            isinstance(child, folium.raster_layers.ImageOverlay)
            or type(child).__name__ == "FitBounds"
        ):
            child.bounds = _shift_latlon_pairs(child.bounds, system)
