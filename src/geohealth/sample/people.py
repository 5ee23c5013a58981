"""The sample county's people: a WorldPop-style raster and census totals per township.

The raster has 3 arc-second cells (about 65 m × 90 m here) in EPSG:4326, persons per cell
as float32, nodata -99999 outside the county and on the reservoir — the layout of WorldPop's
country rasters. Each settlement's people are spread by a Gaussian of its own width. Census
totals per township are the raster's sum with a few per cent of disagreement, as between a
census and a modelled surface.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import Transformer

from geohealth.outputs import write_geotiff
from geohealth.sample.layout import LAYOUT_CRS, Layout

CELL_DEG = 1.0 / 1200.0  # 3 arc-seconds, WorldPop's 100 m product
NODATA = -99999.0


def raster(layout: Layout) -> tuple[np.ndarray, Affine]:
    """Model persons per cell.

    Parameters
    ----------
    layout
        The sample county.

    Returns
    -------
    tuple
        float32 array (nodata = :data:`NODATA`) and its EPSG:4326 transform.
    """
    to_wgs = Transformer.from_crs(LAYOUT_CRS, 4326, always_xy=True)
    to_utm = Transformer.from_crs(4326, LAYOUT_CRS, always_xy=True)
    lon0, lat0, lon1, lat1 = shapely.bounds(
        shapely.transform(
            layout.outline, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1]))
        )
    ).tolist()
    west = np.floor(lon0 / CELL_DEG) * CELL_DEG - 2 * CELL_DEG
    north = np.ceil(lat1 / CELL_DEG) * CELL_DEG + 2 * CELL_DEG
    cols = int(np.ceil((lon1 - west) / CELL_DEG)) + 2
    rows = int(np.ceil((north - lat0) / CELL_DEG)) + 2
    transform = Affine(CELL_DEG, 0.0, west, 0.0, -CELL_DEG, north)
    lon = west + (np.arange(cols) + 0.5) * CELL_DEG
    lat = north - (np.arange(rows) + 0.5) * CELL_DEG
    glon, glat = np.meshgrid(lon, lat)
    gx, gy = to_utm.transform(glon, glat)
    land = shapely.contains_xy(layout.outline, gx, gy) & ~shapely.contains_xy(layout.lake, gx, gy)
    values = np.zeros((rows, cols))
    cell_x = np.abs(np.gradient(gx, axis=1)).mean()
    cell_y = np.abs(np.gradient(gy, axis=0)).mean()
    # each settlement's window is centred on its own cell: the degree grid is turned against
    # the metric layout (about 1° here), so offsets from the grid's corner would miss
    s_lon, s_lat = to_wgs.transform(
        layout.settlements["x"].to_numpy(), layout.settlements["y"].to_numpy()
    )
    s_col = (np.asarray(s_lon) - west) / CELL_DEG
    s_row = (north - np.asarray(s_lat)) / CELL_DEG
    for s, col, row in zip(layout.settlements.itertuples(), s_col, s_row, strict=True):
        reach = 3.5 * s.spread_m
        c0 = max(int(col - reach / cell_x) - 2, 0)
        c1 = min(int(col + reach / cell_x) + 3, cols)
        r0 = max(int(row - reach / cell_y) - 2, 0)
        r1 = min(int(row + reach / cell_y) + 3, rows)
        wx, wy = gx[r0:r1, c0:c1], gy[r0:r1, c0:c1]
        kernel = np.exp(-((wx - s.x) ** 2 + (wy - s.y) ** 2) / (2 * s.spread_m**2))
        kernel *= land[r0:r1, c0:c1]
        if kernel.sum() > 0:
            values[r0:r1, c0:c1] += s.population * kernel / kernel.sum()
    values = np.round(values, 3)
    values[~land] = NODATA
    return values.astype(np.float32), transform


def census_totals(
    values: np.ndarray, transform: Affine, layout: Layout, rng: np.random.Generator
) -> np.ndarray:
    """Census population per township: the raster's sum with ±2 % disagreement.

    Parameters
    ----------
    values, transform
        The raster (EPSG:4326).
    layout
        The sample county.
    rng
        Random generator (seeded by the caller).

    Returns
    -------
    numpy.ndarray
        Whole persons per township, in the layout's township order.
    """
    to_wgs = Transformer.from_crs(LAYOUT_CRS, 4326, always_xy=True)
    polygons = [
        shapely.transform(g, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
        for g in layout.townships["geometry"]
    ]
    index = rasterio.features.rasterize(
        zip(polygons, range(len(polygons)), strict=True),
        out_shape=values.shape,
        transform=transform,
        fill=-1,
        dtype="int32",
    )
    people = np.where(values == NODATA, 0.0, values)
    sums = np.bincount(index[index >= 0], weights=people[index >= 0], minlength=len(polygons))
    return np.round(sums * (1.0 + rng.normal(0.0, 0.02, len(sums))), -1)


def write_raster(values: np.ndarray, transform: Affine, path: Path) -> None:
    """Write the raster as a compressed GeoTIFF, atomically.

    Parameters
    ----------
    values, transform
        The raster (EPSG:4326).
    path
        Output ``.tif``.
    """
    write_geotiff(
        path,
        values,
        transform=transform,
        crs="EPSG:4326",
        nodata=NODATA,
        tags={
            "SOURCE": "geohealth sample county (synthetic; not real people)",
            "UNITS": "persons per cell",
        },
    )
