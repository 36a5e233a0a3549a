"""System checks for a healthy deployment."""

from django.core.checks import Warning, register
from django.db import connection
from django.db.utils import DatabaseError


@register("database")
def database_locale(app_configs, databases=None, **kwargs):
    """Warn when PostgreSQL runs under the C locale, where Chinese text matching breaks."""
    if connection.vendor != "postgresql" or not databases:
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
            (ctype,) = cursor.fetchone()
    except DatabaseError:
        return []
    if ctype in ("C", "POSIX"):
        return [
            Warning(
                "The database's LC_CTYPE is C: Chinese text is not classified as letters, "
                "so trigram and case-insensitive matching of Chinese names fail.",
                hint="Create the database with LC_CTYPE 'C.UTF-8' or another UTF-8 locale.",
                id="guanxi.W001",
            )
        ]
    return []
