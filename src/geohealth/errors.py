"""The exceptions and warnings geohealth users see.

Every message is one line a planner can act on: what is wrong, where, and how to fix it.
Each exception also inherits the built-in it resembles, so callers may catch either
(``except KeyError`` catches :class:`MissingColumnError`). Repairs made on purpose emit a
:class:`GeohealthWarning` subclass that users can filter.
"""

from __future__ import annotations


class GeohealthError(Exception):
    """Base class of every error geohealth raises on purpose."""


class ConfigError(ValueError, GeohealthError):
    """The run configuration file is missing, malformed or names an unknown key."""


class InputError(ValueError, GeohealthError):
    """An input layer is unusable as given (bad values, geometry, coordinates)."""


class InputFileNotFoundError(FileNotFoundError, GeohealthError):
    """An input file named in the configuration does not exist."""


class MissingColumnError(KeyError, GeohealthError):
    """A column named in the configuration, or needed and not recognised, is absent."""

    def __str__(self) -> str:
        # KeyError quotes its message; ours is a sentence.
        return str(self.args[0]) if self.args else ""


class NoCrsError(ValueError, GeohealthError):
    """A spatial layer has no coordinate reference system and none was declared."""


class EncodingError(UnicodeError, GeohealthError):
    """A text file is in none of the encodings tried (UTF-8, GBK/GB18030)."""


class CoordinateError(ValueError, GeohealthError):
    """Coordinates are out of range, swapped, or outside the study area."""


class DuplicateIdError(ValueError, GeohealthError):
    """Identifiers that must be unique (facility IDs, township codes) repeat."""


class NetworkError(ValueError, GeohealthError):
    """A road network is empty, unreadable, or does not overlap the study area."""


class InfeasibleError(RuntimeError, GeohealthError):
    """A siting problem has no solution under its constraints."""


class GeohealthWarning(UserWarning):
    """Base class of warnings geohealth emits when it repairs or skips something on purpose."""


class GeometryRepairWarning(GeohealthWarning):
    """An invalid geometry was repaired (``shapely.make_valid``)."""


class OutsideStudyAreaWarning(GeohealthWarning):
    """Points lie outside every township but within the tolerated buffer."""


class LevelInferredWarning(GeohealthWarning):
    """Facility levels were inferred from facility names because no level column was found."""


class PopulationMismatchWarning(GeohealthWarning):
    """Raster population and township totals differ by more than the tolerated share."""


class DroppedRowsWarning(GeohealthWarning):
    """Rows were dropped on purpose because the configuration allows it."""


class FarFromRoadWarning(GeohealthWarning):
    """Facilities lie farther from any road than ``network.max_snap_m``."""


class BeyondReachWarning(GeohealthWarning):
    """Many people live farther than ``network.max_walk_m`` from any road of a mode."""


class NetworkIslandWarning(GeohealthWarning):
    """Facilities sit on a piece of road not connected to the main network."""


class TerrainGapWarning(GeohealthWarning):
    """Part of the road network has no elevation in the DEM and is timed as flat."""


class OverlappingTownshipsWarning(GeohealthWarning):
    """Two townships overlapped; the overlap is counted once, in the smaller township."""


class CoordinateSystemWarning(GeohealthWarning):
    """Two layers look offset by a web-map coordinate system (GCJ-02/BD-09) declared wrongly."""
