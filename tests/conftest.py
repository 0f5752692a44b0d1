import pytest

from tests.factories import OrganizationFactory


@pytest.fixture
def organization(db):
    return OrganizationFactory(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )
