"""Reading CSV and Excel tables, all cells as text: header rows, sheets, row numbers."""

from __future__ import annotations

import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geohealth.errors import ConfigError, InputError, InputFileNotFoundError
from geohealth.inputs import columns, tables

HEADER = ["机构名称", "机构编码", "床位数"]
ROWS = [["永安镇卫生院", "00101", "1,200"], ["前进村卫生室", "00102", ""]]


def write_titled_csv(path, sep=",", encoding="gbk"):
    """A list as exported from a formatted sheet: a merged title, a blank line, the header."""
    lines = [
        sep.join(["样例县医疗机构名录（2024年）", "", "", ""]),
        "",
        sep.join(["机构名称", "机构类别", "经度", "纬度"]),
        sep.join(["永安镇卫生院", "乡镇卫生院", "127.05", "46.05"]),
        "",
        sep.join(["永安镇前进村卫生室", "村卫生室", "NULL", "46.08"]),
    ]
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


@pytest.mark.parametrize("sep", [",", "\t"])
def test_title_rows_skipped_and_file_rows_kept(tmp_path, sep):
    path = write_titled_csv(tmp_path / "f.csv", sep)
    table = tables.read(path, config_key="facilities.path", is_header=columns.is_facility_header)
    assert table.frame.columns.tolist() == ["机构名称", "机构类别", "经度", "纬度"]
    assert table.header_row == 3
    assert table.row_numbers.tolist() == [4, 6]  # the file's own lines, blank line skipped
    assert pd.isna(table.frame["经度"].iloc[1])  # NULL is missing, as pandas reads it
    # without a header test the first non-blank row is the header, as before
    plain = tables.read(path, config_key="facilities.path")
    assert plain.header_row == 1


def test_header_row_given(tmp_path):
    path = write_titled_csv(tmp_path / "f.csv")
    table = tables.read(path, config_key="facilities.path", header_row=3)
    assert table.frame.columns.tolist()[0] == "机构名称"
    assert table.row_numbers.tolist() == [4, 6]
    with pytest.raises(InputError) as info:
        tables.read(path, config_key="facilities.path", header_row=2)
    assert str(info.value) == (
        "f.csv: row 2 is blank — set facilities.header_row to the row that holds the column names"
    )
    with pytest.raises(InputError, match=r"^f.csv: row 40 is past the end \(last row 6\) — set"):
        tables.read(path, config_key="facilities.path", header_row=40)
    with pytest.raises(ConfigError, match=r"facilities.header_row must be 1 or more"):
        tables.read(path, config_key="facilities.path", header_row=0)


def test_cells_beyond_the_header(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("机构名称,经度,纬度\n甲,127.0,46.0\n乙,127.0,46.0,多余\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        tables.read(path, config_key="facilities.path")
    assert str(info.value) == (
        "f.csv: row 3 has 4 cells but the header (row 1) has 3 — check quoting and delimiters"
    )
    # trailing empty cells, as spreadsheets export them, are fine
    path.write_text("机构名称,经度,纬度\n甲,127.0,46.0,,\n", encoding="utf-8")
    assert tables.read(path, config_key="facilities.path").frame.shape == (1, 3)


def write_workbook(path, *, with_list=True):
    """A workbook as offices send it: a notes sheet first, then the list under a merged title
    and a two-row header (group names above the column names)."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes["A1"] = "本表由县卫健局整理"
    notes["A2"] = "坐标为高德（GCJ-02）"
    listing = book.create_sheet("名录")
    listing["A1"] = "样例县医疗机构名录"
    listing.merge_cells("A1:F1")
    listing.append(["基本信息", None, None, "位置", None, "资源"])
    if with_list:
        listing.append(["机构编码", "机构名称", "机构类别", "经度", "纬度", "床位数"])
    listing.append(["00101", "永安镇卫生院", "乡镇卫生院", 127.05, 46.05, 40])
    listing.append(["00102", "永安镇前进村卫生室", "村卫生室", 127.02, 46.08, None])
    book.save(path)
    return path


def test_excel_sheet_and_header_found(tmp_path, caplog):
    path = write_workbook(tmp_path / "f.xlsx")
    with caplog.at_level("INFO", logger="geohealth.inputs.tables"):
        table = tables.read(
            path, config_key="facilities.path", is_header=columns.is_facility_header
        )
    assert table.sheet == "名录"
    assert table.header_row == 3
    assert table.row_numbers.tolist() == [4, 5]
    assert table.frame["机构编码"].tolist() == ["00101", "00102"]
    assert table.frame["床位数"].tolist()[0] == "40"
    assert np.isnan(table.frame["床位数"].iloc[1])
    assert "f.xlsx: reading sheet '名录', the first with the table's columns" in caplog.text


def test_excel_without_the_columns_on_any_sheet(tmp_path):
    path = write_workbook(tmp_path / "f.xlsx", with_list=False)
    with pytest.raises(InputError) as info:
        tables.read(path, config_key="facilities.path", is_header=columns.is_facility_header)
    assert str(info.value) == (
        "f.xlsx: no sheet has the columns this table needs in its first 10 rows; sheets are: "
        "说明, 名录 — set facilities.sheet (and facilities.header_row if the header is lower)"
    )


def test_excel(tmp_path):
    path = tmp_path / "f.xlsx"
    pd.DataFrame(ROWS, columns=HEADER).to_excel(path, index=False, sheet_name="机构")
    table = tables.read(path, config_key="facilities.path")
    assert table.encoding == "excel"
    assert table.frame["机构编码"].tolist() == ["00101", "00102"]
    with pytest.raises(
        InputError, match=re.escape("sheet '表2' not found; sheets are: 机构 — set")
    ):
        tables.read(path, sheet="表2", config_key="facilities.path")


def test_old_xls_and_empty_and_missing(tmp_path):
    (tmp_path / "f.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(InputError, match=r"save it as .xlsx"):
        tables.read(tmp_path / "f.xls", config_key="facilities.path")
    (tmp_path / "e.csv").write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError, match=r"the file is empty"):
        tables.read(tmp_path / "e.csv", config_key="facilities.path")
    (tmp_path / "h.csv").write_text("名称,经度\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"header but no rows"):
        tables.read(tmp_path / "h.csv", config_key="facilities.path")
    with pytest.raises(InputFileNotFoundError, match=r"not found — check facilities.path"):
        tables.read(tmp_path / "nope.csv", config_key="facilities.path")
    with pytest.raises(FileNotFoundError):
        tables.read(tmp_path / "nope.csv", config_key="facilities.path")


def test_to_number_accepts_separators_and_full_width():
    values = pd.Series(["1,200", "３５", "", None, " 7 "])
    out = tables.to_number(values, column="床位数", source="f.csv")
    assert out.iloc[0] == 1200
    assert out.iloc[1] == 35
    assert out.iloc[4] == 7
    assert out.isna().tolist() == [False, False, True, True, False]


def test_to_number_names_bad_rows():
    with pytest.raises(InputError, match=r"row 3: 'abc'"):
        tables.to_number(pd.Series(["1", "abc"]), column="床位数", source="f.csv")
    with pytest.raises(InputError, match=r"blank in rows 3"):
        tables.to_number(pd.Series(["1", ""]), column="人口", source="b", allow_missing=False)


def test_repeated_header_names_never_collide(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("名称,备注,备注,备注.1\n甲,1,2,3\n", encoding="utf-8")
    table = tables.read(path, config_key="facilities.path")
    assert list(table.frame.columns) == ["名称", "备注", "备注.1", "备注.1.1"]
    assert table.frame.columns.is_unique
