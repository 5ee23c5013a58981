"""The ``geohealth`` command: a thin layer that parses, calls the API and prints.

Errors geohealth raises on purpose become one line on stderr and exit status 2; anything
else is reported in one line with exit status 1. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import click

from geohealth import (
    __version__,
    check,
    config,
    coverage,
    coverage_files,
    reach,
    sample,
    traveltime,
    webmap,
)
from geohealth.cli.common import input_files, mode_option, out_option
from geohealth.errors import GeohealthError, GeohealthWarning
from geohealth.inputs import layers
from geohealth.outputs import run_folder, staged_to_final, write_text

log = logging.getLogger("geohealth")

#: Where ``geohealth demo`` looks for the bundled sample county, in order.
SAMPLE_CONFIG = Path("data") / "sample_county.toml"


def _configure_logging(verbose: int, quiet: int) -> None:
    level = max(logging.DEBUG, logging.INFO - 10 * verbose + 10 * quiet)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s: %(message)s" if level <= logging.DEBUG else "%(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("geohealth").setLevel(level)
    logging.captureWarnings(False)
    warnings.showwarning = _show_warning
    warnings.simplefilter("default")  # others once per place (and never as errors) …
    warnings.simplefilter("always", GeohealthWarning)  # … ours every time: each names its object


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """Show a warning as one line: ours as ``warning: …``, third-party ones only with -vv."""
    text = " ".join(str(message).split())
    if issubclass(category, GeohealthWarning):
        log.warning("warning: %s", text)
    else:
        log.debug("%s from %s:%d: %s", category.__name__, Path(filename).name, lineno, text)


class _Group(click.Group):
    """Turns geohealth errors into one line and an exit status, unless --debug.

    The planning commands load their modules (and matplotlib, the solver) only when run,
    so ``geohealth coverage`` starts without them.
    """

    #: Command name → ``module:attribute`` of its click command, imported on first use.
    lazy: ClassVar[dict[str, str]] = {
        "report": "geohealth.cli.report:report_command",
        "site": "geohealth.cli.siting:site_command",
        "whatif": "geohealth.cli.siting:whatif_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, name = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GeohealthError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc} "
                "(run again with --debug for the details)",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="geohealth")
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug output).")
@click.option("-q", "--quiet", count=True, help="Less output: warnings and errors only.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int, debug: bool) -> None:
    """Health-care access for Chinese counties: who reaches care in 15 minutes."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _configure_logging(verbose, quiet)


def _run_check(settings: config.Settings, out_dir: Path | None) -> check.CheckSummary:
    log.info("loading and validating the inputs …")
    loaded = layers.load(settings)
    summary = check.summarise(loaded)
    text = check.format_text(summary)
    click.echo(text)
    if out_dir is not None:
        with run_folder(
            out_dir, command="check", inputs=input_files(settings), config_file=settings.source
        ) as stage:
            write_text(stage / "check.txt", text + "\n")
            table = check.township_table(summary).to_csv(index=False)
            write_text(stage / "check_townships.csv", table, encoding="utf-8-sig")  # BOM
        click.echo(
            f"\nwritten: {out_dir / 'check.txt'}\n         {out_dir / 'check_townships.csv'}"
        )
    return summary


@main.command("check")
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write check.txt and check_townships.csv into this folder.",
)
def check_command(config_file: Path, out_dir: Path | None) -> None:
    """Load and validate every input layer in CONFIG and print a summary."""
    _run_check(config.load(config_file), out_dir)


def _write_coverage(
    stage: Path, result: coverage.CoverageResult, loaded: layers.InputLayers
) -> list[Path]:
    """Write a coverage run's files: tables, GeoPackage, rasters, then the map (in order).

    On a small region the rasters and the map are made in a second thread while the tables
    and the GeoPackage are written (warping, PNG encoding and GEOS work release the GIL);
    on a large one, one after another, so their working sets do not add up.
    """
    settings = loaded.settings

    def tables_and_layers() -> list[Path]:
        files = coverage_files.write_tables(
            stage, result, language=settings.output.table_language, region=settings.region.title
        )
        log.debug("tables written")
        frames = coverage_files.geopackage_layers(result, loaded)
        files.append(coverage_files.write_geopackage(stage / "coverage.gpkg", frames))
        log.debug("GeoPackage written")
        return files

    def rasters_and_map() -> list[Path]:
        files = coverage_files.write_rasters(stage, result, loaded)
        log.debug("rasters written")
        page = webmap.coverage_map(result, loaded)
        log.debug("map drawn")
        return [*files, webmap.write_map(stage / "coverage_map.html", page)]

    if not coverage.small_region(loaded):
        return tables_and_layers() + rasters_and_map()
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(rasters_and_map)
        return tables_and_layers() + later.result()


def _run_coverage(settings: config.Settings, out: Path, modes: tuple[str, ...] | None) -> None:
    """Run the coverage job: tables, GeoPackage, rasters and the map, then a summary."""
    with run_folder(
        out, command="coverage", inputs=input_files(settings), config_file=settings.source
    ) as stage:
        loaded = layers.load(settings)
        result = coverage.run(loaded, modes=modes)
        log.info("writing tables, GeoPackage, rasters and the map …")
        written = staged_to_final(_write_coverage(stage, result, loaded), stage, out)
    table = result.townships
    target = settings.analysis.target_min
    area = table[
        (table["code"] == coverage.AREA_CODE)
        & (table["group"] == "primary")
        & (table["threshold_min"] == target)
    ]
    for row in area.itertuples():
        click.echo(
            f"{row.mode:<12} ≤{row.threshold_min:g} min to primary care: "
            f"{row.covered:,.0f} of {row.population:,.0f} ({row.share_covered:.1%})"
        )
    if area.empty:
        click.echo("no primary-care facility in the list: primary-care coverage is not computed")
    click.echo(f"map:    {written[-1]}")
    click.echo("tables: " + "\n        ".join(str(p) for p in written[:3]))
    click.echo("layers: " + "\n        ".join(str(p) for p in written[3:-1]))
    click.echo(reach.OSM_ATTRIBUTION)


@main.command("coverage")
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@out_option
@mode_option
def coverage_command(config_file: Path, out_dir: Path | None, modes: tuple[str, ...]) -> None:
    """Coverage per township and per facility, with the interactive map, from CONFIG.

    Writes townships.csv (one row per township × mode × threshold × care group, plus the
    whole area, code ALL), facilities.csv, coverage.xlsx, coverage.gpkg, traveltime_<mode>.tif,
    access_<mode>.tif and coverage_map.html.
    """
    settings = config.load(config_file)
    _run_coverage(settings, out_dir or settings.command_dir("coverage"), modes or None)


@main.command("isochrones")
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@out_option
@click.option(
    "--group",
    type=click.Choice(["primary", "secondary", "tertiary", "emergency"]),
    default="primary",
    show_default=True,
    help="Care group whose facilities get isochrones and the travel-time rasters.",
)
@mode_option
def isochrones_command(
    config_file: Path, out_dir: Path | None, group: str, modes: tuple[str, ...]
) -> None:
    """Isochrones per facility and travel-time rasters per mode, from CONFIG.

    Writes isochrones.gpkg — per mode, isochrones_<group>_<mode> (one polygon per facility
    and threshold) and circles_<group>_<mode> (the group's merged service circle per
    threshold) — and traveltime_<mode>.tif (minutes to the nearest facility of the group, on
    the population grid). Each group writes its own folder, isochrones-<group>/.
    """
    settings = config.load(config_file)
    out = out_dir or settings.command_dir(f"isochrones-{group}")
    with run_folder(
        out,
        command=f"isochrones --group {group}",
        inputs=input_files(settings),
        config_file=settings.source,
    ) as stage:
        loaded = layers.load(settings)
        nets = reach.networks(loaded, group=group, modes=modes or None)
        frames = {}
        thresholds = settings.analysis.thresholds_min
        for mode, net in nets.items():
            log.info("%s: %d %s facilities", mode, len(net.facilities), group)
            frames[f"isochrones_{group}_{mode}"] = reach.isochrone_layer(
                net, thresholds, loaded, group=group
            )
            nearest = traveltime.nearest_facility(net.graph, net.attached)
            minutes = traveltime.surface(
                net.graph, loaded.population, net.attached, nearest=nearest
            )
            frames[f"circles_{group}_{mode}"] = reach.circle_layer(
                net, nearest, thresholds, loaded, group=group
            )
            reach.write_surface(stage / f"traveltime_{mode}.tif", net, loaded, minutes=minutes)
        reach.write_isochrones(stage / "isochrones.gpkg", frames)
    click.echo(f"written: {out / 'isochrones.gpkg'}")
    for mode in nets:
        click.echo(f"         {out / f'traveltime_{mode}.tif'}")
    click.echo(reach.OSM_ATTRIBUTION)


def _find_sample_config() -> Path | None:
    here = Path(__file__).resolve()
    for base in (Path.cwd(), *here.parents[:4]):
        candidate = base / SAMPLE_CONFIG
        if candidate.is_file():
            return candidate
    return None


@main.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the run's folders check/ and coverage/ (default: maps/sample-county).",
)
@click.option(
    "--plan/--no-plan",
    "with_plan",
    default=True,
    show_default=True,
    help="Also place the ambulance stations the county needs and write the report "
    "(print maps, tables, summary) with that plan.",
)
@mode_option
@click.pass_context
def demo_command(
    ctx: click.Context, out_dir: Path | None, modes: tuple[str, ...], with_plan: bool
) -> None:
    """Run the main job on the bundled sample county and write into maps/.

    Checks the inputs, computes coverage for every mode and writes the tables, the
    GeoPackage, the rasters and the interactive map (coverage_map.html); then places the
    ambulance stations the county needs (site-ambulance/) and writes the report for plan
    appendices with that plan (report/, A4).
    """
    found = _find_sample_config()
    if found is None:
        target = (out_dir or Path("maps") / "sample-county") / "sample-data"
        log.info("bundled sample not found; generating it in %s …", target)
        found = sample.make_sample_county(target).config
    log.info("sample county: %s", found)
    settings = config.load(found)
    out = out_dir or settings.output_dir
    _run_check(settings, out / "check")
    _run_coverage(settings, out / "coverage", modes or None)
    if not with_plan:
        return
    plan = out / "site-ambulance"
    ctx.invoke(self_command(ctx, "site"), config_file=found, preset="ambulance", out_dir=plan)
    ctx.invoke(
        self_command(ctx, "report"),
        config_file=found,
        pages=("A4",),
        plan_dirs=(plan,),
        modes=modes,
        out_dir=out,
    )


def self_command(ctx: click.Context, name: str) -> click.Command:
    """Return one of geohealth's own commands (loading a lazy one), to run from another."""
    root = ctx.find_root()
    command = root.command.get_command(root, name)  # type: ignore[attr-defined]
    if command is None:  # pragma: no cover - the names are ours
        msg = f"no command {name}"
        raise LookupError(msg)
    return command


def _tile_count(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """Parse ``--tiles``: a positive square number, else one line naming the choices."""
    from geohealth.errors import ConfigError

    try:
        count = int(value)
        sample.tiles.grid_side(count)
    except (ValueError, ConfigError):
        msg = (
            f"--tiles {value}: not a positive square number — use 1, 4, 16 or 64 "
            "(the sample county repeated √K × √K times in one region)"
        )
        raise ConfigError(msg) from None
    return count


@main.command("sample")
@click.argument("out_dir", metavar="OUT_DIR", type=click.Path(path_type=Path))
@click.option(
    "--seed",
    type=int,
    default=sample.DEFAULT_SEED,
    show_default=True,
    help="Random seed; the same seed gives the same county.",
)
@click.option(
    "--tiles",
    default="1",
    show_default=True,
    callback=_tile_count,
    metavar="K",
    help="Repeat the county K times (K square: 1, 4, 16, 64) on a √K × √K grid joined "
    "into one region, for scale tests.",
)
def sample_command(out_dir: Path, seed: int, tiles: int) -> None:
    """Generate the synthetic sample county's files into OUT_DIR."""
    files = sample.make_sample_county(out_dir, seed=seed, tiles=tiles)
    what = "sample county" if tiles == 1 else f"sample region ({tiles} tiles)"
    click.echo(f"{what} written; run: geohealth check {files.config}")
