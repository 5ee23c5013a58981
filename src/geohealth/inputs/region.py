"""The study region: the townships that tile it, its outline and the CRS for metric work.

Overlapping townships (:func:`resolve_overlaps`)
    Townships must tile the region without overlapping: a cell of people is assigned to
    one township only (otherwise to whichever polygon is rasterised last). Where two
    townships overlap, the overlap is kept by the **smaller** township — typically a
    subdistrict (街道) digitised over its town (镇) — and cut from the larger one; on equal
    areas the later feature keeps it. Overlaps below both :data:`SLIVER_SHARE` of the
    smaller township's area and :data:`SLIVER_KM2` are digitising noise and are cut
    silently (DEBUG log); larger ones warn
    (:class:`~geohealth.errors.OverlappingTownshipsWarning`), one line per pair.

Misaligned layers (:func:`gcj02_offset_hint`)
    A layer exported from a Chinese web map (GCJ-02, BD-09) but declared WGS-84 sits
    300–600 m (BD-09: about 1 km) off. After facilities are loaded, the hint counts the
    facilities outside their township under the declared coordinate systems and under each
    alternative; when an alternative places markedly more of them right, it names the key
    to set.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geohealth.errors import InputError, OverlappingTownshipsWarning
from geohealth.inputs import coords
from geohealth.inputs.geometry import WGS84, parse_crs, polygonal

log = logging.getLogger(__name__)

#: Overlaps smaller than this share of the smaller township's area …
SLIVER_SHARE = 0.001
#: … and smaller than this area (km²) are digitising noise: cut without a warning.
SLIVER_KM2 = 0.01
#: The offset hint fires when an alternative coordinate system places at least this many
#: more facilities in their township …
HINT_MIN_FIXED = 3
#: … and leaves at most this share of the facilities misplaced under the declared systems.
HINT_MAX_REMAINING = 0.5


@dataclass(frozen=True)
class Region:
    """The area a run covers.

    Attributes
    ----------
    outline
        Union of all townships, EPSG:4326 lon/lat.
    metric_crs
        Projected CRS for areas and distances (metres).
    area_km2
        Area of the outline (km²), measured in ``metric_crs``.
    """

    outline: shapely.Geometry
    metric_crs: CRS
    area_km2: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Lon/lat extent as (west, south, east, north), degrees."""
        west, south, east, north = shapely.bounds(self.outline).tolist()
        return west, south, east, north


def from_townships(townships: gpd.GeoDataFrame, *, metric_crs: str = "auto") -> Region:
    """Build the region from loaded townships.

    Parameters
    ----------
    townships
        Townships in EPSG:4326, as returned by :func:`geohealth.inputs.boundaries.load`.
    metric_crs
        ``"auto"`` for the UTM zone of the region's centre, or any CRS pyproj accepts.

    Returns
    -------
    Region
        Outline, metric CRS and area.
    """
    wgs = townships.to_crs(WGS84)
    outline = shapely.union_all(wgs.geometry.to_numpy())
    crs = (
        wgs.estimate_utm_crs()
        if metric_crs == "auto"
        else parse_crs(metric_crs, config_key="region.metric_crs")
    )
    area = float(gpd.GeoSeries([outline], crs=WGS84).to_crs(crs).area.iloc[0]) / 1e6
    return Region(outline=outline, metric_crs=crs, area_km2=area)


def resolve_overlaps(
    frame: gpd.GeoDataFrame,
    *,
    labels: list[str],
    source: str,
    sliver_share: float = SLIVER_SHARE,
    sliver_km2: float = SLIVER_KM2,
) -> gpd.GeoDataFrame:
    """Make townships disjoint: each overlap is kept by the smaller township, cut from the larger.

    Candidate pairs come from an STR-tree query; overlaps are :func:`shapely.intersection`
    of those pairs, measured (km²) in the UTM zone of the layer's centre. On equal areas the
    later feature keeps the overlap. See the module docstring for the rule.

    Parameters
    ----------
    frame
        Valid township polygons in any CRS.
    labels
        A readable label per row ("城关镇 (239901100000)"), for messages.
    source
        The file name, for messages.
    sliver_share, sliver_km2
        Overlaps below both this share of the smaller township's area and this area (km²)
        are cut without a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        ``frame`` (a copy when anything was cut) with disjoint polygons. ``attrs["overlaps"]``
        lists the overlaps warned about as ``(kept_row, cut_row, km2)``.

    Raises
    ------
    InputError
        If a township lies entirely inside smaller ones (nothing of it would remain).

    Warns
    -----
    OverlappingTownshipsWarning
        One line per overlapping pair above the sliver tolerance.
    """
    geoms = frame.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if left.size == 0:
        return frame
    metric_crs = frame.estimate_utm_crs()
    area_km2 = frame.to_crs(metric_crs).area.to_numpy() / 1e6
    overlaps = shapely.intersection(geoms[left], geoms[right])
    overlap_km2 = (
        gpd.GeoSeries(polygonal(overlaps), crs=frame.crs).to_crs(metric_crs).area.to_numpy() / 1e6
    )
    real = overlap_km2 > 0  # neighbours share only edges (lines, zero area)
    left, right, overlap_km2 = left[real], right[real], overlap_km2[real]
    if left.size == 0:
        return frame
    # the smaller keeps the overlap; on equal areas the later feature (right > left) keeps it
    right_smaller = area_km2[right] <= area_km2[left]
    small = np.where(right_smaller, right, left)
    large = np.where(right_smaller, left, right)
    share = overlap_km2 / area_km2[small]
    sliver = (share < sliver_share) & (overlap_km2 < sliver_km2)
    warned = []
    for s, g, km2, sh, quiet in zip(small, large, overlap_km2, share, sliver, strict=True):
        if quiet:
            log.debug(
                "%s: sliver overlap of %.5f km² between %s and %s cut from %s",
                source,
                km2,
                labels[g],
                labels[s],
                labels[g],
            )
            continue
        name = labels[s].split(" (")[0]
        msg = (
            f"{source}: {labels[g]} and {labels[s]} overlap by {km2:.2f} km² ({sh:.0%} of "
            f"{name}) — counted once, in {name} (the smaller); fix the boundaries if that is "
            "wrong"
        )
        warnings.warn(msg, OverlappingTownshipsWarning, stacklevel=3)
        warned.append((int(s), int(g), float(km2)))
    # cut from each larger township the union of its smaller overlapping partners
    order = np.argsort(large, kind="stable")
    large_sorted, small_sorted = large[order], small[order]
    cut_rows, starts = np.unique(large_sorted, return_index=True)
    partners = np.split(small_sorted, starts[1:])
    cutters = np.array([shapely.union_all(geoms[p]) for p in partners], dtype=object)
    fixed = geoms.copy()
    fixed[cut_rows] = polygonal(shapely.difference(geoms[cut_rows], cutters))
    gone = shapely.is_empty(fixed[cut_rows]) | (shapely.area(fixed[cut_rows]) <= 0)
    if gone.any():
        names = ", ".join(labels[i] for i in cut_rows[gone][:5])
        msg = (
            f"{source}: {names} lie(s) entirely inside smaller townships — remove the "
            "duplicate or fix the boundaries"
        )
        raise InputError(msg)
    out = frame.copy()
    out[out.geometry.name] = gpd.GeoSeries(fixed, index=frame.index, crs=frame.crs)
    out.attrs["overlaps"] = warned
    return out


def _misplaced(
    lon: np.ndarray,
    lat: np.ndarray,
    tree: shapely.STRtree,
    keys: tuple[np.ndarray, np.ndarray],
    stated: np.ndarray,
) -> np.ndarray:
    """Flag points outside every township, or outside the township they state (name/code)."""
    point_rows, town_rows = tree.query(shapely.points(lon, lat), predicate="within")
    inside = np.zeros(lon.size, dtype=bool)
    inside[point_rows] = True
    names, codes = keys
    claim = stated[point_rows]
    agrees = (names[town_rows] == claim) | (codes[town_rows] == claim)
    right = np.zeros(lon.size, dtype=bool)
    right[point_rows[agrees]] = True
    has_claim = stated != ""
    return ~inside | (has_claim & ~right)


def _system_name(system: str) -> str:
    return {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}.get(system, system)


def gcj02_offset_hint(
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    source: str = "facilities",
    townships_system: str | None = None,
    facilities_system: str | None = None,
) -> str | None:
    """Tell whether facilities and townships look offset by a web-map coordinate system.

    A facility is misplaced when it lies outside every township, or outside the township
    its ``township`` column (所属乡镇) names. The facilities are placed as loaded and as
    they would be under each alternative reading: the facilities' raw coordinates in
    another system, or the townships' outlines in another system (lon/lat files only). The
    hint is returned when the best alternative places at least :data:`HINT_MIN_FIXED` more
    facilities right and leaves at most :data:`HINT_MAX_REMAINING` of the misplaced ones.
    Cost: five point-in-polygon queries on one STR-tree.

    Parameters
    ----------
    townships
        As returned by :func:`geohealth.inputs.boundaries.load` (EPSG:4326).
    facilities
        As returned by :func:`geohealth.inputs.facilities.load` (EPSG:4326).
    source
        The facilities' file name, for the message.
    townships_system, facilities_system
        The declared coordinate systems (``"wgs84"``, ``"gcj02"``, ``"bd09"``); by default
        read from each layer's ``attrs["coordinate_system"]`` (WGS-84 when absent).

    Returns
    -------
    str or None
        A one-line warning naming the likely cause and the key to set, or None when the
        layers agree as declared.
    """
    t_system = townships_system or townships.attrs.get("coordinate_system") or "wgs84"
    f_system = facilities_system or facilities.attrs.get("coordinate_system") or "wgs84"
    if len(facilities) == 0 or len(townships) == 0:
        return None
    towns = townships.to_crs(WGS84)
    points = facilities.to_crs(WGS84).geometry.to_numpy()
    present = ~(shapely.is_missing(points) | shapely.is_empty(points))
    lon, lat = shapely.get_x(points[present]), shapely.get_y(points[present])
    stated = (
        facilities["township"].astype("string").str.strip().fillna("").to_numpy(dtype=object)
        if "township" in facilities.columns
        else np.full(len(facilities), "", dtype=object)
    )[present]
    keys = (
        towns["name"].astype(str).to_numpy(dtype=object),
        towns["code"].astype(str).to_numpy(dtype=object),
    )
    tree = shapely.STRtree(towns.geometry.to_numpy())
    declared = int(_misplaced(lon, lat, tree, keys, stated).sum())
    if declared < HINT_MIN_FIXED:
        return None
    source_crs = townships.attrs.get("source_crs")
    towns_lonlat = source_crs is None or CRS.from_user_input(source_crs).is_geographic
    candidates = []  # (misplaced, prefer, layer, system, lon, lat)
    for alt in coords.COORDINATE_SYSTEMS:
        if alt != f_system:
            raw = coords.from_wgs84(lon, lat, f_system)  # type: ignore[arg-type]
            moved = coords.to_wgs84(*raw, alt)  # type: ignore[arg-type]
            candidates.append(("facilities", alt, *moved))
        if alt != t_system and towns_lonlat:
            # outlines read as `alt` instead: equivalently, move the points the other way
            raw = coords.from_wgs84(lon, lat, alt)  # type: ignore[arg-type]
            moved = coords.to_wgs84(*raw, t_system)  # type: ignore[arg-type]
            candidates.append(("boundaries", alt, *moved))
    scored = [
        (int(_misplaced(c_lon, c_lat, tree, keys, stated).sum()), layer, alt, c_lon, c_lat)
        for layer, alt, c_lon, c_lat in candidates
    ]
    current = {"facilities": f_system, "boundaries": t_system}
    scored.sort(key=lambda c: (c[0], current[c[1]] != "wgs84"))
    best, layer, alt, b_lon, b_lat = scored[0]
    if declared - best < HINT_MIN_FIXED or best > HINT_MAX_REMAINING * declared:
        return None
    metres = np.hypot(
        (b_lon - lon) * np.cos(np.radians(lat)) * 111_320.0, (b_lat - lat) * 110_574.0
    )
    what = "townships" if layer == "boundaries" else "facilities"
    advice = f"set {layer}.coordinate_system = '{alt}'"
    other = next((c for c in scored[1:] if c[0] == best and c[1] != layer), None)
    if other is not None:
        advice += f" (or, if the {what} are right, {other[1]}.coordinate_system = '{other[2]}')"
    msg = (
        f"{source}: {declared} of {lon.size} facilities lie outside their township as loaded "
        f"but only {best} would if the {what} were {_system_name(alt)} rather than "
        f"{_system_name(current[layer])} (a shift of ~{np.median(metres):.0f} m) — the "
        f"{what} look like {_system_name(alt)}"
        + (" (exported from a web map)" if alt != "wgs84" else "")
        + f": {advice}"
    )
    log.debug(
        "offset hint: %d misplaced as declared; %s",
        declared,
        ", ".join(f"{c[1]} {c[2]}: {c[0]}" for c in scored),
    )
    return msg
