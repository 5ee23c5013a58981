"""The travel-time step of a configured run: networks, isochrones and rasters on the sample."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from geohealth import config, reach, traveltime
from geohealth.cli import main
from geohealth.errors import ConfigError, NetworkError
from geohealth.inputs import layers

from .conftest import SAMPLE_CONFIG, real_extract


@pytest.fixture(scope="module")
def loaded():
    return layers.load(config.load(SAMPLE_CONFIG))


def test_isochrones_command_writes_layers_and_rasters(tmp_path, loaded):
    args = ["-q", "isochrones", str(SAMPLE_CONFIG), "--out", str(tmp_path), "--group"]
    result = CliRunner().invoke(main, [*args, "secondary", "--mode", "drive", "--mode", "walk"])
    assert result.exit_code == 0, result.output
    assert "OpenStreetMap contributors, ODbL" in result.stdout
    gpkg = tmp_path / "isochrones.gpkg"
    assert sorted(name for name, _ in pyogrio.list_layers(gpkg)) == [
        "circles_secondary_drive",
        "circles_secondary_walk",
        "isochrones_secondary_drive",
        "isochrones_secondary_walk",
    ]
    circles = pyogrio.read_dataframe(gpkg, layer="circles_secondary_drive")
    assert circles["threshold_min"].tolist() == sorted(loaded.settings.analysis.thresholds_min)
    drive = pyogrio.read_dataframe(gpkg, layer="isochrones_secondary_drive")
    # the group's merged circle is the union of its facilities' circles up to the contour's
    # interpolation (within a lattice step): both are level sets of the same travel times
    step = abs(loaded.population.transform.a)
    for row in circles.itertuples():
        union = shapely.union_all(drive[drive["threshold_min"] == row.threshold_min].geometry)
        assert shapely.buffer(union, step).covers(row.geometry)
        assert shapely.buffer(row.geometry, step).covers(union)
        assert row.geometry.area == pytest.approx(union.area, rel=0.05)
    assert drive.crs.to_epsg() == 4326
    assert {"facility_id", "name", "level", "mode", "threshold_min", "area_km2"} <= set(drive)
    assert set(drive["level"]) == {"county_hospital"}
    assert len(drive) == 2 * len(loaded.settings.analysis.thresholds_min)
    for _, rows in drive.groupby("facility_id"):
        rows = rows.sort_values("threshold_min")
        assert rows["area_km2"].is_monotonic_increasing
        polygons = rows.geometry.to_numpy()
        for small, big in itertools.pairwise(polygons):
            assert big.buffer(1e-7).covers(small)
    with rasterio.open(tmp_path / "traveltime_drive.tif") as src:
        minutes = src.read(1)
        assert src.shape == loaded.population.shape
        assert src.transform == loaded.population.transform
        assert src.tags()["units"] == "minutes"
    no_people = ~np.isfinite(loaded.population.values)
    assert np.isnan(minutes[no_people]).all()
    net = reach.networks(loaded, group="secondary", modes=("drive",))["drive"]
    expected = traveltime.surface(net.graph, loaded.population, net.attached)
    assert np.isinf(expected).any()  # people beyond the walking reach of any road
    expected = np.where(np.isfinite(expected), expected, np.nan)  # nodata in the raster
    np.testing.assert_allclose(minutes, expected, rtol=1e-6, equal_nan=True)


def test_unknown_group_and_missing_network(loaded):
    with pytest.raises(ConfigError, match="no facility of group 'tertiary'"):
        reach.networks(loaded, group="tertiary")
    settings = config.load(SAMPLE_CONFIG)
    bare = config.from_dict(
        {
            "boundaries": {"path": str(settings.boundaries.path)},
            "facilities": {"path": str(settings.facilities.path), "coordinate_system": "gcj02"},
            "population": {"raster": str(settings.population.raster)},
        },
        base_dir=SAMPLE_CONFIG.parent,
    )
    with pytest.raises(ConfigError, match=r"set network\.osm"):
        reach.networks(layers.load(bare))
    elsewhere = dataclasses.replace(
        settings,
        network=dataclasses.replace(settings.network, osm=real_extract("andorra.osm.pbf")),
    )
    with pytest.raises(NetworkError, match="do not overlap the townships"):
        reach.networks(layers.load(elsewhere), modes=("drive",))


def test_merged_circles_hold_the_covered_people_of_each_township(demo_run, loaded):
    """On the sample county: the people in cells whose centre is inside the merged T circle
    are the township table's covered people, township by township (within one cell). The
    GeoPackage's circles are display copies, outlines moved by at most ``simplified_m``: the
    covered people lie between those inside the circle shrunk and grown by that much."""
    import pandas as pd
    from pyproj import Transformer

    out, _ = demo_run
    table = pd.read_csv(out / "townships.csv", dtype={"code": str})
    grid = loaded.population
    zones = loaded.township_index()
    people = np.nan_to_num(grid.values, nan=0.0)
    rows, cols = np.nonzero(people > 0)
    x = grid.transform.c + (cols + 0.5) * grid.transform.a
    y = grid.transform.f + (rows + 0.5) * grid.transform.e
    metric = loaded.region.metric_crs
    mx, my = Transformer.from_crs(grid.crs, metric, always_xy=True).transform(x, y)
    codes = loaded.townships["code"].astype(str).to_numpy()
    biggest = people.max()

    def per_town(area: shapely.Geometry) -> np.ndarray:
        shapely.prepare(area)
        inside = shapely.intersects_xy(area, mx, my)
        return np.bincount(
            zones[rows, cols][inside], weights=people[rows, cols][inside], minlength=len(codes)
        )

    for mode in ("walk", "drive"):
        circles = pyogrio.read_dataframe(out / "coverage.gpkg", layer=f"circles_primary_{mode}")
        assert circles.crs.to_epsg() == 4326 == grid.crs.to_epsg()
        moved = float(circles["simplified_m"].max())
        assert 0 < moved <= 20
        circles = circles.to_crs(metric)
        rows_mode = table[(table["group"] == "primary") & (table["mode"] == mode)]
        for limit, circle in zip(circles["threshold_min"], circles.geometry, strict=True):
            least, most = per_town(circle.buffer(-moved)), per_town(circle.buffer(moved))
            covered = rows_mode[rows_mode["threshold_min"] == limit].set_index("code")["covered"]
            for k, code in enumerate(codes):
                assert least[k] - biggest <= covered[code] <= most[k] + biggest, (mode, limit, code)
