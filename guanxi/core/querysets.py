"""The scoped queryset every Guanxi model uses."""

from django.db import models


class ScopedQuerySet(models.QuerySet):
    """Add `visible_to`, the one data-scope path (数据权限) of the whole system."""

    def visible_to(self, user, action: str = "view") -> "ScopedQuerySet":
        """Return the records `user` may perform `action` on, by role, scope and shares."""
        from guanxi.core.permissions import scope_filter

        return scope_filter(self, user, action)
