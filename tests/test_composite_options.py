"""The engine's further options (steer.composite): Copeland aggregation, equal / PCA /
optimised weights, and panels (several years per unit) with imputation over years."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from steer.composite import CompositeError
from steer.composite.pipeline import (
    Options,
    aggregate_level,
    copeland,
    impute_panel,
    run,
    run_panel,
)
from steer.composite.tables import load, read_data, read_meta, read_panel
from steer.composite.weights import (
    checked_weights,
    equal_weights,
    level_correlations,
    optimise_weights,
    pca_weights,
)

ASEM = Path(__file__).resolve().parent / "data" / "coinr-asem"
IDATA, IMETA = ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"
DEFAULT = Options(f_i="i_mean_grp", use_group="EurAsia_group", dat_thresh=0.9, winmax=5)
needs_asem = pytest.mark.skipif(not IDATA.exists(), reason="the ASEM reference tables")


def _node(code, level, parent, kind="Indicator", direction="1", weight="1"):
    return {
        "iCode": code,
        "Level": str(level),
        "Parent": parent,
        "Direction": direction,
        "Weight": weight,
        "Type": kind,
    }


# Two pillars of two indicators under one index; late files (HSO) lower is better.
META = [
    _node("DVC", 1, "SO"),
    _node("HSO", 1, "SO", direction="-1"),
    _node("DN", 1, "DMST", weight="2"),
    _node("SC", 1, "DMST"),
    _node("SO", 2, "IDX", "Aggregate"),
    _node("DMST", 2, "IDX", "Aggregate"),
    _node("IDX", 3, "", "Aggregate"),
]
NAMES = {"001": "Ba Đình", "006": "Đống Đa", "018": "Hai Bà Trưng", "279": "Thường Tín"}


def _row(code, **values):
    return {"uCode": code, "uName": NAMES[code], **values}


DATA = [
    _row("006", DVC="95", HSO="2", DN="40", SC="12"),
    _row("279", DVC="80", HSO="9", DN="15", SC="1"),
    _row("001", DVC="97", HSO="1", DN="35", SC="20"),
    _row("018", DVC="90", HSO="", DN="30", SC="9"),
]


def small(data=None):
    framework = read_meta(META)
    return read_data(data or DATA, framework), framework


@pytest.fixture(scope="module")
def asem():
    if not IDATA.exists():
        pytest.skip("the ASEM reference tables")
    data, framework = load(IDATA, IMETA)
    return data, framework, run(data, framework, DEFAULT)


# -- Copeland ---------------------------------------------------------------------------------

# Three districts (rows in uCode order: 001, 006, 279) on children a, b, c weighted 1, 1, 2.
# 001 vs 006: a → 001, b tied, c missing for 001.   001 vs 279: a → 001, b → 279, c missing.
# 006 vs 279: a → 006, b → 279, c (the heaviest) → 006.
HAND = np.array(
    [
        [3.0, 1.0, np.nan],  # 001 Ba Đình
        [2.0, 1.0, 5.0],  # 006 Đống Đa
        [1.0, 2.0, 4.0],  # 279 Thường Tín
    ]
)
HAND_W = np.array([1.0, 1.0, 2.0])


def test_copeland_counts_wins_minus_losses_a_tie_splitting_its_weight():
    # Decided on the children both have: 001 beats 006 (a, with b tied), draws with 279
    # (a against b); 006 beats 279 (a and c against b).
    assert copeland(HAND, HAND_W).tolist() == [1.0, 0.0, -1.0]


def test_copelands_coinr_mode_gives_a_missing_childs_weight_to_the_later_unit():
    # COINr: s(001, 006) = 0.25 + 0.25/2 = 0.375 < 0.5 → 006 wins; s(001, 279) = 0.25 → 279.
    assert copeland(HAND, HAND_W, "coinr").tolist() == [-2.0, 2.0, 0.0]


def test_copeland_reproduces_coinrs_own_test_cases():
    # COINr tests/testthat/test-aggregate.R ("copeland"): x1 = 1:4, x2 = (3, 2, 1, 5),
    # x3 = (2, 3, 1, 4) with equal weights; and two units that split 1-1 draw.
    x = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)
    for mode in ("tie", "coinr"):
        assert copeland(x, np.ones(3), mode).tolist() == [-1.0, 1.0, -3.0, 3.0]
        assert copeland(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2), mode).tolist() == [0, 0]


def test_copeland_gives_no_score_to_a_unit_missing_every_child():
    values = np.vstack([HAND, [np.nan, np.nan, np.nan]])
    scores = copeland(values, HAND_W)
    assert math.isnan(scores[3])
    assert scores[:3].tolist() == [1.0, 0.0, -1.0]  # everyone else draws with it


def test_copeland_is_an_aggregation_option_level_by_level():
    data, framework = small()
    result = run(data, framework, Options(f_ag="a_copeland", treat=False))
    agg = result.aggregated
    # DMST: DN (weight 2) decides against SC (weight 1): 006 > 001 > 018 > 279 on DN.
    dmst = dict(zip(agg.units, agg.column("DMST").tolist(), strict=True))
    assert dmst == {"001": 1.0, "006": 3.0, "018": -1.0, "279": -3.0}
    # 018's late files are missing: SO is decided on DVC alone for its pairs.
    so = dict(zip(agg.units, agg.column("SO").tolist(), strict=True))
    assert so == {"001": 3.0, "006": 1.0, "018": -1.0, "279": -3.0}
    # The index compares the pillar scores: 001 and 006 split (SO vs DMST), so they draw.
    index = dict(zip(agg.units, result.scores().tolist(), strict=True))
    assert index == {"001": 2.0, "006": 2.0, "018": -1.0, "279": -3.0}
    assert result.ranks().tolist() == [1, 1, 3, 4]


@needs_asem
def test_copeland_ranks_do_not_change_under_a_monotone_transform_of_an_indicator():
    data, framework = load(IDATA, IMETA)
    options = Options(f_ag="a_copeland", treat=False, denominate=False)
    before = run(data, framework, options).ranks()
    columns = dict(data.columns)
    for code, transform in (("Flights", np.cbrt), ("Goods", np.log1p), ("Tariff", np.exp)):
        columns[code] = transform(columns[code] / np.nanmax(columns[code]))
    changed = replace(data, columns=columns)
    assert np.array_equal(run(data, framework, options).ranks(), before)
    assert np.array_equal(run(changed, framework, options).ranks(), before)
    # …whereas the arithmetic mean sees the new spacing.
    mean = replace(options, f_ag="a_amean")
    assert not np.array_equal(
        run(changed, framework, mean).ranks(), run(data, framework, mean).ranks()
    )


def test_copeland_missing_mode_is_checked_and_reaches_the_aggregation():
    data, framework = small()
    with pytest.raises(CompositeError, match="copeland_missing 'ignore' is not one of"):
        run(data, framework, Options(f_ag="a_copeland", copeland_missing="ignore"))
    out = aggregate_level(HAND, HAND_W, "a_copeland", 2.0, (["001", "006", "279"], "abc"), "coinr")
    assert out.tolist() == [-2.0, 2.0, 0.0]


# -- weights ----------------------------------------------------------------------------------


def test_equal_weights_split_each_parent_evenly_overriding_imeta():
    data, framework = small()
    weights = equal_weights(framework)
    assert weights == {k: 0.5 for k in ("DVC", "HSO", "DN", "SC", "SO", "DMST")}
    result = run(data, framework, Options(weights=weights, treat=False))
    norm, agg = result.stages["Normalised"], result.aggregated
    i = data.units.index("006")
    assert agg.column("DMST")[i] == pytest.approx((norm.column("DN")[i] + norm.column("SC")[i]) / 2)


def test_checked_weights_refuse_a_negative_or_all_zero_set_naming_the_parent():
    framework = read_meta(META)
    weights = equal_weights(framework)
    with pytest.raises(CompositeError, match="HSO \\(under SO\\) is -1; a weight cannot be"):
        checked_weights(weights | {"HSO": -1.0}, framework)
    with pytest.raises(CompositeError, match="under DMST are all zero"):
        checked_weights(weights | {"DN": 0.0, "SC": 0.0}, framework)
    rescaled = checked_weights(weights | {"DN": 3.0, "SC": 1.0}, framework)
    assert (rescaled["DN"], rescaled["SC"]) == (0.75, 0.25)


def test_pca_weights_are_non_negative_and_sum_to_one_within_each_parent(asem):
    data, framework, result = asem
    for level in (1, None):
        weights = pca_weights(result, level)
        assert min(weights.values()) >= 0
        for level_of_parent in range(2, framework.top_level + 1):
            for parent in framework.level(level_of_parent):
                total = sum(weights[k] for k in framework.children(parent))
                assert total == pytest.approx(1.0, abs=1e-12)
    assert run(data, framework, replace(DEFAULT, weights=weights)).weights == pytest.approx(weights)


def test_pca_loadings_as_weights_are_refused_when_one_is_negative(asem):
    _, _, result = asem
    with pytest.raises(CompositeError, match="under Instit: PC1 loads negatively on TBTs"):
        pca_weights(result, 1, how="loadings")
    with pytest.raises(CompositeError, match="how is one of"):
        pca_weights(result, 1, how="cubed")


def _spread(correlations: dict[str, float], framework, parent: str) -> float:
    values = [correlations[k] for k in framework.children(parent)]
    return max(values) - min(values)


def test_optimised_weights_even_out_the_pillars_correlations_with_their_parent(asem):
    data, framework, result = asem
    before = level_correlations(result, 2)  # ASEM's iMeta weights are all equal
    out = optimise_weights(result, 2)
    assert all(out.converged.values())
    for parent in ("Conn", "Sust"):
        assert out.objective[parent] < out.objective_before[parent]
        assert _spread(out.correlations, framework, parent) < 0.5 * _spread(
            before, framework, parent
        )
    # The weights are what a new run uses, and give the correlations reported.
    rerun = run(data, framework, replace(DEFAULT, weights=out.weights))
    assert level_correlations(rerun, 2) == pytest.approx(out.correlations)
    assert min(out.weights.values()) >= 0
    assert sum(out.weights[k] for k in framework.children("Sust")) == pytest.approx(1.0)
    # Other levels keep the run's weights.
    assert out.weights["Conn"] == out.weights["Sust"] == 0.5
    assert out.weights["LPI"] == pytest.approx(result.weights["LPI"])


def test_optimised_weights_are_deterministic(asem):
    _, _, result = asem
    first = optimise_weights(result, 2)
    again = optimise_weights(result, 2)
    assert first.weights == again.weights and first.iterations == again.iterations


def test_optimised_weights_against_the_index_follow_coinrs_whole_level(asem):
    _, framework, result = asem
    out = optimise_weights(result, 2, against="index", max_iter=300)
    assert list(out.objective) == ["Index"]
    assert out.objective["Index"] < out.objective_before["Index"]
    assert out.iterations["Index"] <= 300


def test_optimised_weights_refuse_a_bad_target_or_level(asem):
    _, _, result = asem
    with pytest.raises(CompositeError, match="target: LPI not among the weighted nodes"):
        optimise_weights(result, 2, target={"LPI": 1.0})
    with pytest.raises(CompositeError, match="level is the level of the weighted nodes, 1 to 3"):
        optimise_weights(result, 4)
    with pytest.raises(CompositeError, match="against is one of"):
        optimise_weights(result, 2, against="grandparent")


# -- panels -----------------------------------------------------------------------------------

# Uneven years (2020, 2022, 2023) so that linear interpolation weighs the time gaps.
PANEL_ROWS = [
    _row("001", Time="2020", DVC="90", HSO="1", DN="35", SC="20"),
    _row("006", Time="2020", DVC="94", HSO="4", DN="38", SC="11"),
    _row("279", Time="2020", DVC="78", HSO="10", DN="10", SC=""),
    _row("001", Time="2022", DVC="", HSO="1", DN="36", SC="21"),
    _row("006", Time="2022", DVC="95", HSO="3", DN="40", SC="12"),
    _row("279", Time="2022", DVC="80", HSO="9", DN="", SC="2"),
    _row("279", Time="2023", DVC="82", HSO="8", DN="", SC="4"),
    _row("006", Time="2023", DVC="96", HSO="", DN="41", SC="13"),
    _row("001", Time="2023", DVC="96", HSO="1", DN="37", SC="22"),
]


def panel():
    framework = read_meta(META)
    return read_panel(PANEL_ROWS, framework), framework


def _value(data, unit, code):
    return data.columns[code][data.units.index(unit)]


def test_a_panel_splits_by_year_with_units_sorted_in_each():
    years, _ = panel()
    assert list(years) == [2020, 2022, 2023]
    assert all(d.units == ["001", "006", "279"] for d in years.values())
    assert _value(years[2023], "279", "SC") == 4.0
    assert years[2023].names[0] == "Ba Đình"


def test_a_single_year_file_read_as_a_panel_is_the_same_data():
    framework = read_meta(META)
    rows = [dict(r, Time="2024") for r in DATA]
    ((year, data),) = read_panel(rows, framework).items()
    plain = read_data(rows, framework)
    assert year == 2024 and data.units == plain.units
    assert all(
        np.array_equal(data.columns[c], plain.columns[c], equal_nan=True) for c in plain.columns
    )


def test_latest_imputation_takes_the_most_recent_earlier_year():
    years, _ = panel()
    imputed = impute_panel(years, 2023, "i_latest")
    assert _value(imputed, "006", "HSO") == 3.0  # 2022
    assert _value(imputed, "279", "DN") == 10.0  # 2022 missing too: back to 2020
    assert _value(impute_panel(years, 2022, "i_latest"), "001", "DVC") == 90.0
    # Never from a later year: the first year's gap stays.
    assert math.isnan(_value(impute_panel(years, 2020, "i_latest"), "279", "SC"))
    # max_time counts the panel's time points back: 2022 only.
    assert math.isnan(_value(impute_panel(years, 2023, "i_latest", max_time=1), "279", "DN"))
    # The values present are untouched.
    assert _value(imputed, "001", "DVC") == 96.0


def test_linear_imputation_interpolates_over_time_and_holds_the_ends():
    years, _ = panel()
    y2022 = impute_panel(years, 2022, "i_linear")
    assert _value(y2022, "001", "DVC") == pytest.approx(90 + (96 - 90) * (2 / 3))  # 94
    y2023 = impute_panel(years, 2023, "i_linear")
    assert _value(y2023, "006", "HSO") == 3.0  # after the last value: the last value
    assert _value(y2023, "279", "DN") == 10.0  # one value only: that value
    assert _value(impute_panel(years, 2020, "i_linear"), "279", "SC") == 2.0  # carried back


def test_constant_imputation_carries_the_last_value_forward_and_the_first_back():
    years, _ = panel()
    assert _value(impute_panel(years, 2022, "i_constant"), "001", "DVC") == 90.0
    assert _value(impute_panel(years, 2020, "i_constant"), "279", "SC") == 2.0


def test_run_panel_imputes_from_other_years_then_runs_the_year():
    years, framework = panel()
    result = run_panel(years, framework, Options(f_i="i_latest", treat=False), 2023)
    assert list(result.stages) == [
        "Raw",
        "Denominated",
        "Imputed",
        "Normalised",
        "Aggregated",
    ]
    assert math.isnan(result.stages["Raw"].column("HSO")[1])
    assert result.stages["Imputed"].column("HSO")[1] == 3.0
    assert not np.isnan(result.scores()).any()
    # Without a panel method the year runs alone, as `run` would.
    alone = run_panel(years, framework, Options(treat=False), 2023)
    plain = run(years[2023], framework, Options(treat=False))
    assert np.array_equal(alone.scores(), plain.scores())


def test_panel_methods_need_run_panel():
    years, framework = panel()
    with pytest.raises(CompositeError, match="f_i 'i_latest' fills gaps from other years"):
        run(years[2023], framework, Options(f_i="i_latest"))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda y, f: read_panel([*PANEL_ROWS, dict(PANEL_ROWS[4])], f),
            "unit 006 appears twice in Time 2022",
        ),
        (lambda y, f: impute_panel(y, 2023, "i_spline"), "method 'i_spline' is not one of"),
        (lambda y, f: impute_panel(y, 2021, "i_latest"), "no year 2021 \\(it has 2020, 2022"),
        (lambda y, f: impute_panel(y, 2023, "i_latest", max_time=0), "max_time is a whole"),
        (lambda y, f: run_panel(y, f, Options(f_i="i_nearest"), 2023), "f_i 'i_nearest'"),
        (lambda y, f: run_panel(y, f, None, 2030), "no year 2030"),
        (
            lambda y, f: read_panel([dict(r, Time="năm 2022") for r in PANEL_ROWS], f),
            "row 2 \\(unit 001\\), Time: 'năm 2022' is not a number",
        ),
        (
            lambda y, f: read_panel([dict(r, Time="2022.5") for r in PANEL_ROWS], f),
            "Time '2022.5' is not a year",
        ),
        (
            lambda y, f: read_panel([{k: v for k, v in r.items() if k != "Time"} for r in DATA], f),
            "lacks the Time column",
        ),
        (
            lambda y, f: read_panel([*PANEL_ROWS[:-1], dict(PANEL_ROWS[-1], SC="hai")], f),
            "Time 2023: iData, unit 001, SC: 'hai' is not a number",
        ),
        (
            lambda y, f: read_data(PANEL_ROWS, f),
            "appears twice. iData has several Time values: read it as a panel",
        ),
    ],
)
def test_bad_panel_input_is_refused_naming_the_culprit(call, message):
    years, framework = panel()
    with pytest.raises(CompositeError, match=message):
        call(years, framework)
