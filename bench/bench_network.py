"""Benchmark the road-network engine against the peers a user would otherwise use, in one run.

1. Network build from an OSM extract (driving): geohealth (pyosmium → arrays → CSR, cold and
   from its cache) vs osmnx ``graph_from_xml`` (the usual tutorial path; the PBF → XML
   conversion it needs is timed separately).
2. Nearest facility for every node, 50 facilities: geohealth ``traveltime.nearest_facility``
   (facilities attached to edges through virtual nodes) vs a bare
   ``scipy.sparse.csgraph.dijkstra(min_only=True)`` from the facilities' nodes on the reversed
   CSR (the floor), networkx ``multi_source_dijkstra_path_length`` and a loop of
   ``single_source_dijkstra_path_length`` per facility (the tutorial way), and pandana
   ``nearest_pois`` (its contraction-hierarchy build timed separately).
   Run on Andorra (real, drive) and on a 300 × 300 street grid (90 000 nodes).

3. Isochrone polygons, 15 min from 20 facilities (and 5/10/15/30 min), Andorra (drive):
   geohealth ``isochrones`` (reached network incl. partial segments + remaining-time walking
   discs) vs the osmnx tutorial's two recipes on the same graph — ``nx.ego_graph`` + convex
   hull of the reached nodes, and ``ego_graph`` + 50 m node / 25 m edge buffers + union
   ("make_iso_polys") — and the cost floor of a bounded scipy search + convex hull.

Run: ``.venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/bench_network.py``
Figures go to stdout and are appended to bench/RESULTS.md with date, command and versions.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
from _results import best_of, record
from scipy.sparse.csgraph import dijkstra

from geohealth import traveltime
from geohealth.network import graph, osm, profiles, snap

ROOT = Path(__file__).resolve().parents[1]
EXTRACTS = ROOT / "tests" / "data"
PROFILES = profiles.load()


def to_xml(pbf: Path, xml: Path) -> None:
    """Write the highway ways of a PBF (and their nodes) as OSM XML, for osmnx."""
    needed: set[int] = set()
    for way in osmium.FileProcessor(str(pbf), osmium.osm.WAY):
        if "highway" in way.tags:
            needed.update(n.ref for n in way.nodes)
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in needed:
                writer.add_node(obj)
            elif obj.is_way() and "highway" in obj.tags:
                writer.add_way(obj)


def grid_pbf(path: Path, side: int = 300, spacing_deg: float = 0.001) -> None:
    """A side × side street grid (residential, two-way) as an OSM PBF."""
    with osmium.SimpleWriter(str(path)) as writer:
        for r in range(side):
            for c in range(side):
                writer.add_node(
                    osmium.osm.mutable.Node(
                        id=r * side + c + 1,
                        location=(127.0 + c * spacing_deg, 46.0 + r * spacing_deg * 0.7),
                        version=1,
                    )
                )
        way = 1
        for r in range(side):
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=way,
                    nodes=[r * side + c + 1 for c in range(side)],
                    tags={"highway": "residential"},
                    version=1,
                )
            )
            way += 1
        for c in range(side):
            writer.add_way(
                osmium.osm.mutable.Way(
                    id=way,
                    nodes=[r * side + c + 1 for r in range(side)],
                    tags={"highway": "tertiary"},
                    version=1,
                )
            )
            way += 1


def bench_build(pbf: Path, tmp: Path) -> list[str]:
    import osmnx as ox

    cold_t, g = best_of(lambda: graph.build(osm.read(pbf, use_cache=False), PROFILES["drive"]))
    osm.read(pbf)  # fill the cache
    warm_t, _ = best_of(lambda: graph.build(osm.read(pbf), PROFILES["drive"]))
    xml = tmp / "roads.osm"
    convert_t, _ = best_of(lambda: to_xml(pbf, xml), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ox_t, ox_g = best_of(lambda: ox.graph_from_xml(xml, simplify=True, retain_all=True), 1)
        ox_raw_t, _ = best_of(lambda: ox.graph_from_xml(xml, simplify=False, retain_all=True), 1)
    return [
        f"Network build, {pbf.name} (drive: {len(g.u):,} directed edges; osmnx simplified: "
        f"{ox_g.number_of_edges():,} edges)",
        "| method | s | × geohealth cold |",
        "|---|---|---|",
        f"| geohealth `osm.read` + `graph.build`, cold (pyosmium → arrays → CSR) | "
        f"{cold_t:.3f} | 1 |",
        f"| geohealth, parse from cache | {warm_t:.3f} | {warm_t / cold_t:.2f} |",
        f"| osmnx `graph_from_xml(simplify=True)` (the tutorial path) | {ox_t:.2f} | "
        f"{ox_t / cold_t:.0f} |",
        f"| osmnx `graph_from_xml(simplify=False)` | {ox_raw_t:.2f} | {ox_raw_t / cold_t:.0f} |",
        f"| (PBF → XML conversion osmnx needs, not included above) | {convert_t:.2f} | — |",
    ]


PANDANA_BUDGET_S = 90
PANDANA_HORIZON_S = 1800.0  # 30 min: the longest threshold geohealth reports by default


def _pandana(queue, x, y, node_ids, frm, to, cost, poi_x, poi_y, horizon) -> None:
    """Run pandana in a child process (its CH build can run for very long)."""
    import pandana
    import pandas as pd

    t0 = time.perf_counter()
    net = pandana.Network(
        pd.Series(x, index=node_ids),
        pd.Series(y, index=node_ids),
        pd.Series(frm),
        pd.Series(to),
        pd.DataFrame({"t": cost}),
        twoway=False,
    )
    queue.put(("build", time.perf_counter() - t0))
    t0 = time.perf_counter()
    net.set_pois("fac", horizon, 1, poi_x, poi_y)
    queue.put(("pois", time.perf_counter() - t0))
    t0 = time.perf_counter()
    result = net.nearest_pois(horizon, "fac", num_pois=1)
    query = time.perf_counter() - t0
    queue.put(("query", query, result[1].reindex(node_ids).to_numpy()))


def bench_nearest(pbf: Path, label: str, n_facilities: int = 50) -> list[str]:
    g = graph.build(osm.read(pbf), PROFILES["drive"])
    rng = np.random.default_rng(0)
    nodes = rng.choice(np.flatnonzero(g.main_component), n_facilities, replace=False)
    facilities = snap.attach(g, g.lon[nodes], g.lat[nodes])  # at the nodes themselves
    ours_t, ours = best_of(lambda: traveltime.nearest_facility(g, facilities))
    reverse = g.reverse_matrix
    floor_t, floor = best_of(lambda: dijkstra(reverse, indices=nodes, min_only=True))
    np.testing.assert_allclose(ours.node_min * 60, floor, rtol=1e-12, atol=1e-9)

    multi = g.to_networkx()
    rev = nx.DiGraph(multi).reverse(copy=True)
    sources = [int(g.segments.node_id[i]) for i in nodes]
    nx_t, theirs = best_of(
        lambda: nx.multi_source_dijkstra_path_length(rev, sources, weight="travel_time"), 1
    )
    index = np.searchsorted(g.segments.node_id, np.fromiter(theirs.keys(), np.int64))
    np.testing.assert_allclose(
        ours.node_min[index] * 60, np.fromiter(theirs.values(), float), rtol=1e-9
    )

    def loop() -> np.ndarray:  # the tutorial way: one search per facility, then the minimum
        best = dict.fromkeys(rev.nodes, np.inf)
        for s in sources:
            for n, t in nx.single_source_dijkstra_path_length(rev, s, weight="travel_time").items():
                best[n] = min(best[n], t)
        return best

    loop_t, looped = best_of(loop, 1)
    assert all(np.isclose(looped[n], theirs.get(n, np.inf)) for n in list(looped)[:1000])

    used = np.unique(np.concatenate([g.u, g.v]))
    horizon = PANDANA_HORIZON_S  # pandana needs one; beyond it a node has no facility
    args = (g.lon[used], g.lat[used], used, g.v, g.u, g.time_s, g.lon[nodes], g.lat[nodes], horizon)
    queue: mp.Queue = mp.get_context("fork").Queue()
    child = mp.get_context("fork").Process(target=_pandana, args=(queue, *args))
    child.start()
    child.join(PANDANA_BUDGET_S)
    stages = {}
    while not queue.empty():
        item = queue.get()
        stages[item[0]] = item[1:]
    if child.is_alive():
        child.terminate()
        child.join()
    names = {"build": "contraction-hierarchy build", "pois": "`set_pois`", "query": "query"}
    if "query" not in stages:
        done = ", ".join(f"{names[k]} {v[0]:.1f} s" for k, v in stages.items()) or "nothing"
        stuck = next(names[k] for k in names if k not in stages)
        pandana_row = (
            f"| pandana `nearest_pois` ({horizon / 60:.0f}-min horizon) | did not finish in "
            f"{PANDANA_BUDGET_S} s: {done}; {stuck} still running | — |"
        )
    else:
        pd_t, pd_values = stages["query"]
        ours_s = ours.node_min[used] * 60
        within = ours_s < horizon
        # pandana stores costs in single precision: agreement within 1 s
        gap = np.abs(pd_values[within] - ours_s[within])
        agree = (
            f"{np.mean(gap <= 1.0):.1%} of nodes within 1 s of ours, "
            f"worst {np.nanmax(gap) / 60:.0f} min"
        )
        pandana_row = (
            f"| pandana `nearest_pois`, {horizon / 60:.0f}-min horizon (after a "
            f"{stages['build'][0]:.1f} s contraction-hierarchy build and "
            f"{stages['pois'][0]:.1f} s `set_pois`; {agree}) | {pd_t * 1e3:.0f} | "
            f"{pd_t / floor_t:.0f} |"
        )
    return [
        f"Nearest facility for every node, {n_facilities} facilities, {label} "
        f"({g.n_nodes:,} nodes, {len(g.u):,} edges)",
        "| method | ms | × bare scipy |",
        "|---|---|---|",
        f"| bare `scipy dijkstra(min_only=True)` on the reversed CSR (floor) | "
        f"{floor_t * 1e3:.1f} | 1 |",
        f"| geohealth `traveltime.nearest_facility` (edge attachment, nearest-facility ids) | "
        f"{ours_t * 1e3:.1f} | {ours_t / floor_t:.2f} |",
        f"| networkx `multi_source_dijkstra_path_length` | {nx_t * 1e3:.0f} | "
        f"{nx_t / floor_t:.0f} |",
        f"| networkx, one `single_source_dijkstra_path_length` per facility, then the minimum "
        f"(the tutorial way) | {loop_t * 1e3:.0f} | {loop_t / floor_t:.0f} |",
        pandana_row,
        f"geohealth vs networkx: {nx_t / ours_t:.0f}× faster than its multi-source search, "
        f"{loop_t / ours_t:.0f}× faster than the per-facility loop; identical times (1e-9).",
    ]


def bench_isochrones(pbf: Path, label: str, n_facilities: int = 20) -> list[str]:
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    from geohealth.isochrones import isochrones

    g = graph.build(osm.read(pbf), PROFILES["drive"])
    rng = np.random.default_rng(0)
    nodes = rng.choice(np.flatnonzero(g.main_component), n_facilities, replace=False)
    facilities = snap.attach(g, g.lon[nodes], g.lat[nodes])
    limit = 15.0
    # the tutorial searches outwards from the centre node: compare the same direction
    cold_t, _ = best_of(  # includes drawing the graph's runs once (cached on the graph)
        lambda: isochrones(g, facilities, [limit], towards=False, progress=False), 1
    )
    ours_t, ours = best_of(
        lambda: isochrones(g, facilities, [limit], towards=False, progress=False), 1
    )
    ours4_t, ours4 = best_of(
        lambda: isochrones(g, facilities, [5, 10, 15, 30], towards=False, progress=False), 1
    )
    ours1_t, _ = best_of(
        lambda: isochrones(g, facilities, [limit], towards=False, workers=1, progress=False), 1
    )

    multi = g.to_networkx()
    x, y = Transformer.from_crs(4326, facilities.crs, always_xy=True).transform(g.lon, g.lat)
    for n, data in multi.nodes(data=True):  # projected once, as the tutorial does
        i = int(np.searchsorted(g.segments.node_id, n))
        data["x"], data["y"] = float(x[i]), float(y[i])
    centres = [int(g.segments.node_id[i]) for i in nodes]

    def hull_recipe() -> list:
        out = []
        for c in centres:
            sub = nx.ego_graph(multi, c, radius=limit * 60, distance="travel_time")
            pts = [shapely.Point(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
            out.append(gpd.GeoSeries(pts).union_all().convex_hull)
        return out

    def buffer_recipe() -> list:
        out = []
        for c in centres:
            sub = nx.ego_graph(multi, c, radius=limit * 60, distance="travel_time")
            pts = [shapely.Point(d["x"], d["y"]).buffer(50) for _, d in sub.nodes(data=True)]
            lines = [
                shapely.LineString(
                    [(sub.nodes[u]["x"], sub.nodes[u]["y"]), (sub.nodes[v]["x"], sub.nodes[v]["y"])]
                ).buffer(25)
                for u, v in sub.edges()
            ]
            out.append(gpd.GeoSeries(pts + lines).union_all())
        return out

    hull_t, hulls = best_of(hull_recipe, 1)
    buffer_t, buffers = best_of(buffer_recipe, 1)

    def floor_recipe() -> list:
        dist = dijkstra(g.matrix, indices=nodes, limit=limit * 60)
        return [
            shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])[np.isfinite(d)]))
            for d in dist
        ]

    floor_t, _ = best_of(floor_recipe)
    area = float(np.mean(shapely.area(ours.geometry.to_numpy()))) / 1e6
    hull_area = float(np.mean(shapely.area(np.asarray(hulls)))) / 1e6
    buffer_area = float(np.mean(shapely.area(np.asarray(buffers)))) / 1e6
    per = 1e3 / n_facilities
    return [
        f"Isochrone polygons, {limit:.0f} min, {n_facilities} facilities, {label} "
        f"({g.n_nodes:,} nodes); 2 threads unless stated",
        "| method | ms per facility | × geohealth | mean area km² |",
        "|---|---|---|---|",
        f"| geohealth `isochrones` (network + partial edges + walking discs) | "
        f"{ours_t * per:.0f} | 1 | {area:.1f} |",
        f"| geohealth `isochrones`, 1 thread | {ours1_t * per:.0f} | {ours1_t / ours_t:.1f} | — |",
        f"| geohealth `isochrones`, first call on a graph (one-off run simplification: "
        f"{cold_t - ours_t:.1f} s) | {cold_t * per:.0f} | {cold_t / ours_t:.1f} | — |",
        f"| geohealth, 5/10/15/30 min in one call (4 polygons) | {ours4_t * per:.0f} | "
        f"{ours4_t / ours_t:.1f} | — |",
        f"| osmnx tutorial: `ego_graph` + convex hull (not an isochrone) | {hull_t * per:.0f} | "
        f"{hull_t / ours_t:.1f} | {hull_area:.1f} |",
        f"| osmnx tutorial: `ego_graph` + 50 m / 25 m buffers + union | {buffer_t * per:.0f} | "
        f"{buffer_t / ours_t:.1f} | {buffer_area:.1f} |",
        f"| floor: bounded scipy search + `shapely.convex_hull` | {floor_t * per:.1f} | "
        f"{floor_t / ours_t:.2f} | — |",
        f"({len(ours4)} polygons in the 4-threshold call.)",
    ]


def main() -> None:
    andorra = EXTRACTS / "andorra.osm.pbf"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("GEOHEALTH_CACHE_DIR", str(Path(tmp) / "cache"))
        grid = Path(tmp) / "grid.osm.pbf"
        grid_pbf(grid)
        sections = [
            bench_build(andorra, Path(tmp)),
            bench_nearest(andorra, "Andorra (drive)"),
            bench_nearest(grid, "300 × 300 grid"),
            bench_isochrones(andorra, "Andorra (drive)"),
        ]
    record(
        "bench_network.py",
        ("geohealth", "numpy", "scipy", "shapely", "osmium", "networkx", "osmnx", "pandana"),
        sections,
    )


if __name__ == "__main__":
    main()
