"""A map layer holding one geometry drawn alike, written into the page as GeoJSON text.

:class:`folium.GeoJson` parses its data into Python objects to style every feature and writes
them out again; a province's service circle has millions of vertices, so this layer keeps the
shapely geometry, writes its GeoJSON text as it is when the page is rendered, and styles it in
the browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import folium
import numpy as np
import shapely
from branca.element import Element
from folium.elements import ElementAddToElement
from folium.template import Template


class GeometryLayer(folium.map.Layer):
    """One geometry drawn alike, as a layer of the layer control.

    Parameters
    ----------
    geometry
        The geometry, in WGS 84 degrees (:meth:`move` shifts it for a GCJ-02 basemap).
    name
        Its name in the layer control.
    style
        Leaflet path options (``fillColor``, ``color``, ``weight``, ``fillOpacity`` …).
    tooltip
        Text shown on hovering it.
    show
        Drawn when the page opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.text }}, {style: {{ this.style }}});
        {{ this.get_name() }}.bindTooltip({{ this.tooltip }}, {sticky: true});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geometry: shapely.Geometry,
        *,
        name: str,
        style: dict[str, object],
        tooltip: str,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeometryLayer"
        self.geometry = geometry
        self.style = _script_json(style)
        self.tooltip = _script_json(tooltip)
        self.text = ""

    def move(self, shift: Callable[[np.ndarray], np.ndarray]) -> None:
        """Shift every coordinate: ``shift`` maps an (n, 2) array of lon, lat to another."""
        self.geometry = shapely.transform(self.geometry, shift)

    def render(self, **kwargs: object) -> None:
        """Write the geometry's GeoJSON text into the page's script, as it is.

        Not through :meth:`branca.element.MacroElement.render`, which compiles every
        rendered script as a Jinja template of its own (seconds and hundreds of MB for a
        province's circle, and a facility named ``{{`` would break it).
        """
        if self.show:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=self._parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        self.text = shapely.to_geojson(self.geometry).replace("<", "\\u003c")
        try:
            script = self._template.module.__dict__["script"](self, kwargs)
        finally:
            self.text = ""
        self.get_root().script.add_child(_Text(script), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Text(Element):
    """Text placed into a page as it is (not compiled as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        """Return the text."""
        return self.text


def _script_json(value: object) -> str:
    """JSON for a ``<script>`` element: ``<`` escaped, so no text can close the element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
