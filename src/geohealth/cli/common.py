"""Options and helpers the ``geohealth`` commands share."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from geohealth import config, language

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


def load_settings(path: Path) -> config.Settings:
    """Load the run configuration; from then on the command line speaks its output.language.

    ``--lang`` wins over the configuration. A configuration that fails to load still gets
    its error in its own language when its ``output.language`` can be read.

    Parameters
    ----------
    path
        The configuration file (TOML).

    Returns
    -------
    config.Settings
        As :func:`geohealth.config.load` returns them.
    """
    ctx = click.get_current_context(silent=True)
    chosen = None if ctx is None else ctx.find_root().params.get("lang")
    if chosen is None:
        language.activate(language.resolve(_declared_language(path)))
    settings = config.load(path)
    if chosen is None:
        language.activate(language.resolve(settings.output.language))
    return settings


def _declared_language(path: Path) -> str | None:
    """Read ``output.language`` from a configuration file, if it can be read at all."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError):
        return None
    output = data.get("output")
    chosen = output.get("language") if isinstance(output, dict) else None
    return chosen if chosen in language.LANGUAGES else None
