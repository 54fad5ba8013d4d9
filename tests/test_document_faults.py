"""The faults seen in the demo's documents (issue 18): gaps in the table numbers, an empty
recommendations section, objective titles twice, rows cut by page breaks, codes and dates broken
across lines, login names, one title for the unit's and the city's report, a unit's report
listing only the tasks it leads."""

import io
import re

import docx
import pytest
from docx.oxml.ns import qn

from steer.accounts.models import User
from steer.documents import content, layout
from steer.documents.models import Draft
from steer.programmes.models import PlanItem
from steer.steering.models import Recommendation
from steer.units.models import OrgUnit
from tests.test_documents import make, needs

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthesis(programme) -> Draft:
    return Draft.objects.get(programme=programme, kind="synthesis", period="2024S1")


@pytest.fixture
def unit_report(programme) -> Draft:
    return Draft.objects.get(programme=programme, kind="unit_report", period="2024S1")


def filled(draft: Draft) -> dict:
    return content.context(draft, content.gather(draft))


def table_numbers(context: dict) -> list[int]:
    """The numbers the synthesis's captions carry, in the order the template shows them."""
    numbering = context["numbering"]
    shown = [numbering["reporting_table"], numbering["plan_status_table"]]
    shown.append(numbering["directives_table"])
    shown += [o["table_number"] for o in context["objectives"]]
    shown.append(numbering["recommendations_table"])
    captions = context["annex"]["by_unit"] + context["annex"]["reporting"]
    shown += [int(re.match(r"Bảng (\d+)\.", t["caption"]).group(1)) for t in captions]
    return [n for n in shown if n != ""]


def test_the_synthesis_numbers_its_tables_one_after_another_with_no_gap(synthesis):
    context = filled(synthesis)
    assert not context["tables"]["directives"]  # no directive given in H1 2024: no table
    assert context["numbering"]["directives_table"] == ""
    numbers = table_numbers(context)
    assert numbers == list(range(1, len(numbers) + 1))


def test_the_recommendations_section_holds_the_registers_recommendations_still_open(synthesis):
    context = filled(synthesis)
    open_before = Recommendation.objects.filter(
        programme=synthesis.programme, raised_on__lt="2024-01-01", state__in=Recommendation.OPEN
    )
    assert open_before.exists()  # raised in 2023, routed, unanswered at the end of June 2024
    assert len(context["texts"]["recommendations"]) == open_before.count()
    assert len(context["tables"]["recommendations"]) == open_before.count()
    assert context["numbering"]["recommendations_table"]


def test_an_objectives_text_does_not_repeat_its_heading(synthesis):
    context = filled(synthesis)
    for objective in context["objectives"]:
        title = objective["heading"].split(": ", 1)[1]
        assert not any(title in line for line in objective["text"]), objective["heading"]


def test_the_units_report_and_the_citys_report_have_different_titles(synthesis, unit_report):
    assert synthesis.title != unit_report.title
    assert "Quận Đống Đa" in unit_report.title


def test_a_units_report_lists_every_task_the_unit_leads_coordinates_or_carries_out(unit_report):
    unit = OrgUnit.objects.get(code="006")
    involved = PlanItem.objects.filter(programme=unit_report.programme).involving(unit)
    led = involved.filter(lead_unit=unit)
    assert involved.count() > led.count()
    rows = filled(unit_report)["tables"]["plan_items"]
    assert sorted(row["code"] for row in rows) == sorted(involved.values_list("code", flat=True))


def test_the_files_of_a_draft_name_who_asked_for_them_by_full_name(client, synthesis):
    asker = User.objects.get(username="thuongtruc")
    make(synthesis, who="thuongtruc")
    client.force_login(asker)
    page = client.get(f"/p/07-ctr-tu/documents/{synthesis.pk}/files/").content.decode()
    assert asker.full_name in page and "thuongtruc" not in page


def test_code_and_date_cells_do_not_wrap_and_no_row_is_cut_by_a_page_break():
    document = docx.Document(io.BytesIO(layout.build("synthesis", "state")))
    tables = [t for t in document.tables if len(t.rows) == 4]  # a header, a row between tags
    assert tables
    for table in tables:
        for row in (table.rows[0], table.rows[2]):
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
        for cell in table.rows[2].cells:
            if re.search(r"r\.(code|deadline|submitted) ", cell.text):
                assert cell._tc.tcPr.find(qn("w:noWrap")) is not None, cell.text


# -- the made PDF ---------------------------------------------------------------------------


@pytest.mark.pdf
@needs("soffice")
def test_the_synthesis_pdf_is_numbered_filled_and_unbroken(synthesis):
    from pypdf import PdfReader

    output = make(synthesis, pdf=True)
    assert output.pdf, output.pdf_problem
    reader = PdfReader(io.BytesIO(bytes(output.pdf)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    lines = [line.strip() for line in text.splitlines() if line.strip()]

    numbers = [int(n) for n in re.findall(r"^Bảng (\d+)\.", text, re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > 10

    section = re.compile(r"^(I|II|III|IV|V|VI)\. [A-ZÀ-Ỹ ,]+$")
    for line, after in zip(lines, lines[1:], strict=False):
        assert not (section.match(line) and section.match(after)), f"{line} is empty"
    recommendations = lines.index("V. KIẾN NGHỊ, ĐỀ XUẤT")
    assert "kiến nghị" in lines[recommendations + 1]

    for objective in synthesis.programme.objectives.filter(parent=None):
        assert text.count(objective.title[:30]) == 1  # in its heading only

    assert "thuongtruc" not in text and "baocao" not in text
    for code in ("CT01", "CT05", "CT31"):
        assert re.search(rf"^\d+ {code} ", text, re.MULTILINE), code
    assert "26/07/2021" in text or "31/12/2024" in text
    assert not re.search(r"\d{2}/\d{2}/\d{3}\s*\n", text)  # no date cut after its third digit
    assert not re.search(r"nghiệ\s*\n\s*p\b", text)
