"""`manage.py fiscal_year_open --org khao-thong --from 2564 --to 2565`: a new year from the last."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from approvals.exceptions import WorkflowError
from workflow.assessment_services import fiscal_year_open
from workflow.models import Organization


class Command(BaseCommand):
    help = (
        "Open a fiscal year from the one before: its measures become drafted measures of the "
        "new year (methods, divisions, indicators, period a year later) and its reporting "
        "rounds come along with their due dates a year later. Creates the fiscal year if "
        "needed; running it again copies nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization: address name or name")
        parser.add_argument("--from", dest="from_year", required=True, type=int, help="e.g. 2564")
        parser.add_argument("--to", dest="to_year", required=True, type=int, help="e.g. 2565")
        parser.add_argument(
            "--measure", dest="numbers", type=int, action="append",
            help="carry only this measure number (repeat it; default: all measures)",
        )  # fmt: skip
        parser.add_argument(
            "--user", help="a working group member recorded as acting (default: this command)"
        )

    def handle(self, *args, org, from_year, to_year, numbers, user, **options):
        organization = Organization.objects.filter(
            Q(slug=org) | Q(name=org) | Q(short_name=org)
        ).first()
        if organization is None:
            raise CommandError(f"no organization with the address name or name {org!r}")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")
        measure_ids = None
        if numbers:
            found = dict(
                organization.measures.filter(
                    fiscal_year__year=from_year, number__in=numbers
                ).values_list("number", "pk")
            )
            missing = sorted(set(numbers) - set(found))
            if missing:
                raise CommandError(f"no measure numbered {missing} in {from_year}")
            measure_ids = list(found.values())
        try:
            opened = fiscal_year_open(
                organization=organization,
                from_year=from_year,
                to_year=to_year,
                actor=actor,
                measure_ids=measure_ids,
            )
        except WorkflowError as error:
            fields = getattr(error, "fields", {})
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
            raise CommandError(f"{error.message_en} {detail}".strip()) from error
        self.stdout.write(self.style.SUCCESS(opened.summary() + "."))
