"""Import time of a measures report with and without the spacing proposals, side by side.

Run: `.venv/bin/python bench/importing.py` (a throw-away test database on the configured
DATABASE_URL, SQLite in memory when unset). Imports the seed (7 measures) and a 200-measure
file made from it, each into a new organization, and prints the medians and their ratio.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

SEED = ROOT / "workflow/fixtures/khao-thong-2564-measures-report.txt"
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
HEADER = "มาตรการ/ แนวทาง\tวิธีการดำเนินการ\tผู้รับผิดชอบ\tระยะเวลา ดำเนินการ\tผลการดำเนินการ\tข้อเสนอแนะ"


def many_measures_file(count: int, path: Path) -> Path:
    """The seed's measures repeated to `count`, in the seed's own text form."""
    from workflow import thai
    from workflow.importing import report_parse

    seed = report_parse(SEED).measures

    def numbered(lines):
        return " ".join(f"{thai.to_thai_digits(i)}.{t}" for i, t in enumerate(lines, start=1))

    rows = [HEADER]
    for number in range(1, count + 1):
        m = seed[(number - 1) % len(seed)]
        rows.append(
            "\t".join(
                [
                    f"{thai.to_thai_digits(number)}.{m.title}",
                    numbered(m.methods),
                    " ".join(f"-{d}" for d in m.division_names),
                    thai.format_period(m.period_start, m.period_end).replace("–", "-"),
                    numbered(m.results),
                    numbered(m.recommendations),
                ]
            )
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def timed_import(source: Path, proposals: bool, run: int) -> tuple[float, int]:
    import datetime as dt

    from tests.factories import DivisionFactory, OrganizationFactory, ReportingRoundFactory
    from workflow.importing import report_import
    from workflow.importing import services as importing
    from workflow.models import FiscalYear

    organization = OrganizationFactory(slug=f"bench-{source.stem}-{proposals}-{run}")
    for name in ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม"):
        DivisionFactory(organization=organization, name=name)
    fiscal_year, _ = FiscalYear.objects.get_or_create(year=2564)
    ReportingRoundFactory(
        organization=organization, fiscal_year=fiscal_year, due_on=dt.date(2021, 10, 31)
    )
    # Without proposals: the import as it was before them, for the ratio.
    patch = mock.patch.object(importing, "_spacing_proposals_write", lambda *a: [])
    with patch if not proposals else contextlib.nullcontext():
        started = time.perf_counter()
        result = report_import(source=source, organization=organization, fiscal_year=fiscal_year)
        elapsed = time.perf_counter() - started
    return elapsed, len(result.spacing_proposals)


def main() -> None:
    import tempfile

    from django.test.runner import DiscoverRunner

    from workflow import wording

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    databases = runner.setup_databases()
    try:
        started = time.perf_counter()
        wording.spacing_repair("ประชา สัมพันธ์")
        print(f"dictionary load (once per process): {(time.perf_counter() - started):.2f} s")
        with tempfile.TemporaryDirectory() as folder:
            files = {7: SEED, 200: many_measures_file(200, Path(folder) / "report-200.txt")}
            for count, source in files.items():
                figures = {}
                for proposals in (False, True):
                    runs = [timed_import(source, proposals, r) for r in range(REPEAT)]
                    figures[proposals] = (statistics.median(t for t, _ in runs), runs[0][1])
                (plain, _), (with_, written) = figures[False], figures[True]
                print(
                    f"import {count:>3} measures: {plain:6.2f} s without proposals, "
                    f"{with_:6.2f} s with {written} proposals (x{with_ / plain:.2f})"
                )
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
