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

:func:`zonal_totals` sums a grid per township; :mod:`geohealth.inputs.population_check`
compares a grid with the townships and their census totals.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.io
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

    def cell_area_km2(self) -> np.ndarray:
        """Area of every cell (km²): on the CRS's ellipsoid for a geographic grid, else planar.

        For a geographic grid, a cell of Δλ × Δφ degrees at latitude φ covers
        M(φ)·N(φ)·cos φ·Δλ·Δφ (radians; M and N the ellipsoid's radii of curvature in the
        meridian and the prime vertical) — for cells of a few arc-seconds within a part in
        10⁸ of the exact ellipsoidal area; projected grids have one planar cell area.

        Returns
        -------
        numpy.ndarray
            float64 array of the grid's shape; read-only, and for a north-up grid a view of
            one value per row (no memory per cell).
        """
        t = self.transform
        det = abs(t.a * t.e - t.b * t.d)  # one cell in CRS units² (degrees² when geographic)
        if not self.crs.is_geographic:
            return np.broadcast_to(det / 1e6, self.shape)
        rows, cols = np.indices(self.shape, sparse=True)
        if t.d == 0:  # north-up: the latitude is the row's
            cols = np.zeros((1, 1))
        lat = t.d * (cols + 0.5) + t.e * (rows + 0.5) + t.f  # cell centres (degrees)
        ellipsoid = self.crs.ellipsoid
        a = ellipsoid.semi_major_metre
        f = 1.0 / ellipsoid.inverse_flattening if ellipsoid.inverse_flattening else 0.0
        e2 = f * (2.0 - f)
        phi = np.radians(lat)
        w = 1.0 - e2 * np.sin(phi) ** 2
        m, n = a * (1.0 - e2) / w**1.5, a / np.sqrt(w)
        area = m * n * np.cos(phi) * det * np.radians(1.0) ** 2 / 1e6
        return np.broadcast_to(area, self.shape)

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


def _reason(exc: Exception) -> str:
    """GDAL's own words for a rasterio error (rasterio chains them as the cause)."""
    cause = exc.__cause__ or exc
    return str(cause).strip().rstrip(".") or type(exc).__name__


def _looks_like_tiff(path: Path) -> bool:
    """Tell whether a file starts like a TIFF/BigTIFF (so a failed open means damage)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    return head in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _check_complete(
    dataset: rasterio.io.DatasetReader, band: int, *, size: int, source: str
) -> None:
    """Fail when a GeoTIFF's first or last data block lies beyond the end of the file.

    A download or copy cut short keeps the TIFF header, so the file opens; without this
    check it fails only when the band is read — or, cut shorter, it seems to lack a CRS.
    """
    if dataset.driver != "GTiff":
        return
    block_rows, block_cols = dataset.block_shapes[band - 1]
    last_row = -(-dataset.height // block_rows) - 1
    last_col = -(-dataset.width // block_cols) - 1
    ends = []
    for col, row in ((0, 0), (last_col, last_row)):
        offset = dataset.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=band)
        length = dataset.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=band)
        if offset and length:
            ends.append(int(offset) + int(length))
    if ends and max(ends) > size:
        msg = (
            f"{source}: the GeoTIFF is damaged or incomplete (the file has {size:,} bytes, its "
            f"data run to byte {max(ends):,}) — re-export or re-download it"
        )
        raise InputError(msg)


def _equals_nodata(stored: np.ndarray, nodata: float) -> np.ndarray:
    """Flag cells equal to the nodata value, compared in the band's own type.

    A float32 band's nodata written in full (-3.4028234663852886e+38) or as GDAL prints it
    (-3.4028235e+38) is the same float32; comparing in float64 would miss the second.
    """
    if np.issubdtype(stored.dtype, np.floating):
        with np.errstate(over="ignore"):
            return stored == np.asarray(nodata).astype(stored.dtype)
    return stored.astype(np.float64) == float(nodata)


def _pasteable(value: float, dtype: np.dtype) -> str:
    """Write a value in full precision so it can be pasted into the configuration."""
    if np.issubdtype(dtype, np.floating):
        return repr(float(np.asarray(value).astype(dtype)))
    return repr(float(value))


class _Held(logging.Filter):
    """Hold log records back (GDAL's messages while a raster is opened and read)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return False


def _read_band(
    path: Path, *, band: int, crs: str | None, source: str
) -> tuple[np.ndarray, float | None, Affine, CRS]:
    """Open a raster and read one band: values as stored, nodata, transform and CRS."""
    try:
        with warnings.catch_warnings(record=True) as opened:
            warnings.simplefilter("always", rasterio.errors.NotGeoreferencedWarning)
            dataset = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        if _looks_like_tiff(path):
            msg = (
                f"{source}: the GeoTIFF is damaged or incomplete ({_reason(exc)}) — re-export "
                "or re-download it"
            )
        else:
            msg = f"{source}: not a readable raster ({_reason(exc)}) — give a GeoTIFF"
        raise InputError(msg) from None
    for caught in opened:  # pass on what rasterio said, except what is checked below
        if not issubclass(caught.category, rasterio.errors.NotGeoreferencedWarning):
            warnings.warn(caught.message, caught.category, stacklevel=3)
    with dataset:
        if band > dataset.count:
            msg = f"{source}: has {dataset.count} band(s), population.band is {band} — fix it"
            raise InputError(msg)
        _check_complete(dataset, band, size=path.stat().st_size, source=source)
        if dataset.crs is not None and any(
            issubclass(w.category, rasterio.errors.NotGeoreferencedWarning) for w in opened
        ):
            msg = (
                f"{source}: the raster has a CRS but no geotransform (where its cells are) — "
                "re-export it as a georeferenced GeoTIFF"
            )
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
        try:
            stored = dataset.read(band)
        except rasterio.errors.RasterioError as exc:
            msg = (
                f"{source}: the raster is damaged or incomplete (reading band {band} failed: "
                f"{_reason(exc)}) — re-export or re-download it"
            )
            raise InputError(msg) from None
        file_nodata = dataset.nodatavals[band - 1]
        transform = dataset.transform
    return stored, file_nodata, transform, grid_crs


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
        Nodata value to use instead of (or when missing) the file's own; compared in the
        band's own type, so a float32 band's -3.4028235e+38 matches.

    Returns
    -------
    PopulationGrid
        Persons per cell in the raster's own CRS and grid.

    Raises
    ------
    InputFileNotFoundError, NoCrsError, InputError
        Missing file, no CRS, unreadable or damaged (truncated) file, negative values or no
        data at all. Values in messages are written in full precision, ready to paste into
        ``population.nodata``.
    """
    path = Path(path)
    source = path.name
    tables.require_file(path, config_key="population.raster")
    gdal_log = logging.getLogger("rasterio._env")
    held = _Held()
    gdal_log.addFilter(held)  # GDAL's complaints about a damaged file: our error says it
    try:
        stored, file_nodata, transform, grid_crs = _read_band(
            path, band=band, crs=crs, source=source
        )
    finally:
        gdal_log.removeFilter(held)
    for record in held.records:  # the file was fine: pass GDAL's remarks on
        gdal_log.handle(record)
    nodata_value = nodata if nodata is not None else file_nodata
    values = stored.astype(np.float64)
    mask = ~np.isfinite(values)
    if nodata_value is not None and np.isfinite(nodata_value):
        mask |= _equals_nodata(stored, nodata_value)
    values[mask] = np.nan
    negative = values < 0
    if negative.any():
        low = float(np.nanmin(values))
        lows = np.unique(values[negative])
        suggest = (
            f"set population.nodata = {_pasteable(low, stored.dtype)}"
            if lows.size == 1
            else "set population.nodata to the value that marks no data"
        )
        hint = (
            f"the nodata value is not declared — {suggest}"
            if nodata_value is None
            else f"nodata is {_pasteable(nodata_value, stored.dtype)} but other negative values "
            f"remain — {suggest}"
        )
        msg = (
            f"{source}: {int(negative.sum())} cells hold negative values (down to "
            f"{_pasteable(low, stored.dtype)}); {hint}"
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


def zonal_totals(
    grid: PopulationGrid, townships: gpd.GeoDataFrame, *, index: np.ndarray | None = None
) -> tuple[pd.Series, float]:
    """Sum a grid's persons per township (cells assigned by their centre).

    Parameters
    ----------
    grid
        Persons per cell.
    townships
        Townships with a ``code`` column.
    index
        ``grid.township_index(townships)``, when already computed.

    Returns
    -------
    tuple
        Persons per township (a Series indexed by code, in the townships' order) and the
        persons in cells outside every township.
    """
    index = grid.township_index(townships) if index is None else index
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
