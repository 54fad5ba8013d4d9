"""What the API reads and returns. Figures travel as decimal strings so that none is rounded."""

import datetime as dt
from typing import Annotated, Generic, TypeVar

from ninja import Field, Schema
from pydantic import StringConstraints

T = TypeVar("T")

# Codes of units, indicators, periods, parts and forms; a NUL byte or a space never belongs in one.
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._\-]{1,40}$")]
# Free text without NUL bytes (PostgreSQL refuses them).
Text = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
Number = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,16}(\.[0-9]{1,4})?$")]


class Problem(Schema):
    where: str = Field(description="The value, field or row at fault")
    message: str


class Error(Schema):
    detail: str
    code: str = Field(
        description="unauthenticated, forbidden, not_found, invalid, rejected, "
        "conflict, read_only, throttled or server_error"
    )
    problems: list[Problem] = []


class Page(Schema, Generic[T]):
    count: int = Field(description="How many rows match, over all pages")
    limit: int
    offset: int
    items: list[T]


class Me(Schema):
    username: str
    full_name: str
    unit: str | None
    roles: dict[str, list[str]] = Field(description="Roles by programme slug ('*': every one)")
    token_scope: str | None = Field(description="read or write when called with a token")


class UnitOut(Schema):
    code: str
    name: str
    short_name: str
    unit_type: str
    parent: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class ProgrammeOut(Schema):
    slug: str
    symbol: str
    title: str
    issuing_body: str
    issued_on: dt.date
    start_year: int
    end_year: int
    standing_agency: str


class TargetOut(Schema):
    year: int
    unit: str | None
    value: str
    upper_value: str | None


class IndicatorOut(Schema):
    code: str
    name: str
    unit_of_measure: str
    value_type: str
    direction: str
    objective: str
    group: str


class IndicatorDetail(IndicatorOut):
    targets: list[TargetOut]


class BudgetOut(Schema):
    source: str
    amount: str


class PlanItemOut(Schema):
    code: str
    title: str
    kind: str
    parent: str | None
    lead_unit: str
    state: str
    start_date: dt.date
    deadline: dt.date
    baseline_deadline: dt.date | None
    completed_on: dt.date | None
    version: int


class PlanItemDetail(PlanItemOut):
    responsible_official: str
    expected_product: str
    coordinating_units: list[str]
    assigned_units: list[str]
    indicators: list[str]
    budget: list[BudgetOut]
    latest_percent: str | None


class ValueOut(Schema):
    unit: str
    period: str
    indicator: str
    option: str
    value: str
    quality: str
    comment: str
    updated_at: dt.datetime
    updated_by: str
    version: str = Field(
        description="Send it back as `version` to refuse a write if someone "
        "changed the value meanwhile"
    )


class ValueIn(Schema):
    unit: Code
    period: Code
    indicator: Code
    option: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._\-]{0,40}$")] = ""
    value: Number | None = Field(description="Empty (null) removes the value")
    quality: Annotated[str, StringConstraints(pattern=r"^(official|estimate)?$")] = ""
    comment: Text | None = Field(None, description="Omitted: the stored comment is kept")
    version: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,64}$")] | None = None


class ValuesIn(Schema):
    values: list[ValueIn] = Field(min_length=1, max_length=50_000)
    dry_run: bool = False


class Counts(Schema):
    new: int
    changed: int
    removed: int
    unchanged: int


class WriteResult(Schema):
    written: bool
    counts: Counts


class Dhis2Value(Schema):
    dataElement: Code  # noqa: N815 (DHIS2's names)
    period: Code | None = None
    orgUnit: Code | None = None  # noqa: N815
    categoryOptionCombo: Code | None = None  # noqa: N815
    attributeOptionCombo: Code | None = None  # noqa: N815
    value: Number | None = None
    comment: Text | None = None
    storedBy: str | None = None  # noqa: N815
    lastUpdated: str | None = None  # noqa: N815


class Dhis2ValueSet(Schema):
    dataSet: Code | None = None  # noqa: N815
    period: Code | None = None
    orgUnit: Code | None = None  # noqa: N815
    dataValues: list[Dhis2Value] = Field(min_length=1, max_length=50_000)  # noqa: N815


class Dhis2Count(Schema):
    imported: int
    updated: int
    ignored: int
    deleted: int


class Dhis2Conflict(Schema):
    object: str
    value: str


class Dhis2Summary(Schema):
    status: str = Field(description="SUCCESS or ERROR, as DHIS2's import summary")
    description: str
    importCount: Dhis2Count  # noqa: N815
    conflicts: list[Dhis2Conflict]


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    by: str
    at: dt.datetime
    reason: str


class SubmissionOut(Schema):
    form: str
    unit: str
    period: str
    state: str
    first_submitted_at: dt.datetime | None
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


class SubmissionDetail(SubmissionOut):
    events: list[EventOut]
    allowed_actions: list[str]


class ActionIn(Schema):
    action: Annotated[str, StringConstraints(pattern=r"^(submit|return|approve|accept|reopen)$")]
    reason: Text = ""


class DirectiveOut(Schema):
    number: int
    content: str
    given_by: str
    given_on: dt.date
    source: str
    document_number: str
    assignees: list[str]
    deadline: dt.date
    state: str
    closed_on: dt.date | None
    closure_note: str


class DirectiveUpdateOut(Schema):
    unit: str
    text: str
    reported_by: str
    reported_at: dt.datetime


class DirectiveDetail(DirectiveOut):
    updates: list[DirectiveUpdateOut]


class RecommendationOut(Schema):
    number: int
    unit: str
    raised_on: dt.date
    channel: str
    category: str
    content: str
    addressed_to: str
    is_bottleneck: bool
    routed_to: str
    response: str
    responded_on: dt.date | None
    state: str


class FrameworkOut(Schema):
    code: str
    year: int
    name: str
    frozen: bool


class RankOut(Schema):
    rank: int
    unit: str
    unit_name: str
    score: float | None
    interval_low: int = Field(description="5th percentile of the rank over the uncertainty runs")
    interval_high: int = Field(description="95th percentile of the rank")


class RankingOut(FrameworkOut):
    results: list[RankOut]


class Dhis2ValueOut(Schema):
    dataElement: str  # noqa: N815
    period: str
    orgUnit: str  # noqa: N815
    categoryOptionCombo: str  # noqa: N815
    attributeOptionCombo: str  # noqa: N815
    value: str
    storedBy: str  # noqa: N815
    lastUpdated: str  # noqa: N815
    comment: str | None = None


class Dhis2ValueSetOut(Schema):
    dataValues: list[Dhis2ValueOut]  # noqa: N815
