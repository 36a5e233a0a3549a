"""Duplicate matching: every normalisation, the scoring and the create-time lookup."""

import random
import unicodedata

import pytest

from guanxi.core import dedupe
from guanxi.core.dedupe import normalize
from guanxi.core.models import DuplicateRule
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory


def indexed(record):
    dedupe.index_record(record.entity_name, record)
    return record


def test_full_width_and_traditional_characters_fold_to_half_width_simplified():
    assert normalize.fold("ＡＢＣ　華信科技（集團）") == "abc 华信科技(集团)"


def test_folding_gives_zhconvs_simplified_text_whether_or_not_it_converts():
    """Texts the conversion cannot change skip it: checked on words of its own table, mixed
    with their characters, where the table's longer words hide or reveal shorter ones."""
    import zhconv
    from zhconv.zhconv import getdict

    words = sorted(getdict("zh-hans"))[::7]
    characters = sorted({character for word in words for character in word})
    rng = random.Random(11)
    skipped = 0
    for _attempt in range(30000):
        pieces = [
            rng.choice(words) if rng.random() < 0.4 else rng.choice(characters)
            for _piece in range(rng.randrange(1, 6))
        ]
        text = "".join(pieces)
        folded = unicodedata.normalize("NFKC", text).lower().strip()
        converted = zhconv.convert(folded, "zh-hans") if normalize._CJK.search(folded) else folded
        assert normalize.fold(text) == converted, text
        skipped += not normalize._may_convert(folded)
    assert skipped > 3000  # the quick way is taken, not only the conversion
    assert normalize.fold("上海西山金融中心") == "上海西山金融中心"
    assert normalize.fold("上海西山金融中心發展") == "上海西山金融中心发展"


@pytest.mark.parametrize(
    "name",
    [
        "华信科技",
        "上海华信科技有限公司",
        "華信科技股份有限公司",
        "华信科技集团",
        "华信科技（集团）有限公司",
        "ＨＵＡＸＩＮ ＫＥＪＩ",
    ],
)
def test_company_names_with_suffixes_region_width_script_or_pinyin_share_a_key(name):
    base = normalize.company_profile("华信科技有限公司")
    other = normalize.company_profile(name)
    assert set(normalize.blocking_keys("company_name", base)) & set(
        normalize.blocking_keys("company_name", other)
    )
    assert normalize.similarity("company_name", base, other) >= 0.95


@pytest.mark.parametrize(
    "name", ["Acme Trading Co., Ltd.", "ACME TRADING", "Acme Trading Inc.", "acme trading ltd"]
)
def test_english_company_suffixes_are_ignored(name):
    assert normalize.company_profile(name)[0] == "acmetrading"


def test_a_typo_in_a_company_name_is_similar_not_the_same():
    similarity = normalize.similarity(
        "company_name",
        normalize.company_profile("Globex Logistics"),
        normalize.company_profile("Globex Logistcs"),
    )
    assert 0.9 < similarity < 1


@pytest.mark.parametrize(
    "name", ["张伟", "張偉", "Zhang Wei", "Wei Zhang", "ZHANG, Wei", "zhang  wei"]
)
def test_person_names_match_in_either_order_script_or_spelling(name):
    base = normalize.person_profile("张伟")
    other = normalize.person_profile(name)
    assert normalize.blocking_keys("person_name", other) == ["weizhang"]
    assert normalize.similarity("person_name", base, other) >= 0.9


def test_latin_person_names_in_either_order_are_the_same():
    first = normalize.person_profile("John Smith")
    assert first == normalize.person_profile("Smith John")[:2]
    assert normalize.similarity("person_name", first, normalize.person_profile("Smith, John")) == 1


def test_different_chinese_people_are_not_similar():
    assert (
        normalize.similarity(
            "person_name", normalize.person_profile("张伟"), normalize.person_profile("李娜")
        )
        == 0
    )


@pytest.mark.parametrize(
    "number",
    [
        "13912345678",
        "+86 139 1234 5678",
        "0086-139-1234-5678",
        "(139) 1234 5678",
        "１３９－１２３４－５６７８",
    ],
)
def test_phone_numbers_in_any_format_become_e164(number):
    assert normalize.phone_profile(number) == ["+8613912345678"]


def test_landline_with_area_code_in_any_format():
    assert normalize.phone_profile("021-5555 1234") == normalize.phone_profile("+86 21 55551234")


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("John.Smith@Gmail.com", "johnsmith+crm@gmail.com", True),
        ("johnsmith@googlemail.com", "john.smith@gmail.com", True),
        ("Li.Na+news@outlook.com", "li.na@outlook.com", True),
        ("li.na@outlook.com", "lina@outlook.com", False),
        ("zhang.wei@huaxin.cn", "zhangwei@huaxin.cn", False),
        ("ZHANG@QQ.COM", "zhang@qq.com", True),
        ("ｚｈａｎｇ＠ｑｑ．ｃｏｍ", "zhang@qq.com", True),
    ],
)
def test_emails_fold_case_and_follow_each_providers_dot_and_plus_rules(first, second, same):
    assert (normalize.canonical_email(first) == normalize.canonical_email(second)) is same


def test_addresses_fold_width_words_and_country():
    first = normalize.address_profile("中国上海市浦东新区张江路１００号")
    second = normalize.address_profile("上海市浦东新区张江路100号")
    assert first == second
    assert normalize.address_profile("100 Main Street, Room 5") == normalize.address_profile(
        "100 main st rm 5"
    )


@pytest.mark.django_db
def test_same_company_with_other_suffix_and_phone_format_is_found():
    account = indexed(AccountFactory(name="上海华信科技有限公司", phone="021-5555 1234"))

    matches = dedupe.find_duplicates("account", {"name": "華信科技", "phone": "+86 21 55551234"})

    assert [match.record for match in matches] == [account]
    assert matches[0].score == 1.0
    assert matches[0].reasons == ["same name", "same phone"]


@pytest.mark.django_db
def test_the_record_being_edited_is_not_its_own_duplicate():
    account = indexed(AccountFactory(name="Acme Trading Co., Ltd."))

    assert dedupe.find_duplicates("account", {"name": "ACME Trading"}, exclude_pk=account.pk) == []


@pytest.mark.django_db
def test_similar_name_is_reported_with_its_percentage():
    indexed(AccountFactory(name="Globex Logistics Ltd", phone="", email="info@globex.com"))

    [match] = dedupe.find_duplicates(
        "account", {"name": "Globex Logistic", "email": "INFO@globex.com"}
    )

    assert match.reasons == ["same email", "name 96% similar"]


@pytest.mark.django_db
def test_a_shared_switchboard_number_alone_is_not_a_duplicate_contact():
    account = AccountFactory()
    indexed(ContactFactory(name="张伟", phone="021-5555 1234", account=account, email=""))

    matches = dedupe.find_duplicates(
        "contact", {"name": "李娜", "phone": "02155551234", "account": account.pk}
    )

    assert matches == []


@pytest.mark.django_db
def test_contact_found_by_pinyin_name_and_reformatted_mobile():
    contact = indexed(ContactFactory(name="张伟", mobile="13912345678", email=""))

    [match] = dedupe.find_duplicates(
        "contact", {"name": "Wei Zhang", "mobile": "+86 139 1234 5678"}
    )

    assert match.record == contact
    assert match.reasons == ["same name", "same phone"]


@pytest.mark.django_db
def test_only_visible_records_are_returned_and_the_others_counted():
    owner, other = UserFactory(), UserFactory()
    grant(other, "account", scope="own")
    indexed(AccountFactory(name="华信科技有限公司", owner=owner))

    check = dedupe.duplicate_check("account", {"name": "华信科技"}, user=other)

    assert check.matches == []
    assert check.hidden == 1


@pytest.mark.django_db
def test_administrators_rules_change_weights_and_threshold():
    indexed(AccountFactory(name="华信科技有限公司", phone="021-5555 1234"))
    DuplicateRule.objects.create(
        entity="account", threshold=0.99, weights={"name": 0, "phone": 0.5}
    )

    assert dedupe.find_duplicates("account", {"name": "华信科技", "phone": "02166661234"}) == []
    assert len(dedupe.find_duplicates("account", {"name": "x", "phone": "021 5555 1234"})) == 1


@pytest.mark.django_db
def test_writes_through_services_keep_the_keys_current():
    from guanxi.core import registry, services
    from guanxi.customers.forms import AccountForm

    user = UserFactory()
    grant(user, "account")
    form = AccountForm(
        {"name": "明德教育", "account_type": "customer", "kind": "company", "currency": "CNY"},
        user=user,
    )
    assert form.is_valid(), form.errors
    account = services.record_create(actor=user, entity=registry.get("account"), form=form)

    assert [m.record for m in dedupe.find_duplicates("account", {"name": "明德教育有限公司"})] == [
        account
    ]
    services.record_delete(actor=user, entity=registry.get("account"), instance=account)
    assert dedupe.find_duplicates("account", {"name": "明德教育有限公司"}) == []


@pytest.mark.parametrize("entity", ["account", "contact"])
def test_precision_and_recall_on_the_labelled_set(entity):
    from guanxi.customers.tests import dedupe_cases

    result = dedupe_cases.evaluate(entity, dedupe_cases.cases(entity, 800))

    assert result["precision"] >= 0.97, result
    assert result["recall"] >= 0.9, result


@pytest.mark.django_db
def test_a_common_name_still_blocks_small_together_with_the_customer(monkeypatch):
    from guanxi.core.dedupe import engine

    monkeypatch.setattr(engine, "CANDIDATES_PER_KEY", 2)
    account = AccountFactory()
    wanted = indexed(ContactFactory(name="张伟", account=account, email="", mobile=""))
    for _ in range(3):  # newer namesakes elsewhere fill the name key's candidates
        indexed(ContactFactory(name="张伟", email="", mobile="", phone=""))

    matches = dedupe.find_duplicates("contact", {"name": "Zhang Wei", "account": account.pk})

    assert [match.record for match in matches] == [wanted]


@pytest.mark.django_db
def test_the_create_time_check_is_a_fixed_handful_of_queries(django_assert_num_queries):
    user = UserFactory()
    grant(user, "contact", scope="all")
    for number in range(5):
        indexed(ContactFactory(name="张伟", mobile=f"1391234567{number}"))
    values = {"name": "Zhang Wei", "mobile": "13912345670", "email": "x@example.cn"}

    # rules, candidates' profiles by key, the user's grants, the matching records
    with django_assert_num_queries(4):
        check = dedupe.duplicate_check("contact", values, user=user)

    assert len(check.matches) == 1


@pytest.mark.django_db
def test_reindex_and_a_single_write_give_the_same_keys_and_profile():
    from guanxi.core.models import DuplicateKey, DuplicateProfile

    contact = ContactFactory(name="張偉", mobile="139 1234 5678", phone="021-5555 1234")
    indexed(contact)
    single = (
        sorted(DuplicateKey.objects.values_list("key", flat=True)),
        DuplicateProfile.objects.get(entity="contact").values,
    )

    dedupe.reindex("contact")

    assert single == (
        sorted(DuplicateKey.objects.filter(entity="contact").values_list("key", flat=True)),
        DuplicateProfile.objects.get(entity="contact").values,
    )
    assert single[1]["phone"] == ["+8613912345678", "+862155551234"]
