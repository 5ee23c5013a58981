"""``geohealth report``: print maps for plan appendices (first part: township coverage)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from geohealth import config, coverage, reach
from geohealth.cli.common import input_files, mode_option, out_option
from geohealth.inputs import layers
from geohealth.outputs import refuse_inputs, write_text
from geohealth.report import page as page_layout
from geohealth.report import print_maps, summary

log = logging.getLogger("geohealth")


@click.command("report")
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--page",
    "pages",
    type=click.Choice(list(page_layout.PAGES)),
    multiple=True,
    help="Page size (repeatable); A4 and A3 by default.",
)
@click.option(
    "--goal",
    type=float,
    default=0.9,
    show_default=True,
    help="Share of residents a township should have within analysis.target_min (summary).",
)
@mode_option
@out_option
def report_command(
    config_file: Path,
    pages: tuple[str, ...],
    goal: float,
    modes: tuple[str, ...],
    out_dir: Path | None,
) -> None:
    """Write print maps (PNG at 300 dpi and PDF, A4/A3 landscape) into OUT/report/.

    Per travel mode: the township coverage map at analysis.target_min and the map of minutes
    to the nearest primary-care facility, each with legend, scale bar, north arrow, sources,
    OSM attribution and date; Chinese text in a CJK font. Also the
    one-page summary (summary.html, summary.pdf): people within the target time per mode and
    the townships below --goal.
    """
    settings = config.load(config_file)
    folder = (out_dir or settings.output_dir) / "report"
    refuse_inputs([folder], input_files(settings))
    loaded = layers.load(settings)
    result = coverage.run(loaded, groups=("primary",), modes=modes or None)
    written: list[Path] = []
    for mode in dict.fromkeys(m for g, m in result.groups if g == "primary"):
        for page in pages or tuple(page_layout.PAGES):
            for kind, draw in (
                ("coverage", print_maps.coverage_figure),
                ("traveltime", print_maps.traveltime_figure),
            ):
                fig = draw(result, loaded, mode, page=page)
                written += page_layout.save_figure(fig, folder / f"{kind}_{mode}_{page}")
    brief = summary.summarise(result, loaded, goal=goal)
    written.append(write_text(folder / "summary.html", summary.summary_html(brief)))
    written += page_layout.save_figure(summary.summary_figure(brief), folder / "summary")
    click.echo("written: " + "\n         ".join(str(p) for p in written))
    click.echo(reach.OSM_ATTRIBUTION)
