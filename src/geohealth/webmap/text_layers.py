"""Map layers written into the page as GeoJSON text: a geometry, or many circle markers.

:class:`folium.GeoJson` parses its data into Python objects to style every feature and writes
them out again, and every folium marker is an element of its own, whose script branca
compiles as a Jinja template when the page is rendered. A province's service circle has
millions of vertices and its map thousands of hotspots, so these layers keep their data as
arrays, write its GeoJSON text as it is when the page is rendered, and style it in the
browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import folium
import numpy as np
import shapely
from branca.element import Element
from folium.elements import ElementAddToElement
from folium.template import Template

#: A coordinate shift: an (n, 2) array of lon, lat to another.
Shift = Callable[[np.ndarray], np.ndarray]


class _TextLayer(folium.map.Layer):
    """A layer of the layer control whose script holds its data as GeoJSON text."""

    def __init__(self, *, name: str, style: dict[str, object], show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self.style = _script_json(style)
        self.text = ""

    def _geojson(self) -> str:
        raise NotImplementedError

    def move(self, shift: Shift) -> None:
        """Shift every coordinate (for a GCJ-02 basemap)."""
        raise NotImplementedError

    def render(self, **kwargs: object) -> None:
        """Write the layer's script, with its GeoJSON text, into the page as it is.

        Not through :meth:`branca.element.MacroElement.render`, which compiles every
        rendered script as a Jinja template of its own (seconds and hundreds of MB for a
        province's circle, and a name holding ``{{`` would break it).
        """
        if self.show:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=self._parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        self.text = self._geojson().replace("<", "\\u003c")  # no "</script>" in a script
        try:
            script = self._template.module.__dict__["script"](self, kwargs)
        finally:
            self.text = ""
        self.get_root().script.add_child(_Text(script), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class GeometryLayer(_TextLayer):
    """One geometry drawn alike.

    Parameters
    ----------
    geometry
        The geometry, in WGS 84 degrees.
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
        super().__init__(name=name, style=style, show=show)
        self._name = "GeometryLayer"
        self.geometry = geometry
        self.tooltip = _script_json(tooltip)

    def _geojson(self) -> str:
        return str(shapely.to_geojson(self.geometry))

    def move(self, shift: Shift) -> None:
        """Shift every coordinate: ``shift`` maps an (n, 2) array of lon, lat to another."""
        self.geometry = shapely.transform(self.geometry, shift)


class _PointsLayer(_TextLayer):
    """A layer of points (``lonlat``, WGS 84 degrees), each with its own properties."""

    def __init__(
        self, lon: np.ndarray, lat: np.ndarray, *, name: str, style: dict[str, object], show: bool
    ) -> None:
        super().__init__(name=name, style=style, show=show)
        self.lonlat = np.column_stack([np.asarray(lon, float), np.asarray(lat, float)])

    def _properties(self) -> list[dict[str, object]]:
        raise NotImplementedError

    def _geojson(self) -> str:
        features = [
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
            }
            for (x, y), properties in zip(self.lonlat.tolist(), self._properties(), strict=True)
        ]
        return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)

    def move(self, shift: Shift) -> None:
        """Shift every point: ``shift`` maps an (n, 2) array of lon, lat to another."""
        self.lonlat = shift(self.lonlat)


class CircleMarkersLayer(_PointsLayer):
    """Circle markers, each with its radius and tooltip, drawn alike otherwise.

    Parameters
    ----------
    lon, lat
        Their centres (WGS 84 degrees).
    radius
        Radii (screen pixels).
    tooltips
        Text shown on hovering each.
    name
        The layer's name in the layer control.
    style
        Leaflet path options shared by all.
    show
        Drawn when the page opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.text }}, {
            pointToLayer: function(feature, latlng) {
                return L.circleMarker(
                    latlng, Object.assign({radius: feature.properties.r}, {{ this.style }})
                );
            },
            onEachFeature: function(feature, layer) { layer.bindTooltip(feature.properties.t); }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        radius: np.ndarray,
        tooltips: Sequence[str],
        *,
        name: str,
        style: dict[str, object],
        show: bool = True,
    ) -> None:
        super().__init__(lon, lat, name=name, style=style, show=show)
        self._name = "CircleMarkersLayer"
        self.radius = np.asarray(radius, dtype=float)
        self.tooltips = list(tooltips)

    def _properties(self) -> list[dict[str, object]]:
        return [
            {"r": round(float(r), 1), "t": t}
            for r, t in zip(self.radius, self.tooltips, strict=True)
        ]


class IconMarkersLayer(_PointsLayer):
    """Markers drawn with one HTML icon, each with its tooltip and popup.

    Parameters
    ----------
    lon, lat
        Where they stand (WGS 84 degrees).
    tooltips
        Text shown on hovering each.
    popups
        HTML shown on clicking each (already escaped).
    icon
        The icon's HTML (an inline SVG), shared by all.
    size
        The icon's side (screen pixels), anchored at its centre.
    name
        The layer's name in the layer control.
    class_name
        CSS class of every icon.
    show
        Drawn when the page opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.text }}, {
            pointToLayer: function(feature, latlng) {
                var icon = L.divIcon({
                    html: {{ this.icon }}, className: {{ this.class_name }},
                    iconSize: [{{ this.size }}, {{ this.size }}],
                    iconAnchor: [{{ this.size / 2 }}, {{ this.size / 2 }}]
                });
                return L.marker(latlng, {icon: icon})
                    .bindTooltip(feature.properties.t)
                    .bindPopup(feature.properties.p, {maxWidth: 320});
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        tooltips: Sequence[str],
        popups: Sequence[str],
        *,
        icon: str,
        size: int,
        name: str,
        class_name: str,
        show: bool = True,
    ) -> None:
        super().__init__(lon, lat, name=name, style={}, show=show)
        self._name = "IconMarkersLayer"
        self.tooltips = list(tooltips)
        self.popups = list(popups)
        self.icon = _script_json(icon)
        self.class_name = _script_json(class_name)
        self.size = int(size)

    def _properties(self) -> list[dict[str, object]]:
        return [{"t": t, "p": p} for t, p in zip(self.tooltips, self.popups, strict=True)]


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
