"""Benchmark: dashboard pages, full rebuild and incremental update at national scale.

    .venv/bin/python bench/dashboards.py                  # the database the settings select
    .venv/bin/python bench/dashboards.py --ladder --db sqlite
    .venv/bin/python bench/dashboards.py --ladder --db postgres --scales 0.1m 1m

Without --ladder it works on the database the settings select (STEER_SQLITE_PATH, or
DATABASE_URL for PostgreSQL), which must hold the synthetic programme of `manage.py
gen_synthetic` (with --scale it is generated there first if missing or of another size). On
PostgreSQL it first runs VACUUM ANALYZE on the tables the generator and the rebuild write, as
autovacuum would (the benchmark server runs with autovacuum off; --no-vacuum skips it), and
again after each rebuild. Then it times, in this order:

1. the dashboard pages, requested in-process with django.test.Client as the benchmark login
   (`gialap.thuongtruc`, standing agency), so the time is the server's without any network.
   Each page is requested once, then the heap is settled as the WSGI entry point does after
   start-up (`steer.core.runtime.settle`, gc.freeze); then,
   after --warmup requests each, --requests requests per page with random indicators, units
   and years; p50, p95 and maximum in ms, and the median number of queries (counted during the
   warm-up). Any status other than 200 fails the benchmark (exit status 1) after the other
   measurements:
   - overview   /p/<slug>/?year=Y
   - indicator  /p/<slug>/indicators/<code>/?year=Y&unit=<unit code>
   - scorecard  /p/<slug>/scorecard/<unit code>/?year=Y
   - compare    /p/<slug>/compare/?year=Y&parent=<unit code>
2. the incremental update: --updates submitted reports are approved through the workflow
   (`workflow.act(..., "approve")` by `gialap.lanhdao`, unit head of the root), then reopened
   (`act(..., "reopen")`); both refresh the figures of the report's unit and the units above
   it. Medians in ms. Each report is then put back in the submitted state and its two workflow
   steps deleted, so the database is left as it was.
3. the full rebuild of the pre-aggregated figures (`aggregates.rebuild`), --rebuilds times:
   seconds and Figure rows.

--ladder does the whole ladder: for each scale (0.1m, 1m, 10m values: 38, 340 and 3,400 units,
200 indicators, 60 months) it runs the above in a child process on a database of its own,
var/bench/synthetic-<scale>.sqlite3 or the PostgreSQL database steer_bench_<scale> on the server
of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/), generating the programme there
unless it is already there at that size (--fresh starts from a new file or database), and
prints a Markdown table.
The databases are kept for the next run; the generation timings are kept next to them in
var/bench/<database>.gen.json.
"""

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_P95_MS = 150
SCALES = {"0.1m": 38, "1m": 340, "10m": 3400}  # units; 200 indicators, 60 months, density 0.32
PAGES = ("overview", "indicator", "scorecard", "compare")
# Which units the pages are asked about: (level, weight).
UNIT_MIX = {
    "indicator": (("root", 1), ("provinces", 3), ("districts", 4), ("communes", 2)),
    "scorecard": (("root", 1), ("provinces", 3), ("districts", 4), ("communes", 2)),
    "compare": (("root", 2), ("provinces", 5), ("districts", 3)),
}


class PageError(Exception):
    pass


# -- one database -----------------------------------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steer.settings")
    import django

    django.setup()
    from django.utils import translation

    translation.activate("vi")


def versions() -> str:
    import sqlite3

    import django
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        server = f"SQLite {sqlite3.sqlite_version}"
    return f"Python {platform.python_version()}, Django {django.get_version()}, {server}"


def database_size() -> int:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(connection.settings_dict["NAME"]).stat().st_size


def generation_record() -> Path:
    from django.db import connection

    if connection.vendor == "postgresql":
        return BENCH_DIR / f"{connection.settings_dict['NAME']}.gen.json"
    return Path(f"{connection.settings_dict['NAME']}.gen.json")


def ensure_programme(units: int | None, fresh: bool) -> dict | None:
    """Generate the synthetic programme at this size unless it is there; the generation's
    timings (now or from when it was generated), or None if unknown."""
    from django.core.management import call_command

    from steer.demo.synthetic import SLUG, Spec, generate
    from steer.programmes.models import Programme
    from steer.reporting.models import DataValue

    call_command("migrate", verbosity=0, interactive=False)
    record = generation_record()
    programme = Programme.objects.filter(slug=SLUG).first()
    if units is None:
        if programme is None:
            raise SystemExit(
                f"No synthetic programme ({SLUG}) in this database: run "
                "`manage.py gen_synthetic` first, or give --scale."
            )
        return json.loads(record.read_text()) if record.exists() else None
    spec = Spec(units=units)
    there = (
        programme is not None
        and DataValue.objects.filter(indicator__programme=programme).count() == spec.values
    )
    if there and not fresh:
        return json.loads(record.read_text()) if record.exists() else None
    print(f"generating {spec.values:,} values ({units:,} units)…", file=sys.stderr)
    result = generate(spec, replace=True, aggregate=True, bars=True)
    info = {
        "units": result.units,
        "values": result.values,
        "figures": result.figures,
        "seconds": result.seconds,
        "date": time.strftime("%Y-%m-%d"),
    }
    record.write_text(json.dumps(info, indent=1))
    return info


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0-1) of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def page_urls(rng: random.Random, count: int) -> dict[str, list[str]]:
    from steer.demo.synthetic import SLUG, units_by_level
    from steer.programmes.models import Programme

    programme = Programme.objects.get(slug=SLUG)
    codes = list(programme.indicators.values_list("code", flat=True))
    years = list(programme.years())
    levels = {k: [u.code for u in v] for k, v in units_by_level().items()}

    def unit(page: str) -> str:
        names, weights = zip(*UNIT_MIX[page], strict=True)
        return rng.choice(levels[rng.choices(names, weights)[0]])

    base = f"/p/{SLUG}"
    make = {
        "overview": lambda y: f"{base}/?year={y}",
        "indicator": lambda y: (
            f"{base}/indicators/{rng.choice(codes)}/?year={y}&unit={unit('indicator')}"
        ),
        "scorecard": lambda y: f"{base}/scorecard/{unit('scorecard')}/?year={y}",
        "compare": lambda y: f"{base}/compare/?year={y}&parent={unit('compare')}",
    }
    return {page: [make[page](rng.choice(years)) for _ in range(count)] for page in PAGES}


def bench_pages(args, rng: random.Random) -> dict:
    import gc

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from steer.accounts.models import User
    from steer.core.runtime import settle
    from steer.demo.synthetic import AGENCY_USERNAME

    client = Client()
    client.force_login(User.objects.get(username=AGENCY_USERNAME))
    urls = page_urls(rng, args.warmup + args.requests)
    # Load every page once, then settle the heap as the WSGI entry point does after start-up.
    for page in args.pages:
        client.get(urls[page][0])
    settle()
    results = {}
    for page in args.pages:
        timings, queries = [], []
        try:
            for n, url in enumerate(urls[page]):
                try:
                    if n < args.warmup:
                        with CaptureQueriesContext(connection) as captured:
                            response = client.get(url)
                        queries.append(len(captured))
                    else:
                        start = time.perf_counter()
                        response = client.get(url)
                        timings.append((time.perf_counter() - start) * 1000)
                except Exception as e:  # the view raised: a server error
                    raise PageError(500, f"GET {url} raised {e!r}") from e
                if response.status_code != 200:
                    raise PageError(
                        response.status_code, f"GET {url} returned {response.status_code}"
                    )
        except PageError as e:
            status, message = e.args
            results[page] = {"error": message, "status": status}
            print(f"\n*** FAILED: {message} ***\n", file=sys.stderr)
            continue
        gc.collect()
        results[page] = {
            "n": len(timings),
            "p50": statistics.median(timings),
            "p95": percentile(timings, 0.95),
            "max": max(timings),
            "queries": statistics.median(queries) if queries else None,
            "example": urls[page][-1],
        }
    return results


def bench_incremental(args, rng: random.Random) -> dict:
    from contextlib import nullcontext

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from steer.accounts.models import User
    from steer.assessment.aggregates import refresh_report
    from steer.assessment.models import Figure
    from steer.demo.synthetic import HEAD_USERNAME, SLUG
    from steer.reporting.models import Submission, SubmissionEvent
    from steer.reporting.workflow import WorkflowError, act

    State = Submission.State
    waiting = list(
        Submission.objects.filter(form__programme__slug=SLUG, state=State.SUBMITTED).order_by("pk")
    )
    if not waiting:
        return {"error": "no submitted report to approve"}
    head = User.objects.filter(username=HEAD_USERNAME).first()
    how = "workflow.act" if head else "refresh_report"

    def step(submission, action: str, state: str) -> None:
        """The workflow step, or (no unit head who may approve) the aggregates' update."""
        nonlocal how
        if how == "workflow.act":
            try:
                reason = "Đo hiệu năng: mở lại báo cáo" if action == "reopen" else ""
                act(submission, head, action, reason=reason)
                return
            except WorkflowError:
                how = "refresh_report"
        with transaction.atomic():
            Submission.objects.filter(pk=submission.pk).update(state=state)
            submission.state = state
            refresh_report(submission)

    timings: dict[str, list[float]] = {"approve": [], "reopen": []}
    queries: dict[str, int] = {}
    chosen = rng.sample(waiting, min(args.updates + 1, len(waiting)))
    for n, submission in enumerate(chosen):  # the first one warms up and counts the queries
        events = set(
            SubmissionEvent.objects.filter(submission=submission).values_list("pk", flat=True)
        )
        own = Figure.objects.filter(
            unit=submission.unit_id, period=submission.period, rolled_up=False
        )
        for action, state, figures_after in (
            ("approve", State.APPROVED, True),
            ("reopen", State.RETURNED, False),
        ):
            counting = CaptureQueriesContext(connection) if n == 0 else nullcontext()
            start = time.perf_counter()
            with counting as captured:
                step(submission, action, state)
            elapsed = (time.perf_counter() - start) * 1000
            if n == 0:
                queries[action] = len(captured)
            else:
                timings[action].append(elapsed)
            if own.exists() != figures_after:
                raise SystemExit(f"benchmark check failed: figures after {action} of {submission}")
        # Back to where it was.
        Submission.objects.filter(pk=submission.pk).update(state=State.SUBMITTED)
        SubmissionEvent.objects.filter(submission=submission).exclude(pk__in=events).delete()
    return {
        "how": how,
        "approve_ms": timings["approve"],
        "reopen_ms": timings["reopen"],
        "queries": queries,
        "approve_median": statistics.median(timings["approve"]),
        "reopen_median": statistics.median(timings["reopen"]),
    }


def vacuum(args) -> float | None:
    """On PostgreSQL, VACUUM ANALYZE the tables the generator and the rebuild write; seconds.

    What autovacuum does on a server configured as by default. The benchmark server runs with
    autovacuum off: without this, a rebuild's 1.8 M dead Figure rows per million values stay,
    and the scorecard took 167 / 240 ms (p50 / p95) at 1 M instead of 97 / 134 ms.
    """
    from django.db import connection

    from steer.assessment.models import Figure
    from steer.reporting.models import DataValue, Submission, SubmissionEvent
    from steer.units.models import OrgUnit

    if connection.vendor != "postgresql" or args.no_vacuum:
        return None
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Figure, DataValue, Submission, SubmissionEvent, OrgUnit):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return time.perf_counter() - start


def bench_rebuild(args) -> dict:
    from steer.assessment.aggregates import rebuild
    from steer.core.progress import ProgressBar
    from steer.demo.synthetic import SLUG
    from steer.programmes.models import Programme

    programme = Programme.objects.get(slug=SLUG)
    count = programme.indicators.count()
    seconds, rows, after = [], None, None
    for _ in range(args.rebuilds):
        start = time.perf_counter()
        n = rebuild(programme, progress=ProgressBar("rebuild", count))
        seconds.append(time.perf_counter() - start)
        if rows is not None and n != rows:
            raise SystemExit(f"benchmark check failed: rebuild wrote {n} rows, before {rows}")
        rows = n
        after = vacuum(args)  # the rebuild's dead rows, before the next rebuild or the pages
    return {
        "seconds": seconds,
        "median": statistics.median(seconds),
        "rows": rows,
        "vacuum_after": after,
    }


def run_one(args) -> int:
    setup_django()
    from django.db import connection

    from steer.demo.synthetic import SLUG
    from steer.programmes.models import Programme
    from steer.reporting.models import DataValue
    from steer.units.models import OrgUnit

    units = SCALES[args.scale] if args.scale else None
    generation = ensure_programme(units, args.fresh)
    programme = Programme.objects.get(slug=SLUG)
    values = DataValue.objects.filter(indicator__programme=programme).count()
    result = {
        "scale": args.scale,
        "backend": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
        "versions": versions(),
        "date": time.strftime("%Y-%m-%d"),
        "values": values,
        "units": OrgUnit.objects.filter(code__startswith="GL").count(),
        "communes": programme.report_forms.get().units.count(),
        "indicators": programme.indicators.count(),
        "generation": generation,
    }
    print(
        f"{connection.vendor}: {result['versions']}; {values:,} values, {result['units']:,} units",
        file=sys.stderr,
    )
    result["vacuum"] = vacuum(args)
    result["size"] = database_size()
    rng = random.Random(args.seed)
    result["pages"] = bench_pages(args, rng) if args.pages else {}
    result["incremental"] = bench_incremental(args, rng) if args.updates else {}
    result["rebuild"] = bench_rebuild(args) if args.rebuilds else {}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(single_report(result))
    failed = [p for p, r in result["pages"].items() if "error" in r]
    return 1 if failed else 0


# -- reports ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def page_cell(page: dict | None) -> str:
    if not page:
        return "–"
    if "error" in page:
        return f"**{page['status']}**"
    verdict = "" if page["p95"] < TARGET_P95_MS else " ✗"
    return f"{_ms(page['p50'])} / {_ms(page['p95'])} / {_ms(page['max'])}{verdict}"


def single_report(r: dict) -> str:
    lines = [
        f"\n{r['versions']}; {r['values']:,} values, {r['units']:,} units, "
        f"{r['indicators']} indicators; database {r['size'] / 1e6:,.0f} MB\n",
        "| page | p50 ms | p95 ms | max ms | queries | requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page, p in r["pages"].items():
        if "error" in p:
            lines.append(f"| {page} | FAILED: {p['error']} | | | | |")
        else:
            lines.append(
                f"| {page} | {_ms(p['p50'])} | {_ms(p['p95'])} | {_ms(p['max'])} | "
                f"{p['queries']:.0f} | {p['n']} |"
            )
    inc, reb = r["incremental"], r["rebuild"]
    if inc and "error" not in inc:
        lines.append(
            f"\nincremental ({inc['how']}, {len(inc['approve_ms'])} reports): approve "
            f"{inc['approve_median']:.0f} ms, reopen {inc['reopen_median']:.0f} ms (medians; "
            f"{inc['queries']['approve']} and {inc['queries']['reopen']} queries); "
            f"approvals (ms): {', '.join(f'{x:.0f}' for x in inc['approve_ms'])}"
        )
    if reb:
        runs = ", ".join(f"{x:.1f}" for x in reb["seconds"])
        lines.append(f"full rebuild: {reb['median']:.1f} s ({runs}), {reb['rows']:,} Figure rows")
        if reb.get("vacuum_after") is not None:
            lines.append(f"VACUUM ANALYZE after the rebuild: {reb['vacuum_after']:.1f} s")
    if r.get("vacuum") is not None:
        lines.append(f"VACUUM ANALYZE before timing: {r['vacuum']:.1f} s")
    gen = r["generation"]
    if gen:
        s = gen["seconds"]
        lines.append(
            f"generation ({gen['date']}): values {s['values']:.1f} s, setup {s['setup']:.1f} s, "
            f"rebuild {s.get('rebuild', 0):.1f} s"
        )
    return "\n".join(lines)


def ladder_report(results: list[dict]) -> str:
    head = ["", *[f"{r['values'] / 1e6:.1f} M values" for r in results]]
    rows = [head, ["---", *["---:"] * len(results)]]

    def row(label, cell):
        rows.append([label, *[cell(r) for r in results]])

    row("units (of which communes reporting)", lambda r: f"{r['units']:,} ({r['communes']:,})")
    row("database size (MB)", lambda r: f"{r['size'] / 1e6:,.0f}")
    row("Figure rows", lambda r: f"{r['rebuild'].get('rows') or 0:,}")
    row(
        "generation: values written (s)",
        lambda r: f"{r['generation']['seconds']['values']:.1f}" if r["generation"] else "–",
    )
    row(
        "generation: rebuild right after (s)",
        lambda r: f"{r['generation']['seconds']['rebuild']:.1f}" if r["generation"] else "–",
    )
    row(
        "full rebuild (s, median)",
        lambda r: f"{r['rebuild']['median']:.1f}" if r["rebuild"] else "–",
    )
    if any(r["rebuild"].get("vacuum_after") is not None for r in results):
        row(
            "VACUUM ANALYZE after a rebuild (s)",
            lambda r: f"{r['rebuild'].get('vacuum_after') or 0:.1f}",
        )
    row(
        "approve one report (ms, median)",
        lambda r: f"{r['incremental']['approve_median']:.0f}" if r["incremental"] else "–",
    )
    row(
        "reopen one report (ms, median)",
        lambda r: f"{r['incremental']['reopen_median']:.0f}" if r["incremental"] else "–",
    )
    row(
        "queries to approve one report",
        lambda r: f"{r['incremental']['queries']['approve']:,}" if r["incremental"] else "–",
    )
    for page in PAGES:
        row(f"{page}: p50 / p95 / max (ms)", lambda r, page=page: page_cell(r["pages"].get(page)))
    widths = [max(len(line[i]) for line in rows) for i in range(len(head))]
    text = "\n".join(
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in rows
    )
    return f"{results[0]['versions']}\n\n{text}"


# -- the ladder -------------------------------------------------------------------------------


def _postgres(url: str, name: str, fresh: bool) -> str:
    """The address of database `name` on the server of `url`, created if missing (or fresh)."""
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            (BENCH_DIR / f"{name}.gen.json").unlink(missing_ok=True)
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def run_ladder(args) -> int:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results, status = [], 0
    for scale in args.scales:
        env = dict(os.environ)
        if args.db == "postgres":
            url = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
            if not urlsplit(url).scheme.startswith("postgres"):
                raise SystemExit("DATABASE_URL must be a PostgreSQL address (postgres://...)")
            name = "steer_bench_" + re.sub(r"\W", "_", scale)
            env["DATABASE_URL"] = _postgres(url, name, args.fresh)
        else:
            env.pop("DATABASE_URL", None)
            path = BENCH_DIR / f"synthetic-{scale}.sqlite3"
            env["STEER_SQLITE_PATH"] = str(path)
            if args.fresh:  # a new file: its size is the data's, not an old one's free pages
                for suffix in ("", "-wal", "-shm", ".gen.json"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--scale", scale, "--json", out.name]
            command += ["--requests", str(args.requests), "--warmup", str(args.warmup)]
            command += ["--rebuilds", str(args.rebuilds), "--updates", str(args.updates)]
            command += ["--seed", str(args.seed), "--pages", *args.pages]
            command += ["--fresh"] if args.fresh else []
            command += ["--no-vacuum"] if args.no_vacuum else []
            print(f"\n== {scale} on {args.db} ==", file=sys.stderr)
            done = subprocess.run(command, env=env, check=False)
            status = status or done.returncode
            text = Path(out.name).read_text()
            if not text:
                raise SystemExit(f"the {scale} run failed (status {done.returncode})")
            results.append(json.loads(text))
    (BENCH_DIR / f"ladder-{args.db}.json").write_text(json.dumps(results, indent=1))
    print("\n" + ladder_report(results))
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ladder", action="store_true", help="every scale, one database each")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=list(SCALES))
    parser.add_argument("--scale", choices=list(SCALES), help="generate this scale if missing")
    parser.add_argument("--fresh", action="store_true", help="generate again even if there")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page")
    parser.add_argument("--pages", nargs="*", choices=PAGES, default=list(PAGES))
    parser.add_argument("--updates", type=int, default=7, help="reports approved and reopened")
    parser.add_argument("--rebuilds", type=int, default=1, help="full rebuilds timed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-vacuum", action="store_true", help="PostgreSQL: no VACUUM ANALYZE before timing"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    return run_ladder(args) if args.ladder else run_one(args)


if __name__ == "__main__":
    sys.exit(main())
