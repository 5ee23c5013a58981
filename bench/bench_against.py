"""Benchmark the whole ``geohealth coverage`` run against an earlier revision, in one run.

Both revisions run the sample county in fresh processes of this environment, taking turns
(earlier, this, earlier, this …, ``--rounds`` times each, so a slow spell of the machine
hits both): the earlier one from ``git archive REV src data`` (its own configuration, with
today's population grid and township boundaries copied in, so both read the same inputs),
this one from the working tree. Printed per revision: the median wall and CPU seconds of its
rounds (and every round's wall), peak RSS, and the size of ``coverage.gpkg``; then the ratio
of the medians against the issue's targets (≥ 4× faster, a GeoPackage ≥ 3× smaller).

Run: ``.venv/bin/python bench/bench_against.py [REV] [--rounds N] [--no-record]`` (REV
defaults to ``35b36dc``, main before the one travel-time field; 3 rounds).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _results import record

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "35b36dc"
#: Inputs that changed since: copied over the earlier revision's, so both read the same.
SHARED_INPUTS = ("data/population/sample_population.tif", "data/boundaries/sample_townships.gpkg")


def _unpack(rev: str, into: Path) -> None:
    """Write ``src`` and ``data`` of a revision into a folder."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src", "data"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    for name in SHARED_INPUTS:
        shutil.copyfile(ROOT / name, into / name)


def _run(tree: Path, out: Path) -> dict[str, float]:
    """Run ``geohealth coverage`` of a tree on its sample county; wall, CPU, peak, gpkg size."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    code = "from geohealth.cli import main; main()"
    config = tree / "data" / "sample_county.toml"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, "-q", "coverage", str(config), "--out", str(out)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_mb": after.ru_maxrss / 1024.0,  # the largest child so far (Linux: kilobytes)
        "gpkg_mb": (out / "coverage.gpkg").stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default=BEFORE, help="earlier revision")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each revision")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    rounds: dict[str, list[dict[str, float]]] = {args.rev: [], "this tree": []}
    with tempfile.TemporaryDirectory() as tmp:
        earlier = Path(tmp) / "earlier"
        _unpack(args.rev, earlier)
        for k in range(args.rounds):  # earlier first: the peak RSS of the children is a max
            rounds[args.rev].append(_run(earlier, Path(tmp) / f"out-earlier-{k}"))
            rounds["this tree"].append(_run(ROOT, Path(tmp) / f"out-now-{k}"))
    runs = {
        name: {key: statistics.median(r[key] for r in each) for key in each[0]}
        for name, each in rounds.items()
    }
    walls = {name: ", ".join(f"{r['wall']:.1f}" for r in each) for name, each in rounds.items()}
    old, new = runs[args.rev], runs["this tree"]
    speed, size = old["wall"] / new["wall"], old["gpkg_mb"] / new["gpkg_mb"]
    lines = [
        "### `geohealth coverage` on the sample county: this tree against "
        f"{args.rev} (taking turns, {args.rounds} rounds each, same inputs; medians)",
        "",
        "| revision | wall s | every round's wall s | CPU s | peak RSS MB (largest so far) "
        "| coverage.gpkg MB |",
        "|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['wall']:.1f} | "
            f"{walls[name]} | {r['cpu']:.1f} | "
            f"{max(x['peak_mb'] for x in rounds[name]):.0f} | {r['gpkg_mb']:.1f} |"
            for name, r in runs.items()
        ),
        "",
        f"Faster: {speed:.2f}× (target ≥ 4×: {'PASS' if speed >= 4 else 'FAIL'}); "
        f"GeoPackage smaller: {size:.2f}× (target ≥ 3×: {'PASS' if size >= 3 else 'FAIL'}).",
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        record(f"bench_against.py {args.rev}", ("geohealth", "numpy", "shapely"), [lines])


if __name__ == "__main__":
    main()
