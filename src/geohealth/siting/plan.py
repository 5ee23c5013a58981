"""A siting run on a configuration: candidates, demand cells, travel times, the solve, outputs.

Candidates are existing facilities (to upgrade, e.g. township health centres), points of a
regular grid inside the study region (new sites), or both; existing facilities of the group
can be fixed as already open. Demand is every populated cell of the population grid. Travel
times are the engine's (cells and sites attached to road edges), so a site's coverage here is
the same as in ``geohealth coverage``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geohealth import catchments, reach, traveltime
from geohealth.errors import ConfigError
from geohealth.inputs import coords
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY, serves
from geohealth.network import snap
from geohealth.siting import problems
from geohealth.siting.problems import Instance, Result

log = logging.getLogger(__name__)

PROBLEMS = ("mclp", "lscp", "pmedian")


@dataclass(frozen=True)
class Plan:
    """A solved siting run.

    Attributes
    ----------
    sites
        Every candidate (EPSG:4326) with ``site_id``, ``name``, ``kind`` (``existing`` /
        ``new``), ``fixed``, ``capacity`` and, for chosen ones, ``chosen = True``.
    result
        The solver's result (indices into ``sites``).
    rows, cols
        Grid cell of each demand point.
    minutes
        Minutes from each demand point to its assigned site (``inf`` when none).
    covered_fixed, covered_chosen
        People within the coverage time of a fixed (already open) site, and of any chosen
        site (NaN when not computed).
    """

    sites: gpd.GeoDataFrame
    result: Result
    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray
    covered_fixed: float = float("nan")
    covered_chosen: float = float("nan")


def covered_by(instance: Instance, open_sites: np.ndarray, threshold_min: float) -> float:
    """People within ``threshold_min`` of any of ``open_sites``.

    Parameters
    ----------
    instance
        A siting instance whose pairs reach at least ``threshold_min``.
    open_sites
        Site indices.
    threshold_min
        Coverage time.

    Returns
    -------
    float
        Persons.
    """
    keep = (instance.minutes <= threshold_min) & np.isin(instance.site, open_sites)
    return float(instance.demand[np.unique(instance.origin[keep])].sum())


def grid_candidates(layers: InputLayers, spacing_m: float) -> gpd.GeoDataFrame:
    """Candidate sites on a regular grid inside the study region.

    Parameters
    ----------
    layers
        The run's inputs (region and its metric CRS).
    spacing_m
        Distance between neighbouring candidates (metres).

    Returns
    -------
    geopandas.GeoDataFrame
        Points (EPSG:4326) with ``site_id`` (``G0001`` …) and ``name``.

    Raises
    ------
    ConfigError
        If the spacing is not positive or leaves no point inside the region.
    """
    if spacing_m <= 0:
        msg = f"grid spacing must be > 0 metres, got {spacing_m}"
        raise ConfigError(msg)
    region = layers.region
    outline = gpd.GeoSeries([region.outline], crs=4326).to_crs(region.metric_crs).iloc[0]
    west, south, east, north = outline.bounds
    xs = np.arange(west + spacing_m / 2, east, spacing_m)
    ys = np.arange(south + spacing_m / 2, north, spacing_m)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(outline, x, y)
    if not inside.any():
        msg = f"a grid of {spacing_m:g} m leaves no candidate inside the region — use a finer grid"
        raise ConfigError(msg)
    lon, lat = Transformer.from_crs(region.metric_crs, 4326, always_xy=True).transform(
        x[inside], y[inside]
    )
    ids = [f"G{k + 1:04d}" for k in range(int(inside.sum()))]
    return gpd.GeoDataFrame(
        {"site_id": ids, "name": [f"候选点 {i}" for i in ids]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def candidates(
    layers: InputLayers,
    *,
    levels: tuple[str, ...] = (),
    grid_m: float | None = None,
    fix_group: str | None = None,
    persons_per_bed: float | None = None,
    capacity: float | None = None,
) -> gpd.GeoDataFrame:
    """Assemble the candidate sites.

    Parameters
    ----------
    layers
        The run's inputs.
    levels
        Existing facilities of these levels are candidates (to upgrade or keep).
    grid_m
        Also candidates on a grid of this spacing (new sites).
    fix_group
        Existing facilities of this care group are open already (fixed, and candidates).
    persons_per_bed
        Capacity of an existing facility = its beds × this.
    capacity
        Capacity of every other candidate (persons); uncapacitated when neither is given.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id, name, level, kind, fixed, capacity`` and point geometry (EPSG:4326).

    Raises
    ------
    ConfigError
        If a level is unknown or there is no candidate.
    """
    for level in levels:
        if level not in BY_KEY:
            msg = f"unknown level '{level}' — use one of {', '.join(BY_KEY)}"
            raise ConfigError(msg)
    facilities = layers.facilities
    if fix_group:
        fixed = facilities["level"].map(lambda k: serves(k, fix_group)).astype(bool)
    else:
        fixed = pd.Series(False, index=facilities.index)
    chosen = facilities[facilities["level"].isin(levels) | fixed]
    existing = gpd.GeoDataFrame(
        {
            "site_id": chosen["facility_id"].astype(str),
            "name": chosen["name"],
            "level": chosen["level"],
            "kind": "existing",
            "fixed": fixed[chosen.index].to_numpy(),
            "beds": chosen["beds"],
        },
        geometry=chosen.geometry.to_numpy(),
        crs=facilities.crs,
    ).to_crs(4326)
    frames = [existing]
    if grid_m is not None:
        grid = grid_candidates(layers, grid_m)
        grid["level"] = None
        grid["kind"] = "new"
        grid["fixed"] = False
        grid["beds"] = np.nan
        frames.append(grid)
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    if sites.empty:
        msg = "no candidate sites — give levels of existing facilities, a grid, or both"
        raise ConfigError(msg)
    cap = np.full(len(sites), np.inf if capacity is None else float(capacity))
    if persons_per_bed is not None:
        beds = sites["beds"].to_numpy(dtype=float)
        has = np.isfinite(beds)
        cap[has] = beds[has] * persons_per_bed
    sites["capacity"] = cap
    return sites.drop(columns="beds")


def on_top(sites: gpd.GeoDataFrame, add: int) -> tuple[gpd.GeoDataFrame, int]:
    """Keep every existing candidate open and make room for ``add`` new sites.

    Parameters
    ----------
    sites
        Candidates from :func:`candidates`.
    add
        New sites to open.

    Returns
    -------
    tuple
        The candidates with every existing one fixed open, and ``p`` (existing + ``add``).

    Raises
    ------
    ConfigError
        If there are fewer new candidates than ``add``.
    """
    new = int((sites["kind"] == "new").sum())
    if new < add:
        msg = (
            f"--add {add} needs at least {add} new candidate sites but there are {new} — "
            "give --grid SPACING (new sites on a grid), or a smaller spacing"
        )
        raise ConfigError(msg)
    kept = sites.assign(fixed=sites["fixed"].astype(bool) | (sites["kind"] == "existing"))
    existing = int(kept["fixed"].sum())
    log.info("--add %d: %d existing sites stay open, p = %d", add, existing, existing + add)
    return kept, existing + add


def build_instance(
    layers: InputLayers, sites: gpd.GeoDataFrame, *, mode: str, limit_min: float
) -> tuple[gpd.GeoDataFrame, Instance, np.ndarray, np.ndarray, traveltime.PairTimes]:
    """Demand cells, candidate sites and the engine's travel times between them.

    New (grid) candidates farther than ``network.max_snap_m`` from a road of the mode, or
    nearest to a road off the main network, are dropped (logged): a new site goes by a road.

    Parameters
    ----------
    layers
        The run's inputs.
    sites
        Candidates (points with ``name``).
    mode
        Travel mode.
    limit_min
        Keep cell–site pairs within this many minutes.

    Returns
    -------
    tuple
        The sites kept (index reset), the instance (demand = persons of each populated cell),
        the grid row and column of each demand point, and the pair times.
    """
    g = reach.graphs(layers, modes=(mode,))[mode]
    max_snap_m = layers.settings.network.max_snap_m
    new = (sites["kind"] == "new").to_numpy() if "kind" in sites else np.zeros(len(sites), bool)
    if new.any():
        points = sites.geometry[new]
        probe = snap.attach(g, points.x.to_numpy(), points.y.to_numpy())
        bad = np.zeros(len(sites), bool)
        bad[np.flatnonzero(new)] = (probe.offroad_m > max_snap_m) | probe.island
        if bad.all():
            msg = f"every grid candidate is more than {max_snap_m:,.0f} m from a {mode} road"
            raise ConfigError(msg)
        if bad.any():
            log.info(
                "dropped %d of %d grid candidates farther than %s m from a %s road",
                bad.sum(),
                new.sum(),
                f"{max_snap_m:,.0f}",
                mode,
            )
            sites = sites[~bad].reset_index(drop=True)
    attached = snap.attach_facilities(g, sites, max_snap_m=max_snap_m)
    rows, cols, pairs = traveltime.cell_pair_times(
        g, layers.population, attached, limit_min=limit_min
    )
    instance = Instance(
        demand=layers.population.values[rows, cols],
        n_sites=len(sites),
        origin=pairs.origin,
        site=pairs.facility,
        minutes=pairs.minutes,
    )
    return sites, instance, rows, cols, pairs


def solve_plan(
    layers: InputLayers,
    sites: gpd.GeoDataFrame,
    *,
    problem: str,
    mode: str = "drive",
    p: int | None = None,
    threshold_min: float = 15.0,
    share: float = 1.0,
    max_minutes: float = 60.0,
    time_limit_s: float = 600.0,
) -> Plan:
    """Build the instance on the road network and solve a siting problem.

    Parameters
    ----------
    layers
        The run's inputs.
    sites
        Candidates from :func:`candidates`.
    problem
        ``"mclp"``, ``"lscp"`` or ``"pmedian"``.
    mode
        Travel mode.
    p
        Sites to open (MCLP, p-median).
    threshold_min
        Coverage time (MCLP, LSCP).
    share
        Share of people to cover (LSCP).
    max_minutes
        Longest trip a p-median may assign.
    time_limit_s
        Solver time limit.

    Returns
    -------
    Plan
        Sites, the result and each demand cell's assignment.

    Raises
    ------
    ConfigError
        If the problem is unknown or ``p`` is missing.
    InfeasibleRuleError
        If the rules cannot hold (the message says which, by how much).
    """
    if problem not in PROBLEMS:
        msg = f"unknown problem '{problem}' — use {', '.join(PROBLEMS)}"
        raise ConfigError(msg)
    if problem != "lscp" and p is None:
        msg = f"{problem} needs --p (the number of sites to open)"
        raise ConfigError(msg)
    limit = max_minutes if problem == "pmedian" else threshold_min
    sites, instance, rows, cols, pairs = build_instance(layers, sites, mode=mode, limit_min=limit)
    demand = instance.demand
    fixed = np.flatnonzero(sites["fixed"].to_numpy(dtype=bool))
    cap = sites["capacity"].to_numpy(dtype=float)
    capacity = cap if np.isfinite(cap).any() else None
    if capacity is not None:
        capacity = np.where(np.isfinite(capacity), capacity, demand.sum())
    log.info(
        "%s: %d candidates (%d fixed), %d populated cells, %d pairs within %g min",
        problem,
        len(sites),
        len(fixed),
        len(demand),
        len(pairs),
        limit,
    )
    if problem == "mclp":
        result = problems.mclp(
            instance, p, threshold_min, fixed=fixed, capacity=capacity, time_limit_s=time_limit_s
        )
    elif problem == "lscp":
        result = problems.lscp(
            instance, threshold_min, share=share, fixed=fixed, time_limit_s=time_limit_s
        )
    else:
        result = problems.pmedian(
            instance, p, fixed=fixed, capacity=capacity, time_limit_s=time_limit_s
        )
    solved = plan_from_result(sites, result, instance, rows, cols)
    if threshold_min > limit:  # pairs beyond the limit are not in the instance
        return solved
    return dataclasses.replace(
        solved,
        covered_fixed=covered_by(instance, fixed, threshold_min),
        covered_chosen=covered_by(instance, result.sites, threshold_min),
    )


def plan_from_result(
    sites: gpd.GeoDataFrame, result: Result, instance: Instance, rows: np.ndarray, cols: np.ndarray
) -> Plan:
    """Wrap a solver result as a :class:`Plan` (each demand cell's minutes to its site).

    Parameters
    ----------
    sites
        The candidates solved over.
    result
        The solver's result.
    instance
        The instance solved (for the travel times).
    rows, cols
        Grid cell of each demand point.

    Returns
    -------
    Plan
        Sites with ``chosen``, the result and the assignment.
    """
    lookup = pd.Series(
        instance.minutes, index=pd.MultiIndex.from_arrays([instance.origin, instance.site])
    )
    has = result.assigned >= 0
    minutes = np.full(len(instance.demand), np.inf)
    keys = pd.MultiIndex.from_arrays([np.flatnonzero(has), result.assigned[has]])
    minutes[has] = lookup.reindex(keys).to_numpy()
    chosen = sites.copy()
    chosen["chosen"] = False
    chosen.loc[chosen.index[result.sites], "chosen"] = True
    return Plan(sites=chosen, result=result, rows=rows, cols=cols, minutes=minutes)


def site_table(plan: Plan, threshold_min: float, layers: InputLayers | None = None) -> pd.DataFrame:
    """One row per chosen site: where it is, people assigned and covered, mean time.

    Parameters
    ----------
    plan
        A solved plan.
    threshold_min
        Coverage time reported.
    layers
        The run's inputs: the township of each site, and its coordinates in the facility
        list's own system (GCJ-02 or BD-09, as pasted into AMap or Baidu), when given.

    Returns
    -------
    pandas.DataFrame
        ``site_id, name, level, kind, fixed, township_code, township, lon, lat`` (WGS-84),
        ``lon_gcj02, lat_gcj02`` (or ``…_bd09``; when the facilities came in that system),
        ``population_assigned, covered, mean_min``.
    """
    result = plan.result
    sites = plan.sites
    n = len(sites)
    served = result.served
    assigned = result.assigned
    ok = assigned >= 0
    population = np.bincount(assigned[ok], weights=served[ok], minlength=n)
    within = ok & (plan.minutes <= threshold_min)
    covered = np.bincount(assigned[within], weights=served[within], minlength=n)
    time = np.bincount(assigned[ok], weights=served[ok] * plan.minutes[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(population > 0, time / population, np.nan)
    idx = result.sites
    lon, lat = sites.geometry.x.to_numpy()[idx], sites.geometry.y.to_numpy()[idx]
    table = pd.DataFrame(
        {
            "site_id": sites["site_id"].to_numpy()[idx],
            "name": sites["name"].to_numpy()[idx],
            "level": sites["level"].to_numpy()[idx],
            "kind": sites["kind"].to_numpy()[idx],
            "fixed": sites["fixed"].to_numpy()[idx],
        }
    )
    if layers is not None:
        code, name = township_of(layers, lon, lat)
        table["township_code"], table["township"] = code, name
    table["lon"], table["lat"] = lon, lat
    if layers is not None:
        for column, values in input_coordinates(layers, lon, lat).items():
            table[column] = values
    table["population_assigned"] = population[idx]
    table["covered"] = covered[idx]
    table["mean_min"] = mean[idx]
    return table


def input_coordinates(
    layers: InputLayers, lon: np.ndarray, lat: np.ndarray
) -> dict[str, np.ndarray]:
    """WGS-84 points in the facility list's own system, when it came from AMap or Baidu.

    Parameters
    ----------
    layers
        The run's inputs (the system the facility list was read in).
    lon, lat
        WGS-84 degrees.

    Returns
    -------
    dict
        ``{"lon_gcj02": …, "lat_gcj02": …}`` (or ``…_bd09``); empty for WGS-84 input.
    """
    system = layers.facilities.attrs.get(
        "coordinate_system", layers.settings.facilities.coordinate_system
    )
    if system not in ("gcj02", "bd09"):
        return {}
    x, y = coords.from_wgs84(np.asarray(lon, float), np.asarray(lat, float), system)
    return {f"lon_{system}": x, f"lat_{system}": y}


def township_of(
    layers: InputLayers, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Code and name of the township holding each WGS-84 point (empty outside every one).

    Parameters
    ----------
    layers
        The run's inputs.
    lon, lat
        WGS-84 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        Township codes and names (object arrays; ``""`` for a point in none).
    """
    towns = layers.townships
    row = layers.township_of(lon, lat)
    codes = np.append(towns["code"].astype(str).to_numpy(dtype=object), "")
    names = np.append(towns["name"].astype(str).to_numpy(dtype=object), "")
    return codes[row], names[row]  # -1: the last, ""


def assignment_layers(plan: Plan, layers: InputLayers) -> dict[str, gpd.GeoDataFrame]:
    """GeoPackage layers of a plan: ``sites`` (all candidates), ``catchments``, ``unassigned``.

    Parameters
    ----------
    plan
        A solved plan.
    layers
        The run's inputs.

    Returns
    -------
    dict
        Layer name → frame (EPSG:4326).
    """
    grid = layers.population
    nearest = np.full(grid.shape, -1, dtype=np.int64)
    nearest[plan.rows, plan.cols] = plan.result.assigned
    catch = catchments.catchment_polygons(
        grid, nearest, plan.sites.rename(columns={"site_id": "facility_id"})
    )
    catch = catch.rename(columns={"facility_id": "site_id"})
    minutes = np.full(grid.shape, np.nan)
    minutes[plan.rows, plan.cols] = np.where(plan.result.assigned >= 0, 0.0, np.inf)
    unassigned = catchments.uncovered_cells(grid, minutes, 0.0).drop(columns="minutes")
    return {"sites": plan.sites, "catchments": catch, "unassigned": unassigned}
