"""Print maps: a CJK font with every glyph, pages that are not blank, PDFs a reader can render."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib import image

from geohealth import coverage
from geohealth.report import fonts, print_maps
from geohealth.report.page import PAGES

from .conftest import ARTIFACTS


def test_the_packaged_font_is_used_first():
    font = fonts.cjk_font()
    assert "noto_cjk_sans_otc" in font.path
    from matplotlib.ft2font import FT2Font

    assert FT2Font(font.path, face_index=font.face_index).family_name == "Noto Sans CJK SC"


def _not_blank(pixels: np.ndarray) -> None:
    grey = pixels[..., :3].mean(axis=-1) if pixels.ndim == 3 else pixels
    assert grey.std() > 0.05 * (grey.max() or 1)  # more than a flat page
    assert (grey < 0.5 * grey.max()).mean() > 0.01  # some ink


def test_missing_glyphs_are_found():
    path = fonts.cjk_font()
    assert fonts.missing_glyphs("乡镇卫生院 15分钟 ≥ 95%", path) == []
    from matplotlib import font_manager

    dejavu = font_manager.findfont("DejaVu Sans")
    assert fonts.missing_glyphs("乡镇 A", dejavu) == ["乡", "镇"]  # the boxes we must not print


@pytest.fixture(scope="module")
def coverage_run(sample_layers):
    return coverage.run(sample_layers, groups=("primary",), modes=("walk",), progress=False)


@pytest.mark.parametrize(
    ("page", "draw"),
    [
        ("A4", print_maps.coverage_figure),
        ("A3", print_maps.coverage_figure),
        ("A4", print_maps.traveltime_figure),
    ],
)
def test_every_character_on_the_page_has_a_glyph(sample_layers, coverage_run, page, draw):
    path = fonts.cjk_font()
    fig = draw(coverage_run, sample_layers, "walk", page=page)
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [t.get_text() for t in ax.texts]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    drawn = "".join(texts)
    if draw is print_maps.coverage_figure:
        assert all(name in drawn for name in sample_layers.townships["name"])
    for mark in ("北", "千米", "OpenStreetMap", "制图日期", "数据来源", "sample_facilities.csv"):
        assert mark in drawn
    assert fonts.missing_glyphs(drawn, path) == []
    width, height = PAGES[page]
    assert fig.get_size_inches() == pytest.approx((width / 25.4, height / 25.4))


@pytest.mark.parametrize("palette", [print_maps.share_colours, print_maps.minute_colours])
def test_colour_classes_stay_apart_in_greyscale(palette):
    rgb = np.array(palette())[:, :3]
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(grey) < -0.05)  # each class darker than the last, visibly


def test_minute_classes():
    minutes = np.array([0.0, 5.0, 5.01, 15.0, 29.9, 60.0, 61.0, np.inf, np.nan])
    assert print_maps.minute_classes(minutes).tolist() == [0, 0, 1, 2, 3, 4, 5, 5, 255]


def test_report_command_writes_pages_that_render(report_run):
    png = report_run / "coverage_drive_A4.png"
    pdf = png.with_suffix(".pdf")
    pixels = image.imread(png)
    assert pixels.shape[:2] == pytest.approx((2480, 3508), abs=1)  # A4 landscape, 300 dpi
    _not_blank(pixels)
    if shutil.which("pdftoppm") is None:
        if os.environ.get("GEOHEALTH_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm missing (poppler-utils)")
        pytest.skip("pdftoppm (poppler-utils) not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    rendered = ARTIFACTS / "print_coverage_A4"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(rendered)], check=True
    )
    _not_blank(image.imread(rendered.with_suffix(".png")))
    fonts_listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansCJKsc" in fonts_listed  # the CJK font's Simplified Chinese face, embedded
    summary_pdf = report_run / "summary.pdf"
    page = ARTIFACTS / "print_summary"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(summary_pdf), str(page)], check=True
    )
    _not_blank(image.imread(page.with_suffix(".png")))
    assert (report_run / "summary.html").is_file()


def test_summary_numbers_are_the_coverage_tables(sample_layers, coverage_run):
    from geohealth.report import summary

    brief = summary.summarise(coverage_run, sample_layers, goal=0.9)
    table = coverage_run.townships
    area = table[(table["code"] == coverage.AREA_CODE) & (table["threshold_min"] == 15)]
    assert brief.modes["covered"].tolist() == pytest.approx(area["covered"].tolist())
    towns = table[(table["code"] != coverage.AREA_CODE) & (table["threshold_min"] == 15)]
    assert len(brief.below) == int((towns["share_covered"] < 0.9).sum())
    assert brief.below["share_covered"].is_monotonic_increasing
    page = summary.summary_html(brief)
    assert "<script" not in page
    assert "<link" not in page
    assert f"{area['covered'].iloc[0]:,.0f}" in page
    for name in brief.below["name"]:
        assert name in page
    path = fonts.cjk_font()
    fig = summary.summary_figure(brief)
    drawn = "".join(t.get_text() for t in fig.texts)
    for name in brief.below["name"]:
        assert name in drawn  # packed lines never split a township's name
    assert fonts.missing_glyphs(drawn, path) == []


def test_without_the_packaged_font_a_system_font_or_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "_packaged", list)
    fonts.cjk_font.cache_clear()
    try:
        usable = [f for f in fonts._system() if not fonts.missing_glyphs(fonts.PROBE, f)]
        if usable:  # CI's apt step installs WenQuanYi (matplotlib may also know the packaged
            # font by now, registered by an earlier test: then it is found by its family name)
            assert fonts.cjk_font() == usable[0]
        else:
            with pytest.raises(fonts.FontError, match="noto-cjk-sans-otc"):
                fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()


def test_names_on_a_print_map_never_overlap(sample_layers):
    """Crowded points: every name placed clear of the others and of every symbol, or left off."""
    import geopandas as gpd
    import shapely
    from matplotlib.text import Annotation

    from geohealth.report.page import label_points, new_page

    p = new_page("A4")
    metric = sample_layers.region.metric_crs
    towns = sample_layers.townships.to_crs(metric)
    towns.plot(ax=p.ax, facecolor="none")
    centre = towns.geometry.union_all().centroid
    rng = np.random.default_rng(0)
    # 30 points within 3 km: far more names than fit around them at print size
    xy = np.column_stack([centre.x, centre.y]) + rng.normal(0, 1500, (30, 2))
    points = gpd.GeoSeries(shapely.points(xy), crs=metric)
    names = [f"测试卫生院{k:02d}" for k in range(30)]
    left_off = label_points(p, points, names)
    renderer = p.fig.canvas.get_renderer()
    notes = [c for c in p.ax.get_children() if isinstance(c, Annotation)]
    assert len(notes) + left_off == 30
    assert 0 < left_off < 30
    boxes = [n.get_window_extent(renderer) for n in notes]
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not boxes[a].overlaps(boxes[b])
    centres = p.ax.transData.transform(xy)
    r = 5.0 * p.fig.dpi / 72.0
    for box in boxes:
        inside = (
            (centres[:, 0] + r > box.x0)
            & (centres[:, 0] - r < box.x1)
            & (centres[:, 1] + r > box.y0)
            & (centres[:, 1] - r < box.y1)
        )
        assert not inside.any()
