"""View decorators."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def settings_required(view):
    """Let only administrators (staff) change the system's configuration."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_superuser or request.user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
