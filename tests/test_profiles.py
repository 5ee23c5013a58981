"""Travel profiles: the shipped defaults and invalid user files."""

from __future__ import annotations

import re

import pytest

from geohealth.errors import ConfigError
from geohealth.network import profiles

DEFAULTS = profiles.DEFAULT_PROFILES.read_text(encoding="utf-8")


def test_defaults_load_and_are_ordered_sensibly():
    table = profiles.load()
    assert set(table) == {"walk", "two_wheeler", "drive"}
    drive, two, walk = table["drive"], table["two_wheeler"], table["walk"]
    assert (
        drive.speeds_kmh["trunk"] > drive.speeds_kmh["tertiary"] > drive.speeds_kmh["residential"]
    )
    assert drive.speeds_kmh["tertiary"] > two.speeds_kmh["tertiary"] > walk.speeds_kmh["tertiary"]
    assert "motorway" not in walk.speeds_kmh
    assert "motorway" not in two.speeds_kmh
    assert not walk.respect_oneway
    assert drive.respect_oneway
    assert profiles.digest(drive) == profiles.digest(profiles.load()["drive"])
    assert profiles.digest(drive) != profiles.digest(walk)


def _edited(tmp_path, old, new):
    path = tmp_path / "profiles.toml"
    text, count = re.subn(old, new, DEFAULTS, count=1, flags=re.M)
    assert count == 1
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (r"^tertiary = 40.0", "tertiary = 0", "drive.speeds_kmh.tertiary = 0 — speeds must be"),
        (r"^tertiary = 40.0", "tertiary = -5", "drive.speeds_kmh.tertiary = -5"),
        (r"^ferry_kmh = 10.0", "ferry_kmh = 0", "walk.ferry_kmh = 0"),
        (r'^maxspeed = "average"', 'maxspeed = "fast"', "drive.maxspeed = 'fast'"),
        (r"^maxspeed_factor = 0.85", "maxspeed_factor = 3", "maxspeed_factor = 3"),
        (
            r"^respect_oneway = true",
            "respect_onway = true",
            "did you mean 'two_wheeler.respect_oneway'",
        ),
        (r"^\[drive\]", "[driving]", "unknown mode [driving] — did you mean [drive]?"),
        (r"^ferry_wait_min = 15.0", "ferry_wait_min = -1", "ferry_wait_min must be ≥ 0"),
    ],
)
def test_invalid_profiles(tmp_path, old, new, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        profiles.load(_edited(tmp_path, old, new))


def test_missing_profiles_file(tmp_path):
    with pytest.raises(ConfigError, match="profiles file not found"):
        profiles.load(tmp_path / "none.toml")
