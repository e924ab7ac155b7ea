"""The one place that decides what an instant or a day is, and the same words everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _zones import NoOffset, ThirtyHours
from partner_onboarding import DEFAULT_POLICY, Account, ValidationError, lifecycle
from partner_onboarding._time import (
    BAD_OFFSET,
    IMAGINARY,
    NAIVE,
    OUT_OF_CALENDAR,
    instant_or_day,
    is_day_text,
    parse_day,
    parse_instant,
    require_aware,
    start_of_day,
)
from partner_onboarding.batch import check_rows
from partner_onboarding.errors import NaiveDatetime, WrongType
from partner_onboarding.testing import ZONES, approved_partner, aware_datetimes

LA = ZoneInfo("America/Los_Angeles")
SANTIAGO = ZoneInfo("America/Santiago")  # skips midnight: 2024-09-08 starts at 01:00


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-04-30", dt.date(2024, 4, 30)),
        ("20240430", dt.date(2024, 4, 30)),
        (" 2024-02-29 ", dt.date(2024, 2, 29)),
    ],
)
def test_days_are_read_in_both_iso_forms(text: str, day: dt.date) -> None:
    assert parse_day(text) == day
    assert is_day_text(text)


@pytest.mark.parametrize(
    "text", ["2023-02-29", "2024-4-30", "2024/04/30", "30-04-2024", "", "x" * 500]
)
def test_bad_days_are_refused_quoting_the_value_short(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_day(text, field="upgrade_date")
    assert caught.value.fields == ("upgrade_date",)
    assert len(str(caught.value)) < 120


@given(aware_datetimes())
def test_an_instant_round_trips_through_text_to_the_microsecond(at: dt.datetime) -> None:
    # (compared in UTC: Python never calls a datetime inside a DST fold equal to another zone's)
    utc = at.astimezone(dt.UTC)
    parsed = parse_instant(at.isoformat())
    assert parsed.astimezone(dt.UTC) == utc
    assert parsed.utcoffset() == at.utcoffset()
    assert parsed.microsecond == at.microsecond
    assert instant_or_day(at.isoformat(), LA).astimezone(dt.UTC) == utc
    assert instant_or_day(at, LA).astimezone(dt.UTC) == utc


@given(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), st.sampled_from(ZONES))
def test_a_day_starts_at_its_first_instant_in_the_zone(day: dt.date, zone: dt.tzinfo) -> None:
    start = start_of_day(day, zone)
    assert instant_or_day(day, zone) == start
    assert instant_or_day(day.isoformat(), zone) == start
    assert instant_or_day(day.strftime("%Y%m%d"), zone) == start
    assert start.astimezone(zone).date() == day
    assert (start - dt.timedelta(microseconds=1)).astimezone(zone).date() < day


def test_a_day_whose_midnight_does_not_exist_starts_at_the_first_instant_that_does() -> None:
    start = start_of_day(dt.date(2024, 9, 8), SANTIAGO)
    assert start.astimezone(SANTIAGO).isoformat() == "2024-09-08T01:00:00-03:00"
    assert (start - dt.timedelta(microseconds=1)).astimezone(SANTIAGO).date() == dt.date(2024, 9, 7)


def test_the_policy_cut_offs_across_dst_are_exact() -> None:
    # 2024-11-03 has 25 hours in Los Angeles: the day still starts at 00:00-07:00.
    start = start_of_day(dt.date(2024, 11, 3), LA)
    assert start.isoformat() == "2024-11-03T00:00:00-07:00"
    end = start_of_day(dt.date(2024, 11, 4), LA)
    assert end - start == dt.timedelta(hours=25)


NAIVE_AT = dt.datetime(2024, 5, 1, 9)  # noqa: DTZ001


def _account(at: object) -> object:
    return Account.register(email="a@b.example", password="Abc123!x", at=at, scrypt_n=2)  # type: ignore[arg-type]


HOLDER = approved_partner("Shop Management", at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC))
CALLS: list[Callable[[], object]] = [
    lambda: DEFAULT_POLICY.instant(NAIVE_AT),
    lambda: DEFAULT_POLICY.can_register(HOLDER, "Paid Media", at=NAIVE_AT),
    lambda: lifecycle.add_role(HOLDER, "Creator Service Partner", at=NAIVE_AT),
    lambda: lifecycle.approve(HOLDER, "Shop Management", at=NAIVE_AT),
    lambda: _account(NAIVE_AT),
    lambda: instant_or_day(NAIVE_AT, LA),
]


@pytest.mark.parametrize("call", CALLS)
def test_a_naive_datetime_is_refused_in_the_same_words_everywhere(
    call: Callable[[], object],
) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert [problem.reason for problem in caught.value.problems] == [NAIVE]


def test_the_bulk_reader_uses_the_same_words() -> None:
    (record,) = check_rows(
        [
            {
                "partner_id": "P",
                "registered_at": NAIVE_AT,
                "category": "Paid Media",
                "question": "register",
            }
        ],
        at=dt.date(2024, 5, 1),
        on_error="record",
    )
    assert record["error"] == f"registered_at: {NAIVE}"


@pytest.mark.parametrize("text", ["2024-04-30T00:00", "2024-04-30 00:00:00"])
def test_text_without_an_offset_is_a_naive_instant(text: str) -> None:
    with pytest.raises(NaiveDatetime) as caught:
        instant_or_day(text, LA)
    assert "UTC offset" in str(caught.value)


# ------------------------------------------------------------------------------------------------
# A reading the clocks skip is no instant; offsets of any precision round-trip

GAP = dt.datetime(2024, 3, 10, 2, 30, tzinfo=LA)  # 02:00 → 03:00 that night in Los Angeles


@pytest.mark.parametrize(
    "use",
    [
        lambda at: Account.register(email="ops@a.example", password="Abc123!x", at=at, scrypt_n=2),
        DEFAULT_POLICY.instant,
        lambda at: instant_or_day(at, LA),
        lambda at: lifecycle.add_role(
            approved_partner(at=dt.datetime(2024, 1, 1, tzinfo=LA)),
            "creator_service_partner",
            at=at,
        ),
        lambda at: check_rows(
            [{"partner_id": "p", "registered_at": at, "category": "Paid Media"}],
            at=dt.date(2024, 5, 1),
            on_error="raise",
        ),
    ],
)
def test_a_reading_in_a_dst_gap_is_refused_everywhere(use: Callable[[dt.datetime], object]) -> None:
    with pytest.raises(ValidationError) as caught:
        use(GAP)
    assert "daylight-saving gap" in str(caught.value)
    use(GAP.replace(hour=3))  # (an hour later exists)


TOKYO = ZoneInfo("Asia/Tokyo")


HOURS_10 = dt.timedelta(hours=10)


@given(st.datetimes(), st.integers(-23 * 60, 23 * 60))
def test_an_instant_with_a_fixed_offset_is_read_if_and_only_if_it_is_in_the_calendar_in_utc(
    reading: dt.datetime, minutes: int
) -> None:
    value = reading.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
    try:
        in_utc: dt.datetime | None = value.astimezone(dt.UTC)
    except OverflowError:
        in_utc = None
    for given_as in (value.isoformat(), value):
        try:
            read = DEFAULT_POLICY.instant(given_as)
        except ValidationError as refusal:
            assert in_utc is None, given_as
            assert OUT_OF_CALENDAR in str(refusal)
        else:
            assert read == in_utc, given_as


@pytest.mark.parametrize(
    "use",
    [
        lambda: start_of_day(dt.date.min, TOKYO),
        lambda: instant_or_day("0001-01-01", TOKYO),
        lambda: instant_or_day("00010101", TOKYO),
        lambda: DEFAULT_POLICY.instant(dt.datetime(9999, 12, 31, 23, tzinfo=LA)),
        lambda: DEFAULT_POLICY.instant(dt.datetime.min.replace(tzinfo=TOKYO)),
        # (a fixed offset too: the reading is in the calendar, its instant in UTC is not)
        lambda: parse_instant("9999-12-31T20:00:00-10:00"),
        lambda: parse_instant("9999-12-31T23:59:59.5-00:00:01.5"),
        lambda: parse_instant("0001-01-01T01:00:00+05:00"),
        lambda: DEFAULT_POLICY.instant("9999-12-31T20:00-10:00"),
        lambda: DEFAULT_POLICY.instant(
            dt.datetime(9999, 12, 31, 20, tzinfo=dt.timezone(-HOURS_10))
        ),
        lambda: DEFAULT_POLICY.instant(dt.datetime(1, 1, 1, 1, tzinfo=dt.timezone(HOURS_10))),
        lambda: approved_partner(
            at=dt.datetime(9999, 12, 31, 20, tzinfo=dt.timezone(-HOURS_10)), policy=None
        ),
    ],
)
def test_a_day_or_reading_beyond_an_end_of_the_calendar_is_refused(
    use: Callable[[], object],
) -> None:
    with pytest.raises(ValidationError) as caught:
        use()
    assert OUT_OF_CALENDAR in str(caught.value)


def test_the_bulk_reader_answers_a_cell_beyond_the_calendar_with_an_error() -> None:
    from partner_onboarding import Policy  # noqa: PLC0415

    rows = [{"partner_id": "p", "registered_at": "0001-01-01", "category": "Paid Media"}]
    policy = Policy(zone="Asia/Tokyo")
    (answer,) = check_rows(rows, at=dt.date(2024, 5, 1), policy=policy, on_error="record")
    assert answer["error"] == f"registered_at: '0001-01-01' {OUT_OF_CALENDAR}"


@given(
    st.one_of(st.dates(), st.sampled_from([dt.date.min, dt.date.max])),
    st.sampled_from([*ZONES, TOKYO]),
)
def test_every_day_in_every_zone_starts_or_is_refused_as_beyond_the_calendar(
    day: dt.date, zone: dt.tzinfo
) -> None:
    try:
        start = start_of_day(day, zone)
    except ValidationError as refusal:
        assert OUT_OF_CALENDAR in str(refusal)
        assert day == dt.date.min
    else:
        assert start.tzinfo is not None
        assert start.replace(tzinfo=None) >= dt.datetime.combine(day, dt.time(0))


@given(st.datetimes(timezones=st.sampled_from(ZONES)))
def test_only_readings_the_clocks_skip_are_refused(at: dt.datetime) -> None:
    exists = at.astimezone(dt.UTC).astimezone(at.tzinfo).replace(tzinfo=None) == at.replace(
        tzinfo=None
    )
    try:
        instant = DEFAULT_POLICY.instant(at)
    except ValidationError:
        assert not exists
    else:
        assert exists
        # (compared in UTC: Python calls two zones' readings in a DST fold never equal)
        assert instant == at.astimezone(dt.UTC)
        assert instant.utcoffset() == at.utcoffset()


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2999, 12, 30)),  # noqa: DTZ001
    st.timedeltas(
        min_value=dt.timedelta(hours=-23, minutes=-59, seconds=-59),
        max_value=dt.timedelta(hours=23, minutes=59, seconds=59),
    ),
)
def test_an_offset_of_any_precision_round_trips(wall: dt.datetime, offset: dt.timedelta) -> None:
    at = wall.replace(tzinfo=dt.timezone(offset))
    read = parse_instant(at.isoformat())
    assert read == at
    assert read.utcoffset() == offset


# A malformed instant is refused without dateutil's reader where that reader's own first steps
# would refuse it: the screen never refuses what the reader reads.
ISO_LIKE = st.text(alphabet="0123456789-:TWZzt.,+ _/", max_size=30)


@given(st.one_of(ISO_LIKE, st.text(max_size=30), st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}.*")))
def test_the_screen_before_dateutil_refuses_only_what_dateutil_refuses(text: str) -> None:
    from dateutil.parser import isoparse  # noqa: PLC0415

    from partner_onboarding._time import _may_be_iso  # noqa: PLC0415  (the screen itself)

    if _may_be_iso(text):
        return
    with pytest.raises((ValueError, OverflowError)):
        isoparse(text)


# The screen's answer, each checked against dateutil's own: what it lets through is read, what it
# refuses is refused (short forms: the standard library's reader leaves them to these two).
SCREENED = [
    ("2024-10-31T10Z", True),
    ("2024-02-29T10Z", True),
    ("2024-12-31T10Z", True),
    ("0001-01-01T10Z", True),
    ("9999-12-31T10Z", True),
    ("20241031T10Z", True),  # (not dashed: the day is left to the reader)
    ("2024-W44-4T10Z", True),
    ("+202-01-01T10Z", True),  # (a year Python's int reads: dateutil 2 reads it, 4 does not)
    ("+2020101T10Z", True),
    (" 202-01-01T10Z", True),
    ("\uff12\uff10\uff12\uff14-10-31T10Z", False),  # (not ASCII)
    ("yesterday", False),
    ("2024-13-01T10Z", False),
    ("2024-00-10T10Z", False),
    ("2024-12-00T10Z", False),
    ("2024-02-30T10Z", False),
    ("2023-02-29T10Z", False),
    ("0000-01-01T10Z", False),
    ("2024-1a-01T10Z", False),
    ("2024-01-1aT10Z", False),
    ("+202-13-01T10Z", False),
    ("+202-1a-01T10Z", False),
]


@pytest.mark.parametrize(("text", "let_through"), SCREENED)
def test_the_screen_refuses_at_once_what_dateutil_would_refuse(
    text: str, let_through: bool
) -> None:
    from dateutil.parser import isoparse  # noqa: PLC0415

    from partner_onboarding._time import _may_be_iso  # noqa: PLC0415  (the screen itself)

    assert _may_be_iso(text) is let_through
    if not let_through:
        with pytest.raises((ValueError, OverflowError)):
            isoparse(text)
        return
    try:  # (what the screen lets through, dateutil reads or refuses as its version does)
        read = isoparse(text)
    except (ValueError, OverflowError):
        with pytest.raises(ValidationError):
            parse_instant(text)
    else:
        assert parse_instant(text) == read


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2024-04-30T00:00:00+05:53:28.5", dt.timedelta(hours=5, minutes=53, seconds=28.5)),
        ("2024-04-30T00:00:00-05:53:28.25", -dt.timedelta(hours=5, minutes=53, seconds=28.25)),
        ("2024-04-30T00:00:00-00:00:00.000001", -dt.timedelta(microseconds=1)),
    ],
)
def test_an_offset_with_a_short_fraction_of_a_second_is_read_to_the_microsecond(
    text: str, offset: dt.timedelta
) -> None:
    read = parse_instant(text)
    assert read.utcoffset() == offset
    assert read == dt.datetime(2024, 4, 30, tzinfo=dt.timezone(offset))


@pytest.mark.parametrize(
    "text",
    [
        "2024-04-31T00:00:00+05:53:28.5",  # (a day that does not exist)
        "2024-04-30T00:00:00+01:00+05:53:28.5",  # (two offsets)
        "2024-04-30T00:00:00+24:00:00.5",  # (an offset of a day)
    ],
)
def test_a_bad_instant_with_a_fractional_offset_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_instant(text, field="registered_at")
    assert str(raised.value) == (
        f"invalid instant: 1 problem\n  - registered_at: {text!r} is not an ISO 8601 date-time"
    )


@pytest.mark.parametrize(
    ("length", "quoted"), [(40, "x" * 40), (41, "x" * 40 + "…"), (400, "x" * 40 + "…")]
)
def test_a_refused_text_is_quoted_up_to_forty_characters(length: int, quoted: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_instant("x" * length, field="at")
    assert raised.value.problems[0].reason == f"{quoted!r} is not an ISO 8601 date-time"


def test_a_time_zone_that_gives_no_offset_is_naive() -> None:
    with pytest.raises(NaiveDatetime) as raised:
        instant_or_day(dt.datetime(2024, 4, 30, tzinfo=NoOffset()), LA)
    assert raised.value.problems[0].reason == NAIVE


@pytest.mark.parametrize(
    "text",
    [
        "2024-13-01T00:00:00Z",  # (a month that does not exist)
        "2024-02-30T10:00:00-07:00",  # (a day that does not exist)
        "2024-13-01T00:00:0000001Z",
        "yesterday",
        "30/04/2024 10:00 +02:00",
        "\uff12\uff10\uff12\uff14-04-30T00:00Z",  # (full-width digits: not ASCII)
    ],
)
def test_malformed_instants_are_refused_in_the_same_words(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_instant(text, field="registered_at")
    assert caught.value.problems[0].reason.endswith("is not an ISO 8601 date-time")
    assert caught.value.fields == ("registered_at",)


@pytest.mark.parametrize(
    ("ask", "said"),
    [
        (
            lambda: parse_day("2024-02-30"),
            "invalid date: 1 problem\n  - '2024-02-30' is not a date such as 2024-04-30",
        ),
        (
            lambda: start_of_day(dt.date(1, 1, 1), ZoneInfo("Asia/Tokyo")),
            (
                "invalid date: 1 problem\n  - at: '0001-01-01' is at an end of the calendar: its "
                "instant lies outside it"
            ),
        ),
        (
            lambda: instant_or_day(dt.datetime(2024, 1, 1), LA),  # noqa: DTZ001  (naive: refused)
            "invalid instant: 1 problem\n  - at: must be time-zone aware",
        ),
        (
            lambda: instant_or_day("2024-02-30", LA),
            "invalid date: 1 problem\n  - at: '2024-02-30' is not a date such as 2024-04-30",
        ),
        (
            lambda: instant_or_day(" 2024-04-30T00:00 ", LA, field="registered_at"),
            (
                "invalid instant: 1 problem\n  - registered_at: must carry a UTC offset (e.g. "
                "'-07:00' or 'Z')"
            ),
        ),
        (
            lambda: parse_instant("yesterday"),
            "invalid instant: 1 problem\n  - 'yesterday' is not an ISO 8601 date-time",
        ),
        (
            lambda: instant_or_day("yesterday", LA),
            "invalid instant: 1 problem\n  - at: 'yesterday' is not an ISO 8601 date-time",
        ),
        (
            lambda: instant_or_day(3, LA),
            (
                "invalid instant: 1 problem\n  - at: must be an aware datetime, a date or ISO 8601 "
                "text"
            ),
        ),
    ],
)
def test_days_and_instants_refused_say_what_they_are_and_where(
    ask: Callable[[], object], said: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        ask()
    assert str(raised.value) == said


NOT_ISO = "is not an ISO 8601 date-time"


def instant_in_tokyo(value: object, *, field: str) -> dt.datetime:
    return instant_or_day(value, ZoneInfo("Asia/Tokyo"), field=field)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (3, "must be an ISO 8601 date-time string"),
        ("yesterday", f"'yesterday' {NOT_ISO}"),  # (refused before dateutil)
        ("2024-10T10Z", f"'2024-10T10Z' {NOT_ISO}"),  # (refused by dateutil)
        ("2024-04-30T00:00:00Z\x00", f"'2024-04-30T00:00:00Z\\x00' {NOT_ISO}"),
        ("2024-04-30T00:00:00", "must carry a UTC offset (e.g. '-07:00' or 'Z')"),
        ("9999-12-31T23:00:00-10:00", f"'9999-12-31T23:00:00-10:00' {OUT_OF_CALENDAR}"),
        (dt.date(1, 1, 1), f"'0001-01-01' {OUT_OF_CALENDAR}"),  # (a day: its start in Tokyo)
        (dt.datetime(2024, 4, 30, tzinfo=ThirtyHours()), BAD_OFFSET),
        (
            dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=10))),
            OUT_OF_CALENDAR,
        ),
        ([], "must be an aware datetime, a date or ISO 8601 text"),
    ],
)
def test_an_instant_refused_names_its_field_whichever_reader_refused_it(
    value: object, said: str
) -> None:
    kind = "date" if type(value) is dt.date else "instant"
    read = parse_instant if isinstance(value, str | int) else instant_in_tokyo
    with pytest.raises(ValidationError) as raised:
        read(value, field="registered_at")
    assert str(raised.value) == f"invalid {kind}: 1 problem\n  - registered_at: {said}"


@pytest.mark.parametrize(
    ("value", "error", "said"),
    [
        ("2024-04-30T00:00:00Z", WrongType, "must be a time-zone aware datetime"),
        (dt.datetime(2024, 4, 30), NaiveDatetime, NAIVE),  # noqa: DTZ001  (naive: refused)
        (dt.datetime(2024, 4, 30, tzinfo=ThirtyHours()), ValidationError, BAD_OFFSET),
        (dt.datetime(2024, 3, 10, 2, 30, tzinfo=LA), ValidationError, IMAGINARY),
    ],
)
def test_an_aware_datetime_is_required_by_name(value: object, error: type, said: str) -> None:
    with pytest.raises(error) as raised:
        require_aware(value)
    assert str(raised.value) == f"invalid instant: 1 problem\n  - at: {said}"


@pytest.mark.parametrize(
    "value",
    ["2024-04-30", dt.datetime(2024, 4, 30), None, 3],  # noqa: DTZ001  (naive: kept)
)
def test_as_instant_leaves_what_is_not_an_aware_datetime_to_the_check(value: object) -> None:
    from partner_onboarding._time import as_instant  # noqa: PLC0415

    assert as_instant(value) is value  # type: ignore[arg-type]
