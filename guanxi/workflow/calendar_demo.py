"""Demo business calendars: the default China working calendar with the 2026 holidays, and a
customer-success calendar that also works Saturday mornings.

Running the demo again keeps calendars that exist (they are settings, not demo records).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from guanxi.core.models import Team
from guanxi.workflow.calendar import forget_calendars
from guanxi.workflow.calendar_days import bundled_years, load_holiday_file
from guanxi.workflow.calendar_models import (
    BusinessCalendar,
    CalendarDay,
    CalendarTeam,
    default_weekly_hours,
)

CHINA = ("工作日历（中国）", "China working calendar")
SUCCESS = ("客户成功日历（含周六上午）", "Customer success (Saturday mornings)")
SUCCESS_TEAM = "客户成功组"


def _calendar(names: tuple[str, str], **values) -> tuple[BusinessCalendar, bool]:
    return BusinessCalendar.objects.get_or_create(
        name_zh=names[0], defaults={"name_en": names[1], "time_zone": "Asia/Shanghai", **values}
    )


def _holidays(calendar: BusinessCalendar) -> None:
    with translation.override("zh-hans"):
        files = [load_holiday_file(year) for year in bundled_years()]
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(calendar=calendar, date=entry.date, kind=entry.kind, name=entry.name)
            for bundled in files
            if bundled is not None
            for entry in bundled.entries
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def create() -> dict:
    """Create the demo calendars unless they exist; return how many were created."""
    created = 0
    china, new = _calendar(
        CHINA, is_default=not BusinessCalendar.objects.filter(is_default=True).exists()
    )
    if new:
        _holidays(china)
        created += 1
    saturday = {**default_weekly_hours(), "sat": [["09:00", "12:00"]]}
    success, new = _calendar(SUCCESS, weekly_hours=saturday)
    if new:
        _holidays(success)
        team = Team.objects.filter(name=SUCCESS_TEAM).first()
        if team is not None:
            CalendarTeam.objects.update_or_create(team=team, defaults={"calendar": success})
        created += 1
    forget_calendars()
    return {"calendars": created}
