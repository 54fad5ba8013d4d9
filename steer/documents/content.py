"""What a document says: the facts gathered from the approved data, the text drafted from them
(which the official edits), and the context a template is filled with.

Every number comes from the pre-aggregated figures (approved reports only), the plan items and
the steering records; the tables are read afresh each time a file is made, the drafted text
when the official asks for it. Documents are always in Vietnamese, whatever the page's language.
"""

import datetime as dt
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils import timezone, translation

from steer.assessment import charts as chart_specs
from steer.assessment.attainment import SHORT, tally
from steer.assessment.labels import STATUS_LABELS, status_label
from steer.assessment.models import Figure
from steer.assessment.selectors import (
    Assessment,
    assess,
    plan_statuses,
    programme_root,
    top_objective,
)
from steer.assessment.trend_chart import trend_spec
from steer.core.numbers import figure, vietnamese
from steer.documents import drafting
from steer.documents.models import Draft, Kind
from steer.documents.render import Chart
from steer.programmes.models import Indicator, PlanItem, PlanItemBudget, Programme
from steer.reporting.models import Submission
from steer.reporting.periods import Period, PeriodType, period_name
from steer.reporting.selectors import form_status
from steer.steering.labels import PLAN_LABELS
from steer.steering.models import Directive, Inspection, Meeting, ProgressReport, Recommendation
from steer.steering.plan_status import OPEN_PLAN_STATUSES, PlanStatus
from steer.steering.selectors import (
    directive_states_at,
    open_at,
    recommendation_states_at,
    recommendations_for_period,
)
from steer.units.models import OrgUnit

DASH = "–"
TYPE_NAMES = {"inspection_notice": "THÔNG BÁO"}
TYPE_CODES = {"inspection_notice": "TB"}
PARTY_SUFFIXES = ("/TU", "/QU", "/HU", "/TXU", "/ĐU")


def number(value, decimals=None) -> str:
    return DASH if value is None else vietnamese(value, decimals)


def figure_of(value, indicator: Indicator) -> str:
    """An indicator's figure by its value type: a count whole (`core.numbers.figure`)."""
    return _figure_text(value, indicator.value_type)


def _figure_text(value, value_type: str) -> str:
    return DASH if value is None else figure(value, value_type)


def words_of(period: Period) -> str:
    return period_name(period)


def is_party_programme(programme: Programme) -> bool:
    return programme.symbol.upper().endswith(PARTY_SUFFIXES)


# -- the facts ------------------------------------------------------------------------------


@dataclass
class IndicatorLine:
    assessment: Assessment
    previous: float | None  # the same period a year before (a review: the baseline)
    latest: tuple[str, float] | None  # without a figure for the period: the latest before it
    objective_id: int


@dataclass
class Facts:
    """Everything a draft says, read from the database once."""

    period: Period | None
    period_words: str
    lines: list[IndicatorLine] = field(default_factory=list)
    objectives: list = field(default_factory=list)
    plan: list[dict] = field(default_factory=list)
    reporting: list[dict] = field(default_factory=list)
    directives: list[dict] = field(default_factory=list)
    recommendations: list[dict] = field(default_factory=list)
    meetings: list[dict] = field(default_factory=list)
    by_unit: list[dict] = field(default_factory=list)
    budget: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)
    team: list[dict] = field(default_factory=list)
    latest_approval: str = ""

    def plan_counts(self) -> Counter:
        """How many plan items have each status (every PlanStatus value, as the overview counts
        them: the rows' statuses come from the same `plan_status`)."""
        counts = Counter(dict.fromkeys(map(str, PlanStatus), 0))
        counts.update(row["status"] for row in self.plan)
        return counts

    def digest(self) -> str:
        """A fingerprint of the numbers: it changes when an approved figure changes."""
        numbers = [
            (
                line.assessment.indicator.pk,
                line.assessment.actual,
                line.assessment.status.value,
                line.previous,
            )
            for line in self.lines
        ]
        payload = [
            numbers,
            self.plan,
            self.reporting,
            self.directives,
            self.recommendations,
            self.by_unit,
            self.budget,
            self.visits,
        ]
        text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _same_period_before(period: Period) -> Period:
    return Period(period.type, period.year - 1, period.number)


def _latest_before(a: Assessment, period_code: str) -> tuple[str, float] | None:
    earlier = [(t, code, v) for code, t, v in a.history if code != period_code]
    if not earlier:
        return None
    _t, code, value = max(earlier)
    return code, value


def _indicator_lines(programme, unit: OrgUnit, root: OrgUnit, period: Period, *, review=False):
    indicators = list(
        programme.indicators.select_related("group").order_by("group__order", "order", "code")
    )
    if unit.pk != root.pk:
        assigned = set(
            programme.indicators.filter(assigned_units=unit).values_list("pk", flat=True)
        )
        indicators = [i for i in indicators if i.pk in assigned]
    now = assess(programme, indicators, [unit.pk], period.year, root.pk, period=period.code)
    previous = {}
    if not review:
        before = _same_period_before(period)
        earlier = assess(
            programme,
            indicators,
            [unit.pk],
            before.year,
            root.pk,
            forecasts=False,
            period=before.code,
        )
        previous = {key: a.actual for key, a in earlier.items()}
    parents = dict(programme.objectives.values_list("pk", "parent_id"))
    lines = []
    for indicator in indicators:
        a = now[(indicator.pk, unit.pk)]
        if review:
            prior = a.baseline[1] if a.baseline else None
        else:
            prior = previous.get((indicator.pk, unit.pk))
        lines.append(
            IndicatorLine(
                assessment=a,
                previous=prior,
                latest=_latest_before(a, period.code) if a.actual is None else None,
                objective_id=top_objective(indicator, parents),
            )
        )
    return lines


def _plan_rows(items, day: dt.date) -> list[dict]:
    statuses = plan_statuses(items, day)
    percents = {}
    for item_id, percent in (
        ProgressReport.objects.filter(plan_item__in=items, reported_at__date__lte=day)
        .order_by("plan_item", "reported_at")
        .values_list("plan_item", "percent")
    ):
        percents[item_id] = percent
    return [
        {
            "code": item.code,
            "title": item.title,
            "lead": item.lead_unit.short_name or item.lead_unit.name if item.lead_unit else "",
            "deadline": drafting.date_text(item.deadline),
            "deadline_day": item.deadline.isoformat(),
            "percent": number(percents.get(item.pk)),
            "status": str(statuses[item.pk]),
        }
        for item in items
    ]


def _reporting_rows(programme, period: Period) -> list[dict]:
    rows = []
    units = OrgUnit.objects.all()
    for form in programme.report_forms.order_by("code"):
        if form.period_type != period.type.value or not (
            form.first_year <= period.year <= form.last_year
        ):
            continue
        _deadline, statuses = form_status(form, period, units)
        expected = len(statuses)
        submitted = sum(1 for s in statuses if s.status in ("on_time", "late"))
        approved = sum(
            1
            for s in statuses
            if s.submission is not None
            and s.submission.state in (Submission.State.APPROVED, Submission.State.ACCEPTED)
        )
        on_time = sum(1 for s in statuses if s.status == "on_time")
        units_rows = [
            {
                "unit": s.unit.name,
                "submitted": drafting.date_text(timezone.localtime(s.submission.first_submitted_at))
                if s.submission is not None and s.submission.first_submitted_at
                else DASH,
                "timeliness": s.status,
                "state": s.submission.get_state_display() if s.submission else DASH,
            }
            for s in statuses
        ]
        rows.append(
            {
                "form": f"{form.code}: {form.name}",
                "code": form.code,
                "expected": expected,
                "submitted": submitted,
                "on_time": on_time,
                "approved": approved,
                "rate": number(100 * submitted / expected) if expected else DASH,
                "units": units_rows,
            }
        )
    return rows


def _directive_rows(directives, day: dt.date | None = None) -> list[dict]:
    """The directives, each in its state at the end of the day (without a day: today's)."""
    rows = []
    listed = list(directives.prefetch_related("assignees").order_by("given_on", "number"))
    states = directive_states_at(listed, day) if day else {d.pk: d.state for d in listed}
    for d in listed:
        rows.append(
            {
                "number": d.number,
                "content": d.content,
                "given_on": drafting.date_text(d.given_on),
                "assignees": ", ".join(u.short_name or u.name for u in d.assignees.all()),
                "deadline": drafting.date_text(d.deadline),
                "state": states[d.pk],
            }
        )
    return rows


def _recommendation_rows(recommendations, day: dt.date | None = None) -> list[dict]:
    """The recommendations, each marked open if it still awaited its answer on the day (without
    a day: in its present state)."""
    listed = list(recommendations.select_related("unit").order_by("raised_on", "number"))
    states = recommendation_states_at(listed, day) if day else {r.pk: r.state for r in listed}
    return [
        {
            "unit": r.unit.short_name or r.unit.name,
            "content": r.content,
            "addressed_to": r.addressed_to,
            "bottleneck": r.is_bottleneck,
            "state": states[r.pk],
            "response": r.response if not (day and open_at(r, day)) else "",
            "open": open_at(r, day) if day else r.state in Recommendation.OPEN,
        }
        for r in listed
    ]


def _budget_rows(items, day: dt.date) -> list[dict]:
    planned: dict[int, dict[str, float]] = {}
    for item_id, source, amount in PlanItemBudget.objects.filter(plan_item__in=items).values_list(
        "plan_item", "source", "amount"
    ):
        planned.setdefault(item_id, {})
        planned[item_id][source] = planned[item_id].get(source, 0.0) + float(amount)
    disbursed = {}
    for item_id, spent in (
        ProgressReport.objects.filter(
            plan_item__in=items, reported_at__date__lte=day, budget_disbursed__isnull=False
        )
        .order_by("plan_item", "reported_at")
        .values_list("plan_item", "budget_disbursed")
    ):
        assert spent is not None  # budget_disbursed__isnull=False
        disbursed[item_id] = float(spent)
    rows = []
    for item in items:
        if item.pk not in planned and item.pk not in disbursed:
            continue
        by_source = planned.get(item.pk, {})
        rows.append(
            {
                "title": f"{item.code}. {item.title}",
                "city": by_source.get(PlanItemBudget.Source.CITY, 0.0),
                "district": by_source.get(PlanItemBudget.Source.DISTRICT, 0.0),
                "other": sum(
                    v
                    for k, v in by_source.items()
                    if k not in (PlanItemBudget.Source.CITY, PlanItemBudget.Source.DISTRICT)
                ),
                "planned": sum(by_source.values()),
                "disbursed": disbursed.get(item.pk),
            }
        )
    return rows


def _unit_tables(programme, root: OrgUnit, period: Period) -> list[dict]:
    """Per indicator, the units below the root that reported it for the period."""
    before = _same_period_before(period)
    rows = Figure.objects.filter(
        indicator__programme=programme,
        option="",
        period__in=[period.code, before.code],
        rolled_up=False,
    ).exclude(unit=root)
    units_of: dict[int, set[int]] = {}
    for indicator_id, unit_id in rows.values_list("indicator", "unit"):
        units_of.setdefault(indicator_id, set()).add(unit_id)
    if not units_of:
        return []
    indicators = list(
        programme.indicators.filter(pk__in=units_of).order_by("group__order", "order", "code")
    )
    unit_ids = sorted(set().union(*units_of.values()))
    now = assess(
        programme, indicators, unit_ids, period.year, root.pk, forecasts=False, period=period.code
    )
    earlier = assess(
        programme, indicators, unit_ids, before.year, root.pk, forecasts=False, period=before.code
    )
    names = {u.pk: u.name for u in OrgUnit.objects.filter(pk__in=unit_ids)}
    order = {u: i for i, u in enumerate(sorted(unit_ids, key=lambda u: names[u]))}
    tables = []
    for indicator in indicators:
        lines = []
        for unit_id in sorted(units_of[indicator.pk], key=order.__getitem__):
            a = now[(indicator.pk, unit_id)]
            year_target = a.targets.get(period.year)
            lines.append(
                {
                    "unit": names[unit_id],
                    "target": year_target,
                    "actual": a.actual,
                    "previous": earlier[(indicator.pk, unit_id)].actual,
                    "status": status_label(a),
                }
            )
        tables.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit_of_measure,
                "value_type": indicator.value_type,
                "rows": lines,
            }
        )
    return tables


def _latest_approval(programme, period: Period | None) -> str:
    rows = Submission.objects.filter(form__programme=programme)
    if period is not None:
        rows = rows.filter(period__in=[period.code, _same_period_before(period).code])
    latest = rows.filter(state__in=(Submission.State.APPROVED, Submission.State.ACCEPTED))
    value = latest.aggregate(at=Max("updated_at"))["at"]
    return value.isoformat() if value else ""


def gather(draft) -> "Facts":
    """The facts of a draft, in Vietnamese labels."""
    with translation.override("vi"):
        return _GATHER[draft.kind](draft)


def _gather_programme(draft, *, review=False) -> Facts:
    programme = draft.programme
    period = Period.parse(draft.period)
    root = programme_root(programme)
    facts = Facts(period=period, period_words=words_of(period))
    facts.lines = _indicator_lines(programme, root, root, period, review=review)
    facts.objectives = list(programme.objectives.filter(parent=None).order_by("order", "code"))
    first = programme.first_day if review else period.start
    # Every plan item, sub-items too, as the overview counts them.
    all_items = PlanItem.objects.filter(programme=programme)
    items = list(all_items.select_related("lead_unit").order_by("code"))
    facts.plan = _plan_rows(items, period.end)
    # The budget annex stays over the top-level items only, as before this count changed.
    facts.budget = _budget_rows([i for i in items if i.parent_id is None], period.end)
    if not review:
        facts.reporting = _reporting_rows(programme, period)
        facts.by_unit = _unit_tables(programme, root, period)
    given = Directive.objects.filter(
        programme=programme, given_on__gte=first, given_on__lte=period.end
    )
    facts.directives = _directive_rows(given, period.end)
    facts.recommendations = _recommendation_rows(
        recommendations_for_period(programme, first=first, last=period.end), period.end
    )
    facts.meetings = [
        {"title": m.title, "held_on": drafting.date_text(m.held_on)}
        for m in Meeting.objects.filter(
            programme=programme, held_on__gte=first, held_on__lte=period.end
        ).order_by("held_on")
    ]
    facts.latest_approval = _latest_approval(programme, None if review else period)
    return facts


def _gather_unit(draft) -> Facts:
    programme, unit = draft.programme, draft.unit
    period = Period.parse(draft.period)
    root = programme_root(programme)
    facts = Facts(period=period, period_words=words_of(period))
    facts.lines = _indicator_lines(programme, unit, root, period)
    # Every task the unit takes part in, not only those it leads.
    involved = PlanItem.objects.filter(programme=programme).involving(unit)
    items = list(involved.select_related("lead_unit").order_by("code"))
    facts.plan = _plan_rows(items, period.end)
    facts.recommendations = _recommendation_rows(
        recommendations_for_period(programme, first=period.start, last=period.end, units=[unit]),
        period.end,
    )
    facts.directives = _directive_rows(
        Directive.objects.filter(programme=programme, assignees=unit, given_on__lte=period.end)
        .exclude(closed_on__lt=period.start)
        .distinct(),
        period.end,
    )
    facts.latest_approval = _latest_approval(programme, period)
    return facts


def _gather_inspection(draft) -> Facts:
    inspection = draft.inspection
    facts = Facts(period=None, period_words="")
    facts.team = [
        {"name": m.name, "position": m.position, "role": m.get_role_display()}
        for m in inspection.members.order_by("order", "pk")
    ]
    facts.visits = [
        {
            "unit": v.unit.name,
            "visited_on": drafting.date_text(v.visited_on) if v.visited_on else "",
            "documents": v.documents_received,
            "results": v.results,
            "limitations": v.limitations,
            "causes": v.causes,
        }
        for v in inspection.visits.select_related("unit").order_by("visited_on", "pk")
    ]
    facts.directives = _directive_rows(Directive.objects.filter(inspection=inspection))
    facts.recommendations = _recommendation_rows(
        Recommendation.objects.filter(inspection=inspection)
    )
    return facts


_GATHER: dict[str, Callable[[Draft], Facts]] = {
    "synthesis": _gather_programme,
    "unit_report": _gather_unit,
    "midterm": lambda draft: _gather_programme(draft, review=True),
    "final": lambda draft: _gather_programme(draft, review=True),
    "inspection_notice": _gather_inspection,
}


# -- drafted text ---------------------------------------------------------------------------


def _facts_of(line: IndicatorLine, period: Period, *, review: bool) -> drafting.IndicatorFacts:
    a = line.assessment
    indicator = a.indicator
    flow = indicator.period_aggregation == "sum"
    year_target = a.targets.get(period.year)
    final = a.final_year
    if review or year_target is None:
        target, target_year = (a.targets[final], final) if final else (None, None)
    else:
        target, target_year = year_target, period.year
    forecast = a.forecast
    latest_words = None
    if line.latest:
        latest_words = words_of(Period.parse(line.latest[0]))
    return drafting.IndicatorFacts(
        name=indicator.name,
        unit=indicator.unit_of_measure,
        year=period.year,
        actual=a.actual,
        target=target,
        target_year=target_year,
        higher_is_better=indicator.direction == Indicator.Direction.HIGHER,
        forecast=forecast.value if forecast else None,
        forecast_low=forecast.low if forecast else None,
        forecast_high=forecast.high if forecast else None,
        reached_in=forecast.year_reached if forecast else None,
        period=None if period.type == PeriodType.YEAR else words_of(period),
        partial=a.covered < 1,
        flow=flow,
        status=a.status.value,
        latest=line.latest[1] if line.latest else None,
        latest_period=latest_words,
        value_type=indicator.value_type,
    )


OBJECTIVE_LEAD = "Kết quả thực hiện các chỉ tiêu"


def _objective_text(objective, lines, period, *, review) -> str:
    counts = tally(line.assessment.status for line in lines)
    # The objective's heading precedes this text: the sentence does not name it again.
    sentences = [
        drafting.objective_sentence(OBJECTIVE_LEAD, {k.value: n for k, n in counts.items()})
    ]
    sentences += [
        "- " + drafting.indicator_sentence(_facts_of(line, period, review=review)) for line in lines
    ]
    return "\n".join(sentences)


def _implementation_text(draft, facts: Facts) -> str:
    programme = draft.programme
    counts = facts.plan_counts()
    done = counts.get(PlanStatus.DONE_ON_TIME, 0) + counts.get(PlanStatus.DONE_LATE, 0)
    when = f"đến hết {facts.period_words}" if facts.period else ""
    parts = []
    if facts.plan:
        whose = (
            "đơn vị chủ trì, phối hợp thực hiện"
            if draft.kind == Kind.UNIT_REPORT
            else f"của Chương trình {programme.symbol}"
        )
        text = (
            f"Trong tổng số {len(facts.plan)} nhiệm vụ {whose}, "
            f"{when} đã hoàn thành {done} nhiệm vụ"
        )
        if counts.get(PlanStatus.DONE_LATE):
            text += f" (trong đó {counts[PlanStatus.DONE_LATE]} nhiệm vụ hoàn thành chậm)"
        if counts.get(PlanStatus.IN_PROGRESS):
            text += f"; {counts[PlanStatus.IN_PROGRESS]} nhiệm vụ đang triển khai trong thời hạn"
        if counts.get(PlanStatus.NOT_STARTED):
            text += f"; {counts[PlanStatus.NOT_STARTED]} nhiệm vụ chưa bắt đầu, còn trong thời hạn"
        if counts.get(PlanStatus.SUSPENDED):
            text += f"; {counts[PlanStatus.SUSPENDED]} nhiệm vụ tạm dừng, còn trong thời hạn"
        if counts.get(PlanStatus.OVERDUE):
            text += f"; {counts[PlanStatus.OVERDUE]} nhiệm vụ quá hạn chưa hoàn thành"
        parts.append(text + ".")
    if facts.meetings:
        held = "; ".join(f"{m['title']} ngày {m['held_on']}" for m in facts.meetings)
        parts.append(f"Trong kỳ đã tổ chức {len(facts.meetings)} cuộc họp, hội nghị: {held}.")
    if facts.directives:
        closed = sum(1 for d in facts.directives if d["state"] == Directive.State.DONE)
        by_then = f"đến hết ngày {drafting.date_text(facts.period.end)}" if facts.period else ""
        parts.append(
            f"Trong kỳ có {len(facts.directives)} ý kiến chỉ đạo được ban hành, "
            f"{by_then} đã hoàn thành {closed} ý kiến chỉ đạo."
        )
    for row in facts.reporting:
        parts.append(
            f"Về chế độ báo cáo ({row['form']}): {row['submitted']}/{row['expected']} đơn vị "
            f"đã gửi báo cáo (đạt {row['rate']}%), trong đó {row['on_time']} đơn vị gửi đúng hạn; "
            f"{row['approved']} báo cáo đã được phê duyệt."
        )
    return "\n".join(parts)


def _limitations_text(facts: Facts, review: bool) -> str:
    lines = []
    behind = [line for line in facts.lines if line.assessment.status in SHORT]
    if behind:
        names = "; ".join(line.assessment.indicator.name for line in behind)
        lines.append(f"Có {len(behind)} chỉ tiêu chậm so với tiến độ hoặc chưa đạt: {names}.")
    missing = [line for line in facts.lines if line.assessment.actual is None]
    if missing and not review:
        lines.append(f"Có {len(missing)} chỉ tiêu chưa có số liệu {facts.period_words}.")
    overdue = [row for row in facts.plan if row["status"] == PlanStatus.OVERDUE]
    if overdue:
        names = "; ".join(f"{row['code']}. {row['title']}" for row in overdue)
        lines.append(f"Có {len(overdue)} nhiệm vụ quá hạn chưa hoàn thành: {names}.")
    bottlenecks = [r for r in facts.recommendations if r["bottleneck"]]
    for r in bottlenecks:
        lines.append(f"Điểm nghẽn do {r['unit']} nêu: {r['content']}")
    return "\n".join(lines)


def _directions_text(facts: Facts) -> str:
    lines = []
    if facts.period is not None:
        horizon = facts.period.end + dt.timedelta(days=183)
        due = [
            row
            for row in facts.plan
            if row["status"] in OPEN_PLAN_STATUSES and row["deadline_day"] <= horizon.isoformat()
        ]
        for row in due:
            lines.append(
                f"Tập trung hoàn thành nhiệm vụ {row['code']}. {row['title']} "
                f"(chủ trì: {row['lead']}; thời hạn {row['deadline']})."
            )
    for d in facts.directives:
        if d["state"] != Directive.State.DONE:
            lines.append(
                f"Tiếp tục thực hiện ý kiến chỉ đạo số {d['number']}: {d['content']} "
                f"(thời hạn {d['deadline']})."
            )
    return "\n".join(lines)


def _recommendations_text(facts: Facts) -> str:
    return "\n".join(
        f"{r['unit']} kiến nghị {r['addressed_to']}: {r['content']}"
        for r in facts.recommendations
        if r["open"]
    )


def draft_texts(draft, facts: Facts) -> dict[str, str]:
    """The text drafted from the facts, section by section (one paragraph per line)."""
    with translation.override("vi"):
        return _draft_texts(draft, facts)


def _draft_texts(draft, facts: Facts) -> dict[str, str]:
    programme = draft.programme
    issued = drafting.date_text(programme.issued_on)
    basis = (
        f"Thực hiện Chương trình số {programme.symbol} ngày {issued} của "
        f"{programme.issuing_body} về {programme.title[:1].lower()}{programme.title[1:]}"
    )
    kind = draft.kind
    if kind == "inspection_notice":
        inspection = draft.inspection
        units = ", ".join(v["unit"] for v in facts.visits)
        texts = {
            "intro": (
                f"Từ ngày {drafting.date_text(inspection.start)} đến ngày "
                f"{drafting.date_text(inspection.end)}, {inspection.title} đã làm việc tại: "
                f"{units}. Trên cơ sở báo cáo của các đơn vị và kết quả kiểm tra thực tế, "
                f"Đoàn kiểm tra thông báo kết luận như sau:"
            ),
            "conclusion": inspection.conclusion,
            "requests": "\n".join(
                f"{d['assignees']}: {d['content']} (thời hạn {d['deadline']})."
                for d in facts.directives
            ),
            "recommendations": _recommendations_text(facts),
        }
        for i, visit in enumerate(facts.visits):
            texts[f"visit:{i}"] = _visit_text(visit)
        return texts
    period = facts.period
    assert period is not None  # every other kind is of a period
    review = kind in ("midterm", "final")
    who = issuer_words(draft)
    if kind == "unit_report":
        intro = f"{basis}, {draft.unit.name} báo cáo kết quả thực hiện {facts.period_words}"
    elif review:
        span = f"giai đoạn {programme.start_year}-{period.year}"
        word = "sơ kết" if kind == "midterm" else "tổng kết"
        intro = f"{basis}, {who} báo cáo {word} kết quả thực hiện Chương trình {span}"
    else:
        intro = f"{basis}, {who} báo cáo kết quả thực hiện {facts.period_words}"
    intro += f" ({as_of_words(period, draft.dated)}) như sau:"
    texts = {
        "intro": intro,
        "implementation": _implementation_text(draft, facts),
        "limitations": _limitations_text(facts, review),
        "directions": _directions_text(facts),
        "recommendations": _recommendations_text(facts),
    }
    if review:
        texts["lessons"] = ""
    if kind == "unit_report":
        texts["results"] = "\n".join(
            drafting.indicator_sentence(_facts_of(line, period, review=False))
            for line in facts.lines
        )
    else:
        for objective in facts.objectives:
            lines = [line for line in facts.lines if line.objective_id == objective.pk]
            texts[f"objective:{objective.pk}"] = _objective_text(
                objective, lines, period, review=review
            )
    return texts


def as_of_words(period: Period, dated: dt.date) -> str:
    """The two dates a period's document speaks of: the state it counts, the day it was made."""
    return (
        f"số liệu đến hết ngày {drafting.date_text(period.end)}, "
        f"lập ngày {drafting.date_text(dated)}"
    )


def _visit_text(visit: dict) -> str:
    lines = []
    for label, key in (
        ("Kết quả đạt được", "results"),
        ("Hạn chế", "limitations"),
        ("Nguyên nhân", "causes"),
    ):
        if visit[key]:
            lines.append(f"{label}: {visit[key]}")
    return "\n".join(lines)


def text_sections(draft, facts: Facts) -> list[tuple[str, str]]:
    """The text fields of a draft, in document order: (key, Vietnamese heading)."""
    kind = draft.kind
    if kind == "inspection_notice":
        return [
            ("intro", "Mở đầu"),
            *[
                (f"visit:{i}", f"Kết quả kiểm tra tại {v['unit']}")
                for i, v in enumerate(facts.visits)
            ],
            ("conclusion", "II. Kết luận chung"),
            ("requests", "III. Yêu cầu các đơn vị"),
            ("recommendations", "IV. Kiến nghị của các đơn vị"),
        ]
    sections = [("intro", "Mở đầu"), ("implementation", "I. Tình hình triển khai thực hiện")]
    if kind == "unit_report":
        sections.append(("results", "II. Kết quả thực hiện các chỉ tiêu"))
    else:
        sections += [(f"objective:{o.pk}", f"II. {o.code}. {o.title}") for o in facts.objectives]
    sections.append(("limitations", "III. Hạn chế, tồn tại và nguyên nhân"))
    if kind in ("midterm", "final"):
        sections.append(("lessons", "Bài học kinh nghiệm"))
    sections += [
        ("directions", "Phương hướng, nhiệm vụ và giải pháp"),
        ("recommendations", "Kiến nghị, đề xuất"),
    ]
    return sections


# -- header defaults ------------------------------------------------------------------------


def header_defaults(programme, kind: str, style: str, unit=None, inspection=None, period=None):
    """What a new draft's header says before the official changes it."""
    agency = programme.standing_agency
    city = agency.parent.name if agency.parent else "Hà Nội"
    place = city.replace("Thành phố ", "")
    type_code = TYPE_CODES.get(kind, "BC")
    member = programme.steering_members.filter(unit=agency).first()
    head = programme.steering_members.filter(committee_role="head").first()
    issuer_unit = unit if kind == "unit_report" else agency
    if style == "party":
        superior = programme.issuing_body.upper()
        if kind == "inspection_notice":
            issuer = f"ĐOÀN KIỂM TRA SỐ {inspection.number}"
            signer, name = ["T/M ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN"], _leader(inspection)
            number = f"     -{type_code}/ĐKT"
        elif kind == "unit_report":
            issuer = unit.name.upper()
            signer, name = ["T/M BAN THƯỜNG VỤ"], ""
            number = f"     -{type_code}"
        else:
            issuer = f"BAN CHỈ ĐẠO CHƯƠNG TRÌNH {programme.symbol}"
            signer = ["T/M BAN CHỈ ĐẠO", "TRƯỞNG BAN"]
            name = head.name if head else ""
            number = f"     -{type_code}/BCĐ"
        recipients = [
            f"- Thường trực {programme.issuing_body} (để báo cáo);",
            "- Các đồng chí thành viên Ban Chỉ đạo;",
            "- Các sở, ban, ngành, quận, huyện, thị xã;",
            f"- Lưu Văn phòng {programme.issuing_body}.",
        ]
    else:
        short = issuer_unit.short_name or issuer_unit.name
        if issuer_unit.parent and issuer_unit.unit_type.name.startswith("Sở"):
            superior = f"UBND {issuer_unit.parent.name.upper()}"
            issuer = issuer_unit.name.upper()
        else:
            superior = ""
            issuer = f"ỦY BAN NHÂN DÂN {issuer_unit.name.upper()}"
        code = "".join(w[0] for w in short.replace("&", " ").split() if w[:1].isalpha()).upper()
        number = f"     /{type_code}-{code}"
        if kind == "inspection_notice":
            signer, name = ["TM. ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN"], _leader(inspection)
        elif issuer_unit == agency and member:
            signer, name = ["GIÁM ĐỐC"], member.name
        else:
            signer, name = ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], ""
        recipients = [f"- Thường trực {programme.issuing_body} (để báo cáo);"]
        if kind == "unit_report":
            recipients = [f"- {agency.name} (để tổng hợp);"]
        recipients.append(f"- Lưu: VT, {short}.")
    return {
        "superior": superior,
        "issuer": issuer,
        "number": number,
        "place": place,
        "title": _title(programme, kind, unit, inspection, period),
        "signer_title": "\n".join(signer),
        "signer_name": name,
        "recipients": "\n".join(recipients),
    }


def issuer_words(draft) -> str:
    """Who issues the document, as running text names it ("Sở Khoa học và Công nghệ")."""
    if draft.kind == "inspection_notice":
        return f"Đoàn kiểm tra số {draft.inspection.number}"
    if draft.kind == "unit_report":
        return f"UBND {draft.unit.name}" if draft.style == "state" else draft.unit.name
    if draft.style == "party":
        return f"Ban Chỉ đạo Chương trình {draft.programme.symbol}"
    return draft.programme.standing_agency.name


def _leader(inspection: Inspection) -> str:
    leader = inspection.members.filter(role="head").first()
    return leader.name if leader else ""


def _title(programme, kind, unit, inspection, period) -> str:
    if kind == "inspection_notice":
        return (
            f"Kết luận của Đoàn kiểm tra số {inspection.number}\n"
            f"về việc thực hiện Chương trình số {programme.symbol}"
        )
    if kind in ("midterm", "final"):
        word = "Sơ kết giữa kỳ" if kind == "midterm" else "Tổng kết"
        span = f"giai đoạn {programme.start_year}-{Period.parse(period).year}"
        return f"{word} thực hiện Chương trình số {programme.symbol}\n{span}"
    words = words_of(Period.parse(period))
    title = f"Kết quả thực hiện Chương trình số {programme.symbol} của {programme.issuing_body}"
    if kind == "unit_report":
        # Not the city's title: the unit's report says whose results it gives.
        return f"{title}\ntại {unit.name}, {words}"
    return f"{title}\n{words}"


# -- the template's context -----------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _indicator_table(lines: list[IndicatorLine], period: Period, *, review: bool) -> dict:
    rows = []
    for i, line in enumerate(lines, 1):
        a = line.assessment
        indicator = a.indicator
        year_target = a.targets.get(period.year)
        final = a.final_year
        if review:
            target = figure_of(a.targets[final], indicator) if final else DASH
        elif year_target is not None:
            target = figure_of(year_target, indicator)
        elif final:
            target = f"{figure_of(a.targets[final], indicator)} ({final})"
        else:
            target = DASH
        actual = figure_of(a.actual, indicator)
        if a.actual is None and line.latest:
            actual = (
                f"{figure_of(line.latest[1], indicator)} ({words_of(Period.parse(line.latest[0]))})"
            )
        rows.append(
            {
                "n": i,
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit_of_measure,
                "target": target,
                "actual": actual,
                "previous": figure_of(line.previous, indicator),
                "final": figure_of(a.targets[final], indicator) if final else DASH,
                "status": status_label(a),
            }
        )
    if review:
        headings = {
            "target_heading": "Mục tiêu cuối kỳ",
            "actual_heading": f"Thực hiện năm {period.year}",
            "previous_heading": "Giá trị cơ sở",
        }
    else:
        short = "6 tháng" if period.type == PeriodType.HALF and period.number == 1 else ""
        headings = {
            "target_heading": f"Kế hoạch năm {period.year}",
            "actual_heading": f"Thực hiện {short or words_of(period)}",
            "previous_heading": f"Cùng kỳ năm {period.year - 1}",
        }
    return {**headings, "final_heading": "Mục tiêu cuối kỳ", "rows": rows}


def _directive_table(facts: Facts) -> list[dict]:
    return _numbered([{**d, "state": Directive.State(d["state"]).label} for d in facts.directives])


def _numbered(rows: list[dict]) -> list[dict]:
    return [{"n": i, **row} for i, row in enumerate(rows, 1)]


def _trend_chart(lines: list[IndicatorLine], root: OrgUnit) -> Chart | None:
    for line in lines:
        a = line.assessment
        if a.targets and len(a.history) >= 2:
            return Chart(trend_spec(a, a.indicator, root), width_mm=150)
    return None


def context(draft, facts: Facts) -> dict:
    """The context the draft's template is filled with."""
    with translation.override("vi"):
        return _context(draft, facts)


def _context(draft: Draft, facts: Facts) -> dict:
    texts = {key: _lines(value) for key, value in draft.texts.items()}
    result: dict = {
        "doc": _doc_context(draft),
        "texts": texts,
        "tables": {},
        "charts": {},
        "annex": {},
    }
    result.update(_CONTEXT[draft.kind](draft, facts, texts))
    return result


def _doc_context(draft: Draft) -> dict:
    """The header and signature block, as the template shows them."""
    day = draft.dated
    type_name = TYPE_NAMES.get(draft.kind, "BÁO CÁO")
    reference = f"{type_name.capitalize()} số {draft.number.strip()} ngày {drafting.date_text(day)}"
    return {
        "superior": draft.superior,
        "issuer": draft.issuer,
        "number": draft.number,
        "place_date": drafting.place_date(draft.place, day),
        "type_name": type_name,
        "title": _lines(draft.title),
        "signer_title": _lines(draft.signer_title),
        "signer_name": draft.signer_name,
        "recipients": _lines(draft.recipients),
        "reference": f"{reference} của {issuer_words(draft)}",
    }


Texts = dict[str, list[str]]


def _inspection_context(draft: Draft, facts: Facts, texts: Texts) -> dict:
    return {
        "tables": {"team": _numbered(facts.team), "directives": _directive_table(facts)},
        "visits": [
            {"heading": f"{i}. {v['unit']}", "text": texts.get(f"visit:{i - 1}", [])}
            for i, v in enumerate(facts.visits, 1)
        ],
    }


def _status_labels() -> dict[str, str]:
    return {status: str(label) for status, label in STATUS_LABELS.items()}


def _plan_rows_labelled(facts: Facts) -> list[dict]:
    return [{**row, "status": str(PLAN_LABELS[row["status"]])} for row in facts.plan]


def _unit_report_context(draft: Draft, facts: Facts, texts: Texts) -> dict:
    assert facts.period is not None  # a unit's report is of a period
    return {
        "tables": {
            "plan_items": _numbered(_plan_rows_labelled(facts)),
            "indicators": _indicator_table(facts.lines, facts.period, review=False),
        },
        "charts": {"status": _unit_status_chart(draft, facts) if facts.lines else None},
    }


def _unit_status_chart(draft: Draft, facts: Facts) -> Chart:
    assert draft.unit is not None  # a unit's report
    counts_by_status = tally(line.assessment.status for line in facts.lines)
    return Chart(
        chart_specs.status_bars(
            [
                {"name": draft.unit.name, "status": s.value, "count": n}
                for s, n in counts_by_status.items()
            ],
            _status_labels(),
            f"Các chỉ tiêu theo mức độ thực hiện, {facts.period_words}",
            "Số chỉ tiêu",
        ),
        width_mm=150,
    )


def _programme_context(draft: Draft, facts: Facts, texts: Texts) -> dict:
    """A programme's report for a period, or its mid-term or final review."""
    period = facts.period
    assert period is not None  # a programme's documents are of a period
    review = draft.kind in (Kind.MIDTERM, Kind.FINAL)
    tables = {
        "plan_status": _numbered(_plan_status_rows(facts)),
        "reporting": _numbered(
            [{k: v for k, v in row.items() if k != "units"} for row in facts.reporting]
        ),
        "directives": _directive_table(facts),
        "recommendations": _numbered(
            [{**r, "state": Recommendation.State(r["state"]).label} for r in facts.recommendations]
        ),
    }
    # The tables are numbered in the order they appear, a table left out taking no number.
    numbers = itertools.count(1)
    numbering = {
        "directions": "V" if texts.get("lessons") else "IV",
        "recommendations": "VI" if texts.get("lessons") else "V",
        "reporting_table": next(numbers) if draft.kind == Kind.SYNTHESIS else "",
        "plan_status_table": next(numbers),
        "directives_table": next(numbers) if tables["directives"] else "",
    }
    objectives, status_rows = _objectives_context(draft, facts, texts, numbers)
    numbering["recommendations_table"] = next(numbers) if tables["recommendations"] else ""
    return {
        "objectives": objectives,
        "charts": _programme_charts(facts, status_rows),
        "tables": tables,
        "numbering": numbering,
        "annex": {
            "indicators": _indicator_table(facts.lines, period, review=review),
            "plan_items": _numbered(_plan_rows_labelled(facts)),
            "budget": _budget_table(facts),
            "by_unit": _by_unit_tables(facts, period, numbers),
            "reporting": [
                {
                    "caption": f"Bảng {next(numbers)}. {row['form']}",
                    "rows": _numbered(
                        [{**u, "timeliness": TIMELINESS[u["timeliness"]]} for u in row["units"]]
                    ),
                }
                for row in facts.reporting
            ],
        },
    }


def _objectives_context(
    draft: Draft, facts: Facts, texts: Texts, numbers: Iterator[int]
) -> tuple[list[dict], list[dict]]:
    """Each objective's part (its text, table and chart), and its indicators counted by status
    for the chart of all objectives."""
    assert facts.period is not None
    review = draft.kind in (Kind.MIDTERM, Kind.FINAL)
    root = programme_root(draft.programme)
    objectives = []
    status_rows = []
    for i, objective in enumerate(facts.objectives):
        lines = [line for line in facts.lines if line.objective_id == objective.pk]
        for status, n in tally(line.assessment.status for line in lines).items():
            status_rows.append(
                {"name": f"{objective.code}. {objective.title[:50]}", "status": status, "count": n}
            )
        objectives.append(
            {
                "heading": f"{i + 1}. {objective.code}: {objective.title}",
                "code": objective.code,
                "text": texts.get(f"objective:{objective.pk}", []),
                "table_number": next(numbers),
                "table": _indicator_table(lines, facts.period, review=review),
                "chart": _trend_chart(lines, root),
            }
        )
    return objectives, status_rows


def _plan_labels() -> dict[str, str]:
    return {status: str(label) for status, label in PLAN_LABELS.items()}


def _programme_charts(facts: Facts, status_rows: list[dict]) -> dict[str, Chart]:
    return {
        "plan": Chart(
            chart_specs.plan_bars(
                facts.plan_counts(),
                _plan_labels(),
                f"Tình hình thực hiện nhiệm vụ đến hết {facts.period_words}",
                "Số nhiệm vụ",
            ),
            width_mm=150,
        ),
        "objectives": Chart(
            chart_specs.status_bars(
                status_rows,
                _status_labels(),
                f"Các chỉ tiêu của từng mục tiêu theo mức độ thực hiện, {facts.period_words}",
                "Số chỉ tiêu",
            ),
            width_mm=150,
        ),
    }


def _plan_status_rows(facts: Facts) -> list[dict]:
    """How many plan items have each status, the statuses none has left out."""
    counts = facts.plan_counts()
    labels = _plan_labels()
    rows = [{"status": labels[status], "count": counts.get(status, 0)} for status in PLAN_LABELS]
    return [row for row in rows if row["count"]]


def _budget_table(facts: Facts) -> list[dict]:
    totals = {
        key: sum(row[key] or 0 for row in facts.budget)
        for key in ("city", "district", "other", "planned", "disbursed")
    }
    budget = [
        {**row, **{k: number(row[k], 0 if k != "disbursed" else None) for k in totals}}
        for row in facts.budget
    ]
    return _numbered(budget) + [
        {"n": "", "title": "Tổng cộng", **{k: number(v) for k, v in totals.items()}}
    ]


def _by_unit_tables(facts: Facts, period: Period, numbers: Iterator[int]) -> list[dict]:
    return [
        {
            "caption": f"Bảng {next(numbers)}. {t['code']}. {t['name']} (đơn vị tính: {t['unit']})",
            "target_heading": f"Kế hoạch năm {period.year}",
            "actual_heading": f"Thực hiện {words_of(period)}",
            "previous_heading": f"Cùng kỳ năm {period.year - 1}",
            "rows": _numbered(
                [
                    {
                        **row,
                        "target": _figure_text(row["target"], t["value_type"]),
                        "actual": _figure_text(row["actual"], t["value_type"]),
                        "previous": _figure_text(row["previous"], t["value_type"]),
                    }
                    for row in t["rows"]
                ]
            ),
        }
        for t in facts.by_unit
    ]


# The context of each kind of document, after the header every kind has.
_CONTEXT: dict[str, Callable[[Draft, Facts, Texts], dict]] = {
    Kind.SYNTHESIS: _programme_context,
    Kind.UNIT_REPORT: _unit_report_context,
    Kind.MIDTERM: _programme_context,
    Kind.FINAL: _programme_context,
    Kind.INSPECTION_NOTICE: _inspection_context,
}


TIMELINESS = {
    "on_time": "Đúng hạn",
    "late": "Chậm hạn",
    "overdue": "Chưa gửi (quá hạn)",
    "missing": "Chưa gửi",
}


__all__ = [
    "Facts",
    "context",
    "draft_texts",
    "gather",
    "header_defaults",
    "is_party_programme",
    "text_sections",
]
