import datetime as dt

import pytest

from tests.factories import (
    DivisionFactory,
    FiscalYearFactory,
    OrganizationFactory,
    ReportingRoundFactory,
)

KHAO_THONG_DIVISIONS = ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม")


@pytest.fixture(autouse=True)
def _no_current_report_files(settings):
    """The links to the newest report files live on disk: none may outlive its test."""
    import shutil
    from pathlib import Path

    current = Path(settings.MEDIA_ROOT) / "reports" / "current"
    shutil.rmtree(current, ignore_errors=True)
    yield
    shutil.rmtree(current, ignore_errors=True)


@pytest.fixture
def tasks_in_process():
    """Celery tasks run in the process, as on the embedded default (also with REDIS_URL set)."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def organization(db):
    return OrganizationFactory(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )


@pytest.fixture
def khao_thong(organization):
    """อบต.เขาทอง as in the seed report: four divisions, FY 2564 with a 6- and a 12-month round."""
    for name in KHAO_THONG_DIVISIONS:
        DivisionFactory(organization=organization, name=name)
    fiscal_year = FiscalYearFactory(year=2564)
    for name, months, due_on in (
        ("รอบ 6 เดือน", 6, dt.date(2021, 4, 30)),
        ("รอบ 12 เดือน", 12, dt.date(2021, 10, 31)),
    ):
        ReportingRoundFactory(
            organization=organization,
            fiscal_year=fiscal_year,
            name=name,
            months=months,
            due_on=due_on,
        )
    return organization


@pytest.fixture
def world(db):
    """One organization with a person in each role (see tests/roles.py)."""
    from tests.roles import world_build

    return world_build()


# Browser tests (pytest-playwright) drive Debian's Chromium: `playwright install` cannot
# download a browser here. Without the networking flags it keeps trying to reach outside.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
