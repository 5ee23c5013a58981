"""OpenStreetMap extract → road segments in flat arrays, read once with pyosmium and cached.

The result (:class:`RoadSegments`) is mode-independent: every highway way and ferry route,
split into segments between consecutive nodes, with the tags a travel profile needs. Turning
it into a timed graph for a mode (:mod:`geohealth.network.graph`) takes milliseconds, so only
this parse is cached: on disk, keyed by the SHA-256 of the extract's bytes and the reader's
version, under ``$GEOHEALTH_CACHE_DIR`` or ``~/.cache/geohealth``.

Before pyosmium sees a file, :func:`geohealth.network.fileformat.check` checks its first
bytes against its name, so XML named ``.pbf``, an empty file, a saved error page or an archive
fails with one line saying what the file is and how to fix it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import osmium.filter
import pandas as pd
from pyproj import Geod

from geohealth.errors import GeohealthWarning, InputError, NetworkError
from geohealth.inputs import tables
from geohealth.network import fileformat
from geohealth.outputs import atomic_path

log = logging.getLogger(__name__)

#: Bump when the parsed arrays change meaning, so old cache entries are not reused.
READER_VERSION = "2"
#: Access tags kept (travel profiles may check these in ``access_keys`` and ``ferry_keys``).
ACCESS_KEYS = (
    "access",
    "foot",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "moped",
    "motorcycle",
    "bicycle",
)
#: Way tags kept for the travel profiles.
TAG_KEYS = (
    "highway",
    "oneway",
    "junction",
    "maxspeed",
    "route",
    "duration",
    "area",
    *ACCESS_KEYS,
    "name",
    "ref",
    "bridge",
    "tunnel",
)
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class RoadSegments:
    """Every highway and ferry segment of an extract.

    Attributes
    ----------
    node_id
        OSM node IDs (int64), sorted; a node's index is its position here.
    lon, lat
        Node coordinates, WGS 84 degrees.
    u, v
        Segment end nodes (indices), in the way's drawing direction.
    way
        Way index of each segment (into the tag arrays).
    length_m
        Geodesic segment length (metres, WGS 84 ellipsoid).
    way_id
        OSM way ID per way.
    tags
        Tag key → array of values per way (``""`` where absent), for :data:`TAG_KEYS`.
    source
        The extract's file name.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way: np.ndarray
    length_m: np.ndarray
    way_id: np.ndarray
    tags: dict[str, np.ndarray]
    source: str

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)


def cache_dir() -> Path:
    """Return the cache folder: ``$GEOHEALTH_CACHE_DIR``, else ``~/.cache/geohealth``.

    Returns
    -------
    pathlib.Path
        The folder (not created).
    """
    env = os.environ.get("GEOHEALTH_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "geohealth"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parse(path: Path, fmt: str | None = None, *, recognised: bool = False) -> RoadSegments:
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    way_of_ref: list[int] = []
    way_ids: list[int] = []
    way_tags: dict[str, list[str]] = {k: [] for k in TAG_KEYS}
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt) if fmt else str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway", "route"))
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for way in processor:
                if not way.is_way():
                    continue
                tags = way.tags
                if "highway" not in tags and tags.get("route") != "ferry":
                    continue
                index = len(way_ids)
                way_ids.append(way.id)
                for key in TAG_KEYS:
                    way_tags[key].append(tags.get(key, ""))
                for node in way.nodes:
                    location = node.location
                    refs.append(node.ref)
                    way_of_ref.append(index)
                    if location.valid():
                        lons.append(location.lon)
                        lats.append(location.lat)
                    else:  # node outside the extract: its segments are dropped
                        lons.append(np.nan)
                        lats.append(np.nan)
    except RuntimeError as exc:
        if recognised:  # the right kind of file, yet pyosmium cannot read it to the end
            msg = f"{path.name}: the extract is damaged or cut short ({exc}) — download it again"
        else:
            msg = f"{path.name}: not a readable OSM file ({exc}) — give an .osm.pbf or .osm extract"
        raise InputError(msg) from None
    _pass_on(caught, path.name)
    if not way_ids:
        msg = (
            f"{path.name}: the extract holds no roads (no highway=* ways) — cut it from a "
            "larger file that has roads"
        )
        raise NetworkError(msg)
    ref = np.asarray(refs, dtype=np.int64)
    lon_all = np.asarray(lons, dtype=np.float64)
    lat_all = np.asarray(lats, dtype=np.float64)
    way_all = np.asarray(way_of_ref, dtype=np.int32)
    node_id, first, inverse = np.unique(ref, return_index=True, return_inverse=True)
    same_way = way_all[:-1] == way_all[1:]
    located = np.isfinite(lon_all)
    keep = same_way & located[:-1] & located[1:] & (inverse[:-1] != inverse[1:])
    if not keep.any():
        msg = (
            f"{path.name}: its roads ({len(way_ids)} ways) come without their nodes, so they "
            "have no coordinates — export the roads with their nodes (Overpass: end the query "
            "with '(._;>;); out;'; osmium extract: --strategy complete_ways)"
        )
        raise NetworkError(msg)
    u = inverse[:-1][keep].astype(np.int32)
    v = inverse[1:][keep].astype(np.int32)
    lon, lat = lon_all[first], lat_all[first]
    length = np.asarray(_GEOD.inv(lon[u], lat[u], lon[v], lat[v])[2], dtype=np.float64)
    return RoadSegments(
        node_id=node_id,
        lon=lon,
        lat=lat,
        u=u,
        v=v,
        way=way_all[:-1][keep],
        length_m=length,
        way_id=np.asarray(way_ids, dtype=np.int64),
        tags={k: np.asarray(vals, dtype=str) for k, vals in way_tags.items()},
        source=path.name,
    )


def _pass_on(caught: list[warnings.WarningMessage], name: str) -> None:
    """Log third-party warnings caught while reading at DEBUG; re-issue geohealth's own.

    pyosmium's warnings (deprecations, say) tell the user nothing they can act on; a
    :class:`GeohealthWarning` from another thread during the read is passed on unchanged.
    """
    for item in caught:
        if issubclass(item.category, GeohealthWarning):
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
        else:
            log.debug("while reading %s: %s: %s", name, item.category.__name__, item.message)


def _save(segments: RoadSegments, path: Path) -> None:
    arrays = {f"tag_{k}": v for k, v in segments.tags.items()}
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        np.savez(
            handle,
            node_id=segments.node_id,
            lon=segments.lon,
            lat=segments.lat,
            u=segments.u,
            v=segments.v,
            way=segments.way,
            length_m=segments.length_m,
            way_id=segments.way_id,
            source=np.asarray(segments.source),
            **arrays,
        )


def _load(path: Path) -> RoadSegments:
    with np.load(path, allow_pickle=False) as data:
        return RoadSegments(
            node_id=data["node_id"],
            lon=data["lon"],
            lat=data["lat"],
            u=data["u"],
            v=data["v"],
            way=data["way"],
            length_m=data["length_m"],
            way_id=data["way_id"],
            tags={k: data[f"tag_{k}"] for k in TAG_KEYS},
            source=str(data["source"]),
        )


def read(path: str | Path, *, use_cache: bool = True) -> RoadSegments:
    """Read the roads of an OSM extract (``.osm.pbf`` or ``.osm`` XML).

    Parameters
    ----------
    path
        The extract.
    use_cache
        Reuse (and store) the parsed arrays under :func:`cache_dir`, keyed by the file's
        content; a changed file is parsed again.

    Returns
    -------
    RoadSegments
        All highway and ferry segments.

    Raises
    ------
    InputFileNotFoundError
        If the file is missing.
    NetworkError
        If the file is not what its name says (XML named ``.pbf``, PBF named ``.osm``, an
        empty file, a web page, an archive, a compressed file under the wrong name), or holds
        no roads, or its roads have no node coordinates. The first bytes are checked before
        pyosmium reads the file; the message names what the file really is and the fix.
    InputError
        If pyosmium cannot read the file (damaged or cut short).
    """
    path = Path(path)
    tables.require_file(path, config_key="network.osm")
    fmt, recognised = fileformat.check(path)
    if not use_cache:
        return _parse(path, fmt, recognised=recognised)
    key = hashlib.sha256(f"{file_digest(path)}:{READER_VERSION}".encode()).hexdigest()[:32]
    cached = cache_dir() / f"osm-{key}.npz"
    if cached.is_file():
        try:
            segments = _load(cached)
            log.info("road network of %s read from cache", path.name)
            return segments
        except (OSError, ValueError, KeyError):
            log.warning("cache entry %s is unreadable; parsing %s again", cached, path.name)
    log.info("reading roads from %s …", path.name)
    segments = _parse(path, fmt, recognised=recognised)
    try:
        _save(segments, cached)
    except OSError as exc:  # a read-only home must not stop the run
        log.warning("could not cache the parsed network in %s (%s)", cached.parent, exc)
    return segments


def parse_maxspeed(values: np.ndarray) -> np.ndarray:
    """Parse ``maxspeed`` tag values to km/h (NaN when absent or not numeric).

    Parameters
    ----------
    values
        Tag values such as ``"60"``, ``"60 km/h"``, ``"30 mph"``, ``"60;80"``, ``""``.

    Returns
    -------
    numpy.ndarray
        km/h as float64; for several values (``"60;80"``) the lowest.
    """
    text = pd.Series(values, dtype="string").str.split(";").str[0].str.strip()
    number = pd.to_numeric(text.str.extract(r"^(\d+(?:\.\d+)?)")[0], errors="coerce")
    mph = text.str.contains("mph", regex=False).fillna(False).to_numpy()
    kmh = np.array(number.to_numpy(dtype=float, na_value=np.nan))
    with np.errstate(over="ignore"):  # absurd values (hundreds of digits) become inf
        kmh[mph] *= 1.609344
    kmh[~np.isfinite(kmh) | (kmh <= 0)] = np.nan
    return kmh


def parse_duration_min(values: np.ndarray) -> np.ndarray:
    """Parse ferry ``duration`` tags (``"HH:MM"``, ``"HH:MM:SS"``, ``"MM"``) to minutes.

    Parameters
    ----------
    values
        Tag values; ``""`` where absent.

    Returns
    -------
    numpy.ndarray
        Minutes as float64, NaN when absent or unreadable.
    """
    number = r"(\d+(?:\.\d+)?)"
    parts = (
        pd.Series(values, dtype="string")
        .str.strip()
        .str.extract(rf"^{number}(?::{number})?(?::{number})?$")
        .apply(pd.to_numeric, errors="coerce")
        .to_numpy(dtype=float, na_value=np.nan)
        .reshape(len(values), 3)
    )
    first, second, third = parts.T
    with np.errstate(over="ignore"):  # absurd values (hundreds of digits) become inf
        minutes = np.where(
            np.isnan(second),
            first,
            first * 60 + second + np.where(np.isnan(third), 0.0, third / 60),
        )
    minutes[~np.isfinite(minutes)] = np.nan
    return minutes
