"""Median render time of the public report page and of its PDF, for 7 and for 200 measures.

Run: `.venv/bin/python bench/pages.py` (a throw-away test database on the configured
DATABASE_URL, SQLite in memory when unset). Prints one line per case.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

PDF_TEMPLATE = "public/report_pdf.html"
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def median_of(work) -> float:
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def median_ms(client: Client, url: str) -> float:
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return median_of(get)


def main() -> None:
    from django.test.runner import DiscoverRunner

    from tests.factories import OrganizationFactory
    from tests.web_helpers import SEED_MEASURES, many_measures, published_report
    from workflow.pdf import render_pdf
    from workflow.selectors import public_report_document

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    databases = runner.setup_databases()
    try:
        client = Client()
        for count in (7, 200):
            organization = OrganizationFactory(slug=f"bench-{count}")
            measures = SEED_MEASURES if count == 7 else many_measures(count)
            published_report(organization, measures=measures)
            page = reverse("public:report", args=[organization.slug, 2564])
            pdf = reverse("public:report-pdf", args=[organization.slug, 2564])
            report = public_report_document(organization_slug=organization.slug, year=2564)
            context = {"report": report}
            render_pdf("public/report_pdf.html", context)  # loads WeasyPrint and the fonts
            figures = {
                "page": median_ms(client, page),
                "PDF render": median_of(lambda c=context: render_pdf(PDF_TEMPLATE, c)),
                "PDF cached": median_ms(client, pdf),
            }
            for name, ms in figures.items():
                print(f"public report {name:<10} {count:>3} measures: {ms:8.1f} ms")
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
