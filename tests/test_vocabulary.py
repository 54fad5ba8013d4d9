"""One vocabulary: periods are named in words, reports are not called "Báo cáo Báo cáo", and
counts are whole, on every page of the demo that shows them."""

import re
from html.parser import HTMLParser

import pytest

from steer.notifications.models import Notification
from steer.programmes.models import Indicator
from steer.reporting.models import ReportForm

pytestmark = pytest.mark.django_db
P = "/p/07-ctr-tu"
RAW_PERIOD = re.compile(r"\b20\d\d(?:S[12]|Q[1-4]|M\d\d|N9)\b")
DOUBLED = re.compile(r"báo cáo\s+báo cáo", re.IGNORECASE)
# A count with decimals: "614,33 doanh nghiệp" (Vietnamese decimal comma, then a count's unit).
DECIMAL = r"\d+,\d+"


class _Text(HTMLParser):
    """The text a reader sees: no scripts, styles, URLs or other attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _pages(programme) -> list[str]:
    pages = ["/notifications/", f"{P}/", f"{P}/?year=2024", f"{P}/overdue/", f"{P}/reports/"]
    pages += [f"{P}/calendar/", f"{P}/documents/", f"{P}/priorities/", f"{P}/compare/"]
    pages += [f"{P}/indicators/{i.code}/" for i in programme.indicators.all()]
    pages += [f"{P}/reports/{f.code}/" for f in ReportForm.objects.filter(programme=programme)]
    pages += [f"{P}/documents/{d.pk}/" for d in programme.drafts.all()]
    return pages


def _count_units(programme) -> set[str]:
    integer = Indicator.ValueType.INTEGER
    return {i.unit_of_measure for i in programme.indicators.filter(value_type=integer)}


def faults_of(text: str, count_units: set[str]) -> list[str]:
    faults = [m.group(0) for m in RAW_PERIOD.finditer(text)]
    faults += [m.group(0) for m in DOUBLED.finditer(text)]
    for unit in count_units:
        faults += [m.group(0) for m in re.finditer(rf"{DECIMAL}\s+{re.escape(unit)}\b", text)]
    return faults


@pytest.mark.parametrize("username", ["thuongtruc", "bancd", "baocao.dongda"])
def test_pages_name_periods_in_words_and_write_counts_whole(login, programme, username):
    client = login(username)
    units = _count_units(programme)
    found = {}
    for url in _pages(programme):
        response = client.get(url)
        if response.status_code != 200:
            continue
        faults = faults_of(visible_text(response.content.decode()), units)
        if faults:
            found[url] = sorted(set(faults))
    assert found == {}, "\n".join(f"{u}: {f}" for u, f in found.items())


def test_notifications_name_the_report_once_and_its_period_in_words(programme):
    texts = list(Notification.objects.values_list("text", flat=True))
    assert texts
    faults = {t for t in texts if RAW_PERIOD.search(t) or DOUBLED.search(t)}
    assert faults == set()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("2025S1", "6 tháng đầu năm 2025"),
        ("2025S2", "6 tháng cuối năm 2025"),
        ("2025Q1", "quý I năm 2025"),
        ("2025Q4", "quý IV năm 2025"),
        ("202503", "tháng 3 năm 2025"),
        ("2025N9", "9 tháng năm 2025"),
        ("2025", "năm 2025"),
    ],
)
def test_a_period_has_one_name_the_way_reports_write_it(code, name):
    from steer.reporting.periods import parse, period_name

    assert period_name(parse(code)) == name
    assert period_name(parse(code), capital=True) == name[:1].upper() + name[1:]


def test_pages_and_documents_name_a_period_alike():
    from steer.documents.content import words_of
    from steer.reporting.labels import period_label
    from steer.reporting.periods import parse

    for code in ("2024S1", "2024Q2", "202411", "2024"):
        assert period_label(parse(code)) == words_of(parse(code))


def test_in_english_a_period_is_named_in_english():
    from steer.reporting.periods import parse, period_name

    assert period_name(parse("2025S2"), "en") == "second half of 2025"
    assert period_name(parse("2025Q1"), "en-gb") == "Q1 2025"
    assert period_name(parse("202503"), "en") == "March 2025"


@pytest.mark.parametrize(
    ("value", "value_type", "text"),
    [
        (614.33, "integer", "614"),
        (5.83, "integer", "6"),
        (23.5, "integer", "24"),  # half up, as officials round
        (2459, "integer", "2.459"),
        (62.856, "percent", "62,86"),
        (7.5, "decimal", "7,5"),
        (7.0, "decimal", "7"),
        (1234567.4, "money", "1.234.567"),
    ],
)
def test_a_figure_is_written_by_its_value_type(value, value_type, text):
    from steer.core.numbers import figure, figure_value

    assert figure(value, value_type) == text
    shown = figure_value(value, value_type)
    assert figure(shown, value_type) == text
    assert isinstance(shown, int) == (value_type in ("integer", "money"))


def test_count_axes_tick_at_whole_numbers(login, programme):
    from steer.assessment.charts import status_bars

    spec = status_bars(
        [{"name": "MT1", "status": "achieved", "count": 1}],
        {
            "achieved": "Đạt",
            "on_track": "a",
            "at_risk": "b",
            "off_track": "c",
            "missed": "e",
            "no_target": "f",
            "no_data": "d",
        },
        "t",
        "Chỉ tiêu",
    )
    assert spec["encoding"]["x"]["axis"]["tickMinStep"] == 1


def test_an_estimated_count_is_whole_on_the_indicator_page_and_its_chart(login, programme):
    import json

    indicator = programme.indicators.filter(value_type="integer").first()
    page = login("thuongtruc").get(f"{P}/indicators/{indicator.code}/?year=2025")
    trend = page.context["charts"]["trend"]
    figures = [
        point[k]
        for point in trend["data"]["values"]
        for k in ("value", "low", "high")
        if point.get(k) is not None
    ]
    assert figures and all(float(v).is_integer() for v in figures), json.dumps(figures)
    assert trend["layer"][1]["encoding"]["y"]["axis"]["tickMinStep"] == 1
