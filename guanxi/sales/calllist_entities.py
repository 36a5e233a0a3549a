"""Registration of call lists (呼叫列表): generic screens and API, tabs, menu, visibility."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core import registry, search
from guanxi.core.choices import Action
from guanxi.core.permissions import can, register_visibility
from guanxi.core.registry import Column, Entity, Filter, Link, Tab
from guanxi.sales.calllist_choices import CallListEntity, CallListStatus
from guanxi.sales.calllist_forms import CallListForm
from guanxi.sales.models import CallList, CallListEntry

ENTRY_PAGE = 200


def calllist_entries(call_list: CallList, user) -> dict:
    """Return the first entries of a list with their records' names, and counts by status."""
    from guanxi.sales.calllist_queries import entry_counts

    entries = list(
        CallListEntry.objects.filter(call_list=call_list)
        .select_related("assigned_to", "outcome")
        .order_by("position", "id")[:ENTRY_PAGE]
    )
    entity = registry.find(call_list.entity)
    names = {}
    if entity is not None:
        names = dict(
            entity.model.objects.filter(pk__in=[entry.record_id for entry in entries]).values_list(
                "pk", "name"
            )
        )
    for entry in entries:
        entry.record_name = names.get(entry.record_id, "—")
    return {
        "entries": entries,
        "record_entity": entity,
        "counts": entry_counts(call_list),
        "my_counts": entry_counts(call_list, user),
        "entries_capped": len(entries) == ENTRY_PAGE,
    }


def calllist_stats(call_list: CallList, user) -> dict:
    from guanxi.sales.calllist_queries import call_statistics, outcomes
    from guanxi.sales.competitor_period import ReportScope

    return {
        "rows": call_statistics(user, ReportScope(), call_list=call_list),
        "outcome_codes": outcomes(),
    }


def assigned_lists(user, action: str) -> Q | None:
    """Let a rep see the call lists they have entries on (to work through them)."""
    if action != Action.VIEW:
        return None
    return Q(pk__in=CallListEntry.objects.filter(assigned_to=user).values("call_list_id"))


CALLLIST = registry.register(
    Entity(
        name="calllist",
        model=CallList,
        plural="call-lists",
        form_class=CallListForm,
        icon="phone-outgoing",
        menu_order=45,
        select_related=("owner",),
        columns=[
            Column("name", link=True),
            Column("entity"),
            Column("status"),
            Column("owner", order_by="owner__username"),
            Column("created_at"),
        ],
        filters=[
            Filter("status", _("Status"), choices=lambda: CallListStatus.choices),
            Filter("entity", _("Records"), choices=lambda: CallListEntity.choices),
            Filter("owner", _("Owner"), kind="user"),
        ],
        search_keys=lambda call_list: search.person_name_keys(call_list.name),
        api_fields=[
            "id",
            "name",
            "entity",
            "filter_query",
            "status",
            "description",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["status", "owner"],
        export_fields=["name", "entity", "status", "description", "owner", "created_at"],
        detail_fields=["entity", "status", "filter_query", "description", "owner", "created_at"],
        tabs=[
            Tab("entries", _("Entries"), "sales/calllist/partials/entries.html", calllist_entries),
            Tab(
                "stats",
                _("Call statistics"),
                "sales/calllist/partials/stats_tab.html",
                calllist_stats,
            ),
        ],
        detail_actions="sales/calllist/partials/actions.html",
        factory="guanxi.sales.tests.factories_telesales.CallListFactory",
    )
)
register_visibility("calllist", assigned_lists)

registry.register_link(
    "menu",
    Link(
        "web:calllist_stats",
        _("Call statistics"),
        icon="chart-bar",
        order=46,
        visible=lambda user: can(user, "calllist", Action.VIEW),
    ),
)
registry.register_link(
    "settings",
    Link(
        "web:calllist_outcomes",
        _("Call outcomes"),
        icon="phone-check",
        group="sales",
        section="sales",
    ),
)
