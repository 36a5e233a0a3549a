import pytest
from django.utils.translation import override

from guanxi.core import search
from guanxi.core.dedupe import find_duplicates
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_same_company_with_other_suffix_and_phone_format_is_found():
    account = AccountFactory(name="上海华信科技有限公司", phone="021-5555 1234")
    search.index_record("account", account)

    # The reasons are translated; an earlier test may have left another language active.
    with override("en"):
        matches = find_duplicates("account", {"name": "华信科技", "phone": "+86 21 55551234"})

    assert [match.record for match in matches] == [account]
    assert sorted(matches[0].reasons) == ["same name", "same phone"]


def test_the_record_being_edited_is_not_its_own_duplicate():
    account = AccountFactory(name="Acme Trading Co., Ltd.")
    search.index_record("account", account)

    assert find_duplicates("account", {"name": "ACME Trading"}, exclude_pk=account.pk) == []
