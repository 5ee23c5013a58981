"""CRS checks and guesses, web-map outline conversion, polygon clean-up."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from geohealth.errors import ConfigError, CoordinateError, NoCrsError
from geohealth.inputs import coords, geometry

from .conftest import square


@pytest.mark.parametrize(
    ("epsg", "expected"),
    [
        (4530, "'EPSG:4530' (CGCS2000 / 3-degree Gauss–Krüger zone 42; 'EPSG:2366' if"),
        (4499, "'EPSG:4499' (CGCS2000 / Gauss–Krüger zone 21; 'EPSG:2335' if"),
    ],
)
def test_zone_read_from_the_leading_digits(epsg, expected):
    towns = gpd.GeoSeries([square(127.0, 46.0)], crs="EPSG:4490").to_crs(epsg)
    advice = geometry.likely_projected_crs(towns.total_bounds, config_key="boundaries.crs")
    assert f"add boundaries.crs = {expected}" in advice
    # the suggested codes are the grid the coordinates were made in, and its Xian 1980 twin
    cgcs, xian = (CRS.from_user_input(code) for code in expected.split("'")[1:4:2])
    assert cgcs.equals(CRS.from_epsg(epsg))
    assert xian.name == cgcs.name.replace("CGCS2000", "Xian 1980")


def test_no_zone_prefix_lists_central_meridian_grids_and_utm():
    towns = gpd.GeoSeries([square(127.0, 46.0)], crs="EPSG:4490").to_crs("EPSG:4549")
    advice = geometry.likely_projected_crs(towns.total_bounds, config_key="population.crs")
    assert "population.crs = 'EPSG:4534' … 'EPSG:4554'" in advice
    assert "'EPSG:32643' … 'EPSG:32653'" in advice


def test_coordinate_units():
    assert geometry.coordinate_units((127.0, 46.0, 127.2, 46.1)) == "degrees"
    assert geometry.coordinate_units((42_500_000.0, 5e6, 42_600_000.0, 5.1e6)) == "metres"
    assert geometry.coordinate_units((np.nan, np.nan, np.nan, np.nan)) is None


def test_settle_crs_messages_for_points_without_crs():
    frame = gpd.GeoDataFrame(geometry=shapely.points([42_577_000.0], [5_096_000.0]))
    with pytest.raises(NoCrsError, match=r"^f\.gpkg: .* add facilities\.crs = 'EPSG:4530'"):
        geometry.settle_crs(frame, None, source="f.gpkg", config_key="facilities.crs")
    settled = geometry.settle_crs(frame, "EPSG:4530", source="f.gpkg", config_key="facilities.crs")
    assert settled.crs.to_epsg() == 4530


def test_file_crs_that_fits_still_wins_over_a_different_declaration():
    frame = gpd.GeoDataFrame(geometry=[square(127.0, 46.0)], crs="EPSG:4490")
    with pytest.raises(ConfigError, match=r"remove boundaries\.crs unless"):
        geometry.settle_crs(frame, "EPSG:4326", source="t.gpkg", config_key="boundaries.crs")


def test_projected_file_whose_coordinates_are_degrees():
    frame = gpd.GeoDataFrame(geometry=[square(127.0, 46.0)], crs="EPSG:32652")
    with pytest.raises(
        CoordinateError,
        match=r"^t\.gpkg: the file says its CRS is EPSG:32652 \(metres\) but the coordinates "
        r"are lon/lat degrees: the file's CRS is wrong — set boundaries\.crs = 'EPSG:4490'",
    ):
        geometry.settle_crs(frame, None, source="t.gpkg", config_key="boundaries.crs")
    fixed = geometry.settle_crs(frame, "EPSG:4490", source="t.gpkg", config_key="boundaries.crs")
    assert fixed.crs.to_epsg() == 4490


lon_lat = st.tuples(
    st.floats(min_value=75.0, max_value=134.0), st.floats(min_value=19.0, max_value=52.0)
)


@settings(max_examples=30, deadline=None)
@given(st.lists(lon_lat, min_size=1, max_size=5), st.sampled_from(["gcj02", "bd09"]))
def test_web_coordinates_converted_vertex_by_vertex(corners, system):
    wgs = [square(lon, lat, 0.05) for lon, lat in corners]
    parts = shapely.get_coordinates(wgs)
    web = shapely.set_coordinates(
        np.array(wgs, dtype=object),
        np.column_stack(coords.from_wgs84(parts[:, 0], parts[:, 1], system)),
    )
    frame = gpd.GeoDataFrame(geometry=web, crs="EPSG:4326")
    out = geometry.convert_web_coordinates(
        frame, system, source="t.geojson", config_key="boundaries.coordinate_system"
    )
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.to_numpy()), parts, atol=1e-8)


def test_web_coordinates_refused_in_metres_and_unknown():
    frame = gpd.GeoDataFrame(geometry=[square(500_000.0, 5e6, 1000.0)], crs="EPSG:32652")
    with pytest.raises(ConfigError, match=r"applies to lon/lat files"):
        geometry.convert_web_coordinates(frame, "gcj02", source="t.gpkg", config_key="k")
    with pytest.raises(ConfigError, match=r"k = 'mars' is unknown"):
        geometry.convert_web_coordinates(frame, "mars", source="t.gpkg", config_key="k")


def test_polygonal_drops_stray_lines():
    mixed = shapely.GeometryCollection([square(0, 0, 1), shapely.LineString([(2, 2), (3, 3)])])
    out = geometry.polygonal(np.array([mixed, square(5, 5, 1)], dtype=object))
    assert out[0].geom_type == "Polygon"
    assert out[1].equals(square(5, 5, 1))
