"""Supply-aware access: the enhanced two-step floating catchment area (E2SFCA) index.

Where the question is not "how far" but "how many beds per resident can people reach", each
facility's supply is shared among the people within its catchment, weighted by how far they
are (step 1), and each place adds up the shares of the facilities it can reach, weighted the
same way (step 2) — Luo & Qi (2009), *Health & Place* 15(4). The weights default to their
steps (1 / 0.68 / 0.22 for ≤10 / ≤20 / ≤30 minutes), as in PySAL ``access``.

Every bed of a facility that anyone can reach is handed out exactly once: the
population-weighted sum of the index over all cells equals those facilities' beds. Results are
per 1 000 residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geohealth.errors import ConfigError

if TYPE_CHECKING:
    from geohealth.traveltime import PairTimes

#: Luo & Qi's step weights: (upper limit in minutes, weight), limits inclusive.
DEFAULT_STEPS = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


@dataclass(frozen=True)
class Decay:
    """Distance decay of the catchment: weight of a trip by its minutes.

    Attributes
    ----------
    kind
        ``"steps"`` (constant weight per time band) or ``"gaussian"``.
    steps
        For ``"steps"``: (upper limit in minutes, weight) pairs, ascending; a time at or
        below a limit takes that band's weight; beyond the last limit the weight is 0.
    sigma_min
        For ``"gaussian"``: ``exp(-t² / (2 σ²))`` with σ in minutes.
    catchment_min
        No trip longer than this counts at all.
    """

    kind: str = "steps"
    steps: tuple[tuple[float, float], ...] = DEFAULT_STEPS
    sigma_min: float = 15.0
    catchment_min: float = 30.0

    def __post_init__(self) -> None:
        if self.kind not in ("steps", "gaussian"):
            msg = f"access.decay must be 'steps' or 'gaussian', got '{self.kind}'"
            raise ConfigError(msg)
        if self.catchment_min <= 0:
            msg = f"access.catchment_min must be > 0 minutes, got {self.catchment_min}"
            raise ConfigError(msg)
        if self.kind == "steps":
            limits = [limit for limit, _ in self.steps]
            if not limits or limits != sorted(limits) or len(set(limits)) != len(limits):
                msg = f"access step limits must rise strictly, got {limits}"
                raise ConfigError(msg)
            if any(w < 0 for _, w in self.steps):
                msg = "access step weights must be ≥ 0"
                raise ConfigError(msg)
        elif self.sigma_min <= 0:
            msg = f"access.sigma_min must be > 0 minutes, got {self.sigma_min}"
            raise ConfigError(msg)

    def weight(self, minutes: np.ndarray) -> np.ndarray:
        """Weight of trips of the given minutes (0 beyond the catchment).

        Parameters
        ----------
        minutes
            Travel times.

        Returns
        -------
        numpy.ndarray
            Weights, same shape.
        """
        minutes = np.asarray(minutes, dtype=float)
        if self.kind == "gaussian":
            w = np.exp(-(minutes**2) / (2.0 * self.sigma_min**2))
        else:
            limits = np.array([limit for limit, _ in self.steps])
            values = np.append([w for _, w in self.steps], 0.0)
            w = values[np.searchsorted(limits, minutes, side="left")]
        return np.where(minutes <= self.catchment_min, w, 0.0)


@dataclass(frozen=True)
class AccessIndex:
    """E2SFCA results.

    Attributes
    ----------
    per_origin
        Supply per 1 000 residents reachable from each origin (0 where nothing is).
    per_facility
        Each facility's supply per 1 000 distance-weighted residents of its catchment
        (NaN where nobody is within it).
    """

    per_origin: np.ndarray
    per_facility: np.ndarray


def e2sfca(
    pairs: PairTimes,
    demand: np.ndarray,
    supply: np.ndarray,
    decay: Decay | None = None,
) -> AccessIndex:
    """Enhanced two-step floating catchment index on network travel times.

    Parameters
    ----------
    pairs
        Origin–facility travel times (at least up to the catchment).
    demand
        Persons at each origin.
    supply
        Supply at each facility (beds, doctors); NaN counts as none.
    decay
        Distance decay; Luo & Qi's steps within 30 minutes when None.

    Returns
    -------
    AccessIndex
        Per origin and per facility, per 1 000 residents.
    """
    decay = decay or Decay()
    demand = np.nan_to_num(np.asarray(demand, dtype=float), nan=0.0)
    supply = np.nan_to_num(np.asarray(supply, dtype=float), nan=0.0)
    # a few million pairs at a time: a province has tens of millions
    # step 1: each facility's supply over the weighted people around it
    weighted = np.zeros(len(supply))
    for part in pairs.parts():
        w = decay.weight(part.minutes)
        people = w * demand[part.origin]
        weighted += np.bincount(part.facility, weights=people, minlength=len(supply))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(weighted > 0, supply / weighted, np.nan)
    # step 2: each origin sums the ratios it can reach, weighted the same way
    known = np.nan_to_num(ratio, nan=0.0)
    per_origin = np.zeros(len(demand))
    for part in pairs.parts():
        share = known[part.facility] * decay.weight(part.minutes)
        per_origin += np.bincount(part.origin, weights=share, minlength=len(demand))
    return AccessIndex(per_origin=per_origin * 1000.0, per_facility=ratio * 1000.0)


def zonal_mean(index: np.ndarray, people: np.ndarray, zone: np.ndarray, n_zones: int) -> np.ndarray:
    """Population-weighted mean of a per-origin index in each zone, and the whole (last).

    Parameters
    ----------
    index
        Value per origin.
    people
        Persons per origin.
    zone
        Zone of each origin (``-1``: in none, counted only in the whole).
    n_zones
        Number of zones.

    Returns
    -------
    numpy.ndarray
        Length ``n_zones + 1``; NaN where a zone has nobody.
    """
    inside = zone >= 0
    total = np.bincount(zone[inside], weights=(people * index)[inside], minlength=n_zones)
    weight = np.bincount(zone[inside], weights=people[inside], minlength=n_zones)
    total = np.append(total, (people * index).sum())
    weight = np.append(weight, people.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / weight, np.nan)
