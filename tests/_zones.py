"""Time zones no real zone database has, for the tests of what the library refuses."""

from __future__ import annotations

import datetime as dt


class ThirtyHours(dt.tzinfo):
    """A zone whose offset is 30 hours: Python refuses it when asked for the offset."""

    def utcoffset(self, _: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=30)

    def dst(self, _: dt.datetime | None) -> None:
        return None

    def tzname(self, _: dt.datetime | None) -> str:
        return "+30"


class NoOffset(dt.tzinfo):
    """A zone that gives no offset: its datetimes are naive, as Python counts them."""

    def utcoffset(self, _: dt.datetime | None) -> None:
        return None

    def dst(self, _: dt.datetime | None) -> None:
        return None

    def tzname(self, _: dt.datetime | None) -> None:
        return None
