"""The report folder: isochrone and siting print maps, plan tables, summary, offline bundle."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from matplotlib import image

from geohealth import config, coverage
from geohealth.cli import main
from geohealth.errors import ConfigError
from geohealth.report import fonts, isochrone_map, plan_map, plans, print_maps, summary
from geohealth.report.page import PAGES
from geohealth.siting.record import Effect, PlanRecord, effect_text, read_record, write_record
from geohealth.webmap import offline

from . import browser, page_checks
from .conftest import ARTIFACTS, SAMPLE_CONFIG, overlay_names

SITING = ("regional", "ambulance")
PLANS = (*SITING, "whatif")  # a what-if folder is a plan too


@pytest.fixture(scope="module")
def iso_run(sample_layers):
    return coverage.run(
        sample_layers, groups=("primary",), modes=("drive",), isochrones=True, progress=False
    )


def _drawn_text(fig) -> str:
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [t.get_text() for t in ax.texts]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    return "".join(texts)


def _not_blank(pixels: np.ndarray) -> None:
    grey = pixels[..., :3].mean(axis=-1) if pixels.ndim == 3 else pixels
    assert grey.std() > 0.05 * (grey.max() or 1)
    assert (grey < 0.5 * grey.max()).mean() > 0.01


def test_isochrone_bands_are_the_merged_service_circles(sample_layers, iso_run):
    bands = isochrone_map.isochrone_bands(iso_run, sample_layers, "drive")
    limits = sorted(sample_layers.settings.analysis.thresholds_min)
    assert bands["threshold_min"].tolist() == limits
    assert bands["lower_min"].tolist() == [0.0, *limits[:-1]]
    metric = sample_layers.region.metric_crs
    circles = iso_run.groups[("primary", "drive")].circles.to_crs(metric)
    iso = iso_run.isochrones["drive"].to_crs(metric)
    for row, circle in zip(bands.itertuples(), circles.geometry, strict=True):
        assert row.circle_km2 == pytest.approx(circle.area / 1e6, rel=1e-6)
        # the contour of the nearest-facility field ≈ the union of each facility's contour
        union = shapely.union_all(iso[iso["threshold_min"] == row.threshold_min].geometry)
        assert row.circle_km2 == pytest.approx(union.area / 1e6, rel=0.01)
    assert np.all(np.diff(bands["circle_km2"]) > 0)  # each circle holds the one inside
    # the bands do not overlap and together make the largest circle
    for a, b in itertools.combinations(bands.geometry, 2):
        assert shapely.intersection(a, b).area < 1e-6 * bands["circle_km2"].iloc[-1] * 1e6
    assert bands["band_km2"].sum() == pytest.approx(bands["circle_km2"].iloc[-1], rel=1e-4)
    # every primary-care facility stands in the first band
    attached = sample_layers.facilities.to_crs(sample_layers.region.metric_crs)
    primary = attached[attached["level"] == "township_health_centre"]
    inside = shapely.contains_xy(bands.geometry.iloc[0], primary.geometry.x, primary.geometry.y)
    assert inside.mean() > 0.95


def test_isochrone_page_has_every_glyph_and_greyscale_bands(sample_layers, iso_run):
    fig = isochrone_map.isochrone_figure(iso_run, sample_layers, "drive", page="A3")
    page_checks.assert_labels_clear(fig)
    drawn = _drawn_text(fig)
    for mark in ("≤ 5 分钟", "15–30 分钟", "> 30 分钟", "北", "千米", "OpenStreetMap", "制图日期"):
        assert mark in drawn
    for mark in ("数据来源：乡镇边界 sample_townships.gpkg", "人口 sample_population.tif"):
        assert mark in drawn
    assert fonts.missing_glyphs(drawn, fonts.cjk_font()) == []
    width, height = PAGES["A3"]
    assert fig.get_size_inches() == pytest.approx((width / 25.4, height / 25.4))
    rgb = np.array(isochrone_map.band_colours([5, 10, 15, 30]))[:, :3]
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(grey) < -0.05)  # shortest lightest, each band visibly darker
    # the same measure in the same colours as the travel-time page
    assert np.allclose(rgb, np.array(print_maps.minute_colours())[:4, :3])


def test_plan_record_round_trip_and_errors(tmp_path):
    record = PlanRecord(
        title="急救站选址（15分钟）",
        kind="ambulance",
        mode="drive",
        threshold_min=15.0,
        sites=3,
        new_sites=2,
        effects=(Effect("覆盖人口（人）", 10.0, float("nan")), Effect("用时（分钟）", None, 4.5)),
    )
    write_record(tmp_path, record)
    back = read_record(tmp_path)
    assert back.effects[0] == Effect("覆盖人口（人）", 10.0, None)  # NaN is written as null
    assert back.effects[1] == record.effects[1]
    assert back.title == record.title
    with pytest.raises(ConfigError, match=r"holds no plan\.json"):
        read_record(tmp_path / "elsewhere")
    (tmp_path / "plan.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a plan record"):
        read_record(tmp_path)


def test_report_pages_per_map_type_render(report_run):
    kinds = ["coverage_drive", "traveltime_drive", "isochrones_drive"]
    kinds += [f"siting_{name}" for name in SITING] + ["whatif_whatif"]
    for kind in kinds:
        pixels = image.imread(report_run / f"{kind}_A3.png")
        assert pixels.shape[:2] == pytest.approx((3508, 4961), abs=1)  # A3 landscape, 300 dpi
        _not_blank(pixels)
        assert (report_run / f"{kind}_A3.pdf").is_file()
    if shutil.which("pdftoppm") is None:
        if os.environ.get("GEOHEALTH_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm missing (poppler-utils)")
        pytest.skip("pdftoppm (poppler-utils) not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind, shown in (
        ("traveltime_drive", "print_traveltime_A3"),
        ("isochrones_drive", "print_isochrones_A3"),
        ("siting_regional", "print_siting_A3"),
        ("whatif_whatif", "print_whatif_A3"),
    ):
        rendered = ARTIFACTS / shown
        pdf = report_run / f"{kind}_A3.pdf"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-singlefile", str(pdf), str(rendered)], check=True
        )
        _not_blank(image.imread(rendered.with_suffix(".png")))
        listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "NotoSansCJKsc" in listed


def test_report_tables_for_people_and_for_excel(report_run, planning_runs):
    book = openpyxl.load_workbook(report_run / "plans.xlsx")
    assert book.sheetnames == ["效果", *PLANS, "说明"]
    notes = pd.read_excel(report_run / "plans.xlsx", sheet_name="说明")
    assert notes.iloc[0].tolist() == ["地区", "样例县"]  # region.title, not the folder's slug
    for sheet in book:
        assert sheet.freeze_panes == "A2"  # the header row stays in view
    effects = pd.read_excel(report_run / "plans.xlsx", sheet_name="效果")
    expected = []
    for name in PLANS:
        record = json.loads((planning_runs[name][0] / "plan.json").read_text(encoding="utf-8"))
        expected += [
            (record["title"], e["indicator"], e["before"], e["after"]) for e in record["effects"]
        ]
    assert len(effects) == len(expected)
    for row, (title, indicator, before, after) in zip(effects.itertuples(), expected, strict=True):
        assert (row.方案, row.指标) == (title, indicator)
        # the workbook holds what it shows: whole persons, minutes to a tenth
        assert row.方案后 == pytest.approx(after, abs=0.5)
        if before is None:
            assert pd.isna(row.方案前)
            assert pd.isna(row.变化)
        else:
            assert row.方案前 == pytest.approx(before, abs=0.5)
            assert row.变化 == pytest.approx(row.方案后 - row.方案前)  # as the cells show
            assert row.变化 == pytest.approx(after - before, abs=1.0)
    centres = pd.read_excel(
        report_run / "plans.xlsx", sheet_name="regional", dtype={"站点编码": str}
    )
    assert {"服务人口（人）", "服务乡镇数（个）", "经度（WGS84）"} <= set(centres.columns)
    for name in SITING:
        raw = (report_run / f"sites_{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese names right
        assert raw == (planning_runs[name][0] / "sites.csv").read_bytes()
    changed = pd.read_csv(report_run / "sites_whatif.csv", encoding="utf-8-sig", dtype=str)
    assert changed[["facility_id", "change"]].values.tolist() == [
        ["239901104001", "upgraded from township_health_centre"]
    ]
    sheet = pd.read_excel(report_run / "plans.xlsx", sheet_name="whatif", dtype=str)
    assert sheet["变动"].tolist() == ["由乡镇卫生院升级"]
    towns = pd.read_csv(report_run / "townships.csv", encoding="utf-8-sig")
    assert (report_run / "townships.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert np.allclose(towns["covered"] + towns["uncovered"], towns["population"])
    coverage_book = openpyxl.load_workbook(report_run / "coverage.xlsx")
    first = coverage_book.worksheets[0]
    assert first.freeze_panes == "A2"
    assert "常住人口（人）" in [c.value for c in first[1]]


def test_summary_shows_the_proposed_sites_and_their_effect(report_run, planning_runs):
    page = (report_run / "summary.html").read_text(encoding="utf-8")
    assert "拟建站点及其效果" in page
    amb = read_record(planning_runs["ambulance"][0])
    (effect,) = amb.effects
    line = f"{effect.before:,.0f} → {effect.after:,.0f}（{effect.after - effect.before:+,.0f}）"
    assert line in page
    assert f"{amb.sites} 个站点，其中新建或升级 {amb.new_sites} 个" in page
    assert "乡镇卫生院到最近二级医疗机构驾车用时中位数（分钟）" in page
    assert "方案测算：升级 1 个：1 个站点，其中新建或升级 1 个（15分钟）" in page
    assert "<script" not in page
    assert (report_run / "summary.pdf").is_file()


def test_summary_page_has_every_glyph_with_plans(sample_layers, iso_run, planning_runs):
    records = tuple(read_record(planning_runs[name][0]) for name in PLANS)
    brief = summary.summarise(iso_run, sample_layers, plans=records)
    drawn = _drawn_text(summary.summary_figure(brief))
    assert all(r.title in drawn for r in records)
    assert fonts.missing_glyphs(drawn, fonts.cjk_font()) == []


def test_bundle_is_one_folder_that_opens_offline(report_run, planning_runs):
    web = report_run / "web"
    index = (web / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    maps = [*(f"site_map_{name}.html" for name in SITING), "whatif_map_whatif.html"]
    assert links == ["coverage_map.html", *maps]
    for link in links:
        offline.check_offline((web / link).read_text(encoding="utf-8"))
    for name in SITING:
        copied = (web / f"site_map_{name}.html").read_bytes()
        assert copied == (planning_runs[name][0] / "site_map.html").read_bytes()
    rendered = browser.render(web / "index.html")
    assert "site_map_regional.html" in rendered.dom


@pytest.mark.parametrize(
    ("run", "page"),
    [("regional", "site_map.html"), ("ambulance", "site_map.html"), ("whatif", "whatif_map.html")],
)
def test_plan_maps_render_offline_in_chromium(planning_runs, run, page):
    folder, result = planning_runs[run]
    assert result.exit_code == 0, result.output
    html = (folder / page).read_text(encoding="utf-8")
    shot = ARTIFACTS / f"{run}_{page.removesuffix('.html')}.png"
    rendered = browser.render(folder / page, screenshot=shot)
    errors = [line for line in rendered.console if "Uncaught" in line or "Error" in line]
    assert not errors, errors
    labels = re.findall(r"<span>\s*(?:<[^>]+>)?\s*([^<]+?)\s*</span>", rendered.dom)
    for name in overlay_names(html):
        assert any(name in label for label in labels), name
    assert len(re.findall(r'class="[^"]*leaflet-interactive', rendered.dom)) > 5
    if run != "whatif":
        stars = len(re.findall(r"M12 1\.5l3\.1 6\.6", rendered.dom))
        chosen = len(pd.read_csv(folder / "sites.csv"))
        assert stars >= chosen  # every chosen site drawn as a star
    assert "OpenStreetMap" in rendered.dom
    assert shot.stat().st_size > 20_000


def test_report_refuses_a_folder_that_is_not_a_plan(tmp_path):
    empty = tmp_path / "not-a-plan"
    empty.mkdir()
    args = ["report", str(SAMPLE_CONFIG), "--plan", str(empty), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "holds no plan.json" in result.output
    assert "geohealth site" in result.output
    assert not (tmp_path / "o").exists()
    inside = tmp_path / "o" / "report" / "plan"
    inside.mkdir(parents=True)
    args = ["report", str(SAMPLE_CONFIG), "--plan", str(inside), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "is an input inside the report folder" in result.output
    assert sorted(p.name for p in (tmp_path / "o" / "report").iterdir()) == ["plan"]


def test_report_takes_pages_goal_and_plans_from_the_config(tmp_path):
    base = SAMPLE_CONFIG.parent.as_posix()
    text = re.sub(
        r'= "(boundaries|facilities|population|roads)/',
        lambda m: f'= "{base}/{m.group(1)}/',
        SAMPLE_CONFIG.read_text(encoding="utf-8"),
    )
    (tmp_path / "not-a-plan").mkdir()
    report = '\n[report]\npages = ["A3"]\ngoal = 0.8\nplans = ["not-a-plan"]\n'
    path = tmp_path / "county.toml"
    path.write_text(text + report, encoding="utf-8")
    settings = config.load(path)
    assert settings.report.pages == ("A3",)
    assert settings.report.goal == 0.8
    assert settings.report.plans == (tmp_path / "not-a-plan",)  # relative to the file
    result = CliRunner().invoke(main, ["report", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "not-a-plan holds no plan.json" in result.output
    wrong = (('pages = ["A5"]', "unknown page size 'A5'"), ("goal = 90", "between 0 and 1"))
    for bad, says in wrong:
        path.write_text(text + f"\n[report]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=says):
            config.load(path)
    bad_goal = CliRunner().invoke(main, ["report", str(SAMPLE_CONFIG), "--goal", "85"])
    assert bad_goal.exit_code == 2
    assert "between 0 and 1" in bad_goal.output


def test_report_refuses_a_plan_made_for_another_region(planning_runs, tmp_path):
    source = planning_runs["regional"][0]
    assert read_record(source).region == "sample-county"
    copy = tmp_path / "regional"
    shutil.copytree(source, copy)
    data = json.loads((copy / "plan.json").read_text(encoding="utf-8"))
    data["region"] = "另一个县"
    (copy / "plan.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    args = ["report", str(SAMPLE_CONFIG), "--plan", str(copy), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "is a plan for '另一个县', not for 'sample-county'" in result.output
    assert not (tmp_path / "o").exists()


def test_whatif_record_names_what_changed_most(planning_runs):
    record = read_record(planning_runs["whatif"][0])
    assert (record.kind, record.group, record.mode) == ("whatif", "secondary", "drive")
    table = pd.read_csv(planning_runs["whatif"][0] / "whatif.csv", dtype={"code": str})
    area = table[(table["code"] == "ALL") & (table["threshold_min"] == 15)]
    moved = area[area["difference"] != 0]
    assert set(moved["group"]) == {"secondary"}  # the upgraded hospital still gives primary care
    row = moved.iloc[0]
    first = record.effects[0]
    assert first.indicator == "15分钟内可达二级医疗的人口（人，驾车）"
    assert (first.before, first.after) == pytest.approx((row.covered_before, row.covered_after))
    referral = pd.read_csv(planning_runs["whatif"][0] / "referral.csv")
    last = record.effects[-1]
    assert last.after == pytest.approx(float(np.median(referral["secondary_after_min"])))


def test_whatif_page_has_every_glyph(sample_layers, planning_runs):
    (plan,) = plans.load_plans((planning_runs["whatif"][0],))
    assert plan.run == "whatif"
    assert plan.layers["newly"] is not None
    fig = plan_map.whatif_figure(
        sample_layers,
        plan.layers["changes"],
        plan.layers["newly"],
        plan.layers["gone"],
        title=plan.record.title,
        note="\n".join(effect_text(e) for e in plan.record.effects),
    )
    assert page_checks.assert_labels_clear(fig) >= 1  # the changed facility is named
    drawn = _drawn_text(fig)
    assert "升级机构（1）" in drawn
    assert f"新增覆盖（{plan.layers['newly']['population'].sum():,.0f} 人）" in drawn
    assert fonts.missing_glyphs(drawn, fonts.cjk_font()) == []
