"""Travel profiles: how fast each travel mode moves on each OSM highway class.

Profiles live in a TOML file users can copy and edit; the defaults ship with geohealth
(``profiles.toml`` beside this module, where the reasoning behind every speed is written).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from geohealth.errors import ConfigError
from geohealth.network.osm import ACCESS_KEYS

log = logging.getLogger(__name__)

DEFAULT_PROFILES = Path(__file__).with_name("profiles.toml")
MODES = ("walk", "two_wheeler", "drive")
MAXSPEED_RULES = ("average", "cap", "ignore")
TERRAIN_RULES = ("none", "tobler", "uphill")

_VEHICLES_BARRED = (
    "no",
    "private",
    "permit",
    "military",
    "agricultural",
    "forestry",
    "delivery",
    "emergency",
    "psv",
    "bus",
)
#: Access values that bar a way, per mode, for a profiles file without ``access_barred``
#: (written before the key existed). The same lists as the shipped ``profiles.toml``, whose
#: comments give the reasons.
DEFAULT_ACCESS_BARRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "walk": ("no", "private", "permit", "military"),
        "two_wheeler": _VEHICLES_BARRED,
        "drive": _VEHICLES_BARRED,
    }
)
#: Values of OSM access tags (https://wiki.openstreetmap.org/wiki/Key:access), for catching
#: typos in ``access_barred``; other values are accepted as written.
ACCESS_VALUES = (
    "yes",
    "no",
    "private",
    "permissive",
    "designated",
    "official",
    "destination",
    "customers",
    "delivery",
    "agricultural",
    "forestry",
    "emergency",
    "permit",
    "military",
    "psv",
    "bus",
    "use_sidepath",
    "discouraged",
    "dismount",
    "unknown",
)
#: OSM highway classes of ways (https://wiki.openstreetmap.org/wiki/Key:highway), for
#: catching typos in ``speeds_kmh``; other classes are accepted as written.
HIGHWAY_CLASSES = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
    "living_street",
    "service",
    "pedestrian",
    "track",
    "bus_guideway",
    "busway",
    "escape",
    "raceway",
    "road",
    "footway",
    "bridleway",
    "steps",
    "corridor",
    "path",
    "via_ferrata",
    "cycleway",
    "construction",
    "proposed",
    "platform",
)


@dataclass(frozen=True)
class ModeProfile:
    """How one travel mode uses the road network.

    Attributes
    ----------
    mode
        ``"walk"``, ``"two_wheeler"`` or ``"drive"``.
    speeds_kmh
        Average speed per highway class (km/h); classes not listed are not usable.
    respect_oneway
        Whether one-way streets are one-way for this mode.
    maxspeed
        How ``maxspeed`` tags are used: ``"average"``, ``"cap"`` or ``"ignore"``.
    maxspeed_factor
        Posted limit → average speed, for ``maxspeed = "average"``.
    access_keys
        Access tags checked, most specific first; the first one a way has decides.
    access_barred
        Values of that tag which bar the way for this mode (lower case). A tag with several
        values (``agricultural;forestry``) bars the way when all of them are barred.
    ferry_kmh
        Ferry speed when the ferry way has no ``duration`` tag (km/h).
    ferry_wait_min
        Waiting time added to every ferry crossing (minutes).
    ferry_keys
        Tags whose value ``yes`` lets this mode board a ferry.
    ferry_default
        Whether this mode may board a ferry whose tags say nothing about it.
    offroad_kmh
        Walking speed between a place and the roads it is linked to (km/h).
    terrain
        How grade changes speed when a DEM is given: ``"tobler"``, ``"uphill"`` or
        ``"none"`` (see :mod:`geohealth.network.terrain`).
    uphill_slowdown
        ``k`` of the ``"uphill"`` rule: speed × 1 / (1 + k·grade) uphill.
    """

    mode: str
    speeds_kmh: Mapping[str, float]
    respect_oneway: bool
    maxspeed: str
    maxspeed_factor: float
    access_keys: tuple[str, ...]
    access_barred: tuple[str, ...]
    ferry_kmh: float
    ferry_wait_min: float
    ferry_keys: tuple[str, ...]
    ferry_default: bool
    offroad_kmh: float
    terrain: str = "none"
    uphill_slowdown: float = 0.0


_OPTIONAL = {"terrain": str, "uphill_slowdown": float, "access_barred": list}
_FIELDS = {
    "speeds_kmh": dict,
    "respect_oneway": bool,
    "maxspeed": str,
    "maxspeed_factor": float,
    "access_keys": list,
    "ferry_kmh": float,
    "ferry_wait_min": float,
    "ferry_keys": list,
    "ferry_default": bool,
    "offroad_kmh": float,
}


def _positive(value: object, where: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        msg = f"{source}: {where} = {value!r} — speeds must be numbers > 0 km/h"
        raise ConfigError(msg)
    return float(value)


def _typo(value: str, known: Iterable[str]) -> str | None:
    """Return the known name ``value`` is probably a misspelling of, or None."""
    if value in known:
        return None
    near = difflib.get_close_matches(value, list(known), n=1, cutoff=0.8)
    return near[0] if near else None


def _strings(value: object, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        msg = f'{source}: {where} = {value!r} — use a list of words, e.g. ["no", "private"]'
        raise ConfigError(msg)
    return tuple(v.strip() for v in value)


def _tag_keys(value: object, where: str, source: str) -> tuple[str, ...]:
    """Tag names checked by a profile; each must be one the extract reader keeps."""
    keys = _strings(value, where, source)
    for key in keys:
        if key not in ACCESS_KEYS:
            near = difflib.get_close_matches(key, ACCESS_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'?" if near else f"use {', '.join(ACCESS_KEYS)}"
            msg = f"{source}: {where} lists '{key}', a tag geohealth does not read — {hint}"
            raise ConfigError(msg)
    return keys


def _access_barred(table: Mapping[str, object], name: str, source: str) -> tuple[str, ...]:
    if "access_barred" not in table:
        log.debug("%s: [%s] has no access_barred; using the built-in list", source, name)
        return DEFAULT_ACCESS_BARRED[name]
    where = f"{name}.access_barred"
    values = tuple(v.lower() for v in _strings(table["access_barred"], where, source))
    for value in values:
        if ";" in value:
            each = ", ".join(f'"{v.strip()}"' for v in value.split(";") if v.strip())
            msg = (
                f"{source}: {where} lists '{value}' — list each value on its own ({each}); a "
                "tag with several values is barred when all of them are"
            )
            raise ConfigError(msg)
        near = _typo(value, ACCESS_VALUES)
        if near:
            msg = (
                f"{source}: {where} lists '{value}' — did you mean '{near}'? "
                "(OSM access values: https://wiki.openstreetmap.org/wiki/Key:access)"
            )
            raise ConfigError(msg)
    return values


def _speeds(table: Mapping[str, object], name: str, source: str) -> dict[str, float]:
    speeds_table = table["speeds_kmh"]
    if not isinstance(speeds_table, dict) or not speeds_table:
        msg = f"{source}: [{name}.speeds_kmh] must list at least one highway class"
        raise ConfigError(msg)
    for highway in speeds_table:
        near = _typo(str(highway), HIGHWAY_CLASSES)
        if near:
            msg = (
                f"{source}: {name}.speeds_kmh.{highway} is not an OSM highway class — "
                f"did you mean '{near}'?"
            )
            raise ConfigError(msg)
    return {str(k): _positive(v, f"{name}.speeds_kmh.{k}", source) for k, v in speeds_table.items()}


def _mode(name: str, table: object, source: str) -> ModeProfile:
    if not isinstance(table, dict):
        msg = f"{source}: [{name}] must be a table of settings — copy it from the default file"
        raise ConfigError(msg)
    known = [*_FIELDS, *_OPTIONAL]
    for key in table:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            hint = f"did you mean '{name}.{near[0]}'?" if near else f"use {', '.join(known)}"
            msg = f"{source}: unknown key '{name}.{key}' — {hint}"
            raise ConfigError(msg)
    missing = [k for k in _FIELDS if k not in table]
    if missing:
        msg = (
            f"{source}: [{name}] lacks {', '.join(missing)} — copy them from "
            "the default profiles file"
        )
        raise ConfigError(msg)
    speeds = _speeds(table, name, source)
    rule = str(table["maxspeed"])
    if rule not in MAXSPEED_RULES:
        msg = f"{source}: {name}.maxspeed = '{rule}' — use {', '.join(MAXSPEED_RULES)}"
        raise ConfigError(msg)
    factor = table["maxspeed_factor"]
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 < factor <= 1.5:
        msg = f"{source}: {name}.maxspeed_factor = {factor!r} — use a number in (0, 1.5]"
        raise ConfigError(msg)
    wait = table["ferry_wait_min"]
    if isinstance(wait, bool) or not isinstance(wait, int | float) or wait < 0:
        msg = f"{source}: {name}.ferry_wait_min must be ≥ 0 minutes"
        raise ConfigError(msg)
    for flag in ("respect_oneway", "ferry_default"):
        if not isinstance(table[flag], bool):
            msg = f"{source}: {name}.{flag} must be true or false"
            raise ConfigError(msg)
    terrain = str(table.get("terrain", "none"))
    if terrain not in TERRAIN_RULES:
        msg = f"{source}: {name}.terrain = '{terrain}' — use {', '.join(TERRAIN_RULES)}"
        raise ConfigError(msg)
    slowdown = table.get("uphill_slowdown", 0.0)
    if isinstance(slowdown, bool) or not isinstance(slowdown, int | float) or slowdown < 0:
        msg = f"{source}: {name}.uphill_slowdown = {slowdown!r} — use a number ≥ 0"
        raise ConfigError(msg)
    return ModeProfile(
        mode=name,
        speeds_kmh=MappingProxyType(speeds),
        respect_oneway=bool(table["respect_oneway"]),
        maxspeed=rule,
        maxspeed_factor=float(factor),
        access_keys=_tag_keys(table["access_keys"], f"{name}.access_keys", source),
        access_barred=_access_barred(table, name, source),
        ferry_kmh=_positive(table["ferry_kmh"], f"{name}.ferry_kmh", source),
        ferry_wait_min=float(wait),
        ferry_keys=_tag_keys(table["ferry_keys"], f"{name}.ferry_keys", source),
        ferry_default=bool(table["ferry_default"]),
        offroad_kmh=_positive(table["offroad_kmh"], f"{name}.offroad_kmh", source),
        terrain=terrain,
        uphill_slowdown=float(slowdown),
    )


def load(
    path: str | Path | None = None,
    *,
    modes: Iterable[str] | None = None,
    listed_by: str = "analysis.modes",
) -> dict[str, ModeProfile]:
    """Read travel profiles from a TOML file.

    Checks everything the network stages read from it (speeds, maxspeed rule, access and
    ferry tags, terrain), so ``geohealth check`` can validate a profiles file without
    building a network.

    Parameters
    ----------
    path
        A profiles file; the defaults shipped with geohealth when None.
    modes
        Modes the run needs (``analysis.modes``); each must have a section in the file.
    listed_by
        What asked for ``modes``, for the message (``"analysis.modes"``, ``"--mode"``).
        Not checked when None.

    Returns
    -------
    dict
        Mode name → :class:`ModeProfile`, for the modes the file defines.

    Raises
    ------
    ConfigError
        If the file is missing or invalid (e.g. a speed that is zero or negative, an unknown
        key), or lacks a mode listed in ``modes``.
    """
    file = Path(path) if path is not None else DEFAULT_PROFILES
    if not file.is_file():
        msg = f"{file}: profiles file not found — check network.profiles"
        raise ConfigError(msg)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        msg = f"{file.name}: not UTF-8 text — save it as UTF-8 (TOML files must be)"
        raise ConfigError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{file.name}: not valid TOML ({exc})"
        raise ConfigError(msg) from None
    for name in data:
        if name not in MODES:
            near = difflib.get_close_matches(name, MODES, n=1, cutoff=0.5)
            hint = f"did you mean [{near[0]}]?" if near else f"use {', '.join(MODES)}"
            msg = f"{file.name}: unknown mode [{name}] — {hint}"
            raise ConfigError(msg)
    table = {name: _mode(name, data[name], file.name) for name in MODES if name in data}
    if modes is not None:
        require(table, modes, source=file.name, listed_by=listed_by)
    return table


def require(
    table: Mapping[str, ModeProfile],
    modes: Iterable[str],
    *,
    source: str | Path = DEFAULT_PROFILES.name,
    listed_by: str = "analysis.modes",
) -> None:
    """Fail unless the profiles define every mode a run needs.

    Parameters
    ----------
    table
        From :func:`load`.
    modes
        Modes needed, e.g. ``settings.analysis.modes``.
    source
        The profiles file (or its name), for the message.
    listed_by
        What asked for the modes, for the message (``"analysis.modes"``).

    Raises
    ------
    ConfigError
        Naming the first mode that is unknown or has no section in the file.
    """
    name = Path(source).name
    for mode in modes:
        if mode not in MODES:
            near = difflib.get_close_matches(mode, MODES, n=1, cutoff=0.5)
            hint = f"did you mean '{near[0]}'?" if near else f"use {', '.join(MODES)}"
            msg = f"{listed_by}: unknown mode '{mode}' — {hint}"
            raise ConfigError(msg)
        if mode not in table:
            msg = (
                f"{name}: no [{mode}] section, but {listed_by} lists it — add it (copy from "
                "the default profiles file) or drop the mode"
            )
            raise ConfigError(msg)


def digest(profile: ModeProfile) -> str:
    """Return a stable hash of a profile (for cache keys and provenance).

    Every field counts, the access rule (``access_keys``, ``access_barred``) included, so a
    graph built under one rule is never taken for one built under another.

    Parameters
    ----------
    profile
        A mode profile.

    Returns
    -------
    str
        16 hex digits.
    """
    fields = {f.name: getattr(profile, f.name) for f in dataclasses.fields(profile)}
    fields["speeds_kmh"] = dict(sorted(profile.speeds_kmh.items()))
    fields["access_barred"] = sorted(set(profile.access_barred))  # a set: order means nothing
    text = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
