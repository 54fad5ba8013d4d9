"""Steps on the report pages shared by the reporting journeys."""

import re

from playwright.sync_api import Locator, Page, expect

from browser_tests.browsing import PROGRAMME, programme_menu

FORM = "BC6T-DP"
# Đống Đa's half-year report for H1 2025 is still a draft in the demo; the district was merged
# into wards on 1/7/2025, so it has no report for H2 2025.
PERIOD, PERIOD_LABEL = "2025S1", "6 tháng đầu năm 2025"
DONG_DA = "Quận Đống Đa"
REPORT_URL = f"{PROGRAMME}/reports/{FORM}/{PERIOD}/006/"


def open_report(page: Page) -> None:
    """From the programme's menu to Đống Đa's H1 2025 report, as a user finds it."""
    programme_menu(page).get_by_role("link", name="Báo cáo").click()
    page.get_by_role("link", name=FORM, exact=True).click()
    page.get_by_label("Kỳ báo cáo").select_option(label=PERIOD_LABEL)
    expect(page).to_have_url(re.compile(rf"period={PERIOD}$"))
    page.get_by_role("link", name=DONG_DA, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(REPORT_URL) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{DONG_DA}: ")


def _row(page: Page, code: str) -> Locator:
    return page.locator("table.entry tbody tr").filter(
        has=page.get_by_role("rowheader", name=re.compile(rf"^{code}\. "))
    )


def figure(page: Page, code: str) -> Locator:
    """The field of this period's figure on the row of an indicator, found by its accessible
    name (the row's indicator and the column), as a screen reader announces it."""
    return page.get_by_role("textbox", name=re.compile(rf"^{code}\. .+ Số liệu kỳ này$"))


def this_period(page: Page, code: str) -> Locator:
    """The cell of this period's figure (a field while the report can be edited)."""
    return _row(page, code).get_by_role("cell").nth(3)


def state(page: Page) -> Locator:
    return page.locator("main p").filter(has_text="Trạng thái:").locator("strong")


def submit(page: Page) -> None:
    page.get_by_role("button", name="Lưu và trình lãnh đạo đơn vị").click()
    expect(page.locator("ul.messages")).to_have_text(
        "Đã thực hiện: báo cáo hiện ở trạng thái “Đã nộp”."
    )
    expect(state(page)).to_have_text("Đã nộp")


def enter_and_submit(page: Page, figures: dict[str, str]) -> None:
    for code, value in figures.items():
        figure(page, code).fill(value)
    submit(page)


def workflow(page: Page) -> Locator:
    """The report's workflow events, oldest first."""
    return page.get_by_role("heading", name="Quá trình xử lý").locator(
        "xpath=following-sibling::ul[1]/li"
    )
