"""Population: rasters with nodata, township totals spread and rescaled, totals that add up."""

from __future__ import annotations

import logging
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from geohealth.errors import (
    InputError,
    InputFileNotFoundError,
    NoCrsError,
    PopulationMismatchWarning,
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


def test_tiny_township_keeps_its_people(towns):
    from .conftest import square

    tiny = towns.iloc[[0]].copy()
    tiny["geometry"] = [square(127.3, 46.0, 0.0005)]  # ~40 m across
    tiny["code"] = ["tiny"]
    both = pd.concat([towns.iloc[[1]], tiny], ignore_index=True)
    study = region.from_townships(both)
    grid = population.from_township_totals(both, region=study, resolution_m=200)
    assert grid.total == pytest.approx(both["population"].sum())
    # a grid spread from the census is not compared with the census it came from
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked = population.check_against(
            grid, both, source="towns.gpkg", mismatch_warn_share=0.05, compare_census=False
        )
    assert checked.mismatched == ()
    assert checked.uncovered == ()


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


def test_raster_elsewhere_does_not_overlap(tmp_path, towns):
    values = np.ones((10, 20))
    path = write_raster(tmp_path / "p.tif", values)
    grid = population.load_raster(path)
    moved = PopulationGrid(
        values=grid.values,
        transform=Affine(CELL, 0, 100.0, 0, -CELL, 46.1),
        crs=grid.crs,
        source=grid.source,
    )
    with pytest.raises(
        InputError,
        match=r"^p\.tif: the raster does not overlap the townships \(the raster covers "
        r"100\.00–100\.20°E, 46\.00–46\.10°N, the townships 127\.00–127\.20°E, "
        r"46\.00–46\.10°N\) — give the raster for this county, or fix its CRS",
    ):
        population.check_against(moved, towns, source="p.tif", mismatch_warn_share=0.05)


def test_raster_in_the_wrong_zone_lands_elsewhere(tmp_path, towns):
    # metres of Gauss–Krüger zone 42 (EPSG:4530), but the file says zone 38 (EPSG:4526)
    west, south, east, north = towns.to_crs("EPSG:4530").total_bounds
    profile = {
        "driver": "GTiff",
        "width": 20,
        "height": 10,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4526",
        "transform": Affine((east - west) / 20, 0, west, 0, -(north - south) / 10, north),
    }
    path = tmp_path / "gk.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((10, 20), dtype="float32"), 1)
    grid = population.load_raster(path)
    with pytest.raises(InputError, match=r"^gk\.tif: the raster does not overlap .*covers 15\d\."):
        population.check_against(grid, towns, source="gk.tif", mismatch_warn_share=0.05)


def test_no_people_inside_the_townships(tmp_path, towns):
    values = np.zeros((12, 24))
    values[:, -2:] = 5.0  # people only east of the townships
    profile_transform = Affine(CELL, 0, 127.0, 0, -CELL, 46.1)
    path = tmp_path / "p.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=24,
        height=12,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=profile_transform,
    ) as dst:
        dst.write(values.astype("float32"), 1)
    grid = population.load_raster(path)
    with pytest.raises(
        InputError,
        match=r"^p\.tif: the raster holds no people inside the townships \(all 200 cells "
        r"inside them are nodata or zero; 120 persons in all; the raster covers "
        r"127\.00–127\.24°E, 45\.98–46\.10°N, the townships 127\.00–127\.20°E, 46\.00–46\.10°N\)"
        r" — give the raster for this county, or check population\.band and population\.nodata$",
    ):
        population.check_against(grid, towns, source="p.tif", mismatch_warn_share=0.05)


def test_mismatch_and_uncovered_townships_warn_once_each(tmp_path, towns):
    values = np.full((10, 20), 100.0)
    values[:, :10] = -99999.0  # 永安镇 entirely nodata
    values[:, 10:] = 90.0  # 太平乡: 9 000 persons against a census of 8 000
    grid = population.load_raster(write_raster(tmp_path / "p.tif", values))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = population.check_against(grid, towns, source="p.tif", mismatch_warn_share=0.05)
    messages = [str(w.message) for w in caught if w.category is PopulationMismatchWarning]
    assert messages == [
        "p.tif: 1 township(s) have census people but no raster people (their cells are "
        "nodata or zero, or outside the raster): 永安镇 (010101100000, 12,000 persons) — give "
        "a raster that covers the whole county, or set population.source = 'townships'",
        "p.tif: raster 9,000 vs census 20,000 persons in the townships with census totals "
        "(-55.0 %); 1 township(s) differ by more than 5% (population.mismatch_warn_share): "
        "太平乡 (+12 %) — check that the raster and the census cover the same area and year",
    ]
    assert result.uncovered == ("永安镇",)
    assert result.mismatched == ("永安镇", "太平乡")
    assert result.inside == pytest.approx(9000.0)
    # the same grid within tolerance: no warning at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        population.check_against(
            grid,
            towns.assign(population=[np.nan, 9100.0]),
            source="p.tif",
            mismatch_warn_share=0.05,
        )


def test_township_outside_the_raster_counts_as_uncovered(tmp_path, towns):
    values = np.full((10, 10), 80.0)  # covers only the eastern township, 太平乡
    path = tmp_path / "p.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(CELL, 0, 127.1, 0, -CELL, 46.1),
    ) as dst:
        dst.write(values.astype("float32"), 1)
    grid = population.load_raster(path)
    with pytest.warns(PopulationMismatchWarning, match=r"no raster people .*: 永安镇 \("):
        result = population.check_against(grid, towns, source="p.tif", mismatch_warn_share=0.05)
    assert result.uncovered == ("永安镇",)


def test_sample_county_checks_without_warnings(sample_layers):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = population.check_against(
            sample_layers.population,
            sample_layers.townships,
            source="sample_population.tif",
            mismatch_warn_share=sample_layers.settings.population.mismatch_warn_share,
        )
    assert result.uncovered == ()
    assert result.inside == pytest.approx(sample_layers.population.total, rel=1e-6)
