"""Global search (PLT-10): names, pinyin, initials, phones in any format, emails, scope."""

import pytest
from django.urls import reverse

from guanxi.core import search
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory


def test_company_names_lose_legal_suffix_and_region():
    assert search.strip_company_name("上海华为科技有限公司") == "华为科技"
    assert search.strip_company_name("深圳前海物流集团") == "前海物流"
    assert search.strip_company_name("Acme Trading Co., Ltd.") == "acmetrading"
    assert search.strip_company_name("ＡＢＣ（中国）有限公司") == "abc"


def test_person_names_get_pinyin_and_every_surname_reading():
    keys = search.person_name_keys("单田芳")
    assert "dantianfang" in keys
    assert "shantianfang" in keys
    assert "stf" in keys and "dtf" in keys
    assert "田芳" in keys
    keys = search.person_name_keys("John Smith")
    assert {"johnsmith", "john", "smith", "smithjohn"} <= set(keys)


def test_phone_queries_in_any_format_reach_the_same_keys():
    stored = set(search.phone_keys("138-0013-8000"))
    assert stored == {"8613800138000", "13800138000"}
    for query in ("13800138000", "+86 138 0013 8000", "(+86)13800138000", "0086 138 0013 8000"):
        assert stored & set(search.query_keys(query)), query


@pytest.fixture
def indexed(db):
    owner = UserFactory(username="owner")
    account = AccountFactory(name="杭州云帆网络科技有限公司", phone="0571-8888 1234", owner=owner)
    contact = ContactFactory(
        name="张三",
        mobile="138 0013 8000",
        email="San.Zhang@Yunfan.cn",
        account=account,
        owner=owner,
    )
    search.index_record("account", account)
    search.index_record("contact", contact)
    return {"owner": owner, "account": account, "contact": contact}


@pytest.mark.parametrize(
    "query",
    [
        "张三",
        "张",
        "zhangsan",
        "zs",
        "ZS",
        "13800138000",
        "138 0013",
        "+8613800138000",
        "san.zhang@",
        "san.zhang",
        "sanzhang",
        "san.zhang@yunfan.cn",
    ],
)
def test_contact_is_found_by(indexed, query):
    grant(indexed["owner"], "contact", ["view"], scope="own")
    titles = [hit.title for hit in search.search(indexed["owner"], query)]
    assert "张三" in titles


@pytest.mark.parametrize(
    "query", ["云帆", "yunfan", "yfwl", "杭州云帆", "0571 8888 1234", "88881234"]
)
def test_account_is_found_by(indexed, query):
    grant(indexed["owner"], "account", ["view"], scope="own")
    titles = [hit.title for hit in search.search(indexed["owner"], query)]
    assert titles == ["杭州云帆网络科技有限公司"]


def test_an_email_is_kept_once_and_its_local_part_again_only_when_folding_changes_it():
    # Keys are matched by prefix: the address itself finds its local part.
    assert search.email_keys(" Info1@Example.cn ") == ["info1@example.cn"]
    assert search.email_keys("San.Zhang@Yunfan.cn") == ["san.zhang@yunfan.cn", "sanzhang"]


def test_search_respects_scope_and_permission(indexed, client_for):
    outsider = UserFactory(username="outsider")
    assert search.search(outsider, "zs") == []
    grant(outsider, "contact", ["view"], scope="own")
    assert search.search(outsider, "zs") == []
    grant(outsider, "contact", ["view"], scope="all")
    assert [hit.title for hit in search.search(outsider, "zs")] == ["张三"]
    page = client_for(outsider).get(reverse("web:search_quick"), {"q": "yunfan"}).content.decode()
    assert reverse("web:account_detail", args=[indexed["account"].pk]) not in page
    assert "Nothing found." in page


def test_editing_a_record_reindexes_it(indexed, client_for):
    owner = indexed["owner"]
    grant(owner, "contact", scope="own")
    grant(owner, "account", ["view"], scope="own")
    contact = indexed["contact"]
    response = client_for(owner).post(
        reverse("web:contact_edit", args=[contact.pk]),
        {"name": "李四", "account": contact.account_id, "owner": owner.pk, "version": 1},
    )
    assert response.status_code == 302
    assert [hit.title for hit in search.search(owner, "ls")] == ["李四"]
    assert search.search(owner, "zs") == []
