"""Register leads with the generic layer, activities, the pool and the settings menu."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.activities.links import register_linkable
from guanxi.core import registry, search
from guanxi.core.dedupe import normalize
from guanxi.core.models import Territory
from guanxi.core.permissions import can, register_visibility
from guanxi.core.phones import format_phone
from guanxi.core.registry import Column, DuplicateField, DuplicateRules, Entity, Filter
from guanxi.customers.choices import Industry, Source
from guanxi.customers.entities import labels_columns
from guanxi.sales import lead_services
from guanxi.sales.choices import LeadStatus, UnqualifiedReason
from guanxi.sales.lead_conversion import HISTORY_KEY
from guanxi.sales.lead_forms import LeadForm
from guanxi.sales.models import Lead

LEAD_DUPLICATES = DuplicateRules(
    fields=[
        DuplicateField("name", _("name"), normalize.PERSON_NAME, ("name",), 0.3, max_block=8),
        DuplicateField("phone", _("phone"), normalize.PHONE, ("mobile", "phone"), 0.35),
        DuplicateField("email", _("email"), normalize.EMAIL, ("email",), 0.35),
        DuplicateField(
            "company", _("company"), normalize.COMPANY_NAME, ("company",), 0.15, max_block=20
        ),
    ],
    threshold=0.6,
    combined_keys=[("name", "company")],
)


def lead_search_keys(lead: Lead):
    yield from search.person_name_keys(lead.name)
    if lead.company:
        yield from search.company_name_keys(lead.company)
    yield lead.number.lower()
    yield from search.phone_keys(lead.mobile, lead.phone)
    yield from search.email_keys(lead.email)


def _number(raw: str) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def score_at_least(values, user) -> Q:
    value = _number(values[0])
    return Q(score__gte=value) if value is not None else Q()


def score_at_most(values, user) -> Q:
    value = _number(values[0])
    return Q(score__lte=value) if value is not None else Q()


def unassigned(values, user) -> Q:
    wanted = values[0].lower() in {"1", "true", "yes", "on"}
    return Q(owner__isnull=wanted)


def territory_choices():
    return [(str(t.pk), t.name) for t in Territory.objects.order_by("name")]


def after_write(actor, lead: Lead, before: dict | None) -> None:
    """Assign a new lead by the rules when no owner was chosen; rescore it on every save."""
    from guanxi.sales.lead_scoring import lead_rescore

    if before is None:
        if getattr(lead, "assign_by_rules", False):
            # The generic create tells the new owner, as for any record given to someone.
            lead_services.lead_apply_rules(lead=lead, actor=actor, notify_owner=False)
        elif lead.owner_id and lead.assigned_at is None:
            Lead.objects.filter(pk=lead.pk).update(assigned_at=lead.created_at)
    lead_rescore(lead)


LEAD = registry.register(
    Entity(
        name="lead",
        model=Lead,
        plural="leads",
        form_class=LeadForm,
        icon="target-arrow",
        menu_order=30,
        number_sequence="L",
        select_related=("owner", "territory"),
        ordering="-created_at",
        columns=[
            Column("number"),
            Column("name", link=True),
            Column("company"),
            Column("status"),
            Column("source"),
            Column("score"),
            Column(
                "mobile",
                order_by="mobile_e164",
                render=lambda lead: format_phone(lead.mobile_e164) or lead.mobile,
            ),
            Column("email", default=False),
            Column("province", default=False),
            Column("city"),
            Column("territory", order_by="territory__name", default=False),
            # Free text in the prospect's words: read, not sorted.
            Column("product_interest", sortable=False, default=False),
            *labels_columns(),
            Column("owner", order_by="owner__username"),
            Column("last_contacted_at", default=False),
            Column("created_at"),
        ],
        filters=[
            Filter("status", _("Status"), choices=lambda: LeadStatus.choices),
            Filter("source", _("Source"), choices=lambda: Source.choices),
            Filter("owner", _("Owner"), kind="user"),
            Filter("unassigned", _("Without owner (pool)"), kind="boolean", condition=unassigned),
            Filter("score_min", _("Score at least"), kind="text", condition=score_at_least),
            Filter("score_max", _("Score at most"), kind="text", condition=score_at_most),
            Filter(
                "territory",
                _("Territory"),
                kind="related",
                lookup="territory_id",
                choices=territory_choices,
            ),
            Filter("partner", _("Sales partner"), kind="related", lookup="partner_id"),
            Filter("industry", _("Industry"), choices=lambda: Industry.choices),
            Filter(
                "unqualified_reason",
                _("Reason unqualified"),
                choices=lambda: UnqualifiedReason.choices,
            ),
            Filter("city", _("City"), kind="text", lookup="city"),
            Filter("created_at", _("Creation date"), kind="date_range"),
        ],
        search_keys=lead_search_keys,
        search_subtitle=lambda lead: " · ".join(
            part for part in (lead.company, lead.get_status_display()) if part
        ),
        api_fields=[
            "id",
            "number",
            "name",
            "company",
            "title",
            "mobile",
            "mobile_e164",
            "phone",
            "phone_e164",
            "email",
            "wechat",
            "website",
            "industry",
            "source",
            "source_detail",
            "status",
            "unqualified_reason",
            "score",
            "product_interest",
            "country",
            "province",
            "city",
            "address",
            "territory",
            "partner",
            "owner",
            "description",
            "consent_at",
            "consent_text",
            "assigned_at",
            "last_contacted_at",
            "converted_at",
            "converted_account",
            "converted_contact",
            "converted_opportunity",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["source", "industry", "owner", "territory", "city", "province"],
        export_fields=[
            "number",
            "name",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "wechat",
            "industry",
            "source",
            "status",
            "unqualified_reason",
            "score",
            "product_interest",
            "province",
            "city",
            "address",
            "tags",
            "owner",
            "last_contacted_at",
            "created_at",
        ],
        detail_fields=[
            "number",
            "status",
            "unqualified_reason",
            "score",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "wechat",
            "website",
            "industry",
            "source",
            "source_detail",
            "product_interest",
            "country",
            "province",
            "city",
            "address",
            "territory",
            "partner",
            "tags",
            "groups",
            "owner",
            "assigned_at",
            "last_contacted_at",
            "consent_at",
            "consent_text",
            "description",
        ],
        factory="guanxi.sales.tests.factories.LeadFactory",
        duplicates=LEAD_DUPLICATES,
        detail_actions="sales/leads/partials/actions.html",
        bulk_actions="sales/leads/partials/bulk_actions.html",
        overview_extra="sales/leads/partials/converted.html",
        has_tags=True,
        has_groups=True,
        personal_fields={
            "mobile": "phone",
            "mobile_e164": "phone",
            "phone": "phone",
            "phone_e164": "phone",
            "email": "email",
        },
        email_field="email",
        after_write=after_write,
        extra_history_fields={"web_form_submission": (_("Sent the web form again"), None)},
    )
)

register_linkable("lead", lambda lead: lead.converted_account_id)
register_visibility("lead", lead_services.pool_visibility)

for _name in ("account", "contact"):
    registry.get(_name).extra_history_fields[HISTORY_KEY] = (_("Converted from lead"), None)

registry.register_link(
    "menu",
    registry.Link(
        "web:lead_pool",
        _("Lead pool"),
        icon="inbox",
        order=31,
        # Users who may not view leads are ruled out without a query.
        visible=lambda user: can(user, "lead", "view") and lead_services.sees_pool(user),
    ),
)
for _section, _label, _order in (
    ("lead_rules", _("Lead assignment"), 60),
    ("lead_scoring", _("Lead scoring"), 61),
    ("lead_web_forms", _("Web-to-lead forms"), 62),
):
    registry.register_link(
        "settings",
        registry.Link(
            f"web:{_section}",
            _label,
            icon="target-arrow",
            order=_order,
            visible=lambda user: user.is_superuser or user.is_staff,
            group="sales",
            section=_section,
        ),
    )


def may_convert(user) -> bool:
    return can(user, "lead", "edit") and can(user, "account", "create")
