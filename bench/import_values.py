"""Benchmark: import a table workbook of 100,000 values, validated and stored.

    .venv/bin/python bench/import_values.py [--values 100000] [--repeat 3]

Runs on a throwaway database: a SQLite file in a temporary directory, or, when DATABASE_URL is
set, a separate PostgreSQL database `steer_bench` on the same server, created and dropped here
(the database named in DATABASE_URL is never touched). It builds a synthetic programme (50
indicators on one monthly form, 10 months of 2025, values // 500 communes), exports the values
with `write_table_xlsx`, then times

1. reading the workbook: python-calamine (`read_file`, and the bare sheet read) against
   openpyxl (read-only, data-only, every row iterated) on the same bytes;
2. the full import of the workbook into an empty database: `read_file` + `write_values`;
3. the re-import of the workbook with ~10 % of the values changed.

Each figure is the median of --repeat runs; the database is emptied between runs.
"""

import argparse
import gc
import io
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "steer_bench"
YEAR = 2025
MONTHS = 10
INDICATORS = 50
VALUES_PER_UNIT = INDICATORS * MONTHS
CHANGED_SHARE = 0.10
TARGET_SECONDS = 5.0  # for TARGET_VALUES values on SQLite
TARGET_VALUES = 100_000
FILE_NAME = "du-lieu-100k.xlsx"

# Names are synthetic but read like the indicators of a Hanoi science and technology programme.
COUNT_NAMES = [
    ("Số doanh nghiệp khoa học và công nghệ", "doanh nghiệp"),
    ("Số doanh nghiệp ứng dụng công nghệ cao", "doanh nghiệp"),
    ("Số mô hình nông nghiệp ứng dụng công nghệ cao", "mô hình"),
    ("Số sản phẩm OCOP được công nhận", "sản phẩm"),
    ("Số đơn đăng ký sáng chế", "đơn"),
    ("Số hồ sơ thủ tục hành chính trực tuyến toàn trình", "hồ sơ"),
    ("Số lượt người dân được tập huấn kỹ năng số", "lượt người"),
    ("Số hộ kinh doanh sử dụng thanh toán không dùng tiền mặt", "hộ"),
    ("Số điểm truy cập Internet công cộng", "điểm"),
    ("Số nhiệm vụ khoa học và công nghệ cấp cơ sở", "nhiệm vụ"),
]
PERCENT_NAMES = [
    "Tỷ lệ hồ sơ được giải quyết trực tuyến",
    "Tỷ lệ hộ gia đình có kết nối cáp quang",
    "Tỷ lệ người dân có danh tính điện tử",
    "Tỷ lệ trường học triển khai học bạ số",
    "Tỷ lệ trạm y tế có bệnh án điện tử",
]
COMMUNE_NAMES = [
    "Ba Vì",
    "Cổ Đô",
    "Đông Anh",
    "Gia Lâm",
    "Hát Môn",
    "Kim Anh",
    "Liên Minh",
    "Mê Linh",
    "Nam Phù",
    "Ô Diên",
    "Phú Xuyên",
    "Quảng Bị",
    "Sóc Sơn",
    "Thanh Oai",
    "Ứng Hòa",
    "Vân Đình",
    "Xuân Mai",
    "Yên Bài",
]


# -- the throwaway database -------------------------------------------------------------------


def _postgres_admin(url: str):
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True)


def prepare_database(workdir: Path) -> tuple[str, str | None]:
    """Point the settings at a throwaway database; return (label, PostgreSQL URL to drop)."""
    os.environ["STEER_VAR_DIR"] = str(workdir / "var")
    url = os.environ.get("DATABASE_URL")
    if not url:
        os.environ["STEER_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        return "SQLite", None
    if not urlsplit(url).scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must be a PostgreSQL address (postgres://...)")
    if urlsplit(url).path.strip("/") == BENCH_DB:
        raise SystemExit(f"DATABASE_URL names {BENCH_DB}, the database this benchmark drops")
    with _postgres_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))
    return "PostgreSQL", url


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    with _postgres_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def empty_values() -> None:
    """Remove every value, its history, violations and submissions (between runs)."""
    from django.db import connection

    from steer.reporting.models import DataValue, Submission, ValueChange, Violation

    tables = [m._meta.db_table for m in (Violation, ValueChange, DataValue, Submission)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # CASCADE: evidence and workflow steps refer to these tables (all empty here).
            cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        else:
            for table in tables:
                cursor.execute(f'DELETE FROM "{table}"')


# -- the synthetic programme ------------------------------------------------------------------


def build_world(unit_count: int):
    from steer.accounts.models import Role, RoleGrant, User
    from steer.programmes.models import Indicator, IndicatorGroup, Objective, Programme
    from steer.reporting.models import FormLine, ReportForm, ValidationRule
    from steer.units.models import OrgUnit, UnitType

    city = UnitType.objects.create(code="city", name="Thành phố", level=1)
    department = UnitType.objects.create(code="department", name="Sở, ban, ngành", level=2)
    commune = UnitType.objects.create(code="commune", name="Xã", level=3)
    hanoi = OrgUnit.objects.create(code="01", name="Thành phố Hà Nội", unit_type=city)
    agency = OrgUnit.objects.create(
        code="SKHCN", name="Sở Khoa học và Công nghệ", unit_type=department, parent=hanoi
    )
    units = OrgUnit.objects.bulk_create(
        OrgUnit(
            code=f"B{n:04d}",
            name=f"Xã {COMMUNE_NAMES[n % len(COMMUNE_NAMES)]} {n // len(COMMUNE_NAMES) + 1}",
            unit_type=commune,
            parent=hanoi,
        )
        for n in range(1, unit_count + 1)
    )
    programme = Programme.objects.create(
        slug="bench-99",
        number="99",
        symbol="99-CTr/BENCH",
        title="Chương trình thử tải: chuyển đổi số và khoa học công nghệ",
        issuing_body="Thành ủy Hà Nội",
        issued_on="2025-01-15",
        start_year=2025,
        end_year=2030,
        standing_agency=agency,
        source_document="Tài liệu thử tải",
    )
    objective = Objective.objects.create(programme=programme, code="1", title="Mục tiêu chung")
    group = IndicatorGroup.objects.create(
        programme=programme, objective=objective, code="A", name="Chỉ tiêu thử tải"
    )
    indicators = []
    for i in range(1, INDICATORS + 1):
        percent = i % 10 in (2, 5, 8)  # 15 percentages, 35 counts
        if percent:
            name, measure = PERCENT_NAMES[i % len(PERCENT_NAMES)], "%"
        else:
            name, measure = COUNT_NAMES[i % len(COUNT_NAMES)]
        indicators.append(
            Indicator(
                programme=programme,
                group=group,
                code=f"CT{i:02d}",
                name=f"{name} ({i})",
                unit_of_measure=measure,
                value_type=Indicator.ValueType.PERCENT if percent else Indicator.ValueType.INTEGER,
                order=i,
            )
        )
    indicators = Indicator.objects.bulk_create(indicators)
    form = ReportForm.objects.create(
        programme=programme,
        code="BC-THANG",
        name="Báo cáo tháng chỉ tiêu chuyển đổi số",
        period_type="month",
        first_year=YEAR,
        last_year=YEAR,
    )
    form.units.set(units)
    FormLine.objects.bulk_create(
        FormLine(form=form, indicator=indicator, order=n)
        for n, indicator in enumerate(indicators, start=1)
    )
    # CT02 (enterprises using high technology) cannot exceed CT01 (all S&T enterprises).
    ValidationRule.objects.create(
        programme=programme,
        code="ct02-le-ct01",
        name="Doanh nghiệp ứng dụng công nghệ cao không vượt tổng số doanh nghiệp",
        left="CT02",
        operator="<=",
        right="CT01",
        severity=ValidationRule.Severity.WARN,
    )
    user = User.objects.create(username="thuongtruc.bench", full_name="Nguyễn Thu Hà", unit=agency)
    RoleGrant.objects.create(user=user, role=Role.STANDING_AGENCY, programme=programme)
    return programme, form, units, indicators, user


def synthetic_values(units, indicators, rng: random.Random) -> dict[tuple, Decimal]:
    """(indicator, unit, period) → value: counts drift month by month, shares move a little."""
    values = {}
    periods = [f"{YEAR}{m:02d}" for m in range(1, MONTHS + 1)]
    for unit in units:
        for indicator in indicators:
            if indicator.value_type == "percent":
                level = rng.uniform(30, 95)
                for period in periods:
                    level = min(100.0, max(0.0, level + rng.uniform(-2, 2)))
                    values[(indicator, unit, period)] = Decimal(f"{level:.1f}")
            else:
                level = rng.randint(20, 5000)
                for period in periods:
                    level = max(0, level + rng.randint(-10, 40))
                    values[(indicator, unit, period)] = Decimal(level)
    # Keep the rule CT02 <= CT01 mostly true, as real data would.
    for (indicator, unit, period), value in list(values.items()):
        if indicator.code == "CT02":
            total = values[(indicators[0], unit, period)]
            values[(indicator, unit, period)] = min(value, total)
    return values


def changed_values(values: dict, share: float, rng: random.Random) -> tuple[dict, int]:
    new = dict(values)
    keys = rng.sample(list(values), k=int(len(values) * share))
    for key in keys:
        old = values[key]
        if key[0].value_type == "percent":
            step = Decimal("0.5") if old <= 99 else Decimal("-0.5")
            new[key] = old + step
        else:
            new[key] = old + rng.randint(1, 50)
    return new, sum(1 for k in keys if new[k] != values[k])


def export_workbook(form, values: dict, user) -> bytes:
    """Store the values directly (no import), export them with write_table_xlsx, remove them."""
    from django.utils import timezone

    from steer.reporting.formats import write_table_xlsx
    from steer.reporting.models import DataValue, Quality, Submission

    empty_values()
    now = timezone.now()
    keys = sorted({(unit.pk, period) for _i, unit, period in values})
    submissions = Submission.objects.bulk_create(
        Submission(form=form, unit_id=u, period=p) for u, p in keys
    )
    submission_ids = {(s.unit_id, s.period): s.pk for s in submissions}
    rows = []
    for n, ((indicator, unit, period), value) in enumerate(values.items()):
        rows.append(
            DataValue(
                submission_id=submission_ids[(unit.pk, period)],
                indicator=indicator,
                unit=unit,
                period=period,
                option="",
                value=value,
                quality=Quality.ESTIMATE if n % 20 == 7 else Quality.OFFICIAL,
                comment="Số liệu ước tính, chờ báo cáo chính thức" if n % 97 == 3 else "",
                updated_at=now,
                updated_by=user,
            )
        )
    DataValue.objects.bulk_create(rows, batch_size=2000)
    data = write_table_xlsx(DataValue.objects.filter(indicator__programme=form.programme))
    empty_values()
    return data


# -- timing -----------------------------------------------------------------------------------


class Phases:
    """Times the steps of write_values by wrapping the functions it calls."""

    def __init__(self):
        self.last: dict[str, float] = {}

    def wrap(self, module, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.last[label] = time.perf_counter() - start

        setattr(module, name, timed)


@contextmanager
def stopwatch(out: dict, key: str):
    start = time.perf_counter()
    yield
    out[key] = time.perf_counter() - start


def read_openpyxl(data: bytes) -> int:
    from openpyxl import load_workbook

    from steer.reporting.formats import TABLE_SHEET

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [list(row) for row in book[TABLE_SHEET].iter_rows(values_only=True)]
    book.close()
    return len(rows) - 1


def read_calamine(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    from steer.reporting.formats import TABLE_SHEET

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name(TABLE_SHEET).to_python(skip_empty_area=False)
    return len(rows) - 1


def read_entries(data: bytes):
    from steer.reporting.formats import read_file

    entries, _meta, problems = read_file(data)
    assert not problems, problems[:3]
    return entries


def import_file(programme, user, data: bytes, phases: Phases, run: dict, prefix: str):
    from steer.reporting.values import write_values

    gc.collect()
    start = time.perf_counter()
    entries = read_entries(data)
    read_done = time.perf_counter()
    plan = write_values(
        programme=programme, entries=entries, user=user, channel="excel", source=FILE_NAME
    )
    end = time.perf_counter()
    run[f"{prefix}"] = end - start
    run[f"{prefix}.read"] = read_done - start
    run[f"{prefix}.plan"] = phases.last["plan"]
    run[f"{prefix}.checks"] = phases.last["checks"]
    run[f"{prefix}.store"] = phases.last["write"] - phases.last["checks"]
    run[f"{prefix}.rest"] = run[prefix] - run[f"{prefix}.read"] - run[f"{prefix}.plan"]
    run[f"{prefix}.rest"] -= phases.last["write"]
    return plan


def versions() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        server = f"SQLite {sqlite3.sqlite_version}"
    return f"Python {platform.python_version()}, {server}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=100_000, help="values in the workbook")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    unit_count = max(1, args.values // VALUES_PER_UNIT)

    with tempfile.TemporaryDirectory(prefix="steer-bench-") as tmp:
        label, drop_url = prepare_database(Path(tmp))
        try:
            return run(label, unit_count, args)
        finally:
            if drop_url:
                drop_database(drop_url)


def run(label: str, unit_count: int, args) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "steer.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import translation

    from steer.reporting import values
    from steer.reporting.models import DataValue, ValueChange

    translation.activate("vi")
    call_command("migrate", verbosity=0, interactive=False)

    rng = random.Random(args.seed)
    setup_start = time.perf_counter()
    programme, form, units, indicators, user = build_world(unit_count)
    first = synthetic_values(units, indicators, rng)
    second, changed = changed_values(first, CHANGED_SHARE, rng)
    data_first = export_workbook(form, first, user)
    data_second = export_workbook(form, second, user)
    total = len(first)
    del first, second  # setup data: not kept alive (and scanned by the GC) during the runs
    print(
        f"{label}: {versions()}; {total:,} values = {INDICATORS} indicators × "
        f"{unit_count} units × {MONTHS} months; workbook {len(data_first) / 1e6:.1f} MB; "
        f"setup {time.perf_counter() - setup_start:.1f} s; {args.repeat} runs, median shown\n"
    )

    phases = Phases()
    phases.wrap(values, "plan_entries", "plan")
    phases.wrap(values, "_write", "write")
    phases.wrap(values, "refresh_violations", "checks")

    runs: list[dict[str, float]] = []
    for _n in range(args.repeat):
        result: dict[str, float] = {}
        for key, reader in (
            ("calamine", read_calamine),
            ("read_file", lambda data: len(read_entries(data))),
            ("openpyxl", read_openpyxl),
        ):
            gc.collect()
            with stopwatch(result, key):
                rows = reader(data_first)
            expect(rows == total, f"{key} read {rows} rows, not {total}")

        empty_values()
        plan = import_file(programme, user, data_first, phases, result, "first")
        counts = plan.counts()
        expect(counts["new"] == total and len(plan.changes) == total, f"first import: {counts}")
        stored = DataValue.objects.filter(indicator__programme=programme).count()
        expect(stored == total, f"{stored} values stored after the first import, not {total}")
        expect(ValueChange.objects.count() == total, "one audit row per new value")

        plan = None  # the previous plan is not kept alive during the next import
        plan = import_file(programme, user, data_second, phases, result, "again")
        counts = plan.counts()
        expected = {"new": 0, "changed": changed, "unchanged": total - changed, "removed": 0}
        expect(counts == expected, f"re-import: {counts}, expected {expected}")
        expect(DataValue.objects.count() == total, "the re-import adds no value")
        expect(ValueChange.objects.count() == total + changed, "one audit row per changed value")
        plan = None
        runs.append(result)

    return report(label, runs, total, changed)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark check failed: {message}")


def report(label: str, runs: list[dict[str, float]], total: int, changed: int) -> int:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    lines = [("step", "median s", "note"), ("---", "---:", "---")]  # a Markdown table

    def row(name: str, key: str, note: str = "") -> None:
        lines.append((name, f"{med(key):.2f}", note))

    row("read: python-calamine, sheet to rows", "calamine")
    row("read: `read_file` (archive checks + calamine + entries)", "read_file")
    row(
        "read: openpyxl read-only, every row",
        "openpyxl",
        f"{med('openpyxl') / med('calamine'):.0f}× the bare calamine read",
    )
    passed = med("first") < TARGET_SECONDS
    if total < TARGET_VALUES:
        note = f"the < {TARGET_SECONDS:g} s target is for {TARGET_VALUES:,} values"
    elif label == "SQLite":
        note = f"target < {TARGET_SECONDS:g} s: {'PASS' if passed else 'FAIL'}"
    else:
        note = f"the < {TARGET_SECONDS:g} s target is for SQLite"
    for prefix, title, title_note in (
        ("first", f"first import, {total:,} new values", note),
        ("again", f"re-import, {changed:,} changed + {total - changed:,} unchanged", ""),
    ):
        row(f"**{title}**", prefix, title_note)
        for part, text in (
            ("read", "`read_file`"),
            ("plan", "validate + compare (`plan_entries`)"),
            ("store", "upsert values + audit rows"),
            ("checks", "`refresh_violations`"),
            ("rest", "lock, commit, rest"),
        ):
            row(f"· {text}", f"{prefix}.{part}")
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    for name, seconds, note in lines:
        cells = [name.ljust(widths[0]), seconds.rjust(widths[1]), note.ljust(widths[2])]
        print("| " + " | ".join(cells) + " |")
    firsts = ", ".join(f"{r['first']:.2f}" for r in runs)
    agains = ", ".join(f"{r['again']:.2f}" for r in runs)
    print(
        f"\nverified after every run: {total:,} DataValue rows, {total:,} then "
        f"{total + changed:,} ValueChange rows; first imports (s): {firsts}; "
        f"re-imports (s): {agains}"
    )
    return 1 if label == "SQLite" and total >= TARGET_VALUES and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
