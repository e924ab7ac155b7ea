"""The one exception tree of the library.

Every error the library raises on purpose is an :class:`OnboardingError`. Each one also
subclasses the built-in exception it resembles, so callers that already catch ``ValueError`` or
``KeyError`` keep working:

- :class:`ValidationError` (``ValueError``): data that cannot make a valid value. It carries *every*
  problem found, each with a field path and a human reason.
- :class:`UnknownCategory` (``KeyError``): a catalog look-up that found nothing, with the closest
  known names as suggestions.
- :class:`InvalidTransition` (``ValueError``): an event the review state machine refuses in the
  current status, with the events it would accept.
- :class:`RuleViolation` (``ValueError``) and its subclasses: an onboarding rule forbids the
  operation (an approved entity is locked, a second open application, …).
- :class:`ApplicationNotFound` (``KeyError``): no open application for a (category, market).
- :class:`PolicyRefusal`: the policy forbids the operation; it carries the explained ``Decision``.
- :class:`MissingExtra` (``ImportError``): a feature needs an optional extra that is not
  installed; the message says which to install.
- :class:`PartnerNotFound` (``KeyError``): no partner of that id in a store.
- :class:`StaleRevision`: a write made from a revision of the partner that is no longer its latest
  (optimistic concurrency); it carries ``expected`` and ``actual``.
- :class:`NaiveDatetime` (a :class:`ValidationError`): a datetime without a zone where an instant
  is needed.

Exceptions store their facts as attributes; the message is built from them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from partner_onboarding.policy import Decision

__all__ = [
    "MAX_PROBLEMS",
    "ApplicationNotFound",
    "BackdatedStep",
    "CategoryNotInRoles",
    "DuplicateApplication",
    "EntityLocked",
    "EntityNotApproved",
    "EntityNotSubmitted",
    "HistoryOutOfOrder",
    "InvalidTransition",
    "MissingExtra",
    "NaiveDatetime",
    "NoApprovedApplication",
    "OnboardingError",
    "PartnerNotFound",
    "PolicyRefusal",
    "Problem",
    "RuleViolation",
    "StaleRevision",
    "UnknownCategory",
    "ValidationError",
    "WrongType",
    "note_unread",
    "quote",
]


class OnboardingError(Exception):
    """Root of every error the library raises on purpose.

    Every one pickles and copies (across processes: ``ProcessPoolExecutor``,
    ``multiprocessing``): an error built from keyword facts is rebuilt from the same facts.
    """

    #: The keyword facts the error was built from (to rebuild it elsewhere), when it has any.
    _facts: dict[str, object] | None = None

    def __reduce__(self) -> str | tuple[object, ...]:
        if self._facts is None:
            return super().__reduce__()
        # (the notes added to it, and anything else set on it, travel with it)
        state = {key: value for key, value in vars(self).items() if key != "_facts"}
        return (_rebuild, (type(self), self._facts), state or None)


def _rebuild(kind: type[OnboardingError], facts: dict[str, object]) -> OnboardingError:
    return kind(**facts)


def quote(value: object, limit: int = 40) -> str:
    """``value`` quoted for an error message (text as it is, anything else as its ``repr``),
    shortened to ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


@attrs.frozen
class Problem:
    """One thing wrong with some data: where (a dotted field path, ``""`` for the value itself)
    and why."""

    path: str
    reason: str

    def __attrs_post_init__(self) -> None:  # (inline: bulk readers make one a bad row)
        if not (isinstance(self.path, str) and isinstance(self.reason, str)):
            kinds = f"{type(self.path).__name__}, {type(self.reason).__name__}"
            raise TypeError(f"a problem's path and reason are text, not {kinds}")

    def under(self, prefix: str) -> Problem:
        """The same problem, seen from a value that holds this one at ``prefix``."""
        if not prefix:
            return self
        if not self.path:
            return Problem(prefix, self.reason)
        joiner = "" if self.path.startswith("[") else "."
        return Problem(f"{prefix}{joiner}{self.path}", self.reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


#: The most problems an error lists; past them it says how many more there were.
MAX_PROBLEMS: Final = 50

_SEQUENCES: Final = (list, tuple)


def note_unread(problems: list[Problem], path: str, unread: int, noun: str) -> None:
    """Says in ``problems`` (a list that reached the most an error lists, less one) that
    ``unread`` more of what ``noun`` names were not read at ``path``: the last problem the error
    lists, the ones it displaces counted as more."""
    note = Problem(path, f"{unread} more {noun}{'s' * (unread > 1)}, not read")
    problems.insert(MAX_PROBLEMS - 1, note)


class ValidationError(OnboardingError, ValueError):
    """Data that cannot make a valid value; ``problems`` lists the problems found, the first
    :data:`MAX_PROBLEMS` of them, and ``more`` says how many more there were (so that an error
    costs no more than its bound, whatever the size of the data)."""

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem], *, what: str = "value", more: int = 0) -> None:
        items: Sequence[Problem] = (
            problems  # type: ignore[assignment]  # (a list or tuple: checked by its type)
            if type(problems) in _SEQUENCES or isinstance(problems, Sequence)
            else [*problems]
        )
        self.problems = tuple(items[:MAX_PROBLEMS])
        self.more = more + max(0, len(items) - MAX_PROBLEMS)
        self.what = what
        if self._facts is None:  # (a subclass with facts of its own has kept them already)
            self._facts = {"problems": self.problems, "what": what, "more": self.more}
        super().__init__(self._message())

    @classmethod
    def single(cls, path: str, reason: str, *, what: str = "value") -> ValidationError:
        """A validation error with exactly one problem."""
        return cls([Problem(path, reason)], what=what)

    @property
    def fields(self) -> tuple[str, ...]:
        """The field paths with a problem, in the order they were found."""
        return tuple(problem.path for problem in self.problems)

    def under(self, prefix: str) -> ValidationError:
        """The same problems, with their paths prefixed by ``prefix``."""
        return type(self)([p.under(prefix) for p in self.problems], what=self.what, more=self.more)

    def _message(self) -> str:
        if len(self.problems) == 1 and not self.more:  # (the common case: cheap for bulk readers)
            return f"invalid {self.what}: 1 problem\n  - {self.problems[0]}"
        count = len(self.problems) + self.more
        head = f"invalid {self.what}: {count} problem{'s' if count != 1 else ''}"
        lines = [head, *(f"  - {problem}" for problem in self.problems)]
        if self.more:
            lines.append(f"  - … and {self.more} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()


class WrongType(ValidationError, TypeError):
    """An argument of the wrong type (``policy=None``, a list for an instant): a
    :class:`ValidationError` naming the argument, and a ``TypeError`` as Python's own would be."""


class UnknownCategory(OnboardingError, KeyError):
    """A category name or code the catalog does not know."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        self._facts = {"name": self.name, "suggestions": self.suggestions}
        super().__init__(name)

    def __str__(self) -> str:
        # KeyError's own __str__ would show repr(args); say something useful instead.
        message = f"unknown service category {self.name!r}"
        if self.suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        return message


class HistoryOutOfOrder(ValidationError):
    """An event dated before the last one in a history (histories are monotone in time)."""


class InvalidTransition(OnboardingError, ValueError):
    """An event that the review state machine does not allow in the current status.

    ``status`` is the current status (``None`` before the first submission), ``event`` the refused
    event, ``allowed`` the events that would be accepted, ``subject`` what was being reviewed.
    """

    def __init__(
        self, *, subject: str, status: object, event: object, allowed: Iterable[object]
    ) -> None:
        self.subject = subject
        self.status = status
        self.event = event
        self.allowed = tuple(allowed)
        self._facts = {
            "subject": self.subject,
            "status": self.status,
            "event": self.event,
            "allowed": self.allowed,
        }
        super().__init__(subject, status, event, self.allowed)

    def __str__(self) -> str:
        state = getattr(self.status, "label", "not yet submitted")
        allowed = ", ".join(getattr(e, "value", str(e)) for e in self.allowed) or "nothing"
        event = getattr(self.event, "value", self.event)
        article = "an" if self.subject[:1] in "aeiou" else "a"
        return f"cannot {event} {article} {self.subject} that is {state}; allowed: {allowed}"


class RuleViolation(OnboardingError, ValueError):
    """An operation that an onboarding rule forbids; ``rule`` is a stable code for it.

    Each subclass takes the facts it is about as keyword attributes and builds its message from
    them, so a service can react to the facts without reading the sentence.
    """

    rule: str = "rule"

    def _message(self) -> str:  # pragma: no cover - every subclass says its own
        return self.rule

    def __str__(self) -> str:
        return self._message()


def _label(status: object) -> str:
    """A review status as the Partner Center displays it; ``None`` is "not submitted"."""
    return "not submitted" if status is None else str(getattr(status, "label", status))


class EntityLocked(RuleViolation, InvalidTransition):
    """An attempt to change entity information that is approved (it cannot be modified).

    It is also an :class:`InvalidTransition`: the approved entity has no move left in the table.
    """

    rule = "entity_locked"

    def __init__(
        self, *, status: object, event: object, allowed: Iterable[object] = (), subject: str = ""
    ) -> None:
        InvalidTransition.__init__(
            self, subject="entity", status=status, event=event, allowed=allowed
        )
        self._facts = {"status": status, "event": event, "allowed": self.allowed}

    def _message(self) -> str:
        return (
            "approved entity information applies to every category and to finance information "
            "and cannot be modified"
        )


class EntityNotSubmitted(RuleViolation):
    """A category application before any entity information was submitted."""

    rule = "entity_not_submitted"

    def __init__(self, *, category: str) -> None:
        self.category = category
        self._facts = {"category": self.category}
        super().__init__(category)

    def _message(self) -> str:
        return (
            f"entity information must be submitted before applying for {self.category} "
            "(a service category)"
        )


class EntityNotApproved(RuleViolation):
    """A category approval while the entity is not approved; ``entity_status`` is its status."""

    rule = "entity_not_approved"

    def __init__(self, *, entity_status: object, category: str | None = None) -> None:
        self.entity_status = entity_status
        self.category = category
        self._facts = {"entity_status": self.entity_status, "category": self.category}
        super().__init__(entity_status, category)

    def _message(self) -> str:
        return (
            "a category can be approved only when the entity is approved "
            f"(entity: {_label(self.entity_status)})"
        )


class CategoryNotInRoles(RuleViolation):
    """An application for a category of a role the partner has not chosen."""

    rule = "category_not_in_roles"

    def __init__(self, *, category: str, role: object, roles: Iterable[object] = ()) -> None:
        self.category = category
        self.role = role
        self.roles = tuple(roles)
        self._facts = {"category": self.category, "role": self.role, "roles": self.roles}
        super().__init__(category, role, self.roles)

    def _message(self) -> str:
        label = getattr(self.role, "label", self.role)
        return (
            f"{self.category} belongs to the role {label}, which the partner has not chosen; "
            "add that role first"
        )


class DuplicateApplication(RuleViolation):
    """A second open application for the same (category, market); ``open_id`` names the first."""

    rule = "duplicate_application"

    def __init__(self, *, category: str, market: str, open_id: str, status: object) -> None:
        self.category = category
        self.market = market
        self.open_id = open_id
        self.status = status
        self._facts = {
            "category": self.category,
            "market": self.market,
            "open_id": self.open_id,
            "status": self.status,
        }
        super().__init__(category, market, open_id, status)

    def _message(self) -> str:
        return (
            f"an application for {self.category} in {self.market} is already open "
            f"({self.open_id}, {_label(self.status)})"
        )


class NoApprovedApplication(RuleViolation):
    """A seller authorisation without an approved application in that category and market."""

    rule = "no_approved_application"

    def __init__(self, *, category: str, market: str) -> None:
        self.category = category
        self.market = market
        self._facts = {"category": self.category, "market": self.market}
        super().__init__(category, market)

    def _message(self) -> str:
        return (
            f"a seller authorisation in {self.category} needs an approved application in "
            f"{self.category} in market {self.market}"
        )


class BackdatedStep(RuleViolation, HistoryOutOfOrder):
    """A step dated before the partner's clock allows: before its account was registered, or
    before its latest event (one clock per partner).

    ``at`` is the refused instant, ``not_before`` the earliest one allowed, ``since`` what set it
    (``"registration"`` or ``"latest_event"``).
    """

    rule = "backdated_step"

    def __init__(self, *, at: dt.datetime, not_before: dt.datetime, since: str) -> None:
        self.at = at
        self.not_before = not_before
        self.since = since
        self._facts = {"at": self.at, "not_before": self.not_before, "since": self.since}
        HistoryOutOfOrder.__init__(self, [Problem("at", self._reason())], what="step")

    def _reason(self) -> str:
        what = (
            "the account's registration"
            if self.since == "registration"
            else ("the partner's latest event")
        )
        return f"{self.at.isoformat()} is before {what} ({self.not_before.isoformat()})"

    def _message(self) -> str:
        return f"back-dated step: {self._reason()}"


class ApplicationNotFound(OnboardingError, KeyError):
    """No open application for the (category, market) asked about."""

    def __init__(self, category: str, market: str) -> None:
        self.category = category
        self.market = market
        super().__init__(category, market)

    def __str__(self) -> str:
        return f"no open application for {self.category} in market {self.market}"


class NaiveDatetime(ValidationError):
    """A datetime without a time zone where an instant is needed: the library never guesses one."""


class PolicyRefusal(OnboardingError):
    """An operation the policy forbids; ``decision`` says why, and since when."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.codes = decision.codes
        super().__init__(decision)

    def __str__(self) -> str:
        return f"{self.decision.message} (policy rule: {self.decision.decided_by.name})"


class MissingExtra(OnboardingError, ImportError):
    """``feature`` needs the optional extra ``extra`` (``pip install
    'partner-onboarding[extra]'``), which is not installed here."""

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        self._facts = {"feature": feature, "extra": extra}
        super().__init__(feature, extra)

    def __str__(self) -> str:
        return (
            f"{self.feature} needs the {self.extra!r} extra: "
            f"pip install 'partner-onboarding[{self.extra}]'"
        )


class PartnerNotFound(OnboardingError, KeyError):
    """No partner of id ``partner_id`` is stored (:mod:`partner_onboarding.store`)."""

    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id
        self._facts = {"partner_id": partner_id}
        super().__init__(partner_id)

    def __str__(self) -> str:
        return f"no partner {quote(self.partner_id, 100)} is stored"


class StaleRevision(OnboardingError):
    """A write made from revision ``expected`` of a partner now at revision ``actual``: someone
    else wrote first. Load the partner again, decide again, and retry; nothing was written."""

    def __init__(self, *, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        self._facts = {"expected": expected, "actual": actual}
        super().__init__(expected, actual)

    def __str__(self) -> str:
        return (
            f"stale revision: the write was made from revision {self.expected}, "
            f"the partner is at revision {self.actual}"
        )
