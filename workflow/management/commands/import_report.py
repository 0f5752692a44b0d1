"""`manage.py import_report FILE --org khao-thong --year 2564`: import an existing report."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from workflow.importing import ReportImportError, report_import
from workflow.models import FiscalYear, Organization, ReportingRound


class Command(BaseCommand):
    help = (
        "Import a measures report (the seed's tab-separated text, CSV or XLSX) as drafted "
        "measures and, when it has results, drafted result reports of a round."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the report: .txt (as the seed), .csv or .xlsx")
        parser.add_argument("--org", required=True, help="organization: address name or name")
        parser.add_argument("--year", required=True, type=int, help="fiscal year (BE), e.g. 2564")
        parser.add_argument(
            "--round", dest="round_", help="reporting round: name or id (default: the latest)"
        )
        parser.add_argument(
            "--create-divisions",
            action="store_true",
            help="create divisions the organization does not have yet",
        )
        parser.add_argument("--user", help="username recorded as the importer in the history")
        parser.add_argument(
            "--repair-spaces",
            action="store_true",
            help="accept every proposal to remove the PDF's line-wrap spaces, as an edit by "
            "--user (a working group member); without it they wait on the review page",
        )

    def handle(
        self, *args, file, org, year, round_, create_divisions, user, repair_spaces, **options
    ):
        organization = self._organization(org)
        fiscal_year = FiscalYear.objects.filter(year=year).first()
        if fiscal_year is None:
            raise CommandError(f"fiscal year {year} does not exist")
        try:
            result = report_import(
                source=file,
                organization=organization,
                fiscal_year=fiscal_year,
                reporting_round=self._round(organization, fiscal_year, round_),
                create_missing_divisions=create_divisions,
                actor=self._user(user),
                repair_spaces=repair_spaces,
            )
        except ReportImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Imported {result.summary()}."))

    def _organization(self, value: str) -> Organization:
        found = Organization.objects.filter(
            Q(slug=value) | Q(name=value) | Q(short_name=value)
        ).first()
        if found is None:
            raise CommandError(f"no organization with the address name or name {value!r}")
        return found

    def _round(self, organization, fiscal_year, value: str | None) -> ReportingRound | None:
        if not value:
            return None
        rounds = ReportingRound.objects.filter(organization=organization, fiscal_year=fiscal_year)
        found = rounds.filter(name=value).first()
        if found is None and value.isdigit():
            found = rounds.filter(pk=int(value)).first()
        if found is None:
            names = ", ".join(rounds.values_list("name", flat=True)) or "none"
            raise CommandError(
                f"no reporting round {value!r} in {fiscal_year.year} (have: {names})"
            )
        return found

    def _user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user
