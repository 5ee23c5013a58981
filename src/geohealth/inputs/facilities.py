"""Health facilities: CSV (UTF-8 or GBK), Excel or a vector file → validated points.

Coordinates are declared as WGS-84, GCJ-02 (AMap/GaoDe, Tencent) or BD-09 (Baidu) and
converted to WGS-84. The result has the columns ``facility_id`` (text), ``name``, ``level``
(a key of :data:`geohealth.inputs.levels.BY_KEY`), ``level_text`` (the text as given),
``beds`` (NaN when unknown), ``township`` (as given, may be missing), ``source_row`` (the
1-based row or feature number in the file) and the file's other columns, with point geometry
in WGS 84 (EPSG:4326). ``attrs`` records the encoding, the coordinate system and the columns
the coordinates came from.

Tables are read as bureaus export them: a title row above the header is skipped, the sheet
holding the list is found, and levels must be known spellings
(:mod:`geohealth.inputs.levels`). Coordinates are handled by
:mod:`geohealth.inputs.facility_coords`: a single AMap ``location`` column
(``116.397128,39.916527``) is split, swapped longitude/latitude and points outside China are
caught, and :func:`~geohealth.inputs.facility_coords.check_inside` (also importable from
here) checks the loaded points against the study region.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth.errors import ConfigError, DuplicateIdError, InputError, LevelInferredWarning
from geohealth.inputs import columns, facility_coords, levels, tables
from geohealth.inputs.boundaries import VECTOR_SUFFIXES, read_vector

# the second step of loading, checking the list against the study region, is
# facility_coords'; it stays callable as facilities.check_inside
from geohealth.inputs.facility_coords import check_inside as check_inside
from geohealth.inputs.facility_coords import describe_rows
from geohealth.inputs.geometry import WGS84

log = logging.getLogger(__name__)


def _read(
    path: Path,
    *,
    encoding: str,
    sheet: str | None,
    layer: str | None,
    header_row: int | None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None, str, np.ndarray]:
    """Read the file; return attributes, the vector layer (if any), encoding, row numbers."""
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        frame = read_vector(path, layer=layer, encoding=None, config_key="facilities.path")
        if frame.empty:
            msg = f"{path.name}: the layer has no features — export the facilities again"
            raise InputError(msg)
        attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        return attrs, frame, "vector", np.arange(1, len(frame) + 1)
    table = tables.read(
        path,
        encoding=encoding,
        sheet=sheet,
        config_key="facilities.path",
        header_row=header_row,
        is_header=columns.is_facility_header,
    )
    if table.row_numbers is not None:
        return table.frame, None, table.encoding, table.row_numbers
    return table.frame, None, table.encoding, np.arange(2, len(table.frame) + 2)


def _counted(values: pd.Series, limit: int = 5) -> str:
    """'text' (count), … for the most frequent values, blanks shown as (blank)."""
    counts = values.fillna("").value_counts()
    shown = ", ".join(
        ("(blank)" if text == "" else f"'{text}'") + f" ({n})"
        for text, n in counts.head(limit).items()
    )
    return shown + (f" and {len(counts) - limit} more" if len(counts) > limit else "")


def _levels(
    attrs: pd.DataFrame,
    *,
    source: str,
    level_column: str | None,
    overrides: Mapping[str, str],
    names: pd.Series,
    row_numbers: np.ndarray,
) -> tuple[pd.Series, pd.Series]:
    for text, key in overrides.items():
        if key not in levels.BY_KEY:
            msg = (
                f"facilities.levels: '{text}' maps to unknown level '{key}' — use one of "
                f"{', '.join(levels.BY_KEY)}"
            )
            raise ConfigError(msg)
    known = ", ".join(levels.BY_KEY)
    level_col = columns.find(
        list(attrs.columns),
        "level",
        layer="facilities",
        configured=level_column,
        source=source,
        required=False,
    )
    if level_col is not None:
        texts = attrs[level_col].astype("string").str.strip()
        keys = levels.classify(texts, overrides)
        unknown = keys.isna()
        if unknown.any():
            bad = texts[unknown]
            example = str(bad.dropna().iloc[0]) if bad.notna().any() else ""
            guess = levels.suggest(example) if example else None
            fix = (
                f'map each in [facilities.levels], e.g. "{example}" = "{guess or "village_clinic"}"'
                if example
                else f"fill in '{level_col}'"
            )
            rows = "1 row has" if unknown.sum() == 1 else f"{int(unknown.sum())} rows have"
            msg = (
                f"{source}: {rows} a level text in '{level_col}' that is not a known "
                f"level: {_counted(bad)} — {fix}; known levels: {known}"
            )
            raise InputError(msg)
        return keys, texts
    texts = names.astype("string")
    msg = f"{source}: no level column; facility levels inferred from names"
    warnings.warn(msg, LevelInferredWarning, stacklevel=4)
    keys = levels.infer_from_names(texts, overrides)
    unknown = keys.isna().to_numpy()
    if unknown.any():
        found = {text: levels.candidates_from_name(text) for text in set(texts[unknown])}
        untold = [i for i in np.flatnonzero(unknown) if not found[texts.iloc[i]]]
        torn = [i for i in np.flatnonzero(unknown) if found[texts.iloc[i]]]
        parts = []
        if untold:
            shown = ", ".join(f"'{texts.iloc[i]}' (row {row_numbers[i]})" for i in untold[:5])
            more = f" and {len(untold) - 5} more" if len(untold) > 5 else ""
            what = "name tells" if len(untold) == 1 else "names tell"
            parts.append(f"{len(untold)} facility {what} no level: {shown}{more}")
        if torn:
            shown = ", ".join(
                f"'{texts.iloc[i]}' (row {row_numbers[i]}: {' or '.join(found[texts.iloc[i]])})"
                for i in torn[:5]
            )
            more = f" and {len(torn) - 5} more" if len(torn) > 5 else ""
            what = "name fits" if len(torn) == 1 else "names fit"
            parts.append(f"{len(torn)} {what} more than one level: {shown}{more}")
        first = texts.iloc[(torn or untold)[0]]
        example = (found[first] or ("village_clinic",))[0]
        msg = (
            f"{source}: no level column, and {'; '.join(parts)} — add a level column "
            f"(机构类别) or set facilities.level_column, or map each name in "
            f'[facilities.levels], e.g. "{first}" = "{example}"; known levels: {known}'
        )
        raise InputError(msg)
    return keys, texts


def _warn_no_primary_care(level_keys: np.ndarray, *, source: str) -> None:
    """Log when no facility gives primary care: valid, but primary coverage will be zero."""
    if not any(levels.serves(str(key), "primary") for key in set(level_keys)):
        log.warning(
            "%s: no primary-care facility in the list (village clinic, township health "
            "centre, community health centre/station, clinic) — primary-care coverage will "
            "be zero",
            source,
        )


def load(
    path: str | Path,
    *,
    coordinate_system: str | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    layer: str | None = None,
    header_row: int | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    level_column: str | None = None,
    beds_column: str | None = None,
    township_column: str | None = None,
    level_map: Mapping[str, str] | None = None,
    drop_missing_coordinates: bool = False,
) -> gpd.GeoDataFrame:
    """Load and validate health facilities.

    Parameters
    ----------
    path
        CSV (UTF-8 or GBK/GB18030, detected), Excel ``.xlsx`` or a point vector file.
    coordinate_system
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``; required for CSV/Excel. For vector files the
        file's CRS is used and this says whether its lon/lat are really GCJ-02/BD-09.
    encoding
        ``"auto"`` (UTF-8, else GBK/GB18030; a Big5 file is named in the error) or a codec
        name such as ``"big5"``, for CSV.
    sheet
        Excel sheet; when None, the first sheet whose first rows hold the facility columns
        (logged when it is not the first sheet).
    layer
        Layer of a multi-layer vector file.
    header_row
        CSV line or sheet row (1-based) of the column names; when None, the first of the
        first 10 rows that names longitude and latitude, or name and level (title rows above
        it are skipped). Row numbers in messages and ``source_row`` stay the file's own.
    id_column, name_column, lon_column, lat_column, level_column, beds_column, township_column
        Column names; recognised automatically when None (机构编码, 机构名称, 经度, 纬度,
        机构类别, 床位数, 所属乡镇 …). Without separate longitude/latitude columns, one
        ``longitude,latitude`` column is split (location, 坐标, 经纬度 …; or name the same
        column as both ``lon_column`` and ``lat_column``). Without an ID column, IDs
        ``F0001``… are made from the row order; without a level column, levels are inferred
        from the names.
    level_map
        Level text (or, without a level column, facility name) → level key, for spellings
        not recognised: a level text must be a known spelling, not merely contain one.
    drop_missing_coordinates
        Drop rows without coordinates (with a warning) instead of failing.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility, point geometry in EPSG:4326 (see the module docstring).

    Raises
    ------
    InputFileNotFoundError, EncodingError, MissingColumnError, CoordinateError,
    DuplicateIdError, InputError, ConfigError
        With a one-line message naming the file and the fix: among others, level texts
        that are not known spellings, names that tell no level or several, longitude and
        latitude swapped, points not in China at all.

    Notes
    -----
    A list without any primary-care facility loads (a hospital-only list is valid) with a
    logged warning that primary-care coverage will be zero.
    """
    path = Path(path)
    source = path.name
    attrs, frame, enc, row_numbers = _read(
        path, encoding=encoding, sheet=sheet, layer=layer, header_row=header_row
    )
    cols = list(attrs.columns)
    name_col = columns.find(cols, "name", layer="facilities", configured=name_column, source=source)
    names = attrs[name_col].astype("string").str.strip()
    blank = (names.isna() | (names == "")).to_numpy()
    if blank.any():
        rows = ", ".join(str(r) for r in row_numbers[blank][:10])
        msg = f"{source}: facility name is blank in row(s) {rows} — fill in '{name_col}'"
        raise InputError(msg)

    id_col = columns.find(
        cols, "id", layer="facilities", configured=id_column, source=source, required=False
    )
    if id_col is None:
        ids = pd.Series([f"F{i:04d}" for i in range(1, len(attrs) + 1)], dtype="string")
        log.info("%s: no facility ID column; numbering facilities F0001…", source)
    else:
        ids = attrs[id_col].astype("string").str.strip()
        blank_id = (ids.isna() | (ids == "")).to_numpy()
        if blank_id.any():
            msg = (
                f"{source}: facility ID is blank for {describe_rows(blank_id, names, row_numbers)} "
                f"— fill in '{id_col}'"
            )
            raise InputError(msg)
        dup = ids.duplicated(keep=False).to_numpy()
        if dup.any():
            repeated = ", ".join(sorted(set(ids[dup].astype(str)))[:5])
            msg = (
                f"{source}: facility IDs repeat ({repeated}: "
                f"{describe_rows(dup, names, row_numbers)}) — give each facility its own "
                f"'{id_col}'"
            )
            raise DuplicateIdError(msg)

    level_keys, level_texts = _levels(
        attrs,
        source=source,
        level_column=level_column,
        overrides=level_map or {},
        names=names,
        row_numbers=row_numbers,
    )
    beds_col = columns.find(
        cols, "beds", layer="facilities", configured=beds_column, source=source, required=False
    )
    beds = (
        tables.to_number(
            attrs[beds_col],
            column=beds_col,
            source=source,
            row_numbers=row_numbers,
            row_label="row" if frame is None else "feature",
        )
        if beds_col is not None
        else pd.Series(np.nan, index=attrs.index)
    )
    if (beds < 0).any():
        msg = f"{source}: negative beds in '{beds_col}' — fix those rows"
        raise InputError(msg)
    town_col = columns.find(
        cols,
        "township",
        layer="facilities",
        configured=township_column,
        source=source,
        required=False,
    )

    lon, lat, keep, (lon_col, lat_col) = facility_coords.read(
        attrs,
        frame,
        source=source,
        lon_column=lon_column,
        lat_column=lat_column,
        system=coordinate_system,
        names=names,
        row_numbers=row_numbers,
        drop_missing=drop_missing_coordinates,
    )
    used = {c for c in (name_col, id_col, beds_col, town_col) if c is not None}
    rest = attrs.drop(columns=[c for c in used if c in attrs.columns])
    rest = rest.drop(
        columns=[
            c
            for c in (
                "facility_id",
                "name",
                "level",
                "level_text",
                "beds",
                "township",
                "source_row",
            )
            if c in rest.columns
        ]
    )
    out = gpd.GeoDataFrame(
        {
            "facility_id": ids.to_numpy()[keep],
            "name": names.to_numpy()[keep],
            "level": level_keys.to_numpy()[keep],
            "level_text": level_texts.to_numpy()[keep],
            "beds": beds.to_numpy(dtype=float)[keep],
            "township": (
                attrs[town_col].astype("string").str.strip().to_numpy()[keep]
                if town_col is not None
                else pd.NA
            ),
            "source_row": row_numbers[keep],
        },
        geometry=shapely.points(lon, lat),
        crs=WGS84,
    )
    for column in rest.columns:
        out[column] = rest[column].to_numpy()[keep]
    out.attrs["encoding"] = enc
    out.attrs["coordinate_system"] = coordinate_system or "wgs84"
    out.attrs["source"] = source
    out.attrs["lon_column"] = lon_col
    out.attrs["lat_column"] = lat_col
    _warn_no_primary_care(out["level"].to_numpy(), source=source)
    log.info(
        "loaded %d facilities from %s (%s, %s)",
        len(out),
        source,
        enc,
        coordinate_system or "file CRS",
    )
    return out
