"""Names written beside a plan's sites on the web map, kept clear of each other and of symbols.

A site map names its proposed sites on the map (permanent tooltips of class :data:`LABEL`);
where many sites stand close together the names would pile up. :class:`Declutter` adds a
script that, after every zoom and pan, hides each name that would overlap a name already
shown or any site's symbol.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

#: Class of the names written beside sites; :data:`DECLUTTER` keeps them apart.
LABEL = "geohealth-label"

#: After every zoom and pan, hide each site name that would overlap a name already shown or
#: any site's symbol (names come in legend order, so the first sites keep theirs; hovering a
#: star still shows its name).
DECLUTTER = """
(function (map) {
  function apart(a, b) {
    return a.right <= b.left || a.left >= b.right || a.bottom <= b.top || a.top >= b.bottom;
  }
  function declutter() {
    var box = map.getContainer();
    var names = Array.prototype.slice.call(box.querySelectorAll('.%s'));
    names.forEach(function (el) { el.style.visibility = ''; });
    // every box read in one pass (one layout), then every name hidden or kept in another
    var icons = Array.prototype.map.call(
      box.querySelectorAll('.leaflet-marker-icon'),
      function (e) { return e.getBoundingClientRect(); });
    var rects = names.map(function (el) { return el.getBoundingClientRect(); });
    var shown = [];
    var hide = rects.map(function (r) {
      var clear = icons.every(function (o) { return apart(r, o); }) &&
        shown.every(function (o) { return apart(r, o); });
      if (clear) { shown.push(r); }
      return !clear;
    });
    names.forEach(function (el, k) { if (hide[k]) { el.style.visibility = 'hidden'; } });
  }
  map.on('zoomend moveend', declutter);
  declutter();
})(%s);
"""


class Declutter(MacroElement):
    """The script that keeps site names apart, run after the map's layers are added."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        + DECLUTTER.replace("%s);", "{{ this._parent.get_name() }});").replace("%s", LABEL)
        + "{% endmacro %}"
    )
