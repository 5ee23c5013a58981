"""The ``geohealth`` command: a thin layer that parses, calls the API and prints.

Errors geohealth raises on purpose become one line on stderr and exit status 2; anything
else is reported in one line with exit status 1. ``--debug`` shows the traceback instead.
Messages, help and summary lines are in Chinese or English (:mod:`geohealth.language`):
``--lang``, else the configuration's ``output.language``, else ``GEOHEALTH_LANG``, else the
locale.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import click

from geohealth import (
    __version__,
    check,
    config,
    coverage,
    coverage_files,
    language,
    reach,
    sample,
    traveltime,
    webmap,
)
from geohealth.cli.common import input_files, load_settings, mode_option, out_option
from geohealth.cli.localised import LocalisedGroup, install_click_translation
from geohealth.errors import GeohealthError, GeohealthWarning
from geohealth.inputs import layers
from geohealth.outputs import run_folder, staged_to_final, write_text

log = logging.getLogger("geohealth")

#: Where ``geohealth demo`` looks for the bundled sample county, in order.
SAMPLE_CONFIG = Path("data") / "sample_county.toml"

install_click_translation()


def _configure_logging(verbose: int, quiet: int) -> None:
    level = max(logging.DEBUG, logging.INFO - 10 * verbose + 10 * quiet)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s: %(message)s" if level <= logging.DEBUG else "%(message)s")
    )
    handler.addFilter(language.ChineseLogRecords())
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
        if language.active() == "zh":
            log.warning("警告：%s", language.message(text))
        else:
            log.warning("warning: %s", text)
    else:
        log.debug("%s from %s:%d: %s", category.__name__, Path(filename).name, lineno, text)


def _lang_flag(args: Sequence[str]) -> str | None:
    """Return the value of ``--lang`` among the arguments (None when not given or unknown)."""
    for k, arg in enumerate(args):
        if arg == "--":
            break
        value = args[k + 1] if arg == "--lang" and k + 1 < len(args) else None
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value in language.LANGUAGES:
            return value
    return None


class _Group(LocalisedGroup):
    """Turns geohealth errors into one line and an exit status, unless --debug.

    The language is chosen before click reads the arguments, so that ``--help`` and usage
    errors follow ``--lang`` wherever it stands. The planning commands load their modules
    (and matplotlib, the solver) only when run, so ``geohealth coverage`` starts without them.
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

    def main(self, args: Sequence[str] | None = None, *more: Any, **options: Any) -> Any:
        chosen = _lang_flag(sys.argv[1:] if args is None else list(args))
        with language.use(language.resolve(chosen)):
            return super().main(args, *more, **options)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GeohealthError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                language.text(f"error: {exc}", f"错误：{language.message(str(exc))}"), err=True
            )
            ctx.exit(2)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                language.text(
                    f"error: unexpected {type(exc).__name__}: {exc} "
                    "(run again with --debug for the details)",
                    f"错误：意外的 {type(exc).__name__}：{exc}（加 --debug 重新运行可看详情）",
                ),
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="geohealth")
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug output).")
@click.option("-q", "--quiet", count=True, help="Less output: warnings and errors only.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option(
    "--lang",
    type=click.Choice(language.LANGUAGES),
    default=None,
    help="Language of messages, help and summary lines: zh or en (default: output.language "
    "in the configuration, else GEOHEALTH_LANG, else the system locale, else English).",
)
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int, debug: bool, lang: str | None) -> None:
    """Health-care access for Chinese counties: who reaches care in 15 minutes."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _configure_logging(verbose, quiet)


def _run_check(settings: config.Settings, out_dir: Path | None) -> check.CheckSummary:
    log.info(language.text("loading and validating the inputs …", "正在读取并检查输入 …"))
    loaded = layers.load(settings)
    summary = check.summarise(loaded)
    text = check.format_text(summary, language=language.active())
    click.echo(text)
    if out_dir is not None:
        with run_folder(
            out_dir, command="check", inputs=input_files(settings), config_file=settings.source
        ) as stage:
            write_text(stage / "check.txt", text + "\n")
            table = check.township_table(summary).to_csv(index=False)
            write_text(stage / "check_townships.csv", table, encoding="utf-8-sig")  # BOM
        click.echo(
            language.text(
                f"\nwritten: {out_dir / 'check.txt'}\n         {out_dir / 'check_townships.csv'}",
                f"\n已写出：{out_dir / 'check.txt'}\n        {out_dir / 'check_townships.csv'}",
            )
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
    _run_check(load_settings(config_file), out_dir)


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
        log.info(
            language.text(
                "writing tables, GeoPackage, rasters and the map …",
                "正在写出表格、GeoPackage、栅格和地图 …",
            )
        )
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
            language.text(
                f"{row.mode:<12} ≤{row.threshold_min:g} min to primary care: "
                f"{row.covered:,.0f} of {row.population:,.0f} ({row.share_covered:.1%})",
                f"{coverage_files.VALUES['zh'].get(row.mode, row.mode)}"
                f" {row.threshold_min:g} 分钟内可到达基层医疗机构：{row.covered:,.0f} 人，"
                f"共 {row.population:,.0f} 人（覆盖率 {row.share_covered:.1%}）",
            )
        )
    if area.empty:
        click.echo(
            language.text(
                "no primary-care facility in the list: primary-care coverage is not computed",
                "医疗机构名单中没有基层医疗机构：未计算基层医疗覆盖率",
            )
        )
    heads = language.text("map:    |tables: |layers: ", "地图：|表格：|图层：").split("|")
    indent = "\n" + " " * (8 if language.active() == "en" else 6)
    click.echo(f"{heads[0]}{written[-1]}")
    click.echo(heads[1] + indent.join(str(p) for p in written[:3]))
    click.echo(heads[2] + indent.join(str(p) for p in written[3:-1]))
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
    settings = load_settings(config_file)
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
    settings = load_settings(config_file)
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
            log.info(
                language.text("%s: %d %s facilities", "%s：%d 个 %s 医疗机构"),
                mode,
                len(net.facilities),
                group,
            )
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
    click.echo(language.text("written: ", "已写出：") + str(out / "isochrones.gpkg"))
    for mode in nets:
        click.echo(language.text(" " * 9, " " * 8) + str(out / f"traveltime_{mode}.tif"))
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
        log.info(
            language.text(
                "bundled sample not found; generating it in %s …",
                "没有找到自带的样例，正在 %s 中生成 …",
            ),
            target,
        )
        found = sample.make_sample_county(target).config
    log.info(language.text("sample county: %s", "样例县：%s"), found)
    settings = load_settings(found)
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
    if language.active() == "zh":
        what = "样例县" if tiles == 1 else f"样例区域（{tiles} 块）"
        click.echo(f"{what}已写出；请运行：geohealth check {files.config}")
        return
    what = "sample county" if tiles == 1 else f"sample region ({tiles} tiles)"
    click.echo(f"{what} written; run: geohealth check {files.config}")
