"""The public report's page, PDF and XLSX, for 7 and 200 measures, against a static file.

Run: `.venv/bin/python bench/pages.py` (a throw-away test database on the configured
DATABASE_URL, SQLite when unset). Every request goes through the same Django handler and
middleware (the static file through WhiteNoise), in one process, in the same run:

- served: the PDF and XLSX as stored at publication (median and p99 of BENCH_SERVED
  requests; the newest files are served from their links, before the rest of the
  middleware, see workflow.documents.CurrentReportFiles), the page as rendered for each
  request;
- first render: the first request after a publication, before its files were made
  (median of BENCH_RENDERS renders: the stored files are removed between them);
- the ratio of each served median to the static file's median.

The issue's bound: a served 200-measure PDF is at most 3× the static file's median.
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

SERVED = int(os.environ.get("BENCH_SERVED", "200"))
RENDERS = int(os.environ.get("BENCH_RENDERS", "3"))
STATIC_URL = "/static/css/site.css"


def timed_ms(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    body = response.getvalue()  # a streamed file is read to its end, as a socket would
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and body, (url, response.status_code)
    return elapsed


def served(client: Client, url: str) -> tuple[float, float]:
    """(median, p99) in ms of SERVED requests, after one warm-up."""
    timed_ms(client, url)
    timings = sorted(timed_ms(client, url) for _ in range(SERVED))
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


def first_renders(client: Client, url: str, publication, kind: str) -> float:
    """Median ms of the first request for a file not made yet (removed before each)."""
    from workflow.documents import current_links_drop
    from workflow.models import ReportFile

    timings = []
    for _ in range(RENDERS):
        current_links_drop(
            organization_slug=publication.organization.slug, year=publication.fiscal_year.year
        )
        for stored in ReportFile.objects.filter(publication=publication, kind=kind):
            stored.file.delete(save=False)
            stored.delete()
        timings.append(timed_ms(client, url))
    return statistics.median(timings)


def main() -> None:
    from django.test.runner import DiscoverRunner

    from config.celery import app
    from tests.factories import OrganizationFactory
    from tests.web_helpers import SEED_MEASURES, many_measures, published_report
    from workflow.selectors import newest_publication

    # The files are made here, timed; publications only queue their task (never run).
    app.conf.task_always_eager = False
    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    databases = runner.setup_databases()
    rows = []
    try:
        client = Client()
        static = served(client, STATIC_URL)
        rows.append(("static file (site.css)", "", static, None))
        for count in (7, 200):
            organization = OrganizationFactory(slug=f"bench-{count}")
            measures = SEED_MEASURES if count == 7 else many_measures(count)
            published_report(organization, measures=measures)  # 2 × count publications
            publication = newest_publication(organization_slug=organization.slug, year=2564)
            args = [organization.slug, 2564]
            page = reverse("public:report", args=args)
            first_page = timed_ms(client, page)
            rows.append(("public page", count, served(client, page), first_page))
            for kind in ("pdf", "xlsx"):
                url = reverse(f"public:report-{kind}", args=args)
                first = first_renders(client, url, publication, kind)
                rows.append((kind.upper(), count, served(client, url), first))
    finally:
        runner.teardown_databases(databases)

    static_median = static[0]
    print(f"{SERVED} served requests each, {RENDERS} first renders; ms")
    header = f"{'what':<24}{'measures':>9}{'median':>10}{'p99':>10}{'first render':>14}"
    print(f"{header}{'× static':>10}")
    for name, count, (median, p99), first in rows:
        first_text = f"{first:14.1f}" if first is not None else f"{'':>14}"
        print(
            f"{name:<24}{count!s:>9}{median:10.2f}{p99:10.2f}{first_text}"
            f"{median / static_median:10.2f}"
        )
    pdf_200 = next(r for r in rows if r[0] == "PDF" and r[1] == 200)[2][0]
    verdict = "within" if pdf_200 <= 3 * static_median else "OVER"
    print(f"served 200-measure PDF: {pdf_200 / static_median:.2f}× the static file ({verdict} 3×)")


if __name__ == "__main__":
    main()
