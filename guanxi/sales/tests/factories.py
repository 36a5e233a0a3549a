"""Factories of pipelines, stages, leads and opportunities with realistic bilingual data."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from guanxi.core.tests.factories import UserFactory
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales.models import Lead, Opportunity, Pipeline, Stage

# (Chinese, English, probability, won, lost) of a typical B2B pipeline.
STAGES = (
    ("初步接洽", "Prospecting", 10, False, False),
    ("需求确认", "Needs confirmed", 30, False, False),
    ("方案报价", "Proposal", 60, False, False),
    ("谈判审核", "Negotiation", 80, False, False),
    ("赢单", "Won", 100, True, False),
    ("输单", "Lost", 0, False, True),
)


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name_zh = factory.Sequence(lambda n: f"新客户销售流程{n}")
    name_en = factory.Sequence(lambda n: f"New business {n}")

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for position, (zh, en, probability, won, lost) in enumerate(STAGES):
            Stage.objects.create(
                pipeline=self,
                name_zh=zh,
                name_en=en,
                position=position,
                probability=probability,
                is_won=won,
                is_lost=lost,
            )


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    number = factory.Sequence(lambda n: f"L{n:06d}")
    name = factory.Iterator(["刘洋", "陈静", "Emily Chen", "赵磊"])
    company = factory.Iterator(["苏州恒通精密机械有限公司", "Nordwind GmbH", "成都蜀锦文化传媒"])
    mobile = factory.Sequence(lambda n: f"137{n:08d}")
    email = factory.Sequence(lambda n: f"lead{n}@example.cn")
    source = "website"
    owner = factory.SubFactory(UserFactory)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    number = factory.Sequence(lambda n: f"O{n:06d}")
    name = factory.Iterator(["ERP 二期项目", "Warehouse scanners", "年度维保续约"])
    owner = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    pipeline = factory.SubFactory(PipelineFactory)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.order_by("position").first())
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    amount = Decimal("120000.00")
    expected_close = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
