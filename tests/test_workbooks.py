"""Workbooks a planner pastes into a plan appendix, and the GeoPackage's display copies.

Unit tests open the written ``.xlsx`` with openpyxl (formats, widths, frozen header,
filters, notes language, the effects sheet's modes); the LibreOffice test converts the
sample run's workbooks with ``soffice --headless`` and reads what Calc shows; the GeoPackage
test checks the sample's ``coverage.gpkg`` size and that its display copies keep the tables'
people and areas.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

from geohealth import coverage_files, workbook_formats
from geohealth.outputs import workbook_writer, write_sheet
from geohealth.report import tables
from geohealth.report.plans import LoadedPlan
from geohealth.siting.record import Effect, PlanRecord, read_record, write_record

CODE = "239901001000"
LONG_NAME = "样例县城东街道社区卫生服务中心第一分中心"


def width_of(sheet, column: int) -> float:
    """A column's width as written (xlsxwriter writes equal neighbours as one range)."""
    for dim in sheet.column_dimensions.values():
        if dim.min is not None and dim.min <= column <= dim.max:
            return dim.width
    return 0.0


def header_index(sheet) -> dict[str, int]:
    return {c.value: c.column for c in sheet[1]}


def test_formats_come_from_the_contract_name():
    f = workbook_formats.number_format
    assert f("population") == f("covered") == f("catchment_population") == "#,##0"
    assert f("share_covered") == f("share_covered_15min") == "0.0%"
    assert f("mean_min") == f("p95_min") == "0.0"
    assert f("beds_per_1000") == f("e2sfca_beds_per_1000") == "0.00"
    assert f("code") == f("facility_id") == f("township_code") == "@"
    assert f("name") == "General"
    assert workbook_formats.display_width("样例县") == 6
    assert workbook_formats.display_width("Code") == 4


def test_sheet_formats_widths_header_and_filter(tmp_path):
    table = pd.DataFrame(
        {
            "code": [CODE, 239901002000],  # a code read as a number stays its 12 digits
            "name": [LONG_NAME, "城西街道"],
            "population": [54335.16593278968, 1234.5],
            "share_covered": [0.01380223998863564, 1.0],
            "mean_min": [13.59999314323446, float("nan")],
            "beds_per_1000": [4.633030362744409, 0.0],
        }
    )
    headers = {"code": "区划代码", "name": "名称", "share_covered": "覆盖率（%）"}
    path = tmp_path / "t.xlsx"
    with workbook_writer(path) as xlsx:
        write_sheet(xlsx, "表", table, headers=headers)
    sheet = openpyxl.load_workbook(path)["表"]
    assert [c.value for c in sheet[1]] == [
        "区划代码",
        "名称",
        "population",
        "覆盖率（%）",
        "mean_min",
        "beds_per_1000",
    ]
    code, _name, persons, share, minutes, beds = sheet[2]
    assert (code.value, code.data_type) == (CODE, "s")
    assert (sheet["A3"].value, sheet["A3"].data_type) == ("239901002000", "s")
    assert (persons.value, persons.number_format) == (54335, "#,##0")
    assert (share.number_format, minutes.number_format) == ("0.0%", "0.0")
    assert share.value == pytest.approx(0.014)  # holds what it shows: 1.4%
    assert minutes.value == pytest.approx(13.6)
    assert (beds.value, beds.number_format) == (pytest.approx(4.63), "0.00")
    assert sheet["E3"].value is None  # NaN: an empty cell
    # the longest cell sets the width (CJK twice as wide), the header when it is longer
    assert width_of(sheet, 2) >= workbook_formats.display_width(LONG_NAME) > 2 * len("名称")
    assert width_of(sheet, 1) >= 12  # twelve digits, not the four of "区划代码"
    assert width_of(sheet, 4) >= workbook_formats.display_width("覆盖率（%）")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"


def test_very_long_text_is_capped_and_wraps(tmp_path):
    path = tmp_path / "t.xlsx"
    with workbook_writer(path) as xlsx:
        write_sheet(xlsx, "notes", pd.DataFrame({"note": ["很长的说明" * 30]}))
    sheet = openpyxl.load_workbook(path)["notes"]
    assert width_of(sheet, 1) == pytest.approx(workbook_formats.MAX_WIDTH, abs=1)
    assert sheet["A2"].alignment.wrap_text


def coverage_result() -> SimpleNamespace:
    towns = pd.DataFrame(
        {
            "code": [CODE, "ALL"],
            "name": ["城东街道", "样例县"],
            "mode": ["walk", "walk"],
            "threshold_min": [15.0, 15.0],
            "group": ["primary", "primary"],
            "population": [58277.19, 100000.4],
            "covered": [3103.28, 50000.2],
            "uncovered": [55173.91, 50000.2],
            "share_covered": [0.0532504, 0.5],
            "mean_min": [13.5999, 12.0],
            "median_min": [13.7, 11.0],
            "p95_min": [22.25, 30.0],
            "beds_per_1000": [4.633, 2.0],
            "e2sfca_beds_per_1000": [0.168, 0.2],
        }
    )
    facilities = pd.DataFrame(
        {
            "facility_id": [239901001003],
            "name": ["城东社区卫生服务中心"],
            "level": ["community_health_centre"],
            "group": ["primary"],
            "mode": ["walk"],
            "threshold_min": [15.0],
            "beds": [10.0],
            "catchment_population": [28112.646],
            "population_within": [1576.34],
            "beds_per_1000_catchment": [0.3557],
            "e2sfca_beds_per_1000": [0.3743],
        }
    )
    return SimpleNamespace(townships=towns, facilities=facilities)


def has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_coverage_workbook_notes_in_the_table_language(tmp_path, language):
    result = coverage_result()
    coverage_files.write_tables(tmp_path, result, language=language, region="样例县")
    book = openpyxl.load_workbook(tmp_path / "coverage.xlsx")
    assert book.sheetnames == list(coverage_files.SHEETS[language])
    for sheet in book:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref
    notes = book.worksheets[2]
    rows = [(a.value, b.value) for a, b in notes.iter_rows(min_row=2)]
    assert rows[0][1] == "样例县"  # region.title, as the plan names it
    texts = " ".join(str(v) for row in rows[1:] for v in row if "OpenStreetMap" not in str(v))
    if language == "zh":
        assert [c.value for c in notes[1]] == ["项目", "说明"]
        assert has_cjk(texts)
        assert "常住人口" in texts
    else:
        assert [c.value for c in notes[1]] == ["Item", "Note"]
        assert not has_cjk(texts)
        assert "Residents" in texts
    towns = book.worksheets[0]
    col = header_index(towns)
    share = "覆盖率（%）" if language == "zh" else "Share covered (%)"
    assert towns.cell(2, col[share]).number_format == "0.0%"
    people = "常住人口（人）" if language == "zh" else "Population (persons)"
    assert towns.cell(2, col[people]).value == 58277
    assert towns.cell(2, col[people]).number_format == "#,##0"
    ident = book.worksheets[1].cell(2, 1)
    assert (ident.value, ident.data_type) == ("239901001003", "s")
    # the CSV files keep every digit
    csv = pd.read_csv(tmp_path / "townships.csv", encoding="utf-8-sig", dtype={"code": str})
    assert csv["population"].iloc[0] == 58277.19


def plan(tmp_path: Path, record: PlanRecord, sites: pd.DataFrame | None = None) -> LoadedPlan:
    if sites is None:
        sites = pd.DataFrame({"site_id": ["239901104001"], "name": ["卫生院"]})
    return LoadedPlan(record.kind, tmp_path, record, sites, {})


WHATIF = PlanRecord(
    title="方案测算：升级 1 个",
    kind="whatif",
    mode="drive",
    threshold_min=15.0,
    sites=1,
    new_sites=1,
    effects=(
        Effect("15分钟内可达基层医疗的人口（人，步行）", 1000.4, 1500.6, "walk", "primary"),
        Effect(
            "15分钟内可达基层医疗的人口（人，电动车/摩托车）",
            2000.0,
            2500.0,
            "two_wheeler",
            "primary",
        ),
        Effect("15分钟内可达二级医疗的人口（人，驾车）", 3000.0, 3600.0, "drive", "secondary"),
        Effect(
            "乡镇卫生院到最近二级医疗机构驾车用时中位数（分钟）", 31.26, 24.04, "drive", "secondary"
        ),
    ),
    group="primary",
)


def test_effect_rows_carry_their_own_mode_and_group(tmp_path):
    ambulance = PlanRecord(
        title="急救站选址（15分钟）",
        kind="ambulance",
        mode="two_wheeler",
        threshold_min=15.0,
        sites=3,
        new_sites=1,
        effects=(Effect("15分钟急救响应覆盖人口（人）", 117941.9, 260104.6),),  # an older plan.json
    )
    table = tables.effects_table([plan(tmp_path, WHATIF), plan(tmp_path, ambulance)])
    assert list(table.columns) == list(tables.EFFECT_HEADERS)
    assert table["出行方式"].tolist() == ["步行", "电动车/摩托车", "驾车", "驾车", "电动车/摩托车"]
    assert table["服务类别"].tolist() == [
        "基层医疗",
        "基层医疗",
        "二级医疗",
        "二级医疗",
        "院前急救",
    ]

    written = tables.write_plan_tables(tmp_path, [plan(tmp_path, WHATIF)])
    book = openpyxl.load_workbook(tmp_path / "plans.xlsx")
    effects = book["效果"]
    assert effects.freeze_panes == "A2"
    assert effects.auto_filter.ref
    col = header_index(effects)
    walk = [effects.cell(r, col["出行方式"]).value for r in range(2, effects.max_row + 1)]
    assert walk[0] == "步行"
    persons, minutes = effects.cell(2, col["方案后"]), effects.cell(5, col["方案后"])
    assert (persons.value, persons.number_format) == (1501, "#,##0")
    assert (minutes.value, minutes.number_format) == (pytest.approx(24.0), "0.0")
    before, after = effects.cell(5, col["方案前"]).value, minutes.value
    # the change is between the numbers as shown (31.26 → 24.04 shows 31.3 → 24.0: −7.3)
    assert effects.cell(5, col["变化"]).value == pytest.approx(after - before)
    assert effects.cell(5, col["变化"]).value == pytest.approx(-7.3)
    # the plan and indicator columns fit their text
    assert width_of(effects, col["指标"]) >= workbook_formats.display_width(
        WHATIF.effects[3].indicator
    )
    assert width_of(effects, col["方案"]) >= workbook_formats.display_width(WHATIF.title)
    sites = book[book.sheetnames[1]]
    assert (sites["A2"].value, sites["A2"].data_type) == ("239901104001", "s")
    assert written[-1] == tmp_path / "plans.xlsx"


def test_plan_record_keeps_each_effects_mode_and_reads_older_records(tmp_path):
    write_record(tmp_path, WHATIF)
    assert read_record(tmp_path).effects == WHATIF.effects
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    for effect in data["effects"]:
        del effect["mode"], effect["group"]
    (tmp_path / "plan.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    older = read_record(tmp_path)
    assert [(e.mode, e.group) for e in older.effects] == [("", "")] * 4
    assert tables.effects_table([plan(tmp_path, older)])["出行方式"].tolist() == ["驾车"] * 4


# -- LibreOffice ---------------------------------------------------------------------------

#: CSV export of every sheet (token 12: -1), UTF-8, cells as shown (token 9).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def calc_csv(workbook: Path, out: Path) -> dict[str, pd.DataFrame]:
    """Convert every sheet of a workbook with LibreOffice Calc; sheet → what Calc shows."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip(
            "LibreOffice (Debian libreoffice-calc) not installed: "
            "sh scripts/install-test-browser.sh installs it"
        )
    out.mkdir(parents=True, exist_ok=True)
    profile = (out / "profile").as_uri()  # a private profile: parallel runs never share one
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    sheets = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    shown = {}
    for sheet in sheets:
        path = out / f"{workbook.stem}-{sheet}.csv"
        assert path.is_file(), f"LibreOffice wrote no sheet {sheet}: {done.stdout}{done.stderr}"
        shown[sheet] = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return shown


WHOLE = re.compile(r"^-?\d{1,3}(,\d{3})*$")  # persons: whole, thousands separated
TWELVE = re.compile(r"^\d{12}$")


def assert_persons_whole(sheet: pd.DataFrame, name: str) -> None:
    columns = [c for c in sheet.columns if "（人" in c]
    assert columns, name
    for column in columns:
        shown = [v for v in sheet[column] if v]
        assert shown, (name, column)
        assert all(WHOLE.match(v) for v in shown), (name, column, shown[:5])


def test_libreoffice_reads_the_coverage_workbook(demo_run, tmp_path):
    out, _ = demo_run
    sheets = calc_csv(out / "coverage.xlsx", tmp_path)
    assert list(sheets) == ["乡镇覆盖", "机构服务", "说明"]
    towns, facilities = sheets["乡镇覆盖"], sheets["机构服务"]
    expected = pd.read_csv(out / "townships.csv", encoding="utf-8-sig", dtype={"code": str})
    codes = set(towns["区划代码"]) - {"全域"}
    assert codes == set(expected["code"]) - {"ALL"}
    assert all(TWELVE.match(c) for c in codes)  # twelve digits, never 2.39901E+11
    ids = pd.read_csv(out / "facilities.csv", encoding="utf-8-sig", dtype={"facility_id": str})
    assert set(facilities["机构编码"]) == set(ids["facility_id"])
    assert_persons_whole(towns, "乡镇覆盖")
    assert_persons_whole(facilities, "机构服务")
    assert all(re.match(r"^\d+\.\d%$", v) for v in towns["覆盖率（%）"] if v)
    assert all(re.match(r"^\d+\.\d$", v) for v in towns["平均用时（分钟）"] if v)
    assert "样例县" in set(sheets["说明"]["说明"])


def test_libreoffice_reads_the_report_workbooks(report_run, tmp_path):
    sheets = calc_csv(report_run / "plans.xlsx", tmp_path / "plans")
    assert next(iter(sheets)) == "效果"
    assert len(sheets) == 1 + 3 + 1  # one sheet per plan, then the notes
    assert list(sheets)[-1] == "说明"
    assert "样例县" in set(sheets["说明"]["说明"])
    effects = sheets["效果"]
    assert set(effects["出行方式"]) <= {"步行", "电动车/摩托车", "驾车"}
    for sheet_name, sheet in list(sheets.items())[1:-1]:
        for column in ("站点编码", "机构编码", "所在乡镇代码"):
            if column in sheet:
                assert all(TWELVE.match(v) for v in sheet[column] if v), (sheet_name, column)
    assert_persons_whole(sheets["regional"], "regional")
    coverage = calc_csv(report_run / "coverage.xlsx", tmp_path / "coverage")
    assert list(coverage) == ["乡镇覆盖", "机构服务", "说明"]
    assert all(TWELVE.match(c) for c in set(coverage["乡镇覆盖"]["区划代码"]) - {"全域"})


# -- coverage.gpkg -------------------------------------------------------------------------

#: Largest sample ``coverage.gpkg`` (issue 17: 8 MB; 11.3 MB before display copies).
GPKG_BOUND = 8_000_000
#: Display copies' areas against the exact ones (outlines move by at most ~55 m).
AREA_TOLERANCE = 0.02


def test_sample_geopackage_is_small_and_keeps_the_tables(demo_run):
    out, _ = demo_run
    gpkg = out / "coverage.gpkg"
    assert gpkg.stat().st_size <= GPKG_BOUND
    towns = pd.read_csv(out / "townships.csv", encoding="utf-8-sig", dtype={"code": str})
    facilities = pd.read_csv(out / "facilities.csv", encoding="utf-8-sig")
    whole = towns[(towns["code"] == "ALL") & (towns["threshold_min"] == 15)]
    target = facilities[facilities["threshold_min"] == 15]
    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    with sqlite3.connect(gpkg) as db:
        described = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
        indexed = {r[0] for r in db.execute("SELECT table_name FROM gpkg_extensions")}
    for name in names:
        frame = gpd.read_file(gpkg, layer=name)
        assert frame.is_valid.all(), name
        assert name in indexed, f"{name}: no spatial index"
        kind, _, rest = name.partition("_")
        if kind not in ("catchments", "uncovered", "circles"):
            continue
        assert "simplified with a tolerance of" in described[name], name
        assert (frame["simplified_m"] > 0).all()
        assert (frame["simplified_m"] <= 60).all()
        group, mode = ("primary", rest) if kind == "uncovered" else rest.split("_", 1)
        rows = whole[(whole["group"] == group) & (whole["mode"] == mode)]
        metric = frame.estimate_utm_crs()
        if kind in ("catchments", "uncovered"):  # simplified once per shared edge: no overlaps
            shapes = frame.to_crs(metric).geometry.to_numpy()
            a, b = shapely.STRtree(shapes).query(shapes, predicate="intersects")
            a, b = a[a < b], b[a < b]
            overlap = shapely.area(shapely.intersection(shapes[a], shapes[b])).sum()
            assert overlap <= 1e-6 * shapely.area(shapes).sum(), name
        if kind == "catchments":
            people = target[(target["group"] == group) & (target["mode"] == mode)]
            assert frame["population"].sum() == pytest.approx(people["catchment_population"].sum())
        if kind == "uncovered":
            assert frame["population"].sum() == pytest.approx(rows["uncovered"].iloc[0])
            bands = frame.filter(like="population_").sum(axis=1)
            assert np.allclose(bands, frame["population"])
            assert frame["code"].is_unique  # one area per township
            with rasterio.open(out / f"traveltime_{mode}.tif") as tif:
                step_x, step_y = tif.res  # degrees
            lat = np.radians(frame.union_all().centroid.y)
            cell_km2 = step_x * 111.32 * np.cos(lat) * step_y * 110.57
            drawn = frame.to_crs(metric).area.sum() / 1e6
            assert drawn == pytest.approx(frame["cells"].sum() * cell_km2, rel=AREA_TOLERANCE)
        if kind == "circles":
            covered = towns[
                (towns["code"] == "ALL") & (towns["group"] == group) & (towns["mode"] == mode)
            ].set_index("threshold_min")["covered"]
            assert np.allclose(frame["population"], frame["threshold_min"].map(covered))
            rings = frame.sort_values("threshold_min").to_crs(metric).geometry.to_numpy()
            for small, big in itertools.pairwise(rings):  # still nested
                assert small.difference(big).area <= 1e-6 * max(small.area, 1.0), name
        if "area_km2" in frame:
            drawn = frame.to_crs(metric).area.sum() / 1e6
            assert drawn == pytest.approx(frame["area_km2"].sum(), rel=AREA_TOLERANCE), name


def test_covered_and_uncovered_add_up_as_shown(tmp_path):
    """21.2 people, 10.6 covered: the sheet shows 21 = 11 + 10, not 21 = 11 + 11."""
    result = coverage_result()
    towns = result.townships
    towns.loc[0, ["population", "covered", "uncovered"]] = [21.2, 10.6, 10.6]
    coverage_files.write_tables(tmp_path, result, language="zh", region="样例县")
    sheet = openpyxl.load_workbook(tmp_path / "coverage.xlsx").worksheets[0]
    col = header_index(sheet)
    shown = {
        key: sheet.cell(2, col[coverage_files.HEADERS["zh"][key]]).value
        for key in ("population", "covered", "uncovered")
    }
    assert shown == {"population": 21, "covered": 11, "uncovered": 10}
    csv = pd.read_csv(tmp_path / "townships.csv", encoding="utf-8-sig")
    assert csv.loc[0, "uncovered"] == pytest.approx(10.6)  # the CSV keeps every digit


def test_plan_sheet_names_differing_by_case_do_not_collide():
    """Excel refuses two sheets 'MCLP' and 'mclp': the second gets a number."""
    used = {"效果", "说明"}
    names = [tables._sheet_name(n, used) for n in ("MCLP", "mclp", "说明", "a/b")]
    assert names == ["MCLP", "mclp_2", "说明_2", "a_b"]
