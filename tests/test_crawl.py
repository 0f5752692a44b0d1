"""Every page answers every person: each one crawls the whole site, in Thai and in English.

Given the seeded demo after the whole workflow ran on some of its items (tests/crawl.py),
when each person (anonymous, every demo role, a second organization's people) follows every
link and GET form from `/`, then no page is a 5xx, a Thai page says lang="th" and shows no
internal code, and an English page's interface is not left in Thai.
"""

import re

import pytest
from django.db import transaction
from django.test import Client

from tests.crawl import DEMO_PEOPLE, OTHER_PEOPLE, crawl, crawl_world_build, data_texts_collect

LIMIT = 400  # pages per person and language


@pytest.fixture(scope="module")
def crawl_world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = crawl_world_build()
        data_texts_collect()
        yield world
        transaction.set_rollback(True)


PEOPLE = (None, *DEMO_PEOPLE, *OTHER_PEOPLE)


def _report(visits) -> str:
    return "\n".join(f"{v.status} {v.url}: {'; '.join(v.problems)}" for v in visits if v.problems)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["th", "en"])
@pytest.mark.parametrize("username", PEOPLE, ids=lambda u: u or "anonymous")
def test_crawl_every_page_answers(crawl_world, username, language, record_property):
    # given a person of the demo (or nobody logged in)
    client = Client(raise_request_exception=False)
    if username:
        client.force_login(crawl_world.people[username])
    # when they follow every link and GET form from the home page
    visits = crawl(client, language=language, username=username or "", limit=LIMIT)
    record_property("pages", len(visits))
    print(f"{username or 'anonymous'} [{language}]: {len(visits)} pages")
    # then every page answered without a server error, in the person's language
    assert len(visits) > (1 if username is None else 5)
    assert not _report(visits), _report(visits)


@pytest.mark.django_db
def test_result_report_timeline_shows_its_result_lines(crawl_world):
    # given a published result report whose lists include its result lines (`items`)
    report = crawl_world.items["published_report"]
    client = Client()
    client.force_login(crawl_world.people["auditor"])
    # when the auditor opens its timeline
    response = client.get(f"/audit/khao-thong/reports/{report.pk}/")
    # then it shows the recommendation the working group added, line by line
    assert response.status_code == 200
    # (the changed words are marked, so the line is read without its tags)
    text = re.sub(r"<[^>]+>|\s", "", response.content.decode())
    assert "ควรเผยแพร่ผลการดำเนินการบนเว็บไซต์ให้เป็นปัจจุบัน" in text
