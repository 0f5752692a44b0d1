"""A backup restored into a new database and media folder gives back the same past:
the chains verify, the public pages are identical, every evidence file downloads."""

import json
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from approvals.services import transition_perform
from tests import celery_harness
from tests.web_helpers import SEED_MEASURES, published_report
from workflow.models import Action, Evidence

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore"),
]


def _run(module_args, *, database: str, media) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{database}",
        MEDIA_ROOT=str(media),
        REDIS_URL="",
    )
    return subprocess.run(
        [sys.executable, *module_args], cwd=celery_harness.ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture
def restore_database():
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_restored_into_a_new_database_gives_back_the_same_past(
    organization, settings, tmp_path, restore_database
):
    # given a published report with evidence, its files in the media folder
    settings.MEDIA_ROOT = tmp_path / "media"
    people, _round, items = published_report(organization, measures=SEED_MEASURES[:2])
    report = items[0][1]
    transition_perform(item=report, action=Action.REVISE, actor=people.head)
    evidence = [
        Evidence.objects.create(
            report=report,
            title=f"คำสั่งแต่งตั้ง {n}",
            file=SimpleUploadedFile(f"order-{n}.pdf", b"%PDF-1.4 evidence " + bytes([n]) * 900),
            content_type="application/pdf",
            size=918,
        )
        for n in range(3)
    ]
    for action, actor in [
        (Action.SUBMIT, people.head), (Action.REVIEW, people.working),
        (Action.APPROVE, people.chief), (Action.PUBLISH, people.publisher),
    ]:  # fmt: skip
        transition_perform(item=report, action=action, actor=actor)
    year = report.measure.fiscal_year.year
    paths = [
        "/public/",
        f"/public/{organization.slug}/",
        f"/public/{organization.slug}/{year}/",
        f"/public/{organization.slug}/{year}/report.csv",
        *(reverse("public:evidence", args=[e.pk]) for e in evidence),
    ]
    original = _run(
        ["-m", "tests.page_snapshot", *paths],
        database=connection.settings_dict["NAME"], media=settings.MEDIA_ROOT,
    )  # fmt: skip
    assert original.returncode == 0, original.stderr[-2000:]

    # when it is backed up, and restored into a new database and a new media folder
    call_command("backup_create", str(tmp_path / "backup"))
    restored_media = tmp_path / "restored-media"
    restore = _run(
        ["manage.py", "backup_restore", str(tmp_path / "backup")],
        database=restore_database, media=restored_media,
    )  # fmt: skip

    # then the restore checked every file and chain head, and the chains verify in full
    assert restore.returncode == 0, restore.stderr[-3000:]
    assert "every file and chain head matches the manifest" in restore.stdout
    assert f"{organization.slug}: intact" in restore.stdout
    assert len(list(restored_media.rglob("*.pdf"))) == 3

    # and the public pages and every evidence file answer the same, byte for byte
    again = _run(
        ["-m", "tests.page_snapshot", *paths], database=restore_database, media=restored_media
    )
    assert again.returncode == 0, again.stderr[-2000:]
    before, after = json.loads(original.stdout), json.loads(again.stdout)
    assert all(status == 200 for status, _ in before.values()), before
    assert after == before


def test_a_restore_refuses_a_database_that_is_not_empty(organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("backup_create", str(tmp_path / "backup"))
    result = _run(
        ["manage.py", "backup_restore", str(tmp_path / "backup")],
        database=connection.settings_dict["NAME"], media=tmp_path / "other",
    )  # fmt: skip
    assert result.returncode != 0
    assert "not empty" in result.stderr
