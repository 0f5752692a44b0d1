import pytest

from tests.factories import OrganizationFactory


@pytest.fixture
def organization(db):
    return OrganizationFactory(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )


@pytest.fixture
def world(db):
    """One organization with a person in each role (see tests/roles.py)."""
    from tests.roles import world_build

    return world_build()
