"""An independent reference for travel times: networkx on a graph with linked places cut in.

Every link of every attached point (homes, cells, facilities) becomes a real node cut into
its segment, joined to the point by a real edge weighted with that link's off-road walk: a
point is then connected to all the roads it may walk to, and networkx's Dijkstra picks the
best one. Nothing of the engine's virtual-node arithmetic is shared.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx


def reference_graph(g, attachments):
    """nx.DiGraph of ``g`` with every link of each attachment cut into its segment.

    Homes are ``("home", i)`` (tag "home" or any tag but "facility"); trips to facility ``i``
    end at ``("door", i)``, trips from it start at ``("start", i)``.
    """
    ref = nx.DiGraph()
    for a, b, t in zip(g.u.tolist(), g.v.tolist(), g.time_s.tolist(), strict=True):
        ref.add_edge(a, b, w=t)
    cuts = defaultdict(list)  # (a, b) -> [(fraction, name)]
    for tag, att in attachments.items():
        links = att.links
        for k in range(len(links)):
            name = (tag, int(links.point[k]), k)
            cuts[(int(links.a[k]), int(links.b[k]))].append((float(links.fraction[k]), name))
    for (a, b), points in cuts.items():
        points.sort()
        chain = [a, *[("cut", name) for _, name in points], b]
        share = [0.0, *[f for f, _ in points], 1.0]
        for tag_dir, (x, y) in (("ab", (a, b)), ("ba", (b, a))):
            if not ref.has_edge(x, y):
                continue
            full = ref[x][y]["w"]
            ref.remove_edge(x, y)
            nodes = chain if tag_dir == "ab" else chain[::-1]
            fr = share if tag_dir == "ab" else [1 - s for s in share[::-1]]
            for k in range(len(nodes) - 1):
                ref.add_edge(nodes[k], nodes[k + 1], w=(fr[k + 1] - fr[k]) * full)
        for share_, name in points:  # a place can always stand where it is
            ref.add_node(("cut", name))
            for end, at in ((a, 0.0), (b, 1.0)):  # a place at a segment's end is that node
                if share_ == at:
                    ref.add_edge(end, ("cut", name), w=0.0)
                    ref.add_edge(("cut", name), end, w=0.0)
    for tag, att in attachments.items():
        links = att.links
        for k in range(len(links)):
            i = int(links.point[k])
            here = ("cut", (tag, i, k))
            if tag == "facility":  # arrive at its door, or leave from its start
                ref.add_edge(here, ("door", i), w=float(links.walk_s[k]))
                ref.add_edge(("start", i), here, w=float(links.walk_s[k]))
            else:
                ref.add_edge(("home", i), here, w=float(links.walk_s[k]))
    return ref


def brute_force_links(g, lon, lat, reach_m):
    """Every segment within ``reach_m`` of each point (or its nearest), measured with shapely.

    Returns a list per point of ``(a, b, distance_m)`` for the undirected segments of the
    main network, computed by brute force over every segment: no KD-tree, no sampling.
    """
    import numpy as np
    import shapely
    from pyproj import Transformer

    from geohealth.network.snap import utm_crs

    crs = utm_crs(g.lon, g.lat)
    fwd = Transformer.from_crs(4326, crs, always_xy=True)
    nx_, ny_ = fwd.transform(g.lon, g.lat)
    main = g.main_component
    pairs = {(min(a, b), max(a, b)) for a, b in zip(g.u.tolist(), g.v.tolist(), strict=True)}
    pairs = sorted(p for p in pairs if main[p[0]] and main[p[1]])
    lines = shapely.linestrings([[(nx_[a], ny_[a]), (nx_[b], ny_[b])] for a, b in pairs])
    px, py = fwd.transform(np.asarray(lon), np.asarray(lat))
    out = []
    for x, y in zip(np.atleast_1d(px), np.atleast_1d(py), strict=True):
        d = shapely.distance(shapely.Point(x, y), lines)
        near = np.flatnonzero(d <= reach_m)
        if near.size == 0:
            near = np.array([int(np.argmin(d))])
        out.append({(pairs[k][0], pairs[k][1]): float(d[k]) for k in near})
    return out
