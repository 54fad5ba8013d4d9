"""Fixtures of the browser journeys: the demo database (built once), a server on a fresh copy
of it for each journey, Debian's Chromium, and signed-in sessions that fail the journey on any
JavaScript error or CSP violation. A failed journey leaves screenshots in var/browser-failures/.
"""

import os
import re

import pytest
from playwright.sync_api import sync_playwright

from browser_tests.browsing import CHROMIUM, CHROMIUM_ARGS, Site
from browser_tests.server import ROOT, DemoDatabase, Server

FAILURES = ROOT / "var" / "browser-failures"
_timings: dict[str, float] = {}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "read_only: the journey changes nothing another journey reads, so it may share the "
        "session's server instead of starting one on a fresh copy of the demo",
    )


def pytest_sessionstart(session):
    # Only this run's failures are left to read.
    for old in FAILURES.glob("*.png"):
        old.unlink()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> DemoDatabase:
    demo = DemoDatabase.build(tmp_path_factory.mktemp("demo") / "var")
    _timings.update(demo.timings)
    return demo


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make system-packages` as root (apt chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shared_server(demo_database, tmp_path_factory):
    server = Server(demo_database.copy_to(tmp_path_factory.mktemp("shared") / "var")).start()
    yield server
    server.stop()


@pytest.fixture
def server(request, demo_database, tmp_path):
    """The demo as it was loaded: a fresh copy and server for a journey that changes it."""
    if request.node.get_closest_marker("read_only"):
        yield request.getfixturevalue("shared_server")
        return
    server = Server(demo_database.copy_to(tmp_path / "var")).start()
    yield server
    server.stop()


@pytest.fixture
def worker(server) -> Server:
    """The server with its background worker, for journeys that make documents."""
    server.start_worker()
    return server


@pytest.fixture
def site(chromium, server):
    site = Site(chromium, server.url)
    yield site
    site.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A journey also fails on what the browser or the server reported along the way."""
    site, server = item.funcargs.get("site"), item.funcargs.get("server")
    try:
        result = yield
    except BaseException as error:
        if site is not None and site.problems:
            error.add_note("Also seen in the browser:\n" + "\n".join(map(str, site.problems)))
        raise
    found = [str(p) for p in site.problems] if site is not None else []
    if server is not None:
        found += [f"server: {line}" for line in server.server_errors()]
    if found:
        raise AssertionError("The browser or the server reported problems:\n" + "\n".join(found))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        site, server = item.funcargs.get("site"), item.funcargs.get("server")
        stem = re.sub(r"[^\w.-]+", "_", item.name)
        if site is not None:
            shots = site.screenshots(FAILURES, stem)
            if shots:
                report.sections.append(("screenshots", "\n".join(map(str, shots))))
        if server is not None:
            report.sections.append(("server log", server.log()))
    return report


def pytest_terminal_summary(terminalreporter):
    if _timings:
        terminalreporter.write_line(
            "demo database: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in _timings.items())
        )
