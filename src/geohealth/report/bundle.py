"""The offline map bundle: the report's interactive maps in one folder, with an index page.

Every map is one self-contained HTML file (Leaflet inlined, data embedded; see
:mod:`geohealth.webmap.offline`), so the folder can be copied to a machine on an intranet and
opened by double-click. Tiles are the only thing fetched, and only when a basemap is set;
without them the layers draw on a plain background. ``index.html`` lists the maps.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from pathlib import Path

from geohealth.outputs import atomic_path, write_text
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.webmap.offline import check_offline

#: The bundle's folder inside the report folder.
FOLDER = "web"


@dataclass(frozen=True)
class BundledMap:
    """A map in the bundle: its file name in the bundle and its title on the index page."""

    name: str
    title: str


def copy_map(source: Path, folder: Path, name: str) -> Path:
    """Copy an interactive map into the bundle after checking it opens offline.

    Parameters
    ----------
    source
        A map written by geohealth (e.g. a siting run's ``site_map.html``).
    folder
        The bundle folder.
    name
        File name in the bundle.

    Returns
    -------
    pathlib.Path
        The copy.

    Raises
    ------
    GeohealthError
        If the map would fetch a script or stylesheet from the internet.
    """
    check_offline(source.read_text(encoding="utf-8"))
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return target


def write_index(folder: Path, region: str, maps: list[BundledMap]) -> Path:
    """Write ``index.html``: a self-contained page linking every map of the bundle.

    Parameters
    ----------
    folder
        The bundle folder.
    region
        Region name (the page's title).
    maps
        The maps in the bundle.

    Returns
    -------
    pathlib.Path
        The index page.
    """
    items = "".join(
        f'<li><a href="{html.escape(m.name)}">{html.escape(m.title)}</a></li>' for m in maps
    )
    title = f"{region} 交互地图"
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:15px/1.6 'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;
max-width:760px;margin:2em auto;color:#222}}.foot{{font-size:12px;color:#555}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>每个地图是一个独立文件，无需联网即可打开（底图瓦片除外）。</p>
<ul>{items}</ul>
<p class="foot">{html.escape(OSM_ATTRIBUTION)}</p></body></html>
"""
    check_offline(page)
    return write_text(folder / "index.html", page)
