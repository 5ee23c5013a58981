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
