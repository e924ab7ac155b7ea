"""The one place that decides what an instant or a day is.

Every module asks here: to read an instant from text (ISO 8601 with an offset), a day from text
(``2024-04-30`` or the compact ``20240430``), to refuse a naive datetime, to find the start of a day
in a zone, and to answer "a date or an instant?" for values that may be either. The same mistake
therefore gets the same words wherever it is made.

Instants are kept with a *fixed* offset (:func:`as_instant`): the same instant, the same wall-clock
reading, but two instants always compare and hash as instants (Python compares datetimes of one
named zone by wall clock, and refuses equality across zones inside a DST fold).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Final

from partner_onboarding.errors import NaiveDatetime, Problem, ValidationError, WrongType, quote

__all__ = [
    "IMAGINARY",
    "NAIVE",
    "as_instant",
    "check_aware",
    "format_instant",
    "instant_or_day",
    "instant_problem",
    "is_day_text",
    "parse_day",
    "parse_instant",
    "require_aware",
    "start_of_day",
]

#: The words of the one refusal of a datetime without a zone, wherever it is made.
NAIVE: Final = "must be time-zone aware"

_DAY: Final = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})")


#: The words of the refusal of a day or a reading at an end of the calendar whose instant (in
#: UTC) lies beyond it: 0001-01-01 00:00 east of UTC, 9999-12-31 23:00 west of it.
OUT_OF_CALENDAR: Final = "is at an end of the calendar: its instant lies outside it"
#: The words of the refusal of a wall-clock reading that its zone skips (a DST gap).
IMAGINARY: Final = "does not exist in its time zone (the clocks skip it: a daylight-saving gap)"


def check_aware(value: dt.datetime) -> bool:
    """Whether a datetime names one instant (has a time zone that gives an offset, of less than a
    day: a zone that gives another is refused by Python itself)."""
    try:
        return value.tzinfo is not None and value.utcoffset() is not None
    except ValueError:  # (a tzinfo whose offset is a day or more)
        return False


def instant_problem(value: dt.datetime) -> str | None:
    """Why an aware-looking datetime names no instant: no zone, a wall-clock reading its zone
    skips (2024-03-10 02:30 in Los Angeles), or a reading whose instant lies beyond an end of the
    calendar (0001-01-01 00:00 in Tokyo); ``None`` when it names one."""
    if not check_aware(value):
        return NAIVE if value.tzinfo is None or _gives_none(value) else BAD_OFFSET
    zone = value.tzinfo
    if type(zone) is dt.timezone:
        if value.year in _EDGE_YEARS:  # (a reading of the first or last day, off UTC)
            try:
                value.astimezone(dt.UTC)
            except OverflowError:
                return OUT_OF_CALENDAR
        return None
    try:
        there_and_back = value.astimezone(dt.UTC).astimezone(zone)
    except OverflowError:
        return OUT_OF_CALENDAR
    return IMAGINARY if there_and_back.replace(tzinfo=None) != value.replace(tzinfo=None) else None


_EDGE_YEARS: Final = frozenset({dt.MINYEAR, dt.MAXYEAR})


def _gives_none(value: dt.datetime) -> bool:
    try:
        return value.utcoffset() is None
    except ValueError:
        return False


#: The words of the refusal of a datetime whose time zone gives an offset of a day or more.
BAD_OFFSET: Final = "has a time zone whose offset is not within a day of UTC"


def as_instant(value: dt.datetime) -> dt.datetime:
    """An aware datetime with its zone replaced by the fixed UTC offset in force at that instant.

    Anything that is not an aware datetime is returned untouched, for the caller's check to report.
    """
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        if type(value.tzinfo) is dt.timezone:
            return value
        if instant_problem(value) is None:  # (a reading in a DST gap is left to the check)
            return _fixed(value)
    return value


def _fixed(value: dt.datetime) -> dt.datetime:
    """``value`` (aware) with the fixed offset zoneinfo gives it."""
    offset = value.utcoffset()
    assert offset is not None  # noqa: S101  (aware: checked by the callers)
    zone = _FIXED_ZONES.get(offset)
    if zone is None:
        zone = _FIXED_ZONES.setdefault(offset, dt.timezone(offset) if offset else dt.UTC)
    return value.astimezone(zone)


# One timezone object per offset, so that instants of the same offset share their tzinfo (and
# compare field by field, the fast way). Offsets are less than a day: the set stays small.
_FIXED_ZONES: Final[dict[dt.timedelta, dt.timezone]] = {dt.timedelta(0): dt.UTC}


def require_aware(value: object, *, field: str = "at") -> dt.datetime:
    """``value`` as a fixed-offset instant; a naive datetime or anything else is refused."""
    if isinstance(value, dt.datetime):
        if type(value.tzinfo) is dt.timezone and value.year not in _EDGE_YEARS:
            return value
        problem = instant_problem(value)
        if problem is None:
            return as_instant(value)
        if problem is NAIVE:
            raise NaiveDatetime([Problem(field, NAIVE)], what="instant")
        raise ValidationError.single(field, problem, what="instant")
    raise WrongType.single(field, "must be a time-zone aware datetime", what="instant")


def parse_instant(text: object, *, field: str = "") -> dt.datetime:
    """An instant from ISO 8601 text that carries an offset (``2024-04-30T00:00:00-07:00``).

    Text without an offset is refused: guessing a zone would silently move the instant.
    """
    if not isinstance(text, str):
        raise ValidationError.single(field, "must be an ISO 8601 date-time string", what="instant")
    if not text.isprintable():  # (Python's own reader lets a trailing NUL through)
        raise ValidationError.single(
            field, f"{quote(text)} is not an ISO 8601 date-time", what="instant"
        )
    fraction = _FRACTIONAL_OFFSET.search(text)
    parsed = None
    if fraction is not None:  # (the standard library drops a fraction of a second of an offset)
        parsed = _with_fractional_offset(text, fraction, field)
    # The standard library reads the common forms in C; dateutil reads the rest of ISO 8601.
    elif len(text) >= 19:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        if not _may_be_iso(text):  # (nothing dateutil's reader would read: refused at once)
            raise ValidationError.single(
                field, f"{quote(text)} is not an ISO 8601 date-time", what="instant"
            )
        try:
            parsed = _isoparse()(text)
        except (ValueError, OverflowError):
            raise ValidationError.single(
                field, f"{quote(text)} is not an ISO 8601 date-time", what="instant"
            ) from None
    if not check_aware(parsed):
        raise NaiveDatetime(
            [Problem(field, "must carry a UTC offset (e.g. '-07:00' or 'Z')")], what="instant"
        )
    if parsed.year in _EDGE_YEARS and instant_problem(parsed) is not None:
        raise ValidationError.single(field, f"{quote(text)} {OUT_OF_CALENDAR}", what="instant")
    return as_instant(parsed)


#: An offset with a fraction of a second, as ``isoformat`` writes one (``+05:53:28.5``).
def _may_be_iso(text: str) -> bool:
    """Whether dateutil's ISO 8601 reader could read ``text``; ``False`` only where its own
    first steps would refuse it: text not in ASCII, a year that is no number, or a
    ``YYYY-MM-DD`` date that does not exist (``2024-13-01``, ``2024-02-30``: what it reads as
    a month and a day, there, before anything else). A malformed instant of these kinds costs
    a few comparisons, not a second reader."""
    if not text.isascii():
        return False
    year, month, day = text[:4], text[5:7], text[8:10]
    dashed = text[4:5] == "-" and text[7:8] == "-"
    if year.isdigit() and (not dashed or (month.isdigit() and day.isdigit())):
        # (the common case, read without raising: digits as Python's int reads them)
        return not dashed or _exists(int(year), int(month), int(day))
    try:  # (anything else as dateutil reads it: Python's int of those characters)
        number = int(year)
        if dashed:
            return _exists(number, int(month), int(day))
    except ValueError:
        return False
    return True


def _exists(year: int, month: int, day: int) -> bool:
    """Whether the calendar has that day."""
    if not (dt.MINYEAR <= year <= dt.MAXYEAR and 1 <= month <= 12 and day >= 1):
        return False
    return day <= calendar.monthrange(year, month)[1]


@functools.cache
def _isoparse() -> Callable[[str], dt.datetime]:
    """dateutil's ISO 8601 reader, imported when first needed."""
    from dateutil.parser import isoparse  # noqa: PLC0415

    return isoparse


_FRACTIONAL_OFFSET: Final = re.compile(r"([+-])([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{1,6})$")


def _with_fractional_offset(text: str, offset: re.Match[str], field: str) -> dt.datetime:
    sign, hours, minutes, seconds, fraction = offset.groups()
    delta = dt.timedelta(
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds),
        microseconds=int(fraction.ljust(6, "0")),
    )
    try:
        wall = dt.datetime.fromisoformat(text[: offset.start()])
        zone = dt.timezone(-delta if sign == "-" else delta)
    except ValueError:
        raise ValidationError.single(
            field, f"{quote(text)} is not an ISO 8601 date-time", what="instant"
        ) from None
    if wall.tzinfo is not None:  # (two offsets)
        raise ValidationError.single(
            field, f"{quote(text)} is not an ISO 8601 date-time", what="instant"
        )
    return wall.replace(tzinfo=zone)


def parse_day(text: object, *, field: str = "") -> dt.date:
    """A calendar day from ``YYYY-MM-DD`` or the compact ``YYYYMMDD`` (spaces around ignored)."""
    match = _DAY.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is not None:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValidationError.single(
        field, f"{quote(text)} is not a date such as 2024-04-30", what="date"
    )


def is_day_text(text: str) -> bool:
    """Whether ``text`` is written as a day (``2024-04-30``, ``20240430``), not as an instant."""
    return _DAY.fullmatch(text.strip()) is not None


def start_of_day(day: dt.date, zone: dt.tzinfo, *, field: str = "at") -> dt.datetime:
    """The first instant of ``day`` in ``zone``, with its fixed offset.

    Where a zone skips midnight (a DST change at 00:00), the day starts at the first instant that
    exists: the gap's wall-clock reading is taken with the offset in force before the change and
    converted, as ``zoneinfo`` resolves it. A day at an end of the calendar whose start in
    ``zone`` falls outside it (0001-01-01 east of UTC) is refused, naming ``field``.
    """
    try:
        return _fixed(dt.datetime.combine(day, dt.time(0), tzinfo=zone))
    except OverflowError:
        raise ValidationError.single(
            field, f"{quote(day.isoformat())} {OUT_OF_CALENDAR}", what="date"
        ) from None


def instant_or_day(value: object, zone: dt.tzinfo, *, field: str = "at") -> dt.datetime:
    """A date or an instant, as an instant: an aware datetime as it is; a ``date`` (or text
    written as a day) as the start of that day in ``zone``; ISO text with an offset as that
    instant. A naive datetime, or text without an offset, is refused with the same words as
    everywhere else."""
    if isinstance(value, dt.datetime):
        return require_aware(value, field=field)
    if isinstance(value, dt.date):
        return start_of_day(value, zone, field=field)
    if isinstance(value, str):
        if is_day_text(value):
            return start_of_day(parse_day(value, field=field), zone, field=field)
        return parse_instant(value.strip(), field=field)
    raise WrongType.single(
        field, "must be an aware datetime, a date or ISO 8601 text", what="instant"
    )


def format_instant(value: dt.datetime) -> str:
    """ISO 8601 with the value's own offset (microseconds only when there are some)."""
    return value.isoformat()
