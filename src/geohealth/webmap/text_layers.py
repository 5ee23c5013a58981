"""Map layers written into the page as compact JSON text: polygons, circle markers, icons.

:class:`folium.GeoJson` parses its data into Python objects to style every feature and writes
them out again, and every folium marker is an element of its own, whose script branca
compiles as a Jinja template when the page is rendered. A province's service circle has
millions of vertices and its map thousands of hotspots, so these layers keep their data as
arrays, write it as text when the page is rendered — polygons as encoded polylines
(:mod:`geohealth.webmap.polylines`, a fifth of GeoJSON's size), points as columns of
numbers, not one GeoJSON feature each — and build the Leaflet layers in the browser.
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

from geohealth.webmap import polylines

#: A coordinate shift: an (n, 2) array of lon, lat to another.
Shift = Callable[[np.ndarray], np.ndarray]


class TextLayer(folium.map.Layer):
    """A layer of the layer control whose script holds its data as JSON text.

    Parameters
    ----------
    name
        Its name in the layer control.
    style
        Leaflet path options shared by its shapes.
    show
        Drawn when the page opens.
    control
        Listed in the layer control (False for a part of a :class:`folium.FeatureGroup`).
    """

    def __init__(
        self, *, name: str, style: dict[str, object], show: bool, control: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self.style = _script_json(style)
        self.text = ""

    def _data(self) -> str:
        raise NotImplementedError

    def move(self, shift: Shift) -> None:
        """Shift every coordinate (for a GCJ-02 basemap)."""
        raise NotImplementedError

    def render(self, **kwargs: object) -> None:
        """Write the layer's script, with its data, into the page as it is.

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
        self.text = self._data().replace("<", "\\u003c")  # no "</script>" in a script
        try:
            script = self._template.module.__dict__["script"](self, kwargs)
        finally:
            self.text = ""
        self.get_root().script.add_child(_Text(script), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class ShapesLayer(TextLayer):
    """Polygons, each with its tooltip and, optionally, its own style (fill, outline …).

    Parameters
    ----------
    geometries
        Polygons or multipolygons in WGS 84 degrees (coordinates rounded to 1e-5°).
    tooltips
        HTML shown on hovering each (already escaped), or None for none.
    styles
        Path options of each, over ``style`` (``{"fillColor": …}``), or None.
    name
        The layer's name in the layer control.
    style
        Leaflet path options shared by all (``interactive: False``: no hover, no click —
        for outlines drawn over the layer a reader hovers).
    highlight
        Path options while the pointer is over a shape, or None.
    show
        Drawn when the page opens.
    control
        Listed in the layer control.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (data, style, highlight, group) {
          data.g.forEach(function (packed, i) {
            var own = data.s ? Object.assign({}, style, data.s[i]) : style;
            var shape = L.polygon(geohealthUnpack(packed), own);
            if (data.t) { shape.bindTooltip(data.t[i], {sticky: true}); }
            if (highlight) {
              shape.on('mouseover', function () { shape.setStyle(highlight); });
              shape.on('mouseout', function () { shape.setStyle(own); });
            }
            group.addLayer(shape);
          });
        })({{ this.text }}, {{ this.style }}, {{ this.highlight }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geometries: Sequence[shapely.Geometry] | np.ndarray,
        *,
        tooltips: Sequence[str] | None = None,
        styles: Sequence[dict[str, object]] | None = None,
        name: str,
        style: dict[str, object],
        highlight: dict[str, object] | None = None,
        show: bool = True,
        control: bool = True,
    ) -> None:
        super().__init__(name=name, style=style, show=show, control=control)
        self._name = "ShapesLayer"
        self.geometries = np.asarray(geometries, dtype=object)
        for values in (tooltips, styles):
            if values is not None and len(values) != len(self.geometries):
                msg = f"{len(values)} tooltips or styles for {len(self.geometries)} shapes"
                raise ValueError(msg)
        self.tooltips = None if tooltips is None else list(tooltips)
        self.styles = None if styles is None else list(styles)
        self.highlight = _script_json(highlight)

    def _data(self) -> str:
        drawn = ~shapely.is_empty(self.geometries)
        pick = np.flatnonzero(drawn).tolist()
        data = {
            "g": [polylines.pack(self.geometries[k]) for k in pick],
            "t": None if self.tooltips is None else [self.tooltips[k] for k in pick],
            "s": None if self.styles is None else [self.styles[k] for k in pick],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def move(self, shift: Shift) -> None:
        """Shift every coordinate: ``shift`` maps an (n, 2) array of lon, lat to another."""
        self.geometries = shapely.transform(self.geometries, shift)

    def render(self, **kwargs: object) -> None:
        """Write the decoder of packed polygons into the page head (once), then the layer."""
        unpack = Element(f"<script>{polylines.UNPACK_JS}</script>")
        self.get_root().header.add_child(unpack, name="geohealth_unpack")
        super().render(**kwargs)


class GeometryLayer(ShapesLayer):
    """One geometry drawn alike (a service circle).

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

    def __init__(
        self,
        geometry: shapely.Geometry,
        *,
        name: str,
        style: dict[str, object],
        tooltip: str,
        show: bool = True,
    ) -> None:
        super().__init__([geometry], tooltips=[tooltip], name=name, style=style, show=show)
        self._name = "GeometryLayer"

    @property
    def geometry(self) -> shapely.Geometry:
        """The geometry drawn."""
        return self.geometries[0]


class _PointsLayer(TextLayer):
    """A layer of points (``lonlat``, WGS 84 degrees), each with its own values."""

    def __init__(
        self, lon: np.ndarray, lat: np.ndarray, *, name: str, style: dict[str, object], show: bool
    ) -> None:
        super().__init__(name=name, style=style, show=show)
        self.lonlat = np.column_stack([np.asarray(lon, float), np.asarray(lat, float)])

    def _columns(self) -> dict[str, list[object]]:
        raise NotImplementedError

    def _data(self) -> str:
        xy = np.round(self.lonlat, 6)
        data = {"x": xy[:, 0].tolist(), "y": xy[:, 1].tolist(), **self._columns()}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

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
        HTML shown on hovering each (already escaped).
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
        var {{ this.get_name() }} = L.featureGroup();
        (function (data, style, group) {
          data.x.forEach(function (x, i) {
            L.circleMarker([data.y[i], x], Object.assign({radius: data.r[i]}, style))
              .bindTooltip(data.t[i]).addTo(group);
          });
        })({{ this.text }}, {{ this.style }}, {{ this.get_name() }});
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

    def _columns(self) -> dict[str, list[object]]:
        return {"r": np.round(self.radius, 1).tolist(), "t": self.tooltips}


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
        var {{ this.get_name() }} = L.featureGroup();
        (function (data, group) {
          var icon = L.divIcon({
            html: {{ this.icon }}, className: {{ this.class_name }},
            iconSize: [{{ this.size }}, {{ this.size }}],
            iconAnchor: [{{ this.size / 2 }}, {{ this.size / 2 }}]
          });
          data.x.forEach(function (x, i) {
            L.marker([data.y[i], x], {icon: icon})
              .bindTooltip(data.t[i])
              .bindPopup(data.p[i], {maxWidth: 320})
              .addTo(group);
          });
        })({{ this.text }}, {{ this.get_name() }});
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

    def _columns(self) -> dict[str, list[object]]:
        return {"t": self.tooltips, "p": self.popups}


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
