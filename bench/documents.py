"""Benchmark: the city's 6-month synthesis report of Programme 07 for H1 2024, as Word and PDF.

    .venv/bin/python bench/documents.py            (make bench-documents)
    .venv/bin/python bench/documents.py --runs 10 --period 2024S1

Loads the demo into a fresh SQLite database under var/bench-documents/ (once; kept between runs),
drafts the report from the data, then times, each the median of --runs runs after one warm-up:

  (a) Word: reading the facts from the database, filling the template (tables, drafted text) and
      drawing the charts with vl-convert: what the background worker does for a Word file;
  (b) its parts: the facts alone, the charts alone, the template filling alone;
  (c) PDF: LibreOffice headless printing that Word file (a cold start of LibreOffice each time,
      as the worker does).

Prints a Markdown table with the number of tables, charts and pages.
"""

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench-documents"
os.environ.setdefault("STEER_VAR_DIR", str(WORK))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steer.settings")
os.environ["STEER_DEMO"] = "1"


def median_time(function, runs: int) -> tuple[float, object]:
    function()
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdf-runs", type=int, default=3)
    parser.add_argument("--period", default="2024S1")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    WORK.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    from steer.programmes.models import Programme

    if not Programme.objects.filter(slug="07-ctr-tu").exists():
        print("Loading the demo (once)…", file=sys.stderr)
        call_command("load_demo", stdout=io.StringIO())

    import docx
    from pypdf import PdfReader

    from steer.accounts.models import User
    from steer.core.charts import localised, render_png
    from steer.documents import content, services
    from steer.documents.render import Chart, _charts_in, office, render_docx, to_pdf

    programme = Programme.objects.get(slug="07-ctr-tu")
    standing = User.objects.get(username="thuongtruc")
    draft = services.new_draft(
        user=standing, programme=programme, kind="synthesis", period=args.period
    )
    template = services.template_content(None, draft.layout, draft.style)

    def word() -> bytes:
        facts = content.gather(draft)
        return render_docx(template, content.context(draft, facts), layout=draft.layout)

    def facts_only():
        return content.context(draft, content.gather(draft))

    context = facts_only()
    charts: list[Chart] = []
    _charts_in(context, charts)

    def charts_only():
        return [render_png(localised(c.spec, "vi"), scale=2) for c in charts]

    def fill_only():
        without = dict(context)
        without["charts"] = dict.fromkeys(context["charts"])
        without["objectives"] = [{**o, "chart": None} for o in context["objectives"]]
        return render_docx(template, without, layout=draft.layout)

    t_word, data = median_time(word, args.runs)
    t_facts, _ = median_time(facts_only, args.runs)
    t_charts, _ = median_time(charts_only, args.runs)
    t_fill, _ = median_time(fill_only, args.runs)
    document = docx.Document(io.BytesIO(data))
    tables = [t for t in document.tables if len(t.columns) > 2 or len(t.rows) > 1]
    rows = [
        ("(a) Word file, end to end", t_word),
        ("(b) facts from the database", t_facts),
        (f"(b) {len(charts)} charts drawn (vl-convert, PNG at 2×)", t_charts),
        ("(b) template filled, without charts (docxtpl)", t_fill),
    ]
    pages = "–"
    if office():
        t_pdf, pdf = median_time(lambda: to_pdf(data), args.pdf_runs)
        rows.append(("(c) PDF printed from the Word file (LibreOffice)", t_pdf))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    else:
        rows.append(("(c) PDF: LibreOffice is not installed", float("nan")))
    print(f"\nCity synthesis report, Programme 07, {args.period}: {len(tables)} tables, ")
    print(f"{len(document.inline_shapes)} charts, {pages} pages, {len(data) // 1024} KB Word.")
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}\n")
    print("| step | median (s) |")
    print("| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
