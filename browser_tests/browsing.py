"""Signed-in browser sessions, one per demo user, that record every console error, page error
and Content-Security-Policy violation on every page they open."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

PASSWORD = "demo-steer-07"
PROGRAMME = "/p/07-ctr-tu"
# Chromium from Debian, not Playwright's download (none is possible on a closed network). The
# background-networking switches keep it from calling Google's services from this network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Reports each CSP violation with what was blocked and where, beyond Chromium's own message.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || location.href}:${e.lineNumber}:${e.columnNumber}`
    + (e.sample ? ` (${e.sample})` : ""));
});
"""


@dataclass
class Problem:
    user: str
    url: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"[{self.user}] {self.kind} on {self.url}: {self.text}"


@dataclass
class Site:
    browser: Browser
    base_url: str
    problems: list[Problem] = field(default_factory=list)
    pages: list[tuple[str, Page]] = field(default_factory=list)
    # Console lines a journey expects, e.g. the browser's note that a refused page answered 403.
    expected: list[re.Pattern] = field(default_factory=list)
    _contexts: list[BrowserContext] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def expect_console(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def _watch(self, user: str, page: Page) -> None:
        self.pages.append((user, page))

        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            text = message.text
            if any(p.search(text) for p in self.expected):
                return
            kind = "CSP violation" if "Content Security Policy" in text or "CSP" in text else ""
            self.problems.append(Problem(user, page.url, kind or "console error", text))

        page.on("console", on_console)
        page.on(
            "pageerror",
            lambda error: self.problems.append(
                Problem(user, page.url, "JavaScript error", str(error))
            ),
        )

    def open(self, path: str, user: str = "anonymous") -> Page:
        """A page of a new browser session (its own cookies), watched like every other."""
        context = self.browser.new_context(
            base_url=self.base_url, locale="vi-VN", accept_downloads=True
        )
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_LISTENER)
        context.on("page", lambda page: self._watch(user, page))
        self._contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    def sign_in(self, username: str) -> Page:
        """A new browser session signed in as a demo user through the sign-in form."""
        page = self.open("/accounts/login/", username)
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        return page

    def screenshots(self, folder: Path, stem: str) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for i, (user, page) in enumerate(self.pages):
            if page.is_closed():
                continue
            path = folder / f"{stem}-{i}-{user}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except PlaywrightError:  # a page that cannot be drawn must not hide the failure
                continue
            saved.append(path)
        return saved

    def close(self) -> None:
        for context in self._contexts:
            context.close()


def programme_menu(page: Page) -> Locator:
    """The programme's menu, from the page the user is on (every programme page has it)."""
    menu = page.get_by_role("navigation", name="Chương trình")
    if menu.count() == 0:
        page.goto(PROGRAMME + "/")
    return menu
