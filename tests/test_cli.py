"""The geohealth command: summaries on stdout, one-line errors, files written."""

from __future__ import annotations

import json

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
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "check",
        "coverage",
        "report",
        "sample-data",
        "site-ambulance",
    ]
    # the whole product: a plan (the ambulance stations the county needs) and the report
    assert "ambulance stations:" in result.stdout
    plan = out.parent / "site-ambulance"
    assert json.loads((plan / "plan.json").read_text(encoding="utf-8"))["kind"] == "ambulance"
    report = out.parent / "report"
    for name in ("summary.pdf", "plans.xlsx", "sites_site-ambulance.csv", "web/index.html"):
        assert (report / name).is_file()
    for name in ("townships.csv", "facilities.csv", "coverage.xlsx", "coverage.gpkg"):
        assert (out / name).is_file()
    # it says where the map and the tables are
    assert f"map:    {out / 'coverage_map.html'}" in result.stdout
    assert str(out / "townships.csv") in result.stdout
    assert not list(out.glob(".*"))  # no temporary file left behind
    assert json.loads((out / "run.json").read_text())["command"] == "coverage"


def test_sample_command_and_the_demo_without_bundled_data(tmp_path, demo_run):
    result = CliRunner().invoke(main, ["-q", "sample", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "roads" / "sample_county.osm.pbf").is_file()
    # an installed copy without data/ generates the sample on the fly (the session's demo
    # runs that way) and leaves the bundled one alone
    out, _ = demo_run
    assert (out.parent / "sample-data" / "sample_county.toml").is_file()
    assert SAMPLE_DIR.is_dir()


def test_demo_finds_the_bundled_sample_from_the_project_folder(monkeypatch):
    from geohealth.cli import _find_sample_config

    monkeypatch.chdir(SAMPLE_DIR.parent)
    assert _find_sample_config().resolve() == (SAMPLE_DIR / "sample_county.toml").resolve()


def test_our_warnings_show_every_time_as_one_line(capsys):
    import warnings

    from geohealth.cli import _configure_logging
    from geohealth.errors import OutsideStudyAreaWarning

    with warnings.catch_warnings():
        _configure_logging(0, 0)
        for _ in range(2):
            warnings.warn(
                "f.csv: 1 point outside — check it", OutsideStudyAreaWarning, stacklevel=1
            )
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["warning: f.csv: 1 point outside — check it"] * 2


def test_a_mode_flag_mistake_names_the_flag(tmp_path):
    result = CliRunner().invoke(
        main, ["-q", "coverage", str(SAMPLE_CONFIG), "--mode", "car", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "--mode: unknown mode 'car'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_planning_commands_load_only_when_run():
    """``geohealth coverage`` starts without matplotlib, the solver or networkx loaded."""
    import subprocess
    import sys

    code = (
        "import sys, geohealth.cli; "
        "print(sorted(m for m in ('matplotlib', 'highspy', 'networkx', 'geohealth.cli.report') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert loaded.strip() == "[]"
    listing = CliRunner().invoke(main, ["--help"])
    assert all(name in listing.stdout for name in ("report", "site", "whatif", "coverage"))
    helped = CliRunner().invoke(main, ["site", "--help"])
    assert helped.exit_code == 0, helped.output
    assert "CONFIG" in helped.stdout
