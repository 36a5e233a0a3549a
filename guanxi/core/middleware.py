"""Middleware: the user's language and time zone, and HTMX request details."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from guanxi.core import customfields


class HtmxMiddleware:
    """Tell whether a request comes from HTMX and which element it targets.

    It also scopes the memo of custom field definitions to the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.htmx = request.headers.get("HX-Request") == "true"
        request.htmx_target = request.headers.get("HX-Target", "") if request.htmx else ""
        token = customfields.memo_for_request()
        try:
            return self.get_response(request)
        finally:
            customfields.memo_end(token)


class UserPreferencesMiddleware:
    """Activate the logged-in user's language and time zone, else the browser's language.

    A user's chosen language wins over the browser; with none chosen, LocaleMiddleware has
    already picked the cookie or Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            zone = user.time_zone or settings.TIME_ZONE
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response
