"""iCalendar (RFC 5545) for activities: feeds calendars subscribe to, and invitations.

Only what calendar programs need is written: events for meetings, calls and visits with a
start, to-dos are left out (Outlook and phones ignore VTODO in subscribed feeds). Text is
escaped and lines folded at 75 octets as the RFC asks; times are written in UTC.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from guanxi.activities.choices import ActivityStatus
from guanxi.activities.richtext import plain_text

PRODUCT_ID = "-//Guanxi CRM//Guanxi//ZH"


def escape(text: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines."""
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never splitting a character."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not pieces else 74  # continuation lines start with a space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def uid(activity) -> str:
    host = (settings.ALLOWED_HOSTS or ["guanxi.local"])[0].lstrip(".").replace("*", "") or "guanxi"
    return f"activity-{activity.pk}@{host}"


def event_lines(activity, *, organizer_email: str = "", attendees: Iterable = ()) -> list[str]:
    """Return the VEVENT lines of an activity that has a start time."""
    start = activity.starts_at
    end = activity.ends_at or start + datetime.timedelta(hours=1)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid(activity)}",
        f"DTSTAMP:{utc(activity.updated_at or timezone.now())}",
        f"SEQUENCE:{max(0, (activity.version or 1) - 1)}",
    ]
    if activity.all_day:
        local_start = timezone.localtime(start).date()
        local_end = timezone.localtime(end).date()
        if local_end <= local_start:
            local_end = local_start + datetime.timedelta(days=1)
        lines += [
            f"DTSTART;VALUE=DATE:{local_start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{local_end:%Y%m%d}",
        ]
    else:
        lines += [f"DTSTART:{utc(start)}", f"DTEND:{utc(end)}"]
    lines.append(f"SUMMARY:{escape(activity.subject)}")
    if activity.location:
        lines.append(f"LOCATION:{escape(activity.location)}")
    description = plain_text(activity.description, limit=2000)
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    status = {
        ActivityStatus.CANCELLED: "CANCELLED",
        ActivityStatus.PLANNED: "CONFIRMED",
        ActivityStatus.IN_PROGRESS: "CONFIRMED",
        ActivityStatus.DONE: "CONFIRMED",
    }[activity.status]
    lines.append(f"STATUS:{status}")
    if organizer_email:
        lines.append(f"ORGANIZER:mailto:{organizer_email}")
    for name, email in attendees:
        lines.append(
            f'ATTENDEE;CN="{(name or email).replace(chr(34), "")}";ROLE=REQ-PARTICIPANT;'
            f"PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{email}"
        )
    lines.append("END:VEVENT")
    return lines


def calendar(activities: Iterable, *, name: str = "", method: str = "", **event_options) -> bytes:
    """Return a VCALENDAR of the activities that have a start time, as UTF-8 bytes.

    `method` is "REQUEST" or "CANCEL" for an invitation e-mail, empty for a feed.
    """
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODUCT_ID}", "CALSCALE:GREGORIAN"]
    if method:
        lines.append(f"METHOD:{method}")
    if name:
        lines.append(f"X-WR-CALNAME:{escape(name)}")
    for activity in activities:
        if activity.starts_at is not None:
            lines += event_lines(activity, **event_options)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def invitation(activity, *, organizer_email: str, attendees: Iterable) -> bytes:
    """Return the text/calendar part of a meeting invitation (or cancellation) e-mail."""
    method = "CANCEL" if activity.status == ActivityStatus.CANCELLED else "REQUEST"
    return calendar(
        [activity], method=method, organizer_email=organizer_email, attendees=list(attendees)
    )
