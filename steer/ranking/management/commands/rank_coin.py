from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steer.composite import CompositeError
from steer.composite.export import options_from_json, write_all, write_tables
from steer.composite.pipeline import Options, run
from steer.composite.tables import load


class Command(BaseCommand):
    help = (
        "Run a COINr-style composite index from iData and iMeta tables (CSV or .xlsx) and write "
        "every stage (denominated, imputed, screened, treated, normalised, aggregated), the "
        "results with ranks and the treatment log as CSV into --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--idata", required=True, help="iData table (.csv or .xlsx)")
        parser.add_argument("--imeta", required=True, help="iMeta table (.csv or .xlsx)")
        parser.add_argument("--options", help="JSON file of options with COINr's names")
        parser.add_argument("--out", required=True, help="folder to write into")
        parser.add_argument(
            "--tables",
            help="also write the input tables back, COINr-style: a folder (iData.csv, "
            "iMeta.csv) or a .xlsx workbook (sheets iData and iMeta)",
        )

    def handle(self, *args, idata, imeta, options, out, tables=None, **rest):
        try:
            data, framework = load(idata, imeta)
            opts = (
                options_from_json(Path(options).read_text(encoding="utf-8"))
                if options
                else Options()
            )
            result = run(data, framework, opts)
        except (CompositeError, OSError) as e:
            raise CommandError(str(e)) from None
        written = write_all(result, dict(zip(data.units, data.names, strict=True)), Path(out))
        if tables:
            written += write_tables(data, framework, Path(tables))
        self.stdout.write(
            f"{len(result.aggregated.units)} units, {len(framework.indicators)} indicators, "
            f"{len(result.screened_out)} screened out; wrote {len(written)} files to {out}."
        )
