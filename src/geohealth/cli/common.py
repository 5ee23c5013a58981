"""Options and helpers the ``geohealth`` commands share."""

from __future__ import annotations

from pathlib import Path

import click

from geohealth import config

#: ``--out DIR``.
out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default: the configuration's output.dir).",
)
#: ``--mode M`` (repeatable).
mode_option = click.option(
    "--mode",
    "modes",
    multiple=True,
    help="Travel mode (repeatable); the configuration's analysis.modes by default.",
)


def input_files(settings: config.Settings) -> list[Path | None]:
    """List every file a run reads (outputs must never replace one)."""
    return [
        settings.boundaries.path,
        settings.facilities.path,
        settings.population.raster,
        settings.network.osm,
        settings.network.dem,
    ]
