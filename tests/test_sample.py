"""The bundled sample county: reproducible from its generator, and shaped as the issue asks."""

from __future__ import annotations

import numpy as np
import osmium
import pandas as pd
import pytest
import rasterio
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geohealth import sample
from geohealth.inputs import boundaries, coords

from .conftest import SAMPLE_DIR


def _osm_content(path):
    nodes, ways = {}, {}
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            ways[obj.id] = ([n.ref for n in obj.nodes], dict(obj.tags))
    return nodes, ways


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    return sample.make_sample_county(tmp_path_factory.mktemp("sample"))


def test_committed_sample_is_the_generators_output(regenerated):
    committed = sample.SampleFiles(
        config=SAMPLE_DIR / "sample_county.toml",
        boundaries=SAMPLE_DIR / "boundaries" / "sample_townships.gpkg",
        facilities=SAMPLE_DIR / "facilities" / "sample_facilities.csv",
        population=SAMPLE_DIR / "population" / "sample_population.tif",
        roads=SAMPLE_DIR / "roads" / "sample_county.osm.pbf",
    )
    assert committed.config.read_bytes() == regenerated.config.read_bytes()
    assert committed.facilities.read_bytes() == regenerated.facilities.read_bytes()
    with rasterio.open(committed.population) as a, rasterio.open(regenerated.population) as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))
        assert a.transform == b.transform
    ta, tb = (boundaries.load(p) for p in (committed.boundaries, regenerated.boundaries))
    pd.testing.assert_frame_equal(ta.drop(columns="geometry"), tb.drop(columns="geometry"))
    assert shapely.equals_exact(ta.geometry.to_numpy(), tb.geometry.to_numpy(), 1e-9).all()
    assert _osm_content(committed.roads) == _osm_content(regenerated.roads)


def test_townships(sample_layers):
    towns = sample_layers.townships
    assert len(towns) == 20
    assert towns["code"].str.fullmatch(r"\d{12}").all()
    assert towns["code"].is_unique
    assert set(towns["类型"]) == {"街道", "镇", "乡"}
    assert 3800 < sample_layers.region.area_km2 < 4200
    assert towns.is_valid.all()
    # townships tile the county: no overlaps
    total = towns.to_crs(sample_layers.region.metric_crs).area.sum() / 1e6
    assert total == pytest.approx(sample_layers.region.area_km2, rel=1e-6)


def test_population(sample_layers):
    grid = sample_layers.population
    assert 350_000 < grid.total < 450_000
    assert grid.nodata_cells > 0  # outside the county and on the reservoir
    census = sample_layers.townships["population"].sum()
    assert abs(census - grid.total) / grid.total < 0.05


def test_facilities_as_a_bureau_hands_them_over(sample_layers):
    path = SAMPLE_DIR / "facilities" / "sample_facilities.csv"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GBK
    assert raw.decode("gbk").startswith("机构编码,机构名称,机构类别")
    points = sample_layers.facilities
    counts = points["level"].value_counts()
    assert 220 <= counts["village_clinic"] <= 260
    assert counts["township_health_centre"] == 18
    assert counts["county_hospital"] == 2
    assert counts["community_health_centre"] >= 3
    assert points["inside_region"].all()
    # the file is GCJ-02: its raw numbers are hundreds of metres from the converted points
    table = pd.read_csv(path, encoding="gbk", dtype=str)
    lon = table["经度"].astype(float).to_numpy()
    lat = table["纬度"].astype(float).to_numpy()
    wgs_lon, wgs_lat = coords.gcj02_to_wgs84(lon, lat)
    np.testing.assert_allclose(points.geometry.x, wgs_lon)
    shift_deg = np.hypot(lon - wgs_lon, lat - wgs_lat)
    assert (shift_deg > 0.002).all()


def test_road_network_hierarchy_and_connectivity():
    nodes, ways = _osm_content(SAMPLE_DIR / "roads" / "sample_county.osm.pbf")
    classes = {tags.get("highway") for _, tags in ways.values()}
    assert {"trunk", "secondary", "tertiary", "unclassified", "residential", "track"} <= classes
    assert any(tags.get("oneway") == "yes" for _, tags in ways.values())
    assert any(tags.get("route") == "ferry" for _, tags in ways.values())
    assert any("maxspeed" in tags for _, tags in ways.values())
    index = {node: i for i, node in enumerate(nodes)}
    a, b = [], []
    for refs, tags in ways.values():
        if "highway" in tags:
            a += [index[r] for r in refs[:-1]]
            b += [index[r] for r in refs[1:]]
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(nodes),) * 2)
    _n, labels = connected_components(graph, directed=False)
    used = np.unique(np.concatenate([a, b]))
    assert len(np.unique(labels[used])) == 1, "every road is reachable from every other"


# --- the county tiled into one region (geohealth sample --tiles K) --------------------------


@pytest.fixture(scope="module")
def tiled(tmp_path_factory):
    return sample.make_sample_county(tmp_path_factory.mktemp("tiled"), tiles=4)


def _raster_people(path):
    """Total persons and number of cells with people."""
    with rasterio.open(path) as src:
        values = src.read(1, masked=True)
    return float(values.sum()), int((values > 0).sum())


def test_tiles_repeat_the_townships_with_unique_names_and_codes(tiled):
    single = boundaries.load(SAMPLE_DIR / "boundaries" / "sample_townships.gpkg")
    towns = boundaries.load(tiled.boundaries)
    assert len(towns) == 4 * len(single)
    assert towns["code"].str.fullmatch(r"\d{12}").all()
    assert towns["code"].is_unique
    assert towns["name"].is_unique
    assert towns.is_valid.all()
    metric = "EPSG:32652"
    area = towns.to_crs(metric).area.sum()
    assert area == pytest.approx(4 * single.to_crs(metric).area.sum(), rel=1e-3)
    # side by side, not on top of each other: the tiles' townships do not overlap
    assert towns.to_crs(metric).union_all().area == pytest.approx(area, rel=1e-6)
    assert 'name = "sample-county-x4"' in tiled.config.read_text(encoding="utf-8")


def test_tiles_repeat_the_facilities_with_unique_ids_and_names(tiled):
    single = pd.read_csv(SAMPLE_DIR / "facilities" / "sample_facilities.csv", encoding="gbk")
    table = pd.read_csv(tiled.facilities, encoding="gbk", dtype={"机构编码": str})
    assert len(table) == 4 * len(single)
    assert table["机构编码"].is_unique
    assert table["机构名称"].is_unique
    assert table["机构编码"].str.fullmatch(r"\d{12}").all()
    counts = table["机构类别"].value_counts()
    pd.testing.assert_series_equal(counts, 4 * single["机构类别"].value_counts())


def test_tiles_multiply_the_population(tiled):
    single_total, single_cells = _raster_people(SAMPLE_DIR / "population" / "sample_population.tif")
    total, cells = _raster_people(tiled.population)
    assert total == pytest.approx(4 * single_total, rel=1e-4)
    assert cells == pytest.approx(4 * single_cells, rel=1e-3)  # the same people, same places
    single = boundaries.load(SAMPLE_DIR / "boundaries" / "sample_townships.gpkg")
    census = boundaries.load(tiled.boundaries)["population"].sum()
    # census totals are rounded to tens per township and keep each township's ±2 %
    # disagreement with the grid
    assert census == pytest.approx(4 * single["population"].sum(), rel=2e-3)


def test_tiled_roads_are_one_connected_region(tiled):
    from geohealth.network import graph, osm, profiles

    segments = osm.read(tiled.roads, use_cache=False)
    single = osm.read(SAMPLE_DIR / "roads" / "sample_county.osm.pbf", use_cache=False)
    # node ids are unique per tile: four counties' nodes plus the roads across the borders
    assert segments.n_nodes > 4 * single.n_nodes
    assert len(np.unique(segments.way_id)) == len(segments.way_id)
    drive = graph.build(segments, profiles.load()["drive"])
    used = np.zeros(drive.n_nodes, dtype=bool)
    used[drive.u] = used[drive.v] = True
    assert drive.main_component.sum() >= 0.99 * used.sum()
    assert used.sum() > 4 * 0.99 * single.n_nodes


def test_tile_count_must_be_square(tmp_path):
    from click.testing import CliRunner

    from geohealth.cli import main
    from geohealth.errors import ConfigError

    with pytest.raises(ConfigError, match="tiles = 3 is not a positive square number"):
        sample.make_sample_county(tmp_path, tiles=3)
    for bad in ("3", "0", "-4", "four"):
        result = CliRunner().invoke(main, ["sample", str(tmp_path / "s"), "--tiles", bad])
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert lines == [
            f"error: --tiles {bad}: not a positive square number — use 1, 4, 16 or 64 "
            "(the sample county repeated √K × √K times in one region)"
        ]
    assert not (tmp_path / "s").exists()
