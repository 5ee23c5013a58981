"""The study region: the union of the townships and the CRS used for metric work."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely
from pyproj import CRS

from geohealth.inputs.geometry import WGS84, parse_crs


@dataclass(frozen=True)
class Region:
    """The area a run covers.

    Attributes
    ----------
    outline
        Union of all townships, EPSG:4326 lon/lat.
    metric_crs
        Projected CRS for areas and distances (metres).
    area_km2
        Area of the outline (km²), measured in ``metric_crs``.
    """

    outline: shapely.Geometry
    metric_crs: CRS
    area_km2: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Lon/lat extent as (west, south, east, north), degrees."""
        west, south, east, north = shapely.bounds(self.outline).tolist()
        return west, south, east, north


def from_townships(townships: gpd.GeoDataFrame, *, metric_crs: str = "auto") -> Region:
    """Build the region from loaded townships.

    Parameters
    ----------
    townships
        Townships in EPSG:4326, as returned by :func:`geohealth.inputs.boundaries.load`.
    metric_crs
        ``"auto"`` for the UTM zone of the region's centre, or any CRS pyproj accepts.

    Returns
    -------
    Region
        Outline, metric CRS and area.
    """
    wgs = townships.to_crs(WGS84)
    outline = shapely.union_all(wgs.geometry.to_numpy())
    crs = (
        wgs.estimate_utm_crs()
        if metric_crs == "auto"
        else parse_crs(metric_crs, config_key="region.metric_crs")
    )
    area = float(gpd.GeoSeries([outline], crs=WGS84).to_crs(crs).area.iloc[0]) / 1e6
    return Region(outline=outline, metric_crs=crs, area_km2=area)
