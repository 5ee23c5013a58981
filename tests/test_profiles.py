"""Travel profiles: the shipped defaults and invalid user files."""

from __future__ import annotations

import dataclasses
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


# --- access rules -----------------------------------------------------------------------------


def test_access_barred_defaults_bar_farm_tracks_for_vehicles_only():
    table = profiles.load()
    for mode, profile in table.items():
        # the shipped file and the built-in lists (for older copies) agree
        assert profile.access_barred == profiles.DEFAULT_ACCESS_BARRED[mode]
        assert {"no", "private"} <= set(profile.access_barred)
        # a patient going to a clinic is destination traffic and the clinic's customer
        open_values = {"yes", "permissive", "designated", "destination", "customers"}
        assert not open_values & set(profile.access_barred), mode
        assert not {"use_sidepath", "discouraged"} & set(profile.access_barred), mode
    for mode in ("drive", "two_wheeler"):
        assert {"agricultural", "forestry", "delivery", "emergency"} <= set(
            table[mode].access_barred
        )
    assert not {"agricultural", "forestry"} & set(table["walk"].access_barred)


def test_profiles_file_without_access_barred_still_loads(tmp_path):
    # a user's copy written before the key existed
    old = tmp_path / "old_profiles.toml"
    text, count = re.subn(r"^access_barred = \[.*?\]\n", "", DEFAULTS, flags=re.M | re.S)
    assert count == 3
    old.write_text(text, encoding="utf-8")
    table = profiles.load(old)
    shipped = profiles.load()
    for mode in profiles.MODES:
        assert table[mode].access_barred == profiles.DEFAULT_ACCESS_BARRED[mode]
        assert profiles.digest(table[mode]) == profiles.digest(shipped[mode])


def _drive_barred(tmp_path, values: str):
    """The defaults with [drive] access_barred set to ``values`` (TOML text)."""
    head, drive = DEFAULTS.split("[drive]\n")
    drive, count = re.subn(
        r"^access_barred = \[.*?\]", f"access_barred = {values}", drive, flags=re.M | re.S
    )
    assert count == 1
    path = tmp_path / "profiles.toml"
    path.write_text(f"{head}[drive]\n{drive}", encoding="utf-8")
    return path


def test_digest_follows_the_access_rule(tmp_path):
    shipped = profiles.load()["drive"]
    edited = profiles.load(_drive_barred(tmp_path, '["no"]'))
    assert edited["drive"].access_barred == ("no",)
    assert edited["two_wheeler"] == profiles.load()["two_wheeler"]
    assert profiles.digest(edited["drive"]) != profiles.digest(shipped)
    reordered = tuple(reversed(shipped.access_barred))
    same = dataclasses.replace(shipped, access_barred=reordered)
    assert profiles.digest(same) == profiles.digest(shipped)  # a set: order means nothing
    keys = dataclasses.replace(shipped, access_keys=("access",))
    assert profiles.digest(keys) != profiles.digest(shipped)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            r'^access_barred = \["no", "private", "permit", "military"\]',
            'access_barred = "no"',
            """walk.access_barred = 'no' — use a list of words, e.g. ["no", "private"]""",
        ),
        (
            r'^access_barred = \["no", "private", "permit", "military"\]',
            'access_barred = ["no", "privat"]',
            "walk.access_barred lists 'privat' — did you mean 'private'?",
        ),
        (
            r'^access_barred = \["no", "private", "permit", "military"\]',
            'access_barred = ["no", "agricultural;forestry"]',
            "walk.access_barred lists 'agricultural;forestry' — list each value on its own "
            '("agricultural", "forestry")',
        ),
        (
            r"^access_barred = ",
            "access_bared = ",
            "unknown key 'walk.access_bared' — did you mean 'walk.access_barred'?",
        ),
        (
            r'^access_keys = \["foot", "access"\]',
            'access_keys = ["foot", "hgv"]',
            "walk.access_keys lists 'hgv', a tag geohealth does not read — use access, foot",
        ),
        (
            r'^access_keys = \["foot", "access"\]',
            'access_keys = ["foot", "acess"]',
            "walk.access_keys lists 'acess', a tag geohealth does not read — did you mean "
            "'access'?",
        ),
        (
            r'^ferry_keys = \["foot"\]',
            'ferry_keys = "foot"',
            "walk.ferry_keys = 'foot' — use a list of words",
        ),
        (
            r"^tertiary = 40.0",
            "tertairy = 40.0",
            "drive.speeds_kmh.tertairy is not an OSM highway class — did you mean 'tertiary'?",
        ),
    ],
)
def test_invalid_access_rules(tmp_path, old, new, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        profiles.load(_edited(tmp_path, old, new))


def test_profiles_file_not_utf8_or_not_tables(tmp_path):
    path = tmp_path / "gbk.toml"
    path.write_bytes("# 出行速度\n[walk]\n".encode("gbk"))
    with pytest.raises(ConfigError, match=re.escape("gbk.toml: not UTF-8 text — save it as")):
        profiles.load(path)
    path = tmp_path / "flat.toml"
    path.write_text("walk = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("flat.toml: [walk] must be a table")):
        profiles.load(path)


# --- modes a run needs ------------------------------------------------------------------------


def test_load_checks_the_modes_a_run_needs(tmp_path):
    assert set(profiles.load(modes=profiles.MODES)) == set(profiles.MODES)
    path = tmp_path / "my_profiles.toml"
    start = DEFAULTS.index("[two_wheeler]")
    end = DEFAULTS.index("[drive]")
    path.write_text(DEFAULTS[:start] + DEFAULTS[end:], encoding="utf-8")
    assert set(profiles.load(path)) == {"walk", "drive"}  # fine when nothing is asked
    assert set(profiles.load(path, modes=("walk", "drive"))) == {"walk", "drive"}
    expected = (
        "my_profiles.toml: no [two_wheeler] section, but analysis.modes lists it — add it "
        "(copy from the default profiles file) or drop the mode"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}$"):
        profiles.load(path, modes=("walk", "two_wheeler", "drive"))


def test_require(tmp_path):
    table = profiles.load()
    profiles.require(table, ("walk", "drive"))
    with pytest.raises(ConfigError, match=r"^analysis\.modes: unknown mode 'bike' — use walk"):
        profiles.require(table, ("bike",))
    with pytest.raises(ConfigError, match="did you mean 'drive'"):
        profiles.require(table, ("driv",))
    partial = {"walk": table["walk"]}
    with pytest.raises(ConfigError, match=r"^p\.toml: no \[drive\] section, but run\.modes lists"):
        profiles.require(
            partial, ("walk", "drive"), source=tmp_path / "p.toml", listed_by="run.modes"
        )
