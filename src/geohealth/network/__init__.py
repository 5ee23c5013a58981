"""Road networks from OpenStreetMap: reading extracts, travel profiles, timed graphs.

Public modules: :mod:`~geohealth.network.extract` (inventory of an extract),
:mod:`~geohealth.network.fileformat` (what a file really is, checked before parsing),
:mod:`~geohealth.network.osm` (extract → segments, cached), :mod:`~geohealth.network.profiles`
(speeds per mode), :mod:`~geohealth.network.graph` (timed graph, CSR, networkx export).
"""

from geohealth.network import extract as extract
from geohealth.network import fileformat as fileformat
from geohealth.network import graph as graph
from geohealth.network import osm as osm
from geohealth.network import profiles as profiles

__all__ = ["extract", "fileformat", "graph", "osm", "profiles"]
