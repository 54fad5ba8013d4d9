"""Sentences drafted from the data for the official reports, in Vietnamese administrative
style: what was achieved, exceeded or missed and by how much, and the forecast. Nothing is
said that the figures do not say; the official edits the draft before it is exported.

Pure: figures and labels in, text out (numbers written the Vietnamese way: 62,86; 1.234).
"""

import datetime as dt
from dataclasses import dataclass

from steer.core.numbers import figure, vietnamese


@dataclass(frozen=True)
class IndicatorFacts:
    name: str
    unit: str  # unit of measure, e.g. "%", "doanh nghiệp"
    year: int
    actual: float | None
    target: float | None  # the target the year is judged against (None: none set)
    target_year: int | None
    higher_is_better: bool = True
    forecast: float | None = None  # to the target year, if time remains
    forecast_low: float | None = None
    forecast_high: float | None = None
    reached_in: int | None = None  # the year the target would be reached at the current pace
    period: str | None = None  # the period's words ("6 tháng đầu năm 2024"); None: the year
    partial: bool = False  # the figure covers part of the year only
    flow: bool = False  # summed over the year's periods (a partial figure is a share of it)
    status: str | None = None  # the judgement of a partial figure: on_track, at_risk, ...
    latest: float | None = None  # without a figure for the period: the latest one before it
    latest_period: str | None = None
    value_type: str = "decimal"  # Indicator.value_type: a count ("integer") is written whole


PARTIAL_STATUS = {
    "achieved": "đã đạt chỉ tiêu",
    "on_track": "đúng tiến độ đề ra",
    "at_risk": "chậm hơn tiến độ, có nguy cơ không đạt chỉ tiêu",
    "off_track": "chậm so với tiến độ đề ra",
    "missed": "không đạt chỉ tiêu",
}


def _amount(value: float, f: IndicatorFacts) -> str:
    text = figure(value, f.value_type)
    if not f.unit:
        return text
    return f"{text}{f.unit}" if f.unit == "%" else f"{text} {f.unit}"


def _gap(value: float, f: IndicatorFacts) -> str:
    """A difference: percentage points for a rate."""
    if f.unit == "%":
        return f"{vietnamese(value)} điểm phần trăm"
    return _amount(value, f)


def indicator_sentence(f: IndicatorFacts) -> str:
    """One sentence on an indicator's year, e.g. "Tỷ lệ … năm 2024 đạt 91,2%, vượt chỉ tiêu
    90% (bằng 101,33% kế hoạch)."."""
    subject = f"{f.name[:1].upper()}{f.name[1:]} {f.period or f'năm {f.year}'}"
    if f.actual is None:
        text = f"{subject} chưa có số liệu được phê duyệt"
        if f.latest is not None and f.latest_period:
            text += f"; số liệu gần nhất ({f.latest_period}) là {_amount(f.latest, f)}"
        return text + "."
    text = f"{subject} đạt {_amount(f.actual, f)}"
    if f.target is None:
        return text + " (chưa giao chỉ tiêu năm)."
    target = _amount(f.target, f)
    when = "" if f.target_year in (None, f.year) else f" năm {f.target_year}"
    if f.partial:
        return text + _partial_clause(f, f.actual, target, when) + _forecast_clause(f)
    better = f.actual >= f.target if f.higher_is_better else f.actual <= f.target
    if f.actual == f.target:
        text += f", đạt chỉ tiêu{when} {target}"
    elif better:
        text += f", vượt chỉ tiêu{when} {target}"
    else:
        short = _gap(abs(f.target - f.actual), f)
        text += f", chưa đạt chỉ tiêu{when} {target} (còn thiếu {short})"
    if f.target and f.unit != "%" and f.higher_is_better:
        text += f", bằng {vietnamese(100 * f.actual / f.target)}% kế hoạch"
    text += "."
    return text + _forecast_clause(f)


def _partial_clause(f: IndicatorFacts, actual: float, target: str, when: str) -> str:
    """Part of the year: a flow is a share of the year's target; a level is read against the
    target; the judgement (against the path) says whether that is on schedule."""
    if f.flow and f.higher_is_better and f.target:
        text = f", bằng {vietnamese(100 * actual / f.target)}% kế hoạch năm {target}"
    else:
        text = f" (chỉ tiêu{when or f' năm {f.year}'}: {target})"
    words = PARTIAL_STATUS.get(f.status or "")
    return text + (f", {words}." if words else ".")


def _forecast_clause(f: IndicatorFacts) -> str:
    if f.forecast is None or f.target_year is None or f.target_year <= f.year:
        return ""
    span = ""
    if f.forecast_low is not None and f.forecast_high is not None:
        span = f" (khoảng từ {_amount(f.forecast_low, f)} đến {_amount(f.forecast_high, f)})"
    text = (
        f" Theo xu hướng hiện nay, năm {f.target_year} dự báo đạt khoảng "
        f"{_amount(f.forecast, f)}{span}"
    )
    if f.target is None:
        return text + "."
    ok = f.forecast >= f.target if f.higher_is_better else f.forecast <= f.target
    if ok:
        reached = f", đạt chỉ tiêu vào năm {f.reached_in}" if f.reached_in else ""
        return text + f"{reached}, có khả năng hoàn thành chỉ tiêu."
    return text + ", khó hoàn thành chỉ tiêu nếu không có giải pháp đột phá."


def objective_sentence(title: str, counts: dict[str, int]) -> str:
    """ "Mục tiêu …: 3/5 chỉ tiêu đạt và vượt, 1 chỉ tiêu đúng tiến độ, 1 chỉ tiêu chưa đạt."
    counts by status code (missing keys are 0); the words are the statuses' labels."""
    total = sum(counts.values())
    if total == 0:
        return f"{title}: chưa có chỉ tiêu được theo dõi."
    parts = [f"{counts.get('achieved', 0)}/{total} chỉ tiêu đạt và vượt"]
    for key, words in (
        ("on_track", "đúng tiến độ"),
        ("at_risk", "có nguy cơ không đạt"),
        ("off_track", "chậm tiến độ"),
        ("missed", "không đạt"),
        ("no_target", "chưa giao chỉ tiêu năm"),
        ("no_data", "chưa có số liệu"),
    ):
        if counts.get(key):
            parts.append(f"{counts[key]} chỉ tiêu {words}")
    return f"{title}: {', '.join(parts)}."


def place_date(place: str, day: dt.date) -> str:
    """ "Hà Nội, ngày 05 tháng 01 năm 2021": a zero before days below 10 and months 1 and 2
    (Decree 30/2020/NĐ-CP, appendix I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def date_text(day: dt.date) -> str:
    """05/01/2021 in tables."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"
