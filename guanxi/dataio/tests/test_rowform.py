"""An import validates each row as the create screen's form does: same values, same errors.

The importer reuses one lean form per import (`guanxi.dataio.rowform`); these tests run a
table of good and bad cells through it and through the entity's form built as the screen
builds it, in both languages, and compare the outcome: valid or not, every error message,
the cleaned values and the record they make.
"""

import random

import pytest
from django.utils import translation

from guanxi.core import phones, search
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.dataio import mapping, rowform, runner
from guanxi.dataio.tests.helpers import upload

ACCOUNT_COLUMNS = [
    "name",
    "account_type",
    "kind",
    "grade",
    "relationship",
    "phone",
    "email",
    "website",
    "province",
    "city",
    "address",
    "annual_revenue",
    "employees",
    "currency",
    "owner",
]
GOOD = [
    "杭州云帆科技有限公司",
    "客户",
    "企业",
    "贵宾型",
    "",
    "0571-8888 1234",
    "Info@YunFan.cn",
    "",
    "浙江",
    "杭州",
    "文三路 1 号",
    "",
    "",
    "",
    "",
]
# Cells put in place of the good row's, one column at a time: good, bad and edge values.
VARIANTS = {
    "name": ["  杭州   云帆  ", "x" * 201, "a\x00b", " ", "Harbor Logistics (Suzhou) Co., Ltd."],
    "account_type": ["partner", "合作伙伴", "竞争对手", "没有这种"],
    "kind": ["个人", "company", "公司"],
    "grade": ["普通型", "VIP", "", "五星"],
    "relationship": ["", "战略"],
    "phone": ["12", "+1 415 555 0100", "138 0013 8000", "1" * 45, "0571-8888 1234 ext. 5"],
    "email": ["not-an-email", "a@b", "ops@harbor.com", "x" * 250 + "@a.cn"],
    "website": ["example.com", "not a url", "https://yunfan.cn/about"],
    "province": ["上" * 61, "广东省"],
    "address": ["路\t2\\号", "x" * 301],
    "annual_revenue": ["1000000", "abc", "-5", "1e3", "12.345"],
    "employees": ["12", "-3", "abc", "1.5", "0"],
    "currency": ["CNY", "USD", "XYZ"],
    "owner": ["rep", "boss", "nobody"],
}


def rows_of_table() -> list[list[str]]:
    rows = [list(GOOD)]
    for column, values in VARIANTS.items():
        index = ACCOUNT_COLUMNS.index(column)
        for value in values:
            row = list(GOOD)
            row[index] = value
            rows.append(row)
    wrong_everywhere = list(GOOD)
    wrong = {"phone": "12", "email": "a@b", "employees": "-3", "grade": "五星"}
    for column, value in wrong.items():
        wrong_everywhere[ACCOUNT_COLUMNS.index(column)] = value
    rows.append(wrong_everywhere)
    # Again, so that values seen before come from what the lean form remembers.
    return rows + rows


@pytest.fixture
def rep():
    user = UserFactory(username="rep", language="zh-hans")
    grant(user, "account", ["view", "create", "export", "assign"], scope="own")
    grant(user, "contact", ["view", "create", "export"], scope="own")
    UserFactory(username="boss")
    return user


def importer_for(user, entity: str, columns: list[str], rows) -> runner.Importer:
    run = upload(user, [columns, *rows], entity=entity)
    run.mapping = columns
    run.save(update_fields=["mapping"])
    return runner.Importer(run)


def on_screen(importer: runner.Importer, cells: list[str]):
    """Return (errors, cleaned values, record) of the entity's own form, built per row."""
    data, errors = importer.converter.form_data(cells, importer.defaults)
    form = importer.entity.form_class(data, user=importer.user)
    valid = form.is_valid()
    if errors or not valid:
        return {**mapping.form_errors(form, importer.labels), **errors}, None, None
    return {}, dict(form.cleaned_data), form.instance


def record_values(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
        if not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
    }


def compare(importer: runner.Importer, rows: list[list[str]]) -> tuple[int, int]:
    """Compare every row; return (valid rows, wrong rows)."""
    valid = wrong = 0
    columns = importer.run.mapping
    for number, cells in enumerate(rows, start=2):
        outcome = importer.validate(number, cells)
        errors, cleaned, instance = on_screen(importer, cells)
        assert outcome.errors == errors, cells
        if errors:
            wrong += 1
            assert outcome.action == "error"
            continue
        valid += 1
        assert outcome.action == "create"
        # The import's form leaves out optional fields no column fills (their defaults stay).
        assert outcome.values == {key: cleaned[key] for key in outcome.values}, cells
        assert set(outcome.values) >= {c for c in columns if c and c != "owner"}
        # As written: owner (the importer when no column names one), numbers as E.164.
        written = importer._prepared(outcome.instance)
        assert record_values(written) == record_values(importer._prepared(instance)), cells
        assert "clean_fields" not in outcome.instance.__dict__  # plain again, to be pickled
    return valid, wrong


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_account_rows_are_judged_as_the_screen_judges_them(rep, language):
    rows = rows_of_table()
    with translation.override(language):
        importer = importer_for(rep, "account", ACCOUNT_COLUMNS, rows)
        assert importer.row_form.lean
        valid, wrong = compare(importer, rows)
        # The table reaches the checks it is meant for, with messages in the language.
        outcome = importer.validate(2, rows[-1])
        text = mapping.error_text(outcome.errors, importer.labels)
    assert valid > 20 and wrong > 20
    expected = "有效" if language == "zh-hans" else "valid"
    assert expected in text and len(outcome.errors) == 4, text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_contact_rows_are_judged_as_the_screen_judges_them(rep, language):
    Account.objects.create(name="杭州云帆科技有限公司", number="C000001", owner=rep)
    columns = ["name", "account", "gender", "birthday", "mobile", "email", "is_primary"]
    good = ["张伟", "杭州云帆科技有限公司", "男", "1990-05-01", "13900139000", "", "是"]
    variants = {
        "name": ["", "  李  娜 "],
        "account": ["没有这家", ""],
        "gender": ["女", "不知道"],
        "birthday": ["1990/5/1", "明天", "2001-02-30"],
        "mobile": ["12", "+86 139 0013 9000"],
        "email": ["zw@", "zw@yunfan.cn"],
        "is_primary": ["否", "也许"],
    }
    rows = [good]
    for column, values in variants.items():
        for value in values:
            row = list(good)
            row[columns.index(column)] = value
            rows.append(row)
    rows = rows + rows
    with translation.override(language):
        importer = importer_for(rep, "contact", columns, rows)
        assert importer.row_form.lean
        valid, wrong = compare(importer, rows)
    assert valid > 5 and wrong > 5


@pytest.mark.django_db
def test_values_are_remembered_only_up_to_the_limit(rep, monkeypatch):
    monkeypatch.setattr(rowform, "MEMO_LIMIT", 3)
    rows = [[f"公司{index}号", *GOOD[1:]] for index in range(10)]
    importer = importer_for(rep, "account", ACCOUNT_COLUMNS, rows)
    for number, cells in enumerate(rows, start=2):
        assert importer.validate(number, cells).values["name"] == cells[0]
    memos = [item[5] for item in importer.row_form.form._gx_plan.fields if item[0] == "name"]
    assert len(memos[0]) == 3


def test_phone_search_keys_of_a_number_just_read_are_those_of_its_e164_text():
    numbers = [
        "0571-8888 1234",
        "+86 138 0013 8000",
        "010-12345678",
        "+39 06 1234 5678",
        "+44 20 7946 0958 ext. 12",
        "+1 415 555 0100",
        "+7 495 123-45-67",
    ]
    for raw in numbers:
        e164 = phones.normalize_phone(raw)
        remembered = phones.phone_search_keys(e164)
        phones._PARSED.clear()
        assert remembered == phones.phone_search_keys(e164), raw


def test_pinyin_segmentation_is_pypinyins():
    from pypinyin.core import _default_pinyin

    texts = ["云源农业发展有限公司第3", "abc 中国银行 12 工商", "重庆长城 ABC 银行", "单田芳", ""]
    for text in texts:
        assert list(search._words(text)) == _default_pinyin.seg(text), text


def test_pinyin_segmentation_is_pypinyins_on_random_text():
    """Our runs and word cutting give pypinyin's results, phrase by phrase, on texts built
    from the dictionary's phrases, their characters and characters without pinyin."""
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.seg import mmseg, simpleseg

    assert search._RUNS_USABLE and search._CUT_USABLE  # else pypinyin's own code runs
    rng = random.Random(5)
    phrases = sorted(PHRASES_DICT)[::40]
    characters = sorted({character for phrase in phrases for character in phrase})
    others = [*"abcXYZ 12\n\t,.（）〇", "\U00020001", "\ue815"]
    for _attempt in range(20000):
        pieces = [
            rng.choice(phrases) if rng.random() < 0.5 else rng.choice(characters)
            for _piece in range(rng.randrange(1, 7))
        ]
        run = "".join(pieces)
        assert list(search._cut.__wrapped__(run)) == list(mmseg.seg.cut(run)), run
        mixed = "".join(rng.choice([*characters[:300], *others]) for _c in range(rng.randrange(9)))
        assert search._runs(mixed) == simpleseg.simple_seg(mixed), mixed
