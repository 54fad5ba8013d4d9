"""The demo's steering records, from the seeds (data/steering07.json): the 23/7/2021 meeting,
the 20/9/2023 inspection by team no. 1, the 17/4/2025 working session, their directives and
the units' recommendations; plus illustrative progress reports on the items under way.

Loaded once: a programme that already has directives keeps what it has.
"""

import datetime as dt
import json
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from steer.accounts.models import User
from steer.core.models import Event
from steer.core.services import record
from steer.programmes.models import PlanItem, Programme
from steer.steering.models import (
    Confidence,
    DeadlineChange,
    Directive,
    DirectiveUpdate,
    Inspection,
    InspectionMember,
    InspectionVisit,
    Meeting,
    ProgressReport,
    Recommendation,
    Synthesis,
)
from steer.steering.services import notify_overdue
from steer.units.models import OrgUnit

DATA = Path(__file__).resolve().parent / "data" / "steering07.json"
AGENCY_USER = "thuongtruc"
INSPECTOR_USER = "kiemtra"


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _day_or_none(text: str | None) -> dt.date | None:
    return _day(text) if text else None


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


class _Loader:
    def __init__(self, programme: Programme):
        self.programme = programme
        self.units = {u.code: u for u in OrgUnit.objects.all()}
        self.agency = User.objects.get(username=AGENCY_USER)
        self.inspector = User.objects.filter(username=INSPECTOR_USER).first() or self.agency
        self.number = 0

    def unit(self, code: str) -> OrgUnit:
        try:
            return self.units[code]
        except KeyError:
            raise ValueError(f"{DATA.name}: unknown unit {code!r}") from None

    def directive(self, data: dict, source: str, given_on, given_by_user, **links) -> Directive:
        self.number += 1
        closure = data.get("closure")
        state = data["state"]
        directive = Directive.objects.create(
            programme=self.programme,
            number=self.number,
            content=data["content"],
            given_by=data["given_by"],
            given_on=given_on,
            source=source,
            deadline=_day(data["deadline"]),
            state=state,
            closed_on=_day(closure["on"]) if closure else None,
            closure_note=closure["note"] if closure else "",
            accepted_by=self.agency if closure else None,
            created_by=given_by_user,
            created_at=_at(given_on),
            is_illustrative=bool(data.get("deadline_illustrative")),
            **links,
        )
        directive.assignees.set([self.unit(c) for c in data["assignees"]])
        self.event(directive, given_by_user, Event.Action.GIVEN, "", Directive.State.NEW, given_on)
        last = Directive.State.NEW
        for update in data.get("updates", []):
            on = _day(update["on"])
            DirectiveUpdate.objects.create(
                directive=directive,
                unit=self.unit(update["unit"]),
                text=update["text"],
                reported_by=self.agency,
                reported_at=_at(on),
                is_illustrative=update.get("illustrative", True),
            )
            self.event(
                directive, self.agency, Event.Action.REPORTED, last, Directive.State.IN_PROGRESS, on
            )
            last = Directive.State.IN_PROGRESS
        if closure:
            on = _day(closure["on"])
            self.event(
                directive, self.agency, Event.Action.CLOSED, last, state, on, closure["note"]
            )
        return directive

    def event(self, subject, user, action, before, after, day, note=""):
        event = record(subject, user, action, from_state=before, to_state=after, note=note)
        Event.objects.filter(pk=event.pk).update(at=_at(day))

    def meeting(self, data: dict) -> None:
        held_on = _day(data["held_on"])
        meeting = Meeting.objects.create(
            programme=self.programme,
            kind=data["kind"],
            title=data["title"],
            held_on=held_on,
            chaired_by=data["chaired_by"],
            document_number=data.get("document_number", ""),
            is_illustrative=data.get("illustrative", False),
        )
        for item in data["directives"]:
            self.directive(item, data["kind"], held_on, self.agency, meeting=meeting)

    def inspection(self, data: dict) -> None:
        start, end = _day(data["start"]), _day(data["end"])
        inspection = Inspection.objects.create(
            programme=self.programme,
            number=data["number"],
            title=data["title"],
            purpose=data["purpose"],
            scope=data.get("scope", ""),
            start=start,
            end=end,
            state=Inspection.State.CONCLUDED,
            conclusion=data["conclusion"],
            concluded_on=_day_or_none(data["concluded_on"]),
            conclusion_document=data.get("conclusion_document", ""),
        )
        for order, member in enumerate(data["team"]):
            InspectionMember.objects.create(
                inspection=inspection,
                name=member["name"],
                position=member.get("position", ""),
                role=member["role"],
                order=order,
            )
        for visit in data["units"]:
            InspectionVisit.objects.create(
                inspection=inspection,
                unit=self.unit(visit["unit"]),
                visited_on=_day_or_none(visit.get("visited_on")),
                documents_received=visit.get("documents_received", ""),
                results=visit.get("results", ""),
                limitations=visit.get("limitations", ""),
                causes=visit.get("causes", ""),
            )
        self.event(inspection, self.inspector, Event.Action.PLANNED, "", "planned", start)
        self.event(inspection, self.inspector, Event.Action.FINDINGS, "planned", "visited", end)
        self.event(
            inspection,
            self.inspector,
            Event.Action.CONCLUDED,
            "visited",
            "concluded",
            inspection.concluded_on,
        )
        for item in data["directives"]:
            self.directive(
                item,
                Directive.Source.INSPECTION,
                inspection.concluded_on,
                self.inspector,
                inspection=inspection,
            )

    def recommendation(self, number: int, data: dict) -> None:
        inspection = None
        if data.get("inspection"):
            inspection = Inspection.objects.get(programme=self.programme, number=data["inspection"])
        raised_on = _day(data["raised_on"])
        rec = Recommendation.objects.create(
            programme=self.programme,
            number=number,
            unit=self.unit(data["unit"]),
            raised_on=raised_on,
            channel=data["raised_in"],
            inspection=inspection,
            category=data["category"],
            content=data["content"],
            addressed_to=data["addressed_to"],
            is_bottleneck=data["category"] in ("policy", "procedures_it"),
            created_by=self.agency,
            is_illustrative=data.get("illustrative", False),
        )
        self.event(rec, self.agency, Event.Action.RAISED, "", rec.state, raised_on)

    def synthesis(self, day: dt.date) -> None:
        """The standing agency's synthesis after the 2023 inspection (illustrative)."""
        raised = Recommendation.objects.filter(programme=self.programme, raised_on__lte=day)
        if not raised.exists():
            return
        batch = Synthesis.objects.create(
            programme=self.programme,
            title="Tổng hợp kiến nghị, đề xuất gửi Thành phố sau đợt kiểm tra năm 2023",
            prepared_on=day,
            note="Cơ quan thường trực tổng hợp các kiến nghị của đơn vị được kiểm tra, "
            "báo cáo Ban Chỉ đạo và chuyển cơ quan có thẩm quyền xem xét (minh họa).",
            prepared_by=self.agency,
        )
        for rec in raised:
            rec.synthesis = batch
            rec.state = Recommendation.State.ROUTED
            rec.routed_to = rec.addressed_to
            rec.synthesis_note = "Đã tổng hợp, báo cáo Ban Chỉ đạo (minh họa)."
            rec.save()
            self.event(rec, self.agency, Event.Action.ROUTED, "new", "routed", day, rec.routed_to)
        self.event(batch, self.agency, Event.Action.SYNTHESISED, "", "", day, str(raised.count()))

    def progress(self, today: dt.date) -> None:
        """Illustrative quarterly reports on the items under way, from their start to today."""
        items = PlanItem.objects.filter(
            programme=self.programme, state=PlanItem.State.IN_PROGRESS
        ).order_by("code")
        for n, item in enumerate(items):
            quarter_ends = [
                dt.date(y, m, d)
                for y in range(item.start_date.year, today.year + 1)
                for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))
            ]
            quarter_ends = [q for q in quarter_ends if item.start_date < q <= today][-6:]
            span = max(1, (item.deadline - item.start_date).days)
            for day in quarter_ends:
                elapsed = (day - item.start_date).days / span
                percent = min(95, round(100 * elapsed * (0.55 + 0.08 * (n % 5)), 0))
                gap = elapsed - percent / 100
                confidence = (
                    Confidence.GREEN
                    if gap < 0.05
                    else Confidence.AMBER_GREEN
                    if gap < 0.15
                    else Confidence.AMBER
                    if gap < 0.3
                    else Confidence.AMBER_RED
                    if gap < 0.5
                    else Confidence.RED
                )
                ProgressReport.objects.create(
                    plan_item=item,
                    period=f"{day.year}Q{(day.month + 2) // 3}",
                    percent=percent,
                    done=f"Triển khai theo kế hoạch; lũy kế đạt {percent:.0f}% khối lượng.",
                    product="",
                    confidence=confidence,
                    rationale="Tiến độ so với thời gian đã qua của nhiệm vụ.",
                    reported_by=self.agency,
                    reported_at=_at(day),
                    is_illustrative=True,
                )
        moved = PlanItem.objects.filter(programme=self.programme, code="NV24").first()
        if moved and moved.baseline_deadline is None:
            original = dt.date(2025, 6, 30)
            DeadlineChange.objects.create(
                plan_item=moved,
                old_deadline=original,
                new_deadline=moved.deadline,
                reason="Điều chỉnh tiến độ do sắp xếp tổ chức bộ máy (minh họa).",
                changed_by=self.agency,
                changed_at=_at(dt.date(2025, 5, 15)),
            )
            moved.baseline_deadline = original
            moved.save(update_fields=["baseline_deadline"])


def load_steering(programme: Programme, data: dict | None = None, today=None) -> dict:
    """Load the demo's steering records unless the programme has some; return counts."""
    if data is None:
        data = json.loads(DATA.read_text(encoding="utf-8"))
    today = today or timezone.localdate()
    with transaction.atomic():
        if not Directive.objects.filter(programme=programme).exists():
            loader = _Loader(programme)
            for session in data["sessions"]:
                loader.meeting(session)
            for inspection in data["inspections"]:
                loader.inspection(inspection)
            for number, rec in enumerate(data["recommendations"], start=1):
                loader.recommendation(number, rec)
            loader.synthesis(dt.date(2023, 10, 16))
            loader.progress(today)
            notify_overdue(today=today)
    directives = Directive.objects.filter(programme=programme)
    return {
        "directives": directives.count(),
        "overdue": directives.filter(state__in=Directive.OPEN, deadline__lt=today).count(),
        "inspections": Inspection.objects.filter(programme=programme).count(),
        "recommendations": Recommendation.objects.filter(programme=programme).count(),
    }
