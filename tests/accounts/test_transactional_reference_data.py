"""Reference data shipped by migrations must survive transactional tests (which flush tables)."""

import pytest

from accounts.models import Region
from catalogue.models import OperationItem


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", [1, 2])
def test_reference_data_present_in_every_transactional_test(run):
    assert Region.objects.filter(code="440700").exists()
    assert OperationItem.objects.filter(code="weld-fusion").exists()
