"""Chinese help of the ``geohealth`` commands and options (data only).

Keys: ``geohealth`` for the command itself, a command's name for its help, ``"<command>
<--option>"`` for an option's help (its longest flag), ``--help`` and ``--version`` for
those on every command. The English help stays in the commands' own docstrings and options.
A command's first sentence (to the first 。) is its line in ``geohealth --help``.
"""

from __future__ import annotations

#: Shared wording of the options several commands have.
_OUT = "输出文件夹（默认：配置文件中的 output.dir）。"
_MODE = "出行方式（可重复给出）；默认为配置文件中的 analysis.modes。"

HELP: dict[str, str] = {
    "--help": "显示本帮助并退出。",
    "--version": "显示版本号并退出。",
    "geohealth": "县域医疗卫生服务可及性：谁能在 15 分钟内到达医疗机构。",
    "geohealth --verbose": "显示更多细节（重复给出可显示调试信息）。",
    "geohealth --quiet": "减少输出：只显示警告和错误。",
    "geohealth --debug": "出错时显示完整的调用栈，而不是一行错误信息。",
    "geohealth --lang": (
        "命令行信息的语言：zh（中文）或 en（英文）；默认依次取配置文件中的 output.language、"
        "环境变量 GEOHEALTH_LANG、系统区域设置，否则为英文。"
    ),
    "check": "读取并检查 CONFIG 中的每个输入图层，打印摘要。",
    "check --out": "同时把 check.txt 和 check_townships.csv 写入这个文件夹。",
    "coverage": (
        "按乡镇和医疗机构统计覆盖情况，并生成交互地图，依据 CONFIG。\n\n"
        "写出 townships.csv（每个乡镇 × 出行方式 × 时间阈值 × 医疗类别一行，另加全域，代码 ALL）、"
        "facilities.csv、coverage.xlsx、coverage.gpkg、traveltime_<mode>.tif、"
        "access_<mode>.tif 和 coverage_map.html。"
    ),
    "coverage --out": _OUT,
    "coverage --mode": _MODE,
    "isochrones": (
        "按医疗机构生成等时圈，按出行方式生成出行时间栅格，依据 CONFIG。\n\n"
        "写出 isochrones.gpkg（每种出行方式：isochrones_<group>_<mode>，每个医疗机构和时间阈值"
        "一个面；circles_<group>_<mode>，每个时间阈值该类别合并后的服务圈）和 "
        "traveltime_<mode>.tif（人口格网上到该类别最近医疗机构的分钟数）。"
        "每个类别写入各自的文件夹 isochrones-<group>/。"
    ),
    "isochrones --out": _OUT,
    "isochrones --group": "生成等时圈和出行时间栅格的医疗类别。",
    "isochrones --mode": _MODE,
    "demo": (
        "在自带的样例县上运行主要流程，结果写入 maps/。\n\n"
        "检查输入，按每种出行方式计算覆盖情况，写出表格、GeoPackage、栅格和交互地图"
        "（coverage_map.html）；然后为全县配置所需的急救站（site-ambulance/），"
        "并据此写出供规划附件使用的报告（report/，A4）。"
    ),
    "demo --out": "存放 check/ 和 coverage/ 等结果文件夹的文件夹（默认：maps/sample-county）。",
    "demo --plan": "同时配置全县所需的急救站，并据此写出报告（打印地图、表格、摘要）。",
    "demo --mode": _MODE,
    "sample": "把合成的样例县文件生成到 OUT_DIR。",
    "sample --seed": "随机数种子；相同的种子生成相同的县。",
    "sample --tiles": (
        "把样例县重复 K 次（K 为平方数：1、4、16、64），在 √K × √K 的格网上拼成一个区域，"
        "用于规模测试。"
    ),
    "report": (
        "把供规划附件使用的报告文件夹写入 OUT/report/。\n\n"
        "打印地图（300 dpi 的 PNG 和 PDF，A4/A3 横向），按出行方式：analysis.target_min 内的"
        "乡镇覆盖率、到最近基层医疗机构的分钟数、服务圈（等时圈）；每个 --plan 一张选址图"
        "（或假设分析的变化）。每张图都有标题、图例、比例尺、指北针、数据来源、OSM 署名和日期，"
        "中文使用中文字体。表格：coverage.xlsx（中文表头带单位，冻结表头行）、townships.csv 和 "
        "facilities.csv（带 BOM 的 UTF-8），给出 --plan 时还有 plans.xlsx 和 "
        "sites_<plan>.csv。一页摘要（summary.html、summary.pdf）。离线地图包 web/："
        "覆盖地图和各方案的地图，均可单独打开，附 index.html。"
    ),
    "report --page": "纸张尺寸（可重复给出）；默认为 report.pages（A4 和 A3）。",
    "report --goal": (
        "乡镇在 analysis.target_min 内应覆盖的居民比例（用于摘要）；默认为 report.goal（0.9）。"
    ),
    "report --plan": (
        "由 'geohealth site' 或 'geohealth whatif' 写出的文件夹（可重复给出；默认为 "
        "report.plans）：其打印地图、选址表、网页地图，以及摘要中的效果。"
    ),
    "report --mode": _MODE,
    "report --out": _OUT,
    "site": (
        "选址（位置–分配模型，用 HiGHS 求得经证明的最优解）。\n\n"
        "写出 sites.csv（选中的选址、分配和覆盖的人口）、assignment.gpkg（候选、服务范围、"
        "未分配区域）和 site_map.html；打印目标值、经证明的界和差距。"
        "--preset regional-centre 还会写出 townships.csv 和 referral.csv"
        "（乡镇卫生院 → 二级医疗机构，前后对比）。"
    ),
    "site --problem": (
        "mclp：用 p 个选址覆盖最多的人；lscp：用最少的选址覆盖所有人（或 --share 的比例）；"
        "pmedian：用 p 个选址使总出行人·分钟最少。给出 --preset 时已隐含。"
    ),
    "site --preset": (
        "regional-centre：把乡镇卫生院升级为农村区域医疗中心（扬州规则）；"
        "ambulance：按每 30 000 名居民 1 个配置急救站，用 MCLP 选址。"
    ),
    "site --p": "方案中的选址总数，从候选中选出（含固定选址）。",
    "site --add": (
        "在所有现有机构之外新开这么多选址（mclp、pmedian、ambulance）：现有候选保持开放，"
        "新选址来自 --grid。"
    ),
    "site --threshold": "分钟数（覆盖时间；--preset ambulance 时为急救响应时间）。",
    "site --mode": "出行方式。",
    "site --level": "该级别的现有医疗机构作为候选（可重复给出），例如 township_health_centre。",
    "site --grid": "另在这个间距（米）的格网上生成新的候选选址。",
    "site --fix-existing": "该医疗类别的机构已经开设（例如 primary）。",
    "site --capacity": "每个选址能服务的人数。",
    "site --persons-per-bed": "现有医疗机构的服务能力 = 床位数 × 这个数。",
    "site --share": "LSCP：要覆盖的人口比例。",
    "site --max-minutes": "p-median：分配的最长行程（分钟）。",
    "site --min-population": "regional-centre：每个中心的最少人口。",
    "site --max-population": "regional-centre：每个中心的最多人口。",
    "site --min-townships": "regional-centre：每个中心的最少乡镇数。",
    "site --max-townships": "regional-centre：每个中心的最多乡镇数。",
    "site --served-share": (
        "regional-centre：已有这个比例的人口在时间阈值内能到达二级医院的乡镇不参与。"
    ),
    "site --max-trip": "regional-centre：乡镇卫生院到所属中心的最长驾车时间（分钟）。",
    "site --per-station": "ambulance：每个急救站服务的居民数。",
    "site --time-limit": "求解时限（秒）。",
    "site --out": _OUT,
    "whatif": (
        "测试一个情景：新增、关闭或升级医疗机构，比较前后的覆盖情况。\n\n"
        "写出 whatif.csv（按乡镇、医疗类别、出行方式和时间阈值：之前和之后的覆盖人数、差值、"
        "新覆盖和不再覆盖的人数）、whatif.gpkg（变化的医疗机构、新覆盖 / 不再覆盖的格网）、"
        "whatif_map.html 和 referral.csv（乡镇卫生院 → 二级医疗机构，前后对比）。"
    ),
    "whatif --add": (
        "拟建的医疗机构（可重复给出）：经度,纬度,级别[,床位数[,名称]]；级别为英文键或中文名称"
        "（乡镇卫生院）；名称用于表格和地图（床位数可以空着：LON,LAT,LEVEL,,NAME）。"
    ),
    "whatif --close": "要关闭的医疗机构。",
    "whatif --upgrade": "改变级别的医疗机构，例如 239901101001=rural_regional_centre。",
    "whatif --crs": "--add 的坐标系（默认：facilities.coordinate_system）。",
    "whatif --threshold": "在地图上绘制并打印的时间阈值（默认：analysis.target_min）。",
    "whatif --name": (
        "情景名称：其文件夹为区域输出文件夹下的 whatif-<name>"
        "（默认由变化生成，例如 whatif-upgrade-1）。"
    ),
    "whatif --mode": _MODE,
    "whatif --out": _OUT,
}
