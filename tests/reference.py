"""An independent reference for travel times: networkx on a graph with points cut in."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx


def reference_graph(g, attachments):
    """nx.DiGraph of ``g`` with each attachment's point inserted into its segment."""
    ref = nx.DiGraph()
    for a, b, t in zip(g.u.tolist(), g.v.tolist(), g.time_s.tolist(), strict=True):
        ref.add_edge(a, b, w=t)
    cuts = defaultdict(list)  # (a, b) -> [(fraction, name)]
    for tag, att in attachments.items():
        for i in range(len(att)):
            cuts[(int(att.a[i]), int(att.b[i]))].append((float(att.fraction[i]), (tag, i)))
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
        for _, name in points:  # a point can always stand where it is
            ref.add_node(("cut", name))
    for tag, att in attachments.items():
        for i in range(len(att)):
            here = ("cut", (tag, i))
            if tag == "facility":
                ref.add_edge(here, ("door", i), w=float(att.offroad_s[i]))
            else:
                ref.add_edge(("home", i), here, w=float(att.offroad_s[i]))
    return ref
