"""Writing output files safely: atomically, and never over an input.

A run that fails leaves no half-written file: everything is written to a temporary file in
the destination folder and moved into place only when complete (``os.replace`` is atomic on
one file system).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from affine import Affine

from geohealth.errors import InputError


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
        "zlevel": 9,
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


def write_sheet(writer: pd.ExcelWriter, sheet: str, table: pd.DataFrame) -> None:
    """Add a table as a workbook sheet: frozen header row, columns as wide as their headers.

    Parameters
    ----------
    writer
        An open ``pandas.ExcelWriter`` (openpyxl engine).
    sheet
        Sheet name (at most 31 characters).
    table
        The table (its column names are the header row).
    """
    table.to_excel(writer, sheet_name=sheet, index=False, freeze_panes=(1, 0))
    ws = writer.sheets[sheet]
    for k, column in enumerate(table.columns, start=1):
        width = max(10, min(40, 2 * len(str(column)) + 2))
        ws.column_dimensions[ws.cell(row=1, column=k).column_letter].width = width
