"""How each output column reads in a workbook: its Excel number format, by contract name.

One table for every ``.xlsx`` geohealth writes (``coverage.xlsx``, ``plans.xlsx``): a column
is formatted by its English name in the output contract (``population``, ``share_covered``
…), before its header is translated. Codes are text (a 12-digit township code never shows as
``2.39901E+11`` nor loses a digit), persons are whole numbers with thousands separators,
shares are percentages, minutes have one decimal — each number rounded to what it shows
(:func:`stored`). The CSV files keep full precision.

:func:`display_width` measures text as a spreadsheet shows it (a CJK character is two
columns wide), so column widths fit their content.
"""

from __future__ import annotations

import math
import re
import unicodedata

#: Text (``@``): written as strings, never as numbers.
TEXT = "@"
#: Whole persons (or counts) with thousands separators.
PERSONS = "#,##0"
#: A share of 1 shown as a percentage with one decimal (the header says %).
PERCENT = "0.0%"
#: Minutes, one decimal.
MINUTES = "0.0"
#: Ratios such as beds per 1 000 residents.
RATIO = "0.00"
#: Longitude and latitude (degrees, about 0.1 m).
DEGREES = "0.000000"
#: Areas (km²).
AREA = "#,##0.0"
#: Excel's own: whole numbers as they are, others with the digits that fit.
GENERAL = "General"

#: Number format of each contract column (names shared by the coverage and siting tables).
NUMBER_FORMATS: dict[str, str] = {
    # codes and identifiers
    "code": TEXT,
    "facility_id": TEXT,
    "site_id": TEXT,
    "township_code": TEXT,
    "centre_id": TEXT,
    # persons and counts
    "population": PERSONS,
    "covered": PERSONS,
    "uncovered": PERSONS,
    "catchment_population": PERSONS,
    "population_within": PERSONS,
    "population_assigned": PERSONS,
    "beds": PERSONS,
    "n_townships": PERSONS,
    "sites": PERSONS,
    "cells": PERSONS,
    # shares
    "share_covered": PERCENT,
    # minutes
    "mean_min": MINUTES,
    "median_min": MINUTES,
    "p95_min": MINUTES,
    "centre_min": MINUTES,
    "secondary_before_min": MINUTES,
    "secondary_after_min": MINUTES,
    "threshold_min": GENERAL,  # 5, 10, 15, 7.5: as given
    # ratios
    "beds_per_1000": RATIO,
    "e2sfca_beds_per_1000": RATIO,
    "beds_per_1000_catchment": RATIO,
    # places
    "lon": DEGREES,
    "lat": DEGREES,
    "lon_gcj02": DEGREES,
    "lat_gcj02": DEGREES,
    "lon_bd09": DEGREES,
    "lat_bd09": DEGREES,
    "area_km2": AREA,
}

#: Formats by the shape of a name not in :data:`NUMBER_FORMATS` (first match wins).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|_)(code|id)$"), TEXT),
    (re.compile(r"^share"), PERCENT),
    (re.compile(r"^(population|covered|uncovered)"), PERSONS),
    (re.compile(r"_min$"), MINUTES),
    (re.compile(r"per_1000"), RATIO),
)

#: Widest a column is made (in characters of ``0``); longer text wraps.
MAX_WIDTH = 50
#: Narrowest a column is made.
MIN_WIDTH = 6


def number_format(column: str) -> str:
    """Return the Excel number format of a contract column.

    Parameters
    ----------
    column
        The column's English contract name (``population``, ``share_covered`` …).

    Returns
    -------
    str
        An Excel number format (:data:`TEXT` for codes); :data:`GENERAL` for a column no
        rule knows.
    """
    if column in NUMBER_FORMATS:
        return NUMBER_FORMATS[column]
    for pattern, fmt in _PATTERNS:
        if pattern.search(column):
            return fmt
    return GENERAL


#: Decimals a number is rounded to in the workbook, by format: a cell holds what it shows
#: (a person is whole, a share keeps its tenth of a percent), so a pasted or summed cell
#: agrees with the page. The CSV files keep every digit.
DECIMALS: dict[str, int] = {
    PERSONS: 0,
    PERCENT: 3,
    MINUTES: 1,
    RATIO: 2,
    DEGREES: 6,
    AREA: 1,
}


def stored(value: float, fmt: str) -> float:
    """Return a number as the workbook holds it: rounded to what its format shows.

    Parameters
    ----------
    value
        The number.
    fmt
        Its number format.

    Returns
    -------
    float
        Rounded to :data:`DECIMALS` of the format (unchanged for :data:`GENERAL`); whole
        persons come back as ``int``.
    """
    if fmt not in DECIMALS:
        return value
    digits = DECIMALS[fmt]
    return round(value) if digits == 0 else round(value, digits)


def display_width(text: str) -> int:
    """Return how many columns a text takes in a spreadsheet: CJK and full-width count 2.

    Parameters
    ----------
    text
        The text (one line; for several, the longest line counts).

    Returns
    -------
    int
        Its width in characters of ``0``.
    """
    lines = str(text).splitlines() or [""]
    return max(
        sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in lines
    )


def shown(value: object, fmt: str) -> str:
    """Return a cell's value as a spreadsheet shows it with a number format (for widths).

    Parameters
    ----------
    value
        The cell's value (text, number or missing).
    fmt
        Its number format.

    Returns
    -------
    str
        The text shown ("" for a missing value).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if fmt == PERSONS:
        return f"{value:,.0f}"
    if fmt == PERCENT:
        return f"{100 * value:.1f}%"
    if fmt in (MINUTES, RATIO, DEGREES):
        return f"{value:.{len(fmt) - 2}f}"
    if fmt == AREA:
        return f"{value:,.1f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.10g}"  # General shows about ten digits


def column_width(header: str, cells: list[str]) -> float:
    """Return a column's width: its longest shown cell or header, plus a margin, capped.

    Parameters
    ----------
    header
        The header text.
    cells
        The cells as shown (:func:`shown`).

    Returns
    -------
    float
        Width in characters of ``0``, from :data:`MIN_WIDTH` to :data:`MAX_WIDTH`.
    """
    longest = max([display_width(header), *(display_width(c) for c in cells)])
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))
