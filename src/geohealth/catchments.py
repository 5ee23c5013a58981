"""Per-facility results: whom each facility serves, and where the unserved live.

A facility's *catchment* is the people whose nearest facility (of the same care group, by
travel time) it is — every person counts once. Its *population within* a threshold is
everyone who can reach it within that time, whichever facility is nearest, so neighbouring
facilities share people there.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from pyproj import Transformer

from geohealth.inputs.population import PopulationGrid
from geohealth.traveltime import PairTimes

#: Columns of the facility table, in order (a stable output contract).
FACILITY_COLUMNS = (
    "facility_id",
    "name",
    "level",
    "group",
    "mode",
    "threshold_min",
    "beds",
    "catchment_population",
    "population_within",
    "beds_per_1000_catchment",
    "e2sfca_beds_per_1000",
)


def facility_table(
    facilities: pd.DataFrame,
    grid: PopulationGrid,
    nearest: np.ndarray,
    cells: tuple[np.ndarray, np.ndarray, PairTimes],
    thresholds_min: Sequence[float],
    *,
    mode: str,
    group: str,
    e2sfca_ratio: np.ndarray | None = None,
) -> pd.DataFrame:
    """Catchment and population within each threshold for every facility of a group.

    Parameters
    ----------
    facilities
        The group's facilities (``facility_id``, ``name``, ``level``, ``beds``), in the
        order the travel times index them.
    grid
        Persons per cell.
    nearest
        Index of each cell's nearest facility (the grid's shape; ``-1`` for none).
    cells
        Row and column of the populated cells and their travel times to the facilities,
        from :func:`geohealth.traveltime.cell_pair_times` with a limit of at least the
        largest threshold.
    thresholds_min
        Time limits (minutes).
    mode, group
        Travel mode and care group, copied into the table.
    e2sfca_ratio
        Each facility's beds per 1 000 distance-weighted residents (NaN when nobody is
        within its catchment); NaN for all when None.

    Returns
    -------
    pandas.DataFrame
        :data:`FACILITY_COLUMNS`, one row per facility and threshold. The catchments add
        up to everyone who can reach a facility of the group.
    """
    n = len(facilities)
    people = np.nan_to_num(grid.values, nan=0.0)
    served = nearest >= 0
    catchment = np.bincount(nearest[served], weights=people[served], minlength=n)
    beds = facilities["beds"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_1000 = np.where(catchment > 0, beds / catchment * 1000.0, np.nan)
    rows, cols, pairs = cells
    cell_people = people[rows, cols]
    reached_by = np.zeros((len(thresholds_min), n))
    for part in pairs.parts():  # a few million pairs at a time: a province has tens of millions
        pair_people = cell_people[part.origin]
        for k, limit in enumerate(thresholds_min):
            within = part.minutes <= limit
            reached_by[k] += np.bincount(
                part.facility[within], weights=pair_people[within], minlength=n
            )
    ratio = np.full(n, np.nan) if e2sfca_ratio is None else e2sfca_ratio
    frames = []
    for limit, reached in zip(thresholds_min, reached_by, strict=True):
        frames.append(
            pd.DataFrame(
                {
                    "facility_id": facilities["facility_id"].to_numpy(),
                    "name": facilities["name"].to_numpy(),
                    "level": facilities["level"].to_numpy(),
                    "group": group,
                    "mode": mode,
                    "threshold_min": float(limit),
                    "beds": beds,
                    "catchment_population": catchment,
                    "population_within": reached,
                    "beds_per_1000_catchment": per_1000,
                    "e2sfca_beds_per_1000": ratio,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(FACILITY_COLUMNS)]


def _cell_polygons(grid: PopulationGrid, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Square polygons of grid cells, in the grid's CRS."""
    t = grid.transform
    x0 = t.c + cols * t.a
    y0 = t.f + rows * t.e
    return shapely.box(
        np.minimum(x0, x0 + t.a),
        np.minimum(y0, y0 + t.e),
        np.maximum(x0, x0 + t.a),
        np.maximum(y0, y0 + t.e),
    )


def catchment_polygons(
    grid: PopulationGrid, nearest: np.ndarray, facilities: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Merge the cells whose nearest facility is the same into that facility's catchment.

    Parameters
    ----------
    grid
        The population grid (its cells and CRS).
    nearest
        Index of each cell's nearest facility (``-1`` for none).
    facilities
        The facilities (``facility_id``, ``name``, ``level``) in index order.

    Returns
    -------
    geopandas.GeoDataFrame
        One (multi)polygon per facility that serves any cell, EPSG:4326, with ``facility_id``,
        ``name``, ``level``, ``population`` and ``area_km2``.
    """
    people = np.nan_to_num(grid.values, nan=0.0)
    index, geoms = _merged_cells(nearest.astype(np.int32), nearest >= 0, grid)
    served = nearest >= 0
    population = np.bincount(nearest[served], weights=people[served], minlength=len(facilities))
    area = np.bincount(
        nearest[served], weights=grid.cell_area_km2()[served], minlength=len(facilities)
    )
    frame = gpd.GeoDataFrame(
        {
            "facility_id": facilities["facility_id"].to_numpy()[index],
            "name": facilities["name"].to_numpy()[index],
            "level": facilities["level"].to_numpy()[index],
            "population": population[index],
            "area_km2": area[index],
        },
        geometry=geoms,
        crs=grid.crs,
    )
    return frame.to_crs(4326)


def _merged_cells(
    label: np.ndarray, mask: np.ndarray, grid: PopulationGrid
) -> tuple[np.ndarray, np.ndarray]:
    """Merge a grid's cells by label: the labels (ascending) and one geometry each.

    rasterio traces each connected run of a label as one polygon; runs of a label never
    overlap (at most they touch at a corner), so a label's runs together are a valid
    multipolygon as they are — no union, whose cost grows faster than the region. The
    traced rings become polygons in one call (:func:`shapely.from_ragged_array`).
    """
    coords: list[tuple[float, float]] = []
    ring_sizes: list[int] = []
    ring_counts: list[int] = []
    values: list[float] = []
    shapes = rasterio.features.shapes(label, mask=mask, transform=grid.transform, connectivity=4)
    for geom, value in shapes:
        rings = geom["coordinates"]
        for ring in rings:
            coords.extend(ring)
            ring_sizes.append(len(ring))
        ring_counts.append(len(rings))
        values.append(value)
    if not values:
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    pieces = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON,
        np.asarray(coords, dtype=float),
        (np.cumsum([0, *ring_sizes]), np.cumsum([0, *ring_counts])),
    )
    index, label_of = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
    order = np.argsort(label_of, kind="stable")
    return index, shapely.multipolygons(pieces[order], indices=label_of[order])


def _beyond(
    grid: PopulationGrid, minutes: np.ndarray, limit_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Persons per cell, and the rows and columns of cells with people beyond the limit."""
    people = np.nan_to_num(grid.values, nan=0.0)
    rows, cols = np.nonzero((people > 0) & ~(minutes <= limit_min))
    return people, rows, cols


def uncovered_cells(
    grid: PopulationGrid, minutes: np.ndarray, limit_min: float
) -> gpd.GeoDataFrame:
    """Cells where people live beyond a time limit of care (or cannot reach it at all).

    Parameters
    ----------
    grid
        Persons per cell.
    minutes
        Minutes to the nearest facility per cell (``inf``: unreachable).
    limit_min
        The target (minutes).

    Returns
    -------
    geopandas.GeoDataFrame
        One square per cell with people beyond the limit, EPSG:4326, with ``population`` and
        ``minutes`` (missing where no facility can be reached).
    """
    people, rows, cols = _beyond(grid, minutes, limit_min)
    time = minutes[rows, cols]
    frame = gpd.GeoDataFrame(
        {
            "population": people[rows, cols],
            "minutes": np.where(np.isfinite(time), time, np.nan),
        },
        geometry=_cell_polygons(grid, rows, cols),
        crs=grid.crs,
    )
    return frame.to_crs(4326)


def uncovered_areas(
    grid: PopulationGrid,
    minutes: np.ndarray,
    limit_min: float,
    townships: gpd.GeoDataFrame,
    zones: np.ndarray,
) -> gpd.GeoDataFrame:
    """Where people live beyond a time limit of care, merged by township and how far.

    Cells with people beyond the limit are merged into areas of the same township and the
    same band of time: up to 2× the limit, up to 4×, beyond, and no care reachable at all
    (no road within the walking reach, or none leading to care). One row per area, a few
    hundred for a county instead of one per cell.

    Parameters
    ----------
    grid
        Persons per cell.
    minutes
        Minutes to the nearest facility per cell (``inf``: unreachable).
    limit_min
        The target (minutes).
    townships
        Townships with ``code`` and ``name``.
    zones
        ``grid.township_index(townships)``: the township of each cell (−1: none).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326; ``code``, ``name``, ``band`` (e.g. "15–30 min", "no care reachable"),
        ``from_min``, ``to_min`` (``inf`` for the last bands), ``population``, ``cells``.
    """
    people, rows, cols = _beyond(grid, minutes, limit_min)
    edges = np.array([limit_min, 2 * limit_min, 4 * limit_min, np.inf])
    time = minutes[rows, cols]
    band = np.where(np.isfinite(time), np.searchsorted(edges, time, side="left") - 1, 3)
    band = np.clip(band, 0, 3)
    zone = zones[rows, cols]
    n_town = len(townships)
    label = np.zeros(grid.shape, dtype=np.int32)  # 0: nothing to draw
    key = (np.where(zone >= 0, zone, n_town) * 4 + band + 1).astype(np.int32)
    label[rows, cols] = key
    k, geoms = _merged_cells(label, label > 0, grid)
    weight = np.bincount(key, weights=people[rows, cols], minlength=(n_town + 1) * 4 + 1)
    count = np.bincount(key, minlength=(n_town + 1) * 4 + 1)
    town, which = (k - 1) // 4, (k - 1) % 4
    codes = np.append(townships["code"].astype(str).to_numpy(), "")
    names = np.append(townships["name"].astype(str).to_numpy(), "")
    labels = [
        f"{limit_min:g}–{2 * limit_min:g} min",
        f"{2 * limit_min:g}–{4 * limit_min:g} min",
        f"> {4 * limit_min:g} min",
        "no care reachable",
    ]
    out = gpd.GeoDataFrame(
        {
            "code": codes[town],
            "name": names[town],
            "band": [labels[b] for b in which],
            "from_min": np.array([limit_min, 2 * limit_min, 4 * limit_min, np.inf])[which],
            "to_min": np.array([2 * limit_min, 4 * limit_min, np.inf, np.inf])[which],
            "population": weight[k],
            "cells": count[k],
        },
        geometry=geoms,
        crs=grid.crs,
    )
    return out.to_crs(4326)


def hotspots(
    grid: PopulationGrid, minutes: np.ndarray, limit_min: float, *, block_m: float = 1000.0
) -> pd.DataFrame:
    """People beyond a time limit, summed on square blocks of about ``block_m``.

    Parameters
    ----------
    grid
        Persons per cell.
    minutes
        Minutes to the nearest facility per cell (``inf``: unreachable).
    limit_min
        The target (minutes).
    block_m
        Block side (metres, rounded to whole cells; cells of a geographic grid count as
        about 111 km per degree).

    Returns
    -------
    pandas.DataFrame
        ``lon``, ``lat`` (people-weighted centre of the block's uncovered cells) and
        ``population`` per block with anyone uncovered, largest first. The populations add
        up to everyone uncovered.
    """
    people, rows, cols = _beyond(grid, minutes, limit_min)
    size = abs(grid.transform.a) * (111_000.0 if grid.crs.is_geographic else 1.0)
    k = max(1, round(block_m / size))
    block = (rows // k) * (grid.shape[1] // k + 1) + cols // k
    w = people[rows, cols]
    x = grid.transform.c + (cols + 0.5) * grid.transform.a
    y = grid.transform.f + (rows + 0.5) * grid.transform.e
    frame = pd.DataFrame({"block": block, "w": w, "wx": w * x, "wy": w * y})
    sums = frame.groupby("block")[["w", "wx", "wy"]].sum()
    lon, lat = Transformer.from_crs(grid.crs, 4326, always_xy=True).transform(
        (sums["wx"] / sums["w"]).to_numpy(), (sums["wy"] / sums["w"]).to_numpy()
    )
    table = pd.DataFrame({"lon": lon, "lat": lat, "population": sums["w"].to_numpy()})
    return table.sort_values("population", ascending=False, ignore_index=True)
