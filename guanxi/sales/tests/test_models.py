"""Sales models: names in the user's language, amounts derived from lines and probability."""

from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.sales.models import OpportunityLine
from guanxi.sales.tests.factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_stage_names_follow_the_language():
    opportunity = OpportunityFactory()
    with translation.override("zh-hans"):
        assert str(opportunity.stage) == "初步接洽"
    with translation.override("en"):
        assert str(opportunity.stage) == "Prospecting"


def test_weighted_amount_and_line_total():
    opportunity = OpportunityFactory(amount=Decimal("200000"), probability=30)
    line = OpportunityLine(
        opportunity=opportunity,
        product_name="扫码枪 Scanner",
        quantity=Decimal("3"),
        unit_price=Decimal("1999.00"),
        discount_percent=Decimal("10"),
    )

    assert opportunity.weighted_amount == Decimal("60000")
    assert line.total == Decimal("5397.30")


def test_lead_phones_are_kept_in_e164():
    lead = LeadFactory(mobile="138 0013 8000", phone="021-6888 1234")

    assert (lead.mobile_e164, lead.phone_e164) == ("+8613800138000", "+862168881234")
