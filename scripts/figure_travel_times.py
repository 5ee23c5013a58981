"""Draw the README's figure of how travel times are computed (docs/travel-times.png).

On the real Andorra extract (tests/data, ODbL): a clinic, the walking roads, a few homes with
their walks to every road within reach, and the clinic's 5- and 10-minute walking circles —
the contours of the same travel-time field the coverage tables use.

Run: ``.venv/bin/python scripts/figure_travel_times.py``
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.font_manager import FontProperties

from geohealth import traveltime
from geohealth.isochrones import isochrones
from geohealth.network import graph, osm, profiles, snap
from geohealth.report.fonts import cjk_font

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "travel-times.png"


def main() -> None:
    """Draw and save the figure."""
    g = graph.build(osm.read(ROOT / "tests" / "data" / "andorra.osm.pbf"), profiles.load()["walk"])
    clinic = snap.attach(g, [1.5218], [42.5075])  # Andorra la Vella
    crs = clinic.crs
    iso = isochrones(g, clinic, [5.0, 10.0], cell_m=20.0, progress=False)
    iso = iso.to_crs(crs)
    cx, cy = float(clinic.x[0]), float(clinic.y[0])
    rng = np.random.default_rng(4)
    angle = rng.uniform(0, 2 * np.pi, 5)
    radius = rng.uniform(300, 650, 5)
    hx, hy = cx + radius * np.cos(angle), cy + radius * np.sin(angle)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(hx, hy)
    homes = snap.attach(g, lon, lat, nearest_beyond=False)
    minutes, _ = traveltime.point_times(traveltime.nearest_facility(g, clinic), homes, clinic)
    seg = snap.segment_table(g, crs)
    box = shapely.box(cx - 900, cy - 900, cx + 900, cy + 900)
    lines = shapely.linestrings(np.stack([seg.start, seg.end], axis=1))
    shown = shapely.intersects(lines, box)
    plt.rcParams["font.family"] = FontProperties(fname=cjk_font()).get_name()
    fig, ax = plt.subplots(figsize=(6.4, 6.4), dpi=110)
    for limit, colour in ((10.0, "#c6dbef"), (5.0, "#6baed6")):
        geom = iso[iso["threshold_min"] == limit].geometry.iloc[0]
        for poly in getattr(geom, "geoms", [geom]):
            ax.fill(*poly.exterior.xy, color=colour, lw=0, label=f"≤ {limit:g} 分钟步行")
            for hole in poly.interiors:
                ax.fill(*hole.xy, color="white", lw=0)
    for line in lines[shown]:
        ax.plot(*line.xy, color="#555555", lw=0.6)
    links = homes.links
    place_x = seg.start[links.segment, 0] + links.fraction * (
        seg.end[links.segment, 0] - seg.start[links.segment, 0]
    )
    place_y = seg.start[links.segment, 1] + links.fraction * (
        seg.end[links.segment, 1] - seg.start[links.segment, 1]
    )
    for k in range(len(links)):
        i = links.point[k]
        ax.plot([hx[i], place_x[k]], [hy[i], place_y[k]], color="#e6550d", lw=0.5, ls=":")
    ax.scatter(hx, hy, s=22, color="#e6550d", zorder=3, label="住户（步行至 300 m 内所有道路）")
    for i in range(len(hx)):
        text = f"{minutes[i]:.1f} 分钟" if np.isfinite(minutes[i]) else "300 m 内无路"
        ax.annotate(text, (hx[i], hy[i]), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.scatter([cx], [cy], marker="*", s=160, color="#a50f15", zorder=4, label="卫生机构")
    ax.set_xlim(cx - 900, cx + 900)
    ax.set_ylim(cy - 900, cy + 900)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="lower left", fontsize=8, framealpha=0.9)
    ax.set_title("同一个时间场：覆盖表、服务圈与栅格 (Andorra, OSM)", fontsize=10)
    fig.text(0.01, 0.005, "Road data © OpenStreetMap contributors, ODbL 1.0", fontsize=6)
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, bbox_inches="tight")
    print(f"written: {OUT}")


if __name__ == "__main__":
    main()
