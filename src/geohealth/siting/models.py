"""Planning models with one shape: built from the layers and options, solved into an outcome.

Every model — :class:`Mclp`, :class:`Lscp`, :class:`PMedian`, :class:`RegionalCentre`,
:class:`Ambulance` (``geohealth site``) and :class:`WhatIf` (``geohealth whatif``, with
:class:`ScenarioOptions`) — is made from the loaded layers and its options, and
:meth:`~PlanningModel.solve` returns a :class:`PlanOutcome` that knows its files (tables,
GeoPackage, maps), its record for the report (``plan.json``) and its summary lines. The
command line only parses options, picks the model from :data:`MODELS` and prints; adding a
model means adding a class here (after spopt's one class per model).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from geohealth import coverage, coverage_files, reach, referral, whatif
from geohealth.coverage import AREA_CODE
from geohealth.inputs.layers import InputLayers
from geohealth.siting import ambulance, files, plan, regional
from geohealth.siting.record import Effect, PlanRecord, site_list
from geohealth.webmap import plan_maps, write_map


@dataclass(frozen=True)
class SiteOptions:
    """The options of a siting run (the command line's, with its defaults).

    Attributes
    ----------
    p, add
        Sites in the plan in total, or new sites on top of the existing ones.
    threshold
        Coverage (or response) time, minutes.
    mode
        Travel mode.
    levels
        Existing facilities of these levels are candidates.
    grid_m
        New candidate sites on a grid of this spacing (metres).
    fix_group
        Facilities of this care group are open already.
    capacity, persons_per_bed
        Capacities (persons; or per bed of an existing facility).
    share
        LSCP: share of people to cover.
    max_minutes
        p-median: longest trip assigned.
    rule
        The regional-centre rule.
    per_station
        Ambulance: residents per station.
    time_limit
        Solver seconds.
    """

    p: int | None = None
    add: int | None = None
    threshold: float = 15.0
    mode: str = "drive"
    levels: tuple[str, ...] = ()
    grid_m: float | None = None
    fix_group: str | None = None
    capacity: float | None = None
    persons_per_bed: float | None = None
    share: float = 1.0
    max_minutes: float = 60.0
    rule: regional.RegionalRule | None = None
    per_station: float = ambulance.PERSONS_PER_STATION
    time_limit: float = 600.0


def solver_line(label: str, result: object, unit: str) -> str:
    """One line: objective, proven bound, gap, the solver's status and its time.

    Parameters
    ----------
    label
        What was solved (``mclp``, …).
    result
        Anything with ``objective, bound, gap, status, seconds``.
    unit
        Unit of the objective.

    Returns
    -------
    str
        The line.
    """
    r = result
    return (
        f"{label}: objective {r.objective:,.2f} {unit}, bound {r.bound:,.2f}, "  # type: ignore[attr-defined]
        f"gap {r.gap:.2%} ({r.status}, {r.seconds:.1f} s)"  # type: ignore[attr-defined]
    )


@dataclass(frozen=True)
class PlanOutcome:
    """A solved plan: how to write it, its record for the report, and its summary lines.

    Attributes
    ----------
    record
        The plan's headline for ``plan.json`` (the region is filled in when written).
    lines
        What the run prints, in order.
    writer
        Writes the plan's files into a folder; returns them.
    """

    record: PlanRecord
    lines: tuple[str, ...]
    writer: Callable[[Path], list[Path]]

    def write(self, out: Path) -> list[Path]:
        """Write the plan's tables, GeoPackage and maps into ``out``; return the files."""
        return self.writer(out)


class PlanningModel(abc.ABC):
    """A planning model: made from the run's layers and options, solved into an outcome.

    ``options`` is the model's own options object (:class:`SiteOptions` for the siting
    models, :class:`ScenarioOptions` for a what-if).
    """

    #: The name it is chosen by (``--problem`` or ``--preset``; ``whatif``).
    name: ClassVar[str]
    #: True for a preset (a rule from the plans, ``--preset``), False for a problem.
    preset: ClassVar[bool] = False

    def __init__(self, layers: InputLayers, options: Any) -> None:
        self.layers = layers
        self.options = options

    @abc.abstractmethod
    def solve(self) -> PlanOutcome:
        """Solve the model on the road network and return what it proposes."""


class _Candidates(PlanningModel):
    """Location–allocation among candidate sites (``problem`` of :func:`plan.solve_plan`)."""

    unit: ClassVar[str]
    #: The problem as a plan names it, in titles.
    title_zh: ClassVar[str]

    def solve(self) -> PlanOutcome:
        """Assemble the candidates and solve the problem among them."""
        o, layers = self.options, self.layers
        sites = plan.candidates(
            layers,
            levels=o.levels,
            grid_m=o.grid_m,
            fix_group=o.fix_group,
            persons_per_bed=o.persons_per_bed,
            capacity=o.capacity,
        )
        p = o.p
        if o.add is not None:
            sites, p = plan.on_top(sites, o.add)
        solved = plan.solve_plan(
            layers,
            sites,
            problem=self.name,
            mode=o.mode,
            p=p,
            threshold_min=o.threshold,
            share=o.share,
            max_minutes=o.max_minutes,
            time_limit_s=o.time_limit,
        )
        chosen = solved.sites[solved.sites["chosen"]]
        table = plan.site_table(solved, o.threshold, layers)
        record = PlanRecord(
            site_list=site_list(table),
            title=f"选址方案（{self.title_zh}）",
            kind=self.name,
            mode=o.mode,
            threshold_min=o.threshold,
            sites=len(chosen),
            new_sites=int((~chosen["fixed"].astype(bool)).sum()),
            effects=(
                Effect(
                    f"{o.threshold:g}分钟内可达选址的人口（人）",
                    solved.covered_fixed if solved.sites["fixed"].any() else None,
                    solved.covered_chosen,
                ),
            ),
        )
        line = f"{self.name}: {len(solved.result.sites)} sites; " + solver_line(
            "", solved.result, self.unit
        ).removeprefix(": ")
        title = f"{layers.settings.region.title} · 选址方案（{self.title_zh}）"
        return PlanOutcome(
            record=record,
            lines=(line,),
            writer=lambda out: files.write_plan(
                out, solved, layers, threshold_min=o.threshold, title=title, table=table
            ),
        )


class Mclp(_Candidates):
    """Maximal covering: the most people within the threshold of ``p`` sites."""

    name = "mclp"
    title_zh = "最大覆盖，MCLP"
    unit = "people covered"


class Lscp(_Candidates):
    """Set covering: the fewest sites covering everyone (or a share) within the threshold."""

    name = "lscp"
    title_zh = "集合覆盖，LSCP"
    unit = "sites"


class PMedian(_Candidates):
    """p-median: the least person-minutes to the nearest of ``p`` sites."""

    name = "pmedian"
    title_zh = "P 中位，总出行时间最短"
    unit = "person-minutes"


class RegionalCentre(PlanningModel):
    """Which township hospitals to upgrade into rural regional medical & health centres."""

    name = "regional-centre"
    preset = True

    def solve(self) -> PlanOutcome:
        """Choose the centres and their townships; referral times before and after."""
        o, layers = self.options, self.layers
        rule = o.rule or regional.RegionalRule(threshold_min=o.threshold)
        result = regional.solve_regional(
            layers,
            rule,
            levels=o.levels or ("township_health_centre",),
            p=o.p,
            mode=o.mode,
            time_limit_s=o.time_limit,
        )
        table = regional.referral(layers, result)
        towns = result.townships
        served = towns["centre_id"].notna()
        people = float(towns.loc[served, "population"].sum())
        record = PlanRecord(
            site_list=site_list(result.centres),
            title="农村区域性医疗卫生中心选址",
            kind=self.name,
            mode=o.mode,
            threshold_min=o.threshold,
            sites=len(result.centres),
            new_sites=len(result.centres),
            effects=(
                Effect(
                    "乡镇卫生院到最近二级医疗机构驾车用时中位数（分钟）",
                    referral.median_minutes(table["secondary_before_min"]),
                    referral.median_minutes(table["secondary_after_min"]),
                    mode="drive",  # regional.referral's mode
                    group="secondary",
                ),
                Effect("区域中心服务人口（人）", None, people),
                Effect(
                    f"{o.threshold:g}分钟内到达所属中心的人口（人）",
                    None,
                    float(result.solution.objective),
                ),
            ),
        )
        lines = (
            f"{len(result.centres)} regional centres for {int(served.sum())} townships "
            f"({people:,.0f} people); {result.solution.objective:,.0f} within "
            f"{o.threshold:g} min by {o.mode} of their centre",
            solver_line("regional-centre", result.solution, "people covered"),
            "township health centre → secondary care (median): before "
            f"{_median(table['secondary_before_min'])}, "
            f"after {_median(table['secondary_after_min'])}; "
            f"to its own centre {_median(table['centre_min'])}",
        )
        return PlanOutcome(
            record=record,
            lines=lines,
            writer=lambda out: files.write_regional(out, result, layers, table),
        )


class Ambulance(PlanningModel):
    """Ambulance stations at one per ``per_station`` residents, placed by MCLP."""

    name = "ambulance"
    preset = True

    def solve(self) -> PlanOutcome:
        """Count the stations needed; keep the existing ones and place the rest by MCLP."""
        o, layers = self.options, self.layers
        stations = ambulance.plan_stations(
            layers,
            response_min=o.threshold,
            persons_per_station=o.per_station,
            levels=o.levels or ambulance.HOST_LEVELS,
            grid_m=o.grid_m,
            p=o.p,
            add=o.add,
            mode=o.mode,
            time_limit_s=o.time_limit,
        )
        total = stations.population
        placed = len(stations.plan.result.sites)
        table = plan.site_table(stations.plan, o.threshold, layers)
        record = PlanRecord(
            site_list=site_list(table),
            title=f"急救站选址（{o.threshold:g}分钟）",
            kind=self.name,
            mode=o.mode,
            threshold_min=o.threshold,
            sites=placed,
            new_sites=placed - stations.existing,
            effects=(
                Effect(
                    f"{o.threshold:g}分钟急救响应覆盖人口（人）",
                    stations.covered_before,
                    stations.covered_after,
                ),
            ),
        )
        lines = (
            f"ambulance stations: {stations.existing} existing, {stations.needed} needed at "
            f"1 per {o.per_station:,.0f} residents ({total:,.0f} people), {placed} in the plan",
            f"within {o.threshold:g} min by {o.mode}: today {stations.covered_before:,.0f} "
            f"({stations.covered_before / total:.1%}), with the plan "
            f"{stations.covered_after:,.0f} ({stations.covered_after / total:.1%})",
            solver_line("mclp", stations.plan.result, "people covered"),
        )
        title = f"{layers.settings.region.title} · 急救站选址（{o.threshold:g}分钟）"
        return PlanOutcome(
            record=record,
            lines=lines,
            writer=lambda out: files.write_plan(
                out, stations.plan, layers, threshold_min=o.threshold, title=title, table=table
            ),
        )


@dataclass(frozen=True)
class ScenarioOptions:
    """A what-if scenario's options.

    Attributes
    ----------
    changes
        Facilities added, closed and upgraded.
    limit_min
        The threshold drawn and reported (one of ``analysis.thresholds_min``).
    modes
        Travel modes (the configuration's when empty).
    """

    changes: whatif.Changes
    limit_min: float
    modes: tuple[str, ...] = ()


class WhatIf(PlanningModel):
    """A scenario: facilities added, closed or upgraded; coverage and referral before/after."""

    name = "whatif"

    def solve(self) -> PlanOutcome:
        """Run coverage before and after the changes; compare per township, group and mode."""
        o: ScenarioOptions = self.options
        loaded, limit, modes = self.layers, o.limit_min, o.modes or None
        settings = loaded.settings
        after_facilities = whatif.apply(loaded, o.changes)
        before = coverage.run(loaded, modes=modes)
        scenario = whatif.scenario_layers(loaded, after_facilities)
        after = coverage.run(scenario, modes=modes)
        table = whatif.compare(loaded, before, after)
        frames = whatif.change_layers(loaded, before, after, after_facilities, limit)
        g = reach.graphs(loaded, modes=("drive",))["drive"]
        referrals = referral.referral_table(
            g,
            loaded.townships,
            loaded.facilities,
            scenario.facilities,
            max_snap_m=settings.network.max_snap_m,
        )
        area = table[(table["code"] == AREA_CODE) & (table["threshold_min"] == limit)]
        lines = [
            f"{row.group:<9} {row.mode:<12} ≤{limit:g} min: {row.covered_before:,.0f} → "
            f"{row.covered_after:,.0f} ({row.difference:+,.0f}; newly covered "
            f"{row.newly_covered:,.0f}, no longer {row.no_longer_covered:,.0f})"
            for row in area.itertuples()
            if row.covered_before != row.covered_after or row.newly_covered != 0
        ]
        if area["difference"].eq(0).all() and area["newly_covered"].eq(0).all():
            lines.append(f"no change in coverage within {limit:g} min")

        def write(out: Path) -> list[Path]:
            fmap = plan_maps.whatif_map(
                loaded,
                table,
                frames,
                threshold_min=limit,
                title=f"{settings.region.title} · 方案测算",
            )
            return [
                files.write_csv(out / "whatif.csv", table),
                coverage_files.write_geopackage(out / "whatif.gpkg", frames),
                write_map(out / "whatif_map.html", fmap),
                files.write_csv(out / "referral.csv", referrals),
            ]

        return PlanOutcome(
            record=whatif.scenario_record(table, referrals, o.changes, limit),
            lines=tuple(lines),
            writer=write,
        )


def _median(values: object) -> str:
    value = referral.median_minutes(values)
    return "—" if value is None else f"{value:.0f} min"


#: Every planning model by the name it is chosen with.
MODELS: dict[str, type[PlanningModel]] = {
    model.name: model for model in (Mclp, Lscp, PMedian, RegionalCentre, Ambulance)
}
#: Names for ``--problem`` and ``--preset``.
PROBLEMS = tuple(name for name, model in MODELS.items() if not model.preset)
PRESETS = tuple(name for name, model in MODELS.items() if model.preset)
