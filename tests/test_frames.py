"""DataFrames in, DataFrames out: the columnar path gives exactly the answers of the plain path."""

from __future__ import annotations

import datetime as dt
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any, Final
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from partner_onboarding import DEFAULT_CATALOG, DEFAULT_POLICY, Policy, Question, ValidationError
from partner_onboarding.batch import check_rows
from partner_onboarding.engine import (
    _VALID_DAY,
    _VALID_INSTANT,
    ANSWER_FIELDS,
    REMEMBERED_REFUSALS,
    Memo,
    RowReader,
    _decided_by_text,
    _far_from,
    _position_from_text,
    column_problems,
    decide_rows,
    isoformat_in_zone,
    misspelled_columns,
)
from partner_onboarding.errors import MissingExtra, WrongType
from partner_onboarding.frames import answers, check_frame, diff
from partner_onboarding.policy import upgrade_rules
from partner_onboarding.testing import ZONES, category_spellings, instants_around, policies

AT_CHOICES = [dt.date(2024, 4, 29), dt.date(2024, 5, 20), dt.date(2024, 6, 5), dt.date(2024, 7, 1)]
INSTANTS = instants_around(*DEFAULT_POLICY.instants, spread=dt.timedelta(days=2))


def offset_text(at: dt.datetime) -> str:
    """ISO text of ``at`` with a fixed offset: sometimes ``Z``, sometimes without microseconds."""
    text = at.isoformat()
    return text.replace("+00:00", "Z") if text.endswith("+00:00") else text


WELL_FORMED = st.one_of(
    INSTANTS.map(offset_text),
    INSTANTS.map(lambda at: at.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()),
    INSTANTS.map(lambda at: at.date().strftime("%Y%m%d")),
)
#: Edits that make well-formed text almost ISO 8601: what a native parser may read and the plain
#: path refuses (a leap second, a missing zero, a signed year, another separator, a zone name).
NEAR_MISSES = [
    lambda text: text[:17] + "60" + text[19:],
    lambda text: text[:5] + text[6:],
    lambda text: text[:11] + text[12:],
    lambda text: "-" + text[1:],
    lambda text: "+" + text[1:],
    lambda text: text.replace("T", "t").replace("Z", "z"),
    lambda text: text.replace("T", " "),
    lambda text: text.replace("Z", "UTC").replace("+00:00", "UTC"),
    lambda text: text[:-1],
    lambda text: text + "0",
    lambda text: " " + text,
]
#: The ends of Python's calendar, seen from both sides of UTC.
CALENDAR_ENDS = [
    "0000-01-01",
    "00000101",
    "0000-01-01T00:00:00Z",
    "0001-01-01",
    "00010101",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31",
]
REGISTERED_TEXT = st.one_of(
    WELL_FORMED,
    st.tuples(WELL_FORMED, st.sampled_from(NEAR_MISSES)).map(lambda edit: edit[1](edit[0])),
    st.text(alphabet="0123456789-+:.TZtz ", min_size=8, max_size=32),
    st.sampled_from(
        ["garbage", "2024-02-30", "2024-04-30T00:00:00", "", "  ", "\t", " 2024-05-01 ", None]
    ),
    st.sampled_from(CALENDAR_ENDS),
)
#: Days around the cut-offs, and the first day of the calendar (which starts before the calendar
#: does in a zone east of UTC: refused there).
DAYS = st.one_of(
    st.dates(dt.date(2024, 4, 25), dt.date(2024, 5, 5)), st.just(dt.date.min), st.none()
)
CATEGORIES = st.sampled_from(list(DEFAULT_CATALOG)).flatmap(category_spellings)
MARKETS = st.sampled_from([None, "US", "gb", "CA", "XX"])
STATUSES = st.sampled_from(
    [None, "approved", "Approved", "Pending Review", "rejected", "none", "?"]
)
#: Read only where the status is empty (a status says whether the application is approved).
APPROVED_LISTS = st.sampled_from(
    [None, "", "Paid Media", "paid media; Creator Management", "Creator Management", "Paid Medias"]
)
QUESTIONS = st.one_of(
    st.sampled_from(["register", "authorize_seller", "Authorize Seller"]),
    st.sampled_from(["", " ", None, "buy"]),  # (a blank cell says nothing: refused everywhere)
)


@st.composite
def rows(draw: st.DrawFn, registered: st.SearchStrategy[Any] = REGISTERED_TEXT) -> dict[str, Any]:
    return {
        "registered_at": draw(registered),
        "category": draw(st.one_of(CATEGORIES, st.sampled_from(["Paid Medias", None]))),
        "market": draw(MARKETS),
        "registration_market": draw(st.sampled_from([None, "US", "GB"])),
        "status": draw(STATUSES),
        "approved_categories": draw(APPROVED_LISTS),
        "question": draw(QUESTIONS),
    }


def plain(
    table: list[dict[str, Any]], at: dt.date, policy: Any = DEFAULT_POLICY
) -> list[dict[str, Any]]:
    return check_rows(
        [{"partner_id": "P", **row} for row in table], at=at, policy=policy, on_error="record"
    )


def same_answers(frame: pl.DataFrame, records: list[dict[str, Any]]) -> None:
    assert len(frame) == len(records)
    for got, want in zip(frame.iter_rows(named=True), records, strict=True):
        assert got["error"] == want["error"], (got, want)  # (word for word)
        if want["error"] is None:
            same_answer(got, want)


def same_answer(got: dict[str, Any], want: dict[str, Any], prefix: str = "") -> None:
    assert got[f"{prefix}allowed"] is want["allowed"]
    assert got[f"{prefix}reason"] == want["reason"]
    assert ";".join(got[f"{prefix}reason_codes"]) == want["reason_codes"]
    assert got[f"{prefix}message"] == want["message"]
    assert got[f"{prefix}changes_at"] == want["changes_at"]


@given(st.lists(rows(), min_size=1, max_size=30), st.sampled_from(AT_CHOICES), policies())
def test_the_columnar_path_agrees_with_the_plain_path_on_text(
    table: list[dict[str, Any]], at: dt.date, policy: Any
) -> None:
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    same_answers(check_frame(frame, at=at, policy=policy), plain(table, at, policy))


@given(st.lists(rows(), min_size=1, max_size=30), st.sampled_from(AT_CHOICES), policies())
@example(  # (bad twice over: the registration is read first)
    [{"registered_at": "garbage", "category": "Paid Media", "status": "?"}],
    dt.date(2024, 5, 20),
    DEFAULT_POLICY,
)
def test_both_questions_agree_with_the_plain_path_to_the_word(
    table: list[dict[str, Any]], at: dt.date, policy: Any
) -> None:
    # Without a question column each row answers both questions, so a row may be bad twice over
    # (its registration and its status): the error is the one the plain path finds first.
    table = [{name: value for name, value in row.items() if name != "question"} for row in table]
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    records = iter(plain(table, at, policy))
    for got in check_frame(frame, at=at, policy=policy).iter_rows(named=True):
        first = next(records)
        assert got["error"] == first["error"], (got, first)
        if first["error"] is None:
            second = next(records)
            for prefix, want in (("register_", first), ("authorize_seller_", second)):
                assert prefix == f"{want['question']}_"
                same_answer(got, want, prefix)
    assert next(records, None) is None


#: What the plain path reads before a row's question: an error of these fields comes first.
_BEFORE_THE_QUESTION: Final = ("category:", "market:", "registration_market:")


@given(
    st.lists(st.tuples(rows(), st.booleans()), min_size=1, max_size=30),
    st.sampled_from(AT_CHOICES),
)
def test_a_row_that_leaves_the_question_column_empty_is_refused(
    drawn: list[tuple[dict[str, Any], bool]], at: dt.date
) -> None:
    # One answer a row: a row of a frame with a question column that does not say which question
    # is refused, never answered one of the two at a guess.
    table = [{**row, "question": None} if empty else row for row, empty in drawn]
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    found = check_frame(frame, at=at)
    for got, row in zip(found.iter_rows(named=True), table, strict=True):
        (first, *_) = plain([row], at)  # (the row has the key: check_rows refuses it the same)
        assert got["error"] == first["error"]
        if row["question"] is None and not (first["error"] or "").startswith(_BEFORE_THE_QUESTION):
            assert got["error"] == "question: is required"
            assert got["allowed"] is None


@given(
    st.lists(rows(registered=st.one_of(INSTANTS, st.none())), min_size=1, max_size=30),
    st.sampled_from(AT_CHOICES),
    st.sampled_from(ZONES),
)
def test_the_columnar_path_agrees_on_typed_instants(
    table: list[dict[str, Any]], at: dt.date, zone: dt.tzinfo
) -> None:
    # A datetime column has one zone: the instants are the same, the column's zone is another.
    in_utc = [
        {**row, "registered_at": row["registered_at"] and row["registered_at"].astimezone(dt.UTC)}
        for row in table
    ]
    frame = pl.DataFrame(
        in_utc, schema_overrides={"registered_at": pl.Datetime("us", "UTC")}
    ).with_columns(pl.col("registered_at").dt.convert_time_zone(str(zone)))
    same_answers(check_frame(frame, at=at), plain(table, at))


#: What a column of Python objects may hold besides text (numbers, flags, NaN, days, lists, …).
ODD = st.one_of(
    st.integers(-2, 20240503),
    st.integers(),  # (beyond 64 bits too)
    st.booleans(),
    st.floats(allow_infinity=False),
    st.just(float("nan")),
    st.none(),
    DAYS,
    INSTANTS,
    st.lists(st.sampled_from(["Shop Management", "Paid Media", 7]), max_size=2),
    st.dictionaries(st.just("a"), st.integers(), max_size=1),
)


@st.composite
def object_rows(draw: st.DrawFn) -> dict[str, Any]:
    row = draw(rows())
    for name in row:
        if name != "question" and draw(st.booleans()):
            row[name] = draw(ODD)
    return row


@given(st.lists(object_rows(), min_size=1, max_size=20), st.sampled_from(AT_CHOICES), st.booleans())
def test_columns_of_python_objects_get_the_plain_path_s_answers_and_errors(
    table: list[dict[str, Any]], at: dt.date, as_pandas: bool
) -> None:
    # (a pandas object column mixing texts, numbers and timestamps, which Arrow cannot convert,
    # and a Polars column of Python objects, which Polars can neither hash nor compare)
    if as_pandas:
        answered = check_frame(pd.DataFrame(table, dtype=object), at=at)
        found = pl.from_pandas(answered[[*ANSWER_FIELDS, "error"]])
    else:
        columns = [
            pl.Series(name, [row[name] for row in table], dtype=pl.Object) for name in table[0]
        ]
        found = check_frame(pl.DataFrame(columns), at=at)
    records = plain(table, at)
    assert found["error"].to_list() == [record["error"] for record in records]
    same_answers(found, records)


#: Offsets of less than a day, in whole minutes (as ISO 8601 text writes them).
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: dt.timedelta(minutes=minutes)
)


@st.composite
def texts_near(draw: st.DrawFn, threshold: dt.datetime) -> str:
    """ISO text of an instant within three days of ``threshold`` (often a day and a microsecond
    or a second off, where the text alone stops deciding), at any offset under a day, with a
    fraction of 0 to 9 digits, ``Z``, ``+00:00`` or ``-00:00`` for UTC."""
    near = st.sampled_from([dt.timedelta(0), dt.timedelta(days=1), dt.timedelta(days=-1)])
    jitter = st.sampled_from(
        [dt.timedelta(microseconds=m) for m in (-1, 0, 1, -1_000_000, 1_000_000)]
    )
    off = draw(
        st.one_of(
            st.builds(lambda a, b: a + b, near, jitter),  # (on the threshold, or a day off)
            st.builds(lambda a, b, c: a + b + c, near, OFFSETS, jitter),
            st.timedeltas(min_value=dt.timedelta(days=-3), max_value=dt.timedelta(days=3)),
        )
    )
    offset = draw(OFFSETS)
    reading = (threshold + off).astimezone(dt.timezone(offset)).replace(tzinfo=None)
    digits = draw(st.integers(0, 9))
    fraction = f"{reading.microsecond:06d}"[:digits] + draw(
        st.text(alphabet="0123456789", min_size=max(0, digits - 6), max_size=max(0, digits - 6))
    )
    if offset:
        sign = "-" if offset < dt.timedelta(0) else "+"
        hours, minutes = divmod(abs(offset) // dt.timedelta(minutes=1), 60)
        zone = f"{sign}{hours:02d}:{minutes:02d}"
    else:
        zone = draw(st.sampled_from(["Z", "+00:00", "-00:00"]))
    return reading.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + zone


def days_near(day: dt.date) -> st.SearchStrategy[str]:
    """A day within ten days of ``day`` (the end of February too), dashed or compact."""
    days = st.one_of(
        st.integers(-10, 10).map(lambda n: day + dt.timedelta(days=n)),
        st.dates(dt.date(1996, 2, 25), dt.date(1996, 3, 2)),
        st.dates(dt.date(2023, 2, 25), dt.date(2023, 3, 2)),
    )
    return st.tuples(days, st.sampled_from(["%Y-%m-%d", "%Y%m%d"])).map(
        lambda pair: pair[0].strftime(pair[1])
    )


@given(st.data(), policies())
def test_cells_valid_by_their_text_are_decided_as_the_plain_path_reads_them(
    data: st.DataObject, policy: Any
) -> None:
    threshold = data.draw(st.sampled_from(policy.compiled.thresholds or policy.instants))
    first_day = policy.compiled.first_day_from(threshold)
    near = st.one_of(texts_near(threshold), days_near(first_day))
    texts = data.draw(st.lists(near, min_size=1, max_size=40))
    facts = RowReader(policy, dt.date(2024, 5, 20))
    native = _position_from_text(pl.Series(texts, dtype=pl.String), facts).to_list()
    cells = pl.lit(pl.Series(texts))
    only = [(threshold, first_day)]
    by_text = pl.select(_decided_by_text(cells, only)).to_series().to_list()
    before, after = _far_from(threshold)
    for text, position, decided in zip(texts, native, by_text, strict=True):
        assert position == facts.position(text), text  # (every one of them is read natively)
        far = re.fullmatch(_VALID_INSTANT, text) and not before <= text < after
        if re.fullmatch(_VALID_DAY, text) or far:
            # (no parsing: the text alone decides it)
            assert decided == (policy.instant(text) >= threshold), text
        else:
            assert decided is None, text  # (parsed)
    table = [{**data.draw(rows()), "registered_at": text} for text in texts]
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    same_answers(
        check_frame(frame, at=dt.date(2024, 5, 20), policy=policy),
        plain(table, dt.date(2024, 5, 20), policy),
    )


@given(instants_around(*DEFAULT_POLICY.compiled.thresholds, spread=dt.timedelta(days=4)), OFFSETS)
def test_the_text_alone_decides_only_where_the_offset_cannot_matter(
    instant: dt.datetime, offset: dt.timedelta
) -> None:
    # The rule behind the native reading of far instants, on the reading itself: a text that
    # sorts before the first bound is an instant before the threshold, one that sorts at or after
    # the second is at or after it, and a reading two days or more away is always decided.
    (threshold,) = DEFAULT_POLICY.compiled.thresholds
    before, after = _far_from(threshold.astimezone(dt.UTC))
    text = instant.astimezone(dt.timezone(offset)).isoformat()
    assert re.fullmatch(_VALID_INSTANT, text), text
    if text < before:
        assert instant < threshold
    if text >= after:
        assert instant >= threshold
    if abs(instant - threshold) >= dt.timedelta(days=2):
        assert text < before or text >= after


@pytest.mark.parametrize(
    ("threshold", "bounds"),
    [
        (DEFAULT_POLICY.compiled.thresholds[0], ("2024-04-29T07:00:00", "2024-05-01T07:00:00")),
        (
            dt.datetime(2024, 5, 1, 7, 0, 0, 1, tzinfo=dt.UTC),  # (a microsecond past a second)
            ("2024-04-30T07:00:00", "2024-05-02T07:00:01"),
        ),
        (
            dt.datetime(2024, 3, 10, 3, 0, tzinfo=ZoneInfo("America/Los_Angeles")),  # (DST starts)
            ("2024-03-09T10:00:00", "2024-03-11T10:00:00"),
        ),
    ],
)
def test_the_bounds_of_the_text_only_reading_are_a_day_either_side_in_utc(
    threshold: dt.datetime, bounds: tuple[str, str]
) -> None:
    assert _far_from(threshold) == bounds


@pytest.mark.parametrize("zone", ["Z", "+00:00", "-00:00", "-07:00", "+05:30", "+14:00", "-12:00"])
def test_an_instant_on_the_threshold_is_a_new_partner_s_in_every_offset(zone: str) -> None:
    # (within a day of the threshold: parsed, not read by its text)
    (threshold,) = DEFAULT_POLICY.compiled.thresholds
    offset = (
        dt.timedelta(0)
        if zone == "Z"
        else dt.datetime.fromisoformat(f"2024-01-01T00:00{zone}").utcoffset()
    )
    assert offset is not None
    texts = [
        (
            instant.astimezone(dt.timezone(offset))
            .replace(tzinfo=None)
            .isoformat(timespec="microseconds")
            + zone
        )
        for instant in (threshold, threshold - dt.timedelta(microseconds=1))
    ]
    facts = RowReader(DEFAULT_POLICY, dt.date(2024, 5, 20))
    new = _position_from_text(pl.Series(texts, dtype=pl.String), facts).to_list()
    assert new == [1, 0] == [facts.position(text) for text in texts]


def test_instants_of_the_right_shape_with_fields_out_of_range_get_the_plain_path_s_answers() -> (
    None
):
    texts = [
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-04-31T10:00:00+01:00",
        "2023-02-29T00:00:00Z",  # (no such day that year)
        "2024-02-29T00:00:00Z",  # (a day of that year: read)
        "2024-05-01T24:00:00Z",
        "2024-05-01T23:60:00Z",
        "2024-05-01T07:00:00+24:00",
        "2024-05-01T07:00:00-23:60",
        "2024-05-01T07:00:00.000000001Z",
        "2024-04-30T00:00:00-07:00",
    ]
    table = [
        {"registered_at": text, "category": "Paid Media", "question": "register"} for text in texts
    ]
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    same_answers(check_frame(frame, at=dt.date(2024, 5, 20)), plain(table, dt.date(2024, 5, 20)))


@given(policies())
@example(
    Policy(
        rules=upgrade_rules(
            new_partners_from=dt.date(2024, 2, 29), upgrade_date=dt.date(2024, 3, 1)
        )
    )
)
def test_the_first_day_itself_is_a_new_partner_s_in_either_form(policy: Any) -> None:
    # (the 29th of February is parsed, any other day read by its text: the same answer)
    for index, threshold in enumerate(policy.compiled.thresholds):
        first_day = policy.compiled.first_day_from(threshold)
        texts = [f"{first_day:%Y-%m-%d}", f"{first_day:%Y%m%d}"]
        texts += [
            f"{first_day - dt.timedelta(days=1):%Y-%m-%d}",
            f"{first_day - dt.timedelta(days=1):%Y%m%d}",
        ]
        facts = RowReader(policy, dt.date(2024, 5, 20))
        positions = _position_from_text(pl.Series(texts, dtype=pl.String), facts).to_list()
        assert positions == [facts.position(text) for text in texts]
        new = [facts.rules.bucket(policy.instant(text)) > index for text in texts]
        assert new == [True, True, False, False]


@pytest.mark.parametrize(
    ("threshold", "decides_before", "decides_after"),
    [
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), False, True),
        (dt.datetime(9999, 12, 31, 12, tzinfo=dt.UTC), True, False),
        (dt.datetime(2024, 4, 30, tzinfo=ZoneInfo("America/Los_Angeles")), True, True),
    ],
)
def test_a_threshold_at_the_calendar_s_ends_leaves_that_side_to_the_parser(
    threshold: dt.datetime, decides_before: bool, decides_after: bool
) -> None:
    before, after = _far_from(threshold)
    earliest, latest = "1000-01-01T00:00:00Z", "9998-12-31T23:59:59.999999999-23:59"
    assert (earliest < before) is decides_before  # (some valid text sorts before it)
    assert (latest >= after) is decides_after


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2024-05-01T07:00:00Z", True),
        ("2024-02-28T23:59:59.999999999+23:59", True),
        ("2024-02-29T00:00:00Z", False),  # (a day that exists in some years only: parsed)
        ("2023-04-31T00:00:00Z", False),
        ("2023-13-01T00:00:00Z", False),
        ("2023-12-01T24:00:00Z", False),
        ("2023-12-01T23:60:00Z", False),
        ("2023-12-01T23:59:60Z", False),
        ("2023-12-01T23:59:59+24:00", False),
        ("2023-12-01T23:59:59+23:60", False),
        ("0999-12-01T23:59:59Z", False),
        ("9999-12-01T23:59:59Z", False),
        ("2023-12-01t23:59:59z", False),
        (" 2023-12-01T23:59:59Z", False),
        ("2023-12-01T23:59:59.Z", False),
        ("2023-12-01T23:59:59.1234567890Z", False),
    ],
)
def test_what_counts_as_an_instant_valid_by_its_text_alone(text: str, valid: bool) -> None:
    assert bool(re.fullmatch(_VALID_INSTANT, text)) is valid
    if valid:
        dt.datetime.fromisoformat(text.replace("999999999", "999999"))  # (Python reads it)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2024-04-30", True),
        ("20240430", True),
        ("2023-12-31", True),
        ("9999-12-31", True),
        ("2024-02-29", False),  # (a day that exists in some years only: parsed)
        ("20230229", False),
        ("2023-06-31", False),
        ("2023-00-10", False),
        ("2023-10-00", False),
        ("0999-12-31", False),
        ("2023-1231", False),
        ("2023-12-31 ", False),
        ("+2023-12-31", False),
    ],
)
def test_what_counts_as_a_day_valid_by_its_text_alone(text: str, valid: bool) -> None:
    assert bool(re.fullmatch(_VALID_DAY, text)) is valid
    if valid:
        dt.date.fromisoformat(text)  # (Python reads it)


@given(
    st.lists(
        rows(registered=DAYS),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(AT_CHOICES),
    policies(),
)
def test_date_columns_are_days_in_the_policys_zone(
    table: list[dict[str, Any]], at: dt.date, policy: Any
) -> None:
    frame = pl.DataFrame(table, schema_overrides={"registered_at": pl.Date})
    same_answers(check_frame(frame, at=at, policy=policy), plain(table, at, policy))


def test_both_questions_without_a_question_column() -> None:
    frame = pl.DataFrame(
        {
            "registered_at": ["2024-05-02", "2024-01-10T09:00:00-08:00"],
            "category": ["Paid Media", "Paid Media"],
            "status": [None, "approved"],
        }
    )
    answered = check_frame(frame, at=dt.date(2024, 5, 20))
    assert answered.columns[:3] == frame.columns
    assert answered["register_reason"].to_list() == ["new_partner_discontinued", "existing_partner"]
    assert answered["authorize_seller_reason"].to_list() == [
        "no_approved_application",
        "approved_application",
    ]
    assert {f"register_{name}" for name in ANSWER_FIELDS} <= set(answered.columns)


@pytest.mark.parametrize("given_column", [False, True])
@pytest.mark.parametrize("kind", ["polars", "lazy", "pandas"])
def test_the_question_asked_is_the_question_column_of_the_answer(
    kind: str, *, given_column: bool
) -> None:
    cells: dict[str, list[Any]] = {"registered_at": ["2024-05-02"], "category": ["Paid Media"]}
    if given_column:  # (the input's own question: the argument answers, and the column says so)
        cells["question"] = ["authorize_seller"]
    frame: Any = pl.DataFrame(cells)
    if kind == "lazy":
        frame = frame.lazy()
    elif kind == "pandas":
        frame = frame.to_pandas()
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="Register")
    if kind == "lazy":
        answered = answered.collect()
    if kind == "pandas":
        answered = pl.from_pandas(answered)
    assert answered.columns == [
        *cells,
        *([] if given_column else ["question"]),
        *ANSWER_FIELDS,
        "error",
    ]
    assert answered.row(0, named=True) | {"changes_at": None} == {
        "registered_at": "2024-05-02",
        "category": "Paid Media",
        "question": "register",
        "allowed": False,
        "reason": "new_partner_discontinued",
        "reason_codes": ["new_partner_discontinued"],
        "message": answered["message"][0],
        "changes_at": None,
        "error": None,
    }


def test_pandas_keeps_its_index_so_a_join_after_a_filter_is_right() -> None:
    frame = pd.DataFrame(
        {
            "registered_at": ["2024-05-02", "2024-01-10T09:00:00-08:00", "2024-05-03"],
            "category": ["Paid Media", "Paid Media", "Shop Management"],
        },
        index=["P1", "P2", "P3"],
    )
    subset = frame[frame["category"] == "Paid Media"].iloc[::-1]
    answered = check_frame(subset, at=dt.date(2024, 5, 20), question="register")
    assert list(answered.index) == ["P2", "P1"]
    assert answered.loc["P1", "reason"] == "new_partner_discontinued"
    assert answered.loc["P2", "reason"] == "existing_partner"


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_a_stale_answer_column_in_the_input_is_replaced_by_the_answer(kind: str) -> None:
    # (a frame answered before and read back: its old answers must not survive beside new ones)
    stale = {
        "registered_at": ["2024-05-02", "2024-01-10T09:00:00-08:00"],
        "category": ["Paid Media", "Paid Media"],
        "allowed": [True, False],
        "reason": ["old", "old"],
        "error": ["old", None],
    }
    frame = pd.DataFrame(stale) if kind == "pandas" else pl.DataFrame(stale)
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="register")
    assert sorted(answered.columns) == sorted(
        ["registered_at", "category", "question", *ANSWER_FIELDS, "error"]
    )
    assert list(answered["allowed"]) == [False, True]
    assert list(answered["reason"]) == ["new_partner_discontinued", "existing_partner"]
    assert [None if pd.isna(e) else e for e in answered["error"]] == [None, None]


def test_a_pandas_index_that_repeats_a_label_keeps_one_answer_per_row() -> None:
    # (pd.concat without ignore_index gives such an index; a join on it multiplied the rows)
    frame = pd.DataFrame(
        {
            "registered_at": ["2024-05-02", "2024-01-10T09:00:00-08:00", "2024-05-03"],
            "category": ["Paid Media", "Paid Media", "Shop Management"],
        },
        index=[0, 0, 1],
    )
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="register")
    assert list(answered.index) == [0, 0, 1]
    assert list(answered["registered_at"]) == list(frame["registered_at"])
    assert list(answered["reason"]) == [
        "new_partner_discontinued",
        "existing_partner",
        "current_category",
    ]
    assert list(frame.columns) == ["registered_at", "category"]  # (the input is left as it was)


def test_a_lazy_frame_gives_a_lazy_frame() -> None:
    lazy = pl.LazyFrame({"registered_at": ["2024-05-02"], "category": ["Paid Media"]})
    answered = check_frame(lazy, at="2024-05-20", question="register")
    assert isinstance(answered, pl.LazyFrame)
    assert answered.collect()["reason"].to_list() == ["new_partner_discontinued"]


def test_the_utc_trap_of_to_datetime_is_what_it_says() -> None:
    # "2024-04-30" as a day is midnight in Los Angeles: a new partner. After
    # pd.to_datetime(..., utc=True) the same cell is midnight UTC, the evening before in
    # Los Angeles: an existing partner. Keeping days as days keeps the answer.
    days = pd.DataFrame({"registered_at": ["2024-04-30"], "category": ["Paid Media"]})
    as_day = check_frame(days, at=dt.date(2024, 5, 20), question="register")
    as_utc = check_frame(
        days.assign(registered_at=pd.to_datetime(days["registered_at"], utc=True)),
        at=dt.date(2024, 5, 20),
        question="register",
    )
    as_date = check_frame(
        days.assign(registered_at=pd.to_datetime(days["registered_at"]).dt.date),
        at=dt.date(2024, 5, 20),
        question="register",
    )
    assert as_day["reason"].iloc[0] == "new_partner_discontinued"
    assert as_utc["reason"].iloc[0] == "existing_partner"
    assert as_date["reason"].iloc[0] == "new_partner_discontinued"


LA = ZoneInfo("America/Los_Angeles")
NAIVE = [dt.datetime(2024, 4, 29, 23, 59, 59, 999999), dt.datetime(2024, 4, 30)]  # noqa: DTZ001


@pytest.mark.parametrize("kind", ["polars", "pandas", "lazy"])
def test_naive_timestamps_are_refused_before_any_row(kind: str) -> None:
    frame: Any = pl.DataFrame({"registered_at": NAIVE, "category": ["Paid Media"] * 2})
    frame = {"polars": frame, "pandas": frame.to_pandas(), "lazy": frame.lazy()}[kind]
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20), question="register")
    assert caught.value.fields == ("registered_at",)
    assert "assume_zone" in str(caught.value)


@pytest.mark.parametrize("kind", ["polars", "pandas"])
def test_naive_timestamps_are_read_in_the_zone_assumed(kind: str) -> None:
    # The upgrade's first microsecond in Los Angeles: one row an existing partner, one new.
    frame: Any = pl.DataFrame({"registered_at": NAIVE, "category": ["Paid Media"] * 2})
    if kind == "pandas":
        frame = frame.to_pandas()
    answered = check_frame(
        frame, at=dt.date(2024, 5, 20), question="register", assume_zone="America/Los_Angeles"
    )
    reasons = list(answered["reason"])
    assert reasons == ["existing_partner", "new_partner_discontinued"]
    aware = [{"registered_at": d.replace(tzinfo=LA), "category": "Paid Media"} for d in NAIVE]
    assert [r["reason"] for r in plain(aware, dt.date(2024, 5, 20))][::2] == reasons


@pytest.mark.parametrize(
    "wall",
    [dt.datetime(2024, 3, 10, 2, 30), dt.datetime(2024, 11, 3, 1, 30)],  # noqa: DTZ001
    ids=["skipped", "repeated"],
)
def test_a_wall_clock_time_the_zone_skips_or_repeats_is_refused(wall: dt.datetime) -> None:
    frame = pl.DataFrame({"registered_at": [wall], "category": ["Paid Media"]})
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20), assume_zone="America/Los_Angeles")
    assert caught.value.fields == ("registered_at",)
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20), assume_zone="localtime")
    assert caught.value.fields == ("assume_zone",)


@pytest.mark.parametrize("kind", ["polars", "pandas", "lazy"])
@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["registerd_at", "category"], "did you mean 'registered_at'?"),
        (["registered_at", "Category"], "did you mean 'category'?"),
        (["registered_at", "category", "staus"], "did you mean 'status'?"),
        (["registered_at"], "has no column 'category'"),
        (["category"], "has no column 'registered_at'"),
    ],
)
def test_a_missing_or_misspelled_column_is_named_before_any_row(
    kind: str, columns: list[str], message: str
) -> None:
    frame: Any = pl.DataFrame({name: ["2024-05-02"] for name in columns})
    frame = {"polars": frame, "pandas": frame.to_pandas(), "lazy": frame.lazy()}[kind]
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("names", "fold_case", "problems"),
    [
        # (a frame's names are compared as they are; a file's header without case)
        (
            ["Registered_At"],
            False,
            ["unknown column 'Registered_At'; did you mean 'registered_at'?"],
        ),
        (["Registered_At"], True, []),
        # (close to a column the names have in another case: the user's own)
        (["REGISTERED_AT", "registered_at_2"], True, []),
        (
            ["registered_at_2"],
            True,
            ["unknown column 'registered_at_2'; did you mean 'registered_at'?"],
        ),
        # (not close enough to any: a column of the user's own, 0.64 alike)
        (["categorie_name"], False, []),
        (["categori_x"], False, ["unknown column 'categori_x'; did you mean 'category'?"]),
        # (every column there: nothing is looked for)
        (
            [
                "partner_id",
                "registered_at",
                "question",
                "category",
                "status",
                "approved_categories",
                "statu",
            ],
            False,
            [],
        ),
    ],
)
def test_a_misspelled_column_is_told_from_a_column_of_the_users_own(
    names: list[str], fold_case: bool, problems: list[str]
) -> None:
    assert misspelled_columns(names, fold_case=fold_case) == problems


def test_a_frame_s_column_problems_are_said_word_for_word() -> None:
    assert [str(problem) for problem in column_problems(["registerd_at"], None)] == [
        "frame: unknown column 'registerd_at'; did you mean 'registered_at'?",
        "frame: has no column 'category'",
        "frame: has no column 'registered_at'",
    ]
    assert column_problems(["category"], Question.AUTHORIZE_SELLER) == []


def test_rows_of_no_few_valued_column_share_one_plan_and_its_error() -> None:
    # (the engine's own entry, which no column check precedes: the plain path's error per row)
    frame = pl.DataFrame({"registered_at": ["2024-05-01", "2024-03-01", None]})
    decided = decide_rows(frame, at=dt.date(2024, 5, 20), policy=DEFAULT_POLICY, question=None)
    assert len(decided.plans) == 1
    assert decided.combo.to_list() == [0, 0, 0]
    assert decided.error.to_list() == ["category: is required"] * 3


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
@pytest.mark.parametrize(
    "registered",
    [dt.date.min, dt.date(1, 1, 2), dt.date.max, "x", "5", "", " ", "\t"],
)
def test_registrations_at_the_calendar_s_ends_blank_and_of_one_character_answer_as_the_plain_path(
    zone: str, registered: dt.date | str
) -> None:
    # (the calendar's first day starts before the calendar in a zone east of UTC: refused; a
    # blank registration is required to register, and long ago for a seller authorisation)
    policy = Policy(zone=zone)
    table = [
        {"registered_at": registered, "category": category, "status": "approved", "question": q}
        for category in ("Paid Media", "Creator Management")
        for q in ("register", "authorize_seller")
    ]
    same_answers(
        check_frame(pl.DataFrame(table), at=dt.date(2024, 5, 20), policy=policy),
        plain(table, dt.date(2024, 5, 20), policy),
    )


@given(
    st.lists(
        st.tuples(
            CATEGORIES,
            st.one_of(st.none(), st.lists(st.sampled_from(["Paid Media", "live host", "?"]))),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_approved_categories_as_list_cells_answer_as_the_plain_path(
    drawn: list[tuple[str, list[str] | None]],
) -> None:
    table = [
        {"registered_at": "2024-05-01", "category": category, "approved_categories": listed}
        for category, listed in drawn
    ]
    frame = pl.DataFrame(table, schema_overrides={"approved_categories": pl.List(pl.String)})
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="authorize_seller")
    same_answers(
        answered,
        plain([{**row, "question": "authorize_seller"} for row in table], dt.date(2024, 5, 20)),
    )


@pytest.mark.parametrize("question", ["register", "authorize_seller"])
def test_a_registration_at_the_calendar_s_end_waits_for_it_as_the_plain_path_says(
    question: str,
) -> None:
    # (said in a zone east of UTC, that instant is past the calendar: it stays in UTC)
    policy = Policy(zone="Asia/Tokyo")
    table = [
        {"registered_at": registered, "category": "Creator Management", "status": "approved"}
        for registered in ["9999-12-31T23:59:59Z", "9999-12-31", "9999-12-31T23:59:59.5+00:00"]
    ]
    answered = check_frame(
        pl.DataFrame(table), at=dt.date(2024, 5, 20), question=question, policy=policy
    )
    want = plain([{**row, "question": question} for row in table], dt.date(2024, 5, 20), policy)
    same_answers(answered, want)
    assert all(record["changes_at"] is not None for record in want)


@pytest.mark.parametrize("host_zone", ["Asia/Tokyo", "America/Anchorage"])
def test_answers_do_not_depend_on_the_host_s_zone(
    host_zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time  # noqa: PLC0415

    table = [
        {"registered_at": registered, "category": "Paid Media", "question": "register"}
        for registered in [
            "2024-04-30T23:30:00-07:00",
            "2024-05-01",
            "2024-04-30T12:00:00Z",
            # (texts whose wall-clock reading is far from their instant: a reading said in the
            # host's zone would sort them on the wrong side of the cut-off)
            "2024-04-29T10:00:00-21:30",
            "2024-04-30T23:30:00+17:00",
        ]
    ]
    days = pl.DataFrame(table[1:2]).with_columns(pl.col("registered_at").str.to_date())
    aware = pl.DataFrame(table[::2]).with_columns(
        pl.col("registered_at").str.to_datetime(time_zone="UTC")
    )
    monkeypatch.setenv("TZ", host_zone)
    time.tzset()
    try:
        at = dt.date(2024, 5, 20)
        same_answers(check_frame(pl.DataFrame(table), at=at), plain(table, at))
        same_answers(check_frame(days, at=at), plain(table[1:2], at))
        same_answers(check_frame(aware, at=at), plain(table[::2], at))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_approved_categories_of_python_objects_answer_as_the_plain_path() -> None:
    # (a pandas column of lists: items that are no names are refused as the plain path does)
    table = [
        {
            "registered_at": "2024-05-01",
            "category": "Paid Media",
            "question": "authorize_seller",
            "approved_categories": listed,
        }
        for listed in ([5], ["Paid Media", None], [" Paid Media "], ["paid_media"])
    ]
    answered = check_frame(pd.DataFrame(table), at=dt.date(2024, 5, 20))
    answers_only = pl.from_pandas(answered.drop(columns=["approved_categories"]))
    same_answers(answers_only, plain(table, dt.date(2024, 5, 20)))


def test_a_frame_of_the_users_own_columns_besides_is_answered() -> None:
    # (a name close to a column the frame has is the user's own: "markets" beside "market")
    frame = pl.DataFrame(
        {"category": ["Paid Media"], "market": ["US"], "markets": ["US;GB"], "note": ["x"]}
    )
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="authorize_seller")
    assert answered["reason"].to_list() == ["no_approved_application"]


def test_a_lazy_frame_s_schema_has_the_answer_columns() -> None:
    lazy = pl.DataFrame(
        {"registered_at": ["2024-05-02", "2024-01-10"], "category": ["Paid Media"] * 2}
    ).lazy()
    answered = check_frame(lazy, at=dt.date(2024, 5, 20), question="register")
    assert {"question", *ANSWER_FIELDS, "error"} <= set(answered.collect_schema())
    assert answered.filter(pl.col("allowed")).select("reason").collect()["reason"].to_list() == [
        "existing_partner"
    ]
    both = check_frame(lazy, at=dt.date(2024, 5, 20))
    counts = both.group_by("register_reason").len().collect()
    assert sorted(counts["register_reason"].to_list()) == [
        "existing_partner",
        "new_partner_discontinued",
    ]


def test_without_polars_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # (import polars then raises ImportError)
    with pytest.raises(ImportError) as caught:
        check_frame(pd.DataFrame({"category": ["Paid Media"]}), at=dt.date(2024, 5, 20))
    assert isinstance(caught.value, MissingExtra)
    assert "pip install 'partner-onboarding[polars]'" in str(caught.value)


def test_only_frames_are_taken() -> None:
    with pytest.raises(ValidationError) as caught:
        check_frame([{"category": "Paid Media"}], at=dt.date(2024, 5, 20))
    assert caught.value.fields == ("frame",)


def test_a_pandas_column_named_by_a_number_is_kept_once_and_as_it_was() -> None:
    frame = pd.DataFrame({"registered_at": ["2024-05-02"], "category": ["Paid Media"], 0: ["x"]})
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="register")
    assert list(answered.columns) == [
        "registered_at",
        "category",
        0,
        "question",
        *ANSWER_FIELDS,
        "error",
    ]
    assert answered[0].tolist() == ["x"]


def test_a_pandas_frame_with_a_repeated_column_is_refused_naming_it() -> None:
    frame = pd.DataFrame(
        [["2024-05-02", "Paid Media", "Shop Management"]],
        columns=["registered_at", "category", "category"],
    )
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20))
    assert [str(problem) for problem in caught.value.problems] == [
        "frame: the column 'category' appears twice"
    ]


def test_a_pandas_frame_with_columns_of_several_levels_is_refused() -> None:
    frame = pd.DataFrame(
        [["2024-05-02", "Paid Media"]],
        columns=pd.MultiIndex.from_tuples([("partner", "registered_at"), ("partner", "category")]),
    )
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20))
    assert [str(problem) for problem in caught.value.problems] == [
        "frame: its columns have 2 levels of names; flatten them to one first"
    ]
    flat = frame.droplevel(0, axis=1)
    assert check_frame(flat, at=dt.date(2024, 5, 20))["register_allowed"].tolist() == [False]


def test_records_with_a_late_bad_row_load_into_polars_as_documented() -> None:
    rows = [{"partner_id": "P", "registered_at": "2024-05-02", "category": "Paid Media"}]
    rows = rows * 150 + [
        {"partner_id": "B", "registered_at": "2024-05-02", "category": "Paid Medias"}
    ]
    records = check_rows(rows, at=dt.date(2024, 5, 20), on_error="record")
    frame = pl.DataFrame(records, infer_schema_length=None)
    assert frame["error"].drop_nulls().to_list() == [
        "category: unknown service category 'Paid Medias'; did you mean 'Paid Media'?"
    ]


# ------------------------------------------------------------------------------------------------
# The same answers as an expression in the user's own with_columns


@given(
    st.lists(rows(), min_size=1, max_size=30),
    st.sampled_from(AT_CHOICES),
    policies(),
    st.sampled_from(["register", "authorize_seller"]),
)
def test_the_expression_gives_the_plain_path_s_answers(
    table: list[dict[str, Any]], at: dt.date, policy: Any, question: str
) -> None:
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    got = frame.with_columns(answers(at=at, policy=policy, question=question)).unnest("answer")
    asked = [{**row, "question": question} for row in table]
    same_answers(got, plain(asked, at, policy))
    lazily = frame.lazy().select(answers(at=at, policy=policy, question=question)).collect()
    assert lazily.unnest("answer").equals(got.select(*ANSWER_FIELDS, "error"))


@given(st.lists(rows(), min_size=1, max_size=20), st.sampled_from(AT_CHOICES))
def test_the_expression_without_a_question_answers_both(
    table: list[dict[str, Any]], at: dt.date
) -> None:
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    got = frame.select(answers(at=at)).unnest("answer")
    want = check_frame(frame.drop("question"), at=at)
    assert got.equals(want.select(got.columns))
    assert got.columns[0] == "register_allowed"


def test_the_expression_refuses_a_bad_instant_or_question_when_built() -> None:
    with pytest.raises(ValidationError):
        answers(at=dt.datetime(2024, 5, 20))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        answers(at="2024-05-20", question="apply")


def test_an_empty_frame_gets_the_answer_columns_and_no_row() -> None:
    frame = pl.DataFrame({"registered_at": ["2024-05-01"], "category": ["Paid Media"]}).clear()
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="register")
    assert answered.columns == [*frame.columns, "question", *ANSWER_FIELDS, "error"]
    assert answered.height == 0


@given(st.lists(rows(), min_size=1, max_size=30), st.sampled_from(AT_CHOICES))
def test_rows_grouped_by_a_hash_are_proven_alike_before_they_share_an_answer(
    table: list[dict[str, Any]], at: dt.date
) -> None:
    """Were every row's hash the same (a collision), the grouping's proof fails and rows are
    grouped exactly: the answers stay the plain path's."""
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            pl.DataFrame, "hash_rows", lambda self, *a, **k: pl.repeat(7, self.height, eager=True)
        )
        answered = check_frame(frame, at=at)
    same_answers(answered, plain(table, at))


def test_a_remembered_reading_is_raised_without_the_frames_of_earlier_raises() -> None:
    # (the command line's columnar path keeps one memo for a whole file: a bad cell raised again
    # for each piece must not keep every earlier raise's frames)
    facts = RowReader(DEFAULT_POLICY, dt.date(2024, 5, 20))
    memo = Memo(facts, one_question=False)
    depths = []
    for _ in range(50):
        with pytest.raises(ValidationError) as caught:
            memo.read("category", "Paid Medias", facts.category)
        depths.append(len(traceback.extract_tb(caught.value.__traceback__)))
    assert max(depths) == min(depths)


def test_a_memo_remembers_a_bounded_number_of_refusals() -> None:
    facts = RowReader(DEFAULT_POLICY, dt.date(2024, 5, 20))
    memo = Memo(facts, one_question=False)
    for n in range(REMEMBERED_REFUSALS + 50):
        plan = memo.plan_of({"category": f"Paid Media {n:x}"})
        assert plan.error is not None
    assert memo.plan_of({"category": "Paid Media"}).error is None  # (good ones, always)
    refusals = [found for found in memo.seen.values() if found[1] is not None]
    assert len(refusals) + sum(p.error is not None for p in memo.plans.values()) <= (
        REMEMBERED_REFUSALS
    )
    assert ("category", (str, "Paid Media")) in memo.seen  # (a good reading, beyond them)


@pytest.mark.parametrize("question", [None, "register"])
def test_pandas_answers_have_nullable_types_and_list_cells(question: str | None) -> None:
    frame = pd.DataFrame(
        {"registered_at": ["2024-05-02", "garbage", "2024-01-10"], "category": ["Paid Media"] * 3}
    )
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question=question)
    prefix = "" if question else "register_"
    assert str(answered[f"{prefix}allowed"].dtype) == "boolean"
    assert str(answered["error"].dtype) == "string"
    # (a row with an error is NA: a boolean mask treats it as False, never raises)
    assert answered[answered[f"{prefix}allowed"]].index.tolist() == [2]
    codes = answered[f"{prefix}reason_codes"].tolist()
    assert codes[0] == ["new_partner_discontinued"]
    assert codes[2] == ["existing_partner"]
    assert type(codes[0]) is list
    assert pd.isna(codes[1])  # (a row with an error: NA, as in every nullable column)
    assert all(type(cell) is list for cell in (codes[0], codes[2]))


def _plain_answer(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[name] for name in ("allowed", "reason_codes", "message", "changes_at"))


@given(st.lists(rows(), min_size=1, max_size=20), st.sampled_from(AT_CHOICES), policies())
def test_diff_lists_exactly_the_rows_whose_plain_answers_differ(
    table: list[dict[str, Any]], at: dt.date, other: Any
) -> None:
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    found = diff(frame, at=at, policy=DEFAULT_POLICY, other=other)
    before, after = plain(table, at), plain(table, at, other)
    differing = [
        row
        for row, (one, two) in enumerate(zip(before, after, strict=True))
        if one["error"] != two["error"] or _plain_answer(one) != _plain_answer(two)
    ]
    assert len(found) == len(differing)
    own = [name for name in frame.columns if name not in {"category", "market", "question"}]
    assert found.select(own).rows() == frame[differing].select(own).rows()
    for got, row in zip(found.iter_rows(named=True), differing, strict=True):
        if before[row]["error"] is None:  # (spelled as check_rows writes them)
            assert (got["category"], got["market"]) == (
                before[row]["category"],
                before[row]["market"],
            )
        assert got["before_error"] == before[row]["error"]
        assert got["after_error"] == after[row]["error"]
        if after[row]["error"] is None:
            same_answer(got, after[row], "after_")


@pytest.mark.parametrize("kind", ["pandas", "lazy"])
def test_diff_keeps_the_frame_s_kind(kind: str) -> None:
    later = Policy.from_data(
        {
            "upgrade_date": "2024-04-30",
            "authorization_cutoff": "2024-07-01",
        }
    )
    table = pl.DataFrame(
        {
            "registered_at": ["2024-01-10", "2024-01-10"],
            "category": ["Paid Media", "Shop Management"],
            "status": ["approved", "approved"],
        }
    )
    if kind == "pandas":
        frame = table.to_pandas().set_index(pd.Index([10, 20]))
        found = diff(
            frame,
            at=dt.date(2024, 6, 10),
            policy=DEFAULT_POLICY,
            other=later,
            question="authorize_seller",
        )
        assert found.index.tolist() == [10]
        assert list(found["after_allowed"]) == [True]
        assert str(found["after_allowed"].dtype) == "boolean"
    else:
        found = diff(table.lazy(), at=dt.date(2024, 6, 10), policy=DEFAULT_POLICY, other=later)
        assert isinstance(found, pl.LazyFrame)
        assert found.collect()["category"].to_list() == ["Paid Media"]


# --------------------------------------------------------------------------------------------------
# Every engine: pandas, lazy Polars, PyArrow, DuckDB and Dask frames answered as the plain path
# answers (eager Polars: the properties above)


def _via_pandas(frame: pl.DataFrame, at: dt.date, policy: Any) -> pl.DataFrame:
    found = check_frame(frame.to_pandas(), at=at, policy=policy)
    assert isinstance(found, pd.DataFrame)
    return pl.from_pandas(found)


def _via_lazy(frame: pl.DataFrame, at: dt.date, policy: Any) -> pl.DataFrame:
    found = check_frame(frame.lazy(), at=at, policy=policy)
    assert isinstance(found, pl.LazyFrame)
    answered: pl.DataFrame = found.collect()
    return answered


def _via_arrow(frame: pl.DataFrame, at: dt.date, policy: Any) -> pl.DataFrame:
    found = check_frame(frame.to_arrow(), at=at, policy=policy)
    assert type(found).__name__ == "Table"
    answered = pl.from_arrow(found)
    assert isinstance(answered, pl.DataFrame)
    return answered


def _via_duckdb(frame: pl.DataFrame, at: dt.date, policy: Any) -> pl.DataFrame:
    import duckdb  # noqa: PLC0415

    relation = duckdb.from_arrow(frame.to_arrow())
    found = check_frame(relation, at=at, policy=policy)
    assert isinstance(found, duckdb.DuckDBPyRelation)
    answered: pl.DataFrame = found.pl()
    return answered


def _via_dask(frame: pl.DataFrame, at: dt.date, policy: Any) -> pl.DataFrame:
    import dask.dataframe as dd  # noqa: PLC0415

    partitioned = dd.from_pandas(frame.to_pandas(), npartitions=2)  # type: ignore[no-untyped-call]
    lazy = check_frame(partitioned, at=at, policy=policy)
    answered = lazy.compute()  # (nothing was computed before: a Dask frame stays lazy)
    answered["reason_codes"] = [
        c if isinstance(c, list) else None for c in answered["reason_codes"]
    ]
    return pl.from_pandas(answered)


@pytest.mark.parametrize("engine", [_via_pandas, _via_lazy, _via_arrow, _via_duckdb, _via_dask])
@settings(max_examples=15, deadline=None)
@given(st.lists(rows(), min_size=1, max_size=20), st.sampled_from(AT_CHOICES), policies())
def test_every_engine_agrees_with_the_plain_path(
    engine: Any, table: list[dict[str, Any]], at: dt.date, policy: Any
) -> None:
    frame = pl.DataFrame(table, schema=dict.fromkeys(table[0], pl.String))
    found = engine(frame, at, policy)
    same_answers(found, plain(table, at, policy))
    assert (
        found["category"].to_list()
        == check_frame(frame, at=at, policy=policy)["category"].to_list()
    )


def test_a_frame_of_no_engine_is_refused_naming_the_engines() -> None:
    with pytest.raises(ValidationError) as caught:
        check_frame([{"category": "Paid Media"}], at=dt.date(2024, 5, 20))
    assert "a PyArrow Table or a DuckDB relation" in str(caught.value)


@given(
    st.sampled_from(
        ["America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe", "Africa/Monrovia", "UTC"]
    ),
    st.lists(
        st.datetimes(
            dt.datetime(1850, 1, 1),  # noqa: DTZ001  (Hypothesis bounds are naive)
            dt.datetime(2100, 1, 1),  # noqa: DTZ001
            timezones=st.just(dt.UTC),
        ),
        min_size=1,
        max_size=30,
    ),
)
# (an offset that changes on the half hour, within an hour in UTC; the years the native way ends)
@example("Australia/Lord_Howe", [dt.datetime(2024, 10, 5, 15, m, tzinfo=dt.UTC) for m in (15, 45)])
@example("Asia/Kolkata", [dt.datetime(1942, 5, 14, 18, 45, tzinfo=dt.UTC)])
@example("UTC", [dt.datetime(y, 1, 1, tzinfo=dt.UTC) for y in (1899, 1900, 9000, 9001, 9999)])
def test_instants_said_in_the_policy_s_zone_natively_are_said_as_python_says_them(
    zone: str, instants: list[dt.datetime]
) -> None:
    facts = RowReader(Policy(zone=zone), dt.date(2024, 5, 20))
    said = isoformat_in_zone(pl.Series(instants, dtype=pl.Datetime("us", "UTC")), facts)
    for instant, text in zip(instants, said.to_list(), strict=True):
        hour = instant.replace(minute=0, second=0, microsecond=0)
        ends = (hour, hour + dt.timedelta(hours=1, microseconds=-1))
        steady = len({facts.rules.when(end).utcoffset() for end in ends}) == 1
        if 1900 <= instant.year <= 9000 and steady:
            assert text == facts.rules.when(instant).isoformat(), instant
        else:
            assert text is None, instant  # (the caller says it the plain way)


# --------------------------------------------------------------------------------------------------
# Each refusal word for word, and the paths each argument takes


@pytest.mark.parametrize("feature", ["check_frame", "diff"])
def test_without_polars_each_entry_names_itself_and_the_extra(
    feature: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pd.DataFrame({"category": ["Paid Media"]})
    monkeypatch.setitem(sys.modules, "polars", None)  # (import polars then raises ImportError)
    entries: dict[str, Callable[[], Any]] = {
        "diff": lambda: diff(
            frame, at=dt.date(2024, 5, 20), policy=DEFAULT_POLICY, other=DEFAULT_POLICY
        ),
        "check_frame": lambda: check_frame(frame, at=dt.date(2024, 5, 20)),
    }
    with pytest.raises(MissingExtra) as caught:
        entries[feature]()
    assert str(caught.value) == (
        f"{feature} needs the 'polars' extra: pip install 'partner-onboarding[polars]'"
    )


@pytest.mark.parametrize("missing", ["polars", "pyspark.sql.pandas.types"])
def test_without_its_extras_check_spark_names_itself_and_the_extra(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partner_onboarding.spark import check_spark  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, missing, None)  # (importing it then raises ImportError)
    frame: Any = object()  # (never read: the extras are looked for first)
    with pytest.raises(MissingExtra) as caught:
        check_spark(frame, at=dt.date(2024, 5, 20))
    assert str(caught.value) == (
        "check_spark needs the 'spark' extra: pip install 'partner-onboarding[spark]'"
    )


class Table:
    """Neither PyArrow's table nor a DuckDB relation nor a Dask frame, though it looks like each."""

    def arrow(self) -> None:
        raise AssertionError("not read")

    def map_partitions(self, *_: object, **__: object) -> None:
        raise AssertionError("not read")


@pytest.mark.parametrize("frame", [[{"category": "Paid Media"}], Table()], ids=["list", "fake"])
def test_what_is_no_frame_is_refused_word_for_word(frame: object) -> None:
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20))
    assert str(caught.value) == (
        "invalid value: 1 problem\n  - frame: must be a Polars, pandas or Dask DataFrame, a "
        "Polars LazyFrame, a PyArrow Table or a DuckDB relation"
    )
    with pytest.raises(ValidationError) as caught:
        diff(frame, at=dt.date(2024, 5, 20), policy=DEFAULT_POLICY, other=DEFAULT_POLICY)
    assert str(caught.value) == (
        "invalid diff: 1 problem\n  - frame: must be a Polars or pandas DataFrame, or a Polars "
        "LazyFrame"
    )


def test_diff_s_other_policy_and_check_frame_s_question_are_refused_word_for_word() -> None:
    frame = pl.DataFrame({"registered_at": ["2024-05-02"], "category": ["Paid Media"]})
    with pytest.raises(WrongType) as wrong:
        diff(frame, at=dt.date(2024, 5, 20), policy=DEFAULT_POLICY, other=None)  # type: ignore[arg-type]
    assert str(wrong.value) == "invalid diff: 1 problem\n  - other: must be a Policy"
    with pytest.raises(ValidationError) as caught:
        check_frame(frame, at=dt.date(2024, 5, 20), question="regster")
    assert str(caught.value) == (
        "invalid value: 1 problem\n  - question: 'regster' is not one of register, "
        "authorize_seller; did you mean 'register'?"
    )


@pytest.mark.parametrize("kind", ["polars", "pandas", "lazy"])
def test_a_wall_clock_time_the_zone_skips_is_refused_word_for_word(kind: str) -> None:
    wall = dt.datetime(2024, 3, 10, 2, 30)  # noqa: DTZ001
    frame: Any = pl.DataFrame({"registered_at": [wall], "category": ["Paid Media"]})
    frame = {"polars": frame, "pandas": frame.to_pandas(), "lazy": frame.lazy()}[kind]

    def answer() -> Any:
        answered = check_frame(frame, at=dt.date(2024, 5, 20), assume_zone="America/Los_Angeles")
        return answered.collect() if kind == "lazy" else answered

    with pytest.raises(ValidationError) as caught:
        answer()
    assert str(caught.value) == (
        "invalid frame: 1 problem\n  - registered_at: holds a wall-clock time that "
        "America/Los_Angeles skips or repeats (a daylight-saving change): it names no single "
        "instant; convert those cells yourself"
    )


@pytest.mark.parametrize("kind", ["polars", "pandas", "lazy", "arrow", "duckdb", "dask"])
def test_every_engine_reads_naive_timestamps_in_the_zone_assumed(kind: str) -> None:
    import dask.dataframe as dd  # noqa: PLC0415
    import duckdb  # noqa: PLC0415

    table = pl.DataFrame({"registered_at": NAIVE, "category": ["Paid Media"] * 2})
    makers: dict[str, Callable[[], Any]] = {
        "polars": lambda: table,
        "pandas": table.to_pandas,
        "lazy": table.lazy,
        "arrow": table.to_arrow,
        "duckdb": lambda: duckdb.from_arrow(table.to_arrow()),
        "dask": lambda: dd.from_pandas(table.to_pandas(), npartitions=1),  # type: ignore[no-untyped-call]
    }
    frame = makers[kind]()
    answered = check_frame(
        frame, at=dt.date(2024, 5, 20), question="register", assume_zone="America/Los_Angeles"
    )
    result = answered.pl() if kind == "duckdb" else answered
    if kind == "lazy":
        result = answered.collect()
    elif kind == "dask":
        result = pl.from_pandas(answered.compute())
    elif kind == "arrow":
        result = pl.from_arrow(answered)
    assert list(result["reason"]) == ["existing_partner", "new_partner_discontinued"]
    assert list(result["registered_at"]) == NAIVE  # (the input's column, as it was)


def test_assume_zone_leaves_text_and_aware_registrations_as_they_are() -> None:
    text = pl.DataFrame(
        {
            "registered_at": ["2024-04-30T06:59:59.999999Z", "2024-04-30T07:00:00Z"],
            "category": ["Paid Media"] * 2,
        }
    )
    aware = text.with_columns(pl.col("registered_at").str.to_datetime(time_zone="UTC"))
    expected = check_frame(text, at=dt.date(2024, 5, 20), question="register")
    for frame in (text, aware, text.to_pandas(), aware.to_pandas()):
        answered = check_frame(
            frame, at=dt.date(2024, 5, 20), question="register", assume_zone="Asia/Tokyo"
        )
        assert list(answered["reason"]) == expected["reason"].to_list()


@pytest.mark.parametrize("kind", ["polars", "pandas", "lazy"])
def test_authorize_seller_alone_needs_no_registration_column_on_every_path(kind: str) -> None:
    frame: Any = pl.DataFrame({"category": ["Paid Media"], "market": ["US"]})
    frame = {"polars": frame, "pandas": frame.to_pandas(), "lazy": frame.lazy()}[kind]
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="authorize_seller")
    if kind == "lazy":
        answered = answered.collect()
    assert list(answered["reason"]) == ["no_approved_application"]


def test_diff_reads_naive_timestamps_in_the_zone_assumed_and_lists_only_answers() -> None:
    later = Policy(rules=upgrade_rules(upgrade_date=dt.date(2024, 4, 29)))
    frame = pl.DataFrame({"registered_at": NAIVE, "category": ["Paid Media"] * 2})
    found = diff(
        frame,
        at=dt.date(2024, 5, 20),
        policy=DEFAULT_POLICY,
        other=later,
        question="register",
        assume_zone="America/Los_Angeles",
    )
    assert found.columns == [
        "registered_at",
        "category",
        "question",
        *[f"before_{name}" for name in (*ANSWER_FIELDS, "error")],
        *[f"after_{name}" for name in (*ANSWER_FIELDS, "error")],
    ]
    # (the first row registered before DEFAULT_POLICY's upgrade, not before the earlier one; the
    # second after both, its message naming another day)
    assert found["registered_at"].to_list() == NAIVE
    assert found["before_reason"].to_list() == ["existing_partner", "new_partner_discontinued"]
    assert found["after_reason"].to_list() == ["new_partner_discontinued"] * 2


def test_the_market_and_question_are_spelled_as_check_rows_writes_them() -> None:
    frame = pl.DataFrame(
        {
            "registered_at": ["2024-01-10", "2024-01-10", "not a date"],
            "category": ["Paid Media", "paid media", "paid media"],
            "market": ["us", "US", "us"],
            "question": ["REGISTER", "register", "Register"],
        }
    )
    at = dt.date(2024, 5, 20)
    rows = frame.to_dicts()
    for each in (frame, frame.with_columns(pl.col("category").cast(pl.Categorical))):
        answered = check_frame(each, at=at)
        own = "category" if each.schema["category"] == pl.String else None
        for got, record in zip(answered.iter_rows(named=True), plain(rows, at), strict=True):
            if record["error"] is not None:
                continue  # (a row in error keeps its own cells: below)
            for name in ("category", "market", "question"):
                if name != own and name == "category":
                    continue  # (a column of another type is the user's own)
                assert got[name] == record[name]
    # (a column already spelled so is left as it is, and the next ones are still spelled)
    spelled = check_frame(frame.with_columns(category=pl.lit("Paid Media")), at=at)
    assert spelled["market"].to_list() == ["US", "US", "us"]
    assert spelled["question"].to_list() == ["register", "register", "Register"]
    # (the row in error keeps its own cells)
    assert answered.row(2, named=True)["market"] == "us"
    assert answered.row(2, named=True)["question"] == "Register"


def test_answers_for_one_question_need_no_question_column_and_declare_their_type() -> None:
    frame = pl.DataFrame({"registered_at": ["2024-05-02"], "category": ["Paid Media"]})
    expression = answers(at="2024-05-20", question="register")
    lazy = frame.lazy().with_columns(expression)
    declared = lazy.collect_schema()["answer"]
    got = lazy.collect()
    assert got.schema["answer"] == declared
    assert got.unnest("answer")["reason"].to_list() == ["new_partner_discontinued"]


def test_a_pandas_column_arrow_cannot_hold_is_kept_and_the_others_are_answered() -> None:
    # (a column of complex numbers: Polars has no such type, so the one-call conversion fails)
    frame = pd.DataFrame(
        {"registered_at": ["2024-05-02"], "category": ["Paid Media"], "z": [1 + 2j]}
    )
    answered = check_frame(frame, at=dt.date(2024, 5, 20), question="register")
    assert answered["z"].tolist() == [1 + 2j]
    assert answered["reason"].tolist() == ["new_partner_discontinued"]
    assert str(answered["registered_at"].dtype) == str(frame["registered_at"].dtype)
