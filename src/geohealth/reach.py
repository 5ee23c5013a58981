"""A run's travel-time step: timed networks per mode, isochrones and travel-time rasters.

Ties the engine (:mod:`geohealth.network`, :mod:`geohealth.traveltime`,
:mod:`geohealth.isochrones`) to a configuration: the extract, profiles and DEM it names,
its modes and thresholds, and the facilities it loaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geohealth import field, traveltime
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import group_of, serves
from geohealth.isochrones import generalised, group_circles, isochrones
from geohealth.network import extract, graph, osm, profiles, snap, terrain
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment
from geohealth.outputs import atomic_path, write_geotiff

log = logging.getLogger(__name__)

OSM_ATTRIBUTION = "Road data © OpenStreetMap contributors, ODbL 1.0"
#: Largest move of a written service circle's outline by simplification, as a share of the
#: lattice step: 1 %, under a metre on a 100 m grid, halves the vertices.
CIRCLE_SIMPLIFY = 0.01


@dataclass(frozen=True)
class ModeNetwork:
    """One travel mode's timed graph with a set of facilities attached.

    Attributes
    ----------
    graph
        The timed road graph.
    facilities
        The facilities (EPSG:4326) in attachment order.
    attached
        Where each facility meets the road.
    """

    graph: RoadGraph
    facilities: gpd.GeoDataFrame
    attached: Attachment


def select(points: gpd.GeoDataFrame, group: str | None) -> gpd.GeoDataFrame:
    """Facilities of one care group (all when None).

    Parameters
    ----------
    points
        Facilities with a ``level`` column.
    group
        ``"primary"``, ``"secondary"``, ``"tertiary"``, ``"emergency"`` or None.

    Returns
    -------
    geopandas.GeoDataFrame
        The selected rows, index reset.

    Raises
    ------
    ConfigError
        If no facility belongs to the group.
    """
    if group is None:
        return points.reset_index(drop=True)
    groups = points["level"].map(group_of)
    chosen = points[points["level"].map(lambda k: serves(k, group))].reset_index(drop=True)
    if chosen.empty:
        present = ", ".join(sorted(set(groups))) or "none"
        msg = f"no facility of group '{group}' (groups present: {present}) — pick another group"
        raise ConfigError(msg)
    return chosen


def graphs(layers: InputLayers, *, modes: tuple[str, ...] | None = None) -> dict[str, RoadGraph]:
    """Build each configured mode's timed graph from the extract, profiles and DEM.

    Parameters
    ----------
    layers
        The run's loaded inputs.
    modes
        Modes to build; the configuration's when None.

    Returns
    -------
    dict
        Mode → graph.

    Raises
    ------
    ConfigError
        If the configuration names no OSM extract, or a mode the profiles lack.
    NetworkError
        If the extract has no roads or lies outside the study region.
    """
    net = layers.settings.network
    if net.osm is None:
        msg = "no road network: set network.osm to an OpenStreetMap extract (.osm.pbf)"
        raise ConfigError(msg)
    wanted = tuple(modes or layers.settings.analysis.modes)
    asked = "--mode" if modes else "analysis.modes"
    table = profiles.load(net.profiles, modes=wanted, listed_by=asked)  # fails before parsing
    segments = osm.read(net.osm, use_cache=net.cache)
    used = np.unique(np.concatenate([segments.u, segments.v]))
    extract.check_overlap(
        Path(net.osm).name,
        (
            float(segments.lon[used].min()),
            float(segments.lat[used].min()),
            float(segments.lon[used].max()),
            float(segments.lat[used].max()),
        ),
        layers.region.bounds,
    )
    dem = terrain.load_dem(net.dem) if net.dem is not None else None
    out: dict[str, RoadGraph] = {}
    for mode in wanted:
        out[mode] = graph.build(segments, table[mode], dem=dem, max_walk_m=net.max_walk_m)
    return out


def networks(
    layers: InputLayers,
    *,
    group: str | None = None,
    modes: tuple[str, ...] | None = None,
    built: dict[str, RoadGraph] | None = None,
) -> dict[str, ModeNetwork]:
    """Attach the facilities of a care group to each mode's graph.

    Parameters
    ----------
    layers
        The run's loaded inputs.
    group
        Care group of facilities to attach (all when None).
    modes
        Modes to build; the configuration's when None (ignored when ``built`` is given).
    built
        Graphs from :func:`graphs` to reuse; built here when None.

    Returns
    -------
    dict
        Mode → :class:`ModeNetwork`.

    Raises
    ------
    ConfigError
        If there is no OSM extract, or no facility of the group.
    NetworkError
        If the extract has no roads or lies outside the study region.
    """
    chosen = select(layers.facilities, group)
    built = built if built is not None else graphs(layers, modes=modes)
    max_snap = layers.settings.network.max_snap_m
    return {
        mode: ModeNetwork(
            graph=g,
            facilities=chosen,
            attached=snap.attach_facilities(g, chosen, max_snap_m=max_snap),
        )
        for mode, g in built.items()
    }


def lattice_for(layers: InputLayers, mode: str) -> field.Lattice:
    """Return the lattice a mode's travel-time field and service circles are computed on.

    The population grid's cell centres; for walking, refined until at most
    ``analysis.walk_circle_m`` apart.

    Parameters
    ----------
    layers
        The run's loaded inputs.
    mode
        Travel mode.

    Returns
    -------
    geohealth.field.Lattice
        The lattice (its points include every population cell's centre).
    """
    grid = layers.population
    cell_m = layers.settings.analysis.walk_circle_m if mode == "walk" else float("inf")
    return field.lattice(grid.transform, grid.shape, grid.crs, cell_m)


def isochrone_layer(
    network: ModeNetwork,
    thresholds_min: tuple[float, ...],
    layers: InputLayers,
    *,
    group: str,
    progress: bool = True,
) -> gpd.GeoDataFrame:
    """Service circles of every attached facility, with the facility's id, name and level.

    Parameters
    ----------
    network
        A mode's network with facilities.
    thresholds_min
        Time limits (minutes).
    layers
        The run's inputs (the population grid gives the lattice).
    group
        The facilities' care group, copied into the frame.
    progress
        Show a progress bar.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``facility_id, name, level, group, mode, threshold_min,
        area_km2``.
    """
    grid = lattice_for(layers, network.graph.mode)
    iso = isochrones(network.graph, network.attached, thresholds_min, grid=grid, progress=progress)
    info = network.facilities[["facility_id", "name", "level"]].iloc[iso["facility"]]
    frame = pd.concat(
        [
            info.reset_index(drop=True),
            iso[["threshold_min", "area_km2"]].reset_index(drop=True),
        ],
        axis=1,
    )
    frame.insert(3, "group", group)
    frame.insert(4, "mode", network.graph.mode)
    return gpd.GeoDataFrame(frame, geometry=iso.geometry.to_numpy(), crs=iso.crs).to_crs(4326)


def circle_layer(
    network: ModeNetwork,
    nearest: traveltime.NearestFacility,
    thresholds_min: tuple[float, ...],
    layers: InputLayers,
    *,
    group: str,
    simplify: float = CIRCLE_SIMPLIFY,
) -> gpd.GeoDataFrame:
    """Draw the merged service circles of a care group: one polygon per threshold.

    The contour of the group's nearest-facility field on the lattice, so the people inside
    a circle are the covered people of the township table (cell centres are lattice points),
    simplified by a small share of a lattice step (a cell whose time is within a fraction
    of a second of the limit may fall on the other side).

    Parameters
    ----------
    network
        A mode's network with the group's facilities.
    nearest
        :func:`geohealth.traveltime.nearest_facility` for them.
    thresholds_min
        Time limits (minutes).
    layers
        The run's inputs.
    group
        The care group, copied into the frame.
    simplify
        Largest move of an outline, as a share of the lattice step (0: the exact contours).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``group, mode, threshold_min, area_km2``.
    """
    grid = lattice_for(layers, network.graph.mode)
    limits = sorted({float(t) for t in thresholds_min})
    polygons = group_circles(network.graph, network.attached, nearest, grid, limits)
    polygons = generalised(polygons, simplify * grid.step)
    frame = gpd.GeoDataFrame(
        {"group": group, "mode": network.graph.mode, "threshold_min": limits},
        geometry=polygons,
        crs=grid.crs,
    )
    frame.insert(3, "area_km2", frame.to_crs(network.attached.crs).area.to_numpy() / 1e6)
    return frame.to_crs(4326)


def write_isochrones(path: Path, frames: dict[str, gpd.GeoDataFrame]) -> Path:
    """Write one GeoPackage layer per name, atomically.

    Parameters
    ----------
    path
        ``.gpkg`` file to write (replaced whole).
    frames
        Layer name → frame (``isochrones_<group>_<mode>``, ``circles_<group>_<mode>``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        for name, frame in frames.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return path


def write_surface(
    path: Path, network: ModeNetwork, layers: InputLayers, *, minutes: np.ndarray | None = None
) -> Path:
    """Write minutes to the nearest facility for every population cell as a GeoTIFF.

    Aligned cell for cell with the population grid. Cells without people data and cells
    from which no facility can be reached are nodata (NaN).

    Parameters
    ----------
    path
        ``.tif`` file to write.
    network
        A mode's network with facilities.
    layers
        The run's inputs (for the population grid).
    minutes
        :func:`geohealth.traveltime.surface` for this network, when already computed.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    grid = layers.population
    if minutes is None:
        minutes = traveltime.surface(network.graph, grid, network.attached)
    minutes = np.where(np.isfinite(minutes), minutes, np.nan).astype(np.float32)
    return write_geotiff(
        path,
        minutes,
        transform=grid.transform,
        crs=grid.crs,
        nodata=np.nan,
        tags={"units": "minutes", "mode": network.graph.mode, "attribution": OSM_ATTRIBUTION},
    )
