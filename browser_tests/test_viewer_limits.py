"""Journey 6: a viewer in Huyện Thường Tín cannot reach another district's report or the import
page, and no link on its pages leads there."""

import re

import pytest
from playwright.sync_api import Page, expect

from browser_tests.browsing import PROGRAMME, programme_menu
from browser_tests.reporting_pages import FORM, PERIOD, PERIOD_LABEL, REPORT_URL

IMPORT_URL = PROGRAMME + "/import/"
REFUSED = [REPORT_URL, REPORT_URL + "workbook/", IMPORT_URL]

pytestmark = pytest.mark.read_only


def links(page: Page) -> set[str]:
    return set(page.locator("a[href]").evaluate_all("(links) => links.map((a) => a.pathname)"))


def expect_refusal(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 403, path
    expect(page.get_by_role("heading", level=1)).to_have_text("Không có quyền truy cập")
    expect(page.locator("main")).to_contain_text(
        "Vai trò được cấp không cho phép truy cập trang này."
    )
    expect(page.get_by_role("link", name="Quay về trang chủ")).to_be_visible()


def test_viewer_is_refused_dong_das_report_and_the_import_page(site):
    site.expect_console(r"status of 403 \(Forbidden\)")
    page = site.sign_in("xem.thuongtin")
    for path in REFUSED:
        expect_refusal(page, path)


def test_no_link_leads_a_viewer_to_what_it_may_not_see(site):
    page = site.sign_in("xem.thuongtin")
    seen = {}
    expect(page).to_have_url(re.compile(re.escape(PROGRAMME) + "/$"))
    seen["overview"] = links(page)
    programme_menu(page).get_by_role("link", name="Báo cáo").click()
    seen["reports"] = links(page)
    page.get_by_role("link", name=FORM, exact=True).click()
    page.get_by_label("Kỳ báo cáo").select_option(label=PERIOD_LABEL)
    expect(page).to_have_url(re.compile(rf"period={PERIOD}$"))
    seen["form status"] = links(page)
    # The viewer's own district is listed; Đống Đa is not.
    expect(page.get_by_role("link", name="Huyện Thường Tín", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Quận Đống Đa", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Huyện Thường Tín", exact=True).click()
    seen["own report"] = links(page)
    expect(page.get_by_role("button", name="Lưu bản nháp")).to_have_count(0)

    for where, found in seen.items():
        assert not any(path.startswith(REPORT_URL) for path in found), where
        assert IMPORT_URL not in found, f"the {where} page links a viewer to the import"
