"""Input layers as a county health bureau has them: boundaries, facilities, population.

Public modules: :mod:`~geohealth.inputs.boundaries`, :mod:`~geohealth.inputs.shapefile`
(a Shapefile's attribute encoding), :mod:`~geohealth.inputs.facilities`,
:mod:`~geohealth.inputs.facility_coords` (facility coordinates checked, converted, set against
the region), :mod:`~geohealth.inputs.population`, :mod:`~geohealth.inputs.population_check`
(the grid against the townships and census), :mod:`~geohealth.inputs.coords` (GCJ-02/BD-09),
:mod:`~geohealth.inputs.levels`, :mod:`~geohealth.inputs.layers` (everything from a config).
"""

from geohealth.inputs import boundaries as boundaries
from geohealth.inputs import coords as coords
from geohealth.inputs import facilities as facilities
from geohealth.inputs import facility_coords as facility_coords
from geohealth.inputs import layers as layers
from geohealth.inputs import levels as levels
from geohealth.inputs import population as population
from geohealth.inputs import population_check as population_check
from geohealth.inputs import region as region
from geohealth.inputs import shapefile as shapefile

__all__ = [
    "boundaries",
    "coords",
    "facilities",
    "facility_coords",
    "layers",
    "levels",
    "population",
    "population_check",
    "region",
    "shapefile",
]
