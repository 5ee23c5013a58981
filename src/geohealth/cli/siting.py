"""The planning commands: ``geohealth site`` (location–allocation, presets) and ``whatif``."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import click

from geohealth import config, language, reach, whatif
from geohealth.cli.common import input_files, load_settings, mode_option, out_option
from geohealth.cli.localised import LocalisedCommand
from geohealth.errors import ConfigError
from geohealth.inputs import layers
from geohealth.outputs import run_folder, staged_to_final
from geohealth.siting import ambulance, models, regional
from geohealth.siting.record import write_record

log = logging.getLogger("geohealth")


def _check_add(add: int | None, p: int | None, problem: str | None, preset: str | None) -> None:
    """Say what is wrong with ``--add`` in one line, before anything is loaded."""
    if add is None:
        return
    if add < 1:
        msg = f"--add {add}: open at least one new site"
        raise ConfigError(msg)
    if p is not None:
        msg = (
            "give --p (sites in total, fixed ones included) or --add (new sites on top of the "
            "existing ones), not both"
        )
        raise ConfigError(msg)
    if preset == "regional-centre" or problem == "lscp":
        what = f"--preset {preset}" if preset else "--problem lscp"
        msg = f"--add is for mclp, pmedian and --preset ambulance; {what} chooses how many itself"
        raise ConfigError(msg)


def _echo_written(paths: list[Path]) -> None:
    head, indent = language.text("written: ", "已写出："), language.text(" " * 9, " " * 8)
    click.echo(head + ("\n" + indent).join(str(p) for p in paths))
    click.echo(reach.OSM_ATTRIBUTION)


@click.command("site", cls=LocalisedCommand)
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--problem",
    type=click.Choice(models.PROBLEMS),
    default=None,
    help="mclp: cover the most people with p sites; lscp: fewest sites covering everyone "
    "(or --share); pmedian: least person-minutes with p sites. Implied by --preset.",
)
@click.option(
    "--preset",
    type=click.Choice(models.PRESETS),
    default=None,
    help="regional-centre: upgrade township hospitals into rural regional medical centres "
    "(Yangzhou rule); ambulance: stations at 1 per 30 000 residents, placed by MCLP.",
)
@click.option(
    "--p",
    "p",
    type=int,
    default=None,
    help="Sites in the plan in total, chosen among the candidates (fixed ones included).",
)
@click.option(
    "--add",
    "add",
    type=int,
    default=None,
    help="Open this many new sites on top of every existing one (mclp, pmedian, ambulance): "
    "the existing candidates stay open, the new ones come from --grid.",
)
@click.option(
    "--threshold",
    type=float,
    default=15.0,
    show_default=True,
    help="Minutes (coverage time; response time for --preset ambulance).",
)
@click.option("--mode", default="drive", show_default=True, help="Travel mode.")
@click.option(
    "--level",
    "levels",
    multiple=True,
    help="Existing facilities of this level are candidates (repeatable), e.g. "
    "township_health_centre.",
)
@click.option(
    "--grid",
    "grid_m",
    type=float,
    default=None,
    help="Also new candidate sites on a grid of this spacing (metres).",
)
@click.option(
    "--fix-existing",
    "fix_group",
    default=None,
    help="Facilities of this care group are already open (e.g. primary).",
)
@click.option("--capacity", type=float, default=None, help="Persons each site can serve.")
@click.option(
    "--persons-per-bed",
    type=float,
    default=None,
    help="Capacity of an existing facility = beds × this.",
)
@click.option(
    "--share", type=float, default=1.0, show_default=True, help="LSCP: share of people to cover."
)
@click.option(
    "--max-minutes",
    type=float,
    default=60.0,
    show_default=True,
    help="p-median: longest trip assigned.",
)
@click.option(
    "--min-population",
    type=float,
    default=100_000,
    show_default=True,
    help="regional-centre: fewest people per centre.",
)
@click.option(
    "--max-population",
    type=float,
    default=200_000,
    show_default=True,
    help="regional-centre: most people per centre.",
)
@click.option(
    "--min-townships",
    type=int,
    default=2,
    show_default=True,
    help="regional-centre: fewest townships per centre.",
)
@click.option(
    "--max-townships",
    type=int,
    default=3,
    show_default=True,
    help="regional-centre: most townships per centre.",
)
@click.option(
    "--served-share",
    type=float,
    default=0.5,
    show_default=True,
    help="regional-centre: leave out townships where this share already reaches a "
    "secondary hospital within the threshold.",
)
@click.option(
    "--max-trip",
    type=float,
    default=60.0,
    show_default=True,
    help="regional-centre: longest drive from a township's health centre to its centre.",
)
@click.option(
    "--per-station",
    type=float,
    default=ambulance.PERSONS_PER_STATION,
    show_default=True,
    help="ambulance: residents per station.",
)
@click.option("--time-limit", type=float, default=600.0, show_default=True, help="Solver seconds.")
@out_option
def site_command(
    config_file: Path,
    problem: str | None,
    preset: str | None,
    p: int | None,
    add: int | None,
    threshold: float,
    mode: str,
    levels: tuple[str, ...],
    grid_m: float | None,
    fix_group: str | None,
    capacity: float | None,
    persons_per_bed: float | None,
    share: float,
    max_minutes: float,
    min_population: float,
    max_population: float,
    min_townships: int,
    max_townships: int,
    served_share: float,
    max_trip: float,
    per_station: float,
    time_limit: float,
    out_dir: Path | None,
) -> None:
    """Choose sites (location–allocation, solved to proven optimality with HiGHS).

    Writes sites.csv (chosen sites, people assigned and covered), assignment.gpkg
    (candidates, catchments, unassigned areas) and site_map.html; prints the objective, the
    proven bound and the gap. --preset regional-centre also writes townships.csv and
    referral.csv (township health centre → secondary care, before and after).
    """
    if preset is not None and problem not in (None, "mclp"):
        msg = f"--preset {preset} is a maximal covering model — drop --problem {problem}"
        raise ConfigError(msg)
    if preset is None and problem is None:
        msg = f"give --problem {'|'.join(models.PROBLEMS)}, or --preset {'|'.join(models.PRESETS)}"
        raise ConfigError(msg)
    _check_add(add, p, problem, preset)
    config.check_minutes(threshold, key="--threshold")
    config.check_minutes(max_minutes, key="--max-minutes")
    config.check_minutes(max_trip, key="--max-trip")
    settings = load_settings(config_file)
    command = f"site --preset {preset}" if preset else f"site --problem {problem}"
    final = out_dir or settings.command_dir(f"site-{preset or problem}")
    options = models.SiteOptions(
        p=p,
        add=add,
        threshold=threshold,
        mode=mode,
        levels=levels,
        grid_m=grid_m,
        fix_group=fix_group,
        capacity=capacity,
        persons_per_bed=persons_per_bed,
        share=share,
        max_minutes=max_minutes,
        rule=regional.RegionalRule(
            min_population=min_population,
            max_population=max_population,
            min_townships=min_townships,
            max_townships=max_townships,
            threshold_min=threshold,
            served_share=served_share,
            max_trip_min=max_trip,
        ),
        per_station=per_station,
        time_limit=time_limit,
    )
    with run_folder(
        final, command=command, inputs=input_files(settings), config_file=settings.source
    ) as out:
        loaded = layers.load(settings)
        outcome = models.MODELS[preset or problem](loaded, options).solve()  # type: ignore[index]
        written = outcome.write(out)
        for line in outcome.lines:
            click.echo(language.message(line))
        record = dataclasses.replace(outcome.record, region=settings.region.name)
        written.append(write_record(out, record))
        written = staged_to_final(written, out, final)
    _echo_written(written)


@click.command("whatif", cls=LocalisedCommand)
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--add",
    "adds",
    multiple=True,
    metavar="LON,LAT,LEVEL[,BEDS[,NAME]]",
    help="A proposed facility (repeatable); LEVEL is a key or a Chinese name (乡镇卫生院); "
    "NAME labels it in the tables and maps (BEDS may be empty: LON,LAT,LEVEL,,NAME).",
)
@click.option("--close", "closes", multiple=True, metavar="ID", help="A facility that closes.")
@click.option(
    "--upgrade",
    "upgrades",
    multiple=True,
    metavar="ID=LEVEL",
    help="A facility that changes level, e.g. 239901101001=rural_regional_centre.",
)
@click.option(
    "--crs",
    "system",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default=None,
    help="Coordinate system of --add (default: facilities.coordinate_system).",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Threshold drawn on the map and printed (default: analysis.target_min).",
)
@click.option(
    "--name",
    default=None,
    help="Name of the scenario: its folder is whatif-<name> under the region's output "
    "folder (default: from the changes, e.g. whatif-upgrade-1).",
)
@mode_option
@out_option
def whatif_command(
    config_file: Path,
    adds: tuple[str, ...],
    closes: tuple[str, ...],
    upgrades: tuple[str, ...],
    system: str | None,
    threshold: float | None,
    name: str | None,
    modes: tuple[str, ...],
    out_dir: Path | None,
) -> None:
    """Test a scenario: add, close or upgrade facilities and compare coverage before and after.

    Writes whatif.csv (per township, group, mode and threshold: covered before, after, the
    difference, newly covered and no longer covered), whatif.gpkg (changed facilities, cells
    newly covered / no longer covered), whatif_map.html and referral.csv (township health
    centre → secondary care before and after).
    """
    settings = load_settings(config_file)
    if threshold is not None:
        config.check_minutes(threshold, key="--threshold")
    declared = system or settings.facilities.coordinate_system or "wgs84"
    changes = whatif.Changes(
        add=tuple(whatif.parse_add(a, declared) for a in adds),
        close=tuple(c.strip() for c in closes),
        upgrade=tuple(whatif.parse_upgrade(u) for u in upgrades),
    )
    if changes.empty:
        msg = "nothing to test — give --add LON,LAT,LEVEL, --close ID or --upgrade ID=LEVEL"
        raise ConfigError(msg)
    limit = settings.analysis.target_min if threshold is None else threshold
    if limit not in settings.analysis.thresholds_min:
        listed = ", ".join(f"{t:g}" for t in settings.analysis.thresholds_min)
        msg = f"--threshold {limit:g} is not among analysis.thresholds_min ({listed})"
        raise ConfigError(msg)
    final = out_dir or settings.command_dir(f"whatif-{name or changes.slug()}")
    options = models.ScenarioOptions(changes=changes, limit_min=limit, modes=modes)
    with run_folder(
        final, command="whatif", inputs=input_files(settings), config_file=settings.source
    ) as out:
        outcome = models.WhatIf(layers.load(settings), options).solve()
        written = outcome.write(out)
        record = dataclasses.replace(outcome.record, region=settings.region.name)
        written.append(write_record(out, record))
        written = staged_to_final(written, out, final)
    for line in outcome.lines:
        click.echo(language.message(line))
    _echo_written(written)
