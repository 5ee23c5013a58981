"""Benchmark the coverage step on the sample county against the peers, in one run.

1. Travel times from every populated cell to every facility within 30 min (the cost matrix a
   floating-catchment measure needs), driving, 262 primary-care facilities: geohealth
   ``traveltime.cell_pair_times`` (bounded scipy searches, cells attached to road edges) vs the
   usual networkx recipe — one ``single_source_dijkstra_path_length(cutoff=…)`` per facility on
   the reversed graph, node times only (a lower bound of its cost: the cells still have to be
   looked up). Times on a subset of facilities, scaled.
2. E2SFCA on those pairs (Luo & Qi steps, 30 min): geohealth ``e2sfca.e2sfca`` vs PySAL
   ``access`` (``Access(...)`` + ``enhanced_two_stage_fca``) on the same DataFrame; the largest
   difference is printed (they must agree).
3. The whole coverage run (3 modes × 3 care groups × 4 thresholds, per township and per
   facility, E2SFCA), without and with isochrones, and ``geohealth demo`` end to end.

Run: ``.venv/bin/pip install -e '.[bench,test]' && .venv/bin/python bench/bench_coverage.py``
Figures go to stdout and are appended to bench/RESULTS.md with date, command and versions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from _results import best_of, record

from geohealth import config, coverage, e2sfca, reach, traveltime
from geohealth.inputs import layers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_county.toml"


def bench_pairs_and_e2sfca(loaded: layers.InputLayers) -> list[str]:
    net = reach.networks(loaded, group="primary", modes=("drive",))["drive"]
    g, att = net.graph, net.attached
    traveltime.cell_pair_times(g, loaded.population, att, limit_min=30)  # attach cells (cached)
    ours_t, (rows, cols, pairs) = best_of(
        lambda: traveltime.cell_pair_times(g, loaded.population, att, limit_min=30)
    )
    reverse = g.to_networkx().reverse(copy=False)
    subset = np.arange(0, len(att), 10)
    t0 = time.perf_counter()
    for j in subset:
        nx.single_source_dijkstra_path_length(
            reverse, int(att.a[j]), cutoff=1800, weight="travel_time"
        )
    nx_t = (time.perf_counter() - t0) / len(subset) * len(att)

    people = loaded.population.values[rows, cols]
    beds = net.facilities["beds"].to_numpy(dtype=float)
    ours_e_t, ours = best_of(lambda: e2sfca.e2sfca(pairs, people, beds))

    import access
    from access import weights

    demand = pd.DataFrame({"cell": np.arange(len(people)), "pop": people})
    supply = pd.DataFrame({"fac": np.arange(len(beds)), "beds": np.nan_to_num(beds)})
    cost = pd.DataFrame({"origin": pairs.origin, "dest": pairs.facility, "cost": pairs.minutes})

    def with_access() -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = access.Access(
                demand_df=demand,
                demand_index="cell",
                demand_value="pop",
                supply_df=supply,
                supply_index="fac",
                supply_value="beds",
                cost_df=cost,
                cost_origin="origin",
                cost_dest="dest",
                cost_name="cost",
            )
            out = a.enhanced_two_stage_fca(
                name="e2", weight_fn=weights.step_fn({10: 1, 20: 0.68, 30: 0.22}), max_cost=30
            )
        return out["e2_beds"]

    access_t, theirs = best_of(with_access, repeat=1)
    theirs = theirs.reindex(np.arange(len(people))).fillna(0.0).to_numpy() * 1000
    diff = float(np.max(np.abs(ours.per_origin - theirs)))
    return [
        f"### Sample county, drive, {len(att)} primary-care facilities, "
        f"{len(people):,} populated cells, {len(pairs):,} pairs within 30 min",
        "",
        "| step | geohealth (s) | peer (s) | peer / geohealth |",
        "|---|---|---|---|",
        f"| cell → facility times ≤ 30 min (networkx: one bounded search per facility, "
        f"node times only, {len(subset)} timed and scaled) | {ours_t:.2f} | {nx_t:.2f} | "
        f"{nx_t / ours_t:.1f} |",
        f"| E2SFCA on the same pairs (PySAL access 1 run) | {ours_e_t:.3f} | {access_t:.2f} | "
        f"{access_t / ours_e_t:.0f} |",
        "",
        f"Largest difference of the E2SFCA index, geohealth vs access: {diff:.2e} beds per 1 000.",
    ]


def bench_run(loaded: layers.InputLayers) -> list[str]:
    coverage.run(loaded, progress=False)  # graphs and cell attachments warm
    plain_t, _ = best_of(lambda: coverage.run(loaded, progress=False), repeat=2)
    iso_t, _ = best_of(lambda: coverage.run(loaded, progress=False, isochrones=True), repeat=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GEOHEALTH_CACHE_DIR": str(Path(tmp) / "cache")}
        cli = str(Path(sys.executable).with_name("geohealth"))
        t0 = time.perf_counter()
        subprocess.run(
            [cli, "-q", "demo", "--out", str(Path(tmp) / "maps")],
            check=True,
            env=env,
            capture_output=True,
        )
        demo_t = time.perf_counter() - t0
    return [
        "### Whole coverage step, sample county (3 modes × 3 groups × 4 thresholds)",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| `coverage.run` (townships, facilities, E2SFCA; warm graphs) | {plain_t:.1f} |",
        f"| `coverage.run(isochrones=True)` (+ 262 × 3 × 4 isochrones) | {iso_t:.1f} |",
        f"| `geohealth demo` end to end, cold cache (check, run, XLSX, GPKG, rasters, map) | "
        f"{demo_t:.1f} |",
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("GEOHEALTH_CACHE_DIR", str(Path(tmp) / "cache"))
        loaded = layers.load(config.load(SAMPLE))
        sections = [bench_pairs_and_e2sfca(loaded), bench_run(loaded)]
    record(
        "bench_coverage.py",
        ("geohealth", "numpy", "scipy", "pandas", "networkx", "access", "folium"),
        sections,
    )


if __name__ == "__main__":
    main()
