"""E2SFCA cross-checked against PySAL ``access`` on the same pairs, demand, supply and weights."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from geohealth import e2sfca
from geohealth.errors import ConfigError
from geohealth.traveltime import PairTimes


def _instance(seed: int, n_origins: int = 60, n_facilities: int = 9):
    rng = np.random.default_rng(seed)
    times = rng.uniform(0, 45, size=(n_origins, n_facilities))
    times[rng.random(times.shape) < 0.3] = np.inf  # unreachable pairs
    times[0, 0] = 10.0  # exactly on a step limit: the inner band
    o, f = np.nonzero(np.isfinite(times))
    pairs = PairTimes(origin=o, facility=f, minutes=times[o, f])
    demand = rng.integers(1, 500, n_origins).astype(float)
    demand[3] = 0.0
    supply = rng.integers(0, 80, n_facilities).astype(float)
    return pairs, demand, supply


def _with_access(pairs, demand, supply, weight_fn, max_cost):
    access = pytest.importorskip("access")
    demand_df = pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand})
    supply_df = pd.DataFrame({"geoid": np.arange(len(supply)), "beds": supply})
    cost_df = pd.DataFrame({"origin": pairs.origin, "dest": pairs.facility, "cost": pairs.minutes})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's own pandas deprecations
        a = access.Access(
            demand_df=demand_df,
            demand_index="geoid",
            demand_value="pop",
            supply_df=supply_df,
            supply_index="geoid",
            supply_value="beds",
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        out = a.enhanced_two_stage_fca(name="e2", weight_fn=weight_fn, max_cost=max_cost)
    return out["e2_beds"].reindex(np.arange(len(demand))).fillna(0.0).to_numpy()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_steps_equal_pysal_access(seed):
    from access import weights

    pairs, demand, supply = _instance(seed)
    ours = e2sfca.e2sfca(pairs, demand, supply, e2sfca.Decay())
    theirs = _with_access(pairs, demand, supply, weights.step_fn({10: 1, 20: 0.68, 30: 0.22}), 30)
    np.testing.assert_allclose(ours.per_origin, theirs * 1000, rtol=1e-9, atol=1e-12)


def test_gaussian_equals_pysal_access():
    from access import weights

    pairs, demand, supply = _instance(4)
    decay = e2sfca.Decay(kind="gaussian", sigma_min=12.0, catchment_min=40.0)
    ours = e2sfca.e2sfca(pairs, demand, supply, decay)
    theirs = _with_access(pairs, demand, supply, weights.gaussian(12.0), 40)
    np.testing.assert_allclose(ours.per_origin, theirs * 1000, rtol=1e-9, atol=1e-12)


def test_every_reachable_bed_is_handed_out_once():
    pairs, demand, supply = _instance(5)
    result = e2sfca.e2sfca(pairs, demand, supply)
    w = e2sfca.Decay().weight(pairs.minutes)
    reaches_someone = np.bincount(pairs.facility, weights=w * demand[pairs.origin], minlength=9) > 0
    assert (demand * result.per_origin / 1000).sum() == pytest.approx(supply[reaches_someone].sum())
    area = e2sfca.zonal_mean(result.per_origin, demand, np.zeros(len(demand), dtype=int), 1)
    assert area[0] == pytest.approx(area[1])
    assert area[1] == pytest.approx(supply[reaches_someone].sum() / demand.sum() * 1000)


def test_weights_and_bad_decay():
    d = e2sfca.Decay()
    np.testing.assert_allclose(
        d.weight(np.array([0, 10, 10.01, 20, 25, 30, 30.01])), [1, 1, 0.68, 0.68, 0.22, 0.22, 0]
    )
    with pytest.raises(ConfigError, match="rise"):
        e2sfca.Decay(steps=((20, 1.0), (10, 0.5)))
    with pytest.raises(ConfigError, match="'steps' or 'gaussian'"):
        e2sfca.Decay(kind="linear")


def test_pairs_summed_a_few_at_a_time_give_the_same_index(monkeypatch):
    """A province's pairs are summed a few million at a time: the index does not change."""
    from geohealth import traveltime

    pairs, demand, supply = _instance(7)
    whole = e2sfca.e2sfca(pairs, demand, supply, e2sfca.Decay())
    monkeypatch.setattr(traveltime, "PAIRS_AT_A_TIME", 13)
    assert len(list(pairs.parts())) > 5
    parts = e2sfca.e2sfca(pairs, demand, supply, e2sfca.Decay())
    np.testing.assert_allclose(parts.per_origin, whole.per_origin, rtol=1e-12)
    np.testing.assert_allclose(parts.per_facility, whole.per_facility, rtol=1e-12, equal_nan=True)
