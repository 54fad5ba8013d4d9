"""The REST API: tokens, the permission rule by role, paging, error bodies, value writes (also as
DHIS2 dataValueSets), the report workflow, steering records and rankings."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from steer.accounts.models import User
from steer.api import tokens
from steer.api.models import AccessToken
from steer.programmes.permissions import visible_plan_items
from steer.reporting.models import (
    Channel,
    DataValue,
    Submission,
    ValueChange,
)
from steer.steering.permissions import visible_directives, visible_recommendations
from steer.units.models import OrgUnit

pytestmark = pytest.mark.django_db
API = "/api/v1"
P = f"{API}/programmes/07-ctr-tu"


@pytest.fixture
def bearer():
    """A client that calls the API with a fresh token of the named user."""

    def _bearer(username: str, scope: str = "write") -> Client:
        _row, token = tokens.issue(User.objects.get(username=username), "kiểm thử", scope, 30)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return _bearer


# -- tokens ---------------------------------------------------------------------------------


def test_without_a_token_the_api_answers_401_with_a_json_body():
    response = Client().get(f"{API}/programmes")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_signs_its_user_in_and_records_when_it_was_used(bearer):
    response = bearer("baocao.dongda").get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["username"] == "baocao.dongda"
    assert response.json()["unit"] == "006"
    assert AccessToken.objects.get(user__username="baocao.dongda").last_used_at is not None


def test_only_the_tokens_digest_is_stored():
    row, token = tokens.issue(User.objects.get(username="thuongtruc"), "đồng bộ", "read", 30)
    assert token.startswith("steer_") and len(token) > 40
    assert token not in {row.digest, row.prefix, row.name}
    assert AccessToken.objects.filter(digest=tokens.digest_of(token)).exists()


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown"])
def test_a_revoked_expired_or_unknown_token_is_refused(state):
    user = User.objects.get(username="thuongtruc")
    row, token = tokens.issue(user, "cũ", "read", 30)
    if state == "revoked":
        assert tokens.revoke(user, row.pk)
    elif state == "expired":
        AccessToken.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    else:
        token = token[:-4] + "abcd"
    response = Client(headers={"Authorization": f"Bearer {token}"}).get(f"{API}/me")
    assert response.status_code == 401


def test_a_demo_accounts_token_stops_working_outside_demo_mode(bearer, settings):
    client = bearer("thuongtruc")
    settings.DEMO_MODE = False
    assert client.get(f"{API}/me").status_code == 401


def test_a_read_only_token_cannot_write(bearer, quarterly):
    client = bearer("baocao.dongda", scope="read")
    body = {"values": [{"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "4"}]}
    response = client.post(f"{P}/values", body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "read_only"
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it(login):
    client = login("baocao.dongda")
    page = client.post(
        "/account/tokens/", {"name": "Bảng tính của phòng", "scope": "read", "days": "90"}
    )
    assert page.status_code == 200
    token = page.context["new_token"]
    assert token in page.content.decode()
    row = AccessToken.objects.get(user__username="baocao.dongda")
    assert row.name == "Bảng tính của phòng"
    assert token not in client.get("/account/tokens/").content.decode()
    client.post("/account/tokens/", {"revoke": str(row.pk)})
    assert Client(headers={"Authorization": f"Bearer {token}"}).get(f"{API}/me").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token():
    owner = User.objects.get(username="thuongtruc")
    row, _token = tokens.issue(owner, "của văn phòng", "read", 30)
    assert not tokens.revoke(User.objects.get(username="baocao.dongda"), row.pk)
    row.refresh_from_db()
    assert row.revoked_at is None


def test_the_session_can_call_the_api_but_a_write_needs_the_csrf_token(quarterly):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="baocao.dongda"))
    assert client.get(f"{API}/me").status_code == 200
    body = {"values": [{"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "4"}]}
    response = client.post(f"{P}/values", body, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()


# -- the permission rule, by role -------------------------------------------------------------

ROLES = [
    "quantri",
    "thuongtruc",
    "bancd",
    "kiemtra",
    "baocao.dongda",
    "lanhdao.dongda",
    "xem.thuongtin",
]
# fmt: off
MATRIX = {
    # call                                        admin std steer insp rep head view
    f"{API}/units/006":                           (200, 200, 200, 200, 200, 200, 403),
    f"{API}/units/279":                           (200, 200, 200, 200, 403, 403, 200),
    f"{API}/units/NOPE":                          (404, 404, 404, 404, 404, 404, 404),
    f"{P}":                                       (200, 200, 200, 200, 200, 200, 200),
    f"{API}/programmes/khong-co":                 (404, 404, 404, 404, 404, 404, 404),
    f"{P}/indicators/CT07":                       (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/NV02":                       (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/NV23":                       (200, 200, 200, 200, 403, 403, 403),
    f"{P}/plan-items/NV16":                       (200, 200, 200, 200, 403, 403, 200),
    f"{P}/submissions/BC6T-DP/2024S2/006":        (200, 200, 200, 200, 200, 200, 403),
    f"{P}/submissions/BC6T-DP/2024S2/279":        (200, 200, 200, 200, 403, 403, 200),
    f"{P}/submissions/BC6T-DP/2024Q1/006":        (404, 404, 404, 404, 404, 404, 403),
    f"{P}/directives/999999":                     (404, 404, 404, 404, 404, 404, 404),
    f"{P}/recommendations/999999":                (404, 404, 404, 404, 404, 404, 404),
    f"{P}/rankings":                              (200, 200, 200, 200, 200, 200, 200),
}
# fmt: on
CASES = [(call, role, codes[i]) for call, codes in MATRIX.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("call", "role", "expected"), CASES)
def test_api_access(bearer, call, role, expected):
    response = bearer(role, scope="read").get(call)
    assert response.status_code == expected, f"{role} on {call}: {response.content[:200]}"
    if expected != 200:
        assert response.json()["code"] == {403: "forbidden", 404: "not_found"}[expected]


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_exactly_what_the_pages_show(bearer, programme, role):
    from steer.accounts.access import access_for

    access = access_for(User.objects.get(username=role))
    client = bearer(role, scope="read")

    def codes(call, key):
        body = client.get(call, {"limit": 1000}).json()
        assert body["count"] == len(body["items"])
        return sorted(str(item[key]) for item in body["items"])

    assert codes(f"{P}/directives", "number") == sorted(
        str(n) for n in visible_directives(access, programme).values_list("number", flat=True)
    )
    assert codes(f"{P}/recommendations", "number") == sorted(
        str(n) for n in visible_recommendations(access, programme).values_list("number", flat=True)
    )
    assert codes(f"{P}/plan-items", "code") == sorted(
        visible_plan_items(access, programme).values_list("code", flat=True)
    )
    units = set(codes(f"{P}/submissions", "unit"))
    assert units <= set(access.report_units(programme).values_list("code", flat=True))


def test_a_reporter_reads_only_its_own_units_values(bearer, programme):
    body = bearer("baocao.dongda").get(f"{P}/values", {"limit": 1000}).json()
    assert body["count"] > 0
    assert {v["unit"] for v in body["items"]} == {"006"}


def test_a_viewer_cannot_act_on_another_units_report(bearer):
    response = bearer("xem.thuongtin").post(
        f"{P}/submissions/BC6T-DP/2025S2/006/actions",
        {"action": "submit"},
        content_type="application/json",
    )
    assert response.status_code == 403


# -- paging and errors ------------------------------------------------------------------------


def test_lists_are_paged_with_limit_and_offset(bearer):
    client = bearer("thuongtruc", scope="read")
    first = client.get(f"{API}/units", {"limit": 5}).json()
    second = client.get(f"{API}/units", {"limit": 5, "offset": 5}).json()
    assert first["count"] == second["count"] == OrgUnit.objects.count()
    assert len(first["items"]) == len(second["items"]) == 5
    assert not {u["code"] for u in first["items"]} & {u["code"] for u in second["items"]}


def test_a_limit_over_1000_is_refused_with_the_parameter_named(bearer):
    response = bearer("thuongtruc").get(f"{API}/units", {"limit": 5000})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert any("limit" in p["where"] for p in body["problems"])


def test_a_parameter_given_twice_is_refused_not_silently_narrowed(bearer):
    response = bearer("thuongtruc").get(f"{API}/units", {"parent": ["001", "002"], "limit": 5})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"where": "query.parent", "message": "Tham số này chỉ được gửi một lần."}
    ]


def test_a_malformed_body_gets_a_clear_error_not_a_server_error(bearer):
    response = bearer("baocao.dongda").post(
        f"{P}/values", "{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "code", "words"),
    [
        ("delete", f"{P}/values", 405, "DELETE"),  # an operation's path, another method
        ("put", f"{API}/me", 405, "PUT"),
        ("post", f"{API}/docs", 405, "POST"),  # the documentation is only read
        ("get", f"{API}/programmes/07-ctr-tu/khong-co", 404, "/khong-co"),
    ],
)
def test_a_wrong_method_or_address_is_answered_in_json_in_vietnamese(
    bearer, method, path, code, words
):
    response = getattr(bearer("thuongtruc", scope="read"), method)(path)
    assert response.status_code == code
    body = response.json()
    assert body["code"] == {405: "method_not_allowed", 404: "not_found"}[code]
    assert words in body["detail"] and body["problems"] == []
    assert ("không" in body["detail"]) and "not" not in body["detail"].split()
    if code == 405:
        assert "GET" in response["Allow"]


def test_a_session_write_without_its_csrf_token_is_refused_in_vietnamese():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="baocao.dongda"))
    response = client.post(f"{P}/values", {"values": []}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "CSRF" in response.json()["detail"] and "Check" not in response.json()["detail"]


# -- values -----------------------------------------------------------------------------------


def test_values_written_through_the_api_are_recorded_as_api_changes(bearer, quarterly):
    client = bearer("baocao.dongda")
    body = {
        "values": [
            {"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "12"},
            {
                "unit": "006",
                "period": "2024Q3",
                "indicator": "CT18",
                "value": "87.5",
                "quality": "estimate",
                "comment": "Theo báo cáo của phòng Văn hóa",
            },
        ]
    }
    response = client.post(f"{P}/values", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "written": True,
        "counts": {"new": 2, "changed": 0, "removed": 0, "unchanged": 0},
    }
    stored = DataValue.objects.get(unit__code="006", period="2024Q3", indicator__code="CT18")
    assert str(stored.value.normalize()) == "87.5" and stored.quality == "estimate"
    assert (
        ValueChange.objects.filter(unit__code="006", period="2024Q3", channel=Channel.API).count()
        == 2
    )
    read = client.get(f"{P}/values", {"unit": "006", "period": "2024Q3"}).json()
    assert {(v["indicator"], v["value"]) for v in read["items"]} == {
        ("CT15", "12"),
        ("CT18", "87.5"),
    }


def test_one_bad_value_refuses_the_whole_batch_and_names_it(bearer, quarterly):
    body = {
        "values": [
            {"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "12"},
            {"unit": "006", "period": "2024Q3", "indicator": "CT18", "value": "140"},
        ]
    }
    response = bearer("baocao.dongda").post(f"{P}/values", body, content_type="application/json")
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["where"] for p in problems] == ["giá trị thứ 2"]
    assert "100" in problems[0]["message"]
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()


def test_a_reporter_cannot_write_another_units_values(bearer, quarterly):
    body = {"values": [{"unit": "279", "period": "2024Q3", "indicator": "CT15", "value": "3"}]}
    response = bearer("baocao.dongda").post(f"{P}/values", body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert "Thường Tín" in response.json()["problems"][0]["message"]
    assert not DataValue.objects.filter(unit__code="279", period="2024Q3").exists()


def test_a_write_with_a_stale_version_is_a_conflict_showing_the_other_change(bearer, quarterly):
    reporter, agency = bearer("baocao.dongda"), bearer("thuongtruc")
    first = {"values": [{"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "12"}]}
    assert reporter.post(f"{P}/values", first, content_type="application/json").status_code == 200
    seen = reporter.get(f"{P}/values", {"unit": "006", "period": "2024Q3"}).json()["items"][0]
    other = {
        "values": [
            {
                "unit": "006",
                "period": "2024Q3",
                "indicator": "CT15",
                "value": "15",
                "version": seen["version"],
            }
        ]
    }
    assert agency.post(f"{P}/values", other, content_type="application/json").status_code == 200
    mine = {
        "values": [
            {
                "unit": "006",
                "period": "2024Q3",
                "indicator": "CT15",
                "value": "13",
                "version": seen["version"],
            }
        ]
    }
    response = reporter.post(f"{P}/values", mine, content_type="application/json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "15" in body["problems"][0]["message"]
    stored = DataValue.objects.get(unit__code="006", period="2024Q3", indicator__code="CT15")
    assert stored.value == 15


def test_a_dry_run_checks_and_counts_but_writes_nothing(bearer, quarterly):
    body = {
        "values": [{"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "7"}],
        "dry_run": True,
    }
    response = bearer("baocao.dongda").post(f"{P}/values", body, content_type="application/json")
    assert response.json() == {
        "written": False,
        "counts": {"new": 1, "changed": 0, "removed": 0, "unchanged": 0},
    }
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()


# -- DHIS2 dataValueSets ----------------------------------------------------------------------


def test_data_value_sets_hold_the_stored_figures_with_dhis2_names(bearer, programme):
    body = (
        bearer("thuongtruc")
        .get(f"{P}/dataValueSets", {"orgUnit": "006", "period": "2024S1"})
        .json()
    )
    stored = DataValue.objects.filter(
        indicator__programme=programme, unit__code="006", period="2024S1"
    )
    assert len(body["dataValues"]) == stored.count() > 0
    first = body["dataValues"][0]
    assert {"dataElement", "orgUnit", "period", "categoryOptionCombo", "value"} <= set(first)
    value = stored.get(
        indicator__code=first["dataElement"],
        option=("" if first["categoryOptionCombo"] == "default" else first["categoryOptionCombo"]),
    )
    assert DataValue(value=first["value"]).value == value.value or float(first["value"]) == float(
        value.value
    )


def test_a_dhis2_import_answers_with_dhis2s_import_summary(bearer, quarterly):
    client = bearer("baocao.dongda")
    value_set = {
        "period": "2024Q3",
        "orgUnit": "006",
        "dataValues": [
            {"dataElement": "CT15", "categoryOptionCombo": "default", "value": "9"},
            {"dataElement": "CT18", "value": "66", "comment": "Số liệu quý III"},
        ],
    }
    dry = client.post(f"{P}/dataValueSets?dryRun=true", value_set, content_type="application/json")
    assert dry.json()["importCount"]["imported"] == 2
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()
    done = client.post(f"{P}/dataValueSets", value_set, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["status"] == "SUCCESS"
    assert done.json()["importCount"] == {"imported": 2, "updated": 0, "ignored": 0, "deleted": 0}
    again = client.post(f"{P}/dataValueSets", value_set, content_type="application/json").json()
    assert again["importCount"]["ignored"] == 2


def test_a_refused_dhis2_import_is_a_409_with_its_conflicts_and_writes_nothing(bearer, quarterly):
    value_set = {
        "dataValues": [
            {"dataElement": "CT15", "period": "2024Q3", "orgUnit": "006", "value": "9"},
            {"dataElement": "CT99", "period": "2024Q3", "orgUnit": "006", "value": "1"},
        ]
    }
    response = bearer("baocao.dongda").post(
        f"{P}/dataValueSets", value_set, content_type="application/json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "ERROR"
    assert body["conflicts"][0]["object"] == "giá trị thứ 2"
    assert "CT99" in body["conflicts"][0]["value"]
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()


# -- the report workflow ----------------------------------------------------------------------


def test_a_report_is_submitted_returned_and_approved_through_the_api(bearer, quarterly):
    reporter, head = bearer("baocao.dongda"), bearer("lanhdao.dongda")
    values = {
        "values": [
            {"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "5"},
            {"unit": "006", "period": "2024Q3", "indicator": "CT18", "value": "70"},
        ]
    }
    reporter.post(f"{P}/values", values, content_type="application/json")
    report = f"{P}/submissions/BC-QUY/2024Q3/006"
    submitted = reporter.post(
        f"{report}/actions", {"action": "submit"}, content_type="application/json"
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    no_reason = head.post(
        f"{report}/actions", {"action": "return"}, content_type="application/json"
    )
    assert no_reason.status_code == 409
    assert no_reason.json()["code"] == "conflict"
    returned = head.post(
        f"{report}/actions",
        {"action": "return", "reason": "Thiếu số liệu CT18"},
        content_type="application/json",
    )
    assert returned.json()["state"] == "returned"
    reporter.post(f"{report}/actions", {"action": "submit"}, content_type="application/json")
    approved = head.post(
        f"{report}/actions", {"action": "approve"}, content_type="application/json"
    ).json()
    assert approved["state"] == "approved"
    assert [e["action"] for e in approved["events"]] == ["submit", "return", "submit", "approve"]
    assert Submission.objects.get(form=quarterly, unit__code="006", period="2024Q3").state == (
        "approved"
    )


def test_a_step_that_is_not_allowed_leaves_no_report_behind(bearer, quarterly):
    response = bearer("lanhdao.dongda").post(
        f"{P}/submissions/BC-QUY/2024Q4/006/actions",
        {"action": "approve"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert not Submission.objects.filter(form=quarterly, period="2024Q4").exists()


# -- steering and rankings --------------------------------------------------------------------


def test_a_directive_comes_with_its_assignees_and_updates(bearer, programme):
    directive = programme.directives.filter(updates__isnull=False).first()
    body = bearer("thuongtruc").get(f"{P}/directives/{directive.number}").json()
    assert body["content"] == directive.content
    assert body["assignees"] == sorted(u.code for u in directive.assignees.all())
    assert len(body["updates"]) == directive.updates.count()


def test_the_ranking_results_are_the_pages_figures(bearer, programme):
    from steer.ranking.compute import compute
    from steer.ranking.models import Framework

    framework = Framework.objects.filter(programme=programme).order_by("-year").first()
    body = bearer("bancd").get(f"{P}/rankings/{framework.code}/{framework.year}").json()
    ranking = compute(framework)
    ranks = dict(zip(ranking.result.aggregated.units, ranking.result.ranks(), strict=True))
    assert len(body["results"]) == len(ranks)
    assert all(r["rank"] == int(ranks[r["unit"]]) for r in body["results"])
    assert [r["rank"] for r in body["results"]] == sorted(r["rank"] for r in body["results"])
    assert all(r["interval_low"] <= r["rank"] <= r["interval_high"] for r in body["results"])


# -- the schema -------------------------------------------------------------------------------


def test_the_openapi_schema_and_its_docs_page_are_served_by_the_app(login):
    schema = Client().get(f"{API}/openapi.json").json()
    assert "/api/v1/programmes/{slug}/dataValueSets" in schema["paths"]
    page = login("thuongtruc").get(f"{API}/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "an asset from elsewhere"


def test_dates_in_the_api_are_iso(bearer, programme):
    body = bearer("thuongtruc").get(f"{P}/directives", {"limit": 1}).json()
    dt.date.fromisoformat(body["items"][0]["given_on"])


# -- bodies that cannot be read -------------------------------------------------------------

NESTED = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("values", "{không phải json", "không hợp lệ tại dòng 1, cột 2"),
        ("values", '{"values": ' + NESTED + "}", "lồng nhau quá sâu"),
        ("dataValueSets", '{"dataValues": ' + NESTED + "}", "lồng nhau quá sâu"),
        ("values", '{"values": [{"value": ' + "9" * 5000 + "}]}", "quá nhiều chữ số"),
        ("values", b'{"values": "\xff"}', "UTF-8"),
        ("values", '{"values": [{"comment": "\\u0000"}]}', "ký tự NUL"),
    ],
    ids=["malformed", "nested", "nested-dhis2", "5000-digits", "not-utf8", "nul"],
)
def test_a_body_that_cannot_be_read_is_refused_in_vietnamese(bearer, quarterly, path, body, detail):
    response = bearer("baocao.dongda").post(f"{P}/{path}", body, content_type="application/json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "bad_request" and detail in answer["detail"], answer
    assert "parse" not in answer["detail"]


def test_schema_errors_of_a_body_are_named_in_vietnamese(bearer, quarterly):
    body = {
        "values": [
            {"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": 12},
            {"unit": "006", "indicator": "CT18", "value": "1e999999999", "quality": "chắc chắn"},
        ],
        "dry_run": "có lẽ",
    }
    response = bearer("baocao.dongda").post(f"{P}/values", body, content_type="application/json")
    assert response.status_code == 422
    problems = {p["where"]: p["message"] for p in response.json()["problems"]}
    assert problems["body.values.0.value"] == "Phải là chuỗi văn bản, đặt trong dấu ngoặc kép."
    assert problems["body.values.1.period"] == "Bắt buộc nhưng chưa có."
    assert problems["body.values.1.value"].startswith("Không đúng dạng quy định: ^-?[0-9]")
    assert problems["body.dry_run"] == "Phải là true hoặc false."
    assert all(
        not re.search(r"Input should|Field required|String should", m) for m in problems.values()
    )


def test_a_figure_beyond_what_is_stored_is_refused_by_the_api_with_the_bound(bearer, quarterly):
    body = {"values": [{"unit": "006", "period": "2024Q3", "indicator": "CT15", "value": "1" * 16}]}
    response = bearer("baocao.dongda").post(f"{P}/values", body, content_type="application/json")
    assert response.status_code == 422
    assert "tối đa 15 chữ số" in response.json()["problems"][0]["message"]
    assert not DataValue.objects.filter(unit__code="006", period="2024Q3").exists()
