"""All input layers of a run, loaded and cross-checked from one :class:`Settings`."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geohealth.config import Settings
from geohealth.errors import CoordinateSystemWarning
from geohealth.inputs import boundaries, facilities, population, population_check, region
from geohealth.inputs.population import PopulationGrid
from geohealth.inputs.population_check import PopulationCheck
from geohealth.inputs.region import Region

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputLayers:
    """The validated inputs of a run.

    Attributes
    ----------
    townships
        Township polygons (EPSG:4326) with ``code``, ``name``, ``population``.
    facilities
        Facility points (EPSG:4326) with ``facility_id``, ``name``, ``level``, ``beds`` and
        ``inside_region``.
    population
        Persons per cell.
    region
        The study region.
    settings
        The configuration the layers were loaded from.
    population_check
        The population grid against the townships and their census totals (persons per
        township, outside, the townships that differ); None when built in code.
    """

    townships: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    population: PopulationGrid
    region: Region
    settings: Settings
    population_check: PopulationCheck | None = None

    def township_index(self) -> np.ndarray:
        """Return the township row of every population cell (-1 outside every township).

        Returns
        -------
        numpy.ndarray
            Integer array shaped like the population grid; rasterised once, at load.
        """
        if self.population_check is not None:
            return self.population_check.township_index
        return self.population.township_index(self.townships)

    def township_of(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Return the township row each WGS-84 point lies in (-1 outside every township).

        Parameters
        ----------
        lon, lat
            Points in WGS-84 degrees.

        Returns
        -------
        numpy.ndarray
            int64 rows of :attr:`townships`, one per point.
        """
        towns = self.townships
        x, y = Transformer.from_crs(4326, towns.crs, always_xy=True).transform(
            np.asarray(lon, float), np.asarray(lat, float)
        )
        points = shapely.points(x, y)
        inside, town = shapely.STRtree(towns.geometry.to_numpy()).query(points, "within")
        rows = np.full(len(points), -1, dtype=np.int64)
        rows[inside] = town
        return rows


def population_source(settings: Settings) -> str:
    """Return ``"raster"`` or ``"townships"``: the configured or implied population source.

    Parameters
    ----------
    settings
        A run configuration.

    Returns
    -------
    str
        The explicit ``population.source``, else ``"raster"`` when a raster is named.
    """
    if settings.population.source is not None:
        return settings.population.source
    return "raster" if settings.population.raster is not None else "townships"


def load(settings: Settings) -> InputLayers:
    """Load and validate every input layer a configuration names.

    Parameters
    ----------
    settings
        A run configuration.

    Returns
    -------
    InputLayers
        The layers, in WGS 84 except the population grid, which keeps its own CRS.

    Raises
    ------
    GeohealthError
        Any loader's one-line error.
    """
    b = settings.boundaries
    townships = boundaries.load(
        b.path,
        layer=b.layer,
        crs=b.crs,
        encoding=b.encoding,
        name_column=b.name_column,
        code_column=b.code_column,
        population_column=b.population_column,
        coordinate_system=b.coordinate_system,
    )
    study = region.from_townships(townships, metric_crs=settings.region.metric_crs)
    f = settings.facilities
    points = facilities.load(
        f.path,
        coordinate_system=f.coordinate_system,
        encoding=f.encoding,
        sheet=f.sheet,
        header_row=f.header_row,
        layer=f.layer,
        id_column=f.id_column,
        name_column=f.name_column,
        lon_column=f.lon_column,
        lat_column=f.lat_column,
        level_column=f.level_column,
        beds_column=f.beds_column,
        township_column=f.township_column,
        level_map=f.levels,
        drop_missing_coordinates=f.drop_missing_coordinates,
    )
    points = facilities.check_inside(
        points,
        study,
        buffer_km=f.outside_buffer_km,
        drop_outside=f.drop_outside,
        source=f.path.name,
    )
    hint = region.gcj02_offset_hint(townships, points, source=f.path.name)
    if hint is not None:
        warnings.warn(hint, CoordinateSystemWarning, stacklevel=2)
    p = settings.population
    if population_source(settings) == "raster":
        assert p.raster is not None  # guaranteed by config validation
        grid = population.load_raster(p.raster, band=p.band, crs=p.crs, nodata=p.nodata)
        source = p.raster.name
    else:
        grid = population.from_township_totals(townships, region=study, resolution_m=p.resolution_m)
        source = b.path.name
    checked = population_check.check_against(
        grid,
        townships,
        source=source,
        mismatch_warn_share=p.mismatch_warn_share,
        compare_census=population_source(settings) == "raster",
    )
    return InputLayers(
        townships=townships,
        facilities=points,
        population=grid,
        region=study,
        settings=settings,
        population_check=checked,
    )
