"""Recompute the audit hash chains from the database and name the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import verification_record
from workflow.models import Organization


class Command(BaseCommand):
    help = (
        "Verify the audit hash chain of one organization (--org) or of all, and record the result."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="address name (slug) of the organization")

    def handle(self, *args, org=None, **options):
        if org:
            try:
                targets = [Organization.objects.get(slug=org)]
            except Organization.DoesNotExist as error:
                raise CommandError(f"No organization {org!r}.") from error
        else:
            targets = [None, *Organization.objects.order_by("pk")]
        broken = []
        for organization in targets:
            run = verification_record(organization.pk if organization else None)
            name = organization.slug if organization else "(global)"
            if run.ok:
                self.stdout.write(
                    f"{name}: intact, {run.entries_checked} links, "
                    f"head #{run.head_seq} {run.head_hash}"
                )
            else:
                broken.append(name)
                self.stderr.write(f"{name}: BROKEN at link #{run.broken_seq}: {run.problem}")
        if broken:
            raise CommandError(f"Audit chain broken: {', '.join(broken)}")
