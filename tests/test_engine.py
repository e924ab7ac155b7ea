"""The bulk engine's memories: each distinct cell understood once, each memory bounded.

A bulk reading costs a reading a distinct value, not a reading a row; and what it remembers is
bounded whatever the input. Both are what make a file of millions of rows fast and small, and
neither shows in an answer: these tests watch the readings themselves.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterator
from typing import Any, Final

import iso3166
import polars as pl
import pytest

from partner_onboarding import DEFAULT_POLICY, Question, ValidationError
from partner_onboarding import catalog as catalog_module
from partner_onboarding import engine as engine_module
from partner_onboarding.batch import check_rows, decide_row
from partner_onboarding.catalog import Catalog
from partner_onboarding.engine import (
    REMEMBERED_REFUSALS,
    REMEMBERED_VALUES,
    REMEMBERED_ZONES,
    Memo,
    RowReader,
)
from partner_onboarding.frames import check_frame
from partner_onboarding.policy import CompiledPolicy

AT: Final = dt.datetime(2024, 5, 20, 12, tzinfo=dt.UTC)


def _spellings(word: str) -> Iterator[str]:
    """Distinct spellings that read as ``word``: each mix of cases, with up to 255 spaces
    before and after."""
    cases = [
        "".join(letters) for letters in itertools.product(*({c.lower(), c.upper()} for c in word))
    ]
    for before, after in itertools.product(range(256), repeat=2):
        for spelled in cases:
            yield f"{' ' * before}{spelled}{' ' * after}"


#: The bound the memories are filled to here: the real one, :data:`REMEMBERED_VALUES`, read as
#: every memory reads it, made small so that filling it is quick.
_BOUND: Final = 100


@pytest.fixture
def bound(monkeypatch: pytest.MonkeyPatch) -> int:
    assert REMEMBERED_VALUES == 65_536  # (what the docs say)
    monkeypatch.setattr(engine_module, "REMEMBERED_VALUES", _BOUND)
    return _BOUND


def _fill(read: Callable[[Any], object], values: Iterator[Any]) -> None:
    for value in itertools.islice(values, _BOUND + 3):
        read(value)


def test_each_memory_of_a_reader_fills_to_its_bound_and_no_further(bound: int) -> None:
    facts = RowReader(DEFAULT_POLICY, AT)
    registrations = (f"2024-05-02T00:00:00.{n:06d}Z" for n in itertools.count())
    for raw in itertools.islice(registrations, bound + 3):
        facts.position(raw)
        facts.registration(raw)
    assert len(facts.positions) == len(facts.instants) == bound

    _fill(facts.hour_offset, (AT + dt.timedelta(hours=n) for n in itertools.count()))
    assert len(facts.hours) == bound

    category = DEFAULT_POLICY.catalog.category("Paid Media")
    _fill(lambda raw: facts.approved({"status": raw}, category), _spellings("approved"))
    assert len(facts.statuses) == bound
    listed = _spellings("paid media")
    _fill(lambda raw: facts.approved({"approved_categories": raw}, category), listed)
    assert len(facts.approved_lists) == bound

    _fill(facts.plan, (("Paid Media", market, "register", None) for market in _spellings("gb")))
    assert len(facts.plans) == bound

    # (the answers of each distinct category, registration market and question: one list of
    # answers a position, whatever the spelling of the cells that ask)
    markets = sorted(iso3166.countries_by_alpha2)
    _fill(lambda code: facts.answers(Question.REGISTER, category, code), iter(markets))
    assert len(facts.answered) == bound

    zones = (dt.timezone(dt.timedelta(minutes=minutes)) for minutes in itertools.count())
    for zone in itertools.islice(zones, REMEMBERED_ZONES + 3):
        facts.place(AT.astimezone(zone))
    assert len(facts.zoned_bounds) == REMEMBERED_ZONES
    for held, bounds in facts.zoned_bounds.items():  # (each zone's bounds, said in that zone)
        assert bounds == facts.bounds
        assert {bound.tzinfo for bound in bounds} == {held}


def test_a_memo_fills_to_its_bound_and_no_further(bound: int) -> None:
    memo = Memo(RowReader(DEFAULT_POLICY, AT), one_question=False)
    _fill(lambda raw: memo.plan_of({"category": raw}), _spellings("paid media"))
    assert len(memo.plans) == bound
    assert len(memo.seen) == bound
    assert memo.refused == 0  # (good readings take no place of a refusal's)


def test_a_memo_remembers_as_many_refusals_as_it_says_and_no_more() -> None:
    memo = Memo(RowReader(DEFAULT_POLICY, AT), one_question=False)
    for n in range(REMEMBERED_REFUSALS + 3):
        assert memo.plan_of({"category": "Paid Media", "market": f"#{n}"}).error is not None
    refusals = [found for found in memo.seen.values() if found[1] is not None]
    plans = [plan for plan in memo.plans.values() if plan.error is not None]
    # (a plan's refusal and the reading's refusal each take a place: half of the places each)
    assert len(refusals) + len(plans) == REMEMBERED_REFUSALS
    assert memo.refused == 2 * (REMEMBERED_REFUSALS + 3)  # (each row's reading, and its plan)


def test_a_refusal_is_remembered_the_second_time_its_cell_comes_and_at_most_so_many() -> None:
    facts = RowReader(DEFAULT_POLICY, AT)
    refusals = facts.refused_cells
    with pytest.raises(ValidationError) as first:
        facts.position("2024-13-01")
    assert refusals.known == {}  # (once: a file of distinct mistakes keeps no copy of each)
    assert refusals.once == {"2024-13-01"}
    with pytest.raises(ValidationError) as second:
        facts.position("2024-13-01")
    kept = refusals.known["2024-13-01"]
    assert isinstance(kept, ValidationError)
    assert str(kept) == str(first.value) == str(second.value)
    with pytest.raises(ValidationError) as third:
        facts.position("2024-13-01")
    assert third.value is kept  # (the remembered refusal, raised again)

    for n in range(REMEMBERED_REFUSALS + 3):
        for _ in range(2):
            with pytest.raises(ValidationError):
                facts.position(f"2024-13-01 {n}")
    assert len(refusals.known) == REMEMBERED_REFUSALS
    assert len(refusals.once) == REMEMBERED_REFUSALS


def test_refusals_seen_once_are_bounded_too() -> None:
    facts = RowReader(DEFAULT_POLICY, AT)
    for n in range(REMEMBERED_REFUSALS + 3):
        with pytest.raises(ValidationError):
            facts.position(f"2024-13-01 {n}")
    assert len(facts.refused_cells.once) == REMEMBERED_REFUSALS
    assert facts.refused_cells.known == {}


@pytest.mark.parametrize(("length", "kept"), [(256, True), (257, False)])
def test_a_refused_cell_is_remembered_up_to_256_characters(length: int, kept: bool) -> None:
    facts = RowReader(DEFAULT_POLICY, AT)
    cell = "2024-13-01".ljust(length, "x")
    for _ in range(2):
        with pytest.raises(ValidationError):
            facts.position(cell)
    assert (cell in facts.refused_cells.known) is kept


class _Readings:
    """Counts the readings of the policy's judge, its instants and its zone, the catalog's
    look-ups and the statuses parsed."""

    WATCHED: Final = {
        CompiledPolicy: ("instant", "when", "verdict"),
        Catalog: ("find", "category", "unknown"),
    }

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        for owner, names in self.WATCHED.items():
            for name in names:
                monkeypatch.setattr(owner, name, self._counting(name, getattr(owner, name)))
        # (the engine's own name for the catalog's parser, which it calls for each status)
        counted = self._counting("parse_member", catalog_module.parse_member)
        monkeypatch.setattr(engine_module, "parse_member", counted)

    def _counting(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def counted(*args: Any, **kwargs: Any) -> Any:
            # (parse_member, by what it parses: a status, a question)
            self.calls[f"{name} {args[0].__name__}" if name == "parse_member" else name] += 1
            return original(*args, **kwargs)

        return counted

    def snapshot(self) -> dict[str, int]:
        return dict(self.calls)


_ROWS: Final = [
    {"registered_at": registered, "category": "Paid Media", **facts}
    for registered in ("2024-05-02", "2023-01-10T09:00:00-08:00", "2024-06-30T00:00:00Z")
    for facts in (
        {"status": "Approved"},
        {"status": "Pending Review"},
        {"approved_categories": "Paid Media;Shop Management"},
        {"approved_categories": ("Shop Management",)},
    )
]


_QUESTIONS: Final = ("register", "authorize_seller")


def test_decide_row_understands_each_distinct_cell_once(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = _Readings(monkeypatch)
    at = AT.replace(microsecond=424_242)  # (a reader of its own: none kept from another test)
    first = [decide_row(row, question, at=at) for row in _ROWS for question in _QUESTIONS]
    after_first = readings.snapshot()
    assert after_first["verdict"] > 0
    assert after_first["parse_member ReviewStatus"] > 0
    for _ in range(2):
        again = [decide_row(row, question, at=at) for row in _ROWS for question in _QUESTIONS]
        assert again == first
    # (each call reads its own instant asked, question and category: a look-up each; nothing
    # else is read again)
    calls = len(_ROWS) * len(_QUESTIONS) * 2
    assert readings.snapshot() == {
        **after_first,
        "instant": after_first["instant"] + calls,
        "parse_member Question": after_first["parse_member Question"] + calls,
        "find": after_first["find"] + calls,
    }


def test_a_row_registered_later_reads_its_registration_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = _Readings(monkeypatch)
    at = dt.datetime(2023, 5, 20, 0, 0, 0, 424_243, tzinfo=dt.UTC)
    row = {"registered_at": "2023-06-30T00:00:00Z", "category": "Paid Media"}
    first = decide_row(row, "register", at=at)
    assert first.changes_at == dt.datetime(2023, 6, 30, tzinfo=dt.UTC)
    after_first = readings.snapshot()
    for _ in range(3):
        assert decide_row(row, "register", at=at) == first
    assert readings.calls["when"] == after_first["when"]


def test_check_rows_understands_each_distinct_combination_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = _Readings(monkeypatch)
    rows = [{**row, "partner_id": f"P{n}"} for n, row in enumerate(_ROWS * 20)]
    check_rows(rows[: len(_ROWS)], at=AT)
    once = readings.snapshot()
    assert once["find"] > 0
    check_rows(rows, at=AT)  # (a reading of its own: the same cells, read once again)
    assert readings.snapshot() == {name: 2 * count for name, count in once.items()}


def test_a_bad_cell_repeated_searches_its_suggestions_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = _Readings(monkeypatch)
    rows = [{"partner_id": "P", "registered_at": "2024-05-02", "category": "Paid Medias"}] * 50
    records = check_rows(rows, at=AT, on_error="record")
    assert {record["error"] for record in records} == {
        "category: unknown service category 'Paid Medias'; did you mean 'Paid Media'?"
    }
    assert readings.calls["unknown"] == 2  # (the second time it comes, it is remembered)
    key = ("Paid Medias", None, None, None)
    facts = RowReader(DEFAULT_POLICY, AT)
    for _ in range(2):
        with pytest.raises(ValidationError):
            facts.plan(key)
    kept = facts.refused_plans.known[key]
    with pytest.raises(ValidationError) as again:
        facts.plan(key)
    assert again.value is kept


def test_a_memo_gives_the_same_plan_for_the_same_cells() -> None:
    memo = Memo(RowReader(DEFAULT_POLICY, AT), one_question=False)
    row = {"category": "Paid Media", "market": "GB", "registered_at": "2024-05-02"}
    plan = memo.plan_of(row)
    assert memo.plan_of(dict(row)) is plan
    assert memo.plan_of({**row, "market": "gb"}) is not plan  # (each spelling its own)


def _plain_readings(monkeypatch: pytest.MonkeyPatch, name: str) -> collections.Counter[str]:
    """Counts the registration cells read the plain way: by ``name``, :meth:`RowReader.position`
    (where a registration is) or :meth:`RowReader.registration` (its instant, for an answer that
    changes then)."""
    read: collections.Counter[str] = collections.Counter()
    method = getattr(RowReader, name)

    def counted(self: RowReader, raw: object) -> Any:
        read[repr(raw)] += 1
        return method(self, raw)

    monkeypatch.setattr(RowReader, name, counted)
    return read


_DAYS: Final = [dt.date(2024, 4, 29), dt.date(2024, 4, 30), dt.date(2024, 6, 10), None]
_INSTANTS: Final = [
    dt.datetime(2024, 4, 30, 6, 59, 59, 999_999, tzinfo=dt.UTC),
    dt.datetime(2024, 4, 30, 7, tzinfo=dt.UTC),
    dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
    None,
]
_TEXTS: Final = [
    "2024-04-29",
    "20240430",
    "2024-04-29T23:59:59.999999-07:00",  # (within a day of a bound: parsed natively)
    "2024-04-30T07:00:00Z",
    "2023-01-01T00:00:00+05:30",  # (far from every bound: decided by its text)
    None,
]


#: The registration columns of a native type (built in the tests, not when they are collected).
_KINDS: Final = (
    "dates",
    "instants in UTC",
    "instants in New York, ns",
    "instants in Kolkata, ms",
    "texts",
)


def _native_frames() -> dict[str, Any]:
    instants = pl.Series(_INSTANTS, dtype=pl.Datetime("us", "UTC"))
    return {
        "dates": pl.Series(_DAYS, dtype=pl.Date),
        "instants in UTC": instants,
        "instants in New York, ns": instants.cast(pl.Datetime("ns", "UTC")).dt.convert_time_zone(
            "America/New_York"
        ),
        "instants in Kolkata, ms": instants.cast(pl.Datetime("ms", "UTC")).dt.convert_time_zone(
            "Asia/Kolkata"
        ),
        "texts": pl.Series(_TEXTS, dtype=pl.String),
    }


@pytest.mark.parametrize("kind", _KINDS)
def test_a_registration_column_of_a_native_type_is_read_natively(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = _native_frames()
    assert tuple(frames) == _KINDS
    column = frames[kind]
    frame = pl.DataFrame({"partner_id": [f"P{n}" for n in range(len(column))]}).with_columns(
        column.alias("registered_at"), category=pl.lit("Paid Media"), status=pl.lit("Approved")
    )
    plainly = check_rows(frame.to_dicts(), at=AT, on_error="record")
    read = _plain_readings(monkeypatch, "position")
    answered = check_frame(frame, at=AT)
    assert read == {}  # (not one cell read the plain way)
    assert answered["register_allowed"].to_list() == [
        record["allowed"] for record in plainly if record["question"] != "authorize_seller"
    ]  # (the last row's, an error: its registration is required)
    odd = frame.with_columns(pl.col("registered_at").cast(pl.String).str.replace("-", "/"))
    check_frame(odd.head(1), at=AT)  # (a cell of another shape goes the plain way)
    assert sum(read.values()) == 1


@pytest.mark.parametrize("kind", _KINDS)
def test_the_instants_of_partners_not_registered_yet_are_read_natively(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (asked before every registration: each answer that is allowed at the registration changes
    # then, and its instant is written; only a day, which is no instant, is read the plain way)
    at = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    column = _native_frames()[kind]
    frame = pl.DataFrame({"partner_id": [f"P{n}" for n in range(len(column))]}).with_columns(
        column.alias("registered_at"), category=pl.lit("Paid Media")
    )
    plainly = check_rows(frame.to_dicts(), at=at, on_error="record")
    read = _plain_readings(monkeypatch, "registration")
    answered = check_frame(frame, at=at)
    expected = [r["changes_at"] for r in plainly if r["question"] != "authorize_seller"]
    assert answered["register_changes_at"].to_list() == expected
    waiting = [cell for cell, then in zip(column.to_list(), expected, strict=True) if then]
    assert waiting
    days = {repr(cell) for cell in waiting if "T" not in str(cell)}
    assert set(read) == (days if kind in {"dates", "texts"} else set())


def test_a_blank_registration_asked_only_of_a_seller_authorisation_is_long_ago() -> None:
    # (a blank cell the native readers leave to the plain way, asked before every bound of the
    # rulebook: position 0, a partner registered long ago, never one not registered yet)
    at = dt.date(2020, 1, 1)
    frame = pl.DataFrame(
        {"partner_id": ["P1", "P2"], "registered_at": ["  ", None], "category": ["Paid Media"] * 2}
    ).with_columns(status=pl.lit("Approved"))
    answered = check_frame(frame, at=at, question="authorize_seller")
    rows = frame.with_columns(question=pl.lit("authorize_seller")).to_dicts()
    plainly = check_rows(rows, at=at)
    assert answered["reason"].to_list() == [record["reason"] for record in plainly]
    assert answered["reason"].to_list() == ["approved_application"] * 2


def test_an_error_is_written_as_its_problems_or_its_own_words() -> None:
    from partner_onboarding.engine import error_text  # noqa: PLC0415
    from partner_onboarding.errors import Problem, UnknownCategory  # noqa: PLC0415

    two = ValidationError([Problem("category", "is required"), Problem("market", "is blank")])
    assert error_text(two) == "category: is required; market: is blank"
    unknown = UnknownCategory("Paid Medias", ["Paid Media"])
    assert (
        error_text(unknown) == "unknown service category 'Paid Medias'; did you mean 'Paid Media'?"
    )


def test_each_hour_s_offset_is_read_from_the_zone_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from partner_onboarding.engine import isoformat_in_zone  # noqa: PLC0415

    readings = _Readings(monkeypatch)
    facts = RowReader(DEFAULT_POLICY, AT)
    start = dt.datetime(2024, 3, 9, tzinfo=dt.UTC)  # (a day before the change to summer time)
    instants = [start + dt.timedelta(minutes=13 * n) for n in range(500)]
    column = pl.Series(instants, dtype=pl.Datetime("us", "UTC"))
    said = isoformat_in_zone(column, facts)
    assert said.to_list() == [facts.rules.when(at).isoformat() for at in instants]
    once = readings.calls["when"]
    assert isoformat_in_zone(column, facts).to_list() == said.to_list()
    assert readings.calls["when"] == once
