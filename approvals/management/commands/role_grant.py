"""Give a person a role in an organization: how the platform operator names its first admin."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from approvals.exceptions import WorkflowError
from approvals.models import Role
from approvals.services import membership_create
from workflow.models import Division, Organization


class Command(BaseCommand):
    help = (
        "Give USERNAME the ROLE in the organization ORG (e.g. its first organization admin). "
        "--by names who gives it: the platform operator or an admin of the organization."
    )

    def add_arguments(self, parser):
        parser.add_argument("org", help="the organization's slug, e.g. khao-thong")
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--by", required=True, help="username of the one who gives it")
        parser.add_argument(
            "--division", action="append", default=[], help="for a division head (repeatable)"
        )

    def handle(self, *args, **options):
        User = get_user_model()
        try:
            organization = Organization.objects.get(slug=options["org"])
            user = User.objects.get(username=options["username"])
            actor = User.objects.get(username=options["by"])
        except (Organization.DoesNotExist, User.DoesNotExist) as error:
            raise CommandError(str(error)) from error
        divisions = list(
            Division.objects.filter(organization=organization, name__in=options["division"])
        )
        if len(divisions) != len(set(options["division"])):
            raise CommandError(f"unknown division among {options['division']}")
        try:
            membership = membership_create(
                organization=organization, actor=actor, user=user, role=options["role"],
                division_ids=[d.pk for d in divisions],
            )  # fmt: skip
        except WorkflowError as error:
            raise CommandError(f"{error.message_th} / {error.message_en}") from error
        self.stdout.write(self.style.SUCCESS(f"{membership}"))
