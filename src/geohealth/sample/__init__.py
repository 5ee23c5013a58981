"""A generated sample county, so the main job runs with no data of the user's own.

The county is synthetic but realistic in scale and structure for north-east China: about
4 000 km², 20 townships with 12-digit statistical codes, about 400 000 people, a county seat
with community health centres, a township health centre per township, about 240 village
clinics, two county hospitals, a WorldPop-style population raster and an OSM road network.
The same seed always gives the same county. Nothing in it describes real places or people.
For scale tests the county can be repeated on a square grid of tiles joined into one region
(:mod:`geohealth.sample.tiles`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import Transformer

from geohealth.outputs import atomic_path, write_text
from geohealth.sample import facilities, layout, people, roads
from geohealth.sample import tiles as tiling
from geohealth.sample.names import COUNTY_NAME

log = logging.getLogger(__name__)

DEFAULT_SEED = 2024

CONFIG_TEMPLATE = """\
# geohealth run configuration for the generated sample county ({county}).
# SYNTHETIC DATA: the county, its people and its facilities are made up (seed {seed}).
# Paths are relative to this file.

[region]
name = "{region}"     # names the output folder
title = "{title}"               # used in titles, sheets and pages

[boundaries]
path = "boundaries/sample_townships.gpkg"
layer = "townships"
# columns 乡镇名称 / 统计用区划代码 / 常住人口 are recognised without configuration

[facilities]
path = "facilities/sample_facilities.csv"
coordinate_system = "gcj02"   # exported from AMap: GCJ-02
encoding = "auto"             # the file is GBK; detected

[population]
raster = "population/sample_population.tif"

[network]
osm = "roads/sample_county.osm.pbf"

[analysis]
modes = ["walk", "two_wheeler", "drive"]
thresholds_min = [5, 10, 15, 30]

[output]
dir = "../maps/{region}"
"""


@dataclass(frozen=True)
class SampleFiles:
    """Paths of a generated sample county."""

    config: Path
    boundaries: Path
    facilities: Path
    population: Path
    roads: Path


def make_sample_county(
    out_dir: str | Path, *, seed: int = DEFAULT_SEED, tiles: int = 1
) -> SampleFiles:
    """Generate the sample county's files under ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (``boundaries/``, ``facilities/``, ``population/``, ``roads/``
        and ``sample_county.toml``); existing sample files are replaced atomically.
    seed
        Random seed; the same seed gives the same county.
    tiles
        Number of copies of the county, ``K`` (a positive square number): above 1, the
        county is repeated on a ``√K × √K`` grid joined into one region (region name
        ``sample-county-x<K>``), with unique township names and codes, facility codes and
        names, OSM ids, one population raster and roads joined across the tile borders
        (:mod:`geohealth.sample.tiles`). 1 writes the single county.

    Returns
    -------
    SampleFiles
        The paths written.

    Raises
    ------
    ConfigError
        If ``tiles`` is not a positive square number.
    """
    out = Path(out_dir)
    side = tiling.grid_side(tiles)
    rng = np.random.default_rng(seed)
    log.info("laying out the sample county (seed %d)", seed)
    plan = layout.make(int(rng.integers(2**31)))
    grid = tiling.grid(plan, tiles)
    files = SampleFiles(
        config=out / "sample_county.toml",
        boundaries=out / "boundaries" / "sample_townships.gpkg",
        facilities=out / "facilities" / "sample_facilities.csv",
        population=out / "population" / "sample_population.tif",
        roads=out / "roads" / "sample_county.osm.pbf",
    )
    values, transform = people.raster(plan)
    census = people.census_totals(values, transform, plan, rng)
    towns = plan.townships
    if side > 1:
        log.info("tiling it %d × %d into one region", side, side)
        single = (values, transform)
        values, transform = tiling.population(plan, single, grid)
        towns = tiling.townships(plan, grid)
        census = tiling.census(single, census, (values, transform), plan, towns)
    people.write_raster(values, transform, files.population)

    to_wgs = Transformer.from_crs(layout.LAYOUT_CRS, 4326, always_xy=True)
    polygons = [
        shapely.transform(g, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
        for g in towns["geometry"]
    ]
    townships = gpd.GeoDataFrame(
        {
            "乡镇名称": towns["name"],
            "统计用区划代码": towns["code"],
            "类型": towns["kind"],
            "常住人口": census.astype("int64"),
        },
        geometry=polygons,
        crs="EPSG:4326",
    ).set_crs("EPSG:4490", allow_override=True)  # CGCS2000, as official boundaries come
    # pin GeoPackage's own timestamp so the same seed gives byte-identical files
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00.000Z"})
    try:
        with atomic_path(files.boundaries) as tmp:
            townships.to_file(tmp, layer="townships", driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})

    table = facilities.table(plan, rng)
    facilities.write_csv(table if side == 1 else tiling.facilities(table, grid), files.facilities)
    network = roads.build(plan, rng)
    if side > 1:
        network = tiling.roads(network, plan, grid, rng)
    files.roads.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(files.roads) as tmp:
        roads.write_pbf(network, tmp)
    if side == 1:
        text = CONFIG_TEMPLATE.format(
            county=COUNTY_NAME, seed=seed, region="sample-county", title=COUNTY_NAME
        )
    else:
        county = f"{COUNTY_NAME} × {tiles}: {side} × {side} copies joined into one region"
        text = CONFIG_TEMPLATE.format(
            county=county,
            seed=seed,
            region=f"sample-county-x{tiles}",
            title=f"{COUNTY_NAME}×{tiles}",
        )
    write_text(files.config, text)
    log.info("sample county written to %s", out)
    return files
