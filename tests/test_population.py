"""Population: rasters with nodata, township totals spread and rescaled, totals that add up."""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod

from geohealth.errors import (
    InputError,
    InputFileNotFoundError,
    NoCrsError,
)
from geohealth.inputs import boundaries, population, region
from geohealth.inputs.population import PopulationGrid

CELL = 0.01  # degrees


def write_raster(path, values, *, crs="EPSG:4326", nodata=-99999.0):
    profile = {
        "driver": "GTiff",
        "width": values.shape[1],
        "height": values.shape[0],
        "count": 1,
        "dtype": "float32",
        "transform": Affine(CELL, 0, 127.0, 0, -CELL, 46.1),
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype("float32"), 1)
    return path


@pytest.fixture
def towns(townships_file):
    return boundaries.load(townships_file)


def test_nodata_respected_and_zonal_totals_add_up(tmp_path, towns):
    values = np.full((10, 20), 2.0)
    values[0, 0] = -99999.0
    values[5, 5] = -99999.0
    grid = population.load_raster(write_raster(tmp_path / "p.tif", values))
    assert grid.nodata_cells == 2
    assert grid.total == pytest.approx(2.0 * 198)
    per_township, outside = population.zonal_totals(grid, towns)
    assert per_township.index.tolist() == towns["code"].tolist()
    assert per_township.sum() + outside == pytest.approx(grid.total)
    assert per_township.iloc[1] == pytest.approx(2.0 * 100)  # eastern square: all 100 cells


def test_raster_without_crs(tmp_path):
    path = write_raster(tmp_path / "p.tif", np.ones((3, 3)), crs=None)
    with pytest.raises(NoCrsError, match=r"has no CRS — set population.crs"):
        population.load_raster(path)
    assert population.load_raster(path, crs="EPSG:4326").crs.to_epsg() == 4326


def test_negative_values_without_nodata(tmp_path):
    values = np.ones((3, 3))
    values[0, 0] = -3.4e38
    path = write_raster(tmp_path / "p.tif", values, nodata=None)
    with pytest.raises(InputError, match=r"negative values .* set population.nodata"):
        population.load_raster(path)
    grid = population.load_raster(path, nodata=float(np.float32(-3.4e38)))
    assert grid.total == 8


def test_all_nodata_band_and_missing(tmp_path):
    path = write_raster(tmp_path / "p.tif", np.full((3, 3), -99999.0))
    with pytest.raises(InputError, match=r"every cell is nodata"):
        population.load_raster(path)
    with pytest.raises(InputError, match=r"has 1 band"):
        population.load_raster(write_raster(tmp_path / "q.tif", np.ones((2, 2))), band=2)
    with pytest.raises(InputFileNotFoundError, match=r"population.raster"):
        population.load_raster(tmp_path / "none.tif")
    (tmp_path / "bad.tif").write_bytes(b"not a tiff")
    with pytest.raises(InputError, match=r"not a readable raster"):
        population.load_raster(tmp_path / "bad.tif")


def test_township_totals_spread_exactly(towns):
    study = region.from_townships(towns)
    grid = population.from_township_totals(towns, region=study, resolution_m=250)
    per_township, outside = population.zonal_totals(grid, towns)
    np.testing.assert_allclose(per_township.to_numpy(), towns["population"].to_numpy())
    assert outside == 0
    assert grid.crs == study.metric_crs


def tiny_township_grid(towns) -> tuple[gpd.GeoDataFrame, PopulationGrid]:
    """太平乡 and a township ~40 m across, their census totals spread over 200 m cells."""
    from .conftest import square

    tiny = towns.iloc[[0]].copy()
    tiny["geometry"] = [square(127.3, 46.0, 0.0005)]  # ~40 m across
    tiny["code"] = ["tiny"]
    both = pd.concat([towns.iloc[[1]], tiny], ignore_index=True)
    study = region.from_townships(both)
    grid = population.from_township_totals(both, region=study, resolution_m=200)
    return both, grid


def test_tiny_township_keeps_its_people(towns):
    both, grid = tiny_township_grid(towns)
    assert grid.total == pytest.approx(both["population"].sum())


def test_missing_totals(towns):
    study = region.from_townships(towns)
    with pytest.raises(InputError, match=r"township population is missing for 永安镇"):
        population.from_township_totals(towns.assign(population=[np.nan, 1.0]), region=study)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=1e6), min_size=2, max_size=2),
    st.sampled_from([150.0, 400.0, 1000.0]),
)
def test_spreading_preserves_totals(totals, resolution):
    from .conftest import square

    towns = gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["甲", "乙"], "population": totals},
        geometry=[square(127.0, 46.0), square(127.1, 46.0, 0.05)],
        crs="EPSG:4326",
    )
    study = region.from_townships(towns)
    grid = population.from_township_totals(towns, region=study, resolution_m=resolution)
    per_township, _ = population.zonal_totals(grid, towns)
    np.testing.assert_allclose(per_township.to_numpy(), totals, rtol=1e-9, atol=1e-6)


def test_rescale_to_totals(tmp_path, towns):
    rng = np.random.default_rng(1)
    values = rng.uniform(0, 5, (10, 20))
    values[:, :10] = 0.0  # the western township has no raster people: spread evenly
    grid = population.load_raster(write_raster(tmp_path / "p.tif", values))
    scaled = population.rescale_to_totals(grid, towns)
    per_township, _ = population.zonal_totals(scaled, towns)
    np.testing.assert_allclose(per_township.to_numpy(), towns["population"].to_numpy())
    # inside the eastern township the distribution keeps its shape
    ratio = scaled.values[:, 10:] / grid.values[:, 10:]
    assert np.allclose(ratio, ratio.flat[0])


def test_nodata_in_messages_is_pasteable_and_matches_float32(tmp_path):
    lowest = float(np.finfo(np.float32).min)  # -3.4028234663852886e+38
    values = np.ones((3, 3))
    values[0, 0] = lowest
    path = write_raster(tmp_path / "p.tif", values, nodata=None)
    with pytest.raises(InputError) as caught:
        population.load_raster(path)
    message = str(caught.value)
    assert message.startswith("p.tif: 1 cells hold negative values")
    assert "set population.nodata = -3.4028234663852886e+38" in message
    pasted = float(re.search(r"population\.nodata = (\S+)$", message).group(1))
    assert population.load_raster(path, nodata=pasted).total == 8
    # as gdalinfo prints it: a different float64, the same float32
    assert population.load_raster(path, nodata=-3.4028235e38).total == 8


def test_other_negative_values_name_the_value_to_paste(tmp_path):
    values = np.ones((3, 3))
    values[0, 0] = -99999.0
    values[1, 1] = -1.0
    path = write_raster(tmp_path / "p.tif", values)
    with pytest.raises(
        InputError,
        match=r"p\.tif: 1 cells .* nodata is -99999\.0 but other negative values remain "
        r"— set population\.nodata = -1\.0$",
    ):
        population.load_raster(path)


@pytest.mark.parametrize("keep", [0.5, 300])
def test_truncated_geotiff_is_named_damaged(tmp_path, keep, caplog):
    path = write_raster(tmp_path / "p.tif", np.ones((100, 200)))
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep) if keep < 1 else keep])
    with pytest.raises(
        InputError,
        match=r"^p\.tif: the GeoTIFF is damaged or incomplete .* re-export or re-download it$",
    ):
        population.load_raster(path)
    # GDAL's own complaints (logged by rasterio) do not add lines to the one-line error
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_gdal_remarks_on_a_sound_file_are_passed_on(tmp_path, caplog, monkeypatch):
    path = write_raster(tmp_path / "p.tif", np.ones((3, 3)))
    original = rasterio.open

    def remarking_open(*args, **kwargs):
        logging.getLogger("rasterio._env").warning("CPLE_AppDefined in p.tif: a remark")
        return original(*args, **kwargs)

    monkeypatch.setattr(rasterio, "open", remarking_open)
    with caplog.at_level(logging.WARNING, logger="rasterio._env"):
        grid = population.load_raster(path)
    assert grid.total == 9
    assert "a remark" in caplog.text


def test_damage_found_when_reading_the_band(tmp_path, monkeypatch):
    path = write_raster(tmp_path / "p.tif", np.ones((100, 200)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    # without the up-front block check the damage shows only when the band is read
    monkeypatch.setattr(population, "_check_complete", lambda *a, **k: None)
    with pytest.raises(
        InputError,
        match=r"^p\.tif: the raster is damaged or incomplete \(reading band 1 failed: .*\) "
        r"— re-export or re-download it$",
    ):
        population.load_raster(path)


@pytest.mark.parametrize(
    ("transform", "crs"),
    [
        (Affine(0.0008333, 0.0, 116.0, 0.0, -0.0008333, 41.0), "EPSG:4326"),  # WorldPop-like
        (Affine(0.001, 0.0002, 100.0, 0.0003, -0.001, 22.0), "EPSG:4490"),  # rotated, CGCS2000
        (Affine(100.0, 0.0, 500_000.0, 0.0, -100.0, 4_500_000.0), "EPSG:32650"),
    ],
)
def test_cell_areas_are_the_cells_areas_on_the_ellipsoid(transform, crs):
    grid = PopulationGrid(np.ones((7, 5)), transform, CRS.from_user_input(crs), "test")
    area = grid.cell_area_km2()
    assert area.shape == (7, 5)
    for row, col in [(0, 0), (6, 4), (3, 2)]:
        corners = [
            transform @ xy
            for xy in [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1)]
        ]
        cell = shapely.Polygon(corners)
        if grid.crs.is_geographic:
            expected = abs(Geod(ellps="GRS80").geometry_area_perimeter(cell)[0]) / 1e6
        else:
            expected = cell.area / 1e6
        assert area[row, col] == pytest.approx(expected, rel=1e-6)
