"""Documents' services check the permission rule themselves (not only the pages do) and record
each change in the history, in the same transaction as the change."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from steer.accounts.models import User
from steer.core.models import Event
from steer.core.selectors import events_of
from steer.documents import layout, services
from steer.documents.models import DocumentTemplate, Draft, Output
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db


def user(name: str) -> User:
    return User.objects.get(username=name)


def actions(subject) -> list[tuple[str, str]]:
    return [(e.action, e.user.username) for e in events_of(subject)]


def test_drafting_and_editing_a_draft_are_recorded_with_who_did_it(programme):
    draft = services.new_draft(
        user=user("thuongtruc"), programme=programme, kind="synthesis", period="2024S2"
    )
    header = services.DraftHeader(
        **{name: getattr(draft, name) for name in services.HEADER} | {"title": "Báo cáo mới"}
    )
    services.save_draft(user=user("quantri"), draft=draft, header=header, texts={})
    services.redraft(user=user("thuongtruc"), draft=draft)
    services.request_output(user=user("thuongtruc"), draft=draft, want_pdf=True)

    assert actions(draft) == [
        ("drafted", "thuongtruc"),
        ("edited", "quantri"),
        ("redrafted", "thuongtruc"),
        ("file_requested", "thuongtruc"),
    ]
    assert events_of(draft).last().note == "pdf"
    assert Draft.objects.get(pk=draft.pk).title == "Báo cáo mới"


def test_a_unit_reporter_cannot_draft_another_units_report_and_nothing_is_written(programme):
    events, drafts = Event.objects.count(), Draft.objects.count()
    with pytest.raises(PermissionDenied):
        services.new_draft(
            user=user("baocao.dongda"),
            programme=programme,
            kind="unit_report",
            period="2024S2",
            unit=OrgUnit.objects.get(code="279"),
        )
    assert (Event.objects.count(), Draft.objects.count()) == (events, drafts)


def test_the_steering_committee_reads_a_draft_but_its_services_refuse_to_change_it(programme):
    draft = Draft.objects.get(programme=programme, kind="synthesis", period="2024S1")
    texts, events = dict(draft.texts), Event.objects.count()
    reader = user("bancd")
    with pytest.raises(PermissionDenied):
        services.redraft(user=reader, draft=draft)
    with pytest.raises(PermissionDenied):
        services.request_output(user=reader, draft=draft, want_pdf=False)
    draft.refresh_from_db()
    assert draft.texts == texts and not draft.outputs.exists()
    assert Event.objects.count() == events and not Output.objects.filter(draft=draft).exists()


def upload(who: str) -> DocumentTemplate:
    return services.upload_template(
        user=user(who),
        layout_name="synthesis",
        style="state",
        upload=SimpleUploadedFile("mau.docx", layout.build("synthesis", "state")),
        note="Bản sửa",
    )


def test_templates_are_managed_by_the_back_office_only_and_each_choice_is_recorded():
    with pytest.raises(PermissionDenied):
        upload("baocao.dongda")
    assert not DocumentTemplate.objects.exists()

    first = upload("thuongtruc")
    second = upload("thuongtruc")
    with pytest.raises(PermissionDenied):
        services.use_template(
            user=user("bancd"), layout_name="synthesis", style="state", template=first
        )
    services.use_template(
        user=user("quantri"), layout_name="synthesis", style="state", template=first
    )
    services.use_template(
        user=user("quantri"), layout_name="synthesis", style="state", template=None
    )

    assert actions(first) == [
        ("template_uploaded", "thuongtruc"),
        ("template_chosen", "quantri"),
        ("template_chosen", "quantri"),
    ]
    assert [(e.from_state, e.to_state) for e in events_of(first)][1:] == [
        ("", "in_use"),
        ("in_use", ""),
    ]
    assert actions(second) == [("template_uploaded", "thuongtruc"), ("template_chosen", "quantri")]
    assert not DocumentTemplate.objects.filter(is_current=True).exists()
