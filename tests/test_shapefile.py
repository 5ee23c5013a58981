"""Shapefile attribute text: .dbf encodings detected without a .cpg, names cut mid-character."""

from __future__ import annotations

import logging
import warnings

import pytest

from geohealth.errors import EncodingError
from geohealth.inputs import boundaries, shapefile


def test_gbk_shapefile_without_cpg(tmp_path, townships_gdf, caplog):
    path = tmp_path / "towns.shp"
    townships_gdf.to_file(path, engine="pyogrio", encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    raw = path.with_suffix(".dbf").read_bytes()
    assert "永安镇".encode("gbk") in raw
    assert "永安镇".encode() not in raw
    with caplog.at_level(logging.INFO, logger="geohealth.inputs.shapefile"):
        towns = boundaries.load(path)
    assert towns["name"].tolist() == ["永安镇", "太平乡"]
    assert towns["population"].tolist() == [12000.0, 8000.0]  # 人口 recognised too
    assert towns.attrs["encoding"] == "gbk"
    assert "towns.shp: no .cpg file; attribute encoding detected as gbk" in caplog.text
    assert boundaries.load(path, encoding="gbk")["name"].tolist() == ["永安镇", "太平乡"]
    with pytest.raises(
        EncodingError,
        match=r"^towns\.shp: the attributes are not valid utf-8 text — set boundaries\.encoding "
        r"to the file's encoding \(e\.g\. 'gbk'\)$",
    ):
        boundaries.load(path, encoding="utf-8")
    with pytest.raises(EncodingError, match=r"unknown encoding 'gkb' — fix boundaries\.encoding"):
        boundaries.load(path, encoding="gkb")  # a typo: one line, not a LookupError


def test_utf8_shapefile_without_cpg(tmp_path, townships_gdf):
    path = tmp_path / "towns.shp"
    townships_gdf.to_file(path, engine="pyogrio", encoding="utf-8")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    towns = boundaries.load(path)
    assert towns["name"].tolist() == ["永安镇", "太平乡"]
    assert towns.attrs["encoding"] == "utf-8"


@pytest.mark.parametrize("with_cpg", [True, False])
def test_field_names_cut_mid_character(tmp_path, townships_gdf, with_cpg):
    # 乡镇名称 is 12 bytes of UTF-8; a Shapefile field name keeps 10: 乡镇名 and a broken byte
    path = tmp_path / "towns.shp"
    renamed = townships_gdf.rename(
        columns={"名称": "乡镇名称", "代码": "统计用区划代码", "人口": "常住人口"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL: "laundered field name"
        renamed.to_file(path, engine="pyogrio", encoding="utf-8")
    if not with_cpg:
        path.with_suffix(".cpg").unlink()
    towns = boundaries.load(
        path, name_column="乡镇名", code_column="统计用", population_column="常住人"
    )
    assert towns["name"].tolist() == ["永安镇", "太平乡"]  # not GBK mojibake
    assert towns["code"].tolist() == ["010101100000", "010101200000"]
    assert towns["population"].tolist() == [12000.0, 8000.0]


def test_undetectable_encoding_names_the_key(tmp_path, townships_gdf):
    path = tmp_path / "towns.shp"
    townships_gdf.rename(columns={"名称": "name", "代码": "code", "人口": "pop"}).assign(
        name=["ÿÿ town", "þÿ town"]
    ).to_file(path, engine="pyogrio", encoding="latin1")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    with pytest.raises(
        EncodingError,
        match=r"^towns\.shp: the attribute text is neither UTF-8 nor GBK/GB18030 and there is "
        r"no \.cpg file .* set boundaries\.encoding = 'gbk'",
    ):
        boundaries.load(path)
    assert boundaries.load(path, encoding="latin1")["name"].tolist() == ["ÿÿ town", "þÿ town"]


def test_decode_cut_drops_only_a_cut_last_character():
    cut = "乡镇名称".encode()[:10]  # a 10-byte field name: 乡镇名 and one byte of 称
    assert shapefile.decode_cut(cut, "utf-8") == "乡镇名"
    assert shapefile.decode_cut("乡镇名".encode(), "utf-8") == "乡镇名"
    with pytest.raises(UnicodeDecodeError):
        shapefile.decode_cut(b"\xff" + "乡镇".encode(), "utf-8")  # bad at the start: not a cut


@pytest.mark.parametrize(("written", "codec"), [("936", "gbk"), ("UTF-8", "utf-8"), ("x", None)])
def test_cpg_names_the_codec(tmp_path, written, codec):
    path = tmp_path / "towns.shp"
    assert shapefile.cpg_encoding(path) is None  # no .cpg at all
    path.with_suffix(".cpg").write_text(written, encoding="ascii")
    assert shapefile.cpg_encoding(path) == codec
