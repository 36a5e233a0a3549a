"""Demo tags, groups and consent for `guanxi demo`, on the customers it has created."""

from __future__ import annotations

import datetime
import random

from guanxi.core.choices import TagColor
from guanxi.core.models import Group, GroupMember, Role, Tag, Tagging, User
from guanxi.customers.choices import ConsentChannel, ConsentSource, ConsentStatus, Grade
from guanxi.customers.models import Account, Consent, Contact

# name → colour
DEMO_TAGS = {
    "VIP": TagColor.RED,
    "重点客户": TagColor.ORANGE,
    "老客户": TagColor.GREEN,
    "新客户": TagColor.BLUE,
    "展会客户": TagColor.PURPLE,
    "Key account": TagColor.CYAN,
}
# Customer service sees phone numbers and emails masked (138****1234).
MASKING_ROLES = ("客服", "客服（编辑本人）")


def add_demo_labels(
    rng: random.Random,
    *,
    accounts: list[Account],
    contacts: list[Contact],
    users: dict[str, User],
    now: datetime.datetime,
) -> dict[str, int]:
    """Tag customers, fill two groups, record consent and opt-outs; return the counts."""
    Role.objects.filter(name__in=MASKING_ROLES).update(mask_personal_data=True)
    tags = {
        name: Tag.objects.update_or_create(name=name, defaults={"color": color})[0]
        for name, color in DEMO_TAGS.items()
    }
    taggings = []
    for account in accounts:
        names = set()
        if account.grade == Grade.VIP:
            names.add("VIP")
        if account.custom.get("key_account"):
            names.add("重点客户")
        if account.created_at < now - datetime.timedelta(days=365):
            names.add("老客户")
        elif rng.random() < 0.3:
            names.add("新客户")
        if rng.random() < 0.1:
            names.add("展会客户")
        taggings.extend(
            Tagging(tag=tags[name], entity="account", object_id=account.pk) for name in names
        )
    for contact in rng.sample(contacts, k=min(len(contacts), len(contacts) // 8)):
        taggings.append(Tagging(tag=tags["Key account"], entity="contact", object_id=contact.pk))
    Tagging.objects.bulk_create(taggings, ignore_conflicts=True)

    fair = Group.objects.create(
        name="2026 上海工博会意向客户",
        entity="account",
        description="在工博会展台留下联系方式、需要跟进的客户。",
        owner=users["zhaomin"],
        created_by=users["zhaomin"],
    )
    newsletter = Group.objects.create(
        name="季度客户通讯 / Quarterly newsletter",
        entity="contact",
        description="Contacts who receive the quarterly newsletter · 季度通讯收件人",
        owner=users["echen"],
        created_by=users["echen"],
    )
    fair_members = rng.sample(accounts, k=min(len(accounts), 25))
    readers = [contact for contact in contacts if contact.email][:60]
    GroupMember.objects.bulk_create(
        [GroupMember(group=fair, object_id=a.pk, added_by=fair.owner) for a in fair_members]
        + [
            GroupMember(group=newsletter, object_id=c.pk, added_by=newsletter.owner)
            for c in readers
        ]
    )
    consents = _demo_consents(rng, readers, users, now)
    return {"tags": len(taggings), "groups": 2, "consents": consents}


def _demo_consents(rng, readers, users, now) -> int:
    """Newsletter readers consented to email; a few later opted out, some of SMS too."""
    rows = []
    for index, contact in enumerate(readers):
        signed_up = now - datetime.timedelta(days=rng.randrange(60, 400))
        rows.append(
            Consent(
                contact=contact,
                channel=ConsentChannel.EMAIL,
                status=ConsentStatus.GRANTED,
                source=ConsentSource.WEB_FORM,
                recorded_at=signed_up,
                note="官网订阅 / website sign-up",
                current=index % 7 != 0,
            )
        )
        if index % 7 == 0:
            rows.append(
                Consent(
                    contact=contact,
                    channel=ConsentChannel.EMAIL,
                    status=ConsentStatus.WITHDRAWN,
                    source=ConsentSource.UNSUBSCRIBE,
                    recorded_at=signed_up + datetime.timedelta(days=30),
                )
            )
        if index % 11 == 0:
            rows.append(
                Consent(
                    contact=contact,
                    channel=ConsentChannel.SMS,
                    status=ConsentStatus.WITHDRAWN,
                    source=ConsentSource.CUSTOMER_REQUEST,
                    actor=users["sunyue"],
                    recorded_at=signed_up + datetime.timedelta(days=5),
                    note="来电要求不再发送短信",
                )
            )
    Consent.objects.bulk_create(rows)
    return len(rows)
