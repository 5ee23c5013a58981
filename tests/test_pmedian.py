"""The plan-scale p-median: optimal against brute force, its bound honest, its stages each right.

Brute force enumerates every set of p sites on small sparse instances (pairs beyond a radius
are out of reach, so some plans leave people unserved); the stages — greedy, vertex
substitution, the Lagrangian bound, reduced-cost fixing and the radius formulation — are
checked on their own where a shortcut in one could hide behind another.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest

from geohealth.siting import pmedian, problems
from geohealth.siting.problems import Instance


def _sparse(seed: int, n: int = 60, m: int = 9, radius_min: float = 30.0):
    rng = np.random.default_rng(seed)
    points, sites = rng.random((n, 2)), rng.random((m, 2))
    minutes = np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) * 60
    origin, site = np.nonzero(minutes <= radius_min)
    people = rng.integers(0, 5, n).astype(float)  # some points have nobody
    return people, origin, site, minutes[origin, site], m


def _brute(people, origin, site, minutes, m, p, fixed=(), unserved_min=None):
    unserved_min = unserved_min or 10.0 * minutes.max() + 1.0
    best = np.inf
    for chosen in itertools.combinations(range(m), p):
        if not set(fixed) <= set(chosen):
            continue
        time = np.full(len(people), unserved_min)
        near = np.isin(site, chosen)
        np.minimum.at(time, origin[near], minutes[near])
        best = min(best, float((people * time).sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_optimal_against_brute_force(seed):
    people, origin, site, minutes, m = _sparse(seed)
    p = 1 + seed % 4
    fixed = [seed % m] if seed % 3 == 0 else []
    found = pmedian.solve_pmedian(people, origin, site, minutes, m, p, fixed=np.array(fixed))
    best = _brute(people, origin, site, minutes, m, p, fixed)
    assert found.objective == pytest.approx(best, rel=1e-9)
    assert found.status == "Optimal"
    assert found.bound <= found.objective + 1e-9
    assert found.bound == pytest.approx(best, rel=1e-9)
    assert len(found.sites) == p
    assert set(fixed) <= set(found.sites.tolist())


def test_people_beyond_every_open_site_are_counted_and_reported():
    people, origin, site, minutes, m = _sparse(3, radius_min=12.0)
    found = pmedian.solve_pmedian(people, origin, site, minutes, m, 2)
    assert found.objective == pytest.approx(_brute(people, origin, site, minutes, m, 2))
    time = np.full(len(people), np.inf)
    near = np.isin(site, found.sites)
    np.minimum.at(time, origin[near], minutes[near])
    assert found.unserved_people == pytest.approx(people[~np.isfinite(time)].sum())
    assert found.unserved_people > 0


def test_points_with_nobody_change_nothing():
    people, origin, site, minutes, m = _sparse(5)
    found = pmedian.solve_pmedian(people, origin, site, minutes, m, 3, unserved_min=301.0)
    # the same points again, with nobody in them and no pair at all for half of them
    extra = len(people)
    more_people = np.r_[people, np.zeros(extra)]
    keep = origin % 2 == 0
    more = (np.r_[origin, origin[keep] + extra], np.r_[site, site[keep]])
    again = pmedian.solve_pmedian(
        more_people, *more, np.r_[minutes, minutes[keep]], m, 3, unserved_min=301.0
    )
    assert again.objective == pytest.approx(found.objective)
    np.testing.assert_array_equal(again.sites, found.sites)


def test_each_stage_on_its_own():
    people, origin, site, minutes, m = _sparse(7, n=120, m=14)
    pairs, _ = pmedian.Pairs.build(people, origin, site, minutes, m, 301.0)
    # pairs ascend by point, then cost, and below() finds exactly the cheaper ones
    assert np.all(np.diff(pairs.point) >= 0)
    same = pairs.point[1:] == pairs.point[:-1]
    assert np.all(np.diff(pairs.cost)[same] >= 0)
    rng = np.random.default_rng(1)
    limit = rng.uniform(0, pairs.unserved)
    for guess in (None, np.zeros(pairs.n_points, dtype=np.int64)):
        index, count = pairs.below(limit, guess)
        expected = np.flatnonzero(pairs.cost < limit[pairs.point])
        np.testing.assert_array_equal(np.sort(index), expected)
        np.testing.assert_array_equal(
            count, np.bincount(pairs.point[expected], minlength=len(limit))
        )
    p, fixed = 4, np.array([2])
    progress = pmedian._Progress("test")
    greedy = pmedian._greedy(pairs, p, fixed)
    assert greedy.sum() == p
    assert greedy[2]
    swapped = pmedian._substitute(pairs, greedy, fixed, progress, np.inf)
    assert swapped.sum() == p
    assert swapped[2]
    cost = pmedian._cost(pairs, swapped)
    assert cost <= pmedian._cost(pairs, greedy) + 1e-9
    # a local optimum: no single swap keeping site 2 is cheaper
    for j_in, j_out in itertools.product(np.flatnonzero(~swapped), np.flatnonzero(swapped)):
        if j_out == 2:
            continue
        other = swapped.copy()
        other[j_in], other[j_out] = True, False
        assert pmedian._cost(pairs, other) >= cost - 1e-9 * cost
    best = _brute(people, origin, site, minutes, m, p, [2], unserved_min=301.0)
    _, _, bound, rho = pmedian._lagrangian(pairs, p, fixed, swapped, progress, np.inf, 0.0)
    assert bound <= best + 1e-9 * best
    assert bound >= 0.9 * best  # a bound worth having
    # reduced-cost fixing never rules out the optimum
    must_open, must_close = pmedian._fix(rho, bound, best * (1 + 1e-9), p, fixed)
    assert not (must_open & must_close).any()
    exact = pmedian._exact(pairs, p, must_open, must_close, swapped, 60.0, 0.0, 10**7)
    assert exact is not None
    assert exact[1] == pytest.approx(best, rel=1e-9)
    assert pmedian._cost(pairs, exact[0]) == pytest.approx(best, rel=1e-9)


def test_the_radius_formulation_alone_is_the_optimum():
    """Nothing fixed: HiGHS on the merged radius rows finds the brute-force optimum."""
    people, origin, site, minutes, m = _sparse(11, n=80, m=10)
    pairs, _ = pmedian.Pairs.build(people, origin, site, minutes, m, 301.0)
    none = np.zeros(m, dtype=bool)
    start = pmedian._greedy(pairs, 3, np.zeros(0, dtype=np.int64))
    sites, objective, bound, status = pmedian._exact(pairs, 3, none, none, start, 60.0, 0.0, 10**7)
    best = _brute(people, origin, site, minutes, m, 3, unserved_min=301.0)
    assert status == "Optimal"
    assert objective == pytest.approx(best, rel=1e-9)
    assert bound == pytest.approx(best, rel=1e-6)
    assert pmedian._cost(pairs, sites) == pytest.approx(best, rel=1e-9)
    assert pmedian._exact(pairs, 3, none, none, start, 60.0, 0.0, 10) is None  # too large


def test_progress_is_logged_and_the_time_limit_returns_a_plan(caplog, monkeypatch):
    monkeypatch.setattr(pmedian, "PROGRESS_S", 0.0)
    people, origin, site, minutes, m = _sparse(4, n=400, m=30)
    with caplog.at_level(logging.INFO, logger="geohealth.siting.pmedian"):
        found = pmedian.solve_pmedian(people, origin, site, minutes, m, 5)
    lines = [r.getMessage() for r in caplog.records]
    assert any("bounding" in line and "gap" in line for line in lines)
    assert "done" in lines[-1]
    assert "best" in lines[-1]
    assert "bound" in lines[-1]
    quick = pmedian.solve_pmedian(people, origin, site, minutes, m, 5, time_limit_s=0.0)
    assert quick.status == "Time limit reached"
    assert len(quick.sites) == 5
    assert quick.objective >= found.objective - 1e-9
    assert quick.bound <= found.objective + 1e-9


def test_stranded_people_are_left_out_with_one_warning(caplog):
    people, origin, site, minutes, m = _sparse(6, radius_min=12.0)
    stranded = np.bincount(origin, minlength=len(people)) == 0
    assert (people[stranded] > 0).any()
    instance = Instance(people, m, origin, site, minutes)
    with caplog.at_level(logging.WARNING, logger="geohealth.siting.problems"):
        result = problems.pmedian(instance, 3)
    warned = [r.getMessage() for r in caplog.records if "can reach no candidate" in r.getMessage()]
    assert len(warned) == 1
    assert "--max-minutes" in warned[0]
    assert (result.assigned[stranded] == -1).all()
    assert (result.served[stranded] == 0).all()
    kept = np.where(stranded, 0.0, people)
    assert result.objective == pytest.approx(_brute(kept, origin, site, minutes, m, 3))


def test_the_solver_prints_nothing_on_the_terminal(capfd, caplog):
    """HiGHS's banner and log stay off the terminal; with debug logging they go to the log."""
    from scipy.sparse import csc_matrix

    from geohealth.siting.milp import Model, solve

    model = Model(
        cost=np.array([1.0, 2.0]),
        matrix=csc_matrix(np.ones((1, 2))),
        row_lower=np.ones(1),
        row_upper=np.full(1, np.inf),
        lower=np.zeros(2),
        upper=np.ones(2),
        integer=np.ones(2, dtype=bool),
        offset=10.0,
    )
    assert solve(model).objective == pytest.approx(11.0)
    out, err = capfd.readouterr()
    assert "HiGHS" not in out
    assert "HiGHS" not in err
    with caplog.at_level(logging.DEBUG, logger="geohealth.siting.milp"):
        solve(model)
    out, _ = capfd.readouterr()
    assert "HiGHS" not in out
    assert any("HiGHS" in r.getMessage() for r in caplog.records)


def test_a_milp_reports_its_progress(caplog, monkeypatch):
    """HiGHS's branch and bound logs time, best, bound and gap (every 2 s; here every call)."""
    from scipy.sparse import csc_matrix

    from geohealth.siting import milp

    monkeypatch.setattr(milp, "PROGRESS_S", 0.0)
    rng = np.random.default_rng(0)
    n = 60  # a knapsack HiGHS must branch on
    weight = rng.integers(10, 60, n).astype(float)
    model = milp.Model(
        cost=weight + rng.integers(0, 10, n),
        matrix=csc_matrix(weight[None, :]),
        row_lower=np.array([-np.inf]),
        row_upper=np.array([weight.sum() / 2]),
        lower=np.zeros(n),
        upper=np.ones(n),
        integer=np.ones(n, dtype=bool),
        maximize=True,
    )
    with caplog.at_level(logging.INFO, logger="geohealth.siting.milp"):
        solution = milp.solve(model, label="knapsack")
    assert solution.status == "Optimal"
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("knapsack:")]
    assert lines
    assert all("best" in line and "bound" in line and "gap" in line for line in lines)


@pytest.mark.parametrize(("p", "fixed"), [(1, [0, 1]), (10, [])])
def test_impossible_p_is_refused(p, fixed):
    people, origin, site, minutes, m = _sparse(1)
    with pytest.raises(ValueError, match="fixed sites and at most 9"):
        pmedian.solve_pmedian(people, origin, site, minutes, m, p, fixed=np.array(fixed))
