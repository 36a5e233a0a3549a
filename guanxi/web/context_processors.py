"""Template context every page needs: the menu, the bell, the languages."""

from django.conf import settings

from guanxi.core import registry
from guanxi.core.permissions import can


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}
    menu = [entity for entity in registry.entities() if can(user, entity.name, "view")]
    return {
        "menu_entities": menu,
        "menu_links": registry.links("menu", user),
        "settings_links": registry.links("settings", user),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        "notification_poll_seconds": settings.GUANXI_NOTIFICATION_POLL_SECONDS,
        "LANGUAGES": settings.LANGUAGES,
        "can_manage_settings": user.is_superuser or user.is_staff,
        "settings_entities": registry.entities(),
    }
