"""Where people live: a population raster, or township totals spread over townships.

Two sources, one result type (:class:`PopulationGrid`, persons per cell, NaN = nodata):

* :func:`load_raster` reads a GeoTIFF of persons per cell (WorldPop style, any CRS) with
  rasterio, respecting its nodata value.
* :func:`from_township_totals` spreads each township's census total evenly over the grid
  cells whose centre lies inside it (areal weighting: every cell of a township gets
  total / cells). A township too small to hold a cell centre puts its total in the cell under
  its representative point. Totals are preserved exactly.
* :func:`rescale_to_totals` combines both (dasymetric mapping): the raster gives where people
  live inside a township, the census gives how many.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.transform
from affine import Affine
from pyproj import CRS

from geohealth.errors import InputError, NoCrsError
from geohealth.inputs import tables
from geohealth.inputs.geometry import parse_crs
from geohealth.inputs.region import Region

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PopulationGrid:
    """Persons per cell on a regular grid.

    Attributes
    ----------
    values
        2-D float64 array of persons per cell; NaN where there is no data.
    transform
        Affine transform from (col, row) to the CRS's coordinates.
    crs
        The grid's CRS.
    source
        Where the numbers came from, for summaries.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS
    source: str

    @property
    def total(self) -> float:
        """Sum of persons over all cells with data."""
        return float(np.nansum(self.values))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        rows, cols = self.values.shape
        return rows, cols

    @property
    def nodata_cells(self) -> int:
        """Number of cells without data."""
        return int(np.isnan(self.values).sum())

    def township_index(self, townships: gpd.GeoDataFrame) -> np.ndarray:
        """Label each cell with the row number of the township containing its centre.

        Parameters
        ----------
        townships
            Townships in any CRS (reprojected to the grid's).

        Returns
        -------
        numpy.ndarray
            int32 array of the grid's shape; -1 outside every township.
        """
        shapes = zip(
            townships.to_crs(self.crs).geometry.to_numpy(), range(len(townships)), strict=True
        )
        return rasterio.features.rasterize(
            shapes,
            out_shape=self.shape,
            transform=self.transform,
            fill=-1,
            dtype="int32",
            all_touched=False,
        )


def load_raster(
    path: str | Path, *, band: int = 1, crs: str | None = None, nodata: float | None = None
) -> PopulationGrid:
    """Read a population raster (persons per cell).

    The whole band is read into memory: 8 bytes per cell (a county at 100 m is a few MB).

    Parameters
    ----------
    path
        A GeoTIFF (or any raster GDAL reads).
    band
        Band number, from 1.
    crs
        CRS to assume when the file declares none.
    nodata
        Nodata value to use instead of (or when missing) the file's own.

    Returns
    -------
    PopulationGrid
        Persons per cell in the raster's own CRS and grid.

    Raises
    ------
    InputFileNotFoundError, NoCrsError, InputError
        Missing file, no CRS, unreadable file, negative values or no data at all.
    """
    path = Path(path)
    source = path.name
    tables.require_file(path, config_key="population.raster")
    try:
        dataset = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{source}: not a readable raster ({exc}) — give a GeoTIFF"
        raise InputError(msg) from None
    with dataset:
        if band > dataset.count:
            msg = f"{source}: has {dataset.count} band(s), population.band is {band} — fix it"
            raise InputError(msg)
        if dataset.crs is None:
            if crs is None:
                msg = (
                    f"{source}: the raster has no CRS — set population.crs (WorldPop rasters "
                    "are 'EPSG:4326')"
                )
                raise NoCrsError(msg)
            grid_crs = parse_crs(crs, config_key="population.crs")
        else:
            grid_crs = CRS.from_user_input(dataset.crs)
        values = dataset.read(band).astype(np.float64)
        file_nodata = dataset.nodatavals[band - 1]
        transform = dataset.transform
    nodata_value = nodata if nodata is not None else file_nodata
    mask = ~np.isfinite(values)
    if nodata_value is not None and np.isfinite(nodata_value):
        mask |= values == nodata_value
    values[mask] = np.nan
    negative = values < 0
    if negative.any():
        low = float(np.nanmin(values))
        hint = (
            "the nodata value is not declared — set population.nodata (WorldPop uses -99999)"
            if nodata_value is None
            else f"nodata is {nodata_value:g} but other negative values remain — set "
            "population.nodata to the right value"
        )
        msg = (
            f"{source}: {int(negative.sum())} cells hold negative values (down to {low:g}); {hint}"
        )
        raise InputError(msg)
    if mask.all():
        msg = f"{source}: every cell is nodata — check population.band and population.nodata"
        raise InputError(msg)
    log.info(
        "read %s: %d×%d cells, %.0f persons, %d nodata cells",
        source,
        values.shape[0],
        values.shape[1],
        np.nansum(values),
        int(mask.sum()),
    )
    return PopulationGrid(values=values, transform=transform, crs=grid_crs, source=source)


def zonal_totals(grid: PopulationGrid, townships: gpd.GeoDataFrame) -> tuple[pd.Series, float]:
    """Sum a grid's persons per township (cells assigned by their centre).

    Parameters
    ----------
    grid
        Persons per cell.
    townships
        Townships with a ``code`` column.

    Returns
    -------
    tuple
        Persons per township (a Series indexed by code, in the townships' order) and the
        persons in cells outside every township.
    """
    index = grid.township_index(townships)
    values = np.nan_to_num(grid.values, nan=0.0)
    inside = index >= 0
    sums = np.bincount(index[inside], weights=values[inside], minlength=len(townships))
    per_township = pd.Series(
        sums, index=pd.Index(townships["code"], name="code"), name="population"
    )
    return per_township, float(values[~inside].sum())


def _require_totals(townships: gpd.GeoDataFrame) -> np.ndarray:
    totals = townships["population"].to_numpy(dtype=float)
    missing = ~np.isfinite(totals)
    if missing.any():
        names = ", ".join(townships["name"].to_numpy()[missing][:5].astype(str))
        msg = (
            f"township population is missing for {names} — add the census totals to the "
            "boundaries file (boundaries.population_column) or use a population raster"
        )
        raise InputError(msg)
    return totals


def from_township_totals(
    townships: gpd.GeoDataFrame, *, region: Region, resolution_m: float = 100.0
) -> PopulationGrid:
    """Spread township census totals evenly over each township (areal weighting).

    Parameters
    ----------
    townships
        Townships with ``population`` (persons) filled in.
    region
        The study region; the grid is laid in its metric CRS.
    resolution_m
        Cell size (metres).

    Returns
    -------
    PopulationGrid
        Persons per cell in ``region.metric_crs``; NaN outside every township. Each
        township's cells sum to its total exactly (up to float rounding).

    Raises
    ------
    InputError
        If a township has no population total.
    """
    totals = _require_totals(townships)
    metric = townships.to_crs(region.metric_crs)
    west, south, east, north = metric.total_bounds
    cols = max(1, int(np.ceil((east - west) / resolution_m)))
    rows = max(1, int(np.ceil((north - south) / resolution_m)))
    transform = Affine(resolution_m, 0.0, west, 0.0, -resolution_m, north)
    grid = PopulationGrid(
        values=np.full((rows, cols), np.nan),
        transform=transform,
        crs=region.metric_crs,
        source="township totals (areal)",
    )
    index = grid.township_index(metric)
    counts = np.bincount(index[index >= 0], minlength=len(metric))
    values = np.full((rows, cols), np.nan)
    inside = index >= 0
    per_cell = np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)
    values[inside] = per_cell[index[inside]]
    for i in np.flatnonzero(counts == 0):
        point = metric.geometry.iloc[i].representative_point()
        row, col = rasterio.transform.rowcol(transform, point.x, point.y)
        r = min(max(int(row), 0), rows - 1)
        c = min(max(int(col), 0), cols - 1)
        values[r, c] = np.nan_to_num(values[r, c]) + totals[i]
        log.info(
            "township %s is smaller than one %g m cell; its %g persons sit in one cell",
            metric["name"].iloc[i],
            resolution_m,
            totals[i],
        )
    return PopulationGrid(
        values=values, transform=transform, crs=region.metric_crs, source="township totals (areal)"
    )


def rescale_to_totals(grid: PopulationGrid, townships: gpd.GeoDataFrame) -> PopulationGrid:
    """Scale a raster inside each township so its cells sum to the census total (dasymetric).

    Parameters
    ----------
    grid
        Persons per cell from a raster (the distribution).
    townships
        Townships with ``population`` (the totals).

    Returns
    -------
    PopulationGrid
        Same grid; cells inside a township scaled by total / raster sum. Cells outside every
        township are unchanged. A township whose raster cells sum to zero is spread evenly.

    Raises
    ------
    InputError
        If a township has no population total.
    """
    totals = _require_totals(townships)
    index = grid.township_index(townships)
    values = grid.values.copy()
    filled = np.nan_to_num(values, nan=0.0)
    inside = index >= 0
    sums = np.bincount(index[inside], weights=filled[inside], minlength=len(townships))
    counts = np.bincount(index[inside], minlength=len(townships))
    factor = np.divide(totals, sums, out=np.zeros_like(totals), where=sums > 0)
    scaled = filled[inside] * factor[index[inside]]
    even = sums[index[inside]] <= 0
    scaled[even] = (totals / np.maximum(counts, 1))[index[inside][even]]
    values[inside] = scaled
    return PopulationGrid(
        values=values,
        transform=grid.transform,
        crs=grid.crs,
        source=f"{grid.source} rescaled to township totals",
    )
