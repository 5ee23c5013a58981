"""Make a folium map self-contained: Leaflet inlined, no file fetched from the internet.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; on a government intranet
those never load and the map stays blank. geohealth's maps only need Leaflet, so its vendored
copy (``vendor/``, BSD-2-Clause) is written into the page and the CDN links are dropped.
Basemap tiles are the one thing still fetched; without them the data draws on a plain
background.
"""

from __future__ import annotations

import base64
import re
from importlib import resources

import folium
from branca.element import Element

from geohealth.errors import GeohealthError

LEAFLET_VERSION = "1.9.4"
_VENDOR = f"vendor/leaflet-{LEAFLET_VERSION}"

#: Tags that would make the page fetch code or styles from elsewhere.
_REMOTE = re.compile(r"<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*[\"']?(?:https?:)?//", re.I)


#: folium's popups parse their HTML with jQuery's ``$(html)[0]``, the page's only jQuery use;
#: this stands in for it (a node list parsed from the HTML) instead of loading jQuery.
_POPUP_SHIM = (
    "window.$ = window.$ || function (html) {"
    " var t = document.createElement('template'); t.innerHTML = String(html).trim();"
    " return t.content.childNodes; };"
)


def _vendored(name: str) -> bytes:
    return resources.files("geohealth.webmap").joinpath(f"{_VENDOR}/{name}").read_bytes()


def _leaflet_css() -> str:
    """Leaflet's stylesheet with its control images as data URIs."""
    css = _vendored("leaflet.css").decode("utf-8")
    for image in ("layers.png", "layers-2x.png"):
        data = base64.b64encode(_vendored(f"images/{image}")).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    return css


def inline_assets(fmap: folium.Map) -> None:
    """Replace the map's CDN links by the vendored Leaflet, inlined in the page head.

    Call before the map is rendered and before anything else is added to the page head.

    Parameters
    ----------
    fmap
        A folium map using only Leaflet core features (no Font Awesome icons, no plugins
        that load their own scripts).
    """
    fmap.default_js = []
    fmap.default_css = []
    header = fmap.get_root().header
    header.add_child(Element(f"<style>{_leaflet_css()}</style>"), name="leaflet_css_inline")
    script = _vendored("leaflet.js").decode("utf-8").replace("</script", "<\\/script")
    header.add_child(Element(f"<script>{script}</script>"), name="leaflet_js_inline")
    header.add_child(Element(f"<script>{_POPUP_SHIM}</script>"), name="popup_shim")


def check_offline(html: str) -> None:
    """Refuse a page that would load scripts or styles from the internet.

    Parameters
    ----------
    html
        The rendered page.

    Raises
    ------
    GeohealthError
        Naming the first remote tag found.
    """
    found = _REMOTE.search(html)
    if found:
        start = max(0, found.start())
        snippet = html[start : start + 120].replace("\n", " ")
        msg = f"the map would load a file from the internet ({snippet} …) — it must open offline"
        raise GeohealthError(msg)
