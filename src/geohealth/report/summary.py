"""The one-page summary: the headline indicators of a run, as HTML and as an A4 PDF page.

Headline: the people within the target time of primary care per travel mode, the townships
below a goal share (per mode) and, when siting plans are given, the sites each proposes and
its effect (indicators before and after, from the plan's ``plan.json``). The same
:class:`Summary` feeds both formats, so the page and the web version cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.coverage_files import VALUES
from geohealth.inputs.layers import InputLayers
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.report import fonts
from geohealth.siting.record import PlanRecord, effect_text


@dataclass(frozen=True)
class Summary:
    """Headline indicators of a coverage run.

    Attributes
    ----------
    region
        Region name.
    target_min
        The service-circle time.
    goal
        Share of residents a township should have within ``target_min``.
    modes
        Per mode: ``mode, population, covered, share_covered`` (whole area, primary care).
    below
        Townships below ``goal``: ``mode, code, name, population, uncovered, share_covered``,
        lowest share first.
    date
        The day the summary was made.
    plans
        Siting plans proposed (their records).
    """

    region: str
    target_min: float
    goal: float
    modes: pd.DataFrame
    below: pd.DataFrame
    date: dt.date
    plans: tuple[PlanRecord, ...] = field(default=())


def summarise(
    result: CoverageResult,
    layers: InputLayers,
    *,
    goal: float = 0.9,
    plans: tuple[PlanRecord, ...] = (),
) -> Summary:
    """Collect the headline indicators of a coverage run.

    Parameters
    ----------
    result
        A coverage run (with primary care).
    layers
        The run's inputs.
    goal
        Share of residents each township should have within the target time.
    plans
        Records of siting plans to show with their effect.

    Returns
    -------
    Summary
        The indicators.
    """
    target = layers.settings.analysis.target_min
    table = result.townships
    rows = table[(table["group"] == "primary") & (table["threshold_min"] == target)]
    modes = rows[rows["code"] == AREA_CODE][["mode", "population", "covered", "share_covered"]]
    towns = rows[(rows["code"] != AREA_CODE) & (rows["share_covered"] < goal)]
    below = towns[["mode", "code", "name", "population", "uncovered", "share_covered"]]
    return Summary(
        region=layers.settings.region.title,
        target_min=target,
        goal=goal,
        modes=modes.reset_index(drop=True),
        below=below.sort_values(["mode", "share_covered"]).reset_index(drop=True),
        date=dt.date.today(),
        plans=tuple(plans),
    )


def _mode(mode: str) -> str:
    return VALUES["zh"].get(mode, mode)


def plan_lines(summary: Summary) -> list[tuple[str, list[str]]]:
    """Per siting plan, its headline and its effects, as the summary prints them.

    Parameters
    ----------
    summary
        From :func:`summarise`.

    Returns
    -------
    list of (str, list of str)
        Headline (title, sites, new sites, mode and time) and one line per indicator.
    """
    out = []
    for r in summary.plans:
        where = f"{_mode(r.mode)}，" if r.mode and r.kind != "whatif" else ""
        lead = (
            f"{r.title}：{r.sites} 个站点，其中新建或升级 {r.new_sites} 个"
            f"（{where}{r.threshold_min:g}分钟）"
        )
        out.append((lead, [effect_text(e) for e in r.effects]))
    return out


def _lines(summary: Summary) -> tuple[str, list[str], list[tuple[str, list[str]]]]:
    """Title, headline lines and per mode the townships below the goal (both formats)."""
    title = f"{summary.region} {summary.target_min:g}分钟医疗卫生服务圈 · 摘要"
    head = [
        f"{_mode(r.mode)}：{r.covered:,.0f} / {r.population:,.0f} 人在{summary.target_min:g}分钟内"
        f"可达基层医疗机构（{r.share_covered:.1%}）"
        for r in summary.modes.itertuples()
    ]
    towns = [
        (
            f"{_mode(str(mode))}（{len(part)} 个）：",
            [f"{r.name} {r.share_covered:.0%}" for r in part.itertuples()],
        )
        for mode, part in summary.below.groupby("mode", sort=False)
    ]
    return title, head, towns


def _packed(lead: str, items: list[str], width: int = 44) -> list[str]:
    """Lines of at most ``width`` characters, breaking only between items (CJK has no spaces)."""
    lines, line = [], lead
    for k, item in enumerate(items):
        piece = item + ("、" if k < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip():
            lines.append(line)
            line = "  "
        line += piece
    lines.append(line)
    return lines


def summary_html(summary: Summary) -> str:
    """Render the summary as one self-contained HTML page (no external resources).

    Parameters
    ----------
    summary
        From :func:`summarise`.

    Returns
    -------
    str
        The page.
    """
    title, head, towns = _lines(summary)
    goal = f"{summary.goal:.0%}"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in head)
    below = (
        "".join(f"<li>{html.escape(lead + '、'.join(items))}</li>" for lead, items in towns)
        or "<li>无</li>"
    )
    plans = "".join(
        f"<li>{html.escape(lead)}<ul>"
        + "".join(f"<li>{html.escape(e)}</li>" for e in effects)
        + "</ul></li>"
        for lead, effects in plan_lines(summary)
    )
    plans_part = f"<h2>拟建站点及其效果</h2><ul>{plans}</ul>" if plans else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:15px/1.6 'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;
max-width:760px;margin:2em auto;color:#222}}h1{{font-size:22px}}
h2{{font-size:17px;margin-top:1.4em}}.foot{{font-size:12px;color:#555;margin-top:2em}}</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>{summary.target_min:g}分钟内可达基层医疗机构的人口</h2><ul>{items}</ul>
<h2>覆盖率低于 {goal} 的乡镇</h2><ul>{below}</ul>
{plans_part}
<p class="foot">{html.escape(OSM_ATTRIBUTION)}；制图日期 {summary.date:%Y-%m-%d}</p>
</body></html>
"""


def summary_figure(summary: Summary) -> Figure:
    """Render the summary on an A4 portrait page (for the PDF).

    Parameters
    ----------
    summary
        From :func:`summarise`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    font = FontProperties(fname=fonts.cjk_font())
    title, head, towns = _lines(summary)
    fig = Figure(figsize=(210 / 25.4, 297 / 25.4))
    y = 0.94

    def write(text: str, size: float, step: float) -> None:
        nonlocal y
        fig.text(0.08, y, text, fontproperties=font, fontsize=size, va="top")
        y -= step

    write(title, 16, 0.06)
    write(f"{summary.target_min:g}分钟内可达基层医疗机构的人口", 12, 0.035)
    for line in head:
        write("• " + line, 10, 0.03)
    y -= 0.02
    write(f"覆盖率低于 {summary.goal:.0%} 的乡镇", 12, 0.035)
    for lead, items in towns or [("无", [])]:
        for k, line in enumerate(_packed(lead, items)):
            write(("• " if k == 0 else "  ") + line, 10, 0.028)
    if summary.plans:
        y -= 0.02
        write("拟建站点及其效果", 12, 0.035)
        for lead, effects in plan_lines(summary):
            for k, line in enumerate(_packed(lead, [])):
                write(("• " if k == 0 else "  ") + line, 10, 0.028)
            for line in effects:
                write("    " + line, 9, 0.025)
    fig.text(
        0.08,
        0.04,
        f"{OSM_ATTRIBUTION}；制图日期 {summary.date:%Y-%m-%d}",
        fontproperties=font,
        fontsize=8,
        color="#444444",
    )
    return fig
