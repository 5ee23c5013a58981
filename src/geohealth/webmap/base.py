"""What every geohealth map shares: the offline page, the basemap, the panel and the writer."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element
from rasterio.crs import CRS

from geohealth.coverage_files import VALUES
from geohealth.inputs.layers import InputLayers
from geohealth.outputs import write_text
from geohealth.webmap import basemaps, offline
from geohealth.webmap.text_layers import ShapesLayer

log = logging.getLogger(__name__)

#: Font stack of the map's panels (CJK first).
FONTS = "'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif"


def mode_label(mode: str) -> str:
    """Chinese name of a travel mode (步行, 两轮车, 驾车)."""
    return VALUES["zh"].get(mode, mode)


def fmt(value: float | None, spec: str = ",.0f") -> str:
    """Format a number for a popup; ``—`` when missing."""
    return "—" if value is None or not np.isfinite(value) else format(value, spec)


def polygon_parts(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the polygons in each geometry (multi-parts and collections opened).

    Parameters
    ----------
    geometries
        Any geometries.

    Returns
    -------
    tuple of numpy.ndarray
        The polygons (non-empty), and the index of the geometry each came from, increasing.
    """
    parts, row = shapely.get_parts(geometries, return_index=True)
    while (nested := shapely.get_type_id(parts) >= shapely.GeometryType.MULTIPOINT).any():
        inner, at = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        row = np.concatenate([row[~nested], row[nested][at]])
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
    order = np.argsort(row[keep], kind="stable")
    return parts[keep][order], row[keep][order]


def simplified(frame: gpd.GeoDataFrame, metric: CRS, tolerance_m: float) -> gpd.GeoDataFrame:
    """Return a frame's polygons simplified in metres for the screen, in EPSG:4326.

    Each polygon is simplified on its own, keeping its topology, so it stays valid. Not the
    whole multipolygon at once: the simplifier may make its parts overlap, and repairing
    that (``make_valid``) leaves zero-width spikes, drawn as lines across the shapes. Parts
    of neighbouring polygons may overlap by a few metres; nobody sees it. Points and lines
    are left out. Coordinates are rounded to 1e-5° (about a metre): a page's outlines need
    no more digits.

    Parameters
    ----------
    frame
        Any CRS; polygons, multipolygons or collections holding them.
    metric
        A metric CRS for the region.
    tolerance_m
        Douglas–Peucker tolerance (metres); 1 m drops the points a staircase of grid cells
        gains on its straight edges when projected, and keeps its steps.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy, in EPSG:4326, one (possibly empty) multipolygon per row.
    """
    out = frame.to_crs(metric)
    parts, row = polygon_parts(out.geometry.to_numpy())
    empty = np.array([shapely.MultiPolygon()] * len(out), dtype=object)
    shapes = shapely.multipolygons(shapely.simplify(parts, tolerance_m), indices=row, out=empty)
    out = out.set_geometry(gpd.GeoSeries(shapes, index=out.index, crs=metric)).to_crs(4326)
    out["geometry"] = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, 5))
    return out


def base_map(layers: InputLayers, *, canvas: bool = False) -> folium.Map:
    """Build an empty map of the region: Leaflet inlined, the configured basemap, background.

    Parameters
    ----------
    layers
        The run's inputs (the region's extent).
    canvas
        Draw vector layers on one canvas instead of as SVG elements: far quicker to redraw
        with thousands of shapes (a plan's unserved areas), at no cost to tooltips.

    Returns
    -------
    folium.Map
        Fitted to the region, leaving room for a panel on the left.
    """
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=canvas)
    offline.inline_assets(fmap)
    fmap.get_root().header.add_child(
        Element("<style>.leaflet-container{background:#f2efe9}</style>"), name="background"
    )
    output = layers.settings.output
    basemaps.add_basemap(fmap, output.basemap, tianditu_key=output.tianditu_key)
    west, south, east, north = layers.region.bounds
    fmap.fit_bounds([[south, west], [north, east]], padding_top_left=(270, 70))
    return fmap


def finish(fmap: folium.Map, layers: InputLayers) -> folium.Map:
    """Line a finished map's overlays up with its basemap (GCJ-02 tiles: shift them).

    Parameters
    ----------
    fmap
        The map with all its layers.
    layers
        The run's inputs (``output.basemap``).

    Returns
    -------
    folium.Map
        ``fmap``.
    """
    key = layers.settings.output.basemap
    tiles = basemaps.BASEMAPS.get(key)
    basemaps.align(fmap, tiles.system if tiles else "wgs84")
    return fmap


def township_outlines(layers: InputLayers) -> ShapesLayer:
    """Township boundaries as thin lines that take no hover, so the layer below them does.

    The layers a reader hovers (catchments, assignment areas) name their township
    themselves; outlines drawn over them must not take their tooltips away.
    """
    towns = simplified(layers.townships[["geometry"]], layers.region.metric_crs, 10)
    return ShapesLayer(
        towns.geometry.to_numpy(),
        name="乡镇界线",
        style={"fill": False, "color": "#555555", "weight": 1, "interactive": False},
    )


def township_names(layers: InputLayers, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """Return the name of the township each point lies in (``—`` outside every township).

    Parameters
    ----------
    layers
        The run's inputs (townships).
    lon, lat
        Points in WGS 84 degrees.

    Returns
    -------
    list of str
        One name per point.
    """
    names = np.append(layers.townships["name"].astype(str).to_numpy(), "—")
    return names[layers.township_of(lon, lat)].tolist()  # -1: the last, "—"


def lines(*parts: str) -> str:
    """Join a tooltip's or popup's lines (HTML, already escaped)."""
    return "<br>".join(parts)


def add_panel(fmap: folium.Map, title: str, subtitle: str, body: str, attribution: str) -> None:
    """Fix a title box and a legend panel (HTML ``body``) onto the map; title the page.

    Parameters
    ----------
    fmap
        The map.
    title, subtitle
        Headline (also the page's ``<title>``) and its second line.
    body
        Legend HTML (already escaped).
    attribution
        Data-source line, shown at the panel's foot.
    """
    panel = f"""
<div id="geohealth-title" style="position:fixed;top:10px;left:60px;z-index:1000;
 background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;
 font:15px/1.35 {FONTS};box-shadow:0 1px 4px rgba(0,0,0,.3)">
 <b>{html.escape(title)}</b><br><span style="font-size:12px">{html.escape(subtitle)}</span>
</div>
<div id="geohealth-legend" style="position:fixed;bottom:64px;left:10px;z-index:1000;
 background:rgba(255,255,255,.92);padding:8px 10px;border-radius:4px;max-width:260px;
 max-height:70vh;overflow:auto;font:12px/1.45 {FONTS};box-shadow:0 1px 4px rgba(0,0,0,.3)">
 {body}<br><span style="font-size:10px;color:#555">{html.escape(attribution)}</span>
</div>
"""
    fmap.get_root().html.add_child(Element(panel), name="legend")
    # after the charset line (branca's own title would come before it)
    fmap.get_root().header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="title")


def write_map(path: Path, fmap: folium.Map) -> Path:
    """Render a map to one self-contained HTML file, atomically.

    Parameters
    ----------
    path
        ``.html`` file to write.
    fmap
        A map from :func:`base_map` with its layers.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    GeohealthError
        If the page would still fetch a script or stylesheet from the internet.
    """
    page = fmap.get_root().render()
    offline.check_offline(page)
    write_text(path, page)
    log.debug("map: %s (%.1f MB)", path, len(page.encode("utf-8")) / 1e6)
    return path
