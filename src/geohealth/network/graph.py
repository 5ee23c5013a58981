"""Road segments + a travel profile → a timed, directed graph on compact arrays.

The graph keeps one directed edge per usable direction of every segment, with its length
(metres) and travel time (seconds). Shortest paths run on its CSR matrix with
``scipy.sparse.csgraph`` (compiled); :meth:`RoadGraph.to_networkx` hands the same graph to
osmnx/networkx users as a ``MultiDiGraph`` with ``length`` and ``travel_time`` on every edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geohealth.errors import NetworkError
from geohealth.network import osm, profiles, terrain
from geohealth.network.osm import RoadSegments
from geohealth.network.profiles import ModeProfile

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

_YES = ("yes", "designated", "permissive", "destination", "official")
_FORWARD = ("yes", "true", "1")
_BACKWARD = ("-1", "reverse")

#: Walking reach (metres): a place is linked to every road segment this close.
DEFAULT_MAX_WALK_M = 300.0


@dataclass(frozen=True)
class RoadGraph:
    """A timed, directed road graph for one travel mode.

    Attributes
    ----------
    mode
        The travel mode.
    profile
        The profile the times come from.
    segments
        The road segments it was built from (nodes, tags).
    u, v
        Directed edges as node indices; at most one edge per ordered pair (the fastest).
    length_m
        Edge length (metres).
    time_s
        Edge travel time (seconds).
    way
        Way index of each edge (into ``segments.tags``).
    max_walk_m
        Walking reach (metres): places are linked to every road segment this close
        (:mod:`geohealth.network.snap`).
    """

    mode: str
    profile: ModeProfile
    segments: RoadSegments
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    way: np.ndarray
    max_walk_m: float = DEFAULT_MAX_WALK_M
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes (all nodes of the extract's roads, used by this mode or not)."""
        return self.segments.n_nodes

    @property
    def lon(self) -> np.ndarray:
        """Node longitudes (WGS 84 degrees)."""
        return self.segments.lon

    @property
    def lat(self) -> np.ndarray:
        """Node latitudes (WGS 84 degrees)."""
        return self.segments.lat

    @cached_property
    def matrix(self) -> csr_matrix:
        """CSR matrix of travel times (seconds): row = from-node, column = to-node."""
        return csr_matrix((self.time_s, (self.u, self.v)), shape=(self.n_nodes,) * 2)

    @cached_property
    def reverse_matrix(self) -> csr_matrix:
        """CSR matrix of the reversed graph (row = to-node): for times *to* a place."""
        return csr_matrix((self.time_s, (self.v, self.u)), shape=(self.n_nodes,) * 2)

    @cached_property
    def main_component(self) -> np.ndarray:
        """Boolean mask of nodes in the largest strongly connected component."""
        used = np.zeros(self.n_nodes, dtype=bool)
        used[self.u] = True
        used[self.v] = True
        if not used.any():
            return used
        _, labels = connected_components(self.matrix, directed=True, connection="strong")
        sizes = np.bincount(labels[used])
        return used & (labels == int(np.argmax(sizes)))

    def to_networkx(self) -> nx.MultiDiGraph:
        """Export as an osmnx-style ``MultiDiGraph``.

        Returns
        -------
        networkx.MultiDiGraph
            Nodes keyed by OSM node ID with ``x``/``y`` (lon/lat); edges with ``length``
            (metres), ``travel_time`` (seconds), ``osmid`` (way ID) and ``highway``; graph
            attribute ``crs = "epsg:4326"``. Only nodes with an edge are included.
        """
        import networkx as nx  # only for this export: not loaded for a run

        seg = self.segments
        graph = nx.MultiDiGraph(crs="epsg:4326", mode=self.mode)
        used = np.unique(np.concatenate([self.u, self.v]))
        graph.add_nodes_from(
            (int(seg.node_id[i]), {"x": float(seg.lon[i]), "y": float(seg.lat[i])}) for i in used
        )
        highway = seg.tags["highway"]
        graph.add_edges_from(
            (
                int(seg.node_id[a]),
                int(seg.node_id[b]),
                {
                    "length": float(ln),
                    "travel_time": float(t),
                    "osmid": int(seg.way_id[w]),
                    "highway": str(highway[w]) or "ferry",
                },
            )
            for a, b, ln, t, w in zip(
                self.u, self.v, self.length_m, self.time_s, self.way, strict=True
            )
        )
        return graph


def _all_in(column: np.ndarray, values: tuple[str, ...]) -> np.ndarray:
    """Per tag value: whether it is in ``values`` — every one of them, for ``a;b`` lists.

    Case and spaces around values are ignored (``Private``, ``agricultural; forestry``).
    Decided once per distinct value, of which an extract has few.
    """
    wanted = {v.lower() for v in values}
    distinct, inverse = np.unique(column, return_inverse=True)
    verdict = np.zeros(len(distinct), dtype=bool)
    for i, value in enumerate(distinct.tolist()):
        parts = [part.strip().lower() for part in value.split(";") if part.strip()]
        verdict[i] = bool(parts) and all(part in wanted for part in parts)
    return verdict[inverse.reshape(-1)]


def _first_tag(
    tags: dict[str, np.ndarray], keys: tuple[str, ...], values: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Per way: whether any of ``keys`` is set, and whether the first set one is in ``values``.

    Keys are checked most specific first (``motorcar`` before ``access``), as OSM intends; a
    value listing several (``agricultural;forestry``) is in ``values`` when all of them are.
    """
    n = len(tags["highway"])
    said = np.zeros(n, dtype=bool)
    matched = np.zeros(n, dtype=bool)
    for key in keys:
        column = tags.get(key)
        if column is None:
            continue
        present = (column != "") & ~said
        rows = np.flatnonzero(present)  # few ways carry access tags: decide only those
        matched[rows] = _all_in(column[rows], values)
        said |= present
    return said, matched


def _allowed_ways(tags: dict[str, np.ndarray], profile: ModeProfile) -> np.ndarray:
    """Per way: whether the profile's access rule lets its mode use it."""
    _, barred = _first_tag(tags, profile.access_keys, profile.access_barred)
    return ~barred


def _ferry_ways(tags: dict[str, np.ndarray], profile: ModeProfile) -> np.ndarray:
    said, boards = _first_tag(tags, profile.ferry_keys, _YES)
    return (tags["route"] == "ferry") & (boards | (~said & profile.ferry_default))


def _oneway(tags: dict[str, np.ndarray]) -> np.ndarray:
    """Per way: +1 one-way along drawing, -1 against it, 0 both ways."""
    values = np.char.lower(tags["oneway"])
    direction = np.zeros(len(values), dtype=np.int8)
    direction[np.isin(values, _FORWARD)] = 1
    direction[np.isin(values, _BACKWARD)] = -1
    implied = np.isin(tags["junction"], ("roundabout", "circular")) | (
        tags["highway"] == "motorway"
    )
    direction[implied & (values == "")] = 1
    return direction


def build(
    segments: RoadSegments,
    profile: ModeProfile,
    *,
    dem: terrain.Elevation | None = None,
    max_walk_m: float = DEFAULT_MAX_WALK_M,
) -> RoadGraph:
    """Time a road network for one travel mode.

    Parameters
    ----------
    segments
        From :func:`geohealth.network.osm.read`.
    profile
        The mode's travel profile.
    dem
        Elevations; when given, and the profile has a ``terrain`` rule, each direction of
        every road is timed over its grade (:mod:`geohealth.network.terrain`).
    max_walk_m
        Walking reach (metres) between places and the roads.

    Returns
    -------
    RoadGraph
        The directed, timed graph.

    Raises
    ------
    NetworkError
        If no road in the extract is usable by this mode.
    """
    tags = segments.tags
    n_ways = len(segments.way_id)
    highway = tags["highway"]
    speed_of_class = np.array([profile.speeds_kmh.get(h, np.nan) for h in highway], dtype=float)
    speed_of_class[tags["area"] == "yes"] = np.nan  # pedestrian squares drawn as areas
    maxspeed = osm.parse_maxspeed(tags["maxspeed"])
    speed = speed_of_class.copy()
    posted = np.isfinite(maxspeed) & np.isfinite(speed_of_class)
    if profile.maxspeed == "average":
        speed[posted] = maxspeed[posted] * profile.maxspeed_factor
    elif profile.maxspeed == "cap":
        speed[posted] = np.minimum(speed_of_class[posted], maxspeed[posted])
    usable_way = np.isfinite(speed) & _allowed_ways(tags, profile)
    ferry_way = _ferry_ways(tags, profile)

    way = segments.way
    length = segments.length_m
    time = np.full(len(way), np.nan)
    road = usable_way[way] & ~(tags["route"] == "ferry")[way]
    time[road] = length[road] / (speed[way[road]] / 3.6)
    time_back = time.copy()
    if dem is not None and profile.terrain != "none" and road.any():
        structure = ~np.isin(tags["bridge"], ("", "no")) | ~np.isin(tags["tunnel"], ("", "no"))
        fixed = terrain.structure_grades(
            segments.lon, segments.lat, (segments.u, segments.v, way, length), structure, dem
        )
        time[road], time_back[road] = terrain.slope_times(
            segments.lon,
            segments.lat,
            segments.u[road],
            segments.v[road],
            length[road],
            speed[way[road]] / 3.6,
            dem,
            rule=profile.terrain,
            uphill_slowdown=profile.uphill_slowdown,
            fixed_grade=fixed[road],
        )
    # ferries: the tagged duration (or length at ferry speed) plus waiting, spread over the
    # way's segments in proportion to their length
    ferry = ferry_way[way]
    if ferry.any():
        way_length = np.bincount(way, weights=length, minlength=n_ways)
        duration_s = osm.parse_duration_min(tags["duration"]) * 60.0
        crossing_s = np.where(
            np.isfinite(duration_s), duration_s, way_length / (profile.ferry_kmh / 3.6)
        )
        crossing_s += profile.ferry_wait_min * 60.0
        share = length[ferry] / np.maximum(way_length[way[ferry]], 1e-9)
        time[ferry] = crossing_s[way[ferry]] * share
        time_back[ferry] = time[ferry]

    keep = np.isfinite(time)
    if not keep.any():
        if np.isfinite(speed[way]).any():  # roads of usable classes, all barred by access
            msg = (
                f"{segments.source}: every road {profile.mode} could use is barred by its "
                f"access tags ({', '.join(profile.access_keys)}) — check the profile's "
                f"{profile.mode}.access_barred"
            )
        else:
            msg = (
                f"{segments.source}: no road in the extract is usable for {profile.mode} "
                f"(classes present: {', '.join(sorted(set(highway) - {''})[:8])}) — check "
                f"the profile's [{profile.mode}.speeds_kmh]"
            )
        raise NetworkError(msg)
    direction = _oneway(tags)[way] if profile.respect_oneway else np.zeros(len(way), np.int8)
    forward = keep & (direction >= 0)
    backward = keep & (direction <= 0)
    u = np.concatenate([segments.u[forward], segments.v[backward]])
    v = np.concatenate([segments.v[forward], segments.u[backward]])
    t = np.concatenate([time[forward], time_back[backward]])
    ln = np.concatenate([length[forward], length[backward]])
    w = np.concatenate([way[forward], way[backward]])
    # one edge per ordered pair: the fastest (CSR would otherwise add parallel edges up)
    order = np.lexsort((t, v, u))
    u, v, t, ln, w = u[order], v[order], t[order], ln[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    graph = RoadGraph(
        mode=profile.mode,
        profile=profile,
        segments=segments,
        u=u[first].astype(np.int32),
        v=v[first].astype(np.int32),
        length_m=ln[first],
        time_s=t[first],
        way=w[first].astype(np.int32),
        max_walk_m=max_walk_m,
    )
    log.info("%s network: %d nodes, %d directed edges", profile.mode, graph.n_nodes, len(graph.u))
    return graph


def from_osm(
    path: str | Path,
    mode: str,
    *,
    profiles_path: str | Path | None = None,
    dem: str | Path | terrain.Elevation | None = None,
    use_cache: bool = True,
) -> RoadGraph:
    """Read an OSM extract and time it for one mode.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` extract.
    mode
        ``"walk"``, ``"two_wheeler"`` or ``"drive"``.
    profiles_path
        A profiles TOML file; geohealth's defaults when None.
    dem
        A DEM GeoTIFF (or one already loaded) for timing grades; flat when None.
    use_cache
        Reuse the parsed extract from the on-disk cache.

    Returns
    -------
    RoadGraph
        The timed graph.

    Raises
    ------
    ConfigError
        If the mode is not in the profiles file or a profile is invalid.
    NetworkError
        If the extract is not what its name says, holds no roads, or none for this mode.
    """
    table = profiles.load(profiles_path)
    profiles.require(
        table,
        (mode,),
        source=profiles_path or profiles.DEFAULT_PROFILES,
        listed_by="the mode argument of from_osm",
    )
    elevation = terrain.load_dem(dem) if isinstance(dem, str | Path) else dem
    return build(osm.read(path, use_cache=use_cache), table[mode], dem=elevation)
