"""Reading working hours and pasted dates as admins type them."""

import datetime

from django.utils import translation

from guanxi.workflow.calendar_days import load_holiday_file, parse_hours_text, parse_pasted
from guanxi.workflow.calendar_hours import clean_weekly, parse_clock, to_intervals


def test_clock_times_and_the_end_of_the_day():
    assert [parse_clock(text) for text in ("9:00", "09:30", "24:00", "18：00")] == [
        540,
        570,
        1440,
        1080,
    ]
    assert [parse_clock(text) for text in ("24:30", "12:60", "9", "", None)] == [None] * 5
    assert to_intervals([["22:00", "24:00"], ["08:00", "09:00"]]) == (
        (datetime.time(8), datetime.time(9)),
        (datetime.time(22), datetime.time(0)),
    )


def test_weekly_hours_are_sorted_and_blank_days_are_days_off():
    weekly, errors = clean_weekly(
        {"mon": [["13:00", "18:00"], ["9:00", "12:00"]], "sat": [["00:00", "24:00"]]}
    )
    assert errors == []
    assert weekly["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert weekly["sat"] == [["00:00", "24:00"]]
    assert weekly["sun"] == []
    _weekly, missing = clean_weekly({"fri": [["09:00", ""]]})
    assert missing == ["Friday: enter both the start and the end of each interval."]
    assert clean_weekly("9-5")[1] == ["Give the working hours of each weekday, keyed mon to sun."]


def test_pasted_lines_in_the_shapes_admins_write():
    entries, errors = parse_pasted(
        "# 国庆\n"
        "2026-10-01 ~ 2026-10-03 休 国庆节\n"
        "2026/10/10 班 国庆节调休\n"
        "2026年9月20日 上班 09:00-12:00 13:00-17:00 调休\n"
        "2026-12-24\t2026-12-25\tholiday\tChristmas\n"
        "2026-12-31, off, New Year's Eve\n"
    )
    assert errors == []
    assert [(str(e.date), e.kind, e.name, e.hours) for e in entries] == [
        ("2026-10-01", "holiday", "国庆节", []),
        ("2026-10-02", "holiday", "国庆节", []),
        ("2026-10-03", "holiday", "国庆节", []),
        ("2026-10-10", "workday", "国庆节调休", []),
        ("2026-09-20", "workday", "调休", [["09:00", "12:00"], ["13:00", "17:00"]]),
        ("2026-12-24", "holiday", "Christmas", []),
        ("2026-12-25", "holiday", "Christmas", []),
        ("2026-12-31", "holiday", "New Year's Eve", []),
    ]


def test_pasted_mistakes_name_their_line_in_chinese():
    with translation.override("zh-hans"):
        _entries, errors = parse_pasted(
            "2026-10-07 ~ 2026-10-01 休\n2026-10-10 班 12:00-09:00\n下周一"
        )
    assert errors == [
        "第 1 行：最后一天不能早于第一天。",
        "第 2 行：工作时间：时段的开始时间须早于结束时间（12:00–09:00）。",
        "第 3 行：“下周一”没有以日期开头（例如 2026-10-01）。",
    ]
    assert parse_pasted("\n\n")[1] == ["Paste at least one date."]


def test_hours_text():
    assert parse_hours_text("09:00-12:00, 13:00–18:00") == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert parse_hours_text("") == []
    assert parse_hours_text("morning") is None


def test_bundled_2026_holidays_follow_the_state_council_notice():
    with translation.override("en"):
        bundled = load_holiday_file(2026)
    days = {str(entry.date): (entry.kind, entry.name) for entry in bundled.entries}
    holidays = sorted(day for day, (kind, _name) in days.items() if kind == "holiday")
    workdays = sorted(day for day, (kind, _name) in days.items() if kind == "workday")
    assert len(holidays) == 33
    assert workdays == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert days["2026-02-15"] == ("holiday", "Spring Festival")
    assert days["2026-02-23"] == ("holiday", "Spring Festival")
    assert "2026-02-24" not in days
    assert "gov.cn" in bundled.url
    assert load_holiday_file(2019) is None
