"""Policy checks over many plain rows, for notebooks and exports.

:func:`check_rows` takes an iterable of mappings — what ``pandas.DataFrame.to_dict("records")`` or
``polars.DataFrame.iter_rows(named=True)`` give — and returns plain records that
``pandas.DataFrame(records)`` takes as they are. No pandas or polars is needed here.

A row has these keys (others are ignored):

- ``partner_id``: required; any text or number (a cell of spaces only is an empty one).
- ``registered_at``: when the account was registered: an aware datetime, ISO 8601 text with an
  offset, or a date (``2024-04-30``: the start of that day in the policy's zone). Required to
  ask ``register``; for ``authorize_seller`` alone an empty cell is a partner registered long
  ago. A partner registered after ``at`` is not there yet: every answer is refused
  (``not_registered_yet``), and ``changes_at`` is its registration if its answer then is
  allowed.
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

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Literal

from partner_onboarding._fields import require_instance
from partner_onboarding.engine import (
    AT_REGISTRATION,
    NOT_APPROVED,
    RowReader,
    absent,
)
from partner_onboarding.errors import OnboardingError, Problem, ValidationError
from partner_onboarding.policy import DEFAULT_POLICY, Decision, Policy, Question

__all__ = [
    "RECORD_FIELDS",
    "check_rows",
    "decide_row",
    "iter_check_rows",
]


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
    facts = RowReader(policy, at)
    # Each raw value is understood once; afterwards a row costs a few dictionary look-ups and a
    # copy of a prebuilt record. A miss (a new value, or one that cannot be a key) goes the long
    # way through ``facts``, which checks it and remembers the answer.
    plans, positions, not_yet = facts.plans, facts.positions, facts.not_yet_from
    no_partner_id = ValidationError.single("partner_id", "is required")  # (built once: common)
    for index, row in enumerate(rows):
        try:
            if type(row) is not dict and not isinstance(row, Mapping):
                raise ValidationError.single("", "must be a mapping of column names to values")
            get = row.get
            partner_id = get("partner_id")
            if (
                (not partner_id or partner_id.isspace())
                if type(partner_id) is str
                else absent(partner_id)
            ):  # (a blank cell is an empty cell, in this column as in every other)
                raise no_partner_id.with_traceback(None)
            raw_question = get("question")
            key = (get("category"), get("market"), raw_question, get("registration_market"))
            try:
                category, registering, authorizing = plans[key]
            except (KeyError, TypeError):
                category, registering, authorizing = facts.plan(key)
            if (type(raw_question) is not str or raw_question.isspace() or not raw_question) and (
                "question" in row and absent(raw_question)
            ):  # (a row without the key asks both; one that leaves it empty says nothing)
                raise ValidationError.single("question", "is required")
            # Every question of the row is answered before any is given: a row is good or bad.
            # Its registration first (required for a registration; an empty one, for a seller
            # authorisation alone, is a partner registered long ago).
            raw = get("registered_at")
            try:
                position = positions[raw]
            except (KeyError, TypeError):
                position = 0 if registering is None and absent(raw) else facts.position(raw)
            if registering is not None:
                registered = registering[position]
            if authorizing is not None:
                status, listed = get("status"), get("approved_categories")
                if (status is None or type(status) is str) and (
                    listed is None or (type(listed) is str and not listed)
                ):
                    if status == "approved":
                        approved = True
                    elif status in NOT_APPROVED:
                        approved = False
                    else:  # a status to check
                        approved = facts.approved(row, category)
                else:  # a list of approved categories, or a missing-value marker
                    approved = facts.approved(row, category)
                authorized = authorizing[approved][position]
        except OnboardingError as error:
            if on_error == "raise":
                raise _at_row(error, index) from None
            yield _error_record(index, row, error)
            continue
        if registering is not None:
            record = registered.copy()
            record["row"], record["partner_id"] = index, partner_id
            if position >= not_yet and record["changes_at"] is AT_REGISTRATION:
                record["changes_at"] = facts.registration(raw)  # (not registered yet: until it is)
            yield record
        if authorizing is not None:
            record = authorized.copy()
            record["row"], record["partner_id"] = index, partner_id
            if position >= not_yet and record["changes_at"] is AT_REGISTRATION:
                record["changes_at"] = facts.registration(raw)
            yield record


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
    if absent(question):  # (no question means both, which a single Decision cannot be)
        raise facts.bad_question()
    (asked,) = facts.questions(question)
    market = facts.market(row.get("market"))
    position = facts.position_of(row, required=asked is Question.REGISTER)
    approved = asked is Question.AUTHORIZE_SELLER and facts.approved(row, category)
    answers = facts.answers(asked, category, registration, approved=approved)
    verdict = facts.written(answers[position], row.get("registered_at"))
    partner_id = row.get("partner_id")
    return Decision.of(
        verdict,
        question=asked,
        partner_id=None if absent(partner_id) or not isinstance(partner_id, str) else partner_id,
        category=category,
        market=market,
        at=facts.instant,
        policy_id=policy.id,
    )


@functools.lru_cache(maxsize=4)
def _facts(policy: Policy, at: dt.datetime | dt.date) -> RowReader:
    """The reader of one policy at one instant, kept for the next :func:`decide_row` (its memories
    are bounded, like every reader's)."""
    return RowReader(policy, at)


def _at_row(error: OnboardingError, index: int) -> ValidationError:
    if isinstance(error, ValidationError):
        return error.under(f"rows[{index}]")
    return ValidationError([Problem(f"rows[{index}]", str(error))], what="rows")


def _error_record(index: int, row: object, error: OnboardingError) -> dict[str, Any]:
    problems = error.problems if isinstance(error, ValidationError) else (Problem("", str(error)),)
    record = _BAD_ROW.copy()  # (a copy of a blank record: a bad row costs little more than a good)
    record["row"] = index
    if type(row) is dict or isinstance(row, Mapping):
        record["partner_id"] = row.get("partner_id")
        record["category"] = row.get("category")
        record["market"] = row.get("market")
    record["error"] = "; ".join(map(str, problems))
    return record


#: A bad row's record before its row, its cells and its error are written in.
_BAD_ROW: Final[dict[str, Any]] = dict.fromkeys(RECORD_FIELDS)
