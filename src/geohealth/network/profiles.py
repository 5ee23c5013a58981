"""Travel profiles: how fast each travel mode moves on each OSM highway class.

Profiles live in a TOML file users can copy and edit; the defaults ship with geohealth
(``profiles.toml`` beside this module, where the reasoning behind every speed is written).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from geohealth.errors import ConfigError

DEFAULT_PROFILES = Path(__file__).with_name("profiles.toml")
MODES = ("walk", "two_wheeler", "drive")
MAXSPEED_RULES = ("average", "cap", "ignore")
TERRAIN_RULES = ("none", "tobler", "uphill")


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
        Access tags checked, most specific first; ``no``/``private`` bars the way.
    ferry_kmh
        Ferry speed when the ferry way has no ``duration`` tag (km/h).
    ferry_wait_min
        Waiting time added to every ferry crossing (minutes).
    ferry_keys
        Tags whose value ``yes`` lets this mode board a ferry.
    ferry_default
        Whether this mode may board a ferry whose tags say nothing about it.
    offroad_kmh
        Walking speed between a point and the nearest road (km/h).
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
    ferry_kmh: float
    ferry_wait_min: float
    ferry_keys: tuple[str, ...]
    ferry_default: bool
    offroad_kmh: float
    terrain: str = "none"
    uphill_slowdown: float = 0.0


_OPTIONAL = {"terrain": str, "uphill_slowdown": float}
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


def _mode(name: str, table: Mapping[str, object], source: str) -> ModeProfile:
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
    speeds_table = table["speeds_kmh"]
    if not isinstance(speeds_table, dict) or not speeds_table:
        msg = f"{source}: [{name}.speeds_kmh] must list at least one highway class"
        raise ConfigError(msg)
    speeds = {
        str(k): _positive(v, f"{name}.speeds_kmh.{k}", source) for k, v in speeds_table.items()
    }
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
        access_keys=tuple(str(k) for k in table["access_keys"]),  # type: ignore[union-attr]
        ferry_kmh=_positive(table["ferry_kmh"], f"{name}.ferry_kmh", source),
        ferry_wait_min=float(wait),
        ferry_keys=tuple(str(k) for k in table["ferry_keys"]),  # type: ignore[union-attr]
        ferry_default=bool(table["ferry_default"]),
        offroad_kmh=_positive(table["offroad_kmh"], f"{name}.offroad_kmh", source),
        terrain=terrain,
        uphill_slowdown=float(slowdown),
    )


def load(path: str | Path | None = None) -> dict[str, ModeProfile]:
    """Read travel profiles from a TOML file.

    Parameters
    ----------
    path
        A profiles file; the defaults shipped with geohealth when None.

    Returns
    -------
    dict
        Mode name → :class:`ModeProfile`.

    Raises
    ------
    ConfigError
        If the file is missing or invalid, e.g. a speed that is zero or negative.
    """
    file = Path(path) if path is not None else DEFAULT_PROFILES
    if not file.is_file():
        msg = f"{file}: profiles file not found — check network.profiles"
        raise ConfigError(msg)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        msg = f"{file.name}: not valid TOML ({exc})"
        raise ConfigError(msg) from None
    for name in data:
        if name not in MODES:
            near = difflib.get_close_matches(name, MODES, n=1, cutoff=0.5)
            hint = f"did you mean [{near[0]}]?" if near else f"use {', '.join(MODES)}"
            msg = f"{file.name}: unknown mode [{name}] — {hint}"
            raise ConfigError(msg)
    return {name: _mode(name, data[name], file.name) for name in MODES if name in data}


def digest(profile: ModeProfile) -> str:
    """Return a stable hash of a profile (for cache keys and provenance).

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
    text = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
