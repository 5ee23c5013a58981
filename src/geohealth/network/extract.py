"""An OpenStreetMap extract on disk: what roads it holds, read with pyosmium.

This is the inventory the ``check`` command shows (ways and kilometres by highway class,
one-way ways, extent); building the timed graph is :mod:`geohealth.network`'s other work.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import osmium
import osmium.filter
import osmium.geom

from geohealth.errors import InputError, NetworkError
from geohealth.inputs import tables

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
        Length per highway class (km, haversine).
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


def summarise(path: str | Path) -> ExtractSummary:
    """Count the roads in an OSM extract (``.osm.pbf`` or ``.osm`` XML).

    Parameters
    ----------
    path
        The extract.

    Returns
    -------
    ExtractSummary
        Ways and kilometres per highway class, one-way ways, ferries, extent.

    Raises
    ------
    InputFileNotFoundError
        If the file is missing.
    InputError
        If pyosmium cannot read it.
    NetworkError
        If it holds no roads.
    """
    path = Path(path)
    tables.require_file(path, config_key="network.osm")
    ways: Counter[str] = Counter()
    km: Counter[str] = Counter()
    oneway = ferries = 0
    west = south = float("inf")
    east = north = float("-inf")
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    try:
        for way in processor:
            tags = way.tags
            if tags.get("route") == "ferry":
                ferries += 1
            highway = tags.get("highway")
            if highway is None:
                continue
            cls = highway.removesuffix("_link")
            ways[cls] += 1
            try:
                km[cls] += osmium.geom.haversine_distance(way.nodes) / 1000.0
                for node in way.nodes:
                    lon, lat = node.lon, node.lat
                    west, east = min(west, lon), max(east, lon)
                    south, north = min(south, lat), max(north, lat)
            except osmium.InvalidLocationError:
                log.debug("way %d references nodes missing from the extract", way.id)
            if tags.get("oneway") in ("yes", "1", "true", "-1"):
                oneway += 1
    except RuntimeError as exc:
        msg = f"{path.name}: not a readable OSM file ({exc}) — give an .osm.pbf or .osm extract"
        raise InputError(msg) from None
    if not ways:
        msg = (
            f"{path.name}: the extract holds no roads (no highway=* ways) — cut the extract "
            "from a larger file with roads, e.g. with osmium extract"
        )
        raise NetworkError(msg)
    order = {c: i for i, c in enumerate(ROAD_CLASSES)}
    classes = sorted(ways, key=lambda c: (order.get(c, len(order)), c))
    return ExtractSummary(
        path=path,
        ways={c: ways[c] for c in classes},
        km={c: km[c] for c in classes},
        oneway_ways=oneway,
        ferry_routes=ferries,
        bounds=(west, south, east, north),
    )
