"""The journeys' own check: what the browser reports on a page (a Content-Security-Policy
violation, an uncaught JavaScript error) is caught, so that a journey fails on it."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.read_only


def test_watch_catches_csp_violations_and_javascript_errors(site):
    page = site.open("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")
    assert site.problems == []

    # A script without the page's nonce, and an uncaught error in code the page runs.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.ranInline = true";
            document.body.append(script);
            setTimeout(() => { throw new Error("lỗi thử nghiệm"); }, 0);
        }"""
    )
    for _ in range(50):  # console events arrive asynchronously
        kinds = {p.kind for p in site.problems}
        if {"CSP violation", "JavaScript error"} <= kinds:
            break
        page.wait_for_timeout(100)
    assert {"CSP violation", "JavaScript error"} <= kinds, site.problems
    assert any("script-src" in p.text for p in site.problems)
    assert any("lỗi thử nghiệm" in p.text for p in site.problems)
    assert page.evaluate("window.ranInline") is None
    site.problems.clear()  # expected here; any other journey fails on them
