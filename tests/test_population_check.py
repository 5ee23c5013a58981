"""Population check: a grid against the townships and their census totals, warned or refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
from affine import Affine

from geohealth.errors import InputError, PopulationMismatchWarning
from geohealth.inputs import boundaries, population, population_check
from geohealth.inputs.population import PopulationGrid

from .test_population import CELL, tiny_township_grid, write_raster


@pytest.fixture
def towns(townships_file):
    return boundaries.load(townships_file)


def test_grid_spread_from_the_census_is_not_compared_with_it(towns):
    both, grid = tiny_township_grid(towns)
    # a grid spread from the census is not compared with the census it came from
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked = population_check.check_against(
            grid, both, source="towns.gpkg", mismatch_warn_share=0.05, compare_census=False
        )
    assert checked.mismatched == ()
    assert checked.uncovered == ()


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
        population_check.check_against(moved, towns, source="p.tif", mismatch_warn_share=0.05)


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
        population_check.check_against(grid, towns, source="gk.tif", mismatch_warn_share=0.05)


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
        population_check.check_against(grid, towns, source="p.tif", mismatch_warn_share=0.05)


def test_mismatch_and_uncovered_townships_warn_once_each(tmp_path, towns):
    values = np.full((10, 20), 100.0)
    values[:, :10] = -99999.0  # 永安镇 entirely nodata
    values[:, 10:] = 90.0  # 太平乡: 9 000 persons against a census of 8 000
    grid = population.load_raster(write_raster(tmp_path / "p.tif", values))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = population_check.check_against(
            grid, towns, source="p.tif", mismatch_warn_share=0.05
        )
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
        population_check.check_against(
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
        result = population_check.check_against(
            grid, towns, source="p.tif", mismatch_warn_share=0.05
        )
    assert result.uncovered == ("永安镇",)


def test_sample_county_checks_without_warnings(sample_layers):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = population_check.check_against(
            sample_layers.population,
            sample_layers.townships,
            source="sample_population.tif",
            mismatch_warn_share=sample_layers.settings.population.mismatch_warn_share,
        )
    assert result.uncovered == ()
    assert result.inside == pytest.approx(sample_layers.population.total, rel=1e-6)
