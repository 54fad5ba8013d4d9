"""Benchmark: Monte Carlo uncertainty analysis of a composite index, rank intervals included.

    .venv/bin/python bench/ranking_mc.py
    .venv/bin/python bench/ranking_mc.py --reps 10000 --units 3321 --indicators 60 --json mc.json

Synthetic data from a seeded generator: --units units (default 3,321, Vietnam's communes and
wards before 2025) × --indicators indicators (default 60) in a three-level framework (indicators in
9 pillars, 3 sub-indices, 1 index), 2 % of values missing (imputed by the mean), a few columns
lower-is-better, and skewed columns of two kinds so that the treatment matters: log-normal ones (the
treatment falls back to a log) and normal ones with a handful of outliers (winsorised at winmax 5,
logged at winmax 1).

The assumptions (steer.composite.uncertainty.Assumptions): weight noise 0.25 at every level,
treatment winmax 5 / 1 / 10, normalisation min-max to [1, 100] / z-score rescaled to mean 100 and
standard deviation 10 (both positive, so the geometric mean applies), aggregation arithmetic /
geometric mean; 3 × 2 × 2 = 12 variants.

Timed, each the median of 3 runs (after one warm-up of the engine):
  (a) the engine, end to end: the nominal pipeline, the 6 normalised variants, the sampling, all
      --reps runs (scores, ranks) and the rank statistics (mean, median, 5th and 95th
      percentiles per unit);
  (b) plain NumPy: the same pipeline, variants and draws, then the whole runs × units score
      matrix (one product per variant), an argsort per run with the ties fixed on the sorted
      scores, and np.mean / np.median / np.percentile over the runs: the straightforward
      vectorised way, one thread apart from BLAS;
  (b') the engine with only its ranking swapped for that argsort (`ranking="argsort"`), to
      show what the sort of integer keys is worth inside the engine;
  (c) a straightforward pandas loop: per run, the indicator DataFrame weighted and grouped level
      by level, then `.rank(ascending=False, method="min")`, the ranks in a DataFrame and
      `.quantile` at the end; timed on --pandas-reps runs and extrapolated linearly to --reps.
It checks that (a), (b) and (b') give the same rank statistics, and prints a Markdown table
(--json FILE also saves the numbers).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from steer.composite.pipeline import Options, run  # noqa: E402
from steer.composite.tables import Data, Framework, read_meta  # noqa: E402
from steer.composite.uncertainty import (  # noqa: E402
    Assumptions,
    _model,
    _pick,
    run_uncertainty,
)

OPTIONS = Options(f_i="i_mean", winmax=5, l_u=(1.0, 100.0))
ASSUMPTIONS = Assumptions(
    weight_noise=0.25,
    winmax=(None, 1, "none"),
    normalisations=(None, {"f_n": "n_zscore", "m_sd": (100.0, 5.0)}),
    aggregations=("a_amean", "a_gmean"),
)


def synthetic(units: int, indicators: int, seed: int = 7) -> tuple[Data, Framework]:
    """A seeded district-style data set and its framework (see the module docstring)."""
    rng = np.random.default_rng(seed)
    pillars = [f"P{i + 1}" for i in range(min(9, indicators))]
    subindices = [f"S{i + 1}" for i in range(min(3, len(pillars)))]
    meta = []
    for j in range(indicators):
        meta.append(
            {
                "iCode": f"I{j + 1:02d}",
                "Level": "1",
                "Parent": pillars[j % len(pillars)],
                "Direction": "-1" if j % 7 == 3 else "1",
                "Weight": "2" if j % 11 == 0 else "1",
                "Type": "Indicator",
            }
        )
    for i, pillar in enumerate(pillars):
        meta.append(
            {
                "iCode": pillar,
                "Level": "2",
                "Parent": subindices[i % len(subindices)],
                "Direction": "1",
                "Weight": "1",
                "Type": "Aggregate",
            }
        )
    for s in subindices:
        meta.append(
            {"iCode": s, "Level": "3", "Parent": "IDX", "Direction": "1", "Weight": "1"}
            | {"Type": "Aggregate"}
        )
    meta.append(
        {"iCode": "IDX", "Level": "4", "Parent": "", "Direction": "1", "Weight": "1"}
        | {"Type": "Aggregate"}
    )
    framework = read_meta(meta)
    latent = rng.normal(size=units)  # a common factor, so the indicators correlate
    columns = {}
    for j, code in enumerate(framework.indicators):
        kind = j % 6
        if kind == 0:  # log-normal: the treatment falls back to a log
            x = np.exp(0.9 * rng.normal(size=units) + 0.4 * latent)
        elif kind == 1:  # normal with a few outliers: winsorised
            x = 50 + 8 * latent + 6 * rng.normal(size=units)
            x[rng.choice(units, 3, replace=False)] += 150
        else:
            x = 50 + 6 * latent + 10 * rng.normal(size=units)
        x[rng.random(units) < 0.02] = np.nan
        columns[code] = x
    codes = [f"X{i + 1:05d}" for i in range(units)]
    names = [f"Xã {i + 1}" for i in range(units)]
    return Data(units=codes, names=names, columns=columns), framework


def pandas_loop(data, framework, options, assumptions, reps: int, seed: int) -> dict:
    """Per run: DataFrame weighting level by level, then .rank(); ranks collected, quantiles at
    the end. The normalised variants are computed beforehand (not timed): only the loop is."""
    model, _ = _model(data, framework, options, assumptions)
    rng = np.random.default_rng(seed)
    u = rng.random((reps, 3))
    counts = (len(model.treatments), len(model.normalisations), len(model.aggregations))
    choice = np.column_stack([_pick(u[:, i], counts[i]) for i in range(3)])
    weights = model.noisy_weights(
        rng.random((reps, len(model.node_codes))), assumptions.weight_noise
    )
    frames = {
        (t, m): pd.DataFrame(
            model._normalised(t, m), index=model.units, columns=framework.indicators
        )
        for t in range(counts[0])
        for m in range(counts[1])
    }
    parent = pd.Series({c: framework.nodes[c].parent for c in model.node_codes})
    top = framework.top_level
    start = time.perf_counter()
    ranks = {}
    for r in range(reps):
        t, m, a = choice[r]
        how = model.aggregations[a]
        w = pd.Series(weights[r], index=model.node_codes)
        level = frames[(t, m)]
        if how == "a_gmean":
            level = np.log(level)
        for _ in range(2, top + 1):
            cols = level.columns
            weighted = (level * w[cols]).T.groupby(parent[cols]).sum().T
            level = weighted / w[cols].groupby(parent[cols]).sum()
        score = level.iloc[:, 0]
        if how == "a_gmean":
            score = np.exp(score)
        ranks[r] = score.rank(ascending=False, method="min")
    table = pd.DataFrame(ranks)
    table.quantile([0.05, 0.5, 0.95], axis=1)
    table.mean(axis=1)
    return {"seconds": time.perf_counter() - start}


def plain_numpy(data, framework, options, assumptions, reps: int, seed: int):
    """(b): whole matrices, argsort ranks, np.percentile. Same draws as the engine."""
    model, _ = _model(data, framework, options, assumptions)
    rng = np.random.default_rng(seed)
    u = rng.random((reps, 3))
    counts = (len(model.treatments), len(model.normalisations), len(model.aggregations))
    choice = np.column_stack([_pick(u[:, i], counts[i]) for i in range(3)])
    weights = model.noisy_weights(
        rng.random((reps, len(model.node_codes))), assumptions.weight_noise
    )
    effective = model.effective(weights)
    n = int(model.ranked.sum())
    scores = np.empty((reps, n))
    for key in {tuple(c) for c in choice.tolist()}:
        runs = np.flatnonzero((choice == key).all(axis=1))
        variant = model.variant(*key)
        if variant.slow_pos.size:
            raise SystemExit("plain_numpy: the benchmark data must be complete after imputation")
        scores[runs] = effective[runs] @ variant.fast_t
    order = np.argsort(-scores, axis=1)
    ordered = np.take_along_axis(scores, order, axis=1)
    start = np.zeros((reps, n), dtype=np.int64)
    start[:, 1:] = np.where(ordered[:, 1:] == ordered[:, :-1], 0, np.arange(1, n))
    np.maximum.accumulate(start, axis=1, out=start)
    ranks = np.empty((reps, n))
    np.put_along_axis(ranks, order, start + 1.0, axis=1)
    return {
        "mean_rank": ranks.mean(axis=0),
        "median_rank": np.median(ranks, axis=0),
        "q05_rank": np.percentile(ranks, 5, axis=0),  # "linear": R's type 7
        "q95_rank": np.percentile(ranks, 95, axis=0),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--indicators", type=int, default=60)
    parser.add_argument("--pandas-reps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    data, framework = synthetic(args.units, args.indicators)
    start = time.perf_counter()
    run(data, framework, OPTIONS)
    pipeline_once = time.perf_counter() - start

    def engine(ranking: str):
        return run_uncertainty(
            data,
            framework,
            OPTIONS,
            ASSUMPTIONS,
            runs=args.reps,
            seed=args.seed,
            threads=args.threads,
            ranking=ranking,
        )

    engine("keys")  # warm-up
    fast, result = timed(lambda: engine("keys"), args.repeat)
    plain, plain_stats = timed(
        lambda: plain_numpy(data, framework, OPTIONS, ASSUMPTIONS, args.reps, args.seed),
        args.repeat,
    )
    swapped, swapped_result = timed(lambda: engine("argsort"), args.repeat)
    fields = ("mean_rank", "median_rank", "q05_rank", "q95_rank")
    same = all(
        np.allclose(getattr(result, f), plain_stats[f], rtol=0, atol=1e-9)
        and np.array_equal(getattr(result, f), getattr(swapped_result, f))
        for f in fields
    )
    pandas_reps = min(args.pandas_reps, args.reps)
    loop, _ = timed(
        lambda: pandas_loop(data, framework, OPTIONS, ASSUMPTIONS, pandas_reps, args.seed)[
            "seconds"
        ],
        args.repeat,
    )
    pandas_total = loop * args.reps / pandas_reps
    widths = result.q95_rank - result.q05_rank
    report = {
        "machine": {
            "platform": platform.platform(),
            "processor": cpu_model(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "size": {
            "units": args.units,
            "indicators": args.indicators,
            "reps": args.reps,
            "variants": 12,
            "threads": args.threads or min(2, os.cpu_count() or 1),
        },
        "seconds": {
            "pipeline_once": pipeline_once,
            "engine": fast,
            "plain_numpy": plain,
            "engine_argsort_ranking": swapped,
            "pandas_extrapolated": pandas_total,
            "pandas_measured": loop,
            "pandas_reps": pandas_reps,
        },
        "ratios": {
            "plain_over_engine": plain / fast,
            "engine_argsort_over_engine": swapped / fast,
            "pandas_over_engine": pandas_total / fast,
        },
        "same_rank_stats": same,
        "median_interval_width": float(np.nanmedian(widths)),
        "nominal_inside_interval": float(
            np.nanmean(
                (result.q05_rank <= result.nominal_rank) & (result.nominal_rank <= result.q95_rank)
            )
        ),
    }
    m = report["machine"]
    print(
        f"Machine: {m['platform']}, {m['processor']}, {m['cpu_count']} CPUs; Python "
        f"{m['python']}, numpy {m['numpy']}, pandas {m['pandas']}.\n"
        f"{args.units} units × {args.indicators} indicators × {args.reps} runs, 12 variants; "
        f"median of {args.repeat} runs. The nominal pipeline alone: {pipeline_once:.3f} s.\n"
    )
    print("| method | time (s) | vs engine |")
    print("| --- | ---: | ---: |")
    print(f"| (a) engine, end to end | {fast:.3f} | 1.0× |")
    print(f"| (b) plain NumPy: matrices, argsort, percentile | {plain:.3f} | {plain / fast:.1f}× |")
    print(f"| (b') engine with the argsort ranking | {swapped:.3f} | {swapped / fast:.1f}× |")
    print(
        f"| (c) pandas loop, {pandas_reps} runs ({loop:.2f} s) extrapolated | "
        f"{pandas_total:.1f} | {pandas_total / fast:.0f}× |"
    )
    print(
        f"\n(a), (b) and (b') give the same rank statistics: {'yes' if same else 'NO'}. "
        f"Median 5-95 % rank interval width: {report['median_interval_width']:.0f} ranks; "
        f"nominal rank inside the interval for "
        f"{100 * report['nominal_inside_interval']:.1f} % of units."
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
