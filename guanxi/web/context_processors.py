"""Template context every page needs: the menu, the bell, the languages."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.core.permissions import can

# Headings of the settings menu for the links apps register, after Organisation and
# Customers (which the menu template lays out with their fixed links).
SETTINGS_MENU_GROUPS = (
    ("sales", _("Sales")),
    ("activities", _("Activities and messages")),
    ("workflow", _("Workflow")),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}
    menu = [entity for entity in registry.entities() if can(user, entity.name, "view")]
    settings_links = registry.links("settings", user)
    by_group: dict[str, list] = {}
    for link in settings_links:
        by_group.setdefault(link.group, []).append(link)
    return {
        "menu_entities": menu,
        "menu_links": registry.links("menu", user),
        "settings_links": settings_links,
        "settings_links_by_group": by_group,
        "settings_menu_groups": SETTINGS_MENU_GROUPS,
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        "notification_poll_seconds": settings.GUANXI_NOTIFICATION_POLL_SECONDS,
        "LANGUAGES": settings.LANGUAGES,
        "can_manage_settings": user.is_superuser or user.is_staff,
        "settings_entities": registry.entities(),
    }
