"""The audit (COINr's statistics, correlations, Cronbach's alpha, PCA) and the explanations
(change decomposition, strengths and weaknesses, what-if) of steer.composite."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from steer.composite import CompositeError
from steer.composite.audit import (
    as_columns,
    betainc,
    correlation_p_value,
    correlations,
    cronbach_alpha,
    cronbach_by_group,
    indicator_stats,
    pairwise_correlation,
    pairwise_covariance,
    pca,
    pca_by_group,
    pca_weights,
    t_cdf,
)
from steer.composite.explain import (
    change_decomposition,
    effective_weights,
    strengths_weaknesses,
    what_if,
)
from steer.composite.pipeline import Options, Stage, run
from steer.composite.tables import Data, load, read_data, read_meta

ASEM = Path(__file__).resolve().parent / "data" / "coinr-asem"
IDATA, IMETA = ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"
needs_asem = pytest.mark.skipif(not IDATA.exists(), reason="the ASEM reference tables")
PLAIN = Options(treat=False)  # min-max 0–100, arithmetic mean, nothing imputed or treated


def node(code, name, level, parent, weight="1", direction="1", kind="Indicator"):
    return {
        "iCode": code,
        "iName": name,
        "Level": str(level),
        "Parent": parent,
        "Direction": direction,
        "Weight": weight,
        "Type": kind,
    }


# Hanoi districts: digital government (SO) and innovation (DMST), one lower-is-better indicator.
META = [
    node("DVC", "Dịch vụ công trực tuyến", 1, "SO"),
    node("HSO", "Hồ sơ trễ hạn", 1, "SO", direction="-1"),
    node("DN", "Doanh nghiệp đổi mới", 1, "DMST", weight="2"),
    node("SC", "Sáng chế", 1, "DMST"),
    node("SO", "Chuyển đổi số", 2, "IDX", kind="Aggregate"),
    node("DMST", "Đổi mới sáng tạo", 2, "IDX", kind="Aggregate"),
    node("IDX", "Chỉ số", 3, "", kind="Aggregate"),
]
DISTRICTS = {
    "001": ("Ba Đình", 97, 1, 35, 20),
    "002": ("Hoàn Kiếm", 93, 3, 38, 14),
    "003": ("Tây Hồ", 88, 4, 22, 6),
    "005": ("Cầu Giấy", 96, 2, 45, 25),
    "006": ("Đống Đa", 95, 2, 40, 12),
    "007": ("Hai Bà Trưng", 90, 5, 30, 9),
    "008": ("Hoàng Mai", 84, 7, 18, 4),
    "279": ("Thường Tín", 80, 9, 15, 1),
}


def districts(changes=None, meta=None):
    """Data and framework; `changes`: {unit: {code: value}}."""
    rows = []
    for code, (name, dvc, hso, dn, sc) in DISTRICTS.items():
        row = {"uCode": code, "uName": name, "DVC": dvc, "HSO": hso, "DN": dn, "SC": sc}
        row.update((changes or {}).get(code, {}))
        rows.append({k: str(v) for k, v in row.items()})
    framework = read_meta(meta or META)
    return read_data(rows, framework), framework


def position(result, unit):
    return result.aggregated.units.index(unit)


def rank_of(result, unit):
    return int(result.ranks()[position(result, unit)])


def with_value(data: Data, unit: str, code: str, value: float) -> Data:
    columns = {c: v.copy() for c, v in data.columns.items()}
    columns[code][data.units.index(unit)] = value
    return replace(data, columns=columns)


# -- indicator statistics ---------------------------------------------------------------------


@needs_asem
def test_indicator_statistics_agree_with_pandas_on_asem():
    data, framework = load(IDATA, IMETA)
    raw = run(data, framework, PLAIN).stages["Raw"]
    frame = pd.DataFrame(raw.values, columns=raw.codes)
    stats = {s.code: s for s in indicator_stats(raw, framework)}
    assert len(stats) == 49
    for code in raw.codes:
        column, s = frame[code], stats[code]
        present = column.dropna()
        assert (s.min, s.max) == (present.min(), present.max())
        assert s.mean == pytest.approx(column.mean(), rel=1e-12)
        assert s.median == pytest.approx(column.median(), rel=1e-12)
        assert s.std == pytest.approx(column.std(), rel=1e-10)
        assert s.skew == pytest.approx(column.skew(), rel=1e-8, abs=1e-12)
        assert s.kurt == pytest.approx(column.kurt(), rel=1e-8, abs=1e-12)
        assert s.n_avail == column.count()
        assert s.frc_avail == pytest.approx(column.count() / 51)
        assert s.n_unique == present.nunique()
        assert s.frc_nonzero == pytest.approx((present != 0).mean())
        assert s.n_same == present.value_counts().max()
    assert stats["LPI"].name == "Logistics Performance Index"


def test_flags_mark_scarce_zero_heavy_repetitive_and_outlying_indicators():
    framework = read_meta(META)
    units = [f"{i:03d}" for i in range(1, 21)]
    nan = math.nan
    scarce = [float(i) if i < 12 else nan for i in range(20)]  # 12 of 20 available
    zeros = [0.0] * 11 + [float(i) for i in range(1, 10)]
    repeats = [1.0, 2.0, 3.0] * 6 + [4.0, 5.0]
    outlier = [*range(1, 20), 400.0]
    half_missing = [float(i) if i % 2 and i > 1 else nan for i in range(20)]  # 9, distinct
    stage = Stage(
        units,
        ["DVC", "HSO", "DN", "SC", "SO"],
        np.column_stack([scarce, zeros, repeats, outlier, half_missing]).astype(float),
    )
    stats = {s.code: s for s in indicator_stats(stage, framework)}
    assert stats["DVC"].flag_avail == "LOW" and stats["DVC"].frc_avail == 0.6
    assert stats["HSO"].flag_nonzero == "LOW" and stats["HSO"].n_nonzero == 9
    assert stats["DN"].flag_unique == "LOW" and stats["DN"].n_same == 6
    assert stats["SC"].flag_skew_kurt == "OUT" and stats["SC"].skew > 2
    # COINr's quirk divides by the rows: half missing reads as "mostly zero" and "repetitive"
    fixed = stats["SO"]
    assert (fixed.flag_nonzero, fixed.flag_unique) == ("ok", "ok")
    assert fixed.frc_unique == 1.0 and fixed.flag_avail == "LOW"
    quirky = {s.code: s for s in indicator_stats(stage, framework, coinr_shares=True)}["SO"]
    assert (quirky.flag_nonzero, quirky.flag_unique) == ("LOW", "LOW")
    columns = as_columns(indicator_stats(stage, framework, codes=["DVC", "SC"]))
    assert columns["code"] == ["DVC", "SC"] and columns["flag_skew_kurt"] == ["ok", "OUT"]
    with pytest.raises(CompositeError, match="NOPE not in this stage"):
        indicator_stats(stage, framework, codes=["NOPE"])


# -- correlations -----------------------------------------------------------------------------


def test_the_t_distribution_matches_its_closed_forms():
    for t in (-7.5, -1.3, 0.0, 0.4, 2.0, 30.0):
        assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-13)
        assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-13)
    assert t_cdf(2.228138851986274, 10) == pytest.approx(0.975, abs=1e-12)
    assert t_cdf(1.959963984540054, 1e7) == pytest.approx(0.975, abs=1e-6)
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-12)  # 1 − Σ binomial terms
    # r on 4 units: t = r·√2/√(1 − r²) on 2 df, two-sided p = 1 − |t|/√(2 + t²)
    for r in (-0.9, 0.3, 0.75):
        t = r * math.sqrt(2 / (1 - r * r))
        expected = 1 - abs(t) / math.sqrt(2 + t * t)
        assert correlation_p_value(r, 4) == pytest.approx(expected, abs=1e-13)
    assert math.isnan(correlation_p_value(0.5, 2)) and correlation_p_value(1.0, 5) == 0


@needs_asem
def test_correlations_are_pandas_pairwise_pearson_each_pair_once():
    data, framework = load(IDATA, IMETA)
    result = run(data, framework, PLAIN)
    agg = result.aggregated
    frame = pd.DataFrame(agg.values, columns=agg.codes)
    report = correlations(result, data)
    assert len({frozenset((p.a, p.b)) for p in report.within}) == len(report.within)
    for p in report.within + report.with_ancestors:
        assert p.r == pytest.approx(frame[p.a].corr(frame[p.b]), abs=1e-12)
        assert framework.nodes[p.a].level == 1
    for p in report.within:
        assert framework.nodes[p.a].parent == framework.nodes[p.b].parent == p.group
    assert {p.b for p in report.with_ancestors if p.a == "LPI"} == {"Physical", "Conn", "Index"}
    pillars = framework.level(2)
    expected = sum(
        len(framework.children(g)) * (len(framework.children(g)) - 1) // 2 for g in pillars
    )
    assert len(report.within) == expected
    assert all(p.r > 0.9 for p in report.collinear) and all(p.r < -0.4 for p in report.negative)
    r, n = pairwise_correlation(agg.values)
    reference = frame.corr().to_numpy()
    assert np.allclose(r, reference, atol=1e-12, equal_nan=True)
    assert n[0, 0] == frame.iloc[:, 0].count()
    # denominators: the raw indicators against the raw denominators
    raw = pd.DataFrame(result.stages["Raw"].values, columns=result.stages["Raw"].codes)
    pop = pd.Series(data.columns["Population"])
    flights = next(p for p in report.denominators if (p.a, p.b) == ("Flights", "Population"))
    assert flights.r == pytest.approx(raw["Flights"].corr(pop), abs=1e-12)
    assert all(abs(p.r) > 0.6 for p in report.denominator_flags)
    assert len(report.denominators) == 49 * 4


def test_correlation_flags_catch_collinear_and_opposed_indicators():
    data, framework = districts()
    # DN and SC move together; in SO, DVC and late files (lower is better) agree once turned
    data.columns["SC"] = data.columns["DN"] * 0.5 + np.array([0, 0.1, 0, -0.1, 0, 0.1, 0, 0])
    data.columns["DVC"] = np.array([97, 93, 88, 96, 95, 90, 84, 80.0])
    # more late files where more is online: once turned around (lower is better), opposed
    data.columns["HSO"] = np.array([9, 5, 3, 8, 7, 4, 2, 1.0])
    result = run(data, framework, PLAIN)
    report = correlations(result, p_values=True)
    assert [(p.a, p.b) for p in report.collinear] == [("DN", "SC")]
    assert report.collinear[0].group == "DMST" and report.collinear[0].p < 1e-6
    so = next(p for p in report.within if p.group == "SO")
    assert so.r < -0.4 and report.negative == [so]
    blanked = correlations(result, na_insignificant=True)
    assert all(math.isnan(p.r) for p in blanked.within if p.p > 0.05)
    assert blanked.negative == [] or all(p.p <= 0.05 for p in blanked.negative)
    with pytest.raises(CompositeError, match="grouplev"):
        correlations(result, level=1, grouplev=1)
    with pytest.raises(CompositeError, match="no stage Treated"):
        correlations(result, dset="Treated")


# -- Cronbach's alpha -------------------------------------------------------------------------


def test_cronbachs_alpha_reproduces_a_textbook_example():
    # Four 5-point Likert items, ten respondents; R (ltm::cronbach.alpha) prints 0.674.
    x = np.array(
        [
            [3, 3, 3, 3],
            [3, 3, 4, 3],
            [3, 3, 3, 1],
            [5, 4, 4, 5],
            [2, 1, 4, 4],
            [4, 4, 4, 5],
            [3, 2, 3, 3],
            [3, 4, 3, 3],
            [4, 2, 2, 3],
            [3, 3, 2, 3],
        ],
        dtype=float,
    )
    assert round(cronbach_alpha(x), 3) == 0.674
    # the direct formula: k/(k−1)·(1 − Σ item variances / variance of the total)
    k = x.shape[1]
    direct = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(x) == pytest.approx(direct, rel=1e-12)
    assert cronbach_alpha(np.column_stack([x[:, 0]] * 3)) == pytest.approx(1.0)
    assert math.isnan(cronbach_alpha(x[:, :1]))


def test_cronbachs_alpha_uses_pairwise_complete_covariances():
    rng = np.random.default_rng(7)
    base = rng.normal(size=40)
    x = np.column_stack([base + rng.normal(scale=s, size=40) for s in (0.3, 0.6, 1.0)])
    x[[1, 5, 9], 0] = np.nan
    x[[2, 5], 2] = np.nan
    c = pairwise_covariance(x)
    assert np.allclose(c, pd.DataFrame(x).cov().to_numpy(), atol=1e-13)
    assert cronbach_alpha(x) == pytest.approx(3 / 2 * (1 - np.trace(c) / c.sum()), rel=1e-13)


@needs_asem
def test_cronbachs_alpha_per_group_on_asem():
    data, framework = load(IDATA, IMETA)
    result = run(data, framework, PLAIN)
    alphas = cronbach_by_group(result)
    assert set(alphas) == set(framework.level(2) + framework.level(3) + framework.level(4))
    assert all(-5 < a < 1 for a in alphas.values())
    agg = result.aggregated
    kids = framework.children("Physical")
    direct = cronbach_alpha(np.column_stack([agg.column(k) for k in kids]))
    assert alphas["Physical"] == direct
    assert set(cronbach_by_group(result, level=2)) == set(framework.level(2))


# -- PCA --------------------------------------------------------------------------------------


def test_pca_variance_sums_to_one_and_pc1_is_turned_positive():
    rng = np.random.default_rng(3)
    f = rng.normal(size=30)
    x = np.column_stack([f + rng.normal(scale=0.4, size=30) for _ in range(4)])
    x[4, 1] = np.nan
    x[11, 3] = np.nan
    out = pca(x, ["DVC", "HSO", "DN", "SC"])
    assert (out.n_used, out.n_dropped) == (28, 2)
    assert sum(out.variance_explained) == pytest.approx(1.0)
    assert out.eigenvalues == sorted(out.eigenvalues, reverse=True)
    assert sum(out.pc1.values()) > 0 and out.negative == [] and out.warning is None
    # the same as the SVD of the standardised complete rows (prcomp), up to the sign
    y = x[~np.isnan(x).any(axis=1)]
    z = (y - y.mean(axis=0)) / y.std(axis=0, ddof=1)
    _, s, vt = np.linalg.svd(z, full_matrices=False)
    assert np.allclose(out.eigenvalues, s**2 / (len(y) - 1))
    assert np.allclose(np.abs(list(out.pc1.values())), np.abs(vt[0]))
    # turned around, the data give the same PC1 (its sign is fixed, not arbitrary)
    assert pca(-x, out.codes).pc1 == pytest.approx(out.pc1)
    for how in ("squared", "abs"):
        w = pca_weights(out, how)
        assert sum(w.values()) == pytest.approx(1.0) and min(w.values()) > 0


def test_pca_warns_when_an_indicator_loads_negatively():
    rng = np.random.default_rng(5)
    f = rng.normal(size=25)
    x = np.column_stack(
        [f, f + rng.normal(scale=0.3, size=25), -f + rng.normal(scale=0.3, size=25)]
    )
    out = pca(x, ["DVC", "DN", "HSO"])
    assert out.negative == ["HSO"] and "HSO" in out.warning
    assert pca_weights(out)["HSO"] == pytest.approx(out.pc1["HSO"] ** 2)
    with pytest.raises(CompositeError, match="how is"):
        pca_weights(out, "cubed")
    with pytest.raises(CompositeError, match="do not vary"):
        pca(np.column_stack([f, np.ones(25)]), ["DVC", "SC"])


@needs_asem
def test_pca_weights_per_pillar_sum_to_one_within_each_parent():
    data, framework = load(IDATA, IMETA)
    result = run(data, framework, PLAIN)
    by_group, weights = pca_by_group(result)
    assert set(by_group) == set(framework.level(2))
    for parent in framework.level(2):
        kids = framework.children(parent)
        assert sum(weights[k] for k in kids) == pytest.approx(1.0)
    rerun = run(data, framework, replace(PLAIN, weights=weights))
    assert not np.isnan(rerun.scores()).any()


# -- change decomposition ---------------------------------------------------------------------


def test_the_change_splits_exactly_into_method_goalposts_and_own_data():
    last_data, framework = districts()
    now_data, _ = districts(
        {
            "006": {"DVC": 98, "HSO": 1, "DN": 41},  # Đống Đa improves
            "005": {"DN": 52},  # Cầu Giấy pushes the top of DN
            "279": {"SC": 3, "HSO": 8},  # Thường Tín lifts the bottom
        }
    )
    last = run(last_data, framework, PLAIN)
    now = run(now_data, framework, replace(PLAIN, weights={"DN": 1.0, "SO": 2.0}))
    change = change_decomposition(last, now, "006")
    parts = change.method_effect + change.goalposts_effect + change.own_data_effect
    assert parts == pytest.approx(change.total, abs=1e-9)
    assert change.total == now.scores()[position(now, "006")] - last.scores()[position(last, "006")]
    assert change.exact_contributions
    assert sum(c.contribution for c in change.own_data) == pytest.approx(
        change.own_data_effect, abs=1e-9
    )
    assert sum(c.contribution for c in change.goalposts) == pytest.approx(
        change.goalposts_effect, abs=1e-9
    )
    weights = effective_weights(now, "006")
    for c in change.own_data:
        assert c.contribution == pytest.approx(weights[c.code] * c.delta, abs=1e-12)
    assert {c.code for c in change.own_data if c.contribution != 0} == {"DVC", "HSO", "DN"}
    magnitudes = [abs(c.contribution) for c in change.own_data]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert any("weight of SO" in m for m in change.method_changes)
    assert change.method_effect != 0
    assert change.rank_last == rank_of(last, "006") and change.rank_now == rank_of(now, "006")
    assert change.places_gained == change.rank_last - change.rank_now


def test_when_only_the_other_units_move_only_the_goalposts_effect_remains():
    last_data, framework = districts()
    now_data, _ = districts({"005": {"DN": 60, "SC": 40}, "279": {"DVC": 70}})
    last, now = run(last_data, framework, PLAIN), run(now_data, framework, PLAIN)
    change = change_decomposition(last, now, "006")  # Đống Đa's data did not change
    assert change.own_data_effect == 0
    assert change.method_effect == pytest.approx(0, abs=1e-12) and change.method_changes == []
    assert change.goalposts_effect == pytest.approx(change.total, abs=1e-12)
    assert change.total < 0  # the top of DN and SC moved away, the bottom of DVC down
    moved = {c.code for c in change.goalposts if abs(c.contribution) > 1e-12}
    assert moved == {"DN", "SC", "DVC"}
    same = change_decomposition(last, last, "006")
    assert (same.total, same.method_effect, same.own_data_effect) == (0, 0, 0)


def test_a_geometric_mean_still_splits_exactly_with_approximate_indicator_shares():
    last_data, framework = districts()
    now_data, _ = districts({"003": {"DVC": 91, "SC": 9}, "008": {"DN": 25}})
    options = replace(PLAIN, f_ag="a_gmean", l_u=(1.0, 100.0))
    last, now = run(last_data, framework, options), run(now_data, framework, options)
    change = change_decomposition(last, now, "003")
    assert not change.exact_contributions
    total = change.method_effect + change.goalposts_effect + change.own_data_effect
    assert total == pytest.approx(change.total, abs=1e-9)
    assert sum(c.contribution for c in change.own_data) == pytest.approx(
        change.own_data_effect, abs=1e-9
    )


@needs_asem
def test_the_asem_change_decomposition_sums_to_the_score_change():
    data, framework = load(IDATA, IMETA)
    options = Options(f_i="i_mean_grp", use_group="EurAsia_group", dat_thresh=0.9, winmax=5)
    rng = np.random.default_rng(11)
    columns = {c: v * (1 + rng.uniform(-0.1, 0.1, v.size)) for c, v in data.columns.items()}
    later = replace(data, columns=columns)
    last = run(data, framework, options)
    now = run(later, framework, replace(options, weights={"Conn": 2.0, "LPI": 3.0}))
    for unit in ("CHE", "VNM", "LAO"):
        change = change_decomposition(last, now, unit)
        parts = change.method_effect + change.goalposts_effect + change.own_data_effect
        assert parts == pytest.approx(change.total, abs=1e-9), unit
        own = sum(c.contribution for c in change.own_data)
        assert own == pytest.approx(change.own_data_effect, abs=1e-9), unit
        assert len(change.own_data) == 49


def test_change_decomposition_refuses_unknown_units_and_different_indicators():
    data, framework = districts()
    result = run(data, framework, PLAIN)
    with pytest.raises(CompositeError, match="unit 999 is not in the results"):
        change_decomposition(result, result, "999")
    meta = [dict(r) for r in META if r["iCode"] != "SC"]
    rows = [
        {"uCode": u, "DVC": str(90 + i), "HSO": str(9 - i), "DN": str(i)}
        for i, u in enumerate(DISTRICTS)
    ]
    small = read_meta(meta)
    other = run(read_data(rows, small), small, PLAIN)
    with pytest.raises(CompositeError, match="same indicators"):
        change_decomposition(result, other, "001")
    with pytest.raises(CompositeError, match="no goalposts"):
        change_decomposition(result, run(data, framework, replace(PLAIN, f_n="n_rank")), "001")


# -- strengths and weaknesses -----------------------------------------------------------------


def test_strengths_and_weaknesses_rank_the_unit_on_each_indicator():
    # Hoàn Kiếm: 2nd on innovative firms (DN), but 7th of 8 on patents (SC) after the change
    data, framework = districts({"002": {"SC": 2}})
    result = run(data, framework, PLAIN)
    profile = strengths_weaknesses(result, "002", k=1)
    assert [(s.code, s.rank, s.of) for s in profile.strengths] == [("DN", 3, 8)]
    assert [(s.code, s.rank) for s in profile.weaknesses] == [("SC", 7)]
    assert profile.weaknesses[0].weight == pytest.approx(0.5 * 1 / 3)
    assert profile.strengths[0].name == "Doanh nghiệp đổi mới"
    full = strengths_weaknesses(result, "002", k=3)
    assert len(full.strengths) == 2 and len(full.weaknesses) == 2  # 4 indicators: split
    assert not {s.code for s in full.strengths} & {s.code for s in full.weaknesses}
    so = next(p for p in full.pillars if p.code == "SO")
    assert so.name == "Chuyển đổi số" and so.level == 2
    assert so.rank == int(
        pd.Series(result.aggregated.column("SO")).rank(ascending=False, method="min")[
            position(result, "002")
        ]
    )
    assert [s.code for s in so.strengths] == ["DVC"] and [s.code for s in so.weaknesses] == ["HSO"]
    assert profile.rank == rank_of(result, "002") and profile.of == 8


def test_strengths_and_weaknesses_list_missing_values_and_refuse_unknown_units():
    data, framework = districts({"279": {"SC": "NA"}})
    result = run(data, framework, PLAIN)
    profile = strengths_weaknesses(result, "279")
    assert profile.missing == ["SC"]
    assert [s.code for s in profile.weaknesses][0] in ("DVC", "HSO", "DN")
    with pytest.raises(CompositeError, match="unit 404"):
        strengths_weaknesses(result, "404")
    with pytest.raises(CompositeError, match="k must"):
        strengths_weaknesses(result, "279", k=0)


def test_effective_weights_multiply_down_the_tree_and_sum_to_one():
    data, framework = districts()
    result = run(data, framework, PLAIN)
    weights = effective_weights(result)
    assert weights == pytest.approx({"DVC": 0.25, "HSO": 0.25, "DN": 1 / 3, "SC": 1 / 6})
    assert sum(weights.values()) == pytest.approx(1.0)


# -- what if ----------------------------------------------------------------------------------


def test_what_if_finds_the_single_indicator_change_that_reaches_the_target_rank():
    data, framework = districts()
    result = run(data, framework, PLAIN)
    unit = "002"  # Hoàn Kiếm, 4th, behind Đống Đa
    answer = what_if(result, unit, 3)
    target = 3
    assert answer.rank == 4 and answer.gap > 0
    assert answer.target_score == pytest.approx(result.scores()[position(result, "006")])
    feasible = [m for m in answer.single if m.feasible]
    assert [m.code for m in feasible] == ["DN", "SC"]  # DN: the larger weight, less effort
    efforts = [m.relative_effort for m in feasible]
    assert efforts == sorted(efforts)
    for move in feasible:
        assert move.rank_after <= target
        rerun = run(with_value(data, unit, move.code, move.needed), framework, PLAIN)
        assert rank_of(rerun, unit) == target, move.code
        # a hair less is not enough
        short = move.needed - 1e-3 * (move.needed - move.current)
        assert (
            rank_of(run(with_value(data, unit, move.code, short), framework, PLAIN), unit) > target
        )
    hso = next(m for m in answer.single if m.code == "HSO")
    assert not hso.feasible and "best observed value (1," in hso.notes[0]
    assert answer.combination_feasible and answer.combination_rank == 3
    assert [m.code for m in answer.combination] == ["DN"]  # alone it suffices, cheapest


def test_what_if_turns_lower_is_better_indicators_around():
    data, framework = districts({"006": {"HSO": 5}})  # Đống Đa falls behind Hoàn Kiếm
    result = run(data, framework, PLAIN)
    assert rank_of(result, "006") == 4
    answer = what_if(result, "006", 3, codes=["HSO"])
    (move,) = answer.single
    assert move.feasible and 4 < move.needed < 5  # fewer late files
    rerun = run(with_value(data, "006", "HSO", move.needed), framework, PLAIN)
    assert rank_of(rerun, "006") == 3


def test_what_if_marks_what_even_the_best_value_cannot_do_and_combines_the_rest():
    data, framework = districts()
    result = run(data, framework, PLAIN)
    answer = what_if(result, "279", 1)  # Thường Tín, last, to the top
    assert answer.rank == 8
    assert not any(m.feasible for m in answer.single)
    assert all("best observed value" in " ".join(m.notes) for m in answer.single)
    # the combination: cheapest first (largest effective weight per share of the range)
    assert answer.combination_feasible
    assert [m.code for m in answer.combination][0] == "DN"  # weight 1/3, the largest
    assert "lowest value" in answer.combination[0].notes[0]  # 279 is last on everything
    changed = data
    for move in answer.combination:
        changed = with_value(changed, "279", move.code, move.needed)
    assert rank_of(run(changed, framework, PLAIN), "279") == 1 == answer.combination_rank


def test_what_if_follows_the_lower_goalpost_when_the_unit_holds_it():
    data, framework = districts()
    result = run(data, framework, PLAIN)
    answer = what_if(result, "279", 7, codes=["SC"])  # Thường Tín has the fewest patents
    (move,) = answer.single
    assert move.feasible and "lower goalpost" in " ".join(move.notes)
    assert rank_of(run(with_value(data, "279", "SC", move.needed), framework, PLAIN), "279") <= 7
    assert answer.combination_rank <= 7 and answer.combination_feasible


def test_what_if_refuses_impossible_requests_by_name():
    data, framework = districts()
    result = run(data, framework, PLAIN)
    rank = rank_of(result, "006")
    with pytest.raises(CompositeError, match="already ranks"):
        what_if(result, "006", rank + 1)
    with pytest.raises(CompositeError, match="already ranks"):
        what_if(result, "006", rank)
    with pytest.raises(CompositeError, match="whole number in 1..8"):
        what_if(result, "006", 0)
    with pytest.raises(CompositeError, match="unit 404"):
        what_if(result, "404", 1)
    with pytest.raises(CompositeError, match="unknown indicator.*XYZ"):
        what_if(result, "279", 1, codes=["XYZ"])
    with pytest.raises(CompositeError, match="costs must be positive"):
        what_if(result, "279", 1, costs={"DN": 0})
    with pytest.raises(CompositeError, match="min-max normalisation and the arithmetic mean"):
        what_if(run(data, framework, replace(PLAIN, f_n="n_zscore")), "279", 1)


@needs_asem
def test_what_if_on_asem_converts_back_through_the_denominator():
    data, framework = load(IDATA, IMETA)
    result = run(data, framework, PLAIN)
    unit = "VNM"
    target = rank_of(result, unit) - 1
    answer = what_if(result, unit, target, codes=["Flights", "LPI", "Bord", "Embs"])
    checked = 0
    for move in answer.single:
        if not move.feasible:
            continue
        rerun = run(with_value(data, unit, move.code, move.needed), framework, PLAIN)
        assert rank_of(rerun, unit) <= target, move.code
        checked += 1
    assert checked == 4
    flights = next(m for m in answer.single if m.code == "Flights")
    assert any("per Population" in n for n in flights.notes)
    pop = data.columns["Population"][data.units.index(unit)]
    assert flights.needed == pytest.approx(flights.needed_prepared * pop, rel=1e-12)


def test_data_preparation_changes_count_as_data_not_as_method():
    data, framework = districts({"279": {"SC": 400}})  # an outlier the treatment winsorises
    last = run(data, framework, Options())
    now = run(data, framework, PLAIN)
    change = change_decomposition(last, now, "006")
    assert change.preparation_changes == ["treat: True → False"]
    assert change.method_changes == [] and change.method_effect == pytest.approx(0, abs=1e-12)
    parts = change.method_effect + change.goalposts_effect + change.own_data_effect
    assert parts == pytest.approx(change.total, abs=1e-9) and change.total != 0
