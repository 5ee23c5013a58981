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


# --- the command line in Chinese ----------------------------------------------------------

ZH = {"GEOHEALTH_LANG": "zh"}


def _sample_config(folder, extra: str = "", **replace: str):
    """A copy of the sample county's configuration in ``folder``, reading the bundled data."""
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    for sub in ("boundaries", "facilities", "population", "roads"):
        text = text.replace(f'"{sub}/', f'"{(SAMPLE_DIR / sub).as_posix()}/')
    path = folder / "run.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _broken_name_column(folder, extra: str = ""):
    """The sample county with facilities.name_column naming a column the file lacks."""
    return _sample_config(
        folder,
        extra,
        **{'encoding = "auto"': 'encoding = "auto"\nname_column = "单位名称"'},
    )


def test_an_error_in_chinese_keeps_the_file_and_column_names(tmp_path):
    config = _broken_name_column(tmp_path)
    english = CliRunner().invoke(main, ["-q", "check", str(config)])
    chinese = CliRunner(env=ZH).invoke(main, ["-q", "check", str(config)])
    assert english.exit_code == chinese.exit_code == 2
    [en_line] = [line for line in english.stderr.splitlines() if line.startswith("error:")]
    assert en_line.startswith("error: sample_facilities.csv: column '单位名称' not found;")
    [zh_line] = chinese.stderr.splitlines()
    assert zh_line.startswith("错误：sample_facilities.csv：找不到列“单位名称”；现有的列：")
    assert zh_line.endswith("— 请把 facilities.name_column 设为其中之一")
    # the listed columns are the file's own, as in English
    present = en_line.split("columns are: ")[1].split(" — ")[0]
    assert f"现有的列：{present} — " in zh_line


def test_the_configuration_chooses_chinese_and_lang_overrides_it(tmp_path):
    config = _broken_name_column(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        'dir = "../maps/sample-county"', 'dir = "../maps/sample-county"\nlanguage = "zh"'
    )
    config.write_text(text, encoding="utf-8")
    chinese = CliRunner().invoke(main, ["-q", "check", str(config)])
    assert chinese.exit_code == 2
    assert chinese.stderr.startswith("错误：sample_facilities.csv：找不到列“单位名称”")
    english = CliRunner(env=ZH).invoke(main, ["--lang", "en", "-q", "check", str(config)])
    assert english.exit_code == 2
    assert english.stderr.startswith("error: sample_facilities.csv: column '单位名称' not found")


def test_a_configuration_that_fails_to_load_still_speaks_its_language(tmp_path):
    bad = tmp_path / "run.toml"
    bad.write_text(
        '[boundaries]\npath = "x.gpkg"\n[facilities]\npath = "f.csv"\n'
        'coordinate_system = "gcj02"\n[output]\nlanguage = "zh"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 2
    [line] = [line for line in result.stderr.splitlines() if line.startswith("错误：")]
    assert "x.gpkg：找不到文件 — 请检查配置文件中的 boundaries.path" in line


def test_chinese_help_for_the_group_and_a_command():
    listing = CliRunner(env=ZH).invoke(main, ["--help"])
    assert listing.exit_code == 0, listing.output
    text = listing.stdout
    assert text.startswith("用法:")
    for words in ("县域医疗卫生服务可及性", "选项:", "命令:", "显示本帮助并退出。", "--lang"):
        assert words in text
    assert "check       读取并检查 CONFIG 中的每个输入图层，打印摘要" in text
    assert "Usage" not in text
    assert "Options" not in text
    helped = CliRunner().invoke(main, ["--lang", "zh", "coverage", "--help"])
    assert helped.exit_code == 0, helped.output
    assert "按乡镇和医疗机构统计覆盖情况" in helped.stdout
    assert "输出文件夹（默认：配置文件中的 output.dir）。" in helped.stdout
    assert "Output folder" not in helped.stdout


def test_english_help_is_unchanged_after_chinese():
    CliRunner(env=ZH).invoke(main, ["site", "--help"])
    helped = CliRunner().invoke(main, ["site", "--help"])
    assert helped.stdout.startswith("Usage: main site [OPTIONS] CONFIG")
    assert "Choose sites (location–allocation" in helped.stdout
    assert "Show this message and exit." in helped.stdout
    assert "[default: 15.0]" in helped.stdout
    assert not any("\u4e00" <= c <= "\u9fff" for c in CliRunner().invoke(main, ["--help"]).stdout)


def test_every_command_and_option_has_chinese_help():
    import click

    from geohealth.cli.localised import chinese_help

    ctx = click.Context(main)
    missing = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        for target in (None, *command.get_params(ctx)):
            if isinstance(target, click.Argument):
                continue
            if chinese_help(command, target) is None:
                missing.append(f"{name} {target.opts if target else ''}")
    for option in main.get_params(ctx):
        if chinese_help(main, option) is None:
            missing.append(f"geohealth {option.opts}")
    if chinese_help(main) is None:
        missing.append("geohealth")
    assert not missing, "no entry in geohealth.cli.help_zh.HELP for: " + ", ".join(missing)


def test_click_usage_errors_in_chinese():
    result = CliRunner(env=ZH).invoke(main, ["chek"])
    assert result.exit_code == 2
    assert "错误：没有命令 'chek'。" in result.stderr
    assert "运行 'main --help' 查看帮助。" in result.stderr


def test_warnings_in_chinese_keep_their_names(capsys):
    import warnings

    from geohealth import language
    from geohealth.cli import _configure_logging
    from geohealth.errors import DroppedRowsWarning

    with warnings.catch_warnings(), language.use("zh"):
        _configure_logging(0, 0)
        warnings.warn(
            "设施.csv: dropped 2 facilities far outside the townships: 甲卫生院, 乙卫生室",
            DroppedRowsWarning,
            stacklevel=1,
        )
    assert capsys.readouterr().err.splitlines() == [
        "警告：设施.csv：已去掉远在乡镇范围外的 2 个医疗机构：甲卫生院, 乙卫生室"
    ]


def test_coverage_summary_in_chinese(tmp_path):
    config = _sample_config(tmp_path)
    out = tmp_path / "cov"
    result = CliRunner(env=ZH).invoke(
        main, ["-q", "coverage", str(config), "--mode", "drive", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("驾车 15 分钟内可到达基层医疗机构：")
    assert lines[0].endswith("%）")
    assert "人，共 " in lines[0]
    assert "（覆盖率 " in lines[0]
    assert f"地图：{out / 'coverage_map.html'}" in lines
    assert f"表格：{out / 'townships.csv'}" in lines
