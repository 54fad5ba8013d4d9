"""A document worker killed while making a file: the file is seen as interrupted at once, made
again once by the restarted worker (or failed), LibreOffice does not outlive it and its temporary
folder goes (docs/documents.md, "A killed worker"). tests/test_crash_safety.py kills the real
processes; these tests set the scene in the database."""

import datetime as dt
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from steer.accounts.models import User
from steer.core import processes
from steer.documents import render, services
from steer.documents.models import Draft, Output

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(programme) -> Draft:
    """The notice of the 20/9/2023 inspection: quick to make (no charts)."""
    return Draft.objects.get(programme=programme, kind="inspection_notice")


@pytest.fixture
def gone() -> str:
    """A process of this host that has ended, named as steer names the one making a file."""
    process = subprocess.Popen(["sleep", "30"])
    name = processes.local_id(process.pid)
    process.kill()
    process.wait()
    return name


@pytest.fixture
def worker(settings, monkeypatch):
    """Runs `manage.py db_worker --batch` here, inside the test's transaction."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    return lambda: call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def left_running(draft: Draft, runner: str, *, background=True, attempts=1, **more) -> Output:
    """A file whose maker was killed in the middle: at 85 %, printing the PDF."""
    output = Output.objects.create(
        draft=draft,
        made_by=User.objects.get(username="thuongtruc"),
        state=Output.State.RUNNING,
        progress=85,
        runner=runner,
        heartbeat=timezone.now(),
        background=background,
        attempts=attempts,
        **more,
    )
    return output


def page(client, draft: Draft) -> str:
    client.force_login(User.objects.get(username="thuongtruc"))
    return client.get(f"/p/07-ctr-tu/documents/{draft.pk}/files/").content.decode()


def test_a_file_whose_worker_died_is_shown_interrupted_at_once_and_the_page_stops_polling(
    client, notice, gone
):
    output = left_running(notice, f"{socket.gethostname()}/{gone}")
    assert services.is_interrupted(output)
    shown = page(client, notice)
    assert "Bị gián đoạn: tiến trình nền đã dừng khi đang tạo tệp" in shown
    assert "every 1s" not in shown
    # While its maker lives, it is being made.
    left_running(notice, processes.me())
    assert "every 1s" in page(client, notice)


def test_a_maker_on_another_host_is_judged_by_its_signs_of_life(notice):
    output = left_running(notice, "may-chu-2/4242.123456")
    assert not services.is_interrupted(output)
    output.heartbeat = timezone.now() - dt.timedelta(seconds=services.HEARTBEAT_LOST + 1)
    assert services.is_interrupted(output)


def test_the_restarted_worker_makes_an_interrupted_file_again_once_then_fails_it(
    notice, gone, worker, django_capture_on_commit_callbacks
):
    runner = f"{socket.gethostname()}/{gone}"
    output = left_running(notice, runner)
    with django_capture_on_commit_callbacks(execute=True):
        worker()  # the worker starts again: it queues the file again ...
    worker()  # ... and makes it
    output.refresh_from_db()
    assert output.state == Output.State.DONE and output.docx and output.attempts == 2
    # Killed again while making it the second time: failed, with the reason.
    Output.objects.filter(pk=output.pk).update(state=Output.State.RUNNING, runner=runner, docx=None)
    with django_capture_on_commit_callbacks(execute=True):
        worker()
    output.refresh_from_db()
    assert output.state == Output.State.FAILED and output.docx is None
    assert output.error.startswith("Việc tạo tệp bị gián đoạn hai lần")


def test_a_file_the_command_was_making_is_failed_when_a_file_is_asked_for_not_made_again(
    client, notice, gone
):
    output = left_running(notice, f"{socket.gethostname()}/{gone}", background=False)
    again = services.request_output(
        user=User.objects.get(username="thuongtruc"), draft=notice, want_pdf=False
    )
    output.refresh_from_db()
    assert output.state == Output.State.FAILED
    assert output.error == (
        "Việc tạo tệp bị gián đoạn: tiến trình đang tạo tệp đã dừng. Hãy yêu cầu tạo lại."
    )
    assert again.state == Output.State.QUEUED
    assert "Không tạo được: Việc tạo tệp bị gián đoạn" in page(client, notice)


def test_a_file_whose_maker_is_alive_is_left_alone(notice, worker):
    output = left_running(notice, processes.me())
    worker()
    output.refresh_from_db()
    assert output.state == Output.State.RUNNING and output.progress == 85


def test_the_folders_of_conversions_whose_process_is_gone_are_removed_and_only_those(
    tmp_path, monkeypatch, gone
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left = tmp_path / f"steer-pdf-{gone}-k3x9_q2a"
    (left / "profile").mkdir(parents=True)
    (left / "document.docx").write_bytes(b"PK\x03\x04 bao cao")
    working = tmp_path / f"steer-pdf-{processes.local_id()}-a1b2c3d4"
    working.mkdir()
    elsewhere = tmp_path / "du-lieu"
    elsewhere.mkdir()
    (elsewhere / "giu-lai.txt").write_text("không được xóa")
    link = tmp_path / f"steer-pdf-{gone}-lienket"
    link.symlink_to(elsewhere)
    render.sweep_folders()
    assert not left.exists()
    assert working.exists() and link.is_symlink() and (elsewhere / "giu-lai.txt").exists()


def test_a_conversion_that_times_out_leaves_no_process_and_no_folder(tmp_path, monkeypatch):
    # An "office" that starts a child and never ends: both are killed, the folder removed.
    office = tmp_path / "soffice-treo"
    office.write_text(
        f"#!/bin/sh\nsleep 120 &\necho $! > {tmp_path}/con\necho $$ > {tmp_path}/cha\nsleep 120\n"
    )
    office.chmod(0o755)
    monkeypatch.setattr(render, "office", lambda: str(office))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(render.ConversionFailed, match="took too long"):
        render.to_pdf(b"PK\x03\x04", timeout=1)
    assert not list(tmp_path.glob("steer-pdf-*"))
    for name in ("cha", "con"):
        assert ended(int((tmp_path / name).read_text()))


def ended(pid: int) -> bool:
    """Gone, or a zombie waiting to be reaped (SIGKILL'd)."""
    for _ in range(50):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat[stat.rindex(")") + 2] == "Z":
            return True
        time.sleep(0.1)
    return False
