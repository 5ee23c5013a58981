"""Benchmark how fast a siting map redraws in a real browser, and how large it is.

Runs ``geohealth site`` on the sample county (MCLP, p = 5 among the township health centres —
the case that once wrote a 13.4 MB map), then opens ``site_map.html`` in headless Chromium
with the network cut off. A script run at the page's load event zooms in and out and pans
six times each (no animation) and times each call: Leaflet redraws every vector layer
synchronously inside it, so the time is the redraw (the browser's paint of the result is not
in it). The same page is timed with its vector layers drawn as SVG elements and on a canvas
(what geohealth writes). Target: a redraw < 0.2 s, a page ≤ 2 MB.

Run: ``.venv/bin/python bench/bench_webmap.py`` (needs ``chromium``; skipped with a message
when there is none). Figures are appended to bench/RESULTS.md with date, command and versions.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import record

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_county.toml"
ROUNDS = 3

_TIMER = """<script>
window.addEventListener('load', function () {
  var map = %s, zoom = map.getZoom(), zooms = [], pans = [];
  for (var k = 0; k < 6; k++) {
    var t0 = performance.now();
    map.setZoom(k %% 2 ? zoom : zoom + 1, {animate: false});
    zooms.push(performance.now() - t0);
    t0 = performance.now();
    map.panBy([80, 40], {animate: false});
    pans.push(performance.now() - t0);
  }
  document.body.setAttribute('data-zoom', zooms.join(','));
  document.body.setAttribute('data-pan', pans.join(','));
});
</script>
"""


def _timed(page: str, folder: Path, name: str, browser: str) -> tuple[list[float], list[float]]:
    """Zoom and pan times (ms) of a page, over ``ROUNDS`` browser runs."""
    variable = re.search(r"var (map_[0-9a-f]+) = L\.map", page).group(1)  # type: ignore[union-attr]
    path = folder / name
    path.write_text(page.replace("</html>", _TIMER % variable + "</html>"), encoding="utf-8")
    zooms: list[float] = []
    pans: list[float] = []
    for _ in range(ROUNDS):
        dom = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=http://127.0.0.1:9",
                "--window-size=1280,900",
                f"--user-data-dir={folder / 'profile'}",
                "--dump-dom",
                path.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        zooms += [float(v) for v in re.search(r'data-zoom="([^"]+)"', dom).group(1).split(",")]  # type: ignore[union-attr]
        pans += [float(v) for v in re.search(r'data-pan="([^"]+)"', dom).group(1).split(",")]  # type: ignore[union-attr]
    return zooms, pans


def main() -> None:
    browser = next(
        (shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None
    )
    if browser is None:
        print("bench_webmap: no chromium on this machine — skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        subprocess.run(
            [
                str(Path(sys.executable).parent / "geohealth"),
                "-q",
                "site",
                str(SAMPLE),
                "--problem",
                "mclp",
                "--p",
                "5",
                "--level",
                "township_health_centre",
                "--out",
                str(folder / "site"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        map_path = folder / "site" / "site_map.html"
        size_mb = map_path.stat().st_size / 1e6
        canvas = map_path.read_text(encoding="utf-8")
        svg = canvas.replace('"preferCanvas": true', '"preferCanvas": false')
        rows = [
            f"Sample county, `geohealth site --problem mclp --p 5 --level township_health_centre`: "
            f"site_map.html {size_mb:.2f} MB; headless Chromium ({ROUNDS} runs × 6 zooms and "
            "6 pans, no animation; ms per call, the synchronous redraw of every vector layer)",
            "",
            "| vector layers drawn as | zoom median | zoom max | pan median | pan max |",
            "|---|---|---|---|---|",
        ]
        worst = 0.0
        for label, page in (("canvas (what geohealth writes)", canvas), ("SVG elements", svg)):
            zooms, pans = _timed(page, folder, f"{label[:3]}.html", browser)
            rows.append(
                f"| {label} | {statistics.median(zooms):.0f} | {max(zooms):.0f} | "
                f"{statistics.median(pans):.0f} | {max(pans):.0f} |"
            )
            if label.startswith("canvas"):
                worst = max(zooms + pans)
        ok = worst < 200 and size_mb <= 2.0
        rows += ["", f"Target redraw < 0.2 s and page ≤ 2 MB: {'PASS' if ok else 'FAIL'}."]
    record("bench_webmap.py", ("geohealth", "folium"), [rows])


if __name__ == "__main__":
    main()
