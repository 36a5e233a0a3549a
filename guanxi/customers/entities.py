"""Register accounts and contacts with the generic layer."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core import registry, search, timeline
from guanxi.core.money import format_money
from guanxi.core.phones import format_phone
from guanxi.core.registry import Column, Entity, Filter, Tab
from guanxi.customers.choices import AccountType, ContactRole, Grade, Industry, Source
from guanxi.customers.duplicates import ACCOUNT_DUPLICATES, CONTACT_DUPLICATES
from guanxi.customers.forms import AccountForm, ContactForm
from guanxi.customers.models import Account, AccountContact, Contact, Pool


def account_search_keys(account: Account):
    yield from search.company_name_keys(account.name)
    yield account.number.lower()
    yield from search.phone_keys(account.phone)
    yield from search.email_keys(account.email)


def contact_search_keys(contact: Contact):
    yield from search.person_name_keys(contact.name)
    yield from search.phone_keys(contact.mobile, contact.phone)
    yield from search.email_keys(contact.email)


def pool_choices():
    return [(pool.pk, pool.name) for pool in Pool.objects.order_by("name")]


def account_ownership(account, user):
    from guanxi.customers.ownership import ownership_history

    return {"periods": ownership_history(account)[:200]}


def account_contacts(account, user):
    contacts = (
        Contact.objects.visible_to(user, "view")
        .filter(account=account)
        .select_related("owner")
        .order_by("-is_primary", "name")[:200]
    )
    linked = (
        AccountContact.objects.filter(
            account=account,
            contact__in=Contact.objects.visible_to(user, "view").values("pk"),
        )
        .select_related("contact__owner", "contact__account")
        .order_by("contact__name")[:200]
    )
    return {"contacts": contacts, "linked_contacts": linked}


def contact_accounts(contact, user):
    links = list(
        contact.account_links.filter(
            account__in=Account.objects.visible_to(user, "view").values("pk")
        ).select_related("account")
    )
    total = contact.account_links.count()
    return {
        "links": links,
        "hidden_links": total - len(links),
        "main_account_visible": Account.objects.visible_to(user, "view")
        .filter(pk=contact.account_id)
        .exists(),
    }


ACCOUNT = registry.register(
    Entity(
        name="account",
        model=Account,
        plural="accounts",
        form_class=AccountForm,
        icon="building-store",
        menu_order=10,
        number_sequence="C",
        select_related=("owner", "pool"),
        ordering="-updated_at",
        columns=[
            Column("number", default=False),
            Column("name", link=True),
            Column("account_type"),
            Column("grade"),
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
            Column("pool", default=False, order_by="pool__name"),
            Column("last_followed_up_at", default=False),
            Column("created_at", default=False),
            Column("updated_at"),
        ],
        filters=[
            Filter("account_type", _("Type"), choices=lambda: AccountType.choices),
            Filter("grade", _("Customer grade"), choices=lambda: Grade.choices),
            Filter("industry", _("Industry"), choices=lambda: Industry.choices),
            Filter("source", _("Source"), choices=lambda: Source.choices),
            Filter("owner", _("Owner"), kind="user"),
            Filter("pool", _("Public pool"), choices=pool_choices),
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
            "pool",
            "pooled_at",
            "owned_at",
            "last_followed_up_at",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["account_type", "grade", "industry", "source", "owner", "city"],
        export_fields=[
            "number",
            "name",
            "account_type",
            "kind",
            "grade",
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
            "pool",
            "last_followed_up_at",
            "description",
        ],
        tabs=[
            Tab(
                "contacts",
                _("Contacts"),
                "customers/partials/account_contacts.html",
                account_contacts,
            ),
            Tab(
                "ownership",
                _("Ownership history"),
                "customers/partials/account_ownership.html",
                account_ownership,
            ),
        ],
        factory="guanxi.customers.tests.factories.AccountFactory",
        duplicates=ACCOUNT_DUPLICATES,
        detail_actions="customers/partials/account_actions.html",
        bulk_actions="customers/partials/account_bulk_actions.html",
    )
)


def _sees_pools(user) -> bool:
    from guanxi.customers.ownership import accessible_pool_ids

    return bool(accessible_pool_ids(user))


registry.register_link(
    "menu",
    registry.Link("web:pool", _("Public pool"), icon="lifebuoy", order=15, visible=_sees_pools),
)
registry.register_link(
    "settings",
    registry.Link("web:pool_settings", _("Public pools"), section="pools"),
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
        tabs=[
            Tab(
                "accounts",
                _("Customers"),
                "customers/partials/contact_accounts.html",
                contact_accounts,
            ),
        ],
        history_labels={"further_accounts": _("Further customers")},
        factory="guanxi.customers.tests.factories.ContactFactory",
        duplicates=CONTACT_DUPLICATES,
    )
)


def _account_contact_changes(account, user, before, limit):
    contact_ids = Contact.objects.visible_to(user, "view").filter(
        Q(account=account) | Q(account_links__account=account)
    )
    return timeline.change_items(
        "contact",
        contact_ids.values("pk"),
        before,
        limit,
        kind="contact",
        title_of=lambda entry: (
            _("Contact %(name)s: %(action)s")
            % {"name": entry.object_repr, "action": entry.get_action_display()}
        ),
    )


timeline.register(
    "account",
    timeline.TimelineSource(
        kind="contact", label=_("Contacts"), icon="address-book", items=_account_contact_changes
    ),
)
