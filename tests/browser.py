"""Headless Chromium with the network cut off: render a page from disk, as a reader would.

Chromium comes from Debian's package (``scripts/install-test-browser.sh`` installs it).
Every host name resolves to nothing and every request goes to a dead proxy, so a page that
needs the internet shows it. Console messages are collected to catch script errors.

:func:`probe` acts on a map as a reader's mouse would: it finds the element under a place
(``document.elementFromPoint`` at the place's pixel) and sends it the mouse events a pointer
sends — so whatever lies on top there answers, as for a person: a layer drawn over the one
the test means to hover takes the hover and the test sees its tooltip.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Set GEOHEALTH_REQUIRE_BROWSER=1 to make a missing browser a failure rather than a skip.
REQUIRED = os.environ.get("GEOHEALTH_REQUIRE_BROWSER") == "1"


def chromium() -> str:
    """Path of the Chromium binary, or skip (fail under CI) when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if REQUIRED:
        pytest.fail("Chromium is not installed (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")
    raise AssertionError  # unreachable


@dataclass(frozen=True)
class Rendered:
    """What the browser made of a page."""

    dom: str
    console: list[str]


_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,900",
    "--virtual-time-budget=10000",
]


def render(page: Path, screenshot: Path | None = None) -> Rendered:
    """Open ``page`` offline; return the DOM after its scripts ran, and the console lines.

    With ``screenshot``, a PNG of the window is written there too (a second run).
    """
    binary = chromium()
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        flags = [*_FLAGS, f"--user-data-dir={profile}"]
        run = subprocess.run(
            [binary, *flags, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [binary, *flags, f"--screenshot={screenshot}", url],
                capture_output=True,
                timeout=180,
                check=True,
            )
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return Rendered(dom=run.stdout, console=console)


@dataclass(frozen=True)
class Probe:
    """One thing a reader does on a map: hover over, or click, a place.

    Attributes
    ----------
    action
        ``"hover"`` (mouseover, mousemove: the tooltip that opens is read) or ``"click"``
        (mousedown, mouseup, click: the popup that opens is read).
    places
        Candidate (lon, lat) places in the page's coordinates, tried in turn: the first whose
        pixel is on the map — inside the window, not under a panel or a map control, and,
        for ``target="area"``, not under a marker or a label — is used.
    target
        ``"area"`` (a shape: the hit must be a vector element or the canvas) or ``"marker"``
        (an icon: the hit must be in Leaflet's marker pane).
    """

    action: str
    places: Sequence[tuple[float, float]]
    target: str = "area"


@dataclass(frozen=True)
class Answer:
    """What the page showed after one :class:`Probe`."""

    text: str
    """The tooltip (hover) or popup (click) text that opened; ``""`` when none did."""
    hit: str
    """The element the pointer was over (``tag.class…``), ``""`` when no place was usable."""
    fill: str
    """That element's ``fill`` attribute (an SVG shape), else ``""``."""
    place: tuple[float, float] | None
    """The place used."""
    skipped: list[str] = field(default_factory=list)
    """Why each place before it was not usable."""


_PROBE = """<script>
window.addEventListener('load', function () {
  var map = %(map)s, probes = %(probes)s, answers = [], box = map.getContainer();
  var last = null;
  function fire(el, type, x, y) {
    el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window,
      clientX: x, clientY: y, button: 0}));
  }
  function name(el) {
    var cls = el.getAttribute('class');
    return el.tagName.toLowerCase() + (cls ? '.' + cls.trim().split(/\\s+/).join('.') : '');
  }
  function why(el, target) {
    if (!el || !box.contains(el)) { return 'off the map or under a panel'; }
    if (el.closest('.leaflet-control-container')) { return 'under a map control'; }
    if (!el.closest('.leaflet-map-pane')) { return 'not on a map pane'; }
    var marker = el.closest('.leaflet-marker-pane');
    if (target === 'marker') { return marker ? '' : 'no marker there (' + name(el) + ')'; }
    if (marker || el.closest('.leaflet-tooltip-pane, .leaflet-popup-pane')) {
      return 'under a marker or label';
    }
    return '';
  }
  function opened(before) {
    return Array.prototype.filter.call(document.querySelectorAll('.leaflet-tooltip'),
      function (t) { return before.indexOf(t) < 0; }).map(function (t) { return t.innerText; });
  }
  function step(k) {
    if (k === probes.length) {
      var out = document.createElement('pre');
      out.id = 'geohealth-probe';
      out.textContent = JSON.stringify({title: document.title, answers: answers});
      document.body.appendChild(out);
      return;
    }
    var probe = probes[k], answer = {text: '', hit: '', fill: '', place: null, skipped: []};
    if (last) { fire(last.el, 'mouseout', last.x, last.y); last = null; }
    map.closePopup();
    for (var i = 0; i < probe.places.length; i++) {
      var lonlat = probe.places[i], rect = box.getBoundingClientRect();
      var p = map.latLngToContainerPoint([lonlat[1], lonlat[0]]);
      var x = rect.left + p.x, y = rect.top + p.y;
      var inside = x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight;
      var el = inside ? document.elementFromPoint(x, y) : null;
      var reason = inside ? why(el, probe.target) : 'outside the window';
      if (reason) { answer.skipped.push(reason); continue; }
      answer.hit = name(el);
      answer.fill = el.getAttribute('fill') || '';
      answer.place = lonlat;
      var before = Array.prototype.slice.call(document.querySelectorAll('.leaflet-tooltip'));
      if (probe.action === 'click') {
        ['mousedown', 'mouseup', 'click'].forEach(function (t) { fire(el, t, x, y); });
        var popup = document.querySelector('.leaflet-popup-content');
        answer.text = popup ? popup.innerText : '';
      } else {
        ['mouseover', 'mousemove'].forEach(function (t) { fire(el, t, x, y); });
        answer.text = opened(before).join('\\n');
        last = {el: el, x: x, y: y};
      }
      break;
    }
    answers.push(answer);
    setTimeout(function () { step(k + 1); }, 100);  // past the canvas's 32 ms hover throttle
  }
  setTimeout(function () { step(0); }, 300);
});
</script>
"""


@dataclass(frozen=True)
class Probed:
    """What the browser showed: the page's title and one :class:`Answer` per probe."""

    title: str
    answers: list[Answer]
    console: list[str]


def probe(page: Path, probes: Sequence[Probe], *, screenshot: Path | None = None) -> Probed:
    """Open a folium map offline and hover or click places on it, as a reader's mouse would.

    Parameters
    ----------
    page
        A folium map's HTML file (its ``L.map`` variable is found in it).
    probes
        What to do, in order (a hover's tooltip is closed before the next probe).
    screenshot
        Also save a picture of the page as opened (a second run).

    Returns
    -------
    Probed
        The page title and what each probe showed.
    """
    text = page.read_text(encoding="utf-8")
    found = re.search(r"var (map_[0-9a-f]+) = L\.map", text)
    assert found, f"{page}: no Leaflet map in it"
    script = _PROBE % {
        "map": found.group(1),
        "probes": json.dumps(
            [{"action": p.action, "places": p.places, "target": p.target} for p in probes]
        ),
    }
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / page.name
        copy.write_text(text.replace("</html>", script + "</html>"), encoding="utf-8")
        rendered = render(copy, screenshot=screenshot)
    out = re.search(r'<pre id="geohealth-probe">(.*?)</pre>', rendered.dom, re.S)
    assert out, "the probe script did not finish: " + "\n".join(rendered.console)
    data = json.loads(html.unescape(out.group(1)))
    answers = [
        Answer(
            text=a["text"],
            hit=a["hit"],
            fill=a["fill"],
            place=tuple(a["place"]) if a["place"] else None,
            skipped=a["skipped"],
        )
        for a in data["answers"]
    ]
    return Probed(title=data["title"], answers=answers, console=rendered.console)
