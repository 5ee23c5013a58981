"""The sample county's roads, written as an OpenStreetMap PBF with pyosmium.

The hierarchy follows a north-east China county: a national road (trunk) and two provincial
roads (secondary) through the county seat, county roads (tertiary) linking township seats,
paved village roads (unclassified, 村村通) to every administrative village, dirt tracks to the
hamlets, a street grid with one-way streets in the county seat, small street grids in the
township seats, and a ferry across the reservoir. Crossing roads are joined at a shared node
(at-grade junctions), as in OSM.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

from geohealth.sample.layout import LAYOUT_CRS, URBAN_SIZE_M, URBAN_SPACING_M, Layout

_TIMESTAMP = "2026-01-01T00:00:00Z"


@dataclass
class Hub:
    """A place roads attach to: its centre node and its edge nodes (ports)."""

    centre: int
    ports: list[int]


@dataclass
class RoadBuilder:
    """Nodes (metres) and ways (node ids + tags) under construction."""

    xy: list[tuple[float, float]] = field(default_factory=list)
    ways: list[tuple[list[int], dict[str, str]]] = field(default_factory=list)

    def node(self, x: float, y: float) -> int:
        """Add a node; return its id (1-based)."""
        self.xy.append((float(x), float(y)))
        return len(self.xy)

    def at(self, node_id: int) -> np.ndarray:
        """Coordinates of a node."""
        return np.array(self.xy[node_id - 1])

    def way(self, ids: list[int], tags: dict[str, str]) -> None:
        """Add a way through existing nodes."""
        self.ways.append((ids, tags))

    def road(
        self,
        start: int,
        end: int,
        tags: dict[str, str],
        rng: np.random.Generator,
        *,
        spacing: float = 250.0,
        wiggle: float = 0.04,
    ) -> list[int]:
        """Add a gently curving road from node ``start`` to node ``end``."""
        a, b = self.at(start), self.at(end)
        length = float(np.hypot(*(b - a)))
        n = max(1, int(length // spacing))
        t = np.linspace(0.0, 1.0, n + 1)[1:-1]
        normal = np.array([-(b - a)[1], (b - a)[0]]) / max(length, 1e-9)
        offset = np.zeros_like(t)
        for k in (1, 2, 3):
            offset += rng.normal(0.0, wiggle * length / k) * np.sin(k * np.pi * t)
        ids = [start]
        for ti, oi in zip(t, offset, strict=True):
            x, y = a + ti * (b - a) + oi * normal
            ids.append(self.node(x, y))
        ids.append(end)
        self.way(ids, tags)
        return ids


def _grid(
    builder: RoadBuilder, cx: float, cy: float, nx: int, ny: int, spacing: float, tags_for: callable
) -> Hub:  # type: ignore[valid-type]
    """Add a street grid; ``tags_for(axis, index)`` gives each street's tags (or None)."""
    xs = cx + (np.arange(nx) - (nx - 1) / 2) * spacing
    ys = cy + (np.arange(ny) - (ny - 1) / 2) * spacing
    ids = np.array([[builder.node(x, y) for x in xs] for y in ys])
    for j in range(ny):
        tags = tags_for("x", j)
        row = [int(i) for i in ids[j, :]]
        builder.way(row[::-1] if tags.pop("_reverse", None) else row, tags)
    for i in range(nx):
        tags = tags_for("y", i)
        col = [int(k) for k in ids[:, i]]
        builder.way(col[::-1] if tags.pop("_reverse", None) else col, tags)
    ports = sorted({int(v) for v in np.concatenate([ids[0], ids[-1], ids[:, 0], ids[:, -1]])})
    return Hub(centre=int(ids[ny // 2, nx // 2]), ports=ports)


def _nearest(builder: RoadBuilder, candidates: list[int], target: np.ndarray) -> int:
    pts = np.array([builder.xy[c - 1] for c in candidates])
    return candidates[int(np.argmin(np.hypot(*(pts - target).T)))]


def _link(
    builder: RoadBuilder,
    a: Hub,
    b: Hub,
    tags: dict[str, str],
    rng: np.random.Generator,
    **kw: float,
) -> list[int]:
    start = _nearest(builder, a.ports, builder.at(b.centre))
    end = _nearest(builder, b.ports, builder.at(start))
    return builder.road(start, end, dict(tags), rng, **kw)


def _edge_node(
    builder: RoadBuilder, layout: Layout, origin: np.ndarray, direction: np.ndarray
) -> Hub:
    """Add a node 1 km beyond the county line along ``direction`` from ``origin``."""
    ray = shapely.LineString([origin, origin + direction * 200_000])
    crossing = ray.intersection(layout.outline.exterior)
    pts = shapely.get_coordinates(crossing)
    far = pts[np.argmin(np.hypot(*(pts - origin).T))] + direction * 1000
    node = builder.node(*far)
    return Hub(centre=node, ports=[node])


def _county_seat(builder: RoadBuilder, layout: Layout) -> Hub:
    nx = int(URBAN_SIZE_M[0] // URBAN_SPACING_M) + 1
    ny = int(URBAN_SIZE_M[1] // URBAN_SPACING_M) + 1
    street_names_x = iter(
        [
            "建设街",
            "光明街",
            "和平街",
            "文化街",
            "团结街",
            "解放街",
            "新华街",
            "胜利街",
            "长春街",
            "友谊街",
            "民主街",
            "工农街",
        ]
    )
    street_names_y = iter(
        [
            "一道街",
            "二道街",
            "三道街",
            "四道街",
            "五道街",
            "六道街",
            "七道街",
            "八道街",
            "九道街",
            "十道街",
            "十一道街",
            "十二道街",
        ]
    )

    def tags_for(axis: str, index: int) -> dict[str, str]:
        mid = (ny if axis == "x" else nx) // 2
        if index == mid:
            return {
                "highway": "primary",
                "name": "人民大街" if axis == "x" else "中央大街",
                "maxspeed": "40",
                "lanes": "4",
            }
        if abs(index - mid) == 2:
            return {
                "highway": "secondary",
                "name": next(street_names_x if axis == "x" else street_names_y),
                "maxspeed": "40",
            }
        tags = {
            "highway": "residential",
            "name": next(street_names_x if axis == "x" else street_names_y),
        }
        if axis == "x" and index % 2 == 1:  # one-way pairs on alternate east-west streets
            tags["oneway"] = "yes"
            if index % 4 == 3:
                tags["_reverse"] = "1"
        return tags

    return _grid(builder, *layout.urban_centre, nx, ny, URBAN_SPACING_M, tags_for)


#: Streets each way in a township seat's grid (250 m apart): a town (镇) spreads its people
#: with σ = 450 m, a xiang (乡) with 300 m, so 9 and 7 streets (±1 000 m, ±750 m) leave each
#: seat's people within ~3σ of a street and the walk to it (``network.max_walk_m``).
SEAT_STREETS = {"镇": 9, "乡": 7}


def _seats(builder: RoadBuilder, layout: Layout) -> dict[int, Hub]:
    hubs = {}
    for t, town in layout.townships.iloc[2:].iterrows():
        base = str(town["name"])[:-1]
        # streets wherever the seat's people live: its houses spread ~3σ (layout.spread_m)
        size = SEAT_STREETS[town["kind"]]

        def tags_for(axis: str, index: int, base: str = base, size: int = size) -> dict[str, str]:
            main = index == size // 2
            street = f"{base}{'大' if main else ''}{'街' if axis == 'x' else '路'}"
            return {"highway": "residential", "name": street if main else f"{street}{index + 1}"}

        hubs[int(t)] = _grid(builder, town["seat_x"], town["seat_y"], size, size, 250.0, tags_for)
    return hubs


def _small_place(
    builder: RoadBuilder, x: float, y: float, arm: float, name: str, cross: bool
) -> Hub:
    centre = builder.node(x, y)
    ends = []
    for dx, dy in ((1, 0), (0, 1)) if cross else ((1, 0),):
        a = builder.node(x - dx * arm, y - dy * arm)
        b = builder.node(x + dx * arm, y + dy * arm)
        mids_a = builder.node(x - dx * arm / 2, y - dy * arm / 2)
        mids_b = builder.node(x + dx * arm / 2, y + dy * arm / 2)
        builder.way([a, mids_a, centre, mids_b, b], {"highway": "residential", "name": name})
        ends += [a, b]
    return Hub(centre=centre, ports=ends)


def _crosses_lake(builder: RoadBuilder, a: int, b: int, lake: shapely.Geometry) -> bool:
    return bool(
        shapely.intersects(shapely.LineString([builder.at(a), builder.at(b)]), lake.buffer(150))
    )


def _trunk_routes(
    builder: RoadBuilder,
    layout: Layout,
    urban: Hub,
    seats: dict[int, Hub],
    rng: np.random.Generator,
) -> set[frozenset[int]]:
    """National and provincial roads; return the seat pairs they already join."""
    centre = np.array(layout.urban_centre)
    joined: set[frozenset[int]] = set()
    routes = [
        (
            {"highway": "trunk", "ref": "G9001", "name": "国道G9001", "maxspeed": "80"},
            np.array([1.0, 0.08]),
        ),
        (
            {"highway": "secondary", "ref": "S9101", "name": "省道S9101", "maxspeed": "60"},
            np.array([0.05, 1.0]),
        ),
        (
            {"highway": "secondary", "ref": "S9102", "name": "省道S9102", "maxspeed": "60"},
            np.array([-0.75, 0.65]),
        ),
    ]
    for tags, axis in routes:
        axis = axis / np.hypot(*axis)
        for sign in (1.0, -1.0):
            direction = axis * sign
            # seats within 7 km of the ray, in order of distance along it
            chain = []
            for t, hub in seats.items():
                rel = builder.at(hub.centre) - centre
                along = float(rel @ direction)
                across = abs(float(rel @ np.array([-direction[1], direction[0]])))
                if along > 4000 and across < 7000:
                    chain.append((along, t))
            chain.sort()
            stops: list[tuple[int | None, Hub]] = [(None, urban)]
            stops += [(t, seats[t]) for _, t in chain]
            stops.append((None, _edge_node(builder, layout, centre, direction)))
            for (ta, a), (tb, b) in itertools.pairwise(stops):
                _link(builder, a, b, tags, rng, spacing=300.0, wiggle=0.03)
                if ta is not None and tb is not None:
                    joined.add(frozenset((ta, tb)))
                if ta is None and tb is not None:
                    joined.add(frozenset((-1, tb)))
    return joined


def _county_roads(
    builder: RoadBuilder,
    layout: Layout,
    urban: Hub,
    seats: dict[int, Hub],
    joined: set[frozenset[int]],
    rng: np.random.Generator,
) -> None:
    keys = [-1, *seats]
    hubs = [urban, *seats.values()]
    pts = np.array([builder.at(h.centre) for h in hubs])
    tri = Delaunay(pts)
    edges = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, b = sorted((int(simplex[i]), int(simplex[(i + 1) % 3])))
            edges.add((a, b))
    edges = {
        (a, b)
        for a, b in edges
        if not _crosses_lake(builder, hubs[a].centre, hubs[b].centre, layout.lake)
    }
    rows, cols = zip(*sorted(edges), strict=True)
    lengths = np.hypot(*(pts[list(rows)] - pts[list(cols)]).T)
    tree = minimum_spanning_tree(coo_matrix((lengths, (rows, cols)), shape=(len(pts),) * 2))
    chosen = {tuple(sorted(map(int, e))) for e in zip(*tree.nonzero(), strict=True)}
    typical = float(np.median(tree.data))
    for (a, b), length in zip(sorted(edges), lengths, strict=True):
        if (a, b) not in chosen and length < 1.4 * typical and rng.random() < 0.35:
            chosen.add((a, b))
    number = 1
    for a, b in sorted(chosen):
        if frozenset((keys[a], keys[b])) in joined:
            continue
        tags = {"highway": "tertiary", "ref": f"X{number:03d}", "name": f"县道X{number:03d}"}
        _link(builder, hubs[a], hubs[b], tags, rng, spacing=250.0, wiggle=0.05)
        number += 1


def _village_roads(
    builder: RoadBuilder, layout: Layout, seats: dict[int, Hub], rng: np.random.Generator
) -> dict[int, Hub]:
    """Villages and hamlets with their access roads; return the village hubs by row."""
    settlements = layout.settlements
    first_rural_node = len(builder.xy)
    hubs: dict[int, Hub] = {}
    for t, seat in seats.items():
        villages = settlements[(settlements["kind"] == "village") & (settlements["township"] == t)]
        seat_xy = builder.at(seat.centre)
        order = np.argsort(np.hypot(villages["x"] - seat_xy[0], villages["y"] - seat_xy[1]))
        targets = list(seat.ports)
        for row in villages.index[order]:
            v = settlements.loc[row]
            hub = _small_place(builder, v["x"], v["y"], 250.0, f"{v['name']}街", cross=True)
            hubs[int(row)] = hub
            by_distance = sorted(
                targets, key=lambda n: float(np.hypot(*(builder.at(n) - (v["x"], v["y"]))))
            )
            wanted = 2 if rng.random() < 0.25 else 1
            road = {"highway": "unclassified", "surface": "asphalt", "name": f"{v['name']}路"}
            made = 0
            for target in by_distance:
                start = _nearest(builder, hub.ports, builder.at(target))
                if _crosses_lake(builder, start, target, layout.lake):
                    continue
                builder.road(start, target, road, rng, spacing=200.0, wiggle=0.06)
                made += 1
                if made == wanted:
                    break
            if made == 0:  # every straight link would cross the reservoir: bridge it
                start = _nearest(builder, hub.ports, builder.at(by_distance[0]))
                bridge = {**road, "bridge": "yes", "layer": "1"}
                builder.road(start, by_distance[0], bridge, rng, spacing=200.0, wiggle=0.0)
            targets += hub.ports
    hamlets = settlements[settlements["kind"] == "hamlet"]
    for _, h in hamlets.iterrows():
        hub = _small_place(builder, h["x"], h["y"], 120.0, str(h["name"]), cross=False)
        parent = hubs[int(h["parent"])]
        near = range(first_rural_node + 1, len(builder.xy) - 4)
        candidates = [*parent.ports, *near]
        pts = np.array([builder.xy[c - 1] for c in candidates])
        dist = np.hypot(pts[:, 0] - h["x"], pts[:, 1] - h["y"])
        for k in np.argsort(dist)[:10]:
            target = candidates[int(k)]
            start = _nearest(builder, hub.ports, builder.at(target))
            if dist[k] < 200 or _crosses_lake(builder, start, target, layout.lake):
                continue
            builder.road(
                start,
                target,
                {"highway": "track", "tracktype": "grade3", "surface": "gravel"},
                rng,
                spacing=150.0,
                wiggle=0.08,
            )
            break
    return hubs


def _ferry(
    builder: RoadBuilder, layout: Layout, villages: dict[int, Hub], rng: np.random.Generator
) -> None:
    """Add a passenger ferry across the reservoir between the two nearest shore villages."""
    lake = layout.lake
    shore = lake.exterior
    cx, cy = lake.centroid.x, lake.centroid.y
    s = layout.settlements
    rows = sorted(
        villages, key=lambda r: lake.distance(shapely.Point(s.loc[r, "x"], s.loc[r, "y"]))
    )
    first = rows[0]
    a_xy = np.array([s.loc[first, "x"], s.loc[first, "y"]])
    for other in rows[1:]:
        b_xy = np.array([s.loc[other, "x"], s.loc[other, "y"]])
        if float((a_xy - (cx, cy)) @ (b_xy - (cx, cy))) < 0:  # opposite sides
            break
    landings = []
    for xy, row in ((a_xy, first), (b_xy, other)):
        p = shore.interpolate(shore.project(shapely.Point(xy)))
        landing = builder.node(p.x, p.y)
        landings.append(landing)
        start = _nearest(builder, villages[row].ports, np.array([p.x, p.y]))
        builder.road(
            start,
            landing,
            {"highway": "unclassified", "name": "渡口路"},
            rng,
            spacing=200.0,
            wiggle=0.02,
        )
    builder.way(
        landings,
        {
            "route": "ferry",
            "name": "样例水库渡口",
            "duration": "00:25",
            "foot": "yes",
            "bicycle": "yes",
            "motorcar": "no",
        },
    )


def _node_crossings(builder: RoadBuilder) -> int:
    """Join crossing ways at a shared node (at-grade junctions); return how many were added."""
    lines = [shapely.LineString([builder.xy[i - 1] for i in ids]) for ids, _ in builder.ways]
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="crosses")
    added = 0
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j or "route" in builder.ways[i][1] or "route" in builder.ways[j][1]:
            continue
        for x, y in shapely.get_coordinates(lines[i].intersection(lines[j])):
            shared = [_vertex_at(builder, builder.ways[k][0], x, y) for k in (i, j)]
            if shared[0] is not None and shared[0] == shared[1]:
                continue
            node = shared[0] or shared[1] or builder.node(x, y)
            for k, vertex in zip((i, j), shared, strict=True):
                if vertex != node:
                    _insert(builder, k, node)
            added += 1
    return added


def _vertex_at(builder: RoadBuilder, ids: list[int], x: float, y: float) -> int | None:
    for node in ids:
        nx, ny = builder.xy[node - 1]
        if abs(nx - x) < 0.5 and abs(ny - y) < 0.5:
            return node
    return None


def _insert(builder: RoadBuilder, way_index: int, node: int) -> None:
    ids, tags = builder.ways[way_index]
    pts = np.array([builder.xy[i - 1] for i in ids])
    p = builder.at(node)
    a, b = pts[:-1], pts[1:]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0, 1)
    dist = np.hypot(*(a + t[:, None] * ab - p).T)
    segment = int(np.argmin(dist))
    builder.ways[way_index] = ([*ids[: segment + 1], node, *ids[segment + 1 :]], tags)


def build(layout: Layout, rng: np.random.Generator) -> RoadBuilder:
    """Lay the whole road network.

    Parameters
    ----------
    layout
        The sample county.
    rng
        Random generator (seeded by the caller).

    Returns
    -------
    RoadBuilder
        Nodes in metres (:data:`LAYOUT_CRS`) and tagged ways.
    """
    builder = RoadBuilder()
    urban = _county_seat(builder, layout)
    seats = _seats(builder, layout)
    joined = _trunk_routes(builder, layout, urban, seats, rng)
    _county_roads(builder, layout, urban, seats, joined, rng)
    villages = _village_roads(builder, layout, seats, rng)
    _ferry(builder, layout, villages, rng)
    _node_crossings(builder)
    return builder


def write_pbf(builder: RoadBuilder, path: Path) -> None:
    """Write the network as an OSM PBF (nodes in WGS 84 at OSM's 1e-7° precision).

    Parameters
    ----------
    builder
        The network.
    path
        Output ``.osm.pbf``; replaced if it exists.
    """
    to_wgs = Transformer.from_crs(LAYOUT_CRS, 4326, always_xy=True)
    xy = np.array(builder.xy)
    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    meta = {
        "version": 1,
        "timestamp": _TIMESTAMP,
        "changeset": 1,
        "uid": 1,
        "user": "geohealth-sample",
    }
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True), start=1):
            writer.add_node(osmium.osm.mutable.Node(id=i, location=(x, y), tags={}, **meta))
        for i, (ids, tags) in enumerate(builder.ways, start=1):
            writer.add_way(osmium.osm.mutable.Way(id=i, nodes=ids, tags=tags, **meta))
    finally:
        writer.close()
