"""The sample county repeated on a square grid: one connected region for scale tests.

``K`` tiles (``√K × √K``) of the same county are laid side by side, each shifted by the
county's extent in the layout's metric CRS (:data:`~geohealth.sample.layout.LAYOUT_CRS`)
before anything is converted to WGS 84; the grid is centred on the single county, so the
region stays in north-east China. Every tile keeps the county's people (its population raster
carried over cell by cell), facilities and roads;
what must be unique is made so per tile — township names (``永安镇-07``), 12-digit codes (the
county part of the code changes per tile), facility codes and names, OSM node and way ids —
and the road networks are joined across every shared tile border by extending the national
road (G9001) east–west and the provincial road S9101 north–south from one tile's road end to
the neighbour's.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine
from pyproj import Transformer

from geohealth.errors import ConfigError
from geohealth.sample import people
from geohealth.sample.layout import LAYOUT_CRS, Layout
from geohealth.sample.names import COUNTY_CODE, COUNTY_NAME
from geohealth.sample.roads import RoadBuilder

#: Roads extended across tile borders: (ref, axis) — x joins east–west, y north–south.
CROSS_BORDER_ROADS = (("G9001", "x"), ("S9101", "y"))
#: Spacing of the shape points on a cross-border road (metres), as the trunk roads have.
CROSS_BORDER_SPACING_M = 300.0
#: Sideways wiggle of a cross-border road, as a share of its length.
CROSS_BORDER_WIGGLE = 0.03


@dataclass(frozen=True)
class Grid:
    """Where the tiles go.

    Attributes
    ----------
    side
        Tiles per row and per column (``√K``).
    width_m, height_m
        The county's extent (metres, :data:`~geohealth.sample.layout.LAYOUT_CRS`): the shift
        from one tile to the next.
    """

    side: int
    width_m: float
    height_m: float

    @property
    def count(self) -> int:
        """Number of tiles (``K``)."""
        return self.side * self.side

    @property
    def offsets(self) -> np.ndarray:
        """Shift of each tile (metres, ``(K, 2)``): tile ``row * side + col``, row 0 south."""
        steps = np.arange(self.side) - (self.side - 1) / 2.0
        col, row = np.meshgrid(steps, steps)
        return np.column_stack([col.ravel() * self.width_m, row.ravel() * self.height_m])

    def label(self, tile: int) -> str:
        """Tile label used in names (``01`` …), one-based and zero-padded."""
        return f"{tile + 1:0{max(2, len(str(self.count)))}d}"


def grid_side(count: int) -> int:
    """Check a tile count and return the tiles per side.

    Parameters
    ----------
    count
        Number of tiles ``K``: a positive square number (1, 4, 9, 16 …).

    Returns
    -------
    int
        ``√K``.

    Raises
    ------
    ConfigError
        If ``count`` is not a positive square number.
    """
    try:
        whole = operator.index(count)
    except TypeError:
        whole = 0
    side = math.isqrt(whole) if whole > 0 else 0
    if side < 1 or side * side != whole:
        msg = (
            f"tiles = {count!r} is not a positive square number — use 1, 4, 16 or 64 "
            "(the region is √K × √K copies of the county)"
        )
        raise ConfigError(msg)
    return side


def grid(layout: Layout, count: int) -> Grid:
    """Place ``count`` tiles of the county.

    Parameters
    ----------
    layout
        The single sample county.
    count
        Number of tiles ``K`` (a positive square number).

    Returns
    -------
    Grid
        Tiles per side and the shift between tiles (the county's extent, metres).
    """
    west, south, east, north = layout.outline.bounds
    return Grid(side=grid_side(count), width_m=east - west, height_m=north - south)


def county_code(tile: int) -> str:
    """Six-digit county code of a tile (no real county has one).

    Tile 0 keeps the sample county's own code; tiles count the county digits up, then the
    prefecture digits down (prefectures 99, 98 … do not exist in Heilongjiang).

    Parameters
    ----------
    tile
        Tile index (0-based).

    Returns
    -------
    str
        Province, prefecture and county digits.
    """
    prefecture = int(COUNTY_CODE[2:4]) - tile // 99
    return f"{COUNTY_CODE[:2]}{prefecture:02d}{tile % 99 + 1:02d}"


def _moved(geometry: object, dx: float, dy: float) -> object:
    """Shapely geometry (or array of them) moved by ``(dx, dy)`` metres."""
    offset = np.array([dx, dy])
    return shapely.transform(geometry, lambda xy: xy + offset)


def townships(layout: Layout, tiles: Grid) -> pd.DataFrame:
    """Repeat the townships per tile with unique names and codes.

    Parameters
    ----------
    layout
        The single county.
    tiles
        The grid.

    Returns
    -------
    pandas.DataFrame
        Townships (``name``, ``code``, ``kind``, ``geometry`` in metres) of every tile, tile
        by tile.
    """
    frames = []
    for tile, (dx, dy) in enumerate(tiles.offsets):
        town = layout.townships[["name", "code", "kind", "geometry"]].copy()
        town["name"] = town["name"] + f"-{tiles.label(tile)}"
        town["code"] = county_code(tile) + town["code"].str[6:]
        town["geometry"] = _moved(town["geometry"].to_numpy(), dx, dy)
        frames.append(town)
    return pd.concat(frames, ignore_index=True)


def _renamed(
    text: str, township: str, new_township: str, county: str, *, prefix: bool = False
) -> str:
    if township in text:
        text = text.replace(township, new_township, 1)
    if text.startswith(COUNTY_NAME):
        return county + text[len(COUNTY_NAME) :]
    return county + text if prefix and new_township not in text else text


def facilities(table: pd.DataFrame, tiles: Grid) -> pd.DataFrame:
    """Repeat the facility table per tile with unique codes and names.

    Parameters
    ----------
    table
        The single county's facilities (:func:`geohealth.sample.facilities.table`, metres
        in ``x``/``y``).
    tiles
        The grid.

    Returns
    -------
    pandas.DataFrame
        Every tile's facilities, shifted; codes carry the tile's county code, names and
        addresses the tile's township names (``永安镇-07中心卫生院``) or county name
        (``样例县-07人民医院``).
    """
    frames = []
    for tile, (dx, dy) in enumerate(tiles.offsets):
        label = tiles.label(tile)
        county = f"{COUNTY_NAME}-{label}"
        frame = table.copy()
        frame["机构编码"] = county_code(tile) + frame["机构编码"].str[6:]
        old = frame["所属乡镇"].astype(str)
        new = old + f"-{label}"
        frame["机构名称"] = [
            _renamed(str(n), o, t, county, prefix=True)
            for n, o, t in zip(frame["机构名称"], old, new, strict=True)
        ]
        frame["地址"] = [
            _renamed(str(a), o, t, county) for a, o, t in zip(frame["地址"], old, new, strict=True)
        ]
        frame["所属乡镇"] = new
        frame["x"] += dx
        frame["y"] += dy
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _to_wgs(geometry: object) -> object:
    """Shapely geometry (or array of them) from :data:`LAYOUT_CRS` metres to WGS 84."""
    to_wgs = Transformer.from_crs(LAYOUT_CRS, 4326, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(to_wgs.transform(*xy.T)))


def _tile_people(
    outline: shapely.Geometry, dx: float, dy: float, single: tuple[np.ndarray, Affine]
) -> tuple[np.ndarray, int, int]:
    """One tile's persons per cell: the single county's raster carried over by ``(dx, dy)``.

    The tile gets its own cells on the 3-arc-second lattice around its (shifted) outline;
    each cell takes the single county's cell found at its centre moved back by the shift,
    scaled by the ratio of the two cells' areas (cells shrink towards the pole). Returns the
    values and the lattice indices of the tile grid's west column and north row.
    """
    cell = people.CELL_DEG
    values, transform = single
    src_west, src_north = round(transform.c / cell), round(transform.f / cell)
    lon0, lat0, lon1, lat1 = shapely.bounds(_to_wgs(_moved(outline, dx, dy))).tolist()
    west, north = math.floor(lon0 / cell) - 2, math.ceil(lat1 / cell) + 2
    cols, rows = math.ceil(lon1 / cell) + 2 - west, north - math.floor(lat0 / cell) + 2
    glon, glat = np.meshgrid(
        (west + np.arange(cols) + 0.5) * cell, (north - np.arange(rows) - 0.5) * cell
    )
    gx, gy = Transformer.from_crs(4326, LAYOUT_CRS, always_xy=True).transform(glon, glat)
    to_wgs = Transformer.from_crs(LAYOUT_CRS, 4326, always_xy=True)
    slon, slat = to_wgs.transform(gx - dx, gy - dy)
    col = np.floor(slon / cell - src_west).astype(np.int64)
    row = np.floor(src_north - slat / cell).astype(np.int64)
    inside = (col >= 0) & (col < values.shape[1]) & (row >= 0) & (row < values.shape[0])
    inside &= shapely.contains_xy(outline, gx - dx, gy - dy)  # as the county's own cells
    tile = np.full((rows, cols), people.NODATA, dtype=np.float32)
    tile[inside] = values[row[inside], col[inside]]
    land = tile != people.NODATA
    tile[land] *= np.cos(np.radians(glat[land])) / np.cos(np.radians(slat[land]))
    return tile, west, north


def population(
    layout: Layout, single: tuple[np.ndarray, Affine], tiles: Grid
) -> tuple[np.ndarray, Affine]:
    """Persons per cell over the whole region.

    Every tile carries the single county's raster over to its place (each cell looks up the
    county's cell at its centre moved back by the tile's shift, in metres), so each tile has
    the same people where the county has them, on its own cells of the same 3-arc-second
    lattice (EPSG:4326); the pieces are pasted into one grid, nodata outside every county.

    Parameters
    ----------
    layout
        The single county.
    single
        Its raster (:func:`geohealth.sample.people.raster`): persons per cell and transform.
    tiles
        The grid.

    Returns
    -------
    tuple
        float32 persons per cell (nodata = :data:`~geohealth.sample.people.NODATA`) and the
        EPSG:4326 transform.
    """
    cell = people.CELL_DEG
    outline = layout.outline
    pieces = [_tile_people(outline, dx, dy, single) for dx, dy in tiles.offsets]
    west = min(c for _, c, _ in pieces)
    north = max(r for _, _, r in pieces)
    cols = max(c + v.shape[1] for v, c, _ in pieces) - west
    rows = max(north - r + v.shape[0] for v, _, r in pieces)
    mosaic = np.full((rows, cols), people.NODATA, dtype=np.float32)
    for values, c, r in pieces:
        r0, c0 = north - r, c - west
        window = mosaic[r0 : r0 + values.shape[0], c0 : c0 + values.shape[1]]
        land = values != people.NODATA
        # a cell is land in one county at most; where two touch, their people add up
        window[land] = np.where(window[land] == people.NODATA, 0.0, window[land]) + values[land]
    return mosaic, Affine(cell, 0.0, west * cell, 0.0, -cell, north * cell)


def _township_sums(values: np.ndarray, transform: Affine, polygons: np.ndarray) -> np.ndarray:
    """Persons of the raster in each township polygon (metres), by cell centre."""
    index = rasterio.features.rasterize(
        zip(_to_wgs(polygons), range(len(polygons)), strict=True),
        out_shape=values.shape,
        transform=transform,
        fill=-1,
        dtype="int32",
    )
    inside = index >= 0
    persons = values[inside].astype(np.float64)
    persons[persons == people.NODATA] = 0.0
    return np.bincount(index[inside], weights=persons, minlength=len(polygons))


def census(
    single: tuple[np.ndarray, Affine],
    census_single: np.ndarray,
    region: tuple[np.ndarray, Affine],
    layout: Layout,
    towns: pd.DataFrame,
) -> np.ndarray:
    """Census persons per township of every tile.

    Each township keeps the single county's disagreement between census and raster (its
    census over its raster sum), applied to its own raster sum in the region.

    Parameters
    ----------
    single
        The single county's raster (:func:`geohealth.sample.people.raster`) and transform.
    census_single
        The single county's census persons per township.
    region
        The region's raster (:func:`population`) and transform.
    layout
        The single county.
    towns
        The region's townships (:func:`townships`), tile by tile.

    Returns
    -------
    numpy.ndarray
        Whole persons (rounded to tens, as the single county's) per township of ``towns``.
    """
    single_sums = _township_sums(*single, layout.townships["geometry"].to_numpy())
    ratio = census_single / np.maximum(single_sums, 1.0)
    sums = _township_sums(*region, towns["geometry"].to_numpy())
    return np.round(sums * np.tile(ratio, len(towns) // len(ratio)), -1)


def _road_ends(network: RoadBuilder, layout: Layout, ref: str) -> tuple[list[int], dict[str, str]]:
    """Nodes where the road ``ref`` leaves the county, and the road's tags."""
    outline = layout.outline
    ends: list[int] = []
    tags: dict[str, str] = {}
    for ids, way_tags in network.ways:
        if way_tags.get("ref") != ref:
            continue
        tags = way_tags
        for node in (ids[0], ids[-1]):
            if not outline.contains(shapely.Point(network.xy[node - 1])):
                ends.append(node)
    if len(ends) != 2:
        msg = f"sample roads: {ref} leaves the county at {len(ends)} ends, expected 2"
        raise RuntimeError(msg)
    return ends, tags


def roads(
    network: RoadBuilder, layout: Layout, tiles: Grid, rng: np.random.Generator
) -> RoadBuilder:
    """Repeat the road network per tile and join the tiles across their borders.

    Node ``i`` of tile ``t`` becomes node ``t · n + i`` (``n`` nodes per county), and way ids
    are numbered on the same way, so ids are unique. Between tiles side by side, the
    national road's east end is joined to the neighbour's west end by a new stretch of the
    same road; between tiles one above the other, the provincial road S9101's north end to
    the neighbour's south end. Every county's roads are connected, so the region's are too.

    Parameters
    ----------
    network
        The single county's roads (:func:`geohealth.sample.roads.build`).
    layout
        The single county.
    tiles
        The grid.
    rng
        Random generator for the shape of the new roads (seeded by the caller).

    Returns
    -------
    RoadBuilder
        Nodes in metres and tagged ways of the whole region.
    """
    n = len(network.xy)
    xy = np.asarray(network.xy, dtype=float)
    region = RoadBuilder()
    for dx, dy in tiles.offsets:
        region.xy.extend(map(tuple, (xy + np.array([dx, dy])).tolist()))
    for tile in range(tiles.count):
        base = tile * n
        region.ways.extend(([base + i for i in ids], dict(tags)) for ids, tags in network.ways)
    side = tiles.side
    for ref, axis in CROSS_BORDER_ROADS:
        ends, tags = _road_ends(network, layout, ref)
        k = 0 if axis == "x" else 1
        low, high = sorted(ends, key=lambda node: network.xy[node - 1][k])
        for row in range(side):
            for col in range(side):
                tile = row * side + col
                neighbour = tile + 1 if axis == "x" else tile + side
                if (axis == "x" and col == side - 1) or (axis == "y" and row == side - 1):
                    continue
                region.road(
                    tile * n + high,
                    neighbour * n + low,
                    dict(tags),
                    rng,
                    spacing=CROSS_BORDER_SPACING_M,
                    wiggle=CROSS_BORDER_WIGGLE,
                )
    return region
