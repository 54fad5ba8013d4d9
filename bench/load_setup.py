"""The deadline-day load benchmark, database side: the accounts and units it needs, and the check
afterwards that every uploaded figure is stored and every report submitted.

Runs inside a process where Django is set up on the benchmark's own database (bench/load.py).
"""

import csv
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

SLUG = "07-ctr-tu"
FORM = "BC6T-DP"
# The last half-year of Hanoi's districts (cut-off 14/6/2025). Every district reported it in the
# demo, and no later period has 200 units either (126 wards and communes since 1/7/2025), so the
# benchmark adds wards and communes of that time, with their real codes and names, to the form.
PERIOD = "2025S1"
# The benchmark's own accounts, in a throwaway database.
PASSWORD = "han-nop-bao-cao-07"  # pragma: allowlist secret
KINDS = {"phuong": ("ward", "Phường"), "xa": ("commune", "Xã")}  # thị trấn: no unit type here
# The browsing accounts: (role, their unit, share); district roles get one district each.
BROWSER_MIX = [
    ("standing_agency", "SKHCN", 0.2),
    ("steering_committee", "01", 0.2),
    ("unit_head", "district", 0.3),
    ("viewer", "district", 0.3),
]
ROLE_PREFIX = {
    "standing_agency": "thuongtruc",
    "steering_committee": "bancd",
    "unit_head": "lanhdao",
    "viewer": "xem",
}
ROLE_TITLE = {
    "standing_agency": "Chuyên viên cơ quan thường trực",
    "steering_committee": "Thành viên Ban Chỉ đạo",
    "unit_head": "Lãnh đạo",
    "viewer": "Cán bộ theo dõi",
}
WIDE_ROLES = {"standing_agency", "steering_committee"}


def prepare(uploaders: int, browsers: int, seed: int = 7) -> dict:
    """Units, reporter and browsing accounts; returns the plan the load client follows."""
    from steer.programmes.models import Programme
    from steer.reporting.models import ReportForm
    from steer.reporting.periods import Period

    programme = Programme.objects.get(slug=SLUG)
    form = ReportForm.objects.get(programme=programme, code=FORM)
    period = Period.parse(PERIOD)
    assert period in form.periods(), f"{FORM} is not reported for {PERIOD}"
    rng = random.Random(seed)
    with transaction.atomic():
        units = _reporting_units(form, period, uploaders)
        password = make_password(PASSWORD)  # hashed once: 250 hashes would take minutes
        reporters = [_reporter(programme, unit, password) for unit in units]
        viewers = _browsers(programme, units, browsers, password)
    return {
        "slug": SLUG,
        "form": FORM,
        "period": PERIOD,
        "password": PASSWORD,
        "uploaders": [
            {"username": user.username, "unit": unit.code, "unit_name": unit.name}
            for user, unit in zip(reporters, units, strict=True)
        ],
        "browsers": [
            {"username": user.username, "role": role, "pages": _pages(programme, role, unit, rng)}
            for user, role, unit in viewers
        ],
    }


def _reporting_units(form, period, count: int) -> list:
    """`count` units that report on the form for the period and have not reported it yet."""
    from steer.reporting.models import DataValue, Submission
    from steer.units.hanoi import DATA, LAST_DAY_OF_DISTRICTS
    from steer.units.models import OrgUnit, UnitType

    reported = set(
        Submission.objects.filter(form=form, period=period.code).values_list("unit_id", flat=True)
    )
    reported |= set(
        DataValue.objects.filter(period=period.code, submission__form=form).values_list(
            "unit_id", flat=True
        )
    )
    units = [u for u in form.units_expected(period).order_by("code") if u.pk not in reported]
    if len(units) >= count:
        return units[:count]
    # The wards and communes of the time, taken district by district in turn so that every
    # district has some (its head and viewer then see reports coming in).
    taken = set(OrgUnit.objects.values_list("code", flat=True))
    districts = {u.code: u for u in OrgUnit.objects.filter(valid_to=LAST_DAY_OF_DISTRICTS)}
    by_district = defaultdict(list)
    with open(DATA / "old_wards.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] in KINDS and row["code"] not in taken:
                by_district[row["district_code"]].append(row)
    types = {code: UnitType.objects.get(code=code) for code, _prefix in KINDS.values()}
    chosen = []
    queues = [by_district[code] for code in sorted(by_district)]
    while len(units) + len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(units) + len(chosen) < count:
                chosen.append(queue.pop(0))
    if len(units) + len(chosen) < count:
        raise SystemExit(f"only {len(units) + len(chosen)} units can report {period.code}")
    added = OrgUnit.objects.bulk_create(
        OrgUnit(
            code=row["code"],
            name=f"{KINDS[row['kind']][1]} {row['name']}",
            short_name=row["name"],
            unit_type=types[KINDS[row["kind"]][0]],
            parent=districts[row["district_code"]],
            valid_to=LAST_DAY_OF_DISTRICTS,
        )
        for row in chosen
    )
    form.units.add(*added)
    return units + list(added)


def _reporter(programme, unit, password: str):
    from steer.accounts.models import Role, RoleGrant, User

    user = User.objects.create(
        username=f"baocao.{unit.code}",
        full_name=f"Cán bộ báo cáo {unit.name}",
        position=f"Công chức văn phòng – thống kê, {unit.name}",
        unit=unit,
        password=password,
    )
    RoleGrant.objects.create(user=user, role=Role.UNIT_REPORTER, programme=programme)
    return user


def _browsers(programme, units, count: int, password: str) -> list[tuple]:
    """(user, role, unit) of `count` accounts browsing the dashboards."""
    from steer.accounts.models import RoleGrant, User
    from steer.units.models import OrgUnit

    districts = sorted({u.parent for u in units if u.parent and u.parent.code != "01"}, key=str)
    districts = districts or list(OrgUnit.objects.filter(code="01"))
    out = []
    for i, (role, where, share) in enumerate(BROWSER_MIX):
        n = round(count * share) if i < len(BROWSER_MIX) - 1 else count - len(out)
        for k in range(n):
            unit = (
                districts[k % len(districts)]
                if where == "district"
                else OrgUnit.objects.get(code=where)
            )
            user = User.objects.create(
                username=f"{ROLE_PREFIX[role]}.{k + 1:02d}"
                + (f".{unit.code}" if where == "district" else ""),
                full_name=f"{ROLE_TITLE[role]} số {k + 1}, {unit.name}",
                unit=unit,
                password=password,
            )
            RoleGrant.objects.create(user=user, role=role, programme=programme)
            out.append((user, role, unit))
    return out


def _pages(programme, role: str, unit, rng: random.Random) -> list[tuple[str, str]]:
    """The dashboard pages one browsing account keeps loading: (kind, path)."""
    from steer.ranking.models import Framework
    from steer.units.models import OrgUnit

    base = f"/p/{programme.slug}/"
    codes = list(programme.indicators.values_list("code", flat=True))
    frameworks = list(Framework.objects.filter(programme=programme).values_list("code", "year"))
    districts = list(
        OrgUnit.objects.filter(parent__code="01", unit_type__level=2)
        .exclude(unit_type__code__in=["department", "party_body"])
        .values_list("code", flat=True)
    )
    wide = role in WIDE_ROLES
    pages = [("overview", base)]
    for code in rng.sample(codes, 4):
        mine = "" if wide else f"?unit={unit.code}"
        pages.append(("indicator", f"{base}indicators/{code}/{mine}"))
    pages.append(("scorecard", f"{base}scorecard/{rng.choice(districts) if wide else unit.code}/"))
    pages.append(("compare", f"{base}compare/" + ("" if wide else f"?parent={unit.code}")))
    pages.append(("completeness", f"{base}reports/{FORM}/?period={PERIOD}"))
    pages.append(("rankings", f"{base}rankings/"))
    if frameworks:
        code, year = rng.choice(frameworks)
        pages.append(("ranking", f"{base}rankings/{code}/{year}/"))
    rng.shuffle(pages)
    return pages


def preflight(plan: dict) -> list[str]:
    """Every page of the plan answers 200 in-process (one account per role, one uploader)."""
    from django.test import Client

    from steer.accounts.models import User

    failures = []
    seen_roles = set()
    for browser in plan["browsers"]:
        if browser["role"] in seen_roles:
            continue
        seen_roles.add(browser["role"])
        client = Client()
        client.force_login(User.objects.get(username=browser["username"]))
        for kind, path in browser["pages"]:
            status = client.get(path).status_code
            if status != 200:
                failures.append(f"{browser['username']} {kind} {path}: {status}")
    first = plan["uploaders"][0]
    client = Client()
    client.force_login(User.objects.get(username=first["username"]))
    report = f"/p/{plan['slug']}/reports/{plan['form']}/{plan['period']}/{first['unit']}/"
    for path in (report, report + "workbook/", f"/p/{plan['slug']}/import/"):
        status = client.get(path).status_code
        if status != 200:
            failures.append(f"{first['username']} {path}: {status}")
    return failures


def verify(plan: dict, result: dict) -> dict:
    """Compare what each unit uploaded with what is stored; check each report is submitted.

    `result` holds, per unit code, what the client wrote into the workbook ({row key: [value,
    quality, comment]}, value as a decimal string) and when the server acknowledged the import
    and the submission. A lost write is a value the server acknowledged (or stored) that is not
    stored as uploaded, or an acknowledged submission not in the state submitted. A reporter
    stopped by an error is not a lost write but leaves its report undone, which fails too.
    """
    from steer.reporting.models import DataValue, ImportBatch, Submission
    from steer.units.models import OrgUnit

    codes = [u["unit"] for u in plan["uploaders"]]
    unit_ids = dict(OrgUnit.objects.filter(code__in=codes).values_list("pk", "code"))
    stored: dict[str, dict] = defaultdict(dict)
    rows = DataValue.objects.filter(
        unit_id__in=unit_ids, period=plan["period"], submission__form__code=plan["form"]
    ).values_list("unit_id", "indicator__code", "option", "value", "quality", "comment")
    for unit_id, code, option, value, quality, comment in rows:
        key = f"{code}|{option}" if option else code
        stored[unit_ids[unit_id]][key] = (value, quality, comment)
    states = dict(
        Submission.objects.filter(
            unit_id__in=unit_ids, period=plan["period"], form__code=plan["form"]
        ).values_list("unit__code", "state")
    )
    applied = ImportBatch.objects.filter(
        user__username__in=[u["username"] for u in plan["uploaders"]],
        state=ImportBatch.State.APPLIED,
    ).count()
    uploaded, accepted, submitted_ack = (
        result["uploaded"],
        result["accepted_at"],
        result["submitted_at"],
    )
    lost, checked, matched = [], 0, 0
    for code in codes:
        mine, have = uploaded.get(code, {}), stored.get(code, {})
        if code not in accepted and not have:
            continue  # never acknowledged and nothing stored: the reporter was stopped earlier
        for key in sorted(set(mine) | set(have)):
            checked += 1
            want = mine.get(key)
            got = have.get(key)
            if want is None:
                lost.append(f"{code} {key}: stored {got} but not uploaded")
            elif got is None:
                lost.append(f"{code} {key}: uploaded {want[0]}, nothing stored")
            elif (got[0], got[1], got[2]) != (Decimal(want[0]), want[1], want[2]):
                lost.append(f"{code} {key}: uploaded {tuple(want)}, stored {got}")
            else:
                matched += 1
    for code in submitted_ack:
        if states.get(code) != Submission.State.SUBMITTED:
            lost.append(f"{code}: submission acknowledged, state {states.get(code)}")
    submitted = sum(1 for code in codes if states.get(code) == Submission.State.SUBMITTED)
    return {
        "units": len(codes),
        "values_checked": checked,
        "values_matched": matched,
        "lost": len(lost),
        "first_lost": lost[:10],
        "submitted": submitted,
        "unfinished": sorted(c for c in codes if states.get(c) != Submission.State.SUBMITTED),
        "imports_applied": applied,
        "passed": not lost and submitted == len(codes),
    }


def calibrate(plan: dict, count: int = 10) -> dict[str, list[float]]:
    """CPU time of each kind of request alone, in-process, one after another (ms of this
    thread's CPU, so other processes on the machine hardly matter): the cost each request puts
    on a server core. The first `count` reporters go through their whole flow, and one browsing
    account of each role loads each of its pages. Changes the database (bench/load.py restores
    it before each run)."""
    import re
    import sys
    import time
    from pathlib import Path

    from django.test import Client

    sys.path.insert(0, str(Path(__file__).parent))
    from load_client import EntryForm, fill_workbook

    costs: dict[str, list[float]] = defaultdict(list)

    def timed(kind, call, *args, **kwargs):
        start = time.thread_time()
        response = call(*args, **kwargs)
        costs[kind].append((time.thread_time() - start) * 1000)
        return response

    def sign_in(client, username):
        timed("login_page", client.get, "/accounts/login/")
        response = timed(
            "login",
            client.post,
            "/accounts/login/",
            {"username": username, "password": plan["password"]},
        )
        assert response.status_code == 302, f"{username} could not sign in"
        timed("overview", client.get, timed("home", client.get, "/").url)

    importer = f"/p/{plan['slug']}/import/"
    for index, spec in enumerate(plan["uploaders"][:count]):
        client = Client()
        sign_in(client, spec["username"])
        report = f"/p/{plan['slug']}/reports/{plan['form']}/{plan['period']}/{spec['unit']}/"
        timed("report_page", client.get, report)
        workbook = timed("workbook", client.get, report + "workbook/")
        data, _written = fill_workbook(workbook.content, index, spec["unit_name"])
        timed("import_page", client.get, importer)
        upload = io_file(data, f"{spec['unit']}.xlsx")
        preview = timed("upload", client.post, importer, {"file": upload}).url
        timed("preview", client.get, preview)
        response = timed("confirm", client.post, preview, {"action": "confirm"})
        assert response.url == report, f"{spec['unit']}: the import was not written"
        page = timed("report_page", client.get, report)
        form = EntryForm()
        form.feed(page.content.decode())
        response = timed("submit", client.post, report, {**form.fields, "action": "submit"})
        assert response.status_code == 302 and not re.search(
            r'<li class="error', client.get(report).content.decode()
        ), f"{spec['unit']}: not submitted"
    seen = set()
    for spec in plan["browsers"]:
        if spec["role"] in seen:
            continue
        seen.add(spec["role"])
        client = Client()
        sign_in(client, spec["username"])
        for _round in range(2):
            for kind, path in spec["pages"]:
                timed(kind, client.get, path)
    return dict(costs)


def io_file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
