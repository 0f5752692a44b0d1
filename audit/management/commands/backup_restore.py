"""Restore a backup into an empty database and media folder, checked against its manifest."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from audit.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore DIRECTORY (made by backup_create) into the configured, empty database and "
        "media folder; check every file and chain head, then verify the chains in full."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        try:
            manifest = backup_restore(directory=directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"restored {len(manifest['media'])} media files and the database of "
            f"{manifest['created_at']}; every file and chain head matches the manifest"
        )
        call_command("audit_verify", "--full", stdout=self.stdout, stderr=self.stderr)
