"""Per-facility catchments, population within reach, E2SFCA and a township without facility."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geohealth import catchments, config, coverage, traveltime
from geohealth.inputs import layers

from .conftest import SAMPLE_CONFIG


@pytest.fixture(scope="module")
def walk_run():
    """Coverage on the sample county by walking, with one township stripped of facilities."""
    loaded = layers.load(config.load(SAMPLE_CONFIG))
    towns = loaded.townships
    bare = towns.iloc[5]
    inside = loaded.facilities.within(bare.geometry)
    assert inside.any()
    stripped = layers.InputLayers(
        townships=towns,
        facilities=loaded.facilities[~inside].reset_index(drop=True),
        population=loaded.population,
        region=loaded.region,
        settings=loaded.settings,
    )
    return stripped, bare, coverage.run(stripped, modes=("walk",), progress=False)


def test_catchments_add_up_and_match_single_facility_searches(walk_run):
    loaded, _, result = walk_run
    cells = result.groups[("primary", "walk")]
    table = result.facilities
    primary = table[(table["group"] == "primary") & (table["mode"] == "walk")]
    first = primary[primary["threshold_min"] == primary["threshold_min"].iloc[0]]
    people = np.nan_to_num(loaded.population.values, nan=0.0)
    reachable = people[np.isfinite(cells.minutes)].sum()
    assert first["catchment_population"].sum() == pytest.approx(reachable)
    # population within 15 min of a facility = a search with that facility alone
    net = cells.network
    rows15 = primary[primary["threshold_min"] == 15.0].reset_index(drop=True)
    for j in (0, 7, 100, len(net.facilities) - 1):
        alone = traveltime.surface(net.graph, loaded.population, net.attached.take([j]))
        expected = people[alone <= 15.0].sum()
        assert rows15.loc[j, "population_within"] == pytest.approx(expected, rel=1e-9)
        in_catchment = people[(cells.nearest == j) & (cells.minutes <= 15.0)].sum()
        assert rows15.loc[j, "population_within"] >= in_catchment - 1e-6
    beds = rows15["beds"].to_numpy()
    has = (rows15["catchment_population"] > 0) & np.isfinite(beds)
    np.testing.assert_allclose(
        rows15.loc[has, "beds_per_1000_catchment"],
        beds[has] / rows15.loc[has, "catchment_population"] * 1000,
    )


def test_township_without_facility_is_still_reported(walk_run):
    loaded, bare, result = walk_run
    towns = result.townships
    rows = towns[(towns["code"] == bare["code"]) & (towns["group"] == "primary")]
    assert len(rows) == len(loaded.settings.analysis.thresholds_min)
    np.testing.assert_allclose(rows["covered"] + rows["uncovered"], rows["population"])
    assert (rows["population"] > 0).all()
    assert (rows["beds_per_1000"] == 0).all()  # no facility inside: no beds located there
    # people there still reach neighbours' facilities, only later
    assert rows["mean_min"].notna().all()


def test_e2sfca_hands_out_every_bed_on_the_sample(walk_run):
    loaded, _, result = walk_run
    cells = result.groups[("secondary", "walk")]
    people = np.nan_to_num(loaded.population.values, nan=0.0)
    handed = np.nansum(cells.access * people) / 1000
    table = result.facilities
    rows = table[(table["group"] == "secondary") & (table["threshold_min"] == 30.0)]
    reaching = rows["e2sfca_beds_per_1000"].notna()
    assert reaching.any()
    assert handed == pytest.approx(rows.loc[reaching, "beds"].sum())
    # ambulance stations have no beds: no index rather than zero
    assert np.isnan(result.groups[("emergency", "walk")].access).all()


def test_catchment_polygons_and_uncovered_cells(walk_run):
    loaded, _, result = walk_run
    cells = result.groups[("primary", "walk")]
    polygons = catchments.catchment_polygons(
        loaded.population, cells.nearest, cells.network.facilities
    )
    assert polygons.crs.to_epsg() == 4326
    assert polygons.is_valid.all()
    people = np.nan_to_num(loaded.population.values, nan=0.0)
    assert polygons["population"].sum() == pytest.approx(people[cells.nearest >= 0].sum())
    # each catchment's area measured on the ellipsoid itself; cells are bounded by parallels,
    # so long edges are cut into 0.0005° pieces (a geodesic between them bows poleward)
    geod = Geod(ellps="WGS84")
    shells = shapely.segmentize(polygons.geometry[:25].to_numpy(), 0.0005)
    measured = [geod.geometry_area_perimeter(g)[0] / 1e6 for g in shells]
    np.testing.assert_allclose(polygons["area_km2"][:25], measured, rtol=1e-6)
    uncovered = catchments.uncovered_cells(loaded.population, cells.minutes, 15.0)
    area = result.townships
    area = area[
        (area["code"] == coverage.AREA_CODE)
        & (area["group"] == "primary")
        & (area["threshold_min"] == 15.0)
    ]
    # every uncovered person sits in an uncovered cell (cells outside townships too)
    outside = loaded.population.township_index(loaded.townships) < 0
    beyond = people[outside & ~(cells.minutes <= 15.0)].sum()
    assert uncovered["population"].sum() == pytest.approx(area["uncovered"].iloc[0] + beyond)
    spots = catchments.hotspots(loaded.population, cells.minutes, 15.0)
    assert spots["population"].sum() == pytest.approx(uncovered["population"].sum())
    assert len(spots) < len(uncovered)


def test_uncovered_areas_hold_each_townships_uncovered_people(walk_run):
    """Merged by township and time band, the areas add up to the table's uncovered people."""
    loaded, _, result = walk_run
    cells = result.groups[("primary", "walk")]
    zones = loaded.township_index()
    areas = catchments.uncovered_areas(
        loaded.population, cells.minutes, 15.0, loaded.townships, zones
    )
    assert areas.crs.to_epsg() == 4326
    assert areas.is_valid.all()
    rows = result.townships
    rows = rows[(rows["group"] == "primary") & (rows["threshold_min"] == 15.0)]
    rows = rows[rows["mode"] == "walk"].set_index("code")
    per_town = areas.groupby("code")["population"].sum()
    for code, people in per_town.items():
        if code:  # "" holds the cells outside every township
            assert people == pytest.approx(rows.loc[code, "uncovered"], rel=1e-6)
    assert set(areas["band"]) <= {"15–30 min", "30–60 min", "> 60 min", "no care reachable"}
    assert (areas["from_min"] >= 15.0).all()
    # one row per township and band, far fewer than the cells
    assert not areas.duplicated(["code", "band"]).any()
    assert areas["cells"].sum() > 10 * len(areas)
