"""The private iCalendar feed of a user (日历订阅): a secret link calendar programs poll."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_feed_token() -> str:
    """Return a fresh unguessable feed key (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """Hold the secret key of a user's calendar feed URL.

    Calendar programs cannot log in, so the key in the URL is the credential: it is long
    and random, one per user, and resetting it replaces it, which revokes the old URL.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("secret key"), max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
