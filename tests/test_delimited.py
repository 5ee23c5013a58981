"""Delimited text as rows: the delimiter guessed, records numbered by line, the header found."""

from __future__ import annotations

import pytest

from geohealth.inputs import columns, delimited, tables

#: A list as exported from a formatted sheet: a title, a blank line, the header, one row.
TITLED = (
    "样例县医疗机构名录（2024年）\n\n"
    "机构名称\t机构类别\t经度\t纬度\n"
    "永安镇卫生院\t乡镇卫生院\t127.05\t46.05\n"
)


@pytest.mark.parametrize("sep", ["\t", ";", "|"])
def test_other_delimiters(tmp_path, sep):
    path = tmp_path / "f.txt"
    path.write_text(
        f"机构名称{sep}经度{sep}纬度\n永安镇卫生院{sep}127.0{sep}46.0\n", encoding="utf-8"
    )
    table = tables.read(path, config_key="facilities.path")
    assert table.frame.columns.tolist() == ["机构名称", "经度", "纬度"]
    assert table.frame.iloc[0, 1] == "127.0"


@pytest.mark.parametrize("sep", [",", "\t", ";", "|", "，"])
def test_delimiter_guessed_below_a_title_line(sep):
    text = TITLED.replace("\t", sep)
    assert delimited.guess_delimiter(text) == sep
    assert delimited.guess_delimiter("机构名称\n永安镇卫生院\n") == ","  # nothing to split at


def test_records_keep_the_file_lines():
    text = '机构名称,备注\n"永安镇卫生院","两行\n备注"\n\n前进村卫生室,\n'
    assert delimited.records(text, ",") == [
        (1, ["机构名称", "备注"]),
        (2, ["永安镇卫生院", "两行\n备注"]),  # a quoted cell spanning lines 2 and 3
        (4, []),  # a blank line
        (5, ["前进村卫生室", ""]),
    ]
    assert delimited.records(text, ",", limit=2) == delimited.records(text, ",")[:2]
    plain = "a,b\n\nc,d\n"
    assert delimited.records(plain, ",") == [(1, ["a", "b"]), (2, []), (3, ["c", "d"])]


def test_header_found_below_titles_within_the_first_rows():
    rows = delimited.records(TITLED, "\t")
    assert delimited.header_index(rows, columns.is_facility_header) == 2
    assert delimited.has_header(TITLED, columns.is_facility_header)
    late = "\n" * delimited.HEADER_SEARCH_ROWS + TITLED.split("\n", 2)[2]
    assert delimited.header_index(delimited.records(late, "\t"), columns.is_facility_header) is None
    assert not delimited.has_header(late, columns.is_facility_header)
    assert not delimited.has_header("永安镇卫生院,127.05,46.05\n", columns.is_facility_header)


def test_blank_rows():
    assert delimited.is_blank([])
    assert delimited.is_blank([None, " ", "\t"])
    assert not delimited.is_blank([None, "0"])
