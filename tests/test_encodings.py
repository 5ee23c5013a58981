"""Decoding tables: UTF-8 (with or without BOM), GBK/GB18030, Big5 named or declared."""

from __future__ import annotations

import pandas as pd
import pytest

from geohealth.errors import EncodingError
from geohealth.inputs import columns, encodings, tables

from .conftest import write_csv
from .test_tables import HEADER, ROWS


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
    with pytest.raises(EncodingError) as info:
        tables.read(path, config_key="facilities.path")
    assert str(info.value) == (
        "f.csv: the text is in none of UTF-8, GBK/GB18030 or Big5 (undecodable byte 0x81 at "
        "offset 14) — save it as UTF-8 (Excel: 另存为 → CSV UTF-8), or set "
        "facilities.encoding to its encoding (e.g. 'big5')"
    )


def test_wrong_declared_encoding(tmp_path):
    path = write_csv(tmp_path / "f.csv", HEADER, ROWS, "gbk")
    with pytest.raises(EncodingError) as info:
        tables.read(path, encoding="utf-8", config_key="facilities.path")
    assert str(info.value) == (
        "f.csv: not valid utf-8 text (byte 0xbb at offset 0) — set facilities.encoding to "
        "the file's encoding, or to 'auto' (UTF-8, GBK/GB18030 and Big5 are detected)"
    )
    with pytest.raises(UnicodeError, match=r"f.csv: unknown encoding 'klingon' — set facilities"):
        tables.read(path, encoding="klingon", config_key="facilities.path")


BIG5_HEADER = ["機構編碼", "機構名稱", "機構類別", "經度", "緯度", "床位數"]
BIG5_ROWS = [
    ["00101", "永安鎮衛生院", "鄉鎮衛生院", 127.05, 46.05, 40],
    ["00102", "永安鎮前進村衛生室", "村衛生室", 127.02, 46.08, None],
    ["00201", "太平鄉衛生院", "鄉鎮衛生院", 127.15, 46.05, 20],
]


def write_big5(tmp_path, name="facilities.csv"):
    """A facility list saved as Big5 (traditional characters), as Taiwan/HK software does."""
    return write_csv(tmp_path / name, BIG5_HEADER, BIG5_ROWS, "big5")


def test_big5_is_named_and_read_when_declared(tmp_path):
    path = write_big5(tmp_path)
    # the bytes "decode" as GB18030, into nonsense
    assert encodings.looks_garbled(path.read_bytes().decode("gb18030"), "gb18030")
    expected = (
        "facilities.csv: the text is in none of UTF-8, GBK/GB18030 but reads as Big5 "
        "(traditional Chinese: '機構編碼', '機構名稱', '機構類別') — save it as UTF-8 "
        "(Excel: 另存为 → CSV UTF-8), or set facilities.encoding = 'big5'"
    )
    with pytest.raises(EncodingError) as info:
        tables.read(path, config_key="facilities.path", is_header=columns.is_facility_header)
    assert str(info.value) == expected
    # recognised by its garbled GB18030 reading alone, without a header test
    with pytest.raises(EncodingError) as info:
        tables.read(path, config_key="facilities.path")
    assert str(info.value) == expected
    table = tables.read(path, encoding="big5", config_key="facilities.path")
    assert table.encoding == "big5"
    assert table.frame.columns.tolist() == BIG5_HEADER
    assert table.frame["機構名稱"].tolist()[0] == "永安鎮衛生院"


def test_big5_declared_as_gbk_is_an_encoding_error(tmp_path):
    path = write_big5(tmp_path)
    with pytest.raises(EncodingError) as info:
        tables.read(
            path,
            encoding="gb18030",
            config_key="facilities.path",
            is_header=columns.is_facility_header,
        )
    message = str(info.value)
    assert message.startswith("facilities.csv: read as gb18030 the text comes out garbled ('")
    assert message.endswith(
        "— set facilities.encoding to the file's real encoding (e.g. 'big5'), or to 'auto'"
    )
    table = tables.read(path, encoding="big5", config_key="facilities.path")
    assert table.frame["機構類別"].tolist()[0] == "鄉鎮衛生院"


def test_text_in_no_chinese_encoding(tmp_path):
    path = tmp_path / "facilities.csv"  # Japanese Shift_JIS: garbled as GBK, invalid as Big5
    path.write_bytes("機関名称,種別,経度,緯度\n東京都立病院,病院,139.7,35.6\n".encode("shift_jis"))
    with pytest.raises(EncodingError) as info:
        tables.read(path, config_key="facilities.path", is_header=columns.is_facility_header)
    assert str(info.value) == (
        "facilities.csv: the text is in none of UTF-8, GBK/GB18030 or Big5 (read as GBK it "
        "comes out garbled: '婡娭柤徧', '庬暿', '宱搙') — save it as UTF-8 (Excel: 另存为 → "
        "CSV UTF-8), or set facilities.encoding to its encoding (e.g. 'big5')"
    )


def test_workbook_named_csv(tmp_path):
    path = tmp_path / "facilities.csv"
    pd.DataFrame(ROWS, columns=HEADER).to_excel(path.with_suffix(".xlsx"), index=False)
    path.write_bytes(path.with_suffix(".xlsx").read_bytes())
    with pytest.raises(EncodingError, match=r"^facilities.csv: this is an Excel workbook"):
        tables.read(path, config_key="facilities.path")


def test_big5_with_english_header_is_named_too(tmp_path):
    # the header alone cannot tell: the names, garbled as GB18030, do
    path = write_csv(
        tmp_path / "f.csv", ["name", "type", "lon", "lat"], [r[1:5] for r in BIG5_ROWS], "big5"
    )
    with pytest.raises(EncodingError, match=r"reads as Big5 \(traditional Chinese: '永安鎮衛生院'"):
        tables.read(path, config_key="facilities.path", is_header=columns.is_facility_header)


def test_gbk_with_traditional_names_stays_gbk(tmp_path, caplog):
    # GBK holds traditional characters too; a recognised header keeps the GBK reading
    rows = [
        ["永安鎮衛生院", "鄉鎮衛生院", "127.05", "46.05"],
        ["前進村衛生室", "村衛生室", "127.02", "46.08"],
    ]
    path = write_csv(tmp_path / "f.csv", ["机构名称", "机构类别", "经度", "纬度"], rows, "gbk")
    with caplog.at_level("WARNING", logger="geohealth.inputs.encodings"):
        table = tables.read(
            path, config_key="facilities.path", is_header=columns.is_facility_header
        )
    assert table.encoding == "gbk"
    assert table.frame["机构名称"].tolist() == ["永安鎮衛生院", "前進村衛生室"]
    assert "f.csv: read as GBK, but many characters look garbled" in caplog.text
