"""A report's life in the browser: entry, inline checks, submission, approval, acceptance."""

from django.urls import reverse

from steer.notifications.models import Notification
from steer.reporting.models import (
    DataValue,
    ImportBatch,
    ReportForm,
    Submission,
    SubmissionEvent,
    ValueChange,
)


def url(name, form, unit="006", period="2024Q3"):
    return reverse(name, args=[form.programme.slug, form.code, period, unit])


def test_reporter_saves_a_draft_and_the_history_shows_the_change(login, quarterly):
    client = login("baocao.dongda")
    response = client.post(
        url("report_entry", quarterly),
        {
            "action": "save",
            "v-CT15": "12",
            "v-CT15-c": "Theo Quyết định công nhận",
            "v-CT18": "97,5",
        },
    )
    assert response.status_code == 302
    value = DataValue.objects.get(indicator__code="CT18", unit__code="006", period="2024Q3")
    assert str(value.value.normalize()) == "97.5"
    change = ValueChange.objects.get(indicator__code="CT15", unit__code="006", period="2024Q3")
    assert (change.old_value, change.channel, change.user.username) == (
        None,
        "web",
        "baocao.dongda",
    )
    history = client.get(url("value_history", quarterly) + "?key=CT15")
    assert "Theo Quyết định công nhận" in history.content.decode()


def test_a_percentage_over_100_is_refused_and_nothing_is_saved(login, quarterly):
    client = login("baocao.dongda")
    response = client.post(
        url("report_entry", quarterly), {"action": "save", "v-CT15": "12", "v-CT18": "120"}
    )
    assert response.status_code == 200
    assert "100" in response.content.decode()
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()


def test_inline_check_explains_a_bad_value_as_it_is_typed(login, quarterly):
    client = login("baocao.dongda")
    check = url("report_check", quarterly)
    bad = client.post(check, {"field": "v-CT15", "v-CT15": "-3"})
    assert "field-error" in bad.content.decode()
    good = client.post(check, {"field": "v-CT15", "v-CT15": "3"})
    assert good.content == b""


def test_submit_approve_accept_then_the_figures_are_locked(login, quarterly):
    entry = url("report_entry", quarterly)
    reporter = login("baocao.dongda")
    reporter.post(entry, {"action": "submit", "v-CT15": "12", "v-CT18": "97"})
    submission = Submission.objects.get(form=quarterly, unit__code="006", period="2024Q3")
    assert submission.state == "submitted"
    head = login("lanhdao.dongda")
    head.post(entry, {"action": "approve"})
    submission.refresh_from_db()
    assert submission.state == "approved"
    agency = login("thuongtruc")
    agency.post(entry, {"action": "accept"})
    submission.refresh_from_db()
    assert submission.state == "accepted"
    reporter = login("baocao.dongda")
    reporter.post(entry, {"action": "save", "v-CT15": "99", "v-CT18": "97"})
    assert (
        DataValue.objects.get(indicator__code="CT15", unit__code="006", period="2024Q3").value == 12
    )
    actions = list(submission.events.values_list("action", flat=True))
    assert actions == ["submit", "approve", "accept"]


def test_returning_a_report_needs_a_reason(login, quarterly):
    entry = url("report_entry", quarterly)
    login("baocao.dongda").post(entry, {"action": "submit", "v-CT15": "12", "v-CT18": "97"})
    head = login("lanhdao.dongda")
    head.post(entry, {"action": "return", "reason": ""})
    submission = Submission.objects.get(form=quarterly, unit__code="006", period="2024Q3")
    assert submission.state == "submitted"
    head.post(entry, {"action": "return", "reason": "Số OCOP chưa khớp với quyết định công nhận"})
    submission.refresh_from_db()
    assert submission.state == "returned"
    event = SubmissionEvent.objects.get(submission=submission, action="return")
    assert event.reason.startswith("Số OCOP")


def test_a_returned_report_notifies_the_units_members(login, quarterly):
    entry = url("report_entry", quarterly)
    login("baocao.dongda").post(entry, {"action": "submit", "v-CT15": "12", "v-CT18": "97"})
    login("lanhdao.dongda").post(
        entry, {"action": "return", "reason": "Số OCOP chưa khớp với quyết định công nhận"}
    )
    told = Notification.objects.filter(kind="returned", user__username="baocao.dongda").first()
    assert told is not None and "Số OCOP chưa khớp" in told.text
    assert not Notification.objects.filter(kind="returned", user__username="xem.thuongtin")


def test_a_required_value_missing_blocks_submission(login, quarterly):
    entry = url("report_entry", quarterly)
    login("baocao.dongda").post(entry, {"action": "submit", "v-CT15": "12", "v-CT18": ""})
    submission = Submission.objects.get(form=quarterly, unit__code="006", period="2024Q3")
    assert submission.state == "draft"


def test_a_refused_step_on_a_report_nobody_started_leaves_no_report_behind(login, quarterly):
    entry = url("report_entry", quarterly, period="2024Q4")
    # The head approves Đống Đa's reports, but not one that was never submitted: a message.
    response = login("lanhdao.dongda").post(entry, {"action": "approve"}, follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert said == ["Hiện không thể thực hiện bước này đối với báo cáo."]
    # The standing agency never approves: 403.
    assert login("thuongtruc").post(entry, {"action": "approve"}).status_code == 403
    assert not Submission.objects.filter(form=quarterly, period="2024Q4").exists()


def test_a_reporter_cannot_enter_another_units_figures(login, quarterly):
    client = login("baocao.dongda")
    response = client.post(url("report_entry", quarterly, unit="279"), {"v-CT15": "5"})
    assert response.status_code == 403
    assert not DataValue.objects.filter(unit__code="279", period="2024Q3").exists()


def test_workbook_downloaded_filled_and_uploaded_goes_through_preview(login, quarterly):
    import io

    from openpyxl import load_workbook

    client = login("baocao.dongda")
    data = client.get(url("report_workbook", quarterly)).content
    book = load_workbook(io.BytesIO(data))
    sheet = book["Số liệu"]
    sheet["I8"], sheet["I9"] = 14, 96.5
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "BC-QUY_2024Q3_006.xlsx"
    preview = client.post(reverse("import_upload", args=[quarterly.programme.slug]), {"file": out})
    assert preview.status_code == 302, preview.content.decode()[:2000]
    batch = ImportBatch.objects.get()
    assert batch.summary["counts"]["new"] == 2
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()
    client.post(preview.url, {"action": "confirm"})
    assert DataValue.objects.filter(unit__code="006", period="2024Q3").count() == 2
    assert set(
        ValueChange.objects.filter(unit__code="006", period="2024Q3").values_list(
            "channel", flat=True
        )
    ) == {"excel"}


def test_status_page_counts_units_and_lists_overdue_ones(login, quarterly):
    login("baocao.dongda").post(
        url("report_entry", quarterly), {"action": "submit", "v-CT15": "12", "v-CT18": "97"}
    )
    client = login("thuongtruc")
    page = client.get(
        reverse("form_status", args=[quarterly.programme.slug, "BC-QUY"]) + "?period=2024Q3"
    )
    text = page.content.decode()
    assert page.context["expected"] == 2
    assert page.context["counts"]["overdue"] == 1
    assert "Thường Tín" in text


def test_a_district_sees_its_own_target_not_the_city_total(login, programme):
    page = login("baocao.dongda").get(
        reverse("report_entry", args=[programme.slug, "BC6T-DP", "2025S1", "006"])
    )
    targets = {row.indicator.code: row.target for row in page.context["rows"] if not row.option}
    assert targets["CT07"] == 60  # Đống Đa's own 2025 target
    assert targets["CT15"] is None  # the city's 2,500 OCOP products are not Đống Đa's target
    assert targets["CT19"] == 100  # a rate every unit must reach


def test_a_report_of_a_year_the_form_does_not_ask_for_is_not_found(login, programme):
    form = ReportForm.objects.get(programme=programme, code="BC6T-DP")
    reporter = login("baocao.dongda")
    inside = reverse("report_entry", args=[programme.slug, form.code, "2025S1", "006"])
    after = reverse(
        "report_entry", args=[programme.slug, form.code, f"{form.last_year + 1}S1", "006"]
    )
    assert reporter.get(inside).status_code == 200
    assert reporter.get(after).status_code == 404


def test_a_figure_beyond_what_is_stored_typed_into_the_form_is_refused_with_the_bound(
    login, programme
):
    """1e999999999 once overflowed the decimal arithmetic: a server error, on save and as typed."""
    form = ReportForm.objects.get(programme=programme, code="BC6T-DP")
    client = login("baocao.dongda")
    before = list(DataValue.objects.filter(unit__code="006", period="2025S1").values_list())
    for typed in ("1e999999999", "9" * 5000, "123456789012345678"):
        check = client.post(
            url("report_check", form, period="2025S1"), {"field": "v-CT07", "v-CT07": typed}
        )
        assert check.status_code == 200
        assert "tối đa 15 chữ số" in check.content.decode()
        saved = client.post(
            url("report_entry", form, period="2025S1"), {"action": "save", "v-CT07": typed}
        )
        assert saved.status_code == 200
        assert "tối đa 15 chữ số" in saved.content.decode()
    assert list(DataValue.objects.filter(unit__code="006", period="2025S1").values_list()) == before


def test_the_inline_check_answers_typed_markup_as_text(login, programme):
    form = ReportForm.objects.get(programme=programme, code="BC6T-DP")
    typed = '<a href="https://lua-dao.example/">Bấm vào đây</a><img src=x>'
    response = login("baocao.dongda").post(
        url("report_check", form, period="2025S1"), {"field": "v-CT07", "v-CT07": typed}
    )
    html = response.content.decode()
    assert "<a" not in html and "<img" not in html
    assert "&lt;a href=&quot;https://lua-dao.example/&quot;&gt;" in html
    assert html.startswith('<span class="field-error">')


def test_a_comment_holding_a_nul_character_is_refused_not_a_server_error(login, programme):
    """PostgreSQL refuses NUL in text: the save once failed with a server error there."""
    form = ReportForm.objects.get(programme=programme, code="BC6T-DP")
    response = login("baocao.dongda").post(
        url("report_entry", form, period="2025S1"),
        {"action": "save", "v-CT18": "95,6", "v-CT18-c": "Theo báo cáo\x00 quý 2"},
    )
    assert response.status_code == 200
    assert "ký tự NUL" in response.content.decode()
    value = DataValue.objects.get(indicator__code="CT18", unit__code="006", period="2025S1")
    assert value.comment == ""
