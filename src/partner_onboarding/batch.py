"""Policy checks over many plain rows, for notebooks and exports.

:func:`check_rows` takes an iterable of mappings — what ``pandas.DataFrame.to_dict("records")`` or
``polars.DataFrame.iter_rows(named=True)`` give — and returns plain records that
``pandas.DataFrame(records)`` takes as they are. No pandas or polars is needed here.

A row has these keys (others are ignored):

- ``partner_id``: required; any text or number.
- ``registered_at``: required; when the account was registered: an aware datetime, ISO 8601 text
  with an offset, or a date (``2024-04-30``: the start of that day in the policy's zone).
- ``category``: required; a category code, name or known spelling.
- ``market``: optional; an ISO code, default ``US``.
- ``question``: optional; ``register`` or ``authorize_seller`` (default: both, a record each).
- ``status``: optional; the partner's application status in that category and market
  (``approved`` counts for seller authorisation).
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

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Literal

from partner_onboarding._time import parse_instant
from partner_onboarding.catalog import Category, Market
from partner_onboarding.errors import OnboardingError, Problem, ValidationError
from partner_onboarding.policy import DEFAULT_POLICY, Decision, Policy, Question

__all__ = ["RECORD_FIELDS", "check_rows", "decide_row", "iter_check_rows"]

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


def iter_check_rows(  # noqa: PLR0912, PLR0915  (the per-row fast paths are inlined on purpose)
    rows: Iterable[Mapping[str, Any]],
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
    on_error: Literal["raise", "record"] = "raise",
) -> Iterator[dict[str, Any]]:
    """:func:`check_rows`, one record at a time (for inputs larger than memory)."""
    if on_error not in {"raise", "record"}:
        raise ValidationError.single("on_error", "must be 'raise' or 'record'")
    rules = policy._compiled  # (this module is the policy's bulk front end)
    instant = rules.instant(at)
    facts = _Facts(policy)
    # The part of a record that depends only on the decision, built once per decision (the
    # compiled policy keeps each possible decision as one object, alive as long as the policy).
    answers_by_decision: dict[int, dict[str, Any]] = {}
    register, authorize = rules.register_for, rules.authorize_for
    # Each raw value is understood once; afterwards a row costs dictionary look-ups. A miss (a new
    # value, or one that cannot be a key) goes the long way through ``facts``, which checks it.
    categories, markets, instants = facts.categories, facts.markets, facts.instants
    questions_of = _QUESTIONS
    for index, row in enumerate(rows):
        try:
            if type(row) is not dict and not isinstance(row, Mapping):
                raise ValidationError.single("", "must be a mapping of column names to values")
            partner_id = row.get("partner_id")
            if partner_id is None or partner_id == "":
                raise ValidationError.single("partner_id", "is required")
            raw = row.get("category")
            try:
                category = categories[raw]
            except (KeyError, TypeError):
                category = facts.category(raw)
            raw = row.get("market")
            try:
                market = markets[raw]
            except (KeyError, TypeError):
                market = facts.market(raw)
            raw = row.get("question")
            try:
                questions = questions_of[raw]
            except (KeyError, TypeError):
                questions = facts.questions(raw)
            # Every question of the row is answered before any is given: a row is good or bad.
            answers = []
            for question, name in questions:
                if question is _REGISTER:
                    raw = row.get("registered_at")
                    try:
                        registered_at = instants[raw]
                    except (KeyError, TypeError):
                        registered_at = facts.registered_at(raw)
                    decision = register(registered_at, category.code, market, instant)
                else:
                    status = row.get("status")
                    if status == "approved":
                        approved = True
                    elif (
                        (status is None or type(status) is str)
                        and status in _NOT_APPROVED
                        and not row.get("approved_categories")
                    ):
                        approved = False
                    else:  # a list of approved categories, or a status to check
                        approved = facts.approved(row, category)
                    decision = authorize(approved, category.code, market, instant)
                answers.append((name, decision))
        except OnboardingError as error:
            if on_error == "raise":
                raise _at_row(error, index) from None
            yield _error_record(index, row, error)
            continue
        for name, decision in answers:
            answer = answers_by_decision.get(id(decision))
            if answer is None:
                answer = answers_by_decision[id(decision)] = _answer(decision)
            yield {
                "row": index,
                "partner_id": partner_id,
                "category": category.name,
                "market": market,
                "question": name,
                **answer,
            }


_REGISTER: Final = Question.REGISTER
_NOT_APPROVED: Final = frozenset({None, "", "pending_review", "rejected", "none"})
_BOTH_NAMED: Final = tuple((q, q.value) for q in Question)
_QUESTIONS: Final[dict[object, tuple[tuple[Question, str], ...]]] = {
    None: _BOTH_NAMED,
    "": _BOTH_NAMED,
    **{q.value: ((q, q.value),) for q in Question},
}


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
    rules = policy._compiled
    facts = _Facts(policy)
    instant = rules.instant(at)
    if not isinstance(row, Mapping):
        raise ValidationError.single("", "must be a mapping of column names to values")
    category = facts.category(row.get("category"))
    market = facts.market(row.get("market") or "US")
    ((asked, _),) = facts.questions(
        question if isinstance(question, Question) else _question(question)
    )
    if asked is Question.REGISTER:
        registered_at = facts.registered_at(row.get("registered_at"))
        return rules.register_for(registered_at, category.code, market, instant)
    return rules.authorize_for(facts.approved(row, category), category.code, market, instant)


def _question(raw: str) -> Question:
    try:
        return Question(raw)
    except ValueError:
        allowed = ", ".join(q.value for q in Question)
        raise ValidationError.single("question", f"must be one of {allowed}") from None


def _answer(decision: Decision) -> dict[str, Any]:
    codes = decision.codes
    return {
        "allowed": decision.allowed,
        "reason": codes[0],
        "reason_codes": ";".join(codes),
        "message": decision.message,
        "changes_at": decision.changes_at,
        "error": None,
    }


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


class _Facts:
    """Reads the facts of a row, remembering each raw value it has already understood."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.catalog = policy.catalog
        self.categories: dict[object, Category] = {}
        self.markets: dict[object, str] = {"US": "US", None: "US", "": "US"}
        self.instants: dict[object, dt.datetime] = {}
        self.approved_lists: dict[object, frozenset[str]] = {}

    def category(self, raw: object) -> Category:
        if raw is None or raw == "":
            raise ValidationError.single("category", "is required")
        if not isinstance(raw, str | Category):
            raise ValidationError.single("category", "must be a category name or code")
        try:
            category = self.catalog.category(raw)
        except OnboardingError as error:
            raise ValidationError.single("category", str(error)) from None
        if _hashable(raw):
            self.categories[raw] = category
        return category

    def market(self, raw: object) -> str:
        if isinstance(raw, Market):
            return raw.code
        if not isinstance(raw, str):
            raise ValidationError.single("market", "must be an ISO 3166-1 alpha-2 code")
        try:
            code = Market.parse(raw).code
        except ValidationError as error:
            raise error.under("market") from None
        if _hashable(raw):
            self.markets[raw] = code
        return code

    def questions(self, raw: object) -> tuple[tuple[Question, str], ...]:
        if isinstance(raw, Question):
            return ((raw, raw.value),)
        allowed = ", ".join(q.value for q in Question)
        raise ValidationError.single("question", f"must be one of {allowed}")

    def registered_at(self, raw: object) -> dt.datetime:
        found = self._instant(raw)
        if _hashable(raw) and len(self.instants) < 1_000_000:
            self.instants[raw] = found
        return found

    def _instant(self, raw: object) -> dt.datetime:
        if raw is None or raw == "":
            raise ValidationError.single("registered_at", "is required")
        try:
            if isinstance(raw, dt.datetime | dt.date):
                return self.policy.instant(raw)
            if isinstance(raw, str) and len(raw.strip()) == 10:
                return self.policy.instant(dt.date.fromisoformat(raw.strip()))
            if isinstance(raw, str):
                return parse_instant(raw)
        except ValueError as error:  # ValidationError (naive, unparsable) or a bad date
            if isinstance(error, ValidationError):
                raise ValidationError(
                    [Problem("registered_at", p.reason) for p in error.problems]
                ) from None
            raise ValidationError.single("registered_at", "is not a date (YYYY-MM-DD)") from None
        raise ValidationError.single(
            "registered_at", "must be a date-time, a date or ISO 8601 text"
        )

    def approved(self, row: Mapping[str, Any], category: Category) -> bool:
        status = row.get("status")
        if status is not None and status != "":
            if status == "approved":
                return True
            if status not in {"pending_review", "rejected", "none"}:
                raise ValidationError.single(
                    "status", "must be approved, pending_review, rejected, none or empty"
                )
        raw = row.get("approved_categories")
        if raw is None or raw == "":
            return False
        codes = self.approved_lists.get(raw) if _hashable(raw) else None
        if codes is None:
            codes = self._approved_codes(raw)
        return category.code in codes

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
        if _hashable(raw):
            self.approved_lists[raw] = found
        return found


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
