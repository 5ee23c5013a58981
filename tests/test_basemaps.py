"""Basemaps: tile choice, and overlays shifted to GCJ-02 when the tiles are AMap's."""

from __future__ import annotations

import dataclasses

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

from geohealth import config
from geohealth.errors import ConfigError
from geohealth.inputs import coords
from geohealth.webmap import basemaps, offline, plan_maps

from .conftest import overlay_names


def _gcj(lon: float, lat: float) -> tuple[float, float]:
    x, y = coords.wgs84_to_gcj02([lon], [lat])
    return float(x[0]), float(y[0])


def test_every_kind_of_overlay_is_shifted_to_gcj02():
    fmap = folium.Map(tiles=None)
    offline.inline_assets(fmap)
    assert basemaps.add_basemap(fmap, "amap") == "gcj02"
    square = shapely.box(127.40, 46.00, 127.45, 46.05)
    folium.GeoJson(gpd.GeoSeries([square], crs=4326).to_json(), name="poly").add_to(fmap)
    group = folium.FeatureGroup(name="points").add_to(fmap)
    folium.Marker([46.02, 127.42]).add_to(group)
    folium.CircleMarker([46.03, 127.43], radius=3).add_to(group)
    folium.raster_layers.ImageOverlay(
        np.zeros((2, 2, 4), dtype=np.uint8), bounds=[[46.0, 127.4], [46.05, 127.45]]
    ).add_to(fmap)
    fmap.fit_bounds([[46.0, 127.4], [46.05, 127.45]])
    basemaps.align(fmap, "gcj02")
    children = list(fmap._children.values())
    poly = next(c for c in children if isinstance(c, folium.GeoJson))
    ring = poly.data["features"][0]["geometry"]["coordinates"][0]
    for (lon, lat), original in zip(ring, square.exterior.coords, strict=True):
        assert (lon, lat) == pytest.approx(_gcj(*original), abs=1e-9)
    marker, circle = group._children.values()
    assert marker.location == pytest.approx(_gcj(127.42, 46.02)[::-1], abs=1e-9)
    assert circle.location == pytest.approx(_gcj(127.43, 46.03)[::-1], abs=1e-9)
    image = next(c for c in children if isinstance(c, folium.raster_layers.ImageOverlay))
    assert image.bounds[0] == pytest.approx(_gcj(127.4, 46.0)[::-1], abs=1e-9)
    shift_m = (np.array(_gcj(127.42, 46.02)) - (127.42, 46.02)) * (77_000, 111_000)
    assert 100 < np.hypot(*shift_m) < 1_000  # the GCJ-02 offset is hundreds of metres
    page = fmap.get_root().render()
    assert "webrd0{s}.is.autonavi.com" in page
    offline.check_offline(page)  # tiles are images: the page still opens offline


def test_basemap_choices_and_errors(tmp_path):
    assert basemaps.add_basemap(folium.Map(tiles=None), "osm") == "wgs84"
    assert basemaps.add_basemap(folium.Map(tiles=None), "none") == "wgs84"
    with pytest.raises(ConfigError, match=r"needs output\.tianditu_key"):
        basemaps.add_basemap(folium.Map(tiles=None), "tianditu")
    fmap = folium.Map(tiles=None)
    basemaps.add_basemap(fmap, "tianditu", tianditu_key="abc123")
    assert "tk=abc123" in fmap.get_root().render()
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        '[boundaries]\npath = "b.gpkg"\n[facilities]\npath = "f.csv"\n'
        '[output]\nbasemap = "google"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"output\.basemap"):
        config.load(cfg)


def test_siting_map_lines_up_with_amap_tiles(sample_layers):
    output = dataclasses.replace(sample_layers.settings.output, basemap="amap")
    settings = dataclasses.replace(sample_layers.settings, output=output)
    layers_amap = dataclasses.replace(sample_layers, settings=settings)
    thc = sample_layers.facilities[sample_layers.facilities["level"] == "township_health_centre"]
    sites = gpd.GeoDataFrame(
        {
            "site_id": thc["facility_id"].astype(str).iloc[:2].to_numpy(),
            "name": thc["name"].iloc[:2].to_numpy(),
            "level": "township_health_centre",
            "chosen": True,
        },
        geometry=thc.geometry.iloc[:2].to_numpy(),
        crs=thc.crs,
    ).to_crs(4326)
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"], "population": [1.0, 2.0]},
        geometry=sample_layers.townships.geometry.iloc[:2].to_numpy(),
        crs=sample_layers.townships.crs,
    ).to_crs(4326)
    fmap = plan_maps.siting_map(layers_amap, sites, catchments, None, title="t", subtitle="s")
    page = fmap.get_root().render()
    assert "is.autonavi.com" in page
    assert "选址结果" in overlay_names(page)
    stars = next(
        c
        for c in fmap._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name == "选址结果"
    )
    markers = [c for c in stars._children.values() if isinstance(c, folium.Marker)]
    for marker, point in zip(markers, sites.geometry, strict=True):
        assert marker.location == pytest.approx(_gcj(point.x, point.y)[::-1], abs=1e-9)
