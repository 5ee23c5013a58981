"""Print maps: a CJK font with every glyph, pages that are not blank, PDFs a reader can render."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
import shapely
from matplotlib import image

from geohealth import coverage
from geohealth.report import fonts, print_maps
from geohealth.report.page import PAGES

from . import page_checks
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


def test_pdf_pages_embed_chinese_as_truetype_not_type3(sample_layers, coverage_run, tmp_path):
    """Print-shop preflight flags Type 3 fonts; the PDF embeds a genuine CID TrueType subset."""
    import io
    import zlib

    from fontTools.ttLib import TTFont

    from geohealth.report.page import save_figure

    fig = print_maps.coverage_figure(coverage_run, sample_layers, "walk", page="A4")
    font_before = fig.texts[0].get_fontproperties().get_file()
    _png, pdf = save_figure(fig, tmp_path / "page")
    data = pdf.read_bytes()
    assert b"/Type3" not in data
    assert b"/CIDFontType2" in data
    # the embedded font program really is TrueType (glyf outlines), not CFF under a TrueType name
    start = data.index(b"stream", data.index(b"/Length1")) + len(b"stream\n")
    end = data.index(b"endstream", start)
    with TTFont(io.BytesIO(zlib.decompress(data[start:end]))) as program:
        assert "glyf" in program
        assert "CFF " not in program
    assert fig.texts[0].get_fontproperties().get_file() == font_before  # restored after saving
    if shutil.which("pdffonts"):
        listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
        assert "CID TrueType" in listed.stdout
        assert "Type 3" not in listed.stdout
        assert "Mismatch" not in listed.stderr


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


def crowded_page(loaded, n: int, *, spread_m: float, seed: int, marker: str, size: float):
    """An A4 page with the townships and ``n`` symbols scattered around the county's centre."""
    from geohealth.report import labels
    from geohealth.report.page import new_page

    p = new_page("A4")
    towns = loaded.townships.to_crs(loaded.region.metric_crs)
    towns.plot(ax=p.ax, facecolor="none")
    centre = towns.geometry.union_all().centroid
    rng = np.random.default_rng(seed)
    xy = np.column_stack([centre.x, centre.y]) + rng.normal(0, spread_m, (n, 2))
    p.ax.scatter(xy[:, 0], xy[:, 1], marker=marker, s=size, gid=labels.SYMBOL)
    return p, xy


def test_names_on_a_print_map_never_overlap(sample_layers):
    """Crowded points: every name clear of the others and of every symbol, or keyed by number."""
    from geohealth.report import labels

    # 30 points within 3 km: far more names than fit around them at print size
    p, xy = crowded_page(sample_layers, 30, spread_m=1500, seed=0, marker="^", size=28)
    names = [f"测试卫生院{k:02d}" for k in range(30)]
    keyed = labels.place_labels(p, [tuple(v) for v in xy], names)
    shown = [t.get_text() for t in labels.placed_labels(p.ax) if t.get_gid() == labels.LABEL]
    assert 0 < len(keyed) < 30
    # every name is either on the map or in the key, once
    assert sorted(shown + [k.text for k in keyed]) == sorted(names)
    numbered = [k.number for k in keyed if k.number is not None]
    assert numbered == list(range(1, len(numbered) + 1))
    assert page_checks.assert_labels_clear(p.fig) >= 30 - len(keyed)
    key = labels.key_lines(keyed)
    assert all(f"{k.number} {k.text}" in key for k in keyed if k.number is not None)


def test_a_full_key_stays_on_the_page(sample_layers):
    """More names than room: numbers stop where the key is full, and the key stays on the page."""
    from geohealth.report import labels
    from geohealth.report.page import finish_page, key_capacity

    p, xy = crowded_page(sample_layers, 200, spread_m=6000, seed=1, marker="*", size=140)
    names = [f"拟建站点{k:03d}" for k in range(200)]
    keyed = labels.place_labels(p, [tuple(v) for v in xy], names, max_keyed=5)
    numbered = [k.number for k in keyed if k.number is not None]
    assert numbered == [1, 2, 3, 4, 5]  # the key is full …
    assert any(k.number is None for k in keyed)  # … and the rest are counted, not numbered
    on_map = [t for t in labels.placed_labels(p.ax) if t.get_gid() == labels.NUMBER]
    assert len(on_map) == 5  # no number on the map without its line in the key
    # a key filled to the page's capacity, plus names left off, fits the page
    capacity = key_capacity(p)
    full = [labels.Keyed(k + 1, f"某某县第{k + 1:02d}号拟建站点") for k in range(capacity)]
    full += [labels.Keyed(None, "x")] * 37
    fig = finish_page(
        p,
        sample_layers,
        title="t",
        handles=[],
        legend_title="图例",
        note="全域：1 / 2 人\n15分钟覆盖率 50.0%",
        sources="",
        keyed=full,
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    columns = [t for t in fig.texts if t.get_gid() == labels.KEY]
    text = "\n".join(t.get_text() for t in columns)
    assert all(f"{k.number} {k.text}" in text for k in full if k.number is not None)
    assert "另 37 个名称无处标注（见表格）" in text
    note = next(t for t in fig.texts if t.get_text().startswith("全域"))
    note_box = note.get_window_extent(renderer)
    for t in columns:
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0, t.get_text()[:20]
        assert box.x1 <= width, t.get_text()[:20]
        assert box.y0 > 0.04 * height, "the key runs into the foot line or off the page"
        assert not box.overlaps(note_box)


def test_township_labels_stay_inside_and_clear_of_every_facility(sample_layers, coverage_run):
    """The county seat's two small subdistricts no longer print over each other."""
    from geohealth.report import labels

    fig = print_maps.coverage_figure(coverage_run, sample_layers, "walk", page="A4")
    assert page_checks.assert_labels_clear(fig) >= len(sample_layers.townships)
    ax = fig.axes[0]
    towns = sample_layers.townships.to_crs(sample_layers.region.metric_crs)
    to_data = ax.transData.inverted()
    renderer = fig.canvas.get_renderer()
    named = set()
    for note in labels.placed_labels(ax):
        if note.get_gid() != labels.LABEL:
            continue
        name = note.get_text().split("\n")[0]
        box = note.get_window_extent(renderer)
        x, y = to_data.transform(((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2))
        town = towns.loc[towns["name"] == name].geometry.iloc[0]
        assert town.contains(shapely.Point(x, y)), name
        named.add(name)
    key = "\n".join(t.get_text() for t in fig.texts if t.get_gid() == labels.KEY)
    for name in set(towns["name"]) - named:  # a township without room is in the key
        assert name in key, name
