# ruff: noqa: E501 - one entry a line: each English key stays whole, to find it with grep
"""Chinese wording of what the command line says (data only; see :mod:`geohealth.language`).

``ERRORS`` holds every error and warning message geohealth raises, keyed by its English
template exactly as the source writes it (the f-string, ``{…}`` fields as written); the
Chinese template uses the same fields, whose values are kept as given (file names, column
names, numbers). ``tests/test_language.py`` scans the source and fails on a message with no
entry here, or on an entry no message uses any more.

``FRAGMENTS`` are parts of messages made elsewhere and put into a field (a hint, a fix);
``FIELD_VALUES`` are the fixed words a named field takes (a unit, a care group). Both are
translated only inside a message. ``SUMMARIES`` are the summary lines the planning models
print; ``LOG`` the progress lines the library logs (``%`` formats); ``CLICK`` are click's own
words (usage, headings, its usage errors).
"""

from __future__ import annotations

#: English message template → Chinese template, by the module that raises it.
ERRORS: dict[str, str] = {
    # cli/__init__.py
    "--tiles {value}: not a positive square number — use 1, 4, 16 or 64 (the sample county repeated √K × √K times in one region)": "--tiles {value}：不是正的平方数 — 请用 1、4、16 或 64（样例县在一个区域内重复 √K × √K 次）",
    # cli/report.py
    "--goal {goal:g} — give a share between 0 and 1, e.g. 0.9": "--goal {goal:g} — 请给出 0 到 1 之间的比例，例如 0.9",
    "{inside[0]} is an input inside the report folder {folder} — choose another --out": "{inside[0]} 是报告文件夹 {folder} 里的输入文件 — 请另选 --out",
    "{plan.folder} is a plan for '{plan.record.region}', not for '{settings.region.name}' — give the same configuration to site and report": "{plan.folder} 是“{plan.record.region}”的方案，不是“{settings.region.name}”的 — site 和 report 请使用同一个配置文件",
    # cli/siting.py
    "--add {add}: open at least one new site": "--add {add}：至少要新开一个选址",
    "give --p (sites in total, fixed ones included) or --add (new sites on top of the existing ones), not both": "--p（选址总数，含固定选址）和 --add（在现有机构之外新增的选址数）只能给一个",
    "--add is for mclp, pmedian and --preset ambulance; {what} chooses how many itself": "--add 只用于 mclp、pmedian 和 --preset ambulance；{what} 自行决定选址个数",
    "--preset {preset} is a maximal covering model — drop --problem {problem}": "--preset {preset} 是最大覆盖模型 — 请去掉 --problem {problem}",
    "give --problem {'|'.join(models.PROBLEMS)}, or --preset {'|'.join(models.PRESETS)}": "请给出 --problem {'|'.join(models.PROBLEMS)}，或 --preset {'|'.join(models.PRESETS)}",
    "nothing to test — give --add LON,LAT,LEVEL, --close ID or --upgrade ID=LEVEL": "没有要测试的变化 — 请给出 --add LON,LAT,LEVEL（经度,纬度,级别）、--close ID 或 --upgrade ID=LEVEL",
    "--threshold {limit:g} is not among analysis.thresholds_min ({listed})": "--threshold {limit:g} 不在 analysis.thresholds_min（{listed}）之中",
    # config.py
    "{key} = '{value}' is not one of: {', '.join(choices)}": "{key} = '{value}' 不是可选值之一：{', '.join(choices)}",
    "{key} = {value!r}: a backslash became a control character — {_WINDOWS_PATHS}": "{key} = {value!r}：反斜杠变成了控制字符 — {_WINDOWS_PATHS}",
    "{key} must be a file path in quotes, got {value!r}": "{key} 应为加引号的文件路径，实际为 {value!r}",
    "{key} must be a list like [1, 2], got {value!r}": "{key} 应为列表，如 [1, 2]，实际为 {value!r}",
    "{key} must be a number, got {value!r}": "{key} 应为数字，实际为 {value!r}",
    '{key} must be a table of "text" = "value" pairs': '{key} 应为由 "文本" = "值" 组成的表',
    "{key} must be a whole number, got {value!r}": "{key} 应为整数，实际为 {value!r}",
    "{key} must be text in quotes, got {value!r}": "{key} 应为加引号的文本，实际为 {value!r}",
    "{key} must be true or false, got {value!r}": "{key} 应为 true 或 false，实际为 {value!r}",
    "{key}: unsupported setting type {hint!r}": "{key}：不支持的设置类型 {hint!r}",
    "missing required key '{name}.{fname}' — add it to [{name}]": "缺少必填项 '{name}.{fname}' — 请加到 [{name}] 中",
    "'{key}' must be a section: write [{key}] on its own line": "'{key}' 应为一个节：请把 [{key}] 单独写一行",
    "missing section [{required}] — see the README's example": "缺少节 [{required}] — 参见 README 中的示例",
    "population.source is 'raster' but population.raster is not set — name the GeoTIFF, or use source = 'townships'": "population.source 为 'raster'，但没有设置 population.raster — 请给出 GeoTIFF 文件，或改用 source = 'townships'",
    "analysis.modes: unknown mode '{mode}' — {hint}": "analysis.modes：未知出行方式 '{mode}' — {hint}",
    "facilities.header_row counts from 1 (the first row of the file or sheet)": "facilities.header_row 从 1 开始计数（文件或工作表的第一行）",
    "access: {len(settings.access.step_limits_min)} step limits but {len(settings.access.step_weights)} step weights — give one weight per limit": "access：有 {len(settings.access.step_limits_min)} 个分段时限，却有 {len(settings.access.step_weights)} 个分段权重 — 每个时限对应一个权重",
    "facilities.outside_buffer_km must be ≥ 0 (kilometres)": "facilities.outside_buffer_km 应 ≥ 0（千米）",
    "network.max_snap_m must be > 0 (metres)": "network.max_snap_m 应 > 0（米）",
    "analysis.walk_circle_m = {settings.analysis.walk_circle_m:g} — give the walking circles' lattice spacing in metres, from 5 to 1000 (default 50)": "analysis.walk_circle_m = {settings.analysis.walk_circle_m:g} — 请给出步行服务圈的格网间距（米），5 到 1000（默认 50）",
    "network.max_walk_m = {settings.network.max_walk_m:g} — give the walking reach to a road in metres, more than 0 and at most 5000 (default 300)": "network.max_walk_m = {settings.network.max_walk_m:g} — 请给出步行到道路的最远距离（米），大于 0 且不超过 5000（默认 300）",
    "population.resolution_m must be > 0 (metres)": "population.resolution_m 应 > 0（米）",
    "population.band counts from 1": "population.band 从 1 开始计数",
    "report.goal = {settings.report.goal:g} — give a share between 0 and 1, e.g. 0.9": "report.goal = {settings.report.goal:g} — 请给出 0 到 1 之间的比例，例如 0.9",
    "report.pages: unknown page size '{size}' — use {' or '.join(PAGE_SIZES)}": "report.pages：未知纸张尺寸 '{size}' — 请用 {' or '.join(PAGE_SIZES)}",
    "{key}: {value:g} is negative or not a number — use minutes ≥ 0, e.g. 15": "{key}：{value:g} 是负数或不是数字 — 请给出 ≥ 0 的分钟数，例如 15",
    "{key}: {value:g} minutes is longer than any trip geohealth times (at most {MAX_THRESHOLD_MIN:g}) — give minutes, e.g. 15 or 30, not seconds": "{key}：{value:g} 分钟超过了 geohealth 计算的最长行程（最多 {MAX_THRESHOLD_MIN:g} 分钟）— 请以分钟给出，例如 15 或 30，而不是秒",
    "{path}: configuration file not found — give the path to a .toml file (see the README's example)": "{path}：找不到配置文件 — 请给出 .toml 文件的路径（参见 README 中的示例）",
    '{path.name}, line {line_no}: backslashes in "…" start escapes — {_WINDOWS_PATHS}': '{path.name}，第 {line_no} 行："…" 中的反斜杠会开始转义序列 — {_WINDOWS_PATHS}',
    "{path.name}: not valid TOML ({exc}) — fix the line it names": "{path.name}：不是有效的 TOML（{exc}）— 请修改其中指出的那一行",
    "{path.name}: configuration files must be saved as UTF-8": "{path.name}：配置文件必须保存为 UTF-8 编码",
    "{path.name}: {exc}": "{path.name}：{exc}",
    # coverage.py
    "travel times {minutes.shape} and population grid {grid.shape} are not aligned": "出行时间 {minutes.shape} 与人口格网 {grid.shape} 没有对齐",
    "thresholds must be ≥ 0 minutes, got {list(thresholds_min)}": "时间阈值应 ≥ 0 分钟，实际为 {list(thresholds_min)}",
    "no facility of the groups {', '.join(groups)} — check facilities.levels": "没有属于 {', '.join(groups)} 类别的医疗机构 — 请检查 facilities.levels",
    "{names}: {people:,.0f} people ({people / total:.1%}) live farther than {reach_m:g} m from any road of the mode and are counted as not reaching care — check the extract has the roads there, or raise network.max_walk_m": "{names}：{people:,.0f} 人（{people / total:.1%}）住在离该出行方式的任何道路超过 {reach_m:g} 米的地方，按无法到达医疗机构计 — 请检查路网数据是否包含那里的道路，或调大 network.max_walk_m",
    # e2sfca.py
    "access.decay must be 'steps' or 'gaussian', got '{self.kind}'": "access.decay 应为 'steps' 或 'gaussian'，实际为 '{self.kind}'",
    "access.catchment_min must be > 0 minutes, got {self.catchment_min}": "access.catchment_min 应 > 0 分钟，实际为 {self.catchment_min}",
    "access step limits must rise strictly, got {limits}": "access 的分段时限必须严格递增，实际为 {limits}",
    "access step weights must be ≥ 0": "access 的分段权重应 ≥ 0",
    "access.sigma_min must be > 0 minutes, got {self.sigma_min}": "access.sigma_min 应 > 0 分钟，实际为 {self.sigma_min}",
    # inputs/boundaries.py
    "{path.name}: {len(listed)} layers and {prefix}.layer is not set ({which}): {described} — set {prefix}.layer = '{example}' (or the right one)": "{path.name}：有 {len(listed)} 个图层，但没有设置 {prefix}.layer（{which}）：{described} — 请设置 {prefix}.layer = '{example}'（或正确的图层）",
    "{path.name}: layer '{layer}' not found; layers are: {', '.join(names)} — fix {prefix}.layer": "{path.name}：找不到图层 '{layer}'；现有图层：{', '.join(names)} — 请修改 {prefix}.layer",
    "{path.name}: not a readable vector file ({exc}) — re-export it as GeoPackage": "{path.name}：无法读取的矢量文件（{exc}）— 请重新导出为 GeoPackage",
    "{path.name}: unknown encoding '{encoding}' — fix {prefix}.encoding (e.g. 'gbk')": "{path.name}：未知编码 '{encoding}' — 请修改 {prefix}.encoding（例如 'gbk'）",
    "{path.name}: the attributes are not valid {used or 'UTF-8'} text — set {prefix}.encoding to the file's encoding (e.g. 'gbk')": "{path.name}：属性不是有效的 {used or 'UTF-8'} 文本 — 请把 {prefix}.encoding 设为文件的编码（例如 'gbk'）",
    "{source}: the layer has no features — export the townships again": "{source}：图层中没有要素 — 请重新导出乡镇边界",
    "{source}: township name is blank in feature(s) {rows} — fill in '{name_col}'": "{source}：要素 {rows} 的乡镇名称为空 — 请填写“{name_col}”",
    "{source}: township codes repeat ({shown}) — each township needs its own code in '{code_col}'": "{source}：乡镇代码重复（{shown}）— 每个乡镇在“{code_col}”中需要各自的代码",
    "{source}: township(s) with empty geometry: {bad} — draw their boundaries": "{source}：以下乡镇没有几何图形：{bad} — 请绘制其边界",
    "{source}: township boundaries must be polygons, found {', '.join(sorted(set(frame.geom_type)))} — give the polygon layer": "{source}：乡镇边界必须是面，实际为 {', '.join(sorted(set(frame.geom_type)))} — 请提供面图层",
    "{source}: negative population in '{pop_col}' — fix those townships": "{source}：“{pop_col}”中有负的人口数 — 请修正这些乡镇",
    # inputs/columns.py
    "{source}: column '{configured}' not found; columns are: {present} — set {key} to one of them": "{source}：找不到列“{configured}”；现有的列：{present} — 请把 {key} 设为其中之一",
    "{source}: no {ROLE_LABELS[role]} column recognised (looked for {looked_for} …); columns are: {present} — set {key}": "{source}：没有识别出{ROLE_LABELS[role]}列（查找过 {looked_for} …）；现有的列：{present} — 请设置 {key}",
    # inputs/encodings.py
    "{source}: not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset {exc.start}) — set {key} to the file's encoding, or to 'auto' (UTF-8, GBK/GB18030 and Big5 are detected)": "{source}：不是有效的 {encoding} 文本（偏移 {exc.start} 处的字节 0x{raw[exc.start]:02x}）— 请把 {key} 设为文件的编码，或设为 'auto'（可自动识别 UTF-8、GBK/GB18030 和 Big5）",
    "{source}: read as {encoding} the text comes out garbled ({_first_cells(text)}) — set {key} to the file's real encoding (e.g. 'big5'), or to 'auto'": "{source}：按 {encoding} 读取时文字是乱码（{_first_cells(text)}）— 请把 {key} 设为文件的实际编码（例如 'big5'），或设为 'auto'",
    "{source}: the text is in none of UTF-8, GBK/GB18030 but reads as Big5 (traditional Chinese: {_first_cells(text)}) — {fix} = 'big5'": "{source}：文本不是 UTF-8 或 GBK/GB18030，但可按 Big5 读取（繁体中文：{_first_cells(text)}）— {fix} = 'big5'",
    "{source}: the text is in none of UTF-8, GBK/GB18030 or Big5 ({why}) — {fix} to its encoding (e.g. 'big5')": "{source}：文本不是 UTF-8、GBK/GB18030 或 Big5 中的任何一种（{why}）— {fix} 为它的编码（例如 'big5'）",
    "{source}: this is an Excel workbook (.xlsx), not a text table — rename it to .xlsx, or save it from Excel as CSV UTF-8": "{source}：这是 Excel 工作簿（.xlsx），不是文本表格 — 请把扩展名改为 .xlsx，或在 Excel 中另存为“CSV UTF-8”",
    "{source}: unknown encoding '{encoding}' — set {key} to 'auto', 'utf-8', 'gbk' or 'big5'": "{source}：未知编码 '{encoding}' — 请把 {key} 设为 'auto'、'utf-8'、'gbk' 或 'big5'",
    # inputs/facilities.py
    "{path.name}: the layer has no features — export the facilities again": "{path.name}：图层中没有要素 — 请重新导出医疗机构",
    "facilities.levels: '{text}' maps to unknown level '{key}' — use one of {', '.join(levels.BY_KEY)}": "facilities.levels：'{text}' 对应的级别 '{key}' 未知 — 请用以下之一：{', '.join(levels.BY_KEY)}",
    "{source}: no level column; facility levels inferred from names": "{source}：没有级别列；已根据机构名称推断医疗机构级别",
    "{source}: {rows} a level text in '{level_col}' that is not a known level: {_counted(bad)} — {fix}; known levels: {known}": "{source}：{rows}“{level_col}”中的级别文字不是已知级别：{_counted(bad)} — {fix}；已知级别：{known}",
    '{source}: no level column, and {\'; \'.join(parts)} — add a level column (机构类别) or set facilities.level_column, or map each name in [facilities.levels], e.g. "{first}" = "{example}"; known levels: {known}': '{source}：没有级别列，且{\'; \'.join(parts)} — 请添加级别列（机构类别）或设置 facilities.level_column，或在 [facilities.levels] 中为每个名称指定级别，例如 "{first}" = "{example}"；已知级别：{known}',
    "{source}: facility name is blank in row(s) {rows} — fill in '{name_col}'": "{source}：第 {rows} 行的机构名称为空 — 请填写“{name_col}”",
    "{source}: facility ID is blank for {describe_rows(blank_id, names, row_numbers)} — fill in '{id_col}'": "{source}：{describe_rows(blank_id, names, row_numbers)} 的机构编码为空 — 请填写“{id_col}”",
    "{source}: facility IDs repeat ({repeated}: {describe_rows(dup, names, row_numbers)}) — give each facility its own '{id_col}'": "{source}：机构编码重复（{repeated}：{describe_rows(dup, names, row_numbers)}）— 每个机构的“{id_col}”应各不相同",
    "{source}: negative beds in '{beds_col}' — fix those rows": "{source}：“{beds_col}”中有负的床位数 — 请修正这些行",
    # inputs/facility_coords.py
    "{source}: {describe_rows(suspicious, names, row_numbers)} fall outside China but inside it with longitude and latitude exchanged — exchange the two values in those rows": "{source}：{describe_rows(suspicious, names, row_numbers)} 落在中国境外，但经纬度互换后位于境内 — 请互换这些行中的两个值",
    "{source}: {int(suspicious.sum())} of {len(lon)} points fall outside China but inside it with longitude and latitude exchanged — {_swap_fix(lon_col, lat_col)}": "{source}：{len(lon)} 个点中有 {int(suspicious.sum())} 个落在中国境外，但经纬度互换后位于境内 — {_swap_fix(lon_col, lat_col)}",
    "{source}: {len(idx)} of {len(lon)} points lie outside China, with or without longitude and latitude exchanged ({shown}) — {fix}, and facilities.coordinate_system": "{source}：{len(lon)} 个点中有 {len(idx)} 个无论经纬度是否互换都在中国境外（{shown}）— {fix}，并检查 facilities.coordinate_system",
    "{source}: column '{column}' has values that are not longitude,latitude pairs ({shown}{more}) — write them as 116.397128,39.916527 (longitude first), or give separate longitude and latitude columns": "{source}：列“{column}”中有不是“经度,纬度”格式的值（{shown}{more}）— 请写成 116.397128,39.916527（经度在前），或分别提供经度列和纬度列",
    "{source}: facilities must be points, found {', '.join(sorted(set(wgs.geom_type.dropna())))} — give the point layer": "{source}：医疗机构必须是点，实际为 {', '.join(sorted(set(wgs.geom_type.dropna())))} — 请提供点图层",
    "{source}: no coordinates for {describe_rows(missing, names, row_numbers)} — fill them in, or set facilities.drop_missing_coordinates = true": "{source}：{describe_rows(missing, names, row_numbers)} 没有坐标 — 请补上，或设置 facilities.drop_missing_coordinates = true",
    "{source}: the coordinate system is not declared — set facilities.coordinate_system to 'wgs84' (GPS/OSM), 'gcj02' (AMap/GaoDe, Tencent) or 'bd09' (Baidu)": "{source}：没有声明坐标系 — 请把 facilities.coordinate_system 设为 'wgs84'（GPS/OSM）、'gcj02'（高德、腾讯）或 'bd09'（百度）",
    "{source}: coordinates are not degrees ({listed}) — '{lon_col or 'x'}'/'{lat_col or 'y'}' must be longitude/latitude in decimal degrees": "{source}：坐标不是度数（{listed}）— '{lon_col or 'x'}'/'{lat_col or 'y'}' 必须是十进制度的经度/纬度",
    "{source}: dropped {int(missing.sum())} rows without coordinates: {describe_rows(missing, names, row_numbers)}": "{source}：已去掉 {int(missing.sum())} 行没有坐标的记录：{describe_rows(missing, names, row_numbers)}",
    "{source}: {int(rescued.sum())} of {len(far)} facilities lie more than {buffer_km:g} km outside the townships but inside them with longitude and latitude exchanged — {fix}": "{source}：{len(far)} 个医疗机构中有 {int(rescued.sum())} 个位于乡镇范围外超过 {buffer_km:g} 千米处，但经纬度互换后位于乡镇内 — {fix}",
    "{source}: {int(far.sum())} facilities lie more than {buffer_km:g} km outside the townships ({listed}); {describe_rows(rescued, names, rows)} would lie inside with longitude and latitude exchanged — exchange the two values in those rows, or set facilities.drop_outside = true": "{source}：{int(far.sum())} 个医疗机构位于乡镇范围外超过 {buffer_km:g} 千米处（{listed}）；{describe_rows(rescued, names, rows)} 在经纬度互换后会位于乡镇内 — 请互换这些行中的两个值，或设置 facilities.drop_outside = true",
    "{source}: all {len(far)} facilities lie more than {buffer_km:g} km outside the townships — check facilities.coordinate_system and that both layers cover the same place": "{source}：全部 {len(far)} 个医疗机构都位于乡镇范围外超过 {buffer_km:g} 千米处 — 请检查 facilities.coordinate_system，以及两个图层是否覆盖同一地区",
    "{source}: {int(far.sum())} facilities lie more than {buffer_km:g} km outside the townships ({listed}) — fix their coordinates, or set facilities.drop_outside = true": "{source}：{int(far.sum())} 个医疗机构位于乡镇范围外超过 {buffer_km:g} 千米处（{listed}）— 请修正其坐标，或设置 facilities.drop_outside = true",
    "{source}: dropped {int(far.sum())} facilities far outside the townships: {listed}": "{source}：已去掉远在乡镇范围外的 {int(far.sum())} 个医疗机构：{listed}",
    "{source}: {int(near.sum())} facilities lie outside every township but within {buffer_km:g} km; kept: {describe_rows(near, names, rows)}": "{source}：{int(near.sum())} 个医疗机构不在任何乡镇内，但在 {buffer_km:g} 千米以内；已保留：{describe_rows(near, names, rows)}",
    # inputs/geometry.py
    "{config_key} = '{text}' is not a CRS pyproj knows — write it like 'EPSG:4490'": "{config_key} = '{text}' 不是 pyproj 能识别的坐标系 — 请写成 'EPSG:4490' 这样的形式",
    "{source}: {said} is in degrees but the coordinates are metres ({_extent(bounds)}) — {likely_projected_crs(bounds, config_key=config_key)}": "{source}：{said} 以度为单位，但坐标是米（{_extent(bounds)}）— {likely_projected_crs(bounds, config_key=config_key)}",
    "{source}: {said} is projected (metres) but the coordinates are lon/lat degrees ({xmin:.3f}–{xmax:.3f}, {ymin:.3f}–{ymax:.3f}) — set {config_key} = 'EPSG:4490' (CGCS2000) or 'EPSG:4326' (WGS 84)": "{source}：{said} 是投影坐标系（米），但坐标是经纬度（{xmin:.3f}–{xmax:.3f}，{ymin:.3f}–{ymax:.3f}）— 请设置 {config_key} = 'EPSG:4490'（CGCS2000）或 'EPSG:4326'（WGS 84）",
    "{source}: with {config_key} = '{crs.to_string()}' the coordinates ({_extent(bounds)}) fall off the map: the CRS is wrong — {likely_projected_crs(bounds, config_key=config_key)}": "{source}：按 {config_key} = '{crs.to_string()}'，坐标（{_extent(bounds)}）落在地图之外：坐标系有误 — {likely_projected_crs(bounds, config_key=config_key)}",
    "{source}: with {config_key} = '{crs.to_string()}' the layer lands at {lon:.2f}°E, {lat:.2f}°N, outside where that CRS is used ({area.west:.1f}–{area.east:.1f}°E, {area.south:.1f}–{area.north:.1f}°N): the CRS is wrong — {likely_projected_crs(bounds, config_key=config_key)}": "{source}：按 {config_key} = '{crs.to_string()}'，图层落在 {lon:.2f}°E、{lat:.2f}°N，超出该坐标系的适用范围（{area.west:.1f}–{area.east:.1f}°E，{area.south:.1f}–{area.north:.1f}°N）：坐标系有误 — {likely_projected_crs(bounds, config_key=config_key)}",
    "{source}: {config_key} = '{crs.to_string()}' is Gauss–Krüger zone {zone} but the x values ({bounds[0]:,.0f}–{bounds[2]:,.0f}) do not start with {zone}: the zone is wrong — {likely_projected_crs(bounds, config_key=config_key)}": "{source}：{config_key} = '{crs.to_string()}' 是高斯–克吕格第 {zone} 带，但 x 值（{bounds[0]:,.0f}–{bounds[2]:,.0f}）不以 {zone} 开头：带号有误 — {likely_projected_crs(bounds, config_key=config_key)}",
    "{source}: the file has no CRS (a Shapefile without its .prj?) and its coordinates are metres ({_extent(bounds)}); {likely_projected_crs(bounds, config_key=config_key)}": "{source}：文件没有坐标系（Shapefile 缺少 .prj 文件？），坐标单位是米（{_extent(bounds)}）；{likely_projected_crs(bounds, config_key=config_key)}",
    "{source}: the file has no CRS (a Shapefile without its .prj?) — set {config_key}, e.g. 'EPSG:4490' for CGCS2000 or 'EPSG:4326' for WGS 84": "{source}：文件没有坐标系（Shapefile 缺少 .prj 文件？）— 请设置 {config_key}，例如 CGCS2000 用 'EPSG:4490'，WGS 84 用 'EPSG:4326'",
    "{source}: the file says its CRS is {file_crs.to_string()} (degrees) but the coordinates look like metres ({_extent(bounds)}): the file's CRS is wrong — {likely_projected_crs(bounds, config_key=config_key)}; it replaces the file's": "{source}：文件声明的坐标系是 {file_crs.to_string()}（度），但坐标看起来是米（{_extent(bounds)}）：文件的坐标系有误 — {likely_projected_crs(bounds, config_key=config_key)}；它会取代文件自带的坐标系",
    "{source}: the file says its CRS is {file_crs.to_string()} but {config_key} says {declared} — remove {config_key} unless the file's own CRS is wrong": "{source}：文件声明的坐标系是 {file_crs.to_string()}，但 {config_key} 设为 {declared} — 除非文件自带的坐标系有误，否则请删除 {config_key}",
    "{source}: the file says its CRS is {file_crs.to_string()} (metres) but the coordinates are lon/lat degrees: the file's CRS is wrong — set {config_key} = 'EPSG:4490' (CGCS2000) or 'EPSG:4326' (WGS 84); it replaces the file's": "{source}：文件声明的坐标系是 {file_crs.to_string()}（米），但坐标是经纬度：文件的坐标系有误 — 请设置 {config_key} = 'EPSG:4490'（CGCS2000）或 'EPSG:4326'（WGS 84）；它会取代文件自带的坐标系",
    "{config_key} = '{system}' is unknown — use one of {', '.join(coords.COORDINATE_SYSTEMS)}": "{config_key} = '{system}' 未知 — 请用以下之一：{', '.join(coords.COORDINATE_SYSTEMS)}",
    "{source}: {config_key} = '{system}' applies to lon/lat files, but this one is in {crs.to_string()} (metres) — remove {config_key}": "{source}：{config_key} = '{system}' 只适用于经纬度文件，而这个文件的坐标系是 {crs.to_string()}（米）— 请删除 {config_key}",
    "{source}: coordinates run to ({xmax:.0f}, {ymax:.0f}), beyond ±180°/±90° — they look like metres; the file's CRS is wrong or missing: declare the right one": "{source}：坐标达到（{xmax:.0f}, {ymax:.0f}），超出 ±180°/±90° — 看起来是米；文件的坐标系有误或缺失：请声明正确的坐标系",
    "{source}: repaired {len(names)} invalid geometr{'y' if len(names) == 1 else 'ies'} (self-intersections or similar): {', '.join(names[:5])}{' …' if len(names) > 5 else ''} — check them in QGIS if the area looks wrong": "{source}：已修复 {len(names)} 个无效几何图形（自相交等）：{', '.join(names[:5])}{' …' if len(names) > 5 else ''} — 如果面积看起来不对，请在 QGIS 中检查",
    # inputs/layers.py
    "{source}: {declared} of {lon.size} facilities lie outside their township as loaded but only {best} would if the {what} were {_system_name(alt)} rather than {_system_name(current[layer])} (a shift of ~{np.median(metres):.0f} m) — the {what} look like {_system_name(alt)} (exported from a web map): {advice}": "{source}：按现有坐标，{lon.size} 个医疗机构中有 {declared} 个不在所属乡镇内；如果{what}是 {_system_name(alt)} 而不是 {_system_name(current[layer])}，则只有 {best} 个（偏移约 {np.median(metres):.0f} 米）— {what}看起来是 {_system_name(alt)}（从网络地图导出）：{advice}",
    "{source}: {declared} of {lon.size} facilities lie outside their township as loaded but only {best} would if the {what} were {_system_name(alt)} rather than {_system_name(current[layer])} (a shift of ~{np.median(metres):.0f} m) — the {what} look like {_system_name(alt)}: {advice}": "{source}：按现有坐标，{lon.size} 个医疗机构中有 {declared} 个不在所属乡镇内；如果{what}是 {_system_name(alt)} 而不是 {_system_name(current[layer])}，则只有 {best} 个（偏移约 {np.median(metres):.0f} 米）— {what}看起来是 {_system_name(alt)}：{advice}",
    # inputs/population.py
    "{source}: the GeoTIFF is damaged or incomplete (the file has {size:,} bytes, its data run to byte {max(ends):,}) — re-export or re-download it": "{source}：GeoTIFF 文件损坏或不完整（文件有 {size:,} 字节，数据却延伸到第 {max(ends):,} 字节）— 请重新导出或重新下载",
    "{source}: not a readable raster ({_reason(exc)}) — give a GeoTIFF": "{source}：无法读取的栅格文件（{_reason(exc)}）— 请提供 GeoTIFF",
    "{source}: the GeoTIFF is damaged or incomplete ({_reason(exc)}) — re-export or re-download it": "{source}：GeoTIFF 文件损坏或不完整（{_reason(exc)}）— 请重新导出或重新下载",
    "{source}: has {dataset.count} band(s), population.band is {band} — fix it": "{source}：文件有 {dataset.count} 个波段，而 population.band 为 {band} — 请修改",
    "{source}: the raster has a CRS but no geotransform (where its cells are) — re-export it as a georeferenced GeoTIFF": "{source}：栅格有坐标系但没有地理变换参数（像元的位置）— 请重新导出为带地理参考的 GeoTIFF",
    "{source}: the raster has no CRS — set population.crs (WorldPop rasters are 'EPSG:4326')": "{source}：栅格没有坐标系 — 请设置 population.crs（WorldPop 栅格为 'EPSG:4326'）",
    "{source}: the raster is damaged or incomplete (reading band {band} failed: {_reason(exc)}) — re-export or re-download it": "{source}：栅格文件损坏或不完整（读取第 {band} 波段失败：{_reason(exc)}）— 请重新导出或重新下载",
    "{source}: {int(negative.sum())} cells hold negative values (down to {_pasteable(low, stored.dtype)}); {hint}": "{source}：{int(negative.sum())} 个像元为负值（最低 {_pasteable(low, stored.dtype)}）；{hint}",
    "{source}: every cell is nodata — check population.band and population.nodata": "{source}：所有像元都是无数据值 — 请检查 population.band 和 population.nodata",
    "township population is missing for {names} — add the census totals to the boundaries file (boundaries.population_column) or use a population raster": "{names} 缺少乡镇人口 — 请在边界文件中补充普查人口（boundaries.population_column），或使用人口栅格",
    # inputs/population_check.py
    "{source}: the raster does not overlap the townships ({where}) — give the raster for this county, or fix its CRS (population.crs applies when the file has none)": "{source}：栅格与乡镇不重叠（{where}）— 请提供本县的栅格，或修正其坐标系（文件没有坐标系时使用 population.crs）",
    "{source}: the raster holds no people inside the townships ({why}; {grid.total:,.0f} persons in all; {where}) — give the raster for this county, or check population.band and population.nodata": "{source}：栅格在乡镇范围内没有人口（{why}；共 {grid.total:,.0f} 人；{where}）— 请提供本县的栅格，或检查 population.band 和 population.nodata",
    "{source}: {int(uncovered.sum())} township(s) have census people but no raster people (their cells are nodata or zero, or outside the raster): {listed}{more} — give a raster that covers the whole county, or set population.source = 'townships'": "{source}：{int(uncovered.sum())} 个乡镇有普查人口但栅格中没有人口（其像元为无数据值或零，或在栅格范围之外）：{listed}{more} — 请提供覆盖全县的栅格，或设置 population.source = 'townships'",
    "{source}: raster {total_raster:,.0f} vs census {total_census:,.0f} persons in the townships with census totals ({100 * (total_raster - total_census) / total_census:+.1f} %){townships_part} — check that the raster and the census cover the same area and year": "{source}：在有普查人口的乡镇中，栅格人口 {total_raster:,.0f} 人，普查人口 {total_census:,.0f} 人（{100 * (total_raster - total_census) / total_census:+.1f} %）{townships_part} — 请检查栅格和普查是否为同一地区、同一年份",
    # inputs/region.py
    "{source}: {labels[g]} and {labels[s]} overlap by {km2:.2f} km² ({sh:.0%} of {name}) — counted once, in {name} (the smaller); fix the boundaries if that is wrong": "{source}：{labels[g]} 与 {labels[s]} 重叠 {km2:.2f} 平方千米（占 {name} 的 {sh:.0%}）— 重叠部分只计一次，计入较小的 {name}；如有误请修正边界",
    "{source}: {names} lie(s) entirely inside smaller townships — remove the duplicate or fix the boundaries": "{source}：{names} 完全位于更小的乡镇之内 — 请删除重复的乡镇或修正边界",
    # inputs/shapefile.py
    "{path.name}: the attribute text is neither UTF-8 nor GBK/GB18030 and there is no .cpg file to say what it is — set {prefix}.encoding = 'gbk' (or the file's own code page, e.g. 'big5')": "{path.name}：属性文字既不是 UTF-8 也不是 GBK/GB18030，且没有 .cpg 文件说明其编码 — 请设置 {prefix}.encoding = 'gbk'（或文件自己的代码页，例如 'big5'）",
    "{path.name}: the attributes are not valid {encoding} text — set {prefix}.encoding to the file's encoding (e.g. 'gbk')": "{path.name}：属性不是有效的 {encoding} 文本 — 请把 {prefix}.encoding 设为文件的编码（例如 'gbk'）",
    # inputs/tables.py
    "{path}: {what} — check {config_key} in the configuration (paths there are relative to the configuration file)": "{path}：{what} — 请检查配置文件中的 {config_key}（其中的路径相对于配置文件所在的文件夹）",
    "{section}.header_row must be 1 or more (the file's row of column names)": "{section}.header_row 应为 1 或更大（文件中列名所在的行）",
    "{source}{where}: row {header_row} {what} — set {section}.header_row to the row that holds the column names": "{source}{where}：第 {header_row} 行{what} — 请把 {section}.header_row 设为列名所在的行",
    "{source}: row {lines[row]} has {count} cells but the header (row {head_line}) has {len(head_cells)} — check quoting and delimiters": "{source}：第 {lines[row]} 行有 {count} 个单元格，但表头（第 {head_line} 行）有 {len(head_cells)} 个 — 请检查引号和分隔符",
    "{source}: no sheet has the columns this table needs in its first {HEADER_SEARCH_ROWS} rows; sheets are: {', '.join(names)} — set {section}.sheet (and {section}.header_row if the header is lower)": "{source}：没有哪个工作表的前 {HEADER_SEARCH_ROWS} 行中有该表所需的列；现有工作表：{', '.join(names)} — 请设置 {section}.sheet（表头更靠下时还需设置 {section}.header_row）",
    "{source}: not a readable .xlsx workbook ({exc}) — re-save it from Excel or WPS": "{source}：无法读取的 .xlsx 工作簿（{exc}）— 请用 Excel 或 WPS 重新保存",
    "{source}: sheet '{chosen}' is empty — set {section}.sheet to the sheet with the table": "{source}：工作表“{chosen}”是空的 — 请把 {section}.sheet 设为有数据表的工作表",
    "{source}: sheet '{sheet}' not found; sheets are: {', '.join(names)} — set {section}.sheet": "{source}：找不到工作表“{sheet}”；现有工作表：{', '.join(names)} — 请设置 {section}.sheet",
    "{source}: old-style .xls workbooks are not read — save it as .xlsx in Excel or WPS": "{source}：不读取旧式 .xls 工作簿 — 请在 Excel 或 WPS 中另存为 .xlsx",
    "{source}: not a well-formed table ({exc}) — check quoting and delimiters": "{source}：表格格式不正确（{exc}）— 请检查引号和分隔符",
    "{source}: the file is empty — export the table again": "{source}：文件是空的 — 请重新导出表格",
    "{source}: the table has a header but no rows — export the table again": "{source}：表格只有表头没有数据行 — 请重新导出表格",
    "{source}: column '{column}' has values that are not numbers ({rows}) — fix them": "{source}：列“{column}”中有非数字的值（{rows}）— 请修正",
    "{source}: column '{column}' is blank in {row_label}s {rows} — fill them in": "{source}：列“{column}”为空的{row_label}：{rows} — 请补上",
    # isochrones.py
    "isochrone thresholds must be > 0 minutes, got {list(thresholds_min)}": "等时圈的时间阈值应 > 0 分钟，实际为 {list(thresholds_min)}",
    # network/extract.py
    "{segments.source}: the extract holds no roads (no highway=* ways) — cut the extract from a larger file with roads, e.g. with osmium extract": "{segments.source}：路网数据中没有道路（没有 highway=* 的 way）— 请从包含道路的更大文件中裁切，例如用 osmium extract",
    "{name}: the roads ({west:.2f}–{east:.2f}°E, {south:.2f}–{north:.2f}°N) do not overlap the townships ({r_west:.2f}–{r_east:.2f}°E, {r_south:.2f}–{r_north:.2f}°N) — give an extract that covers the region": "{name}：道路（{west:.2f}–{east:.2f}°E，{south:.2f}–{north:.2f}°N）与乡镇（{r_west:.2f}–{r_east:.2f}°E，{r_south:.2f}–{r_north:.2f}°N）不重叠 — 请提供覆盖本地区的路网数据",
    # network/fileformat.py
    "{name}: it is OSM XML, {not_claimed} — rename it to {stem}.osm": "{name}：这是 OSM XML 文件，{not_claimed} — 请改名为 {stem}.osm",
    "{name}: it is a PBF extract, {not_claimed} — rename it to {stem}.osm.pbf": "{name}：这是 PBF 路网文件，{not_claimed} — 请改名为 {stem}.osm.pbf",
    "{name}: it is a damaged {kind} file — download the extract again": "{name}：这是损坏的 {kind} 文件 — 请重新下载路网数据",
    "{name}: it is a {words} PBF extract — {fix}": "{name}：这是 {words} PBF 路网文件 — {fix}",
    "{name}: it is {words} (inside: {inner_words}), not an OSM extract — {fix}": "{name}：这是 {words}（内含：{inner_words}），不是 OSM 路网数据 — {fix}",
    "{name}: it is {words} OSM XML — rename it to {stem}{ending}": "{name}：这是 {words} OSM XML — 请改名为 {stem}{ending}",
    "{name}: it is {words}, not OpenStreetMap data — {fix}": "{name}：这是 {words}，不是 OpenStreetMap 数据 — {fix}",
    "{name}: it is {words}, not an OSM extract — unpack it and give the .osm.pbf inside": "{name}：这是 {words}，不是 OSM 路网数据 — 请解压并提供其中的 .osm.pbf",
    "{name}: it is {words}, not an OSM extract — {fix}": "{name}：这是 {words}，不是 OSM 路网数据 — {fix}",
    "{name}: it is {words}, not the extract — fetch the file with 'git lfs pull'": "{name}：这是 {words}，不是路网数据本身 — 请用 'git lfs pull' 获取文件",
    "{name}: the file is empty (0 bytes) — {fix}": "{name}：文件是空的（0 字节）— {fix}",
    # network/graph.py
    "{segments.source}: every road {profile.mode} could use is barred by its access tags ({', '.join(profile.access_keys)}) — check the profile's {profile.mode}.access_barred": "{segments.source}：{profile.mode} 可走的道路全部被通行标签（{', '.join(profile.access_keys)}）禁止 — 请检查出行方式配置中的 {profile.mode}.access_barred",
    "{segments.source}: no road in the extract is usable for {profile.mode} (classes present: {', '.join(sorted(set(highway) - {''})[:8])}) — check the profile's [{profile.mode}.speeds_kmh]": "{segments.source}：路网数据中没有 {profile.mode} 可用的道路（现有道路等级：{', '.join(sorted(set(highway) - {''})[:8])}）— 请检查出行方式配置中的 [{profile.mode}.speeds_kmh]",
    # network/osm.py
    "{path.name}: not a readable OSM file ({exc}) — give an .osm.pbf or .osm extract": "{path.name}：无法读取的 OSM 文件（{exc}）— 请提供 .osm.pbf 或 .osm 路网数据",
    "{path.name}: the extract holds no roads (no highway=* ways) — cut it from a larger file that has roads": "{path.name}：路网数据中没有道路（没有 highway=* 的 way）— 请从包含道路的更大文件中裁切",
    "{path.name}: the extract is damaged or cut short ({exc}) — download it again": "{path.name}：路网数据损坏或不完整（{exc}）— 请重新下载",
    "{path.name}: its roads ({len(way_ids)} ways) come without their nodes, so they have no coordinates — export the roads with their nodes (Overpass: end the query with '(._;>;); out;'; osmium extract: --strategy complete_ways)": "{path.name}：其道路（{len(way_ids)} 条 way）不带节点，因此没有坐标 — 请连同节点一起导出道路（Overpass：查询以 '(._;>;); out;' 结尾；osmium extract：--strategy complete_ways）",
    # network/profiles.py
    "{source}: {where} = {value!r} — speeds must be numbers > 0 km/h": "{source}：{where} = {value!r} — 速度应为 > 0 的数字（千米/小时）",
    '{source}: {where} = {value!r} — use a list of words, e.g. ["no", "private"]': '{source}：{where} = {value!r} — 请用词语列表，例如 ["no", "private"]',
    "{source}: {where} lists '{key}', a tag geohealth does not read — {hint}": "{source}：{where} 列出了 '{key}'，geohealth 不读取这个标签 — {hint}",
    "{source}: {where} lists '{value}' — list each value on its own ({each}); a tag with several values is barred when all of them are": "{source}：{where} 列出了 '{value}' — 请逐个列出每个值（{each}）；有多个值的标签在所有值都被禁止时才禁止通行",
    "{source}: {where} lists '{value}' — did you mean '{near}'? (OSM access values: https://wiki.openstreetmap.org/wiki/Key:access)": "{source}：{where} 列出了 '{value}' — 是否应为 '{near}'？（OSM 通行标签取值：https://wiki.openstreetmap.org/wiki/Key:access）",
    "{source}: [{name}.speeds_kmh] must list at least one highway class": "{source}：[{name}.speeds_kmh] 至少要列出一个道路等级",
    "{source}: {name}.speeds_kmh.{highway} is not an OSM highway class — did you mean '{near}'?": "{source}：{name}.speeds_kmh.{highway} 不是 OSM 道路等级 — 是否应为 '{near}'？",
    "{source}: [{name}] must be a table of settings — copy it from the default file": "{source}：[{name}] 应为设置表 — 请从默认文件中复制",
    "{source}: [{name}] lacks {', '.join(missing)} — copy them from the default profiles file": "{source}：[{name}] 缺少 {', '.join(missing)} — 请从默认出行方式配置文件中复制",
    "{source}: unknown key '{name}.{key}' — {hint}": "{source}：未知设置项 '{name}.{key}' — {hint}",
    "{source}: {name}.maxspeed = '{rule}' — use {', '.join(MAXSPEED_RULES)}": "{source}：{name}.maxspeed = '{rule}' — 请用 {', '.join(MAXSPEED_RULES)}",
    "{source}: {name}.maxspeed_factor = {factor!r} — use a number in (0, 1.5]": "{source}：{name}.maxspeed_factor = {factor!r} — 请用 (0, 1.5] 之间的数",
    "{source}: {name}.ferry_wait_min must be ≥ 0 minutes": "{source}：{name}.ferry_wait_min 应 ≥ 0 分钟",
    "{source}: {name}.terrain = '{terrain}' — use {', '.join(TERRAIN_RULES)}": "{source}：{name}.terrain = '{terrain}' — 请用 {', '.join(TERRAIN_RULES)}",
    "{source}: {name}.{flag} must be true or false": "{source}：{name}.{flag} 应为 true 或 false",
    "{source}: {name}.uphill_slowdown = {slowdown!r} — use a number ≥ 0": "{source}：{name}.uphill_slowdown = {slowdown!r} — 请用 ≥ 0 的数",
    "{file}: profiles file not found — check network.profiles": "{file}：找不到出行方式配置文件 — 请检查 network.profiles",
    "{file.name}: not UTF-8 text — save it as UTF-8 (TOML files must be)": "{file.name}：不是 UTF-8 文本 — 请保存为 UTF-8（TOML 文件必须如此）",
    "{file.name}: not valid TOML ({exc})": "{file.name}：不是有效的 TOML（{exc}）",
    "{file.name}: unknown mode [{name}] — {hint}": "{file.name}：未知出行方式 [{name}] — {hint}",
    "{listed_by}: unknown mode '{mode}' — {hint}": "{listed_by}：未知出行方式 '{mode}' — {hint}",
    "{name}: no [{mode}] section, but {listed_by} lists it — add it (copy from the default profiles file) or drop the mode": "{name}：没有 [{mode}] 节，但 {listed_by} 列出了它 — 请添加（从默认出行方式配置文件复制）或去掉该出行方式",
    # network/snap.py
    "{mode}: {int(attached.island.sum())} facilit{'y sits' if attached.island.sum() == 1 else 'ies sit'} on roads not connected to the main network; attached to the main network instead: {listed} — check the extract covers the roads between them": "{mode}：{int(attached.island.sum())} 个医疗机构位于与主路网不连通的道路上，已改为连接到主路网：{listed} — 请检查路网数据是否包含它们之间的道路",
    "{mode}: {int(far.sum())} facilit{'y is' if far.sum() == 1 else 'ies are'} more than {max_snap_m:,.0f} m from any usable road: {listed} — check their coordinates, or that the extract has the roads to them": "{mode}：{int(far.sum())} 个医疗机构离任何可用道路都超过 {max_snap_m:,.0f} 米：{listed} — 请检查其坐标，或路网数据是否包含通往它们的道路",
    # network/terrain.py
    "{file}: DEM file not found — check network.dem": "{file}：找不到 DEM 文件 — 请检查 network.dem",
    "{source}: not a readable raster ({exc}) — give a GeoTIFF": "{source}：无法读取的栅格文件（{exc}）— 请提供 GeoTIFF",
    "{source}: the DEM has no CRS — save it as a GeoTIFF with its CRS": "{source}：DEM 没有坐标系 — 请保存为带坐标系的 GeoTIFF",
    "{source}: the DEM holds no data (every cell is nodata) — check the file": "{source}：DEM 中没有数据（所有像元都是无数据值）— 请检查文件",
    "{dem.source}: the DEM does not cover the road network — check it is the right area and CRS, or remove network.dem": "{dem.source}：DEM 没有覆盖路网 — 请检查地区和坐标系是否正确，或删除 network.dem",
    "{dem.source}: no elevation for {gap_km:,.1f} km of road ({gap_km * 1000 / float(run.sum()):.0%}); timed as flat there — use a DEM covering the whole extract": "{dem.source}：{gap_km:,.1f} 千米道路（{gap_km * 1000 / float(run.sum()):.0%}）没有高程，按平地计时 — 请使用覆盖整个路网范围的 DEM",
    # outputs.py
    "{out}: this is an input file; refusing to overwrite it — choose another output folder": "{out}：这是输入文件，不会覆盖它 — 请另选输出文件夹",
    "{final}: the output folder holds the current folder — choose a folder inside it": "{final}：输出文件夹包含当前文件夹 — 请选择其中的一个子文件夹",
    "{final}: the output folder holds the input {source}; replacing it would delete it — choose another folder with --out (or output.dir)": "{final}：输出文件夹里有输入文件 {source}，替换文件夹会删除它 — 请用 --out（或 output.dir）另选文件夹",
    "{final} is a file, not a folder — choose another output folder with --out": "{final} 是文件，不是文件夹 — 请用 --out 另选输出文件夹",
    "{final} already holds files geohealth did not write; it is replaced whole on every run — choose an empty or new folder with --out": "{final} 里已有不是 geohealth 写入的文件；每次运行都会整体替换该文件夹 — 请用 --out 选择一个空的或新的文件夹",
    "{final} holds the output of 'geohealth {written_by}', not of '{command}' — choose another folder with --out so neither run replaces the other": "{final} 里是 'geohealth {written_by}' 的输出，不是 '{command}' 的 — 请用 --out 另选文件夹，以免两次运行互相覆盖",
    # reach.py
    "no facility of group '{group}' (groups present: {present}) — pick another group": "没有 '{group}' 类别的医疗机构（现有类别：{present}）— 请另选类别",
    "no road network: set network.osm to an OpenStreetMap extract (.osm.pbf)": "没有路网：请把 network.osm 设为 OpenStreetMap 路网数据（.osm.pbf）",
    # report/fonts.py
    "no font with Chinese glyphs found for print maps — reinstall geohealth (it brings 'noto-cjk-sans-otc'), or 'apt install fonts-noto-cjk' (Debian/Ubuntu)": "找不到可用于打印地图的中文字体 — 请重新安装 geohealth（它会带上 'noto-cjk-sans-otc'），或执行 'apt install fonts-noto-cjk'（Debian/Ubuntu）",
    # report/isochrone_map.py
    "no service circles for mode '{mode}' in this run — run coverage for that mode": "本次运行没有出行方式 '{mode}' 的服务圈 — 请对该出行方式运行 coverage",
    # report/page.py
    "unknown page size '{page}' — use {' or '.join(PAGES)}": "未知纸张尺寸 '{page}' — 请用 {' or '.join(PAGES)}",
    # report/plans.py
    "{folder} has plan.json but no {needed} — run 'geohealth {run}' again": "{folder} 里有 plan.json 但没有 {needed} — 请重新运行 'geohealth {run}'",
    "{gpkg} lacks its 'sites' or 'catchments' layer — run 'geohealth site' again": "{gpkg} 缺少 'sites' 或 'catchments' 图层 — 请重新运行 'geohealth site'",
    "{gpkg} lacks its 'changes' layer — run 'geohealth whatif' again": "{gpkg} 缺少 'changes' 图层 — 请重新运行 'geohealth whatif'",
    # report/print_maps.py
    "no primary-care coverage for mode '{mode}' in this run": "本次运行没有出行方式 '{mode}' 的基层医疗覆盖结果",
    "no primary-care travel times for mode '{mode}' in this run": "本次运行没有出行方式 '{mode}' 到基层医疗机构的出行时间",
    # sample/tiles.py
    "tiles = {count!r} is not a positive square number — use 1, 4, 16 or 64 (the region is √K × √K copies of the county)": "tiles = {count!r} 不是正的平方数 — 请用 1、4、16 或 64（区域由 √K × √K 个样例县拼成）",
    # siting/ambulance.py
    "persons per station must be > 0, got {persons_per_station:g}": "每个急救站的服务人口应 > 0，实际为 {persons_per_station:g}",
    # siting/milp.py
    "the siting problem has no solution under its constraints": "选址问题在现有约束下无解",
    "HiGHS found no solution ({status}) — raise the time limit or relax the problem": "HiGHS 没有找到解（{status}）— 请延长求解时限或放宽约束",
    # siting/plan.py
    "grid spacing must be > 0 metres, got {spacing_m}": "格网间距应 > 0 米，实际为 {spacing_m}",
    "a grid of {spacing_m:g} m leaves no candidate inside the region — use a finer grid": "{spacing_m:g} 米的格网在区域内没有候选点 — 请用更细的格网",
    "no candidate sites — give levels of existing facilities, a grid, or both": "没有候选选址 — 请给出现有医疗机构的级别、格网，或两者都给",
    "unknown level '{level}' — use one of {', '.join(BY_KEY)}": "未知级别 '{level}' — 请用以下之一：{', '.join(BY_KEY)}",
    "--add {add} needs at least {add} new candidate sites but there are {new} — give --grid SPACING (new sites on a grid), or a smaller spacing": "--add {add} 需要至少 {add} 个新候选选址，但只有 {new} 个 — 请给出 --grid 间距（在格网上新增选址），或用更小的间距",
    "every grid candidate is more than {max_snap_m:,.0f} m from a {mode} road": "所有格网候选点离 {mode} 道路都超过 {max_snap_m:,.0f} 米",
    "unknown problem '{problem}' — use {', '.join(PROBLEMS)}": "未知问题类型 '{problem}' — 请用 {', '.join(PROBLEMS)}",
    "{problem} needs --p (the number of sites to open)": "{problem} 需要 --p（要开设的选址数）",
    # siting/problems.py
    "p = {p}: open at least one site": "p = {p}：至少要开设一个选址",
    "p = {p} but there are only {instance.n_sites} candidate sites — give --p {instance.n_sites} or less, or more candidates (--grid, --level)": "p = {p}，但只有 {instance.n_sites} 个候选选址 — 请给出 --p {instance.n_sites} 或更小，或增加候选（--grid、--level）",
    "{len(fixed_arr)} sites are fixed open but p = {p}: p counts them — give --p {len(fixed_arr) + 1} or more, or --add N to open N new sites on top of them": "{len(fixed_arr)} 个选址固定开设，但 p = {p}：p 包括这些选址 — 请给出 --p {len(fixed_arr) + 1} 或更大，或用 --add N 在其之外新开 N 个选址",
    "a fixed site is not among the candidates": "有一个固定选址不在候选选址之中",
    "share = {share}: give a share of people between 0 and 1": "share = {share}：请给出 0 到 1 之间的人口比例",
    "{total - coverable:,.0f} people are beyond {threshold_min:g} min of every candidate site, so at most {coverable / total:.1%} can be covered (asked {share:.1%}; short by {short:,.0f}) — add candidates there or lower the share": "{total - coverable:,.0f} 人到任何候选选址都超过 {threshold_min:g} 分钟，因此最多只能覆盖 {coverable / total:.1%}（要求 {share:.1%}；差 {short:,.0f} 人）— 请在那里增加候选选址或降低比例",
    "{p} sites can serve at most {possible:,.0f} people but {weights.sum():,.0f} need a site (short by {weights.sum() - possible:,.0f}) — raise p or the capacities": "{p} 个选址最多能服务 {possible:,.0f} 人，但有 {weights.sum():,.0f} 人需要选址（差 {weights.sum() - possible:,.0f} 人）— 请增大 p 或服务能力",
    # siting/record.py
    "{folder} holds no {FILE} — give a folder written by 'geohealth site CONFIG … --out DIR' (run it again if it predates plan.json)": "{folder} 里没有 {FILE} — 请给出由 'geohealth site CONFIG … --out DIR' 写出的文件夹（如果它早于 plan.json 出现，请重新运行）",
    "{path} is not a plan record geohealth can read ({exc}) — run 'geohealth site' again": "{path} 不是 geohealth 能读取的方案记录（{exc}）— 请重新运行 'geohealth site'",
    # siting/regional.py
    "catchment population range {self.min_population:,.0f}–{self.max_population:,.0f} is empty — give min ≤ max, both ≥ 0": "服务人口范围 {self.min_population:,.0f}–{self.max_population:,.0f} 为空 — 请使最小值 ≤ 最大值，且都 ≥ 0",
    "townships per centre {self.min_townships}–{self.max_townships} is empty — give 1 ≤ min ≤ max": "每个中心的乡镇数范围 {self.min_townships}–{self.max_townships} 为空 — 请使 1 ≤ 最小值 ≤ 最大值",
    "longest trip to a centre must be > 0 minutes, got {self.max_trip_min:g}": "到中心的最长行程应 > 0 分钟，实际为 {self.max_trip_min:g}",
    "threshold must be > 0 minutes, got {self.threshold_min:g}": "时间阈值应 > 0 分钟，实际为 {self.threshold_min:g}",
    "no candidate can be a regional centre under the rule ({rule.describe()}): no combination of a candidate's township and its neighbours falls inside both ranges (too few neighbours, or every combination holds too many people) — widen the ranges": "按规则（{rule.describe()}）没有候选可以成为区域医疗中心：候选所在乡镇与相邻乡镇的任何组合都不能同时落在两个范围内（相邻乡镇太少，或每种组合人口都过多）— 请放宽范围",
    "no candidate can be a regional centre under the rule ({rule.describe()}): the largest catchment of at most {rule.max_townships} neighbouring townships within {rule.max_trip_min:g} min is {most:,.0f} people ({sites['name'].iloc[j]}: {names}), {rule.min_population - most:,.0f} short of {rule.min_population:,.0f} — lower --min-population, raise --max-townships or --max-trip": "按规则（{rule.describe()}）没有候选可以成为区域医疗中心：由至多 {rule.max_townships} 个 {rule.max_trip_min:g} 分钟内相邻乡镇组成的最大服务范围只有 {most:,.0f} 人（{sites['name'].iloc[j]}：{names}），距 {rule.min_population:,.0f} 人还差 {rule.min_population - most:,.0f} 人 — 请调低 --min-population，或调高 --max-townships 或 --max-trip",
    "no candidate lies in a township that needs a regional centre (every township with a candidate already reaches a secondary hospital) — add candidates": "没有候选位于需要区域医疗中心的乡镇（有候选的乡镇都已能到达二级医院）— 请增加候选",
    "p = {p} but only {int(viable.sum())} candidates can each gather {rule.describe()} — lower p or widen the rule": "p = {p}，但只有 {int(viable.sum())} 个候选能各自满足规则（{rule.describe()}）— 请降低 p 或放宽规则",
    "at most {round(most.objective)} regional centres can meet the rule together ({rule.describe()}, no township shared), asked for p = {p} — lower p or widen the rule": "最多只有 {round(most.objective)} 个区域医疗中心能同时满足规则（{rule.describe()}，乡镇不共用），而要求 p = {p} — 请降低 p 或放宽规则",
    # webmap/basemaps.py
    "unknown output.basemap '{key}' — use {', '.join([*BASEMAPS, 'none'])}": "未知底图 output.basemap '{key}' — 请用 {', '.join([*BASEMAPS, 'none'])}",
    "output.basemap = 'tianditu' needs output.tianditu_key (a free key from console.tianditu.gov.cn), or choose another basemap": "output.basemap = 'tianditu' 需要 output.tianditu_key（可在 console.tianditu.gov.cn 免费申请），或另选底图",
    # webmap/offline.py
    "the map would load a file from the internet ({snippet} …) — it must open offline": "地图会从互联网加载文件（{snippet} …）— 地图必须能离线打开",
    # whatif.py
    "{where}: unknown level '{text}' — use one of {', '.join(BY_KEY)}": "{where}：未知级别 '{text}' — 请用以下之一：{', '.join(BY_KEY)}",
    "{where}: give lon,lat,level, lon,lat,level,beds or lon,lat,level,beds,name": "{where}：请给出 lon,lat,level、lon,lat,level,beds 或 lon,lat,level,beds,name（经度,纬度,级别,床位数,名称）",
    "{where}: longitude and latitude look swapped — give lon,lat (e.g. 127.4,46.0)": "{where}：经度和纬度看起来反了 — 请按“经度,纬度”给出（例如 127.4,46.0）",
    "{where}: longitude, latitude and beds must be numbers": "{where}：经度、纬度和床位数必须是数字",
    "{where}: coordinates are not degrees — give longitude,latitude in decimal degrees": "{where}：坐标不是度数 — 请以十进制度给出“经度,纬度”",
    "{where}: beds must be ≥ 0": "{where}：床位数应 ≥ 0",
    "{where}: give ID=level, e.g. 239901101001=rural_regional_centre": "{where}：请给出 ID=级别，例如 239901101001=rural_regional_centre",
    "facility '{ident}' is not in the facilities file — use its facility_id (e.g. {example}; see facilities.csv of a coverage run)": "医疗机构 '{ident}' 不在医疗机构文件中 — 请用其 facility_id（例如 {example}；见 coverage 运行结果中的 facilities.csv）",
    "facility {', '.join(sorted(both))} is both closed and upgraded — choose one": "医疗机构 {', '.join(sorted(both))} 既被关闭又被升级 — 请只选其一",
    "proposed site {k} ({site.lon:.5f}, {site.lat:.5f} in WGS-84) is outside the study region — check the lon,lat order and the coordinate system (--crs)": "拟建选址 {k}（WGS-84 下 {site.lon:.5f}, {site.lat:.5f}）在研究区域之外 — 请检查经纬度顺序和坐标系（--crs）",
}

#: Parts of messages composed apart from them (hints, fixes, advice), by the same rule.
FRAGMENTS: dict[str, str] = {
    # config.py, network/profiles.py: hints after an unknown key or mode
    "did you mean '{near}'?": "是否应为 '{near}'？",
    "did you mean [{near}]?": "是否应为 [{near}]？",
    "valid keys are: {valid}": "可用的设置项：{valid}",
    "use {choices}": "请用 {choices}",
    # config.py
    'write Windows paths with forward slashes ("D:/data/towns.gpkg") or in single quotes '
    "('D:\\data\\towns.gpkg')": 'Windows 路径请用正斜杠（"D:/data/towns.gpkg"）或写在单引号中'
    "（'D:\\data\\towns.gpkg'）",
    # inputs/facilities.py
    "{n} rows have": "有 {n} 行",
    "1 row has": "有 1 行",
    'map each in [facilities.levels], e.g. "{example}" = "{key}"': (
        '请在 [facilities.levels] 中为每个指定级别，例如 "{example}" = "{key}"'
    ),
    "fill in '{column}'": "请填写“{column}”",
    # inputs/facility_coords.py
    "the layer's x and y look swapped — export it again with longitude as x": (
        "图层的 x 和 y 看起来反了 — 请以经度为 x 重新导出"
    ),
    "the pairs in '{column}' look like latitude,longitude — write them longitude first, as "
    "AMap does (116.397128,39.916527)": (
        "“{column}”中的坐标对看起来是“纬度,经度” — 请像高德地图那样经度在前（116.397128,39.916527）"
    ),
    "'{lon}' and '{lat}' look swapped: exchange facilities.lon_column and facilities.lat_column": (
        "“{lon}”和“{lat}”看起来反了：请互换 facilities.lon_column 和 facilities.lat_column"
    ),
    "check the layer's CRS (facilities.crs) and that it is the facilities layer": (
        "请检查图层的坐标系（facilities.crs），以及它是否为医疗机构图层"
    ),
    "check that '{column}' holds longitude,latitude pairs in degrees": (
        "请检查“{column}”中是否为以度为单位的“经度,纬度”"
    ),
    "check that '{lon}' and '{lat}' hold longitude and latitude in degrees "
    "(facilities.lon_column, facilities.lat_column)": (
        "请检查“{lon}”和“{lat}”中是否为以度为单位的经度和纬度"
        "（facilities.lon_column、facilities.lat_column）"
    ),
    "exchange them (facilities.lon_column and facilities.lat_column)": (
        "请互换（facilities.lon_column 和 facilities.lat_column）"
    ),
    "{shown} and {n} more": "{shown}，另有 {n} 个",
    # inputs/geometry.py: likely_projected_crs
    "x starts with {zone}, a 3-degree Gauss–Krüger zone: add {key} = '{code}' "
    "(CGCS2000 / 3-degree Gauss–Krüger zone {zone2}; '{xian}' if it is Xian 1980)": (
        "x 以 {zone} 开头，是 3 度带高斯–克吕格投影：请添加 {key} = '{code}'"
        "（CGCS2000 / 3 度带高斯–克吕格第 {zone2} 带；如果是西安 1980 则为 '{xian}'）"
    ),
    "x starts with {zone}, a 6-degree Gauss–Krüger zone: add {key} = '{code}' "
    "(CGCS2000 / Gauss–Krüger zone {zone2}; '{xian}' if it is Xian 1980)": (
        "x 以 {zone} 开头，是 6 度带高斯–克吕格投影：请添加 {key} = '{code}'"
        "（CGCS2000 / 高斯–克吕格第 {zone2} 带；如果是西安 1980 则为 '{xian}'）"
    ),
    "x has no zone number in front, so the central meridian is not in the data: add {key} = "
    "'EPSG:4534' … 'EPSG:4554' for CGCS2000 / 3-degree Gauss–Krüger CM 75°E … 135°E (one "
    "code per 3°, e.g. 'EPSG:4544' for 105°E), or 'EPSG:32643' … 'EPSG:32653' for WGS 84 / "
    "UTM zones 43N … 53N — ask the data's provider which": (
        "x 前面没有带号，数据中看不出中央经线：CGCS2000 / 3 度带高斯–克吕格（中央经线 75°E … "
        "135°E）请添加 {key} = 'EPSG:4534' … 'EPSG:4554'（每 3° 一个代码，例如 105°E 为 "
        "'EPSG:4544'），WGS 84 / UTM 43N … 53N 带则为 'EPSG:32643' … 'EPSG:32653' — "
        "请向数据提供方确认是哪一个"
    ),
    # inputs/encodings.py
    "save it as UTF-8 (Excel: 另存为 → CSV UTF-8), or set {key}": (
        "请另存为 UTF-8（Excel：另存为 → CSV UTF-8），或设置 {key}"
    ),
    "read as {encoding} it comes out garbled: {cells}": "按 {encoding} 读取是乱码：{cells}",
    "undecodable byte 0x{byte} at offset {offset}": "偏移 {offset} 处有无法解码的字节 0x{byte}",
    # inputs/region.py
    "set {layer}.coordinate_system = '{system}'": "请设置 {layer}.coordinate_system = '{system}'",
    # inputs/population.py
    "the nodata value is not declared — {suggest}": "没有声明无数据值 — {suggest}",
    "nodata is {value} but other negative values remain — {suggest}": (
        "无数据值为 {value}，但还有其他负值 — {suggest}"
    ),
    "set population.nodata = {value}": "请设置 population.nodata = {value}",
    "set population.nodata to the value that marks no data": (
        "请把 population.nodata 设为表示无数据的值"
    ),
    # inputs/population_check.py
    "the raster covers {raster}, the townships {townships}": "栅格范围 {raster}，乡镇范围 {townships}",
    "the raster's extent cannot be put in lon/lat (CRS {crs}), the townships {townships}": (
        "栅格范围无法换算为经纬度（坐标系 {crs}），乡镇范围 {townships}"
    ),
    "no cell centre falls inside them": "没有像元中心落在乡镇内",
    "all {cells} cells inside them are nodata or zero": "乡镇内全部 {cells} 个像元都是无数据值或零",
    "; {n} township(s) differ by more than {share} (population.mismatch_warn_share): "
    "{listed}": "；{n} 个乡镇相差超过 {share}（population.mismatch_warn_share）：{listed}",
    # network/fileformat.py
    "the download or copy did not finish; download the extract again": (
        "下载或复制没有完成；请重新下载路网数据"
    ),
    "the download failed; download the extract again": "下载失败；请重新下载路网数据",
    "unpack it ({tool} or 7-Zip) and give the .osm.pbf inside": (
        "请用 {tool} 或 7-Zip 解压，并提供其中的 .osm.pbf"
    ),
    "download the extract again": "请重新下载路网数据",
    "download the extract as .osm.pbf (from Overpass: [out:xml], saved as .osm)": (
        "请下载 .osm.pbf 格式的路网数据（Overpass：[out:xml]，保存为 .osm）"
    ),
    "download an OSM extract (.osm.pbf) of the area again": (
        "请重新下载该地区的 OSM 路网数据（.osm.pbf）"
    ),
    "but its name does not say so": "但文件名没有表明这一点",
    # siting/regional.py: RegionalRule.describe
    "{towns} townships and {people} people per centre": "每个中心 {towns} 个乡镇、{people} 人",
}

#: The fixed words a field takes, by the field's name in the templates above.
FIELD_VALUES: dict[str, dict[str, str]] = {
    "ROLE_LABELS[role]": {
        "facility ID": "机构编码",
        "name": "名称",
        "longitude": "经度",
        "latitude": "纬度",
        "longitude,latitude": "经纬度",
        "facility level/type": "机构级别/类别",
        "beds": "床位数",
        "township": "乡镇",
        "township code": "乡镇代码",
        "population": "人口",
    },
    "row_label": {"row": "行", "feature": "要素"},
    "what": {
        "townships": "乡镇边界",
        "facilities": "医疗机构坐标",
        "not found": "找不到文件",
        "is a folder, not a file": "是文件夹，不是文件",
        "is blank": "是空行",
    },
    "unit": {"people covered": "覆盖人数", "sites": "个选址", "person-minutes": "人·分钟"},
    "mode": {"drive": "驾车", "walk": "步行", "two_wheeler": "电动车/摩托车"},
    "group": {
        "primary": "基层医疗",
        "secondary": "二级医疗",
        "tertiary": "三级医疗",
        "emergency": "院前急救",
    },
}

#: Summary lines the planning models print (``geohealth site``, ``geohealth whatif``).
SUMMARIES: dict[str, str] = {
    "{name}: {n} sites; objective {objective} {unit}, bound {bound}, gap {gap} "
    "({status}, {seconds} s)": (
        "{name}：{n} 个选址；目标值 {objective} {unit}，界 {bound}，差距 {gap}"
        "（{status}，{seconds} 秒）"
    ),
    "{label}: objective {objective} {unit}, bound {bound}, gap {gap} ({status}, {seconds} s)": (
        "{label}：目标值 {objective} {unit}，界 {bound}，差距 {gap}（{status}，{seconds} 秒）"
    ),
    "{n} regional centres for {towns} townships ({people} people); {covered} within "
    "{threshold} min by {mode} of their centre": (
        "{n} 个区域医疗中心，服务 {towns} 个乡镇（{people} 人）；其中 {covered} 人"
        "{mode} {threshold} 分钟内可到达所属中心"
    ),
    "township health centre → secondary care (median): before {before}, after {after}; "
    "to its own centre {centre}": (
        "乡镇卫生院 → 二级医疗机构（中位数）：之前 {before}，之后 {after}；到所属中心 {centre}"
    ),
    "ambulance stations: {existing} existing, {needed} needed at 1 per {per} residents "
    "({total} people), {placed} in the plan": (
        "急救站：现有 {existing} 个，按每 {per} 名居民 1 个需 {needed} 个（共 {total} 人），"
        "方案中 {placed} 个"
    ),
    "within {threshold} min by {mode}: today {before} ({before_share}), with the plan "
    "{after} ({after_share})": (
        "{mode} {threshold} 分钟内：现状 {before} 人（{before_share}），"
        "方案实施后 {after} 人（{after_share}）"
    ),
    "{group} {mode} ≤{limit} min: {before} → {after} ({difference}; newly covered {newly}, "
    "no longer {gone})": (
        "{group} {mode} ≤{limit} 分钟：{before} → {after}（{difference}；新覆盖 {newly}，"
        "不再覆盖 {gone}）"
    ),
    "no change in coverage within {limit} min": "{limit} 分钟内覆盖人数没有变化",
}

#: click's own words (its gettext message ids) → Chinese.
CLICK: dict[str, str] = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Did you mean {possibility}?": "是否应为 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否应为以下之一：{possibilities}？）",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "Aborted!": "已中止！",
    "default: {default}": "默认：{default}",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "integer": "整数",
    "float": "数",
}

#: Progress lines the library logs (``log.info``, ``log.warning``): %-format → Chinese
#: %-format, its % fields in the same order.
LOG: dict[str, str] = {
    # coverage.py
    "no %s facilities: skipped": "没有 %s 类医疗机构：跳过",
    "%s: %.0f people farther than %g m from any road": "%s：%.0f 人离任何道路超过 %g 米",
    # inputs/boundaries.py
    "loaded %d townships from %s": "已读取 %d 个乡镇，来自 %s",
    "%s: %d layers; using '%s', the only one with %ss (set %s.layer to choose)": "%s：有 %d 个图层；使用 '%s'，唯一含 %s 的图层（可设置 %s.layer 选择）",
    "%s: township codes are stored as numbers; leading zeros may be lost — store them as text": "%s：乡镇代码存为数字，开头的 0 可能丢失 — 请存为文本",
    "%s: no township code column; using row numbers as codes": "%s：没有乡镇代码列；用行号作为代码",
    # inputs/encodings.py
    "%s: read as %s, but many characters look garbled (%s) — if names are garbled, set %s to the file's encoding or save it as UTF-8": "%s：按 %s 读取，但很多字符像是乱码（%s）— 如果名称是乱码，请把 %s 设为文件的编码，或另存为 UTF-8",
    # inputs/facilities.py
    "loaded %d facilities from %s (%s, %s)": "已读取 %d 个医疗机构，来自 %s（%s，%s）",
    "%s: no primary-care facility in the list (village clinic, township health centre, community health centre/station, clinic) — primary-care coverage will be zero": "%s：名单中没有基层医疗机构（村卫生室、乡镇卫生院、社区卫生服务中心/站、诊所）— 基层医疗覆盖率将为零",
    "%s: no facility ID column; numbering facilities F0001…": "%s：没有机构编码列；按 F0001… 编号",
    # inputs/facility_coords.py
    "%s: longitude,latitude pairs read from column '%s'": "%s：从列“%s”读取“经度,纬度”",
    # inputs/geometry.py
    "%s: converted %s outlines to WGS-84": "%s：已把 %s 边界转换为 WGS-84",
    "%s: the file's CRS %s does not fit its coordinates; using %s = %s instead": "%s：文件的坐标系 %s 与坐标不符；改用 %s = %s",
    # inputs/population.py
    "read %s: %d×%d cells, %.0f persons, %d nodata cells": "已读取 %s：%d×%d 个像元，%.0f 人，%d 个无数据像元",
    "township %s is smaller than one %g m cell; its %g persons sit in one cell": "乡镇 %s 小于一个 %g 米的像元；其 %g 人计入一个像元",
    # inputs/shapefile.py
    "%s: field names cut mid-character by the Shapefile's 10-byte limit, read as %s": "%s：字段名被 Shapefile 的 10 字节限制从字符中间截断，按 %s 读取",
    "%s: no .cpg file; attribute encoding detected as %s": "%s：没有 .cpg 文件；识别出属性编码为 %s",
    # inputs/tables.py
    "read %s: %d rows, encoding %s, header on row %d%s": "已读取 %s：%d 行，编码 %s，表头在第 %d 行%s",
    "%s: reading sheet '%s', the first with the table's columns": "%s：读取工作表“%s”，第一个含有该表所需列的工作表",
    # network/
    "%s network: %d nodes, %d directed edges": "%s 路网：%d 个节点，%d 条有向边",
    "reading roads from %s …": "正在从 %s 读取道路 …",
    "road network of %s read from cache": "已从缓存读取 %s 的路网",
    "could not cache the parsed network in %s (%s)": "无法把解析后的路网缓存到 %s（%s）",
    "cache entry %s is unreadable; parsing %s again": "缓存 %s 无法读取；重新解析 %s",
    "terrain (%s): %d pieces from %s": "地形（%s）：%d 段，来自 %s",
    # sample/
    "laying out the sample county (seed %d)": "正在生成样例县（随机数种子 %d）",
    "sample county written to %s": "样例县已写入 %s",
    "tiling it %d × %d into one region": "拼接为 %d × %d 的一个区域",
    # siting/
    "ambulance: %d existing, %d needed, %d placed; within %g min %.0f → %.0f of %.0f": "急救站：现有 %d 个，需要 %d 个，新配置 %d 个；%g 分钟内 %.0f → %.0f 人，共 %.0f 人",
    "%d stations exist, more than the %d the population needs": "现有 %d 个急救站，多于人口所需的 %d 个",
    "print map skipped: %s": "跳过打印地图：%s",
    "%s: %.0f s, best %s, bound %s, gap %s": "%s：%.0f 秒，当前最优 %s，界 %s，差距 %s",
    "--add %d: %d existing sites stay open, p = %d": "--add %d：%d 个现有选址保持开放，p = %d",
    "%s: %d candidates (%d fixed), %d populated cells, %d pairs within %g min": "%s：%d 个候选（%d 个固定），%d 个有人口的格网，%d 对在 %g 分钟内",
    "dropped %d of %d grid candidates farther than %s m from a %s road": "已去掉 %d 个（共 %d 个）离道路超过 %s 米的格网候选点（%s）",
    "p-median: %d of %d sites still undecided; HiGHS on %s rows, %s nonzeros": "p-median：%d 个（共 %d 个）选址尚未确定；HiGHS 求解 %s 行、%s 个非零元",
    "p-median: the exact model would be too large; the gap is left open": "p-median：精确模型过大；差距保持未定",
    "%s %s: %.0f s, best %s person-min, bound %s, gap %s": "%s %s：%.0f 秒，当前最优 %s 人·分钟，界 %s，差距 %s",
    "%s people (%d demand cells) can reach no candidate site within the longest trip allowed (--max-minutes): left out of the plan — raise --max-minutes or add candidates near them": "%s 人（%d 个需求格网）在允许的最长行程（--max-minutes）内到不了任何候选选址：不计入方案 — 请调大 --max-minutes 或在附近增加候选",
    "the best plan with p = %d leaves %s people beyond --max-minutes of every open site (counted at 10 × the longest trip each) — raise p or --max-minutes": "p = %d 时最优方案仍有 %s 人到任何开设选址都超过 --max-minutes（每人按最长行程的 10 倍计）— 请调大 p 或 --max-minutes",
    "regional centres: %d chosen, %s of %s people covered within %g min": "区域医疗中心：选出 %d 个，%s 人（共 %s 人）在 %g 分钟内可到达",
    "%d candidates lie outside every township and are left out": "%d 个候选不在任何乡镇内，已排除",
    # whatif.py
    "scenario: %d added, %d closed, %d upgraded": "情景：新增 %d 个，关闭 %d 个，升级 %d 个",
}
