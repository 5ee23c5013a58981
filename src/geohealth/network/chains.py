"""Chains: runs of road segments between junctions.

OSM draws a curved road as many short segments joined at nodes that are not junctions. For
geometry work (isochrone outlines) a run of such segments between two junctions — a *chain* —
is the natural unit: nothing can enter or leave it in between. :func:`chains` finds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geohealth.network.snap import Segments


@dataclass(frozen=True)
class Chains:
    """Runs of segments between junctions (nodes not of degree 2), each walked in order.

    Attributes
    ----------
    offsets
        Chain ``c`` owns ``segment[offsets[c]:offsets[c + 1]]`` and
        ``nodes[offsets[c] + c : offsets[c + 1] + c + 1]`` (one more node than segments).
    segment
        Segment indices (into the :class:`~geohealth.network.snap.Segments` table), in
        walking order.
    forward
        True where the chain walks the segment from its ``a`` to its ``b``.
    nodes
        Node indices along each chain, both ends included.
    """

    offsets: np.ndarray
    segment: np.ndarray
    forward: np.ndarray
    nodes: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1


def chains(segments: Segments) -> Chains:
    """Split a segment table into chains between junctions.

    Every segment belongs to exactly one chain. Junctions are nodes with one or more than two
    distinct neighbours; a loop without any junction is one chain, from any of its nodes.

    Parameters
    ----------
    segments
        Undirected segments of a graph.

    Returns
    -------
    Chains
        The chains, walked from one junction to the next.
    """
    a, b = segments.a.astype(np.int64), segments.b.astype(np.int64)
    n_seg = len(a)
    ends = np.concatenate([a, b])
    incident = np.concatenate([np.arange(n_seg), np.arange(n_seg)])
    order = np.argsort(ends, kind="stable")
    ends, incident = ends[order], incident[order]
    first = np.searchsorted(ends, np.arange(int(ends.max(initial=-1)) + 2))
    degree = np.diff(first)
    visited = np.zeros(n_seg, dtype=bool)
    seg_out: list[int] = []
    fwd_out: list[bool] = []
    node_out: list[int] = []
    offsets = [0]
    a_list, b_list = a.tolist(), b.tolist()
    incident_list = incident.tolist()
    first_list = first.tolist()
    is_junction = (degree != 2).tolist()

    def walk(start: int, seg: int) -> None:
        node = start
        node_out.append(node)
        while True:
            visited[seg] = True
            forward = a_list[seg] == node
            node = b_list[seg] if forward else a_list[seg]
            seg_out.append(seg)
            fwd_out.append(forward)
            node_out.append(node)
            if is_junction[node] or node == start:
                break
            lo = first_list[node]
            pair = incident_list[lo : lo + 2]
            seg = pair[1] if pair[0] == seg else pair[0]
            if visited[seg]:
                break
        offsets.append(len(seg_out))

    for node in np.flatnonzero(degree != 2).tolist():
        for seg in incident_list[first_list[node] : first_list[node + 1]]:
            if not visited[seg]:
                walk(node, seg)
    for seg in np.flatnonzero(~visited).tolist():  # junction-free loops
        walk(a_list[seg], seg)
    return Chains(
        offsets=np.asarray(offsets, dtype=np.int64),
        segment=np.asarray(seg_out, dtype=np.int64),
        forward=np.asarray(fwd_out, dtype=bool),
        nodes=np.asarray(node_out, dtype=np.int64),
    )
