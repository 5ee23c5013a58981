"""Ways onto the network that another way of the same place makes redundant.

A place linked to every segment within its walking reach has many ways onto the network: on
a road drawn with a node every 20 m, a home 150 m away is linked to a dozen segments of it,
each with a way to both of its ends. Most of them can never be the best: if the place reaches
node ``b`` and then node ``a`` along the edge ``b → a`` sooner than it reaches ``a`` directly,
the direct way to ``a`` is never used, whatever lies beyond ``a``, because every trip onward
from ``a`` can start at ``b`` instead (the triangle inequality of shortest paths).

Dropping every way that is beaten strictly by another way plus one edge keeps every travel
time exact: the fastest way of any chain of such comparisons is never beaten strictly, and
the time through a dropped way is never below the time through the way that beats it. The
same holds in the other direction, for ways from the network to the place.
"""

from __future__ import annotations

import numpy as np

from geohealth.network.graph import RoadGraph

#: Seconds a way must be beaten by to be dropped (so rounding never drops a fastest way).
_MARGIN_S = 1e-3


def needed_ways(
    graph: RoadGraph,
    point: np.ndarray,
    node: np.ndarray,
    seconds: np.ndarray,
    *,
    leaving: bool,
) -> np.ndarray:
    """Mark the ways that may be a place's fastest; the others are beaten by one.

    Parameters
    ----------
    graph
        The graph the ways lead onto.
    point, node, seconds
        Ways: the place, the node and the seconds between them, one per (place, node) —
        the fastest of its kind — sorted by place, then node
        (:meth:`geohealth.network.snap.Attachment.leaving` with ``best=True``).
    leaving
        True for ways from the place onto the network (times *to* somewhere beyond the
        node), False for ways from the network to the place.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the ways: False where another way of the same place, plus one
        edge, is faster by more than a millisecond.
    """
    n = len(point)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return keep
    # leaving: a way to `a` is beaten through b → a (edges into a: the reversed graph's row);
    # arriving: a way from `a` is beaten through a → b (edges out of a: the graph's row)
    matrix = graph.reverse_matrix if leaving else graph.matrix
    node = node.astype(np.int64)
    begin = matrix.indptr[node]
    count = matrix.indptr[node + 1] - begin
    way = np.repeat(np.arange(n), count)
    edge = np.repeat(begin - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    other = matrix.indices[edge].astype(np.int64)
    wide = np.int64(graph.n_nodes)
    keys = point.astype(np.int64) * wide + node
    wanted = point.astype(np.int64)[way] * wide + other
    at = np.minimum(np.searchsorted(keys, wanted), n - 1)
    found = keys[at] == wanted
    beaten = found & (
        seconds[at].astype(np.float64) + matrix.data[edge]
        < seconds[way].astype(np.float64) - _MARGIN_S
    )
    keep[way[beaten]] = False
    return keep
