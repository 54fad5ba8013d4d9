"""Writes that meet on a unique constraint at the same moment (PostgreSQL): each waits for the
other on a lock instead of checking, finding nothing, and failing on the constraint with a 500."""

import threading
import time

import pytest

from steer.accounts.models import User
from steer.core.models import Counter
from steer.documents import layout, services
from steer.documents.models import DocumentTemplate
from tests.together import in_threads, postgresql_only

pytestmark = [postgresql_only, pytest.mark.django_db]


def slowed_after(monkeypatch, owner, name: str, seconds: float = 0.3) -> None:
    """The first caller stays in its transaction a moment after `owner.name`."""
    real = getattr(owner, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(owner, name, slow)


@pytest.fixture
def versions():
    """Versions 1 to 3 of the synthesis report's template (party format), committed; 3 in use,
    so that whichever of two choices of 1 and 2 goes first, the other meets it."""
    clerk = User.objects.get(username="thuongtruc")
    data = layout.build("synthesis", "party")
    notes = [
        "Mẫu của Văn phòng Thành ủy, tháng 10/2026",
        "Sửa phần kiến nghị, tháng 11/2026",
        "Thêm chữ ký Phó Trưởng ban, tháng 12/2026",
    ]
    made = [
        in_threads([lambda n=note: services.upload_template("synthesis", "party", data, n, clerk)])[
            0
        ]
        for note in notes
    ]
    yield made

    def clean():
        DocumentTemplate.objects.filter(layout="synthesis", style="party").delete()
        Counter.objects.filter(scope=services.template_scope("synthesis", "party")).delete()

    in_threads([clean])


def test_two_people_choosing_the_template_in_use_at_the_same_moment_leave_one_in_use(
    versions, monkeypatch
):
    first, second, _third = versions
    start = threading.Barrier(2)
    slowed_after(monkeypatch, DocumentTemplate, "save")

    def use(template):
        start.wait(10)
        services.use_template("synthesis", "party", template)
        return template.version

    chosen = in_threads([lambda: use(first), lambda: use(second)])

    assert sorted(chosen) == [1, 2]
    in_use = DocumentTemplate.objects.filter(layout="synthesis", style="party", is_current=True)
    assert in_use.count() == 1


def test_choosing_a_template_while_another_version_is_uploaded_leaves_one_in_use(
    versions, monkeypatch
):
    first, _second, _third = versions
    clerk = User.objects.get(username="thuongtruc")
    start = threading.Barrier(2)
    # Long enough for the upload to check its file and reach the "in use" mark meanwhile.
    slowed_after(monkeypatch, DocumentTemplate, "save", seconds=1.0)

    def use():
        start.wait(10)
        services.use_template("synthesis", "party", first)

    def upload():
        start.wait(10)
        time.sleep(0.05)  # the choice goes first and holds the lock
        data = layout.build("synthesis", "party")
        return services.upload_template("synthesis", "party", data, "Bản sửa lần 4", clerk)

    _, fourth = in_threads([use, upload])

    in_use = DocumentTemplate.objects.filter(layout="synthesis", style="party", is_current=True)
    assert list(in_use) == [fourth]
