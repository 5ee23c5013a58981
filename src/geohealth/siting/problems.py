"""Location–allocation on network travel times, solved to proven optimality with HiGHS.

An :class:`Instance` is demand (persons per point, e.g. population cells), candidate sites and
the travel times between them within some limit (from :mod:`geohealth.traveltime`). Problems:

- :func:`mclp` — maximal covering: open ``p`` sites to maximise the people within ``T``
  minutes (optionally capacitated: a site serves at most its capacity);
- :func:`lscp` — set covering: the fewest sites so that everyone (or a share) is within ``T``;
- :func:`pmedian` — minimise the population-weighted travel time with ``p`` sites (optionally
  capacitated); uncapacitated at plan scale by :mod:`geohealth.siting.pmedian`.

Sites can be fixed as already open (existing facilities count towards ``p``). Rules that cannot
all hold are explained (which one, by how much) before the solver is asked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix, csr_matrix, diags, hstack, vstack
from scipy.sparse import eye as speye

from geohealth.errors import GeohealthError
from geohealth.siting.milp import Model, Solution, solve
from geohealth.siting.pmedian import PMedianSolution, solve_pmedian

log = logging.getLogger(__name__)


class InfeasibleRuleError(GeohealthError):
    """The siting rules cannot all hold; the message says which and by how much."""


@dataclass(frozen=True)
class Instance:
    """A siting instance.

    Attributes
    ----------
    demand
        Persons at each demand point.
    n_sites
        Number of candidate sites.
    origin, site, minutes
        Travel time from demand point ``origin[k]`` to site ``site[k]`` (pairs not listed are
        beyond every limit used).
    """

    demand: np.ndarray
    n_sites: int
    origin: np.ndarray
    site: np.ndarray
    minutes: np.ndarray

    def within(self, limit_min: float) -> csr_matrix:
        """Demand × sites matrix of minutes for pairs within a limit (zeros stored as 1e-9)."""
        keep = self.minutes <= limit_min
        return csr_matrix(
            (np.maximum(self.minutes[keep], 1e-9), (self.origin[keep], self.site[keep])),
            shape=(len(self.demand), self.n_sites),
        )


@dataclass(frozen=True)
class Result:
    """A siting solution.

    Attributes
    ----------
    sites
        Indices of the open sites (fixed ones included), ascending.
    objective, bound, gap, status, seconds
        From the solver: the objective of ``sites``, the proven bound, the relative gap.
    assigned
        Site serving each demand point (``-1`` for none): the nearest open site within the
        problem's limit, or the solver's allocation for capacitated problems (the site
        taking the largest share of the point's people).
    served
        Persons of each demand point served (covered, or allocated under capacity).
    """

    sites: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    assigned: np.ndarray
    served: np.ndarray


def _check_p(instance: Instance, p: int, fixed: Sequence[int]) -> np.ndarray:
    fixed_arr = np.unique(np.asarray(fixed, dtype=np.int64))
    if p < 1:
        msg = f"p = {p}: open at least one site"
        raise InfeasibleRuleError(msg)
    if p > instance.n_sites:
        msg = (
            f"p = {p} but there are only {instance.n_sites} candidate sites — give --p "
            f"{instance.n_sites} or less, or more candidates (--grid, --level)"
        )
        raise InfeasibleRuleError(msg)
    if len(fixed_arr) > p:
        msg = (
            f"{len(fixed_arr)} sites are fixed open but p = {p}: p counts them — give --p "
            f"{len(fixed_arr) + 1} or more, or --add N to open N new sites on top of them"
        )
        raise InfeasibleRuleError(msg)
    if len(fixed_arr) and (fixed_arr.min() < 0 or fixed_arr.max() >= instance.n_sites):
        msg = "a fixed site is not among the candidates"
        raise InfeasibleRuleError(msg)
    return fixed_arr


def _groups(cover: csr_matrix) -> tuple[np.ndarray, csr_matrix]:
    """Merge demand rows that see exactly the same sites: (group of each row, group × sites)."""
    cover = csr_matrix(cover, copy=True)
    cover.sort_indices()
    keys = [
        cover.indices[cover.indptr[i] : cover.indptr[i + 1]].tobytes()
        for i in range(cover.shape[0])
    ]
    group, uniques = pd.factorize(pd.Series(keys, dtype=object))
    first = np.zeros(len(uniques), dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    pattern = csr_matrix(cover[first])
    pattern.data[:] = 1.0
    return group, pattern


def _sites_of(solution: Solution, n_sites: int) -> np.ndarray:
    return np.flatnonzero(solution.x[:n_sites] > 0.5)


def _nearest_open(instance: Instance, sites: np.ndarray, limit_min: float) -> np.ndarray:
    keep = (instance.minutes <= limit_min) & np.isin(instance.site, sites)
    frame = pd.DataFrame(
        {"o": instance.origin[keep], "s": instance.site[keep], "t": instance.minutes[keep]}
    ).sort_values(["o", "t", "s"])
    best = frame.drop_duplicates("o")
    assigned = np.full(len(instance.demand), -1, dtype=np.int64)
    assigned[best["o"].to_numpy()] = best["s"].to_numpy()
    return assigned


def _binary_bounds(n: int, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lower = np.zeros(n)
    lower[fixed] = 1.0
    return lower, np.ones(n)


def mclp(
    instance: Instance,
    p: int,
    threshold_min: float,
    *,
    fixed: Sequence[int] = (),
    capacity: np.ndarray | None = None,
    time_limit_s: float = 600.0,
) -> Result:
    """Maximal covering: open ``p`` sites to cover the most people within a time.

    Parameters
    ----------
    instance
        Demand, sites and travel times.
    p
        Sites to open (fixed ones included).
    threshold_min
        A person is covered when an open site is within this many minutes.
    fixed
        Sites already open.
    capacity
        Persons each site can serve (capacitated variant); uncapacitated when None.
    time_limit_s
        Solver time limit.

    Returns
    -------
    Result
        Objective = persons covered.

    Raises
    ------
    InfeasibleRuleError
        If ``p`` or the fixed sites cannot hold.
    """
    fixed_arr = _check_p(instance, p, fixed)
    m = instance.n_sites
    cover = instance.within(threshold_min)
    reachable = np.flatnonzero(np.diff(cover.indptr) > 0)
    weights = instance.demand
    if capacity is None:
        group, pattern = _groups(cover[reachable])
        w = np.bincount(group, weights=weights[reachable], minlength=pattern.shape[0])
        k = pattern.shape[0]
        # rows: y_g − Σ_{j∈S_g} x_j ≤ 0 ; Σ x_j = p
        a = vstack(
            [
                hstack([-pattern, speye(k)]),
                hstack([csr_matrix(np.ones((1, m))), csr_matrix((1, k))]),
            ]
        )
        lower, upper = _binary_bounds(m, fixed_arr)
        model = Model(
            cost=np.concatenate([np.zeros(m), w]),
            matrix=csc_matrix(a),
            row_lower=np.concatenate([np.full(k, -np.inf), [p]]),
            row_upper=np.concatenate([np.zeros(k), [p]]),
            lower=np.concatenate([lower, np.zeros(k)]),
            upper=np.concatenate([upper, np.ones(k)]),
            integer=np.concatenate([np.ones(m, bool), np.zeros(k, bool)]),
            maximize=True,
        )
        solution = solve(model, time_limit_s=time_limit_s)
        sites = _sites_of(solution, m)
        assigned = _nearest_open(instance, sites, threshold_min)
        served = np.where(assigned >= 0, weights, 0.0)
        return _result(solution, sites, assigned, served)
    return _capacitated(
        instance, p, fixed_arr, cover, np.asarray(capacity, float), time_limit_s, covering=True
    )


def _capacitated(
    instance: Instance,
    p: int,
    fixed: np.ndarray,
    pairs: csr_matrix,
    capacity: np.ndarray,
    time_limit_s: float,
    *,
    covering: bool,
) -> Result:
    """Capacitated MCLP (``covering``) or p-median: persons flow from points to open sites.

    Variables: x_j (open), f_k (persons of pair k's point sent to its site). MCLP maximises
    Σ f; p-median sends every person and minimises Σ minutes · f.
    """
    m = instance.n_sites
    coo = pairs.tocoo()
    n_pairs = coo.nnz
    w = instance.demand
    by_point = csr_matrix(
        (np.ones(n_pairs), (coo.row, np.arange(n_pairs))), shape=(len(w), n_pairs)
    )
    by_site = csr_matrix((np.ones(n_pairs), (coo.col, np.arange(n_pairs))), shape=(m, n_pairs))
    open_link = csr_matrix((-w[coo.row], (np.arange(n_pairs), coo.col)), shape=(n_pairs, m))
    rows = [
        hstack([csr_matrix((len(w), m)), by_point]),  # Σ_j f ≤ (or =) w_i
        hstack([-diags(capacity), by_site]),  # Σ_i f ≤ C_j x_j
        hstack([open_link, speye(n_pairs)]),  # f_k ≤ w_i x_j
        hstack([csr_matrix(np.ones((1, m))), csr_matrix((1, n_pairs))]),  # Σ x = p
    ]
    row_lower = np.concatenate(
        [np.zeros(len(w)) if covering else w, np.full(m, -np.inf), np.full(n_pairs, -np.inf), [p]]
    )
    row_upper = np.concatenate([w, np.zeros(m), np.zeros(n_pairs), [p]])
    lower, upper = _binary_bounds(m, fixed)
    cost = np.concatenate([np.zeros(m), np.ones(n_pairs) if covering else coo.data])
    model = Model(
        cost=cost,
        matrix=csc_matrix(vstack(rows)),
        row_lower=row_lower,
        row_upper=row_upper,
        lower=np.concatenate([lower, np.zeros(n_pairs)]),
        upper=np.concatenate([upper, np.full(n_pairs, np.inf)]),
        integer=np.concatenate([np.ones(m, bool), np.zeros(n_pairs, bool)]),
        maximize=covering,
    )
    solution = solve(model, time_limit_s=time_limit_s)
    sites = _sites_of(solution, m)
    flow = solution.x[m:]
    served = np.bincount(coo.row, weights=flow, minlength=len(w))
    frame = pd.DataFrame({"o": coo.row, "s": coo.col, "f": flow})
    frame = frame[frame["f"] > 1e-9].sort_values(["o", "f"], ascending=[True, False])
    top = frame.drop_duplicates("o")
    assigned = np.full(len(w), -1, dtype=np.int64)
    assigned[top["o"].to_numpy()] = top["s"].to_numpy()
    return _result(solution, sites, assigned, served)


def _result(
    solution: Solution | PMedianSolution,
    sites: np.ndarray,
    assigned: np.ndarray,
    served: np.ndarray,
) -> Result:
    return Result(
        sites=sites,
        objective=solution.objective,
        bound=solution.bound,
        gap=solution.gap,
        status=solution.status,
        seconds=solution.seconds,
        assigned=assigned,
        served=served,
    )


def lscp(
    instance: Instance,
    threshold_min: float,
    *,
    share: float = 1.0,
    fixed: Sequence[int] = (),
    time_limit_s: float = 600.0,
) -> Result:
    """Set covering: the fewest sites so that everyone (or a share of people) is within a time.

    Parameters
    ----------
    instance
        Demand, sites and travel times.
    threshold_min
        The time limit.
    share
        Share of all persons that must be covered (1: everyone).
    fixed
        Sites already open (counted in the objective).
    time_limit_s
        Solver time limit.

    Returns
    -------
    Result
        Objective = number of open sites.

    Raises
    ------
    InfeasibleRuleError
        If more people than allowed are beyond ``threshold_min`` of every candidate.
    """
    if not 0.0 < share <= 1.0:
        msg = f"share = {share}: give a share of people between 0 and 1"
        raise InfeasibleRuleError(msg)
    m = instance.n_sites
    fixed_arr = np.unique(np.asarray(fixed, dtype=np.int64))
    cover = instance.within(threshold_min)
    weights = instance.demand
    has = np.diff(cover.indptr) > 0
    total = float(weights.sum())
    coverable = float(weights[has].sum())
    if coverable < share * total - 1e-6:
        short = share * total - coverable
        msg = (
            f"{total - coverable:,.0f} people are beyond {threshold_min:g} min of every "
            f"candidate site, so at most {coverable / total:.1%} can be covered (asked "
            f"{share:.1%}; short by {short:,.0f}) — add candidates there or lower the share"
        )
        raise InfeasibleRuleError(msg)
    reachable = np.flatnonzero(has & (weights > 0))
    group, pattern = _groups(cover[reachable])
    k = pattern.shape[0]
    lower, upper = _binary_bounds(m, fixed_arr)
    if share >= 1.0:
        model = Model(
            cost=np.ones(m),
            matrix=csc_matrix(pattern),
            row_lower=np.ones(k),
            row_upper=np.full(k, np.inf),
            lower=lower,
            upper=upper,
            integer=np.ones(m, bool),
        )
    else:
        w = np.bincount(group, weights=weights[reachable], minlength=k)
        a = vstack(
            [hstack([-pattern, speye(k)]), hstack([csr_matrix((1, m)), csr_matrix(w[None, :])])]
        )
        model = Model(
            cost=np.concatenate([np.ones(m), np.zeros(k)]),
            matrix=csc_matrix(a),
            row_lower=np.concatenate([np.full(k, -np.inf), [share * total]]),
            row_upper=np.concatenate([np.zeros(k), [np.inf]]),
            lower=np.concatenate([lower, np.zeros(k)]),
            upper=np.concatenate([upper, np.ones(k)]),
            integer=np.concatenate([np.ones(m, bool), np.zeros(k, bool)]),
        )
    solution = solve(model, time_limit_s=time_limit_s)
    sites = _sites_of(solution, m)
    assigned = _nearest_open(instance, sites, threshold_min)
    return _result(solution, sites, assigned, np.where(assigned >= 0, weights, 0.0))


def pmedian(
    instance: Instance,
    p: int,
    *,
    fixed: Sequence[int] = (),
    capacity: np.ndarray | None = None,
    time_limit_s: float = 600.0,
    gap: float = 0.0,
) -> Result:
    """p-median: open ``p`` sites to minimise the population-weighted travel time.

    Every person is assigned to the nearest open site among the instance's pairs. People
    who can reach no candidate at all are left out (a one-line warning says how many); a
    plan that leaves someone beyond every open site counts them at 10 × the longest pair
    and says so. Uncapacitated problems are solved by :func:`geohealth.siting.pmedian.
    solve_pmedian` (vertex substitution, Lagrangian bounds, then HiGHS on what is left);
    capacitated ones by HiGHS on the flow model.

    Parameters
    ----------
    instance
        Demand, sites and travel times (pairs beyond the limit used to build it are not
        allowed assignments).
    p
        Sites to open (fixed ones included).
    fixed
        Sites already open.
    capacity
        Persons each site can serve (capacitated variant); uncapacitated when None.
    time_limit_s
        Solver time limit: the best plan found by then is returned, with its gap.
    gap
        Accept a plan proven within this relative gap of the optimum (0: prove it optimal).

    Returns
    -------
    Result
        Objective = person-minutes.

    Raises
    ------
    InfeasibleRuleError
        If ``p`` or the fixed sites cannot hold, or the capacity cannot serve everyone.
    """
    fixed_arr = _check_p(instance, p, fixed)
    m = instance.n_sites
    pairs = instance.within(np.inf)
    weights = instance.demand
    stranded = (np.diff(pairs.indptr) == 0) & (weights > 0)
    if stranded.any():
        log.warning(
            "%s people (%d demand cells) can reach no candidate site within the longest trip "
            "allowed (--max-minutes): left out of the plan — raise --max-minutes or add "
            "candidates near them",
            f"{weights[stranded].sum():,.0f}",
            int(stranded.sum()),
        )
        weights = np.where(stranded, 0.0, weights)
    if capacity is not None:
        capacity = np.asarray(capacity, dtype=float)
        best = np.sort(capacity[np.setdiff1d(np.arange(m), fixed_arr)])[::-1]
        possible = capacity[fixed_arr].sum() + best[: p - len(fixed_arr)].sum()
        if possible < weights.sum() - 1e-6:
            msg = (
                f"{p} sites can serve at most {possible:,.0f} people but "
                f"{weights.sum():,.0f} need a site (short by {weights.sum() - possible:,.0f}) — "
                "raise p or the capacities"
            )
            raise InfeasibleRuleError(msg)
        kept = Instance(weights, m, instance.origin, instance.site, instance.minutes)
        return _capacitated(kept, p, fixed_arr, pairs, capacity, time_limit_s, covering=False)
    found = solve_pmedian(
        weights,
        instance.origin,
        instance.site,
        instance.minutes,
        m,
        p,
        fixed=fixed_arr,
        time_limit_s=time_limit_s,
        gap=gap,
    )
    if found.unserved_people > 0:
        log.warning(
            "the best plan with p = %d leaves %s people beyond --max-minutes of every open site "
            "(counted at 10 × the longest trip each) — raise p or --max-minutes",
            p,
            f"{found.unserved_people:,.0f}",
        )
    assigned = _nearest_open(instance, found.sites, np.inf)
    return _result(found, found.sites, assigned, np.where(assigned >= 0, weights, 0.0))
