"""Help in the language the command line speaks: our commands' help and click's own words.

In Chinese, a command's help, its options' help and its line in the command list come from
:data:`geohealth.cli.help_zh.HELP`; click's fixed words (``Usage:``, ``Options``, its usage
errors) from its gettext calls, which :func:`install_click_translation` points at
:mod:`geohealth.language`. In English nothing changes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from geohealth import language
from geohealth.cli.help_zh import HELP

#: The help of ``--help`` in English (click words it once per command, in the language of
#: that moment, so it is set again each time).
HELP_OPTION_EN = "Show this message and exit."

#: click's modules that translate their words through gettext (``_`` and ``ngettext``).
CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)


def install_click_translation() -> None:
    """Let click's own words follow the active language (it looks them up at use)."""
    for name in CLICK_MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = language.click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = language.click_ngettext  # type: ignore[attr-defined]


def help_key(command: click.Command, param: click.Parameter | None = None) -> str:
    """Return the key of a command's help, or of one of its options', in the help table."""
    name = "geohealth" if isinstance(command, click.Group) else str(command.name)
    if param is None:
        return name
    return f"{name} {max(param.opts, key=len)}"


def chinese_help(command: click.Command, param: click.Parameter | None = None) -> str | None:
    """Return the Chinese help of a command or option (None when the table has none)."""
    found = HELP.get(help_key(command, param))
    if found is None and param is not None:
        found = HELP.get(max(param.opts, key=len))  # --help, --version
    return found


@contextmanager
def _help_in_chinese(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """Within the block, the command and its options carry their Chinese help."""
    saved: list[tuple[click.Command | click.Option, str | None]] = []
    targets: list[tuple[click.Command | click.Option, str | None]] = [
        (command, chinese_help(command))
    ]
    targets += [
        (p, chinese_help(command, p))
        for p in command.get_params(ctx)
        if isinstance(p, click.Option)
    ]
    for target, zh in targets:
        if zh is not None:
            saved.append((target, target.help))
            target.help = zh
    try:
        yield
    finally:
        for target, before in saved:
            target.help = before


class _Localised(click.Command):
    """Help in the active language, for commands and groups alike."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Return the ``--help`` option, its help in the active language."""
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP["--help"] if language.active() == "zh" else HELP_OPTION_EN
        return option

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the help, in Chinese when the command line speaks it."""
        if language.active() != "zh":
            return super().format_help(ctx, formatter)
        with _help_in_chinese(self, ctx):
            return super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        """Return the command's line in its group's help: the first sentence of its help."""
        zh = chinese_help(self) if language.active() == "zh" else None
        if zh is None:
            return super().get_short_help_str(limit)
        first = zh.split("\n", 1)[0]
        return first.split("。", 1)[0].removesuffix("，依据 CONFIG")


class LocalisedCommand(_Localised):
    """A command whose help follows the active language."""


class LocalisedGroup(_Localised, click.Group):
    """A group whose help, and its commands' lines in it, follow the active language."""

    command_class = LocalisedCommand
