"""Benchmark: deadline day. Reporters upload their workbooks while other users browse dashboards.

    .venv/bin/python bench/load.py                       # PostgreSQL, 200 reporters, 50 browsers
    .venv/bin/python bench/load.py --db sqlite
    .venv/bin/python bench/load.py --servers 5x1,3x4     # gunicorn settings, one run each
    .venv/bin/python bench/load.py --uploaders 10 --browsers 5 --signin-over 10   # a small run

Setup (not timed): a database of its own (PostgreSQL: `steer_load` on the server of --pg-url,
dropped and created; SQLite: a file in a temporary directory), `migrate`, `load_demo`, then
--uploaders units that have not reported form BC6T-DP for 2025S1 (wards and communes of the
time are added to the form: see bench/load_setup.py) with one reporter account each, and
--browsers accounts of the standing agency, the steering committee and district heads and
viewers, each with its dashboard pages. Every page is requested once in-process to check it
answers. The database is then kept as a seed (PostgreSQL: the template `steer_load_seed`; SQLite:
a copy) and each run starts from it. --calibrate reporters' flows and each role's pages are then
timed alone, in-process: the CPU each kind of request costs.

Each run, for each --servers setting (WORKERSxTHREADS; one thread: sync workers): gunicorn serves
steer.wsgi (DEBUG off, demo mode) on a free port; bench/load_client.py (another process, asyncio
+ httpx) has every user sign in at a random moment of --signin-over seconds, then starts them all
together (0: they sign in as part of the burst); see its docstring for what each user does.
gunicorn is stopped and the stored values are compared with what each reporter uploaded, and
every report must be in the state submitted. Printed: throughput, latency percentiles per kind of
request, errors, the CPU time used by the server, the client, PostgreSQL and other processes,
lock waits in PostgreSQL, and PASS or FAIL.

Exit status 1 if any request failed, any report was not submitted or any write was lost.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

DB_NAME, SEED_NAME = "steer_load", "steer_load_seed"
WRITE_KINDS = ["login_page", "login", "home", "report_page", "workbook", "import_page", "upload"]
WRITE_KINDS += ["preview", "confirm", "submit"]
DASHBOARD_KINDS = ["overview", "indicator", "scorecard", "compare", "completeness", "rankings"]
DASHBOARD_KINDS += ["ranking"]
CLOCK = os.sysconf("SC_CLK_TCK")


# -- databases --------------------------------------------------------------------------------


class Postgres:
    label = "PostgreSQL"

    def __init__(self, url: str):
        self.url = url

    def admin(self):
        import psycopg

        return psycopg.connect(self._at("postgres"), autocommit=True)

    def _at(self, name: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def env(self, workdir: Path) -> dict:
        return {"DATABASE_URL": self._at(DB_NAME)}

    def create(self) -> None:
        with self.admin() as admin:
            for name in (DB_NAME, SEED_NAME):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')

    def keep_seed(self) -> None:
        import psycopg

        with psycopg.connect(self._at(DB_NAME), autocommit=True) as conn:
            conn.execute("ANALYZE")  # as autovacuum would have done (it is off on this server)
        with self.admin() as admin:
            admin.execute(f'CREATE DATABASE "{SEED_NAME}" TEMPLATE "{DB_NAME}"')

    def restore(self) -> None:
        with self.admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{DB_NAME}" TEMPLATE "{SEED_NAME}"')

    def drop(self) -> None:
        with self.admin() as admin:
            for name in (DB_NAME, SEED_NAME):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def version(self) -> str:
        with self.admin() as admin:
            return "PostgreSQL " + admin.execute("SHOW server_version").fetchone()[0]

    def monitor(self):
        """A connection for Meter (to the server, not to the benchmark database)."""
        return self.admin()


class SQLite:
    label = "SQLite"

    def __init__(self, workdir: Path):
        self.path, self.seed = workdir / "load.sqlite3", workdir / "seed.sqlite3"

    def env(self, workdir: Path) -> dict:
        return {"STEER_SQLITE_PATH": str(self.path)}

    def create(self) -> None:
        self._remove(self.path)

    def keep_seed(self) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copyfile(self.path, self.seed)

    def restore(self) -> None:
        self._remove(self.path)
        shutil.copyfile(self.seed, self.path)

    def drop(self) -> None:
        self._remove(self.path)
        self._remove(self.seed)

    @staticmethod
    def _remove(path: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (WAL, IMMEDIATE transactions, 20 s busy timeout)"

    monitor = None


class Meter(threading.Thread):
    """Samples the run every 0.25 s. PostgreSQL: how many of the server's sessions run a query,
    how many wait for a lock and on which statement (what holds writers up, if anything). Every
    second: the CPU time used so far by the server, the client, the benchmark database's
    PostgreSQL backends and the whole machine, so that each phase's share can be told apart
    from other people's work on the shared cores."""

    QUERY = """
        SELECT count(*) FILTER (WHERE state = 'active'),
               coalesce(array_agg(left(regexp_replace(query, '\\s+', ' ', 'g'), 90))
                        FILTER (WHERE wait_event_type = 'Lock'), '{}'),
               array_agg(pid)
        FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()
    """

    def __init__(self, connect, server: int, client: int):
        super().__init__(daemon=True)
        self.connect, self.server, self.client = connect, server, client
        self.halt = threading.Event()
        self.samples, self.waiting_samples, self.most_waiting, self.active = 0, 0, 0, 0
        self.statements: dict[str, int] = {}
        self.backends: dict[int, float] = {}  # pid → CPU seconds, kept after it exits
        self.client_cpu = 0.0
        self.snapshots: list[tuple] = []  # (time, server, client, postgres, busy) seconds

    def run(self) -> None:
        conn = self.connect() if self.connect else None
        try:
            tick = 0
            while True:
                if conn is not None:
                    self._locks(conn)
                if tick % 4 == 0:
                    self._snapshot()
                tick += 1
                if self.halt.wait(0.25):
                    break
            self._snapshot()
        finally:
            if conn is not None:
                conn.close()

    def _locks(self, conn) -> None:
        active, waiting, pids = conn.execute(self.QUERY, [DB_NAME]).fetchone()
        self.samples += 1
        self.active += active
        self.waiting_samples += bool(waiting)
        self.most_waiting = max(self.most_waiting, len(waiting))
        for statement in waiting:
            self.statements[statement] = self.statements.get(statement, 0) + 1
        for pid in pids or []:
            self.backends[pid] = max(self.backends.get(pid, 0.0), cpu_seconds([pid]))

    def _snapshot(self) -> None:
        self.client_cpu = max(self.client_cpu, cpu_seconds([self.client]))
        server = cpu_seconds([self.server, *worker_pids(self.server)])
        busy, _total = machine_busy()
        self.snapshots.append(
            (time.perf_counter(), server, self.client_cpu, sum(self.backends.values()), busy)
        )

    def stop(self) -> dict:
        self.halt.set()
        if self.is_alive():
            self.join()
        n = self.samples or 1
        top = sorted(self.statements.items(), key=lambda x: -x[1])[:3]
        return {
            "samples": self.samples,
            "mean_active": self.active / n,
            "share_waiting": self.waiting_samples / n,
            "most_waiting": self.most_waiting,
            "waiting_on": [f"{count} × {statement}" for statement, count in top],
        }

    def between(self, start: float, end: float) -> dict:
        """CPU seconds used from the snapshot nearest `start` to the one nearest `end`."""
        if not self.snapshots:
            return {}
        first = min(self.snapshots, key=lambda x: abs(x[0] - start))
        last = min(self.snapshots, key=lambda x: abs(x[0] - end))
        server, client, postgres, busy = (b - a for a, b in zip(first[1:], last[1:], strict=True))
        seconds = last[0] - first[0]
        return {
            "seconds": seconds,
            "server": server,
            "client": client,
            "postgres": postgres,
            "others": busy - server - client - postgres,
            "busy": busy / (seconds * os.cpu_count()) if seconds else 0.0,
        }


# -- setup ------------------------------------------------------------------------------------


def setup(db, env: dict, workdir: Path, args) -> dict:
    started = time.perf_counter()
    db.create()
    for command in (["migrate", "--no-input", "-v", "0"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    for name in ("DATABASE_URL", "STEER_SQLITE_PATH"):
        os.environ.pop(name, None)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "steer.settings"
    import django

    django.setup()
    from django.db import connections
    from django.utils import translation

    from bench import load_setup

    translation.activate("vi")
    plan = load_setup.prepare(args.uploaders, args.browsers, seed=args.seed)
    failures = load_setup.preflight(plan)
    if failures:
        raise SystemExit("pages that do not answer 200:\n  " + "\n  ".join(failures))
    connections.close_all()
    db.keep_seed()
    (workdir / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, indent=1))
    if args.calibrate:
        plan["costs"] = load_setup.calibrate(plan, args.calibrate)
        connections.close_all()
    print(
        f"setup: {len(plan['uploaders'])} reporters of {plan['form']} {plan['period']}, "
        f"{len(plan['browsers'])} browsing accounts; {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return plan


# -- one run ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, workers: int, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(BIN / "gunicorn"), "steer.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads)]
    command += ["--worker-class", "gthread" if threads > 1 else "sync"]
    command += ["--timeout", "120", "--backlog", "2048"]
    # Django's own error log (tracebacks of 500s) goes to stderr, with gunicorn's.
    with open(log, "w") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up; see {log}")
        try:
            with urllib.request.urlopen(base + "/health/", timeout=2) as response:
                if response.status == 200 and len(worker_pids(server.pid)) == workers:
                    return server, base
        except OSError:
            pass
        time.sleep(0.5)
    stop(server)
    raise SystemExit(f"gunicorn did not answer within 90 s; see {log}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def machine_busy() -> tuple[float, float]:
    # user nice system idle iowait irq softirq steal (guest time is already counted in user)
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / CLOCK, sum(fields) / CLOCK


def run_once(db, env, workdir: Path, plan: dict, workers: int, threads: int, args) -> dict:
    db.restore()
    log = workdir / f"gunicorn-{workers}x{threads}.log"
    server, base = start_server(env, workers, threads, log)
    out = workdir / f"results-{workers}x{threads}.json"
    workers_now = set(worker_pids(server.pid))
    command = [sys.executable, str(ROOT / "bench" / "load_client.py"), "--plan"]
    command += [str(workdir / "plan.json"), "--base", base, "--out", str(out)]
    command += ["--timeout", str(args.timeout), "--think", str(args.think)]
    command += ["--signin-over", str(args.signin_over), "--seed", str(args.seed)]
    try:
        client = subprocess.Popen(command, cwd=ROOT)
        meter = Meter(db.monitor, server.pid, client.pid)
        meter.start()
        try:
            if client.wait() != 0:
                raise SystemExit(f"the load client failed (status {client.returncode})")
        finally:
            locks = meter.stop()
        workers_end = set(worker_pids(server.pid))
    finally:
        stop(server)
    result = json.loads(out.read_text())
    from django.db import connections

    from bench import load_setup

    connections.close_all()
    result["verify"] = load_setup.verify(plan, result)
    connections.close_all()
    t0 = result["t0"]
    result["cpu"] = {
        "run": meter.between(0, float("inf")),
        "signin": meter.between(t0, t0 + result["burst_at"]) if result["burst_at"] else {},
        "burst": meter.between(t0 + result["burst_at"], t0 + result["duration"]),
        "workers_replaced": len(workers_end - workers_now),
    }
    result["locks"] = locks
    result["users"] = len(plan["uploaders"]) + len(plan["browsers"])
    result["server_log"] = log_summary(log)
    result["setting"] = f"{workers}x{threads}"
    return result


def log_summary(log: Path) -> list[str]:
    """The distinct error lines gunicorn and Django wrote (tracebacks' last lines)."""
    if not log.exists():
        return []
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    keep = [
        line
        for line in lines
        if line.startswith(("django.", "sqlite3.", "psycopg", "OperationalError"))
        or "Error" in line.split(":", 1)[0]
        or "WORKER TIMEOUT" in line
    ]
    counts: dict[str, int] = {}
    for line in keep:
        key = line.split("] ", 1)[-1][:200]
        counts[key] = counts.get(key, 0) + 1
    return [f"{n} × {line}" for line, n in sorted(counts.items(), key=lambda x: -x[1])][:12]


# -- report -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_rows(records: list, kinds: list[str], totals: bool) -> list[dict]:
    by_kind: dict[str, list] = {}
    for kind, _status, _start, latency, error in records:
        by_kind.setdefault(kind, []).append((latency, bool(error)))
    groups = [(k, [k]) for k in kinds]
    if totals:
        groups += [("dashboard pages, all", DASHBOARD_KINDS), ("all requests", kinds)]
    rows = []
    for name, members in groups:
        items = [item for k in members for item in by_kind.get(k, [])]
        if not items:
            continue
        ms = [latency * 1000 for latency, _e in items]
        rows.append(
            {
                "kind": name,
                "n": len(items),
                "p50": percentile(ms, 0.5),
                "p95": percentile(ms, 0.95),
                "p99": percentile(ms, 0.99),
                "max": max(ms),
                "errors": sum(1 for _l, e in items if e),
            }
        )
    return rows


def summarise(result: dict) -> dict:
    """The burst (everything from the moment all users were signed in, or from the start when
    they sign in as part of it) and, apart, the sign-in period before it."""
    records, at = result["records"], result["burst_at"]
    burst = [r for r in records if r[2] >= at]
    signin = [r for r in records if r[2] < at]
    length = result["duration"] - at
    uploading = result["uploads_done"] - at
    accepted = sorted(t - at for t in result["accepted_at"].values())
    return {
        "rows": latency_rows(burst, WRITE_KINDS + DASHBOARD_KINDS, totals=True),
        "signin_rows": latency_rows(signin, ["login_page", "login", "home", "overview"], False),
        "signin_period": at,
        "signin_errors": sum(1 for r in signin if r[4]),
        "requests": len(burst),
        "duration": length,
        "uploads_done": uploading,
        "throughput": len(burst) / length,
        "throughput_upload_phase": sum(1 for r in burst if r[2] <= result["uploads_done"])
        / uploading,
        "accepted": len(accepted),
        "submitted": len(result["submitted_at"]),
        "first_accepted": accepted[0] if accepted else None,
        "last_accepted": accepted[-1] if accepted else None,
        "per_minute": len(accepted) / accepted[-1] * 60 if accepted else 0.0,
        # Once workbooks flow: from the first accepted to the last.
        "steady_per_minute": (len(accepted) - 1) / (accepted[-1] - accepted[0]) * 60
        if len(accepted) > 2
        else 0.0,
        "errors": len(result["errors"]),
        "retried": result.get("retried", 0),
        "timeouts": sum(1 for r in records if r[1] == 0),
        "statuses": sorted({r[1] for r in records if r[4]}),
    }


def print_table(rows: list[dict]) -> None:
    print("\n| request | n | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['kind']} | {row['n']} | {row['p50']:.0f} | {row['p95']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} | {row['errors']} |"
        )


def print_run(db_label: str, result: dict, summary: dict, args) -> None:
    cpu, verify = result["cpu"], result["verify"]
    print(
        f"\n### {db_label}, gunicorn {result['setting']} (workers x threads), "
        f"{len(result['uploaded'])} workbooks filled\n"
    )
    if summary["signin_period"]:
        print(
            f"- sign-in period: the {result['users']} users signed in at random moments "
            f"over {args.signin_over:g} s; all were in after {summary['signin_period']:.1f} s "
            f"({summary['signin_errors']} errors); then everything below started together"
        )
    print(
        f"- burst over in {summary['duration']:.1f} s (uploads done at "
        f"{summary['uploads_done']:.1f} s); {summary['requests']} requests, "
        f"{summary['throughput']:.1f} requests/s ({summary['throughput_upload_phase']:.1f}/s "
        "while uploads ran)"
    )
    if summary["last_accepted"]:
        print(
            f"- workbooks accepted: {summary['accepted']}, the first at "
            f"{summary['first_accepted']:.1f} s, the last at {summary['last_accepted']:.1f} s: "
            f"{summary['per_minute']:.0f} per minute from the start, "
            f"{summary['steady_per_minute']:.0f} per minute from the first to the last; "
            f"reports submitted: {summary['submitted']}"
        )
    print(
        f"- errors: {summary['errors']} ({summary['timeouts']} timeouts or connection errors; "
        f"statuses {summary['statuses'] or '-'}); client timeout {args.timeout:g} s; "
        f"GETs sent again after the server closed an idle connection: {summary['retried']}"
    )
    for phase in ("signin", "burst"):
        used = cpu.get(phase)
        if used:
            print(
                f"- CPU seconds during the {'sign-in period' if phase == 'signin' else 'burst'} "
                f"({used['seconds']:.0f} s): server {used['server']:.0f}, client "
                f"{used['client']:.0f}, PostgreSQL (this database) {used['postgres']:.0f}, "
                f"other processes {used['others']:.0f}; machine busy {used['busy'] * 100:.0f} % "
                f"of {os.cpu_count()} cores"
            )
    burst = cpu["burst"]
    if burst and summary["requests"]:
        demand = (burst["server"] + burst["postgres"]) / summary["requests"]
        print(
            f"- server + PostgreSQL CPU per request in the burst: {demand * 1000:.0f} ms: "
            f"at most {os.cpu_count() / demand:.0f} requests/s if the {os.cpu_count()} cores "
            f"were the server's alone; workers replaced: {cpu['workers_replaced']}"
        )
    locks = result["locks"]
    if locks["samples"]:
        print(
            f"- PostgreSQL sessions (sampled every 0.25 s): {locks['mean_active']:.1f} running a "
            f"query on average; some waiting for a lock in {locks['share_waiting'] * 100:.0f} % "
            f"of samples, at most {locks['most_waiting']} at once"
        )
        for line in locks["waiting_on"]:
            print(f"  - {line}")
    state = "PASS" if verify["passed"] else "FAIL"
    print(
        f"- no lost write: **{state}**: {verify['values_matched']}/{verify['values_checked']} "
        f"values stored as uploaded (value, status, comment); {verify['lost']} lost; "
        f"{verify['submitted']}/{verify['units']} reports in the state submitted; "
        f"{verify['imports_applied']} imports written"
    )
    for line in verify["first_lost"][:5]:
        print(f"  - {line}")
    if verify["unfinished"]:
        print(f"  - not submitted (the reporter was stopped by an error): {verify['unfinished']}")
    print_table(summary["rows"])
    if summary["signin_rows"]:
        print("\nsign-in period:")
        print_table(summary["signin_rows"])
    if result["errors"]:
        print("\nfirst errors:")
        for line in result["errors"][:8]:
            print(f"  {line}")
    if result["server_log"]:
        print("\nserver log:")
        for line in result["server_log"]:
            print(f"  {line}")
    sys.stdout.flush()


def print_costs(costs: dict[str, list[float]]) -> None:
    print("\nServer CPU per request, alone and in-process (ms; PostgreSQL's own not included)\n")
    print("| request | n | median | p90 |")
    print("| --- | ---: | ---: | ---: |")
    for kind in WRITE_KINDS + ["overview"] + DASHBOARD_KINDS[1:]:
        if costs.get(kind):
            values = costs[kind]
            print(
                f"| {kind} | {len(values)} | {percentile(values, 0.5):.0f} | "
                f"{percentile(values, 0.9):.0f} |"
            )
    # One reporter's whole flow: its requests as bench/load_client.py sends them.
    flow = ["login_page", "login", "home", "overview", "report_page", "workbook", "import_page"]
    flow += ["upload", "preview", "confirm", "report_page", "submit", "report_page"]
    total = sum(percentile(costs[k], 0.5) for k in flow if costs.get(k))
    print(f"\none reporter's flow ({len(flow)} requests): {total:.0f} ms of server CPU\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--uploaders", type=int, default=200)
    parser.add_argument("--browsers", type=int, default=50)
    parser.add_argument(
        "--servers", default="5x1", help="gunicorn settings WORKERSxTHREADS, comma-separated"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout (s)")
    parser.add_argument("--think", type=float, default=0.0, help="browsers' pause between pages")
    parser.add_argument(
        "--signin-over",
        type=float,
        default=120.0,
        help="users sign in at random over this many seconds, then all start together; "
        "0: they sign in as part of the burst",
    )
    parser.add_argument(
        "--calibrate", type=int, default=10, help="reporters timed alone in-process first (0: none)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    settings = [tuple(int(x) for x in s.split("x")) for s in args.servers.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="steer-load-"))
    db = Postgres(args.pg_url) if args.db == "postgres" else SQLite(workdir)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STEER_SQLITE_PATH")},
        "STEER_DEMO": "1",
        "STEER_DEBUG": "0",
        "STEER_VAR_DIR": str(workdir / "var"),
        **db.env(workdir),
    }
    failed = False
    outputs = []
    try:
        plan = setup(db, env, workdir, args)
        print(
            f"{db.version()}; Python {platform.python_version()}; {os.cpu_count()} cores; "
            f"browsers' pause {args.think:g} s; sign-ins over {args.signin_over:g} s"
        )
        if plan.get("costs"):
            print_costs(plan["costs"])
        for workers, threads in settings:
            result = run_once(db, env, workdir, plan, workers, threads, args)
            summary = summarise(result)
            print_run(db.label, result, summary, args)
            failed |= not result["verify"]["passed"] or bool(summary["errors"])
            outputs.append(
                {
                    "setting": result["setting"],
                    "summary": summary,
                    "cpu": result["cpu"],
                    "locks": result["locks"],
                    "verify": result["verify"],
                    "errors": result["errors"][:50],
                    "server_log": result["server_log"],
                }
            )
        if args.json:
            Path(args.json).write_text(json.dumps(outputs, ensure_ascii=False, indent=1))
    finally:
        if args.keep:
            databases = f" and {DB_NAME}, {SEED_NAME}" if args.db == "postgres" else ""
            print(f"\nkept: {workdir}{databases}")
        else:
            if "django" in sys.modules and "bench.load_setup" in sys.modules:
                from django.db import connections

                connections.close_all()
            db.drop()
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
