"""Charts: one Vega-Lite spec, drawn in the browser from the app's own bundle and rendered on
the server, with Vietnamese numbers, dates and text."""

import gzip
import json
import re

import pytest
import vl_convert
from django.http import Http404
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from steer.accounts.models import User
from steer.core import charts
from steer.core.tables import download

INDICATOR = "Số sản phẩm OCOP được công nhận"


def ocop_chart() -> dict:
    """Bars per unit with their values written on them."""
    return {
        "title": INDICATOR,
        "data": {
            "values": [
                {"unit": "Quận Đống Đa", "value": 1234.5},
                {"unit": "Huyện Thường Tín", "value": 200},
            ]
        },
        "encoding": {
            "x": {"field": "unit", "type": "nominal", "title": "Đơn vị"},
            "y": {"field": "value", "type": "quantitative", "title": "Số sản phẩm"},
        },
        "layer": [
            {"mark": "bar"},
            {
                "mark": {"type": "text", "dy": -6},
                "encoding": {"text": {"field": "value", "type": "quantitative"}},
            },
        ],
    }


def svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_vietnamese_chart_writes_decimal_comma_and_thousands_dots():
    texts = svg_texts(charts.render_svg(charts.localised(ocop_chart(), "vi")))
    assert "1.234,5" in texts  # the value on the bar
    assert "1.200" in texts  # an axis tick
    assert "1,234.5" not in texts


def test_english_chart_keeps_the_english_number_format():
    texts = svg_texts(charts.render_svg(charts.localised(ocop_chart(), "en")))
    assert "1,234.5" in texts
    assert "1,200" in texts


def test_chart_svg_keeps_vietnamese_text_intact():
    texts = svg_texts(charts.render_svg(charts.localised(ocop_chart(), "vi")))
    assert {"Quận Đống Đa", "Huyện Thường Tín", INDICATOR, "Đơn vị"} <= set(texts)


def test_vietnamese_chart_writes_dates_day_month_year_and_vietnamese_months():
    spec = {
        "data": {"values": [{"due": "2025-03-01", "n": 3}, {"due": "2025-06-30", "n": 5}]},
        "hconcat": [
            {"mark": "text", "encoding": {"text": {"field": "due", "type": "temporal"}}},
            {
                "mark": "point",
                "encoding": {
                    "x": {"field": "due", "type": "temporal", "timeUnit": "yearmonth"},
                    "y": {"field": "n", "type": "quantitative"},
                },
            },
        ],
    }
    texts = svg_texts(charts.render_svg(charts.localised(spec, "vi")))
    assert "30/06/2025" in texts
    assert "Thg 6 2025" in texts


def test_localised_copies_the_spec_and_sets_the_locale_only_for_vietnamese():
    spec = ocop_chart()
    vi = charts.localised(spec, "vi")
    en = charts.localised(spec, "en")
    assert "config" not in spec
    assert vi["config"]["locale"]["number"] == {
        "decimal": ",",
        "thousands": ".",
        "grouping": [3],
        "currency": ["", " ₫"],
    }
    assert vi["config"]["locale"]["time"]["date"] == "%d/%m/%Y"
    assert "locale" not in en["config"]


def test_png_starts_with_the_png_signature():
    png = charts.render_png(charts.localised(ocop_chart(), "vi"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_server_rendering_fetches_no_url():
    spec = {"data": {"url": "http://127.0.0.1:9/so-lieu.csv"}, "mark": "bar"}
    with pytest.raises(ValueError, match="not allowed"):
        charts.render_svg(spec)


def test_bundle_version_names_the_installed_vl_convert():
    assert charts.BUNDLE_VERSION.startswith("1.9.0.post1-")
    assert charts.VL_VERSION in vl_convert.get_vegalite_versions()


def bundle_url() -> str:
    return reverse("vega_bundle", kwargs={"version": charts.BUNDLE_VERSION})


def test_bundle_is_javascript_cached_for_a_year(client):
    response = client.get(bundle_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    body = response.content.decode()
    assert "htmx:afterSettle" in body and "data-vega-spec" in body
    assert not response.cookies


def test_bundle_is_gzipped_for_browsers_that_accept_it(client):
    response = client.get(bundle_url(), headers={"accept-encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content).decode() == charts.bundle_js()
    assert len(response.content) < len(charts.bundle_js()) / 2


def test_bundle_of_another_version_is_not_found(client):
    url = reverse("vega_bundle", kwargs={"version": "1.8.0"})
    assert client.get(url).status_code == 404


def test_bundle_cannot_be_posted_to(client):
    assert client.post(bundle_url()).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, "quantri", "baocao.dongda", "xem.thuongtin"])
def test_bundle_is_open_to_anonymous_and_every_role(client, role):
    if role:
        client.force_login(User.objects.get(username=role))
    assert client.get(bundle_url()).status_code == 200


def render(template: str, request, **context) -> str:
    return Template("{% load charts %}" + template).render(Context({"request": request, **context}))


def test_vega_script_loads_the_versioned_bundle_as_a_module():
    html = render("{% vega_script %}", RequestFactory().get("/"))
    assert html == f'<script type="module" src="{bundle_url()}"></script>'


def test_chart_tag_escapes_a_unit_name_that_closes_the_script():
    unit = "Quận </script><script>alert('Đống Đa')</script>"
    spec = {"data": {"values": [{"unit": unit, "value": 1}]}, "mark": "bar"}
    html = render("{% vega_chart spec 'units' %}", RequestFactory().get("/"), spec=spec)
    assert "</script><script>" not in html
    assert html.count("</script>") == 1
    payload = re.search(r'<script id="chart-units-spec" [^>]*>(.*?)</script>', html)
    assert json.loads(payload.group(1))["data"]["values"][0]["unit"] == unit


def test_chart_tag_holds_the_spec_in_the_page_language():
    request = RequestFactory().get("/")
    html = render("{% vega_chart spec 'ocop' %}", request, spec=ocop_chart())
    assert 'id="chart-ocop" data-vega-spec="chart-ocop-spec"' in html
    payload = re.search(r'type="application/json">(.*?)</script>', html).group(1)
    assert json.loads(payload)["config"]["locale"]["number"]["decimal"] == ","
    with translation.override("en"):
        html = render("{% vega_chart spec 'ocop' %}", request, spec=ocop_chart())
    payload = re.search(r'type="application/json">(.*?)</script>', html).group(1)
    assert "locale" not in json.loads(payload)["config"]


def test_chart_tag_links_downloads_keeping_the_query_string():
    request = RequestFactory().get("/p/07-ctr-tu/", {"unit": "006", "download": "cu.csv"})
    html = render(
        "{% vega_chart spec 'ocop' caption=caption %}",
        request,
        spec=ocop_chart(),
        caption="Sản phẩm OCOP theo đơn vị",
    )
    assert "<figcaption>Sản phẩm OCOP theo đơn vị</figcaption>" in html
    assert 'href="/p/07-ctr-tu/?unit=006&amp;download=ocop.svg"' in html
    assert 'href="/p/07-ctr-tu/?unit=006&amp;download=ocop.png"' in html
    assert "Tải về:" in html


def test_chart_downloads_as_svg_in_the_page_language():
    request = RequestFactory().get("/", {"download": "ocop.svg"})
    response = download(request, {}, {"ocop": ocop_chart()})
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ocop.svg"')
    assert "filename*=utf-8''S%E1%BB%91" in response["Content-Disposition"]
    assert "1.234,5" in svg_texts(response.content.decode())


def test_chart_downloads_as_png():
    request = RequestFactory().get("/", {"download": "ocop.png"})
    response = download(request, {}, {"ocop": ocop_chart()})
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_chart_in_a_table_format_is_not_found():
    request = RequestFactory().get("/", {"download": "ocop.csv"})
    with pytest.raises(Http404):
        download(request, {}, {"ocop": ocop_chart()})
