"""Put the funnel, the forecast and the targets in the sidebar, under sales."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.sales.forecast_scope import deal_scope, is_administrator


def _sees_deals(user) -> bool:
    return deal_scope(user) is not None


def _sets_or_sees_targets(user) -> bool:
    # No query here: the sidebar is on every page. Managers see deals, so they qualify.
    return _sees_deals(user) or is_administrator(user)


registry.register_link(
    "menu",
    registry.Link("web:funnel", _("Sales funnel"), icon="filter", order=20, visible=_sees_deals),
)
registry.register_link(
    "menu",
    registry.Link("web:forecast", _("Forecast"), icon="chart-line", order=21, visible=_sees_deals),
)
registry.register_link(
    "menu",
    registry.Link(
        "web:target_grid",
        _("Sales targets"),
        icon="target",
        order=22,
        visible=_sets_or_sees_targets,
    ),
)
