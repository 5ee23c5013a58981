"""The p-median at plan scale: vertex substitution, Lagrangian bounds, then HiGHS on what is left.

The textbook model (one assignment variable per demand–site pair, ``y_ij ≤ x_j``) handed whole
to a MILP solver costs memory and time in proportion to the pairs and stalls at a county's
size. The literature's way, used here (Teitz & Bart 1968; Whitaker 1983; Resende & Werneck
2007; Beasley 1993), works on the sparse pairs directly:

1. **incumbent** — greedy adding, then vertex substitution: every swap (a site in, an open one
   out) is priced in one pass over the pairs from each demand point's nearest and
   second-nearest open site, and the best is made until none gains;
2. **bound** — Lagrangian relaxation of "every person is assigned once": for multipliers
   ``u`` the relaxed problem opens the ``p`` sites of most negative reduced cost, which
   bounds the optimum from below; subgradient steps raise the bound, and the relaxed
   solutions seed new incumbents;
3. **proof** — when the bound does not meet the incumbent, Lagrangian reduced costs fix the
   sites that cannot be in any better solution (open or closed), pairs beyond a point's
   nearest site fixed open are dropped, and HiGHS solves the small model that is left,
   starting from the incumbent.

Demand points with no people are left out. A point that no open site reaches counts
``unserved_min`` minutes per person (far above any pair), so the bound holds for the strict
problem; a plan that still leaves people unserved means no ``p`` sites reach everyone.
Work per pass is in proportion to the pairs; nothing dense in points × sites is made.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix, vstack

from geohealth.siting.milp import Model, solve

log = logging.getLogger(__name__)

#: Seconds between progress lines.
PROGRESS_S = 2.0


@dataclass(frozen=True)
class Pairs:
    """Demand–site pairs sorted by point, then by cost; points with people only.

    Each point's pairs are ascending in cost, so the pairs of a point cheaper than some
    limit are the first of its list: :meth:`below` finds them all with one binary search
    in ``key`` (point · ``span`` + cost, ascending), and the passes of the search touch
    only the pairs that can matter, not every pair.

    Attributes
    ----------
    point, site
        Demand point (0 … n − 1, among the kept points) and candidate site of each pair.
    cost
        Person-minutes of the pair (people × minutes).
    key
        ``point · span + cost``, ascending.
    start
        First pair of each point (n + 1 offsets).
    span
        Above every cost and every ``unserved``.
    unserved
        Person-minutes of each point when no open site reaches it.
    n_sites
        Number of candidate sites.
    """

    point: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    key: np.ndarray
    start: np.ndarray
    span: float
    unserved: np.ndarray
    n_sites: int

    @classmethod
    def build(
        cls,
        demand: np.ndarray,
        origin: np.ndarray,
        site: np.ndarray,
        minutes: np.ndarray,
        n_sites: int,
        unserved_min: float,
    ) -> tuple[Pairs, np.ndarray]:
        """Return the pairs of the points with people, and those points' original indices."""
        people = np.flatnonzero(demand > 0)
        new = np.full(len(demand), -1, dtype=np.int64)
        new[people] = np.arange(len(people))
        keep = np.flatnonzero(new[origin] >= 0)
        point = new[origin[keep]]
        w = np.asarray(demand[people], dtype=float)
        cost = w[point] * minutes[keep]
        unserved = w * unserved_min
        span = 2.0 * max(float(cost.max(initial=0.0)), float(unserved.max(initial=0.0))) + 1.0
        key = point * span + cost
        order = np.argsort(key, kind="stable")
        point = point[order]
        return (
            cls(
                point=point.astype(np.int32),
                site=np.asarray(site)[keep[order]].astype(np.int32),
                cost=cost[order],
                key=key[order],
                start=np.searchsorted(point, np.arange(len(people) + 1)),
                span=span,
                unserved=unserved,
                n_sites=n_sites,
            ),
            people,
        )

    @property
    def n_points(self) -> int:
        """Number of demand points."""
        return len(self.unserved)

    def below(
        self, limit: np.ndarray, guess: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs cheaper than their point's ``limit``: (pair indices, count per point).

        Each point's count is its list's prefix below the limit. From a ``guess`` (the counts
        for a nearby limit, as between two subgradient steps) the prefixes are walked a pair
        at a time; otherwise, or when they move far, one binary search in ``key`` finds them.
        """
        first = self.start[:-1]
        size = self.start[1:] - first
        count = None
        if guess is not None:
            count = np.minimum(guess, size)
            last = len(self.cost) - 1
            for _ in range(8):
                up = (count < size) & (self.cost[np.minimum(first + count, last)] < limit)
                down = (count > 0) & (self.cost[np.maximum(first + count - 1, 0)] >= limit)
                if not (up.any() or down.any()):
                    break
                count = count + up - down
            else:
                count = None
        if count is None:
            edge = np.arange(self.n_points) * self.span + limit
            end = np.searchsorted(self.key, edge + np.abs(edge) * 1e-15, side="left")
            count = np.maximum(end - first, 0)
        total = int(count.sum())
        index = np.arange(total) + np.repeat(first - (np.cumsum(count) - count), count)
        return index, count

    def nearest_two(self, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point: cost to its nearest open site, that site (−1: none), cost to the next.

        "None" costs ``unserved``; so does the next when only one open site reaches it.
        """
        d1, d2 = self.unserved.copy(), self.unserved.copy()
        s1 = np.full(self.n_points, -1, dtype=np.int64)
        at = np.flatnonzero(is_open[self.site])  # pairs to open sites, by point then cost
        if len(at):
            pt = self.point[at]
            first = np.r_[True, pt[1:] != pt[:-1]]
            d1[pt[first]] = self.cost[at[first]]
            s1[pt[first]] = self.site[at[first]]
            second = np.flatnonzero(first) + 1
            second = second[second < len(at)]
            second = second[pt[second] == pt[second - 1]]
            d2[pt[second]] = self.cost[at[second]]
        return d1, s1, d2


@dataclass(frozen=True)
class PMedianSolution:
    """The best plan found, and how far from optimal it can be.

    Attributes
    ----------
    sites
        Open sites, ascending.
    objective
        Person-minutes of the plan (unserved people at ``unserved_min``).
    bound
        Proven lower bound on the optimum.
    gap
        ``(objective − bound) / objective``.
    status
        ``"Optimal"`` (gap 0), ``"Within gap"`` (the asked gap reached), ``"Time limit
        reached"`` or ``"Gap left open"`` (the exact model would have been too large).
    seconds
        Wall time.
    unserved_people
        People no open site reaches.
    """

    sites: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    unserved_people: float


class _Progress:
    """Log elapsed time, incumbent, bound and gap every ``PROGRESS_S`` seconds."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.perf_counter()
        self.last = self.start

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def tick(self, stage: str, incumbent: float, bound: float, *, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self.last >= PROGRESS_S:
            self.last = now
            log.info(
                "%s %s: %.0f s, best %s person-min, bound %s, gap %s",
                self.label,
                stage,
                now - self.start,
                f"{incumbent:,.0f}",
                f"{bound:,.0f}" if np.isfinite(bound) else "—",
                f"{_gap(incumbent, bound):.2%}" if np.isfinite(bound) else "—",
            )


def _gap(objective: float, bound: float) -> float:
    return max(0.0, objective - bound) / max(abs(objective), 1e-10)


def _cost(pairs: Pairs, is_open: np.ndarray) -> float:
    d1, _, _ = pairs.nearest_two(is_open)
    return float(d1.sum())


def _greedy(pairs: Pairs, p: int, fixed: np.ndarray) -> np.ndarray:
    """Open the fixed sites, then add the site that saves most, until ``p`` are open."""
    is_open = np.zeros(pairs.n_sites, dtype=bool)
    is_open[fixed] = True
    best = pairs.nearest_two(is_open)[0]
    for _ in range(p - len(fixed)):
        index, count = pairs.below(best)  # only pairs that save anything
        owner = np.repeat(np.arange(pairs.n_points), count)
        site = pairs.site[index]
        saving = best[owner] - pairs.cost[index]
        gain = np.bincount(site, weights=np.maximum(saving, 0.0), minlength=pairs.n_sites)
        gain[is_open] = -1.0
        j = int(np.argmax(gain))
        is_open[j] = True
        reach = site == j
        np.minimum.at(best, owner[reach], pairs.cost[index[reach]])
    return is_open


def _substitute(
    pairs: Pairs, is_open: np.ndarray, fixed: np.ndarray, progress: _Progress, deadline: float
) -> np.ndarray:
    """Vertex substitution: make the best swap (one site in, one out) until none gains.

    Every swap is priced in one pass (Whitaker's fast interchange, in the matrix form of
    Resende & Werneck): with ``d1``/``d2`` each point's cost to its nearest and second
    nearest open site and ``s1`` the nearest,

    - ``gain[j]``: what opening ``j`` saves, Σ max(0, d1 − c_ij);
    - ``loss[r]``: what closing ``r`` costs its points, Σ_{s1 = r} (d2 − d1);
    - ``extra[j, r]``: what ``j`` gives back to ``r``'s points when both happen,
      Σ_{s1 = r, c_ij < d2} (d2 − max(c_ij, d1));

    and the swap (j in, r out) changes the cost by ``−(gain[j] − loss[r] + extra[j, r])``.
    Only pairs cheaper than their point's ``d2`` enter any of them.
    """
    is_open = is_open.copy()
    movable = is_open.copy()
    movable[fixed] = False
    while time.perf_counter() < deadline:
        d1, s1, d2 = pairs.nearest_two(is_open)
        total = float(d1.sum())
        progress.tick("swapping", total, np.nan)
        out = np.flatnonzero(movable)
        if len(out) == 0:
            break
        rank = np.full(pairs.n_sites + 1, -1, dtype=np.int64)  # the last: "none"
        rank[out] = np.arange(len(out))
        owner = rank[s1]  # each point's nearest open site among those that may close
        loss = np.bincount(owner[owner >= 0], weights=(d2 - d1)[owner >= 0], minlength=len(out))
        index, count = pairs.below(d2)
        point = np.repeat(np.arange(pairs.n_points), count)
        site, cost = pairs.site[index], pairs.cost[index]
        near = d1[point]
        gain = np.bincount(site, weights=np.maximum(near - cost, 0.0), minlength=pairs.n_sites)
        back = np.flatnonzero((owner[point] >= 0) & ~is_open[site])
        give = d2[point[back]] - np.maximum(cost[back], near[back])
        extra = np.bincount(
            site[back].astype(np.int64) * len(out) + owner[point[back]],
            weights=give,
            minlength=pairs.n_sites * len(out),
        ).reshape(pairs.n_sites, len(out))
        profit = gain[:, None] - loss[None, :] + extra
        profit[is_open] = -np.inf
        j, r = np.unravel_index(int(np.argmax(profit)), profit.shape)
        if profit[j, r] <= 1e-9 * max(total, 1.0):
            break
        is_open[j], is_open[out[r]] = True, False
        movable[j], movable[out[r]] = True, False
    return is_open


def _lagrangian(
    pairs: Pairs,
    p: int,
    fixed: np.ndarray,
    incumbent: np.ndarray,
    progress: _Progress,
    deadline: float,
    gap: float,
) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Subgradient optimisation of the Lagrangian bound; improves the incumbent on the way.

    Relaxing "each point is assigned once" with multipliers ``u`` (person-minutes, one per
    point, at most its ``unserved``), a site's reduced cost is Σ_i min(0, c_ij − u_i) and
    the relaxed problem opens the fixed sites and the ``p`` − fixed others of least reduced
    cost; Σ u + their reduced costs bounds the optimum from below. Only pairs cheaper than
    their point's ``u`` count, and those are found by :meth:`Pairs.below`. Steps follow
    Polyak's rule towards the incumbent's cost, deflected (Camerini, Fratta and Maffioli)
    to damp zigzagging, halving the step after rounds without a better bound.

    Returns the best incumbent (open flags) and its cost, the best bound and the sites'
    reduced costs at its multipliers.
    """
    free = np.ones(pairs.n_sites, dtype=bool)
    free[fixed] = False
    candidates = np.flatnonzero(free)
    k = p - len(fixed)
    d1, _, _ = pairs.nearest_two(incumbent)
    best_cost, best_open = float(d1.sum()), incumbent
    u = d1.copy()  # the incumbent's costs: the first bound is its cost less p gains
    best_bound, best_rho = -np.inf, np.zeros(pairs.n_sites)
    theta, stale, tried = 2.0, 0, {np.flatnonzero(incumbent).tobytes()}
    direction = np.zeros(pairs.n_points)
    # steps scaled by the square root of each point's people: a multiplier is
    # person-minutes, so a point with few people needs smaller moves than a crowded one
    # (unscaled steps overshoot the small, fully scaled ones crawl on the crowded; the
    # square root converged fastest on the sample county and on generated regions)
    scale = np.sqrt(pairs.unserved / max(float(pairs.unserved.mean()), 1e-300))
    rounds, count = 0, None
    while time.perf_counter() < deadline and theta > 1e-3:
        rounds += 1
        index, count = pairs.below(u, count)
        point = np.repeat(np.arange(pairs.n_points), count)
        reduced = np.minimum(pairs.cost[index] - u[point], 0.0)
        site = pairs.site[index]
        rho = np.bincount(site, weights=reduced, minlength=pairs.n_sites)
        chosen = np.zeros(pairs.n_sites, dtype=bool)
        chosen[fixed] = True
        if k:
            chosen[candidates[np.argpartition(rho[candidates], k - 1)[:k]]] = True
        bound = float(u.sum() + rho[chosen].sum())
        if bound > best_bound + 1e-12 * abs(bound):
            best_bound, best_rho, stale = bound, rho, 0
        else:
            stale += 1
            if stale >= 10:
                theta, stale = theta / 2.0, 0
        key = np.flatnonzero(chosen).tobytes()
        if key not in tried:  # the relaxed plan, as a plan
            tried.add(key)
            if _cost(pairs, chosen) < best_cost * (1 - 1e-9):
                best_open = _substitute(pairs, chosen, fixed, progress, deadline)
                best_cost = _cost(pairs, best_open)
        progress.tick("bounding", best_cost, best_bound)
        if _gap(best_cost, best_bound) <= gap:
            break
        assigned = np.bincount(point[chosen[site]], minlength=pairs.n_points)
        g = 1.0 - assigned
        g[(u >= pairs.unserved) & (g > 0)] = 0.0  # u stays at most unserved
        sg = scale * g
        along = float(sg @ direction)
        beta = -1.5 * along / float(direction @ direction) if along < 0 else 0.0
        direction = sg + beta * direction
        norm = float(g @ direction)
        if norm <= 0.0:
            norm = float(g @ sg)
        if norm == 0.0:  # the relaxed plan assigns everyone once: it is an optimum
            relaxed = _cost(pairs, chosen)
            if relaxed < best_cost:
                best_open, best_cost = chosen, relaxed
            best_bound = max(best_bound, min(bound, best_cost))
            break
        step = theta * (best_cost - bound) / norm
        u = np.clip(u + step * direction, 0.0, pairs.unserved)
    log.debug("p-median: %d Lagrangian rounds", rounds)
    return best_open, best_cost, best_bound, best_rho


def _fix(
    rho: np.ndarray, bound: float, upper: float, p: int, fixed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sites no plan cheaper than ``upper`` can close (open) or open (closed), by reduced cost.

    At the multipliers of ``bound``, forcing an unchosen site open moves the bound by its
    reduced cost less the worst chosen one's; forcing a chosen site closed, by the best
    unchosen one's less its own. A forced bound at or above ``upper`` rules the change out.
    """
    n = len(rho)
    free = np.ones(n, dtype=bool)
    free[fixed] = False
    k = p - len(fixed)
    must_open, must_close = np.zeros(n, bool), np.zeros(n, bool)
    must_open[fixed] = True
    if k == 0:
        must_close[free] = True
        return must_open, must_close
    candidates = np.flatnonzero(free)
    order = candidates[np.argsort(rho[candidates], kind="stable")]
    chosen, rest = order[:k], order[k:]
    worst = rho[chosen[-1]]
    if len(rest):
        must_close[rest[bound + rho[rest] - worst >= upper]] = True
        next_best = rho[rest[0]]
        must_open[chosen[bound - rho[chosen] + next_best >= upper]] = True
    else:
        must_open[chosen] = True
    return must_open, must_close


def _exact(
    pairs: Pairs,
    p: int,
    must_open: np.ndarray,
    must_close: np.ndarray,
    incumbent: np.ndarray,
    time_limit_s: float,
    gap: float,
    max_nonzeros: int,
) -> tuple[np.ndarray, float, float, str] | None:
    """Solve the radius formulation on the sites still undecided with HiGHS.

    Elloumi's formulation (2010), as García, Labbé and Marín solve large p-medians: a point
    whose sites ascend in cost c₁ ≤ c₂ ≤ … pays c₁ + Σ_k (c_{k+1} − c_k) z_k, where
    z_k ≥ 1 − Σ_{j among its k nearest} x_j. Points whose k nearest sites are the same set
    share one row (their steps summed): nearby points share most, so the model is far
    smaller than one variable per pair. A point's list ends at its nearest site fixed open
    (it is never assigned farther); sites fixed closed leave every list; a list with no site
    fixed open ends at ``unserved``. Returns None when the model would exceed
    ``max_nonzeros``.
    """
    keep = ~must_close[pairs.site]
    anchor = np.full(pairs.n_points, np.inf)
    at = keep & must_open[pairs.site]
    np.minimum.at(anchor, pairs.point[at], pairs.cost[at])
    keep &= pairs.cost <= anchor[pairs.point]
    index = np.flatnonzero(keep)  # still by point, then cost
    point, site, cost = pairs.point[index], pairs.site[index], pairs.cost[index]
    m = pairs.n_sites
    first = np.r_[True, point[1:] != point[:-1]] if len(point) else np.zeros(0, bool)
    last = np.r_[point[1:] != point[:-1], True] if len(point) else np.zeros(0, bool)
    head = np.flatnonzero(first)
    owner_head = head[np.cumsum(first) - 1]  # each pair's point's first pair
    following = np.r_[cost[1:], 0.0]
    ends = pairs.unserved[point[last]]
    anchored = np.isfinite(anchor[point[last]])
    following[last] = np.where(anchored, cost[last], ends)
    step = following - cost  # what the point pays more when none of its k nearest is open
    # a set of sites by its hash (Zobrist: XOR of a random word per site) and its size
    words = np.random.default_rng(20101).integers(1, 2**63, m, dtype=np.int64).view(np.uint64)
    running = np.bitwise_xor.accumulate(words[site]) if len(site) else words[:0]
    before = np.where(owner_head > 0, running[np.maximum(owner_head - 1, 0)], np.uint64(0))
    size = np.arange(len(point)) - owner_head + 1
    tag = (running ^ before) ^ (size.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    rows = np.flatnonzero(step > 0)
    _, first_of, group = np.unique(tag[rows], return_index=True, return_inverse=True)
    leader = rows[first_of]  # one (point, k) per distinct set
    counts = size[leader]
    nonzeros = int(counts.sum())
    n_rows = len(leader)
    constant = float(cost[first].sum()) + float(
        pairs.unserved[np.setdiff1d(np.arange(pairs.n_points), point[first])].sum()
    )
    log.info(
        "p-median: %d of %d sites still undecided; HiGHS on %s rows, %s nonzeros",
        int((~must_open & ~must_close).sum()),
        m,
        f"{n_rows:,}",
        f"{nonzeros:,}",
    )
    if nonzeros > max_nonzeros:
        return None
    weight = np.bincount(group.ravel(), weights=step[rows], minlength=n_rows)
    member = np.arange(nonzeros) + np.repeat(
        owner_head[leader] - (np.cumsum(counts) - counts), counts
    )
    row_of = np.repeat(np.arange(n_rows), counts)
    a = csr_matrix(
        (
            np.ones(nonzeros + n_rows),
            (np.r_[row_of, np.arange(n_rows)], np.r_[site[member], m + np.arange(n_rows)]),
        ),
        shape=(n_rows, m + n_rows),
    )
    total = vstack([a, csr_matrix(np.r_[np.ones(m), np.zeros(n_rows)][None, :])])
    covered = np.bincount(row_of, weights=incumbent[site[member]], minlength=n_rows)
    start = np.r_[incumbent.astype(float), np.maximum(1.0 - covered, 0.0)]
    model = Model(
        cost=np.r_[np.zeros(m), weight],
        matrix=csc_matrix(total),
        row_lower=np.r_[np.ones(n_rows), [p]],
        row_upper=np.r_[np.full(n_rows, np.inf), [p]],
        lower=np.r_[must_open.astype(float), np.zeros(n_rows)],
        upper=np.r_[(~must_close).astype(float), np.full(n_rows, np.inf)],
        integer=np.r_[np.ones(m, bool), np.zeros(n_rows, bool)],
        offset=constant,
    )
    solution = solve(model, time_limit_s=time_limit_s, gap=gap, start=start, label="p-median")
    return solution.x[:m] > 0.5, solution.objective, solution.bound, solution.status


def _close(
    pairs: Pairs,
    p: int,
    fixed: np.ndarray,
    is_open: np.ndarray,
    cost: float,
    bound: float,
    rho: np.ndarray,
    deadline: float,
    gap: float,
    max_nonzeros: int,
) -> tuple[np.ndarray, float, float]:
    """Close the gap left by the bound: fix sites by reduced cost, then HiGHS on the rest.

    Returns the plan, its cost and the bound.
    """
    must_open, must_close = _fix(rho, bound, cost, p, fixed)
    if (must_open | must_close).all():  # at most one plan could be cheaper: compare it
        only = _cost(pairs, must_open) if int(must_open.sum()) == p else np.inf
        if only < cost:
            is_open, cost = must_open, only
        return is_open, cost, cost
    found = _exact(
        pairs,
        p,
        must_open,
        must_close,
        is_open,
        max(deadline - time.perf_counter(), 1.0),
        gap,
        max_nonzeros,
    )
    if found is None:
        log.info("p-median: the exact model would be too large; the gap is left open")
        return is_open, cost, bound
    sites, _, milp_bound, _ = found
    found_cost = _cost(pairs, sites)
    if found_cost < cost:
        is_open, cost = sites, found_cost
    return is_open, cost, max(bound, min(milp_bound, cost))


def solve_pmedian(
    demand: np.ndarray,
    origin: np.ndarray,
    site: np.ndarray,
    minutes: np.ndarray,
    n_sites: int,
    p: int,
    *,
    fixed: np.ndarray | None = None,
    time_limit_s: float = 600.0,
    gap: float = 0.0,
    unserved_min: float | None = None,
    exact_nonzeros: int = 3_000_000,
) -> PMedianSolution:
    """Open ``p`` sites to minimise the person-minutes to the nearest open site.

    Parameters
    ----------
    demand
        People at each demand point (points with none are left out).
    origin, site, minutes
        Travel time (minutes) from demand point ``origin[k]`` to candidate ``site[k]``;
        pairs not listed are out of reach.
    n_sites
        Number of candidate sites.
    p
        Sites open in the plan, ``fixed`` ones included.
    fixed
        Sites that stay open (existing facilities).
    time_limit_s
        Stop after about this many seconds with the best plan and its proven gap.
    gap
        Stop once the plan is proven within this relative gap of the optimum (0: prove
        it optimal).
    unserved_min
        Minutes counted per person no open site reaches; 10 × the longest pair when None.
    exact_nonzeros
        Largest model (constraint nonzeros) handed to HiGHS to close a remaining gap.

    Returns
    -------
    PMedianSolution
        Open sites, objective, bound, gap and status.

    Raises
    ------
    ValueError
        If ``p`` is below the number of fixed sites or above the number of candidates.
    """
    started = time.perf_counter()
    deadline = started + time_limit_s
    fixed = np.unique(np.asarray(fixed if fixed is not None else [], dtype=np.int64))
    if not len(fixed) <= p <= n_sites:
        msg = f"p = {p} must be at least the {len(fixed)} fixed sites and at most {n_sites}"
        raise ValueError(msg)
    if unserved_min is None:
        unserved_min = 10.0 * float(np.max(minutes, initial=1.0)) + 1.0
    pairs, people = Pairs.build(demand, origin, site, minutes, n_sites, unserved_min)
    progress = _Progress("p-median")
    is_open = _substitute(pairs, _greedy(pairs, p, fixed), fixed, progress, deadline)
    is_open, cost, bound, rho = _lagrangian(pairs, p, fixed, is_open, progress, deadline, gap)
    if _gap(cost, bound) > gap and time.perf_counter() < deadline:
        is_open, cost, bound = _close(
            pairs, p, fixed, is_open, cost, bound, rho, deadline, gap, exact_nonzeros
        )
    final = _gap(cost, bound)
    if final <= 1e-9:
        status = "Optimal"
    elif final <= gap:
        status = "Within gap"
    elif time.perf_counter() >= deadline:
        status = "Time limit reached"
    else:
        status = "Gap left open"
    progress.tick("done", cost, bound, force=True)
    _, s1, _ = pairs.nearest_two(is_open)
    return PMedianSolution(
        sites=np.flatnonzero(is_open),
        objective=cost,
        bound=min(bound, cost),
        gap=_gap(cost, bound),
        status=status,
        seconds=time.perf_counter() - started,
        unserved_people=float(demand[people][s1 < 0].sum()),
    )
