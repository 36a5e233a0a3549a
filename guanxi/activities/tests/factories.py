"""Factories of activities with realistic bilingual data."""

import datetime

import factory
from django.utils import timezone

from guanxi.activities.models import Activity
from guanxi.core.tests.factories import UserFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = "call"
    subject = factory.Iterator(
        ["电话回访：确认报价", "Follow-up call on the quote", "拜访客户", "Demo"]
    )
    status = "planned"
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    owner = factory.SubFactory(UserFactory)
