"""Plans given to the report: read back from the folders ``geohealth site`` or ``whatif`` wrote.

A siting folder holds ``plan.json``, ``sites.csv``, ``assignment.gpkg`` and ``site_map.html``;
a what-if folder holds ``plan.json``, ``whatif.gpkg`` (its ``changes`` and the cells newly or no
longer covered) and ``whatif_map.html``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geohealth.errors import ConfigError
from geohealth.siting.record import PlanRecord, read_record

#: Files a plan folder must hold for the report (besides plan.json), by kind of run.
NEEDED = {"site": ("sites.csv", "assignment.gpkg"), "whatif": ("whatif.gpkg",)}

#: The interactive map of a plan folder, by kind of run.
MAPS = {"site": "site_map.html", "whatif": "whatif_map.html"}


@dataclass(frozen=True)
class LoadedPlan:
    """A siting plan as the report uses it.

    Attributes
    ----------
    name
        Short name (from the folder's name) used in file and sheet names.
    folder
        The plan's output folder.
    record
        Its ``plan.json``.
    sites
        Its ``sites.csv`` (the chosen sites or centres); for a what-if, the changed facilities
        with ``lon``, ``lat``.
    layers
        Siting: ``sites``, ``catchments`` and ``unassigned`` from ``assignment.gpkg``.
        What-if: ``changes``, ``newly`` and ``gone`` (cells newly / no longer covered for the
        record's group and mode) from ``whatif.gpkg``. None where a layer is absent.
    """

    name: str
    folder: Path
    record: PlanRecord
    sites: pd.DataFrame
    layers: dict[str, gpd.GeoDataFrame | None]

    @property
    def run(self) -> str:
        """``"whatif"`` for a what-if folder, else ``"site"``."""
        return "whatif" if self.record.kind == "whatif" else "site"

    @property
    def map_path(self) -> Path:
        """The plan's interactive map."""
        return self.folder / MAPS[self.run]


def plan_inputs(folders: tuple[Path, ...]) -> list[Path]:
    """List the files the report reads from plan folders (outputs must never replace them).

    Parameters
    ----------
    folders
        Siting output folders.

    Returns
    -------
    list of pathlib.Path
        Their files.
    """
    names = ["plan.json", *(n for files in NEEDED.values() for n in files), *MAPS.values()]
    return [Path(f) / n for f in folders for n in names]


def load_plans(folders: tuple[Path, ...]) -> list[LoadedPlan]:
    """Read siting output folders; names are made unique.

    Parameters
    ----------
    folders
        Folders written by ``geohealth site … --out DIR``.

    Returns
    -------
    list of LoadedPlan
        One per folder, in order.

    Raises
    ------
    ConfigError
        If a folder is missing a file (says which, and how to make it).
    """
    plans: list[LoadedPlan] = []
    used: set[str] = set()
    for folder in folders:
        folder = Path(folder)
        record = read_record(folder)
        run = "whatif" if record.kind == "whatif" else "site"
        for needed in NEEDED[run]:
            if not (folder / needed).is_file():
                msg = f"{folder} has plan.json but no {needed} — run 'geohealth {run}' again"
                raise ConfigError(msg)
        if run == "whatif":
            sites, layers = _whatif(folder, record)
        else:
            sites, layers = _siting(folder)
        base = re.sub(r"[^\w-]+", "_", folder.resolve().name).strip("_") or "plan"
        name, k = base, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        plans.append(LoadedPlan(name, folder, record, sites, layers))
    return plans


def _read_layers(gpkg: Path, wanted: dict[str, str]) -> dict[str, gpd.GeoDataFrame | None]:
    """Read layers of a GeoPackage by key → layer name; None for a layer it lacks."""
    names = {str(n) for n in pyogrio.list_layers(gpkg)[:, 0]}
    return {
        key: gpd.read_file(gpkg, layer=layer) if layer in names else None
        for key, layer in wanted.items()
    }


def _siting(folder: Path) -> tuple[pd.DataFrame, dict[str, gpd.GeoDataFrame | None]]:
    gpkg = folder / "assignment.gpkg"
    layers = _read_layers(gpkg, {k: k for k in ("sites", "catchments", "unassigned")})
    if layers["sites"] is None or layers["catchments"] is None:
        msg = f"{gpkg} lacks its 'sites' or 'catchments' layer — run 'geohealth site' again"
        raise ConfigError(msg)
    codes = {c: str for c in ("site_id", "township_code", "facility_id", "centre_id")}
    sites = pd.read_csv(folder / "sites.csv", encoding="utf-8-sig", dtype=codes)
    return sites, layers


def _whatif(
    folder: Path, record: PlanRecord
) -> tuple[pd.DataFrame, dict[str, gpd.GeoDataFrame | None]]:
    gpkg = folder / "whatif.gpkg"
    pair = f"{record.group}_{record.mode}"
    layers = _read_layers(
        gpkg,
        {
            "changes": "changes",
            "newly": f"newly_covered_{pair}",
            "gone": f"no_longer_covered_{pair}",
        },
    )
    changes = layers["changes"]
    if changes is None:
        msg = f"{gpkg} lacks its 'changes' layer — run 'geohealth whatif' again"
        raise ConfigError(msg)
    sites = pd.DataFrame(changes.drop(columns="geometry"))
    sites["lon"] = changes.geometry.x.to_numpy()
    sites["lat"] = changes.geometry.y.to_numpy()
    return sites, layers
