"""The coverage map: every layer in the file, self-contained, drawn by a real browser offline."""

from __future__ import annotations

import re

import numpy as np
import pytest

from geohealth import config
from geohealth.errors import GeohealthError
from geohealth.inputs.levels import BY_KEY
from geohealth.webmap import offline

from . import browser
from .conftest import ARTIFACTS, SAMPLE_CONFIG, overlay_names

MODES_ZH = ("步行", "电动车/摩托车", "驾车")


def _expected_layers(out):
    import pandas as pd

    settings = config.load(SAMPLE_CONFIG)
    target = settings.analysis.target_min
    names = []
    for mode in MODES_ZH:
        names.append(f"乡镇{target:g}分钟覆盖率 · {mode}")
        names += [f"{t:g}分钟服务圈 · {mode}" for t in settings.analysis.thresholds_min]
        names += [f"到基层医疗用时 · {mode}", f"{target:g}分钟外人口 · {mode}"]
    facilities = pd.read_csv(out / "facilities.csv", dtype={"facility_id": str})
    levels = facilities.drop_duplicates("facility_id")["level"].value_counts()
    names += [f"{BY_KEY[k].label_zh}（{n}）" for k, n in levels.items()]
    return names, int(levels.sum())


def test_map_file_holds_every_layer_and_no_remote_code(demo_run):
    out, _ = demo_run
    page = (out / "coverage_map.html").read_text(encoding="utf-8")
    expected, _ = _expected_layers(out)
    assert sorted(overlay_names(page)) == sorted(expected)
    offline.check_offline(page)  # nothing fetched from a CDN
    assert "L.control.scale" in page
    assert "OpenStreetMap contributors" in page
    assert "ODbL" in page
    assert '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />' in page
    assert "乡镇卫生院" in page  # Chinese written as text, not escaped away


def test_check_offline_names_a_remote_script():
    with pytest.raises(GeohealthError, match="from the internet"):
        offline.check_offline('<script src="https://cdn.example.org/x.js"></script>')
    with pytest.raises(GeohealthError, match="from the internet"):
        offline.check_offline("<link rel=stylesheet href=//cdn.example.org/x.css>")
    offline.check_offline("<script>var a = 'https://tile.openstreetmap.org';</script>")


def test_demo_map_renders_offline_in_chromium(demo_run):
    out, _ = demo_run
    shot = ARTIFACTS / "coverage_map.png"
    rendered = browser.render(out / "coverage_map.html", screenshot=shot)
    errors = [line for line in rendered.console if "Uncaught" in line or "Error" in line]
    assert not errors, errors
    dom = rendered.dom
    expected, n_facilities = _expected_layers(out)
    # the layer control lists every overlay (its labels are built by Leaflet at run time)
    labels = re.findall(r"<span>\s*(?:<[^>]+>)?\s*([^<]+?)\s*</span>", dom)
    for name in expected:
        assert any(name in label for label in labels), name
    # shown layers are drawn: township polygons and hotspots as SVG paths, every facility
    assert len(re.findall(r'class="[^"]*leaflet-interactive', dom)) > 20 + n_facilities
    assert len(re.findall(r'class="[^"]*geohealth-facility', dom)) == n_facilities
    assert "leaflet-control-scale-line" in dom
    assert "样例县" in dom or "sample-county" in dom
    assert "OpenStreetMap" in dom
    assert shot.stat().st_size > 20_000  # a picture, not a blank page


def test_screen_geometry_takes_parts_that_overlap_once_simplified():
    """Circles are simplified part by part for the map; parts left overlapping are drawn.

    (GEOS's precision grid raised "side location conflict" on such parts: a 4× sample
    region's coverage run stopped at the web map.)
    """
    import shapely
    from pyproj import CRS

    from geohealth.webmap.coverage_map import screen_geometry

    first = shapely.box(500_000, 5_000_000, 500_100, 5_000_100)
    second = shapely.box(500_050, 5_000_000, 500_150, 5_000_100)
    drawn = screen_geometry(shapely.MultiPolygon([first, second]), CRS.from_epsg(32651))
    assert drawn.geom_type == "MultiPolygon"
    assert len(drawn.geoms) == 2
    lon, lat = shapely.get_coordinates(drawn).T
    assert (abs(lon - 123.0) < 0.01).all()
    assert (abs(lat - 45.15) < 0.01).all()
    assert (abs(lon * 1e5 - (lon * 1e5).round()) < 1e-6).all()  # to about a metre


def test_geometry_layer_draws_its_text_in_chromium(tmp_path):
    """A service-circle layer (GeoJSON text, styled in the browser) draws, with its holes,
    in the layer control; its text cannot close the page's script nor be read as a template."""
    import folium
    import shapely

    from geohealth.webmap.text_layers import GeometryLayer

    ring = shapely.box(116.30, 39.90, 116.40, 39.96)
    circle = shapely.MultiPolygon([ring.difference(shapely.box(116.34, 39.92, 116.36, 39.94))])
    fmap = folium.Map(location=[39.93, 116.35], zoom_start=12, tiles=None)
    offline.inline_assets(fmap)  # Leaflet from the package, not a CDN
    GeometryLayer(
        circle,
        name="15分钟服务圈 · 步行",
        style={"fillColor": "#2b8cbe", "color": "#045a8d", "weight": 1, "fillOpacity": 0.18},
        tooltip="服务圈：15 分钟 {{ x }}</script><script>alert(1)</script>",
    ).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    page = fmap.get_root().render()
    assert "服务圈：15 分钟 {{ x }}" in page  # written as it is, not read as a template
    assert overlay_names(page) == ["15分钟服务圈 · 步行"]
    assert page.count("</script>") == page.count("<script")  # the tooltip closed nothing
    path = tmp_path / "circle.html"
    path.write_text(page, encoding="utf-8")
    rendered = browser.render(path)
    errors = [line for line in rendered.console if "Uncaught" in line or "Error" in line]
    assert not errors, errors
    drawn = r'<path[^>]*class="[^"]*leaflet-interactive[^"]*"[^>]*d="([^"]+)"'
    paths = re.findall(drawn, rendered.dom)
    assert len(paths) == 1
    assert paths[0].count("M") == 2  # the outline and its hole
    assert 'fill="#2b8cbe"' in rendered.dom


def test_text_layers_move_with_a_gcj02_basemap():
    """On AMap tiles (GCJ-02) service circles and hotspots shift like every other overlay."""
    import folium
    import shapely

    from geohealth.inputs import coords
    from geohealth.webmap import basemaps
    from geohealth.webmap.text_layers import CircleMarkersLayer, GeometryLayer

    circle = shapely.box(116.30, 39.90, 116.40, 39.96)
    fmap = folium.Map(tiles=None)
    layer = GeometryLayer(circle, name="c", style={}, tooltip="c")
    layer.add_to(fmap)
    xy = shapely.get_coordinates(circle)
    spots = CircleMarkersLayer(
        xy[:, 0], xy[:, 1], np.ones(len(xy)), ["p"] * len(xy), name="h", style={}
    )
    spots.add_to(fmap)
    basemaps.align(fmap, "gcj02")
    lon, lat = coords.from_wgs84(xy[:, 0], xy[:, 1], "gcj02")
    np.testing.assert_allclose(shapely.get_coordinates(layer.geometry), np.column_stack([lon, lat]))
    np.testing.assert_allclose(spots.lonlat, np.column_stack([lon, lat]))
    assert not np.allclose(shapely.get_coordinates(layer.geometry), xy)


def test_facility_names_with_template_marks_render_as_written():
    """A facility named with ``{%`` or ``{{`` (folium compiles each marker's script as a
    Jinja template, which fails or eats them) is written into the map as it is."""
    import html

    import folium

    from geohealth.webmap.text_layers import IconMarkersLayer

    name = "卫生院 {% y {{ x }} <b>"
    fmap = folium.Map(tiles=None)
    IconMarkersLayer(
        np.array([116.3]),
        np.array([39.9]),
        [html.escape(name)],
        [f"<b>{html.escape(name)}</b>"],
        icon="<svg></svg>",
        size=14,
        name="乡镇卫生院（1）",
        class_name="geohealth-facility",
    ).add_to(fmap)
    page = fmap.get_root().render()
    assert "卫生院 {% y {{ x }} &amp;lt;b&amp;gt;" not in page  # escaped once, not twice
    assert "卫生院 {% y {{ x }} &lt;b&gt;" in page


def test_site_names_never_overlap_in_chromium(tmp_path, sample_layers):
    """Many proposed sites close together: each name shown is clear of the others and the stars."""
    import geopandas as gpd

    from geohealth.webmap import plan_maps

    from .conftest import facility_sites

    sites = facility_sites(sample_layers, 40)  # 40 proposed (named), the rest kept
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"].iloc[:1], "population": [1.0]},
        geometry=sample_layers.townships.geometry.iloc[:1].to_numpy(),
        crs=sample_layers.townships.crs,
    ).to_crs(4326)
    fmap = plan_maps.siting_map(sample_layers, sites, catchments, None, title="t", subtitle="s")
    check = """<script>
window.addEventListener('load', function () {
  function apart(a, b) {
    return a.right <= b.left || a.left >= b.right || a.bottom <= b.top || a.top >= b.bottom;
  }
  var box = document.querySelector('.leaflet-container');
  var names = Array.prototype.filter.call(box.querySelectorAll('.geohealth-label'),
    function (e) { return e.style.visibility !== 'hidden'; }).map(function (e) {
      return e.getBoundingClientRect(); });
  var icons = Array.prototype.map.call(box.querySelectorAll('.leaflet-marker-icon'),
    function (e) { return e.getBoundingClientRect(); });
  var clashes = 0;
  names.forEach(function (a, i) {
    names.slice(i + 1).concat(icons).forEach(function (b) { if (!apart(a, b)) clashes++; });
  });
  document.body.setAttribute('data-shown', names.length);
  document.body.setAttribute('data-clashes', clashes);
});
</script>
"""
    page = fmap.get_root().render().replace("</html>", check + "</html>")
    path = tmp_path / "sites.html"
    path.write_text(page, encoding="utf-8")
    dom = browser.render(path).dom
    shown = int(re.search(r'data-shown="(\d+)"', dom).group(1))
    clashes = int(re.search(r'data-clashes="(\d+)"', dom).group(1))
    assert clashes == 0
    assert 10 < shown < 40  # most names shown; those with no room hidden, not overlapping


def test_coverage_map_fits_in_2_mb_and_is_titled(demo_run):
    """The sample county's coverage map: every layer (checked above) in at most 2 MB."""
    out, _ = demo_run
    page = out / "coverage_map.html"
    assert page.stat().st_size <= 2_000_000, page.stat().st_size
    text = page.read_text(encoding="utf-8")
    assert "<title>样例县 · 15分钟医疗卫生服务圈</title>" in text
    assert text.index('charset=UTF-8"') < text.index("<title>")  # the charset comes first


def test_packed_polygons_come_back_as_drawn():
    """Encoded polylines (the page's polygons) decode to the same vertices, holes included;
    collections give their polygons, points and lines are left out."""
    import shapely

    from geohealth.webmap import polylines

    outer = shapely.Point(127.3, 45.9).buffer(0.2, quad_segs=40)
    hole = shapely.Point(127.32, 45.88).buffer(0.03)
    far = shapely.box(-179.99999, -89.5, -179.9, -89.4)  # large magnitudes, negative values
    shape = shapely.MultiPolygon([outer.difference(hole), far])
    shape = shapely.transform(shape, lambda xy: xy.round(5))
    packed = polylines.pack(
        shapely.GeometryCollection([shape, shapely.LineString([(0, 0), (1, 1)])])
    )
    assert [len(p) for p in packed] == [2, 1]
    for polygon, rings in zip(shape.geoms, polylines.unpack(packed), strict=True):
        expected = [polygon.exterior, *polygon.interiors]
        for ring, back in zip(expected, rings, strict=True):
            np.testing.assert_allclose(np.asarray(ring.coords)[:-1], back, atol=1e-9)
    assert polylines.pack(shapely.Polygon()) == []
    text = "".join(r for p in packed for r in p)
    assert min(text) >= "?"  # printable, nothing a script must escape
    assert max(text) <= "~"
    assert len(text) < 0.3 * len(shapely.to_geojson(shape))


def test_surface_classes_leave_uninhabited_ground_out_of_the_minutes():
    from geohealth import palettes
    from geohealth.webmap import symbols

    minutes = np.array([[3.0, 15.0, 16.0, np.inf, np.nan], [70.0, 3.0, np.nan, 40.0, np.nan]])
    people = np.array([[5.0, 1.0, 2.0, 9.0, 0.0], [1.0, 0.0, 4.0, np.nan, np.nan]])
    classes = symbols.surface_classes(minutes, people)
    empty = symbols.NO_RESIDENTS_CLASS
    assert classes.tolist() == [[0, 2, 3, 5, empty], [5, empty, 255, 255, 255]]
    rgba = symbols.surface_rgba(classes)
    grey = palettes.NO_RESIDENTS
    assert rgba[1, 1, :3].tolist() == [int(grey[i : i + 2], 16) for i in (1, 3, 5)]
    assert rgba[1, 2, 3] == 0  # nothing to show: transparent
    assert rgba[1, 3, 3] == 0
    assert rgba[0, 0, 3] > rgba[1, 1, 3] > 0  # uninhabited: lighter


def test_change_classes_are_diverging_around_no_change():
    from geohealth.webmap import symbols

    colours = [symbols.change_colour(v) for v in (-30, -5, -1, 0.0, 1, 5, 30)]
    assert colours == list(symbols.CHANGE_COLOURS)
    assert symbols.change_colour(float("nan")) != symbols.CHANGE_COLOURS[3]


def test_sites_never_share_a_style():
    """45 proposed sites: 20 colours, then the same colours with other outlines; the kept
    sites share one tan style apart from all of them."""
    import geopandas as gpd

    from geohealth import palettes
    from geohealth.webmap import plan_maps

    proposed = gpd.GeoDataFrame({"site_id": [f"p{k}" for k in range(45)]})
    kept = gpd.GeoDataFrame({"site_id": ["k1", "k2"]})
    styles = plan_maps.site_styles(proposed, kept)
    drawn = [styles[f"p{k}"] for k in range(45)]
    assert len({(s.fill, s.edge, s.dash) for s in drawn}) == 45
    assert len({s.fill for s in drawn[:20]}) == 20
    assert drawn[20].fill == drawn[0].fill
    assert drawn[20].dash != drawn[0].dash
    assert styles["k1"] == styles["k2"] == plan_maps.KEPT_STYLE
    assert plan_maps.KEPT_STYLE.fill not in palettes.SITE_FILLS


def test_every_reason_a_regional_plan_gives_is_said_in_chinese(planning_runs):
    import pandas as pd

    from geohealth.webmap import plan_maps

    folder, run = planning_runs["regional"]
    assert run.exit_code == 0, run.output
    notes = pd.read_csv(folder / "townships.csv")["note"].dropna().unique()
    assert len(notes)  # the sample leaves townships out, for a reason
    for note in notes:
        said = plan_maps.reason_zh(note)
        assert not re.search("[A-Za-z]", said), (note, said)
    assert "≥50%" in plan_maps.reason_zh("≥50% already within 15 min of a secondary hospital")
    assert plan_maps.reason_zh("no centre within the rule").startswith("规则内没有")


def test_unserved_cells_are_drawn_as_clean_shapes(sample_layers):
    """Cells no site serves, joined per township: no seams between cells whose edges differ
    in the last bits, no zero-width spikes (both drawn as lines across the areas)."""
    import geopandas as gpd
    import shapely

    from geohealth.webmap import plan_maps, polylines

    step = 1 / 1200
    west, south = 127.5, 45.95
    # each cell's far edges computed from its near ones, as a grid's cells often are: a
    # neighbour's near edge (west + (c + 1)·step) differs from them in the last bits
    cells = []
    for c in range(30):
        for r in range(30):
            x0, y0 = west + c * step, south + r * step
            cells.append(shapely.box(x0, y0, x0 + step, y0 + step))
    edges = shapely.get_coordinates(np.array(cells))[:, 0]
    assert len(np.unique(edges)) > 31  # seams: some edges differ in the last bits
    frame = gpd.GeoDataFrame({"population": np.ones(len(cells))}, geometry=cells, crs=4326)
    layer, total = plan_maps._unserved(frame, sample_layers)
    assert total == 900
    shapes = [
        shapely.Polygon(rings[0], rings[1:])
        for g in layer.geometries
        for rings in polylines.unpack(polylines.pack(g))
    ]
    assert all(s.is_valid for s in shapes)
    assert len(shapes) == 1  # one square, not seams of cells
    assert shapely.get_num_coordinates(shapes[0]) <= 5


def test_a_plan_whose_sites_serve_nobody_still_gets_its_map(sample_layers):
    import geopandas as gpd

    from geohealth.webmap import plan_maps

    from .conftest import facility_sites

    sites = facility_sites(sample_layers, 3)
    nobody = gpd.GeoDataFrame({"site_id": [], "population": []}, geometry=[], crs=4326)
    fmap = plan_maps.siting_map(sample_layers, sites, nobody, None, title="无服务", subtitle="s")
    page = fmap.get_root().render()
    assert "<title>无服务</title>" in page
    assert "服务范围（按选址着色）" in overlay_names(page)
