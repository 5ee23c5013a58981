"""Every kind of map, driven by a mouse in headless Chromium with the network cut off.

On each map a facility is clicked (its popup names it), a township is hovered (the tooltip
names it) and, on plan maps, a catchment is hovered (the tooltip names its site). The pointer
is sent to the element under the place's pixel, so a layer drawn over the one a reader needs
takes the hover here as it would for a person, and the test fails. Each map is opened once.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth import whatif
from geohealth.webmap import symbols

from . import browser
from .browser import Probe


def _inside(
    area: shapely.Geometry, avoid: np.ndarray, *, margin_m: float = 400.0, count: int = 25
) -> list[tuple[float, float]]:
    """Places (lon, lat) well inside ``area``, farthest from the ``avoid`` points first.

    ``area`` and ``avoid`` (an (n, 2) array of lon, lat) are in WGS 84 degrees; a place is
    at least ``margin_m`` inside, so simplified outlines on the page still hold it.
    """
    frame = gpd.GeoSeries([area], crs=4326)
    metric = frame.estimate_utm_crs()
    inner = frame.to_crs(metric).buffer(-margin_m).iloc[0]
    assert not inner.is_empty, "the area is too small to hover well inside it"
    west, south, east, north = inner.bounds
    xs, ys = np.meshgrid(np.linspace(west, east, 30), np.linspace(south, north, 30))
    grid = shapely.points(xs.ravel(), ys.ravel())
    grid = grid[shapely.contains_xy(inner, xs.ravel(), ys.ravel())]
    away = gpd.GeoSeries(shapely.points(avoid), crs=4326).to_crs(metric).to_numpy()
    far = shapely.distance(grid[:, None], away[None, :]).min(axis=1)
    best = gpd.GeoSeries(grid[np.argsort(-far)][:count], crs=metric).to_crs(4326)
    return list(zip(best.x, best.y, strict=True))


def _lonlat(points: gpd.GeoSeries) -> np.ndarray:
    points = points.to_crs(4326)
    return np.column_stack([points.x, points.y])


def _loneliest(points: gpd.GeoDataFrame) -> pd.Series:
    """The row whose point is farthest from every other (its marker is nobody's neighbour)."""
    xy = _lonlat(points.geometry)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return points.iloc[int(np.argmax(d.min(axis=1)))]


def _check(answer: browser.Answer, *expected: str) -> None:
    assert answer.place is not None, f"no place on the map was free to use: {answer.skipped}"
    for text in expected:
        assert text in answer.text, (text, answer)


def test_coverage_map_answers_the_mouse(demo_run, sample_layers):
    out, _ = demo_run
    facilities = sample_layers.facilities
    clinic = _loneliest(facilities)
    towns = sample_layers.townships.to_crs(4326)
    town = towns.iloc[int(towns.to_crs(sample_layers.region.metric_crs).area.argmax())]
    everything = _lonlat(facilities.geometry)
    seen = browser.probe(
        out / "coverage_map.html",
        [
            Probe("click", [(clinic.geometry.x, clinic.geometry.y)], "marker"),
            Probe("hover", _inside(town.geometry, everything)),
        ],
    )
    assert not [line for line in seen.console if "Uncaught" in line], seen.console
    assert seen.title == "样例县 · 15分钟医疗卫生服务圈"
    click, hover = seen.answers
    _check(click, str(clinic["name"]), "级别：", "床位：")
    _check(hover, str(town["name"]))
    assert "leaflet-marker-icon" not in hover.hit


def _site_and_catchment(folder):
    """A siting run's proposed site farthest from the others, its catchment, and every site
    (lon, lat: places near them are not hovered)."""
    sites = gpd.read_file(folder / "assignment.gpkg", layer="sites")
    catchments = gpd.read_file(folder / "assignment.gpkg", layer="catchments")
    chosen = sites[sites["chosen"].astype(bool)]
    fixed = chosen["fixed"].fillna(False).astype(bool) if "fixed" in chosen else False
    site = _loneliest(chosen[~fixed])
    mine = catchments[catchments["site_id"].astype(str) == str(site["site_id"])].iloc[0]
    return site, mine, _lonlat(sites.geometry)


def test_siting_map_hands_the_hover_to_catchments(demo_run, sample_layers):
    """The demo's ambulance plan: catchments and unserved areas under township lines."""
    folder = demo_run[0].parent / "site-ambulance"
    site, mine, avoid = _site_and_catchment(folder)
    towns = sample_layers.townships.to_crs(4326)
    seen = browser.probe(
        folder / "site_map.html",
        [
            Probe("click", [(site.geometry.x, site.geometry.y)], "marker"),
            Probe("hover", _inside(mine.geometry, avoid, margin_m=150.0)),
        ],
    )
    assert seen.title == "样例县 · 急救站选址（15分钟）"
    click, hover = seen.answers
    _check(click, str(site["name"]), "服务人口")
    assert hover.hit.startswith("canvas"), hover  # site maps draw on a canvas
    # the tooltip is the catchment's, naming its site and the township under the pointer
    place_town = towns[towns.contains(shapely.Point(hover.place))]["name"].iloc[0]
    _check(hover, f"{site['name']} 的服务范围", f"乡镇：{place_town}")


def test_regional_map_names_centres_townships_and_why_one_has_none(planning_runs, sample_layers):
    folder, run = planning_runs["regional"]
    assert run.exit_code == 0, run.output
    site, mine, avoid = _site_and_catchment(folder)
    unassigned = gpd.read_file(folder / "assignment.gpkg", layer="unassigned")
    left = unassigned.iloc[int(unassigned.to_crs(sample_layers.region.metric_crs).area.argmax())]
    towns = sample_layers.townships.to_crs(4326)
    served = towns[towns.within(mine.geometry.buffer(1e-6))]
    seen = browser.probe(
        folder / "site_map.html",
        [
            Probe("click", [(site.geometry.x, site.geometry.y)], "marker"),
            Probe("hover", _inside(mine.geometry, avoid)),
            Probe("hover", _inside(left.geometry, avoid)),
        ],
    )
    assert seen.title == "样例县 · 农村区域性医疗卫生中心选址"
    click, catchment, nobody = seen.answers
    _check(click, str(site["name"]), "服务乡镇")
    _check(catchment, f"{site['name']} 的服务范围")
    assert any(f"乡镇：{name}" in catchment.text for name in served["name"]), catchment
    _check(nobody, str(left["name"]), "未分配区域中心", "原因：")
    reason = nobody.text.split("原因：")[1].split("\n")[0]
    assert not any("a" <= c.lower() <= "z" for c in reason), reason  # said in Chinese


def test_whatif_map_fills_townships_by_the_change(planning_runs, sample_layers):
    folder, run = planning_runs["whatif"]
    assert run.exit_code == 0, run.output
    changes = gpd.read_file(folder / "whatif.gpkg", layer="changes")
    upgraded = changes.iloc[0]
    towns = sample_layers.townships.to_crs(4326)
    town = towns[towns.contains(upgraded.geometry)].iloc[0]
    table = pd.read_csv(folder / "whatif.csv", dtype={"code": str})
    row = table[
        (table["code"] == str(town["code"]))
        & (table["group"] == "secondary")
        & (table["mode"] == "drive")
        & (table["threshold_min"] == 15)
    ].iloc[0]
    points = (row["share_after"] - row["share_before"]) * 100
    assert points > 10  # the upgrade brings secondary care to this township
    seen = browser.probe(
        folder / "whatif_map.html",
        [
            Probe("click", [(upgraded.geometry.x, upgraded.geometry.y)], "marker"),
            Probe("hover", _inside(town.geometry, _lonlat(changes.geometry), margin_m=300.0)),
        ],
    )
    assert seen.title == "样例县 · 方案测算"
    click, hover = seen.answers
    _check(click, str(upgraded["name"]), "升级：")
    _check(hover, str(town["name"]), "个百分点", "二级医疗 · 驾车")
    # the township is filled by its change (the layer first shown: secondary care by car)
    assert hover.fill == symbols.change_colour(points), hover
    assert list(table.columns) == list(whatif.COLUMNS)


def test_a_layer_on_top_that_takes_the_hover_is_caught(tmp_path, sample_layers):
    """The probe is honest: township lines that take the hover hide the catchment's tooltip."""
    import folium

    from geohealth.webmap import base, plan_maps

    from .conftest import facility_sites

    sites = facility_sites(sample_layers, 3)
    towns = sample_layers.townships.to_crs(4326)
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"].iloc[:1], "population": [100.0]},
        geometry=[towns.geometry.iloc[0]],
        crs=4326,
    )
    place = _inside(towns.geometry.iloc[0], _lonlat(sites.geometry))
    good, bad = tmp_path / "good.html", tmp_path / "bad.html"
    base.write_map(
        good, plan_maps.siting_map(sample_layers, sites, catchments, None, title="t", subtitle="s")
    )
    # the same map with township lines that take the hover, drawn last (on top)
    fmap = plan_maps.siting_map(sample_layers, sites, catchments, None, title="t", subtitle="s")
    outlines = base.simplified(towns, sample_layers.region.metric_crs, 10.0)
    folium.GeoJson(
        outlines[["name", "geometry"]].to_json(drop_id=True),
        style_function=lambda f: {"fillOpacity": 0.0, "color": "#555555", "weight": 1},
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
    ).add_to(fmap)
    for key, child in list(fmap._children.items()):
        if isinstance(child, folium.LayerControl):
            fmap._children.move_to_end(key)  # the control lists the layers it is given
    base.write_map(bad, fmap)
    site_name = str(sites["name"].iloc[0])
    (answer,) = browser.probe(good, [Probe("hover", place)]).answers
    _check(answer, f"{site_name} 的服务范围")
    seen = browser.probe(bad, [Probe("hover", place)])
    assert not [line for line in seen.console if "Uncaught" in line], seen.console
    (stolen,) = seen.answers
    assert f"{site_name} 的服务范围" not in stolen.text
    assert str(towns["name"].iloc[0]) in stolen.text  # the outline's tooltip took it
