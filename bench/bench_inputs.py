"""Benchmark the input stage against the peers a planner would otherwise use, in one run.

1. GCJ-02 → WGS-84 for many points: geohealth (numpy, exact inverse) vs eviltransform's
   ``gcj2wgs_exact`` and coord-convert's ``gcj2wgs`` (pure Python, one point at a time);
   accuracy is reported too (round-trip error, metres).
2. Loading a large facility table (GBK CSV, GCJ-02): geohealth's validated loader vs the floor,
   a bare ``pandas.read_csv`` + ``geopandas.points_from_xy`` with no validation or conversion.
3. Population per township: geohealth's rasterize + bincount vs rasterstats ``zonal_stats``.

Run: ``.venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/bench_inputs.py``
Figures go to stdout and are appended to bench/RESULTS.md with date, command and versions.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from _results import best_of, record
from pyproj import Geod

from geohealth import config
from geohealth.inputs import boundaries, coords, facilities, population

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data"
GEOD = Geod(ellps="WGS84")


def bench_coords(n=200_000, n_peer=20_000):
    import eviltransform
    from coord_convert import transform as cc

    rng = np.random.default_rng(0)
    lon = rng.uniform(110, 130, n)
    lat = rng.uniform(25, 48, n)
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    ours_t, (w_lon, w_lat) = best_of(lambda: coords.gcj02_to_wgs84(g_lon, g_lat))
    ours_err = np.max(GEOD.inv(w_lon, w_lat, lon, lat)[2])

    gl, ga = g_lon[:n_peer].tolist(), g_lat[:n_peer].tolist()
    evil_t, evil = best_of(
        lambda: [eviltransform.gcj2wgs_exact(a, o) for o, a in zip(gl, ga, strict=True)], 1
    )
    evil_err = np.max(
        GEOD.inv([p[1] for p in evil], [p[0] for p in evil], lon[:n_peer], lat[:n_peer])[2]
    )
    cc_t, ccres = best_of(lambda: [cc.gcj2wgs(o, a) for o, a in zip(gl, ga, strict=True)], 1)
    cc_err = np.max(
        GEOD.inv([p[0] for p in ccres], [p[1] for p in ccres], lon[:n_peer], lat[:n_peer])[2]
    )
    per_point = {
        "geohealth": ours_t / n,
        "eviltransform exact": evil_t / n_peer,
        "coord-convert": cc_t / n_peer,
    }
    rows = [
        ("geohealth `gcj02_to_wgs84` (numpy, exact)", per_point["geohealth"], ours_err),
        ("eviltransform `gcj2wgs_exact` (Python loop)", per_point["eviltransform exact"], evil_err),
        ("coord-convert `gcj2wgs` (Python loop, one-step)", per_point["coord-convert"], cc_err),
    ]
    lines = [
        f"GCJ-02 → WGS-84, {n:,} points (peers timed on {n_peer:,}, per point)",
        "| method | µs / point | × geohealth | max error (m) |",
        "|---|---|---|---|",
    ]
    for name, t, err in rows:
        lines.append(f"| {name} | {t * 1e6:.3f} | {t / per_point['geohealth']:.0f} | {err:.4f} |")
    return lines


def bench_facility_load(tmp: Path, n=100_000):
    rng = np.random.default_rng(1)
    kinds = np.array(["村卫生室", "乡镇卫生院", "社区卫生服务中心", "二级综合医院"])
    lon, lat = coords.wgs84_to_gcj02(rng.uniform(126, 129, n), rng.uniform(45, 47, n))
    frame = pd.DataFrame(
        {
            "机构编码": [f"{i:012d}" for i in range(n)],
            "机构名称": [f"第{i}卫生室" for i in range(n)],
            "机构类别": kinds[rng.integers(0, 4, n)],
            "经度": np.round(lon, 6),
            "纬度": np.round(lat, 6),
            "床位数": rng.integers(0, 100, n),
        }
    )
    path = tmp / "big.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    ours_t, ours = best_of(lambda: facilities.load(path, coordinate_system="gcj02"))

    def floor():
        raw = pd.read_csv(path, encoding="gbk", dtype=str)
        return gpd.GeoDataFrame(
            raw,
            geometry=gpd.points_from_xy(raw["经度"].astype(float), raw["纬度"].astype(float)),
            crs=4326,
        )

    floor_t, _ = best_of(floor)
    assert len(ours) == n
    return [
        f"Facility table, {n:,} rows, GBK CSV in GCJ-02",
        "| method | s | × floor |",
        "|---|---|---|",
        f"| geohealth `facilities.load` (detect encoding, recognise columns, classify "
        f"levels, check IDs, convert GCJ-02) | {ours_t:.3f} | {ours_t / floor_t:.2f} |",
        f"| floor: `pandas.read_csv` + `points_from_xy`, no checks, no conversion | "
        f"{floor_t:.3f} | 1 |",
    ]


def bench_zonal():
    from rasterstats import zonal_stats

    settings = config.load(SAMPLE / "sample_county.toml")
    towns = boundaries.load(settings.boundaries.path)
    grid = population.load_raster(settings.population.raster)
    ours_t, (ours, _) = best_of(lambda: population.zonal_totals(grid, towns))
    peer_t, peer = best_of(
        lambda: zonal_stats(
            towns, str(settings.population.raster), stats=["sum"], all_touched=False
        ),
        1,
    )
    peer_sum = np.array([p["sum"] or 0.0 for p in peer])
    diff = float(np.max(np.abs(peer_sum - ours.to_numpy())))
    return [
        f"Persons per township, sample county ({grid.shape[0]}×{grid.shape[1]} cells, "
        f"{len(towns)} townships)",
        "| method | ms | × geohealth |",
        "|---|---|---|",
        f"| geohealth `population.zonal_totals` (rasterize + bincount) | {ours_t * 1e3:.1f} | 1 |",
        f"| rasterstats `zonal_stats(stats=['sum'])` | {peer_t * 1e3:.1f} | "
        f"{peer_t / ours_t:.1f} |",
        f"Largest difference between the two: {diff:.3g} persons.",
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sections = [bench_coords(), bench_facility_load(Path(tmp)), bench_zonal()]
    record(
        "bench_inputs.py",
        (
            "geohealth",
            "numpy",
            "pandas",
            "geopandas",
            "rasterio",
            "eviltransform",
            "coord-convert",
            "rasterstats",
        ),
        sections,
    )


if __name__ == "__main__":
    main()
