"""Factories of customer care."""

import factory

from guanxi.activities.models import MessageTemplate
from guanxi.service.models import CarePlan


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    channel = "email"
    name = factory.Sequence(lambda n: f"生日祝福 {n}")
    language = ""
    subject = "{{ contact.name }}，生日快乐！"
    body = "亲爱的{{ contact.name }}：\n祝您生日快乐！\n{{ user.name }}"


class CarePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarePlan

    name = factory.Sequence(lambda n: f"生日关怀 {n}")
    audience = "contact"
    occasion = "yearly"
    date_field = "birthday"
    days_before = 3
    subject = "给{{ contact.name }}送生日祝福"
