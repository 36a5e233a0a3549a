"""Register opportunities with the generic layer, the customer page, activities and the pool."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from guanxi.activities.links import register_linkable
from guanxi.core import registry, search
from guanxi.core.choices import Action
from guanxi.core.models import Team
from guanxi.core.money import format_money
from guanxi.core.permissions import can
from guanxi.core.registry import Column, Entity, Filter, Tab
from guanxi.customers import ownership
from guanxi.customers.choices import Source
from guanxi.sales import opportunity_services as services
from guanxi.sales import opportunity_timeline
from guanxi.sales.choices import CloseReason, ForecastCategory
from guanxi.sales.models import Opportunity, Pipeline, Stage
from guanxi.sales.opportunity_forms import (
    CompetitorForm,
    ContactRoleForm,
    LineForm,
    OpportunityForm,
)


def opportunity_search_keys(opportunity: Opportunity):
    """Find a deal by its number, its name from the start or any of its words."""
    yield opportunity.number.lower()
    yield search.normalize(opportunity.name)
    yield from (search.normalize(word) for word in opportunity.name.split()[1:6])


def stage_badge(opportunity: Opportunity):
    stage = opportunity.stage
    color = "green" if stage.is_won else "red" if stage.is_lost else "blue"
    return format_html('<span class="badge bg-{}-lt">{}</span>', color, stage.name)


def pipeline_choices():
    return [(str(p.pk), p.name) for p in Pipeline.objects.filter(is_active=True)]


def stage_choices():
    stages = Stage.objects.filter(is_archived=False, pipeline__is_active=True).select_related(
        "pipeline"
    )
    return [(str(s.pk), f"{s.pipeline.name} · {s.name}") for s in stages]


def team_choices():
    return [(str(team.pk), team.name) for team in Team.objects.order_by("name")]


def team_condition(values, user) -> Q:
    ids = [int(value) for value in values if value.isdigit()]
    members = Team.members.through.objects.filter(team_id__in=ids).values("user_id")
    return Q(owner_id__in=members)


CLOSE_PERIODS = [
    ("overdue", _("Overdue")),
    ("this_month", _("This month")),
    ("next_month", _("Next month")),
    ("this_quarter", _("This quarter")),
    ("next_quarter", _("Next quarter")),
    ("this_year", _("This year")),
]


def _month_start(day: datetime.date, months: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def close_period_range(period: str) -> tuple[datetime.date | None, datetime.date | None]:
    """Return the [start, end) dates of a named expected-close period."""
    today = timezone.localdate()
    quarter = _month_start(today, -((today.month - 1) % 3))
    return {
        "overdue": (None, today),
        "this_month": (_month_start(today), _month_start(today, 1)),
        "next_month": (_month_start(today, 1), _month_start(today, 2)),
        "this_quarter": (quarter, _month_start(quarter, 3)),
        "next_quarter": (_month_start(quarter, 3), _month_start(quarter, 6)),
        "this_year": (datetime.date(today.year, 1, 1), datetime.date(today.year + 1, 1, 1)),
    }.get(period, (None, None))


def close_period_condition(values, user) -> Q:
    condition = Q()
    for value in values:
        start, end = close_period_range(value)
        if start is None and end is None:
            continue
        part = Q()
        if start is not None:
            part &= Q(expected_close__gte=start)
        if end is not None:
            part &= Q(expected_close__lt=end)
        if value == "overdue":
            part &= Q(stage__is_won=False, stage__is_lost=False)
        condition |= part
    return condition


def outcome_condition(values, user) -> Q:
    condition = Q()
    if "open" in values:
        condition |= Q(stage__is_won=False, stage__is_lost=False)
    if "won" in values:
        condition |= Q(stage__is_won=True)
    if "lost" in values:
        condition |= Q(stage__is_lost=True)
    return condition


def _amount_condition(lookup: str):
    def condition(values, user) -> Q:
        try:
            return Q(**{f"amount__{lookup}": float(values[0].replace(",", ""))})
        except ValueError:
            return Q(pk__in=[])

    return condition


def contacts_tab(opportunity, user):
    return {
        "contact_links": list(
            opportunity.contact_roles.select_related("contact").order_by("-is_primary", "id")
        ),
        "contact_form": ContactRoleForm(user=user),
    }


def lines_tab(opportunity, user):
    lines = list(opportunity.lines.all())
    return {
        "lines": lines,
        "lines_total": sum((line.total for line in lines), 0),
        "line_form": LineForm(),
    }


def competitors_tab(opportunity, user):
    return {
        "competitor_links": list(opportunity.competitors.select_related("competitor")),
        "competitor_form": CompetitorForm(user=user),
    }


def stages_tab(opportunity, user):
    changes = list(
        opportunity.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
            "changed_at", "id"
        )
    )
    now = timezone.now()
    for index, change in enumerate(changes):
        following = changes[index + 1].changed_at if index + 1 < len(changes) else now
        change.seconds_in_stage = max(0, int((following - change.changed_at).total_seconds()))
    return {"stage_changes": list(reversed(changes))}


def account_opportunities(account, user):
    deals = (
        Opportunity.objects.visible_to(user, Action.VIEW)
        .filter(account=account)
        .select_related("stage", "owner")
        .order_by("-updated_at")[:50]
    )
    return {"account_opportunities": list(deals)}


OPPORTUNITY = registry.register(
    Entity(
        name="opportunity",
        model=Opportunity,
        plural="opportunities",
        form_class=OpportunityForm,
        icon="target-arrow",
        menu_order=20,
        number_sequence="O",
        select_related=("owner", "account", "stage", "pipeline", "partner"),
        ordering="-updated_at",
        columns=[
            Column("number", default=False),
            Column("name", link=True),
            Column("account", order_by="account__name"),
            Column("pipeline", default=False, order_by="pipeline__position"),
            Column("stage", order_by="stage__position", render=stage_badge),
            Column(
                "amount",
                render=lambda deal: format_money(deal.amount, deal.currency),
            ),
            Column(
                "weighted_amount",
                label=_("Weighted amount"),
                sortable=False,
                default=False,
                render=lambda deal: format_money(deal.weighted_amount, deal.currency),
            ),
            Column("probability"),
            Column("expected_close"),
            Column("source", default=False),
            Column("partner", default=False, order_by="partner__name"),
            # Free text about what happens next: read, not sorted.
            Column("next_step", sortable=False, default=False),
            Column("forecast_category", default=False),
            Column("close_reason", default=False),
            Column("closed_at", default=False),
            Column("owner", order_by="owner__username"),
            Column("created_at", default=False),
            Column("updated_at"),
        ],
        filters=[
            Filter(
                "pipeline",
                _("Pipeline"),
                kind="related",
                lookup="pipeline_id",
                choices=pipeline_choices,
            ),
            Filter("stage", _("Stage"), kind="related", lookup="stage_id", choices=stage_choices),
            Filter(
                "outcome",
                _("Open / won / lost"),
                choices=lambda: [("open", _("Open")), ("won", _("Won")), ("lost", _("Lost"))],
                condition=outcome_condition,
            ),
            Filter("owner", _("Owner"), kind="user"),
            Filter("team", _("Team"), choices=team_choices, condition=team_condition),
            Filter(
                "close_period",
                _("Expected close"),
                choices=lambda: CLOSE_PERIODS,
                condition=close_period_condition,
            ),
            Filter("amount_min", _("Amount from"), kind="text", condition=_amount_condition("gte")),
            Filter(
                "amount_max", _("Amount up to"), kind="text", condition=_amount_condition("lte")
            ),
            Filter("source", _("Source"), choices=lambda: Source.choices),
            Filter("partner", _("Sales partner"), kind="related", lookup="partner_id"),
            Filter("account", _("Customer"), kind="related", lookup="account_id"),
            Filter("close_reason", _("Won/lost reason"), choices=lambda: CloseReason.choices),
            Filter(
                "forecast_category",
                _("Forecast category"),
                choices=lambda: ForecastCategory.choices,
            ),
            Filter("created_at", _("Creation date"), kind="date_range"),
        ],
        search_keys=opportunity_search_keys,
        search_subtitle=lambda deal: " · ".join(
            part for part in (deal.number, str(deal.account), deal.stage.name) if part
        ),
        api_fields=[
            "id",
            "number",
            "name",
            "account",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "probability",
            "forecast_category",
            "expected_close",
            "source",
            "next_step",
            "partner",
            "description",
            "lead",
            "stage_entered_at",
            "closed_at",
            "close_reason",
            "close_note",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["owner", "expected_close", "source", "forecast_category"],
        export_fields=[
            "number",
            "name",
            "account",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "probability",
            "forecast_category",
            "expected_close",
            "source",
            "next_step",
            "partner",
            "description",
            "close_reason",
            "close_note",
            "closed_at",
            "owner",
            "created_at",
        ],
        detail_fields=[
            "number",
            "account",
            "pipeline",
            "stage",
            "amount",
            "probability",
            "forecast_category",
            "expected_close",
            "source",
            "next_step",
            "partner",
            "lead",
            "stage_entered_at",
            "closed_at",
            "close_reason",
            "close_note",
            "owner",
            "description",
        ],
        tabs=[
            Tab("contacts", _("Contacts"), "sales/opportunity/tab_contacts.html", contacts_tab),
            Tab("lines", _("Product lines"), "sales/opportunity/tab_lines.html", lines_tab),
            Tab(
                "competitors",
                _("Competitors"),
                "sales/opportunity/tab_competitors.html",
                competitors_tab,
            ),
            Tab("stages", _("Stage history"), "sales/opportunity/tab_stages.html", stages_tab),
        ],
        factory="guanxi.sales.tests.factories.OpportunityFactory",
        detail_actions="sales/opportunity/detail_actions.html",
        after_write=services.after_write,
        event_payload=services.event_payload,
        extra_history_fields={
            "deal_contacts": (_("Contacts"), None),
            "product_lines": (_("Product lines"), None),
            "deal_competitors": (_("Competitors"), None),
        },
    )
)

register_linkable("opportunity", lambda deal: deal.account_id)
registry.get("account").tabs.insert(
    1,
    Tab(
        "opportunities",
        _("Opportunities"),
        "sales/opportunity/account_opportunities.html",
        account_opportunities,
    ),
)
ownership.register_open_deals(services.open_deal_accounts)
ownership.register_related_mover("opportunities", _("Open opportunities"), services.move_open_deals)
opportunity_timeline.register()
registry.register_link(
    "menu",
    registry.Link(
        "web:opportunity_board",
        _("Sales pipeline"),
        icon="layout-kanban",
        order=21,
        visible=lambda user: can(user, "opportunity", Action.VIEW),
    ),
)
registry.register_link(
    "settings",
    registry.Link("web:pipeline_settings", _("Pipelines"), group="sales", section="pipelines"),
)
