"""Charts: one Vega-Lite spec, drawn in the browser and rendered on the server.

A view builds a Vega-Lite spec (a dict) and hands it to the template (`{% vega_chart %}`) and to
`steer.core.tables.download` (for ?download=<name>.svg / .png). The browser draws it with the
bundle of vega-embed, Vega-Lite and Vega that vl-convert produces, served by the app itself
(`vega_bundle`; government intranets have no internet, so no CDN). The server renders the same
spec with the same Vega-Lite version through vl-convert, for documents and downloads.

Numbers and dates follow the page's language through `config.locale` in the spec: Vega reads it
when it builds a view, in vega-embed and in vl-convert alike (vl-convert's `format_locale` and
`time_format_locale` arguments are not needed, and setting the locale in the spec keeps the two
renderings the same).
"""

import copy
import functools
import gzip
import hashlib
from importlib import metadata

import vl_convert

# What every app's charts share: the schema, the width, and the plan items' colours.
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WIDTH = 560
PLAN_COLOURS = {
    "done_on_time": "#1a7f37",
    "done_late": "#7aa33a",
    "in_progress": "#2f81c7",
    "not_started": "#6b7f93",
    "suspended": "#e06c00",
    "overdue": "#c62828",
    "cancelled": "#9aa4ae",
}


# An axis counting things (indicators, plan items, enterprises): whole ticks only, never halves.
COUNT_AXIS = {"tickMinStep": 1, "format": ",d"}


def count_axis(field: dict) -> dict:
    """A quantitative encoding that counts: ticks at whole numbers, labelled without decimals."""
    return {**field, "axis": {**field.get("axis", {}), **COUNT_AXIS}}


def colour_scale(colours: dict[str, str], labels: dict[str, str]) -> dict:
    return {"domain": [labels[k] for k in colours], "range": list(colours.values())}


# The Vega-Lite version of both the browser bundle and the server rendering.
VL_VERSION = "6.4"

VI_NUMBER_LOCALE = {
    "decimal": ",",
    "thousands": ".",
    "grouping": [3],
    "currency": ["", " ₫"],
}
VI_TIME_LOCALE = {
    "dateTime": "%H:%M:%S %A, %d/%m/%Y",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["SA", "CH"],
    "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
    "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
    "months": [f"Tháng {m}" for m in range(1, 13)],
    "shortMonths": [f"Thg {m}" for m in range(1, 13)],
}
VI_LOCALE = {"number": VI_NUMBER_LOCALE, "time": VI_TIME_LOCALE}
# Raw dates in text marks, tooltips and legends (axes choose their own format from the locale).
VI_DATE_FORMAT = "%d/%m/%Y"
# Numbers in text marks, tooltips and axes, grouped like the `num` filter and without trailing
# zeros: 1.234,5 (vi), 1,234.5 (en). A spec's own config.numberFormat or field format wins.
NUMBER_FORMAT = ",~f"


def localised(spec: dict, language: str) -> dict:
    """A copy of the spec that writes numbers and dates the way `language` does.

    Vietnamese: 1.234,5 and dd/mm/yyyy, Vietnamese month and day names. English keeps Vega's
    default locale (1,234.5). In both, numbers are grouped in thousands (NUMBER_FORMAT)."""
    spec = copy.deepcopy(spec)
    config = spec.setdefault("config", {})
    config.setdefault("numberFormat", NUMBER_FORMAT)
    if (language or "").split("-")[0] == "vi":
        config["locale"] = copy.deepcopy(VI_LOCALE)
        config.setdefault("timeFormat", VI_DATE_FORMAT)
    return spec


def _options() -> dict:
    # Specs carry their data inline; no rendering on the server may fetch a URL.
    return {"vl_version": VL_VERSION, "allowed_base_urls": []}


def render_svg(spec: dict) -> str:
    """The chart as an SVG document, text kept as text."""
    return vl_convert.vegalite_to_svg(spec, **_options())


def render_png(spec: dict, scale: float = 2) -> bytes:
    """The chart as a PNG image, `scale` times its size in CSS pixels (2: sharp when printed).

    Text is drawn with the server's fonts: it needs one that covers Vietnamese (DejaVu Sans,
    Noto Sans); vl_convert.register_font_directory() adds a directory of fonts."""
    return vl_convert.vegalite_to_png(spec, scale=scale, **_options())


# Embeds every chart on the page, once, when the page is ready and after each htmx swap.
# A chart is an element with data-vega-spec="<id of a <script type=application/json>>"
# holding the spec (written by {% vega_chart %}).
SNIPPET = """
// Within the content security policy: expressions interpreted, not compiled with Function()
// (no 'unsafe-eval'), and no <style> elements added (their rules are in steer.css).
const CSP_SAFE = {
  actions: false,
  renderer: "svg",
  ast: true,
  defaultStyle: false,
  tooltip: {disableDefaultStyle: true},
};
function embedCharts() {
  for (const target of document.querySelectorAll("[data-vega-spec]")) {
    if (target.dataset.vegaEmbedded) continue;
    target.dataset.vegaEmbedded = "1";
    const source = document.getElementById(target.dataset.vegaSpec);
    if (!source) continue;
    let spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      console.error(error);
      continue;
    }
    vegaEmbed(target, spec, CSP_SAFE).catch((error) => {
      target.dataset.vegaEmbedded = "error";
      console.error(error);
    });
  }
}
function start() {
  embedCharts();
  document.body.addEventListener("htmx:afterSettle", embedCharts);
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
"""

# In the bundle's URL: a new vl-convert or a changed snippet gives a new URL, so the year-long
# browser cache never serves an old bundle.
BUNDLE_VERSION = "{}-{}".format(
    metadata.version("vl-convert-python"),
    hashlib.sha256(f"{VL_VERSION}\n{SNIPPET}".encode()).hexdigest()[:8],
)


@functools.cache
def bundle_js() -> str:
    """vega-embed, Vega-Lite, Vega and the snippet as one ES module (about 0.9 MB).

    Building it takes about 1.5 s, once per process."""
    return vl_convert.javascript_bundle(SNIPPET, vl_version=VL_VERSION)


@functools.cache
def bundle_gzip() -> bytes:
    """The bundle compressed once (about a third of its size), for browsers that accept gzip."""
    return gzip.compress(bundle_js().encode(), compresslevel=9, mtime=0)
