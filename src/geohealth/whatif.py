"""What-if scenarios: add, close or upgrade facilities and see who gains or loses coverage.

A scenario is a set of :class:`Changes` applied to the facilities of a run. Coverage is
computed on the same network and population before and after; per township, group, mode and
threshold the comparison reports the people covered before, after, the difference, and the
people newly covered (and no longer covered, when a facility closes).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth import catchments
from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.coverage_files import VALUES
from geohealth.errors import ConfigError, InputError
from geohealth.inputs import coords
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY, classify_one
from geohealth.referral import median_minutes
from geohealth.siting.record import Effect, PlanRecord

log = logging.getLogger(__name__)

#: Columns of the comparison table, in order.
COLUMNS = (
    "code",
    "name",
    "group",
    "mode",
    "threshold_min",
    "population",
    "covered_before",
    "covered_after",
    "difference",
    "newly_covered",
    "no_longer_covered",
    "share_before",
    "share_after",
)


@dataclass(frozen=True)
class NewSite:
    """A proposed facility (WGS-84).

    Attributes
    ----------
    lon, lat
        WGS-84 degrees (converted from the system it was given in).
    level
        Level key.
    beds
        Beds (NaN when not given).
    name
        The name given to it (empty: named after its level and number).
    """

    lon: float
    lat: float
    level: str
    beds: float = float("nan")
    name: str = ""


@dataclass(frozen=True)
class Changes:
    """What a scenario changes.

    Attributes
    ----------
    add
        New facilities.
    close
        ``facility_id`` of facilities that close.
    upgrade
        ``(facility_id, new level)`` pairs.
    """

    add: tuple[NewSite, ...] = ()
    close: tuple[str, ...] = ()
    upgrade: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing changes."""
        return not (self.add or self.close or self.upgrade)

    def slug(self) -> str:
        """Name the scenario by what it changes, e.g. ``add-2-upgrade-1`` (for its folder)."""
        counts = (("add", self.add), ("close", self.close), ("upgrade", self.upgrade))
        return "-".join(f"{verb}-{len(items)}" for verb, items in counts if items) or "none"


def _level(text: str, where: str) -> str:
    key = classify_one(text.strip())
    if key is None:
        msg = f"{where}: unknown level '{text}' — use one of {', '.join(BY_KEY)}"
        raise ConfigError(msg)
    return key


def parse_add(text: str, system: str = "wgs84") -> NewSite:
    """Parse ``lon,lat,level[,beds[,name]]`` given in ``system`` into a :class:`NewSite`.

    Parameters
    ----------
    text
        E.g. ``"127.45,46.02,township_health_centre,30,新华镇卫生院分院"``; the level may be a
        key or a Chinese name (``乡镇卫生院``); beds may be left empty when a name follows.
    system
        Coordinate system of ``lon,lat``: ``wgs84``, ``gcj02`` (AMap) or ``bd09`` (Baidu).

    Returns
    -------
    NewSite
        The site in WGS-84.

    Raises
    ------
    ConfigError
        If the text does not parse, the coordinates are not degrees or look swapped.
    """
    where = f"--add {text}"
    parts = [p.strip() for p in re.split(r"[,，]", text)]
    if len(parts) not in (3, 4, 5):
        msg = f"{where}: give lon,lat,level, lon,lat,level,beds or lon,lat,level,beds,name"
        raise ConfigError(msg)
    name = parts[4] if len(parts) == 5 else ""
    try:
        lon, lat = float(parts[0]), float(parts[1])
        beds = float(parts[3]) if len(parts) >= 4 and parts[3] else float("nan")
    except ValueError:
        msg = f"{where}: longitude, latitude and beds must be numbers"
        raise ConfigError(msg) from None
    if coords.in_china(lat, lon).item() and not coords.in_china(lon, lat).item():
        msg = f"{where}: longitude and latitude look swapped — give lon,lat (e.g. 127.4,46.0)"
        raise ConfigError(msg)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"{where}: coordinates are not degrees — give longitude,latitude in decimal degrees"
        raise ConfigError(msg)
    if beds < 0:
        msg = f"{where}: beds must be ≥ 0"
        raise ConfigError(msg)
    wlon, wlat = coords.to_wgs84([lon], [lat], system)  # type: ignore[arg-type]
    return NewSite(float(wlon[0]), float(wlat[0]), _level(parts[2], where), beds, name)


def parse_upgrade(text: str) -> tuple[str, str]:
    """Parse ``ID=level`` into ``(facility_id, level key)``.

    Parameters
    ----------
    text
        E.g. ``"239901101001=rural_regional_centre"``.

    Returns
    -------
    tuple of str
        The facility id and the new level.

    Raises
    ------
    ConfigError
        If the text has no ``=`` or the level is unknown.
    """
    where = f"--upgrade {text}"
    if "=" not in text:
        msg = f"{where}: give ID=level, e.g. 239901101001=rural_regional_centre"
        raise ConfigError(msg)
    ident, level = text.split("=", 1)
    return ident.strip(), _level(level, where)


def apply(layers: InputLayers, changes: Changes) -> gpd.GeoDataFrame:
    """Apply a scenario: the facilities after it, with a ``change`` column.

    Parameters
    ----------
    layers
        The run's inputs (facilities as they are, region).
    changes
        What to change.

    Returns
    -------
    geopandas.GeoDataFrame
        Every facility before and after, EPSG:4326, with ``change``: ``""``, ``"added"``,
        ``"upgraded from <level>"`` or ``"closed"`` (still listed, for maps and layers;
        :func:`scenario_layers` leaves them out). New sites get ids ``NEW1``, ``NEW2`` … and
        names ``新建<level> 1`` ….

    Raises
    ------
    InputError
        If an id is not among the facilities, a facility is both closed and upgraded, or a
        new site lies outside the study region.
    """
    before = layers.facilities.to_crs(4326).copy()
    ids = before["facility_id"].astype(str)
    before["change"] = ""
    known = set(ids)
    example = ids.iloc[0] if len(ids) else "—"
    for ident in [*changes.close, *(i for i, _ in changes.upgrade)]:
        if ident not in known:
            msg = (
                f"facility '{ident}' is not in the facilities file — use its facility_id "
                f"(e.g. {example}; see facilities.csv of a coverage run)"
            )
            raise InputError(msg)
    both = set(changes.close) & {i for i, _ in changes.upgrade}
    if both:
        msg = f"facility {', '.join(sorted(both))} is both closed and upgraded — choose one"
        raise InputError(msg)
    after = before.copy()
    after.loc[ids.isin(changes.close).to_numpy(), "change"] = "closed"
    for ident, level in changes.upgrade:
        row = after["facility_id"].astype(str) == ident
        after.loc[row, "change"] = f"upgraded from {after.loc[row, 'level'].iloc[0]}"
        after.loc[row, "level"] = level
    outline = layers.region.outline
    rows = []
    for k, site in enumerate(changes.add, start=1):
        if not shapely.contains_xy(outline, site.lon, site.lat):
            msg = (
                f"proposed site {k} ({site.lon:.5f}, {site.lat:.5f} in WGS-84) is outside the "
                "study region — check the lon,lat order and the coordinate system (--crs)"
            )
            raise InputError(msg)
        rows.append(
            {
                "facility_id": f"NEW{k}",
                "name": site.name or f"新建{BY_KEY[site.level].label_zh} {k}",
                "level": site.level,
                "beds": site.beds,
                "inside_region": True,
                "change": "added",
                "geometry": shapely.Point(site.lon, site.lat),
            }
        )
    if rows:
        added = gpd.GeoDataFrame(rows, crs=4326)
        after = gpd.GeoDataFrame(pd.concat([after, added], ignore_index=True), crs=4326)
    log.info(
        "scenario: %d added, %d closed, %d upgraded",
        len(changes.add),
        len(changes.close),
        len(changes.upgrade),
    )
    return after


def scenario_layers(layers: InputLayers, after: gpd.GeoDataFrame) -> InputLayers:
    """Return the run's inputs with the facilities of a scenario (closed ones left out).

    Parameters
    ----------
    layers
        The run's inputs.
    after
        From :func:`apply`.

    Returns
    -------
    InputLayers
        The same inputs but the facilities.
    """
    kept = after[after["change"] != "closed"].drop(columns="change").reset_index(drop=True)
    return dataclasses.replace(layers, facilities=kept)


def _cells_changed(
    before: CoverageResult, after: CoverageResult, key: tuple[str, str], limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of cells newly covered and no longer covered within ``limit``."""
    shape = (after.groups.get(key) or before.groups[key]).minutes.shape
    was = before.groups[key].minutes <= limit if key in before.groups else np.zeros(shape, bool)
    now = after.groups[key].minutes <= limit if key in after.groups else np.zeros(shape, bool)
    return now & ~was, was & ~now


def compare(layers: InputLayers, before: CoverageResult, after: CoverageResult) -> pd.DataFrame:
    """Per township (and the whole area), group, mode and threshold: before, after, difference.

    Parameters
    ----------
    layers
        The run's inputs (townships, population).
    before, after
        Coverage runs on the facilities before and after the scenario.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; ``covered_after − covered_before = newly_covered −
        no_longer_covered`` on every row.
    """
    key = ["code", "group", "mode", "threshold_min"]
    cols = [*key, "name", "population", "covered"]
    merged = before.townships[cols].merge(
        after.townships[cols],
        on=key,
        how="outer",
        suffixes=("_before", "_after"),
    )
    merged["name"] = merged["name_before"].fillna(merged["name_after"])
    merged["population"] = merged["population_before"].fillna(merged["population_after"])
    merged["covered_before"] = merged["covered_before"].fillna(0.0)
    merged["covered_after"] = merged["covered_after"].fillna(0.0)
    merged["difference"] = merged["covered_after"] - merged["covered_before"]
    grid = layers.population
    people = np.nan_to_num(grid.values, nan=0.0)
    zones = layers.township_index()
    codes = layers.townships["code"].astype(str).to_numpy()
    n = len(codes)
    gained = pd.Series(0.0, index=merged.index)
    lost = pd.Series(0.0, index=merged.index)
    for (group, mode, limit), rows in merged.groupby(
        ["group", "mode", "threshold_min"]
    ).groups.items():
        new, gone = _cells_changed(before, after, (group, mode), float(limit))
        inside = zones >= 0
        per_new = np.bincount(zones[new & inside], weights=people[new & inside], minlength=n)
        per_gone = np.bincount(zones[gone & inside], weights=people[gone & inside], minlength=n)
        lookup_new = dict(zip(codes, per_new, strict=True)) | {AREA_CODE: per_new.sum()}
        lookup_gone = dict(zip(codes, per_gone, strict=True)) | {AREA_CODE: per_gone.sum()}
        gained[rows] = merged.loc[rows, "code"].map(lookup_new).to_numpy()
        lost[rows] = merged.loc[rows, "code"].map(lookup_gone).to_numpy()
    merged["newly_covered"] = gained
    merged["no_longer_covered"] = lost
    with np.errstate(invalid="ignore", divide="ignore"):
        merged["share_before"] = merged["covered_before"] / merged["population"]
        merged["share_after"] = merged["covered_after"] / merged["population"]
    order = {g: i for i, g in enumerate(["primary", "secondary", "tertiary", "emergency"])}
    merged = merged.sort_values(
        ["group", "mode", "threshold_min", "code"],
        key=lambda s: s.map(order) if s.name == "group" else s,
    )
    return merged[list(COLUMNS)].reset_index(drop=True)


def change_layers(
    layers: InputLayers,
    before: CoverageResult,
    after: CoverageResult,
    facilities_after: gpd.GeoDataFrame,
    threshold_min: float,
) -> dict[str, gpd.GeoDataFrame]:
    """GeoPackage layers of a scenario at one threshold.

    Parameters
    ----------
    layers
        The run's inputs.
    before, after
        Coverage runs before and after.
    facilities_after
        From :func:`apply`.
    threshold_min
        The threshold whose changes are drawn.

    Returns
    -------
    dict
        ``changes`` (added, upgraded and closed facilities) and, per group and mode with any
        change, ``newly_covered_<group>_<mode>`` and ``no_longer_covered_<group>_<mode>``
        (cells, with ``group``, ``mode`` and ``population``).
    """
    cols = ["facility_id", "name", "level", "beds", "change", "geometry"]
    changed = facilities_after.loc[facilities_after["change"] != "", cols]
    out = {"changes": gpd.GeoDataFrame(changed.reset_index(drop=True), crs=4326)}
    grid = layers.population
    for key in sorted(set(before.groups) | set(after.groups)):
        new, gone = _cells_changed(before, after, key, threshold_min)
        for name, mask in (("newly_covered", new), ("no_longer_covered", gone)):
            if not (mask & (np.nan_to_num(grid.values) > 0)).any():
                continue
            minutes = np.where(mask, np.inf, 0.0)
            cells = catchments.uncovered_cells(grid, minutes, 0.0).drop(columns="minutes")
            cells.insert(0, "group", key[0])
            cells.insert(1, "mode", key[1])
            out[f"{name}_{key[0]}_{key[1]}"] = cells
    return out


def scenario_record(
    table: pd.DataFrame, referral: pd.DataFrame, changes: Changes, threshold_min: float
) -> PlanRecord:
    """Sum up a scenario for ``plan.json`` (read by ``geohealth report --plan``).

    Parameters
    ----------
    table
        From :func:`compare`.
    referral
        From :func:`geohealth.referral.referral_table` (before and after the scenario).
    changes
        The scenario.
    threshold_min
        The threshold reported.

    Returns
    -------
    PlanRecord
        Kind ``whatif``; ``group`` and ``mode`` name the pair whose coverage changes most
        (drawn on the print page); one effect per group and mode whose coverage changes, and
        the median drive from township health centres to secondary care when it changes.
    """
    area = table[(table["code"] == AREA_CODE) & (table["threshold_min"] == threshold_min)]
    moved = area[(area["difference"] != 0) | (area["newly_covered"] > 0)]
    zh = VALUES["zh"]
    effects = [
        Effect(
            f"{threshold_min:g}分钟内可达{zh.get(r.group, r.group)}的人口"
            f"（人，{zh.get(r.mode, r.mode)}）",
            float(r.covered_before),
            float(r.covered_after),
            mode=str(r.mode),
            group=str(r.group),
        )
        for r in moved.itertuples()
    ]
    before = referral["secondary_before_min"].to_numpy(dtype=float)
    after = referral["secondary_after_min"].to_numpy(dtype=float)
    if len(before) and not np.array_equal(before, after):
        effects.append(
            Effect(
                "乡镇卫生院到最近二级医疗机构驾车用时中位数（分钟）",
                median_minutes(before),
                median_minutes(after),
                mode="drive",
                group="secondary",
            )
        )
    top = moved.loc[moved["difference"].abs().idxmax()] if len(moved) else None
    parts = [
        f"{word} {n} 个"
        for word, n in (
            ("新增", len(changes.add)),
            ("升级", len(changes.upgrade)),
            ("关闭", len(changes.close)),
        )
        if n
    ]
    return PlanRecord(
        title="方案测算：" + "、".join(parts),
        kind="whatif",
        mode="" if top is None else str(top["mode"]),
        threshold_min=threshold_min,
        sites=len(changes.add) + len(changes.upgrade) + len(changes.close),
        new_sites=len(changes.add) + len(changes.upgrade),
        effects=tuple(effects),
        group="" if top is None else str(top["group"]),
    )
