"""Word templates are code users write: only the documented fields and filters pass, at upload and
again before every rendering, and rendering happens in Jinja's sandbox (docs/documents.md,
steer/documents/sandbox.py). The attacks: the issue's payload and its variants."""

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.functional import Promise
from django_tasks_db.models import DBTaskResult
from docxtpl import DocxTemplate

from steer.accounts.models import User
from steer.documents import content, fields, layout, sandbox, services
from steer.documents.models import DocumentTemplate, Draft, Output
from steer.documents.render import Chart

pytestmark = pytest.mark.django_db

FOOTNOTES_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def popen(marker: Path) -> str:
    """The issue's payload: find subprocess.Popen through a field and run it."""
    return (
        "{% for c in doc.__class__.__mro__[-1].__subclasses__() %}"
        "{% if c.__name__ == 'Popen' %}{{ c(['touch', '" + str(marker) + "']) }}{% endif %}"
        "{% endfor %}"
    )


def word(line: str, *, where="body", base: bytes | None = None) -> bytes:
    """A template with a line added, as a clerk would in Word: in the body, the page header or
    footer, the file's title (File > Info) or a footnote. The base is a short report (fast)."""
    document = docx.Document(io.BytesIO(base) if base else None)
    if base is None:
        document.add_paragraph("BÁO CÁO")
        document.add_paragraph("Kết quả thực hiện Chương trình số {{ doc.number }}")
    document.add_paragraph("Ghi chú của Văn phòng Sở Khoa học và Công nghệ:")
    section = document.sections[0]
    if where == "body":
        document.add_paragraph(line)
    elif where == "header":
        section.header.add_paragraph(line)
    elif where == "footer":
        section.footer.add_paragraph(line)
    elif where == "property":
        document.core_properties.title = line
    data = io.BytesIO()
    document.save(data)
    return with_footnote(data.getvalue(), line) if where == "footnotes" else data.getvalue()


def rezipped(data: bytes, change) -> bytes:
    """The .docx with its parts (name: bytes) changed by change(parts), as a clerk's tool might
    write it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    change(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
    return out.getvalue()


def with_footnote(data: bytes, line: str) -> bytes:
    """The file with a footnotes part holding the line (python-docx cannot write one)."""

    def add(parts: dict) -> None:
        parts["word/footnotes.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W}">'
            f'<w:footnote w:id="1"><w:p><w:r><w:t>{escape(line)}</w:t></w:r></w:p></w:footnote>'
            "</w:footnotes>"
        ).encode()
        parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
            b"</Relationships>",
            f'<Relationship Id="rIdFootnotes" Type="{FOOTNOTES_TYPE}" '
            'Target="footnotes.xml"/></Relationships>'.encode(),
        )
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            f'<Override PartName="/word/footnotes.xml" ContentType="{sandbox.FOOTNOTES}"/>'
            "</Types>".encode(),
        )

    return rezipped(data, add)


def upload(client, data: bytes, kind="unit_report", style="state"):
    client.force_login(User.objects.get(username="thuongtruc"))
    file = io.BytesIO(data)
    file.name = "mau-bao-cao-don-vi.docx"
    return client.post("/document-templates/", {"layout": kind, "style": style, "file": file})


def refusal(response) -> str:
    assert response.status_code == 200, "the template was accepted"
    return response.context["form"].errors["file"][0]


def stored_hostile(data: bytes, kind="unit_report", style="state") -> DocumentTemplate:
    """A template put in use without the check: uploaded before it existed, or written into the
    database directly."""
    return DocumentTemplate.objects.create(
        layout=kind, style=style, version=1, content=data, is_current=True
    )


@pytest.fixture
def unit_report(programme) -> Draft:
    return Draft.objects.get(programme=programme, kind="unit_report")


def make(draft: Draft) -> Output:
    output = services.request_output(
        user=User.objects.get(username="thuongtruc"), draft=draft, want_pdf=False
    )
    return services.make_output(output_id=output.pk)


# -- what passes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", layout.KINDS)
@pytest.mark.parametrize("style", layout.STYLES)
def test_every_built_in_template_passes_the_check(kind, style):
    services.check_template(layout.build(kind, style), kind)


def shape_problems(value, kind, path: str) -> list[str]:
    """How a context differs from its documented fields."""
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            return [f"{path}: not a record"]
        problems = [f"{path}.{k}: not documented" for k in value.keys() - kind.keys()]
        problems += [f"{path}.{k}: documented, missing" for k in kind.keys() - value.keys()]
        for key in kind.keys() & value.keys():
            problems += shape_problems(value[key], kind[key], f"{path}.{key}")
        return problems
    if isinstance(kind, fields.Sections):
        problems = [f"{path}[{k!r}]: not documented" for k in value if not kind.has(k)]
        return problems + [f"{path}.{k}: documented, missing" for k in kind.names if k not in value]
    if isinstance(kind, list):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [p for item in value for p in shape_problems(item, kind[0], f"{path}[]")]
    if kind == fields.IMAGE:
        return [] if value is None or isinstance(value, Chart) else [f"{path}: not a chart"]
    plain = isinstance(value, str | int | float | bool | Promise | None)  # Promise: a label
    return [] if plain else [f"{path}: not a value ({type(value).__name__})"]


def test_the_documented_fields_are_exactly_what_each_documents_context_holds(programme):
    drafts = list(Draft.objects.filter(programme=programme))
    drafts.append(
        services.new_draft(
            user=User.objects.get(username="thuongtruc"),
            programme=programme,
            kind="midterm",
            period="2023",
        )
    )
    assert {d.layout for d in drafts} == set(fields.CONTEXTS)
    for draft in drafts:
        context = content.context(draft, content.gather(draft))
        assert shape_problems(context, fields.CONTEXTS[draft.layout], draft.kind) == []


def field_names(kind) -> set[str]:
    if isinstance(kind, dict):
        return set(kind).union(*(field_names(inner) for inner in kind.values()))
    if isinstance(kind, list):
        return field_names(kind[0])
    if isinstance(kind, fields.Sections):
        return {*kind.names, *kind.numbered}
    return set()


def test_every_field_filter_and_test_is_in_the_documentation():
    text = (Path(settings.BASE_DIR) / "docs" / "documents.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([^`]+)`", text))
    documented = {
        word for name in named for word in re.split(r"[\s.,:\[\]\"()|]+", name) if word
    } | named
    for context in fields.CONTEXTS.values():
        assert field_names(context) <= documented
    assert set(fields.FILTERS) <= documented
    assert set(fields.TESTS) - {"==", "!=", "<", "<=", ">", ">="} <= documented


CUSTOMISED = {
    "body": [
        "Kính gửi: {{ doc.recipients|first|default('Sở Khoa học và Công nghệ') }}",
        "Chủ trì {{ tables.plan_items|length }} nhiệm vụ. Chỉ tiêu: "
        "{% for r in tables.indicators.rows %}{{ loop.index }}. {{ r.code|upper }}"
        "{% if not loop.last %}; {% endif %}{% endfor %}.",
        "{% if tables.indicators.rows|length > 0 and doc.signer_name is defined %}"
        "Số chỉ tiêu báo cáo: {{ tables.indicators.rows|length }}{% endif %}",
        "{% set dau = texts.intro|first %}Tóm tắt: {{ dau[0:20] }}",
    ],
    "header": "{{ doc.issuer|title }} · {{ doc.number|trim }}",
}


def test_a_customised_template_with_documented_fields_is_accepted_and_renders(client, unit_report):
    document = docx.Document(io.BytesIO(layout.build("unit_report", "state")))
    for line in CUSTOMISED["body"]:
        document.add_paragraph(line)
    document.sections[0].header.add_paragraph(CUSTOMISED["header"])
    data = io.BytesIO()
    document.save(data)
    response = upload(client, data.getvalue())
    assert response.status_code == 302, response.context["form"].errors
    output = make(unit_report)
    assert output.state == Output.State.DONE, output.error
    made = docx.Document(io.BytesIO(bytes(output.docx)))
    text = "\n".join(p.text for p in made.paragraphs)
    context = content.context(unit_report, content.gather(unit_report))
    rows = context["tables"]["indicators"]["rows"]
    assert f"Kính gửi: {context['doc']['recipients'][0]}" in text
    codes = "; ".join(f"{i}. {r['code'].upper()}" for i, r in enumerate(rows, 1))
    assert f"Chủ trì {len(context['tables']['plan_items'])} nhiệm vụ. Chỉ tiêu: {codes}." in text
    assert f"Số chỉ tiêu báo cáo: {len(rows)}" in text
    assert f"Tóm tắt: {context['texts']['intro'][0][:20]}" in text
    headers = "\n".join(p.text for p in made.sections[0].header.paragraphs)
    assert context["doc"]["issuer"].title() in headers


# -- what is refused -------------------------------------------------------------------------------

NESTED = (
    "{% for a in tables.plan_items %}{% for b in tables.plan_items %}"
    "{% for c in tables.plan_items %}{{ c.n }}{% endfor %}{% endfor %}{% endfor %}"
)
HOSTILE = [
    # (the field typed in Word, what the message names)
    ("{{ doc.__class__ }}", "doc.__class__"),
    ("{{ doc.number.__class__.__base__ }}", "doc.number.__class__"),
    ("{{ texts.intro.__globals__ }}", "texts.intro.__globals__"),
    ("{{ doc|attr('__class__') }}", "doc|attr(…)"),
    ("{{ doc.title.mro() }}", "doc.title.mro(…)"),
    ("{{ doc.__class__.mro() }}", "doc.__class__.mro(…)"),
    ("{{ cycler.__init__.__globals__.os }}", "cycler"),
    ("{{ joiner() }}", "joiner(…)"),
    ("{% set ns = namespace(x=1) %}", "namespace(…)"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range(…)"),
    ("{% include 'documents/draft_detail.html' %}", "{% include %}"),
    ("{% import 'documents/_outputs.html' as m %}", "{% import %}"),
    ("{% extends 'base.html' %}", "{% extends %}"),
    ("{{ self }}", "self"),
    ("{{ self._TemplateReference__context }}", "self"),
    ("{{ lipsum(10, false, 10**9, 10**9) }}", "lipsum(…)"),
    ('{{ "{0.__class__.__init__.__globals__}".format(doc) }}', ".format(…)"),
    ('{{ "{0}".format_map(doc) }}', ".format_map(…)"),
    ("{{ '%s'|format(doc) }}", "|format(…)"),
    ("{{ '%s' % doc }}", "%"),
    ("{{ doc.number * 1000000000 }}", "doc.number * 1000000000"),
    ("{{ doc.title|join(', ', '__class__') }}", "doc.title|join(…)"),
    ("{{ doc.title|map(attribute='__class__')|list }}", "|map(…)"),
    ("{{ doc.title|sort(attribute='__class__') }}", "|sort(…)"),
    ("{% autoescape false %}{{ doc.issuer }}{% endautoescape %}", "{% autoescape %}"),
    ("{% macro m() %}{{ caller }}{% endmacro %}", "{% macro %}"),
    ("{% set x = doc %}{{ x._private }}", "x._private"),
    ("{{ loop.cycle('a', 'b') }}", "loop"),
    ("{% for x in doc %}{{ x }}{% endfor %}", "{% for … in doc %}"),
    ("{% for line in doc.title recursive %}{{ loop(line) }}{% endfor %}", "doc.title"),
    (NESTED, "{% for … in tables.plan_items %}"),
    ("{% for r in tables.plan_items %}{% endfor %}" * 201, "tables.plan_items"),
    ("{{ doc.title" + "|first" * 60 + " }}", ""),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", ""),
    ("{{ 1" + "0" * 5000 + " }}", ""),
    ("{{ doc.number }", "unexpected '}'"),
]


@pytest.mark.parametrize(("field", "named"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_a_hostile_field_is_refused_by_the_upload_check_named_and_placed(field, named):
    with pytest.raises(services.DocumentError) as refused:
        services.check_template(word(field), "unit_report")
    message = str(refused.value)
    assert message.startswith("Không dùng được mẫu này: “")
    assert named in message
    assert "Vị trí: phần thân văn bản" in message


def test_the_issues_payload_is_refused_at_upload_and_runs_nothing(client, tmp_path):
    marker = tmp_path / "da-chay"
    message = refusal(upload(client, word(popen(marker))))
    assert "doc.__class__.__mro__[-1].__subclasses__(…)" in message
    assert "không được gọi hàm" in message
    assert (
        "phần thân văn bản, khoảng đoạn thứ" in message and "{% for c in doc.__class__" in message
    )
    assert not DocumentTemplate.objects.exists() and not marker.exists()


@pytest.mark.parametrize(
    ("where", "part"),
    [
        ("header", "phần đầu trang"),
        ("footer", "phần chân trang"),
        ("footnotes", "phần chú thích cuối trang"),
        ("property", "thuộc tính của tệp"),
    ],
)
def test_a_hostile_field_outside_the_body_is_refused_naming_the_part(client, where, part):
    message = refusal(upload(client, word("{{ doc.__class__ }}", where=where)))
    assert "doc.__class__" in message and part in message
    assert not DocumentTemplate.objects.exists()


def test_a_field_of_another_document_is_refused_for_this_one(client):
    message = refusal(upload(client, word("{{ visits|length }}")))
    assert "“visits”" in message and "annex, charts, doc, tables, texts" in message
    message = refusal(upload(client, word("{{ texts.lessons }}"), "synthesis"))
    assert "“texts.lessons”" in message


def linked_picture(target: str) -> bytes:
    """A template whose picture is linked, not inserted: LibreOffice would fetch the target."""
    document = docx.Document()
    document.add_paragraph("Biểu trưng của Sở: {{ doc.issuer }}")
    document.add_picture(io.BytesIO(PNG))
    data = io.BytesIO()
    document.save(data)

    def link(parts: dict) -> None:
        rels = parts["word/_rels/document.xml.rels"].decode()
        parts["word/_rels/document.xml.rels"] = re.sub(
            r'Target="media/image1.png"', f'Target="{target}" TargetMode="External"', rels
        ).encode()
        parts["word/document.xml"] = parts["word/document.xml"].replace(b"r:embed=", b"r:link=")
        del parts["word/media/image1.png"]

    return rezipped(data.getvalue(), link)


# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63"
    "f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


@pytest.mark.parametrize("target", ["file:///etc/ssl/certs/anh.png", "http://10.0.0.5/noi-bo.png"])
def test_a_picture_linked_from_outside_the_file_is_refused(client, target):
    message = refusal(upload(client, linked_picture(target)))
    # Refused by the upload rule, which every upload meets first (the template check refuses
    # the same link in a stored template: test_a_stored_template_linking_a_picture…).
    assert f"liên kết tới một tệp hoặc địa chỉ bên ngoài nó ({target})" in message
    assert not DocumentTemplate.objects.exists()


# -- a hostile template already stored ----------------------------------------------------------


def test_a_hostile_template_stored_unchecked_fails_the_file_in_the_worker_and_runs_nothing(
    unit_report, tmp_path, settings, django_capture_on_commit_callbacks, monkeypatch
):
    marker = tmp_path / "da-chay"
    stored_hostile(word(popen(marker), where="footer", base=layout.build("unit_report", "state")))
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    with django_capture_on_commit_callbacks(execute=True):
        output = services.request_output(
            user=User.objects.get(username="thuongtruc"), draft=unit_report, want_pdf=False
        )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    output.refresh_from_db()
    assert output.state == Output.State.FAILED and output.docx is None
    assert "__subclasses__" in output.error and "phần chân trang" in output.error
    assert not marker.exists()
    # The worker finished its task normally: the template did not crash it.
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_with_the_check_bypassed_the_sandbox_still_stops_the_payload(
    unit_report, tmp_path, monkeypatch
):
    marker = tmp_path / "da-chay"
    stored_hostile(word(popen(marker), base=layout.build("unit_report", "state")))
    monkeypatch.setattr(sandbox, "check_source", lambda *args, **kwargs: None)
    output = make(unit_report)
    assert output.state == Output.State.FAILED and output.docx is None
    assert output.error.startswith("Mẫu tìm cách truy cập những thứ nằm ngoài")
    assert not marker.exists()


def test_a_stored_template_linking_a_picture_from_the_server_fails_the_file(unit_report):
    stored_hostile(linked_picture("file:///etc/ssl/certs/anh.png"))
    output = make(unit_report)
    assert output.state == Output.State.FAILED and output.docx is None
    assert "file:///etc/ssl/certs/anh.png" in output.error


def test_a_template_making_an_enormous_document_fails_cleanly(unit_report, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 5_000)
    output = make(unit_report)
    assert output.state == Output.State.FAILED
    assert output.error == "Mẫu tạo ra một văn bản quá lớn, không thể tạo tệp."


def test_the_check_reads_every_part_docxtpl_renders():
    rendered = []

    class Recording(sandbox.Environment):
        def from_string(self, source, globals=None, template_class=None):
            rendered.append(source)
            return super().from_string(source, globals, template_class)

    document = docx.Document()
    document.add_paragraph("Số: {{ doc.number }}")
    document.sections[0].header.add_paragraph("{{ doc.issuer }}")
    document.sections[0].footer.add_paragraph("{{ doc.place_date }}")
    document.core_properties.title = "{{ doc.type_name }}"
    data = io.BytesIO()
    document.save(data)
    data = with_footnote(data.getvalue(), "{{ doc.reference }}")
    context = {"doc": dict.fromkeys(fields.DOC, "")}
    DocxTemplate(io.BytesIO(data)).render(context, Recording("unit_report"))
    checked = [source for _part, source in sandbox.sources(DocxTemplate(io.BytesIO(data)))]
    assert {s for s in rendered if s} <= set(checked)
    assert [sandbox.part_of(s) for s in checked if "doc." in s] == [
        "body",
        "header",
        "footer",
        "property",
        "footnotes",
    ]
