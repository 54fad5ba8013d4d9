"""Backups: `manage.py restore` puts every row and every uploaded file of `manage.py backup`'s
archive back into an empty database, of the same engine or the other one; a damaged, altered or
too new archive is refused and changes nothing, and so is a database that already holds data.

The archive is made here, in the test's transaction (the demo and the files added below); the
restores run as the command, in a subprocess, into a database of their own: a file (SQLite) or a
database made for the test on the PostgreSQL server.
"""

import functools
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.db import connection

from steer.accounts.models import User
from steer.core.backups import BackupError, _placed_files, create_backup, signature, unpack
from steer.documents import layout
from steer.documents.models import Draft, Output
from steer.reporting.models import DataValue, Evidence
from steer.steering.models import Attachment, Directive

pytestmark = [pytest.mark.django_db, pytest.mark.backup]

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]
WAIT = 600  # seconds; a restore migrates an empty database, slow on a loaded 2-core machine
NATURAL = ("contenttypes.contenttype", "auth.permission")
DIGESTS = (
    "import json, sys; sys.path.insert(0, sys.argv[1]); import django; django.setup(); "
    "import test_backup; print(json.dumps(test_backup.row_digests()))"
)


def row_digests() -> dict[str, list]:
    """Every row of every model as Django's own serializer writes it, counted and hashed model
    by model. Content types and permissions, which each database numbers its own way, are
    compared by natural key, and so are the references to them."""
    content_type, permission = (apps.get_model(label) for label in NATURAL)
    types = {t.pk: [t.app_label, t.model] for t in content_type.objects.all()}
    permissions = {p.pk: [p.codename, *types[p.content_type_id]] for p in permission.objects.all()}
    names_of = {"contenttypes.contenttype": types, "auth.permission": permissions}
    found = {}
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        label = model._meta.label_lower
        renamed = {
            f.name: names_of[f.related_model._meta.label_lower]
            for f in [*model._meta.concrete_fields, *model._meta.many_to_many]
            if f.is_relation and f.related_model._meta.label_lower in NATURAL
        }
        lines = []
        rows = serializers.serialize("python", model._base_manager.order_by("pk"))
        for row in rows:
            if label in NATURAL:
                del row["pk"]
            for name, names in renamed.items():
                value = row["fields"][name]
                if isinstance(value, list):
                    row["fields"][name] = sorted(names[v] for v in value)
                elif value is not None:
                    row["fields"][name] = names[value]
            lines.append(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False))
        lines.sort()
        found[label] = [len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()]
    return found


def files_under(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@functools.cache
def postgres_server() -> str | None:
    """The PostgreSQL server's address (database `postgres`), or None when there is none."""
    url = os.environ.get("DATABASE_URL") or os.environ.get(
        "STEER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.OperationalError:
        return None


@dataclass
class Site:
    """Another installation: its own database (empty until restored into) and var folder, and
    by default this one's secret key, as a site restored after losing its machine has."""

    vendor: str
    name: str
    var: Path
    secret_key: str = ""

    @property
    def url(self) -> str:
        return urlunsplit(urlsplit(postgres_server())._replace(path=f"/{self.name}"))

    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STEER_SQLITE_PATH")
        }
        env.update(
            STEER_VAR_DIR=str(self.var),
            DJANGO_SETTINGS_MODULE="steer.settings",
            STEER_SECRET_KEY=self.secret_key or settings.SECRET_KEY,
        )
        if self.vendor == "postgresql":
            env["DATABASE_URL"] = self.url
        else:
            env["STEER_SQLITE_PATH"] = self.name
        return env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            list(args), env=self.env(), cwd=ROOT, capture_output=True, text=True, timeout=WAIT
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def restore(self, archive: Path, *more: str, check: bool = True):
        return self.run(*MANAGE, "restore", str(archive), *more, check=check)

    def digests(self) -> dict[str, list]:
        return json.loads(self.run(sys.executable, "-c", DIGESTS, str(ROOT / "tests")).stdout)

    def media(self) -> dict[str, bytes]:
        return files_under(self.var / "media")

    def tables(self) -> list[str]:
        if self.vendor == "postgresql":
            with psycopg.connect(self.url) as db:
                rows = db.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
        else:
            if not Path(self.name).exists():
                return []
            with closing(sqlite3.connect(self.name)) as db:
                rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return sorted(r[0] for r in rows)


@pytest.fixture
def new_site(tmp_path):
    """Makes empty sites, of this test database's engine or the other one; drops them after."""
    made = []

    def make(vendor: str) -> Site:
        var = tmp_path / f"site-{len(made)}"
        var.mkdir()
        if vendor == "postgresql":
            if postgres_server() is None:
                pytest.skip("no PostgreSQL server (set STEER_TEST_POSTGRES_URL)")
            site = Site("postgresql", f"steer_restore_{uuid.uuid4().hex[:10]}", var)
            with psycopg.connect(postgres_server(), autocommit=True) as db:
                db.execute(f'CREATE DATABASE "{site.name}"')
        else:
            site = Site("sqlite", str(var / "steer.sqlite3"), var)
        made.append(site)
        return site

    yield make
    for site in made:
        if site.vendor == "postgresql":
            with psycopg.connect(postgres_server(), autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{site.name}" WITH (FORCE)')


def other(vendor: str) -> str:
    return "postgresql" if vendor == "sqlite" else "sqlite"


@pytest.fixture
def uploads(settings, tmp_path, programme):
    """Files uploaded to the demo: evidence behind a value of Đống Đa, an attachment to a
    directive, and a Word and PDF file made from the H1 2024 synthesis (kept in the database)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    reporter = User.objects.get(username="baocao.dongda")
    value = DataValue.objects.filter(unit__code="006").order_by("pk").first()
    decision = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    Evidence.objects.create(
        value=value,
        file=ContentFile(decision, name="Quyết định 1520-QĐ-UBND giao chỉ tiêu.pdf"),
        name="Quyết định 1520-QĐ-UBND giao chỉ tiêu.pdf",
        size=len(decision),
        uploaded_by=reporter,
    )
    register = "Đơn vị,Số đề tài\nQuận Đống Đa,12\n".encode()
    Evidence.objects.create(
        value=value,
        file=ContentFile(register, name="so-de-tai-2024.csv"),
        name="so-de-tai-2024.csv",
        size=len(register),
        uploaded_by=reporter,
    )
    minutes = ContentFile(os.urandom(50_000), name="Biên bản họp Ban Chỉ đạo.docx")
    # Stored as it is, as the evidence above: the backup keeps files, whatever their content.
    Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(Directive),
        object_id=Directive.objects.order_by("pk").first().pk,
        file=minutes,
        name=minutes.name,
        size=minutes.size,
        uploaded_by=reporter,
    )
    draft = Draft.objects.get(programme=programme, kind="synthesis", period="2024S1")
    Output.objects.create(
        draft=draft,
        made_by=User.objects.get(username="thuongtruc"),
        state=Output.State.DONE,
        progress=100,
        want_pdf=True,
        docx=layout.build(draft.layout, draft.style),
        pdf=b"%PDF-1.7\n\x00\xff" + os.urandom(30_000) + b"\n%%EOF\n",
    )
    assert len(files_under(settings.MEDIA_ROOT)) == 3
    return settings.MEDIA_ROOT


def test_a_backup_restored_into_an_empty_database_has_every_row_and_file(
    uploads, new_site, tmp_path
):
    backup = create_backup(tmp_path / "backups")
    assert backup.path.name.startswith("steer-backup-") and backup.path.name.endswith(".tar.gz")
    digest = hashlib.sha256(backup.path.read_bytes()).hexdigest()
    assert backup.checksum_path.read_text() == f"{digest}  {backup.path.name}\n"
    assert backup.path.stat().st_mode & 0o077 == 0  # password hashes inside: the owner's only
    expected, files = row_digests(), files_under(uploads)
    manifest = manifest_of(backup.path)
    assert manifest["database"]["engine"] == connection.vendor
    assert {m["model"]: m["rows"] for m in manifest["models"]} == {
        label: rows for label, (rows, _) in expected.items()
    }
    assert manifest["media"]["files"] == 3
    assert expected["reporting.evidence"][0] == 2 and expected["steering.attachment"][0] == 1

    site = new_site(connection.vendor)
    restored = site.restore(backup.path)
    assert "Restored" in restored.stdout
    assert site.digests() == expected
    assert site.media() == files

    refused = site.restore(backup.path, check=False)
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr and "--force" in refused.stderr

    # The site goes on: new rows get new numbers (PostgreSQL's sequences were set past the
    # restored ones), rows change and go.
    site.run(
        sys.executable,
        "-c",
        "import django; django.setup(); from steer.units.models import OrgUnit; "
        "from steer.reporting.models import Evidence; from steer.accounts.models import User; "
        "User.objects.create(username='baocao.hoankiem', full_name='Nguyễn Thị Lan'); "
        "OrgUnit.objects.filter(code='006').update(name='Quận Đống Đa (đổi tên)'); "
        "Evidence.objects.all().delete()",
    )
    assert site.digests() != expected
    replaced = site.restore(backup.path, "--force")
    assert "Replacing what the database holds" in replaced.stdout
    assert site.digests() == expected
    assert site.media() == files


def test_a_backup_restores_into_the_other_engine(uploads, new_site, tmp_path):
    site = new_site(other(connection.vendor))
    backup = create_backup(tmp_path)
    expected, files = row_digests(), files_under(uploads)
    site.restore(backup.path)
    assert site.digests() == expected
    assert site.media() == files
    # Backed up again there, by the command (its own snapshot transaction), the rows are written
    # the same, byte for byte; only content types and permissions are numbered differently.
    again = site.run(*MANAGE, "backup", "--output", str(site.var / "backups"))
    assert "Checksum:" in again.stdout
    (archive,) = (site.var / "backups").glob("steer-backup-*.tar.gz")
    assert numbered_alike(archive) == numbered_alike(backup.path)


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as members:
        return json.load(members.extractfile("manifest.json"))


def numbered_alike(archive: Path) -> dict[str, dict]:
    """The sha256 and size of the archive's members but content types and permissions."""
    members = manifest_of(archive)["members"]
    skip = ("data/contenttypes.contenttype.jsonl", "data/auth.permission.jsonl")
    return {name: member for name, member in members.items() if name not in skip}


def rebuilt(backup_path: Path, change) -> None:
    """The archive written again with `change(members)` applied, and a checksum that fits."""
    with tarfile.open(backup_path) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}
    change(members)
    with tarfile.open(backup_path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    digest = hashlib.sha256(backup_path.read_bytes()).hexdigest()
    Path(f"{backup_path}.sha256").write_text(f"{digest}  {backup_path.name}\n")


def one_byte_changed(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def value_changed(members: dict) -> None:
    name = "data/reporting.datavalue.jsonl"
    first, rest = members[name].split(b"\n", 1)
    row = json.loads(first)
    row["fields"]["value"] = str(Decimal(row["fields"]["value"]) + 1)
    members[name] = json.dumps(row).encode() + b"\n" + rest


def signed(members: dict) -> None:
    """The manifest signed again with this installation's key, as its own backup would be."""
    members["manifest.sig"] = json.dumps(signature(members["manifest.json"])).encode()


def from_a_newer_release(members: dict) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest["migrations"]["reporting"].append("9999_from_a_newer_release")
    members["manifest.json"] = json.dumps(manifest).encode()
    signed(members)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (one_byte_changed, "does not match its checksum file"),
        (
            lambda path: rebuilt(path, value_changed),
            "data/reporting.datavalue.jsonl has sha256",
        ),
        (
            lambda path: rebuilt(path, from_a_newer_release),
            "does not have its migrations reporting.9999_from_a_newer_release",
        ),
    ],
    ids=["one-byte-changed", "member-altered", "newer-release"],
)
def test_a_damaged_altered_or_newer_archive_is_refused_and_changes_nothing(
    uploads, new_site, tmp_path, damage, message
):
    backup = create_backup(tmp_path)
    damage(backup.path)
    site = new_site(connection.vendor)
    refused = site.restore(backup.path, check=False)
    assert refused.returncode == 1
    assert message in refused.stderr
    assert "Nothing was restored" in refused.stderr
    assert site.tables() == []
    assert site.media() == {}


# -- archives this installation did not make -----------------------------------------------


def rows_rewritten_to_fit(members: dict) -> None:
    """A figure changed and the manifest rewritten to match: what someone holding an archive,
    but not the site's secret key, can do."""
    value_changed(members)
    manifest = json.loads(members["manifest.json"])
    name = "data/reporting.datavalue.jsonl"
    data = members[name]
    manifest["members"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    members["manifest.json"] = json.dumps(manifest).encode()


def signature_removed(members: dict) -> None:
    del members["manifest.sig"]


@pytest.mark.parametrize(
    ("forgery", "message"),
    [
        (rows_rewritten_to_fit, "was altered after it was made"),
        (signature_removed, "is not signed"),
    ],
    ids=["rows-and-manifest-rewritten", "signature-removed"],
)
def test_an_archive_rewritten_without_the_secret_key_is_refused(
    settings, tmp_path, forgery, message
):
    settings.MEDIA_ROOT = tmp_path / "media"
    backup = create_backup(tmp_path / "sao-luu")
    rebuilt(backup.path, forgery)
    with pytest.raises(BackupError, match=message):
        unpack(backup.path, tmp_path / "giai-nen")


def test_an_archive_of_another_installation_is_refused_unless_trusted(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SECRET_KEY = "khoa-bi-mat-cua-may-chu-so-khcn-" + "x" * 30
    backup = create_backup(tmp_path / "sao-luu")
    settings.SECRET_KEY = "khoa-bi-mat-cua-may-chu-moi-" + "y" * 30
    with pytest.raises(BackupError, match="signed by another installation"):
        unpack(backup.path, tmp_path / "lan-1")
    manifest = unpack(backup.path, tmp_path / "lan-2", trust=True)
    assert manifest["format"] == "steer-backup"
    # The old key kept as a fallback while keys are rotated still vouches for its archives.
    settings.SECRET_KEY_FALLBACKS = ["khoa-bi-mat-cua-may-chu-so-khcn-" + "x" * 30]
    assert unpack(backup.path, tmp_path / "lan-3")["format"] == "steer-backup"


def test_the_restore_command_takes_another_installations_archive_only_when_trusted(
    settings, tmp_path, new_site
):
    settings.MEDIA_ROOT = tmp_path / "media"
    backup = create_backup(tmp_path / "sao-luu")
    expected = row_digests()
    site = new_site(connection.vendor)
    site.secret_key = "khoa-bi-mat-cua-may-chu-moi-" + "z" * 30
    refused = site.restore(backup.path, check=False)
    assert refused.returncode == 1
    assert "signed by another installation" in refused.stderr
    assert "--trust-archive" in refused.stderr and "Nothing was restored" in refused.stderr
    assert site.tables() == []
    trusted = site.restore(backup.path, "--trust-archive")
    assert "not checked (--trust-archive)" in trusted.stdout and "Restored" in trusted.stdout
    assert site.digests() == expected


# -- hostile archives ------------------------------------------------------------------------


def archive_with(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    """An archive whose first member is `member`, with a checksum that fits: damage is not
    what stops it."""
    with tarfile.open(path, "w:gz") as archive:
        member.size = len(data) if member.isfile() else 0
        archive.addfile(member, io.BytesIO(data) if member.isfile() else None)
        manifest = json.dumps({"format": "steer-backup", "format_version": 1}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    Path(f"{path}.sha256").write_text(f"{digest}  {path.name}\n")
    return path


def member(name: str, kind=tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    "hostile",
    [
        member("../../ngoai-thu-muc.txt"),
        member("media/../../../ngoai-thu-muc.txt"),
        member("/tmp/ngoai-thu-muc.txt"),
        member("./media/steering/a.pdf"),
        member("media//steering/a.pdf"),
        member("khac/a.pdf"),
        member("media/lien-ket", tarfile.SYMTYPE, "/etc/passwd"),
        member("media/lien-ket-cung", tarfile.LNKTYPE, "manifest.json"),
        member("media/thu-muc", tarfile.DIRTYPE),
        member("media/fifo", tarfile.FIFOTYPE),
    ],
    ids=lambda m: m.name,
)
def test_an_archive_member_outside_the_backups_own_names_is_refused_and_written_nowhere(
    tmp_path, hostile
):
    into = tmp_path / "giai-nen" / "ben-trong"
    into.mkdir(parents=True)
    archive = archive_with(tmp_path / "sao-luu.tar.gz", hostile, b"noi dung la")
    with pytest.raises(BackupError, match="which a steer backup does not"):
        unpack(archive, into)
    written = [p for p in tmp_path.rglob("*") if p.is_file() or p.is_symlink()]
    assert sorted(p.name for p in written) == ["sao-luu.tar.gz", "sao-luu.tar.gz.sha256"]


def test_a_restore_refuses_to_follow_a_link_out_of_media_root(tmp_path):
    staged = tmp_path / "giai-nen" / "media"
    (staged / "steering" / "directive" / "7").mkdir(parents=True)
    (staged / "steering" / "directive" / "7" / "bien-ban.pdf").write_bytes(b"%PDF-1.4")
    root, elsewhere = tmp_path / "media", tmp_path / "noi-khac"
    root.mkdir()
    elsewhere.mkdir()
    (root / "steering").symlink_to(elsewhere)
    with pytest.raises(BackupError, match="would be written outside"):
        _placed_files(staged, root)
    (root / "steering").unlink()
    assert _placed_files(staged, root) == [
        (
            staged / "steering" / "directive" / "7" / "bien-ban.pdf",
            root / "steering" / "directive" / "7" / "bien-ban.pdf",
        )
    ]
