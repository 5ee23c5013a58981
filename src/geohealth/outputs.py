"""Writing output files safely: atomically, and never over an input.

A run that fails leaves no half-written file: everything is written to a temporary file in
the destination folder and moved into place only when complete (``os.replace`` is atomic on
one file system). A command writes its whole folder the same way (:func:`run_folder`): into a
hidden staging folder beside it, put in place only when the run succeeds, replacing only an
earlier run of the same command — never another command's folder or a folder of the user's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rasterio
from affine import Affine

from geohealth import workbook_formats
from geohealth.errors import InputError

log = logging.getLogger(__name__)

#: The file that marks a folder as one command's output (what wrote it, when, from what).
RUN_MARKER = "run.json"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` when the block succeeds.

    Parameters
    ----------
    path
        The final file. Its folder is created if needed.

    Yields
    ------
    pathlib.Path
        A temporary file name in the same folder, with the same suffix (so drivers that
        choose a format by suffix still work). On error it is removed and ``path`` is left
        as it was.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        dir=final.parent, prefix=f".{final.stem}.", suffix="".join(final.suffixes) or ".tmp"
    )
    os.close(handle)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL refuse to write over an existing file
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_geotiff(
    path: str | Path,
    values: np.ndarray,
    *,
    transform: Affine,
    crs: object,
    nodata: float,
    tags: dict[str, str],
    band_names: list[str] | None = None,
) -> Path:
    """Write float32 bands as a compressed, tiled GeoTIFF, atomically.

    Parameters
    ----------
    path
        Output ``.tif``.
    values
        One band (rows, columns) or several (bands, rows, columns).
    transform, crs
        Georeferencing.
    nodata
        The nodata value (may be NaN).
    tags
        Dataset metadata (source, units, attribution).
    band_names
        Band descriptions (shown by QGIS), one per band.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    bands = values[None] if values.ndim == 2 else values
    profile = {
        "driver": "GTiff",
        "width": bands.shape[2],
        "height": bands.shape[1],
        "count": bands.shape[0],
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3,
        "zlevel": 6,  # level 9 takes 10× longer for 3 % less
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(bands.astype(np.float32))
        dst.update_tags(**tags)
        for k, name in enumerate(band_names or [], start=1):
            dst.set_band_description(k, name)
    return Path(path)


def write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a text file atomically.

    Parameters
    ----------
    path
        The file.
    text
        Its contents.
    encoding
        Text encoding (``"utf-8-sig"`` for CSV that Excel opens correctly).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def refuse_inputs(outputs: Iterable[Path], inputs: Iterable[Path | None]) -> None:
    """Fail if any output path is one of the inputs.

    Parameters
    ----------
    outputs
        Files about to be written.
    inputs
        Files a run reads.

    Raises
    ------
    InputError
        If an output would overwrite an input.
    """
    protected = {Path(p).resolve() for p in inputs if p is not None}
    for out in outputs:
        if Path(out).resolve() in protected:
            msg = (
                f"{out}: this is an input file; refusing to overwrite it — choose another "
                "output folder"
            )
            raise InputError(msg)


def workbook_writer(path: Path) -> pd.ExcelWriter:
    """Open an ``.xlsx`` workbook for :func:`write_sheet` (xlsxwriter).

    Text stays text: a name that looks like a formula (``=…``) or a web address is not
    turned into one.

    Parameters
    ----------
    path
        The workbook to write (use :func:`atomic_path`'s temporary path).

    Returns
    -------
    pandas.ExcelWriter
        To use as a context manager.
    """
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    return pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options})


def write_sheet(
    writer: pd.ExcelWriter,
    sheet: str,
    table: pd.DataFrame,
    *,
    headers: Mapping[str, str] | None = None,
    cell_formats: Mapping[str, Sequence[str | None]] | None = None,
) -> None:
    """Add a table as a workbook sheet that reads right as it is.

    Each column gets the number format of its contract name
    (:func:`geohealth.workbook_formats.number_format`): codes as text, persons as whole
    numbers with thousands separators, shares as percentages, minutes with one decimal, each
    number rounded to what it shows (the CSV files keep every digit). The header row is bold
    and frozen, an autofilter covers the table, and every column is as
    wide as its longest cell or header (CJK characters count twice; capped, longer text
    wraps). Missing values are empty cells. Printed, a sheet is landscape, one page wide, with
    the header row repeated on every page.

    Parameters
    ----------
    writer
        An open ``pandas.ExcelWriter`` (xlsxwriter engine, :func:`workbook_writer`).
    sheet
        Sheet name (at most 31 characters).
    table
        The table, its columns named by their contract names (which choose the formats).
    headers
        Header shown for a column (e.g. its Chinese name with units); a column not in it
        shows its own name.
    cell_formats
        Column → one number format per row, for a column whose rows differ (an indicator
        column mixing persons and minutes); None in it keeps the column's format.
    """
    book = writer.book
    ws = book.add_worksheet(sheet)
    names = [str(c) for c in table.columns]
    shown_headers = [str((headers or {}).get(c, c)) for c in names]
    bold = _cell_format(book, bold=True)
    for k, header in enumerate(shown_headers):
        ws.write_string(0, k, header, bold)
    overrides = cell_formats or {}
    for k, column in enumerate(names):
        fmt = workbook_formats.number_format(column)
        per_row = overrides.get(column)
        values = table.iloc[:, k].tolist()
        texts = []
        for r, value in enumerate(values):
            code = per_row[r] if per_row is not None and per_row[r] else fmt
            texts.append(_write_cell(ws, book, r + 1, k, value, code))
        width = workbook_formats.column_width(shown_headers[k], texts)
        ws.set_column(k, k, width)
        if any(workbook_formats.display_width(t) > workbook_formats.MAX_WIDTH for t in texts):
            for r, (value, text) in enumerate(zip(values, texts, strict=True)):
                if workbook_formats.display_width(text) > workbook_formats.MAX_WIDTH:
                    ws.write_string(r + 1, k, str(value), _cell_format(book, text_wrap=True))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(table), 1), max(len(names) - 1, 0))
    # printed: landscape, all columns on the page's width, the header row on every page
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _write_cell(ws: Any, book: Any, row: int, col: int, value: object, fmt: str) -> str:
    """Write one cell with its number format; return the text a spreadsheet shows."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if (
        fmt == workbook_formats.TEXT
        or isinstance(value, str | bool)
        or not isinstance(value, int | float)
    ):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code read as a number: its digits, not 2.39901E+11
        text = str(value)
        ws.write_string(row, col, text, _cell_format(book, num_format=workbook_formats.TEXT))
        return text
    if not np.isfinite(value):
        return ""
    value = workbook_formats.stored(value, fmt)
    ws.write_number(row, col, value, _cell_format(book, num_format=fmt))
    return workbook_formats.shown(value, fmt)


def _cell_format(book: Any, **properties: object) -> Any:
    """One xlsxwriter format per set of properties and workbook (formats are per workbook)."""
    cache = book.__dict__.setdefault("_geohealth_formats", {})
    key = tuple(sorted(properties.items()))
    if key not in cache:
        cache[key] = book.add_format(dict(properties))
    return cache[key]


@contextlib.contextmanager
def run_folder(
    folder: str | Path,
    *,
    command: str,
    inputs: Iterable[Path | None] = (),
    config_file: Path | None = None,
) -> Iterator[Path]:
    """Stage one command's output folder; put it in place whole when the run succeeds.

    Parameters
    ----------
    folder
        The command's output folder, e.g. ``maps/样例县/coverage``.
    command
        The command writing it (``"coverage"``, ``"site-mclp"`` …), recorded in
        :data:`RUN_MARKER`; a folder written by another command is never replaced.
    inputs
        Files the run reads: none may lie inside the folder.
    config_file
        The run configuration, recorded in :data:`RUN_MARKER`.

    Yields
    ------
    pathlib.Path
        A hidden staging folder beside ``folder`` to write every output into. When the block
        succeeds it replaces ``folder`` (an earlier run of the same command); when it fails it
        is removed, and neither ``folder`` nor any folder created for it is left behind.

    Raises
    ------
    InputError
        If ``folder`` holds an input, files geohealth did not write, or another command's
        output.
    """
    final = Path(folder)
    _check_replaceable(final, command=command, inputs=inputs)
    created = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.partial-"))
    try:
        yield stage
        record = {
            "command": command,
            "config": str(config_file) if config_file is not None else None,
            "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "geohealth": _version(),
        }
        write_text(stage / RUN_MARKER, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-"))
            os.replace(final, old / final.name)
        os.replace(stage, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for path in created:  # nearest first: folders made only for this run
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


def staged_to_final(paths: Iterable[Path], stage: Path, final: Path) -> list[Path]:
    """Map files written into a staging folder to where they are once it is in place.

    Parameters
    ----------
    paths
        Files inside ``stage``.
    stage, final
        The staging folder and the folder it became.

    Returns
    -------
    list of pathlib.Path
        The same files under ``final``.
    """
    return [final / Path(p).relative_to(stage) for p in paths]


def _version() -> str:
    from geohealth import __version__

    return __version__


def _check_replaceable(final: Path, *, command: str, inputs: Iterable[Path | None]) -> None:
    """Refuse a folder that holds inputs, the user's files or another command's output."""
    resolved = final.resolve()
    for source in inputs:
        if source is not None and resolved in (
            Path(source).resolve(),
            *Path(source).resolve().parents,
        ):
            msg = (
                f"{final}: the output folder holds the input {source}; replacing it would "
                "delete it — choose another folder with --out (or output.dir)"
            )
            raise InputError(msg)
    if resolved in Path.cwd().resolve().parents or resolved == Path.cwd().resolve():
        msg = f"{final}: the output folder holds the current folder — choose a folder inside it"
        raise InputError(msg)
    if not final.exists():
        return
    if not final.is_dir():
        msg = f"{final} is a file, not a folder — choose another output folder with --out"
        raise InputError(msg)
    if not any(final.iterdir()):
        return
    marker = final / RUN_MARKER
    try:
        written_by = json.loads(marker.read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        written_by = None
    if written_by is None:
        msg = (
            f"{final} already holds files geohealth did not write; it is replaced whole on "
            "every run — choose an empty or new folder with --out"
        )
        raise InputError(msg)
    if written_by != command:
        msg = (
            f"{final} holds the output of 'geohealth {written_by}', not of '{command}' — "
            "choose another folder with --out so neither run replaces the other"
        )
        raise InputError(msg)
