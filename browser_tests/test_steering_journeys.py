"""Journeys 4 and 5: an inspector records the June 2025 inspection of Quận Đống Đa and gives its
directive to the wards that took the district's place on 1/7/2025 (a district that has ended is
given no work); the standing agency reports it done for a ward with an evidence file and the
inspector closes it."""

import datetime as dt
import re

import pypdf
from playwright.sync_api import Page, expect

from browser_tests.browsing import programme_menu
from browser_tests.files import small_pdf

DONG_DA = "Quận Đống Đa"
WARD = "Phường Văn Miếu - Quốc Tử Giám"
# The district existed until 30/6/2025: the inspection is recorded for June 2025.
VISIT, CONCLUDED = dt.date(2025, 6, 10), dt.date(2025, 6, 20)
DIRECTIVE = (
    "Các phường thuộc địa bàn quận Đống Đa cũ hoàn thành cấp chứng nhận ISO 9001:2015 và công "
    "bố danh mục sáng kiến được công nhận năm 2025 trên cổng thông tin điện tử."
)


def record_inspection(page: Page) -> None:
    programme_menu(page).get_by_role("link", name="Kiểm tra").click()
    page.get_by_role("link", name="Lập kế hoạch kiểm tra").click()
    page.get_by_label("Số hiệu đoàn").fill("2")
    page.get_by_label("Tên").fill(
        "Đoàn kiểm tra số 2 Ban Chỉ đạo Chương trình số 07-CTr/TU kiểm tra tại Quận ủy Đống Đa"
    )
    page.get_by_label("Mục đích").fill(
        "Đánh giá kết quả thực hiện Chương trình số 07-CTr/TU 6 tháng đầu năm 2025."
    )
    page.get_by_label("Phạm vi").fill("Chuyển đổi số, cải cách hành chính, sáng kiến.")
    page.get_by_label("Từ ngày").fill(VISIT.isoformat())
    page.get_by_label("Đến ngày").fill(VISIT.isoformat())
    units = page.get_by_label("Đơn vị được kiểm tra")
    units.select_option(label=f"{DONG_DA} (006; … – 30/06/2025)")
    page.get_by_label("Thành phần Đoàn kiểm tra").fill(
        "trưởng đoàn | Nguyễn Văn Phong | Phó Trưởng ban Tuyên giáo Thành ủy\n"
        "thành viên | Lê Thị Thu Hà | Phó Giám đốc Sở Khoa học và Công nghệ"
    )
    page.get_by_role("button", name="Lập kế hoạch kiểm tra").click()
    expect(page.locator("ul.messages")).to_have_text("Đã lập kế hoạch kiểm tra.")

    visit = page.locator(".card").filter(has=page.get_by_role("heading", name=DONG_DA))
    visit.get_by_text("Ghi nhận kết quả kiểm tra", exact=True).click()
    visit.get_by_label("Ngày kiểm tra").fill(VISIT.isoformat())
    visit.get_by_label("Kết quả").fill("Tỷ lệ dịch vụ công trực tuyến đạt 95,6%.")
    visit.get_by_label("Hạn chế").fill("Còn 3 phường chưa được cấp chứng nhận ISO 9001:2015.")
    visit.get_by_label("Nguyên nhân").fill("Chưa bố trí đủ kinh phí tư vấn.")
    visit.get_by_role("button", name="Lưu kết quả kiểm tra").click()
    expect(page.locator("ul.messages")).to_have_text(f"Đã ghi nhận kết quả kiểm tra tại {DONG_DA}.")

    conclusion = page.locator("#conclusion")
    conclusion.get_by_label("Kết luận:", exact=True).fill(
        "Quận Đống Đa cơ bản hoàn thành các chỉ tiêu; cần khắc phục hạn chế về ISO."
    )
    conclusion.get_by_label("Ngày kết luận").fill(CONCLUDED.isoformat())
    conclusion.get_by_label("Văn bản kết luận").fill("Thông báo số 152-TB/BCĐ ngày 20/6/2025")
    conclusion.get_by_role("button", name="Kết luận kiểm tra").click()
    expect(page.locator("ul.messages")).to_have_text("Đã kết luận kiểm tra.")


def give_directive(page: Page) -> str:
    """From the concluded inspection, a directive to the wards that replaced Đống Đa; returns
    its code."""
    page.get_by_role("link", name="Giao ý kiến chỉ đạo theo kết quả kiểm tra").click()
    # The district ended on 30/6/2025: the page says so and proposes the seven wards that took
    # its place, dated today (they did not exist on the day of the conclusion).
    expect(page.locator("ul.messages")).to_contain_text(f"{DONG_DA} (… – 30/06/2025)")
    assignees = page.get_by_label("Đơn vị được giao")
    expect(assignees.locator("option:checked")).to_have_count(7)
    expect(assignees.locator("option:checked", has_text=WARD)).to_have_count(1)
    expect(assignees.locator("option", has_text=DONG_DA + " (006")).to_have_count(0)
    expect(page.get_by_label("Ngày chỉ đạo")).not_to_have_value(CONCLUDED.isoformat())
    page.get_by_label("Nội dung").fill(DIRECTIVE)
    page.get_by_label("Người chỉ đạo").fill("Trưởng Đoàn kiểm tra số 2")
    page.get_by_label("Thời hạn").fill((dt.date.today() + dt.timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Lưu ý kiến chỉ đạo").click()
    message = page.locator("ul.messages")
    expect(message).to_have_text(re.compile(r"^Đã ghi nhận ý kiến chỉ đạo CĐ-\d+\.$"))
    return re.search(r"CĐ-\d+", message.inner_text()).group(0)


def test_inspector_directs_the_wards_of_dong_da_and_closes_it_on_their_evidence(site, tmp_path):
    inspector = site.sign_in("kiemtra")
    record_inspection(inspector)
    code = give_directive(inspector)
    expect(inspector.locator("dl.facts")).to_contain_text(WARD)
    expect(inspector.locator("dl.facts")).not_to_contain_text(DONG_DA)

    # The standing agency reports, for a ward, the work done with the minutes as evidence.
    reporter = site.sign_in("thuongtruc")
    programme_menu(reporter).get_by_role("link", name="Chỉ đạo").click()
    reporter.get_by_role("link", name=code, exact=True).click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text(f"Ý kiến chỉ đạo {code}")
    evidence = tmp_path / "bien-ban-nghiem-thu-iso-van-mieu.pdf"
    evidence.write_bytes(
        small_pdf(["Bien ban nghiem thu ISO 9001:2015", "UBND phuong Van Mieu - Quoc Tu Giam"])
    )
    report = reporter.locator("section.card").filter(
        has=reporter.get_by_role("heading", name="Báo cáo tiến độ")
    )
    report.get_by_label("Báo cáo cho đơn vị").select_option(label=WARD)
    report.get_by_label("Kết quả thực hiện").fill(
        "Đã cấp chứng nhận ISO 9001:2015; danh mục 49 sáng kiến đã công bố trên cổng thông tin."
    )
    report.get_by_label("Đã thực hiện xong: đề nghị đóng ý kiến chỉ đạo").check()
    report.get_by_label("Tệp minh chứng").set_input_files(evidence)
    report.get_by_role("button", name="Gửi báo cáo").click()
    expect(reporter.locator("ul.messages")).to_have_text("Đã ghi nhận báo cáo.")
    expect(reporter.locator("dl.facts")).to_contain_text("Đã báo cáo hoàn thành")
    expect(reporter.get_by_role("link", name=evidence.name)).to_be_visible()

    # The inspector sees it awaiting acceptance, reads the evidence and closes it.
    programme_menu(inspector).get_by_role("link", name="Chỉ đạo").click()
    inspector.get_by_label("Tình trạng").select_option(label="Đã báo cáo hoàn thành")
    inspector.get_by_role("button", name="Lọc").click()
    inspector.get_by_role("link", name=code, exact=True).click()
    with inspector.expect_download() as download:
        inspector.get_by_role("link", name=evidence.name).click()
    reader = pypdf.PdfReader(download.value.path())
    assert "Bien ban nghiem thu" in reader.pages[0].extract_text()
    inspector.get_by_label("Đánh giá kết quả thực hiện").fill(
        "Đã kiểm tra biên bản nghiệm thu; ý kiến chỉ đạo được thực hiện đầy đủ."
    )
    inspector.get_by_role("button", name="Xác nhận hoàn thành và đóng").click()
    expect(inspector.locator("ul.messages")).to_have_text("Đã đóng ý kiến chỉ đạo.")
    expect(inspector.locator("dl.facts")).to_contain_text("Hoàn thành")

    reporter.reload()
    expect(reporter.locator("dl.facts")).to_contain_text("Hoàn thành")
    expect(reporter.get_by_role("heading", name="Báo cáo tiến độ")).to_have_count(0)
