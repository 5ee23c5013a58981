"""geohealth: who reaches health care within 15 minutes, who does not, and where to build next.

Public modules follow the data: :mod:`geohealth.config` (run configuration),
:mod:`geohealth.inputs` (boundaries, facilities, population, coordinates),
:mod:`geohealth.network` (OpenStreetMap roads), :mod:`geohealth.check` (input check),
:mod:`geohealth.sample` (the generated sample county).
"""

__version__ = "0.1.0"

from geohealth import check as check
from geohealth import config as config
from geohealth import inputs as inputs
from geohealth import network as network
from geohealth import sample as sample

__all__ = ["__version__", "check", "config", "inputs", "network", "sample"]
