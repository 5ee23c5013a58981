"""The language of what the command line says: resolving zh or en, and Chinese wording.

geohealth raises its errors and warnings with English messages; the command line shows
them in the user's language. A message is translated whole at that boundary: each entry of
:mod:`geohealth.messages_zh` pairs an English message template, written as in the source
(an f-string with its ``{…}`` fields), with its Chinese template. The English template
becomes a pattern; what its fields matched (file names, column names, numbers) fills the
Chinese template's fields unchanged. A field that is itself a known message or fragment is
translated too. A message no entry matches is shown as it is.

The language is resolved as the README says: ``--lang``, else the configuration's
``output.language``, else ``GEOHEALTH_LANG``, else the system locale (``zh…`` → Chinese),
else English. The command line sets it once per run with :func:`use`.
"""

from __future__ import annotations

import functools
import locale
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from geohealth import messages_zh

#: The languages the command line speaks.
LANGUAGES = ("zh", "en")
#: Environment variable that chooses the language when the configuration does not.
ENV_VAR = "GEOHEALTH_LANG"
#: Locale variables read, in POSIX order of precedence.
LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
#: Fields are translated when they are whole messages or fragments with at least this much
#: fixed text (so that a file or column name is never taken for one).
NESTED_MIN_LITERAL = 8
#: How deep fields within fields are translated.
NESTED_DEPTH = 3

_active = {"language": "en"}


def _known(value: str | None) -> str | None:
    """Return ``zh`` or ``en`` for a language or locale name (``zh_CN.UTF-8`` → zh), else None."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith(("zh", "chinese")):
        return "zh"
    return "en" if value.startswith(("en", "english")) else None


def resolve(configured: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    """Choose the language of messages: the configured one, else the environment's.

    Parameters
    ----------
    configured
        ``"zh"`` or ``"en"`` from ``--lang`` or ``output.language``; None when not given.
    environ
        The environment to read (default: the process's).

    Returns
    -------
    str
        ``"zh"`` or ``"en"``: ``configured``, else ``GEOHEALTH_LANG``, else the first set of
        ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (Chinese when it starts with ``zh``), else the
        system locale where those are unset (Windows), else English.
    """
    env = os.environ if environ is None else environ
    chosen = _known(configured) or _known(env.get(ENV_VAR))
    if chosen:
        return chosen
    for name in LOCALE_VARS:
        if env.get(name):
            return "zh" if env[name].lower().startswith("zh") else "en"
    if environ is None:
        try:
            system = locale.getlocale()[0]
        except ValueError:  # pragma: no cover - an unparsable locale setting
            system = None
        return "zh" if _known(system) == "zh" else "en"
    return "en"


def active() -> str:
    """Return the language the command line speaks now (``zh`` or ``en``)."""
    return _active["language"]


def activate(lang: str) -> None:
    """Speak ``lang`` (``zh`` or ``en``) from now on in this process."""
    if lang not in LANGUAGES:
        msg = f"unknown language '{lang}' — use zh or en"
        raise ValueError(msg)
    _active["language"] = lang


@contextmanager
def use(lang: str) -> Iterator[None]:
    """Speak ``lang`` within the block, then the language spoken before."""
    before = active()
    activate(lang)
    try:
        yield
    finally:
        _active["language"] = before


def text(en: str, zh: str) -> str:
    """Return the wording for the active language: ``zh`` in Chinese, else ``en``."""
    return zh if active() == "zh" else en


def message(english: str) -> str:
    """Return an error or warning message in the active language (``english`` in English)."""
    return to_chinese(english) if active() == "zh" else english


# --- templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """An English message template, its pattern, and the Chinese template it maps to.

    ``nested`` says whether the template may translate a field of another message: every
    fragment may, a whole message only with enough fixed text to be told from a name.
    """

    english: str
    chinese: str
    fields: tuple[str, ...]
    pattern: re.Pattern[str]
    literal: int
    nested: bool


def template_parts(template: str) -> list[tuple[str, bool]]:
    """Split a template into its parts: ``(text, False)`` literal, ``(name, True)`` field.

    Parameters
    ----------
    template
        f-string syntax: ``{expression}`` is a field (braces within it nest), ``{{`` and
        ``}}`` are literal braces.

    Returns
    -------
    list of (str, bool)
        The parts in order; a field's name is its text between the braces.
    """
    parts: list[tuple[str, bool]] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if template.startswith(("{{", "}}"), i):
            literal.append(char)
            i += 2
            continue
        if char != "{":
            literal.append(char)
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(template) and depth:
            depth += {"{": 1, "}": -1}.get(template[j], 0)
            j += 1
        if depth:
            msg = f"unbalanced braces in message template: {template}"
            raise ValueError(msg)
        if literal:
            parts.append(("".join(literal), False))
            literal = []
        parts.append((template[i + 1 : j - 1], True))
        i = j
    if literal:
        parts.append(("".join(literal), False))
    return parts


def template_fields(template: str) -> tuple[str, ...]:
    """Return the field names of a template, in order (repeats kept)."""
    return tuple(name for name, is_field in template_parts(template) if is_field)


def _compile(english: str, chinese: str, *, fragment: bool) -> Template:
    parts = template_parts(english)
    pattern = []
    for k, (piece, is_field) in enumerate(parts):
        if not is_field:
            pattern.append(re.escape(piece))
        else:
            pattern.append("(.*)" if k == len(parts) - 1 else "(.*?)")
    literal = sum(len(p) for p, is_field in parts if not is_field)
    return Template(
        english=english,
        chinese=chinese,
        fields=tuple(p for p, is_field in parts if is_field),
        pattern=re.compile("".join(pattern), re.DOTALL),
        literal=literal,
        nested=fragment or literal >= NESTED_MIN_LITERAL,
    )


@functools.cache
def _templates() -> tuple[Template, ...]:
    """Every catalogue entry compiled, most specific (longest fixed text) first."""
    compiled = [
        *(_compile(en, zh, fragment=True) for en, zh in messages_zh.FRAGMENTS.items()),
        *(_compile(en, zh, fragment=False) for en, zh in messages_zh.SUMMARIES.items()),
        *(_compile(en, zh, fragment=False) for en, zh in messages_zh.ERRORS.items()),
    ]
    return tuple(sorted(compiled, key=lambda t: -t.literal))


def match(english: str, *, nested: bool = False) -> tuple[Template, dict[str, str]] | None:
    """Find the catalogue entry an English message was made from, and its fields' values.

    Parameters
    ----------
    english
        A message as raised or printed.
    nested
        True for a field of a message: then only fragments, and messages with enough fixed
        text, are tried; False for a whole message: then fragments are not.

    Returns
    -------
    (Template, dict) or None
        The most specific matching entry and its field name → matched text; None when no
        entry matches.
    """
    fragments = messages_zh.FRAGMENTS
    for template in _templates():
        if (nested and not template.nested) or (not nested and template.english in fragments):
            continue
        found = template.pattern.fullmatch(english)
        if found:
            values: dict[str, str] = {}
            for name, value in zip(template.fields, found.groups(), strict=True):
                values.setdefault(name, value)
            return template, values
    return None


def _field_to_chinese(name: str, value: str, depth: int) -> str:
    """Translate a field's value when it is a fixed word of that field, a fragment or a message."""
    words = messages_zh.FIELD_VALUES.get(name, {})
    if value.strip() in words:
        return words[value.strip()]
    if depth > 1 and match(value, nested=True) is not None:
        return to_chinese(value, depth=depth - 1, nested=True)
    return value


def to_chinese(english: str, *, depth: int = NESTED_DEPTH, nested: bool = False) -> str:
    """Translate an English message into Chinese, keeping its values as given.

    Parameters
    ----------
    english
        A message (or several lines of messages) as geohealth writes them.
    depth
        How deep fields that are themselves messages or fragments are translated.
    nested
        True when ``english`` is a field of another message (see :func:`match`).

    Returns
    -------
    str
        The Chinese message; ``english`` unchanged when no catalogue entry matches it.
    """
    if "\n" in english:
        return "\n".join(to_chinese(line, depth=depth) for line in english.split("\n"))
    found = match(english, nested=nested)
    if found is None:
        return english
    template, values = found
    return "".join(
        _field_to_chinese(piece, values[piece], depth) if is_field else piece
        for piece, is_field in template_parts(template.chinese)
    )


class ChineseLogRecords(logging.Filter):
    """A logging filter that gives the library's progress lines their Chinese wording in zh."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Swap the record's format for its Chinese one while Chinese is spoken; keep all."""
        if active() == "zh" and isinstance(record.msg, str):
            record.msg = messages_zh.LOG.get(record.msg, record.msg)
        return True


def click_gettext(message: str) -> str:
    """Translate one of click's own words (``Usage:``, ``Options``) into the active language."""
    if active() != "zh":
        return message
    return messages_zh.CLICK.get(message, message)


def click_ngettext(singular: str, plural: str, n: int) -> str:
    """Translate one of click's counted words into the active language."""
    english = singular if n == 1 else plural
    if active() != "zh":
        return english
    return messages_zh.CLICK.get(plural, messages_zh.CLICK.get(english, english))
