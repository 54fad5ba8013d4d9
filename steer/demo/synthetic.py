"""A programme at national scale, generated for benchmarks (`manage.py gen_synthetic`).

The defaults make about 3,400 units, 200 indicators and 60 months (2021-2025): 2,635 communes
each reporting 64 of the indicators every month, 10,118,400 values. Everything lives apart from
the Hanoi demo: its own unit tree under a "country" root (codes "GL" and "GL-..."), its own unit
types (besides the shared "rural_district" and "commune"), the programme `gia-lap`
(99-CTr/GL) and two users, `gialap.thuongtruc` (standing agency, the benchmark login) and
`gialap.lanhdao` (unit head of the root, who may approve every report).

Shape, scaled with the number of units N: 1 root, N×63/3,400 provinces, N×700/3,400 districts,
one ministry (the standing agency, under the root) and the rest communes. Only communes report,
on one monthly form that holds every indicator. Each commune reports the same number of
indicators (density × indicators, the weighting indicators first, the others drawn at random),
every month: values = communes × indicators reported × months. Every (commune, month) has one
report, accepted, except a few hundred of the last three months left in draft or submitted.

The indicators mix what real programmes hold, by a pattern repeated every 20 indicators: 9 flows
(summed over units and months, one of them lower-is-better), 5 stocks (summed over units, last
value of the year, one of them weighting two rates), 3 rates (mean over units, percent, one
lower-is-better), 2 rates weighted by the stock, 1 peak (maximum over units and months).
Values follow a trend with seasonality and noise; rates stay within 0-100. The baseline is the
year before the first year; each indicator has a programme-wide target per year, set from the
figures actually generated times a factor drawn per indicator, so that the statuses are mixed.

Writing: the setup (units, programme, form, reports, users) is one transaction; the values are
written by chunks of communes, one transaction each (executemany of one INSERT on SQLite, COPY
on PostgreSQL: see `write_rows`); then the targets; then, unless told not to, `rebuild`. A crash
while writing values leaves the programme with the values of the chunks already committed and no
targets: run the command again with --replace.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from steer.accounts.models import Role, RoleGrant, User
from steer.core.progress import ProgressBar
from steer.programmes.models import (
    Indicator,
    IndicatorGroup,
    Objective,
    PlanItem,
    Programme,
    Target,
)
from steer.reporting.models import (
    DataValue,
    Evidence,
    FormLine,
    Reminder,
    ReportForm,
    Submission,
    SubmissionEvent,
    ValueChange,
    Violation,
)
from steer.reporting.periods import Period, PeriodType
from steer.reporting.values import VALUE_COLUMNS
from steer.units.hanoi import UNIT_TYPES as HANOI_UNIT_TYPES
from steer.units.models import OrgUnit, UnitType

SLUG = "gia-lap"
SYMBOL = "99-CTr/GL"
ROOT_CODE = "GL"
MINISTRY_CODE = "GL-BO"
FORM_CODE = "BC-THANG-GL"
AGENCY_USERNAME = "gialap.thuongtruc"  # the benchmark login: standing agency
HEAD_USERNAME = "gialap.lanhdao"  # unit head of the root: may approve every report
FIRST_YEAR = 2021
DEFAULT_DENSITY = 0.32  # 64 of 200 indicators: the defaults give 10,118,400 values
PENDING_MAX = 300  # reports left in draft or submitted
CHUNK_ROWS = 100_000  # values per transaction, roughly
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

# Shares of a national tree (Vietnam before 2025: 63 provinces, about 700 districts).
PROVINCE_SHARE = 63 / 3400
DISTRICT_SHARE = 700 / 3400

# -- what the indicators are ------------------------------------------------------------------

FLOW, STOCK, WEIGHT, RATE, WEIGHTED, PEAK = "flow", "stock", "weight", "rate", "weighted", "peak"
# One block of 20 indicators: (kind, lower is better). Any first 8 hold every kind.
PATTERN: tuple[tuple[str, bool], ...] = (
    (FLOW, False),
    (WEIGHT, False),
    (RATE, False),
    (WEIGHTED, False),
    (FLOW, False),
    (PEAK, False),
    (FLOW, True),
    (STOCK, False),
    (FLOW, False),
    (RATE, True),
    (FLOW, False),
    (STOCK, False),
    (FLOW, False),
    (WEIGHTED, False),
    (STOCK, False),
    (FLOW, False),
    (RATE, False),
    (FLOW, False),
    (STOCK, False),
    (FLOW, False),
)
FLOW_NAMES = [
    ("Số hồ sơ thủ tục hành chính được giải quyết trực tuyến", "hồ sơ", 400),
    ("Số giao dịch thanh toán không dùng tiền mặt tại cơ quan, đơn vị", "giao dịch", 900),
    ("Số lượt người dân được tập huấn kỹ năng số", "lượt người", 120),
    ("Số doanh nghiệp thành lập mới", "doanh nghiệp", 6),
    ("Số sản phẩm OCOP được công nhận", "sản phẩm", 2),
    ("Số tin bài tuyên truyền về chuyển đổi số", "tin bài", 15),
    ("Số lượt khám chữa bệnh có bệnh án điện tử", "lượt", 650),
    ("Số tài khoản định danh điện tử được kích hoạt", "tài khoản", 180),
    ("Số hộ được hỗ trợ chuyển đổi sản xuất", "hộ", 25),
    ("Số lao động được giải quyết việc làm", "người", 40),
]
FLOW_LOWER_NAMES = [
    ("Số hồ sơ giải quyết quá hạn", "hồ sơ", 12),
    ("Số vụ vi phạm an toàn thực phẩm", "vụ", 3),
    ("Số vụ tai nạn giao thông", "vụ", 4),
    ("Số sự cố an toàn thông tin được phát hiện", "sự cố", 5),
]
STOCK_NAMES = [
    ("Số điểm truy cập Internet công cộng", "điểm", 6),
    ("Số trường học có kết nối cáp quang", "trường", 5),
    ("Số hợp tác xã ứng dụng công nghệ cao", "hợp tác xã", 3),
    ("Số camera giám sát an ninh được kết nối", "camera", 40),
    ("Số trạm phát sóng 5G", "trạm", 4),
    ("Số thôn, tổ dân phố có nhóm công nghệ số cộng đồng", "thôn", 8),
    ("Số cơ sở sản xuất đạt chứng nhận VietGAP", "cơ sở", 7),
]
# (name, unit of measure, level per commune, rates it weights)
WEIGHT_NAMES = [
    (
        "Số hộ gia đình",
        "hộ",
        3000,
        ["Tỷ lệ hộ gia đình có kết nối cáp quang", "Tỷ lệ hộ gia đình sử dụng nước sạch"],
    ),
    (
        "Dân số trung bình",
        "người",
        11000,
        [
            "Tỷ lệ dân số tham gia bảo hiểm y tế",
            "Tỷ lệ người trưởng thành có điện thoại thông minh",
        ],
    ),
    (
        "Số học sinh phổ thông",
        "học sinh",
        1900,
        ["Tỷ lệ học sinh được học trực tuyến", "Tỷ lệ học sinh có học bạ số"],
    ),
    (
        "Số doanh nghiệp đang hoạt động",
        "doanh nghiệp",
        120,
        ["Tỷ lệ doanh nghiệp sử dụng hóa đơn điện tử", "Tỷ lệ doanh nghiệp nộp thuế điện tử"],
    ),
    (
        "Số lao động trong độ tuổi",
        "người",
        6500,
        ["Tỷ lệ lao động qua đào tạo", "Tỷ lệ lao động có kỹ năng số cơ bản"],
    ),
]
RATE_NAMES = [
    "Tỷ lệ hồ sơ được giải quyết đúng hạn",
    "Tỷ lệ người dân có danh tính điện tử mức 2",
    "Tỷ lệ trường học triển khai học bạ số",
    "Tỷ lệ trạm y tế có bệnh án điện tử",
    "Tỷ lệ thôn, bản có sóng di động 4G",
    "Tỷ lệ dịch vụ công trực tuyến toàn trình",
]
RATE_LOWER_NAMES = [
    "Tỷ lệ hộ nghèo đa chiều",
    "Tỷ lệ hồ sơ bị trả lại do thiếu thành phần",
    "Tỷ lệ thất nghiệp",
]
PEAK_NAMES = [
    ("Tốc độ truy cập Internet cố định cao nhất đo được", "Mbps", 180.0),
    ("Số lượt truy cập cổng dịch vụ công cao nhất trong ngày", "nghìn lượt", 12.0),
    ("Công suất điện mặt trời mái nhà lắp đặt lớn nhất", "kWp", 45.0),
]
OBJECTIVES = [
    "Phát triển hạ tầng số",
    "Xây dựng chính quyền số",
    "Phát triển kinh tế số",
    "Phát triển xã hội số",
    "Khoa học, công nghệ và đổi mới sáng tạo",
    "Bảo đảm an toàn, an ninh mạng",
    "Y tế và giáo dục số",
    "Nông nghiệp công nghệ cao",
]
PLAN_KINDS = [
    (PlanItem.Kind.SCHEME, "Đề án"),
    (PlanItem.Kind.PROJECT, "Dự án"),
    (PlanItem.Kind.PLAN, "Kế hoạch"),
    (PlanItem.Kind.TASK, "Nhiệm vụ"),
]


class SyntheticError(Exception):
    """The synthetic programme cannot be generated (it exists, or the sizes make no sense)."""


@dataclass(frozen=True)
class Spec:
    units: int = 3400
    indicators: int = 200
    months: int = 60
    density: float = DEFAULT_DENSITY
    seed: int = 7

    def __post_init__(self):
        if self.units < 5:
            raise SyntheticError("At least 5 units are needed (root, ministry, one of each level).")
        if not 1 <= self.indicators <= 9999:
            raise SyntheticError("Indicators: 1 to 9,999.")
        if not 1 <= self.months <= 240:
            raise SyntheticError("Months: 1 to 240.")
        if not 0 < self.density <= 1:
            raise SyntheticError("The density is a share of the indicators: above 0, at most 1.")

    @property
    def provinces(self) -> int:
        return max(1, round(self.units * PROVINCE_SHARE))

    @property
    def districts(self) -> int:
        return max(self.provinces, round(self.units * DISTRICT_SHARE))

    @property
    def communes(self) -> int:
        return max(1, self.units - 2 - self.provinces - self.districts)

    @property
    def per_commune(self) -> int:
        """Indicators each commune reports."""
        return min(self.indicators, max(1, round(self.density * self.indicators)))

    @property
    def values(self) -> int:
        return self.communes * self.per_commune * self.months

    @property
    def years(self) -> range:
        return range(FIRST_YEAR, FIRST_YEAR + math.ceil(self.months / 12))

    @property
    def periods(self) -> list[Period]:
        return [
            Period(PeriodType.MONTH, FIRST_YEAR + m // 12, m % 12 + 1) for m in range(self.months)
        ]


@dataclass
class Result:
    programme: Programme
    units: int = 0
    communes: int = 0
    indicators: int = 0
    submissions: int = 0
    pending: int = 0
    values: int = 0
    figures: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)


# -- writing many rows ------------------------------------------------------------------------


def write_rows(model, names: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain tuples (values as the database takes them) as fast as the backend allows.

    PostgreSQL: COPY through psycopg on Django's own connection (same transaction). SQLite: one
    single-row INSERT run by executemany, which the sqlite3 module loops over in C. Measured
    against `steer.core.bulk.insert_rows` on 1,006,080 values (2026-11-21, 2-core VM): SQLite
    12.4 s against 14.3 s, PostgreSQL 31.6 s against 49.6 s (UNNEST arrays). Most of what is
    left is the databases' own work: six indexes on the values, and on PostgreSQL the deferred
    foreign-key checks of every row at each commit.
    """
    if not rows:
        return
    opts = model._meta
    columns = [opts.get_field(name).column for name in names]
    qn = connection.ops.quote_name
    column_list = ", ".join(qn(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.connection  # the psycopg connection
            with (
                raw.cursor() as pg,
                pg.copy(f"COPY {qn(opts.db_table)} ({column_list}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {qn(opts.db_table)} ({column_list}) VALUES ({marks})", rows
        )


def _stamp(moment: dt.datetime):
    """A datetime as DateTimeField writes it on this database."""
    return DataValue._meta.get_field("updated_at").get_db_prep_save(moment, connection)


# -- the generator ----------------------------------------------------------------------------


@dataclass
class _Profile:
    """How one indicator's values are drawn."""

    indicator: Indicator
    kind: str
    lower: bool
    level: float  # per commune: monthly flow, stock level, peak; a rate's start
    growth: float  # per year
    season: float  # amplitude of the monthly swing (flows)
    weight_of: int | None = None  # index of the weighting indicator (weighted rates)


class Generator:
    def __init__(self, spec: Spec, *, out: Callable[[str], None] | None = None, bars=True):
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.out = out or (lambda text: None)
        self.bars = bars
        self.result: Result | None = None

    # -- entry point --------------------------------------------------------------------------

    def run(self, *, replace: bool = False, aggregate: bool = True) -> Result:
        if existing() and not replace:
            raise SyntheticError(
                f"The synthetic programme ({SLUG}) or its units ({ROOT_CODE}-…) already exist. "
                "Run again with --replace to delete them and generate anew."
            )
        seconds: dict[str, float] = {}
        start = time.perf_counter()
        if replace:
            delete_synthetic()
            seconds["delete"] = time.perf_counter() - start
        start = time.perf_counter()
        with transaction.atomic():
            self._units()
            self._programme()
            self._indicators()
            self._plan_items()
            self._form()
            self._users()
            self._submissions()
        seconds["setup"] = time.perf_counter() - start
        result = Result(
            programme=self.programme,
            units=len(self.all_units),
            communes=len(self.communes),
            indicators=len(self.profiles),
            submissions=len(self.submission_ids),
            pending=self.pending,
        )
        self.result = result
        start = time.perf_counter()
        result.values = self._values()
        seconds["values"] = time.perf_counter() - start
        start = time.perf_counter()
        with transaction.atomic():
            self._targets()
        seconds["targets"] = time.perf_counter() - start
        if aggregate:
            from steer.assessment.aggregates import rebuild

            start = time.perf_counter()
            bar = ProgressBar("rebuild", len(self.profiles)) if self.bars else None
            result.figures = rebuild(self.programme, progress=bar)
            seconds["rebuild"] = time.perf_counter() - start
        result.seconds = seconds
        return result

    # -- units --------------------------------------------------------------------------------

    def _unit_types(self) -> dict[str, UnitType]:
        hanoi = {code: (name, level) for code, name, level in HANOI_UNIT_TYPES}
        wanted = {
            "gl-country": ("Quốc gia (giả lập)", 0),
            "gl-province": ("Tỉnh (giả lập)", 1),
            "gl-ministry": ("Bộ, ngành Trung ương (giả lập)", 1),
            "rural_district": hanoi["rural_district"],
            "commune": hanoi["commune"],
        }
        types = {}
        for code, (name, level) in wanted.items():
            types[code] = UnitType.objects.get_or_create(
                code=code, defaults={"name": name, "level": level}
            )[0]
        return types

    def _units(self) -> None:
        spec, rng = self.spec, self.rng
        types = self._unit_types()
        self.root = OrgUnit.objects.create(
            code=ROOT_CODE,
            name="Quốc gia Giả lập",
            short_name="Giả lập",
            unit_type=types["gl-country"],
        )
        self.ministry = OrgUnit.objects.create(
            code=MINISTRY_CODE,
            name="Bộ Khoa học và Công nghệ Giả lập",
            short_name="Bộ KH&CN Giả lập",
            unit_type=types["gl-ministry"],
            parent=self.root,
        )
        width = max(2, len(str(spec.provinces)))
        provinces = OrgUnit.objects.bulk_create(
            OrgUnit(
                code=f"{ROOT_CODE}-{p:0{width}d}",
                name=f"Tỉnh Giả lập {p:0{width}d}",
                short_name=f"Giả lập {p:0{width}d}",
                unit_type=types["gl-province"],
                parent=self.root,
            )
            for p in range(1, spec.provinces + 1)
        )
        districts = self._children(provinces, spec.districts, "Huyện", types["rural_district"])
        self.communes = self._children(districts, spec.communes, "Xã", types["commune"])
        self.provinces, self.districts = provinces, districts
        self.all_units = [self.root, self.ministry, *provinces, *districts, *self.communes]
        # A commune's size (population) scales every count it reports.
        self.size = {u.pk: math.exp(rng.gauss(0, 0.45)) for u in self.communes}

    def _children(self, parents: list[OrgUnit], count: int, prefix: str, unit_type) -> list:
        """`count` units spread over the parents (at least one each while there are enough)."""
        rng = self.rng
        shares = [0.5 + rng.random() for _ in parents]
        per = [1 if count >= len(parents) else 0 for _ in parents]
        rest = count - sum(per)
        total = sum(shares)
        extra = [int(rest * s / total) for s in shares]
        for i in rng.sample(range(len(parents)), rest - sum(extra)):
            extra[i] += 1
        per = [a + b for a, b in zip(per, extra, strict=True)]
        width = max(2, len(str(max(per))))
        units = []
        for parent, n in zip(parents, per, strict=True):
            number = parent.code.removeprefix(f"{ROOT_CODE}-")
            for k in range(1, n + 1):
                tail = f"{number}-{k:0{width}d}"
                units.append(
                    OrgUnit(
                        code=f"{ROOT_CODE}-{tail}",
                        name=f"{prefix} Giả lập {tail}",
                        short_name=f"Giả lập {tail}",
                        unit_type=unit_type,
                        parent=parent,
                    )
                )
        return OrgUnit.objects.bulk_create(units, batch_size=2000)

    # -- programme ----------------------------------------------------------------------------

    def _programme(self) -> None:
        years = self.spec.years
        self.programme = Programme.objects.create(
            slug=SLUG,
            number="99",
            symbol=SYMBOL,
            title=(
                "Chương trình giả lập quy mô toàn quốc về chuyển đổi số, khoa học, công nghệ "
                f"và đổi mới sáng tạo giai đoạn {years[0]}-{years[-1]}"
            ),
            issuing_body="Ban Chỉ đạo Giả lập",
            issued_on=dt.date(years[0] - 1, 12, 15),
            start_year=years[0],
            end_year=years[-1],
            standing_agency=self.ministry,
            source_document="Dữ liệu giả lập để đo hiệu năng (manage.py gen_synthetic)",
            summary="Số liệu sinh ngẫu nhiên, chỉ dùng để đo hiệu năng.",
        )

    def _indicators(self) -> None:
        spec, programme = self.spec, self.programme
        n_objectives = min(len(OBJECTIVES), max(1, spec.indicators // 40))
        objectives = [
            Objective.objects.create(
                programme=programme, code=f"MT{k + 1}", title=OBJECTIVES[k], order=k + 1
            )
            for k in range(n_objectives)
        ]
        n_groups = max(1, math.ceil(spec.indicators / 10))
        groups = [
            IndicatorGroup.objects.create(
                programme=programme,
                objective=objectives[g % n_objectives],
                code=f"N{g + 1:02d}",
                name=f"{OBJECTIVES[g % n_objectives]}: nhóm chỉ tiêu {g // n_objectives + 1}",
                order=g + 1,
            )
            for g in range(n_groups)
        ]
        self.objectives, self.groups = objectives, groups
        used: dict[str, int] = {}
        profiles: list[_Profile] = []
        weight_index: dict[int, int] = {}  # block → index of its weighting indicator
        for i in range(spec.indicators):
            block, (kind, lower) = i // len(PATTERN), PATTERN[i % len(PATTERN)]
            fields, profile = self._indicator_kind(kind, lower, block, used)
            indicator = Indicator(
                programme=programme,
                group=groups[i * n_groups // spec.indicators],
                code=f"GL{i + 1:03d}",
                order=i + 1,
                baseline_year=spec.years[0] - 1,
                **fields,
            )
            if kind == WEIGHTED:
                profile["weight_of"] = weight_index[block]
            if kind == WEIGHT:
                weight_index[block] = i
            profiles.append(_Profile(indicator=indicator, kind=kind, lower=lower, **profile))
        Indicator.objects.bulk_create([p.indicator for p in profiles])
        for p in profiles:
            if p.weight_of is not None:
                p.indicator.weight_indicator = profiles[p.weight_of].indicator
        weighted = [p.indicator for p in profiles if p.weight_of is not None]
        Indicator.objects.bulk_update(weighted, ["weight_indicator"])
        self.profiles = profiles
        self.weights = [i for i, p in enumerate(profiles) if p.kind == WEIGHT]
        weights = set(self.weights)
        self.others = [i for i in range(len(profiles)) if i not in weights]

    def _indicator_kind(self, kind: str, lower: bool, block: int, used: dict) -> tuple:
        """Indicator fields and profile parameters of one kind."""
        rng = self.rng
        agg = Indicator.UnitAggregation
        per = Indicator.PeriodAggregation
        direction = Indicator.Direction.LOWER if lower else Indicator.Direction.HIGHER

        def pick(names: list, key: str):
            n = used.get(key, 0)
            used[key] = n + 1
            item = names[n % len(names)]
            cycle = n // len(names)
            return item, (f" ({cycle + 1})" if cycle else "")

        profile = {"season": 0.0}
        if kind == FLOW:
            (name, measure, level), suffix = pick(
                FLOW_LOWER_NAMES if lower else FLOW_NAMES, f"flow{lower}"
            )
            fields = {"unit_aggregation": agg.SUM, "period_aggregation": per.SUM}
            growth = -rng.uniform(0.05, 0.15) if lower else rng.uniform(0.04, 0.18)
            profile.update(level=level, growth=growth, season=rng.uniform(0.05, 0.25))
            value_type = Indicator.ValueType.INTEGER
        elif kind in (STOCK, WEIGHT):
            if kind == WEIGHT:
                name, measure, level, _rates = WEIGHT_NAMES[block % len(WEIGHT_NAMES)]
                cycle = block // len(WEIGHT_NAMES)
                suffix = f" ({cycle + 1})" if cycle else ""
                growth = rng.uniform(0.005, 0.02)
            else:
                (name, measure, level), suffix = pick(STOCK_NAMES, "stock")
                growth = rng.uniform(0.05, 0.25)
            fields = {"unit_aggregation": agg.SUM, "period_aggregation": per.LAST}
            profile.update(level=level, growth=growth)
            value_type = Indicator.ValueType.INTEGER
        elif kind in (RATE, WEIGHTED):
            if kind == WEIGHTED:
                rates = WEIGHT_NAMES[block % len(WEIGHT_NAMES)][3]
                n = used.get(f"weighted{block}", 0)
                used[f"weighted{block}"] = n + 1
                name = rates[n % len(rates)]
                cycle = block // len(WEIGHT_NAMES)
                suffix = f" ({cycle + 1})" if cycle else ""
                fields = {"unit_aggregation": agg.WEIGHTED_MEAN, "period_aggregation": per.LAST}
            else:
                name, suffix = pick(RATE_LOWER_NAMES if lower else RATE_NAMES, f"rate{lower}")
                # a rate's year: its last month, or the mean of the months for some
                method = per.MEAN if (lower or used[f"rate{lower}"] % 2 == 0) else per.LAST
                fields = {"unit_aggregation": agg.MEAN, "period_aggregation": method}
            measure = "%"
            start = rng.uniform(4, 18) if lower else rng.uniform(25, 70)
            profile.update(level=start, growth=rng.uniform(0.15, 0.45))
            value_type = Indicator.ValueType.PERCENT
        else:  # PEAK
            (name, measure, level), suffix = pick(PEAK_NAMES, "peak")
            fields = {"unit_aggregation": agg.MAX, "period_aggregation": per.MAX}
            profile.update(level=level, growth=rng.uniform(0.05, 0.2))
            value_type = Indicator.ValueType.DECIMAL
        fields.update(
            name=name + suffix,
            unit_of_measure=measure,
            value_type=value_type,
            direction=direction,
        )
        return fields, profile

    def _plan_items(self) -> None:
        spec, rng = self.spec, self.rng
        years = spec.years
        leads = [self.ministry, *self.provinces]
        states = [
            PlanItem.State.COMPLETED,
            PlanItem.State.IN_PROGRESS,
            PlanItem.State.IN_PROGRESS,
            PlanItem.State.IN_PROGRESS,
            PlanItem.State.PLANNED,
            PlanItem.State.SUSPENDED,
        ]
        items = []
        for n in range(max(3, spec.indicators // 5)):
            kind, word = PLAN_KINDS[n % len(PLAN_KINDS)]
            objective = self.objectives[n % len(self.objectives)]
            first = rng.choice(years)
            start = dt.date(first, rng.randint(1, 12), 1)
            deadline = dt.date(rng.randint(first, years[-1]), 12, 31)
            state = rng.choice(states)
            items.append(
                PlanItem(
                    programme=self.programme,
                    code=f"KH{n + 1:03d}",
                    title=f"{word} {objective.title.lower()} số {n + 1}",
                    kind=kind,
                    lead_unit=rng.choice(leads),
                    start_date=start,
                    deadline=deadline,
                    state=state,
                    completed_on=deadline if state == PlanItem.State.COMPLETED else None,
                )
            )
        items = PlanItem.objects.bulk_create(items)
        Objectives = PlanItem.objectives.through
        Indicators = PlanItem.indicators.through
        Objectives.objects.bulk_create(
            Objectives(
                planitem_id=item.pk, objective_id=self.objectives[n % len(self.objectives)].pk
            )
            for n, item in enumerate(items)
        )
        links = set()
        for item in items:
            for p in rng.sample(self.profiles, min(3, len(self.profiles))):
                links.add((item.pk, p.indicator.pk))
        Indicators.objects.bulk_create(
            Indicators(planitem_id=item, indicator_id=indicator) for item, indicator in links
        )

    def _form(self) -> None:
        years = self.spec.years
        self.form = ReportForm.objects.create(
            programme=self.programme,
            code=FORM_CODE,
            name="Báo cáo tháng các chỉ tiêu của chương trình giả lập",
            period_type=PeriodType.MONTH,
            first_year=years[0],
            last_year=years[-1],
            instructions="Mỗi xã báo cáo các chỉ tiêu được giao.",
        )
        Units = ReportForm.units.through
        Units.objects.bulk_create(
            (Units(reportform_id=self.form.pk, orgunit_id=u.pk) for u in self.communes),
            batch_size=2000,
        )
        percent = Indicator.ValueType.PERCENT
        FormLine.objects.bulk_create(
            FormLine(
                form=self.form,
                indicator=p.indicator,
                # each commune reports the indicators assigned to it, not every line
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(100) if p.indicator.value_type == percent else None,
                order=n,
            )
            for n, p in enumerate(self.profiles, start=1)
        )

    def _users(self) -> None:
        for username, full_name, position, unit, role in (
            (
                AGENCY_USERNAME,
                "Nguyễn Văn Giả Lập",
                "Chuyên viên Bộ Khoa học và Công nghệ Giả lập",
                self.ministry,
                Role.STANDING_AGENCY,
            ),
            (
                HEAD_USERNAME,
                "Trần Thị Giả Lập",
                "Lãnh đạo Quốc gia Giả lập",
                self.root,
                Role.UNIT_HEAD,
            ),
        ):
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "position": position,
                    "unit": unit,
                    "is_demo": False,
                    "is_active": True,
                },
            )
            # No password: pages are requested with force_login (bench/dashboards.py); set one
            # with `manage.py changepassword` to sign in from a browser.
            user.set_unusable_password()
            user.save()
            RoleGrant.objects.get_or_create(user=user, role=role, programme=self.programme)
        self.agency_user = User.objects.get(username=AGENCY_USERNAME)

    def _submissions(self) -> None:
        spec, rng = self.spec, self.rng
        periods = spec.periods
        deadline_days = self.programme.report_deadline_days
        self.moments = {}
        for p in periods:
            day = p.deadline(deadline_days) - dt.timedelta(days=2)
            self.moments[p.code] = _stamp(dt.datetime.combine(day, dt.time(9, 30), LOCAL))
        total = len(self.communes) * len(periods)
        recent = [(u.pk, p.code) for u in self.communes for p in periods[-3:]]
        self.pending = min(PENDING_MAX, max(1, total // 20), len(recent))
        waiting = rng.sample(recent, self.pending)
        drafts = set(waiting[: self.pending // 3])
        submitted = set(waiting[self.pending // 3 :])
        rows = []
        for unit in self.communes:
            for p in periods:
                key = (unit.pk, p.code)
                moment = self.moments[p.code]
                if key in drafts:
                    rows.append((self.form.pk, unit.pk, p.code, "draft", None, None, moment))
                else:
                    state = "submitted" if key in submitted else "accepted"
                    rows.append((self.form.pk, unit.pk, p.code, state, moment, moment, moment))
        names = ("form", "unit", "period", "state", "first_submitted_at", "submitted_at")
        write_rows(Submission, (*names, "updated_at"), rows)
        self.submission_ids = {
            (unit, period): pk
            for unit, period, pk in Submission.objects.filter(form=self.form).values_list(
                "unit", "period", "pk"
            )
        }
        assert len(self.submission_ids) == total

    # -- values -------------------------------------------------------------------------------

    def _choose(self, k: int) -> list[int]:
        """The indicators (indexes) one commune reports: the weights first, then at random."""
        rng = self.rng
        weights = self.weights if k >= len(self.weights) else rng.sample(self.weights, k)
        return sorted(weights + rng.sample(self.others, k - len(weights)))

    def _values(self) -> int:
        spec = self.spec
        periods = spec.periods
        months = len(periods)
        codes = [p.code for p in periods]
        stamps = [self.moments[c] for c in codes]
        user_id = self.agency_user.pk
        k = spec.per_commune
        # Trend and season of each indicator by month, worked out once.
        shapes = []
        for p in self.profiles:
            shape = []
            for t, period in enumerate(periods):
                trend = (1 + p.growth) ** (t / 12)
                season = 1 + p.season * math.sin((period.number - 3) * math.pi / 6)
                shape.append(trend * season)
            shapes.append(shape)
        # National sums by indicator and month (and counts, maxima), for the targets.
        self.sums = [[0.0] * months for _ in self.profiles]
        self.counts = [[0] * months for _ in self.profiles]
        self.peaks = [[0.0] * months for _ in self.profiles]
        names = VALUE_COLUMNS
        bar = ProgressBar("values", spec.values) if self.bars else None
        written = 0
        rows: list[tuple] = []
        # 256 MiB of page cache: the index pages being filled stay in memory.
        cache_size = _sqlite_cache(-256 * 1024)
        try:
            for unit in self.communes:
                series = []
                chosen = self._choose(k)
                size = self.size[unit.pk]
                for i in chosen:
                    values = self._series(self.profiles[i], shapes[i], size)
                    acc, cnt, top = self.sums[i], self.counts[i], self.peaks[i]
                    for t, v in enumerate(values):
                        acc[t] += v
                        cnt[t] += 1
                        if v > top[t]:
                            top[t] = v
                    series.append((self.profiles[i].indicator.pk, values))
                uid = unit.pk
                subs = [self.submission_ids[(uid, c)] for c in codes]
                for t in range(months):
                    sub, code, stamp = subs[t], codes[t], stamps[t]
                    for ind, values in series:
                        rows.append(
                            (sub, ind, uid, code, "", values[t], "official", "", stamp, user_id)
                        )
                if len(rows) >= CHUNK_ROWS:
                    with transaction.atomic():
                        write_rows(DataValue, names, rows)
                    written += len(rows)
                    rows = []
                    if bar:
                        bar(written)
            if rows:
                with transaction.atomic():
                    write_rows(DataValue, names, rows)
                written += len(rows)
                if bar:
                    bar(written)
        finally:
            _sqlite_cache(cache_size)
        return written

    def _series(self, p: _Profile, shape: list[float], size: float) -> list:
        """One commune's values of one indicator, month by month."""
        random_ = self.rng.random
        kind = p.kind
        if kind == FLOW:
            base = p.level * size * (0.7 + 0.6 * random_())
            return [max(0, round(base * s * (0.85 + 0.3 * random_()))) for s in shape]
        if kind in (STOCK, WEIGHT):
            level = p.level * size * (0.6 + 0.8 * random_())
            monthly = p.growth / 12
            out = []
            for _ in shape:
                level *= 1 + monthly * (0.5 + random_())
                out.append(round(level))
            return out
        if kind in (RATE, WEIGHTED):
            start = min(99.0, max(0.5, p.level + (random_() - 0.5) * 20))
            rate = p.growth * (0.6 + 0.8 * random_())
            shares = []
            for t in range(len(shape)):
                decay = math.exp(-rate * t / 12)
                if p.lower:
                    v = start * decay + (random_() - 0.5) * 1.5
                else:
                    v = 100 - (100 - start) * decay + (random_() - 0.5) * 3
                shares.append(round(min(100.0, max(0.0, v)), 1))
            return shares
        base = p.level * size**0.3  # PEAK
        return [round(base * s * (0.8 + 0.4 * random_()), 1) for s in shape]

    # -- targets ------------------------------------------------------------------------------

    def _targets(self) -> None:
        spec, rng = self.spec, self.rng
        periods = spec.periods
        targets, baselines = [], []
        for i, p in enumerate(self.profiles):
            indicator = p.indicator
            by_year = {}
            for year in spec.years:
                months = [t for t, period in enumerate(periods) if period.year == year]
                by_year[year] = self._national(i, months)
            # Above 1 asks more than was reached (off track or at risk), below 1 less.
            factor = rng.choice([0.9, 0.95, 0.98, 1.0, 1.02, 1.05, 1.1, 1.2])
            if p.lower:
                factor = 1 / factor
            percent = p.kind in (RATE, WEIGHTED)
            whole = indicator.value_type == Indicator.ValueType.INTEGER
            for year, actual in by_year.items():
                value = actual * factor
                value = min(100.0, round(value, 1)) if percent else round(value, 0 if whole else 1)
                targets.append(
                    Target(indicator=indicator, year=year, value=Decimal(str(max(value, 0))))
                )
            first = by_year[spec.years[0]]
            if percent:
                baseline = first + 3 if p.lower else first - 3
                baseline = min(100.0, max(0.0, baseline))
            else:
                baseline = first / (1 + p.growth)
            indicator.baseline_value = Decimal(str(round(baseline, 1)))
            baselines.append(indicator)
        Target.objects.bulk_create(targets)
        Indicator.objects.bulk_update(baselines, ["baseline_value"])

    def _national(self, i: int, months: list[int]) -> float:
        """The country's figure of a year, estimated from the national sums."""
        p = self.profiles[i]
        sums, counts = self.sums[i], self.counts[i]
        if p.kind == FLOW:  # a part year is scaled to the full year
            return sum(sums[t] for t in months) * 12 / len(months)
        if p.kind in (STOCK, WEIGHT):
            return sums[months[-1]]
        if p.kind in (RATE, WEIGHTED):
            if p.indicator.period_aggregation == Indicator.PeriodAggregation.MEAN:
                rates = [sums[t] / counts[t] for t in months if counts[t]]
                return sum(rates) / len(rates) if rates else 0.0
            return sums[months[-1]] / counts[months[-1]] if counts[months[-1]] else 0.0
        return max(self.peaks[i][t] for t in months)


def _sqlite_cache(setting: int | None) -> int | None:
    """Set SQLite's page cache of this connection (negative: KiB); return the previous one."""
    if connection.vendor != "sqlite" or setting is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {int(setting)}")
    return previous


# -- what exists, and deleting it -------------------------------------------------------------


def synthetic_units():
    return OrgUnit.objects.filter(code=ROOT_CODE) | OrgUnit.objects.filter(
        code__startswith=f"{ROOT_CODE}-"
    )


def existing() -> bool:
    return Programme.objects.filter(slug=SLUG).exists() or synthetic_units().exists()


@transaction.atomic
def delete_synthetic() -> None:
    """Delete the synthetic programme, its reports and values, and its units.

    The big tables go by plain DELETE statements (Django's cascade would load every value to
    look for evidence files first); the rest by the ORM, which refuses (ProtectedError) if
    anything outside the synthetic programme refers to a synthetic unit.
    """
    from steer.assessment.models import Figure

    programmes = Programme.objects.filter(slug=SLUG)
    values = DataValue.objects.filter(indicator__programme__in=programmes)
    submissions = Submission.objects.filter(form__programme__in=programmes)
    for queryset in (
        Figure.objects.filter(indicator__programme__in=programmes),
        Evidence.objects.filter(value__in=values),
        ValueChange.objects.filter(indicator__programme__in=programmes),
        Violation.objects.filter(submission__in=submissions),
        SubmissionEvent.objects.filter(submission__in=submissions),
        Reminder.objects.filter(form__programme__in=programmes),
        values,
        submissions,
    ):
        queryset._raw_delete(queryset.db)
    programmes.delete()
    units = synthetic_units()
    User.objects.filter(unit__in=units).update(unit=None)
    # Leaves first: a unit's children protect it.
    for level in ("commune", "rural_district", "gl-province", "gl-ministry", "gl-country"):
        units.filter(unit_type__code=level).delete()
    units.delete()


def units_by_level() -> dict[str, list[OrgUnit]]:
    """The synthetic units by level: root, provinces, districts, communes (for benchmarks)."""
    root = OrgUnit.objects.get(code=ROOT_CODE)
    provinces = list(OrgUnit.objects.filter(parent=root, unit_type__code="gl-province"))
    districts = list(OrgUnit.objects.filter(parent__in=provinces))
    communes = list(OrgUnit.objects.filter(parent__in=districts))
    return {"root": [root], "provinces": provinces, "districts": districts, "communes": communes}


def generate(
    spec: Spec,
    *,
    replace: bool = False,
    aggregate: bool = True,
    bars: bool = True,
) -> Result:
    """Generate the synthetic programme (see the module docstring)."""
    return Generator(spec, bars=bars).run(replace=replace, aggregate=aggregate)
