"""Planning presets and scenarios: regional centres, referral, ambulance stations, what-if."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geohealth import coverage, whatif
from geohealth.cli import main
from geohealth.errors import ConfigError, InputError
from geohealth.inputs import coords
from geohealth.siting import ambulance, regional
from geohealth.siting.problems import InfeasibleRuleError
from geohealth.webmap import offline

from .conftest import SAMPLE_CONFIG, engine_minutes, overlay_names

SMALL_RULE = regional.RegionalRule(min_population=30_000, max_population=70_000)


@pytest.fixture(scope="module")
def regional_plan(sample_layers):
    return regional.solve_regional(sample_layers, SMALL_RULE)


def _brute_force(pt, pj, gain, population, own, rule, m, n_t, p=None):
    """Best coverage over every assignment of townships to (allowed centre or none)."""
    options = [[None, *[k for k in range(len(pt)) if pt[k] == t]] for t in range(n_t)]
    best = -1.0
    for pick in itertools.product(*options):
        ks = [k for k in pick if k is not None]
        opened = {pj[k] for k in ks}
        if p is not None and len(opened) != p:
            continue
        ok = True
        for j in opened:
            mine = [k for k in ks if pj[k] == j]
            towns = [pt[k] for k in mine]
            pop = population[towns].sum()
            if own[j] not in towns or not rule.min_townships <= len(towns) <= rule.max_townships:
                ok = False
            if not rule.min_population <= pop <= rule.max_population:
                ok = False
        if ok:
            best = max(best, float(gain[ks].sum()))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_regional_model_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_t, m = 7, 4
    population = rng.integers(10, 60, n_t).astype(float) * 1000
    own = rng.choice(n_t, m, replace=False)
    pt, pj = [], []
    for j in range(m):
        others = rng.choice(np.setdiff1d(np.arange(n_t), [own[j]]), 3, replace=False)
        for t in [own[j], *others]:
            pt.append(int(t))
            pj.append(j)
    pt, pj = np.array(pt), np.array(pj)
    gain = population[pt] * rng.uniform(0, 1, len(pt))
    rule = regional.RegionalRule(min_population=40_000, max_population=90_000)
    viable = np.ones(m, bool)
    for p in (None, 2):
        expected = _brute_force(pt, pj, gain, population, own, rule, m, n_t, p)
        args = (pt, pj, gain, population, own, viable, n_t, m, rule, p)
        if expected < 0:
            with pytest.raises(InfeasibleRuleError, match="at most"):
                regional._solve(args, np.zeros(len(pt)), 60)
            continue
        solution, _ = regional._solve(args, np.zeros(len(pt)), 60)
        assert solution.objective == pytest.approx(expected, rel=1e-9)
        assert solution.gap == pytest.approx(0.0, abs=1e-9)


def test_regional_plan_meets_the_rule_on_the_sample_county(sample_layers, regional_plan):
    plan = regional_plan
    towns, centres = plan.townships, plan.centres
    assert len(centres) >= 2
    assert plan.solution.status == "Optimal"
    near = regional.neighbours(sample_layers.townships, sample_layers.region.metric_crs)
    codes = towns["code"].tolist()
    chosen = plan.sites[plan.sites["chosen"]].set_index("site_id")
    for centre in centres.itertuples():
        mine = towns[towns["centre_id"] == centre.site_id]
        assert SMALL_RULE.min_townships <= len(mine) <= SMALL_RULE.max_townships
        assert SMALL_RULE.min_population <= mine["population"].sum() <= SMALL_RULE.max_population
        home = int(chosen.loc[centre.site_id, "township"])
        assert codes[home] in set(mine["code"])  # a centre serves its own township
        for code in mine["code"]:
            assert codes.index(code) == home or codes.index(code) in near[home]
        assert mine["centre_min"].max() <= SMALL_RULE.max_trip_min
        # covered = the engine's own surface for this centre alone, inside its townships
        site = sample_layers.facilities[sample_layers.facilities["facility_id"] == centre.site_id]
        minutes = engine_minutes(sample_layers, site)
        zones = sample_layers.population.township_index(sample_layers.townships)
        inside = np.isin(zones, [codes.index(c) for c in mine["code"]])
        people = np.nan_to_num(sample_layers.population.values, nan=0.0)
        assert centre.covered == pytest.approx(people[inside & (minutes <= 15)].sum(), rel=1e-9)
    assert towns["covered"].sum() == pytest.approx(plan.solution.objective)
    # townships already served by the county hospitals are left out, with the reason
    served = towns[~towns["eligible"]]
    assert (served["secondary_share"] >= 0.5).all()
    assert served["centre_id"].isna().all()


def test_regional_rule_that_cannot_hold_is_explained(sample_layers):
    with pytest.raises(InfeasibleRuleError, match=r"short of 100,000 — lower --min-population"):
        regional.solve_regional(sample_layers)  # Yangzhou's 100–200 k: the county is too small
    with pytest.raises(InfeasibleRuleError, match=r"at most \d+ regional centres .* p = 12"):
        regional.solve_regional(sample_layers, SMALL_RULE, p=12)
    with pytest.raises(ConfigError, match="is empty"):
        regional.solve_regional(sample_layers, regional.RegionalRule(min_townships=4))


def test_referral_before_and_after_the_plan(sample_layers, regional_plan):
    table = regional.referral(sample_layers, regional_plan)
    thc = sample_layers.facilities["level"] == "township_health_centre"
    assert len(table) == int(thc.sum())
    # upgrades only add secondary care
    assert (table["secondary_after_min"] <= table["secondary_before_min"] + 1e-9).all()
    chosen = set(regional_plan.centres["site_id"])
    upgraded = table["facility_id"].isin(chosen)
    assert (table.loc[upgraded, "secondary_after_min"] == 0).all()
    assert (table.loc[upgraded, "centre_min"] == 0).all()
    # the plan about halves the median referral trip (51 → 27 min on the sample county)
    assert table["secondary_after_min"].median() < 0.6 * table["secondary_before_min"].median()
    assert np.isinf(table["regional_before_min"]).all()  # the county has none today
    assigned = table["centre_min"].notna()
    assert (table["regional_after_min"] <= table["centre_min"] + 1e-9)[assigned].all()
    # the trip to the assigned centre is the township table's, for townships with a centre
    towns = regional_plan.townships.set_index("code")
    has = table["centre_id"].notna()
    expected = table.loc[has, "township_code"].map(towns["centre_min"])
    assert np.allclose(table.loc[has, "centre_min"], expected, atol=1e-6)


def test_ambulance_stations_by_mclp(sample_layers):
    assert ambulance.stations_needed(411_372) == 14
    assert ambulance.stations_needed(30_000) == 1
    assert ambulance.stations_needed(0) == 0
    with pytest.raises(ConfigError):
        ambulance.stations_needed(1000, 0)
    result = ambulance.plan_stations(sample_layers, response_min=15)
    sites = result.plan.sites
    chosen = sites[sites["chosen"]]
    assert len(chosen) == result.needed == 14
    assert chosen["fixed"].sum() == result.existing == 1  # today's station stays
    assert result.covered_after >= result.covered_before
    people = np.nan_to_num(sample_layers.population.values, nan=0.0)
    facilities = sample_layers.facilities
    today = facilities[facilities["level"] == "ambulance_station"]
    assert result.covered_before == pytest.approx(
        people[engine_minutes(sample_layers, today) <= 15].sum(), rel=1e-9
    )
    hosts = facilities[facilities["facility_id"].isin(chosen["site_id"])]
    assert result.covered_after == pytest.approx(
        people[engine_minutes(sample_layers, hosts) <= 15].sum(), rel=1e-9
    )


def test_whatif_inputs_are_checked(sample_layers):
    lon, lat = 127.40, 46.10
    gcj = coords.wgs84_to_gcj02([lon], [lat])
    site = whatif.parse_add(f"{gcj[0][0]},{gcj[1][0]},乡镇卫生院,20", "gcj02")
    assert (site.lon, site.lat) == pytest.approx((lon, lat), abs=1e-6)
    assert site.level == "township_health_centre"
    assert site.beds == 20
    assert site.name == ""
    named = whatif.parse_add(f"{lon},{lat},乡镇卫生院,,兴隆镇卫生院分院")
    assert named.name == "兴隆镇卫生院分院"
    assert np.isnan(named.beds)
    after = whatif.apply(sample_layers, whatif.Changes(add=(named, site)))
    added = after[after["change"] == "added"]
    assert added["name"].tolist() == ["兴隆镇卫生院分院", "新建乡镇卫生院 2"]
    bd = coords.wgs84_to_bd09([lon], [lat])
    assert whatif.parse_add(f"{bd[0][0]},{bd[1][0]},village_clinic", "bd09").lon == pytest.approx(
        lon, abs=1e-6
    )
    with pytest.raises(ConfigError, match="swapped"):
        whatif.parse_add("46.1,127.4,village_clinic")
    with pytest.raises(ConfigError, match="unknown level"):
        whatif.parse_add("127.4,46.1,spaceport")
    with pytest.raises(ConfigError, match="lon,lat,level"):
        whatif.parse_add("127.4,46.1")
    with pytest.raises(ConfigError, match="ID=level"):
        whatif.parse_upgrade("239901101001")
    with pytest.raises(InputError, match="not in the facilities file"):
        whatif.apply(sample_layers, whatif.Changes(close=("nope",)))
    with pytest.raises(InputError, match="outside the study region"):
        whatif.apply(sample_layers, whatif.Changes(add=(whatif.NewSite(100.0, 30.0, "clinic"),)))
    ident = str(sample_layers.facilities["facility_id"].iloc[0])
    both = whatif.Changes(close=(ident,), upgrade=((ident, "county_hospital"),))
    with pytest.raises(InputError, match="both closed and upgraded"):
        whatif.apply(sample_layers, both)


def test_whatif_comparison_adds_up(sample_layers):
    facilities = sample_layers.facilities
    thc = facilities[facilities["level"] == "township_health_centre"]
    first, second = thc["facility_id"].astype(str).iloc[:2]
    changes = whatif.Changes(
        add=(whatif.NewSite(127.30, 46.00, "township_health_centre"),),
        close=(first,),
        upgrade=((second, "rural_regional_centre"),),
    )
    after = whatif.apply(sample_layers, changes)
    assert len(after) == len(facilities) + 1
    assert set(after["change"]) == {"", "added", "closed", "upgraded from township_health_centre"}
    scenario = whatif.scenario_layers(sample_layers, after)
    assert len(scenario.facilities) == len(facilities)  # one added, one closed
    assert first not in set(scenario.facilities["facility_id"].astype(str))
    before_run = coverage.run(sample_layers, modes=("drive",), progress=False)
    after_run = coverage.run(whatif.scenario_layers(sample_layers, after), modes=("drive",))
    table = whatif.compare(sample_layers, before_run, after_run)
    assert list(table.columns) == list(whatif.COLUMNS)
    assert np.allclose(
        table["difference"], table["newly_covered"] - table["no_longer_covered"], atol=1e-6
    )
    assert (table["covered_after"] <= table["population"] + 1e-6).all()
    for _, rows in table.groupby(["group", "mode", "threshold_min"]):
        towns = rows[rows["code"] != coverage.AREA_CODE]
        area = rows[rows["code"] == coverage.AREA_CODE].iloc[0]
        assert towns["newly_covered"].sum() == pytest.approx(area["newly_covered"])
    secondary = table[(table["group"] == "secondary") & (table["code"] == coverage.AREA_CODE)]
    assert (secondary["difference"] > 0).all()  # an upgrade to secondary level adds coverage
    assert (secondary["no_longer_covered"] == 0).all()
    layers_out = whatif.change_layers(sample_layers, before_run, after_run, after, 15.0)
    assert set(layers_out["changes"]["change"].str.split().str[0]) == {
        "added",
        "upgraded",
        "closed",
    }
    gained = layers_out["newly_covered_secondary_drive"]
    row = secondary[secondary["threshold_min"] == 15.0].iloc[0]
    assert gained["population"].sum() == pytest.approx(row["newly_covered"])


def test_whatif_and_presets_from_the_command_line(tmp_path, planning_runs):
    runner = CliRunner()
    out, result = planning_runs["whatif"]
    assert result.exit_code == 0, result.output
    assert "secondary drive        ≤15 min" in result.stdout
    table = pd.read_csv(out / "whatif.csv", encoding="utf-8-sig", dtype={"code": str})
    assert list(table.columns) == list(whatif.COLUMNS)
    page = (out / "whatif_map.html").read_text(encoding="utf-8")
    offline.check_offline(page)
    names = overlay_names(page)
    assert "新增覆盖 · 二级医疗 · 驾车" in names
    assert "方案变动的机构" in names
    referral = pd.read_csv(out / "referral.csv", dtype={"facility_id": str})
    upgraded = referral[referral["facility_id"] == "239901104001"].iloc[0]
    assert upgraded["secondary_after_min"] == 0
    assert upgraded["secondary_before_min"] > 15
    nothing = runner.invoke(main, ["whatif", str(SAMPLE_CONFIG), "--out", str(tmp_path / "n")])
    assert nothing.exit_code == 2
    assert "nothing to test" in nothing.output
    assert not (tmp_path / "n").exists()

    reg, result = planning_runs["regional"]
    assert result.exit_code == 0, result.output
    assert "gap 0.00% (Optimal" in result.stdout
    assert "to its own centre" in result.stdout
    made = ("sites.csv", "townships.csv", "referral.csv", "assignment.gpkg", "site_map.html")
    for name in (*made, "plan.json"):
        assert (reg / name).is_file()
    centres = pd.read_csv(reg / "sites.csv", dtype={"township_code": str})
    assert centres["township_code"].str.len().gt(0).all()
    assert {"lon_gcj02", "lat_gcj02"} <= set(centres.columns)  # the sample's list is GCJ-02
    from matplotlib import image

    pixels = image.imread(reg / "site_map.png")
    assert pixels.shape[:2] == pytest.approx((2480, 3508), abs=1)
    assert pixels[..., :3].std() > 0.05
    assert (reg / "site_map.pdf").is_file()
    page = (reg / "site_map.html").read_text(encoding="utf-8")
    assert "农村区域性医疗卫生中心选址" in page
    assert {"服务范围（按选址着色）", "未分配/未覆盖区域", "选址结果"} <= set(overlay_names(page))
    args = ["site", str(SAMPLE_CONFIG), "--preset", "regional-centre", "--problem", "lscp"]
    bad = runner.invoke(main, [*args, "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    assert "drop --problem lscp" in bad.output

    amb, result = planning_runs["ambulance"]
    assert result.exit_code == 0, result.output
    assert "1 existing, 14 needed at 1 per 30,000 residents" in result.stdout
    assert len(pd.read_csv(amb / "sites.csv")) == 14


def test_an_upgraded_township_hospital_still_gives_primary_care(sample_layers):
    thc = sample_layers.facilities[sample_layers.facilities["level"] == "township_health_centre"]
    changes = whatif.Changes(upgrade=((str(thc["facility_id"].iloc[0]), "rural_regional_centre"),))
    scenario = whatif.scenario_layers(sample_layers, whatif.apply(sample_layers, changes))
    before = coverage.run(sample_layers, modes=("drive",), progress=False)
    after = coverage.run(scenario, modes=("drive",), progress=False)
    table = whatif.compare(sample_layers, before, after)
    primary = table[table["group"] == "primary"]
    assert (primary["difference"] == 0).all()  # it counts in both groups
    secondary = table[table["group"] == "secondary"]
    assert (secondary["difference"] >= 0).all()
    assert secondary["difference"].max() > 0
