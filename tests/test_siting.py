"""Siting: optimal by brute force on small instances, equal to spopt, never worse than greedy."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from geohealth.siting import problems
from geohealth.siting.problems import InfeasibleRuleError, Instance

from . import page_checks


def _instance(seed: int, n: int = 40, m: int = 8, dense: bool = True) -> Instance:
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 10, (n, 2))
    site_xy = rng.uniform(0, 10, (m, 2))
    minutes = np.hypot(*(demand_xy[:, None, :] - site_xy[None, :, :]).transpose(2, 0, 1)) * 3
    if not dense:
        minutes[minutes > 25] = np.inf
    o, s = np.nonzero(np.isfinite(minutes))
    return Instance(
        demand=rng.integers(0, 300, n).astype(float),
        n_sites=m,
        origin=o,
        site=s,
        minutes=minutes[o, s],
    ), minutes


def _covered(instance, minutes, sites, limit):
    return instance.demand[(minutes[:, list(sites)] <= limit).any(axis=1)].sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_equals_brute_force_and_beats_greedy(seed):
    inst, minutes = _instance(seed)
    best = max(
        _covered(inst, minutes, c, 9.0) for c in itertools.combinations(range(inst.n_sites), 3)
    )
    result = problems.mclp(inst, 3, 9.0)
    assert result.objective == pytest.approx(best)
    assert _covered(inst, minutes, result.sites, 9.0) == pytest.approx(best)
    assert result.gap <= 1e-9
    assert result.status == "Optimal"
    assert result.served.sum() == pytest.approx(best)
    # greedy: add the site covering most new people, p times
    chosen: list[int] = []
    for _ in range(3):
        gains = [
            _covered(inst, minutes, [*chosen, j], 9.0) if j not in chosen else -1
            for j in range(inst.n_sites)
        ]
        chosen.append(int(np.argmax(gains)))
    assert _covered(inst, minutes, chosen, 9.0) <= result.objective + 1e-9


def test_mclp_with_a_fixed_site():
    inst, minutes = _instance(3)
    best = max(
        _covered(inst, minutes, c, 9.0)
        for c in itertools.combinations(range(inst.n_sites), 3)
        if 5 in c
    )
    result = problems.mclp(inst, 3, 9.0, fixed=[5])
    assert 5 in result.sites
    assert result.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", [4, 5])
def test_lscp_and_pmedian_equal_brute_force(seed):
    inst, minutes = _instance(seed, m=7)
    limit = 14.0
    coverable = inst.demand[(minutes <= limit).any(axis=1)].sum()
    fewest = None
    for k in range(1, inst.n_sites + 1):
        for c in itertools.combinations(range(inst.n_sites), k):
            positive = inst.demand > 0
            if (minutes[positive][:, list(c)] <= limit).any(axis=1).all():
                fewest = k
                break
        if fewest:
            break
    if coverable < inst.demand.sum():
        with pytest.raises(InfeasibleRuleError, match="beyond 14 min of every candidate"):
            problems.lscp(inst, limit)
    else:
        assert problems.lscp(inst, limit).objective == fewest
    best = min(
        (inst.demand * minutes[:, list(c)].min(axis=1)).sum()
        for c in itertools.combinations(range(inst.n_sites), 2)
    )
    result = problems.pmedian(inst, 2)
    assert result.objective == pytest.approx(best, rel=1e-9)
    chosen = minutes[:, result.sites].argmin(axis=1)
    np.testing.assert_array_equal(result.assigned, result.sites[chosen])


def test_capacitated_pmedian_equals_brute_force_transport():
    from scipy.optimize import linprog

    inst, minutes = _instance(6, n=15, m=5)
    capacity = np.full(inst.n_sites, inst.demand.sum() / 2 * 0.8)

    def transport(sites):
        sites = list(sites)
        n, k = len(inst.demand), len(sites)
        cost = (minutes[:, sites]).ravel()
        a_eq = np.kron(np.eye(n), np.ones(k))
        a_ub = np.kron(np.ones(n), np.eye(k))
        out = linprog(cost, A_ub=a_ub, b_ub=capacity[sites], A_eq=a_eq, b_eq=inst.demand)
        return out.fun if out.success else np.inf

    best = min(transport(c) for c in itertools.combinations(range(inst.n_sites), 3))
    result = problems.pmedian(inst, 3, capacity=capacity)
    assert result.objective == pytest.approx(best, rel=1e-7)
    assert result.served.sum() == pytest.approx(inst.demand.sum())
    with pytest.raises(InfeasibleRuleError, match="short by"):
        problems.pmedian(inst, 2, capacity=capacity)


def test_capacitated_mclp_never_exceeds_capacity():
    inst, _ = _instance(7)
    capacity = np.full(inst.n_sites, 800.0)
    result = problems.mclp(inst, 3, 9.0, capacity=capacity)
    free = problems.mclp(inst, 3, 9.0)
    assert result.objective <= min(free.objective, 3 * 800.0) + 1e-6
    assert result.objective == pytest.approx(result.served.sum())


def test_rules_that_cannot_hold_are_explained():
    inst, _ = _instance(8)
    with pytest.raises(InfeasibleRuleError, match="only 8 candidate sites"):
        problems.mclp(inst, 9, 10.0)
    with pytest.raises(InfeasibleRuleError, match="fixed open but p = 1"):
        problems.mclp(inst, 1, 10.0, fixed=[0, 1])
    with pytest.raises(InfeasibleRuleError, match=r"asked 100\.0%"):
        problems.lscp(inst, 0.5)


def _spopt_objectives(minutes, demand, p, limit):
    pulp = pytest.importorskip("pulp")
    from spopt.locate import MCLP, PMedian

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP's and spopt's own deprecations
        solver = pulp.PULP_CBC_CMD(msg=False)  # CBC: a different solver from ours
        mclp = MCLP.from_cost_matrix(minutes, demand, service_radius=limit, p_facilities=p)
        mclp = mclp.solve(solver)
        pmed = PMedian.from_cost_matrix(minutes, demand, p_facilities=p).solve(solver)
    return mclp.problem.objective.value(), pmed.problem.objective.value()


def test_same_objectives_as_spopt():
    inst, minutes = _instance(9, n=300, m=25)
    spopt_mclp, spopt_pmedian = _spopt_objectives(minutes, inst.demand, 5, 8.0)
    assert problems.mclp(inst, 5, 8.0).objective == pytest.approx(spopt_mclp, rel=1e-9)
    assert problems.pmedian(inst, 5).objective == pytest.approx(spopt_pmedian, rel=1e-6)


def test_site_command_on_the_sample_county(tmp_path):
    import pandas as pd
    import pyogrio
    from click.testing import CliRunner

    from geohealth import config
    from geohealth.cli import main
    from geohealth.inputs import layers
    from geohealth.webmap import offline

    from .conftest import SAMPLE_CONFIG, engine_minutes, overlay_names

    args = ["site", str(SAMPLE_CONFIG), "--problem", "mclp", "--p", "4", "--threshold", "15"]
    args += ["--level", "township_health_centre", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, ["-q", *args])
    assert result.exit_code == 0, result.output
    assert "gap 0.00% (Optimal" in result.stdout
    table = pd.read_csv(tmp_path / "sites.csv", dtype={"site_id": str, "township_code": str})
    assert len(table) == 4
    assert set(table["level"]) == {"township_health_centre"}
    # where each site is, as the planner's own files say it: its township, and the GCJ-02
    # coordinates of the facility list (pasted into AMap they land on the facility)
    source = pd.read_csv(
        SAMPLE_CONFIG.parent / "facilities" / "sample_facilities.csv", encoding="gbk", dtype=str
    )
    source = source.set_index(source.columns[0].strip()).loc[table["site_id"]]
    lon_col = next(c for c in source.columns if "经度" in c)
    lat_col = next(c for c in source.columns if "纬度" in c)
    np.testing.assert_allclose(table["lon_gcj02"], source[lon_col].astype(float), atol=1e-6)
    np.testing.assert_allclose(table["lat_gcj02"], source[lat_col].astype(float), atol=1e-6)
    assert table["township"].tolist() == source["所属乡镇"].tolist()
    assert table["township_code"].str.len().gt(0).all()
    import json

    record = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert [r["site_id"] for r in record["site_list"]] == table["site_id"].tolist()
    assert record["site_list"][0]["township"] == table["township"].iloc[0]
    # the objective is what the engine says those 4 sites cover
    loaded = layers.load(config.load(SAMPLE_CONFIG))
    chosen = loaded.facilities[loaded.facilities["facility_id"].isin(table["site_id"])]
    minutes = engine_minutes(loaded, chosen)
    people = np.nan_to_num(loaded.population.values, nan=0.0)
    covered = people[minutes <= 15].sum()
    objective = float(result.stdout.split("objective ")[1].split(" ")[0].replace(",", ""))
    assert objective == pytest.approx(covered, abs=0.01)
    assert table["covered"].sum() == pytest.approx(covered)
    names = {name for name, _ in pyogrio.list_layers(tmp_path / "assignment.gpkg")}
    assert names == {"sites", "catchments", "unassigned"}
    page = (tmp_path / "site_map.html").read_text(encoding="utf-8")
    assert (tmp_path / "site_map.html").stat().st_size < 2_000_000  # areas joined, not cells
    offline.check_offline(page)
    assert {"选址结果", "服务范围（按选址着色）", "未分配/未覆盖区域"} <= set(overlay_names(page))
    assert all(name in page for name in table["name"])


def test_site_command_explains_an_impossible_rule(tmp_path):
    from click.testing import CliRunner

    from geohealth.cli import main

    from .conftest import SAMPLE_CONFIG

    args = ["site", str(SAMPLE_CONFIG), "--problem", "lscp", "--threshold", "15", "--mode"]
    args += ["walk", "--level", "township_health_centre", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "people are beyond 15 min of every candidate site" in result.output
    assert "short by" in result.output
    assert not (tmp_path / "sites.csv").exists()


def test_grid_candidates_far_from_roads_are_dropped(sample_layers, caplog):
    from geohealth import reach
    from geohealth.network import snap
    from geohealth.siting import plan

    sites = plan.candidates(sample_layers, levels=("county_hospital",), grid_m=4000)
    with caplog.at_level("INFO", logger="geohealth.siting.plan"):
        kept, instance, _, _, _ = plan.build_instance(
            sample_layers, sites, mode="drive", limit_min=15
        )
    assert "grid candidates farther than 1,000 m from a drive road" in caplog.text
    assert len(kept) == instance.n_sites < len(sites)
    assert (kept["kind"] == "existing").sum() == 2  # existing facilities are never dropped
    g = reach.graphs(sample_layers, modes=("drive",))["drive"]
    new = kept[kept["kind"] == "new"]
    probe = snap.attach(g, new.geometry.x.to_numpy(), new.geometry.y.to_numpy())
    assert (probe.offroad_m <= sample_layers.settings.network.max_snap_m).all()


def test_site_add_opens_new_sites_on_top_of_the_existing(tmp_path):
    """`--add 2`: every existing candidate stays open and exactly two new grid sites join."""
    import pandas as pd
    from click.testing import CliRunner

    from geohealth.cli import main

    from .conftest import SAMPLE_CONFIG

    args = ["site", str(SAMPLE_CONFIG), "--problem", "pmedian", "--add", "2"]
    args += ["--level", "township_health_centre", "--grid", "6000", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, ["-q", *args])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "sites.csv", dtype={"site_id": str})
    existing = table[table["level"] == "township_health_centre"]
    assert len(existing) == 18  # every township health centre of the sample county
    assert len(table) == len(existing) + 2
    assert "(Optimal" in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--problem", "pmedian", "--add", "2", "--p", "5"], "not both"),
        (["--problem", "lscp", "--add", "2"], "chooses how many itself"),
        (["--preset", "regional-centre", "--add", "1"], "chooses how many itself"),
        (["--problem", "mclp", "--add", "0"], "at least one new site"),
        (
            ["--problem", "mclp", "--add", "2", "--level", "township_health_centre"],
            "give --grid SPACING",
        ),
    ],
)
def test_site_add_explains_what_is_wrong(tmp_path, extra, message):
    from click.testing import CliRunner

    from geohealth.cli import main

    from .conftest import SAMPLE_CONFIG

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "site", str(SAMPLE_CONFIG), *extra, "--out", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()  # a failed run leaves no files


def test_site_maps_show_the_decision_with_a_bounded_legend(sample_layers):
    """Many proposed sites and many kept ones: the legend names a few and counts the rest."""
    import geopandas as gpd

    from geohealth.report import plan_map
    from geohealth.webmap import plan_maps

    from .conftest import facility_sites

    sites = facility_sites(sample_layers, 20)  # 20 proposed, the rest kept
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"].iloc[:3], "population": [1.0, 2.0, 3.0]},
        geometry=sample_layers.townships.geometry.iloc[:3].to_numpy(),
        crs=sample_layers.townships.crs,
    ).to_crs(4326)
    fmap = plan_maps.siting_map(sample_layers, sites, catchments, None, title="t", subtitle="s")
    page = fmap.get_root().render()
    kept = len(sites) - 20
    assert f"另 {20 - plan_maps.LEGEND_SITES} 个选址" in page
    assert f"现有机构（保留）{kept} 个" in page
    assert page.count('"permanent": true') == 20  # proposed names only (kept: too many)
    fig = plan_map.siting_figure(sample_layers, sites, catchments, None, title="t")
    assert page_checks.assert_labels_clear(fig) >= 1
    key = "".join(t.get_text() for t in fig.texts)
    on_map = "".join(t.get_text() for t in fig.axes[0].texts)
    proposed = sites.loc[sites["chosen"], "name"].iloc[:20]
    missing = [name for name in proposed if name not in on_map and name not in key]
    assert not missing or f"另 {len(missing)} 个名称无处标注" in key  # counted, not lost
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) == plan_maps.LEGEND_SITES + 2
    assert labels[-2].startswith(f"另 {20 - plan_maps.LEGEND_SITES} 个选址")
    assert labels[-1].startswith(f"现有机构（保留）{kept} 个")


def test_every_planning_model_is_one_class_the_command_line_only_picks(tmp_path, monkeypatch):
    """The CLI offers exactly the registered models and runs any of them the same way."""
    import json

    from click.testing import CliRunner

    from geohealth.cli import main
    from geohealth.cli.siting import site_command
    from geohealth.siting import models
    from geohealth.siting.record import PlanRecord

    from .conftest import SAMPLE_CONFIG

    choices = {
        p.name: set(p.type.choices) for p in site_command.params if p.name in {"problem", "preset"}
    }
    assert choices["problem"] | choices["preset"] == set(models.MODELS)
    for name, model in models.MODELS.items():
        assert issubclass(model, models.PlanningModel)
        assert model.name == name
        assert model.__doc__

    class Toy(models.PlanningModel):
        """A model that proposes nothing, to show the command line needs no change for one."""

        name = "mclp"

        def solve(self) -> models.PlanOutcome:
            record = PlanRecord("玩具", "toy", self.options.mode, 15.0, 0, 0, ())
            return models.PlanOutcome(
                record=record,
                lines=(f"toy plan for {len(self.layers.townships)} townships",),
                writer=lambda out: [files_write(out / "toy.txt")],
            )

    def files_write(path):
        path.write_text("toy", encoding="utf-8")
        return path

    monkeypatch.setitem(models.MODELS, "mclp", Toy)
    out = tmp_path / "toy"
    args = ["-q", "site", str(SAMPLE_CONFIG), "--problem", "mclp", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "toy plan for 20 townships" in result.stdout
    assert (out / "toy.txt").read_text(encoding="utf-8") == "toy"
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["kind"] == "toy"


def test_print_site_map_tells_site_21_from_site_1_by_its_outline(sample_layers):
    """Beyond 20 proposed sites the fills repeat: on paper the outline tells them apart."""
    import geopandas as gpd
    import numpy as np
    from matplotlib.colors import to_hex

    from geohealth.report import labels, plan_map

    from .conftest import facility_sites

    sites = facility_sites(sample_layers, 45)
    catchments = gpd.GeoDataFrame(
        {"site_id": sites["site_id"].iloc[:45], "population": np.ones(45)},
        geometry=sites.geometry.iloc[:45].to_crs(sample_layers.region.metric_crs).buffer(300),
        crs=sample_layers.region.metric_crs,
    ).to_crs(4326)
    fig = plan_map.siting_figure(sample_layers, sites, catchments, None, title="t")
    stars = next(
        c
        for c in fig.axes[0].collections
        if c.get_gid() == labels.SYMBOL and len(c.get_offsets()) == 45
    )
    fills = [to_hex(c) for c in stars.get_facecolors()]
    looks = [
        (fills[k], to_hex(stars.get_edgecolors()[k]), str(stars.get_linestyles()[k]))
        for k in range(45)
    ]
    assert fills[20] == fills[0]
    assert len(set(looks)) == 45  # no two stars alike
