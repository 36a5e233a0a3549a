"""Business calendars (工作日历): weekly working hours, dated exceptions, the teams using them.

A `BusinessCalendar` holds the working intervals of each weekday in its time zone. A
`CalendarDay` is a dated exception: a public holiday (休息) or an adjusted working day
(调休上班) with its own hours — empty hours mean the calendar's normal working day. A team
uses at most one calendar (`CalendarTeam`, one row per team); a user follows the calendar
of their teams, and everyone else the default calendar. `guanxi.workflow.calendar` reads
all of it into memory once and does the business-time arithmetic there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel
from guanxi.sales.models.pipeline import BilingualName

__all__ = [
    "WEEKDAY_KEYS",
    "BusinessCalendar",
    "CalendarDay",
    "CalendarDayKind",
    "CalendarTeam",
]

# The keys of the weekly hours, Monday first (datetime.date.weekday() is the index).
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_time_zone() -> str:
    return settings.TIME_ZONE


def default_weekly_hours() -> dict[str, list[list[str]]]:
    """Return Monday to Friday, 09:00–12:00 and 13:00–18:00 (the built-in default)."""
    return {key: [["09:00", "12:00"], ["13:00", "18:00"]] for key in WEEKDAY_KEYS[:5]}


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (day off)")
    WORKDAY = "workday", _("Adjusted working day")


class BusinessCalendar(BilingualName, BaseModel):
    """Describe when a team works: weekly hours in a time zone, plus dated exceptions."""

    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], …, "sun": []}; "24:00" ends a day.
    weekly_hours = models.JSONField(_("weekly working hours"), default=default_weekly_hours)
    is_default = models.BooleanField(_("default calendar"), default=False)
    teams = models.ManyToManyField(
        "core.Team",
        verbose_name=_("teams"),
        through="CalendarTeam",
        related_name="+",
        blank=True,
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["-is_default", "name_zh", "id"]
        constraints = [
            # At most one default; the services make sure there is always one.
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="calendar_one_default",
            )
        ]
        indexes = [models.Index(fields=["is_default"], name="calendar_default_idx")]


class CalendarTeam(models.Model):
    """Say which calendar a team uses; one row per team, so a team has at most one."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.CASCADE,
        related_name="team_links",
    )
    team = models.OneToOneField(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="business_calendar_link",
    )

    class Meta:
        verbose_name = _("team calendar")
        verbose_name_plural = _("team calendars")
        indexes = [models.Index(fields=["calendar"], name="calendar_team_calendar_idx")]

    def __str__(self) -> str:
        return f"{self.team} · {self.calendar}"


class CalendarDay(models.Model):
    """Hold one dated exception of a calendar: a holiday, or an adjusted working day."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.CASCADE,
        related_name="days",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(
        _("type of day"),
        max_length=10,
        choices=CalendarDayKind.choices,
        default=CalendarDayKind.HOLIDAY,
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # Working intervals of an adjusted working day ([["09:00", "12:00"], …]); empty means
    # the calendar's normal working day.
    hours = models.JSONField(_("working hours"), default=list, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique_date")
        ]
        indexes = [models.Index(fields=["date"], name="calendar_day_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
