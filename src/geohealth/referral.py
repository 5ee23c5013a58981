"""Referral times: township health centre → nearest secondary hospital, before and after a plan.

Plans promise that upgrading township hospitals into rural regional medical centres cuts the
trip to secondary care "from 1–2 hours to about 15 minutes". This module measures it on the
road network: for every township health centre, the drive to the nearest facility of
secondary level (county hospitals, rural regional centres) with the facilities as they are and
as a plan leaves them, and optionally to the centre the plan assigns its township to.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geohealth import traveltime
from geohealth.inputs.levels import group_of
from geohealth.network import snap
from geohealth.network.graph import RoadGraph

#: Level whose facilities are the origins of a referral.
ORIGIN_LEVEL = "township_health_centre"
#: Level of the rural regional medical centres (农村区域性医疗卫生中心).
REGIONAL_LEVEL = "rural_regional_centre"


def _matrix(
    graph: RoadGraph, origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, max_snap_m: float
) -> np.ndarray:
    """Minutes from every origin to every target (one search per origin); 0 to itself."""
    a = snap.attach_facilities(graph, origins, max_snap_m=max_snap_m)
    b = snap.attach_facilities(graph, targets, max_snap_m=max_snap_m)
    minutes = traveltime.facility_matrix(graph, a, b)
    same = (
        origins["facility_id"].astype(str).to_numpy()[:, None]
        == (targets["facility_id"].astype(str).to_numpy()[None, :])
    )
    minutes[same] = 0.0  # an upgraded centre refers to itself
    return minutes


def _wanted(frame: gpd.GeoDataFrame, kind: str) -> pd.Series:
    """Facilities a referral of ``kind`` goes to: any secondary level, or regional centres."""
    if kind == "regional":
        return frame["level"] == REGIONAL_LEVEL
    return frame["level"].map(group_of) == "secondary"  # regional centres included


def referral_table(
    graph: RoadGraph,
    townships: gpd.GeoDataFrame,
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame | None = None,
    *,
    assigned: pd.Series | None = None,
    max_snap_m: float = 500.0,
) -> pd.DataFrame:
    """Drive time from every township health centre to secondary care.

    Parameters
    ----------
    graph
        The drive graph.
    townships
        Township polygons (``code``, ``name``), to say where each centre is.
    before
        Facilities as they are (``facility_id``, ``name``, ``level``, points).
    after
        Facilities as a plan leaves them (upgrades, additions, closures); omitted: no plan.
    assigned
        Township code → ``facility_id`` of the regional centre the plan assigns it to.
    max_snap_m
        Farthest a facility may be from a road.

    Returns
    -------
    pandas.DataFrame
        ``facility_id, name, township_code, township``; the nearest secondary-level facility
        (``secondary_before_id, secondary_before, secondary_before_min``) and the nearest
        rural regional centre (``regional_before_id, regional_before, regional_before_min``);
        with a plan the same ``…_after…`` and ``secondary_saved_min``; with ``assigned``,
        ``centre_id, centre, centre_min``. Unreachable or none: ``inf`` minutes.
    """
    before = before.to_crs(4326)
    origins = before[before["level"] == ORIGIN_LEVEL].reset_index(drop=True)
    where = gpd.sjoin(
        origins[["geometry"]],
        townships.to_crs(4326)[["code", "name", "geometry"]],
        how="left",
        predicate="within",
    )
    where = where[~where.index.duplicated()]
    table = pd.DataFrame(
        {
            "facility_id": origins["facility_id"].astype(str).to_numpy(),
            "name": origins["name"].to_numpy(),
            "township_code": where["code"].to_numpy(),
            "township": where["name"].to_numpy(),
        }
    )
    if origins.empty:
        return table

    frames = {"before": before}
    if after is not None:
        frames["after"] = after.to_crs(4326)
    # every destination of either state, once: one search per origin serves every column
    pool = pd.concat(
        [
            f.loc[_wanted(f, "secondary"), ["facility_id", "name", "geometry"]]
            for f in frames.values()
        ]
    )
    pool = gpd.GeoDataFrame(pool.drop_duplicates("facility_id").reset_index(drop=True), crs=4326)
    matrix = (
        _matrix(graph, origins, pool, max_snap_m)
        if len(pool)
        else np.full((len(origins), 0), np.inf)
    )
    column = pd.Index(pool["facility_id"].astype(str))
    for tag, frame in frames.items():
        for kind in ("secondary", "regional"):
            cols = column.get_indexer(frame["facility_id"].astype(str)[_wanted(frame, kind)])
            ids = column.to_numpy()[cols]
            names = pool["name"].astype(str).to_numpy()[cols]
            if len(cols):
                best = np.argmin(matrix[:, cols], axis=1)
                minutes = matrix[np.arange(len(origins)), cols[best]]
                table[f"{kind}_{tag}_id"] = ids[best]
                table[f"{kind}_{tag}"] = names[best]
            else:
                minutes = np.full(len(origins), np.inf)
                table[f"{kind}_{tag}_id"] = None
                table[f"{kind}_{tag}"] = None
            table[f"{kind}_{tag}_min"] = minutes
    if after is None:
        return table
    after = frames["after"]
    table["secondary_saved_min"] = table["secondary_before_min"] - table["secondary_after_min"]
    if assigned is not None:
        centre_ids = table["township_code"].map(assigned)
        has = centre_ids.notna().to_numpy()
        table["centre_id"] = centre_ids
        names_by_id = after.set_index(after["facility_id"].astype(str))["name"]
        table["centre"] = centre_ids.map(names_by_id)
        minutes = np.full(len(table), np.nan)
        if has.any():
            cols = column.get_indexer(centre_ids[has].astype(str))
            minutes[has] = np.where(cols >= 0, matrix[np.flatnonzero(has), cols], np.inf)
        table["centre_min"] = minutes
    return table


def median_minutes(values: object) -> float | None:
    """Median of the finite trip times in ``values`` (unreachable ``inf`` left out).

    Parameters
    ----------
    values
        Minutes, e.g. a column of :func:`referral_table`.

    Returns
    -------
    float or None
        The median; None when no trip is finite.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(np.median(arr)) if arr.size else None
