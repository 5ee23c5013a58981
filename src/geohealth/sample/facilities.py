"""The sample county's health facilities, as a bureau would hand them over.

A GBK-encoded CSV with Chinese headers and GCJ-02 coordinates (what AMap gives): one township
health centre per township seat, the county seat's two county hospitals, community health
service centres and emergency centre, and a village clinic in almost every administrative
village (a few posts are vacant, as in reality). Village clinics have no bed count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from geohealth.inputs.coords import from_wgs84
from geohealth.outputs import write_text
from geohealth.sample.layout import LAYOUT_CRS, Layout
from geohealth.sample.names import COUNTY_NAME

COLUMNS = ("机构编码", "机构名称", "机构类别", "所属乡镇", "地址", "经度", "纬度", "床位数")
VACANT_CLINICS = 8


def table(layout: Layout, rng: np.random.Generator) -> pd.DataFrame:
    """Make the facility table (WGS-84 metres still in ``x``/``y``).

    Parameters
    ----------
    layout
        The sample county.
    rng
        Random generator (seeded by the caller).

    Returns
    -------
    pandas.DataFrame
        One row per facility with the Chinese columns plus ``x``, ``y`` (metres).
    """
    towns = layout.townships
    rows: list[dict[str, object]] = []
    counters: dict[str, int] = {}

    def add(
        code: str,
        name: str,
        kind: str,
        township: str,
        place: str,
        x: float,
        y: float,
        beds: float | None,
    ) -> None:
        counters[code] = counters.get(code, 0) + 1
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(30, 120)
        rows.append(
            {
                "机构编码": f"{code[:9]}{counters[code]:03d}",
                "机构名称": name,
                "机构类别": kind,
                "所属乡镇": township,
                "地址": f"{COUNTY_NAME}{township}{place}",
                "床位数": beds,
                "x": x + dist * np.cos(angle),
                "y": y + dist * np.sin(angle),
            }
        )

    ux, uy = layout.urban_centre
    east, west = towns.iloc[0], towns.iloc[1]
    add(
        west["code"],
        f"{COUNTY_NAME}人民医院",
        "二级综合医院",
        west["name"],
        "人民大街88号",
        ux - 500,
        uy + 250,
        520.0,
    )
    add(
        east["code"],
        f"{COUNTY_NAME}中医医院",
        "二级中医医院",
        east["name"],
        "中央大街16号",
        ux + 650,
        uy - 350,
        260.0,
    )
    add(
        east["code"],
        f"{COUNTY_NAME}急救中心",
        "急救中心",
        east["name"],
        "人民大街120号",
        ux + 200,
        uy + 150,
        None,
    )
    for town, (dx, dy), label in (
        (east, (1300, 900), "城东"),
        (east, (1100, -1000), "站前"),
        (west, (-1300, 800), "城西"),
        (west, (-1000, -900), "北山"),
    ):
        add(
            town["code"],
            f"{label}社区卫生服务中心",
            "社区卫生服务中心",
            town["name"],
            f"{label}社区",
            ux + dx,
            uy + dy,
            float(rng.integers(0, 4) * 5),
        )
    settlements = layout.settlements
    seats = settlements[settlements["kind"] == "seat"]
    central = set(seats.nlargest(3, "population")["township"])
    for s in seats.itertuples():
        town = towns.iloc[s.township]
        is_town = town["kind"] == "镇"
        name = f"{town['name']}{'中心' if s.township in central else ''}卫生院"
        beds = float(rng.integers(30, 100) if is_town else rng.integers(10, 31))
        add(
            town["code"],
            name,
            "乡镇卫生院",
            town["name"],
            f"{town['name'][:-1]}大街",
            s.x,
            s.y,
            beds,
        )
    villages = settlements[settlements["kind"] == "village"]
    vacant = set(rng.choice(villages.index.to_numpy(), VACANT_CLINICS, replace=False).tolist())
    for v in villages.itertuples():
        if v.Index in vacant:
            continue
        town = towns.iloc[v.township]
        add(
            town["code"],
            f"{town['name']}{v.name}卫生室",
            "村卫生室",
            town["name"],
            v.name,
            v.x,
            v.y,
            None,
        )
    return pd.DataFrame(rows)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the table as a GBK CSV with GCJ-02 coordinates (6 decimals, as AMap gives).

    Parameters
    ----------
    frame
        As returned by :func:`table`.
    path
        Output ``.csv``.
    """
    to_wgs = Transformer.from_crs(LAYOUT_CRS, 4326, always_xy=True)
    lon, lat = to_wgs.transform(frame["x"].to_numpy(), frame["y"].to_numpy())
    gcj_lon, gcj_lat = from_wgs84(lon, lat, "gcj02")
    out = frame.drop(columns=["x", "y"]).copy()
    out["经度"] = np.round(gcj_lon, 6)
    out["纬度"] = np.round(gcj_lat, 6)
    out["床位数"] = out["床位数"].map(lambda b: "" if pd.isna(b) else str(int(b)))
    text = out[list(COLUMNS)].to_csv(index=False, lineterminator="\r\n")
    write_text(path, text, encoding="gbk")
