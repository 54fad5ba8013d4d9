"""Unusual changes between periods: small changes of small counts are not alarms, and the
warning says what changed against what, in plain words."""

import pytest
from django.conf import settings
from django.urls import reverse

from steer.programmes.models import Indicator
from steer.reporting import rules
from steer.reporting.checks import violation_text
from steer.reporting.models import Violation


@pytest.mark.parametrize(("before", "after"), [(29, 31), (47, 52)])
def test_a_small_change_of_a_small_count_is_not_unusual_however_high_its_score(before, after):
    assert not rules.is_unusual_change(9.6, after - before, count=True)


def test_a_genuine_jump_in_a_count_is_still_unusual():
    assert rules.is_unusual_change(9.6, 64, count=True)
    assert not rules.is_unusual_change(1.2, 64, count=True)


def test_a_rate_has_no_floor():
    assert rules.is_unusual_change(9.6, -2, count=False)


@pytest.mark.django_db
def test_the_warning_names_the_values_the_change_and_the_other_units_not_the_statistic():
    indicator = Indicator.objects.get(code="CT15")
    warning = Violation(
        kind=Violation.Kind.OUTLIER,
        severity="warn",
        indicator=indicator,
        params={"value": "92", "previous": "28", "score": 9.6, "typical": 1.0, "against": "units"},
    )
    text = violation_text(warning)
    assert text == (
        "CT15: tăng từ 28 lên 92 (+229 %) so với kỳ trước; các đơn vị khác thay đổi khoảng +1."
    )
    assert "chỉ số z" not in text


@pytest.mark.django_db
def test_a_fall_against_the_units_own_history_says_so():
    warning = Violation(
        kind=Violation.Kind.OUTLIER,
        severity="warn",
        indicator=Indicator.objects.get(code="CT18"),
        params={"value": "40", "previous": "80", "score": -5.0, "typical": 2.5, "against": "own"},
    )
    assert violation_text(warning) == (
        "CT18: giảm từ 80 xuống 40 (-50 %) so với kỳ trước; "
        "các kỳ trước đơn vị này thường thay đổi khoảng +2,5."
    )


@pytest.mark.django_db
def test_a_warning_on_the_entry_page_is_tied_to_its_field_so_typing_clears_it(login):
    outlier = Violation.objects.select_related("submission__form__programme").get(
        kind="outlier", indicator__code="CT15", submission__unit__code="274"
    )
    s = outlier.submission
    page = login("thuongtruc").get(
        reverse("report_entry", args=[s.form.programme.slug, s.form.code, s.period, "274"])
    )
    html = page.content.decode()
    assert 'data-stale-on="v-CT15"' in html
    assert "so với kỳ trước; các đơn vị khác thay đổi khoảng" in html
    assert "chỉ số z" not in html
    script = (settings.BASE_DIR / "steer/core/static/steer/steer.js").read_text(encoding="utf-8")
    assert "data-stale-on" in script


def test_the_others_median_leaves_out_one_occurrence_of_the_units_own_change():
    from statistics import median

    from steer.reporting.checks import _median_without

    changes = [-3.0, 0.0, 1.0, 1.0, 2.0, 64.0]
    for own in set(changes):
        others = list(changes)
        others.remove(own)
        assert _median_without(sorted(changes), own) == median(others)
