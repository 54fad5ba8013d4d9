"""Programme 07's report forms and five years of demo figures (2021-2025).

`load_reports` upserts the definitions of data/reports07.json by code (breakdowns, forms with their
lines and units, validation rules), then generates the figures, but only when the programme holds
no reported value yet: loading twice changes nothing.

The city-wide figures follow the press reports of the seeds (2024: 393 high-tech farming
models = 224 crops + 144 livestock + 25 aquaculture, 68 high-tech cooperatives; health: HIS 100 %,
LIS 90.2 %, RIS-PACS 65.9 %, 5 hospitals with electronic records, 88 % cashless, 131/131 public
services online; 110 bn VND for S&T tasks; 100 % of documents on the document system). The
district and commune figures are illustrative, drawn with a fixed seed so every demo shows the
same numbers; the districts' high-tech farming models add up to the agriculture department's
figures at every year end.

Figures go in the way every channel writes them: `values.write_values`, as the standing agency,
channel "import". Đống Đa's reports go through the real workflow (`workflow.act`) with its demo
reporter, its head and the standing agency. The other units have no users: their reports are
back-filled as paper reports entered by the standing agency, whose workflow steps are recorded by
the standing agency with the reason "Nhập từ báo cáo giấy". Timestamps are then set back to when the
reports were made, around each period's deadline; a few reports are late, returned or still missing,
most of them in the latest periods. Đống Đa's last district report (2025S1) stays a draft, partly
filled in, for the demo reporter to finish. Three values are left with warnings for the demo: two
unusual jumps and one breach of a warning rule.
"""

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone, translation

from steer.accounts.models import User
from steer.assessment.aggregates import rebuild
from steer.core.templatetags.steer import num
from steer.demo.loader import DefinitionError, _dec, _save, _Units
from steer.programmes.models import Programme, Target
from steer.reporting import rules
from steer.reporting.checks import refresh_violations
from steer.reporting.imports import Entry
from steer.reporting.models import (
    Breakdown,
    BreakdownOption,
    Channel,
    DataValue,
    FormLine,
    ReportForm,
    Submission,
    SubmissionEvent,
    ValidationRule,
    ValueChange,
    Violation,
)
from steer.reporting.periods import Period, PeriodType, is_working_day
from steer.reporting.values import write_values
from steer.reporting.workflow import TARGET, act
from steer.units.models import OrgUnit, UnitLineage

DATA = Path(__file__).resolve().parent / "data" / "reports07.json"
SEED = 7
SOURCE = "Dữ liệu mẫu Chương trình 07"
PAPER = "Nhập từ báo cáo giấy"

State = Submission.State
Action = SubmissionEvent.Action


# -- definitions ------------------------------------------------------------------------------


@transaction.atomic
def load_report_definitions(programme: Programme, data: dict) -> dict[str, ReportForm]:
    """Create or update the breakdowns, forms, lines and rules of `data`, by code."""
    units = _Units()
    days = data.get("report_deadline_days")
    if days is not None and programme.report_deadline_days != days:
        programme.report_deadline_days = days
        programme.save(update_fields=["report_deadline_days"])
    breakdowns = {}
    for b in data.get("breakdowns", []):
        breakdown = _save(
            Breakdown, {"programme": programme, "code": b["code"]}, {"name": b["name"]}
        )
        for order, o in enumerate(b["options"]):
            _save(
                BreakdownOption,
                {"breakdown": breakdown, "code": o["code"]},
                {"name": o["name"], "order": order},
            )
        breakdown.options.exclude(code__in=[o["code"] for o in b["options"]]).delete()
        breakdowns[b["code"]] = breakdown
    indicators = {i.code: i for i in programme.indicators.all()}
    forms: dict[str, ReportForm] = {}
    for f in data["forms"]:
        where = f"form {f['code']}"
        form = _save(
            ReportForm,
            {"programme": programme, "code": f["code"]},
            {
                "name": f["name"],
                "period_type": f["period_type"],
                "first_year": f["first_year"],
                "last_year": f["last_year"],
                "instructions": f.get("instructions", ""),
            },
        )
        form.units.set(units.many(f["units"], where))
        listed = [line["indicator"] for line in f["lines"]]
        unknown = [code for code in listed if code not in indicators]
        if unknown:
            raise DefinitionError(f"{where}: unknown indicator {unknown[0]!r}")
        # Drop the lines no longer listed first, so an indicator can move between forms.
        form.lines.exclude(indicator__code__in=listed).delete()
        forms[form.code] = form
    for f in data["forms"]:
        form = forms[f["code"]]
        for order, line in enumerate(f["lines"], start=1):
            code = line.get("breakdown")
            if code and code not in breakdowns:
                raise DefinitionError(f"form {form.code}: unknown breakdown {code!r}")
            _save(
                FormLine,
                {"form": form, "indicator": indicators[line["indicator"]]},
                {
                    "breakdown": breakdowns[code] if code else None,
                    "required": line.get("required", True),
                    "min_value": _dec(line.get("min")),
                    "max_value": _dec(line.get("max")),
                    "order": order,
                },
            )
    for r in data.get("rules", []):
        _save(
            ValidationRule,
            {"programme": programme, "code": r["code"]},
            {
                "name": r["name"],
                "left": r["left"],
                "operator": r["operator"],
                "right": r["right"],
                "severity": r.get("severity", ValidationRule.Severity.BLOCK),
            },
        )
    return forms


def load_reports(programme: Programme, data: dict | None = None) -> dict:
    """Load the report definitions and, the first time only, the demo figures; return counts."""
    if data is None:
        data = json.loads(DATA.read_text(encoding="utf-8"))
    with transaction.atomic():
        forms = load_report_definitions(programme, data)
        generated = not DataValue.objects.filter(indicator__programme=programme).exists()
        if generated:
            _Demo(programme, forms).run()
            rebuild(programme)
    submissions = Submission.objects.filter(form__programme=programme)
    states = Counter(submissions.values_list("state", flat=True))
    return {
        "forms": len(forms),
        "lines": FormLine.objects.filter(form__programme=programme).count(),
        "rules": ValidationRule.objects.filter(programme=programme).count(),
        "values": DataValue.objects.filter(indicator__programme=programme).count(),
        "submissions": {state: states.get(state, 0) for state in State.values},
        "generated": generated,
    }


# -- the figures ------------------------------------------------------------------------------

HALF_YEARS = [Period(PeriodType.HALF, y, n) for y in range(2021, 2026) for n in (1, 2)]
DISTRICT_HALVES = HALF_YEARS[:9]  # 2021S1-2025S1: the 30 districts report
DISTRICT_FORM = "BC6T-DP"
COMMUNE_HALF = HALF_YEARS[9]  # 2025S2: the 126 communes and wards report
DONG_DA = "006"
SECTORS = ("trong-trot", "chan-nuoi", "thuy-san")
# The generated jumps stay below this modified z-score, well inside the outlier test's 3.5.
CALM = 3.0

# Agriculture department, year ends: CT09 (%), CT11, CT12, CT13 (models), CT14 (cooperatives).
AGRICULTURE = {
    2020: (None, 170, 110, 20, 45),  # the programme's baseline, not reported
    2021: (44.6, 178, 118, 20, 50),
    2022: (49.8, 192, 126, 21, 55),
    2023: (54.1, 208, 135, 23, 61),
    2024: (58.3, 224, 144, 25, 68),
    2025: (62.0, 232, 150, 27, 74),
}
# High-tech farming models the districts hold on 14/6/2025 (their last report), by sector.
MODELS_2025S1 = (228, 147, 26)
# Health department: CT21 HIS, CT22 LIS, CT23 RIS-PACS (%), CT24 hospitals with electronic
# records, CT25 cashless (%); and the public services online (online, all, fully, partly) for CT26.
HEALTH = {
    2021: (96.2, 72.5, 38.6, 0, 58.0, (112, 131, 2, 110)),
    2022: (98.4, 79.1, 47.3, 1, 67.5, (122, 131, 4, 118)),
    2023: (100, 85.4, 56.8, 3, 76.3, (131, 131, 5, 126)),
    2024: (100, 90.2, 65.9, 5, 88.0, (131, 131, 6, 125)),
    2025: (100, 95.1, 74.4, 21, 95.2, (131, 131, 14, 117)),
}
# Department of S&T: CT04, CT05, CT06, CT08, CT17, CT27, CT28, CT29, CT31.
SCIENCE_CODES = ("CT04", "CT05", "CT06", "CT08", "CT17", "CT27", "CT28", "CT29", "CT31")
SCIENCE = {
    2021: (33.5, 1180, 136, 46, 71, 0.68, 1, 1, 98.5),
    2022: (37.8, 1420, 149, 52, 82, 0.72, 1, 1, 101.2),
    2023: (41.2, 1650, 166, 61, 93, 0.79, 1, 1, 104.6),
    2024: (45.6, 1830, 181, 72, 104, 0.86, 1, 1, 110.0),
    2025: (50.4, 2050, 204, 83, 118, 0.93, 1, 1, 121.3),
}
# OCOP products held by the city (all districts) at each district half year, before 2021: 1050.
OCOP_BASE = 1050
OCOP = [1150, 1310, 1440, 1640, 1780, 1985, 2110, 2290, 2400]
# Relative number of OCOP products per district (inner districts have few).
OCOP_WEIGHT = {
    "001": 4, "002": 6, "003": 8, "004": 14, "005": 3, "006": 5, "007": 4, "008": 10,
    "009": 3, "019": 9, "021": 12, "268": 18, "016": 120, "017": 110, "018": 135, "020": 70,
    "250": 80, "269": 60, "271": 150, "272": 95, "273": 90, "274": 140, "275": 105,
    "276": 110, "277": 150, "278": 105, "279": 160, "280": 120, "281": 125, "282": 100,
}  # fmt: skip
# Share of aquaculture among a rural district's high-tech models (the low-lying south has more).
AQUACULTURE = {
    "281": 0.16, "280": 0.14, "282": 0.12, "277": 0.10, "279": 0.10, "278": 0.08, "271": 0.07,
    "018": 0.06,
}  # fmt: skip

# The values left with a warning for the demo.
OCOP_ROUND = ("274", 5, 64)  # Hoài Đức, 2023S2: a large OCOP certification round
OCOP_ROUND_NOTE = (
    "Đợt đánh giá, phân hạng sản phẩm OCOP năm 2023 của huyện có {n} sản phẩm được công nhận "
    "(tập trung ở các làng nghề chế biến nông sản, thực phẩm)."
)
PROCEDURES_DROP = ("282", 2, 21.7)  # Mỹ Đức, 2022S1: the list of procedures was redone
PROCEDURES_DROP_NOTE = (
    "Rà soát, chuẩn hóa danh mục thủ tục hành chính theo quyết định công bố mới của UBND "
    "Thành phố; một số thủ tục tạm dừng cung cấp trực tuyến để cấu hình lại quy trình."
)
AQUACULTURE_COMMUNE = ("10417", {"trong-trot": 1, "chan-nuoi": 2, "thuy-san": 3})  # Xã Hòa Xá
AQUACULTURE_NOTE = (
    "Xã có vùng nuôi trồng thủy sản tập trung ứng dụng công nghệ cao (mô hình cá - lúa của các "
    "xã cũ); đã rà soát, phân loại theo lĩnh vực sản xuất chính."
)

# Reports returned and corrected in the past: (form, period, unit) → (indicator, wrong value
# or a function of the right one, reason).
CORRECTIONS = {
    ("BC6T-DP", "2023S1", DONG_DA): (
        "CT30",
        lambda right: right * 10,
        "CT30: {wrong} sáng kiến chưa khớp với quyết định công nhận sáng kiến của UBND quận "
        "({right} sáng kiến). Đề nghị kiểm tra, sửa lại trước khi trình.",
    ),
    ("BC6T-DP", "2022S2", "016"): (
        "CT16",
        lambda right: (right * Decimal("2.4")).quantize(Decimal("0.1")),
        "CT16 phải tính trên tổng số sản phẩm OCOP của huyện, không tính trên số sản phẩm đã "
        "nộp hồ sơ đăng ký ({wrong}%). Đề nghị huyện tính lại.",
    ),
    ("BC6T-DP", "2024S1", "268"): (
        "CT15",
        lambda right: Decimal(4),
        "CT15 là số sản phẩm OCOP lũy kế đến hết kỳ, không phải số được công nhận trong kỳ "
        "({wrong}). Đề nghị quận sửa lại.",
    ),
}
RETURN_REASONS = [
    "Đề nghị rà soát lại CT15: số sản phẩm OCOP lũy kế chưa khớp với số liệu bàn giao của các "
    "xã, phường cũ trước sắp xếp.",
    "Đề nghị bổ sung căn cứ cho CT30: gửi kèm quyết định công nhận sáng kiến trong kỳ.",
]


def _allocate(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Whole numbers proportional to the weights that add up to `total` (largest remainder)."""
    scale = sum(weights.values())
    raw = {k: total * w / scale for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    short = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (raw[k] - out[k], k), reverse=True)[:short]:
        out[k] += 1
    return out


def _calm(jumps: Mapping[str, float], keep: set[str]) -> dict[str, float]:
    """The jumps, with any that the outlier test would flag (bar those in `keep`) brought
    back to the median jump."""
    calmed = dict(jumps)
    units = sorted(calmed)
    for _round in range(20):
        scores = rules.modified_z_scores([float(calmed[u]) for u in units])
        loud = [u for u, z in zip(units, scores or [], strict=False) if abs(z) > CALM]
        loud = [u for u in loud if u not in keep]
        if not loud:
            break
        centre = median(calmed[u] for u in units if u not in keep)
        for u in loud:
            calmed[u] = centre
    return calmed


def _pct(value: float, low: float = 0, high: float = 100) -> Decimal:
    return Decimal(f"{min(high, max(low, value)):.1f}")


@dataclass
class Step:
    action: str
    at: dt.datetime
    role: str = "agency"  # reporter, head or agency: who acts in the real workflow
    reason: str = ""
    fix: tuple | None = None  # (indicator, right value): a correction entered before this step


@dataclass
class Report:
    """What happens to one unit's report for one period."""

    fate: str  # accepted, approved, submitted, returned, draft, missing
    late: bool = False
    entered: dt.datetime | None = None
    steps: list[Step] = field(default_factory=list)


class _Demo:
    def __init__(self, programme: Programme, forms: dict[str, ReportForm]):
        self.programme = programme
        self.forms = forms
        self.rng = random.Random(SEED)
        self.tz = timezone.get_default_timezone()
        users = {u.username: u for u in User.objects.filter(username__in=self._usernames())}
        missing = set(self._usernames()) - set(users)
        if missing:
            raise DefinitionError(f"load the demo users first (missing: {', '.join(missing)})")
        self.agency = users["thuongtruc"]
        self.real_users = {
            DONG_DA: {
                "reporter": users["baocao.dongda"],
                "head": users["lanhdao.dongda"],
                "agency": users["thuongtruc"],
            }
        }
        self.group = {
            code: sorted(OrgUnit.objects.filter(groups__code=code).values_list("code", flat=True))
            for code in ("quan", "huyen", "thi-xa", "phuong", "xa")
        }
        self.units = {u.code: u for u in OrgUnit.objects.all()}
        self.targets: dict[tuple[str, str | None, int], float] = {}
        for code, unit, year, value in Target.objects.filter(
            indicator__programme=programme
        ).values_list("indicator__code", "unit__code", "year", "value"):
            self.targets[(code, unit, year)] = float(value)
        # form code → (unit code, period code) → (indicator, option) → (value, comment)
        self.values: dict[str, dict] = {code: {} for code in forms}
        self._returned: list[str] = []

    @staticmethod
    def _usernames():
        return ["thuongtruc", "baocao.dongda", "lanhdao.dongda"]

    def put(self, form, unit, period, indicator, value, option="", comment=""):
        report = self.values[form].setdefault((unit, period.code), {})
        report[(indicator, option)] = (Decimal(value), comment)

    def run(self) -> None:
        self._district_figures()
        self._farming_figures()
        self._commune_figures()
        self._department_figures()
        self._write_all()

    # -- districts (2021S1-2025S1) --------------------------------------------------------

    def _district_figures(self) -> None:
        urban = self.group["quan"]
        districts = sorted(urban + self.group["huyen"] + self.group["thi-xa"])
        self._enterprises_helped(urban)
        self._ocop_products(districts)
        self._ocop_protected(districts)
        self._procedures_online(districts)
        # CT19: documents handled on the city's system, 100 % from 2023S2 on (2024: 100 %).
        path = self._rising_path(districts, start=(86, 95), full_at=5, noise=0.5)
        self._put_halves("CT19", self._levels(districts, path, high=99.8, full_from=5))
        # CT20: administrative bodies keeping ISO 9001:2015, 100 % from 2022S2 on.
        path = self._rising_path(districts, start=(85, 96), full_at=3, noise=0.6)
        self._put_halves("CT20", self._levels(districts, path, high=99.5, full_from=3))
        self._initiatives(districts)

    def _put_halves(self, indicator: str, values: dict[tuple[str, int], Any]) -> None:
        """A district's value for each half year ((unit, t) → value, t indexing DISTRICT_HALVES)."""
        for (unit, t), value in values.items():
            self.put(DISTRICT_FORM, unit, DISTRICT_HALVES[t], indicator, value)

    def _rising_path(
        self, districts: list[str], *, start: tuple[float, float], full_at: int, noise: float
    ) -> dict[tuple[str, int], float]:
        """Each district's wished share, rising from a drawn start to 100 % at half year
        `full_at`, a little noise on each."""
        path = {}
        for unit in districts:
            first = self.rng.uniform(*start)
            for t in range(len(DISTRICT_HALVES)):
                path[(unit, t)] = (
                    first + (100 - first) * t / full_at + self.rng.uniform(-noise, noise)
                )
        return path

    def _enterprises_helped(self, urban: list[str]) -> None:
        """CT07: enterprises helped in the half year, urban districts only."""
        city07 = {y: self.targets[("CT07", None, y)] for y in range(2021, 2026)}
        flows = {}
        for unit in urban:
            own = self.targets[("CT07", unit, 2025)]
            for t, period in enumerate(DISTRICT_HALVES):
                share = 0.45 if period.number == 1 else 0.55
                annual = own * city07[period.year] / city07[2025]
                flows[(unit, t)] = annual * share * self.rng.uniform(0.9, 1.1)
        self._put_halves("CT07", self._levels(urban, flows, whole=True))

    def _ocop_products(self, districts: list[str]) -> None:
        """CT15: OCOP products held (cumulative), growing every half year."""
        level = _allocate(OCOP_BASE, OCOP_WEIGHT)
        self.ocop: dict[int, dict[str, int]] = {}
        for t, period in enumerate(DISTRICT_HALVES):
            grown = OCOP[t] - (OCOP[t - 1] if t else OCOP_BASE)
            weights = {u: OCOP_WEIGHT[u] * self.rng.uniform(0.6, 1.4) for u in districts}
            more = _allocate(grown, weights)
            keep = set()
            if t == OCOP_ROUND[1]:
                more[OCOP_ROUND[0]] += OCOP_ROUND[2]
                keep.add(OCOP_ROUND[0])
            if t:
                more = {u: round(v) for u, v in _calm(more, keep).items()}
            for unit in districts:
                level[unit] += more[unit]
                note = OCOP_ROUND_NOTE.format(n=more[unit]) if unit in keep else ""
                self.put(DISTRICT_FORM, unit, period, "CT15", level[unit], comment=note)
            self.ocop[t] = dict(level)

    def _ocop_protected(self, districts: list[str]) -> None:
        """CT16: share of OCOP products protected, towards each unit's 2025 target."""
        last = len(DISTRICT_HALVES) - 1
        path = {}
        for unit in districts:
            start = self.rng.uniform(14, 22)
            end = self.targets[("CT16", unit, 2025)] + self.rng.uniform(-7, 1)
            for t in range(last + 1):
                path[(unit, t)] = start + (end - start) * t / last + self.rng.uniform(-0.8, 0.8)
        self.ocop_share = self._levels(districts, path)
        self._put_halves("CT16", self.ocop_share)

    def _procedures_online(self, districts: list[str]) -> None:
        """CT18: share of procedures online; one district redid its list and fell back."""
        last = len(DISTRICT_HALVES) - 1
        path = {}
        for unit in districts:
            start, end = self.rng.uniform(62, 74), self.rng.uniform(92, 99.5)
            for t in range(last + 1):
                path[(unit, t)] = start + (end - start) * t / last + self.rng.uniform(-0.7, 0.7)
        dropped, drop_at, fall = PROCEDURES_DROP
        values = self._levels(districts, path, high=99.9, drop=(dropped, drop_at, fall))
        for (unit, t), value in values.items():
            note = PROCEDURES_DROP_NOTE if (unit, t) == (dropped, drop_at) else ""
            self.put(DISTRICT_FORM, unit, DISTRICT_HALVES[t], "CT18", value, comment=note)

    def _initiatives(self, districts: list[str]) -> None:
        """CT30: initiatives recognised in the half year (most at the year end)."""
        city30 = {y: self.targets[("CT30", None, y)] for y in range(2021, 2026)}
        flows = {}
        for unit in districts:
            size = self.rng.uniform(0.6, 1.5)
            for t, period in enumerate(DISTRICT_HALVES):
                share = 0.4 if period.number == 1 else 0.6
                mean = city30[period.year] / len(districts) * size * share
                flows[(unit, t)] = mean * self.rng.uniform(0.9, 1.1)
        self.initiatives = self._levels(districts, flows, whole=True, low=1)
        self._put_halves("CT30", self.initiatives)

    def _levels(self, units, path, *, whole=False, low=0, high=100, full_from=None, drop=None):
        """Each unit's values along `path` ((unit, t) → wished value), made so that the jumps
        from one half year to the next pass the outlier test, except the planted `drop`
        (unit, t, fall) after which that unit moves as the others do.

        With `full_from`, every unit reports 100 from that half year on.
        """
        rng = self.rng
        steps = len(DISTRICT_HALVES)

        def rounded(x):
            x = min(high, max(low, x))
            return round(x) if whole else round(x, 1)

        out = {(u, 0): rounded(path[(u, 0)]) for u in units}
        for t in range(1, steps):
            if full_from is not None and t >= full_from:
                out.update({(u, t): 100 for u in units})
                continue
            jumps = {u: rounded(path[(u, t)]) - out[(u, t - 1)] for u in units}
            keep = set()
            if drop and t == drop[1]:
                jumps[drop[0]] = -drop[2]
                keep.add(drop[0])
            elif drop and t > drop[1]:
                others = [j for u, j in jumps.items() if u != drop[0]]
                jumps[drop[0]] = median(others) + rng.uniform(-0.3, 0.3)
            for u, jump in _calm(jumps, keep).items():
                out[(u, t)] = rounded(out[(u, t - 1)] + jump)
            # Rounding and the bounds move some jumps a little: check again.
            jumps = {u: out[(u, t)] - out[(u, t - 1)] for u in units}
            for u, jump in _calm(jumps, keep).items():
                out[(u, t)] = rounded(out[(u, t - 1)] + jump)
        if whole:
            return out
        return {key: Decimal(f"{value:.1f}") for key, value in out.items()}

    def _farming_figures(self) -> None:
        """CT10 by sector for the rural districts; their year ends add up to the department's.

        The models each half year adds are drawn unit by unit (bigger units get more), drawn
        again until no unit's jump stands out.
        """
        rng, form = self.rng, "BC6T-NNCNC"
        rural = sorted(self.group["huyen"] + self.group["thi-xa"])
        size = {u: self.targets[("CT10", u, 2025)] for u in rural}
        weights: dict[str, dict[str, float]] = {s: {} for s in SECTORS}
        for unit in rural:
            fish = AQUACULTURE.get(unit, 0.025)
            weights["trong-trot"][unit] = size[unit] * 0.6 * (1 - fish) * rng.uniform(0.85, 1.15)
            weights["chan-nuoi"][unit] = size[unit] * 0.4 * (1 - fish) * rng.uniform(0.85, 1.15)
            weights["thuy-san"][unit] = size[unit] * fish
        totals: dict[int | str, dict[str, int]] = {
            y: dict(zip(SECTORS, AGRICULTURE[y][1:4], strict=True)) for y in AGRICULTURE
        }
        totals["2025S1"] = dict(zip(SECTORS, MODELS_2025S1, strict=True))
        added = []  # per half year: models added by sector
        for year in range(2021, 2025):
            grown = {s: totals[year][s] - totals[year - 1][s] for s in SECTORS}
            part = rng.uniform(0.4, 0.6)
            first = {s: round(part * grown[s]) for s in SECTORS}
            added += [first, {s: grown[s] - first[s] for s in SECTORS}]
        added.append({s: totals["2025S1"][s] - totals[2024][s] for s in SECTORS})
        held = {s: _allocate(totals[2020][s], weights[s]) for s in SECTORS}
        for t, (period, more) in enumerate(zip(DISTRICT_HALVES, added, strict=True)):
            for _attempt in range(1000):
                draw = {
                    s: Counter(rng.choices(rural, weights=[weights[s][u] for u in rural], k=n))
                    for s, n in more.items()
                }
                jumps = [sum(draw[s][u] for s in SECTORS) for u in rural]
                scores = rules.modified_z_scores(jumps) if t else None
                calm = scores is None or max(abs(z) for z in scores) <= CALM
                sorted_ok = all(
                    held["thuy-san"][u] + draw["thuy-san"][u]
                    <= held["trong-trot"][u] + draw["trong-trot"][u]
                    for u in rural
                )
                if calm and sorted_ok:
                    break
            else:
                raise DefinitionError(f"no calm draw of CT10 for {period.code}")
            for s in SECTORS:
                for unit in rural:
                    held[s][unit] += draw[s][unit]
            for unit in rural:
                self.put(form, unit, period, "CT10", sum(held[s][unit] for s in SECTORS))
                for s in SECTORS:
                    self.put(form, unit, period, "CT10", held[s][unit], option=s)
        self.farming_2025s1 = held

    # -- communes and wards (2025S2) ------------------------------------------------------

    def _commune_figures(self) -> None:
        rng, period = self.rng, COMMUNE_HALF
        wards, communes = self.group["phuong"], self.group["xa"]
        new_units = sorted(wards + communes)
        urban = set(self.group["quan"])
        rural = set(self.group["huyen"] + self.group["thi-xa"])
        shares: dict[str, dict[str, float]] = {c: {} for c in new_units}
        for old, new, share in UnitLineage.objects.filter(
            predecessor__code__in=urban | rural, successor__code__in=new_units
        ).values_list("predecessor__code", "successor__code", "share"):
            shares[new][old] = float(share or 0)
        last = len(DISTRICT_HALVES) - 1
        form = "BC6T-DP"

        def inherited(values: Mapping[str, float], among=None) -> dict[str, float]:
            return {
                c: sum(w * values[d] for d, w in shares[c].items() if among is None or d in among)
                for c in new_units
            }

        # CT07, wards only: about the year's second half of the 2025 target.
        ct07 = {d: self.targets[("CT07", d, 2025)] for d in urban}
        weights = inherited({**ct07, **dict.fromkeys(rural, 0)})
        grown = _allocate(
            335 - len(wards), {c: (1 + weights[c]) * rng.uniform(0.8, 1.2) for c in wards}
        )
        for c in wards:
            self.put(form, c, period, "CT07", grown[c] + 1)
        # CT15: the districts' OCOP products pass to the new units, plus the second half's.
        held = self.ocop[last]
        weights = inherited(held)
        total = sum(held.values()) + 110
        ocop = _allocate(total - len(new_units), weights)
        for c in new_units:
            self.put(form, c, period, "CT15", ocop[c] + 1)
        for c in new_units:
            mean = sum(w * float(self.ocop_share[(d, last)]) for d, w in shares[c].items())
            mean /= sum(shares[c].values()) or 1
            self.put(form, c, period, "CT16", _pct(mean + rng.uniform(-2, 3), low=5))
        for c in new_units:
            value = 100 if rng.random() < 0.3 else rng.uniform(95, 99.9)
            self.put(form, c, period, "CT18", _pct(value))
        for c in new_units:
            value = 100 if rng.random() < 0.85 else rng.uniform(97.5, 99.9)
            self.put(form, c, period, "CT19", _pct(value))
        for c in new_units:
            value = 100 if rng.random() < 0.45 else rng.uniform(72, 99)
            self.put(form, c, period, "CT20", _pct(value))
        initiatives = inherited({d: self.initiatives[(d, last - 1)] for d in urban | rural})
        counts = _allocate(990 - len(new_units), {c: 1 + initiatives[c] for c in new_units})
        for c in new_units:
            self.put(form, c, period, "CT30", counts[c] + 1)
        # CT10 for the communes (xã), from the rural districts' models.
        form = "BC6T-NNCNC"
        planted, planted_parts = AQUACULTURE_COMMUNE
        models = {}
        for s, total in zip(SECTORS, AGRICULTURE[2025][1:4], strict=True):
            weights = inherited(self.farming_2025s1[s], among=rural)
            models[s] = _allocate(total, {c: weights[c] + 0.01 for c in communes})
            # The planted commune's figures; the difference goes to or from the largest ones.
            spare = models[s][planted] - planted_parts[s]
            models[s][planted] = planted_parts[s]
            while spare:
                largest = max((c for c in communes if c != planted), key=lambda c: models[s][c])
                step = 1 if spare > 0 else -1
                models[s][largest] += step
                spare -= step
        crops, fish = models["trong-trot"], models["thuy-san"]
        for c in communes:
            while c != planted and fish[c] > crops[c]:
                room = max(
                    (x for x in communes if x != planted), key=lambda x: (crops[x] - fish[x], x)
                )
                fish[c] -= 1
                fish[room] += 1
        for c in communes:
            self.put(form, c, period, "CT10", sum(models[s][c] for s in SECTORS))
            for s in SECTORS:
                note = AQUACULTURE_NOTE if (c, s) == (planted, "thuy-san") else ""
                self.put(form, c, period, "CT10", models[s][c], option=s, comment=note)

    # -- departments (years) --------------------------------------------------------------

    def _department_figures(self) -> None:
        for year in range(2021, 2026):
            period = Period(PeriodType.YEAR, year)
            unit = "SNNPTNT" if year < 2025 else "SNNMT"
            ct09, crops, livestock, fish, coops = AGRICULTURE[year]
            notes = {}
            if year == 2024:
                notes = {
                    "CT11": "Toàn Thành phố có 393 mô hình sản xuất nông nghiệp ứng dụng công "
                    "nghệ cao: 224 trồng trọt, 144 chăn nuôi, 25 thủy sản.",
                    "CT14": "68 hợp tác xã nông nghiệp ứng dụng công nghệ cao, liên kết sản "
                    "xuất gắn với tiêu thụ sản phẩm.",
                }
            assert ct09 is not None  # reported from 2021 on
            for code, value in zip(
                ("CT09", "CT11", "CT12", "CT13", "CT14"),
                (_pct(ct09), crops, livestock, fish, coops),
                strict=True,
            ):
                self.put("BCN-NN", unit, period, code, value, comment=notes.get(code, ""))
            his, lis, pacs, records, cashless, (online, services, full, part) = HEALTH[year]
            notes = {
                "CT26": f"{online}/{services} dịch vụ công trực tuyến: {full} dịch vụ toàn trình, "
                f"{part} dịch vụ một phần."
            }
            if year == 2024:
                notes["CT21"] = "100% bệnh viện triển khai HIS; 100% bệnh viện có website."
                notes["CT24"] = "5 bệnh viện triển khai bệnh án điện tử."
            share = _pct(100 * online / services)
            for code, value in zip(
                ("CT21", "CT22", "CT23", "CT24", "CT25", "CT26"),
                (_pct(his), _pct(lis), _pct(pacs), records, _pct(cashless), share),
                strict=True,
            ):
                self.put("BCN-YT", "SYT", period, code, value, comment=notes.get(code, ""))
            notes = {}
            if year == 2024:
                notes["CT31"] = (
                    "110 tỷ đồng: 69,124 tỷ đồng cho 130 nhiệm vụ khoa học và công nghệ chuyển "
                    "tiếp; 40,876 tỷ đồng cho các nhiệm vụ tuyển chọn, giao trực tiếp mới năm 2024."
                )
            for code, figure in zip(SCIENCE_CODES, SCIENCE[year], strict=True):
                self.put(
                    "BCN-KHCN",
                    "SKHCN",
                    period,
                    code,
                    Decimal(str(figure)),
                    comment=notes.get(code, ""),
                )

    # -- writing and the workflow ---------------------------------------------------------

    def _write_all(self) -> None:
        self.commune_fates = self._commune_fates()
        for code, form in self.forms.items():
            for period in form.periods():
                units = sorted(
                    u.code
                    for u in form.units_expected(period)
                    if (u.code, period.code) in self.values[code]
                )
                if units:
                    self._period(form, period, units)

    def _commune_fates(self) -> dict[str, str]:
        rng = self.rng
        wards, communes = self.group["phuong"], self.group["xa"]
        fates: dict[str, str] = dict.fromkeys(wards + communes, State.ACCEPTED)
        planted = AQUACULTURE_COMMUNE[0]
        free = [c for c in sorted(fates) if c != planted]
        rng.shuffle(free)
        returned = [next(c for c in free if c in wards), next(c for c in free if c in communes)]
        free = [c for c in free if c not in returned]
        for c in returned:
            fates[c] = State.RETURNED
        counts = (("missing", 8), (State.DRAFT, 4), (State.SUBMITTED, 6), (State.APPROVED, 10))
        for fate, n in counts:
            for c in free[:n]:
                fates[c] = fate
            free = free[n:]
        return fates

    def _fate(self, form: ReportForm, period: Period, unit: str) -> Report:
        """What happens to this report: mostly accepted, the latest periods less so."""
        rng = self.rng
        if period == COMMUNE_HALF:
            fate = self.commune_fates[unit]
            if form.code == "BC6T-NNCNC" and fate == State.RETURNED:
                fate = State.ACCEPTED
            late = rng.random() < 0.12
        elif period == DISTRICT_HALVES[-1]:
            fate, late = State.ACCEPTED, rng.random() < 0.12
            if unit == DONG_DA:
                fate = State.DRAFT
            elif form.code == "BC6T-DP" and unit in ("009", "273"):
                fate = State.APPROVED
            elif form.code == "BC6T-NNCNC" and unit == "276":
                fate = State.SUBMITTED
        elif period.type == PeriodType.YEAR and period.year == 2025:
            fate = State.APPROVED if unit == "SYT" else State.ACCEPTED
            late = unit == "SNNMT"
        else:
            fate, late = State.ACCEPTED, rng.random() < 0.12
            if unit == DONG_DA:
                late = period.code == "2022S1"
        return Report(fate, late)

    def _moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime(
            day.year, day.month, day.day, self.rng.randint(8, 16), self.rng.randint(0, 59),
            tzinfo=self.tz,
        )  # fmt: skip

    def _submit_day(self, period: Period, late: bool) -> dt.date:
        deadline = period.deadline(self.programme.report_deadline_days)
        if late:
            day, left = deadline, self.rng.randint(1, 8)
            while left:
                day += dt.timedelta(days=1)
                left -= is_working_day(day)
            return day
        days = []
        day = period.cutoff_end
        while day < deadline:
            day += dt.timedelta(days=1)
            if is_working_day(day):
                days.append(day)
        return self.rng.choice(days)

    def _shift(self, at: dt.datetime, low: int, high: int, *, back=False) -> dt.datetime:
        """A moment in office hours, `low` to `high` working days after `at` (before it with
        `back`); with 0 days, an hour or two later (earlier) the same day if office hours allow."""
        rng, sign = self.rng, -1 if back else 1
        days = rng.randint(low, high)
        if days == 0:
            moved = at + sign * dt.timedelta(minutes=rng.randint(30, 150))
            if moved.date() == at.date() and 8 <= moved.hour < 17:
                return moved
            days = 1
        day = at.date()
        while days:
            day += sign * dt.timedelta(days=1)
            days -= is_working_day(day)
        return self._moment(day)

    def _plan(self, form: ReportForm, period: Period, unit: str) -> Report:
        report = self._fate(form, period, unit)
        if report.fate == "missing":
            return report
        if report.fate == State.DRAFT:
            report.entered = self._moment(period.deadline(self.programme.report_deadline_days))
            return report
        submitted = self._moment(self._submit_day(period, report.late))
        report.entered = self._shift(submitted, 0, 2, back=True)
        steps = [Step(Action.SUBMIT, submitted, "reporter")]
        correction = CORRECTIONS.get((form.code, period.code, unit))
        if correction:
            code, _wrong, reason = correction
            returned = self._shift(submitted, 1, 2)
            role = "head" if unit == DONG_DA else "agency"
            right = self.values[form.code][(unit, period.code)][(code, "")][0]
            steps.append(Step(Action.RETURN, returned, role, self._reason(correction, right)))
            fixed = self._shift(returned, 0, 1)
            steps.append(Step(Action.SUBMIT, fixed, "reporter", fix=(code, right)))
        if report.fate == State.RETURNED:
            reason = RETURN_REASONS[len(self._returned) % len(RETURN_REASONS)]
            self._returned.append(unit)
            steps.append(Step(Action.RETURN, self._shift(steps[-1].at, 1, 3), "agency", reason))
        if report.fate in (State.APPROVED, State.ACCEPTED):
            steps.append(Step(Action.APPROVE, self._shift(steps[-1].at, 0, 2), "head"))
        if report.fate == State.ACCEPTED:
            steps.append(Step(Action.ACCEPT, self._shift(steps[-1].at, 1, 5)))
        report.steps = steps
        return report

    @staticmethod
    def _reason(correction, right) -> str:
        _code, wrong, reason = correction
        return reason.format(wrong=_plain(wrong(right)), right=_plain(right))

    def _period(self, form: ReportForm, period: Period, units: list[str]) -> None:
        reports = {unit: self._plan(form, period, unit) for unit in units}
        entries, when = [], {}
        for unit, report in reports.items():
            if report.fate == "missing":
                continue
            rows = self.values[form.code][(unit, period.code)]
            keys = list(rows)
            if report.fate == State.DRAFT:
                keys = keys[: max(1, len(keys) // 2)] if len(keys) > 4 else keys[:1]
                if unit == DONG_DA:
                    keys = [k for k in rows if k[0] in ("CT15", "CT16", "CT18", "CT19")]
            correction = CORRECTIONS.get((form.code, period.code, unit))
            for indicator, option in keys:
                value, comment = rows[(indicator, option)]
                if correction and (indicator, option) == (correction[0], ""):
                    value = correction[1](value)
                label = f"{indicator}.{option}" if option else indicator
                entries.append(
                    Entry(f"{unit} {period.code} {label}", unit, period.code, indicator, option,
                          value, comment=comment)
                )  # fmt: skip
            when[(unit, period.code)] = report.entered
        if not entries:
            return
        self._write(entries, when)
        submissions = {
            s.unit.code: s
            for s in Submission.objects.filter(form=form, period=period.code).select_related("unit")
        }
        blocked = set(
            Violation.objects.filter(
                submission__in=submissions.values(), severity=ValidationRule.Severity.BLOCK
            ).values_list("submission__unit__code", flat=True)
        )
        bulk: list[tuple[Submission, list[Step]]] = []
        for unit, report in reports.items():
            if not report.steps:
                if unit in submissions:
                    assert report.entered is not None  # a report with a submission was entered
                    submissions[unit].updated_at = report.entered
                    bulk.append((submissions[unit], []))
                continue
            if unit in blocked:
                raise DefinitionError(
                    f"demo report {form.code} {period.code} {unit} has blocking problems"
                )
            submission = submissions[unit]
            if unit in self.real_users or any(step.fix for step in report.steps):
                self._play_one(submission, report.steps, period, form)
            else:
                bulk.append((submission, report.steps))
        self._play_bulk(bulk)

    def _write(self, entries: list[Entry], when: dict) -> None:
        """write_values, then date each report's new rows back to when they were entered."""
        mark = ValueChange.objects.aggregate(last=Max("pk"))["last"] or 0
        write_values(
            programme=self.programme,
            entries=entries,
            user=self.agency,
            channel=Channel.IMPORT,
            source=SOURCE,
        )
        changes = list(
            ValueChange.objects.filter(pk__gt=mark).values_list("pk", "unit__code", "period", "at")
        )
        if not changes:
            return
        written_at = changes[0][3]
        _set(ValueChange, ["at"], [(pk, when[(u, p)]) for pk, u, p, _at in changes])
        rows = DataValue.objects.filter(
            indicator__programme=self.programme,
            updated_at=written_at,
            period__in={period for _pk, _unit, period, _at in changes},
        ).values_list("pk", "unit__code", "period")
        _set(DataValue, ["updated_at"], [(pk, when[(u, p)]) for pk, u, p in rows])

    def _play_one(self, submission, steps, period, form) -> None:
        """One report step by step: with `act` and the unit's users, or as a paper report."""
        users = self.real_users.get(submission.unit.code)
        first = last = None
        for step in steps:
            if step.fix:
                code, value = step.fix
                unit = submission.unit.code
                entry = Entry(f"{unit} {period.code} {code}", unit, period.code, code, "", value)
                self._write([entry], {(unit, period.code): step.at - dt.timedelta(minutes=20)})
                refresh_violations(
                    Submission.objects.filter(form=form, period=period.code).values_list(
                        "pk", flat=True
                    )
                )
            if users:
                reason = "" if step.action != Action.RETURN else step.reason
                act(submission, users[step.role], step.action, reason)
                event = submission.events.order_by("-pk").first()
            else:
                event = self._event(submission, submission.state, step)
                event.save()
                submission.state = event.to_state
            _set(SubmissionEvent, ["at"], [(event.pk, step.at)])
            if step.action == Action.SUBMIT:
                first, last = first or step.at, step.at
        _set(
            Submission,
            ["state", "first_submitted_at", "submitted_at", "updated_at"],
            [(submission.pk, TARGET[steps[-1].action], first, last, steps[-1].at)],
        )

    def _event(self, submission, state, step) -> SubmissionEvent:
        reason = step.reason if step.action == Action.RETURN else PAPER
        return SubmissionEvent(
            submission=submission,
            action=step.action,
            from_state=state,
            to_state=TARGET[step.action],
            user=self.agency,
            reason=reason,
        )

    def _play_bulk(self, reports) -> None:
        """Paper reports entered by the standing agency: their steps are recorded as they were."""
        events, times = [], []
        for submission, steps in reports:
            state = submission.state
            for step in steps:
                event = self._event(submission, state, step)
                events.append(event)
                times.append(step.at)
                state = event.to_state
                if step.action == Action.SUBMIT:
                    submission.first_submitted_at = submission.first_submitted_at or step.at
                    submission.submitted_at = step.at
            submission.state = state
            if steps:
                submission.updated_at = steps[-1].at
        SubmissionEvent.objects.bulk_create(events, batch_size=500)
        # bulk_create stamped the events with the present time.
        _set(SubmissionEvent, ["at"], [(e.pk, at) for e, at in zip(events, times, strict=True)])
        _set(
            Submission,
            ["state", "first_submitted_at", "submitted_at", "updated_at"],
            [
                (s.pk, s.state, s.first_submitted_at, s.submitted_at, s.updated_at)
                for s, _steps in reports
            ],
        )


def _set(model, fields: list[str], rows: list[tuple]) -> None:
    """Set these columns of these rows ((pk, *values)) in one statement run per row.

    Used to date the demo's rows back: `save`, `update` and `bulk_update` would let the
    automatic timestamps (auto_now, auto_now_add) or the expression machinery get in the way or
    take long, where this is one plain UPDATE per row.
    """
    if not rows:
        return
    ops = connection.ops
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{ops.quote_name(c.column)} = %s" for c in columns)
    sql = (
        f"UPDATE {ops.quote_name(model._meta.db_table)} SET {assignments} "
        f"WHERE {ops.quote_name(model._meta.pk.column)} = %s"
    )
    params = [
        [c.get_db_prep_value(v, connection) for c, v in zip(columns, values, strict=True)] + [pk]
        for pk, *values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _plain(value) -> str:
    """A figure as Vietnamese write it: 62,5 and 1.190, whatever language is active."""
    with translation.override("vi"):
        return num(value)
