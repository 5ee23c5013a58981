"""A population grid set against the townships and their census totals.

:func:`check_against` sums the grid's persons per township (cells assigned by their centre,
as :func:`geohealth.inputs.population.zonal_totals` does), compares them with the census
totals in the boundaries file and returns a :class:`PopulationCheck`. A grid that misses the
townships altogether, or holds nobody inside them, is an error whose message gives both
extents in lon/lat; townships whose grid and census totals differ, or that have census people
but no grid people, are named in one warning line each.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.errors
import rasterio.transform
import rasterio.warp
import shapely

from geohealth.errors import InputError, PopulationMismatchWarning
from geohealth.inputs.geometry import WGS84
from geohealth.inputs.population import PopulationGrid, zonal_totals


@dataclass(frozen=True)
class PopulationCheck:
    """How a population grid compares with the townships and their census totals.

    Attributes
    ----------
    per_township
        Grid persons per township (indexed by code, in the townships' order).
    outside
        Grid persons outside every township.
    census
        Census persons per township (NaN where the boundaries file has none).
    mismatched
        Names of townships whose grid and census totals differ by more than the share.
    uncovered
        Names of townships with census people but no grid people (all their cells nodata
        or zero, or outside the raster).
    township_index
        The township row of every cell (-1 outside every township), as
        :meth:`~geohealth.inputs.population.PopulationGrid.township_index` gives it; later
        stages reuse it.
    """

    per_township: pd.Series
    outside: float
    census: pd.Series
    mismatched: tuple[str, ...]
    uncovered: tuple[str, ...]
    township_index: np.ndarray

    @property
    def inside(self) -> float:
        """Grid persons inside the townships."""
        return float(self.per_township.sum())


def _lonlat_extent(bounds: tuple[float, float, float, float]) -> str:
    """Write a lon/lat extent (west, south, east, north; degrees) for messages."""
    west, south, east, north = bounds
    return f"{west:.2f}–{east:.2f}°E, {south:.2f}–{north:.2f}°N"


def _grid_bounds(grid: PopulationGrid) -> tuple[float, float, float, float]:
    """Return the grid's extent (west, south, east, north) in its own CRS's units."""
    rows, cols = grid.shape
    west, south, east, north = rasterio.transform.array_bounds(rows, cols, grid.transform)
    return float(west), float(south), float(east), float(north)


def _grid_lonlat(grid: PopulationGrid) -> tuple[float, float, float, float] | None:
    """Return the grid's extent in lon/lat degrees, or None when it cannot be expressed so."""
    try:
        west, south, east, north = rasterio.warp.transform_bounds(
            grid.crs, WGS84, *_grid_bounds(grid), densify_pts=21
        )
    except (rasterio.errors.RasterioError, ValueError):
        return None
    if not np.isfinite([west, south, east, north]).all():
        return None
    return float(west), float(south), float(east), float(north)


def check_against(
    grid: PopulationGrid,
    townships: gpd.GeoDataFrame,
    *,
    source: str,
    mismatch_warn_share: float,
    compare_census: bool = True,
) -> PopulationCheck:
    """Check a population grid against the townships and their census totals.

    Parameters
    ----------
    grid
        Persons per cell (a raster, or spread township totals).
    townships
        As returned by :func:`geohealth.inputs.boundaries.load`.
    source
        The raster's file name, for messages.
    mismatch_warn_share
        Tolerated relative difference between grid and census totals (0.05 = 5 %).
    compare_census
        Warn where grid and census differ; False for a grid spread from the census itself
        (``population.source = "townships"``), which can differ only by cell rounding.

    Returns
    -------
    PopulationCheck
        Grid persons per township and outside, census totals, townships that differ.

    Raises
    ------
    InputError
        If the grid does not overlap the townships or holds no people inside them (the
        message gives both extents in lon/lat).

    Warns
    -----
    PopulationMismatchWarning
        One line when grid and census totals differ by more than ``mismatch_warn_share``
        (in total or for some townships, named); one line naming townships with census
        people but no grid people.
    """
    towns_ll = tuple(float(v) for v in townships.to_crs(WGS84).total_bounds)
    grid_ll = _grid_lonlat(grid)
    where = (
        f"the raster covers {_lonlat_extent(grid_ll)}"
        if grid_ll is not None
        else f"the raster's extent cannot be put in lon/lat (CRS {grid.crs.to_string()})"
    )
    where += f", the townships {_lonlat_extent(towns_ll)}"  # type: ignore[arg-type]
    disjoint = grid_ll is not None and (
        grid_ll[0] > towns_ll[2]
        or grid_ll[2] < towns_ll[0]
        or grid_ll[1] > towns_ll[3]
        or grid_ll[3] < towns_ll[1]
    )
    if disjoint:
        msg = (
            f"{source}: the raster does not overlap the townships ({where}) — give the raster "
            "for this county, or fix its CRS (population.crs applies when the file has none)"
        )
        raise InputError(msg)
    index = grid.township_index(townships)
    per_township, outside = zonal_totals(grid, townships, index=index)
    if per_township.sum() <= 0:
        cells = int((index >= 0).sum())
        why = (
            "no cell centre falls inside them"
            if cells == 0
            else f"all {cells:,} cells inside them are nodata or zero"
        )
        msg = (
            f"{source}: the raster holds no people inside the townships ({why}; "
            f"{grid.total:,.0f} persons in all; {where}) — give the raster for this county, "
            "or check population.band and population.nodata"
        )
        raise InputError(msg)
    census = pd.Series(
        townships["population"].to_numpy(dtype=float), index=per_township.index, name="census"
    )
    names = townships["name"].astype(str).to_numpy()
    codes = townships["code"].astype(str).to_numpy()
    raster = per_township.to_numpy()
    counted = census.to_numpy()
    has_census = np.isfinite(counted) & (counted > 0)
    cells = np.bincount(index[index >= 0], minlength=len(townships))
    metric = townships.to_crs(grid.crs).geometry.to_numpy()
    within_grid = shapely.area(shapely.intersection(metric, shapely.box(*_grid_bounds(grid))))
    mostly_outside = within_grid < 0.5 * shapely.area(metric)
    uncovered = has_census & (raster <= 0) & ((cells > 0) | mostly_outside) & compare_census
    if uncovered.any():
        listed = ", ".join(
            f"{names[i]} ({codes[i]}, {counted[i]:,.0f} persons)"
            for i in np.flatnonzero(uncovered)[:8]
        )
        more = f" and {int(uncovered.sum()) - 8} more" if uncovered.sum() > 8 else ""
        msg = (
            f"{source}: {int(uncovered.sum())} township(s) have census people but no raster "
            f"people (their cells are nodata or zero, or outside the raster): {listed}{more} "
            "— give a raster that covers the whole county, or set population.source = "
            "'townships'"
        )
        warnings.warn(msg, PopulationMismatchWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (raster - counted) / counted
    off = has_census & (np.abs(relative) > mismatch_warn_share) & compare_census
    named = off & ~uncovered
    total_census = float(counted[has_census].sum())
    total_raster = float(raster[has_census].sum())
    total_off = (
        compare_census
        and total_census > 0
        and (abs(total_raster - total_census) / total_census > mismatch_warn_share)
    )
    if named.any() or (total_off and not uncovered.any()):
        listed = ", ".join(
            f"{names[i]} ({100 * relative[i]:+.0f} %)" for i in np.flatnonzero(named)[:8]
        )
        more = f" and {int(named.sum()) - 8} more" if named.sum() > 8 else ""
        townships_part = (
            f"; {int(named.sum())} township(s) differ by more than {mismatch_warn_share:.0%} "
            f"(population.mismatch_warn_share): {listed}{more}"
            if named.any()
            else ""
        )
        msg = (
            f"{source}: raster {total_raster:,.0f} vs census {total_census:,.0f} persons in "
            f"the townships with census totals "
            f"({100 * (total_raster - total_census) / total_census:+.1f} %)"
            f"{townships_part} — check that the raster and the census cover the same area "
            "and year"
        )
        warnings.warn(msg, PopulationMismatchWarning, stacklevel=2)
    return PopulationCheck(
        per_township=per_township,
        outside=outside,
        census=census,
        mismatched=tuple(names[off].tolist()),
        uncovered=tuple(names[uncovered].tolist()),
        township_index=index,
    )
