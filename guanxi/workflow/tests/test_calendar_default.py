"""The default business time: weekdays 09:00–12:00 and 13:00–18:00 in the site's zone."""

import datetime
import zoneinfo

import pytest

from guanxi.workflow.calendar import business_add, business_minutes_between

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# Without `working`, the configured default calendar applies: with none configured (an
# empty database) that is the built-in default these tests pin.
pytestmark = pytest.mark.django_db


def at(*parts):
    return datetime.datetime(*parts, tzinfo=SHANGHAI)


def test_friday_afternoon_plus_four_hours_lands_on_monday_morning():
    # Friday 2026-12-04 16:00 + 4 business hours: 2 h on Friday, 2 h on Monday from 09:00.
    due = business_add(at(2026, 12, 4, 16), minutes=240)
    assert due.astimezone(SHANGHAI) == at(2026, 12, 7, 11)


def test_lunch_break_is_not_counted():
    assert business_minutes_between(at(2026, 12, 2, 11), at(2026, 12, 2, 14)) == 120
    assert business_add(at(2026, 12, 2, 11, 30), minutes=60).astimezone(SHANGHAI) == at(
        2026, 12, 2, 13, 30
    )


def test_counting_starts_at_the_next_working_moment():
    assert business_minutes_between(at(2026, 12, 5, 10), at(2026, 12, 7, 10)) == 60
