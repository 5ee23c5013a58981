"""Terrain: times over a generated DEM against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer

from geohealth.errors import ConfigError, NetworkError, NoCrsError, TerrainGapWarning
from geohealth.network import graph, osm, profiles, terrain

from .conftest import write_osm

PROFILES = profiles.load()
GRADE = 0.08
UTM52 = "EPSG:32652"  # central meridian 129°E: the test road runs due east on the grid
WEST, EAST, LAT = 129.0, 129.02, 46.0


def write_dem(path, *, grade=GRADE, crs=UTM52, gap_east_of=None, ridge=False):
    """A plane rising ``grade`` per metre eastwards (or a ridge), 30 m cells, around the road."""
    to_utm = Transformer.from_crs(4326, UTM52, always_xy=True)
    (x0, x1), (y0, _) = to_utm.transform([WEST - 0.01, EAST + 0.01], [LAT, LAT])
    west, north = x0, y0 + 900
    cols, rows = int((x1 - x0) / 30) + 1, 60
    east = west + 30 * (np.arange(cols) + 0.5)
    height = 100.0 + grade * (east - west)
    if ridge:  # up at ``grade`` to the middle of the road, then down again
        middle = to_utm.transform((WEST + EAST) / 2, LAT)[0]
        height = 300.0 - grade * np.abs(east - middle)
    values = np.tile(height, (rows, 1)).astype(np.float32)
    if gap_east_of is not None:
        values[:, east > to_utm.transform(gap_east_of, LAT)[0]] = -9999
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "transform": Affine(30, 0, west, 0, -30, north),
        "nodata": -9999,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path


def road(tmp_path, highway="track", **tags):
    nodes = {1: (WEST, LAT), 2: ((WEST + EAST) / 2, LAT), 3: (EAST, LAT)}
    ways = [(1, [1, 2, 3], {"highway": highway, **tags})]
    pbf = write_osm(tmp_path / f"road{len(tags)}.osm.pbf", nodes, ways)
    return osm.read(pbf)


def times(g):
    """Seconds west → east (uphill) and east → west along the whole road."""
    t = {(int(a), int(b)): s for a, b, s in zip(g.u, g.v, g.time_s, strict=True)}
    return t[(0, 1)] + t[(1, 2)], t[(2, 1)] + t[(1, 0)]


def test_tobler_by_hand(tmp_path):
    segments = road(tmp_path)
    dem = terrain.load_dem(write_dem(tmp_path / "dem.tif"))
    g = graph.build(segments, PROFILES["walk"], dem=dem)
    up, down = times(g)
    length = segments.length_m.sum()
    flat = length / (4.5 / 3.6)
    # Tobler: 6·exp(−3.5·|g + 0.05|) km/h, relative to its flat value 6·exp(−0.175)
    assert up == pytest.approx(flat / math.exp(-3.5 * (0.13 - 0.05)), rel=2e-3)
    assert down == pytest.approx(flat / math.exp(-3.5 * (0.03 - 0.05)), rel=2e-3)
    assert up / down == pytest.approx(math.exp(3.5 * 0.10), rel=2e-3)  # 1.42× longer uphill


def test_two_wheeler_slows_uphill_only(tmp_path):
    segments = road(tmp_path)
    dem = terrain.load_dem(write_dem(tmp_path / "dem.tif"))
    g = graph.build(segments, PROFILES["two_wheeler"], dem=dem)
    up, down = times(g)
    flat = segments.length_m.sum() / (15.0 / 3.6)
    assert up == pytest.approx(flat * (1 + 8.0 * GRADE), rel=2e-3)
    assert down == pytest.approx(flat, rel=1e-9)


def test_driving_ignores_grade_and_flat_dem_changes_nothing(tmp_path):
    segments = road(tmp_path)
    dem = terrain.load_dem(write_dem(tmp_path / "dem.tif"))
    assert times(graph.build(segments, PROFILES["drive"], dem=dem)) == pytest.approx(
        times(graph.build(segments, PROFILES["drive"]))
    )
    flat = terrain.load_dem(write_dem(tmp_path / "flat.tif", grade=0.0))
    assert times(graph.build(segments, PROFILES["walk"], dem=flat)) == pytest.approx(
        times(graph.build(segments, PROFILES["walk"])), rel=1e-12
    )


def test_tunnels_and_bridges_do_not_follow_the_ground(tmp_path):
    dem = terrain.load_dem(write_dem(tmp_path / "ridge.tif", ridge=True))
    over = times(graph.build(road(tmp_path), PROFILES["walk"], dem=dem))
    tunnel = times(graph.build(road(tmp_path, tunnel="yes"), PROFILES["walk"], dem=dem))
    flat = times(graph.build(road(tmp_path), PROFILES["walk"]))
    assert tunnel == pytest.approx(flat, rel=1e-3)  # portals at the same height: level
    # over the ridge: half the way up 8 %, half down 8 % (the crest cell is smoothed)
    up, down = math.exp(-3.5 * (0.13 - 0.05)), math.exp(-3.5 * (0.03 - 0.05))
    assert over[0] == pytest.approx(flat[0] / 2 * (1 / up + 1 / down), rel=1e-2)
    assert over[0] == pytest.approx(over[1], rel=1e-3)  # symmetric ridge
    bridge = times(graph.build(road(tmp_path, bridge="viaduct"), PROFILES["walk"], dem=dem))
    assert bridge == pytest.approx(flat, rel=1e-3)


def test_dem_gap_is_flat_and_reported(tmp_path):
    segments = road(tmp_path)
    dem = terrain.load_dem(write_dem(tmp_path / "dem.tif", gap_east_of=(WEST + EAST) / 2))
    with pytest.warns(TerrainGapWarning, match=r"no elevation for 0\.[0-9] km of road"):
        g = graph.build(segments, PROFILES["two_wheeler"], dem=dem)
    t = {(int(a), int(b)): s for a, b, s in zip(g.u, g.v, g.time_s, strict=True)}
    east_half = segments.length_m[1] / (15.0 / 3.6)
    assert t[(1, 2)] == pytest.approx(east_half, rel=0.05)  # flat except the edge cell
    assert t[(0, 1)] > 1.5 * t[(1, 0)]


def test_bad_dems(tmp_path):
    segments = road(tmp_path)
    with pytest.raises(NoCrsError, match="no CRS"):
        terrain.load_dem(write_dem(tmp_path / "nocrs.tif", crs=None))
    far = terrain.load_dem(write_dem(tmp_path / "far.tif", crs="EPSG:32650"))
    with pytest.raises(NetworkError, match="does not cover the road network"):
        graph.build(segments, PROFILES["walk"], dem=far)
    with pytest.raises(FileNotFoundError, match=r"network\.dem"):
        terrain.load_dem(tmp_path / "missing.tif")


def test_from_osm_takes_a_dem_path(tmp_path):
    nodes = {1: (WEST, LAT), 2: (EAST, LAT)}
    pbf = write_osm(tmp_path / "r.osm.pbf", nodes, [(1, [1, 2], {"highway": "track"})])
    g = graph.from_osm(pbf, "walk", dem=write_dem(tmp_path / "dem.tif"))
    forward = g.time_s[(g.u == 0) & (g.v == 1)][0]
    backward = g.time_s[(g.u == 1) & (g.v == 0)][0]
    assert forward / backward == pytest.approx(math.exp(3.5 * 0.10), rel=2e-3)


def test_profile_terrain_keys_are_checked(tmp_path):
    text = profiles.DEFAULT_PROFILES.read_text(encoding="utf-8")
    bad = tmp_path / "p.toml"
    bad.write_text(text.replace('terrain = "tobler"', 'terrain = "steep"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"walk\.terrain = 'steep' — use none, tobler, uphill"):
        profiles.load(bad)
    bad.write_text(text.replace("uphill_slowdown = 8.0", "uphill_slowdown = -1"), encoding="utf-8")
    with pytest.raises(ConfigError, match="uphill_slowdown = -1"):
        profiles.load(bad)
