"""An OpenStreetMap extract on disk: what roads it holds.

This is the inventory the ``check`` command shows (ways and kilometres by highway class,
one-way ways, extent); building the timed graph is :mod:`geohealth.network`'s other work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geohealth.errors import NetworkError
from geohealth.network import osm

log = logging.getLogger(__name__)

#: Highway classes that carry traffic, in descending order of importance.
ROAD_CLASSES = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "service",
    "track",
    "living_street",
    "pedestrian",
    "footway",
    "path",
    "cycleway",
    "steps",
)


@dataclass(frozen=True)
class ExtractSummary:
    """Roads in an OSM extract.

    Attributes
    ----------
    path
        The file.
    ways
        Number of ways per highway class (link roads counted with their class).
    km
        Length per highway class (km, geodesic).
    oneway_ways
        Ways tagged one-way for vehicles.
    ferry_routes
        Ways tagged ``route=ferry``.
    bounds
        (west, south, east, north) of the road nodes, degrees.
    """

    path: Path
    ways: dict[str, int]
    km: dict[str, float]
    oneway_ways: int
    ferry_routes: int
    bounds: tuple[float, float, float, float]

    @property
    def total_km(self) -> float:
        """Total length of all highway ways (km)."""
        return sum(self.km.values())


def summarise(path: str | Path, *, use_cache: bool = True) -> ExtractSummary:
    """Count the roads in an OSM extract (``.osm.pbf`` or ``.osm`` XML).

    Reads the extract with :func:`geohealth.network.osm.read`, so the parse lands in the
    cache and a later network build skips it.

    Parameters
    ----------
    path
        The extract.
    use_cache
        Reuse (and store) the parsed extract in the cache.

    Returns
    -------
    ExtractSummary
        Ways and kilometres per highway class, one-way ways, ferries, extent.

    Raises
    ------
    InputFileNotFoundError
        If the file is missing.
    NetworkError
        If the file is not what its name says (XML named ``.pbf``, an empty file, a web
        page, an archive …; the message says what it is and the fix), holds no roads, or its
        roads have no node coordinates.
    InputError
        If pyosmium cannot read it (damaged or cut short).
    """
    segments = osm.read(path, use_cache=use_cache)
    tags = segments.tags
    highway = np.char.replace(tags["highway"], "_link", "")
    is_road = highway != ""
    if not is_road.any():
        msg = (
            f"{segments.source}: the extract holds no roads (no highway=* ways) — cut the "
            "extract from a larger file with roads, e.g. with osmium extract"
        )
        raise NetworkError(msg)
    classes, way_counts = np.unique(highway[is_road], return_counts=True)
    way_km = np.bincount(segments.way, weights=segments.length_m, minlength=len(highway)) / 1000.0
    km_by_class = {c: float(way_km[is_road & (highway == c)].sum()) for c in classes}
    road_segment = is_road[segments.way]
    nodes = np.unique(np.concatenate([segments.u[road_segment], segments.v[road_segment]]))
    oneway = np.isin(np.char.lower(tags["oneway"]), ("yes", "1", "true", "-1"))
    order = {c: i for i, c in enumerate(ROAD_CLASSES)}
    ranked = sorted(classes.tolist(), key=lambda c: (order.get(c, len(order)), c))
    counts = dict(zip(classes.tolist(), way_counts.tolist(), strict=True))
    return ExtractSummary(
        path=Path(path),
        ways={c: int(counts[c]) for c in ranked},
        km={c: km_by_class[c] for c in ranked},
        oneway_ways=int((oneway & is_road).sum()),
        ferry_routes=int((tags["route"] == "ferry").sum()),
        bounds=(
            float(segments.lon[nodes].min()),
            float(segments.lat[nodes].min()),
            float(segments.lon[nodes].max()),
            float(segments.lat[nodes].max()),
        ),
    )


def check_overlap(
    name: str,
    road_bounds: tuple[float, float, float, float],
    region_bounds: tuple[float, float, float, float],
) -> None:
    """Fail when an extract's roads lie wholly outside the study region.

    Parameters
    ----------
    name
        The extract's file name, for the message.
    road_bounds, region_bounds
        (west, south, east, north) in degrees.

    Raises
    ------
    NetworkError
        If the two boxes do not overlap.
    """
    west, south, east, north = road_bounds
    r_west, r_south, r_east, r_north = region_bounds
    if west > r_east or east < r_west or south > r_north or north < r_south:
        msg = (
            f"{name}: the roads ({west:.2f}–{east:.2f}°E, {south:.2f}–{north:.2f}°N) "
            f"do not overlap the townships ({r_west:.2f}–{r_east:.2f}°E, "
            f"{r_south:.2f}–{r_north:.2f}°N) — give an extract that covers the region"
        )
        raise NetworkError(msg)
