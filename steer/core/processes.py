"""Which process is this, and is that one still running: how work left behind by a killed
process is recognised (a document being made, a PDF conversion's temporary folder).

A process is named by its host, its id and its start time, so that a process id the system has
since given to another process is not taken for the one that had it.

Pure: no Django.
"""

import os
import socket
from pathlib import Path


def _start_time(pid: int) -> str | None:
    """When the process started, in clock ticks since boot (Linux); None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the name (field 2, in parentheses) may hold spaces.
    return stat[stat.rindex(")") + 2 :].split()[19]


def local_id(pid: int | None = None) -> str:
    """This process (or pid) on this host: "<pid>.<start time>" ("<pid>.-" without /proc)."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{_start_time(pid) or '-'}"


def me() -> str:
    """This process, on this host: "<host>/<pid>.<start time>"."""
    return f"{socket.gethostname()}/{local_id()}"


def alive_here(process: str) -> bool | None:
    """Whether a process of this host named by local_id() still runs; None if unreadable."""
    pid, _dot, started = process.partition(".")
    if not pid.isdigit() or int(pid) == 0 or not started:
        return None
    if started != "-":
        return _start_time(int(pid)) == started
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(process: str) -> bool | None:
    """Whether a process named by me() still runs; None when it ran on another host."""
    host, _slash, local = process.rpartition("/")
    if host != socket.gethostname():
        return None
    return alive_here(local)
