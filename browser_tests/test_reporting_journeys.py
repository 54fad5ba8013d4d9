"""Journeys 1 and 2: a district reports its half-year figures on the web and through the Excel
workbook; its head returns the report once with a reason, then approves it."""

import re
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from browser_tests.browsing import PROGRAMME
from browser_tests.reporting_pages import (
    FORM,
    PERIOD,
    PERIOD_LABEL,
    REPORT_URL,
    enter_and_submit,
    figure,
    open_report,
    state,
    submit,
    this_period,
    workflow,
)

# What Đống Đa had not entered yet for H1 2025 (CT07 is optional, CT20 and CT30 block a submit).
MISSING = {"CT07": "31", "CT20": "100", "CT30": "52"}


def test_reporter_fills_and_submits_the_half_year_report_on_the_web(site):
    page = site.sign_in("baocao.dongda")
    open_report(page)
    expect(state(page)).to_have_text("Bản nháp")
    expect(page.locator(".warnings")).to_contain_text("CT30 chưa có số liệu.")

    figure(page, "CT30").fill("1,5")  # a count of initiatives must be a whole number
    expect(page.locator("#v-CT30-msg .field-error")).to_be_visible()
    enter_and_submit(page, MISSING)

    page.reload()
    for code, value in MISSING.items():
        expect(this_period(page, code)).to_have_text(value)
    expect(page.get_by_role("button", name="Lưu bản nháp")).to_have_count(0)
    expect(workflow(page)).to_have_count(1)
    expect(workflow(page).first).to_contain_text("Đã nộp")


def test_reporter_fills_the_report_through_the_excel_workbook(site, tmp_path: Path):
    page = site.sign_in("baocao.dongda")
    open_report(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải biểu mẫu Excel").click()
    name = download.value.suggested_filename
    assert name.startswith(f"{FORM}_{PERIOD}_006_") and name.endswith(".xlsx")

    workbook_path = tmp_path / name
    download.value.save_as(workbook_path)
    book = openpyxl.load_workbook(workbook_path)
    sheet = book["Số liệu"]
    assert sheet["C7"].value == "Mã chỉ tiêu" and sheet["I7"].value == "Số liệu kỳ này"
    rows = {sheet[f"C{r}"].value: r for r in range(8, sheet.max_row + 1) if sheet[f"C{r}"].value}
    assert set(MISSING) <= set(rows)
    for code, value in MISSING.items():
        sheet[f"I{rows[code]}"] = int(value)
        sheet[f"J{rows[code]}"] = "Chính thức"
    sheet[f"I{rows['CT18']}"] = 96.1  # corrected: 95.6 counted only the full-service procedures
    sheet[f"K{rows['CT18']}"] = "Tính cả dịch vụ công trực tuyến một phần"
    book.save(workbook_path)

    page.get_by_role("link", name="tải lên tệp đã nhập số liệu").click()
    expect(page).to_have_url(PROGRAMME + "/import/")
    page.get_by_label("Tệp").set_input_files(workbook_path)
    page.get_by_role("button", name="Kiểm tra và xem trước").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Xem trước: {name}")
    counts = page.locator("dl.counts")
    expect(counts.locator("dt:text-is('Giá trị mới') + dd")).to_have_text("3")
    expect(counts.locator("dt:text-is('Giá trị thay đổi') + dd")).to_have_text("1")
    expect(counts.locator("dt:text-is('Giá trị bị xóa') + dd")).to_have_text("0")
    changed = page.locator("tr.change-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("CT18")
    expect(changed).to_contain_text("95,6")
    expect(changed).to_contain_text("96,1")

    page.get_by_role("button", name="Xác nhận và ghi").click()
    expect(page).to_have_url(re.compile(re.escape(REPORT_URL) + "$"))
    expect(page.locator("ul.messages")).to_have_text(
        "Đã ghi: 3 giá trị mới, 1 giá trị thay đổi, 0 giá trị bị xóa."
    )
    for code, value in {**MISSING, "CT18": "96,1"}.items():
        expect(figure(page, code)).to_have_value(value)
    expect(page.get_by_label("Ghi chú").nth(3)).to_have_value(
        "Tính cả dịch vụ công trực tuyến một phần"
    )
    submit(page)


def test_unit_head_returns_the_report_once_then_approves_it(site):
    reporter = site.sign_in("baocao.dongda")
    open_report(reporter)
    enter_and_submit(reporter, MISSING)

    head = site.sign_in("lanhdao.dongda")
    open_report(head)
    expect(state(head)).to_have_text("Đã nộp")
    expect(head.get_by_role("button", name="Phê duyệt (khóa số liệu)")).to_be_visible()
    # Returning without a reason is refused and changes nothing.
    head.get_by_role("button", name="Trả lại để chỉnh sửa").click()
    expect(head.locator("ul.messages")).to_have_text("Cần nhập lý do trả lại hoặc mở lại báo cáo.")
    expect(state(head)).to_have_text("Đã nộp")
    reason = "Số sáng kiến 52 chưa khớp Quyết định công nhận của UBND quận; đề nghị rà soát lại."
    head.get_by_label("Lý do (bắt buộc khi trả lại hoặc mở lại)").fill(reason)
    head.get_by_role("button", name="Trả lại để chỉnh sửa").click()
    expect(state(head)).to_have_text("Bị trả lại")

    # The reporter learns of it from the notifications and reads the reason on the report.
    reporter.get_by_role("link", name=re.compile("^Thông báo")).click()
    notice = reporter.locator("ul.notifications li.unread").filter(has_text=reason)
    expect(notice).to_contain_text(f"{PERIOD_LABEL} bị trả lại")
    notice.get_by_role("link").click()
    expect(reporter).to_have_url(re.compile(re.escape(REPORT_URL)))
    expect(state(reporter)).to_have_text("Bị trả lại")
    expect(reporter.locator("main")).to_contain_text(f"“{reason}”")
    enter_and_submit(reporter, {"CT30": "49"})

    head.reload()
    expect(state(head)).to_have_text("Đã nộp")
    head.get_by_role("button", name="Phê duyệt (khóa số liệu)").click()
    expect(state(head)).to_have_text("Lãnh đạo đơn vị đã phê duyệt")
    expect(this_period(head, "CT30")).to_have_text("49")

    reporter.reload()
    expect(state(reporter)).to_have_text("Lãnh đạo đơn vị đã phê duyệt")
    expect(figure(reporter, "CT30")).to_have_count(0)  # the approved figures are locked
    history = workflow(reporter)
    expect(history).to_have_count(4)
    expect(history.nth(1)).to_contain_text(f"Bị trả lại · Phạm Văn Hùng: “{reason}”")
