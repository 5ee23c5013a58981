"""``plan.json``: what a siting run proposed and what it changes, for the report to read.

``geohealth site`` writes it next to ``sites.csv`` and ``assignment.gpkg``;
``geohealth report --plan DIR`` reads it to draw the plan's print map and to put the proposed
sites and their effect into the one-page summary.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geohealth.errors import ConfigError
from geohealth.outputs import write_text

#: The record's file name inside a siting output folder.
FILE = "plan.json"


@dataclass(frozen=True)
class Effect:
    """One indicator before and after a plan.

    Attributes
    ----------
    indicator
        Chinese label with its unit in brackets.
    before, after
        Values (None when the indicator has no value on that side).
    mode, group
        The travel mode and care group the indicator measures, where it names its own (a
        what-if's walking indicator, a referral time by car); empty: the plan's.
    """

    indicator: str
    before: float | None
    after: float | None
    mode: str = ""
    group: str = ""


@dataclass(frozen=True)
class PlanRecord:
    """A siting run's headline.

    Attributes
    ----------
    title
        The plan's headline (Chinese).
    kind
        ``mclp``, ``lscp``, ``pmedian``, ``regional-centre``, ``ambulance`` or ``whatif``
        (written by ``geohealth whatif``).
    mode
        Travel mode (for ``whatif``: the mode whose coverage changes most; empty if none).
    threshold_min
        Coverage (or response) time.
    sites
        Sites in the plan (those already open included).
    new_sites
        Sites the plan opens or upgrades.
    effects
        Indicators before and after.
    date
        ISO date of the run.
    region
        ``region.name`` of the run's configuration.
    group
        ``whatif``: the care group whose coverage changes most (empty otherwise).
    site_list
        The plan's sites (:func:`site_list`): id, name, level, kind, township, WGS-84 and
        input-system coordinates.
    """

    title: str
    kind: str
    mode: str
    threshold_min: float
    sites: int
    new_sites: int
    effects: tuple[Effect, ...]
    date: str = dataclasses.field(default_factory=lambda: dt.date.today().isoformat())
    region: str = ""
    group: str = ""
    site_list: tuple[dict[str, object], ...] = ()


#: Columns of a site table kept in ``plan.json`` (those present).
SITE_COLUMNS = (
    "site_id",
    "name",
    "level",
    "kind",
    "fixed",
    "township_code",
    "township",
    "lon",
    "lat",
    "lon_gcj02",
    "lat_gcj02",
    "lon_bd09",
    "lat_bd09",
)


def site_list(table: pd.DataFrame) -> tuple[dict[str, object], ...]:
    """Return a site table's rows as plain records for ``plan.json`` (missing: null).

    Parameters
    ----------
    table
        A site table (:func:`geohealth.siting.plan.site_table`, or a preset's).

    Returns
    -------
    tuple of dict
        One record per site, with the columns of :data:`SITE_COLUMNS` the table has.
    """
    kept = table[[c for c in SITE_COLUMNS if c in table.columns]]
    rows = kept.astype(object).where(kept.notna(), None).to_dict(orient="records")
    return tuple(
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()} for row in rows
    )


def effect_text(e: Effect) -> str:
    """Write an effect as one line: ``indicator：before → after（change）``.

    Parameters
    ----------
    e
        The effect (minutes get one decimal, other values none).

    Returns
    -------
    str
        The line; a missing side is left out.
    """
    spec = ",.1f" if e.indicator.endswith("（分钟）") else ",.0f"
    if e.before is None and e.after is None:
        return f"{e.indicator}：—"
    if e.before is None:
        return f"{e.indicator}：{e.after:{spec}}"
    if e.after is None:
        return f"{e.indicator}：{e.before:{spec}}（方案前）"
    return f"{e.indicator}：{e.before:{spec}} → {e.after:{spec}}（{e.after - e.before:+{spec}}）"


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def write_record(folder: Path, record: PlanRecord) -> Path:
    """Write ``plan.json`` into a siting output folder, atomically.

    Parameters
    ----------
    folder
        The siting run's output folder.
    record
        The record.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    data = dataclasses.asdict(record)
    data["effects"] = [
        {**e, "before": _number(e["before"]), "after": _number(e["after"])} for e in data["effects"]
    ]
    return write_text(folder / FILE, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_record(folder: Path) -> PlanRecord:
    """Read the ``plan.json`` of a siting output folder.

    Parameters
    ----------
    folder
        A folder written by ``geohealth site``.

    Returns
    -------
    PlanRecord
        The record.

    Raises
    ------
    ConfigError
        If the folder has no (readable) record; says how to make one.
    """
    path = Path(folder) / FILE
    if not path.is_file():
        msg = (
            f"{folder} holds no {FILE} — give a folder written by "
            "'geohealth site CONFIG … --out DIR' (run it again if it predates plan.json)"
        )
        raise ConfigError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        effects = tuple(Effect(**e) for e in data.pop("effects"))
        return PlanRecord(**data, effects=effects)
    except (ValueError, TypeError, KeyError) as exc:
        msg = f"{path} is not a plan record geohealth can read ({exc}) — run 'geohealth site' again"
        raise ConfigError(msg) from exc
