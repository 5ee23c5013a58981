"""The sample county's shape: outline, townships, county seat, reservoir and settlements.

Everything is laid out in metres (UTM zone 52N) around a point in north-east China and kept
in a :class:`Layout`; the other sample modules turn it into files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS
from scipy.cluster.vq import kmeans2

from geohealth.sample import names

#: Metric CRS of the layout (UTM zone 52N, WGS 84).
LAYOUT_CRS = CRS.from_epsg(32652)
#: Centre of the sample county (lon, lat): the Songhua plain's hilly eastern rim.
CENTRE_LONLAT = (127.45, 46.05)
AREA_KM2 = 4000.0
URBAN_SIZE_M = (4000.0, 3200.0)
URBAN_SPACING_M = 400.0
LABEL_CELL_M = 200.0


@dataclass(frozen=True)
class Layout:
    """The sample county in metres (:data:`LAYOUT_CRS`).

    Attributes
    ----------
    townships
        One row per township: ``name``, ``code``, ``kind`` (街道/镇/乡), ``seat_x``, ``seat_y``
        and ``geometry`` (shapely polygons, metres).
    urban_centre
        Centre of the county seat's street grid (x, y).
    lake
        The reservoir polygon.
    settlements
        One row per place people live: ``name``, ``kind`` (``urban``, ``seat``, ``village``,
        ``hamlet``), ``township`` (row of ``townships``), ``x``, ``y``, ``population``,
        ``spread_m`` (how far the houses spread), ``parent`` (village of a hamlet, else -1).
    """

    townships: pd.DataFrame
    urban_centre: tuple[float, float]
    lake: shapely.Polygon
    settlements: pd.DataFrame

    @property
    def outline(self) -> shapely.Geometry:
        """Union of the townships."""
        return shapely.union_all(self.townships["geometry"].to_numpy())


def _centre_xy() -> tuple[float, float]:
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, LAYOUT_CRS, always_xy=True)
    x, y = to_utm.transform(*CENTRE_LONLAT)
    return float(x), float(y)


def _outline(rng: np.random.Generator, cx: float, cy: float) -> shapely.Polygon:
    theta = np.linspace(0, 2 * np.pi, 361)[:-1]
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.uniform(0.03, 0.09) / np.sqrt(k) * np.cos(k * theta + rng.uniform(0, 6.3))
    xs, ys = radius * np.cos(theta) * 1.25, radius * np.sin(theta) / 1.25
    shape = shapely.Polygon(np.column_stack([xs, ys]))
    scale = np.sqrt(AREA_KM2 * 1e6 / shape.area)
    return shapely.Polygon(np.column_stack([cx + xs * scale, cy + ys * scale]))


def _smooth_noise(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray, amplitude: float, wavelength: float
) -> np.ndarray:
    out = np.zeros_like(x)
    for _ in range(4):
        angle = rng.uniform(0, np.pi)
        k = 2 * np.pi / (wavelength * rng.uniform(0.6, 1.4))
        phase = rng.uniform(0, 2 * np.pi)
        out += np.sin(k * (x * np.cos(angle) + y * np.sin(angle)) + phase)
    return amplitude * out / 2.0


def _sample_inside(rng: np.random.Generator, polygon: shapely.Geometry, n: int) -> np.ndarray:
    west, south, east, north = polygon.bounds
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        pts = rng.uniform((west, south), (east, north), size=(4 * n, 2))
        pts = pts[shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])]
        found.append(pts)
        total += len(pts)
    return np.concatenate(found)[:n]


def _poisson(
    rng: np.random.Generator,
    polygon: shapely.Geometry,
    count: int,
    min_dist: float,
    avoid: np.ndarray,
) -> np.ndarray:
    """Greedy dart throwing: up to ``count`` points ``min_dist`` apart inside ``polygon``."""
    chosen: list[np.ndarray] = []
    blocked = avoid.reshape(-1, 2)
    for pt in _sample_inside(rng, polygon, 60 * count):
        if blocked.size and np.min(np.hypot(*(blocked - pt).T)) < min_dist:
            continue
        chosen.append(pt)
        blocked = np.vstack([blocked, pt])
        if len(chosen) == count:
            break
    return np.array(chosen).reshape(-1, 2)


def _townships(
    rng: np.random.Generator,
    outline: shapely.Polygon,
    urban: shapely.Geometry,
    lake: shapely.Polygon,
    urban_centre: tuple[float, float],
) -> pd.DataFrame:
    """Seats by k-means over the rural area, boundaries from a noisy Voronoi label grid."""
    rural = outline.difference(urban.buffer(3000)).difference(lake.buffer(1500))
    pts = _sample_inside(rng, rural, 6000)
    seats, _ = kmeans2(pts, 18, seed=rng, minit="++", iter=30)
    # snap each centroid to the nearest valid sample so no seat sits in the lake
    seats = np.array([pts[np.argmin(np.hypot(*(pts - s).T))] for s in seats])
    order = np.argsort(np.hypot(*(seats - np.array(urban_centre)).T))
    seats = seats[order]  # nearest the county seat first: they become towns

    west, south, east, north = outline.bounds
    transform = Affine(LABEL_CELL_M, 0, west, 0, -LABEL_CELL_M, north)
    cols = int(np.ceil((east - west) / LABEL_CELL_M))
    rows = int(np.ceil((north - south) / LABEL_CELL_M))
    cx = west + (np.arange(cols) + 0.5) * LABEL_CELL_M
    cy = north - (np.arange(rows) + 0.5) * LABEL_CELL_M
    gx, gy = np.meshgrid(cx, cy)
    cost = np.stack(
        [
            np.hypot(gx - sx, gy - sy) + _smooth_noise(rng, gx, gy, 1800.0, 14000.0)
            for sx, sy in seats
        ]
    )
    labels = (np.argmin(cost, axis=0) + 2).astype(np.int32)
    in_outline = shapely.contains_xy(outline, gx, gy)
    in_urban = shapely.contains_xy(urban, gx, gy)
    east_side = gx + _smooth_noise(rng, gx, gy, 250.0, 3000.0) > urban_centre[0]
    labels[in_urban] = np.where(east_side[in_urban], 0, 1)
    labels[~in_outline] = -1
    # merge specks of a few cells (noise artefacts) into their neighbours
    labels = rasterio.features.sieve(labels, 12, mask=labels >= 0, connectivity=4)

    pieces: dict[int, list[shapely.Geometry]] = {}
    for geom, value in rasterio.features.shapes(labels, mask=labels >= 0, transform=transform):
        pieces.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    polygons = [shapely.union_all(pieces[i]) for i in range(20)]
    polygons = list(shapely.coverage_simplify(np.array(polygons, dtype=object), 120.0))
    polygons = [shapely.make_valid(p) for p in polygons]

    rows_out = []
    codes = names.township_codes()
    urban_seats = [
        (urban_centre[0] + 900, urban_centre[1]),
        (urban_centre[0] - 900, urban_centre[1]),
    ]
    for i, (name, code, kind) in enumerate(codes):
        sx, sy = urban_seats[i] if i < 2 else seats[i - 2]
        rows_out.append(
            {
                "name": name,
                "code": code,
                "kind": kind,
                "seat_x": float(sx),
                "seat_y": float(sy),
                "geometry": polygons[i],
            }
        )
    return pd.DataFrame(rows_out)


def _settlements(
    rng: np.random.Generator,
    townships: pd.DataFrame,
    lake: shapely.Polygon,
    urban_centre: tuple[float, float],
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    ux, uy = urban_centre
    # the county seat: one block of people per grid block, denser towards the centre
    half_w, half_h = URBAN_SIZE_M[0] / 2, URBAN_SIZE_M[1] / 2
    bx = np.arange(-half_w + URBAN_SPACING_M / 2, half_w, URBAN_SPACING_M)
    by = np.arange(-half_h + URBAN_SPACING_M / 2, half_h, URBAN_SPACING_M)
    blocks = [(x, y) for x in bx for y in by]
    weights = np.array([np.exp(-(np.hypot(x / half_w, y / half_h) ** 2)) for x, y in blocks])
    weights /= weights.sum()
    for (x, y), w in zip(blocks, weights, strict=True):
        rows.append(
            {
                "name": "县城",
                "kind": "urban",
                "township": 0 if x > 0 else 1,
                "x": ux + x,
                "y": uy + y,
                "population": 118_000 * w,
                "spread_m": 220.0,
                "parent": -1,
            }
        )
    village_names = iter(names.village_names(400, rng))
    hamlet_names = iter(names.hamlet_names(800, rng))
    for t, town in townships.iloc[2:].iterrows():
        polygon = town["geometry"]
        seat = np.array([town["seat_x"], town["seat_y"]])
        is_town = town["kind"] == "镇"
        rows.append(
            {
                "name": town["name"],
                "kind": "seat",
                "township": t,
                "x": seat[0],
                "y": seat[1],
                "spread_m": 450.0 if is_town else 300.0,
                "parent": -1,
                "population": float(
                    rng.uniform(5000, 11000) if is_town else rng.uniform(2000, 4000)
                ),
            }
        )
        usable = polygon.buffer(-300).difference(lake.buffer(500))
        n_villages = max(6, round(polygon.area / 1e6 / 16.0))
        villages = _poisson(rng, usable, n_villages, 1700.0, seat)
        for vx, vy in villages:
            v_index = len(rows)
            rows.append(
                {
                    "name": next(village_names),
                    "kind": "village",
                    "township": t,
                    "x": vx,
                    "y": vy,
                    "population": float(rng.lognormal(6.1, 0.45)),
                    "spread_m": 160.0,
                    "parent": -1,
                }
            )
            for _ in range(int(rng.poisson(2.0))):
                angle = rng.uniform(0, 2 * np.pi)
                dist = rng.uniform(900, 2400)
                hx, hy = vx + dist * np.cos(angle), vy + dist * np.sin(angle)
                if not shapely.contains_xy(usable, hx, hy):
                    continue
                others = np.array([[r["x"], r["y"]] for r in rows], dtype=float)
                if np.min(np.hypot(*(others - (hx, hy)).T)) < 700:
                    continue
                rows.append(
                    {
                        "name": next(hamlet_names),
                        "kind": "hamlet",
                        "township": t,
                        "x": hx,
                        "y": hy,
                        "population": float(rng.uniform(40, 260)),
                        "spread_m": 90.0,
                        "parent": v_index,
                    }
                )
    return pd.DataFrame(rows)


def make(seed: int) -> Layout:
    """Lay out the sample county.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same county.

    Returns
    -------
    Layout
        Townships, county seat, reservoir and settlements, in metres.
    """
    rng = np.random.default_rng(seed)
    cx, cy = _centre_xy()
    outline = _outline(rng, cx, cy)
    urban_centre = (cx + 2500.0, cy - 1500.0)
    half_w, half_h = URBAN_SIZE_M[0] / 2, URBAN_SIZE_M[1] / 2
    urban = shapely.box(
        urban_centre[0] - half_w,
        urban_centre[1] - half_h,
        urban_centre[0] + half_w,
        urban_centre[1] + half_h,
    ).buffer(1200)
    # the reservoir: north-east of the county seat, away from the main roads' axes
    lake_centre = shapely.Point(cx + 14000.0, cy + 11000.0)
    lake = shapely.affinity.rotate(
        shapely.affinity.scale(lake_centre.buffer(1000.0, quad_segs=16), 3.6, 1.4), 35.0
    )
    lake = lake.intersection(outline.buffer(-2000))
    townships = _townships(rng, outline, urban, lake, urban_centre)
    settlements = _settlements(rng, townships, lake, urban_centre)
    return Layout(
        townships=townships, urban_centre=urban_centre, lake=lake, settlements=settlements
    )
