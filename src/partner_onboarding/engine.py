"""The bulk engine: the facts of many rows, and their answers, for every bulk path.

``check_rows`` (:mod:`partner_onboarding.batch`), ``check_frame`` (:mod:`partner_onboarding.frames`,
every DataFrame engine), ``check_spark`` and the command line are thin adapters over it.

- :class:`RowReader` reads a row's facts the plain way, remembering each raw value it has
  understood: the category and markets through the catalog's forgiving look-up, once a distinct
  spelling; the registration as the partner's *bucket* (how many of the rulebook's registration
  thresholds it is at or after); the status as approved or not. Each distinct combination's
  answers come from the policy's one judge
  (:meth:`~partner_onboarding.policy.CompiledPolicy.verdict`): no rule is restated here.
- :func:`decide_rows` answers a Polars frame in columns: each distinct combination of the
  few-valued columns is read once by :class:`RowReader` (through :class:`Memo`), each row's bucket
  is computed natively (:func:`registration_thresholds`: a binary search a row among all the
  thresholds at once, on instants, days, or the text of a cell valid by its text alone), and
  rows gather their answers by index. A cell the native readers cannot read goes the plain way,
  so every row gets exactly the plain path's answer (differential properties check it).

Polars is needed only by :func:`decide_rows` and the columnar readers.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
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
    quote,
)
from partner_onboarding.errors import OnboardingError, Problem, ValidationError
from partner_onboarding.model import ReviewStatus
from partner_onboarding.policy import Policy, Question, Verdict

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ANSWER_FIELDS",
    "COLUMNS",
    "FIRST_DAY",
    "KEY_COLUMNS",
    "NOT_APPROVED",
    "REGISTERED_COLUMN",
    "REMEMBERED_REFUSALS",
    "Decided",
    "Memo",
    "PlanRow",
    "RowReader",
    "absent",
    "column_problems",
    "decide_rows",
    "error_text",
    "misspelled_columns",
    "registration_thresholds",
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


#: How many distinct raw values of a column the bulk reader remembers (a bounded memory: realistic
#: exports have one registration instant per partner, which remembering would not speed up).
_REMEMBERED: Final = 65_536


#: How many refusals it remembers: a refusal carries its words (an unknown category's, its
#: suggestions), a kilobyte or more; the same few mistakes repeated are what remembering is for.
REMEMBERED_REFUSALS: Final = 4_096


NOT_APPROVED: Final = frozenset({None, "", "pending_review", "rejected", "none"})


# A question's prebuilt records, one for each value of its fact (a registration: the partner's
# bucket; a seller authorisation: approved, False or True); and what a row's (category,
# market, question) resolve to: the category, then the records of each question asked, or None.
_Records: TypeAlias = tuple[dict[str, Any], ...]


_Plan: TypeAlias = tuple[Category, _Records | None, _Records | None]


#: How many distinct unknown category names of one reading get suggestions searched for them.
_SUGGESTIONS: Final = 100


class RowReader:
    """Reads the facts of rows for one policy at one instant, remembering each raw value it has
    already understood (and, per category, market and question, the records it can answer)."""

    def __init__(self, policy: Policy, at: dt.datetime | dt.date) -> None:
        policy = require_instance("policy", policy, Policy, what="rows")
        self.policy = policy
        self.rules = policy.compiled
        self.instant = self.rules.instant(at)
        self.catalog = policy.catalog
        # (category, market, question) as given → (category, register records, authorize records)
        # where the records are indexed by the one fact a row adds: its bucket? approved?
        self.plans: dict[object, _Plan] = {}
        self.buckets: dict[object, int] = {}
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
        if _hashable(key) and len(self.plans) < 65_536:
            self.plans[key] = found
        return found

    def _records(
        self, question: Question, category: Category, market: str, registration: str
    ) -> _Records:
        """The record for each value of the row's fact, ``row`` and ``partner_id`` left blank."""
        decisions = (
            self.decide(question, category, registration, fact)
            for fact in self.fact_values(question)
        )
        return tuple(
            {
                "row": None,
                "partner_id": None,
                "category": category.name,
                "market": market,
                "question": question.value,
                "allowed": decision.allowed,
                "reason": decision.codes[0],
                "reason_codes": ";".join(decision.codes),
                "message": decision.message,
                "changes_at": decision.changes_at,
                "error": None,
            }
            for decision in decisions
        )

    def fact_values(self, question: Question) -> range:
        """The values of the one fact ``question`` reads: a registration, the partner's bucket
        (how many of the policy's registration thresholds it is at or after); a seller
        authorisation, approved (0 or 1)."""
        if question is Question.REGISTER:
            return range(len(self.rules.thresholds) + 1)
        return range(2)

    def fact(self, question: Question, category: Category, row: Mapping[str, Any]) -> int:
        """The one fact of ``row`` that ``question`` reads: its bucket? an approved category?"""
        if question is Question.REGISTER:
            return self.bucket(row.get("registered_at"))
        return self.approved(row, category)

    def decide(
        self, question: Question, category: Category, registration: str, fact: int
    ) -> Verdict:
        """The answer for a partner registered in ``registration`` and the row's one fact."""
        return self.rules.verdict(question, category.code, registration, fact, self.instant)

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

    def bucket(self, raw: object) -> int:
        """The bucket of a registration cell (see :meth:`fact_values`)."""
        known = self.buckets.get(raw) if _hashable(raw) else None
        if known is not None:
            return known
        self.refused_cells.raise_known(raw)
        try:
            found = self.rules.bucket(self._instant(raw))
        except OnboardingError as error:
            self.refused_cells.note(raw, error)
            raise
        if _hashable(raw) and len(self.buckets) < _REMEMBERED:
            self.buckets[raw] = found
        return found

    def _instant(self, raw: object) -> dt.datetime:
        if absent(raw):
            raise ValidationError.single("registered_at", "is required")
        try:
            return self.policy.instant(raw)  # type: ignore[arg-type]  # (it checks what it reads)
        except ValidationError as error:
            raise ValidationError(
                [Problem("registered_at", p.reason) for p in error.problems]
            ) from None

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
        if type(status) is str and len(self.statuses) < _REMEMBERED:
            self.statuses[status] = found
        return found

    def _approved_codes(self, raw: object) -> frozenset[str]:
        names = raw.split(";") if isinstance(raw, str) else raw
        if not isinstance(names, Iterable):
            raise ValidationError.single("approved_categories", "must be a list or ';'-separated")
        codes = set()
        for name in names:
            if isinstance(name, str) and not name.strip():
                continue
            try:
                codes.add(
                    self.catalog.category(name.strip() if isinstance(name, str) else name).code
                )
            except OnboardingError as error:
                raise ValidationError.single("approved_categories", str(error)) from None
        found = frozenset(codes)
        if _hashable(raw) and len(self.approved_lists) < _REMEMBERED:
            self.approved_lists[raw] = found
        return found


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


#: How many combinations' plans, and how many cells' readings, a memo keeps (a bounded memory,
#: whatever the input).
_REMEMBERED_PLANS: Final = 65_536


#: The columns understood once per distinct combination of values: all but the partner's own.
KEY_COLUMNS: Final = COLUMNS[2:]


REGISTERED_COLUMN: Final = COLUMNS[1]


#: The cells Polars reads natively, by their exact shape: a day (``2024-04-30``, ``20240430``)
#: and an instant with an offset (``2024-04-30T09:00:00.5-07:00``, ``…Z``). Polars' parsers alone
#: are more lenient than the plain path (a leap second, a missing zero, a signed year, a zone
#: name, the year 0), and a day of the year 1 may start before the calendar does in the policy's
#: zone: any other cell goes the plain way, which reads it or says what is wrong. (Spark's own
#: patterns are strict: :mod:`partner_onboarding.spark` guards only the year 0.)
_YEAR: Final = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"  # (1 to 9999)


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
    # 2. The one per-partner fact, its bucket among the registration thresholds, natively.
    new = _bucket(frame, policy)
    needs = pl.Series([plan.needs_registration for plan in plans], dtype=pl.Boolean)
    needs = needs.gather(combo_of_row)
    # 3. Cells the native parsers could not read go the plain way (and say what is wrong).
    slow_rows = (
        (needs & new["bucket"].is_null() & new["raw_present"]).arg_true().to_list()
        if REGISTERED_COLUMN in frame.columns
        else []
    )
    fixed: dict[int, int] = {}
    slow_errors: dict[int, str] = {}
    for row in slow_rows:
        try:
            fixed[row] = facts.bucket(frame[REGISTERED_COLUMN][row])
        except OnboardingError as error:
            slow_errors[row] = error_text(error)
    bucket = new["bucket"]
    if fixed:
        bucket = bucket.scatter(list(fixed), list(fixed.values()))
    # 4. The answers: each distinct decision becomes values once, and rows gather them by index;
    #    so does each distinct error text (numbers are combined, and texts gathered once).
    buckets = len(facts.fact_values(Question.REGISTER))
    table = _DecisionTable(plans, buckets)
    slow = {row: table.error_number(text) for row, text in slow_errors.items()}
    required = table.error_number("registered_at: is required")
    state = pl.DataFrame(
        {
            "combo": combo_of_row,
            "bucket": bucket,
            "needs": needs,
            "plan_error": table.errors.gather(combo_of_row),
            "slow_error": _sparse(len(frame), slow),
            "approval_error": table.approval_errors.gather(combo_of_row),
        }
    )
    error_of_row = pl.coalesce(  # (in the order the plain path reads a row)
        pl.col("plan_error"),
        pl.col("slow_error"),
        pl.when(pl.col("needs") & pl.col("bucket").is_null()).then(pl.lit(required, pl.UInt32)),
        pl.col("approval_error"),
    )
    state = state.with_columns(error_of_row.alias("error"))
    ok = pl.col("error").is_null()
    where = pl.col("combo").cast(pl.UInt32) * buckets + pl.col("bucket").cast(pl.UInt32)
    register = pl.when(ok).then(pl.lit(table.register).gather(where))
    authorize = pl.when(ok).then(pl.lit(table.authorize).gather(pl.col("combo")))
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
    return Decided(frame, table, plans, combo_of_row, cells, indices, picked["error"])


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

    def __init__(self, plans: list[PlanRow], buckets: int) -> None:
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

        # (each plan's registration answers, one for each bucket: plan * buckets + bucket)
        self.buckets = buckets
        self.register = pl.Series(
            [
                index(p.register[bucket]) if p.register else None
                for p in plans
                for bucket in range(buckets)
            ],
            dtype=pl.UInt32,
        )
        self.authorize = pl.Series([index(p.authorize) for p in plans], dtype=pl.UInt32)
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

    def columns(self, prefix: str, indices: pl.Series) -> list[pl.Expr]:
        """The answer columns for ``indices``, as expressions (one ``with_columns`` gathers
        them all, in parallel)."""
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
        return [
            pl.lit(column).gather(pl.lit(indices)).alias(f"{prefix}{name}")
            for name, column in zip(ANSWER_FIELDS, values, strict=True)
        ]


class PlanRow:
    """What one distinct combination of the few-valued columns answers."""

    __slots__ = (
        "approval_error",
        "authorize",
        "category",
        "error",
        "market",
        "needs_registration",
        "question",
        "register",
    )

    def __init__(self) -> None:
        # What a record of the plain path says of the row (None for a combination in error):
        # the category's name, the target market's code, the one question asked (None for both).
        self.category: str | None = None
        self.market: str | None = None
        self.question: str | None = None
        self.register: tuple[Verdict, ...] | None = None  # by the partner's bucket
        self.authorize: Verdict | None = None
        self.error: str | None = None  # (category, markets, question: read before anything)
        # (the approval facts: read after the registration, as the plain path reads a row)
        self.approval_error: str | None = None
        self.needs_registration = False


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
                (name, _typed(_key_of(value))) for name, value in row.items()
            )
            found = self.plans.get(key)  # type: ignore[arg-type]
        except TypeError:  # (an unhashable Python object)
            key, found = None, None
        if found is None:
            found = self.plan(row)
            room = len(self.plans) < _REMEMBERED_PLANS and self._room_for(found.error is None)
            if key is not None and room and short_key(tuple(row.values())):
                self.plans[key] = found
        return found

    def _room_for(self, good: bool) -> bool:  # noqa: FBT001
        """Whether a reading (or plan) may be remembered: always a good one; a refusal while
        fewer than :data:`~partner_onboarding.batch.REMEMBERED_REFUSALS` are."""
        if good:
            return True
        self.refused += 1
        return self.refused <= REMEMBERED_REFUSALS

    def read(self, field: str, raw: object, reader: Any) -> Any:
        try:
            key: tuple[str, object] | None = (field, _typed(_key_of(raw)))
            found = self.seen.get(key)  # type: ignore[arg-type]
        except TypeError:  # (an unhashable Python object: read each time)
            key, found = None, None
        if found is None:
            try:
                found = (reader(raw), None)
            except OnboardingError as refusal:
                found = (None, copy.copy(refusal))  # (without the traceback and its frames)
            room = len(self.seen) < _REMEMBERED_PLANS and self._room_for(found[1] is None)
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
                facts.decide(Question.AUTHORIZE_SELLER, category, registration, approved)
                for approved in (False, True)
                if Question.AUTHORIZE_SELLER in asked
            ]
            if Question.REGISTER in asked:
                plan.register = tuple(
                    facts.decide(Question.REGISTER, category, registration, bucket)
                    for bucket in facts.fact_values(Question.REGISTER)
                )
        except OnboardingError as error:
            plan.error = error_text(error)
            return plan
        plan.needs_registration = plan.register is not None
        plan.category, plan.market = category.name, market
        plan.question = asked[0].value if len(asked) == 1 else None
        if authorizing:
            try:
                plan.authorize = authorizing[facts.approved(_cells(row), category)]
            except OnboardingError as error:
                plan.approval_error = error_text(error)
        return plan


def _key_of(raw: object) -> object:
    return tuple(raw.to_list()) if hasattr(raw, "to_list") else raw


def _cells(row: Mapping[str, Any]) -> dict[str, Any]:
    cells = dict(row)
    listed = cells.get("approved_categories")
    if listed is not None and not isinstance(listed, str) and hasattr(listed, "to_list"):
        cells["approved_categories"] = listed.to_list()  # a Polars list cell
    return cells


def error_text(error: OnboardingError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(str(problem) for problem in error.problems)
    return str(error)


def _nulls(length: int, dtype: Any) -> pl.Series:
    """A column of ``length`` nulls, built in native code (a Python list costs 20 ms a million)."""
    import polars  # noqa: PLC0415, ICN001  (an optional extra; "pl" names the type here)

    return polars.repeat(None, length, dtype=dtype, eager=True)


def registration_thresholds(policy: Policy) -> tuple[list[tuple[dt.datetime, dt.date]], int]:
    """The policy's registration thresholds, each as an instant and as the first day whose start
    is at or after it; and the factor a bucket is multiplied by. A rulebook without thresholds
    still has its registration cells read (a bad one is a bad row): they are compared with one
    stand-in threshold, and the bucket multiplied by 0."""
    compiled = policy.compiled
    pairs = list(zip(compiled.thresholds, compiled.threshold_days, strict=True))
    if pairs:
        return pairs, 1
    return [(compiled.upgrade_at, compiled.first_day_from(compiled.upgrade_at))], 0


def _position(bounds: list[Any], value: pl.Expr, dtype: Any, factor: int) -> pl.Expr:
    """How many of the sorted ``bounds`` are at or before ``value`` (a binary search a row, in
    native code), times ``factor``; null where ``value`` is null."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    found = polars.lit(polars.Series(bounds, dtype=dtype)).search_sorted(value, side="right")
    found = found.cast(polars.UInt16) * factor if factor != 1 else found.cast(polars.UInt16)
    return polars.when(value.is_not_null()).then(found)


def _bucket_from_text(raw: pl.Series, policy: Policy) -> pl.Series:
    """The bucket of each cell of a text column: days (``2024-04-30``, ``20240430``) and
    instants with an offset are each parsed once, on their own rows only; null where native code
    cannot tell. A valid day, and a valid instant more than a day from every threshold, need no
    parsing: the text says which side of each it is on (:data:`_VALID_DAY`, :func:`_far_from`).
    The two parses of the other cells run as one batch, so that Polars can run them side by
    side."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    text = polars.col("raw")
    pairs, factor = registration_thresholds(policy)
    shaped = polars.DataFrame({"raw": raw}).with_columns(
        _decided_by_text(text, pairs, factor).alias("bucket"),
        polars.int_range(polars.len(), dtype=polars.UInt32).alias("row"),
    )
    day = polars.coalesce(*(text.str.to_date(form, strict=False) for form in _DAY_FORMATS))
    instant = text.str.to_datetime(_INSTANT_FORMAT, strict=False, time_zone="UTC", time_unit="us")
    rest = shaped.lazy().filter(polars.col("bucket").is_null())
    days = [first for _, first in pairs]
    instants = [at.astimezone(dt.UTC) for at, _ in pairs]
    by_day = _position(days, day, polars.Date, factor)
    by_instant = _position(instants, instant, polars.Datetime("us", "UTC"), factor)
    read = polars.collect_all(
        [
            rest.filter(text.str.contains(_DAY_SHAPE)).select("row", by_day.alias("bucket")),
            rest.filter(text.str.contains(_INSTANT_SHAPE)).select(
                "row", by_instant.alias("bucket")
            ),
        ]
    )
    bucket = shaped["bucket"]
    for rows in read:
        if len(rows):
            bucket = bucket.scatter(rows["row"], rows["bucket"])
    return bucket


def _decided_by_text(
    text: pl.Expr, pairs: list[tuple[dt.datetime, dt.date]], factor: int
) -> pl.Expr:
    """The bucket of the cells of ``text`` valid by their text alone: a day of
    :data:`_VALID_DAY`, placed among the texts of the thresholds' first days (the first day
    whose start is at or after each); an instant of :data:`_VALID_INSTANT` more than a day from
    every threshold, placed among the bounds of :func:`_far_from` (it is decided when as many
    lower bounds as upper bounds sort at or before it: it lies in no threshold's day either
    side). Null for every other cell, which is parsed."""
    import polars  # noqa: ICN001, PLC0415  (an optional extra; "pl" names the types here)

    string = polars.String
    dashed = _position([day.isoformat() for _, day in pairs], text, string, factor)
    compact = _position(
        [day.isoformat().replace("-", "") for _, day in pairs], text, string, factor
    )
    bounds = [_far_from(at) for at, _ in pairs]
    lower = _position([before for before, _ in bounds], text, string, 1)
    upper = _position([after for _, after in bounds], text, string, 1)
    by_instant = upper * factor if factor != 1 else upper
    return (
        polars.when(text.str.contains(_VALID_DAY))
        .then(
            polars.when(text.str.len_bytes() == len("2024-04-30")).then(dashed).otherwise(compact)
        )
        .when(text.str.contains(_VALID_INSTANT) & (lower == upper))
        .then(by_instant)
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


def _bucket(work: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Columns ``bucket`` (null where native code could not tell) and ``raw_present``."""
    import polars as pl  # noqa: PLC0415

    if REGISTERED_COLUMN not in work.columns:
        return pl.DataFrame(
            {
                "bucket": _nulls(len(work), pl.UInt16),
                "raw_present": pl.repeat(False, len(work), dtype=pl.Boolean, eager=True),  # noqa: FBT003
            }
        )
    column = pl.col(REGISTERED_COLUMN)
    dtype = work.schema[REGISTERED_COLUMN]
    pairs, factor = registration_thresholds(policy)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        in_utc = column.dt.convert_time_zone("UTC")  # (the same instants: a type change only)
        instants = [at.astimezone(dt.UTC) for at, _ in pairs]
        bucket = _position(instants, in_utc, pl.Datetime(dtype.time_unit, "UTC"), factor)
    elif isinstance(dtype, pl.Date):  # (the first day goes the plain way: see FIRST_DAY)
        by_day = _position([day for _, day in pairs], column, pl.Date, factor)
        bucket = pl.when(column > pl.lit(FIRST_DAY)).then(by_day)
    elif dtype == pl.String:
        bucket = pl.lit(_bucket_from_text(work[REGISTERED_COLUMN], policy))
    else:  # naive datetimes, numbers, objects: the plain way decides (and says what is wrong)
        bucket = pl.lit(None, dtype=pl.UInt16)
    present = column.is_not_null()
    if dtype == pl.String:
        present = present & (column.str.len_chars() > 0)
    return work.select(bucket.cast(pl.UInt16).alias("bucket"), present.alias("raw_present"))
