"""The bulk engine: the facts of many rows, and their answers, for every bulk path.

``check_rows`` (:mod:`partner_onboarding.batch`), ``check_frame`` (:mod:`partner_onboarding.frames`,
every DataFrame engine), ``check_spark`` and the command line are thin adapters over it.

- :class:`RowReader` reads a row's facts the plain way, remembering each raw value it has
  understood: the category and markets through the catalog's forgiving look-up, once a distinct
  spelling; the registration as its *position* (how many of the reader's bounds it is at or
  after: the rulebook's registration thresholds and starts, and the instant just after the one
  asked, from which a partner is not registered yet); the status as approved or not. Each
  distinct combination's answers come from the policy's one judge
  (:meth:`~partner_onboarding.policy.CompiledPolicy.verdict`): no rule is restated here.
- :func:`decide_rows` answers a Polars frame in columns: each distinct combination of the
  few-valued columns is read once by :class:`RowReader` (through :class:`Memo`), each row's
  position is computed natively (:attr:`RowReader.bound_pairs`: a binary search a row among all
  the bounds at once, on instants, days, or the text of a cell valid by its text alone), and
  rows gather their answers by index. A cell the native readers cannot read goes the plain way,
  so every row gets exactly the plain path's answer (differential properties check it).

Polars is needed only by :func:`decide_rows` and the columnar readers.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import datetime as dt
import difflib
import itertools
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs

from partner_onboarding._fields import require_instance
from partner_onboarding.catalog import (
    Category,
    Market,
    market_code,
    market_problem,
    normalize_name,
    parse_member,
)
from partner_onboarding.errors import OnboardingError, Problem, ValidationError, quote
from partner_onboarding.model import ReviewStatus
from partner_onboarding.policy import Policy, Question, Verdict

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ANSWER_FIELDS",
    "AT_REGISTRATION",
    "BLANK_PATTERN",
    "COLUMNS",
    "FIRST_DAY",
    "KEY_COLUMNS",
    "NOT_APPROVED",
    "REGISTERED_COLUMN",
    "REMEMBERED_REFUSALS",
    "REMEMBERED_VALUES",
    "REMEMBERED_ZONES",
    "Decided",
    "Memo",
    "PlanRow",
    "RowReader",
    "absent",
    "column_problems",
    "decide_rows",
    "decision_cells",
    "error_text",
    "isoformat_in_zone",
    "misspelled_columns",
    "short_key",
]

#: The columns a row may have, in order; the first three are required.
COLUMNS: Final = (
    "partner_id",
    "registered_at",
    "category",
    "market",
    "registration_market",
    "question",
    "status",
    "approved_categories",
)


def misspelled_columns(names: Iterable[object], *, fold_case: bool = False) -> list[str]:
    """What is wrong with a table's column names: each unknown name close to one of
    :data:`COLUMNS` that the table lacks (``registerd_at``: did you mean ``registered_at``?),
    compared as they are or, with ``fold_case``, without case (a file's header). Any other name
    is a column of the user's own, and kept."""
    texts = [str(name) for name in names]
    present = {text.casefold() if fold_case else text for text in texts}
    missing = [column for column in COLUMNS if column not in present]
    problems = []
    for text in texts:
        if not missing or (text.casefold() if fold_case else text) in _KNOWN_COLUMNS:
            continue
        close = difflib.get_close_matches(text.casefold(), missing, n=1, cutoff=0.75)
        if close:
            problems.append(f"unknown column {quote(text)}; did you mean {close[0]!r}?")
    return problems


_KNOWN_COLUMNS: Final = frozenset(COLUMNS)


def column_problems(names: Iterable[object], question: Question | None) -> list[Problem]:
    """What is wrong with a frame's columns for ``question`` (``None``: both, or as a column
    says), before any row is read: a misspelled column (:func:`misspelled_columns`), a missing
    ``category``, a missing ``registered_at`` unless only ``authorize_seller`` is asked."""
    names = list(names)
    problems = [Problem("frame", text) for text in misspelled_columns(names)]
    needed = ["category"] if question is Question.AUTHORIZE_SELLER else ["category", COLUMNS[1]]
    problems += [
        Problem("frame", f"has no column {name!r}") for name in needed if name not in names
    ]
    return problems


#: How many distinct raw values of a column, and how many combinations' plans, a bulk reader
#: remembers (a bounded memory: realistic exports have one registration instant per partner,
#: which remembering would not speed up).
REMEMBERED_VALUES: Final = 65_536


#: How many zones' copies of its bounds a reader keeps (a registration is compared with the
#: bounds said in its own zone: see :meth:`RowReader.place`).
REMEMBERED_ZONES: Final = 256


#: How many refusals it remembers: a refusal carries its words (an unknown category's, its
#: suggestions), a kilobyte or more; the same few mistakes repeated are what remembering is for.
REMEMBERED_REFUSALS: Final = 4_096


NOT_APPROVED: Final = frozenset({None, "", "pending_review", "rejected", "none"})


# A question's prebuilt records, one for each position of the registration (a seller
# authorisation's, for approved False, then True); and what a row's (category, market,
# question) resolve to: the category, then the records of each question asked, or None.
_Records: TypeAlias = tuple[dict[str, Any], ...]


_Plan: TypeAlias = tuple[Category, _Records | None, tuple[_Records, _Records] | None]


#: What a prebuilt record's ``changes_at`` holds when the answer changes at the row's own
#: registration (a partner not registered yet at the instant asked): the row's instant is written
#: in its place.
AT_REGISTRATION: Final = object()


_TICK: Final = dt.timedelta(microseconds=1)


#: Why rows cannot be asked about an instant of the calendar's last day: no day after it exists
#: to tell a registration after it by.
_LAST_DAY: Final = (
    "{} is on the last day of the calendar in the policy's zone: rows are answered at an "
    "earlier instant (a registration after it could not be told)"
)


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


#: How many distinct unknown category names of one reading get suggestions searched for them.
_SUGGESTIONS: Final = 100


class RowReader:
    """Reads the facts of rows for one policy at one instant, remembering each raw value it has
    already understood (and, per category, market and question, the records it can answer).

    A row's registration is read as its *position*: how many of :attr:`bounds` it is at or
    after. The bounds are the rulebook's registration thresholds and the starts of its rules
    (what an answer reads of a registration) and the instant just after the one asked: a
    position from :attr:`not_yet_from` on is a partner not registered yet, whose answer waits
    for its registration (:meth:`~partner_onboarding.policy.CompiledPolicy.not_registered`).
    """

    def __init__(self, policy: Policy, at: dt.datetime | dt.date) -> None:
        policy = require_instance("policy", policy, Policy, what="rows")
        rules = self.rules = policy.compiled
        self.instant = rules.instant(at)
        self.catalog = policy.catalog
        try:  # (the first instant at which a partner is not there yet, and its first day)
            after = self.instant + _TICK
            rules.first_day_from(after)
        except OverflowError:
            raise ValidationError.single(
                "at", _LAST_DAY.format(self.instant.isoformat()), what="rows"
            ) from None
        self.bounds: tuple[dt.datetime, ...] = tuple(
            sorted({*rules.thresholds, *rules.phases, after})
        )
        self.not_yet_from = self.bounds.index(after) + 1
        #: Each bound, as an instant and as the first day whose start is at or after it (a day
        #: at or after it is, as a registration day, at or after the bound).
        self.bound_pairs = [(bound, rules.first_day_from(bound)) for bound in self.bounds]
        self.zoned_bounds: dict[dt.tzinfo | None, tuple[dt.datetime, ...]] = {}
        # The answers of a partner not registered yet, by (allowed, changes_at) of its answer
        # once registered: (True, None) is the one that changes at the row's own registration.
        self.not_yet: dict[tuple[bool, dt.datetime | None], Verdict] = {}
        self.answered: dict[tuple[Question, str, str, bool], tuple[Verdict, ...]] = {}
        # (category, market, question) as given → (category, register records, authorize records)
        # where the records are indexed by what a row adds: approved? its position.
        self.plans: dict[object, _Plan] = {}
        self.positions: dict[object, int] = {}
        self.instants: dict[object, dt.datetime] = {}
        self.hours: dict[dt.datetime, tuple[int, str] | None] = {}
        self.approved_lists: dict[object, frozenset[str]] = {}
        self.statuses: dict[str, bool] = {}
        # What a bad (category, markets, question) or registration cell said, so that a bad row
        # costs no more than a good one (an unknown category's suggestions are searched once).
        self.refused_plans = _Refusals()
        self.refused_cells = _Refusals()
        self.suggestions_left = _SUGGESTIONS

    def plan(self, key: tuple[object, object, object, object]) -> _Plan:
        self.refused_plans.raise_known(key)
        try:
            return self._plan(key)
        except OnboardingError as error:
            self.refused_plans.note(key, error)
            raise

    def _plan(self, key: tuple[object, object, object, object]) -> _Plan:
        raw_category, raw_market, raw_question, raw_registration = key
        category = self.category(raw_category)
        market = self.market(raw_market)
        registration = self.market(raw_registration, field="registration_market")
        asked = self.questions(raw_question)
        registering, authorizing = (
            (self._records(question, category, market, registration) if question in asked else None)
            for question in (Question.REGISTER, Question.AUTHORIZE_SELLER)
        )
        found = (category, registering, authorizing)
        if _hashable(key) and len(self.plans) < REMEMBERED_VALUES:
            self.plans[key] = found
        return found

    def _records(
        self, question: Question, category: Category, market: str, registration: str
    ) -> Any:
        """The record for each position (for a seller authorisation, for approved False, then
        True), ``row`` and ``partner_id`` left blank."""
        if question is Question.REGISTER:
            return self._records_of(
                self.answers(question, category, registration), question, category, market
            )
        return tuple(
            self._records_of(
                self.answers(question, category, registration, approved=approved),
                question,
                category,
                market,
            )
            for approved in (False, True)
        )

    def _records_of(
        self, decisions: Iterable[Verdict], question: Question, category: Category, market: str
    ) -> _Records:
        return tuple(
            {
                "row": None,
                "partner_id": None,
                "category": category.name,
                "market": market,
                "question": question.value,
                **decision_cells(decision),
                "changes_at": (AT_REGISTRATION if self.waits(decision) else decision.changes_at),
                "error": None,
            }
            for decision in decisions
        )

    def answers(
        self,
        question: Question,
        category: Category,
        registration: str,
        *,
        approved: bool = False,
    ) -> tuple[Verdict, ...]:
        """The answer to ``question`` for a partner registered in the Partner Center
        ``registration`` (holding an approved application or not, for a seller authorisation),
        for each position of its registration: the policy's judge at the instant asked, or, for
        a partner not registered yet, at its registration (:meth:`waits`, if allowed then).
        The same tuple for every combination of the same facts (whatever their spelling or
        target market), built once."""
        code = category.code
        key = (question, code, registration, approved)
        found = self.answered.get(key)
        if found is None:
            found = self._answers(question, code, registration, approved=approved)
            if len(self.answered) < REMEMBERED_VALUES:
                self.answered[key] = found
        return found

    def _answers(
        self, question: Question, code: str, registration: str, *, approved: bool
    ) -> tuple[Verdict, ...]:
        rules = self.rules
        found = []
        for position in range(len(self.bounds) + 1):
            start = self.bounds[position - 1] if position else None
            fact: int = approved
            if question is Question.REGISTER:
                fact = rules.bucket(start) if start is not None else 0
            if start is None or position < self.not_yet_from:
                found.append(rules.verdict(question, code, registration, fact, self.instant))
                continue
            then = rules.verdict(question, code, registration, fact, start)
            key = (then.allowed, None if then.allowed else then.changes_at)
            answer = self.not_yet.get(key)
            if answer is None:
                answer = self.not_yet[key] = rules.not_registered(then, None)
            found.append(answer)
        return tuple(found)

    def waits(self, verdict: Verdict) -> bool:
        """Whether ``verdict`` is the answer that changes at the row's own registration."""
        return verdict is self.not_yet.get((True, None))

    def category(self, raw: object) -> Category:
        if absent(raw):
            raise ValidationError.single("category", "is required")
        if not isinstance(raw, str | Category):
            raise ValidationError.single("category", "must be a category name or code")
        found = self.catalog.find(raw)
        if found is not None:
            return found
        # Suggestions are searched for the first distinct unknown names only: a file of many
        # distinct unknown names costs a look-up a row, not a search of the catalog a row.
        suggest = self.suggestions_left > 0
        self.suggestions_left -= suggest
        error = self.catalog.unknown(raw, suggest=suggest)
        raise ValidationError.single("category", str(error)) from None

    def market(self, raw: object, *, field: str = "market") -> str:
        if absent(raw):
            return Market.US.code
        if isinstance(raw, Market):
            return raw.code
        if not isinstance(raw, str):
            raise ValidationError.single(field, "must be an ISO 3166-1 alpha-2 code")
        code = market_code(raw)  # (as Market.parse reads it, without a Market of each cell)
        problem = market_problem(code)
        if problem is not None:
            raise ValidationError.single(field, problem, what="market")
        return code

    def questions(self, raw: object) -> tuple[Question, ...]:
        if absent(raw):
            return tuple(Question)
        return (parse_member(Question, raw, field="question"),)

    @staticmethod
    def bad_question() -> ValidationError:
        allowed = ", ".join(q.value for q in Question)
        return ValidationError.single("question", f"must be one of {allowed}")

    def position(self, raw: object) -> int:
        """The position of a registration cell (see the class)."""
        known = self.positions.get(raw) if _hashable(raw) else None
        if known is not None:
            return known
        self.refused_cells.raise_known(raw)
        try:
            found = self.place(self._instant(raw))
        except OnboardingError as error:
            self.refused_cells.note(raw, error)
            raise
        if _hashable(raw) and len(self.positions) < REMEMBERED_VALUES:
            self.positions[raw] = found
        return found

    def place(self, instant: dt.datetime) -> int:
        """How many of :attr:`bounds` ``instant`` is at or after (compared in its own zone:
        see :meth:`~partner_onboarding.policy.CompiledPolicy.in_zone_of`)."""
        zone = instant.tzinfo
        bounds = self.zoned_bounds.get(zone)
        if bounds is None:
            bounds = tuple(bound.astimezone(zone) for bound in self.bounds)
            if len(self.zoned_bounds) < REMEMBERED_ZONES:
                self.zoned_bounds[zone] = bounds
        return bisect.bisect_right(bounds, instant)

    def position_of(self, row: Mapping[str, Any], *, required: bool) -> int:
        """The position of ``row``'s registration; an empty cell, where it is not
        ``required`` (a seller authorisation alone), is a partner registered long ago."""
        raw = row.get(REGISTERED_COLUMN)
        if not required and absent(raw):
            return 0
        return self.position(raw)

    def registration(self, raw: object) -> dt.datetime:
        """The instant of a registration cell already read (an answer that changes then)."""
        known = self.instants.get(raw) if _hashable(raw) else None
        if known is None:  # (said in the policy's zone, as its own instants are, if it can be)
            known = self._instant(raw)
            with contextlib.suppress(OverflowError):  # (past the calendar's end there)
                known = self.rules.when(known)
            if _hashable(raw) and len(self.instants) < REMEMBERED_VALUES:
                self.instants[raw] = known
        return known

    def hour_offset(self, hour: dt.datetime) -> tuple[int, str] | None:
        """The policy's zone's offset through the hour from ``hour`` (UTC): in microseconds,
        and as ``isoformat`` writes it; None if it changes within that hour, or for a year
        outside 1900 to 9000 (see :func:`isoformat_in_zone`)."""
        if hour in self.hours:
            return self.hours[hour]
        found = None
        if 1900 <= hour.year <= 9000:
            first, last = self.rules.when(hour), self.rules.when(hour + _HOUR - _TICK)
            offset = first.utcoffset()
            if offset is not None and offset == last.utcoffset():
                found = (offset // _TICK, first.replace(microsecond=0).isoformat()[19:])
        if len(self.hours) < REMEMBERED_VALUES:
            self.hours[hour] = found
        return found

    def written(self, verdict: Verdict, raw: object) -> Verdict:
        """``verdict`` as a row of registration ``raw`` gets it (see :meth:`waits`)."""
        if self.waits(verdict):
            return attrs.evolve(verdict, changes_at=self.registration(raw))
        return verdict

    def _instant(self, raw: object) -> dt.datetime:
        if absent(raw):
            raise ValidationError.single("registered_at", "is required")
        return self.rules.instant(raw, field=REGISTERED_COLUMN)  # type: ignore[arg-type]  # (it checks what it reads)

    def approved(self, row: Mapping[str, Any], category: Category) -> bool:
        status = row.get("status")
        if not absent(status):
            known = self.statuses.get(status) if type(status) is str else None
            if known is None:
                known = self._approved_status(status)
            return known
        raw = row.get("approved_categories")
        if absent(raw):
            return False
        codes = self.approved_lists.get(raw) if _hashable(raw) else None
        if codes is None:
            codes = self._approved_codes(raw)
        return category.code in codes

    def _approved_status(self, status: object) -> bool:
        """Whether ``status`` (any spelling of a review status, or ``none``) is Approved."""
        if isinstance(status, str) and normalize_name(status) == "none":
            found = False
        else:
            found = parse_member(ReviewStatus, status, field="status") is ReviewStatus.APPROVED
        if type(status) is str and len(self.statuses) < REMEMBERED_VALUES:
            self.statuses[status] = found
        return found

    def _approved_codes(self, raw: object) -> frozenset[str]:
        names = raw.split(";") if isinstance(raw, str) else raw
        if not isinstance(names, Iterable):
            raise ValidationError.single("approved_categories", "must be a list or ';'-separated")
        codes = set()
        for name in names:
            if name is None or (isinstance(name, str) and not name.strip()):
                continue  # (a missing or blank item, as a missing or blank cell: no category)
            if not isinstance(name, str | Category):
                raise ValidationError.single("approved_categories", "items must be category names")
            try:
                codes.add(
                    self.catalog.category(name.strip() if isinstance(name, str) else name).code
                )
            except OnboardingError as error:
                raise ValidationError.single("approved_categories", str(error)) from None
        found = frozenset(codes)
        if _hashable(raw) and len(self.approved_lists) < REMEMBERED_VALUES:
            self.approved_lists[raw] = found
        return found


def decision_cells(decision: Verdict) -> dict[str, Any]:
    """The cells a decision writes in a record of :func:`~partner_onboarding.batch.check_rows`."""
    return {
        "allowed": decision.allowed,
        "reason": decision.codes[0],
        "reason_codes": ";".join(decision.codes),
        "message": decision.message,
        "changes_at": decision.changes_at,
    }


def absent(value: object) -> bool:
    """Whether a cell is empty: ``None``, blank text (spaces only: what a spreadsheet leaves in a
    cell it shows empty), or a DataFrame's missing-value marker (NaN, pandas' ``NA`` and
    ``NaT``), which compare unlike ordinary values (``NA == ""`` is ``NA``)."""
    if value is None or type(value) is str:
        return not value or value.isspace()
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in _MISSING_MARKERS


_MISSING_MARKERS: Final = frozenset({"NAType", "NaTType"})

#: A regular expression that matches exactly the texts :func:`absent` reads as empty (empty, or
#: every character one that ``str.isspace`` holds for), for engines that match text natively.
BLANK_PATTERN: Final = "^[\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"


#: The longest cell a bulk reader remembers a refusal for (no name, code or instant is longer).
_REMEMBERED_CELL: Final = 256


class _Refusals:
    """The refusals of a reading, each remembered when its key comes a second time (so that a
    file of distinct mistakes pays no copy of each, a copy costing more than the mistake), at
    most :data:`REMEMBERED_REFUSALS` of them and only for short keys."""

    def __init__(self) -> None:
        self.known: dict[object, OnboardingError] = {}
        self.once: set[object] = set()

    def raise_known(self, key: object) -> None:
        """Raise the refusal remembered for ``key``, if there is one."""
        try:
            refused = self.known.get(key)
        except TypeError:  # (a cell that cannot be a key: read each time)
            return
        if refused is not None:
            # (a fresh traceback: raised as it is, it would keep every earlier raise's frames)
            raise refused.with_traceback(None)

    def note(self, key: object, error: OnboardingError) -> None:
        """That ``key`` was refused with ``error``: remembered if it was refused before."""
        if len(self.known) >= REMEMBERED_REFUSALS or not _hashable(key) or not _short(key):
            return  # (a huge cell is not remembered: memory stays small)
        if key in self.once:
            # (a copy keeps no traceback and its frames)
            self.known[key] = copy.copy(error)
        elif len(self.once) < REMEMBERED_REFUSALS:
            self.once.add(key)


def _short(key: object) -> bool:
    return short_key(key) if type(key) is tuple else short_key((key,))


def short_key(key: tuple[object, ...]) -> bool:
    for cell in key:  # noqa: SIM110  (a loop costs half of all(…); it runs for each bad row)
        if isinstance(cell, str) and len(cell) > _REMEMBERED_CELL:
            return False
    return True


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


#: The answer columns, for one question (prefixed ``register_``/``authorize_seller_`` for both).
ANSWER_FIELDS: Final = ("allowed", "reason", "reason_codes", "message", "changes_at")


#: The columns understood once per distinct combination of values: all but the partner's own.
KEY_COLUMNS: Final = COLUMNS[2:]


REGISTERED_COLUMN: Final = COLUMNS[1]


#: The cells Polars reads natively, by their exact shape: a day (``2024-04-30``, ``20240430``)
#: and an instant with an offset (``2024-04-30T09:00:00.5-07:00``, ``…Z``). Polars' parsers alone
#: are more lenient than the plain path (a leap second, a missing zero, a signed year, a zone
#: name, the year 0), and a day of the year 1 may start before the calendar does in the policy's
#: zone: any other cell goes the plain way, which reads it or says what is wrong, as it does an
#: instant of the first or last year (its reading, off UTC, may lie outside the calendar).
#: (Spark's own patterns are strict: :mod:`partner_onboarding.spark` guards only the year 0.)
_YEAR: Final = (  # (2 to 9998)
    "(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
)


_DAY_YEAR: Final = "(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"  # (2 to 9999)


_DAY_SHAPE: Final = rf"^{_DAY_YEAR}-[0-9]{{2}}-[0-9]{{2}}$|^{_DAY_YEAR}[0-9]{{4}}$"


_INSTANT_SHAPE: Final = (
    rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-5][0-9]"
    r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


#: The first day of the calendar: it starts before the calendar does in a zone east of UTC, so a
#: date column's cell of that day goes the plain way too.
FIRST_DAY: Final = dt.date.min


_DAY_FORMATS: Final = ("%Y-%m-%d", "%Y%m%d")


#: Within that shape, chrono's RFC 3339 reader: the same instants as an explicit pattern, faster.
_INSTANT_FORMAT: Final = "%+"


#: A month and day that exist in every year (the 29th of February, which exists in some years
#: only, is not one), with ``{0}`` between them.
_MONTH_DAY: Final = (
    "((0[1-9]|1[0-2]){0}(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2]){0}(29|30)|(0[13578]|1[02]){0}31)"
)


#: Cells valid by their text alone, which need no parsing: a day of the years 1000 to 9999
#: (``2024-04-30``, ``20240430``), decided by comparing its text with the first day's (fixed
#: width digits sort as numbers do); an instant with every field in range, an offset of less
#: than a day and a year whose instants are all in Python's calendar at any such offset (1000 to
#: 9998), decided by its text when it is more than a day from the policy's threshold (see
#: :func:`_far_from`). Any other cell of a shape above is parsed.
_VALID_DAY: Final = rf"^[1-9][0-9]{{3}}(-{_MONTH_DAY.format('-')}|{_MONTH_DAY.format('')})$"


_VALID_INSTANT: Final = (
    rf"^([1-8][0-9]{{3}}|9[0-8][0-9]{{2}}|99[0-8][0-9]|999[0-8])-{_MONTH_DAY.format('-')}"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


@attrs.frozen
class Decided:
    """Every row's answers, as indices: what :func:`_check` makes columns of, and the command
    line makes text of."""

    frame: pl.DataFrame  # (the input, with a ``question`` column when one was given)
    table: _DecisionTable
    plans: list[PlanRow]
    combo: pl.Series  # each row's index into ``plans``
    #: Each plan's cells, by column: the few-valued columns' values that made it.
    cells: dict[str, list[Any]]
    #: Each answer column's prefix ("" for one question a row; ``register_`` and
    #: ``authorize_seller_`` for both) and each row's index into ``table.decisions`` (null for a
    #: row with an error).
    indices: dict[str, pl.Series]
    error: pl.Series
    #: Each row's registration instant where an answer changes then (a partner not registered
    #: yet at the instant asked), else null; None when no row has such an answer.
    registered: pl.Series | None = None


def decide_rows(
    frame: pl.DataFrame,
    *,
    at: dt.datetime | dt.date | str,
    policy: Policy,
    question: Question | str | None,
    memo: Memo | None = None,
) -> Decided:
    """Every row's answers as indices. ``memo``: the readings and plans of earlier frames of
    the same policy, instant and shape (the command line's chunks); a new one by default."""
    import polars as pl  # noqa: PLC0415

    facts = RowReader(policy, at) if memo is None else memo.facts  # type: ignore[arg-type]
    if question is not None:
        frame = frame.with_columns(pl.lit(facts.questions(question)[0].value).alias("question"))
    asked = (
        (Question.REGISTER, Question.AUTHORIZE_SELLER) if "question" not in frame.columns else None
    )
    keys = [name for name in KEY_COLUMNS if name in frame.columns]
    # 1. Each distinct combination of the few-valued columns, understood once by the plain path.
    combos, combo_of_row = _combinations(frame.select(keys), len(frame))
    if memo is None:
        memo = Memo(facts, one_question=asked is None)
    plans = [memo.plan_of(dict(zip(keys, values, strict=True))) for values in combos]
    # 2. The one per-partner fact, its registration's position among the bounds, natively.
    new = _positions(frame, facts)
    reads = pl.Series([plan.reads_registration for plan in plans], dtype=pl.Boolean)
    reads = reads.gather(combo_of_row)
    requires = pl.Series([plan.register is not None for plan in plans], dtype=pl.Boolean)
    requires = requires.gather(combo_of_row)
    # 3. Cells the native parsers could not read go the plain way (and say what is wrong).
    position, slow_errors = _read_plainly(frame, new, reads & new["raw_present"], requires, facts)
    # 4. The answers: each distinct decision becomes values once, and rows gather them by index;
    #    so does each distinct error text (numbers are combined, and texts gathered once).
    positions = len(facts.bounds) + 1
    table = _DecisionTable(plans, positions, facts)
    slow = {row: table.error_number(text) for row, text in slow_errors.items()}
    required = table.error_number("registered_at: is required")
    state = pl.DataFrame(
        {
            "combo": combo_of_row,
            "position": position,
            "requires": requires,
            "plan_error": table.errors.gather(combo_of_row),
            "slow_error": _sparse(len(frame), slow),
            "approval_error": table.approval_errors.gather(combo_of_row),
        }
    )
    error_of_row = pl.coalesce(  # (in the order the plain path reads a row)
        pl.col("plan_error"),
        pl.col("slow_error"),
        pl.when(pl.col("requires") & pl.col("position").is_null()).then(
            pl.lit(required, pl.UInt32)
        ),
        pl.col("approval_error"),
    )
    state = state.with_columns(error_of_row.alias("error"))
    ok = pl.col("error").is_null()
    # (an empty registration, where only a seller authorisation reads it: registered long ago)
    where = pl.col("combo").cast(pl.UInt32) * positions + pl.col("position").fill_null(0).cast(
        pl.UInt32
    )
    register = pl.when(ok).then(pl.lit(table.register).gather(where))
    authorize = pl.when(ok).then(pl.lit(table.authorize).gather(where))
    if asked is None:  # one question per row: the one its plan answers
        chosen = {"": pl.coalesce(register, authorize)}
    else:
        chosen = dict(zip((f"{each.value}_" for each in asked), (register, authorize), strict=True))
    texts = pl.lit(pl.Series(table.error_texts, dtype=pl.String)).gather(pl.col("error"))
    picked = state.select(  # (one pass: Polars picks the columns side by side)
        texts.alias("error"), *(expression.alias(prefix) for prefix, expression in chosen.items())
    )
    indices = {prefix: picked[prefix].alias("") for prefix in chosen}
    cells: dict[str, list[Any]] = {
        name: [values[i] for values in combos] for i, name in enumerate(keys)
    }
    # 5. The rows whose answer changes at their own registration get its instant.
    registered = None
    if table.waits.any():
        waiting = pl.select(
            pl.any_horizontal(pl.lit(table.waits).gather(pl.lit(i)) for i in indices.values())
        ).to_series()
        registered = _registrations(frame, waiting.fill_null(value=False), facts)
    decided = Decided(frame, table, plans, combo_of_row, cells, indices, picked["error"])
    return attrs.evolve(decided, registered=registered)


def isoformat_in_zone(instants: pl.Series, facts: RowReader) -> pl.Series:
    """The text ``isoformat`` gives each of ``instants`` (UTC) said in the policy's zone (as
    :meth:`RowReader.registration` says them), in native code: each distinct hour's offset is
    read from the zone once (:meth:`RowReader.hour_offset`); null where that cannot be (an
    hour the offset changes within, a year outside 1900 to 9000), for the caller to write the
    plain way."""
    import polars as pl  # noqa: PLC0415

    hours = instants.dt.truncate("1h")
    distinct = hours.drop_nulls().unique()
    offsets = [facts.hour_offset(hour) for hour in distinct.to_list()]
    table = pl.DataFrame(
        {
            "hour": distinct,
            "offset": pl.Series([each and each[0] for each in offsets], dtype=pl.Int64),
            "said": pl.Series([each and each[1] for each in offsets], dtype=pl.String),
        }
    )
    found = pl.DataFrame({"at": instants, "hour": hours}).join(
        table, on="hour", how="left", maintain_order="left"
    )
    local = pl.col("at").dt.replace_time_zone(None) + pl.duration(microseconds=pl.col("offset"))
    micros = pl.col("at").dt.microsecond()
    fraction = (
        pl.when(micros != 0)
        .then(pl.lit(".") + micros.cast(pl.String).str.zfill(6))
        .otherwise(pl.lit(""))
    )
    text = pl.concat_str([local.dt.strftime("%Y-%m-%dT%H:%M:%S"), fraction, pl.col("said")])
    return found.select(text.alias("")).to_series()


_HOUR: Final = dt.timedelta(hours=1)


def _read_plainly(
    frame: pl.DataFrame, new: pl.DataFrame, reads: pl.Series, requires: pl.Series, facts: RowReader
) -> tuple[pl.Series, dict[int, str]]:
    """The positions of ``new`` with the cells native code could not read (where ``reads``)
    read the plain way; and the error of each row whose cell the plain way refuses."""
    position = new["position"]
    if REGISTERED_COLUMN not in frame.columns:
        return position, {}
    fixed: dict[int, int] = {}
    errors: dict[int, str] = {}
    for row in (reads & position.is_null()).arg_true().to_list():
        raw = frame[REGISTERED_COLUMN][row]
        try:
            fixed[row] = 0 if absent(raw) and not requires[row] else facts.position(raw)
        except OnboardingError as error:
            errors[row] = error_text(error)
    if fixed:
        position = position.scatter(list(fixed), list(fixed.values()))
    return position, errors


def _registrations(frame: pl.DataFrame, rows: pl.Series, facts: RowReader) -> pl.Series | None:
    """Each row's registration instant where ``rows`` is true, else null (None: no such row):
    natively for aware instants and text of the native instant shape (the instants the plain
    path reads there, to the microsecond); any other cell as the plain path reads it."""
    import polars as pl  # noqa: PLC0415

    chosen = rows.arg_true()
    if not len(chosen):
        return None
    column = frame[REGISTERED_COLUMN]
    dtype = pl.Datetime("us", "UTC")
    if isinstance(column.dtype, pl.Datetime) and column.dtype.time_zone is not None:
        instants = column.dt.convert_time_zone("UTC").cast(dtype)
        return pl.select(pl.when(pl.lit(rows)).then(pl.lit(instants))).to_series()
    cells = column.gather(chosen)
    found = _nulls(len(cells), dtype)
    if column.dtype == pl.String:
        text = pl.lit(cells)
        native = text.str.to_datetime(
            _INSTANT_FORMAT, strict=False, time_zone="UTC", time_unit="us"
        )
        found = pl.select(pl.when(text.str.contains(_INSTANT_SHAPE)).then(native)).to_series()
    rest = found.is_null().arg_true()
    if len(rest):
        # (as microseconds since the epoch: an instant of the last day, with its own offset, may
        # be past the end of Python's calendar in UTC)
        micros = [
            (facts.registration(raw) - _EPOCH) // _TICK for raw in cells.gather(rest).to_list()
        ]  # (each distinct cell read once: the reader remembers it)
        found = found.scatter(rest, pl.Series(micros, dtype=pl.Int64).cast(dtype))
    return _nulls(len(frame), dtype).scatter(chosen, found)


def _combinations(keyed: pl.DataFrame, length: int) -> tuple[list[tuple[Any, ...]], pl.Series]:
    """The distinct rows of ``keyed``, and for each row the index of its own among them (with
    no column, one empty combination for every row).

    Rows are grouped by a hash of their values, and the grouping is then proven by comparing
    every row with the one that stands for its group: only if two distinct rows share a hash
    (the proof fails) are they grouped the exact way, by a join on every column.
    """
    import polars as pl  # noqa: PLC0415

    if not keyed.width:
        return [()], pl.repeat(0, length, dtype=pl.UInt32, eager=True)
    if pl.Object in keyed.schema.dtypes():  # (Python objects: Polars can neither hash nor compare)
        return _combinations_of_objects(keyed)
    hashes = keyed.hash_rows()
    firsts = hashes.is_first_distinct().arg_true()
    combos = keyed.gather(firsts)
    numbers = pl.int_range(len(firsts), dtype=pl.UInt32, eager=True)
    of_row = hashes.replace_strict(hashes.gather(firsts), numbers, return_dtype=pl.UInt32)
    # (each column compared with its representatives' in one select: side by side, and the
    # representatives' column gathered inside the comparison, never kept)
    proof = keyed.select(
        pl.col(name).eq_missing(pl.lit(combos[name]).gather(pl.lit(of_row))).all()
        for name in keyed.columns
    )
    if all(proof.row(0)):
        return combos.rows(), of_row
    combos = keyed.unique(maintain_order=True)
    numbered = combos.with_columns(
        pl.int_range(len(combos), dtype=pl.UInt32, eager=True).alias("__po_combo")
    )
    joined = keyed.join(
        numbered, on=keyed.columns, how="left", nulls_equal=True, maintain_order="left"
    )
    return combos.rows(), joined["__po_combo"]


def _combinations_of_objects(keyed: pl.DataFrame) -> tuple[list[tuple[Any, ...]], pl.Series]:
    """:func:`_combinations` in Python, for columns of Python objects: rows are alike when their
    values are equal and of the same types (``1`` and ``True`` are told apart, as the plain path's
    errors quote them); a row holding an unhashable value is a combination of its own."""
    import polars as pl  # noqa: PLC0415

    combos: list[tuple[Any, ...]] = []
    numbers: dict[object, int] = {}
    of_row = []
    for row in keyed.iter_rows():
        try:
            key: object = tuple(_typed(value) for value in row)
            number = numbers.setdefault(key, len(combos))
        except TypeError:  # (unhashable)
            number = len(combos)
        if number == len(combos):
            combos.append(row)
        of_row.append(number)
    return combos, pl.Series(of_row, dtype=pl.UInt32)


def _typed(value: object) -> object:
    if isinstance(value, list | tuple):
        return (type(value), tuple(_typed(item) for item in value))
    return (type(value), value)


def _sparse(length: int, values: Mapping[int, int | None]) -> pl.Series:
    import polars  # noqa: PLC0415, ICN001  (an optional extra; "pl" names the type here)

    column = _nulls(length, polars.UInt32)
    if values:
        column = column.scatter(list(values), list(values.values()))
    return column


class _DecisionTable:
    """Every distinct decision of the plans once, and each plan's index into them."""

    def __init__(self, plans: list[PlanRow], positions: int, facts: RowReader) -> None:
        import polars as pl  # noqa: PLC0415

        self.decisions: list[Verdict] = []
        seen: dict[int, int] = {}

        def index(decision: Verdict | None) -> int | None:
            if decision is None:
                return None
            if id(decision) not in seen:
                seen[id(decision)] = len(self.decisions)
                self.decisions.append(decision)
            return seen[id(decision)]

        # (each plan's answers, one for each position: plan * positions + position)
        indexed: dict[int, list[int | None]] = {}  # (each distinct tuple of answers, once)

        def indices(answers: tuple[Verdict, ...] | None) -> list[int | None]:
            if answers is None:
                return [None] * positions
            found = indexed.get(id(answers))
            if found is None:
                found = indexed[id(answers)] = [index(answer) for answer in answers]
            return found

        self.register, self.authorize = (
            pl.Series(
                list(itertools.chain.from_iterable(indices(getattr(p, question)) for p in plans)),
                dtype=pl.UInt32,
            )
            for question in ("register", "authorize")
        )
        #: Whether each decision changes at the row's own registration (see RowReader.waits).
        self.waits = pl.Series([facts.waits(d) for d in self.decisions], dtype=pl.Boolean)
        # Each plan's error and approval error as a number: an index into ``error_texts``.
        self.error_texts: list[str] = []
        self._error_numbers: dict[str, int] = {}
        self.errors = pl.Series([self.error_number(p.error) for p in plans], dtype=pl.UInt32)
        self.approval_errors = pl.Series(
            [self.error_number(p.approval_error) for p in plans], dtype=pl.UInt32
        )

    def error_number(self, text: str | None) -> int | None:
        """The index of ``text`` in ``error_texts`` (added if new); None for no error."""
        if text is None:
            return None
        number = self._error_numbers.get(text)
        if number is None:
            number = self._error_numbers[text] = len(self.error_texts)
            self.error_texts.append(text)
        return number

    def columns(
        self, prefix: str, indices: pl.Series, registered: pl.Series | None = None
    ) -> list[pl.Expr]:
        """The answer columns for ``indices``, as expressions (one ``with_columns`` gathers
        them all, in parallel); ``registered``: each row's registration, for the answers that
        change then (:attr:`waits`)."""
        import polars as pl  # noqa: PLC0415

        found = self.decisions
        values = (
            pl.Series([d.allowed for d in found], dtype=pl.Boolean),
            # (categorical: a handful of distinct texts, four bytes a row)
            pl.Series([d.codes[0] for d in found], dtype=pl.Categorical),
            pl.Series([list(d.codes) for d in found], dtype=pl.List(pl.Categorical)),
            pl.Series([d.message for d in found], dtype=pl.Categorical),
            pl.Series([d.changes_at for d in found], dtype=pl.Datetime("us", "UTC")),
        )
        columns = [
            pl.lit(column).gather(pl.lit(indices)).alias(f"{prefix}{name}")
            for name, column in zip(ANSWER_FIELDS, values, strict=True)
        ]
        if registered is not None:
            waits = pl.lit(self.waits).gather(pl.lit(indices))
            changes = columns[-1]
            columns[-1] = (
                pl.when(waits)
                .then(pl.lit(registered))
                .otherwise(changes)
                .alias(changes.meta.output_name())
            )
        return columns


class PlanRow:
    """What one distinct combination of the few-valued columns answers."""

    __slots__ = (
        "approval_error",
        "authorize",
        "category",
        "error",
        "market",
        "question",
        "reads_registration",
        "register",
    )

    def __init__(self) -> None:
        # What a record of the plain path says of the row (None for a combination in error):
        # the category's name, the target market's code, the one question asked (None for both).
        self.category: str | None = None
        self.market: str | None = None
        self.question: str | None = None
        # (each by the position of the row's registration: see RowReader)
        self.register: tuple[Verdict, ...] | None = None
        self.authorize: tuple[Verdict, ...] | None = None
        self.error: str | None = None  # (category, markets, question: read before anything)
        # (the approval facts: read after the registration, as the plain path reads a row)
        self.approval_error: str | None = None
        self.reads_registration = False  # (required for a registration: see RowReader)


class Memo:
    """The plain path's readings of each distinct cell, remembered across combinations (a bad
    cell, whose error searches for suggestions, is read once).

    ``one_question``: the frame has a ``question`` column, which says each row's one question;
    a row that leaves it empty is refused (a row of a frame holds one answer, not two).
    """

    def __init__(self, facts: RowReader, *, one_question: bool) -> None:
        self.facts = facts
        self.one_question = one_question
        self.seen: dict[tuple[str, object], Any] = {}
        self.refused = 0  # (how many refusals ``seen`` and ``plans`` hold)
        # Each combination's plan, for a memo that serves many frames (the command line's
        # chunks); bounded, as every memory of raw values is.
        self.plans: dict[tuple[object, ...], PlanRow] = {}

    def plan_of(self, row: Mapping[str, Any]) -> PlanRow:
        """:meth:`plan`, remembered by the combination's values (and their types)."""
        try:
            key: tuple[object, ...] | None = tuple(
                (name, _typed(value)) for name, value in row.items()
            )
            found = self.plans.get(key)  # type: ignore[arg-type]
        except TypeError:  # (an unhashable Python object)
            key, found = None, None
        if found is None:
            found = self.plan(row)
            room = len(self.plans) < REMEMBERED_VALUES and self._room_for(found.error is None)
            if key is not None and room and short_key(tuple(row.values())):
                self.plans[key] = found
        return found

    def _room_for(self, good: bool) -> bool:  # noqa: FBT001
        """Whether a reading (or plan) may be remembered: always a good one; a refusal while
        fewer than :data:`REMEMBERED_REFUSALS` are."""
        if good:
            return True
        self.refused += 1
        return self.refused <= REMEMBERED_REFUSALS

    def read(self, field: str, raw: object, reader: Any) -> Any:
        try:
            key: tuple[str, object] | None = (field, _typed(raw))
            found = self.seen.get(key)  # type: ignore[arg-type]
        except TypeError:  # (an unhashable Python object: read each time)
            key, found = None, None
        if found is None:
            try:
                found = (reader(raw), None)
            except OnboardingError as refusal:
                found = (None, copy.copy(refusal))  # (without the traceback and its frames)
            room = len(self.seen) < REMEMBERED_VALUES and self._room_for(found[1] is None)
            if key is not None and room and short_key((raw,)):
                self.seen[key] = found  # (bounded: a memo may serve a whole file's chunks)
        value, failure = found
        if failure is not None:
            raise failure.with_traceback(None)  # (not the frames of every earlier raise)
        return value

    def plan(self, row: Mapping[str, Any]) -> PlanRow:
        """The plan of one combination; its problems in the order the plain path finds them:
        the category, the markets and the question first, then (per row, in :func:`decide_rows`)
        the registration, then the approval facts."""
        facts, plan = self.facts, PlanRow()
        try:
            category = self.read("category", row.get("category"), facts.category)
            market = self.read("market", row.get("market"), facts.market)
            registration = self.read(
                "registration_market",
                row.get("registration_market"),
                lambda raw: facts.market(raw, field="registration_market"),
            )
            asked = self.read("question", row.get("question"), facts.questions)
            if self.one_question and len(asked) > 1:
                raise ValidationError.single("question", "is required")
            authorizing = [  # (by approved? False, True)
                facts.answers(Question.AUTHORIZE_SELLER, category, registration, approved=approved)
                for approved in (False, True)
                if Question.AUTHORIZE_SELLER in asked
            ]
            if Question.REGISTER in asked:
                plan.register = facts.answers(Question.REGISTER, category, registration)
        except OnboardingError as error:
            plan.error = error_text(error)
            return plan
        plan.reads_registration = True
        plan.category, plan.market = category.name, market
        plan.question = asked[0].value if len(asked) == 1 else None
        if authorizing:
            try:
                plan.authorize = authorizing[facts.approved(row, category)]
            except OnboardingError as error:
                plan.approval_error = error_text(error)
        return plan


def error_text(error: OnboardingError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(str(problem) for problem in error.problems)
    return str(error)


def _nulls(length: int, dtype: Any) -> pl.Series:
    """A column of ``length`` nulls, built in native code (a Python list costs 20 ms a million)."""
    import polars  # noqa: PLC0415, ICN001  (an optional extra; "pl" names the type here)

    return polars.repeat(None, length, dtype=dtype, eager=True)


def _position(bounds: list[Any], value: pl.Expr, dtype: Any) -> pl.Expr:
    """How many of the sorted ``bounds`` are at or before ``value`` (a binary search a row, in
    native code); null where ``value`` is null."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    found = polars.lit(polars.Series(bounds, dtype=dtype)).search_sorted(value, side="right")
    return polars.when(value.is_not_null()).then(found.cast(polars.UInt16))


def _position_from_text(raw: pl.Series, facts: RowReader) -> pl.Series:
    """The position of each cell of a text column (see :class:`RowReader`): days
    (``2024-04-30``, ``20240430``) and instants with an offset are each parsed once, on their
    own rows only; null where native code cannot tell. A valid day, and a valid instant more than
    a day from every bound, need no parsing: the text says which side of each it is on
    (:data:`_VALID_DAY`, :func:`_far_from`). The two parses of the other cells run as one batch,
    so that Polars can run them side by side."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    text = polars.col("raw")
    pairs = facts.bound_pairs
    shaped = polars.DataFrame({"raw": raw}).with_columns(
        _decided_by_text(text, pairs).alias("position"),
        polars.int_range(polars.len(), dtype=polars.UInt32).alias("row"),
    )
    day = polars.coalesce(*(text.str.to_date(form, strict=False) for form in _DAY_FORMATS))
    instant = text.str.to_datetime(_INSTANT_FORMAT, strict=False, time_zone="UTC", time_unit="us")
    rest = shaped.lazy().filter(polars.col("position").is_null())
    days = [first for _, first in pairs]
    instants = [at.astimezone(dt.UTC) for at, _ in pairs]
    by_day = _position(days, day, polars.Date)
    by_instant = _position(instants, instant, polars.Datetime("us", "UTC"))
    read = polars.collect_all(
        [
            rest.filter(text.str.contains(_DAY_SHAPE)).select("row", by_day.alias("position")),
            rest.filter(text.str.contains(_INSTANT_SHAPE)).select(
                "row", by_instant.alias("position")
            ),
        ]
    )
    position = shaped["position"]
    for rows in read:
        if len(rows):
            position = position.scatter(rows["row"], rows["position"])
    return position


def _decided_by_text(text: pl.Expr, pairs: list[tuple[dt.datetime, dt.date]]) -> pl.Expr:
    """The position of the cells of ``text`` valid by their text alone: a day of
    :data:`_VALID_DAY`, placed among the texts of the bounds' first days (the first day whose
    start is at or after each); an instant of :data:`_VALID_INSTANT` more than a day from every
    bound, placed among the bounds of :func:`_far_from` (it is decided when as many lower bounds
    as upper bounds sort at or before it: it lies in no bound's day either side). Null for every
    other cell, which is parsed."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    string = polars.String
    dashed = _position([day.isoformat() for _, day in pairs], text, string)
    compact = _position([day.isoformat().replace("-", "") for _, day in pairs], text, string)
    bounds = [_far_from(at) for at, _ in pairs]
    lower = _position([before for before, _ in bounds], text, string)
    upper = _position([after for _, after in bounds], text, string)
    return (
        polars.when(text.str.contains(_VALID_DAY))
        .then(
            polars.when(text.str.len_bytes() == len("2024-04-30")).then(dashed).otherwise(compact)
        )
        .when(text.str.contains(_VALID_INSTANT) & (lower == upper))
        .then(upper)
    )


def _far_from(threshold: dt.datetime) -> tuple[str, str]:
    """Two texts of the threshold's day and time in UTC: text of a valid instant (of
    :data:`_VALID_INSTANT`) that sorts before the first is an instant before the threshold, and
    text that sorts at or after the second is one at or after it.

    Such a text's wall-clock reading is its instant plus an offset of less than a day, so a
    reading more than a day before (after) the threshold is an instant before (after) it. Both
    texts are whole seconds in the ``YYYY-MM-DDTHH:MM:SS`` of the instants' own text, so that
    comparing texts compares readings: one second's text sorts before its own fractions and offsets.
    """
    reading, day = threshold.astimezone(dt.UTC).replace(tzinfo=None), dt.timedelta(days=1)
    try:  # (a whole second at or before a day before)
        before = (reading - day).replace(microsecond=0).isoformat()
    except OverflowError:  # (the calendar's first day: no valid text sorts before "0")
        before = "0"
    try:  # (a whole second at or after a day after)
        after = (reading + day + _ALMOST_A_SECOND).replace(microsecond=0).isoformat()
    except OverflowError:  # (the calendar's last day: no valid text sorts at or after "A")
        after = "A"
    return before, after


_ALMOST_A_SECOND: Final = dt.timedelta(microseconds=999_999)


def _positions(work: pl.DataFrame, facts: RowReader) -> pl.DataFrame:
    """Columns ``position`` (null where native code could not tell) and ``raw_present``."""
    import polars as pl  # noqa: PLC0415

    if REGISTERED_COLUMN not in work.columns:
        return pl.DataFrame(
            {
                "position": _nulls(len(work), pl.UInt16),
                "raw_present": pl.repeat(False, len(work), dtype=pl.Boolean, eager=True),  # noqa: FBT003
            }
        )
    column = pl.col(REGISTERED_COLUMN)
    dtype = work.schema[REGISTERED_COLUMN]
    pairs = facts.bound_pairs
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        in_utc = column.dt.convert_time_zone("UTC")  # (the same instants: a type change only)
        instants = [at.astimezone(dt.UTC) for at, _ in pairs]
        position = _position(instants, in_utc, pl.Datetime(dtype.time_unit, "UTC"))
    elif isinstance(dtype, pl.Date):  # (the first day goes the plain way: see FIRST_DAY)
        by_day = _position([day for _, day in pairs], column, pl.Date)
        position = pl.when(column > pl.lit(FIRST_DAY)).then(by_day)
    elif dtype == pl.String:
        position = pl.lit(_position_from_text(work[REGISTERED_COLUMN], facts))
    else:  # naive datetimes, numbers, objects: the plain way decides (and says what is wrong)
        position = pl.lit(None, dtype=pl.UInt16)
    present = column.is_not_null()
    if dtype == pl.String:
        present = present & (column.str.len_chars() > 0)
    return work.select(position.cast(pl.UInt16).alias("position"), present.alias("raw_present"))
