"""The interactive coverage map: who reaches primary care within the target, and who does not.

Layers (each in the layer control, Chinese names):

- township choropleth of the share covered within ``analysis.target_min``, per mode (the
  classes and colours of :mod:`geohealth.palettes`, shared with the print pages);
- facilities, one layer per level, distinct symbols, a popup with name, level, beds and
  catchment;
- service circles (the union of the primary-care isochrones) per mode and threshold, each
  filled with the colour of the minute class its limit ends;
- the travel-time surface per mode, as an image overlay; ground where nobody lives is grey
  ("no residents"), not a travel-time class;
- uncovered-population hotspots per mode (people beyond the target, summed on ~1 km blocks),
  each naming its township.

Every tooltip names its object. Everything is inlined: the page opens from disk with no
network (basemap tiles excepted); polygons are written as encoded polylines, so the sample
county's page is 1.3 MB rather than 3.5 MB.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import logging

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import PIL.Image
import rasterio.warp
import shapely
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS

from geohealth import catchments, palettes
from geohealth.coverage import CoverageResult
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY, LEVELS
from geohealth.inputs.population import PopulationGrid
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.webmap import base, symbols
from geohealth.webmap.text_layers import (
    CircleMarkersLayer,
    GeometryLayer,
    IconMarkersLayer,
    ShapesLayer,
)

log = logging.getLogger(__name__)

_mode = base.mode_label
_fmt = base.fmt
_simplified = base.simplified

#: Leaflet style of a service circle (its fill: the minute class its limit ends).
CIRCLE_STYLE = {"color": "#7f2704", "weight": 1, "fillOpacity": 0.35}
#: Leaflet style of an uncovered-population hotspot (its radius grows with the people).
HOTSPOT_STYLE = {"color": "#7a0177", "weight": 0.5, "fillColor": "#7a0177", "fillOpacity": 0.55}


def _township_layer(
    result: CoverageResult, layers: InputLayers, mode: str, *, show: bool
) -> ShapesLayer:
    """Townships filled by the share of residents within the target time, named on hover."""
    target = layers.settings.analysis.target_min
    table = result.townships
    rows = table[
        (table["group"] == "primary") & (table["mode"] == mode) & (table["threshold_min"] == target)
    ].set_index("code")
    towns = layers.townships[["code", "name", "geometry"]]
    towns = towns[towns["code"].isin(rows.index)]
    rows = rows.loc[towns["code"]]
    share = rows["share_covered"].astype(float).to_numpy()
    tooltips = [
        base.lines(
            f"<b>{html.escape(str(name))}</b>（{_mode(mode)}）",
            f"{target:g}分钟覆盖率：{_fmt(s * 100, '.1f')}%",
            f"常住人口：{_fmt(people)} 人",
            f"{target:g}分钟外：{_fmt(outside)} 人",
            f"平均用时：{_fmt(minutes, '.1f')} 分钟",
            f"可达床位：{_fmt(beds, '.2f')} 张/千人",
        )
        for name, s, people, outside, minutes, beds in zip(
            towns["name"],
            share,
            rows["population"],
            rows["uncovered"],
            rows["mean_min"],
            rows["e2sfca_beds_per_1000"],
            strict=True,
        )
    ]
    drawn = _simplified(towns, layers.region.metric_crs, 10.0)
    return ShapesLayer(
        drawn.geometry.to_numpy(),
        tooltips=tooltips,
        styles=[{"fillColor": palettes.share_colour(v)} for v in share],
        name=f"乡镇{target:g}分钟覆盖率 · {_mode(mode)}",
        style={"color": "#404040", "weight": 1, "fillOpacity": 0.65},
        highlight={"weight": 3, "color": "#000000"},
        show=show,
    )


def _mode_lines(table: pd.DataFrame, target: float) -> dict[object, list[str]]:
    """Each facility's popup lines per mode (the facility table's rows at the target time)."""
    per_mode: dict[object, list[str]] = {}
    columns = ["facility_id", "mode", "catchment_population", "population_within"]
    for fid, mode, catchment, within in table[columns].itertuples(index=False, name=None):
        per_mode.setdefault(fid, []).append(
            f"{_mode(mode)}：服务人口 {_fmt(catchment)} 人，{target:g}分钟内 {_fmt(within)} 人"
        )
    return per_mode


def _facility_popups(facilities: pd.DataFrame, per_mode: dict[object, list[str]]) -> list[str]:
    """Return each facility's popup HTML: name, level, beds and its lines per mode."""
    popups = []
    columns = ["facility_id", "name", "level", "beds"]
    for fid, name, key, beds in facilities[columns].itertuples(index=False, name=None):
        level = BY_KEY.get(key)
        lines = [
            f"<b>{html.escape(str(name))}</b>",
            f"级别：{html.escape(level.label_zh if level else str(key))}",
            f"床位：{_fmt(beds)} 张",
            *per_mode.get(fid, []),
        ]
        popups.append("<br>".join(lines))
    return popups


def _facility_layers(result: CoverageResult, layers: InputLayers) -> list[IconMarkersLayer]:
    target = layers.settings.analysis.target_min
    table = result.facilities[result.facilities["threshold_min"] == target]
    per_mode = _mode_lines(table, target)
    points = layers.facilities
    groups = []
    for level in [lv.key for lv in LEVELS]:
        chosen = points[points["level"] == level]
        if chosen.empty:
            continue
        groups.append(
            IconMarkersLayer(
                chosen.geometry.x.to_numpy(),
                chosen.geometry.y.to_numpy(),
                [html.escape(str(name)) for name in chosen["name"]],
                _facility_popups(chosen, per_mode),
                icon=symbols.svg(level),
                size=symbols.symbol(level).size,
                name=f"{BY_KEY[level].label_zh}（{len(chosen)}）",
                class_name="geohealth-facility",
            )
        )
    return groups


def screen_geometry(geometry: shapely.Geometry, metric: object) -> shapely.Geometry:
    """Return a service circle drawn for the screen, in WGS 84 degrees.

    Outlines within 30 m, coordinates to about a metre (the GeoPackage keeps the exact
    contour). Polygon by polygon, as the simplifier checks every part of a multipolygon
    against every other (10× slower on a county); the coordinates are rounded, not snapped to
    a precision grid, which GEOS refuses where parts simplified one by one touch.

    Parameters
    ----------
    geometry
        A (multi)polygon in ``metric``.
    metric
        A metric CRS (metres; anything geopandas takes).

    Returns
    -------
    shapely.Geometry
        A multipolygon in EPSG:4326.
    """
    parts = shapely.get_parts(shapely.get_parts(geometry))  # (multi)polygons or collections
    parts = shapely.simplify(
        parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON], 30.0
    )
    merged = shapely.multipolygons(parts[~shapely.is_empty(parts)])
    degrees = gpd.GeoSeries([merged], crs=metric).to_crs(4326).to_numpy()
    return shapely.transform(degrees, lambda xy: xy.round(5))[0]


def _circle_layers(
    result: CoverageResult, layers: InputLayers, mode: str, *, show_target: bool
) -> list[GeometryLayer]:
    """Draw the service circles: primary care's merged circle per threshold."""
    found = result.groups.get(("primary", mode))
    if found is None or found.circles.empty:
        return []
    metric = layers.region.metric_crs
    projected = found.circles.to_crs(metric)
    target = layers.settings.analysis.target_min
    out = []
    colours = palettes.limit_colours(projected["threshold_min"].tolist())
    for row, colour in zip(projected.itertuples(), colours, strict=True):
        limit = row.threshold_min
        out.append(
            GeometryLayer(
                screen_geometry(row.geometry, metric),
                name=f"{limit:g}分钟服务圈 · {_mode(mode)}",
                style={**CIRCLE_STYLE, "fillColor": colour},
                tooltip=f"{_mode(mode)} {limit:g} 分钟服务圈（基层医疗机构）",
                show=show_target and limit == target,
            )
        )
    return out


def _surface_layer(grid: PopulationGrid, minutes: np.ndarray, mode: str) -> folium.ImageOverlay:
    """Minutes to the nearest facility as an image in Web Mercator (Leaflet's projection).

    Cells are classed first (:func:`symbols.surface_classes`: ground where nobody lives is
    its own class), then warped: nearest neighbour keeps the classes whole.
    """
    mercator = CRS.from_epsg(3857)
    # as many square pixels as the grid has cells, over its bounds in Web Mercator (what
    # rasterio's calculate_default_transform suggests, without its `Affine * Affine`
    # warning — silencing it takes catch_warnings, which is not thread-safe)
    left, bottom, right, top = rasterio.warp.transform_bounds(
        grid.crs, mercator, *_bounds(grid), densify_pts=21
    )
    size = float(np.sqrt((right - left) * (top - bottom) / (grid.shape[0] * grid.shape[1])))
    width, height = int(np.ceil((right - left) / size)), int(np.ceil((top - bottom) / size))
    transform = Affine(size, 0.0, left, 0.0, -size, top)
    warped = np.full((height, width), symbols.NOTHING, dtype=np.uint8)
    rasterio.warp.reproject(
        symbols.surface_classes(minutes, grid.values),
        warped,
        src_transform=grid.transform,
        src_crs=grid.crs,
        src_nodata=symbols.NOTHING,
        dst_transform=transform,
        dst_crs=mercator,
        dst_nodata=symbols.NOTHING,
        resampling=rasterio.warp.Resampling.nearest,
    )
    to_lonlat = Transformer.from_crs(mercator, 4326, always_xy=True)
    west, north = to_lonlat.transform(transform.c, transform.f)
    east, south = to_lonlat.transform(
        transform.c + width * transform.a, transform.f + height * transform.e
    )
    return folium.raster_layers.ImageOverlay(
        image=_png_url(symbols.surface_rgba(warped)),
        bounds=[[south, west], [north, east]],
        name=f"到基层医疗用时 · {_mode(mode)}",
        show=False,
        pixelated=True,
    )


def _png_url(rgba: np.ndarray) -> str:
    """Return an RGBA image as a PNG data URL.

    Pillow at zlib level 6: 4× faster than branca's pure-Python writer at level 9, for a
    file 1.5× larger.
    """
    buffer = io.BytesIO()
    PIL.Image.fromarray(rgba).save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _bounds(grid: PopulationGrid) -> tuple[float, float, float, float]:
    t = grid.transform
    rows, cols = grid.shape
    xs = [t.c, t.c + cols * t.a]
    ys = [t.f, t.f + rows * t.e]
    return min(xs), min(ys), max(xs), max(ys)


def _hotspot_layer(
    layers: InputLayers, minutes: np.ndarray, limit_min: float, mode: str, *, show: bool
) -> CircleMarkersLayer:
    """People beyond the target on ~1 km blocks: a circle each, its township on hover."""
    table = catchments.hotspots(layers.population, minutes, limit_min)
    table = table[table["population"] >= 1.0]
    peak = float(table["population"].max()) if len(table) else 1.0
    people = table["population"].to_numpy()
    lon, lat = table["lon"].to_numpy(), table["lat"].to_numpy()
    towns = base.township_names(layers, lon, lat)
    return CircleMarkersLayer(
        lon,
        lat,
        2.0 + 12.0 * np.sqrt(people / peak),
        [
            f"{html.escape(town)}：{limit_min:g}分钟外约 {p:,.0f} 人（{_mode(mode)}，约1 km格网）"
            for town, p in zip(towns, people, strict=True)
        ],
        name=f"{limit_min:g}分钟外人口 · {_mode(mode)}",
        style=HOTSPOT_STYLE,
        show=show,
    )


def coverage_map(result: CoverageResult, layers: InputLayers) -> folium.Map:
    """Build the interactive coverage map of a run.

    Parameters
    ----------
    result
        A coverage run (with isochrones for the service-circle layers).
    layers
        The run's inputs.

    Returns
    -------
    folium.Map
        With Leaflet inlined (see :mod:`geohealth.webmap.offline`).
    """
    settings = layers.settings
    target = settings.analysis.target_min
    fmap = base.base_map(layers)
    modes = list(dict.fromkeys(m for g, m in result.groups if g == "primary"))
    for k, mode in enumerate(modes):
        _township_layer(result, layers, mode, show=k == 0).add_to(fmap)
    for k, mode in enumerate(modes):
        for layer in _circle_layers(result, layers, mode, show_target=False):
            layer.add_to(fmap)
        minutes = result.groups[("primary", mode)].minutes  # a grid made on each call
        _surface_layer(layers.population, minutes, mode).add_to(fmap)
        _hotspot_layer(layers, minutes, target, mode, show=k == 0).add_to(fmap)
        del minutes
    for group in _facility_layers(result, layers):
        group.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    levels = [lv.key for lv in LEVELS if (layers.facilities["level"] == lv.key).any()]
    title = f"{settings.region.title} · {target:g}分钟医疗卫生服务圈"
    shown = f"首个图层：{_mode(modes[0])}" if modes else "清单中没有基层医疗机构，覆盖图层从略"
    subtitle = f"覆盖率按乡镇（{shown}）· {dt.date.today():%Y-%m-%d}"
    limits = sorted({*settings.analysis.thresholds_min, target})
    circle = palettes.limit_colours(limits)[limits.index(target)]
    legend = symbols.legend_body(levels, target, circle)
    base.add_panel(fmap, title, subtitle, legend, OSM_ATTRIBUTION)
    return base.finish(fmap, layers)
