"""The rural regional medical centre preset (农村区域性医疗卫生中心, the Yangzhou model).

Chosen township hospitals are upgraded to secondary level; each serves its own township and
neighbouring ones. The rule, as plans state it: each centre's catchment spans 2–3 townships
holding 100–200 thousand people, and as many residents as possible are within 15 minutes by
car of their centre. Townships whose people mostly reach an existing secondary hospital
within that time already have one and are left out.

The model, solved with HiGHS: ``x_j`` opens candidate ``j``, ``z_tj`` assigns township ``t``
(``j``'s own township or one sharing a boundary with it) to ``j``. Each township goes to at
most one centre, a centre serves its own township, the townships and people of a centre stay
within the rule's ranges, and the objective is the people within the time of their own
centre (on the engine's cell travel times). Rules that no candidate can meet are explained
before solving (which bound, by how much).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csc_matrix, hstack, vstack

from geohealth import reach, traveltime
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import group_of
from geohealth.network import snap
from geohealth.referral import ORIGIN_LEVEL, referral_table
from geohealth.siting import plan
from geohealth.siting.milp import Model, Solution, SolverError, solve
from geohealth.siting.problems import InfeasibleRuleError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegionalRule:
    """The rule a rural regional medical centre plan must meet.

    Attributes
    ----------
    min_population, max_population
        People in a centre's catchment (Yangzhou: 100 000–200 000).
    min_townships, max_townships
        Townships in a catchment, the centre's own included (Yangzhou: 2–3).
    threshold_min
        Travel time to the centre that counts as covered (Yangzhou: 15 min by car).
    served_share
        Townships where at least this share of people already reach an existing secondary
        hospital within ``threshold_min`` are left out (``> 1``: keep every township).
    max_trip_min
        A township joins a centre only if the drive from its health centre (or an inner
        point) to the centre takes at most this long.
    """

    min_population: float = 100_000.0
    max_population: float = 200_000.0
    min_townships: int = 2
    max_townships: int = 3
    threshold_min: float = 15.0
    served_share: float = 0.5
    max_trip_min: float = 60.0

    def validate(self) -> None:
        """Raise :class:`ConfigError` when the ranges are empty or negative."""
        if not 0 <= self.min_population <= self.max_population:
            msg = (
                f"catchment population range {self.min_population:,.0f}–"
                f"{self.max_population:,.0f} is empty — give min ≤ max, both ≥ 0"
            )
            raise ConfigError(msg)
        if not 1 <= self.min_townships <= self.max_townships:
            msg = (
                f"townships per centre {self.min_townships}–{self.max_townships} is empty — "
                "give 1 ≤ min ≤ max"
            )
            raise ConfigError(msg)
        if self.max_trip_min <= 0:
            msg = f"longest trip to a centre must be > 0 minutes, got {self.max_trip_min:g}"
            raise ConfigError(msg)
        if self.threshold_min <= 0:
            msg = f"threshold must be > 0 minutes, got {self.threshold_min:g}"
            raise ConfigError(msg)

    def describe(self) -> str:
        """Say the rule in one phrase, for messages."""
        return (
            f"{self.min_townships}–{self.max_townships} townships and "
            f"{self.min_population:,.0f}–{self.max_population:,.0f} people per centre"
        )


@dataclass(frozen=True)
class RegionalPlan:
    """A solved regional-centre plan.

    Attributes
    ----------
    townships
        One row per township: ``code, name, population, secondary_share`` (people within the
        time of an existing secondary hospital), ``eligible``, ``note``, ``centre_id``,
        ``centre_name``, ``covered`` (people within the time of their centre),
        ``share_covered``, ``centre_min`` (drive from the township's health centre — or an
        inner point when it has none — to its centre).
    centres
        One row per chosen centre: ``site_id, name, township_code, township, townships,
        n_townships, population, covered, share_covered, lon, lat`` (WGS-84) and, when the
        facility list came from AMap or Baidu, ``lon_gcj02, lat_gcj02`` (or ``…_bd09``).
    sites
        Every candidate (EPSG:4326) with ``township`` and ``chosen``.
    solution
        The solver's answer (objective = people covered, bound, gap, status, seconds).
    rule
        The rule solved for.
    """

    townships: pd.DataFrame
    centres: pd.DataFrame
    sites: gpd.GeoDataFrame
    solution: Solution
    rule: RegionalRule


def neighbours(townships: gpd.GeoDataFrame, metric_crs: object) -> list[set[int]]:
    """Townships sharing a boundary (not just a corner) with each township.

    Parameters
    ----------
    townships
        Township polygons.
    metric_crs
        A metric CRS for measuring shared boundary length.

    Returns
    -------
    list of set
        For township ``i`` (row order), the rows of its neighbours.
    """
    metric = townships.to_crs(metric_crs).geometry.reset_index(drop=True)
    left, right = metric.sindex.query(metric, predicate="intersects")
    out: list[set[int]] = [set() for _ in range(len(metric))]
    for a, b in zip(left, right, strict=True):
        if a < b:
            shared = metric.iloc[a].boundary.intersection(metric.iloc[b].boundary).length
            if shared > 1.0:
                out[a].add(int(b))
                out[b].add(int(a))
    return out


def _own_township(sites: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(
        sites[["geometry"]], townships[["geometry"]].reset_index(drop=True), predicate="within"
    )
    own = np.full(len(sites), -1, dtype=np.int64)
    joined = joined[~joined.index.duplicated()]
    own[sites.index.get_indexer(joined.index)] = joined["index_right"].to_numpy()
    return own


def _options(
    own: int, near: list[int], population: np.ndarray, rule: RegionalRule
) -> tuple[bool, float, tuple[int, ...]]:
    """Whether a centre in ``own`` can meet the rule; the largest catchment it can gather."""
    best: tuple[float, tuple[int, ...]] = (population[own], (own,))
    ok = False
    for k in range(0, rule.max_townships):
        for extra in itertools.combinations(near, k):
            members = (own, *extra)
            total = float(population[list(members)].sum())
            if total > best[0]:
                best = (total, members)
            if (
                len(members) >= rule.min_townships
                and rule.min_population <= total <= rule.max_population
            ):
                ok = True
    return ok, best[0], best[1]


def _explain_none(
    sites: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    largest: list[tuple[float, tuple[int, ...], int]],
    rule: RegionalRule,
) -> str:
    if not largest:
        return (
            "no candidate lies in a township that needs a regional centre (every township "
            "with a candidate already reaches a secondary hospital) — add candidates"
        )
    most, members, j = max(largest)
    names = "、".join(townships["name"].iloc[list(members)].astype(str))
    head = f"no candidate can be a regional centre under the rule ({rule.describe()}): "
    if most < rule.min_population:
        return (
            head + f"the largest catchment of at most {rule.max_townships} neighbouring "
            f"townships within {rule.max_trip_min:g} min is {most:,.0f} people "
            f"({sites['name'].iloc[j]}: {names}), "
            f"{rule.min_population - most:,.0f} short of {rule.min_population:,.0f} — lower "
            "--min-population, raise --max-townships or --max-trip"
        )
    return (
        head + "no combination of a candidate's township and its neighbours falls inside both "
        "ranges (too few neighbours, or every combination holds too many people) — widen "
        "the ranges"
    )


def solve_regional(
    layers: InputLayers,
    rule: RegionalRule | None = None,
    *,
    levels: tuple[str, ...] = ("township_health_centre",),
    p: int | None = None,
    mode: str = "drive",
    time_limit_s: float = 600.0,
) -> RegionalPlan:
    """Choose township hospitals to upgrade into rural regional medical centres.

    Parameters
    ----------
    layers
        The run's inputs.
    rule
        The catchment rule (Yangzhou defaults).
    levels
        Existing facilities of these levels are the candidates.
    p
        Number of centres; any number the rule allows when None.
    mode
        Travel mode for the time rule.
    time_limit_s
        Solver time limit.

    Returns
    -------
    RegionalPlan
        Centres, township assignment and the solver's bound and gap.

    Raises
    ------
    InfeasibleRuleError
        If no candidate, or not ``p`` candidates together, can meet the rule; the message
        says which bound and by how much.
    """
    rule = rule or RegionalRule()
    rule.validate()
    towns = layers.townships.reset_index(drop=True)
    sites = plan.candidates(layers, levels=levels)
    sites["township"] = _own_township(sites, towns)
    outside = sites["township"] < 0
    if outside.any():
        log.warning("%d candidates lie outside every township and are left out", outside.sum())
        sites = sites[~outside].reset_index(drop=True)
    facilities = layers.facilities
    secondary = facilities[
        facilities["level"].map(group_of).eq("secondary")
        & ~facilities["facility_id"].astype(str).isin(sites["site_id"])
    ].to_crs(4326)
    g = reach.graphs(layers, modes=(mode,))[mode]
    everything = gpd.GeoDataFrame(
        pd.concat(
            [sites[["name", "geometry"]], secondary[["name", "geometry"]]], ignore_index=True
        ),
        crs=4326,
    )
    attached = snap.attach_facilities(g, everything, max_snap_m=layers.settings.network.max_snap_m)
    grid = layers.population
    rows, cols, pairs = traveltime.cell_pair_times(g, grid, attached, limit_min=rule.threshold_min)
    people = grid.values[rows, cols]
    town_of_cell = layers.township_index()[rows, cols]
    n_t, m = len(towns), len(sites)
    inside = town_of_cell >= 0
    population = np.bincount(town_of_cell[inside], weights=people[inside], minlength=n_t)
    is_secondary = pairs.facility >= m
    reached = np.zeros(len(people), bool)
    reached[pairs.origin[is_secondary]] = True
    served = np.bincount(
        town_of_cell[inside & reached], weights=people[inside & reached], minlength=n_t
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        secondary_share = np.where(population > 0, served / population, 0.0)
    eligible = secondary_share < rule.served_share
    near = neighbours(towns, layers.region.metric_crs)
    reps = _township_points(towns, facilities)
    rep_att = snap.attach_facilities(g, reps, max_snap_m=layers.settings.network.max_snap_m)
    to_site = traveltime.facility_matrix(g, rep_att, attached.take(np.arange(m)))
    to_site[reps["facility_id"].to_numpy()[:, None] == sites["site_id"].to_numpy()[None, :]] = 0.0

    own = sites["township"].to_numpy()
    keep = eligible[own]
    allowed = [
        [t for t in sorted(near[own[j]]) if eligible[t] and to_site[t, j] <= rule.max_trip_min]
        for j in range(m)
    ]
    largest: list[tuple[float, tuple[int, ...], int]] = []
    viable = np.zeros(m, bool)
    for j in np.flatnonzero(keep):
        ok, most, members = _options(int(own[j]), allowed[j], population, rule)
        viable[j] = ok
        largest.append((most, members, int(j)))
    if not viable.any():
        raise InfeasibleRuleError(_explain_none(sites, towns, largest, rule))
    if p is not None and p > viable.sum():
        msg = (
            f"p = {p} but only {int(viable.sum())} candidates can each gather "
            f"{rule.describe()} — lower p or widen the rule"
        )
        raise InfeasibleRuleError(msg)

    # allowed (township, centre) pairs and the people of each within the time
    pt, pj = [], []
    for j in np.flatnonzero(viable):
        for t in [int(own[j]), *allowed[j]]:
            pt.append(t)
            pj.append(int(j))
    pt_arr, pj_arr = np.array(pt), np.array(pj)
    near_pair = pairs.facility < m
    covered = (
        pd.Series(people[pairs.origin[near_pair]])
        .groupby([town_of_cell[pairs.origin[near_pair]], pairs.facility[near_pair]])
        .sum()
    )
    gain = covered.reindex(pd.MultiIndex.from_arrays([pt_arr, pj_arr]), fill_value=0.0)
    gain = gain.to_numpy(dtype=float)
    args = (pt_arr, pj_arr, gain, population, own, viable, n_t, m, rule, p)
    solution, x = _solve(args, to_site[pt_arr, pj_arr], time_limit_s)
    z = x[m:] > 0.5
    chosen = np.flatnonzero(x[:m] > 0.5)
    minutes = np.full(n_t, np.nan)
    minutes[pt_arr[z]] = to_site[pt_arr[z], pj_arr[z]]
    result = _plan(
        towns,
        sites,
        chosen,
        pt_arr[z],
        pj_arr[z],
        gain[z],
        population,
        secondary_share,
        eligible,
        minutes,
        solution,
        rule,
    )
    centres = result.centres
    if len(centres):  # where each centre is, as the planner's own files say it
        lon, lat = centres["lon"].to_numpy(), centres["lat"].to_numpy()
        centres.insert(2, "township_code", plan.township_of(layers, lon, lat)[0])
        for column, values in plan.input_coordinates(layers, lon, lat).items():
            centres[column] = values
    return result


def _township_points(towns: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Where each township's trips to a centre start: its health centre, else an inner point."""
    thc = facilities[facilities["level"] == ORIGIN_LEVEL].to_crs(4326)
    joined = gpd.sjoin(thc[["geometry"]], towns[["geometry"]].to_crs(4326), predicate="within")
    first = joined[~joined["index_right"].duplicated()]
    points = towns.to_crs(4326).geometry.representative_point().to_numpy()
    ids = np.full(len(towns), None, dtype=object)
    points[first["index_right"].to_numpy()] = thc.geometry.loc[first.index].to_numpy()
    ids[first["index_right"].to_numpy()] = thc["facility_id"].astype(str).loc[first.index]
    return gpd.GeoDataFrame(
        {"facility_id": ids, "name": towns["name"].astype(str)}, geometry=points, crs=4326
    )


def _model(
    pt: np.ndarray,
    pj: np.ndarray,
    gain: np.ndarray,
    population: np.ndarray,
    own: np.ndarray,
    viable: np.ndarray,
    n_t: int,
    m: int,
    rule: RegionalRule,
    p: int | None,
    count_only: bool = False,
) -> Model:
    k = len(pt)
    ks = np.arange(k)

    def x_part(rows: object, cols: object, vals: object, n: int) -> coo_matrix:
        return coo_matrix((vals, (rows, cols)), shape=(n, m))

    def z_part(rows: object, cols: object, vals: object, n: int) -> coo_matrix:
        return coo_matrix((vals, (rows, cols)), shape=(n, k))

    blocks = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    # each township at most one centre
    blocks.append(hstack([x_part([], [], [], n_t), z_part(pt, ks, np.ones(k), n_t)]))
    lo.append(np.full(n_t, -np.inf))
    hi.append(np.ones(n_t))
    # z_tj ≤ x_j
    blocks.append(hstack([x_part(ks, pj, -np.ones(k), k), z_part(ks, ks, np.ones(k), k)]))
    lo.append(np.full(k, -np.inf))
    hi.append(np.zeros(k))
    # a centre serves its own township: z_{own(j), j} = x_j
    own_pair = np.flatnonzero(pt == own[pj])
    n_own = len(own_pair)
    r = np.arange(n_own)
    blocks.append(
        hstack(
            [
                x_part(r, pj[own_pair], -np.ones(n_own), n_own),
                z_part(r, own_pair, np.ones(n_own), n_own),
            ]
        )
    )
    lo.append(np.zeros(n_own))
    hi.append(np.zeros(n_own))
    # townships and people per centre within the ranges
    js = np.arange(m)
    for weights, low, high in (
        (np.ones(k), rule.min_townships, rule.max_townships),
        (population[pt], rule.min_population, rule.max_population),
    ):
        blocks.append(hstack([x_part(js, js, -np.full(m, low), m), z_part(pj, ks, weights, m)]))
        lo.append(np.zeros(m))
        hi.append(np.full(m, np.inf))
        blocks.append(hstack([x_part(js, js, -np.full(m, high), m), z_part(pj, ks, weights, m)]))
        lo.append(np.full(m, -np.inf))
        hi.append(np.zeros(m))
    if p is not None and not count_only:
        blocks.append(hstack([x_part(np.zeros(m), js, np.ones(m), 1), z_part([], [], [], 1)]))
        lo.append(np.array([p]))
        hi.append(np.array([p]))
    upper_x = viable.astype(float)
    cost = (
        np.concatenate([np.ones(m), np.zeros(k)])
        if count_only
        else np.concatenate([np.zeros(m), gain])
    )
    return Model(
        cost=cost,
        matrix=csc_matrix(vstack(blocks)),
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(hi),
        lower=np.zeros(m + k),
        upper=np.concatenate([upper_x, np.ones(k)]),
        integer=np.ones(m + k, bool),
        maximize=True,
    )


def _solve(args: tuple, minutes: np.ndarray, time_limit_s: float) -> tuple[Solution, np.ndarray]:
    """Most people covered; among such plans, the least people-weighted trip to the centre.

    Returns the coverage solve (objective, bound, gap) and the chosen variables.
    """
    pt, _, _, population, _, _, _, m, rule, p = args
    try:
        model = _model(*args)
        first = solve(model, time_limit_s=time_limit_s)
    except SolverError:
        if p is None:
            raise
    else:
        floor = first.objective - 1e-7 * max(abs(first.objective), 1.0)
        row = csc_matrix(np.concatenate([np.zeros(m), model.cost[m:]])[None, :])
        tie = dataclasses.replace(
            model,
            cost=np.concatenate([np.zeros(m), population[pt] * np.nan_to_num(minutes, posinf=1e4)]),
            matrix=csc_matrix(vstack([model.matrix, row])),
            row_lower=np.append(model.row_lower, floor),
            row_upper=np.append(model.row_upper, np.inf),
            maximize=False,
        )
        try:
            second = solve(tie, time_limit_s=time_limit_s)
        except SolverError:
            return first, first.x
        return first, second.x
    most = solve(_model(*args, count_only=True), time_limit_s=time_limit_s)
    msg = (
        f"at most {round(most.objective)} regional centres can meet the rule together "
        f"({rule.describe()}, no township shared), asked for p = {p} — lower p or widen the rule"
    )
    raise InfeasibleRuleError(msg)


def _plan(
    towns: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    chosen: np.ndarray,
    zt: np.ndarray,
    zj: np.ndarray,
    zgain: np.ndarray,
    population: np.ndarray,
    secondary_share: np.ndarray,
    eligible: np.ndarray,
    minutes: np.ndarray,
    solution: Solution,
    rule: RegionalRule,
) -> RegionalPlan:
    n_t = len(towns)
    centre = np.full(n_t, -1, dtype=np.int64)
    centre[zt] = zj
    got = np.zeros(n_t)
    got[zt] = zgain
    ids = sites["site_id"].to_numpy()
    names = sites["name"].to_numpy()
    has = centre >= 0
    note = np.where(
        eligible,
        np.where(has, "", "no centre within the rule"),
        f"≥{rule.served_share:.0%} already within {rule.threshold_min:g} min of a secondary "
        "hospital",
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(has & (population > 0), got / population, np.nan)
    townships = pd.DataFrame(
        {
            "code": towns["code"].astype(str).to_numpy(),
            "name": towns["name"].astype(str).to_numpy(),
            "population": population,
            "secondary_share": secondary_share,
            "eligible": eligible,
            "note": note,
            "centre_id": np.where(has, ids[np.maximum(centre, 0)], None),
            "centre_name": np.where(has, names[np.maximum(centre, 0)], None),
            "covered": np.where(has, got, np.nan),
            "share_covered": share,
            "centre_min": minutes,
        }
    )
    rows = []
    for j in chosen:
        mine = np.flatnonzero(centre == j)
        pop = float(population[mine].sum())
        cov = float(got[mine].sum())
        rows.append(
            {
                "site_id": ids[j],
                "name": names[j],
                "township": towns["name"].iloc[sites["township"].iloc[j]],
                "townships": "、".join(towns["name"].iloc[mine].astype(str)),
                "n_townships": len(mine),
                "population": pop,
                "covered": cov,
                "share_covered": cov / pop if pop > 0 else np.nan,
                "lon": sites.geometry.x.iloc[j],
                "lat": sites.geometry.y.iloc[j],
            }
        )
    centres = pd.DataFrame(rows)
    out = sites.copy()
    out["chosen"] = False
    out.loc[out.index[chosen], "chosen"] = True
    log.info(
        "regional centres: %d chosen, %s of %s people covered within %g min",
        len(chosen),
        f"{got.sum():,.0f}",
        f"{population[has].sum():,.0f}",
        rule.threshold_min,
    )
    return RegionalPlan(
        townships=townships, centres=centres, sites=out, solution=solution, rule=rule
    )


def referral(layers: InputLayers, result: RegionalPlan, *, mode: str = "drive") -> pd.DataFrame:
    """Township health centre → secondary care before and after the plan, and to its centre.

    Parameters
    ----------
    layers
        The run's inputs.
    result
        The plan (its chosen centres become ``rural_regional_centre``).
    mode
        Travel mode.

    Returns
    -------
    pandas.DataFrame
        From :func:`geohealth.referral.referral_table` with ``centre_id, centre,
        centre_min`` for townships the plan assigns.
    """
    before = layers.facilities
    chosen = set(result.sites.loc[result.sites["chosen"], "site_id"].astype(str))
    after = before.copy()
    after.loc[after["facility_id"].astype(str).isin(chosen), "level"] = "rural_regional_centre"
    towns = result.townships
    assigned = towns.loc[towns["centre_id"].notna()].set_index("code")["centre_id"].astype(str)
    g = reach.graphs(layers, modes=(mode,))[mode]
    return referral_table(
        g,
        layers.townships,
        before,
        after,
        assigned=assigned,
        max_snap_m=layers.settings.network.max_snap_m,
    )
