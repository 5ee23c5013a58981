"""The language of the command line: resolving zh/en and the Chinese message catalogue."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import geohealth
from geohealth import language, messages_zh
from geohealth.errors import GeohealthError, GeohealthWarning

PACKAGE = Path(geohealth.__file__).parent

#: Messages the scan cannot read from the source, with why; each is translated by the
#: entries named here (checked below), so a change to one of them is seen.
DYNAMIC: dict[str, str] = {}


def _subclass_names(base: type) -> set[str]:
    names = {base.__name__}
    for sub in base.__subclasses__():
        names |= _subclass_names(sub)
    return names


@pytest.fixture(scope="module")
def raised_kinds() -> tuple[set[str], set[str]]:
    """Names of geohealth's error and warning classes (every module imported first)."""
    for module in pkgutil.walk_packages(geohealth.__path__, "geohealth."):
        importlib.import_module(module.name)
    return _subclass_names(GeohealthError), _subclass_names(GeohealthWarning)


def _field(node: ast.FormattedValue) -> str:
    """The ``{…}`` of an f-string field as the catalogue writes it."""
    text = ast.unparse(node.value)
    if node.conversion != -1:
        text += "!" + chr(node.conversion)
    if node.format_spec is not None:
        spec = node.format_spec
        assert isinstance(spec, ast.JoinedStr)
        text += ":" + "".join(
            v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
            for v in spec.values
        )
    return "{" + text + "}"


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Module:
    """One source module: its functions, to follow a message into a variable or a helper."""

    def __init__(self, tree: ast.Module, functions: dict[str, list[ast.FunctionDef]]):
        self.tree = tree
        self.functions = functions
        self.scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]

    def scope(self, node: ast.AST) -> ast.AST:
        """The innermost function holding ``node`` (the module outside functions)."""
        best: ast.AST = self.tree
        for f in self.scopes:
            inside = f.lineno <= node.lineno <= (f.end_lineno or f.lineno)
            if inside and (best is self.tree or f.lineno >= best.lineno):  # type: ignore[attr-defined]
                best = f
        return best

    def templates(self, node: ast.expr, scope: ast.AST, *, top: bool = True) -> list[str] | None:
        """The templates a message expression can produce; None when the scan cannot tell.

        Literals and f-strings give one template, ``a + b`` and ``x if c else y`` combine
        them, a variable gives those of its assignments before the use, and (at the top) a
        call of one of geohealth's functions gives those of its ``return`` statements.
        Inside a concatenation any other expression is a field.
        """
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [_literal(node.value)]
        if isinstance(node, ast.JoinedStr):
            return [
                "".join(
                    _literal(v.value) if isinstance(v, ast.Constant) else _field(v)
                    for v in node.values
                )
            ]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.templates(node.left, scope, top=False)
            right = self.templates(node.right, scope, top=False)
            if left is None or right is None:
                return None
            return [a + b for a in left for b in right]
        if isinstance(node, ast.IfExp):
            body = self.templates(node.body, scope, top=top)
            orelse = self.templates(node.orelse, scope, top=top)
            return None if body is None or orelse is None else body + orelse
        if isinstance(node, ast.Name):
            found: list[str] = []
            for n in ast.walk(scope):
                if (
                    isinstance(n, ast.Assign)
                    and n.lineno < node.lineno
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
                ):
                    made = self.templates(n.value, scope, top=top)
                    if made is None:
                        return None
                    found += made
            if found:
                return found
            return None if top else ["{" + node.id + "}"]
        if top and isinstance(node, ast.Call):
            name = _name(node.func)
            if name in self.functions:
                found = []
                for function in self.functions[name]:
                    module = _MODULES[function]
                    for ret in ast.walk(function):
                        if isinstance(ret, ast.Return) and ret.value is not None:
                            if isinstance(ret.value, ast.Constant) and ret.value.value is None:
                                continue
                            made = module.templates(ret.value, function)
                            if made is None:
                                return None
                            found += made
                return found or None
        return None if top else [_field(ast.FormattedValue(node, -1, None))]


_MODULES: dict[ast.FunctionDef, _Module] = {}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def scan_messages(errors: set[str], warns: set[str]) -> tuple[dict[str, str], list[str]]:
    """Every message template geohealth raises or warns with, and what the scan cannot read.

    Parameters
    ----------
    errors, warns
        Names of the error and warning classes.

    Returns
    -------
    dict, list
        Template → ``path:line`` of its first use; ``path:line: expression`` of messages
        the scan cannot turn into templates.
    """
    modules: dict[Path, _Module] = {}
    functions: dict[str, list[ast.FunctionDef]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules[path] = _Module(tree, functions)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                functions.setdefault(node.name, []).append(node)
                _MODULES[node] = modules[path]
    found: dict[str, str] = {}
    unread: list[str] = []
    for path, module in modules.items():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                if _name(node.exc.func) not in errors:
                    continue
                message = node.exc.args[0] if node.exc.args else None
            elif isinstance(node, ast.Call) and _name(node.func) == "warn":
                category = node.args[1] if len(node.args) > 1 else None
                for keyword in node.keywords:
                    if keyword.arg == "category":
                        category = keyword.value
                if category is None or _name(category) not in warns:
                    continue
                message = node.args[0]
            else:
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            made = None if message is None else module.templates(message, module.scope(node))
            if made is None:
                shown = "(no message)" if message is None else ast.unparse(message)
                unread.append(f"{where}: {shown}")
                continue
            for template in made:
                found.setdefault(template, where)
    return found, unread


@pytest.fixture(scope="module")
def scanned(raised_kinds) -> tuple[dict[str, str], list[str]]:
    return scan_messages(*raised_kinds)


def test_every_message_geohealth_raises_has_chinese_wording(scanned):
    found, unread = scanned
    assert len(found) > 150  # the scan sees the package's messages
    missing = {t: where for t, where in found.items() if t not in messages_zh.ERRORS}
    listing = "\n".join(f"    {t!r}: ...,  # {where}" for t, where in sorted(missing.items()))
    assert not missing, f"{len(missing)} messages have no entry in messages_zh.ERRORS:\n{listing}"
    assert unread == [], "messages the scan cannot read — make them f-strings or list them"


def test_no_entry_is_left_over_from_a_message_that_changed(scanned):
    found, _ = scanned
    stale = sorted(set(messages_zh.ERRORS) - set(found))
    assert not stale, "entries no message uses any more:\n" + "\n".join(map(repr, stale))


def _grammar(field: str) -> bool:
    """Whether a field only inflects English (``{'y' if n == 1 else 'ies'}``)."""
    try:
        node = ast.parse(field, mode="eval").body
    except SyntaxError:
        return False
    return (
        isinstance(node, ast.IfExp)
        and isinstance(node.body, ast.Constant)
        and isinstance(node.orelse, ast.Constant)
    )


@pytest.mark.parametrize("catalogue", ["ERRORS", "FRAGMENTS", "SUMMARIES"])
def test_chinese_templates_keep_every_field_and_invent_none(catalogue):
    """Every value of the English message is shown in Chinese too (English inflections aside)."""
    wrong = {}
    for en, zh in getattr(messages_zh, catalogue).items():
        english, chinese = set(language.template_fields(en)), set(language.template_fields(zh))
        if chinese - english or {f for f in english - chinese if not _grammar(f)}:
            wrong[en] = zh
    assert not wrong, f"{catalogue}: fields lost or invented:\n" + "\n".join(
        f"{en!r} → {zh!r}" for en, zh in wrong.items()
    )


def _sample(template: str) -> tuple[str, dict[str, str]]:
    """An English message made from ``template`` with a distinct value in each field."""
    values: dict[str, str] = {}
    out = []
    for piece, is_field in language.template_parts(template):
        if is_field:
            values.setdefault(piece, f"«v{len(values)}»")
            out.append(values[piece])
        else:
            out.append(piece)
    return "".join(out), values


@pytest.mark.parametrize("catalogue", ["ERRORS", "SUMMARIES"])
def test_each_message_comes_back_from_its_own_entry(catalogue):
    """A message made from a template is read back by that template, fields in place."""
    wrong = []
    for english, chinese in getattr(messages_zh, catalogue).items():
        sample, values = _sample(english)
        expected = "".join(
            values[piece] if is_field else piece
            for piece, is_field in language.template_parts(chinese)
        )
        if language.to_chinese(sample) != expected:
            wrong.append(f"{english!r}\n  → {language.to_chinese(sample)!r}")
    assert not wrong, "\n".join(wrong)


def test_a_message_keeps_its_file_and_column_names():
    english = (
        "设施.csv: column 'lon' not found; columns are: 名称, 经度, 纬度 — "
        "set facilities.lon_column to one of them"
    )
    assert language.to_chinese(english) == (
        "设施.csv：找不到列“lon”；现有的列：名称, 经度, 纬度 — 请把 facilities.lon_column "
        "设为其中之一"
    )


def test_a_message_within_a_message_is_translated_too():
    inner = "report.goal = 2 — give a share between 0 and 1, e.g. 0.9"
    outer = language.to_chinese(f"run.toml: {inner}")
    assert outer == "run.toml：" + language.to_chinese(inner)
    assert "0 到 1" in outer


def test_an_unknown_message_is_shown_as_it_is():
    assert language.to_chinese("something nobody wrote") == "something nobody wrote"


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
        (None, {"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh"),
        (None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        (None, {"LC_MESSAGES": "zh_TW.UTF-8"}, "zh"),
        (None, {"GEOHEALTH_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        (None, {"GEOHEALTH_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        (None, {"GEOHEALTH_LANG": "fr", "LANG": "zh_CN.UTF-8"}, "zh"),
        ("en", {"GEOHEALTH_LANG": "zh"}, "en"),
        ("zh", {"GEOHEALTH_LANG": "en", "LANG": "en_US"}, "zh"),
    ],
)
def test_the_language_resolves_config_then_environment_then_locale(configured, environ, expected):
    assert language.resolve(configured, environ=environ) == expected


def test_the_session_speaks_english():
    """The suite's outputs do not depend on the machine's locale (conftest sets it)."""
    assert language.resolve() == "en"


def test_use_speaks_a_language_within_a_block():
    assert language.text("yes", "是") == "yes"
    with language.use("zh"):
        assert language.text("yes", "是") == "是"
        assert language.message(
            "nothing to test — give --add LON,LAT,LEVEL, --close ID or --upgrade ID=LEVEL"
        ).startswith("没有")
    assert language.active() == "en"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        language.activate("fr")


def _logged_formats() -> dict[str, str]:
    """The % format of every progress line the library logs (``log.info``/``log.warning``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue  # the command line words its own lines in both languages
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("info", "warning")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "log"
                and node.args
            ):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path}:{node.lineno}: not a literal"
                found.setdefault(first.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


_CONVERSION = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdgfr%]")


def test_every_progress_line_has_chinese_wording_with_the_same_fields():
    found = _logged_formats()
    assert len(found) > 30
    missing = {f: where for f, where in found.items() if f not in messages_zh.LOG}
    assert not missing, "no entry in messages_zh.LOG:\n" + "\n".join(
        f"    {f!r}: ...,  # {where}" for f, where in missing.items()
    )
    stale = sorted(set(messages_zh.LOG) - set(found))
    assert not stale, "entries no log line uses any more:\n" + "\n".join(map(repr, stale))
    wrong = [
        f for f, zh in messages_zh.LOG.items() if _CONVERSION.findall(f) != _CONVERSION.findall(zh)
    ]
    assert not wrong, "% fields differ (they must come in the same order):\n" + "\n".join(wrong)


def test_progress_lines_are_chinese_only_while_chinese_is_spoken():
    import logging

    record = logging.LogRecord(
        "geohealth.x", logging.INFO, "f", 1, "loaded %d townships from %s", (20, "a.gpkg"), None
    )
    keep = language.ChineseLogRecords()
    assert keep.filter(record)
    assert record.getMessage() == "loaded 20 townships from a.gpkg"
    with language.use("zh"):
        assert keep.filter(record)
    assert record.getMessage() == "已读取 20 个乡镇，来自 a.gpkg"


def test_planning_summary_lines_in_chinese():
    from types import SimpleNamespace

    from geohealth.siting.models import solver_line

    solved = SimpleNamespace(
        objective=395949.0, bound=395949.0, gap=0.0, status="Optimal", seconds=1.25
    )
    line = solver_line("mclp", solved, "people covered")
    assert language.to_chinese(line) == (
        "mclp：目标值 395,949.00 覆盖人数，界 395,949.00，差距 0.00%（Optimal，1.2 秒）"
    )
    whatif = "primary   drive        ≤15 min: 1,200 → 1,500 (+300; newly covered 310, no longer 10)"
    assert language.to_chinese(whatif) == (
        "基层医疗 驾车 ≤15 分钟：1,200 → 1,500（+300；新覆盖 310，不再覆盖 10）"
    )
