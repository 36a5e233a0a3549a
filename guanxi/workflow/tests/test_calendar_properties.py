"""Properties of business time on the 2026 China calendar (no database: built in memory).

A seeded sweep over the year stands in for a property-testing library the project does not
depend on: starts every 7 h 13 min through 2026, amounts up to a month of working time."""

import datetime
import random
import zoneinfo

from guanxi.workflow.calendar import (
    DEFAULT_HOURS,
    WorkingTime,
    business_add,
    business_minutes_between,
    is_working_time,
    next_working_moment,
)
from guanxi.workflow.calendar_days import load_holiday_file

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def china_2026() -> WorkingTime:
    working = WorkingTime(zone=SHANGHAI, weekly={day: DEFAULT_HOURS for day in range(5)})
    for entry in load_holiday_file(2026).entries:
        working.exceptions[entry.date] = () if entry.kind == "holiday" else DEFAULT_HOURS
    return working


WORKING = china_2026()
START = datetime.datetime(2026, 1, 1, tzinfo=SHANGHAI)
STEP = datetime.timedelta(hours=7, minutes=13)
STARTS = [START + STEP * index for index in range(1200)]


def amounts(seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(1, 60 * 8 * 30) for _ in STARTS]


def test_adding_then_counting_gives_the_minutes_back():
    for start, amount in zip(STARTS, amounts(1), strict=True):
        due = business_add(start, minutes=amount, working=WORKING)
        assert business_minutes_between(start, due, working=WORKING) == amount, (start, amount)
        assert is_working_time(due - datetime.timedelta(minutes=1), WORKING), (start, amount)


def test_adding_in_two_steps_is_adding_once():
    for start, first, second in zip(STARTS, amounts(2), amounts(3), strict=True):
        middle = business_add(start, minutes=first, working=WORKING)
        assert business_add(middle, minutes=second, working=WORKING) == business_add(
            start, minutes=first + second, working=WORKING
        ), (start, first, second)


def test_the_next_working_moment_is_working_and_nothing_before_it_counts():
    for moment in STARTS:
        following = next_working_moment(moment, WORKING)
        assert following >= moment
        assert is_working_time(following, WORKING), moment
        assert business_minutes_between(moment, following, working=WORKING) == 0, moment
        assert is_working_time(moment, WORKING) == (following == moment), moment
