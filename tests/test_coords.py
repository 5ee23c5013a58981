"""GCJ-02 / BD-09 conversions against published reference pairs and round trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geohealth.inputs import coords

# eviltransform's published test vectors (wgs lat, wgs lon, gcj lat, gcj lon).
EVILTRANSFORM_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# eviltransform's BD-09 vectors (bd lat, bd lon, wgs lat, wgs lon). They do not follow the
# published BD-09 formula (re-encoding their WGS point misses their BD point by 10 m and 41 m):
# they look like output of Baidu's own conversion service, which is known to differ from the
# formula by tens of metres. They bound how far our formula-exact answer is from Baidu's.
EVILTRANSFORM_BD_WGS = [
    (29.199786, 120.019809, 29.196131605295484, 120.00877901149691),
    (29.210504, 120.036455, 29.206795749156136, 120.0253853970846),
]
_GEOD = Geod(ellps="WGS84")


def _metres(lon1, lat1, lon2, lat2):
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_vectors(wlat, wlon, glat, glon):
    lon, lat = coords.wgs84_to_gcj02(wlon, wlat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_inverts_published_vectors(wlat, wlon, glat, glon):
    lon, lat = coords.gcj02_to_wgs84(glon, glat)
    assert _metres(lon, lat, wlon, wlat) < 0.01


def test_wandergis_reference_pairs():
    # coordtransform (wandergis) demo output for the point (116.404, 39.915).
    lon, lat = coords.wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41024449916938, 39.91640428150164))
    lon, lat = coords.gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021))
    # their bd09->gcj02 is the one-step approximation: ours must agree to well under a metre
    lon, lat = coords.bd09_to_gcj02(116.404, 39.915)
    assert _metres(lon, lat, 116.39762729119315, 39.90865673957631) < 1.0


@pytest.mark.parametrize(("blat", "blon", "wlat", "wlon"), EVILTRANSFORM_BD_WGS)
def test_bd09_to_wgs84_within_tens_of_metres_of_baidu_service(blat, blon, wlat, wlon):
    lon, lat = coords.bd09_to_wgs84(blon, blat)
    assert _metres(lon, lat, wlon, wlat) < 50.0
    # and far closer than leaving the point unconverted (BD-09 is ~1 km off WGS-84)
    assert _metres(blon, blat, wlon, wlat) > 500.0


def test_offset_is_hundreds_of_metres_inside_china():
    lon, lat = coords.wgs84_to_gcj02(127.5, 46.0)
    shift = _metres(127.5, 46.0, lon, lat)
    assert 100 < shift < 800


def test_identity_outside_china():
    lon, lat = coords.wgs84_to_gcj02([-104.9903, 2.35], [39.7392, 48.85])
    np.testing.assert_array_equal(lon, [-104.9903, 2.35])
    np.testing.assert_array_equal(lat, [39.7392, 48.85])


def test_vectorised_shapes_and_unknown_system():
    lon = np.linspace(100, 130, 50)
    lat = np.linspace(20, 50, 50)
    out_lon, out_lat = coords.to_wgs84(lon, lat, "gcj02")
    assert out_lon.shape == (50,)
    assert out_lat.shape == (50,)
    with pytest.raises(ValueError, match=r"unknown coordinate system"):
        coords.to_wgs84(lon, lat, "mars")  # type: ignore[arg-type]


china_lon = st.floats(min_value=73.5, max_value=134.7)
china_lat = st.floats(min_value=18.2, max_value=53.5)


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat, st.sampled_from(["gcj02", "bd09"]))
def test_round_trip_well_under_a_metre(lon, lat, system):
    there = coords.from_wgs84(lon, lat, system)
    back_lon, back_lat = coords.to_wgs84(*there, system)
    assert _metres(lon, lat, back_lon, back_lat) < 0.001  # 1 mm
