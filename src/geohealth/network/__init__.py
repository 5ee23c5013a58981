"""Road networks from OpenStreetMap: reading extracts, timed graphs, snapping."""

from geohealth.network import extract as extract

__all__ = ["extract"]
