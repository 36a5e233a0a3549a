"""Register accounts and contacts with the generic layer."""

from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from guanxi.core import grouping, registry, search
from guanxi.core.documents import PostalAddress
from guanxi.core.models import Group
from guanxi.core.money import format_money
from guanxi.core.phones import format_phone
from guanxi.core.privacy import masks_personal_data, shown
from guanxi.core.registry import Column, Entity, Filter, Tab
from guanxi.customers import privacy
from guanxi.customers.choices import (
    AccountType,
    ConsentChannel,
    ConsentStatus,
    ContactRole,
    Grade,
    Industry,
    LifecycleStage,
    Loyalty,
    Relationship,
    Source,
    ValueClass,
)
from guanxi.customers.duplicates import ACCOUNT_DUPLICATES, CONTACT_DUPLICATES
from guanxi.customers.forms import AccountForm, ContactForm, GroupForm
from guanxi.customers.models import Account, AccountContact, Contact, MembershipLevel, Pool
from guanxi.customers.services import accounts_before_bulk_set


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


def tag_badges(record):
    """Return a record's tags (attached by core.grouping.attach) as coloured badges."""
    return format_html_join(
        " ",
        '<span class="badge bg-{}-lt">{}</span>',
        ((tag.color, tag.name) for tag in getattr(record, "tag_list", [])),
    )


def group_links(record):
    return format_html_join(
        " ",
        '<a class="badge bg-azure-lt" href="/groups/{}/">{}</a>',
        ((group.pk, group.name) for group in getattr(record, "group_list", [])),
    )


def labels_columns() -> list[Column]:
    return [
        Column("tags", label=_("Tags"), sortable=False, render=tag_badges),
        Column("groups", label=_("Groups"), sortable=False, default=False, render=group_links),
    ]


def labels_filters(entity_name: str) -> list[Filter]:
    return [
        Filter(
            "tag",
            _("Tag"),
            choices=grouping.tag_choices,
            condition=grouping.tag_condition(entity_name),
        ),
        Filter(
            "group",
            _("Group"),
            user_choices=grouping.group_choices(entity_name),
            condition=grouping.group_condition(entity_name),
        ),
        Filter(
            "opted_out",
            _("Opted out of"),
            choices=lambda: ConsentChannel.choices,
            condition=privacy.opted_out_condition(entity_name),
        ),
    ]


PRIVACY_TAB = Tab(
    "privacy", _("Privacy"), "customers/partials/privacy.html", privacy.privacy_tab_context
)
CONSENT_HISTORY_FIELDS = {
    privacy.consent_history_key(ConsentChannel.EMAIL): (_("Email consent"), ConsentStatus.choices),
    privacy.consent_history_key(ConsentChannel.SMS): (_("SMS consent"), ConsentStatus.choices),
    privacy.consent_history_key(ConsentChannel.PHONE): (_("Phone consent"), ConsentStatus.choices),
}


def account_postal_address(account: Account) -> PostalAddress:
    return PostalAddress(
        name=account.name,
        street=account.address,
        city=account.city,
        province=account.province,
        postal_code=account.postal_code,
        country=account.country,
    )


def contact_postal_address(contact: Contact) -> PostalAddress:
    account = contact.account
    own = bool(contact.address)
    return PostalAddress(
        name=contact.name,
        company="" if account.kind == "individual" else account.name,
        street=contact.address if own else account.address,
        city=account.city,
        province=account.province,
        postal_code=account.postal_code,
        country=account.country,
    )


def account_contacts(account, user):
    contacts = list(
        Contact.objects.visible_to(user, "view")
        .filter(account=account)
        .select_related("owner")
        .order_by("-is_primary", "name")[:200]
    )
    mask = masks_personal_data(user)
    entity = registry.get("contact")
    for contact in contacts:
        contact.mobile_shown = shown(entity, "mobile", contact.mobile, mask)
        contact.email_shown = shown(entity, "email", contact.email, mask)
    linked = list(
        AccountContact.objects.filter(
            account=account,
            contact__in=Contact.objects.visible_to(user, "view").values("pk"),
        )
        .select_related("contact__owner", "contact__account")
        .order_by("contact__name")[:200]
    )
    for link in linked:
        link.contact.mobile_shown = shown(entity, "mobile", link.contact.mobile, mask)
        link.contact.email_shown = shown(entity, "email", link.contact.email, mask)
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


def account_points(account, user):
    from guanxi.customers.loyalty_views import points_tab_context

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
        select_related=("owner", "pool", "membership_level"),
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
            # Sorted by the normalised number, which is what the column shows and what is
            # indexed.
            Column(
                "phone",
                order_by="phone_e164",
                render=lambda account: format_phone(account.phone_e164) or account.phone,
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
            *labels_columns(),
            Column("owner", order_by="owner__username"),
            Column("pool", default=False, order_by="pool__name"),
            Column("last_followed_up_at", default=False),
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
            Filter("pool", _("Public pool"), choices=pool_choices),
            Filter("city", _("City"), kind="text", lookup="city"),
            Filter("created_at", _("Creation date"), kind="date_range"),
            *labels_filters("account"),
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
            "pool",
            "pooled_at",
            "owned_at",
            "last_followed_up_at",
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
        before_bulk_set=accounts_before_bulk_set,
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
            "tags",
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
            "tags",
            "groups",
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
            Tab("points", _("Points"), "customers/partials/account_points.html", account_points),
            PRIVACY_TAB,
        ],
        factory="guanxi.customers.tests.factories.AccountFactory",
        duplicates=ACCOUNT_DUPLICATES,
        detail_actions="customers/partials/account_actions.html",
        bulk_actions="customers/partials/account_bulk_actions.html",
        has_tags=True,
        has_groups=True,
        personal_fields={"phone": "phone", "phone_e164": "phone", "email": "email"},
        email_field="email",
        postal_address=account_postal_address,
        extra_history_fields=CONSENT_HISTORY_FIELDS,
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
    registry.Link("web:pool_settings", _("Public pools"), group="customers", section="pools"),
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
                "mobile",
                order_by="mobile_e164",
                render=lambda contact: format_phone(contact.mobile_e164) or contact.mobile,
            ),
            Column("phone", order_by="phone_e164", default=False),
            Column("email"),
            # A WeChat id is a handle of the person's choosing: found by search, not sorted.
            Column("wechat", sortable=False, default=False),
            Column("birthday", default=False),
            *labels_columns(),
            Column("owner", order_by="owner__username"),
            Column("updated_at"),
        ],
        filters=[
            Filter("role", _("Role"), choices=lambda: ContactRole.choices),
            Filter("owner", _("Owner"), kind="user"),
            Filter("account", _("Customer"), kind="related", lookup="account_id"),
            Filter("is_primary", _("Primary contact"), kind="boolean"),
            Filter("created_at", _("Creation date"), kind="date_range"),
            *labels_filters("contact"),
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
            "id_number",
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
            "id_number",
            "address",
            "is_primary",
            "tags",
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
            "id_number",
            "address",
            "is_primary",
            "tags",
            "groups",
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
            PRIVACY_TAB,
        ],
        factory="guanxi.customers.tests.factories.ContactFactory",
        duplicates=CONTACT_DUPLICATES,
        has_tags=True,
        has_groups=True,
        personal_fields={
            "mobile": "phone",
            "mobile_e164": "phone",
            "phone": "phone",
            "phone_e164": "phone",
            "email": "email",
            "id_number": "id_number",
        },
        email_field="email",
        postal_address=contact_postal_address,
        extra_history_fields={
            **CONSENT_HISTORY_FIELDS,
            "further_accounts": (_("Further customers"), None),
        },
    )
)


def group_record_type(group) -> str:
    entity = registry.find(group.entity)
    return str(entity.verbose_name_plural).capitalize() if entity else group.entity


def group_members(group, user):
    """Return the first members of a group the user may see, and a link to all of them."""
    from guanxi.core.models import GroupMember

    entity = registry.find(group.entity)
    if entity is None:
        return {"members": [], "member_entity": None}
    member_ids = GroupMember.objects.filter(group=group).values("object_id")
    members = (
        entity.model.objects.visible_to(user, "view")
        .filter(pk__in=member_ids)
        .select_related(*entity.select_related)
        .order_by("-id")[:100]
    )
    return {
        "members": list(members),
        "member_entity": entity,
        "member_count": GroupMember.objects.filter(group=group).count(),
    }


GROUP = registry.register(
    Entity(
        name="group",
        model=Group,
        plural="groups",
        form_class=GroupForm,
        icon="users-group",
        menu_order=25,
        select_related=("owner",),
        ordering="name",
        columns=[
            Column("name", link=True),
            Column("entity", render=group_record_type),
            Column("description", sortable=False),
            Column("owner", order_by="owner__username"),
            Column("updated_at"),
        ],
        filters=[
            Filter(
                "entity",
                _("Record type"),
                choices=lambda: [
                    (e.name, e.verbose_name_plural) for e in registry.entities() if e.has_groups
                ],
            ),
            Filter("owner", _("Owner"), kind="user"),
        ],
        search_keys=lambda group: search.person_name_keys(group.name),
        search_subtitle=group_record_type,
        api_fields=[
            "id",
            "name",
            "entity",
            "description",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["owner"],
        export_fields=["name", "entity", "description", "owner", "created_at", "updated_at"],
        detail_fields=["entity", "description", "owner"],
        tabs=[Tab("members", _("Members"), "customers/partials/group_members.html", group_members)],
        factory="guanxi.customers.tests.factories.GroupFactory",
    )
)
