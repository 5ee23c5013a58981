"""Coverage per township: who lives within a travel time of care, and how far the rest are.

The inputs are a population grid and a travel-time surface on the same cells (minutes to
the nearest facility of a care group, ``inf`` where none can be reached, NaN where the grid
has no data). Every person in a cell counts at the cell's time; cells are assigned to the
township containing their centre, as for the township population totals.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from geohealth import catchments, config, memory, reach, tiles, traveltime
from geohealth.e2sfca import AccessIndex, Decay, e2sfca, zonal_mean
from geohealth.errors import BeyondReachWarning, InputError
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY, group_of
from geohealth.inputs.population import PopulationGrid

log = logging.getLogger(__name__)

#: Columns of the township coverage table, in order (a stable output contract).
COLUMNS = (
    "code",
    "name",
    "mode",
    "threshold_min",
    "group",
    "population",
    "covered",
    "uncovered",
    "share_covered",
    "mean_min",
    "median_min",
    "p95_min",
)

#: ``code`` of the row for the whole study area.
AREA_CODE = "ALL"


def _weighted_stats(
    zone: np.ndarray, minutes: np.ndarray, people: np.ndarray, n_zones: int
) -> pd.DataFrame:
    """Population-weighted mean, median and 95th percentile of time per zone.

    Only people who can reach care count (finite times); zones without any get NaN.
    """
    ok = np.isfinite(minutes) & (people > 0)
    zone, minutes, people = zone[ok], minutes[ok], people[ok]
    out = pd.DataFrame(
        np.nan, index=pd.RangeIndex(n_zones), columns=["mean_min", "median_min", "p95_min"]
    )
    if zone.size == 0:
        return out
    weight = np.bincount(zone, weights=people, minlength=n_zones)
    total = np.bincount(zone, weights=people * minutes, minlength=n_zones)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_min"] = total / weight
    order = np.lexsort((minutes, zone))
    zone, minutes, people = zone[order], minutes[order], people[order]
    cum = np.cumsum(people)
    start = np.searchsorted(zone, np.arange(n_zones))
    before = np.concatenate([[0.0], cum])[start]
    share = (cum - before[zone]) / weight[zone]
    for column, q in (("median_min", 0.5), ("p95_min", 0.95)):
        # the first person (in time order) at or past the quantile of the zone's people
        reached = share >= q - 1e-12
        first = np.full(n_zones, -1)
        hits = np.flatnonzero(reached)
        zones_hit, at = np.unique(zone[hits], return_index=True)
        first[zones_hit] = hits[at]
        has = first >= 0
        values = np.full(n_zones, np.nan)
        values[has] = minutes[first[has]]
        out[column] = values
    return out


def township_coverage(
    townships: gpd.GeoDataFrame,
    grid: PopulationGrid,
    minutes: np.ndarray,
    thresholds_min: Sequence[float],
    *,
    mode: str,
    group: str,
    area_name: str = "",
    index: np.ndarray | None = None,
) -> pd.DataFrame:
    """Coverage per township (and for the whole area) for each threshold.

    Parameters
    ----------
    townships
        Townships with ``code`` and ``name``.
    grid
        Persons per cell.
    minutes
        Minutes to the nearest facility per cell, the grid's shape (``inf``: unreachable).
    thresholds_min
        Time limits (minutes); 0 counts only people at a facility's door.
    mode, group
        Travel mode and care group, copied into the table.
    area_name
        Name for the whole-area row (code :data:`AREA_CODE`).
    index
        ``grid.township_index(townships)``, when already computed (it does not depend on the
        travel times, so a run over many modes and groups computes it once).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, one row per township and threshold plus one whole-area row per
        threshold. ``covered + uncovered == population`` in every row; people who cannot
        reach any facility are uncovered and do not enter the time statistics (which are
        NaN when nobody in the township can reach care).

    Raises
    ------
    InputError
        If ``minutes`` is not aligned with the grid, or a threshold is negative.
    """
    if minutes.shape != grid.shape:
        msg = f"travel times {minutes.shape} and population grid {grid.shape} are not aligned"
        raise InputError(msg)
    if any(t < 0 for t in thresholds_min):
        msg = f"thresholds must be ≥ 0 minutes, got {list(thresholds_min)}"
        raise InputError(msg)
    n = len(townships)
    index = grid.township_index(townships) if index is None else index
    # only cells with people inside a township count: every sum below is weighted by people
    # (on a province most cells are empty: this is a fifth of the memory)
    rows, cols = np.nonzero((index >= 0) & (grid.values > 0))
    zone = index[rows, cols]
    people = grid.values[rows, cols]
    times = minutes[rows, cols]
    population = np.bincount(zone, weights=people, minlength=n)
    # the whole area is zone n: every cell once more
    zone_all = np.concatenate([zone, np.full(zone.size, n)])
    people_all = np.concatenate([people, people])
    times_all = np.concatenate([times, times])
    population = np.append(population, people.sum())
    stats = _weighted_stats(zone_all, times_all, people_all, n + 1)
    codes = [*townships["code"].astype(str), AREA_CODE]
    names = [*townships["name"].astype(str), area_name]
    frames = []
    for limit in thresholds_min:
        covered = np.bincount(
            zone_all, weights=np.where(times_all <= limit, people_all, 0.0), minlength=n + 1
        )
        covered = np.minimum(covered, population)  # float sums: never above the total
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(population > 0, covered / population, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "code": codes,
                    "name": names,
                    "mode": mode,
                    "threshold_min": float(limit),
                    "group": group,
                    "population": population,
                    "covered": covered,
                    "uncovered": population - covered,
                    "share_covered": share,
                    "mean_min": stats["mean_min"].to_numpy(),
                    "median_min": stats["median_min"].to_numpy(),
                    "p95_min": stats["p95_min"].to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


#: Care groups reported by default: primary care, secondary care, ambulance stations.
DEFAULT_GROUPS = ("primary", "secondary", "emergency")


def beds_per_1000(
    townships: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, population: np.ndarray
) -> np.ndarray:
    """Hospital beds per 1 000 residents of each township, and of the whole area (last).

    Parameters
    ----------
    townships
        Townships with ``code``.
    facilities
        Facilities with ``beds`` (NaN when unknown: counted as none).
    population
        Residents per township, then the whole area (length ``len(townships) + 1``).

    Returns
    -------
    numpy.ndarray
        Beds per 1 000 residents; NaN where nobody lives.
    """
    joined = gpd.sjoin(
        facilities[["beds", "geometry"]],
        townships[["geometry"]].reset_index(drop=True),
        predicate="within",
        how="inner",
    )
    beds = np.bincount(
        joined["index_right"].to_numpy(dtype=int),
        weights=joined["beds"].fillna(0.0).to_numpy(dtype=float),
        minlength=len(townships),
    )
    beds = np.append(beds, beds.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(population > 0, beds / population * 1000.0, np.nan)


@dataclass(frozen=True)
class GroupResult:
    """One care group's travel times on one mode, cell by cell.

    Only the cells with people are kept (a province's grid is mostly empty land); the
    grid-shaped arrays are made when asked for.

    Attributes
    ----------
    network
        The mode's graph with the group's facilities attached.
    rows, cols
        The grid cells with people.
    shape
        The population grid's shape.
    cell_minutes
        Minutes to the nearest facility from each of those cells, float32 (``inf``: none
        reachable).
    cell_nearest
        Index (into ``network.facilities``) of each cell's nearest facility, int32; ``-1``
        for none.
    cell_access
        E2SFCA beds per 1 000 residents reachable from each cell, float32.
    circles
        The group's merged service circles, one per threshold (EPSG:4326), contoured from
        the same field as ``minutes``.
    """

    network: reach.ModeNetwork
    rows: np.ndarray
    cols: np.ndarray
    shape: tuple[int, int]
    cell_minutes: np.ndarray
    cell_nearest: np.ndarray
    cell_access: np.ndarray
    circles: gpd.GeoDataFrame

    @property
    def minutes(self) -> np.ndarray:
        """Minutes per grid cell, float32 (NaN where nobody lives, ``inf``: none reachable)."""
        return self._grid(self.cell_minutes, np.nan)

    @property
    def nearest(self) -> np.ndarray:
        """Nearest facility per grid cell, int32 (``-1`` where nobody lives or none)."""
        return self._grid(self.cell_nearest, -1)

    @property
    def access(self) -> np.ndarray:
        """E2SFCA beds per 1 000 residents per grid cell, float32 (NaN where nobody lives)."""
        return self._grid(self.cell_access, np.nan)

    def _grid(self, values: np.ndarray, empty: float) -> np.ndarray:
        out = np.full(self.shape, empty, dtype=values.dtype)
        out[self.rows, self.cols] = values
        return out


@dataclass(frozen=True)
class CoverageResult:
    """Everything a coverage run computed.

    Attributes
    ----------
    townships
        :data:`COLUMNS` plus ``beds_per_1000`` and ``e2sfca_beds_per_1000``.
    facilities
        :data:`geohealth.catchments.FACILITY_COLUMNS`.
    groups
        (group, mode) → :class:`GroupResult`.
    isochrones
        Mode → isochrones of the primary-care facilities (empty when not asked for).
    """

    townships: pd.DataFrame
    facilities: pd.DataFrame
    groups: dict[tuple[str, str], GroupResult]
    isochrones: dict[str, gpd.GeoDataFrame]


def _group_run(
    layers: InputLayers, net: reach.ModeNetwork, group: str, decay: Decay, zones: np.ndarray
) -> tuple[GroupResult, pd.DataFrame, pd.DataFrame]:
    """Travel times, township coverage, facility table and E2SFCA for one group and mode."""
    settings = layers.settings
    grid = layers.population
    mode = net.graph.mode
    near = traveltime.nearest_facility(net.graph, net.attached)
    rows, cols, cell_minutes, cell_nearest = traveltime.populated_cell_times(
        net.graph, grid, net.attached, nearest=near
    )
    minutes = np.full(grid.shape, np.nan)
    minutes[rows, cols] = cell_minutes
    circles = reach.circle_layer(net, near, settings.analysis.thresholds_min, layers, group=group)
    limit = max(max(settings.analysis.thresholds_min), decay.catchment_min)
    cells = traveltime.cell_pair_times(net.graph, grid, net.attached, limit_min=limit)
    _, _, pairs = cells
    people = grid.values[rows, cols]
    index = e2sfca(pairs, people, net.facilities["beds"].to_numpy(dtype=float), decay)
    if not np.nansum(net.facilities["beds"].to_numpy(dtype=float)) > 0:
        # no beds recorded for the group (ambulance stations): no index, not an index of 0
        index = AccessIndex(np.full(len(rows), np.nan), np.full(len(net.facilities), np.nan))
    towns = township_coverage(
        layers.townships,
        grid,
        minutes,
        settings.analysis.thresholds_min,
        mode=mode,
        group=group,
        area_name=settings.region.title,
        index=zones,
    )
    zone = zones[rows, cols]
    per_town = zonal_mean(index.per_origin, people, zone, len(layers.townships))
    towns["e2sfca_beds_per_1000"] = np.tile(per_town, len(settings.analysis.thresholds_min))
    kept = GroupResult(  # compact: a run keeps one of each per care group and mode
        net,
        rows,
        cols,
        grid.shape,
        cell_minutes.astype(np.float32),
        cell_nearest.astype(np.int32),
        index.per_origin.astype(np.float32),
        circles,
    )
    table = catchments.facility_table(
        net.facilities,
        grid,
        kept.nearest,
        cells,
        settings.analysis.thresholds_min,
        mode=mode,
        group=group,
        e2sfca_ratio=index.per_facility,
    )
    return kept, towns, table


#: Populated cells up to which the modes run at the same time (a few hundred MB each); on a
#: larger region they run one after another, so memory stays that of one mode.
PARALLEL_MODES_MAX_CELLS = 600_000


def small_region(layers: InputLayers) -> bool:
    """Tell whether a run's steps may work side by side.

    At most :data:`PARALLEL_MODES_MAX_CELLS` populated cells; on a larger region each
    step's working set is large, and they run one after another.

    Parameters
    ----------
    layers
        The run's loaded inputs.

    Returns
    -------
    bool
        Whether to run the modes (and the outputs' writers) side by side.
    """
    cells = int(np.count_nonzero(layers.population.values > 0))  # NaN compares False
    return cells <= PARALLEL_MODES_MAX_CELLS


def run(
    layers: InputLayers,
    *,
    groups: Sequence[str] = DEFAULT_GROUPS,
    modes: tuple[str, ...] | None = None,
    isochrones: bool = False,
    progress: bool = True,
) -> CoverageResult:
    """Coverage per township and per facility for every configured mode, threshold and group.

    Groups without any facility are skipped (logged).

    Parameters
    ----------
    layers
        The run's loaded inputs.
    groups
        Care groups to report.
    modes
        Travel modes; the configuration's when None.
    isochrones
        Also draw the primary-care facilities' isochrones for every mode and threshold.
    progress
        Show progress bars.

    Returns
    -------
    CoverageResult
        The township table (:data:`COLUMNS` plus ``beds_per_1000`` — all beds located in the
        township, whatever the group — and ``e2sfca_beds_per_1000``, sorted by group, mode,
        threshold and township), the facility table, the per-cell results and isochrones.
    """
    settings = layers.settings
    decay = config.access_decay(settings)
    built = reach.graphs(layers, modes=modes)
    present = {g for k in layers.facilities["level"] for g in (group_of(k), *BY_KEY[k].also)}
    chosen = [g for g in groups if g in present]
    for group in sorted(set(groups) - present):
        log.info("no %s facilities: skipped", group)
    steps = [(g, m) for g in chosen for m in built]
    zones = layers.township_index()  # rasterised once, at load
    bar = tqdm(total=len(steps), desc="coverage", unit="run", disable=_quiet(progress), leave=False)

    def one_mode(mode: str) -> tuple[dict[str, tuple], gpd.GeoDataFrame | None, float]:
        """Every group on one mode's graph (its caches — linked lattice tiles — are shared)."""
        # people no road of the mode reaches: from the populated cells' links, which every
        # group's tables use next (cached on the graph)
        beyond = traveltime.beyond_reach(built[mode], layers.population)
        done = {}
        for group in chosen:
            net = reach.networks(layers, group=group, built={mode: built[mode]})[mode]
            log.debug("coverage: %s, %s care (%d facilities)", mode, group, len(net.facilities))
            done[group] = _group_run(layers, net, group, decay, zones)
            memory.give_back()  # a group's field, contours and pairs, before the next
            bar.update()
        circles = None
        if isochrones and "primary" in chosen:
            circles = reach.isochrone_layer(
                done["primary"][0].network,
                settings.analysis.thresholds_min,
                layers,
                group="primary",
                progress=progress,
            )
        tiles.release(built[mode])  # the next mode's run needs the memory more
        memory.give_back()
        return done, circles, beyond

    # modes are independent: one thread each, as many at once as there are cores (the
    # searches, contours and geometry release the GIL) — one at a time on a large region,
    # where each mode's working set is large
    workers = max(1, min(len(built), os.cpu_count() or 1)) if small_region(layers) else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        by_mode = dict(zip(built, pool.map(one_mode, built), strict=True))
    bar.close()
    _warn_beyond_reach(layers, {mode: by_mode[mode][2] for mode in built})
    towns, tables, results, iso = [], [], {}, {}
    for group in chosen:  # the table's order: group, then mode
        for mode in built:
            result, town, table = by_mode[mode][0][group]
            results[(group, mode)] = result
            towns.append(town)
            tables.append(table)
    for mode in built:
        if by_mode[mode][1] is not None:
            iso[mode] = by_mode[mode][1]
    if not towns:
        msg = f"no facility of the groups {', '.join(groups)} — check facilities.levels"
        raise InputError(msg)
    table = pd.concat(towns, ignore_index=True)
    n = len(layers.townships)
    per_zone = table.iloc[: n + 1]["population"].to_numpy()
    beds = beds_per_1000(layers.townships, layers.facilities, per_zone)
    table.insert(len(COLUMNS), "beds_per_1000", np.tile(beds, len(table) // (n + 1)))
    return CoverageResult(
        townships=table,
        facilities=pd.concat(tables, ignore_index=True),
        groups=results,
        isochrones=iso,
    )


#: Share of the population beyond the walking reach of a mode's roads worth a warning (below
#: it, the count is logged: a few people off the mapped lanes are normal).
BEYOND_REACH_WARN_SHARE = 0.05


def _warn_beyond_reach(layers: InputLayers, beyond: dict[str, float]) -> None:
    """Say how many people no road of a mode reaches (they count as not covered).

    ``beyond``: mode → people (:func:`geohealth.traveltime.beyond_reach`).
    """
    total = layers.population.total
    reach_m = layers.settings.network.max_walk_m
    by_count: dict[float, list[str]] = {}
    for mode, people in beyond.items():
        log.info("%s: %.0f people farther than %g m from any road", mode, people, reach_m)
        if total > 0 and people >= BEYOND_REACH_WARN_SHARE * total:
            by_count.setdefault(people, []).append(mode)
    for people, modes in by_count.items():  # one line for modes with the same roads
        names = ", ".join(modes)
        msg = (
            f"{names}: {people:,.0f} people ({people / total:.1%}) live farther than "
            f"{reach_m:g} m from any road of the mode and are counted as not reaching care "
            "— check the extract has the roads there, or raise network.max_walk_m"
        )
        warnings.warn(msg, BeyondReachWarning, stacklevel=3)


def _quiet(progress: bool) -> bool | None:
    """Return tqdm's ``disable``: True when asked or with -q, None (auto) otherwise."""
    return None if progress and log.isEnabledFor(logging.INFO) else True
