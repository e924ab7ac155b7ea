"""Policy checks over many plain rows, for notebooks and exports.

:func:`check_rows` takes an iterable of mappings — what ``pandas.DataFrame.to_dict("records")`` or
``polars.DataFrame.iter_rows(named=True)`` give — and returns plain records that
``pandas.DataFrame(records)`` takes as they are. No pandas or polars is needed here.

A row has these keys (others are ignored):

- ``partner_id``: required; any text or number.
- ``registered_at``: required; when the account was registered: an aware datetime, ISO 8601 text
  with an offset, or a date (``2024-04-30``: the start of that day in the policy's zone).
- ``category``: required; a category code, name or known spelling.
- ``market``: optional; the target market of the application, an ISO code, default ``US``.
- ``registration_market``: optional; the partner's registration market (its Partner Center), an
  ISO code, default ``US``. The policy covers the partners of its own Partner Center in every
  target market.
- ``question``: optional; ``register`` or ``authorize_seller``; a row without the key answers
  both, a record each (a row that has it and leaves it empty is refused: it says nothing).
- ``status``: optional; the partner's application status in that category and market, in any
  spelling the library prints (``approved``, ``Pending Review``); ``approved`` counts for seller
  authorisation, ``none`` or empty means no application.
- ``approved_categories``: optional; the categories approved in that market, as a list or as
  text separated by ``;``.

Each record has the keys of :data:`RECORD_FIELDS`: ``row`` (the index of the input row),
``partner_id``, ``category`` (canonical name), ``market``, ``question``, ``allowed``, ``reason``
(the first reason code), ``reason_codes`` (all, joined by ``;``), ``message``, ``changes_at`` (an
aware datetime or ``None``) and ``error`` (``None``, or what is wrong with the row when
``on_error="record"``).

>>> import datetime as dt
>>> rows = [
...     {"partner_id": "P1", "registered_at": "2024-05-02", "category": "Paid Media"},
...     {"partner_id": "P2", "registered_at": "2024-01-10T09:00:00-08:00",
...      "category": "paid_media", "status": "approved", "question": "authorize_seller"},
... ]
>>> for record in check_rows(rows, at=dt.date(2024, 5, 20)):
...     print(record["partner_id"], record["question"], record["allowed"], record["reason"])
P1 register False new_partner_discontinued
P1 authorize_seller False no_approved_application
P2 authorize_seller True approved_application
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Literal, TypeAlias

from partner_onboarding._fields import require_instance
from partner_onboarding.catalog import Category, Market, normalize_name, parse_member, quote
from partner_onboarding.errors import OnboardingError, Problem, ValidationError
from partner_onboarding.model import ReviewStatus
from partner_onboarding.policy import DEFAULT_POLICY, Decision, Policy, Question, Verdict

__all__ = [
    "COLUMNS",
    "RECORD_FIELDS",
    "check_rows",
    "column_problems",
    "decide_row",
    "iter_check_rows",
    "misspelled_columns",
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


#: The keys of every record, in order (the columns of a DataFrame built from the records).
RECORD_FIELDS: Final = (
    "row",
    "partner_id",
    "category",
    "market",
    "question",
    "allowed",
    "reason",
    "reason_codes",
    "message",
    "changes_at",
    "error",
)


def check_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
    on_error: Literal["raise", "record"] = "raise",
) -> list[dict[str, Any]]:
    """The policy's answers for every row, as a list of plain records (see the module doc).

    With ``on_error="raise"`` (the default) the first bad row raises
    :class:`~partner_onboarding.errors.ValidationError` naming the row and the field; with
    ``"record"`` a bad row gives one record whose ``error`` says what is wrong, and the other rows
    are still checked.
    """
    return list(iter_check_rows(rows, at=at, policy=policy, on_error=on_error))


def iter_check_rows(  # noqa: PLR0912, PLR0915  (the per-row fast path is inlined on purpose)
    rows: Iterable[Mapping[str, Any]],
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
    on_error: Literal["raise", "record"] = "raise",
) -> Iterator[dict[str, Any]]:
    """:func:`check_rows`, one record at a time (for inputs larger than memory)."""
    if on_error not in {"raise", "record"}:
        raise ValidationError.single("on_error", "must be 'raise' or 'record'")
    if not isinstance(rows, Iterable) or isinstance(rows, str | bytes | Mapping):
        raise ValidationError.single("rows", "must be an iterable of mappings (one per row)")
    facts = Facts(policy, at)
    # Each raw value is understood once; afterwards a row costs a few dictionary look-ups and a
    # copy of a prebuilt record. A miss (a new value, or one that cannot be a key) goes the long
    # way through ``facts``, which checks it and remembers the answer.
    plans, buckets = facts.plans, facts.buckets
    for index, row in enumerate(rows):
        try:
            if type(row) is not dict and not isinstance(row, Mapping):
                raise ValidationError.single("", "must be a mapping of column names to values")
            get = row.get
            partner_id = get("partner_id")
            if (not partner_id) if type(partner_id) is str else _absent(partner_id):
                raise ValidationError.single("partner_id", "is required")
            raw_question = get("question")
            key = (get("category"), get("market"), raw_question, get("registration_market"))
            try:
                category, registering, authorizing = plans[key]
            except (KeyError, TypeError):
                category, registering, authorizing = facts.plan(key)
            if (type(raw_question) is not str or raw_question.isspace() or not raw_question) and (
                "question" in row and _absent(raw_question)
            ):  # (a row without the key asks both; one that leaves it empty says nothing)
                raise ValidationError.single("question", "is required")
            # Every question of the row is answered before any is given: a row is good or bad.
            if registering is not None:
                raw = get("registered_at")
                try:
                    bucket = buckets[raw]
                except (KeyError, TypeError):
                    bucket = facts.bucket(raw)
                registered = registering[bucket]
            if authorizing is not None:
                status, listed = get("status"), get("approved_categories")
                if (status is None or type(status) is str) and (
                    listed is None or (type(listed) is str and not listed)
                ):
                    if status == "approved":
                        approved = True
                    elif status in _NOT_APPROVED:
                        approved = False
                    else:  # a status to check
                        approved = facts.approved(row, category)
                else:  # a list of approved categories, or a missing-value marker
                    approved = facts.approved(row, category)
                authorized = authorizing[approved]
        except OnboardingError as error:
            if on_error == "raise":
                raise _at_row(error, index) from None
            yield _error_record(index, row, error)
            continue
        if registering is not None:
            record = registered.copy()
            record["row"], record["partner_id"] = index, partner_id
            yield record
        if authorizing is not None:
            record = authorized.copy()
            record["row"], record["partner_id"] = index, partner_id
            yield record


#: How many distinct raw values of a column the bulk reader remembers (a bounded memory: realistic
#: exports have one registration instant per partner, which remembering would not speed up).
_REMEMBERED: Final = 65_536
#: How many refusals it remembers: a refusal carries its words (an unknown category's, its
#: suggestions), a kilobyte or more; the same few mistakes repeated are what remembering is for.
REMEMBERED_REFUSALS: Final = 4_096

_NOT_APPROVED: Final = frozenset({None, "", "pending_review", "rejected", "none"})
# A question's prebuilt records, one for each value of its fact (a registration: the partner's
# bucket; a seller authorisation: approved, False or True); and what a row's (category,
# market, question) resolve to: the category, then the records of each question asked, or None.
_Records: TypeAlias = tuple[dict[str, Any], ...]
_Plan: TypeAlias = tuple[Category, _Records | None, _Records | None]


def decide_row(
    row: Mapping[str, Any],
    question: Question | str,
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
) -> Decision:
    """The full :class:`~partner_onboarding.policy.Decision` for one row and one question.

    :func:`check_rows` gives the same answer, summarised as plain values.
    """
    policy = require_instance("policy", policy, Policy, what="rows")
    facts = _facts(policy, policy.instant(at))  # (an instant: hashable, and checked first)
    if not isinstance(row, Mapping):
        raise ValidationError.single("", "must be a mapping of column names to values")
    category = facts.category(row.get("category"))
    registration = facts.market(row.get("registration_market"), field="registration_market")
    if _absent(question):  # (no question means both, which a single Decision cannot be)
        raise facts.bad_question()
    (asked,) = facts.questions(question)
    market = facts.market(row.get("market"))
    verdict = facts.decide(asked, category, registration, facts.fact(asked, category, row))
    partner_id = row.get("partner_id")
    return Decision.of(
        verdict,
        question=asked,
        partner_id=partner_id if isinstance(partner_id, str) and partner_id else None,
        category=category,
        market=market,
        at=facts.instant,
        policy_id=policy.id,
    )


@functools.lru_cache(maxsize=4)
def _facts(policy: Policy, at: dt.datetime | dt.date) -> Facts:
    """The reader of one policy at one instant, kept for the next :func:`decide_row` (its memories
    are bounded, like every reader's)."""
    return Facts(policy, at)


def _at_row(error: OnboardingError, index: int) -> ValidationError:
    if isinstance(error, ValidationError):
        return error.under(f"rows[{index}]")
    return ValidationError([Problem(f"rows[{index}]", str(error))], what="rows")


def _error_record(index: int, row: object, error: OnboardingError) -> dict[str, Any]:
    problems = error.problems if isinstance(error, ValidationError) else (Problem("", str(error)),)
    get = row.get if isinstance(row, Mapping) else (lambda _key, default=None: default)
    return {
        "row": index,
        "partner_id": get("partner_id"),
        "category": get("category"),
        "market": get("market"),
        "question": None,
        "allowed": None,
        "reason": None,
        "reason_codes": None,
        "message": None,
        "changes_at": None,
        "error": "; ".join(str(problem) for problem in problems),
    }


#: How many distinct unknown category names of one reading get suggestions searched for them.
_SUGGESTIONS: Final = 100


class Facts:
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
        # What a bad (category, markets, question) said, so that a bad row costs no more than a
        # good one (an unknown category's suggestions are searched once).
        self.refusals: dict[object, OnboardingError] = {}
        self.suggestions_left = _SUGGESTIONS

    def plan(self, key: tuple[object, object, object, object]) -> _Plan:
        refused = self.refusals.get(key) if _hashable(key) else None
        if refused is not None:
            # (a fresh traceback: raised as it is, it would keep every earlier raise's frames)
            raise refused.with_traceback(None)
        try:
            return self._plan(key)
        except OnboardingError as error:
            if _hashable(key) and short_key(key) and len(self.refusals) < REMEMBERED_REFUSALS:
                # (a huge cell is not remembered, and a copy keeps no traceback and its frames:
                # memory stays small)
                self.refusals[key] = copy.copy(error)
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
        if _absent(raw):
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
        if _absent(raw):
            return Market.US.code
        if isinstance(raw, Market):
            return raw.code
        if not isinstance(raw, str):
            raise ValidationError.single(field, "must be an ISO 3166-1 alpha-2 code")
        try:
            return Market.parse(raw).code
        except ValidationError as error:
            raise error.under(field) from None

    def questions(self, raw: object) -> tuple[Question, ...]:
        if _absent(raw):
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
        found = self.rules.bucket(self._instant(raw))
        if _hashable(raw) and len(self.buckets) < _REMEMBERED:
            self.buckets[raw] = found
        return found

    def _instant(self, raw: object) -> dt.datetime:
        if _absent(raw):
            raise ValidationError.single("registered_at", "is required")
        try:
            return self.policy.instant(raw)  # type: ignore[arg-type]  # (it checks what it reads)
        except ValidationError as error:
            raise ValidationError(
                [Problem("registered_at", p.reason) for p in error.problems]
            ) from None

    def approved(self, row: Mapping[str, Any], category: Category) -> bool:
        status = row.get("status")
        if not _absent(status):
            known = self.statuses.get(status) if type(status) is str else None
            if known is None:
                known = self._approved_status(status)
            return known
        raw = row.get("approved_categories")
        if _absent(raw):
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


def _absent(value: object) -> bool:
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


def short_key(key: tuple[object, ...]) -> bool:
    return all(not isinstance(cell, str) or len(cell) <= _REMEMBERED_CELL for cell in key)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
