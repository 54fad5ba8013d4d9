"""Documents drafted from the data: the Decree 30 / HD 36 layout, every figure against the
database, the official's edits, the background making of Word and PDF, the templates' versions."""

import datetime as dt
import io
import os
import shutil
import subprocess

import docx
import pytest
from django.core.management import call_command
from django.db.models import Sum
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import nsmap as NS
from docx.shared import Pt

from steer.accounts.models import User
from steer.assessment.models import Figure
from steer.assessment.selectors import overview_page, programme_root
from steer.core.numbers import vietnamese
from steer.documents import content, layout, services
from steer.documents.models import DocumentTemplate, Draft, Output
from steer.documents.render import to_pdf
from steer.programmes.models import PlanItemBudget
from steer.steering.models import Directive
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db

# CI installs LibreOffice and poppler and sets this, so that the PDF checks cannot be skipped.
NEED_PDF = os.environ.get("STEER_REQUIRE_PDF") == "1"


def needs(program: str):
    missing = shutil.which(program) is None
    if missing and NEED_PDF:
        pytest.fail(f"{program} is required here (STEER_REQUIRE_PDF=1)")
    return pytest.mark.skipif(missing, reason=f"{program} is not installed")


def user(name: str) -> User:
    return User.objects.get(username=name)


def make(draft: Draft, *, pdf=False, who="thuongtruc") -> Output:
    output = services.request_output(user=user(who), draft=draft, want_pdf=pdf)
    return services.make_output(output_id=output.pk)


def opened(output: Output) -> docx.Document:
    return docx.Document(io.BytesIO(bytes(output.docx)))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def data_tables(document):
    """The tables of figures (the header and signature blocks are layout tables too)."""
    return [t for t in document.tables if len(t.columns) > 2 or len(t.rows) > 1]


@pytest.fixture
def synthesis(programme) -> Draft:
    return Draft.objects.get(programme=programme, kind="synthesis", period="2024S1")


@pytest.fixture(scope="module")
def made(django_db_blocker):
    """The demo's H1 2024 synthesis made once for the tests that only read it."""
    with django_db_blocker.unblock():
        draft = Draft.objects.get(kind="synthesis", period="2024S1")
        # Not through request_output: outside a test's transaction its task would be queued for
        # real and outlive this fixture.
        output = Output.objects.create(draft=draft, made_by=user("thuongtruc"))
        output = services.make_output(output_id=output.pk)
        document = opened(output)
        Output.objects.filter(pk=output.pk).delete()
    return document


# -- the layout -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", layout.KINDS)
@pytest.mark.parametrize("style", layout.STYLES)
def test_built_in_templates_follow_decree_30_page_and_font(kind, style):
    document = docx.Document(io.BytesIO(layout.build(kind, style)))
    section = document.sections[0]

    def mm(length):  # Word stores twentieths of a point: compare to a tenth of a millimetre
        return round(length.mm, 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (20, 20)
    assert (mm(section.left_margin), mm(section.right_margin)) == (30, 15)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size == Pt(14)
    body = document.styles["Body Text Decree"].paragraph_format
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert round(body.first_line_indent.cm, 2) == 1.27
    text = all_text(document)
    if style == "state":
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
        assert "Độc lập - Tự do - Hạnh phúc" in text
        assert "Số: {{ doc.number }}" in text
    else:
        assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "CỘNG HÒA" not in text
        assert "Số {{ doc.number }}" in text
    assert "Nơi nhận:" in text


def test_the_synthesis_header_signature_and_recipients_are_the_drafts(made, synthesis):
    text = all_text(made)
    header = "\n".join(cell.text for cell in made.tables[0].rows[0].cells)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header  # a City Party Committee programme: HD 36
    assert "THÀNH ỦY HÀ NỘI" in header and "BAN CHỈ ĐẠO CHƯƠNG TRÌNH 07-CTr/TU" in header
    day = synthesis.dated
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    assert f"Hà Nội, ngày {day.day:02d} tháng {month} năm {day.year}" in header
    assert "BÁO CÁO" in text and "6 tháng đầu năm 2024" in text
    assert "T/M BAN CHỈ ĐẠO" in text and "Nguyễn Văn Phong" in text
    assert "Nơi nhận:" in text and "- Lưu Văn phòng Thành ủy Hà Nội." in text
    for heading in (
        "I. TÌNH HÌNH TRIỂN KHAI THỰC HIỆN",
        "II. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU, CHỈ TIÊU",
        "III. HẠN CHẾ, TỒN TẠI VÀ NGUYÊN NHÂN",
        "V. KIẾN NGHỊ, ĐỀ XUẤT",
        "Phụ lục 1",
        "Phụ lục 3",
    ):
        assert heading in text


def test_the_synthesis_has_at_least_20_tables_and_6_charts(made):
    assert len(data_tables(made)) >= 20
    assert len(made.inline_shapes) >= 6


def test_body_paragraphs_are_justified_with_a_first_line_indent(made):
    body = [p for p in made.paragraphs if p.style.name == "Body Text Decree" and p.text]
    assert len(body) > 20
    assert all(round(p.style.paragraph_format.first_line_indent.cm, 2) == 1.27 for p in body)
    assert all(p.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY for p in body)


# -- every figure against the database ------------------------------------------------------


def annex_rows(document, heading: str, column: int = 1):
    table = next(
        t
        for t in document.tables
        if len(t.columns) > column and t.rows[0].cells[column].text == heading
    )
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def test_annex_figures_are_the_approved_figures_of_the_half_year(made, programme):
    city = OrgUnit.objects.get(code="01")
    figures = dict(
        Figure.objects.filter(unit=city, period="2024S1", option="").values_list(
            "indicator__code", "value"
        )
    )
    rows = {row[1]: row for row in annex_rows(made, "Mã")}
    assert len(rows) == programme.indicators.count()
    assert len(figures) >= 5
    for code, value in figures.items():
        assert rows[code][6] == vietnamese(value), code
    later = Figure.objects.filter(unit=city, period="2024", option="").values_list(
        "indicator__code", flat=True
    )
    # An indicator reported only for whole years shows the latest year before the half, 2023,
    # named as a period ("năm 2023"), like every period in text.
    only_yearly = next(code for code in later if code not in figures)
    value_2023 = Figure.objects.get(
        unit=city, period="2023", option="", indicator__code=only_yearly
    ).value
    assert rows[only_yearly][6] == f"{vietnamese(value_2023)} (năm 2023)"


def test_unit_tables_give_each_districts_figure(made):
    figures = Figure.objects.filter(period="2024S1", option="", rolled_up=False).exclude(
        unit__code="01"
    )
    sample = figures.select_related("unit", "indicator").order_by("indicator__code", "unit__name")
    checked = 0
    text_of = {t.rows[0].cells[1].text: t for t in made.tables}
    assert "Đơn vị" in text_of
    unit_tables = [t for t in made.tables if t.rows[0].cells[1].text == "Đơn vị"]
    cells = {(row.cells[1].text, row.cells[3].text) for t in unit_tables for row in t.rows[1:]}
    for figure in sample[:40]:
        assert (figure.unit.name, vietnamese(figure.value)) in cells, figure
        checked += 1
    assert checked == 40


def test_budget_annex_totals_the_planned_amounts(made, programme):
    rows = annex_rows(made, "Ngân sách Thành phố", column=2)
    total = next(r for r in rows if r[1] == "Tổng cộng")
    planned = PlanItemBudget.objects.filter(
        plan_item__programme=programme, plan_item__parent=None
    ).aggregate(s=Sum("amount"))["s"]
    assert total[5] == vietnamese(planned)
    assert len(rows) > 10


def test_drafted_sentence_states_the_half_years_figure_against_the_year_target(synthesis):
    text = "\n".join(synthesis.texts.values())
    city = OrgUnit.objects.get(code="01")
    figure = Figure.objects.get(
        unit=city, period="2024S1", option="", indicator__name__startswith="Số sáng kiến"
    )
    assert f"6 tháng đầu năm 2024 đạt {vietnamese(figure.value)} sáng kiến, bằng" in text
    assert "% kế hoạch năm" in text


# -- editing, making, downloading -----------------------------------------------------------


def test_the_officials_edits_go_into_the_word_file(client, synthesis):
    client.force_login(user("thuongtruc"))
    page = client.get(synthesis.get_absolute_url())
    assert page.status_code == 200
    form = page.context["texts"]
    data = {name: field.initial for name, field in form.fields.items()}
    intro = next(name for name, key in form.keys.items() if key == "intro")
    data[intro] = "Sở Khoa học và Công nghệ báo cáo kết quả 6 tháng đầu năm 2024 như sau:"
    header = page.context["header"]
    for name in header.fields:
        value = header[name].value()
        data[name] = value.strftime("%d/%m/%Y") if name == "dated" else value
    data["number"] = "125-BC/BCĐ"
    data["action"] = "docx"
    response = client.post(synthesis.get_absolute_url(), data)
    assert response.status_code == 302, response.context and response.context["header"].errors
    output = synthesis.outputs.get()
    assert output.state == Output.State.QUEUED and output.made_by.username == "thuongtruc"
    services.make_output(output_id=output.pk)
    download = client.get(f"/p/07-ctr-tu/documents/files/{output.pk}.docx")
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith('.docx"')
    text = all_text(docx.Document(io.BytesIO(download.content)))
    assert "Sở Khoa học và Công nghệ báo cáo kết quả 6 tháng đầu năm 2024 như sau:" in text
    assert "Số 125-BC/BCĐ" in text


def test_a_file_is_kept_with_who_made_it_and_from_which_data(synthesis):
    output = make(synthesis)
    assert output.state == Output.State.DONE and output.progress == 100
    assert output.made_by.username == "thuongtruc" and output.finished_at is not None
    assert output.data_digest and output.data_as_of.startswith("20")
    assert output.template is None  # the built-in template


def test_the_page_says_when_the_data_changed_after_drafting(client, synthesis):
    client.force_login(user("thuongtruc"))
    assert "đã thay đổi" not in client.get(synthesis.get_absolute_url()).content.decode()
    Draft.objects.filter(pk=synthesis.pk).update(data_digest="0" * 64)
    assert "đã thay đổi" in client.get(synthesis.get_absolute_url()).content.decode()
    client.post(synthesis.get_absolute_url(), {"action": "redraft"})
    synthesis.refresh_from_db()
    assert "đã thay đổi" not in client.get(synthesis.get_absolute_url()).content.decode()


def test_without_libreoffice_the_word_file_is_made_and_the_page_says_so(
    client, synthesis, monkeypatch
):
    monkeypatch.setattr(services, "office", lambda: None)
    monkeypatch.setattr("steer.documents.views.office", lambda: None)
    output = make(synthesis, pdf=True)
    assert output.state == Output.State.DONE and output.docx and output.pdf is None
    assert "LibreOffice" in output.pdf_problem
    client.force_login(user("thuongtruc"))
    page = client.get(synthesis.get_absolute_url()).content.decode()
    assert "Máy chủ chưa cài LibreOffice" in page


def test_a_file_left_unfinished_by_a_stopped_worker_is_shown_as_interrupted(client, synthesis):
    output = services.request_output(user=user("thuongtruc"), draft=synthesis, want_pdf=False)
    Output.objects.filter(pk=output.pk).update(
        state=Output.State.RUNNING, made_at=output.made_at.replace(year=2020)
    )
    client.force_login(user("thuongtruc"))
    page = client.get(f"/p/07-ctr-tu/documents/{synthesis.pk}/files/").content.decode()
    assert "Bị gián đoạn" in page and "every 1s" not in page


def test_the_database_worker_makes_the_file(
    synthesis, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker closes connections between tasks; inside the test's transaction that would end
    # the test's own connection (PostgreSQL).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    with django_capture_on_commit_callbacks(execute=True):
        output = services.request_output(user=user("thuongtruc"), draft=synthesis, want_pdf=False)
    assert Output.objects.get(pk=output.pk).state == Output.State.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    output.refresh_from_db()
    assert output.state == Output.State.DONE and output.docx


# -- who may draft --------------------------------------------------------------------------


def test_a_reporter_drafts_its_own_units_report_only(client, programme):
    client.force_login(user("baocao.dongda"))
    page = client.get("/p/07-ctr-tu/documents/")
    kinds = [value for value, _label in page.context["form"].fields["kind"].choices]
    assert kinds == ["unit_report"]
    thuong_tin = OrgUnit.objects.get(code="279")
    refused = client.post(
        "/p/07-ctr-tu/documents/",
        {"kind": "unit_report", "period": "2024S1", "unit": thuong_tin.pk},
    )
    assert refused.status_code == 200 and refused.context["form"].errors
    before = Draft.objects.count()
    dong_da = OrgUnit.objects.get(code="006")
    made_one = client.post(
        "/p/07-ctr-tu/documents/", {"kind": "unit_report", "period": "2024S2", "unit": dong_da.pk}
    )
    assert made_one.status_code == 302 and Draft.objects.count() == before + 1
    draft = Draft.objects.latest("pk")
    assert draft.unit == dong_da and draft.issuer == "ỦY BAN NHÂN DÂN QUẬN ĐỐNG ĐA"
    synthesis = client.post("/p/07-ctr-tu/documents/", {"kind": "synthesis", "period": "2024S1"})
    assert "kind" in synthesis.context["form"].errors


def test_a_synthesis_needs_a_period(client):
    client.force_login(user("thuongtruc"))
    response = client.post("/p/07-ctr-tu/documents/", {"kind": "synthesis", "period": ""})
    assert response.context["form"].errors["period"] == ["Hãy chọn kỳ mà văn bản báo cáo."]


def test_the_steering_committee_reads_a_draft_but_cannot_change_it(client, synthesis):
    client.force_login(user("bancd"))
    assert client.get(synthesis.get_absolute_url()).context["may_edit"] is False
    assert client.post(synthesis.get_absolute_url(), {"action": "redraft"}).status_code == 403


# -- the other documents --------------------------------------------------------------------


def test_the_unit_report_gives_the_units_own_figures(programme):
    draft = Draft.objects.get(programme=programme, kind="unit_report")
    document = opened(make(draft, who="baocao.dongda"))
    text = all_text(document)
    assert "ỦY BAN NHÂN DÂN QUẬN ĐỐNG ĐA" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    dong_da = OrgUnit.objects.get(code="006")
    for code, value in Figure.objects.filter(unit=dong_da, period="2024S1", option="").values_list(
        "indicator__name", "value"
    ):
        assert any(
            row.cells[1].text == code and row.cells[4].text == vietnamese(value)
            for table in document.tables
            for row in table.rows
        ), code


def test_the_inspection_notice_lists_the_visits_and_the_directives(programme):
    draft = Draft.objects.get(programme=programme, kind="inspection_notice")
    document = opened(make(draft, who="kiemtra"))
    text = all_text(document)
    assert "THÔNG BÁO" in text and "Kết luận của Đoàn kiểm tra số 1" in text
    for unit in ("Quận Đống Đa", "Huyện Thường Tín", "Sở Thông tin và Truyền thông"):
        assert unit in text
    for directive in Directive.objects.filter(inspection=draft.inspection):
        assert directive.content in text
    assert "TRƯỞNG ĐOÀN" in text and "Nguyễn Văn Phong" in text


@pytest.mark.parametrize(("kind", "year"), [("midterm", "2023"), ("final", "2025")])
def test_reviews_compare_the_last_year_with_the_final_targets(programme, kind, year):
    draft = services.new_draft(user=user("thuongtruc"), programme=programme, kind=kind, period=year)
    text = all_text(opened(make(draft)))
    word = "Sơ kết giữa kỳ" if kind == "midterm" else "Tổng kết"
    assert f"{word} thực hiện Chương trình số 07-CTr/TU" in text
    assert f"Thực hiện năm {year}" in text and "Mục tiêu cuối kỳ" in text
    dated = draft.dated.strftime("%d/%m/%Y")
    assert f"số liệu đến hết ngày 31/12/{year}, lập ngày {dated}" in text


def test_the_midterm_review_counts_the_directives_closed_by_the_end_of_2023(programme):
    end = dt.date(2023, 12, 31)
    given = Directive.objects.filter(programme=programme, given_on__lte=end)
    closed = given.filter(closed_on__lte=end).count()
    # The demo closed more of them since: counted as of today the review would say more.
    assert closed < given.filter(state=Directive.State.DONE).count()
    draft = services.new_draft(
        user=user("thuongtruc"), programme=programme, kind="midterm", period="2023"
    )
    assert (
        f"Trong kỳ có {given.count()} ý kiến chỉ đạo được ban hành, đến hết ngày 31/12/2023 "
        f"đã hoàn thành {closed} ý kiến chỉ đạo." in draft.texts["implementation"]
    )
    facts = content.gather(draft)
    states = {row["number"]: row["state"] for row in facts.directives}
    assert sum(1 for s in states.values() if s == Directive.State.DONE) == closed
    later = given.filter(closed_on__gt=end).first()
    assert later is not None and states[later.number] != Directive.State.DONE


def test_the_final_review_counts_the_tasks_as_the_overview_does(programme):
    draft = services.new_draft(
        user=user("thuongtruc"), programme=programme, kind="final", period="2025"
    )
    page = overview_page(
        user=user("thuongtruc"), programme=programme, root=programme_root(programme), year=2025
    )
    overview = {status: count for status, _label, count in page.plan}
    assert content.gather(draft).plan_counts() == overview
    done = overview.get("done_on_time", 0) + overview.get("done_late", 0)
    assert (
        f"Trong tổng số {sum(overview.values())} nhiệm vụ của Chương trình 07-CTr/TU, "
        f"đến hết năm 2025 đã hoàn thành {done} nhiệm vụ" in draft.texts["implementation"]
    )


# -- templates ------------------------------------------------------------------------------


def edited_template(kind: str, style: str, line: str) -> io.BytesIO:
    """The built-in template with one line added, as an office clerk would in Word."""
    document = docx.Document(io.BytesIO(layout.build(kind, style)))
    document.add_paragraph(line)
    data = io.BytesIO()
    document.save(data)
    data.seek(0)
    data.name = "mau-bao-cao.docx"
    return data


def test_an_uploaded_template_becomes_the_next_version_and_is_used(client, synthesis):
    changed = edited_template(
        "synthesis", "party", "Mẫu của Văn phòng Sở, sửa ngày 20/11/2026: {{ doc.signer_name }}"
    )
    client.force_login(user("thuongtruc"))
    response = client.post(
        "/document-templates/",
        {"layout": "synthesis", "style": "party", "file": changed, "note": "Thêm dòng ghi chú"},
    )
    assert response.status_code == 302
    template = DocumentTemplate.objects.get(layout="synthesis", style="party")
    assert template.version == 1 and template.is_current
    output = make(synthesis)
    assert output.template == template
    assert "Mẫu của Văn phòng Sở, sửa ngày 20/11/2026: Nguyễn Văn Phong" in all_text(opened(output))
    client.post("/document-templates/synthesis/party/0/use/")
    assert services.current_template("synthesis", "party") is None


def test_a_file_that_is_not_a_word_template_is_refused_and_nothing_is_stored(client):
    client.force_login(user("thuongtruc"))
    bad = io.BytesIO(b"Ma,Ten\n01,Ha Noi\n")
    bad.name = "mau.docx"
    response = client.post(
        "/document-templates/", {"layout": "synthesis", "style": "state", "file": bad}
    )
    assert response.context["form"].errors["file"] == ["Tệp này không phải tệp Word (.docx)."]
    assert not DocumentTemplate.objects.exists()


def test_a_template_with_an_unknown_field_is_refused_with_its_name(client):
    data = edited_template("unit_report", "state", "{{ so_lieu_bi_go_sai }}")
    client.force_login(user("thuongtruc"))
    response = client.post(
        "/document-templates/", {"layout": "unit_report", "style": "state", "file": data}
    )
    assert "so_lieu_bi_go_sai" in response.context["form"].errors["file"][0]
    assert not DocumentTemplate.objects.exists()


# -- PDF ------------------------------------------------------------------------------------


@pytest.mark.pdf
@needs("soffice")
@needs("pdftoppm")
def test_the_pdf_is_a4_with_the_figures_and_renders_to_png(client, synthesis, tmp_path):
    from pypdf import PdfReader

    output = make(synthesis, pdf=True)
    assert output.pdf, output.pdf_problem
    client.force_login(user("thuongtruc"))
    files = client.get(f"/p/07-ctr-tu/documents/{synthesis.pk}/files/").content.decode()
    assert f"/p/07-ctr-tu/documents/files/{output.pk}.pdf" in files
    reader = PdfReader(io.BytesIO(bytes(output.pdf)))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "BÁO CÁO" in text
    city = OrgUnit.objects.get(code="01")
    figure = Figure.objects.filter(unit=city, period="2024S1", option="").first()
    assert vietnamese(figure.value) in text
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(bytes(output.pdf))
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "trang")],
        check=True,
    )
    pages = sorted(tmp_path.glob("trang-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 5000 for p in pages)


def linked_picture(document, target: str) -> None:
    """A picture the document links to instead of holding (Word: Insert > Pictures > Link to
    File): what the template check refuses, here handed to the printer as if it had not."""
    from lxml import etree

    rid = document.part.relate_to(target, RT.IMAGE, is_external=True)
    document.element.body.insert(
        0,
        etree.fromstring(
            f'''<w:p xmlns:w="{NS["w"]}" xmlns:r="{NS["r"]}" xmlns:wp="{NS["wp"]}"
            xmlns:a="{NS["a"]}" xmlns:pic="{NS["pic"]}"><w:r><w:drawing><wp:inline>
            <wp:extent cx="914400" cy="914400"/><wp:docPr id="90" name="Logo"/><a:graphic>
            <a:graphicData uri="{NS["pic"]}"><pic:pic><pic:nvPicPr><pic:cNvPr id="90" name="Logo"/>
            <pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:link="{rid}"/><a:stretch>
            <a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>
            <a:ext cx="914400" cy="914400"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr>
            </pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'''
        ),
    )


@needs("soffice")
def test_printing_to_pdf_reads_and_fetches_nothing_a_document_links_to(tmp_path):
    import http.server
    import threading

    from pypdf import PdfReader

    fetched = []

    class Server(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            fetched.append(self.path)
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        seal = tmp_path / "con-dau.png"
        seal.write_bytes(red_square_png())
        document = docx.Document(io.BytesIO(layout.build("synthesis", "party")))
        linked_picture(document, seal.as_uri())
        linked_picture(document, f"http://127.0.0.1:{server.server_port}/logo-so-khcn.png")
        data = io.BytesIO()
        document.save(data)
        pdf = to_pdf(data.getvalue())
    finally:
        server.shutdown()
    assert fetched == []
    assert [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images] == []


def red_square_png(side: int = 40) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc8\x10\x2e" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_command_line_makes_the_file_with_a_progress_bar_and_queues_nothing(
    synthesis, tmp_path, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        call_command(
            "make_document", synthesis.pk, "--user", "thuongtruc", "--out", tmp_path / "bc"
        )
    assert queued == []  # a running worker would otherwise make the same file again
    assert (tmp_path / "bc.docx").stat().st_size > 50_000
    assert "document: 100%" in capsys.readouterr().err
    assert synthesis.outputs.get().made_by.username == "thuongtruc"


def test_a_files_download_name_is_plain_ascii_whatever_the_units_code(client, programme):
    draft = Draft.objects.get(programme=programme, kind="unit_report")
    OrgUnit.objects.filter(pk=draft.unit_id).update(code='006"; f=a.html')
    draft.refresh_from_db()
    output = make(draft)
    client.force_login(user("thuongtruc"))
    response = client.get(f"/p/07-ctr-tu/documents/files/{output.pk}.docx")
    assert response["Content-Disposition"] == (
        f'attachment; filename="unit_report-07-ctr-tu-2024S1-006-f-a-html-{output.pk}.docx"'
    )
