"""Reading CSV (UTF-8, UTF-8 with BOM, GBK) and Excel tables, all cells as text."""

from __future__ import annotations

import pandas as pd
import pytest

from geohealth.errors import EncodingError, InputError, InputFileNotFoundError
from geohealth.inputs import tables

from .conftest import write_csv

HEADER = ["机构名称", "机构编码", "床位数"]
ROWS = [["永安镇卫生院", "00101", "1,200"], ["前进村卫生室", "00102", ""]]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gbk")],
)
def test_encodings_detected_and_codes_kept_as_text(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "f.csv", HEADER, ROWS, encoding)
    table = tables.read(path, config_key="facilities.path")
    assert table.encoding == detected
    assert table.frame.columns.tolist() == HEADER
    assert table.frame["机构编码"].tolist() == ["00101", "00102"]  # leading zeros kept


def test_gb18030_only_characters(tmp_path):
    # 䶮 is in GB18030 but not GBK
    path = write_csv(tmp_path / "f.csv", HEADER, [["䶮村卫生室", "1", "0"]], "gb18030")
    table = tables.read(path, config_key="facilities.path")
    assert table.encoding == "gb18030"
    assert table.frame.iloc[0, 0] == "䶮村卫生室"


def test_undecodable_text(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("名称,经度\n".encode() + b"\x81\x20\xff\xfe,1\n")
    with pytest.raises(
        EncodingError, match=r"neither UTF-8 nor GBK/GB18030 .* re-save it as UTF-8"
    ):
        tables.read(path, config_key="facilities.path")


def test_wrong_declared_encoding(tmp_path):
    path = write_csv(tmp_path / "f.csv", HEADER, ROWS, "gbk")
    with pytest.raises(EncodingError, match=r"not valid utf-8 text"):
        tables.read(path, encoding="utf-8", config_key="facilities.path")
    with pytest.raises(UnicodeError, match=r"unknown encoding 'klingon'"):
        tables.read(path, encoding="klingon", config_key="facilities.path")


def test_excel(tmp_path):
    path = tmp_path / "f.xlsx"
    pd.DataFrame(ROWS, columns=HEADER).to_excel(path, index=False, sheet_name="机构")
    table = tables.read(path, config_key="facilities.path")
    assert table.encoding == "excel"
    assert table.frame["机构编码"].tolist() == ["00101", "00102"]
    with pytest.raises(InputError, match=r"sheet '表2' not found; sheets are: 机构"):
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


@pytest.mark.parametrize("sep", ["\t", ";", "|"])
def test_other_delimiters(tmp_path, sep):
    path = tmp_path / "f.txt"
    path.write_text(
        f"机构名称{sep}经度{sep}纬度\n永安镇卫生院{sep}127.0{sep}46.0\n", encoding="utf-8"
    )
    table = tables.read(path, config_key="facilities.path")
    assert table.frame.columns.tolist() == ["机构名称", "经度", "纬度"]
    assert table.frame.iloc[0, 1] == "127.0"
