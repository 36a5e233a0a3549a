"""Factories of accounts and contacts with realistic bilingual data."""

import factory

from guanxi.core.models import Group
from guanxi.core.tests.factories import UserFactory
from guanxi.customers.models import Account, Contact


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    number = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Iterator(
        [
            "杭州云帆科技有限公司",
            "Acme Trading Co., Ltd.",
            "北京明德教育咨询有限公司",
            "深圳前海物流集团",
        ]
    )
    account_type = "customer"
    kind = "company"
    phone = factory.Sequence(lambda n: f"021-6{n % 1000:03d}{n % 10000:04d}")
    city = "上海"
    owner = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    name = factory.Iterator(["张伟", "李娜", "John Smith", "王芳"])
    title = "采购经理"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"contact{n}@example.cn")
    owner = factory.SubFactory(UserFactory)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"分组{n}")
    entity = "account"
    owner = factory.SubFactory(UserFactory)
