"""Run configuration: a TOML file → a typed, frozen :class:`Settings` object.

Defaults live here and only here. Paths in the file are relative to the file itself, so a
configuration and its data can be moved together. Unknown keys are an error that names the
nearest valid key, because a misspelt key silently ignored is a wrong map in a plan appendix.
The README documents every key with a complete example.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geohealth.e2sfca import Decay
from geohealth.errors import ConfigError

MODES = ("walk", "two_wheeler", "drive")
#: The longest travel time any analysis accepts (minutes): 4 hours by road reaches any
#: secondary-care facility in China's remotest counties; beyond it a threshold is a typo.
MAX_THRESHOLD_MIN = 240.0
COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")
POPULATION_SOURCES = ("raster", "townships")


@dataclass(frozen=True)
class RegionSettings:
    """The study region.

    Attributes
    ----------
    name
        Short name: its slug names the default output folder (``maps/<slug>``).
    title
        The region as a plan names it (``"舒兰市"``): used in every map title, sheet and page;
        ``name`` when omitted.
    metric_crs
        CRS for metric work (areas, distances); ``"auto"`` picks the UTM zone of the region.
    """

    name: str = "study area"
    title: str = ""
    metric_crs: str = "auto"

    def __post_init__(self) -> None:
        if not self.title.strip():
            object.__setattr__(self, "title", self.name)


@dataclass(frozen=True)
class BoundariesSettings:
    """Township boundaries (GeoPackage, GeoJSON or Shapefile).

    Attributes
    ----------
    path
        The file.
    layer
        Layer name for multi-layer files (GeoPackage); the first layer when omitted.
    crs
        CRS to assume when the file declares none (e.g. ``"EPSG:4490"`` for CGCS2000, or a
        projected one such as ``"EPSG:4526"`` for a Gauss–Krüger file whose ``.prj`` was lost).
    coordinate_system
        What the longitudes and latitudes are when the file is in degrees: ``"wgs84"``
        (CGCS2000, GPS; the default), ``"gcj02"`` (exported from AMap/GaoDe or Tencent) or
        ``"bd09"`` (Baidu); GCJ-02 and BD-09 outlines are converted to WGS-84.
    encoding
        Attribute encoding for Shapefiles without a ``.cpg`` file (``"gbk"``); detected
        (UTF-8, else GBK/GB18030) when omitted.
    name_column, code_column, population_column
        Column names; recognised automatically when omitted (名称/乡镇, 代码, 人口 …).
    """

    path: Path
    layer: str | None = None
    crs: str | None = None
    coordinate_system: str | None = None
    encoding: str | None = None
    name_column: str | None = None
    code_column: str | None = None
    population_column: str | None = None


@dataclass(frozen=True)
class FacilitiesSettings:
    """Health facilities (CSV, Excel .xlsx, or a vector file such as GeoJSON).

    Attributes
    ----------
    path
        The file.
    coordinate_system
        What the coordinates are: ``"wgs84"`` (GPS, OSM, CGCS2000), ``"gcj02"`` (AMap/GaoDe,
        Tencent) or ``"bd09"`` (Baidu). Required for CSV and Excel, which carry no CRS.
    encoding
        ``"auto"`` (UTF-8, else GBK/GB18030) or a codec name.
    sheet
        Excel sheet name; when omitted, the first sheet that has the facility columns.
    header_row
        Row number (1-based) of the header in a CSV or Excel sheet; found automatically when
        omitted (title rows above the header are skipped).
    layer
        Layer of a multi-layer vector file.
    id_column, name_column, lon_column, lat_column, level_column, beds_column, township_column
        Column names; recognised automatically when omitted (机构编码, 机构名称, 经度, 纬度,
        机构类别, 床位数, 所属乡镇 …).
    levels
        Exact level text → canonical level key, for spellings not recognised automatically.
    outside_buffer_km
        Facilities outside every township but within this distance are kept (they serve
        residents across the border) with a warning; farther ones are an error (km).
    drop_outside
        Drop facilities beyond ``outside_buffer_km`` with a warning instead of failing.
    drop_missing_coordinates
        Drop rows without coordinates with a warning instead of failing.
    """

    path: Path
    coordinate_system: str | None = None
    encoding: str = "auto"
    sheet: str | None = None
    header_row: int | None = None
    layer: str | None = None
    id_column: str | None = None
    name_column: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    level_column: str | None = None
    beds_column: str | None = None
    township_column: str | None = None
    levels: dict[str, str] = field(default_factory=dict)
    outside_buffer_km: float = 20.0
    drop_outside: bool = False
    drop_missing_coordinates: bool = False


@dataclass(frozen=True)
class PopulationSettings:
    """Where people live.

    Attributes
    ----------
    source
        ``"raster"`` (a population raster such as WorldPop) or ``"townships"`` (township
        totals spread evenly over each township). Defaults to ``"raster"`` when a raster is
        named, else ``"townships"``.
    raster
        A GeoTIFF of persons per cell.
    crs
        CRS to assume when the raster declares none.
    nodata
        Nodata value to use when the raster declares none (or declares the wrong one).
    band
        Band number (1-based).
    resolution_m
        Cell size for spreading township totals (metres).
    mismatch_warn_share
        Warn when raster and township totals differ by more than this share (0.05 = 5 %).
    """

    source: str | None = None
    raster: Path | None = None
    crs: str | None = None
    nodata: float | None = None
    band: int = 1
    resolution_m: float = 100.0
    mismatch_warn_share: float = 0.05


@dataclass(frozen=True)
class NetworkSettings:
    """Road network.

    Attributes
    ----------
    osm
        An OpenStreetMap extract (``.osm.pbf`` or ``.osm`` XML) covering the region.
    profiles
        A travel-profiles TOML file (speeds per road class and mode); geohealth's defaults
        when omitted.
    dem
        A digital elevation model (GeoTIFF, metres) covering the extract: walking and
        two-wheeler times then follow the grade, per direction; flat when omitted.
    max_snap_m
        Facilities farther than this from any road are reported (metres).
    max_walk_m
        Walking reach (metres): every home, facility and proposed site is linked to every
        road of the mode this close (straight-line walk), and travels by whichever is
        fastest. A home with no road that close cannot reach care by the mode (counted,
        and named in a warning above 5 % of the people); a facility or site walks to its
        nearest road. Coverage, service circles, E2SFCA, referral and siting all use it.
    cache
        Keep the parsed extract in the cache folder so later runs skip parsing.
    """

    osm: Path | None = None
    profiles: Path | None = None
    dem: Path | None = None
    max_snap_m: float = 1000.0
    max_walk_m: float = 300.0
    cache: bool = True


@dataclass(frozen=True)
class AnalysisSettings:
    """What to compute.

    Attributes
    ----------
    modes
        Travel modes: ``"walk"``, ``"two_wheeler"`` (e-bike / motorbike), ``"drive"``.
    thresholds_min
        Travel-time thresholds (minutes) reported in the tables.
    target_min
        The service-circle target (minutes) the map and the uncovered-population layers
        show; 15 for the 15-minute medical service circle.
    walk_circle_m
        Spacing (metres) of the lattice the walking service circles are contoured on: the
        population grid's cell centres, refined until at most this far apart. Other modes
        use the population grid's cells.
    """

    modes: tuple[str, ...] = MODES
    thresholds_min: tuple[float, ...] = (5.0, 10.0, 15.0, 30.0)
    target_min: float = 15.0
    walk_circle_m: float = 50.0


@dataclass(frozen=True)
class AccessSettings:
    """Supply-aware access: the E2SFCA index of beds per 1 000 residents.

    Attributes
    ----------
    decay
        ``"steps"`` (a weight per time band) or ``"gaussian"``.
    step_limits_min, step_weights
        The bands' upper limits (minutes, inclusive, rising) and their weights; Luo & Qi's
        1 / 0.68 / 0.22 for ≤10 / ≤20 / ≤30 minutes by default.
    sigma_min
        Width of the Gaussian decay (minutes).
    catchment_min
        No trip longer than this counts.
    """

    decay: str = "steps"
    step_limits_min: tuple[float, ...] = (10.0, 20.0, 30.0)
    step_weights: tuple[float, ...] = (1.0, 0.68, 0.22)
    sigma_min: float = 15.0
    catchment_min: float = 30.0


#: Basemaps of the interactive maps (see :mod:`geohealth.webmap.basemaps`).
BASEMAPS = ("osm", "amap", "amap-satellite", "tianditu", "none")


@dataclass(frozen=True)
class OutputSettings:
    """Where results go.

    Attributes
    ----------
    dir
        Output folder; ``maps/<region name>`` under the current folder when omitted.
    language
        ``"zh"`` or ``"en"``: the language of messages, errors, help and summary lines on the
        command line; when omitted, ``GEOHEALTH_LANG`` or the system locale (``zh_CN`` → zh),
        else English.
    table_language
        ``"zh"`` or ``"en"``: headers and labels of the workbook (``coverage.xlsx``); the CSV
        files always carry the English column names of the output contract.
    basemap
        Tiles under the interactive maps: one of :data:`BASEMAPS`. GCJ-02 tiles (AMap) get
        every overlay shifted to GCJ-02 so they line up; ``"none"`` draws a plain background.
    tianditu_key
        Key for the Tianditu (天地图) tile service, needed when ``basemap = "tianditu"``.
    """

    dir: Path | None = None
    language: str | None = None
    table_language: str = "zh"
    basemap: str = "osm"
    tianditu_key: str | None = None


#: Page sizes of the print maps.
PAGE_SIZES = ("A4", "A3")


@dataclass(frozen=True)
class ReportSettings:
    """What ``geohealth report`` puts into the report folder (command-line flags override).

    Attributes
    ----------
    pages
        Page sizes of the print maps, from :data:`PAGE_SIZES`.
    goal
        Share of residents a township should have within ``analysis.target_min`` (summary).
    plans
        Folders written by ``geohealth site … --out DIR`` to include (maps, tables, effect).
    """

    pages: tuple[str, ...] = PAGE_SIZES
    goal: float = 0.9
    plans: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Settings:
    """A whole run configuration.

    Attributes
    ----------
    source
        The configuration file it was read from (None when built in code).
    """

    boundaries: BoundariesSettings
    facilities: FacilitiesSettings
    region: RegionSettings = field(default_factory=RegionSettings)
    population: PopulationSettings = field(default_factory=PopulationSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    source: Path | None = None

    @property
    def output_dir(self) -> Path:
        """The output folder: ``output.dir``, else ``maps/<slug of region name>``."""
        if self.output.dir is not None:
            return self.output.dir
        return Path("maps") / slug(self.region.name)

    def command_dir(self, name: str) -> Path:
        """Return the default folder of one command's outputs: ``<output_dir>/<name>``.

        Parameters
        ----------
        name
            The command's folder name: ``coverage``, ``site-mclp``, ``whatif-<name>`` …

        Returns
        -------
        pathlib.Path
            A folder of its own, so no command's run replaces another's files.
        """
        return self.output_dir / slug(name)


def slug(name: str) -> str:
    """Make a folder-safe name, keeping Chinese characters.

    Parameters
    ----------
    name
        A region name.

    Returns
    -------
    str
        Lower-case words joined by hyphens; ``"region"`` when nothing is left.
    """
    text = re.sub(r"[^\w\u4e00-\u9fff]+", "-", name.strip().lower()).strip("-")
    return text or "region"


_SECTIONS: dict[str, type] = {
    "region": RegionSettings,
    "boundaries": BoundariesSettings,
    "facilities": FacilitiesSettings,
    "population": PopulationSettings,
    "network": NetworkSettings,
    "analysis": AnalysisSettings,
    "access": AccessSettings,
    "output": OutputSettings,
    "report": ReportSettings,
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "facilities.coordinate_system": COORDINATE_SYSTEMS,
    "boundaries.coordinate_system": COORDINATE_SYSTEMS,
    "population.source": POPULATION_SOURCES,
    "access.decay": ("steps", "gaussian"),
    "output.language": ("zh", "en"),
    "output.table_language": ("zh", "en"),
    "output.basemap": BASEMAPS,
}


def _unknown_key(key: str, valid: list[str], where: str) -> ConfigError:
    scope = f"{where}." if where else ""
    near = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"did you mean '{scope}{near[0]}'?" if near else f"valid keys are: {', '.join(valid)}"
    return ConfigError(f"unknown key '{scope}{key}' — {hint}")


def _convert(value: Any, hint: Any, key: str, base: Path) -> Any:
    """Check and convert one TOML value against a dataclass field's type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(value, options[0], key, base)
    if hint is Path:
        if not isinstance(value, str) or not value:
            msg = f"{key} must be a file path in quotes, got {value!r}"
            raise ConfigError(msg)
        if any(ch in value for ch in "\t\n\r\b\f"):
            msg = f"{key} = {value!r}: a backslash became a control character — {_WINDOWS_PATHS}"
            raise ConfigError(msg)
        path = Path(value).expanduser()
        # normpath folds "data/../maps" into "maps" without resolving symlinks
        return Path(os.path.normpath(path if path.is_absolute() else base / path))
    if hint is str:
        if not isinstance(value, str):
            msg = f"{key} must be text in quotes, got {value!r}"
            raise ConfigError(msg)
        choices = _CHOICES.get(key)
        if choices and value.lower() not in choices:
            msg = f"{key} = '{value}' is not one of: {', '.join(choices)}"
            raise ConfigError(msg)
        return value.lower() if choices else value
    if hint is bool:
        if not isinstance(value, bool):
            msg = f"{key} must be true or false, got {value!r}"
            raise ConfigError(msg)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"{key} must be a whole number, got {value!r}"
            raise ConfigError(msg)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = f"{key} must be a number, got {value!r}"
            raise ConfigError(msg)
        return float(value)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, list):
            msg = f"{key} must be a list like [1, 2], got {value!r}"
            raise ConfigError(msg)
        return tuple(_convert(v, item, f"{key}[{i}]", base) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            msg = f'{key} must be a table of "text" = "value" pairs'
            raise ConfigError(msg)
        return {str(k): _convert(v, str, f"{key}.{k}", base) for k, v in value.items()}
    msg = f"{key}: unsupported setting type {hint!r}"
    raise ConfigError(msg)  # pragma: no cover


def _section(cls: type, table: dict[str, Any], name: str, base: Path) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in table:
        if key not in fields:
            raise _unknown_key(key, list(fields), name)
    values = {}
    for fname, fdef in fields.items():
        if fname in table:
            values[fname] = _convert(table[fname], hints[fname], f"{name}.{fname}", base)
        elif fdef.default is dataclasses.MISSING and fdef.default_factory is dataclasses.MISSING:
            msg = f"missing required key '{name}.{fname}' — add it to [{name}]"
            raise ConfigError(msg)
    return cls(**values)


def from_dict(data: dict[str, Any], *, base_dir: Path, source: Path | None = None) -> Settings:
    """Build settings from an already parsed TOML document.

    Parameters
    ----------
    data
        The parsed document.
    base_dir
        Folder that relative paths are resolved against.
    source
        The file the document came from, recorded in the result.

    Returns
    -------
    Settings
        Validated settings.

    Raises
    ------
    ConfigError
        On unknown or missing keys, wrong value types or invalid choices.
    """
    for key, value in data.items():
        if key not in _SECTIONS:
            raise _unknown_key(key, list(_SECTIONS), "")
        if not isinstance(value, dict):
            msg = f"'{key}' must be a section: write [{key}] on its own line"
            raise ConfigError(msg)
    for required in ("boundaries", "facilities"):
        if required not in data:
            msg = f"missing section [{required}] — see the README's example"
            raise ConfigError(msg)
    sections = {
        name: _section(cls, data[name], name, base_dir)
        for name, cls in _SECTIONS.items()
        if name in data
    }
    settings = Settings(**sections, source=source)
    _check_consistency(settings)
    return settings


def _check_consistency(settings: Settings) -> None:
    population = settings.population
    if population.source == "raster" and population.raster is None:
        msg = (
            "population.source is 'raster' but population.raster is not set "
            "— name the GeoTIFF, or use source = 'townships'"
        )
        raise ConfigError(msg)
    for mode in settings.analysis.modes:
        if mode not in MODES:
            near = difflib.get_close_matches(mode, MODES, n=1, cutoff=0.5)
            hint = f"did you mean '{near[0]}'?" if near else f"use {', '.join(MODES)}"
            msg = f"analysis.modes: unknown mode '{mode}' — {hint}"
            raise ConfigError(msg)
    for threshold in settings.analysis.thresholds_min:
        check_minutes(threshold, key="analysis.thresholds_min")
    check_minutes(settings.analysis.target_min, key="analysis.target_min")
    check_minutes(settings.access.catchment_min, key="access.catchment_min")
    if settings.facilities.header_row is not None and settings.facilities.header_row < 1:
        msg = "facilities.header_row counts from 1 (the first row of the file or sheet)"
        raise ConfigError(msg)
    if len(settings.access.step_limits_min) != len(settings.access.step_weights):
        msg = (
            f"access: {len(settings.access.step_limits_min)} step limits but "
            f"{len(settings.access.step_weights)} step weights — give one weight per limit"
        )
        raise ConfigError(msg)
    access_decay(settings)  # the decay's own checks
    if settings.facilities.outside_buffer_km < 0:
        msg = "facilities.outside_buffer_km must be ≥ 0 (kilometres)"
        raise ConfigError(msg)
    if settings.network.max_snap_m <= 0:
        msg = "network.max_snap_m must be > 0 (metres)"
        raise ConfigError(msg)
    if not 5 <= settings.analysis.walk_circle_m <= 1000:
        msg = (
            f"analysis.walk_circle_m = {settings.analysis.walk_circle_m:g} — give the walking "
            "circles' lattice spacing in metres, from 5 to 1000 (default 50)"
        )
        raise ConfigError(msg)
    if not 0 < settings.network.max_walk_m <= 5000:
        msg = (
            f"network.max_walk_m = {settings.network.max_walk_m:g} — give the walking reach "
            "to a road in metres, more than 0 and at most 5000 (default 300)"
        )
        raise ConfigError(msg)
    if population.resolution_m <= 0:
        msg = "population.resolution_m must be > 0 (metres)"
        raise ConfigError(msg)
    if population.band < 1:
        msg = "population.band counts from 1"
        raise ConfigError(msg)
    for size in settings.report.pages:
        if size not in PAGE_SIZES:
            msg = f"report.pages: unknown page size '{size}' — use {' or '.join(PAGE_SIZES)}"
            raise ConfigError(msg)
    if not 0 < settings.report.goal <= 1:
        msg = f"report.goal = {settings.report.goal:g} — give a share between 0 and 1, e.g. 0.9"
        raise ConfigError(msg)


def check_minutes(value: float, *, key: str) -> float:
    """Check a travel-time threshold against the range any analysis accepts.

    Parameters
    ----------
    value
        The threshold (minutes).
    key
        The configuration key or command-line option it came from, for the message.

    Returns
    -------
    float
        ``value``.

    Raises
    ------
    ConfigError
        If it is negative, not finite, or longer than :data:`MAX_THRESHOLD_MIN`.
    """
    if not value >= 0:
        msg = f"{key}: {value:g} is negative or not a number — use minutes ≥ 0, e.g. 15"
        raise ConfigError(msg)
    if value > MAX_THRESHOLD_MIN:
        msg = (
            f"{key}: {value:g} minutes is longer than any trip geohealth times "
            f"(at most {MAX_THRESHOLD_MIN:g}) — give minutes, e.g. 15 or 30, not seconds"
        )
        raise ConfigError(msg)
    return value


def access_decay(settings: Settings) -> Decay:
    """Return the E2SFCA distance decay a configuration describes.

    Parameters
    ----------
    settings
        A run configuration.

    Returns
    -------
    geohealth.e2sfca.Decay
        The decay.

    Raises
    ------
    ConfigError
        If the steps do not rise or a weight or width is out of range.
    """
    a = settings.access
    return Decay(
        kind=a.decay,
        steps=tuple(zip(a.step_limits_min, a.step_weights, strict=True)),
        sigma_min=a.sigma_min,
        catchment_min=a.catchment_min,
    )


#: Windows path advice, for backslashes TOML reads as escapes.
_WINDOWS_PATHS = (
    'write Windows paths with forward slashes ("D:/data/towns.gpkg") or in single quotes '
    "('D:\\data\\towns.gpkg')"
)


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """One line for a TOML syntax error; Windows paths with backslashes get their own advice."""
    found = re.search(r"line (\d+)", str(exc))
    line_no = int(found.group(1)) if found else None
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    line = lines[line_no - 1] if line_no and 0 < line_no <= len(lines) else ""
    if "\\" in line and '"' in line:
        return f'{path.name}, line {line_no}: backslashes in "…" start escapes — {_WINDOWS_PATHS}'
    return f"{path.name}: not valid TOML ({exc}) — fix the line it names"


def load(path: str | Path) -> Settings:
    """Read a run configuration file.

    Parameters
    ----------
    path
        A TOML file.

    Returns
    -------
    Settings
        Validated settings with paths resolved against the file's folder.

    Raises
    ------
    ConfigError
        If the file is missing, not valid TOML, or its contents are invalid.
    """
    path = Path(path)
    if not path.is_file():
        msg = (
            f"{path}: configuration file not found — give the path to a .toml "
            "file (see the README's example)"
        )
        raise ConfigError(msg)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, exc)) from None
    except UnicodeDecodeError:
        msg = f"{path.name}: configuration files must be saved as UTF-8"
        raise ConfigError(msg) from None
    try:
        return from_dict(data, base_dir=path.resolve().parent, source=path)
    except ConfigError as exc:
        msg = f"{path.name}: {exc}"
        raise ConfigError(msg) from None
