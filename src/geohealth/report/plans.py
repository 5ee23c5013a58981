"""Siting plans given to the report: read back from the folders ``geohealth site`` wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geohealth.errors import ConfigError
from geohealth.siting.record import PlanRecord, read_record

#: Files a siting output folder must hold for the report.
NEEDED = ("plan.json", "sites.csv", "assignment.gpkg")


@dataclass(frozen=True)
class LoadedPlan:
    """A siting plan as the report uses it.

    Attributes
    ----------
    name
        Short name (from the folder's name) used in file and sheet names.
    folder
        The siting output folder.
    record
        Its ``plan.json``.
    sites
        Its ``sites.csv`` (the chosen sites or centres).
    layers
        ``sites``, ``catchments`` and ``unassigned`` (None when absent) from
        ``assignment.gpkg``.
    """

    name: str
    folder: Path
    record: PlanRecord
    sites: pd.DataFrame
    layers: dict[str, gpd.GeoDataFrame | None]

    @property
    def map_path(self) -> Path:
        """The plan's interactive map."""
        return self.folder / "site_map.html"


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
    return [Path(f) / n for f in folders for n in (*NEEDED, "site_map.html")]


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
        for needed in NEEDED[1:]:
            if not (folder / needed).is_file():
                msg = f"{folder} has plan.json but no {needed} — run 'geohealth site' again"
                raise ConfigError(msg)
        gpkg = folder / "assignment.gpkg"
        names = {str(n) for n in pyogrio.list_layers(gpkg)[:, 0]}
        layers: dict[str, gpd.GeoDataFrame | None] = {
            layer: gpd.read_file(gpkg, layer=layer) if layer in names else None
            for layer in ("sites", "catchments", "unassigned")
        }
        if layers["sites"] is None or layers["catchments"] is None:
            msg = f"{gpkg} lacks its 'sites' or 'catchments' layer — run 'geohealth site' again"
            raise ConfigError(msg)
        base = re.sub(r"[^\w-]+", "_", folder.resolve().name).strip("_") or "plan"
        name, k = base, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        sites = pd.read_csv(folder / "sites.csv", encoding="utf-8-sig", dtype={"site_id": str})
        plans.append(LoadedPlan(name, folder, record, sites, layers))
    return plans
