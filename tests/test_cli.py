"""The geohealth command: summaries on stdout, one-line errors, files written."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from geohealth.cli import main

from .conftest import SAMPLE_CONFIG, SAMPLE_DIR


def test_check_prints_summary():
    result = CliRunner().invoke(main, ["-q", "check", str(SAMPLE_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "Townships   20" in result.stdout
    assert "永安镇" in result.stdout


def test_check_writes_files(tmp_path):
    result = CliRunner().invoke(main, ["-q", "check", str(SAMPLE_CONFIG), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "check.txt").read_text(encoding="utf-8").startswith("Input check")
    csv = (tmp_path / "check_townships.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese text correctly
    assert "城东街道" in csv.decode("utf-8-sig")


def test_errors_are_one_line_without_traceback(tmp_path):
    bad = tmp_path / "run.toml"
    bad.write_text(
        '[boundaries]\npath = "x.gpkg"\n[facilities]\npath = "f.csv"\n'
        'coordinate_system = "gcj02"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "x.gpkg: not found — check boundaries.path" in errors[0]
    assert "Traceback" not in result.output


def test_debug_shows_the_exception(tmp_path):
    result = CliRunner().invoke(main, ["--debug", "check", str(tmp_path / "none.toml")])
    assert result.exit_code != 0
    assert result.exception is not None


def test_demo_runs_on_the_sample(demo_run):
    out, result = demo_run
    assert (out.parent / "check" / "check.txt").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["check", "coverage"]
    for name in ("townships.csv", "facilities.csv", "coverage.xlsx", "coverage.gpkg"):
        assert (out / name).is_file()
    # it says where the map and the tables are
    assert f"map:    {out / 'coverage_map.html'}" in result.stdout
    assert str(out / "townships.csv") in result.stdout
    assert not list(out.glob(".*"))  # no temporary file left behind
    assert json.loads((out / "run.json").read_text())["command"] == "coverage"


def test_sample_command_and_demo_without_bundled_data(tmp_path, monkeypatch):
    result = CliRunner().invoke(main, ["-q", "sample", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "roads" / "sample_county.osm.pbf").is_file()
    # an installed copy without data/ generates the sample on the fly
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("geohealth.cli._find_sample_config", lambda: None)
    result = CliRunner().invoke(
        main, ["-q", "demo", "--out", str(tmp_path / "out"), "--mode", "drive"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "sample-data" / "sample_county.toml").is_file()
    assert SAMPLE_DIR.is_dir()
    shutil.rmtree(tmp_path / "out")
