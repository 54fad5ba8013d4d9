"""Monte Carlo uncertainty and sensitivity analysis (steer.composite.uncertainty): the fast path
against a per-run rebuild with the pipeline, COINr's definitions, the ranking, and the errors."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steer.composite import CompositeError
from steer.composite.pipeline import Options, run
from steer.composite.stats import min_ranks
from steer.composite.tables import load, read_data, read_meta
from steer.composite.uncertainty import (
    Assumptions,
    _pick,
    min_ranks_rows,
    quantile7,
    rank_change_is_significant,
    run_sensitivity,
    run_uncertainty,
    saltelli_indices,
    saltelli_sample,
)

ASEM = Path(__file__).resolve().parent / "data" / "coinr-asem"
IDATA, IMETA = ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"
needs_asem = pytest.mark.skipif(not IDATA.exists(), reason="the ASEM reference tables")
# COINr's ASEM pipeline, normalised to [1, 100] so that the geometric mean applies
ASEM_OPTIONS = Options(
    f_i="i_mean_grp", use_group="EurAsia_group", dat_thresh=0.9, winmax=5, l_u=(1.0, 100.0)
)
EVERYTHING = Assumptions(
    weight_noise=0.25,
    winmax=(None, 1, "none"),
    normalisations=(None, {"f_n": "n_zscore", "m_sd": (100.0, 10.0)}),
    aggregations=("a_amean", "a_gmean", "a_hmean"),
)


def asem():
    return load(IDATA, IMETA)


# -- Hanoi districts: two pillars of three indicators, one lower-is-better --------------------

DISTRICTS = [
    ("001", "Ba Đình"),
    ("002", "Hoàn Kiếm"),
    ("003", "Tây Hồ"),
    ("004", "Long Biên"),
    ("005", "Cầu Giấy"),
    ("006", "Đống Đa"),
    ("007", "Hai Bà Trưng"),
    ("008", "Hoàng Mai"),
    ("009", "Thanh Xuân"),
    ("019", "Nam Từ Liêm"),
    ("021", "Bắc Từ Liêm"),
    ("268", "Hà Đông"),
]
INDICATORS = [
    ("DVC", "Dịch vụ công trực tuyến", "SO", "1", "1"),
    ("HSO", "Hồ sơ trễ hạn", "SO", "-1", "1"),
    ("CK", "Thanh toán không dùng tiền mặt", "SO", "1", "2"),
    ("DN", "Doanh nghiệp đổi mới", "DMST", "1", "2"),
    ("SC", "Sáng chế", "DMST", "1", "1"),
    ("NC", "Chi nghiên cứu", "DMST", "1", "1"),
]


def district_meta():
    rows = [
        {"iCode": c, "iName": name, "Level": "1", "Parent": parent}
        | {"Direction": direction, "Weight": weight, "Type": "Indicator"}
        for c, name, parent, direction, weight in INDICATORS
    ]
    rows += [
        {"iCode": "SO", "iName": "Chuyển đổi số", "Level": "2", "Parent": "IDX"}
        | {"Direction": "1", "Weight": "1", "Type": "Aggregate"},
        {"iCode": "DMST", "iName": "Đổi mới sáng tạo", "Level": "2", "Parent": "IDX"}
        | {"Direction": "1", "Weight": "1", "Type": "Aggregate"},
        {"iCode": "IDX", "iName": "Chỉ số", "Level": "3", "Parent": ""}
        | {"Direction": "1", "Weight": "1", "Type": "Aggregate"},
    ]
    return rows


def districts(seed: int = 3, missing: bool = False, twins: bool = False):
    rng = np.random.default_rng(seed)
    units = list(DISTRICTS) + ([("999", "Sơn Tây")] if twins else [])
    values = np.column_stack(
        [
            rng.uniform(60, 99, len(units)),  # DVC %
            rng.uniform(0.5, 12, len(units)),  # HSO %
            rng.uniform(20, 90, len(units)),  # CK %
            rng.lognormal(3, 0.8, len(units)),  # DN, skewed
            rng.poisson(8, len(units)).astype(float) + rng.uniform(0, 0.5, len(units)),  # SC
            rng.uniform(0.1, 2.5, len(units)),  # NC % GRDP
        ]
    )
    if twins:
        values[-1] = values[-2]  # Sơn Tây copies Hà Đông
    rows = []
    for i, (code, name) in enumerate(units):
        row = {"uCode": code, "uName": name}
        for j, (ind, *_rest) in enumerate(INDICATORS):
            row[ind] = repr(float(values[i, j]))
        rows.append(row)
    if missing:
        rows[2]["SC"] = ""
        rows[5]["DVC"] = ""
        rows[5]["NC"] = ""
        rows[9]["HSO"] = ""
    framework = read_meta(district_meta())
    return read_data(rows, framework), framework


def rebuild_ranks(data, framework, base, result, runs):
    """The slow, obvious way: rebuild each run with the pipeline and rank it."""
    return np.array(
        [run(data, framework, result.parameters.options(base, r)).ranks() for r in runs]
    )


# -- the fast path against the pipeline -------------------------------------------------------


@needs_asem
def test_fast_path_ranks_equal_a_pipeline_rebuild_of_every_run():
    data, framework = asem()
    result = run_uncertainty(data, framework, ASEM_OPTIONS, EVERYTHING, runs=90, seed=11, keep=True)
    slow = rebuild_ranks(data, framework, ASEM_OPTIONS, result, range(90))
    assert np.array_equal(result.ranks, slow)
    # every combination was drawn
    choices = result.parameters.choices
    assert len(set(zip(*(choices[k].tolist() for k in choices), strict=True))) == 18


@needs_asem
def test_fast_path_scores_equal_the_pipeline_scores_to_rounding():
    data, framework = asem()
    result = run_uncertainty(data, framework, ASEM_OPTIONS, EVERYTHING, runs=30, seed=5, keep=True)
    for r in range(30):
        scores = run(data, framework, result.parameters.options(ASEM_OPTIONS, r)).scores()
        np.testing.assert_allclose(result.scores[r], scores, rtol=1e-13, atol=0)


@needs_asem
def test_the_parameters_say_which_alternative_each_run_used():
    data, framework = asem()
    result = run_uncertainty(data, framework, ASEM_OPTIONS, EVERYTHING, runs=40, seed=2)
    p = result.parameters
    assert p.labels["treatment"] == ("winmax 5", "winmax 1", "no treatment")
    assert p.labels["normalisation"] == ("n_minmax (1.0, 100.0)", "n_zscore (100.0, 10.0)")
    for r in range(40):
        options = p.options(ASEM_OPTIONS, r)
        assert options.f_ag == p.label("aggregation", r)
        assert options.treat == (p.label("treatment", r) != "no treatment")
        assert options.f_n == p.label("normalisation", r).split()[0]
    # weights re-scaled within each parent
    assert p.weights.shape == (40, len(p.weight_codes))
    parents = [framework.nodes[c].parent for c in p.weight_codes]
    for parent in set(parents):
        cols = [j for j, q in enumerate(parents) if q == parent]
        np.testing.assert_allclose(p.weights[:, cols].sum(axis=1), 1.0, rtol=1e-12)


@needs_asem
def test_missing_values_take_the_level_by_level_route_and_both_routes_agree():
    data, framework = asem()
    options = Options(winmax=5, l_u=(1.0, 100.0))  # no imputation: 20 units keep a gap
    assert np.isnan(run(data, framework, options).stages["Normalised"].values).any(axis=1).sum()
    fast = run_uncertainty(data, framework, options, EVERYTHING, runs=60, seed=4, keep=True)
    slow = run_uncertainty(
        data, framework, options, EVERYTHING, runs=60, seed=4, keep=True, fast=False
    )
    assert np.array_equal(fast.ranks, slow.ranks)
    np.testing.assert_allclose(fast.scores, slow.scores, rtol=1e-13)
    assert np.array_equal(fast.ranks, rebuild_ranks(data, framework, options, fast, range(60)))


def test_district_gaps_are_re_weighted_like_the_pipeline():
    data, framework = districts(missing=True)
    assumptions = Assumptions(weight_noise=0.4, aggregations=("a_amean", "a_gmean", "a_hmean"))
    options = Options(l_u=(1.0, 100.0))
    result = run_uncertainty(data, framework, options, assumptions, runs=50, seed=8, keep=True)
    slow = run_uncertainty(
        data, framework, options, assumptions, runs=50, seed=8, keep=True, fast=False
    )
    assert np.array_equal(result.ranks, slow.ranks)
    assert np.array_equal(result.ranks, rebuild_ranks(data, framework, options, result, range(50)))


def test_no_noise_and_single_alternatives_reproduce_the_nominal_ranking():
    data, framework = districts()
    result = run_uncertainty(
        data, framework, Options(), Assumptions(weight_noise=0.0), runs=20, seed=1, keep=True
    )
    nominal = run(data, framework, Options()).ranks()
    assert np.array_equal(result.nominal_rank, nominal)
    assert (result.ranks == nominal).all()
    for stat in (result.mean_rank, result.median_rank, result.q05_rank, result.q95_rank):
        assert np.array_equal(stat, nominal)
    assert result.interval("006") == (nominal[5], nominal[5])


@needs_asem
def test_no_noise_reproduces_the_asem_nominal_ranking():
    data, framework = asem()
    result = run_uncertainty(
        data, framework, ASEM_OPTIONS, Assumptions(weight_noise=0.0), runs=5, seed=0, keep=True
    )
    assert (result.ranks == run(data, framework, ASEM_OPTIONS).ranks()).all()
    assert np.array_equal(result.q05_rank, result.q95_rank)


@needs_asem
def test_the_intervals_contain_the_nominal_rank_for_most_units():
    data, framework = asem()
    result = run_uncertainty(data, framework, ASEM_OPTIONS, Assumptions(), runs=400, seed=3)
    inside = (result.q05_rank <= result.nominal_rank) & (result.nominal_rank <= result.q95_rank)
    assert inside.mean() >= 0.9
    assert (result.q05_rank <= result.median_rank).all()
    assert (result.median_rank <= result.q95_rank).all()
    assert (result.q95_rank - result.q05_rank).max() > 0  # the weights do move ranks
    assert result.runs == 400


def test_each_run_ranks_1_to_n_with_ties_sharing_the_lowest_rank():
    data, framework = districts(twins=True)
    result = run_uncertainty(data, framework, Options(), Assumptions(), runs=40, seed=6, keep=True)
    n = len(result.units)
    twin, original = result.units.index("999"), result.units.index("268")
    for r in range(40):
        ranks = result.ranks[r]
        assert np.array_equal(ranks, min_ranks(result.scores[r]))
        assert ranks[twin] == ranks[original]
        assert ranks.min() == 1 and ranks.max() <= n
        # min ties: a unit's rank is 1 + the number of units ranked before it
        assert all(k == 1 + (ranks < k).sum() for k in ranks)


def test_identical_communes_tie_in_every_run_wherever_they_sit():
    rng = np.random.default_rng(12)
    n = 300  # more units than one slice of the matrix product
    framework = read_meta(district_meta())
    values = rng.uniform(1, 50, (n, len(INDICATORS)))
    values[n - 1] = values[0]
    values[150] = values[7]
    rows = [
        {"uCode": f"X{i:03d}", "uName": f"Xã {i}"}
        | {ind: repr(float(values[i, j])) for j, (ind, *_rest) in enumerate(INDICATORS)}
        for i in range(n)
    ]
    data = read_data(rows, framework)
    a = Assumptions(weight_noise=0.5, aggregations=("a_amean", "a_gmean", "a_hmean"))
    result = run_uncertainty(data, framework, Options(l_u=(1.0, 100.0)), a, runs=64, keep=True)
    assert np.array_equal(result.ranks[:, 0], result.ranks[:, n - 1])
    assert np.array_equal(result.ranks[:, 7], result.ranks[:, 150])
    assert np.array_equal(result.ranks, min_ranks(result.scores))


def test_threads_seeds_and_the_plain_ranking_agree():
    data, framework = districts()
    a = Assumptions(weight_noise=0.3, winmax=(None, 1), aggregations=("a_amean", "a_gmean"))
    options = Options(l_u=(1.0, 100.0))
    one = run_uncertainty(data, framework, options, a, runs=300, seed=9, threads=1, keep=True)
    two = run_uncertainty(data, framework, options, a, runs=300, seed=9, threads=2, keep=True)
    plain = run_uncertainty(data, framework, options, a, runs=300, seed=9, ranking="argsort")
    other = run_uncertainty(data, framework, options, a, runs=300, seed=10)
    assert np.array_equal(one.ranks, two.ranks)
    for field in ("mean_rank", "median_rank", "q05_rank", "q95_rank"):
        assert np.array_equal(getattr(one, field), getattr(two, field))
        assert np.array_equal(getattr(one, field), getattr(plain, field))
    assert not np.array_equal(one.mean_rank, other.mean_rank)


def test_the_rank_statistics_are_coinr_s_over_the_runs():
    data, framework = districts()
    result = run_uncertainty(data, framework, Options(), Assumptions(), runs=101, seed=2, keep=True)
    ranks = result.ranks
    np.testing.assert_allclose(result.mean_rank, ranks.mean(axis=0))
    np.testing.assert_allclose(result.median_rank, np.median(ranks, axis=0))
    np.testing.assert_allclose(result.q05_rank, np.quantile(ranks, 0.05, axis=0))
    np.testing.assert_allclose(result.q95_rank, np.quantile(ranks, 0.95, axis=0))
    rows = result.rows()
    assert rows[0]["uCode"] == "001" and set(rows[0]) == {
        "uCode",
        "Nominal",
        "Mean",
        "Median",
        "Q5",
        "Q95",
    }


# -- sensitivity ------------------------------------------------------------------------------


@needs_asem
def test_an_assumption_that_changes_nothing_has_zero_sensitivity_indices():
    data, framework = asem()
    a = Assumptions(weight_noise=0.25, winmax=(5, 5), aggregations=("a_amean", "a_gmean"))
    result = run_sensitivity(data, framework, ASEM_OPTIONS, a, n=40, seed=1)
    assert result.names == ["weights", "treatment", "aggregation"]
    dummy = result.names.index("treatment")
    assert result.si[dummy] == 0 and result.sti[dummy] == 0
    assert result.variance > 0
    assert result.sti[result.names.index("aggregation")] > 0


def test_the_sensitivity_output_is_the_mean_absolute_rank_shift():
    data, framework = districts()
    a = Assumptions(weight_noise=0.3, aggregations=("a_amean", "a_hmean"))
    options = Options(l_u=(1.0, 100.0))
    result = run_sensitivity(data, framework, options, a, n=20, seed=4, keep=True)
    ranks = result.uncertainty.ranks
    assert ranks.shape == (20 * (2 + 2), len(data.units))
    expected = np.abs(ranks - result.uncertainty.nominal_rank).mean(axis=1)
    np.testing.assert_allclose(result.y, expected)
    assert result.uncertainty.runs == 40  # rank statistics over A and B only
    np.testing.assert_allclose(result.uncertainty.mean_rank, ranks[:40].mean(axis=0))
    y_a, y_b = result.y[:20], result.y[20:40]
    v = np.var(np.r_[y_a, y_b], ddof=1)
    for i in range(2):
        y_ab = result.y[(2 + i) * 20 : (3 + i) * 20]
        assert result.si[i] == pytest.approx(np.mean(y_b * (y_ab - y_a)) / v)
        assert result.sti[i] == pytest.approx(np.sum((y_a - y_ab) ** 2) / (2 * 20 * v))
    # the A_B^i runs take assumption i from B and the others from A
    p = result.uncertainty.parameters
    agg = p.choices["aggregation"]
    assert np.array_equal(agg[40:60], agg[:20]) and np.array_equal(agg[60:80], agg[20:40])
    assert np.array_equal(p.weights[40:60], p.weights[20:40])
    assert np.array_equal(p.weights[60:80], p.weights[:20])


def test_the_bootstrap_gives_intervals_around_the_indices():
    data, framework = districts()
    a = Assumptions(weight_noise=0.3, winmax=(None, 0), aggregations=("a_amean", "a_gmean"))
    result = run_sensitivity(data, framework, Options(l_u=(1.0, 100.0)), a, n=30, n_boot=200)
    assert result.si_q05.shape == result.sti_q95.shape == (3,)
    assert (result.si_q05 <= result.si_q95).all() and (result.sti_q05 <= result.sti_q95).all()
    assert np.isfinite(result.sti_q95).all()
    assert {"Si_q5", "STi_q95"} <= set(result.rows()[0])


def test_saltelli_estimators_find_the_linear_function_s_indices():
    # COINr's SA_estimate example: y = x1 + 2 x2 + 3 x3, Si = (1, 4, 9) / 14, STi = Si
    rng = np.random.default_rng(0)
    n = 20_000
    x = saltelli_sample(rng.random((n, 6)))
    assert x.shape == (n * 5, 3)
    y = x @ np.array([1.0, 2.0, 3.0])
    out = saltelli_indices(y, n, 3, n_boot=50, rng=rng)
    np.testing.assert_allclose(out["si"], np.array([1, 4, 9]) / 14, atol=0.03)
    np.testing.assert_allclose(out["sti"], np.array([1, 4, 9]) / 14, atol=0.03)
    assert (out["si_q05"] <= out["si"]).all() and (out["si"] <= out["si_q95"]).all()


def test_a_constant_output_gives_zero_indices():
    out = saltelli_indices(np.ones(5 * 4), 5, 2)
    assert out["variance"] == 0 and (out["si"] == 0).all() and (out["sti"] == 0).all()


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assumptions", "message"),
    [
        (Assumptions(normalisations=("n_minimax",)), "n_minimax"),
        (
            Assumptions(
                normalisations=({"f_n": "n_zscore", "sd": 2},),
            ),
            "unknown field",
        ),
        (Assumptions(aggregations=("a_copeland",)), "a_copeland"),
        (Assumptions(aggregations=()), "one or more"),
        (Assumptions(weight_noise=1.0), "weight_noise"),
        (Assumptions(weight_noise=-0.1), "weight_noise"),
        (Assumptions(noise_levels=(3,)), "noise_levels"),
        (Assumptions(winmax=(-1,)), "winmax"),
        (Assumptions(winmax=("log",)), "winmax"),
        (Assumptions(aggregations=("a_amean", "a_gmean")), "positive"),  # minmax to [0, 100]
        (Assumptions(aggregations=("a_hmean",)), "positive"),
    ],
)
def test_bad_assumptions_raise_a_composite_error(assumptions, message):
    data, framework = districts()
    with pytest.raises(CompositeError, match=message):
        run_uncertainty(data, framework, Options(), assumptions, runs=10)


def test_too_few_runs_or_nothing_to_vary_raise_a_composite_error():
    data, framework = districts()
    with pytest.raises(CompositeError, match="at least 3"):
        run_uncertainty(data, framework, Options(), Assumptions(), runs=2)
    with pytest.raises(CompositeError, match="at least 3"):
        run_sensitivity(data, framework, Options(), Assumptions(), n=2)
    with pytest.raises(CompositeError, match="Nothing varies"):
        run_sensitivity(data, framework, Options(), Assumptions(weight_noise=0.0), n=10)
    with pytest.raises(CompositeError, match="n_boot"):
        run_sensitivity(data, framework, Options(), Assumptions(), n=10, n_boot=0)
    with pytest.raises(CompositeError, match="a_genmean"):
        run_uncertainty(data, framework, Options(f_ag="a_genmean"), Assumptions(), runs=10)


# -- ranking, quantiles, sampling -------------------------------------------------------------


def reference_ranks(row: np.ndarray) -> np.ndarray:
    """1 + the number of strictly higher scores."""
    return 1 + (row[None, :] > row[:, None]).sum(axis=1)


scores_with_ties = st.integers(1, 60).flatmap(
    lambda n: st.lists(
        st.one_of(
            st.integers(-3, 3).map(float),  # exact ties
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
            st.floats(0.999999, 1.000001, allow_nan=False),  # near ties
            st.just(np.nextafter(1.0, 2.0)),
        ),
        min_size=n,
        max_size=n,
    )
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(scores_with_ties, min_size=1, max_size=4))
def test_the_fast_ranking_matches_a_simple_reference(rows):
    n = min(len(r) for r in rows)
    scores = np.array([r[:n] for r in rows])
    got = min_ranks_rows(scores)
    for row, ranks in zip(scores, got, strict=True):
        assert np.array_equal(ranks, reference_ranks(row))
        assert np.array_equal(ranks, min_ranks(row))


def test_the_fast_ranking_of_many_units_uses_wide_keys_and_stays_exact():
    rng = np.random.default_rng(1)
    scores = np.round(rng.normal(50, 10, (3, 5000)), 1)  # > 4,096 units, many ties
    scores[0, :50] = scores[0, 50:100]
    assert np.array_equal(min_ranks_rows(scores), min_ranks(scores))
    spread = rng.normal(0, 1, (2, 3321)) * 10.0 ** rng.integers(-12, 12, (2, 3321))
    assert np.array_equal(min_ranks_rows(spread), min_ranks(spread))


def test_the_fast_ranking_copes_with_tiny_and_huge_spreads():
    tiny = np.array([[0.0, 5e-324, 5e-324, 1e-323, 0.0]])  # a subnormal span
    huge = np.array([[-1e308, 1e308, 1e308, 0.0, 5.0]])  # the span overflows
    for scores in (tiny, huge):
        assert np.array_equal(min_ranks_rows(scores), min_ranks(scores))


def test_the_fast_ranking_refuses_nan():
    with pytest.raises(CompositeError, match="finite"):
        min_ranks_rows(np.array([1.0, np.nan]))


def test_quantiles_are_r_s_type_7():
    # R: quantile(1:10, c(0.05, 0.95)) = 1.45, 9.55; quantile(c(1, 1, 2, 9), 0.5) = 1.5
    x = np.arange(1, 11)[None, :]
    assert quantile7(x, 0.05)[0] == pytest.approx(1.45)
    assert quantile7(x, 0.95)[0] == pytest.approx(9.55)
    assert quantile7(np.array([[1, 1, 2, 9]]), 0.5)[0] == 1.5
    rng = np.random.default_rng(0)
    sample = np.sort(rng.integers(1, 50, (20, 37)), axis=1)
    for p in (0.05, 0.5, 0.95):
        np.testing.assert_allclose(quantile7(sample, p), np.quantile(sample, p, axis=1))


def test_uniforms_choose_alternatives_by_equal_bins_over_zero_one():
    u = np.array([0.0, 0.3333, 0.3334, 0.6666, 0.6667, 0.999999])
    assert _pick(u, 3).tolist() == [0, 0, 1, 1, 2, 2]
    assert _pick(u, 1).tolist() == [0] * 6


def test_a_rank_change_is_significant_only_when_the_intervals_do_not_overlap():
    assert rank_change_is_significant(12, 4, (9, 15), (2, 6))
    assert not rank_change_is_significant(12, 7, (9, 15), (5, 10))  # overlap: noise
    assert not rank_change_is_significant(5, 5, (1, 3), (8, 9))  # no change
    assert rank_change_is_significant(3, 20, (1, 5), (16, 25))  # falls
    out = rank_change_is_significant(
        np.array([12, 12]), np.array([4, 7]), [[9, 15], [9, 15]], [[2, 6], [5, 10]]
    )
    assert out.tolist() == [True, False]
    with pytest.raises(CompositeError, match="pair"):
        rank_change_is_significant(1, 2, (1, 2, 3), (1, 2))
