"""Charts and downloads in templates.

{% load charts %}
{% vega_script %}                         the chart library, once per page (in <head>)
{% vega_chart spec "progress" %}          a chart, with its SVG and PNG download links
{% vega_chart spec "progress" caption=_("Progress by unit") %}
{% download_url "units" "xlsx" %}         this page's URL with ?download=units.xlsx
"""

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from steer.core import charts as chart_lib
from steer.core.files import ascii_name
from steer.core.numbers import number_text
from steer.core.templatetags.steer import dmy, separators_of

register = template.Library()


@register.simple_tag(takes_context=True)
def download_url(context, name, ext):
    """The URL of the view that drew the page (or the htmx fragment), its query string kept,
    with download=<name>.<ext> set: that view answers the download."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query["download"] = f"{name}.{ext}"
    return f"{request.path if request is not None else ''}?{query.urlencode()}"


@register.simple_tag
def vega_script():
    """The <script> that loads the chart library and draws every chart on the page."""
    url = reverse("vega_bundle", kwargs={"version": chart_lib.BUNDLE_VERSION})
    return format_html('<script type="module" src="{}"></script>', url)


@register.inclusion_tag("core/_chart.html", takes_context=True)
def vega_chart(context, spec, name, caption=""):
    """A chart: its spec, in the page's language, as JSON the library draws; download links."""
    chart_id = f"chart-{ascii_name(name)}"
    return {
        "request": context.get("request"),
        "spec": chart_lib.localised(spec, get_language()),
        "name": name,
        "caption": caption,
        "chart_id": chart_id,
        "spec_id": f"{chart_id}-spec",
    }


def _cell_html(cell, separators) -> str:
    how = cell.shown_as
    if how == "empty":
        text = "–"
    elif how == "status":
        text = f'<span class="status status-{conditional_escape(cell.code)}">' + (
            f"{conditional_escape(cell.value)}</span>"
        )
    elif how == "integer":
        text = number_text(cell.value, 0, separators)
    elif how == "number":
        text = number_text(cell.value, None, separators)
    elif how == "date":
        text = dmy(cell.value)
    else:
        text = conditional_escape(cell.value)
    if cell.link:
        text = f'<a href="{conditional_escape(cell.link)}">{text}</a>'
    return f'<td class="num">{text}</td>' if cell.column.numeric else f"<td>{text}</td>"


@register.simple_tag
def table_rows(table):
    """The rows of a Table as HTML: built here, not cell by cell in the template language,
    which took most of a dashboard's time for a table of a few thousand cells."""
    separators = separators_of(get_language())
    return mark_safe(
        "\n".join(
            "<tr>" + "".join(_cell_html(c, separators) for c in row) + "</tr>"
            for row in table.cells
        )
    )
