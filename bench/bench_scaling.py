"""Benchmark how the engine grows with the region: the sample county tiled 1×, 4×, 16× ….

For each size K the region is generated with ``geohealth sample --tiles K`` (cached under
``bench/.regions/``, keyed by K, seed and the generator's source) and every stage runs in its
own fresh Python process, so each stage's peak memory is its own:

a. ``load`` — ``config.load`` + ``layers.load`` (boundaries, facilities, population grid);
b. ``graph`` — ``reach.graphs(..., modes=("drive",))``: OSM parse (cold cache) and timing;
c. ``nearest`` — ``reach.networks(group="primary")`` (attach facilities) and
   ``traveltime.nearest_cells``: minutes to the nearest primary-care facility per cell;
d. ``pairs`` — ``traveltime.cell_pair_times(limit_min=30)``, primary care, drive;
e. ``circles`` — ``reach.isochrone_layer(net, (15.0,))``, primary care, drive;
f. ``coverage`` — ``geohealth coverage CONFIG --out TMP`` as a subprocess (3 modes, every
   care group, with its service circles; OSM parse from the warm cache).

CPU seconds are ``time.process_time()`` around the stage only (its setup — loading, graph,
attaching — is done first and not counted); for ``coverage`` they are the CLI process's user
+ system time, start-up included. Peak MB is the stage process's whole peak RSS (setup
included). The growth exponent of each stage is the least-squares slope of log(CPU s) against
log(populated cells); a stage growing faster than n^1.15 is flagged.

Run: ``.venv/bin/python bench/bench_scaling.py [SIZES …] [--no-record] [--timeout S]``
(sizes default ``1 4 16``; ``--no-record`` prints without appending to bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from _results import record

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
REGIONS = Path(__file__).resolve().parent / ".regions"
STAGES = ("load", "graph", "nearest", "pairs", "circles", "coverage")
GROUP, MODE, PAIR_LIMIT_MIN, CIRCLE_MIN = "primary", "drive", 30.0, 15.0
FLAG_EXPONENT = 1.15
SEED = 2024


# --- the child: one stage in a fresh process -----------------------------------------------


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: kilobytes


def _timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    """CPU seconds and wall seconds of ``fn()``, and its result."""
    t0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - t0, time.perf_counter() - w0, out


def run_stage(stage: str, config_file: Path) -> dict[str, object]:
    """Set up, run and time one stage; return CPU seconds, peak MB and sizes."""
    if stage not in STAGES:
        msg = f"unknown stage {stage!r}; stages are {', '.join(STAGES)}"
        raise SystemExit(msg)
    if stage == "coverage":
        with tempfile.TemporaryDirectory() as out:
            cli = str(Path(sys.executable).with_name("geohealth"))
            t0 = time.perf_counter()
            done = subprocess.run(
                [cli, "-q", "coverage", str(config_file), "--out", out],
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit((done.stderr.strip().splitlines() or ["coverage failed"])[-1])
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "cpu_s": used.ru_utime + used.ru_stime,
            "wall_s": wall,
            "peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
        }

    from geohealth import config, reach, traveltime
    from geohealth.inputs import layers
    from geohealth.reach import select

    cpu, wall, loaded = _timed(lambda: layers.load(config.load(config_file)))
    info: dict[str, object] = {}
    if stage == "load":
        info["cells"] = int(np.count_nonzero(np.nan_to_num(loaded.population.values) > 0))
        info["facilities"] = len(loaded.facilities)
        info["townships"] = len(loaded.townships)
    else:
        cpu, wall, built = _timed(lambda: reach.graphs(loaded, modes=(MODE,)))
        info["nodes"], info["edges"] = int(built[MODE].n_nodes), len(built[MODE].u)
    if stage in ("load", "graph"):
        return {"cpu_s": cpu, "wall_s": wall, "peak_mb": _peak_mb(), **info}

    def attach() -> reach.ModeNetwork:
        return reach.networks(loaded, group=GROUP, built=built)[MODE]

    info["facilities"] = len(select(loaded.facilities, GROUP))
    if stage == "nearest":  # attaching the facilities is part of this stage

        def nearest() -> tuple[np.ndarray, np.ndarray]:
            net = attach()
            return traveltime.nearest_cells(net.graph, loaded.population, net.attached)

        cpu, wall, _ = _timed(nearest)
    elif stage == "pairs":
        net = attach()
        cpu, wall, (_, _, pairs) = _timed(
            lambda: traveltime.cell_pair_times(
                net.graph, loaded.population, net.attached, limit_min=PAIR_LIMIT_MIN
            )
        )
        info["pairs"] = len(pairs)
    else:  # circles
        net = attach()
        # the engine rewrite gives service circles the run's inputs and the care group
        wanted = inspect.signature(reach.isochrone_layer).parameters
        extra = {"layers": loaded, "group": GROUP}
        extra = {key: value for key, value in extra.items() if key in wanted}
        cpu, wall, circles = _timed(
            lambda: reach.isochrone_layer(net, (CIRCLE_MIN,), progress=False, **extra)
        )
        info["circles"] = len(circles)
    return {"cpu_s": cpu, "wall_s": wall, "peak_mb": _peak_mb(), **info}


# --- the parent: regions, children, table ---------------------------------------------------


def region(k: int) -> tuple[Path, float | None]:
    """The K-tile region's config (generated unless cached) and the generation wall seconds."""
    source = b"".join(p.read_bytes() for p in sorted((ROOT / "src/geohealth/sample").glob("*.py")))
    key = hashlib.sha256(source).hexdigest()[:10]
    folder = REGIONS / f"x{k}-seed{SEED}-{key}"
    config_file = folder / "sample_county.toml"
    if config_file.is_file():
        return config_file, None
    from geohealth import sample

    print(f"generating the {k}× region in {folder} …", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    sample.make_sample_county(folder, seed=SEED, tiles=k)
    return config_file, time.perf_counter() - t0


def child(stage: str, config_file: Path, cache: Path, timeout: float) -> dict[str, object]:
    """Run one stage in a fresh process; its JSON result, or the reason it has none."""
    env = {**os.environ, "GEOHEALTH_CACHE_DIR": str(cache)}
    cmd = [sys.executable, __file__, "--stage", stage, str(config_file)]
    # a session of its own, so a timeout also ends the coverage stage's CLI process
    with subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"error": f"> {timeout:.0f} s wall"}
    if proc.returncode != 0:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed: {tail}"}
    return json.loads(stdout.strip().splitlines()[-1])


def exponent(sizes: list[float], cpu: list[float]) -> float:
    """Least-squares slope of log(CPU) against log(size)."""
    x, y = np.log(sizes), np.log(np.maximum(cpu, 1e-3))
    return float(np.polyfit(x, y, 1)[0])


def table(ks: list[int], results: dict[int, dict[str, dict]], cells: dict[int, int]) -> list[str]:
    """Markdown: stage × size → CPU s and peak MB, with the growth exponent per stage."""
    head = "| stage | " + " | ".join(f"{k}× CPU s | {k}× peak MB" for k in ks) + " | exponent |"
    lines = [head, "|---|" + "---|---|" * len(ks) + "---|"]
    flagged = []
    for stage in STAGES:
        row, xs, ys, failed = [], [], [], []
        for k in ks:
            r = results[k][stage]
            if "error" in r:
                row += [str(r["error"]), "—"]
                failed.append(f"{k}×")
                continue
            row += [f"{r['cpu_s']:.2f}", f"{r['peak_mb']:.0f}"]
            xs.append(cells[k])
            ys.append(float(r["cpu_s"]))
        slope = exponent(xs, ys) if len(xs) >= 2 else float("nan")
        shown = f"{slope:.2f}" if np.isfinite(slope) else "—"
        if slope > FLAG_EXPONENT:
            shown += " ⚠"
            flagged.append(f"{stage} (n^{slope:.2f})")
        if failed:
            shown += f" (no result at {', '.join(failed)})"
            flagged.append(f"{stage} (no result at {', '.join(failed)})")
        lines.append(f"| {stage} | " + " | ".join(row) + f" | {shown} |")
    lines.append("")
    if flagged:
        lines.append(
            f"Flagged (growing faster than n^{FLAG_EXPONENT}, or no result): "
            + ", ".join(flagged)
            + "."
        )
    else:
        lines.append(f"No stage grows faster than n^{FLAG_EXPONENT}.")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 4, 16], help="tile counts K")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per stage")
    parser.add_argument("--stage", nargs=2, metavar=("STAGE", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage[0], Path(args.stage[1]))))
        return

    ks = sorted(set(args.sizes))
    results: dict[int, dict[str, dict]] = {}
    cells: dict[int, int] = {}
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in ks:
            config_file, generated = region(k)
            cache = Path(tmp) / f"cache-{k}"  # empty: the graph stage parses the OSM cold
            results[k] = {}
            for stage in STAGES:
                print(f"{k}×: {stage} …", file=sys.stderr, flush=True)
                results[k][stage] = child(stage, config_file, cache, args.timeout)
                print(f"    {results[k][stage]}", file=sys.stderr, flush=True)
            load, graph = results[k]["load"], results[k]["graph"]
            cells[k] = int(load.get("cells", k))
            made = f"; generated in {generated:.0f} s" if generated is not None else ""
            notes.append(
                f"- {k}×: {cells[k]:,} populated cells, {load.get('townships', '?')} townships, "
                f"{load.get('facilities', '?')} facilities "
                f"({results[k]['nearest'].get('facilities', '?')} primary care), "
                f"drive graph {graph.get('nodes', 0):,} nodes / {graph.get('edges', 0):,} "
                f"edges, {results[k]['pairs'].get('pairs', 0):,} pairs ≤ {PAIR_LIMIT_MIN:g} min"
                f"{made}"
            )
    lines = [
        "### Growth with the region: sample county tiled "
        + ", ".join(f"{k}×" for k in ks)
        + " (each stage in a fresh process)",
        "",
        *notes,
        "",
        *table(ks, results, cells),
        "",
        "CPU s: the stage only (setup not counted; coverage: the whole CLI process). Peak MB: "
        "the stage process's peak RSS, setup included. Exponent: slope of log(CPU) vs "
        "log(populated cells).",
    ]
    script = "bench_scaling.py " + " ".join(str(k) for k in ks)
    if args.no_record:
        print("\n".join(lines))
    else:
        record(script, ("geohealth", "numpy", "scipy", "shapely", "osmium"), [lines])


if __name__ == "__main__":
    main()
