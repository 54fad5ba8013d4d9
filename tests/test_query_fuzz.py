"""No query parameter value and no part of a path gives a server error, on any page, for any role.

The test crawls the app as each demo role and as a visitor not signed in, from the start page and
the main menu the way a person would (links, redirects, htmx fragments, GET forms), and notes the
query parameters each page takes: those of its links and the fields of its GET forms. It then
sends each page pattern, for each of its parameters, every class of hostile value (digits of other
scripts, huge and tiny numbers, CR/LF and control characters, impossible dates, very long text,
codes of units the role may not see, unknown codes, parameters given twice, bytes that are not
UTF-8), the pages htmx asks fragments of every other time as htmx; and each part of each pattern's
path (a code, a number) replaced by what its pattern lets through. Every answer must be below 500
and carry Cache-Control: no-store.

To stay within its time (CI runs it on SQLite and on PostgreSQL: about a minute each on an idle
machine), the crawl visits each page pattern once per role, and each (pattern, parameter, value)
is sent as one role only, taken in turn among the roles that reached the pattern: every parameter
of every pattern still meets every value. Everything is sorted: the same requests every run.
Django's back office is not crawled (its NUL case is tested in test_query_params.py); the API has
its own schema fuzzing (test_api_fuzz.py).
"""

import contextlib
import itertools
import time
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from tests.pages import client_of

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

ROLES = [
    "anonymous",
    "quantri",
    "thuongtruc",
    "bancd",
    "kiemtra",
    "baocao.dongda",
    "lanhdao.dongda",
    "xem.thuongtin",
]
# Not crawled: files (whose GET may print a document), the back office (Django's own, and other
# than this app's pages), and what signs out or changes the language.
NOT_CRAWLED = {
    "logout",
    "set_language",
    "vega_bundle",
    "report_workbook",
    "evidence_file",
    "steering_file",
    "output_file",
    "document_template_file",
    "ranking_annex",
}
# A downloaded chart is drawn by Vega (slow): a link's ?download= is fuzzed, never followed.
NOT_FOLLOWED_PARAMETERS = {"download"}

TEXT = "Quận Đống Đa"
HOSTILE = {
    "other scripts' digits": ["²", "٢٠٢٤"],
    "huge numbers": ["9" * 5000, "1e999999999"],
    "tiny numbers": ["-99999999999999999999", "1e-999999999"],
    "not finite": ["NaN", "-Infinity"],
    "CR/LF": ["2024\r\nSet-Cookie: x=1", 'x"; filename=evil.html'],
    "control characters": ["\x00", "\x1b[31m\t"],
    "invalid dates": ["9999-12", "0001-01", "2024-02-30"],
    "very long text": [TEXT * 2000],
    "other units' codes": ["279", "006", "SKHCN"],
    "unknown codes": ["NOPE", "<script>"],
    "empty": ["", " "],
}
# In place of a part of a path (a code, a number): those its pattern lets through.
HOSTILE_PARTS = {
    "control characters": "\x00",
    "CR/LF": "006\r\nSet-Cookie: x=1",
    "other scripts' digits": "²",
    "huge numbers": "99999999999999999999",
    "very long text": TEXT * 100,
    "other units' codes": "279",
    "unknown codes": "NOPE",
}
# Sent as raw query text: bytes that are not UTF-8, a parameter given twice.
RAW = {
    "not UTF-8": ["{name}=%FF%FE"],
    "given twice": ["{name}=2024&{name}=abc", "{name}[]=1"],
}


class _Page(HTMLParser):
    """The URLs a page leads to by GET: links, htmx GETs and GET forms (with their fields)."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.targets: list[tuple[str, list[str]]] = []  # (URL, names of the form's fields)
        self.fragments: set[str] = set()  # URLs htmx asks for (a fragment of a page)
        self._form: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.targets.append((attrs["href"], []))
        if attrs.get("hx-get"):
            self.fragments.add(attrs["hx-get"])
            if tag != "form":
                self.targets.append((attrs["hx-get"], []))
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            if method == "get" or attrs.get("hx-get"):
                self._form = []
                action = attrs.get("hx-get") or attrs.get("action") or self.url
                self.targets.append((action, self._form))
        elif (
            tag in ("input", "select", "textarea") and self._form is not None and attrs.get("name")
        ):
            self._form.append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _internal(url: str, base: str) -> tuple[str, list[tuple[str, str]]] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path or urlsplit(base).path
    if not path.startswith("/"):
        return None
    return path, parse_qsl(parts.query, keep_blank_values=True)


def _match(path: str):
    """The URL pattern of a path the crawl may visit, None for others."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name in NOT_CRAWLED or match.app_name == "admin" or path.startswith("/api/"):
        return None
    return match


class Crawl:
    """What the roles reached: per page pattern, the path each role reached it by, and the query
    parameters seen in links and GET forms leading to it, with an example value."""

    def __init__(self):
        self.reached: dict[str, dict[str, str]] = defaultdict(dict)
        self.parameters: dict[str, dict[str, str]] = defaultdict(dict)
        self.fragments: set[str] = set()  # patterns htmx asks a fragment of
        self.failures: list[str] = []
        self.requests = 0

    def get(self, client, role: str, url: str, htmx: bool = False):
        self.requests += 1
        try:
            response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        except Exception as e:  # the test client re-raises what the view raised
            self.failures.append(f"{role} GET {url[:300]!r}: {type(e).__name__}: {e}"[:600])
            return None
        if response.status_code >= 500:
            self.failures.append(f"{role} GET {url[:300]!r}: {response.status_code}")
        if "no-store" not in response.get("Cache-Control", ""):
            self.failures.append(f"{role} GET {url[:300]!r}: no Cache-Control: no-store")
        return response

    def walk(self, role: str, client, start: list[str]):
        queue = list(start)
        while queue:
            found = _internal(queue.pop(0), "/")
            if found is None:
                continue
            path, query = found
            match = _match(path)
            if match is None or role in self.reached[match.route]:
                continue
            self.reached[match.route][role] = path
            for name, value in query:
                self.parameters[match.route].setdefault(name, value)
            followed = urlencode([(k, v) for k, v in query if k not in NOT_FOLLOWED_PARAMETERS])
            response = self.get(client, role, f"{path}?{followed}" if followed else path)
            if response is None:
                continue
            if response.status_code in (301, 302):
                queue.append(response["Location"])
                continue
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            page = _Page(path)
            page.feed(response.content.decode())
            for target, fields in page.targets:
                found = _internal(target, path)
                target_match = found and _match(found[0])
                if not target_match:
                    continue
                for name, value in found[1]:
                    self.parameters[target_match.route].setdefault(name, value)
                for name in fields:
                    self.parameters[target_match.route].setdefault(name, "")
                if target in page.fragments:
                    self.fragments.add(target_match.route)
                queue.append(target)


def _hostile_queries(name: str, siblings: dict[str, str]) -> list[tuple[str, str]]:
    """(class, query text) for every hostile value of the parameter `name`, the page's other
    parameters kept at their example values (a chart download left out: it is slow to draw)."""
    others = [(k, v) for k, v in sorted(siblings.items()) if k != name and k != "download"]
    queries = []
    for kind, values in HOSTILE.items():
        for value in values:
            queries.append((kind, urlencode([*others, (name, value)])))
    for kind, templates in RAW.items():
        for template in templates:
            raw = template.format(name=name)
            queries.append((kind, "&".join(filter(None, [urlencode(others), raw]))))
    return queries


def _hostile_paths(path: str) -> list[tuple[str, str, str]]:
    """(part, class, path) for the path with each of its parts (a code, a number) replaced by
    each hostile value that its URL pattern lets through."""
    match = resolve(path)
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    paths = []
    for part in sorted(match.kwargs):
        for kind, value in HOSTILE_PARTS.items():
            with contextlib.suppress(NoReverseMatch):  # a value its pattern does not let through
                paths.append((part, kind, reverse(name, kwargs={**match.kwargs, part: value})))
    return paths


def test_no_hostile_query_parameter_or_part_of_a_path_gives_a_server_error():
    started = time.monotonic()
    crawl = Crawl()
    clients = {role: client_of(role) if role != "anonymous" else Client() for role in ROLES}
    for role, client in clients.items():
        crawl.walk(role, client, ["/", "/units/", "/notifications/", "/account/tokens/"])
    crawled, walked = time.monotonic() - started, crawl.requests

    turn, every_other = itertools.count(), itertools.cycle([False, True])
    sent: set[tuple[str, str, str]] = set()
    for pattern in sorted(crawl.parameters):
        reached = sorted(crawl.reached.get(pattern, {}).items())
        for name in sorted(crawl.parameters[pattern]) if reached else []:
            for kind, query in _hostile_queries(name, crawl.parameters[pattern]):
                role, path = reached[next(turn) % len(reached)]
                # A page htmx also asks a fragment of: every other request as htmx's.
                htmx = pattern in crawl.fragments and next(every_other)
                crawl.get(clients[role], role, f"{path}?{query}", htmx)
                sent.add((pattern, name, kind))
    parts: set[tuple[str, str, str]] = set()
    for pattern in sorted(crawl.reached):
        reached = sorted(crawl.reached[pattern].items())
        for part, kind, path in _hostile_paths(reached[0][1]):
            role = reached[next(turn) % len(reached)][0]
            crawl.get(clients[role], role, path)
            parts.add((pattern, part, kind))

    print(
        f"\n{len(crawl.reached)} page patterns crawled, {len(crawl.fragments)} also as "
        f"fragments ({walked} requests, {crawled:.0f} s); "
        f"{len(sent)} (pattern, parameter, class) and {len(parts)} (pattern, part of the path, "
        f"class) cases; {crawl.requests} requests in all, {time.monotonic() - started:.0f} s"
    )
    assert not crawl.failures, "\n".join(crawl.failures)
    reached = {(pattern, name) for pattern, name, _kind in sent}
    for pattern, name in [
        ("p/<slug:slug>/", "year"),
        ("p/<slug:slug>/indicators/<str:code>/", "year"),
        ("p/<slug:slug>/scorecard/<str:unit_code>/", "year"),
        ("p/<slug:slug>/compare/", "year"),
        ("p/<slug:slug>/calendar/", "month"),
        ("p/<slug:slug>/directives/new/", "inspection"),
        ("p/<slug:slug>/export/", "period"),
        ("p/<slug:slug>/export/", "form"),
        ("accounts/login/", "next"),
    ]:
        assert (pattern, name) in reached, f"the crawl never reached {name} on {pattern}"
    assert len({pattern for pattern, _part, _kind in parts}) >= 20
