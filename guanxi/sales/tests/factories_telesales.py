"""Factories of call lists, their entries and competing products."""

import factory

from guanxi.core.tests.factories import UserFactory
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales.models import CallList, CallListEntry, CompetitorProduct


class CallListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallList

    name = factory.Iterator(["华东区老客户回访", "Trade fair follow-up", "新线索首呼"])
    entity = "contact"
    owner = factory.SubFactory(UserFactory)


class CallListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallListEntry

    call_list = factory.SubFactory(CallListFactory)
    record_id = factory.Sequence(lambda n: n + 1)
    position = factory.Sequence(lambda n: n + 1)


class CompetitorProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetitorProduct

    competitor = factory.SubFactory(AccountFactory, account_type="competitor")
    name = factory.Iterator(["云帆 ERP 标准版", "Nordlicht CRM Pro"])
