"""A crash in the middle of an import or of making a document leaves no partial state.

Each test runs the real command (`manage.py import_data`, `manage.py make_document`) in a
subprocess against a database of its own, a copy of the test database (the demo), and kills it
with SIGKILL once it is demonstrably writing; then it reads that database directly.
"""

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
import zipfile
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection, connections

from steer.documents import services
from steer.documents.models import Output
from steer.documents.render import office

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]
# The import_data command with SQLite's page cache cut from 32 MB to 2 MB: SQLite then writes
# the transaction's pages to the WAL file while it runs (not all at the commit), which is both
# the visible sign that the import is writing and the harder case, uncommitted pages on disk.
SMALL_CACHE = """
import sys

import django

django.setup()
from django.core.management import execute_from_command_line
from django.db.backends.signals import connection_created


def small_cache(sender, connection, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size=-2000")


connection_created.connect(small_cache)
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""
# A monthly form over the units and indicators of the half-year form BC6T-DP: 156 units (the 30
# districts to 6/2025, the 126 wards and communes from 7/2025), 7 indicators, 60 months of
# 2021-2025 without a report yet.
MONTHLY_FORM = """
import json

import django

django.setup()
from steer.programmes.models import Programme
from steer.reporting.models import FormLine, ReportForm

programme = Programme.objects.get(slug="07-ctr-tu")
half = ReportForm.objects.get(programme=programme, code="BC6T-DP")
form = ReportForm.objects.create(
    programme=programme,
    code="BC-THANG-KHCN",
    name="Báo cáo tháng kết quả khoa học, công nghệ và đổi mới sáng tạo",
    period_type="month",
    first_year=2021,
    last_year=2025,
)
form.units.set(half.units.all())
for line in half.lines.all():
    FormLine.objects.create(form=form, indicator=line.indicator, order=line.order)
print(json.dumps({
    "units": [
        [unit.code, str(unit.valid_from or ""), str(unit.valid_to or "")]
        for unit in form.units.order_by("code")
    ],
    "indicators": sorted(form.lines.values_list("indicator__code", flat=True)),
}))
"""
# The test database must exist (it is copied), so the tests ask for it, though they do not use it.
pytestmark = [pytest.mark.django_db, pytest.mark.crash]
WAIT = 300  # seconds: a loaded 2-core machine runs these several times slower than an idle one
OFFICE = ("oosplash", "soffice.bin")  # LibreOffice's launcher and the office itself


def postgres_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class Scratch:
    """A database beside the test database that a subprocess can use: a file (SQLite) or a
    database on the same PostgreSQL server."""

    vendor: str
    name: str
    var: Path
    form: dict = field(default_factory=dict)  # the monthly form's unit and indicator codes

    def env(self, **more) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STEER_SQLITE_PATH")
        }
        env.update(STEER_VAR_DIR=str(self.var), DJANGO_SETTINGS_MODULE="steer.settings", **more)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if self.vendor == "postgresql":
            env["DATABASE_URL"] = postgres_url(self.name)
        else:
            env["STEER_SQLITE_PATH"] = self.name
        return env

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "postgresql":
            with psycopg.connect(postgres_url(self.name)) as db:
                return db.execute(sql).fetchall()
        with closing(sqlite3.connect(self.name)) as db:
            return db.execute(sql).fetchall()

    def value(self, sql: str):
        return self.query(sql)[0][0]

    def copy(self, name: str, var: Path) -> "Scratch":
        if self.vendor == "postgresql":
            server("CREATE DATABASE {} TEMPLATE {}", name, self.name)
            return Scratch("postgresql", name, var, self.form)
        path = var / f"{name}.sqlite3"
        shutil.copyfile(self.name, path)
        return Scratch("sqlite", str(path), var, self.form)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            server("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)


def server(statement: str, *names: str) -> None:
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as db:
        db.execute(statement.format(*(f'"{n}"' for n in names)))


def run(args: list[str], db: Scratch, **env) -> subprocess.CompletedProcess:
    done = subprocess.run(
        args, env=db.env(**env), cwd=ROOT, capture_output=True, text=True, timeout=WAIT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """A copy of the test database (the demo) with the monthly form, made once; each test
    copies it again."""
    var = tmp_path_factory.mktemp("site")
    name = f"steer_crash_{uuid.uuid4().hex[:10]}"
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            test_database = connection.settings_dict["NAME"]
            connections.close_all()  # a template database must have no one connected
            server("CREATE DATABASE {} TEMPLATE {}", name, test_database)
            base = Scratch("postgresql", name, var)
        else:
            connection.ensure_connection()
            path = var / "base.sqlite3"
            with closing(sqlite3.connect(path)) as copy:
                connection.connection.backup(copy)
            base = Scratch("sqlite", str(path), var)
    try:
        made = run([sys.executable, "-c", MONTHLY_FORM], base)
        base.form = json.loads(made.stdout)
        yield base
    finally:
        base.drop()


@pytest.fixture
def db_copy(site, tmp_path):
    copy = site.copy(f"steer_crash_{uuid.uuid4().hex[:10]}", tmp_path)
    yield copy
    copy.drop()


def until(condition, process: subprocess.Popen, what: str):
    """Poll until condition() gives something true; fails if the process ends first."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the command ended (exit {process.returncode}) before {what}: {output}")
        time.sleep(0.005)
    pytest.fail(f"no sign of {what} in {WAIT} s")


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the command, then whatever it had started (LibreOffice), by their ids."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    for pid in in_session(process.pid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def left_behind(session: int) -> dict[int, str]:
    """The processes of a killed command's session still running after a while (LibreOffice
    takes a second or two to stop)."""
    deadline = time.monotonic() + 30
    while (running := in_session(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on; the name, in parentheses, may hold spaces."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def signalled(pid: int, signum: int) -> bool:
    """Whether a signal waits to be delivered to a (stopped) process, or has ended it: the
    command's clean-up may follow SIGTERM with SIGKILL before this looks."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return True
    masks = [int(line.split()[1], 16) for line in status if line.startswith(("SigPnd", "ShdPnd"))]
    return any(mask & (1 << (signum - 1)) for mask in masks)


def in_session(session: int) -> dict[int, str]:
    """The processes of a session (the command was started as its leader): pid -> name."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == session and int(entry.name) != session:
            found[int(entry.name)] = name
    return found


# -- import -----------------------------------------------------------------------------------


def value_table(path: Path, form: dict) -> tuple[int, int]:
    """Steer's value table (CSV) with a figure for every indicator and every month of each unit
    that exists on the month's cut-off end day (the 14th); the rows and the reports written."""
    rows = reports = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        table = csv.writer(out)
        table.writerow(["Mã đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Giá trị", "Ghi chú"])
        for year in range(2021, 2026):
            for month in range(1, 13):
                day = f"{year}-{month:02d}-14"
                for unit, start, end in form["units"]:
                    if not (start or day) <= day <= (end or day):
                        continue
                    reports += 1
                    for indicator in form["indicators"]:
                        value = (rows * 7) % 90 + 1
                        note = "Số liệu tháng do phòng Kinh tế tổng hợp"
                        table.writerow([unit, f"{year}{month:02d}", indicator, value, note])
                        rows += 1
    return rows, reports


def counts(db: Scratch) -> dict[str, int]:
    tables = [
        "reporting_datavalue",
        "reporting_valuechange",
        "reporting_submission",
        "reporting_violation",
    ]
    return {table: db.value(f"SELECT COUNT(*) FROM {table}") for table in tables}


def writing_values(db: Scratch):
    """A sign, seen from outside, that the import has started writing its values."""
    if db.vendor == "sqlite":
        wal = Path(db.name + "-wal")
        start = 1024 * 1024

        def sign():
            size = wal.stat().st_size if wal.exists() else 0
            return size >= start and f"the WAL file holds {size:,} bytes not yet committed"

        return sign
    tables = "('reporting_datavalue', 'reporting_valuechange')"
    sizes = f"SELECT SUM(pg_relation_size(oid)) FROM pg_class WHERE relname IN {tables}"
    before = db.value(sizes)

    def sign():
        grown = db.value(sizes) - before
        return grown >= 512 * 1024 and f"the values' tables grew by {grown:,} bytes"

    return sign


def test_an_import_killed_while_writing_leaves_none_of_its_values(db_copy, tmp_path):
    table = tmp_path / "so-lieu-thang-2021-2025.csv"
    written, reports = value_table(table, db_copy.form)
    assert written > 15_000
    before = counts(db_copy)
    command = ["import_data", str(table), "--user", "thuongtruc", "--skip-checks"]
    if db_copy.vendor == "sqlite":
        args = [sys.executable, "-c", SMALL_CACHE, *command]
    else:
        args = [*MANAGE, *command]
    process = subprocess.Popen(
        args,
        env=db_copy.env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        sign = until(writing_values(db_copy), process, "writing the values")
    finally:
        kill(process)
    assert process.returncode == -signal.SIGKILL, sign

    assert counts(db_copy) == before, f"killed when {sign}"
    of_the_form = (
        "SELECT COUNT(*) FROM reporting_{} x JOIN reporting_reportform f ON f.id = x.form_id "
        "WHERE f.code = 'BC-THANG-KHCN'"
    )
    assert db_copy.value(of_the_form.format("submission")) == 0
    assert db_copy.value(of_the_form.format("formline")) == len(db_copy.form["indicators"])
    orphans = (
        "SELECT COUNT(*) FROM reporting_datavalue v "
        "LEFT JOIN reporting_submission s ON s.id = v.submission_id WHERE s.id IS NULL"
    )
    assert db_copy.value(orphans) == 0
    if db_copy.vendor == "sqlite":
        assert db_copy.query("PRAGMA integrity_check") == [("ok",)]
        assert db_copy.query("PRAGMA foreign_key_check") == []

    done = run([*MANAGE, *command], db_copy)
    assert f"{written} new" in done.stdout
    after = counts(db_copy)
    assert after["reporting_datavalue"] == before["reporting_datavalue"] + written
    assert after["reporting_valuechange"] == before["reporting_valuechange"] + written
    assert after["reporting_submission"] == before["reporting_submission"] + reports


# -- documents --------------------------------------------------------------------------------


def outputs(db: Scratch) -> list[dict]:
    names = [
        "id",
        "state",
        "progress",
        "want_pdf",
        "docx",
        "pdf",
        "pdf_problem",
        "error",
        "made_at",
        "runner",
        "heartbeat",
    ]
    rows = db.query(f"SELECT {', '.join(names)} FROM documents_output ORDER BY id")
    found = []
    for row in rows:
        output = dict(zip(names, row, strict=True))
        for moment in ("made_at", "heartbeat"):
            if isinstance(output[moment], str):  # SQLite: UTC, without the zone
                output[moment] = dt.datetime.fromisoformat(output[moment]).replace(tzinfo=dt.UTC)
        found.append(output)
    return found


def complete(output: dict) -> bool:
    """A finished output's files are whole: the Word file a readable package, the PDF ended."""
    if output["docx"] is None:
        return False
    with zipfile.ZipFile(io.BytesIO(bytes(output["docx"]))) as package:
        if package.testzip() is not None or "word/document.xml" not in package.namelist():
            return False
    if output["want_pdf"] and not output["pdf_problem"]:
        pdf = bytes(output["pdf"] or b"")
        return pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    return True


@pytest.mark.pdf
def test_a_document_killed_while_being_made_leaves_no_process_no_folder_and_fails(
    db_copy, tmp_path
):
    draft = db_copy.value(
        "SELECT id FROM documents_draft WHERE kind = 'synthesis' AND period = '2024S1'"
    )
    pdf = office() is not None
    tasks = "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult"
    queued = db_copy.value(tasks)
    command = ["make_document", str(draft), "--user", "thuongtruc", "--skip-checks"]
    process = subprocess.Popen(
        [*MANAGE, *command, *(["--pdf"] if pdf else [])],
        # LibreOffice's working folder goes here, not in /tmp.
        env=db_copy.env(TMPDIR=str(tmp_path)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def printing():
        running = [n for n in in_session(process.pid).values() if n in OFFICE]
        return running and f"LibreOffice was printing the PDF ({', '.join(running)})"

    def drawing():
        progress = db_copy.query("SELECT progress FROM documents_output")
        return progress and 10 <= progress[0][0] < 80 and f"at {progress[0][0]}% of the Word file"

    try:
        sign = until(printing if pdf else drawing, process, "making the file")
        # LibreOffice is frozen first, as if it hung: killing the command must send it SIGTERM
        # (it would otherwise finish its PDF, or hang, on its own).
        office_processes = in_session(process.pid)
        started = [pid for pid in office_processes if int(stat_fields(pid)[1]) == process.pid]
        assert started, office_processes
        for pid in office_processes:
            os.kill(pid, signal.SIGSTOP)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while not all(signalled(pid, signal.SIGTERM) for pid in started):
            assert time.monotonic() < deadline, f"LibreOffice was not told to stop; {sign}"
            time.sleep(0.05)
        for pid in office_processes:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        assert left_behind(process.pid) == {}, sign
    finally:
        kill(process)
    assert process.returncode == -signal.SIGKILL, sign

    made = outputs(db_copy)
    assert len(made) == 1, made
    interrupted = made[0]
    assert interrupted["state"] == Output.State.RUNNING, sign
    assert interrupted["docx"] is None and interrupted["pdf"] is None
    assert interrupted["progress"] < 100
    # Seen as interrupted at once (its process is gone), not 15 minutes later.
    shown = Output(
        state=interrupted["state"],
        made_at=interrupted["made_at"],
        runner=interrupted["runner"],
        heartbeat=interrupted["heartbeat"],
    )
    assert services.is_interrupted(shown)
    # SIGKILL left the conversion's folder, with the document in it.
    assert bool(list(tmp_path.glob("steer-pdf-*"))) == pdf

    # Asked again: the killed file fails with the reason (the command queued no task, so no
    # worker makes it a second time), its folder goes, and the new file is made whole.
    run([*MANAGE, *command, *(["--pdf"] if pdf else [])], db_copy, TMPDIR=str(tmp_path))
    assert db_copy.value(tasks) == queued
    again, remade = outputs(db_copy)
    assert again["id"] == interrupted["id"] and again["state"] == Output.State.FAILED
    assert again["error"].startswith("Việc tạo tệp bị gián đoạn")
    assert again["docx"] is None and again["pdf"] is None
    assert remade["state"] == Output.State.DONE
    assert complete(remade)
    assert (remade["pdf"] is not None) == pdf
    assert not list(tmp_path.glob("steer-pdf-*"))
