"""The built-in Word templates: Decree 30/2020/NĐ-CP layout for state bodies and Guidance
36-HD/VPTW for Party bodies, with docxtpl tags where the data goes.

These are version 1 of each template; office staff download one, change it in Word (wording,
spacing, a logo) and upload it as a new version. The layout is therefore written out here once,
in python-docx, rather than kept as binary files: the same code builds every kind.

Pure: python-docx only. The context each template reads is described in docs/documents.md.
"""

import functools
import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

KINDS = ("synthesis", "unit_report", "review", "inspection_notice")
STYLES = ("state", "party")

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
# Decree 30, appendix I: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
FIRST_LINE_INDENT = Cm(1.27)


@functools.cache
def build(kind: str, style: str) -> bytes:
    """The .docx of the built-in template of a kind of document in a style."""
    if kind not in KINDS or style not in STYLES:
        raise ValueError(f"no built-in template for {kind}/{style}")
    doc = Document()
    _page(doc)
    _styles(doc)
    body = doc.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    _header_block(doc, style)
    _title(doc)
    BODIES[kind](doc)
    _signature_block(doc)
    if kind in ANNEXES:
        ANNEXES[kind](doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- page and styles --------------------------------------------------------------------------


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(10)
    # The page number sits at the top centre from the second page on (Decree 30, appendix I).
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph, "PAGE")


def _field(paragraph, instruction: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        run._r.append(element)
        if kind == "separate":
            number = OxmlElement("w:t")
            number.text = "2"
            run._r.append(number)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    # East-Asian and complex-script slots too, or Word falls back to another font for them.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    body = doc.styles.add_style("Body Text Decree", 1)
    body.base_style = normal
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.first_line_indent = FIRST_LINE_INDENT
    body.paragraph_format.space_before = Pt(6)
    body.paragraph_format.line_spacing = 1.15
    for name, bold, italic in (
        ("Heading Decree 1", True, False),
        ("Heading Decree 2", True, False),
    ):
        heading = doc.styles.add_style(name, 1)
        heading.base_style = body
        heading.font.bold = bold
        heading.font.italic = italic
        heading.paragraph_format.keep_with_next = True
    cell = doc.styles.add_style("Table Text Decree", 1)
    cell.base_style = normal
    cell.font.size = Pt(TABLE_PT)
    cell.paragraph_format.space_before = Pt(2)
    cell.paragraph_format.space_after = Pt(2)


# -- building blocks -----------------------------------------------------------------------


def _para(container, text="", *, style=None, bold=False, italic=False, size=None, align=None):
    paragraph = container.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _centre(container, text, **kwargs):
    return _para(container, text, align=WD_ALIGN_PARAGRAPH.CENTER, **kwargs)


def _rule(container, indent_cm: float) -> None:
    """A short horizontal line under a centred line of the header, drawn as a paragraph border."""
    paragraph = container.add_paragraph()
    paragraph.paragraph_format.left_indent = Cm(indent_cm)
    paragraph.paragraph_format.right_indent = Cm(indent_cm)
    run = paragraph.add_run()
    run.font.size = Pt(2)
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "auto")):
        top.set(qn(f"w:{key}"), value)
    borders.append(top)
    paragraph._p.get_or_add_pPr().append(borders)


def _tag(container, text: str) -> None:
    """A paragraph holding only a docxtpl tag ({%p ... %}): docxtpl removes the paragraph."""
    container.add_paragraph(text)


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _widths(table, widths_cm) -> None:
    # Both the grid and each cell: LibreOffice reads the grid, Word the cells.
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _layout_table(doc, widths_cm):
    table = doc.add_table(rows=1, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _no_borders(table)
    _widths(table, widths_cm)
    for cell in table.rows[0].cells:
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return table.rows[0].cells


def _header_block(doc, style: str) -> None:
    left, right = _layout_table(doc, [6.9, 9.6])
    if style == "party":
        _centre(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, size=15).runs[0].underline = True
        _centre(left, "{{ doc.superior }}", size=13)
        _centre(left, "{{ doc.issuer }}", bold=True, size=13)
        _centre(left, "*", size=13)
        _centre(left, "Số {{ doc.number }}", size=13)
        _para(right, "")
        _centre(right, "{{ doc.place_date }}", italic=True, size=14)
    else:
        _centre(left, "{{ doc.superior }}", size=12)
        _centre(left, "{{ doc.issuer }}", bold=True, size=12)
        _rule(left, 2.2)
        _centre(left, "Số: {{ doc.number }}", size=13)
        _centre(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
        _centre(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=14)
        _rule(right, 2.3)
        _centre(right, "{{ doc.place_date }}", italic=True, size=14)


def _title(doc) -> None:
    _para(doc, "")
    title = _centre(doc, "{{ doc.type_name }}", bold=True, size=14)
    title.paragraph_format.space_before = Pt(12)
    _tag(doc, "{%p for line in doc.title %}")
    _centre(doc, "{{ line }}", bold=True, size=14)
    _tag(doc, "{%p endfor %}")
    _rule(doc, 6.5)


def _heading(doc, text: str, level: int = 1) -> None:
    _para(doc, text, style=f"Heading Decree {level}")


def _text(doc, key: str) -> None:
    """The edited text of a section, paragraph by paragraph."""
    _tag(doc, f"{{%p for line in texts.{key} %}}")
    _para(doc, "{{ line }}", style="Body Text Decree")
    _tag(doc, "{%p endfor %}")


def _chart(doc, expression: str) -> None:
    _tag(doc, f"{{%p if {expression} %}}")
    _centre(doc, f"{{{{ {expression} }}}}")
    _tag(doc, "{%p endif %}")


def _data_table(doc, rows: str, columns: list[tuple[str, float, str, str]]) -> None:
    """A table of data: a header row, then one row per item of `rows`.

    columns: (heading, width in cm, expression of a row `r`, alignment: l, c or r)."""
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    align = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": WD_ALIGN_PARAGRAPH.CENTER}
    align["r"] = WD_ALIGN_PARAGRAPH.RIGHT
    _widths(table, [width for _h, width, _e, _a in columns])
    for i, (heading, _width, expression, where) in enumerate(columns):
        cells = [row.cells[i] for row in table.rows]
        head = cells[0].paragraphs[0]
        head.style = doc.styles["Table Text Decree"]
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
        head.add_run(heading).bold = True
        body = cells[2].paragraphs[0]
        body.style = doc.styles["Table Text Decree"]
        body.alignment = align[where]
        body.add_run(f"{{{{ r.{expression} }}}}")
        if expression in NO_WRAP:
            cells[2]._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
    table.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for r in {rows} %}}")
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    # The header row repeats on every page the table runs onto, and no row is cut in two by a
    # page break (a sliver of a row at the top of a page reads as an empty row).
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:cantSplit"))
    header.append(OxmlElement("w:tblHeader"))
    table.rows[2]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _caption(doc, text: str) -> None:
    paragraph = _centre(doc, text, bold=True, size=13)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(3)
    paragraph.paragraph_format.keep_with_next = True


def _signature_block(doc) -> None:
    _para(doc, "")
    left, right = _layout_table(doc, [8.0, 8.5])
    _para(left, "Nơi nhận:", bold=True, italic=True, size=12)
    _tag(left, "{%p for line in doc.recipients %}")
    _para(left, "{{ line }}", size=11)
    _tag(left, "{%p endfor %}")
    _tag(right, "{%p for line in doc.signer_title %}")
    _centre(right, "{{ line }}", bold=True, size=14)
    _tag(right, "{%p endfor %}")
    for _ in range(4):
        _para(right, "")
    _centre(right, "{{ doc.signer_name }}", bold=True, size=14)


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _annex_heading(doc, number: str, title: str) -> None:
    _page_break(doc)
    _centre(doc, f"Phụ lục {number}", bold=True, size=14)
    _centre(doc, title, bold=True, size=14)
    _centre(doc, "(Kèm theo {{ doc.reference }})", italic=True, size=13)
    _para(doc, "")


# -- the bodies ---------------------------------------------------------------------------

# Codes and dates are never broken across lines: their columns are wide enough for them, and
# Word is told not to wrap them.
NO_WRAP = {"code", "deadline", "given_on", "submitted"}
INDICATOR_COLUMNS = [
    ("TT", 1.0, "n", "c"),
    ("Chỉ tiêu", 5.1, "name", "l"),
    ("Đơn vị tính", 2.0, "unit", "c"),
    ("{{ t.target_heading }}", 2.0, "target", "r"),
    ("{{ t.actual_heading }}", 2.0, "actual", "r"),
    ("{{ t.previous_heading }}", 2.0, "previous", "r"),
    ("Đánh giá", 2.4, "status", "c"),
]


DIRECTIVE_COLUMNS = [
    ("TT", 1.1, "n", "c"),
    ("Nội dung", 6.8, "content", "l"),
    ("Đơn vị thực hiện", 3.8, "assignees", "l"),
    ("Thời hạn", 2.5, "deadline", "c"),
    ("Tình trạng", 2.3, "state", "c"),
]
RECOMMENDATION_COLUMNS = [
    ("TT", 1.1, "n", "c"),
    ("Đơn vị kiến nghị", 3.0, "unit", "l"),
    ("Nội dung", 6.7, "content", "l"),
    ("Cơ quan giải quyết", 3.3, "addressed_to", "l"),
    ("Tình trạng", 2.4, "state", "c"),
]
PLAN_STATUS_COLUMNS = [
    ("TT", 1.1, "n", "c"),
    ("Tình trạng", 10.4, "status", "l"),
    ("Số nhiệm vụ", 5.0, "count", "r"),
]
PLAN_COLUMNS = [
    ("TT", 1.0, "n", "c"),
    ("Nhiệm vụ", 5.9, "title", "l"),
    ("Đơn vị chủ trì", 3.0, "lead", "l"),
    ("Thời hạn", 2.5, "deadline", "c"),
    ("Tiến độ (%)", 1.7, "percent", "r"),
    ("Tình trạng", 2.4, "status", "c"),
]


def _synthesis(doc) -> None:
    _text(doc, "intro")
    _heading(doc, "I. TÌNH HÌNH TRIỂN KHAI THỰC HIỆN")
    _text(doc, "implementation")
    _caption(doc, "Bảng {{ numbering.reporting_table }}. Tình hình gửi báo cáo của các đơn vị")
    _data_table(
        doc,
        "tables.reporting",
        [
            ("TT", 1.1, "n", "c"),
            ("Biểu báo cáo", 6.6, "form", "l"),
            ("Số đơn vị phải báo cáo", 2.5, "expected", "r"),
            ("Đã gửi", 2.0, "submitted", "r"),
            ("Đã phê duyệt", 2.2, "approved", "r"),
            ("Tỷ lệ (%)", 2.3, "rate", "r"),
        ],
    )
    _plan_status(doc)
    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU, CHỈ TIÊU")
    _chart(doc, "charts.objectives")
    _objectives(doc)
    _heading(doc, "III. HẠN CHẾ, TỒN TẠI VÀ NGUYÊN NHÂN")
    _text(doc, "limitations")
    _heading(doc, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ VÀ GIẢI PHÁP TRỌNG TÂM KỲ TỚI")
    _text(doc, "directions")
    _heading(doc, "V. KIẾN NGHỊ, ĐỀ XUẤT")
    _text(doc, "recommendations")
    _recommendations_table(doc)


def _plan_status(doc) -> None:
    _caption(doc, "Bảng {{ numbering.plan_status_table }}. Tình hình thực hiện các nhiệm vụ")
    _data_table(doc, "tables.plan_status", PLAN_STATUS_COLUMNS)
    _chart(doc, "charts.plan")
    _tag(doc, "{%p if tables.directives %}")
    _caption(
        doc,
        "Bảng {{ numbering.directives_table }}. Các ý kiến chỉ đạo trong kỳ và tình hình thực hiện",
    )
    _data_table(doc, "tables.directives", DIRECTIVE_COLUMNS)
    _tag(doc, "{%p endif %}")


def _recommendations_table(doc) -> None:
    _tag(doc, "{%p if tables.recommendations %}")
    _caption(doc, "Bảng {{ numbering.recommendations_table }}. Kiến nghị, đề xuất của các đơn vị")
    _data_table(doc, "tables.recommendations", RECOMMENDATION_COLUMNS)
    _tag(doc, "{%p endif %}")


def _objectives(doc) -> None:
    _tag(doc, "{%p for o in objectives %}")
    _heading(doc, "{{ o.heading }}", 2)
    _tag(doc, "{%p for line in o.text %}")
    _para(doc, "{{ line }}", style="Body Text Decree")
    _tag(doc, "{%p endfor %}")
    _caption(doc, "Bảng {{ o.table_number }}. Kết quả thực hiện các chỉ tiêu của {{ o.code }}")
    _tag(doc, "{%p with t = o.table %}")
    _data_table(doc, "t.rows", INDICATOR_COLUMNS)
    _tag(doc, "{%p endwith %}")
    _chart(doc, "o.chart")
    _tag(doc, "{%p endfor %}")


def _unit_report(doc) -> None:
    _text(doc, "intro")
    _heading(doc, "I. TÌNH HÌNH TRIỂN KHAI THỰC HIỆN")
    _text(doc, "implementation")
    _caption(doc, "Bảng 1. Các nhiệm vụ đơn vị chủ trì, phối hợp thực hiện")
    _data_table(doc, "tables.plan_items", PLAN_COLUMNS)
    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU")
    _text(doc, "results")
    _caption(doc, "Bảng 2. Kết quả thực hiện các chỉ tiêu của đơn vị")
    _tag(doc, "{%p with t = tables.indicators %}")
    _data_table(doc, "t.rows", INDICATOR_COLUMNS)
    _tag(doc, "{%p endwith %}")
    _chart(doc, "charts.status")
    _heading(doc, "III. HẠN CHẾ, TỒN TẠI VÀ NGUYÊN NHÂN")
    _text(doc, "limitations")
    _heading(doc, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI")
    _text(doc, "directions")
    _heading(doc, "V. KIẾN NGHỊ, ĐỀ XUẤT")
    _text(doc, "recommendations")


def _review(doc) -> None:
    _text(doc, "intro")
    _heading(doc, "I. TÌNH HÌNH TRIỂN KHAI THỰC HIỆN")
    _text(doc, "implementation")
    _plan_status(doc)
    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU, CHỈ TIÊU")
    _chart(doc, "charts.objectives")
    _objectives(doc)
    _heading(doc, "III. HẠN CHẾ, TỒN TẠI VÀ NGUYÊN NHÂN")
    _text(doc, "limitations")
    _tag(doc, "{%p if texts.lessons %}")
    _heading(doc, "IV. BÀI HỌC KINH NGHIỆM")
    _text(doc, "lessons")
    _tag(doc, "{%p endif %}")
    _heading(doc, "{{ numbering.directions }}. PHƯƠNG HƯỚNG, NHIỆM VỤ VÀ GIẢI PHÁP")
    _text(doc, "directions")
    _heading(doc, "{{ numbering.recommendations }}. KIẾN NGHỊ, ĐỀ XUẤT")
    _text(doc, "recommendations")
    _recommendations_table(doc)


def _inspection_notice(doc) -> None:
    _text(doc, "intro")
    _caption(doc, "Thành phần Đoàn kiểm tra")
    _data_table(
        doc,
        "tables.team",
        [
            ("TT", 1.1, "n", "c"),
            ("Họ và tên", 4.6, "name", "l"),
            ("Chức vụ, đơn vị", 8.0, "position", "l"),
            ("Nhiệm vụ", 3.0, "role", "c"),
        ],
    )
    _heading(doc, "I. KẾT QUẢ KIỂM TRA TẠI CÁC ĐƠN VỊ")
    _tag(doc, "{%p for v in visits %}")
    _heading(doc, "{{ v.heading }}", 2)
    _tag(doc, "{%p for line in v.text %}")
    _para(doc, "{{ line }}", style="Body Text Decree")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endfor %}")
    _heading(doc, "II. KẾT LUẬN CHUNG")
    _text(doc, "conclusion")
    _heading(doc, "III. YÊU CẦU CÁC ĐƠN VỊ")
    _text(doc, "requests")
    _caption(doc, "Các yêu cầu, chỉ đạo sau kiểm tra")
    _data_table(doc, "tables.directives", DIRECTIVE_COLUMNS)
    _heading(doc, "IV. KIẾN NGHỊ CỦA CÁC ĐƠN VỊ")
    _text(doc, "recommendations")


def _programme_annexes(doc) -> None:
    _annex_heading(doc, "1", "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA CHƯƠNG TRÌNH")
    _tag(doc, "{%p with t = annex.indicators %}")
    _data_table(
        doc,
        "t.rows",
        [
            ("TT", 1.0, "n", "c"),
            ("Mã", 1.6, "code", "c"),
            ("Chỉ tiêu", 4.0, "name", "l"),
            ("Đơn vị tính", 2.0, "unit", "c"),
            ("{{ t.final_heading }}", 1.9, "final", "r"),
            ("{{ t.target_heading }}", 1.9, "target", "r"),
            ("{{ t.actual_heading }}", 1.9, "actual", "r"),
            ("Đánh giá", 2.2, "status", "c"),
        ],
    )
    _tag(doc, "{%p endwith %}")
    _annex_heading(doc, "2", "TÌNH HÌNH THỰC HIỆN CÁC NHIỆM VỤ")
    _data_table(doc, "annex.plan_items", PLAN_COLUMNS)
    _annex_heading(doc, "3", "KINH PHÍ THỰC HIỆN CÁC NHIỆM VỤ")
    _centre(
        doc, "Đơn vị tính: triệu đồng", italic=True, size=13
    ).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _data_table(
        doc,
        "annex.budget",
        [
            ("TT", 1.1, "n", "c"),
            ("Nhiệm vụ", 5.0, "title", "l"),
            ("Ngân sách Thành phố", 2.1, "city", "r"),
            ("Ngân sách cấp huyện", 2.1, "district", "r"),
            ("Nguồn khác", 2.1, "other", "r"),
            ("Tổng kế hoạch", 2.1, "planned", "r"),
            ("Đã giải ngân", 2.1, "disbursed", "r"),
        ],
    )
    _tag(doc, "{%p if annex.by_unit %}")
    _annex_heading(doc, "4", "KẾT QUẢ THỰC HIỆN CHỈ TIÊU THEO ĐƠN VỊ")
    _tag(doc, "{%p for t in annex.by_unit %}")
    _caption(doc, "{{ t.caption }}")
    _data_table(
        doc,
        "t.rows",
        [
            ("TT", 1.1, "n", "c"),
            ("Đơn vị", 5.6, "unit", "l"),
            ("{{ t.target_heading }}", 2.4, "target", "r"),
            ("{{ t.actual_heading }}", 2.4, "actual", "r"),
            ("{{ t.previous_heading }}", 2.4, "previous", "r"),
            ("Đánh giá", 2.8, "status", "c"),
        ],
    )
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if annex.reporting %}")
    _annex_heading(doc, "5", "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ")
    _tag(doc, "{%p for t in annex.reporting %}")
    _caption(doc, "{{ t.caption }}")
    _data_table(
        doc,
        "t.rows",
        [
            ("TT", 1.1, "n", "c"),
            ("Đơn vị", 6.0, "unit", "l"),
            ("Ngày gửi", 2.6, "submitted", "c"),
            ("Thời hạn", 3.0, "timeliness", "c"),
            ("Trạng thái", 3.8, "state", "c"),
        ],
    )
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")


BODIES = {
    "synthesis": _synthesis,
    "unit_report": _unit_report,
    "review": _review,
    "inspection_notice": _inspection_notice,
}
ANNEXES = {"synthesis": _programme_annexes, "review": _programme_annexes}
