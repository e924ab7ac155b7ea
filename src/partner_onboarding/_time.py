"""The one place where instants are parsed and formatted (ISO 8601 with an offset)."""

from __future__ import annotations

import datetime as dt

from dateutil import parser as date_parser

from partner_onboarding._fields import as_instant, check_aware
from partner_onboarding.errors import ValidationError

__all__ = ["format_instant", "parse_instant"]


def parse_instant(text: str, *, field: str = "") -> dt.datetime:
    """An aware datetime from ISO 8601 text that carries an offset (``2024-04-30T00:00:00-07:00``).

    The offset is kept as a fixed :class:`datetime.timezone`; text without one is refused, since
    guessing a zone would silently move the instant.
    """
    if not isinstance(text, str):
        raise ValidationError.single(field, "must be an ISO 8601 date-time string", what="instant")
    try:
        # The standard library reads the common forms in C; dateutil reads the rest of ISO 8601.
        parsed = dt.datetime.fromisoformat(text) if len(text) >= 19 else date_parser.isoparse(text)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = date_parser.isoparse(text)
        except (ValueError, OverflowError):
            raise ValidationError.single(
                field, "is not an ISO 8601 date-time", what="instant"
            ) from None
    if not check_aware(parsed):
        raise ValidationError.single(
            field, "must carry a UTC offset (e.g. '-07:00' or 'Z')", what="instant"
        )
    return as_instant(parsed)


def format_instant(value: dt.datetime) -> str:
    """ISO 8601 with the value's own offset (microseconds only when there are some)."""
    return value.isoformat()
