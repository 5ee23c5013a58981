"""``geohealth report``: the report folder for plan appendices (print maps, tables, web maps)."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from matplotlib.figure import Figure

from geohealth import coverage, coverage_files, language, reach, webmap
from geohealth.cli.common import input_files, load_settings, mode_option, out_option
from geohealth.cli.localised import LocalisedCommand
from geohealth.errors import ConfigError, InputError
from geohealth.inputs import layers
from geohealth.outputs import run_folder, staged_to_final, write_text
from geohealth.report import bundle, isochrone_map, plan_map, plans, print_maps, summary, tables
from geohealth.report import page as page_layout
from geohealth.siting.record import effect_text

log = logging.getLogger("geohealth")

#: The print maps drawn per travel mode: file-name stem → figure.
MODE_MAPS = {
    "coverage": print_maps.coverage_figure,
    "traveltime": print_maps.traveltime_figure,
    "isochrones": isochrone_map.isochrone_figure,
}


def _note_lines(text: str, width: int = 20) -> str:
    """Break ``indicator（unit）：values`` into lines that fit beside the map on A4."""
    indicator, _, values = text.partition("：")
    if len(indicator) > width and "（" in indicator:
        head, _, unit = indicator.rpartition("（")
        indicator = f"{head}\n（{unit}"
    return f"{indicator}：\n  {values}"


def _plan_page(plan: plans.LoadedPlan, loaded: layers.InputLayers, page: str) -> Figure:
    """Draw a plan's print page: its siting map, or a what-if's changes and their effect."""
    if plan.run == "whatif":
        note = "\n".join(_note_lines(effect_text(e)) for e in plan.record.effects)
        return plan_map.whatif_figure(
            loaded,
            plan.layers["changes"],
            plan.layers["newly"],
            plan.layers["gone"],
            title=plan.record.title,
            note=note,
            page=page,
        )
    return plan_map.siting_figure(
        loaded,
        plan.layers["sites"],
        plan.layers["catchments"],
        plan.layers["unassigned"],
        title=plan.record.title,
        page=page,
    )


@click.command("report", cls=LocalisedCommand)
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--page",
    "pages",
    type=click.Choice(list(page_layout.PAGES)),
    multiple=True,
    help="Page size (repeatable); default report.pages (A4 and A3).",
)
@click.option(
    "--goal",
    type=float,
    default=None,
    help="Share of residents a township should have within analysis.target_min (summary); "
    "default report.goal (0.9).",
)
@click.option(
    "--plan",
    "plan_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="A folder written by 'geohealth site' or 'geohealth whatif' (repeatable; default "
    "report.plans): its print map, its sites table, its web map, and its effect in the summary.",
)
@mode_option
@out_option
def report_command(
    config_file: Path,
    pages: tuple[str, ...],
    goal: float | None,
    plan_dirs: tuple[Path, ...],
    modes: tuple[str, ...],
    out_dir: Path | None,
) -> None:
    """Write the report folder for plan appendices into OUT/report/.

    Print maps (PNG at 300 dpi and PDF, A4/A3 landscape), per travel mode: township coverage
    at analysis.target_min, minutes to the nearest primary-care facility, and the service
    circles (isochrones); per --plan, the siting map (or the what-if's changes). Each has a
    title, legend, scale bar, north arrow, sources, OSM attribution and date, with Chinese
    text in a CJK font. Tables:
    coverage.xlsx (Chinese headers with units, frozen header row), townships.csv and
    facilities.csv (UTF-8 with BOM), and with --plan, plans.xlsx and sites_<plan>.csv. The
    one-page summary (summary.html, summary.pdf). The offline map bundle web/: the coverage
    map and each plan's map, self-contained, with index.html.
    """
    settings = load_settings(config_file)
    pages = pages or settings.report.pages
    goal = settings.report.goal if goal is None else goal
    if not 0 < goal <= 1:
        msg = f"--goal {goal:g} — give a share between 0 and 1, e.g. 0.9"
        raise ConfigError(msg)
    plan_dirs = plan_dirs or settings.report.plans
    folder = out_dir / "report" if out_dir is not None else settings.command_dir("report")
    inputs = [*input_files(settings), *plans.plan_inputs(plan_dirs)]
    inside = [p for p in inputs if p is not None and folder.resolve() in p.resolve().parents]
    if inside:
        msg = f"{inside[0]} is an input inside the report folder {folder} — choose another --out"
        raise InputError(msg)
    proposed = plans.load_plans(plan_dirs)  # a bad folder fails before the long part
    for plan in proposed:
        if plan.record.region and plan.record.region != settings.region.name:
            msg = (
                f"{plan.folder} is a plan for '{plan.record.region}', not for "
                f"'{settings.region.name}' — give the same configuration to site and report"
            )
            raise ConfigError(msg)
    final = folder
    with run_folder(final, command="report", inputs=inputs, config_file=settings.source) as folder:
        loaded = layers.load(settings)
        result = coverage.run(loaded, modes=modes or None)
        written: list[Path] = []
        for mode in dict.fromkeys(m for g, m in result.groups if g == "primary"):
            for page in pages:
                for kind, draw in MODE_MAPS.items():
                    fig = draw(result, loaded, mode, page=page)
                    written += page_layout.save_figure(fig, folder / f"{kind}_{mode}_{page}")
        for plan in proposed:
            for page in pages:
                stem = (
                    folder / f"{'whatif' if plan.run == 'whatif' else 'siting'}_{plan.name}_{page}"
                )
                written += page_layout.save_figure(_plan_page(plan, loaded, page), stem)
        region = settings.region.title
        written += coverage_files.write_tables(
            folder, result, language=settings.output.table_language, region=region
        )
        written += tables.write_plan_tables(folder, proposed, region=region)
        web = folder / bundle.FOLDER
        shown = [
            bundle.BundledMap("coverage_map.html", "医疗卫生服务圈：乡镇覆盖、机构、用时与服务圈")
        ]
        written.append(webmap.write_map(web / shown[0].name, webmap.coverage_map(result, loaded)))
        for plan in proposed:
            if plan.map_path.is_file():
                shown.append(
                    bundle.BundledMap(f"{plan.map_path.stem}_{plan.name}.html", plan.record.title)
                )
                written.append(bundle.copy_map(plan.map_path, web, shown[-1].name))
        written.append(bundle.write_index(web, region, shown))
        brief = summary.summarise(
            result, loaded, goal=goal, plans=tuple(p.record for p in proposed)
        )
        written.append(write_text(folder / "summary.html", summary.summary_html(brief)))
        written += page_layout.save_figure(summary.summary_figure(brief), folder / "summary")
        written = staged_to_final(written, folder, final)
    head, indent = language.text("written: ", "已写出："), language.text(" " * 9, " " * 8)
    click.echo(head + ("\n" + indent).join(str(p) for p in written))
    click.echo(reach.OSM_ATTRIBUTION)
