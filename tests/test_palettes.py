"""One set of classes per measure: breaks, colours and site styles."""

from __future__ import annotations

import itertools

import numpy as np

from geohealth import palettes


def test_minute_classes_put_a_limit_in_the_band_it_ends():
    minutes = np.array([0.0, 5.0, 5.01, 15.0, 15.5, 60.0, 61.0, np.inf, np.nan])
    assert palettes.minute_class(minutes).tolist() == [0, 0, 1, 2, 3, 4, 5, 5, -1]
    assert palettes.minute_colour_of_limit(15) == palettes.MINUTE_COLOURS[2]
    assert len(palettes.MINUTE_LABELS) == len(palettes.MINUTE_COLOURS) == 6


def test_share_classes_start_at_their_lower_bound():
    shares = np.array([0.0, 0.4999, 0.5, 0.7, 0.9, 0.95, 1.0, np.nan])
    assert palettes.share_class(shares).tolist() == [0, 0, 1, 2, 4, 5, 5, -1]
    assert palettes.share_colour(0.96) == palettes.SHARE_COLOURS[-1]
    assert palettes.share_colour(float("nan")) == palettes.NO_RESIDENTS  # nobody lives there


def _lightness(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_sequential_schemes_darken_monotonically():
    for colours in (palettes.SHARE_COLOURS, palettes.MINUTE_COLOURS):
        light = [_lightness(c) for c in colours]
        assert all(a > b for a, b in itertools.pairwise(light))


def test_site_styles_never_repeat_and_colours_not_below_twenty():
    styles = palettes.site_styles(60)
    assert len({s.fill for s in styles[:20]}) == 20
    assert len({(s.fill, s.edge, s.dash) for s in styles}) == 60
    assert styles[20].fill == styles[0].fill
    assert styles[20].dash != styles[0].dash


def test_site_colours_are_neither_grey_nor_the_kept_sites_tan():
    """Grey reads as "unassigned" and tan as "existing site kept": no site may look like them."""
    from geohealth.webmap.plan_maps import KEPT_COLOUR

    def rgb(colour: str) -> np.ndarray:
        return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)

    for fill in palettes.SITE_FILLS:
        r, g, b = rgb(fill)
        assert max(r, g, b) - min(r, g, b) > 30, f"{fill} is nearly grey"
        assert np.abs(rgb(fill) - rgb(KEPT_COLOUR)).sum() > 80, f"{fill} looks like kept sites"


def test_limit_colours_never_repeat_and_match_the_classes_by_default():
    assert palettes.limit_colours([5, 10, 15, 30]) == list(palettes.MINUTE_COLOURS[:4])
    for limits in ([10, 20, 30], [20, 25, 30], [45, 60, 90], [30, 15, 20]):
        colours = palettes.limit_colours(limits)
        assert len(set(colours)) == len(limits), limits
        light = [_lightness(c) for c in colours]
        by_limit = [light[k] for k in np.argsort(limits)]
        assert all(a > b for a, b in itertools.pairwise(by_limit)), limits  # longer = darker
