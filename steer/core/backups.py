"""Backups: one archive with every row of the database and every uploaded file, and its restore.

The archive (a .tar.gz, with `<archive>.sha256` beside it in sha256sum's format) holds
`data/<app>.<model>.jsonl`, one row a line in dumpdata's shape ({"model", "pk", "fields"}),
`media/...`, every file under MEDIA_ROOT, and `manifest.json`, written last: when and from what
it was made, the migrations applied, the rows of each model and the sha256 and size of every
other member.

Rows keep their primary keys, except content types and permissions: the database that receives
them makes its own when it is migrated, in its own order, so those are named by natural key, as
are the references to them (the subjects of steering events and attachments, users' and groups'
permissions). Values are written at full precision (dumpdata's JSON cuts datetimes to
milliseconds) and binary ones (the documents' Word and PDF files) in base64.

A restore reads the rows with the models of the migrations the archive was made at, then
migrates forward, so an archive of an older release restores into a newer one.

`manifest.sig` signs the manifest (and through its sha256s every member) with an HMAC of the
site's secret key: the checksum file shows damage, the signature shows that this installation
made the archive. A restore refuses an archive without it, or signed with another key, unless
told to trust the archive (one brought from another installation).
"""

import base64
import datetime as dt
import decimal
import hashlib
import importlib.metadata
import json
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.duration import duration_iso_string

FORMAT = "steer-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CHUNK = 1024 * 1024
BATCH = 2000
CONTENT_TYPE = "contenttypes.contenttype"
PERMISSION = "auth.permission"
NATURAL = (CONTENT_TYPE, PERMISSION)
# Made by `migrate` itself, so not data: a database holding only these is empty.
SCHEMA_TABLES = {"django_migrations", "django_content_type", "auth_permission"}

# progress(label, total) returns tick(done): steer.core.progress.ProgressBar fits.
Progress = Callable[[str, int], Callable[[int], None]]


class BackupError(Exception):
    """A backup or restore that cannot be carried out; the message says why."""


@dataclass
class Backup:
    path: Path
    checksum_path: Path
    sha256: str
    size: int
    rows: int
    files: int
    file_bytes: int
    seconds: float
    missing_files: list[str] = field(default_factory=list)


@dataclass
class Restore:
    rows: int
    files: int
    seconds: float
    manifest: dict
    replaced: list[tuple[str, int]] = field(default_factory=list)


def _quiet(label: str, total: int) -> Callable[[int], None]:
    return lambda done: None


# -- rows as lines ----------------------------------------------------------------------------


def label_of(model) -> str:
    return model._meta.label_lower


def _load_order(label: str) -> int:
    return NATURAL.index(label) if label in NATURAL else len(NATURAL)


def data_models(using: str = DEFAULT_DB_ALIAS, *, include_auto_created: bool = False) -> list:
    """The models whose rows a backup holds: content types and permissions first, since the
    other rows name them. The tables of many-to-many fields go with their model."""
    found = [
        model
        for model in global_apps.get_models(include_auto_created=include_auto_created)
        if model._meta.managed
        and not model._meta.proxy
        and router.allow_migrate_model(using, model)
    ]
    return sorted(found, key=lambda m: (_load_order(label_of(m)), label_of(m)))


def _plain(value):
    """A value as JSON holds it, losing nothing: to_python() of its field reads it back."""
    if isinstance(value, bytes | memoryview | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    return value


class _NaturalKeys:
    """Content types and permissions by natural key, read once per database."""

    def __init__(self, using: str, apps=global_apps):
        content_type = apps.get_model("contenttypes", "ContentType")
        permission = apps.get_model("auth", "Permission")
        self.types = {
            pk: [app, model]
            for pk, app, model in content_type._base_manager.using(using).values_list(
                "pk", "app_label", "model"
            )
        }
        self.permissions = {
            pk: [codename, *self.types[type_id]]
            for pk, codename, type_id in permission._base_manager.using(using).values_list(
                "pk", "codename", "content_type_id"
            )
        }

    def of(self, label: str):
        if label == CONTENT_TYPE:
            return self.types
        if label == PERMISSION:
            return self.permissions
        return None


# Types whose values JSON holds as they come from the database.
AS_IS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BooleanField",
    "FloatField",
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "FileField",
    "ImageField",
    "FilePathField",
    "GenericIPAddressField",
    "JSONField",
}


# Of those, the ones the database takes only through their field (an adapter, a conversion).
READ_BY_FIELD = {"JSONField", "GenericIPAddressField", "FileField", "ImageField", "FilePathField"}


def _encoder(field):
    """How a field's values are written: None for as they are, else a function."""
    if field.is_relation:
        field = field.target_field
    kind = field.get_internal_type()
    if kind in AS_IS:
        return None
    if kind in ("DateTimeField", "DateField", "TimeField"):
        return _isoformat
    if kind == "DecimalField":
        return str
    return _plain


def _isoformat(value) -> str:
    return value.isoformat()


def model_lines(model, using: str = DEFAULT_DB_ALIAS, natural=None) -> Iterator[str]:
    """Every row of the model as one JSON line, by primary key (keys sorted, so that the same
    rows give the same text on any database)."""
    natural = natural or _NaturalKeys(using)
    opts = model._meta
    label = label_of(model)
    fields = sorted(
        (f for f in opts.concrete_fields if not f.primary_key and not f.generated),
        key=lambda f: f.name,
    )
    names = [opts.pk.attname] + [f.attname for f in fields]
    # (name, position in the row, natural keys by pk or None, encoder or None)
    columns = [
        (
            f.name,
            position,
            natural.of(label_of(f.related_model)) if f.is_relation else None,
            _encoder(f),
        )
        for position, f in enumerate(fields, start=1)
    ]
    many = {}
    for m2m in opts.many_to_many:
        through = m2m.remote_field.through
        if not through._meta.auto_created:
            continue  # its own model, backed up as such
        source = through._meta.get_field(m2m.m2m_field_name()).attname
        target = through._meta.get_field(m2m.m2m_reverse_field_name()).attname
        links = defaultdict(list)
        rows = through._base_manager.using(using).order_by(source, target)
        names_of = natural.of(label_of(m2m.related_model))
        for owner, other in rows.values_list(source, target).iterator(chunk_size=BATCH):
            links[owner].append(names_of[other] if names_of is not None else other)
        if names_of is not None:  # in an order of their own, not of another database's numbers
            for names in links.values():
                names.sort()
        many[m2m.name] = links
    pk_encoder = _encoder(opts.pk) or (lambda value: value)
    # Nested keys (JSON fields) sorted too: PostgreSQL's jsonb keeps its own order.
    encode = json.JSONEncoder(
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=any(f.get_internal_type() == "JSONField" for f in fields),
    ).encode
    ordered = sorted([*(c[0] for c in columns), *many])
    query = model._base_manager.using(using).order_by("pk").values_list(*names)
    for row in query.iterator(chunk_size=BATCH):
        values: dict[str, Any] = {}
        for name, position, names_of, encoder in columns:
            value = row[position]
            if value is None:
                values[name] = None
            elif names_of is not None:
                values[name] = names_of[value]
            elif encoder is not None:
                values[name] = encoder(value)
            else:
                values[name] = value
        for name, links in many.items():
            values[name] = links.get(row[0], [])
        values = {name: values[name] for name in ordered}
        line = {"fields": values, "model": label}
        if label not in NATURAL:
            line["pk"] = pk_encoder(row[0])
        yield encode(line)


# -- backup ---------------------------------------------------------------------------------


@contextmanager
def _snapshot(using: str):
    """Read everything in one transaction, so the rows of all tables are of one moment."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield  # the caller's transaction (a test's) already is one moment
        return
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # A deferred transaction is a read snapshot under WAL and lets writers go on; the
        # site's IMMEDIATE one would hold the write lock for the whole backup.
        sqlite: Any = connection  # django-stubs lacks SQLite's transaction_mode (Django 5.1)
        saved = sqlite.transaction_mode
        sqlite.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic(using=using):
                yield
        finally:
            sqlite.transaction_mode = saved
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _unapplied(using: str) -> list:
    executor = MigrationExecutor(connections[using])
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def _applied(using: str) -> dict[str, list[str]]:
    found = defaultdict(list)
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        found[app].append(name)
    return {app: sorted(names) for app, names in sorted(found.items())}


def steer_version() -> str:
    try:
        return importlib.metadata.version("steer")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def default_name(moment: dt.datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return f"steer-backup-{moment:%Y%m%d-%H%M%S}.tar.gz"


def _target(output: Path | None) -> Path:
    if output is None:
        return Path(settings.VAR_DIR) / "backups" / default_name()
    output = Path(output)
    if output.is_dir() or not output.name.endswith((".tar.gz", ".tgz")):
        return output / default_name()  # a folder, made if need be
    return output


def media_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """(name in the archive, path) of every file under MEDIA_ROOT, by name."""
    root = Path(root or settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found.append(("media/" + path.relative_to(root).as_posix(), path))
    return sorted(found)


def _stored_names(using: str) -> set[str]:
    """The files the rows point at (FileFields)."""
    names: set[str] = set()
    for model in data_models(using):
        for f in model._meta.concrete_fields:
            if f.get_internal_type() in ("FileField", "ImageField"):
                names.update(
                    n
                    for n in model._base_manager.using(using)
                    .exclude(**{f.attname: ""})
                    .values_list(f.attname, flat=True)
                    if n
                )
    return names


class _Hashing:
    """A file read through, hashing what passes."""

    def __init__(self, stream):
        self.stream, self.sha = stream, hashlib.sha256()

    def read(self, size=-1):
        chunk = self.stream.read(size)
        self.sha.update(chunk)
        return chunk


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def create_backup(
    output: Path | None = None, *, using: str = DEFAULT_DB_ALIAS, progress: Progress | None = None
) -> Backup:
    """Write the archive and its checksum file; returns what was written. A crash leaves at
    most a `.partial` file: the archive appears under its name only when complete."""
    progress = progress or _quiet
    started = time.perf_counter()
    if pending := _unapplied(using):
        raise BackupError(
            f"The database is not up to date with the code ({len(pending)} migrations not "
            "applied): run `manage.py migrate` first."
        )
    target = _target(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest = _manifest_head(using)
    members: dict[str, dict] = {}
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as folder:
        work = Path(folder)
        (work / "data").mkdir()
        with _snapshot(using):
            manifest["migrations"] = _applied(using)
            models = _write_rows(work, using, members, progress)
            stored = _stored_names(using)
        manifest["models"] = models
        files = media_files()
        present = {name.removeprefix("media/") for name, _ in files}
        missing = sorted(stored - present)
        _write_archive(partial, work, manifest, members, files, missing, progress)
    digest = file_sha256(partial)
    os.replace(partial, target)
    checksum = _write_checksum(target, digest)
    return Backup(
        path=target,
        checksum_path=checksum,
        sha256=digest,
        size=target.stat().st_size,
        rows=sum(m["rows"] for m in models),
        files=len(files),
        file_bytes=manifest["media"]["bytes"],
        seconds=time.perf_counter() - started,
        missing_files=missing,
    )


def _manifest_head(using: str) -> dict[str, Any]:
    """What the manifest says of the archive before its contents: when and from what."""
    connection = connections[using]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "steer_version": steer_version(),
        "database": {
            "engine": connection.vendor,
            "version": ".".join(str(p) for p in connection.get_database_version()),
        },
    }


def _write_rows(
    work: Path, using: str, members: dict[str, dict], progress: Progress
) -> list[dict[str, Any]]:
    """Write each model's rows to `data/<label>.jsonl` under `work`, adding each file's sha256
    and size to `members`; returns the manifest's entry of each model."""
    counts = {label_of(m): m._base_manager.using(using).count() for m in data_models(using)}
    tick = progress("rows", sum(counts.values()))
    natural = _NaturalKeys(using)
    models = []
    done = 0
    for model in data_models(using):
        label = label_of(model)
        name = f"data/{label}.jsonl"
        sha, size, rows = hashlib.sha256(), 0, 0
        with open(work / name, "wb") as stream:
            for line in model_lines(model, using, natural):
                data = (line + "\n").encode("utf-8")
                stream.write(data)
                sha.update(data)
                size += len(data)
                rows += 1
                done += 1
                if done % 1000 == 0:
                    tick(done)
        members[name] = {"sha256": sha.hexdigest(), "size": size}
        models.append({"model": label, "rows": rows, "member": name})
    tick(done)
    return models


def _write_archive(
    partial: Path,
    work: Path,
    manifest: dict[str, Any],
    members: dict[str, dict],
    files: list[tuple[str, Path]],
    missing: list[str],
    progress: Progress,
) -> None:
    """Pack the rows written under `work`, the media files, then the manifest (completed with
    the media and every member's sha256) and its signature into the archive `partial`."""
    data_names = [m["member"] for m in manifest["models"]]
    total = sum(members[n]["size"] for n in data_names) + sum(p.stat().st_size for _, p in files)
    tick = progress("archive", total)
    written = 0
    # Readable by its owner only: it holds password hashes, sessions and access tokens.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with (
        os.fdopen(descriptor, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in data_names:
            tar.add(work / name, arcname=name, recursive=False)
            written += members[name]["size"]
            tick(written)
        for name, path in files:
            info = tar.gettarinfo(path, arcname=name)
            with open(path, "rb") as stream:
                hashing = _Hashing(stream)
                tar.addfile(info, hashing)
            members[name] = {"sha256": hashing.sha.hexdigest(), "size": info.size}
            written += info.size
            tick(written)
        manifest["media"] = {
            "files": len(files),
            "bytes": sum(members[n]["size"] for n, _ in files),
            "missing": missing,
        }
        manifest["members"] = members
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        (work / MANIFEST).write_bytes(body)
        tar.add(work / MANIFEST, arcname=MANIFEST, recursive=False)
        (work / SIGNATURE).write_text(json.dumps(signature(body)), encoding="utf-8")
        tar.add(work / SIGNATURE, arcname=SIGNATURE, recursive=False)
    tick(total)


def _write_checksum(target: Path, digest: str) -> Path:
    """The checksum file beside the archive, in sha256sum's format, appearing whole."""
    checksum = target.with_name(target.name + ".sha256")
    checksum_partial = checksum.with_name(checksum.name + ".partial")
    checksum_partial.write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    os.replace(checksum_partial, checksum)
    return checksum


# -- signing the manifest -------------------------------------------------------------------


def _secret_keys() -> list[str]:
    """The site's secret key, then the ones it replaced (still trusted, as Django does)."""
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _key_id(secret: str) -> str:
    """Names a secret key without giving it away: which installation signed an archive."""
    return salted_hmac(
        "steer.core.backups.key", "key", secret=secret, algorithm="sha256"
    ).hexdigest()[:16]


def _mac(body: bytes, secret: str) -> str:
    return salted_hmac(
        "steer.core.backups.manifest", body, secret=secret, algorithm="sha256"
    ).hexdigest()


def signature(body: bytes) -> dict:
    """The signature of a manifest's bytes, with the site's secret key."""
    secret = settings.SECRET_KEY
    return {"algorithm": "hmac-sha256", "key": _key_id(secret), "hmac": _mac(body, secret)}


def check_signature(name: str, body: bytes, signed: bytes | None) -> None:
    """Refuse (BackupError) a manifest this installation did not sign."""
    trust = "give --trust-archive to restore it all the same"
    if signed is None:
        raise BackupError(
            f"The archive {name} is not signed, so nothing shows that this installation made "
            f"it (it may come from a release before signed backups, or have been put together "
            f"by someone else). If you know where it comes from, {trust}."
        )
    try:
        found = json.loads(signed)
        key, mac = str(found["key"]), str(found["hmac"])
    except (ValueError, TypeError, KeyError) as error:
        raise BackupError(f"The archive {name}'s signature cannot be read: {error}.") from None
    secret = next((s for s in _secret_keys() if constant_time_compare(_key_id(s), key)), None)
    if secret is None:
        raise BackupError(
            f"The archive {name} was signed by another installation (another secret key, "
            f"{key}; this one's is {_key_id(settings.SECRET_KEY)}). Restore it with that "
            f"installation's STEER_SECRET_KEY, or, if you know where it comes from, {trust}."
        )
    if not constant_time_compare(_mac(body, secret), mac):
        raise BackupError(
            f"The archive {name} was altered after it was made: its manifest does not match "
            "its signature."
        )


# -- checking an archive --------------------------------------------------------------------


def check_checksum(path: Path) -> str:
    """Compare the archive with the checksum file beside it; returns the digest."""
    checksum = path.with_name(path.name + ".sha256")
    if not path.is_file():
        raise BackupError(f"There is no archive {path}.")
    if not checksum.is_file():
        raise BackupError(
            f"The checksum file {checksum.name} is missing beside the archive: without it the "
            "archive cannot be checked. Copy it along with the archive."
        )
    words = checksum.read_text(encoding="utf-8", errors="replace").split()
    expected = words[0].lower() if words else ""
    actual = file_sha256(path)
    if actual != expected:
        raise BackupError(
            f"The archive {path.name} does not match its checksum file {checksum.name} "
            f"(sha256 {actual}, expected {expected or 'nothing'}): it is damaged or was altered."
        )
    return actual


def _member_name(member: tarfile.TarInfo) -> str:
    name = PurePosixPath(member.name)
    if (
        not member.isfile()
        or name.is_absolute()
        or ".." in name.parts
        or str(name) != member.name
        or not (member.name in (MANIFEST, SIGNATURE) or name.parts[0] in ("data", "media"))
        or len(name.parts) < (1 if member.name in (MANIFEST, SIGNATURE) else 2)
    ):
        raise BackupError(f"The archive holds {member.name!r}, which a steer backup does not.")
    return member.name


def unpack(
    path: Path, into: Path, progress: Progress | None = None, *, trust: bool = False
) -> dict:
    """Check the archive and unpack it into a directory; returns its manifest. Refuses (raises
    BackupError naming the problem) a damaged or altered archive, and unless `trust` is given
    one this installation did not sign."""
    progress = progress or _quiet
    check_checksum(path)
    found: dict[str, dict] = {}
    tick = progress("checking", path.stat().st_size)
    try:
        with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as tar:
            for member in tar:
                name = _member_name(member)
                if name in found:
                    raise BackupError(f"The archive holds {name} twice.")
                destination = into / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                sha, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                assert source is not None  # _member_name took regular files only
                with open(destination, "wb") as out:
                    while chunk := source.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                found[name] = {"sha256": sha.hexdigest(), "size": size}
                tick(raw.tell())
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(f"The archive {path.name} cannot be unpacked: {error}.") from None
    if MANIFEST not in found:
        raise BackupError(f"The archive {path.name} has no {MANIFEST}: it is not a steer backup.")
    body = (into / MANIFEST).read_bytes()
    if not trust:
        signed = (into / SIGNATURE).read_bytes() if SIGNATURE in found else None
        check_signature(path.name, body, signed)
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"The archive's {MANIFEST} cannot be read: {error}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"The archive {path.name} is not a steer backup.")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(
            "The archive was written by a newer release of steer (format "
            f"{manifest.get('format_version')}); restore it with that release or a newer one."
        )
    expected = manifest.get("members") or {}
    del found[MANIFEST]
    found.pop(SIGNATURE, None)
    problems = []
    for name in sorted(expected.keys() - found.keys()):
        problems.append(f"{name} is missing")
    for name in sorted(found.keys() - expected.keys()):
        problems.append(f"{name} is not listed in the manifest")
    for name in sorted(expected.keys() & found.keys()):
        if found[name] != expected[name]:
            problems.append(
                f"{name} has sha256 {found[name]['sha256']} and {found[name]['size']} bytes, "
                f"the manifest says {expected[name].get('sha256')} and "
                f"{expected[name].get('size')} bytes"
            )
    listed = {m["member"] for m in manifest.get("models", [])}
    for name in sorted(listed - expected.keys()):
        problems.append(f"{name} (rows) is missing")
    if problems:
        raise BackupError(
            f"The archive {path.name} was altered or is incomplete: " + "; ".join(problems) + "."
        )
    return manifest


# -- restore --------------------------------------------------------------------------------


def existing_data(using: str = DEFAULT_DB_ALIAS) -> list[tuple[str, int]]:
    """(what, rows) of every table holding data, and the files under MEDIA_ROOT: what a restore
    would replace. Empty for a database that was only migrated."""
    connection = connections[using]
    with translation.override("en"):
        names = {
            m._meta.db_table: str(m._meta.verbose_name_plural) for m in global_apps.get_models()
        }
    held = []
    with connection.cursor() as cursor:
        tables = sorted(set(connection.introspection.table_names(cursor)) - SCHEMA_TABLES)
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            count = cursor.fetchone()[0]
            if count:
                held.append((f"{names.get(table, table)} ({table})", count))
    files = len(media_files())
    if files:
        held.append((f"files under {settings.MEDIA_ROOT}", files))
    return held


def _targets(loader, applied: set) -> list:
    """Migration targets that bring a database to the archive's state, per app."""
    targets = []
    for app in sorted(loader.migrated_apps):
        nodes = [n for n in applied if n[0] == app]
        if not nodes:
            targets.append((app, None))
            continue
        before = {n: set(loader.graph.forwards_plan(n)) - {n} for n in nodes}
        targets.extend(sorted(n for n in nodes if not any(n in before[m] for m in nodes if m != n)))
    return targets


def _check_migrations(manifest: dict, loader) -> set:
    applied = {
        (app, name) for app, names in manifest.get("migrations", {}).items() for name in names
    }
    unknown = sorted(applied - set(loader.graph.nodes))
    if unknown:
        shown = ", ".join(f"{app}.{name}" for app, name in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise BackupError(
            f"The archive was made by a newer release of steer (version "
            f"{manifest.get('steer_version', '?')}): this code does not have its migrations "
            f"{shown}{more}. Install that release or a newer one, then restore."
        )
    return applied


class _Loader:
    """Rows of the archive into the database, with the models of the archive's migrations."""

    def __init__(self, apps, using: str, tick):
        self.apps, self.using, self.tick = apps, using, tick
        self.connection = connections[using]
        self.done = 0
        self.types: dict[tuple, int] = {}
        self.permissions: dict[tuple, int] = {}

    def model(self, label: str):
        app, _, name = label.partition(".")
        try:
            return self.apps.get_model(app, name)
        except LookupError:
            raise BackupError(
                f"The archive holds rows of {label}, which its own migrations do not define."
            ) from None

    def rows(self, path: Path) -> Iterator[dict]:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if line.strip():
                    yield json.loads(line)

    def wipe(self, labels: Iterable[str]) -> None:
        """Delete the rows of every table the archive fills (for --force)."""
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for label in labels:
                if label in NATURAL:
                    continue
                model = self.model(label)
                for m2m in model._meta.local_many_to_many:
                    if m2m.remote_field.through._meta.auto_created:
                        cursor.execute(f"DELETE FROM {qn(m2m.remote_field.through._meta.db_table)}")
                cursor.execute(f"DELETE FROM {qn(model._meta.db_table)}")

    def load(self, label: str, path: Path) -> None:
        if label == CONTENT_TYPE:
            self._content_types(path)
        elif label == PERMISSION:
            self._permissions(path)
        else:
            self._rows(self.model(label), path)

    def _content_types(self, path: Path) -> None:
        model = self.model(CONTENT_TYPE)
        manager = model._base_manager.using(self.using)
        self.types = {(a, m): pk for pk, a, m in manager.values_list("pk", "app_label", "model")}
        for row in self.rows(path):
            key = (row["fields"]["app_label"], row["fields"]["model"])
            if key not in self.types:
                self.types[key] = manager.create(app_label=key[0], model=key[1]).pk
            self._count()

    def _permissions(self, path: Path) -> None:
        model = self.model(PERMISSION)
        manager = model._base_manager.using(self.using)
        type_keys = {pk: key for key, pk in self.types.items()}
        self.permissions = {
            (codename, *type_keys.get(type_id, ("", ""))): pk
            for pk, codename, type_id in manager.values_list("pk", "codename", "content_type_id")
        }
        for row in self.rows(path):
            fields = row["fields"]
            key = (fields["codename"], *fields["content_type"])
            if key not in self.permissions:
                self.permissions[key] = manager.create(
                    name=fields["name"],
                    codename=fields["codename"],
                    content_type_id=self._natural(CONTENT_TYPE, fields["content_type"]),
                ).pk
            self._count()

    def _natural(self, label: str, key):
        known = self.types if label == CONTENT_TYPE else self.permissions
        try:
            return known[tuple(key)]
        except (KeyError, TypeError):
            raise BackupError(f"The archive names a {label} {key!r} it does not hold.") from None

    def _rows(self, model, path: Path) -> None:
        opts = model._meta
        columns = [f for f in opts.local_concrete_fields if not f.generated]
        position = {f.name: i for i, f in enumerate(columns)}
        prepare = [self._preparer(f) for f in columns]
        # A field the archive's rows lack (none should) gets its default.
        defaults = [f.get_db_prep_save(f.get_default(), self.connection) for f in columns]
        key = position[opts.pk.name]
        m2ms = {f.name: f for f in opts.local_many_to_many}
        batch, links = [], defaultdict(list)
        for row in self.rows(path):
            values = list(defaults)
            pk = row.get("pk")
            values[key] = prepare[key](pk)
            for name, raw in row["fields"].items():
                at = position.get(name)
                if at is not None:
                    values[at] = None if raw is None else prepare[at](raw)
                elif name in m2ms:
                    links[name].append((values[key], raw))
                else:
                    raise BackupError(
                        f"The rows of {label_of(model)} have a field {name!r} "
                        "that its migrations do not define."
                    )
            batch.append(values)
            if len(batch) >= BATCH:
                self._insert(model, columns, batch)
                batch = []
            self._count()
        self._insert(model, columns, batch)
        for name, pairs in links.items():
            self._links(m2ms[name], pairs)

    def _preparer(self, f):
        """raw value (as the archive holds it) -> value as the database takes it."""
        connection = self.connection
        if f.is_relation:
            target = label_of(f.related_model)
            if target in NATURAL:
                return lambda raw: self._natural(target, raw)
            base = f.target_field
        else:
            base = f
        if base.get_internal_type() in AS_IS - READ_BY_FIELD:
            return lambda raw: raw  # an int, a str, a bool or a float: as it is
        return lambda raw: f.get_db_prep_save(base.to_python(raw), connection)

    def _links(self, m2m, pairs) -> None:
        through = m2m.remote_field.through
        if not through._meta.auto_created:
            return
        columns = [
            through._meta.get_field(m2m.m2m_field_name()),
            through._meta.get_field(m2m.m2m_reverse_field_name()),
        ]
        natural = label_of(m2m.related_model)
        rows = []
        for owner, others in pairs:
            for other in others:
                if natural in NATURAL:
                    other = self._natural(natural, other)
                rows.append((owner, other))
        for start in range(0, len(rows), BATCH):
            self._insert(through, columns, rows[start : start + BATCH])

    def _insert(self, model, columns, rows) -> None:
        """Insert values as the database takes them: no save(), no signal, auto_now fields
        keep theirs (as loaddata's raw saves)."""
        if not rows:
            return
        qn = self.connection.ops.quote_name
        table = qn(model._meta.db_table)
        names = ", ".join(qn(f.column) for f in columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # COPY: an INSERT a row made the restore of 3.3 M rows take 605 s, mostly the
                # server's round trips.
                raw = cursor.connection  # psycopg's, in Django's transaction
                with raw.cursor() as pg, pg.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def _count(self) -> None:
        self.done += 1
        if self.done % 1000 == 0:
            self.tick(self.done)

    def check_counts(self, manifest: dict) -> None:
        wrong = []
        for entry in manifest["models"]:
            label = entry["model"]
            count = self.model(label)._base_manager.using(self.using).count()
            short = count < entry["rows"] if label in NATURAL else count != entry["rows"]
            if short:
                wrong.append(f"{label}: {count} rows, the archive has {entry['rows']}")
        if wrong:
            raise BackupError("The rows restored do not match the archive: " + "; ".join(wrong))

    def models_with_sequences(self, labels) -> list:
        found = []
        for label in labels:
            model = self.model(label)
            found.append(model)
            found.extend(
                f.remote_field.through
                for f in model._meta.local_many_to_many
                if f.remote_field.through._meta.auto_created
            )
        return found


def _reset_sequences(using: str, models) -> None:
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _placed_files(staged: Path, root: Path) -> list[tuple[Path, Path]]:
    """(unpacked file, where it goes under MEDIA_ROOT) for every file of the archive. The
    members' names were checked (no absolute name, no "..", no link); this refuses a
    destination that a link already under MEDIA_ROOT would lead outside it."""
    if not staged.is_dir():
        return []
    real_root = root.resolve()
    placed = []
    for path in sorted(staged.rglob("*")):
        if path.is_file():
            destination = root / path.relative_to(staged)
            if not destination.resolve().is_relative_to(real_root):
                raise BackupError(
                    f"The file {destination} would be written outside {root} (a link there "
                    "leads elsewhere): remove the link and restore again."
                )
            placed.append((path, destination))
    return placed


def _put_files(placed: list[tuple[Path, Path]]) -> int:
    for path, destination in placed:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, destination)
    return len(placed)


def _data_to_replace(using: str, force: bool, say: Callable[[str], None]) -> list:
    """What the database holds; refused unless `force`, and then said."""
    held = existing_data(using)
    if held and not force:
        listing = ", ".join(f"{what}: {count}" for what, count in held[:8])
        more = f" and {len(held) - 8} more tables" if len(held) > 8 else ""
        raise BackupError(
            f"The database already holds data ({listing}{more}). Restore into an empty "
            "database, or give --force to replace it with the archive's."
        )
    if held:
        say(
            "Replacing what the database holds: "
            + ", ".join(f"{what}: {count}" for what, count in held)
            + ". Files under MEDIA_ROOT that the archive also has are overwritten, the "
            "others left in place."
        )
    return held


def restore_backup(
    path: Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    force: bool = False,
    trust: bool = False,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
) -> Restore:
    """Check the archive, then put its rows and files back: the schema migrated to the
    archive's state, every row loaded in one transaction and counted, the schema migrated to
    the code's, the files put under MEDIA_ROOT. Raises BackupError before changing anything
    when the archive is damaged or altered, is newer than the code, was not signed by this
    installation and `trust` is not given, or the database holds data and `force` is not given."""
    progress = progress or _quiet
    say = say or (lambda message: None)
    started = time.perf_counter()
    path = Path(path)
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("A restore migrates the database: run it outside a transaction.")
    work_parent = Path(settings.VAR_DIR)
    work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=work_parent) as folder:
        work = Path(folder)
        manifest = unpack(path, work, progress, trust=trust)
        placed = _placed_files(work / "media", Path(settings.MEDIA_ROOT))
        executor = MigrationExecutor(connection)
        loader = executor.loader
        applied = _check_migrations(manifest, loader)
        held = _data_to_replace(using, force, say)
        loader.check_consistent_history(connection)
        targets = _targets(loader, applied)
        plan = executor.migration_plan(targets)
        if plan:
            say(f"Bringing the schema to the archive's ({len(plan)} migrations).")
        executor.migrate(targets, plan=plan)
        state = executor.loader.project_state([t for t in targets if t[1] is not None], at_end=True)
        # Content types, then permissions, then the rest (which name them), whatever the
        # manifest's order.
        entries = sorted(manifest["models"], key=lambda e: _load_order(e["model"]))
        labels = [entry["model"] for entry in entries]
        tick = progress("rows", sum(entry["rows"] for entry in entries))
        rows = _Loader(state.apps, using, tick)
        try:
            with transaction.atomic(using=using):
                # Also when the database was empty: rows a migration may have made give way.
                rows.wipe(labels)
                for entry in entries:
                    rows.load(entry["model"], work / entry["member"])
                tick(rows.done)
                rows.check_counts(manifest)
                _reset_sequences(using, rows.models_with_sequences(labels))
        except (DatabaseError, ValueError, ValidationError) as error:
            raise BackupError(
                f"The database refused the archive's rows ({error}); they were all taken back."
            ) from error
        call_command("migrate", database=using, interactive=False, verbosity=0, skip_checks=True)
        _reset_sequences(using, data_models(using, include_auto_created=True))
        files = _put_files(placed)
    return Restore(
        rows=rows.done,
        files=files,
        seconds=time.perf_counter() - started,
        manifest=manifest,
        replaced=held,
    )
