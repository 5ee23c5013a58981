"""Ambulance stations (急救站): coverage within a response time, and where the missing ones go.

Plans set one station per 30 000 residents, placed by travel radius. This preset counts the
stations the population needs, keeps the existing ones open, and places the rest by maximal
covering (MCLP) on the engine's travel times: the most people within the response target.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.siting import plan, problems
from geohealth.siting.plan import Plan

log = logging.getLogger(__name__)

#: Residents per ambulance station (14th Five-Year plans: 1 per 30 000).
PERSONS_PER_STATION = 30_000

#: Existing facilities that can host a new station by default.
HOST_LEVELS = ("township_health_centre", "community_health_centre", "county_hospital")


@dataclass(frozen=True)
class AmbulancePlan:
    """Stations needed, and coverage within the response target before and after.

    Attributes
    ----------
    plan
        The solved MCLP (existing stations fixed).
    population
        Residents (persons in the population grid).
    existing
        Stations open today.
    needed
        Stations the population needs at one per ``persons_per_station``.
    response_min
        The response-time target.
    covered_before, covered_after
        People within ``response_min`` of a station today and with the plan.
    """

    plan: Plan
    population: float
    existing: int
    needed: int
    response_min: float
    covered_before: float
    covered_after: float


def stations_needed(population: float, persons_per_station: float = PERSONS_PER_STATION) -> int:
    """Stations a population needs at one per ``persons_per_station`` (rounded up).

    Parameters
    ----------
    population
        Residents.
    persons_per_station
        Residents one station serves.

    Returns
    -------
    int
        At least 1 when anyone lives there.

    Raises
    ------
    ConfigError
        If ``persons_per_station`` is not positive.
    """
    if persons_per_station <= 0:
        msg = f"persons per station must be > 0, got {persons_per_station:g}"
        raise ConfigError(msg)
    return math.ceil(population / persons_per_station - 1e-9) if population > 0 else 0


def plan_stations(
    layers: InputLayers,
    *,
    response_min: float = 15.0,
    persons_per_station: float = PERSONS_PER_STATION,
    levels: tuple[str, ...] = HOST_LEVELS,
    grid_m: float | None = None,
    p: int | None = None,
    add: int | None = None,
    mode: str = "drive",
    time_limit_s: float = 600.0,
) -> AmbulancePlan:
    """Place the ambulance stations a county needs.

    Parameters
    ----------
    layers
        The run's inputs (existing stations are facilities of level ``ambulance_station``).
    response_min
        Response-time target (minutes by ``mode``).
    persons_per_station
        Residents per station; the number of stations is the population over this.
    levels
        Existing facilities of these levels can host a station.
    grid_m
        Also candidate sites on a grid of this spacing (metres).
    p
        Stations in total (existing included); ``None``: as many as the population needs.
    add
        New stations on top of the existing ones (instead of ``p``).
    mode
        Travel mode of the ambulances.
    time_limit_s
        Solver time limit.

    Returns
    -------
    AmbulancePlan
        The stations, and coverage before and after.

    Raises
    ------
    InfeasibleRuleError
        If there are fewer candidates than stations to place.
    """
    sites = plan.candidates(layers, levels=levels, grid_m=grid_m, fix_group="emergency")
    existing = int(sites["fixed"].sum())
    population = float(np.nansum(layers.population.values))
    needed = stations_needed(population, persons_per_station)
    total = p if p is not None else max(needed, existing)
    if add is not None:
        total = existing + add
    elif existing > needed and p is None:
        log.info("%d stations exist, more than the %d the population needs", existing, needed)
    sites, instance, rows, cols, _ = plan.build_instance(
        layers, sites, mode=mode, limit_min=response_min
    )
    fixed = np.flatnonzero(sites["fixed"].to_numpy(dtype=bool))
    near_fixed = np.isin(instance.site, fixed) & (instance.minutes <= response_min)
    before = float(instance.demand[np.unique(instance.origin[near_fixed])].sum())
    result = problems.mclp(instance, total, response_min, fixed=fixed, time_limit_s=time_limit_s)
    solved = plan.plan_from_result(sites, result, instance, rows, cols)
    log.info(
        "ambulance: %d existing, %d needed, %d placed; within %g min %.0f → %.0f of %.0f",
        existing,
        needed,
        len(result.sites),
        response_min,
        before,
        result.objective,
        population,
    )
    return AmbulancePlan(
        plan=solved,
        population=population,
        existing=existing,
        needed=needed,
        response_min=response_min,
        covered_before=before,
        covered_after=float(result.objective),
    )
