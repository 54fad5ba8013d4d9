"""The deadline-day load benchmark, client side: reporters upload their workbooks while other
users browse the dashboards, all against a running server. Started by bench/load.py.

    .venv/bin/python bench/load_client.py --plan plan.json --base http://127.0.0.1:8123 \
        --out results.json [--timeout 60] [--think 0] [--signin-over 120]

Every user signs in (the sign-in page's CSRF token) at a random moment of --signin-over
seconds; once all have, they start together (with --signin-over 0 each goes straight on after
signing in: everything at once). Each reporter opens its report, downloads the workbook, fills
every input cell, uploads it, confirms the preview and submits the report with the page's own
form, as a browser would. Each browsing account loads its dashboard pages in turn until the last
reporter is done. Every request is recorded: its kind, status, start and latency, and the error
if there was one (a status other than the one expected, a timeout, a refused connection or an
unexpected outcome such as a refused upload).
"""

import argparse
import asyncio
import contextlib
import io
import json
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from html.parser import HTMLParser

import httpx

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ERRORS_BLOCK = re.compile(r'<div class="errors"[^>]*>(.*?)</div>', re.S)
MESSAGE = re.compile(r'<li class="([^"]*)">(.*?)</li>', re.S)
TAG = re.compile(r"<[^>]+>")
# The workbook's layout (steer/reporting/workbook.py): keys in column A from row 8, the inputs
# in I (value), J (status of the figure), K (comment); each value cell has its bounds as a data
# validation rule.
DATA_SHEET, FIRST_ROW = "Số liệu", 8
QUALITY_LABELS = {"official": "Chính thức", "estimate": "Ước tính"}


class Failed(Exception):
    """A step did not do what it should; the reporter stops there."""


class Recorder:
    def __init__(self):
        self.t0 = time.perf_counter()
        self.records: list[list] = []  # kind, status, start (s), latency (s), error
        self.errors: list[str] = []
        self.retried = 0

    def now(self) -> float:
        return time.perf_counter() - self.t0

    async def send(self, client, kind, method, url, expect=(200,), **kwargs) -> httpx.Response:
        start = time.perf_counter()
        try:
            try:
                response = await client.request(method, url, **kwargs)
            except httpx.RemoteProtocolError:
                # The server closed a kept-alive connection just as it was reused: browsers
                # send a GET again on a new connection; so do we, once, and count it.
                if method != "GET":
                    raise
                self.retried += 1
                response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as e:
            latency = time.perf_counter() - start
            error = f"{type(e).__name__}: {e}"[:200]
            self.records.append([kind, 0, start - self.t0, latency, error])
            self.errors.append(f"{kind} {url}: {error}")
            raise Failed(error) from None
        latency = time.perf_counter() - start
        error = "" if response.status_code in expect else f"status {response.status_code}"
        response.record = [kind, response.status_code, start - self.t0, latency, error]
        self.records.append(response.record)
        if error:
            self.errors.append(f"{kind} {url}: {error}")
            raise Failed(error)
        return response

    def outcome(self, response: httpx.Response, message: str) -> None:
        """A request answered with an expected status but did not do its job."""
        response.record[4] = message[:300]
        self.errors.append(f"{response.record[0]} {response.request.url.path}: {message[:300]}")
        raise Failed(message)


def text_of(html: str) -> str:
    return " ".join(TAG.sub(" ", html).split())


def token(response: httpx.Response) -> str:
    match = TOKEN.search(response.text)
    if not match:
        raise Failed(f"no CSRF token on {response.request.url}")
    return match.group(1)


def location(response: httpx.Response) -> str:
    return httpx.URL(response.headers.get("location", "")).path


async def sign_in(rec: Recorder, client, username: str, password: str) -> None:
    page = await rec.send(client, "login_page", "GET", "/accounts/login/")
    response = await rec.send(
        client,
        "login",
        "POST",
        "/accounts/login/",
        expect=(200, 302),
        data={"csrfmiddlewaretoken": token(page), "username": username, "password": password},
    )
    if response.status_code != 302:
        errors = ERRORS_BLOCK.search(response.text) or re.search(
            r'class="errorlist[^"]*">(.*?)</ul>', response.text, re.S
        )
        rec.outcome(response, f"{username} refused: {text_of(errors.group(1)) if errors else ''}")
    home = await rec.send(client, "home", "GET", location(response), expect=(200, 302))
    if home.status_code == 302:  # one programme: straight to its overview
        await rec.send(client, "overview", "GET", location(home))


class EntryForm(HTMLParser):
    """The fields of the report page's form (id="entry"), as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.inside, self.fields, self.select, self.options = False, {}, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "entry"
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type", "text") in ("text", "hidden"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected] or [self.options[0][0]]
            self.fields[self.select] = chosen[0]
            self.select = None


def fill_workbook(data: bytes, index: int, unit_name: str) -> tuple[bytes, dict]:
    """Every input cell filled with figures within the row's bounds, distinct for each unit and
    row; returns the workbook and {row key: [value, quality, comment]} as written."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book[DATA_SHEET]
    bounds = {}
    for rule in sheet.data_validations.dataValidation:
        if rule.type in ("whole", "decimal"):
            for cell_range in rule.sqref.ranges:
                bounds[cell_range.coord] = (
                    rule.type,
                    Decimal(rule.formula1),
                    Decimal(rule.formula2),
                )
    written = {}
    row = FIRST_ROW
    while key := sheet[f"A{row}"].value:
        k = row - FIRST_ROW
        kind, low, high = bounds[f"I{row}"]
        if kind == "whole":
            if high - low > 10**6:  # a count: hundreds to a few thousand
                value = low + 250 * (k + 1) + 13 * index
            else:
                value = low + (index * 37 + k * 11) % (high - low + 1)
            cell_value = int(value)
        else:  # a share with one decimal, as the form's instructions ask
            tenths = int((high - low) * 10)
            value = low + Decimal((index * 37 + k * 101) % (tenths + 1)) / 10
            cell_value = float(value)
        quality = "estimate" if (index + k) % 5 == 0 else "official"
        comment = f"{unit_name}: số liệu tổng hợp đến ngày 14/6/2025, dòng {key}"
        sheet[f"I{row}"] = cell_value
        sheet[f"J{row}"] = QUALITY_LABELS[quality]
        sheet[f"K{row}"] = comment
        written[key] = [str(value), quality, comment]
        row += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), written


class Crowd:
    """What the users share: the plan, the server, the clock and the start lines."""

    def __init__(self, plan, base, timeout, think, signin_over, seed):
        self.plan, self.base, self.timeout, self.think = plan, base, timeout, think
        self.rng = random.Random(seed)
        self.signin_over = signin_over
        self.rec = Recorder()
        self.start, self.burst, self.done = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self.waiting = len(plan["uploaders"]) + len(plan["browsers"])
        self.result = {"uploaded": {}, "accepted_at": {}, "submitted_at": {}, "burst_at": 0.0}

    def client(self) -> httpx.AsyncClient:
        # Plain HTTP: verify=False spares building a TLS context (the CA bundle) per user. An
        # idle connection is not reused after 1 s: gunicorn closes it after 2 s (its keep-alive)
        # and a request sent just then would fail, which browsers hide by sending it again.
        return httpx.AsyncClient(
            base_url=self.base,
            timeout=self.timeout,
            verify=False,
            limits=httpx.Limits(keepalive_expiry=1.0),
        )

    async def sign_in(self, client, username: str) -> bool:
        """Sign in at a random moment of the sign-in period, then wait for the burst (with no
        sign-in period, go straight on: everything starts together)."""
        await self.start.wait()
        if self.signin_over:
            await asyncio.sleep(self.rng.uniform(0, self.signin_over))
        try:
            await sign_in(self.rec, client, username, self.plan["password"])
            signed = True
        except Failed:
            signed = False
        if self.signin_over:
            self.waiting -= 1
            if self.waiting == 0:
                self.result["burst_at"] = self.rec.now()
                self.burst.set()
            await self.burst.wait()
        return signed


async def reporter(crowd: Crowd, spec, index, pool):
    rec, plan, result = crowd.rec, crowd.plan, crowd.result
    unit = spec["unit"]
    report = f"/p/{plan['slug']}/reports/{plan['form']}/{plan['period']}/{unit}/"
    importer = f"/p/{plan['slug']}/import/"
    async with crowd.client() as client:
        if not await crowd.sign_in(client, spec["username"]):
            return
        try:
            await rec.send(client, "report_page", "GET", report)
            workbook = await rec.send(client, "workbook", "GET", report + "workbook/")
            name = re.search(r'filename="([^"]+)"', workbook.headers["content-disposition"])[1]
            loop = asyncio.get_running_loop()
            data, written = await loop.run_in_executor(
                pool, fill_workbook, workbook.content, index, spec["unit_name"]
            )
            result["uploaded"][unit] = written
            page = await rec.send(client, "import_page", "GET", importer)
            response = await rec.send(
                client,
                "upload",
                "POST",
                importer,
                expect=(200, 302),
                data={"csrfmiddlewaretoken": token(page)},
                files={"file": (name, data, "application/octet-stream")},
            )
            if response.status_code != 302:
                problems = ERRORS_BLOCK.search(response.text)
                rec.outcome(response, f"{unit} refused: {text_of(problems[1]) if problems else ''}")
            preview_path = location(response)
            preview = await rec.send(client, "preview", "GET", preview_path)
            response = await rec.send(
                client,
                "confirm",
                "POST",
                preview_path,
                expect=(302,),
                data={"csrfmiddlewaretoken": token(preview), "action": "confirm"},
            )
            if location(response) != report:
                page = await rec.send(client, "preview", "GET", location(response))
                rec.outcome(response, f"{unit} not written: {messages(page.text)}")
            result["accepted_at"][unit] = rec.now()
            page = await rec.send(client, "report_page", "GET", report)
            form = EntryForm()
            form.feed(page.text)
            fields = {**form.fields, "action": "submit"}
            response = await rec.send(
                client, "submit", "POST", report, expect=(200, 302), data=fields
            )
            if response.status_code != 302:
                problems = ERRORS_BLOCK.search(response.text)
                rec.outcome(response, f"{unit} refused: {text_of(problems[1]) if problems else ''}")
            page = await rec.send(client, "report_page", "GET", location(response))
            if refused := messages(page.text):
                rec.outcome(response, f"{unit} not submitted: {refused}")
            result["submitted_at"][unit] = rec.now()
        except Failed:
            pass


def messages(html: str) -> str:
    return "; ".join(text_of(m[2]) for m in MESSAGE.finditer(html) if "error" in m[1])[:300]


async def browser(crowd: Crowd, spec, rng: random.Random):
    pages = spec["pages"]
    async with crowd.client() as client:
        if not await crowd.sign_in(client, spec["username"]):
            return
        n = rng.randrange(len(pages))
        while not crowd.done.is_set():
            kind, path = pages[n % len(pages)]
            n += 1
            with contextlib.suppress(Failed):  # recorded; the user goes on to the next page
                await crowd.rec.send(client, kind, "GET", path)
            if crowd.think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * crowd.think)


async def run(crowd: Crowd) -> dict:
    result = crowd.result
    with ProcessPoolExecutor(max_workers=1) as pool:
        pool.submit(int).result()  # started before the clock runs
        uploads = [
            asyncio.create_task(reporter(crowd, spec, i, pool))
            for i, spec in enumerate(crowd.plan["uploaders"])
        ]
        browsers = [
            asyncio.create_task(browser(crowd, spec, random.Random(crowd.rng.random())))
            for spec in crowd.plan["browsers"]
        ]
        await asyncio.sleep(0.2)  # every task waits on the start line
        crowd.rec.t0 = time.perf_counter()
        crowd.start.set()
        await asyncio.gather(*uploads)
        result["uploads_done"] = crowd.rec.now()
        crowd.done.set()
        await asyncio.gather(*browsers)
    result["duration"] = crowd.rec.now()
    result["t0"] = crowd.rec.t0  # time.perf_counter: CLOCK_MONOTONIC, the same in every process
    result["records"] = crowd.rec.records
    result["errors"] = crowd.rec.errors
    result["retried"] = crowd.rec.retried
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between pages (s)")
    parser.add_argument(
        "--signin-over",
        type=float,
        default=0.0,
        help="users sign in over this many seconds, then all start together (0: at once)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    crowd = Crowd(plan, args.base, args.timeout, args.think, args.signin_over, args.seed)
    result = asyncio.run(run(crowd))
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
