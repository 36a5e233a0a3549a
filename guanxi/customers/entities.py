"""Register accounts and contacts with the generic layer."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry, search
from guanxi.core.money import format_money
from guanxi.core.phones import format_phone
from guanxi.core.registry import Column, Entity, Filter, Tab
from guanxi.customers.choices import (
    AccountType,
    ContactRole,
    Grade,
    Industry,
    LifecycleStage,
    Loyalty,
    Relationship,
    Source,
    ValueClass,
)
from guanxi.customers.forms import AccountForm, ContactForm
from guanxi.customers.models import Account, Contact, MembershipLevel


def account_search_keys(account: Account):
    yield from search.company_name_keys(account.name)
    yield account.number.lower()
    yield from search.phone_keys(account.phone)
    yield from search.email_keys(account.email)


def contact_search_keys(contact: Contact):
    yield from search.person_name_keys(contact.name)
    yield from search.phone_keys(contact.mobile, contact.phone)
    yield from search.email_keys(contact.email)


def account_contacts(account, user):
    contacts = (
        Contact.objects.visible_to(user, "view")
        .filter(account=account)
        .select_related("owner")
        .order_by("-is_primary", "name")[:200]
    )
    return {"contacts": contacts}


def account_points(account, user):
    from guanxi.customers.views import points_tab_context

    return points_tab_context(account, user)


def mark_bulk_set_by_hand(account: Account, fields) -> None:
    from guanxi.customers.classification import mark_manual

    mark_manual(account, fields)


def membership_level_choices():
    return [(str(level.pk), level.display_name) for level in MembershipLevel.objects.all()]


ACCOUNT = registry.register(
    Entity(
        name="account",
        model=Account,
        plural="accounts",
        form_class=AccountForm,
        icon="building-store",
        menu_order=10,
        number_sequence="C",
        select_related=("owner", "membership_level"),
        ordering="-updated_at",
        columns=[
            Column("number", default=False),
            Column("name", link=True),
            Column("account_type"),
            Column("grade"),
            Column("relationship", default=False),
            Column("loyalty", default=False),
            Column("value_class", default=False),
            Column("lifecycle_stage", default=False),
            Column("membership_level", order_by="membership_level__threshold", default=False),
            Column("points_balance", default=False),
            Column("industry"),
            Column(
                "phone", render=lambda account: format_phone(account.phone_e164) or account.phone
            ),
            Column("email", default=False),
            Column("city"),
            Column("province", default=False),
            Column("source", default=False),
            Column(
                "annual_revenue",
                default=False,
                render=lambda account: format_money(account.annual_revenue, account.currency),
            ),
            Column("owner", order_by="owner__username"),
            Column("created_at", default=False),
            Column("updated_at"),
        ],
        filters=[
            Filter("account_type", _("Type"), choices=lambda: AccountType.choices),
            Filter("grade", _("Customer grade"), choices=lambda: Grade.choices),
            Filter("relationship", _("Relationship"), choices=lambda: Relationship.choices),
            Filter("loyalty", _("Loyalty"), choices=lambda: Loyalty.choices),
            Filter("value_class", _("Value class"), choices=lambda: ValueClass.choices),
            Filter("lifecycle_stage", _("Lifecycle stage"), choices=lambda: LifecycleStage.choices),
            Filter(
                "membership_level",
                _("Membership level"),
                kind="related",
                lookup="membership_level_id",
                choices=membership_level_choices,
            ),
            Filter("industry", _("Industry"), choices=lambda: Industry.choices),
            Filter("source", _("Source"), choices=lambda: Source.choices),
            Filter("owner", _("Owner"), kind="user"),
            Filter("city", _("City"), kind="text", lookup="city"),
            Filter("created_at", _("Creation date"), kind="date_range"),
        ],
        search_keys=account_search_keys,
        search_subtitle=lambda account: " · ".join(
            part for part in (account.get_account_type_display(), account.city) if part
        ),
        api_fields=[
            "id",
            "number",
            "name",
            "account_type",
            "kind",
            "grade",
            "relationship",
            "loyalty",
            "value_class",
            "lifecycle_stage",
            "classification_manual",
            "membership_level",
            "points_balance",
            "points_lifetime",
            "industry",
            "source",
            "owner",
            "phone",
            "phone_e164",
            "email",
            "website",
            "country",
            "province",
            "city",
            "address",
            "postal_code",
            "annual_revenue",
            "currency",
            "employees",
            "description",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=[
            "account_type",
            "grade",
            "relationship",
            "loyalty",
            "value_class",
            "lifecycle_stage",
            "industry",
            "source",
            "owner",
            "city",
        ],
        on_bulk_set=mark_bulk_set_by_hand,
        export_fields=[
            "number",
            "name",
            "account_type",
            "kind",
            "grade",
            "relationship",
            "loyalty",
            "value_class",
            "lifecycle_stage",
            "membership_level",
            "points_balance",
            "industry",
            "source",
            "phone",
            "email",
            "website",
            "country",
            "province",
            "city",
            "address",
            "postal_code",
            "annual_revenue",
            "currency",
            "employees",
            "owner",
            "created_at",
            "updated_at",
        ],
        detail_fields=[
            "number",
            "account_type",
            "kind",
            "grade",
            "relationship",
            "loyalty",
            "value_class",
            "lifecycle_stage",
            "membership_level",
            "points_balance",
            "industry",
            "source",
            "phone",
            "email",
            "website",
            "country",
            "province",
            "city",
            "address",
            "postal_code",
            "annual_revenue",
            "employees",
            "owner",
            "description",
        ],
        tabs=[
            Tab(
                "contacts",
                _("Contacts"),
                "customers/partials/account_contacts.html",
                account_contacts,
            ),
            Tab("points", _("Points"), "customers/partials/account_points.html", account_points),
        ],
        factory="guanxi.customers.tests.factories.AccountFactory",
    )
)

CONTACT = registry.register(
    Entity(
        name="contact",
        model=Contact,
        plural="contacts",
        form_class=ContactForm,
        icon="address-book",
        menu_order=20,
        select_related=("owner", "account"),
        ordering="-updated_at",
        columns=[
            Column("name", link=True),
            Column("account", order_by="account__name"),
            Column("title"),
            Column("role", default=False),
            Column(
                "mobile", render=lambda contact: format_phone(contact.mobile_e164) or contact.mobile
            ),
            Column("phone", default=False),
            Column("email"),
            Column("wechat", default=False),
            Column("birthday", default=False),
            Column("owner", order_by="owner__username"),
            Column("updated_at"),
        ],
        filters=[
            Filter("role", _("Role"), choices=lambda: ContactRole.choices),
            Filter("owner", _("Owner"), kind="user"),
            Filter("account", _("Customer"), kind="related", lookup="account_id"),
            Filter("is_primary", _("Primary contact"), kind="boolean"),
            Filter("created_at", _("Creation date"), kind="date_range"),
        ],
        search_keys=contact_search_keys,
        search_subtitle=lambda contact: " · ".join(
            part for part in (contact.account.name, contact.title) if part
        ),
        api_fields=[
            "id",
            "account",
            "name",
            "title",
            "department",
            "role",
            "gender",
            "birthday",
            "mobile",
            "mobile_e164",
            "phone",
            "phone_e164",
            "email",
            "wechat",
            "address",
            "is_primary",
            "owner",
            "preferences",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["role", "owner", "department"],
        export_fields=[
            "name",
            "account",
            "title",
            "department",
            "role",
            "gender",
            "birthday",
            "mobile",
            "phone",
            "email",
            "wechat",
            "address",
            "is_primary",
            "owner",
            "created_at",
            "updated_at",
        ],
        detail_fields=[
            "account",
            "title",
            "department",
            "role",
            "gender",
            "birthday",
            "mobile",
            "phone",
            "email",
            "wechat",
            "address",
            "is_primary",
            "owner",
            "preferences",
            "notes",
        ],
        factory="guanxi.customers.tests.factories.ContactFactory",
    )
)
