"""Who may open which page: every page × every role, as one table.

Codes: 200 shown, 403 refused, 302 sent to a sign-in page (anonymous, or the back office).
"""

import pytest

from steer.accounts.models import User

pytestmark = pytest.mark.django_db

P = "/p/07-ctr-tu"
ROLES = [
    "anonymous",
    "quantri",  # administrator
    "thuongtruc",  # standing agency
    "bancd",  # steering committee member
    "kiemtra",  # inspector
    "baocao.dongda",  # reporter of Quận Đống Đa
    "lanhdao.dongda",  # head of Quận Đống Đa
    "xem.thuongtin",  # viewer in Huyện Thường Tín
]
# fmt: off
MATRIX = {
    # page                                   admin std  steer insp  rep  head view
    "/":                                     (302, 302, 302, 302, 302, 302, 302),
    f"{P}/":                                 (200, 200, 200, 200, 200, 200, 200),
    f"{P}/tree/":                            (200, 200, 200, 200, 200, 200, 200),
    f"{P}/indicators/CT07/":                 (200, 200, 200, 200, 200, 200, 200),
    f"{P}/indicators/NOPE/":                 (404, 404, 404, 404, 404, 404, 404),
    f"{P}/indicators/CT16/?unit=006":        (200, 200, 200, 200, 200, 200, 403),
    f"{P}/indicators/CT16/?unit=279":        (200, 200, 200, 200, 403, 403, 200),
    f"{P}/?year=2023":                       (200, 200, 200, 200, 200, 200, 200),
    f"{P}/?year=2040":                       (404, 404, 404, 404, 404, 404, 404),
    f"{P}/scorecard/006/":                   (200, 200, 200, 200, 200, 200, 403),
    f"{P}/scorecard/279/?year=2025":         (200, 200, 200, 200, 403, 403, 200),
    f"{P}/scorecard/SKHCN/":                 (200, 200, 200, 200, 403, 403, 403),
    f"{P}/scorecard/NOPE/":                  (404, 404, 404, 404, 404, 404, 404),
    f"{P}/compare/?year=2024":               (200, 200, 200, 200, 200, 200, 200),
    f"{P}/compare/?parent=279":              (200, 200, 200, 200, 403, 403, 200),
    f"{P}/compare/?group=NOPE":              (404, 404, 404, 404, 404, 404, 404),
    f"{P}/?download=indicators.xlsx":        (200, 200, 200, 200, 200, 200, 200),
    f"{P}/?download=nope.xlsx":              (404, 404, 404, 404, 404, 404, 404),
    f"{P}/plan-items/":                      (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/?kind=de_an":           (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/NV02/":                 (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/NV23/":                 (200, 200, 200, 200, 403, 403, 403),
    f"{P}/plan-items/NV16/":                 (200, 200, 200, 200, 403, 403, 200),
    f"{P}/copy/":                            (200, 200, 403, 403, 403, 403, 403),
    f"{P}/reports/":                         (200, 200, 200, 200, 200, 200, 200),
    f"{P}/reports/BC6T-DP/?period=2024S2":   (200, 200, 200, 200, 200, 200, 200),
    f"{P}/reports/NOPE/":                    (404, 404, 404, 404, 404, 404, 404),
    f"{P}/reports/BC6T-DP/2024S2/006/":      (200, 200, 200, 200, 200, 200, 403),
    f"{P}/reports/BC6T-DP/2024S2/279/":      (200, 200, 200, 200, 403, 403, 200),
    f"{P}/reports/BC6T-DP/2024S2/SKHCN/":    (404, 404, 404, 404, 403, 403, 403),
    f"{P}/reports/BC6T-DP/2024S2/006/workbook/": (200, 200, 200, 200, 200, 200, 403),
    f"{P}/reports/BC6T-DP/2024S2/006/check/": (405, 405, 405, 405, 405, 405, 405),
    f"{P}/reports/BC6T-DP/2024S2/006/history/?key=CT07": (200, 200, 200, 200, 200, 200, 403),
    f"{P}/evidence/999999/":                 (404, 404, 404, 404, 404, 404, 404),
    f"{P}/import/":                          (200, 200, 403, 403, 200, 200, 403),
    f"{P}/import/999999/":                   (404, 404, 404, 404, 404, 404, 404),
    f"{P}/export/?format=csv":               (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/NV02/progress/":        (200, 200, 200, 200, 200, 200, 200),
    f"{P}/plan-items/NV23/progress/":        (200, 200, 200, 200, 403, 403, 403),
    f"{P}/plan-items/NV02/deadline/":        (405, 405, 405, 405, 405, 405, 405),
    f"{P}/directives/":                      (200, 200, 200, 200, 200, 200, 200),
    f"{P}/directives/?state=overdue&download=directives.csv": (200, 200, 200, 200, 200, 200, 200),
    f"{P}/directives/new/":                  (200, 200, 200, 200, 403, 403, 403),
    f"{P}/directives/24/":                   (200, 200, 200, 200, 200, 200, 200),
    f"{P}/directives/25/":                   (200, 200, 200, 200, 200, 200, 404),
    f"{P}/directives/26/":                   (200, 200, 200, 200, 404, 404, 200),
    f"{P}/directives/3/":                    (200, 200, 200, 200, 404, 404, 404),
    f"{P}/directives/999/":                  (404, 404, 404, 404, 404, 404, 404),
    f"{P}/files/999999/":                    (404, 404, 404, 404, 404, 404, 404),
    f"{P}/inspections/":                     (200, 200, 200, 200, 200, 200, 200),
    f"{P}/inspections/new/":                 (200, 200, 403, 200, 403, 403, 403),
    f"{P}/inspections/1/":                   (200, 200, 200, 200, 200, 200, 200),
    f"{P}/inspections/999/":                 (404, 404, 404, 404, 404, 404, 404),
    f"{P}/recommendations/":                 (200, 200, 200, 200, 200, 200, 200),
    f"{P}/recommendations/new/":             (200, 200, 403, 403, 200, 200, 403),
    f"{P}/recommendations/10/":              (200, 200, 200, 200, 200, 200, 404),
    f"{P}/recommendations/2/":               (200, 200, 200, 200, 404, 404, 404),
    f"{P}/syntheses/1/":                     (200, 200, 200, 200, 403, 403, 403),
    f"{P}/syntheses/999/":                   (404, 404, 404, 404, 403, 403, 403),
    f"{P}/work/":                            (200, 200, 200, 200, 200, 200, 200),
    f"{P}/overdue/":                         (200, 200, 200, 200, 200, 200, 200),
    f"{P}/timeline/":                        (200, 200, 200, 200, 200, 200, 200),
    f"{P}/calendar/?month=2025-04":          (200, 200, 200, 200, 200, 200, 200),
    f"{P}/priorities/":                      (200, 200, 200, 200, 200, 200, 200),
    f"{P}/rankings/":                        (200, 200, 200, 200, 200, 200, 200),
    f"{P}/rankings/cds-dmst-cap-huyen/2024/": (200, 200, 200, 200, 200, 200, 200),
    f"{P}/rankings/cds-dmst-cap-huyen/2024/279/?target=1": (200, 200, 200, 200, 200, 200, 200),
    f"{P}/rankings/cds-dmst-cap-huyen/2024/annex/": (200, 200, 200, 200, 200, 200, 200),
    f"{P}/rankings/cds-dmst-cap-huyen/2019/": (404, 404, 404, 404, 404, 404, 404),
    f"{P}/rankings/cds-dmst-cap-huyen/2024/NOPE/": (404, 404, 404, 404, 404, 404, 404),
    f"{P}/documents/":                       (200, 200, 200, 200, 200, 200, 200),
    f"{P}/documents/1/":                     (200, 200, 200, 404, 404, 404, 404),
    f"{P}/documents/2/":                     (200, 200, 200, 404, 200, 200, 404),
    f"{P}/documents/3/":                     (200, 200, 200, 200, 404, 404, 404),
    f"{P}/documents/999/":                   (404, 404, 404, 404, 404, 404, 404),
    f"{P}/documents/1/files/":               (200, 200, 200, 404, 404, 404, 404),
    f"{P}/documents/2/files/":               (200, 200, 200, 404, 200, 200, 404),
    f"{P}/documents/files/999999.docx":      (404, 404, 404, 404, 404, 404, 404),
    "/document-templates/":                  (200, 200, 403, 403, 403, 403, 403),
    "/document-templates/synthesis/state/0/": (200, 200, 403, 403, 403, 403, 403),
    "/document-templates/review/party/0/":   (200, 200, 403, 403, 403, 403, 403),
    "/document-templates/nope/party/0/":     (404, 404, 403, 403, 403, 403, 403),
    "/document-templates/synthesis/state/0/use/": (405, 405, 405, 405, 405, 405, 405),
    "/notifications/":                       (200, 200, 200, 200, 200, 200, 200),
    "/accounts/password/":                   (200, 200, 200, 200, 200, 200, 200),
    "/account/tokens/":                      (200, 200, 200, 200, 200, 200, 200),
    "/p/khong-co/":                          (404, 404, 404, 404, 404, 404, 404),
    "/units/":                               (200, 200, 200, 200, 200, 200, 200),
    "/units/006/":                           (200, 200, 200, 200, 200, 200, 403),
    "/units/279/":                           (200, 200, 200, 200, 403, 403, 200),
    "/units/SKHCN/":                         (200, 200, 200, 200, 403, 403, 403),
    "/units/00004/":                         (200, 200, 200, 200, 403, 403, 403),
    "/admin/":                               (200, 200, 302, 302, 302, 302, 302),
    "/admin/programmes/planitem/":           (200, 200, 302, 302, 302, 302, 302),
    "/admin/programmes/indicator/add/":      (200, 200, 302, 302, 302, 302, 302),
    "/admin/units/orgunit/":                 (200, 200, 302, 302, 302, 302, 302),
    "/admin/units/orgunit/add/":             (200, 403, 302, 302, 302, 302, 302),
    "/admin/ranking/framework/":             (200, 200, 302, 302, 302, 302, 302),
    "/admin/accounts/user/":                 (200, 403, 302, 302, 302, 302, 302),
}
# fmt: on
CASES = [
    (page, role, ([302] + list(codes))[index])
    for page, codes in MATRIX.items()
    for index, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("page", "role", "expected"), CASES)
def test_page_access(client, page, role, expected):
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    response = client.get(page)
    assert response.status_code == expected, f"{role} on {page}"
    if expected == 302 and role == "anonymous":
        assert "/login/" in response["Location"]


def test_every_page_is_in_the_matrix():
    from django.urls import get_resolver, resolve

    def names(patterns):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                if not str(p.pattern).startswith(("admin/", "i18n/", "api/")):
                    yield from names(p.url_patterns)
            elif p.name:
                yield p.name

    in_matrix = {resolve(page.split("?")[0]).url_name for page in MATRIX}
    # Sign-in, sign-out, the health probe and the chart library are open to all by design
    # (the library's access is tested in test_charts.py).
    open_to_all = {"login", "logout", "health", "vega_bundle"}
    assert set(names(get_resolver().url_patterns)) - open_to_all <= in_matrix
