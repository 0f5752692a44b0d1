"""Recompute the audit hash chains from the database and name the first broken link."""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from audit.chain import verification_record
from workflow.models import Organization


def _verify(organization_id, full):
    run = verification_record(organization_id, full=full)
    return organization_id, run


class Command(BaseCommand):
    help = (
        "Verify the audit hash chain of one organization (--org) or of all, and record the "
        "result. By default each chain from where its last passing verification ended; --full "
        "recomputes every link. --jobs verifies that many organizations at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="address name (slug) of the organization")
        parser.add_argument(
            "--full", action="store_true", help="recompute every link, not only the new ones"
        )
        parser.add_argument(
            "--jobs", type=int, default=1, help="processes verifying organizations side by side"
        )

    def handle(self, *args, org=None, full=False, jobs=1, **options):
        if org:
            try:
                targets = [Organization.objects.get(slug=org).pk]
            except Organization.DoesNotExist as error:
                raise CommandError(f"No organization {org!r}.") from error
        else:
            targets = [None, *Organization.objects.order_by("pk").values_list("pk", flat=True)]
        names = dict(Organization.objects.filter(pk__in=targets).values_list("pk", "slug"))
        started = time.monotonic()
        if jobs > 1 and len(targets) > 1:
            connections.close_all()  # each process opens its own
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                results = list(pool.map(_verify, targets, [full] * len(targets), chunksize=8))
        else:
            results = [_verify(target, full) for target in targets]
        broken, links = [], 0
        for organization_id, run in results:
            name = names.get(organization_id, "(global)")
            links += run.entries_checked
            if run.ok:
                self.stdout.write(
                    f"{name}: intact, {run.entries_checked} links checked"
                    f"{'' if run.full else ' (new since the last check)'}, "
                    f"head #{run.head_seq} {run.head_hash}"
                )
            else:
                broken.append(name)
                self.stderr.write(f"{name}: BROKEN at link #{run.broken_seq}: {run.problem}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{len(results)} chains, {links} links in {elapsed:.1f} s "
            f"({links / elapsed if elapsed else 0:,.0f} links/s, {jobs} process(es))"
        )
        if broken:
            raise CommandError(f"Audit chain broken: {', '.join(broken)}")
