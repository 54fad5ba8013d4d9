"""The site under test: the Programme 07 demo database, built once, and real server processes
(gunicorn and the document worker) on a copy of it."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")


def server_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The journeys run once, on SQLite, whatever database the shell points at.
    for name in ("DATABASE_URL", "STEER_SQLITE_PATH", "STEER_DEBUG"):
        env.pop(name, None)
    env.update(
        STEER_VAR_DIR=str(var_dir),
        STEER_DEMO="1",
        STEER_ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(var_dir: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, MANAGE, *args],
        cwd=ROOT,
        env=server_env(var_dir),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


@dataclass
class DemoDatabase:
    """A migrated var directory holding the loaded demo, copied afresh for each journey."""

    var_dir: Path
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, var_dir: Path) -> "DemoDatabase":
        demo = cls(var_dir)
        demo.timings["migrate"] = _manage(var_dir, "migrate", "--no-input", "-v", "0")
        demo.timings["load_demo"] = _manage(var_dir, "load_demo")
        return demo

    def copy_to(self, target: Path) -> Path:
        # The whole var directory: the SQLite file (and a WAL file if one is left) and media.
        shutil.copytree(self.var_dir, target)
        return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving one copy of the demo, with its log kept for failure reports."""

    def __init__(self, var_dir: Path):
        self.var_dir = var_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / "server.log"
        self.worker_log_path = var_dir / "worker.log"
        self._processes: list[subprocess.Popen] = []
        self._worker_started = False
        self._checked_up_to = 0

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            process = subprocess.Popen(
                args, cwd=ROOT, env=server_env(self.var_dir), stdout=out, stderr=out
            )
        self._processes.append(process)
        return process

    def start(self, timeout: float = 30) -> "Server":
        process = self._spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "steer.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
            ],
            self.log_path,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log()}")

    def start_worker(self) -> None:
        """The background worker that makes documents (manage.py db_worker), once."""
        if self._worker_started:
            return
        self._worker_started = True
        self._spawn(
            [sys.executable, MANAGE, "db_worker", "--interval", "0.5", "--no-startup-delay"],
            self.worker_log_path,
        )

    def log(self, lines: int = 60) -> str:
        parts = []
        for path in (self.log_path, self.worker_log_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def server_errors(self) -> list[str]:
        """The server's own errors (500 answers) logged since the last call; a refusal (403) is
        logged too and is not one."""
        if not self.log_path.exists():
            return []
        with self.log_path.open(errors="replace") as log:
            log.seek(self._checked_up_to)
            lines = log.read().splitlines()
            self._checked_up_to = log.tell()
        return [
            line for line in lines if line.startswith("Internal Server Error") or '" 500 ' in line
        ]

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
