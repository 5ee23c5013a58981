"""Interactive maps (folium/Leaflet) that open offline."""

from geohealth.webmap.base import write_map
from geohealth.webmap.coverage_map import coverage_map

__all__ = ["coverage_map", "write_map"]
