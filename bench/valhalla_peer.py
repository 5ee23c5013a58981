"""Valhalla's isochrone service as an offline benchmark peer.

The ``pyvalhalla`` wheel on PyPI is abi3 (cp312+) but ships stand-alone executables
(``valhalla/bin/valhalla_build_tiles``, ``valhalla_service``) whose ``RPATH`` points at the
bundled ``pyvalhalla.libs/``, so they run without that Python and without ``LD_LIBRARY_PATH``.
This module downloads the wheel once into ``bench/.valhalla/`` (not committed), builds routing
tiles for an OSM extract (cached by the extract's sha256 and the Valhalla version), starts
``valhalla_service`` on 127.0.0.1 and posts ``/isochrone`` requests with ``urllib``::

    from valhalla_peer import COSTING_OPTIONS, service

    with service(Path("tests/data/andorra.osm.pbf")) as vh:
        if vh is None:
            ...  # skip Valhalla: the reason was logged
        else:
            polys = vh.isochrone(1.52, 42.51, [15], "auto")  # towards the point (reverse)
            vh.last_ms  # wall time of that HTTP request

``.venv/bin/python bench/valhalla_peer.py [PBF]`` times 20 isochrones per costing.

Speeds, for matching another engine (Valhalla API reference, "Costing options"):

- ``pedestrian``: ``walking_speed`` (km/h, 0.5–25, default 5.1) on every walkable edge, slowed
  by ``sac_scale`` (×1.11 hiking … ×6.67 difficult alpine; trails above
  ``max_hiking_difficulty``, default 1, are closed). Factors such as ``walkway_factor``,
  ``alley_factor``, ``driveway_factor``, ``step_penalty`` change the cost (the path chosen),
  not the time; crossing a road at an intersection adds 0–15 s of *time* by its stop impact
  (``kCrossingCosts``, no option); hills only matter with elevation data (none here).
- ``auto``: the time of an edge is ``length / min(edge speed, top_speed)``. The edge speed is
  fixed when the tiles are built: the OSM ``maxspeed`` tag if present, otherwise a default by
  road class from Valhalla's ``graph.lua`` (:data:`AUTO_DEFAULT_SPEEDS_KMH`), lowered for
  links, roundabouts and in dense (urban) areas, or taken from a ``default_speeds.json`` given
  as ``mjolnir.default_speeds_config`` at build time (OpenStreetMapSpeeds schema: per road
  class, urban/suburban/rural — the only way to impose a speed *table* by class). At request
  time, ``top_speed`` (10–252 km/h, default 140) caps every edge and ``fixed_speed``
  (1–252 km/h, default 0 = off) replaces every edge speed with one value — the closest Valhalla
  gets to a single fixed speed. Penalties and ``use_*`` factors only change the cost;
  ``*_cost`` options (``gate_cost`` 30 s, ``toll_booth_cost`` 15 s, ``ferry_cost`` 300 s,
  ``country_crossing_cost`` 600 s) and Valhalla's turn/intersection delays add *time*, so
  Valhalla's drive isochrones are somewhat smaller than plain length / speed. The turn delay
  (``sif/osrm_car_duration.h``: up to 7.5 s by turn angle where more than two roads meet, +20 s
  for a U-turn, +2 s at a traffic signal) is added to the time of every ``auto`` transition and
  no option removes it; the other turn costs (``kTC*`` × stop impact, density factors) only
  enter the cost.
- ``shortest`` (any costing): the cost of an edge is its length and every penalty is dropped
  (``DynamicCost::base_transition_cost`` multiplies them by ``!shortest``); *times* still add
  up as above. With one fixed speed, the shortest path is the fastest one, up to the turn
  delays and crossing times, so :func:`matched_costing_options` uses it.

How Valhalla draws the isochrone (source read: ``thor/isochrone.cc``, ``thor/dijkstras.cc``,
``midgard/gridded_data.h``, ``thor/isochrone_action.cc``, ``sif/*cost.cc`` on master after
3.8.3; the grid alignment, the reverse and snapping effects below seen with the 3.9.1 binaries):

- Grid (``Isochrone::ConstructIsoTile``): square cells in degrees, ``dlat / 300`` where ``dlat``
  is the distance covered in (largest contour + 10) min at 70 mph (driving) or 5 mph
  (pedestrian), rounded to 0.001° and clamped to 0.001–0.005° (:func:`grid_size_deg`); not a
  request option. For 15 min, both ``auto`` and ``pedestrian`` get 0.001° (≈ 82 × 111 m at
  42.5° N). The grid is shifted so that the location is a cell centre.
- Marking (``UpdateIsoTile``): the search runs to the largest contour + 10 min; every reached
  edge's shape, resampled every quarter cell, sets each cell one of its pieces *crosses*
  (Bresenham) to the elapsed time at the piece's far end, if smaller. No neighbouring cells, no
  off-road speed: a cell no edge crosses stays unreached.
- Contours (``GriddedData::GenerateContours``): marching triangles over the cell centres, an
  unreached cell counting as contour + 1 min, so a polygon ends ~0.9 of a cell beyond the
  last reached centre (when that centre's time is well below the contour).
- ``generalize``: Douglas–Peucker tolerance in metres, by default a quarter cell (≈ 28 m);
  ``denoise`` (default 1): drop rings smaller than that fraction of the largest one per
  contour (0 keeps all).
- Reverse (``reverse=True``): ``Dijkstras::SetDestinationLocations`` does not flag the
  location's edge as an origin (``SetOriginLocations`` does), so ``UpdateIsoTile`` marks the
  *whole* edge with times spread from 0 to its end: a location mid-way along a long edge
  (a footpath between junctions) reaches too far along it.
- Snapping (loki ``search.cc``): besides the closest edge, loki keeps nearby candidates whose
  reach is below ``minimum_reachability`` (default 50): small islands ~100 m off still seed
  the search. ``{"minimum_reachability": 0}`` (:data:`MATCHED_LOCATION`) keeps the closest
  edge only.

:data:`COSTING_OPTIONS` is what :meth:`ValhallaService.isochrone` sends unless told otherwise.
Isochrones are contours of a raster of times, generalized by Valhalla, with ``denoise`` = 1
(only the largest ring per contour) unless another value is given. For ``auto`` the raster's
cell grows with the *largest* contour of the request: on Andorra a 15-min contour covers
~10 km² alone, ~16 km² when asked with 30 min and ~26 km² with 60 min — time one contour per
request, or the same contour set as the peer being compared. A point far from any road still
gets a tiny polygon around it, not an error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Polygon, shape

from geohealth.network.osm import file_digest

log = logging.getLogger(__name__)

#: Cache of the unzipped wheel and of the tiles (git-ignored).
CACHE = Path(__file__).resolve().parent / ".valhalla"
#: Wheel to download; pinned so that figures stay comparable.
PYVALHALLA = "pyvalhalla==3.9.1"
#: Costing options sent with every request unless ``costing_options`` is given (defaults,
#: written out so that a benchmark can read and match them).
COSTING_OPTIONS: dict[str, dict[str, float]] = {
    "auto": {"top_speed": 140.0},
    "pedestrian": {"walking_speed": 5.1},
}
#: Valhalla's drive speed by road class when a way has no ``maxspeed`` tag (``graph.lua``
#: ``default_speed``, km/h), before the link/roundabout/urban adjustments of the tile builder.
AUTO_DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 105.0,
    "trunk": 90.0,
    "primary": 75.0,
    "secondary": 60.0,
    "tertiary": 50.0,
    "unclassified": 40.0,
    "residential": 35.0,
    "service_other": 25.0,
}
#: Location keys for a matched comparison: snap to the closest edge only (see the module text).
MATCHED_LOCATION: dict[str, Any] = {"minimum_reachability": 0}
#: Costs (seconds of *time*) and penalties (cost only) zeroed in a matched comparison; with
#: ``shortest`` the penalties are dropped anyway, they are listed to say so.
ZEROED = (
    "gate_cost", "gate_penalty", "private_access_penalty", "toll_booth_cost",
    "toll_booth_penalty", "country_crossing_cost", "country_crossing_penalty", "ferry_cost",
    "maneuver_penalty", "destination_only_penalty", "alley_penalty", "service_penalty",
)  # fmt: skip


def matched_costing_options(costing: str, speed_kmh: float) -> dict[str, Any]:
    """Costing options that give every edge one speed and drop what options can drop.

    Parameters
    ----------
    costing
        ``"auto"`` or ``"pedestrian"``.
    speed_kmh
        The speed: ``fixed_speed`` for ``auto`` (whole km/h, 1–252), ``walking_speed`` for
        ``pedestrian`` (0.5–25).

    Returns
    -------
    dict
        ``auto``: ``fixed_speed``, ``shortest``, ``ignore_restrictions`` (turn restrictions)
        and the costs and penalties of :data:`ZEROED` at 0. ``pedestrian``: ``walking_speed``,
        ``shortest``, ``max_hiking_difficulty`` 6 (every ``sac_scale`` open), step and elevator
        penalties and :data:`ZEROED` at 0. What stays: the ``auto`` turn delays, pedestrian
        crossing times and ``sac_scale`` slowdowns (see the module text).

    Raises
    ------
    ValueError
        For another costing.
    """
    zero = dict.fromkeys(ZEROED, 0.0)
    if costing == "auto":
        return {"fixed_speed": round(speed_kmh), "shortest": True, "ignore_restrictions": True,
                **zero}  # fmt: skip
    if costing == "pedestrian":
        return {"walking_speed": float(speed_kmh), "shortest": True, "max_hiking_difficulty": 6,
                "step_penalty": 0.0, "elevator_penalty": 0.0, **zero}  # fmt: skip
    msg = f"no matched options for costing {costing!r}"
    raise ValueError(msg)


def grid_size_deg(max_minutes: float, costing: str) -> float:
    """Cell size (degrees) of Valhalla's isochrone grid (``Isochrone::ConstructIsoTile``).

    Parameters
    ----------
    max_minutes
        The largest contour of the request (minutes).
    costing
        Valhalla costing; ``pedestrian`` assumes 5 mph, every other single mode 70 mph.

    Returns
    -------
    float
        ``dlat / 300`` rounded to 0.001°, clamped to 0.001–0.005°, where ``dlat`` is the
        distance covered in ``max_minutes`` + 10 min at that speed, in degrees of latitude.
    """
    mph = 5.0 if costing == "pedestrian" else 70.0
    metres = (max_minutes + 10.0) * 60.0 * mph * 0.44704  # kMPHtoMetersPerSec
    size = metres / 110_567.0 / 300.0  # kMetersPerDegreeLat
    if size < 0.001:
        return 0.001
    if size > 0.005:
        return 0.005
    return round(size * 1000.0) * 0.001


#: Highway classes whose nodes :func:`road_points` samples by default (drivable roads).
DRIVABLE = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street",
    }
)  # fmt: skip
#: Most contours per request (Valhalla's default service limit is 4; raised in our config).
MAX_CONTOURS = 8

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

Isochrone = Polygon | MultiPolygon


def _last_line(text: str) -> str:
    """Last non-empty line of a tool's output, without terminal colours."""
    lines = [_ANSI.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else "no output"


def _tail(got: subprocess.CompletedProcess[str]) -> str:
    """Reason of a failed run: the last line of stderr, else of stdout, with the exit code."""
    text = got.stderr if got.stderr.strip() else got.stdout
    return f"{_last_line(text)} (exit code {got.returncode})"


def _service_exe(root: Path) -> Path:
    return root / "valhalla" / "bin" / "valhalla_service"


def ensure_binaries() -> Path | None:
    """Download and unzip the ``pyvalhalla`` wheel once; return its folder.

    Returns
    -------
    Path or None
        Folder holding ``valhalla/bin/`` and ``pyvalhalla.libs/``, or ``None`` (with the
        reason logged on one line) when the wheel cannot be fetched or its binaries do not run.
    """
    if not sys.platform.startswith("linux"):
        log.warning("valhalla: skipped — the wheel's binaries are only used on Linux here")
        return None
    root = CACHE / PYVALHALLA.replace("==", "-")
    exe = _service_exe(root)
    if not exe.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE, prefix=".download-") as tmp:
            cmd = [
                sys.executable, "-m", "pip", "download", PYVALHALLA, "--no-deps",
                "--only-binary=:all:", "--python-version", "3.12", "--quiet",
                "--disable-pip-version-check", "-d", tmp,
            ]  # fmt: skip
            try:
                got = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("valhalla: skipped — pip download failed: %s", exc)
                return None
            wheels = sorted(Path(tmp).glob("pyvalhalla-*.whl"))
            if got.returncode != 0 or not wheels:
                reason = _tail(got)
                log.warning("valhalla: skipped — pip download failed: %s", reason)
                return None
            unzipped = Path(tmp) / "unzipped"
            with zipfile.ZipFile(wheels[0]) as wheel:
                for info in wheel.infolist():
                    path = Path(wheel.extract(info, unzipped))
                    mode = info.external_attr >> 16  # zipfile drops the exec bits
                    if mode and not info.is_dir():
                        path.chmod(mode & 0o777)
            if not _service_exe(unzipped).is_file():
                log.warning("valhalla: skipped — %s has no valhalla/bin/", wheels[0].name)
                return None
            shutil.rmtree(root, ignore_errors=True)
            unzipped.rename(root)
    try:
        valhalla_version(root)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("valhalla: skipped — %s does not run: %s", exe, exc)
        return None
    return root


def valhalla_version(root: Path) -> str:
    """Version printed by ``valhalla_service --version`` (e.g. ``"3.9.1"``).

    Parameters
    ----------
    root
        Folder returned by :func:`ensure_binaries`.

    Returns
    -------
    str
        The version.
    """
    out = subprocess.run(
        [str(_service_exe(root)), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return out.stdout.split()[-1]


def make_config(
    root: Path, tile_dir: Path, *, port: int = 8002, run_dir: Path | None = None
) -> dict[str, Any]:
    """Valhalla configuration for one tile folder, made by the wheel's config script.

    Parameters
    ----------
    root
        Folder returned by :func:`ensure_binaries`.
    tile_dir
        Folder of the routing tiles.
    port
        Port of the HTTP service on 127.0.0.1.
    run_dir
        Folder for the service's ZeroMQ sockets (default: ``tile_dir``).

    Returns
    -------
    dict
        The configuration (JSON-serialisable). No admin, time-zone or elevation data is used
        (default access rules, no time zones, flat roads).
    """
    script = root / "valhalla" / "valhalla_build_config.py"  # standard library only
    cmd = [
        sys.executable, str(script), "--mjolnir-tile-dir", str(tile_dir),
        "--mjolnir-tile-extract", str(tile_dir / "none.tar"),
        "--mjolnir-concurrency", str(os.cpu_count() or 1),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    config: dict[str, Any] = json.loads(out.stdout)
    config["mjolnir"]["admin"] = str(tile_dir / "no-admin.sqlite")
    config["mjolnir"]["timezone"] = str(tile_dir / "no-tz.sqlite")
    config["additional_data"]["elevation"] = str(tile_dir / "no-elevation")
    sockets = run_dir or tile_dir
    config["httpd"]["service"].update(
        listen=f"tcp://127.0.0.1:{port}",
        loopback=f"ipc://{sockets / 'loopback'}",
        interrupt=f"ipc://{sockets / 'interrupt'}",
        drain_seconds=0,  # default 28: SIGTERM would wait that long
        shutdown_seconds=0,
    )
    config["service_limits"]["isochrone"]["max_contours"] = MAX_CONTOURS
    return config


def build_tiles(root: Path, pbf: Path, *, rebuild: bool = False) -> tuple[Path, float | None]:
    """Routing tiles for ``pbf``, built once per (Valhalla version, sha256 of the file).

    Parameters
    ----------
    root
        Folder returned by :func:`ensure_binaries`.
    pbf
        OSM extract (``.osm.pbf``).
    rebuild
        Build even when cached tiles exist.

    Returns
    -------
    tuple of (Path, float or None)
        Tile folder and the build wall time in seconds (``None`` when taken from the cache).

    Raises
    ------
    RuntimeError
        When ``valhalla_build_tiles`` fails (its last output line is the message).
    """
    key = f"{valhalla_version(root)}-{file_digest(pbf)[:16]}"
    tile_dir = CACHE / "tiles" / key
    if (tile_dir / "OK").is_file() and not rebuild:
        return tile_dir, None
    tile_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=tile_dir.parent, prefix=f".{key}-"))
    try:
        config = tmp / "build.json"
        config.write_text(json.dumps(make_config(root, tmp)), encoding="utf-8")
        exe = root / "valhalla" / "bin" / "valhalla_build_tiles"
        t0 = time.perf_counter()
        got = subprocess.run(
            [str(exe), "-c", str(config), str(pbf.resolve())],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        seconds = time.perf_counter() - t0
        if got.returncode != 0:
            msg = f"valhalla_build_tiles failed: {_tail(got)}"
            raise RuntimeError(msg)
        config.unlink()
        (tmp / "OK").write_text(f"{pbf.name} {seconds:.2f} s\n", encoding="utf-8")
        shutil.rmtree(tile_dir, ignore_errors=True)
        tmp.rename(tile_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tile_dir, seconds


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ValhallaService:
    """A running ``valhalla_service``; made by :func:`service`.

    Attributes
    ----------
    url
        Base URL, ``http://127.0.0.1:<port>``.
    version
        Valhalla version.
    tile_dir
        Folder of the routing tiles.
    build_s
        Tile build wall time in seconds, ``None`` when the tiles came from the cache.
    threads
        Worker threads of the service.
    last_ms
        Wall time of the last HTTP request (send → response read, before JSON parsing), ms.
    costing_options
        Default costing options per costing (a copy of :data:`COSTING_OPTIONS`).
    """

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        url: str,
        *,
        version: str,
        tile_dir: Path,
        build_s: float | None,
        threads: int,
        run_dir: Path,
    ) -> None:
        self._proc = proc
        self._run_dir = run_dir
        self.url = url
        self.version = version
        self.tile_dir = tile_dir
        self.build_s = build_s
        self.threads = threads
        self.last_ms = float("nan")
        self.costing_options = {k: dict(v) for k, v in COSTING_OPTIONS.items()}

    def request(self, action: str, payload: Mapping[str, Any] | None = None) -> Any:
        """Post ``payload`` as JSON to ``/<action>`` (GET when ``None``) and parse the answer.

        Parameters
        ----------
        action
            Service action, e.g. ``"isochrone"`` or ``"status"``.
        payload
            Request body.

        Returns
        -------
        Any
            The decoded JSON answer.

        Raises
        ------
        urllib.error.HTTPError
            On an error status; Valhalla's JSON error text is in the exception's message.
        """
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(  # always http://127.0.0.1:<port>
            f"{self.url}/{action}", data=data, headers={"Content-Type": "application/json"}
        )
        t0 = time.perf_counter()
        try:
            with _NO_PROXY.open(req, timeout=300) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            exc.msg = f"{exc.msg}: {detail}"
            raise
        finally:
            self.last_ms = (time.perf_counter() - t0) * 1e3
        return json.loads(body)

    def isochrone(
        self,
        lon: float,
        lat: float,
        minutes: Sequence[float],
        costing: str,
        reverse: bool = True,
        *,
        costing_options: Mapping[str, Any] | None = None,
        denoise: float | None = None,
        generalize: float | None = None,
        location_options: Mapping[str, Any] | None = None,
    ) -> list[Isochrone]:
        """Isochrone polygons around one point, one per value of ``minutes``.

        Parameters
        ----------
        lon, lat
            The point (EPSG:4326); Valhalla snaps it to the nearest usable edge.
        minutes
            Contour times in minutes (at most :data:`MAX_CONTOURS`, each ≤ 120), any order.
        costing
            Valhalla costing, e.g. ``"auto"`` or ``"pedestrian"``.
        reverse
            ``True``: area from which the point is reached within the time (towards a
            facility); ``False``: area reached from the point.
        costing_options
            Options for this costing; default ``self.costing_options[costing]``.
        denoise
            Valhalla's ``denoise`` (0–1, its default 1 keeps only the largest ring per contour).
        generalize
            Douglas-Peucker tolerance in metres (Valhalla chooses one by default: a quarter of
            its grid cell; 0 turns it off).
        location_options
            Extra keys of the location object, e.g. ``{"minimum_reachability": 0}`` (by
            default loki also snaps to edges of small islands near the point, see
            :data:`MATCHED_LOCATION`).

        Returns
        -------
        list of Polygon or MultiPolygon
            In the order of ``minutes``, EPSG:4326, with holes where Valhalla gives inner rings;
            an empty Polygon for a contour Valhalla did not return. ``self.last_ms`` holds the
            request's wall time.
        """
        levels = sorted({float(m) for m in minutes})
        if not levels or len(levels) > MAX_CONTOURS:
            msg = f"give 1 to {MAX_CONTOURS} distinct contour times, not {len(levels)}"
            raise ValueError(msg)
        options = self.costing_options.get(costing, {})
        payload: dict[str, Any] = {
            "locations": [{"lat": float(lat), "lon": float(lon), **(location_options or {})}],
            "costing": costing,
            "costing_options": {
                costing: dict(options if costing_options is None else costing_options)
            },
            "contours": [{"time": m} for m in levels],
            "polygons": True,
            "reverse": bool(reverse),
        }
        if denoise is not None:
            payload["denoise"] = float(denoise)
        if generalize is not None:
            payload["generalize"] = float(generalize)
        answer = self.request("isochrone", payload)
        found: dict[float, Isochrone] = {}
        for feature in answer.get("features", []):
            geometry = feature.get("geometry") or {}
            if geometry.get("type") not in ("Polygon", "MultiPolygon"):
                continue  # e.g. the snapped locations with show_locations
            level = min(levels, key=lambda m: abs(m - float(feature["properties"]["contour"])))
            geom = shape(geometry)
            if not geom.is_valid:
                geom = geom.buffer(0)
            found[level] = geom
        return [found.get(float(m), Polygon()) for m in minutes]

    def alive(self) -> bool:
        """Whether the service process is still running.

        Returns
        -------
        bool
            ``True`` while it runs.
        """
        return self._proc.poll() is None

    def close(self) -> None:
        """Stop the service (SIGTERM, then SIGKILL after 10 s) and remove its run folder."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self._run_dir, ignore_errors=True)


def _start(pbf: Path, threads: int, rebuild: bool, timeout_s: float) -> ValhallaService | None:
    root = ensure_binaries()
    if root is None:
        return None
    try:
        tile_dir, build_s = build_tiles(root, Path(pbf), rebuild=rebuild)
        version = valhalla_version(root)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
        log.warning("valhalla: skipped — %s", exc)
        return None
    run_dir = Path(tempfile.mkdtemp(prefix="valhalla-run-"))
    port = _free_port()
    config = run_dir / "valhalla.json"
    config.write_text(
        json.dumps(make_config(root, tile_dir, port=port, run_dir=run_dir)), encoding="utf-8"
    )
    log_path = run_dir / "service.log"
    with log_path.open("wb") as out:  # the service logs every request: keep it off a pipe
        proc = subprocess.Popen(
            [str(_service_exe(root)), str(config), str(threads)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=run_dir,
        )
    svc = ValhallaService(
        proc,
        f"http://127.0.0.1:{port}",
        version=version,
        tile_dir=tile_dir,
        build_s=build_s,
        threads=threads,
        run_dir=run_dir,
    )
    deadline = time.monotonic() + timeout_s
    reason = f"no answer on /status within {timeout_s:.0f} s"
    while time.monotonic() < deadline:
        if not svc.alive():
            reason = f"valhalla_service exited: {_last_line(log_path.read_text(errors='replace'))}"
            break
        try:
            status = svc.request("status")
        except OSError:  # URLError, ConnectionRefused: not listening yet
            time.sleep(0.05)
            continue
        if "isochrone" in status.get("available_actions", ["isochrone"]):
            return svc
        reason = f"service has no isochrone action: {status}"
        break
    svc.close()
    log.warning("valhalla: skipped — %s", reason)
    return None


@contextlib.contextmanager
def service(
    pbf: Path, *, threads: int = 1, rebuild: bool = False, timeout_s: float = 60.0
) -> Iterator[ValhallaService | None]:
    """Run ``valhalla_service`` on the tiles of ``pbf`` for the duration of a ``with`` block.

    Parameters
    ----------
    pbf
        OSM extract; its tiles are built on first use and cached in ``bench/.valhalla/tiles/``.
    threads
        Worker threads of the service (its concurrency argument).
    rebuild
        Rebuild the tiles even when cached (to time the build).
    timeout_s
        How long to wait for the service to answer ``/status``.

    Yields
    ------
    ValhallaService or None
        The running service, or ``None`` when anything failed (reason logged on one line), so
        that a benchmark can skip Valhalla. The service is stopped on exit.
    """
    try:
        svc = _start(Path(pbf), threads, rebuild, timeout_s)
    except Exception as exc:  # a peer that cannot start is skipped, not fatal
        log.warning("valhalla: skipped — %s: %s", type(exc).__name__, exc)
        svc = None
    try:
        yield svc
    finally:
        if svc is not None:
            svc.close()


def road_points(
    pbf: Path, n: int, *, seed: int = 0, highways: frozenset[str] = DRIVABLE
) -> list[tuple[float, float]]:
    """``n`` random distinct nodes of the ways of the given highway classes, as (lon, lat).

    Parameters
    ----------
    pbf
        OSM extract.
    n
        Number of points (fewer if the extract has fewer such nodes).
    seed
        Seed of the sample.
    highways
        Highway classes whose nodes are candidates.

    Returns
    -------
    list of (float, float)
        Longitude and latitude of each point.
    """
    import osmium  # only needed here

    points: dict[int, tuple[float, float]] = {}
    objects = osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for way in objects:
        if way.is_way() and way.tags.get("highway") in highways:
            for node in way.nodes:
                if node.location.valid():
                    points[node.ref] = (node.location.lon, node.location.lat)
    ids = sorted(points)
    return [points[i] for i in random.Random(seed).sample(ids, min(n, len(ids)))]


def main() -> None:
    """Time 15-min isochrones (auto and pedestrian, reverse) from random road nodes."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    here = Path(__file__).resolve().parent
    parser.add_argument(
        "pbf", nargs="?", type=Path, default=here.parent / "tests/data/andorra.osm.pbf"
    )
    parser.add_argument("-n", type=int, default=20, help="requests per costing")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the tiles (to time it)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    points = road_points(args.pbf, args.n)
    with service(args.pbf, rebuild=args.rebuild) as vh:
        if vh is None:
            return
        built = "cached" if vh.build_s is None else f"built in {vh.build_s:.2f} s"
        print(f"Valhalla {vh.version}, tiles for {args.pbf.name} {built}, {vh.url}")
        for costing in ("auto", "pedestrian"):
            vh.isochrone(*points[0], [args.minutes], costing)  # warm the tile cache
            times, areas = [], []
            for lon, lat in points:
                (geom,) = vh.isochrone(lon, lat, [args.minutes], costing, reverse=True)
                times.append(vh.last_ms)
                areas.append(geom.area)
            ms = np.asarray(times)
            print(
                f"{costing:10s} {args.minutes:.0f} min reverse, {len(ms)} requests: "
                f"median {np.median(ms):.1f} ms, p90 {np.percentile(ms, 90):.1f} ms, "
                f"max {ms.max():.1f} ms; options {vh.costing_options[costing]}; "
                f"empty {sum(a == 0 for a in areas)}"
            )


if __name__ == "__main__":
    main()
