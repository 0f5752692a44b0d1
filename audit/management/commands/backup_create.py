"""Back up the database and the media folder into a new directory (README, "Backups")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write the database, the media files and a manifest into DIRECTORY (new or empty)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        try:
            manifest = backup_create(directory=directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"backed up into {directory}: the database, {len(manifest['media'])} media files, "
            f"{len(manifest['chain_heads'])} chain heads"
        )
