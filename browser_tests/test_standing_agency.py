"""Journey 3: the standing agency follows completeness, reads the dashboard with its charts drawn
and makes the city's H1 2024 synthesis report as Word (and PDF where LibreOffice is installed)."""

import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from playwright.sync_api import expect

from browser_tests.browsing import PROGRAMME, programme_menu

pytestmark = pytest.mark.read_only


def test_standing_agency_sees_who_reported_the_half_year_form(site):
    page = site.sign_in("thuongtruc")
    programme_menu(page).get_by_role("link", name="Báo cáo").click()
    page.get_by_role("link", name="BC6T-DP").click()
    page.get_by_label("Kỳ báo cáo").select_option(label="6 tháng đầu năm 2025")
    expect(page).to_have_url(PROGRAMME + "/reports/BC6T-DP/?period=2025S1")

    counts = page.locator("dl.counts")
    expected = int(counts.locator("dt:text-is('Số đơn vị phải báo cáo') + dd").inner_text())
    status = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="Thời hạn nộp")
    )
    rows = status.locator("tbody tr")
    expect(rows).to_have_count(expected)
    assert expected >= 30  # the 30 district-level units of Hanoi report each half-year
    # Đống Đa left its H1 2025 report as a draft: past the deadline, it shows as overdue.
    dong_da = rows.filter(has=page.get_by_role("link", name="Quận Đống Đa", exact=True))
    expect(dong_da.locator("td").nth(1)).to_contain_text("Quá hạn")
    expect(dong_da.locator("td").nth(2)).to_have_text("Bản nháp")
    overdue = int(counts.locator("dt:text-is('Quá hạn') + dd").inner_text())
    expect(status.locator("tbody tr.status-overdue")).to_have_count(overdue)


def test_standing_agency_dashboard_draws_every_chart(site):
    page = site.sign_in("thuongtruc")  # the start page is the programme's overview
    expect(page).to_have_url(re.compile(re.escape(PROGRAMME) + "/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Chương trình 07-CTr/TU")
    charts = page.locator("[data-vega-spec]")
    assert charts.count() >= 2
    # vega-embed draws an <svg> into each chart element once the bundle has loaded.
    expect(page.locator("[data-vega-spec] svg")).to_have_count(charts.count(), timeout=30_000)
    for i in range(charts.count()):
        chart = charts.nth(i)
        expect(chart).not_to_have_attribute("data-vega-embedded", "error")
        assert chart.locator("svg .role-mark > *").count() > 0  # marks drawn, not just axes
        box = chart.locator("svg").first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50


def test_standing_agency_makes_the_h1_2024_synthesis_report(site, worker):
    page = site.sign_in("thuongtruc")
    programme_menu(page).get_by_role("link", name="Văn bản").click()
    drafts = page.get_by_role("table", name="Dự thảo")
    synthesis = (
        drafts.get_by_role("row")
        .filter(has_text="6 tháng đầu năm 2024")
        .filter(has_not_text="Quận Đống Đa")
    )
    synthesis.get_by_role("link").click()
    expect(page).to_have_url(PROGRAMME + "/documents/1/")

    with_pdf = bool(shutil.which("soffice") or shutil.which("libreoffice"))
    if os.environ.get("STEER_REQUIRE_PDF") == "1" and not with_pdf:
        pytest.fail("LibreOffice is required here (STEER_REQUIRE_PDF=1)")
    button = "Lưu và tạo tệp Word, PDF" if with_pdf else "Lưu và tạo tệp Word"
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("Đang tạo tệp")
    # The list of files is polled every second until the worker has made them.
    word = page.locator("#outputs").get_by_role("link", name="Word", exact=True)
    expect(word).to_be_visible(timeout=120_000)

    with page.expect_download() as download:
        word.click()
    assert download.value.suggested_filename.endswith(".docx")
    data = Path(download.value.path()).read_bytes()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "07-CTr/TU" in text
    assert "6 tháng đầu năm 2024" in text

    if with_pdf:
        pdf_link = page.locator("#outputs").get_by_role("link", name="PDF", exact=True)
        with page.expect_download() as download:
            pdf_link.click()
        assert download.value.suggested_filename.endswith(".pdf")
        reader = pypdf.PdfReader(download.value.path())
        assert len(reader.pages) >= 2
        assert "07-CTr/TU" in reader.pages[0].extract_text()
