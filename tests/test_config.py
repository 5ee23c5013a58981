"""Run configuration: parsing, defaults, relative paths and errors that name the fix."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from geohealth import config
from geohealth.errors import ConfigError

from .conftest import ROOT, SAMPLE_CONFIG

MINIMAL = """
[boundaries]
path = "b/townships.gpkg"
[facilities]
path = "f/facilities.csv"
coordinate_system = "gcj02"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_defaults_and_relative_paths(tmp_path):
    settings = config.load(write(tmp_path, MINIMAL))
    assert settings.boundaries.path == tmp_path / "b" / "townships.gpkg"
    assert settings.facilities.coordinate_system == "gcj02"
    assert settings.analysis.modes == ("walk", "two_wheeler", "drive")
    assert 15.0 in settings.analysis.thresholds_min
    assert settings.population.raster is None
    assert settings.output_dir == Path("maps") / "study-area"
    assert settings.region.title == "study area"  # the name when no title is given


def test_region_title_is_shown_and_the_name_names_the_folder(tmp_path):
    text = '[region]\nname = "shulan"\ntitle = "舒兰市"\n' + MINIMAL
    settings = config.load(write(tmp_path, text))
    assert settings.region.title == "舒兰市"
    assert settings.output_dir == Path("maps") / "shulan"


def test_sample_config_loads():
    settings = config.load(SAMPLE_CONFIG)
    assert settings.population.raster.is_file()
    assert settings.network.osm.is_file()
    assert settings.output_dir.resolve() == (ROOT / "maps" / "sample-county").resolve()
    assert settings.region.title == "样例县"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL + 'lon_col = "x"\n',
            "unknown key 'facilities.lon_col' — did you mean 'facilities.lon_column'?",
        ),
        (MINIMAL + "[anaylsis]\nmodes = []\n", "did you mean 'analysis'?"),
        (MINIMAL + "[analysis]\nthreshold_min = [15]\n", "did you mean 'analysis.thresholds_min'"),
        (MINIMAL + "[analysis]\nzzz = 1\n", "valid keys are: modes, thresholds_min"),
    ],
)
def test_unknown_keys_name_the_nearest_valid_key(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        config.load(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[facilities]\npath = "f.csv"\n', "missing section [boundaries]"),
        ("[boundaries]\n[facilities]\npath = 'f.csv'\n", "missing required key 'boundaries.path'"),
        (MINIMAL.replace('"gcj02"', '"mars"'), "facilities.coordinate_system = 'mars' is not one"),
        (MINIMAL + "[analysis]\nthresholds_min = 15\n", "must be a list"),
        (MINIMAL + "[analysis]\nthresholds_min = [-5]\n", "negative"),
        (MINIMAL + "[analysis]\nmodes = ['drving']\n", "did you mean 'drive'?"),
        (MINIMAL + "[population]\nsource = 'raster'\n", "population.raster is not set"),
        (MINIMAL + "[population]\nband = 'one'\n", "population.band must be a whole number"),
        (MINIMAL + "[facilities.levels]\n'卫生室' = 3\n", "must be text"),
        (MINIMAL + "region = 'x'\n", None),  # a key under [facilities]: unknown key
        ("boundaries = 3\n", "'boundaries' must be a section"),
        ("[boundaries\n", "not valid TOML"),
        (MINIMAL + "[access]\nstep_weights = [1.0, 0.5]\n", "3 step limits but 2 step weights"),
        (MINIMAL + "[access]\nstep_limits_min = [20, 10, 30]\n", "must rise strictly"),
        (MINIMAL + "[access]\ndecay = 'linear'\n", "access.decay = 'linear' is not one of"),
        (MINIMAL + "[access]\ncatchment_min = 0\n", "catchment_min must be > 0"),
        (MINIMAL + "[analysis]\ntarget_min = -15\n", "analysis.target_min: -15 is negative"),
        (MINIMAL + "[output]\ntable_language = 'fr'\n", "is not one of: zh, en"),
    ],
)
def test_invalid_configs_say_what_to_fix(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, text))
    message = str(info.value)
    assert message.startswith("run.toml: ")
    assert "\n" not in message
    if expected:
        assert expected in message


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match=r"configuration file not found"):
        config.load(tmp_path / "nope.toml")


def test_config_error_is_also_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"unknown key"):
        config.load(write(tmp_path, MINIMAL + "bogus = 1\n"))


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has no ```toml example"
    return max(blocks, key=len)


def test_readme_documents_every_key_with_a_valid_example(tmp_path):
    example = _readme_example()
    documented = set(re.findall(r"^\s*#?\s*([a-z_]+)\s*=", example, flags=re.M))
    sections = set(re.findall(r"^\[([a-z_.]+)\]", example, flags=re.M))
    for name, cls in config._SECTIONS.items():
        assert name in sections, f"README example lacks [{name}]"
        for f in dataclasses.fields(cls):
            if f.name == "levels":  # a sub-table
                assert f"{name}.levels" in sections
                continue
            assert f.name in documented, f"README example does not document {name}.{f.name}"
    # and the example itself is a valid configuration
    settings = config.load(write(tmp_path, example))
    assert settings.facilities.coordinate_system in config.COORDINATE_SYSTEMS


def test_slug_keeps_chinese():
    assert config.slug("样例县 Sample County") == "样例县-sample-county"
    assert config.slug("  ") == "region"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("thresholds_min = [15, 1000000]", "at most 240"),
        ("thresholds_min = [15, -5]", "minutes ≥ 0"),
        ("target_min = 900", "not seconds"),
    ],
)
def test_thresholds_are_bounded(tmp_path, line, says):
    path = tmp_path / "run.toml"
    path.write_text(
        f'[boundaries]\npath = "t.gpkg"\n[facilities]\npath = "f.csv"\n[analysis]\n{line}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=says):
        config.load(path)


@pytest.mark.parametrize("written", ['"D:\\data\\t.gpkg"', '"data\\towns.gpkg"'])
def test_windows_paths_get_advice(tmp_path, written):
    path = tmp_path / "run.toml"
    path.write_text(f"[boundaries]\npath = {written}\n[facilities]\npath = 'f.csv'\n")
    with pytest.raises(ConfigError, match="forward slashes"):
        config.load(path)
