"""Outputs are written atomically and never over an input."""

import pytest

from geohealth.errors import InputError
from geohealth.outputs import atomic_path, refuse_inputs, write_text


def test_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out" / "table.csv"
    write_text(target, "old\n")

    def interrupted_write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        interrupted_write()
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]


def test_atomic_path_keeps_suffix(tmp_path):
    with atomic_path(tmp_path / "a.gpkg") as tmp:
        assert tmp.suffix == ".gpkg"
        assert not tmp.exists()
        tmp.write_bytes(b"x")
    assert (tmp_path / "a.gpkg").read_bytes() == b"x"


def test_refuse_inputs(tmp_path):
    source = tmp_path / "facilities.csv"
    source.write_text("x")
    with pytest.raises(InputError, match=r"refusing to overwrite"):
        refuse_inputs([tmp_path / "." / "facilities.csv"], [source, None])
    refuse_inputs([tmp_path / "other.csv"], [source])


def test_run_folder_failure_leaves_nothing_not_even_its_parents(tmp_path):
    from geohealth.outputs import run_folder

    target = tmp_path / "maps" / "county" / "coverage"

    def interrupted_run() -> None:
        with run_folder(target, command="coverage") as stage:
            (stage / "townships.csv").write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        interrupted_run()
    assert list(tmp_path.iterdir()) == []


def test_run_folder_replaces_only_its_own_earlier_run(tmp_path):
    import json

    from geohealth.outputs import RUN_MARKER, run_folder

    target = tmp_path / "coverage"
    with run_folder(target, command="coverage", config_file=tmp_path / "run.toml") as stage:
        (stage / "old.csv").write_text("1")
    assert json.loads((target / RUN_MARKER).read_text())["command"] == "coverage"
    with run_folder(target, command="coverage") as stage:
        (stage / "new.csv").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["new.csv", RUN_MARKER]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage"]  # no staging left
    with (
        pytest.raises(InputError, match="holds the output of 'geohealth coverage'"),
        run_folder(target, command="whatif"),
    ):
        pass

    # an interrupted rerun keeps the previous results
    def interrupted_rerun() -> None:
        with run_folder(target, command="coverage") as stage:
            (stage / "new.csv").write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        interrupted_rerun()
    assert (target / "new.csv").read_text() == "2"


def test_workbook_cells_keep_names_as_text(tmp_path):
    """A facility named like a formula or a web address is written as the text it is."""
    import openpyxl
    import pandas as pd

    from geohealth.outputs import workbook_writer, write_sheet

    names = ["=1+1", "https://example.org/卫生院", "永安镇卫生院"]
    table = pd.DataFrame({"名称": names, "床位数": [1.0, float("nan"), 30.0]})
    path = tmp_path / "t.xlsx"
    with workbook_writer(path) as xlsx:
        write_sheet(xlsx, "表", table)
    sheet = openpyxl.load_workbook(path)["表"]
    cells = [sheet.cell(row=r, column=1) for r in (2, 3, 4)]
    assert [c.value for c in cells] == names
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B4"  # every sheet filterable
    assert sheet.cell(row=3, column=2).value is None  # NaN: an empty cell
