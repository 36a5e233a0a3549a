"""Writes of business calendars: save, default, delete, exceptions, bundled holidays.

Each write is one transaction by an administrator, leaves a change-history row on the
calendar, emits `business_calendar.<verb>` after commit and forgets the cached calendars,
so the next business-time question reads the change. Bad input raises `ValidationError`
keyed by field with localized messages, and writes nothing.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit, events
from guanxi.core.choices import AuditAction
from guanxi.core.models import Team, User
from guanxi.workflow.calendar import forget_calendars
from guanxi.workflow.calendar_days import DayEntry, load_holiday_file
from guanxi.workflow.calendar_hours import clean_weekly
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay, CalendarTeam

ENTITY = "business_calendar"


def _require_admin(actor: User) -> None:
    if not (actor.is_superuser or actor.is_staff):
        raise PermissionDenied


def time_zone_valid(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def calendar_validate(calendar: BusinessCalendar, values: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned values of a calendar, or raise ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    name_zh = str(values.get("name_zh", calendar.name_zh) or "").strip()
    if not name_zh:
        errors["name_zh"] = [_("Enter the calendar's Chinese name.")]
    clean["name_zh"] = name_zh[:100]
    clean["name_en"] = str(values.get("name_en", calendar.name_en) or "").strip()[:100]
    zone = str(values.get("time_zone", calendar.time_zone) or "")
    if not time_zone_valid(zone):
        errors["time_zone"] = [
            _("“%(zone)s” is not a time zone; use a name such as Asia/Shanghai.") % {"zone": zone}
        ]
    clean["time_zone"] = zone
    weekly, weekly_errors = clean_weekly(values.get("weekly_hours", calendar.weekly_hours))
    if weekly_errors:
        errors["weekly_hours"] = weekly_errors
    clean["weekly_hours"] = weekly
    clean["is_default"] = bool(values.get("is_default", calendar.is_default))
    if calendar.pk and calendar.is_default and not clean["is_default"]:
        errors["is_default"] = [
            _("There is always one default calendar: make another calendar the default instead.")
        ]
    if errors:
        raise ValidationError(errors)
    return clean


def _snapshot(calendar: BusinessCalendar) -> dict[str, Any]:
    values = audit.snapshot(calendar)
    values["teams"] = sorted(
        CalendarTeam.objects.filter(calendar=calendar).values_list("team__name", flat=True)
    )
    return values


def _written(actor: User, calendar: BusinessCalendar, verb: str, changes: dict) -> None:
    action = {"created": AuditAction.CREATE, "deleted": AuditAction.DELETE}.get(
        verb, AuditAction.UPDATE
    )
    audit.record(actor=actor, entity=ENTITY, instance=calendar, action=action, changes=changes)
    events.emit(f"{ENTITY}.{verb}", entity=ENTITY, id=calendar.pk, actor_id=actor.pk)
    forget_calendars()


@transaction.atomic
def calendar_save(
    *,
    actor: User,
    calendar: BusinessCalendar,
    values: dict[str, Any],
    teams: list[Team] | None = None,
) -> BusinessCalendar:
    """Create or change a calendar; `teams` (when given) become the teams that use it.

    A team uses one calendar, so a team chosen here leaves its other calendar. The first
    calendar becomes the default; making one the default takes it from the others.
    """
    _require_admin(actor)
    clean = calendar_validate(calendar, values)
    before = _snapshot(calendar) if calendar.pk else None
    for key, value in clean.items():
        setattr(calendar, key, value)
    others = BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk)
    if calendar.is_default:
        others.update(is_default=False)
    elif not others.exists():
        calendar.is_default = True
    if calendar.pk is None:
        calendar.created_by = actor
    calendar.updated_by = actor
    calendar.save()
    if teams is not None:
        _set_teams(calendar, teams)
    after = _snapshot(calendar)
    _written(
        actor,
        calendar,
        "created" if before is None else "updated",
        audit.diff(before or {}, after),
    )
    return calendar


def _set_teams(calendar: BusinessCalendar, teams: list[Team]) -> None:
    team_ids = {team.pk for team in teams}
    CalendarTeam.objects.filter(calendar=calendar).exclude(team_id__in=team_ids).delete()
    CalendarTeam.objects.filter(team_id__in=team_ids).exclude(calendar=calendar).update(
        calendar=calendar
    )
    linked = set(
        CalendarTeam.objects.filter(team_id__in=team_ids).values_list("team_id", flat=True)
    )
    CalendarTeam.objects.bulk_create(
        CalendarTeam(calendar=calendar, team_id=team_id) for team_id in sorted(team_ids - linked)
    )


@transaction.atomic
def calendar_set_default(*, actor: User, calendar: BusinessCalendar) -> BusinessCalendar:
    """Make a calendar the default (the one for everyone without a team calendar)."""
    _require_admin(actor)
    if calendar.is_default:
        return calendar
    BusinessCalendar.objects.filter(is_default=True).update(is_default=False)
    calendar.is_default = True
    calendar.updated_by = actor
    calendar.save(update_fields=["is_default", "updated_by", "updated_at"])
    _written(actor, calendar, "updated", {"is_default": [False, True]})
    return calendar


@transaction.atomic
def calendar_delete(*, actor: User, calendar: BusinessCalendar) -> None:
    """Delete a calendar with its exceptions; its teams fall back to the default calendar.

    The default calendar is refused while other calendars exist: one of them must become
    the default first.
    """
    _require_admin(actor)
    if calendar.is_default and BusinessCalendar.objects.exclude(pk=calendar.pk).exists():
        raise ValidationError(
            {
                "is_default": [
                    _(
                        "The default calendar cannot be deleted while other calendars exist; "
                        "make another one the default first."
                    )
                ]
            }
        )
    _written(actor, calendar, "deleted", {"name_zh": [calendar.name_zh, None]})
    calendar.delete()


@dataclass
class DaysSaved:
    created: int = 0
    updated: int = 0


@transaction.atomic
def calendar_days_save(
    *, actor: User, calendar: BusinessCalendar, entries: list[DayEntry], source: str = ""
) -> DaysSaved:
    """Add dated exceptions to a calendar; a date it already has is replaced.

    Three queries whatever the number of days: the existing dates, one insert, one update.
    """
    _require_admin(actor)
    by_date = {entry.date: entry for entry in entries}
    existing = {
        day.date: day for day in CalendarDay.objects.filter(calendar=calendar, date__in=by_date)
    }
    changed = []
    for date, day in existing.items():
        entry = by_date[date]
        day.kind, day.name, day.hours = entry.kind, entry.name, entry.hours
        changed.append(day)
    CalendarDay.objects.bulk_update(changed, ["kind", "name", "hours"])
    CalendarDay.objects.bulk_create(
        CalendarDay(
            calendar=calendar, date=entry.date, kind=entry.kind, name=entry.name, hours=entry.hours
        )
        for date, entry in sorted(by_date.items())
        if date not in existing
    )
    saved = DaysSaved(created=len(by_date) - len(existing), updated=len(existing))
    if by_date:
        first, last = min(by_date), max(by_date)
        _written(
            actor,
            calendar,
            "updated",
            {
                "days": [
                    None,
                    f"+{saved.created} ~{saved.updated} {first.isoformat()}…{last.isoformat()}"
                    + (f" ({source})" if source else ""),
                ]
            },
        )
    return saved


@transaction.atomic
def calendar_days_delete(
    *, actor: User, calendar: BusinessCalendar, days: list[CalendarDay]
) -> int:
    """Delete dated exceptions of a calendar; return how many were deleted."""
    _require_admin(actor)
    ids = [day.pk for day in days if day.calendar_id == calendar.pk]
    if not ids:
        return 0
    dates = sorted(day.date.isoformat() for day in days if day.calendar_id == calendar.pk)
    deleted, _detail = CalendarDay.objects.filter(pk__in=ids).delete()
    _written(actor, calendar, "updated", {"days": [", ".join(dates)[:500], None]})
    return deleted


def calendar_load_holidays(*, actor: User, calendar: BusinessCalendar, year: int) -> DaysSaved:
    """Add the bundled Chinese public holidays and adjusted working days of a year."""
    _require_admin(actor)
    bundled = load_holiday_file(year)
    if bundled is None:
        raise ValidationError(
            {
                "year": [
                    _(
                        "There are no bundled public holidays for %(year)s; "
                        "add that year's days by hand."
                    )
                    % {"year": year}
                ]
            }
        )
    return calendar_days_save(
        actor=actor,
        calendar=calendar,
        entries=bundled.entries,
        source=f"cn_{year}.json",
    )
