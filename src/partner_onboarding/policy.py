"""What is allowed when: the date- and zone-exact policy for the discontinued categories.

A :class:`Policy` is an immutable value holding effective-dated rules. Ask it a question and it
answers with a :class:`Decision`: allowed or not, machine-readable :class:`Reason` codes, the rule
that decided, and the next instant at which the same question would be answered differently.

:data:`DEFAULT_POLICY` is the 2024 upgrade of the US Partner Center: from 2024-04-30 new partners
cannot register for Mass Recruiting, Mass Tutoring and Paid Media; from 2024-06-05 nobody obtains
new seller authorisation in them. Cut-offs are the start of the day in ``America/Los_Angeles``
and are inclusive: at 2024-04-30T00:00-07:00 the door is already closed.

>>> import datetime as dt
>>> from partner_onboarding.testing import approved_partner
>>> existing = approved_partner("Paid Media", at=dt.datetime(2024, 1, 10, tzinfo=dt.timezone.utc))
>>> DEFAULT_POLICY.can_authorize_seller(existing, "Paid Media", at=dt.date(2024, 6, 4)).message
'allowed until 2024-06-05T00:00-07:00'
>>> bool(DEFAULT_POLICY.can_authorize_seller(existing, "Paid Media", at=dt.date(2024, 6, 5)))
False
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import json
import os
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, NamedTuple

import attrs

from partner_onboarding._documents import load_json, load_toml, read_document
from partner_onboarding._fields import Problems, require_instance
from partner_onboarding._time import (
    as_instant,
    instant_or_day,
    instant_problem,
    is_day_text,
    parse_day,
    parse_instant,
    require_aware,
    start_of_day,
)
from partner_onboarding.catalog import (
    DEFAULT_CATALOG,
    Catalog,
    Category,
    Market,
    PartnerRole,
    parse_member,
)
from partner_onboarding.errors import (
    MAX_PROBLEMS,
    PolicyRefusal,
    Problem,
    UnknownCategory,
    ValidationError,
    note_unread,
    quote,
)
from partner_onboarding.model import Partner, ReviewStatus, content_digest, status_at

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_VERSION",
    "UPGRADE_2024",
    "Bars",
    "Cutoff",
    "Decision",
    "Facts",
    "Policy",
    "Question",
    "Reason",
    "ReasonCode",
    "Rule",
    "Verdict",
    "iana_zone",
    "upgrade_rules",
]


class ReasonCode(enum.StrEnum):
    """The stable reason codes a decision carries (their values never change)."""

    CURRENT_CATEGORY = "current_category"
    MARKET_NOT_COVERED = "market_not_covered"
    BEFORE_UPGRADE = "before_upgrade"
    EXISTING_PARTNER = "existing_partner"
    NEW_PARTNER_DISCONTINUED = "new_partner_discontinued"
    DISCONTINUED_FOR_ALL = "discontinued_for_all"
    AUTHORIZATION_OPEN = "authorization_open"
    AUTHORIZATION_CLOSED = "authorization_closed"
    APPROVED_APPLICATION = "approved_application"
    NO_APPROVED_APPLICATION = "no_approved_application"
    NO_RULE = "no_rule"
    NOT_REGISTERED_YET = "not_registered_yet"


class Question(enum.StrEnum):
    """The questions :meth:`Policy.check_many` answers."""

    REGISTER = "register"
    AUTHORIZE_SELLER = "authorize_seller"


def _as_optional_instant(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_instant(value)


@attrs.frozen
class Rule:
    """A rule of the policy, and the instant it takes effect (``None``: always in force)."""

    name: str
    effective_at: dt.datetime | None = attrs.field(default=None, converter=_as_optional_instant)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name, max_length=100)
        if self.effective_at is not None:
            problems.aware("effective_at", self.effective_at)
        problems.raise_if_any("rule")

    def __str__(self) -> str:
        if self.effective_at is None:
            return self.name
        return f"{self.name} (from {_minutes(self.effective_at)})"


@attrs.frozen
class Reason:
    """One reason for a decision: a stable ``code``, a human ``message``, the ``rule`` behind it."""

    code: ReasonCode
    message: str
    rule: Rule

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.instance("code", self.code, ReasonCode)
        problems.text("message", self.message, max_length=500)
        problems.instance("rule", self.rule, Rule)
        problems.raise_if_any("reason")


def _as_reasons(values: Iterable[Reason]) -> tuple[Reason, ...]:
    if isinstance(values, Iterable) and not isinstance(values, str):
        return tuple(values)
    return values  # kept so the check can report it


class _Answer:
    """What :class:`Verdict` and :class:`Decision` say alike (they share these fields)."""

    __slots__ = ()
    allowed: bool
    reasons: tuple[Reason, ...]
    changes_at: dt.datetime | None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, as plain strings."""
        return tuple(str(reason.code) for reason in self.reasons)

    @property
    def message(self) -> str:
        """One line: ``allowed until …``, ``allowed: existing partner``, ``refused: …``."""
        if self.allowed and self.changes_at is not None:
            return f"allowed until {_minutes(self.changes_at)}"
        verdict = "allowed" if self.allowed else "refused"
        return f"{verdict}: " + "; ".join(reason.message for reason in self.reasons)

    def __str__(self) -> str:
        return self.message


def _answer_problems(answer: Verdict | Decision, problems: Problems) -> None:
    if not isinstance(answer.allowed, bool):
        problems.add("allowed", "must be true or false")
    if not isinstance(answer.reasons, tuple):  # (a list or any iterable is one by now)
        problems.add("reasons", "must be a list of Reason values")
    elif not answer.reasons:
        problems.add("reasons", "must give at least one reason")
    else:
        for index, reason in enumerate(answer.reasons):
            problems.instance(f"reasons[{index}]", reason, Reason)
    problems.instance("decided_by", answer.decided_by, Rule)
    if answer.changes_at is not None:
        problems.aware("changes_at", answer.changes_at)


@attrs.frozen
class Verdict(_Answer):
    """What a rule answers, whoever asks: ``allowed``, why (``reasons``), by which rule, and the
    next instant the answer changes (``changes_at``, ``None`` if time alone never changes it).

    The bulk paths (``check_rows``, frames, Spark, the command line) answer each distinct
    combination of facts with one verdict; a :class:`Decision` is a verdict with what was asked.
    ``bool(verdict)`` is ``verdict.allowed``.
    """

    allowed: bool
    reasons: tuple[Reason, ...] = attrs.field(converter=_as_reasons)
    decided_by: Rule
    changes_at: dt.datetime | None = attrs.field(default=None, converter=_as_optional_instant)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        _answer_problems(self, problems)
        problems.raise_if_any("verdict")


@attrs.frozen(kw_only=True, slots=False)
class Decision(_Answer):
    """A policy's answer to one question, and the question itself, so that it can be logged.

    What was asked: the ``question``; the partner (``partner_id``: a partner's id, or the id a
    file gives it; ``None`` when asked on plain facts without one); the ``category`` and target
    ``market``; the instant ``at``; the policy that answered (``policy_id``, its
    :attr:`Policy.id`). The answer: ``allowed``, why (``reasons``), by which rule
    (``decided_by``), and ``changes_at``, the next instant at which the same question gets the
    other answer (allowed where it is refused, or the reverse): by time alone, or, for a question
    about a partner's past, by an event it recorded later (an approval); ``None`` if neither
    changes it. ``bool(decision)`` is ``decision.allowed``.
    """

    question: Question
    partner_id: str | None = None
    category: Category = attrs.field(repr=lambda category: repr(category.code))
    market: Market
    at: dt.datetime = attrs.field(converter=as_instant)
    policy_id: str
    allowed: bool
    reasons: tuple[Reason, ...] = attrs.field(converter=_as_reasons)
    decided_by: Rule
    changes_at: dt.datetime | None = attrs.field(default=None, converter=_as_optional_instant)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.instance("question", self.question, Question)
        if self.partner_id is not None:  # (a library partner's id, or a file's own)
            problems.text("partner_id", self.partner_id, max_length=100)
        problems.instance("category", self.category, Category)
        problems.instance("market", self.market, Market)
        problems.aware("at", self.at)
        if not isinstance(self.policy_id, str) or not _POLICY_ID.fullmatch(self.policy_id):
            problems.add("policy_id", "must be a policy id, 'policy#' and 16 hexadecimal digits")
        _answer_problems(self, problems)
        problems.raise_if_any("decision")

    @classmethod
    def of(
        cls,
        verdict: Verdict,
        *,
        question: Question | str,
        partner_id: str | None = None,
        category: Category,
        market: Market | str,
        at: dt.datetime,
        policy_id: str,
    ) -> Decision:
        """``verdict`` as the answer to the question described by the other arguments."""
        require_instance("verdict", verdict, Verdict, what="decision")
        return cls(
            question=parse_member(Question, question, field="question"),
            partner_id=partner_id,
            category=category,
            market=Market.of(market),
            at=at,
            policy_id=policy_id,
            allowed=verdict.allowed,
            reasons=verdict.reasons,
            decided_by=verdict.decided_by,
            changes_at=verdict.changes_at,
        )

    @property
    def verdict(self) -> Verdict:
        """The answer alone, without the question."""
        return Verdict(self.allowed, self.reasons, self.decided_by, self.changes_at)


_POLICY_ID: Final = re.compile(r"policy#[0-9a-f]{16}")


def _decision(  # noqa: PLR0917  (positional: this is every question's hot path)
    question: Question,
    partner_id: str | None,
    category: Category,
    market: Market,
    at: dt.datetime,
    policy_id: str,
    verdict: Verdict,
) -> Decision:
    """A decision from parts the policy has already checked: the hot path of every question,
    which skips checking them again (equal to :meth:`Decision.of`, as the tests show)."""
    decision = _new(Decision)
    _set(
        decision,
        "__dict__",
        {
            "question": question,
            "partner_id": partner_id,
            "category": category,
            "market": market,
            "at": at,
            "policy_id": policy_id,
            "allowed": verdict.allowed,
            "reasons": verdict.reasons,
            "decided_by": verdict.decided_by,
            "changes_at": verdict.changes_at,
        },
    )
    return decision


_new: Final = object.__new__
_set: Final = object.__setattr__


def _minutes(instant: dt.datetime) -> str:
    return instant.isoformat(timespec="minutes")


def iana_zone(name: object, *, field: str = "zone") -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (``America/Los_Angeles``), one that means the same on every
    machine (not ``localtime``, ``Factory`` or the ``posix/`` and ``right/`` trees); else
    :class:`~partner_onboarding.errors.ValidationError` on ``field``."""
    problems = Problems()
    zone = _zone(name, problems, field=field)
    problems.raise_if_any("time zone")
    assert zone is not None  # noqa: S101  (no problem: a zone)
    return zone


def _zone(name: object, problems: Problems, *, field: str = "zone") -> zoneinfo.ZoneInfo | None:
    if not isinstance(name, str) or not name.strip():
        problems.add(field, "must be an IANA time zone name such as 'America/Los_Angeles'")
        return None
    if name in _HOST_ZONES or name.startswith(("posix/", "right/")):
        problems.add(
            field,
            f"{quote(name, 60)} does not mean the same on every machine: name the IANA zone "
            "itself, such as 'America/Los_Angeles'",
        )
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # (a folder such as "US")
        pass
    if _has_zone_data():
        problems.add(field, f"{quote(name, 60)} is not an IANA time zone")
    else:
        problems.add(field, NO_ZONE_DATA)
    return None


# Names a zone database may hold that are not zones of the IANA database as such: the host's own
# zone (what "localtime" is differs from machine to machine), the placeholder "Factory", the
# template "posixrules", and the "posix/" and "right/" trees (the latter counts leap seconds).
_HOST_ZONES: Final = frozenset({"localtime", "Factory", "posixrules"})

NO_ZONE_DATA: Final = (
    "no IANA time zone data is installed here: install the system's tzdata package, "
    "or pip install 'partner-onboarding[tzdata]'"
)


def _has_zone_data() -> bool:
    """Whether this machine has any zone data at all (UTC is in every copy of it)."""
    try:
        zoneinfo.ZoneInfo("UTC")
    except (zoneinfo.ZoneInfoNotFoundError, OSError):
        return False
    return True


def _as_codes(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    if isinstance(values, Iterable):
        return tuple(values)
    return values  # not a list: kept so the check can report it


def _as_role_pairs(
    values: Mapping[str, PartnerRole | str] | Iterable[tuple[str, PartnerRole | str]],
) -> tuple[tuple[str, PartnerRole], ...]:
    pairs = values.items() if isinstance(values, Mapping) else values
    if isinstance(pairs, Iterable) and not isinstance(pairs, str):
        return tuple(pairs)  # (the roles are checked by the policy)
    return pairs  # kept so the check can report it


class Bars(enum.StrEnum):
    """Whom a :class:`Cutoff` bars."""

    #: Partners registered at or after the cut-off's ``registered_from`` (default: its ``from``).
    NEW_PARTNERS = "new_partners"
    #: Every partner.
    EVERYONE = "everyone"


When = dt.date | dt.datetime


def _as_when(value: object) -> object:
    """A day or an instant from what a rule may be given: a ``date``, an aware ``datetime``, or
    ISO 8601 text of either; anything else is kept for the check to report."""
    if isinstance(value, str):
        try:
            return parse_day(value) if is_day_text(value) else parse_instant(value.strip())
        except ValidationError:
            return value
    if isinstance(value, dt.datetime) and instant_problem(value) is None:
        return as_instant(value)
    return value


def _as_optional_when(value: object) -> object:
    return None if value is None else _as_when(value)


def _as_question(value: object) -> Question:
    return _as_member(Question, value)  # type: ignore[return-value]  # (else: checked later)


def _as_bars(value: object) -> Bars:
    return _as_member(Bars, value)  # type: ignore[return-value]  # (else: checked later)


def _when_problem(field: str, value: object, problems: Problems) -> None:
    if isinstance(value, dt.datetime):
        problem = instant_problem(value)
        if problem is not None:
            problems.add(field, f"{problem} (or write a day, such as 2024-04-30)")
    elif not isinstance(value, dt.date):
        problems.add(
            field, f"{quote(value)} is not a day (2024-04-30) or an instant with an offset"
        )


def _when_text(value: When) -> str:
    return value.isoformat()


def _as_market(value: object) -> object:
    """A market from a :class:`Market` or its code; anything else as it is, for the value's own
    check to name."""
    if type(value) is Market:
        return value
    try:
        return Market.of(value)  # type: ignore[arg-type]  # (checked: refused below if not)
    except ValidationError:
        return value


@attrs.frozen(kw_only=True)
class Facts:
    """What a question about a partner reads, without the partner: the facts
    :meth:`Policy.decide` answers on.

    - ``category``: a category's name or code (the policy's catalog resolves it), or a
      :class:`~partner_onboarding.catalog.Category`.
    - ``registered_at``: the partner's registration instant (aware).
    - ``registration_market``: the market of the partner's Partner Center (default US).
    - ``market``: the target market asked about (default: the registration market).
    - ``approved``: for a seller authorisation, whether the partner holds an approved application
      in the category and target market at the instant asked about.
    - ``partner_id``: recorded in the decision when given.

    >>> facts = Facts(category="Paid Media", registered_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    >>> DEFAULT_POLICY.decide("register", facts, at=dt.date(2024, 5, 20)).allowed
    True
    """

    category: str | Category
    registered_at: dt.datetime
    registration_market: Market = attrs.field(default=Market.US, converter=_as_market)
    market: Market | None = attrs.field(
        default=None, converter=attrs.converters.optional(_as_market)
    )
    approved: bool = False
    partner_id: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.category, Category) and (
            not isinstance(self.category, str) or not self.category.strip()
        ):  # (a spelling the catalog resolves, or refuses, when the facts are asked about)
            problems.add("category", "must be a category name or code")
        try:
            require_aware(self.registered_at, field="registered_at")
        except ValidationError as error:
            problems.items += error.problems
        for field in ("registration_market", "market"):
            value = getattr(self, field)
            if not isinstance(value, Market) and (value is not None or field != "market"):
                problems.add(field, "must be a Market or an ISO 3166-1 alpha-2 code")
        if not isinstance(self.approved, bool):
            problems.add("approved", "must be true or false")
        if self.partner_id is not None:
            problems.text("partner_id", self.partner_id, max_length=100)
        problems.raise_if_any("facts")


@attrs.frozen(kw_only=True)
class Cutoff:
    """One rule of a policy's rulebook: from ``from_`` on, ``question`` is refused in each of
    ``categories`` to the partners ``bars`` names.

    - ``categories``: codes or names of the catalog's legacy categories (a policy resolves them
      to codes, and refuses a category of the current structure).
    - ``question``: :attr:`Question.REGISTER` (a new application) or
      :attr:`Question.AUTHORIZE_SELLER` (a new seller authorisation).
    - ``bars``: :attr:`Bars.NEW_PARTNERS` (partners registered at or after ``registered_from``,
      by default ``from_`` itself) or :attr:`Bars.EVERYONE`. A seller-authorisation rule bars
      everyone: the source closes new authorisations to all partners alike.
    - ``from_`` (``from`` in a file): a day (it takes effect at that day's start in the policy's
      zone) or an aware instant; ISO 8601 text of either is read as such.
    """

    categories: tuple[str, ...] = attrs.field(converter=_as_codes)
    question: Question = attrs.field(converter=_as_question)
    bars: Bars = attrs.field(converter=_as_bars)
    from_: When = attrs.field(converter=_as_when)
    registered_from: When | None = attrs.field(default=None, converter=_as_optional_when)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.categories, tuple) or not self.categories:
            problems.add("categories", "must be a non-empty list of category names or codes")
        else:
            for index, name in enumerate(self.categories[:MAX_RULE_CATEGORIES]):
                problems.text(f"categories[{index}]", name, max_length=100)
            if len(self.categories) > MAX_RULE_CATEGORIES:
                problems.add("categories", f"must name at most {MAX_RULE_CATEGORIES} categories")
        for field, kind in (("question", Question), ("bars", Bars)):
            if not isinstance(getattr(self, field), kind):
                allowed = ", ".join(member.value for member in kind)
                problems.add(field, f"must be one of {allowed}")
        _when_problem("from", self.from_, problems)
        if self.registered_from is not None:
            _when_problem("registered_from", self.registered_from, problems)
            if self.bars is not Bars.NEW_PARTNERS:
                problems.add("registered_from", "only a rule that bars new partners reads it")
        if self.question is Question.AUTHORIZE_SELLER and self.bars is Bars.NEW_PARTNERS:
            problems.add(
                "bars",
                "a seller-authorisation rule bars everyone (new seller authorisations close "
                "for all partners alike)",
            )
        problems.raise_if_any("rule")

    def to_data(self) -> dict[str, Any]:
        """The rule as plain data (``from`` and ``registered_from`` as ISO text)."""
        data: dict[str, Any] = {
            "categories": list(self.categories),
            "question": self.question.value,
            "bars": self.bars.value,
            "from": _when_text(self.from_),
        }
        if self.registered_from is not None:
            data["registered_from"] = _when_text(self.registered_from)
        return data

    @classmethod
    def from_data(cls, data: object) -> Cutoff:
        """A rule from plain data: the keys of :meth:`to_data`."""
        if not isinstance(data, Mapping):
            raise ValidationError.single("", "must be a table of rule fields", what="rule")
        unknown = [
            Problem(str(key)[:100], "unknown field") for key in data if key not in _RULE_KEYS
        ]
        if unknown:
            raise ValidationError(unknown, what="rule")
        missing = [key for key in _RULE_KEYS[:4] if key not in data]
        if missing:
            raise ValidationError([Problem(key, "is required") for key in missing], what="rule")
        return cls(
            categories=data["categories"],
            question=data["question"],
            bars=data["bars"],
            from_=data["from"],
            registered_from=data.get("registered_from"),
        )


def _discontinued(
    catalog: Catalog, name: str, position: int, field: str, problems: Problems
) -> Category | None:
    """The legacy category ``name`` names (the ``position``-th of its list), or ``None`` with the
    problem added on ``field``: unknown (with suggestions for the first few of a list), or a
    category of the current structure."""
    category = catalog.find(name)
    if category is None:
        problems.add(field, str(catalog.unknown(name, suggest=position < _SUGGESTED)))
    elif not category.legacy:
        problems.add(
            field,
            f"{category.name!r} is a category of the current structure: only the catalog's "
            "legacy categories can be discontinued",
        )
    else:
        return category
    return None


#: How many unknown names of one list of categories get suggestions searched for them.
_SUGGESTED: Final = 10
_RULE_KEYS: Final = ("categories", "question", "bars", "from", "registered_from")
#: Bounds of a rulebook (what one policy document may hold).
MAX_RULES: Final = 1000
MAX_RULE_CATEGORIES: Final = 200


def _as_member(kind: type[enum.StrEnum], value: object) -> object:
    if isinstance(value, kind):
        return value
    try:
        return parse_member(kind, value, field="")
    except ValidationError:
        return value  # kept so the check can report it


def _as_rules(values: Iterable[Cutoff]) -> tuple[Cutoff, ...]:
    if isinstance(values, Iterable) and not isinstance(values, str | bytes | Mapping):
        return tuple(values)
    return values  # type: ignore[return-value]  # (not a list: kept for the check to report)


def upgrade_rules(
    *,
    upgrade_date: When = dt.date(2024, 4, 30),
    authorization_cutoff: When = dt.date(2024, 6, 5),
    new_partners_from: When | None = None,
    discontinued: Iterable[str] = ("mass_recruiting", "mass_tutoring", "paid_media"),
    existing_partners_may_register: bool = True,
) -> tuple[Cutoff, ...]:
    """The rulebook of an upgrade of the 2024 shape, and what a version 1 policy document says:
    from ``upgrade_date`` new partners (registered from ``new_partners_from``, by default the
    upgrade date) cannot register for the ``discontinued`` categories (nobody can, if
    ``existing_partners_may_register`` is false); from ``authorization_cutoff`` nobody obtains
    a new seller authorisation in them."""
    categories = _as_codes(discontinued)
    everyone = existing_partners_may_register is False
    return (
        Cutoff(
            categories=categories,
            question=Question.REGISTER,
            bars=Bars.EVERYONE if everyone else Bars.NEW_PARTNERS,
            from_=upgrade_date,
            registered_from=None if everyone else new_partners_from,
        ),
        Cutoff(
            categories=categories,
            question=Question.AUTHORIZE_SELLER,
            bars=Bars.EVERYONE,
            from_=authorization_cutoff,
        ),
    )


#: The 2024 upgrade of the US Partner Center, as a rulebook.
UPGRADE_2024: Final = upgrade_rules()


@attrs.frozen(kw_only=True, cache_hash=True)
class Policy:
    """A rulebook: the effective-dated rules for the discontinued categories of one Partner
    Center.

    Every field is data, and :meth:`from_toml`/:meth:`from_json` build one from data:

    - ``market``, ``zone``: the registration market of the Partner Center whose partners the
      rules cover, and its IANA time zone (a rule's day starts at midnight there). The rules hold
      in *every target market* an application names; only a partner registered in another
      Partner Center is not covered.
    - ``rules``: the :class:`Cutoff` rules, at least one (default: :data:`UPGRADE_2024`). The
      categories they name are the discontinued ones; each must be a legacy category of the
      catalog.
    - ``role_overrides``: (category code, current role) pairs (or a mapping), overriding the
      catalog's mapping for the role switch.
    """

    market: Market = Market.US
    zone: str = "America/Los_Angeles"
    rules: tuple[Cutoff, ...] = attrs.field(default=UPGRADE_2024, converter=_as_rules)
    role_overrides: tuple[tuple[str, PartnerRole], ...] = attrs.field(
        default=(), converter=_as_role_pairs
    )
    # (part of the value: the same rules over another catalog are another policy)
    catalog: Catalog = attrs.field(default=DEFAULT_CATALOG, repr=False)
    _compiled: CompiledPolicy = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.instance("market", self.market, Market)
        zone = _zone(self.zone, problems)
        rules: tuple[Cutoff, ...] = ()
        overrides: dict[str, PartnerRole] = {}
        if problems.instance("catalog", self.catalog, Catalog):  # (it resolves the codes below)
            rules = self._rules(zone, problems)
            overrides = self._overrides(problems)
        problems.raise_if_any("policy")
        assert zone is not None  # noqa: S101  (raise_if_any above guarantees it)
        # Normalise what was given as names, so that equal policies are equal values.
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "role_overrides", tuple(sorted(overrides.items())))
        identity = "policy#" + content_digest([self._content(), self.catalog.id])[:16]
        compiled = CompiledPolicy(self, zone, overrides, identity=identity)
        object.__setattr__(self, "_compiled", compiled)

    def _rules(self, zone: zoneinfo.ZoneInfo | None, problems: Problems) -> tuple[Cutoff, ...]:
        if not isinstance(self.rules, tuple) or not all(isinstance(r, Cutoff) for r in self.rules):
            problems.add("rules", "must be a list of rules (Cutoff values)")
            return ()
        if not self.rules:
            problems.add("rules", "must hold at least one rule")
        if len(self.rules) > MAX_RULES:
            problems.add("rules", f"must hold at most {MAX_RULES} rules")
            return ()
        found: list[Cutoff] = []
        for index, rule in enumerate(self.rules):
            codes: list[str] = []
            for position, name in enumerate(rule.categories):
                field = f"rules[{index}].categories[{position}]"
                category = _discontinued(self.catalog, name, position, field, problems)
                if category is not None and category.code not in codes:
                    codes.append(category.code)
            for field, when in (("from", rule.from_), ("registered_from", rule.registered_from)):
                if type(when) is dt.date and zone is not None and _starts_off_calendar(when, zone):
                    problems.add(
                        f"rules[{index}].{field}", "a cut-off at the very end of the calendar"
                    )
            found.append(attrs.evolve(rule, categories=tuple(codes)) if codes else rule)
        return tuple(found)

    # ----------------------------------------------------------------------------------------------
    # Instants

    @property
    def time_zone(self) -> zoneinfo.ZoneInfo:
        """The market's time zone."""
        return self._compiled.zone

    @property
    def discontinued(self) -> tuple[str, ...]:
        """The codes of the discontinued categories: those the rules name, in catalog order."""
        return self._compiled.discontinued_codes

    @property
    def upgrade_at(self) -> dt.datetime:
        """The instant the upgrade takes effect: the earliest a rule of the rulebook does (the
        new category structure, and the upgrade migration, start there)."""
        return self._compiled.upgrade_at

    @property
    def authorization_cutoff_at(self) -> dt.datetime | None:
        """The earliest instant a seller-authorisation rule takes effect (``None``: no rule
        closes seller authorisations)."""
        return self._compiled.first_from.get(Question.AUTHORIZE_SELLER)

    @property
    def instants(self) -> tuple[dt.datetime, ...]:
        """Every instant the rulebook names (each rule's start and the registration instants its
        rules read), in order: the only instants at which an answer can change by time alone."""
        return self._compiled.instants

    @property
    def id(self) -> str:
        """The policy's identity: ``policy#`` and 16 hexadecimal digits of the SHA-256 of its
        content (every field, and the identity of its catalog). Equal policies have equal ids in
        every process; a decision names the policy that answered by it."""
        return self._compiled.id

    @property
    def compiled(self) -> CompiledPolicy:
        """The policy's rules compiled once, for the bulk readers (:mod:`partner_onboarding.batch`):
        the verdicts prebuilt, the cut-offs as instants. The questions above answer through it."""
        return self._compiled

    def instant(self, at: dt.datetime | dt.date | str) -> dt.datetime:
        """``at`` as an instant: an aware datetime as it is, a ``date`` (or text written as a day,
        ``2024-04-30``) as the start of that day in the zone, ISO 8601 text with an offset as that
        instant. A naive datetime raises :class:`~partner_onboarding.errors.NaiveDatetime`.
        """
        return self._compiled.instant(at)

    def _overrides(self, problems: Problems) -> dict[str, PartnerRole]:
        overrides: dict[str, PartnerRole] = {}
        try:
            given = dict(self.role_overrides)
        except (TypeError, ValueError):
            problems.add("role_overrides", "must be a table of category code = role")
            return overrides
        for name, role in given.items():
            try:
                category = self.catalog.category(name)
                overrides[category.code] = parse_member(
                    PartnerRole, role, field=f"role_overrides.{name}"
                )
            except UnknownCategory as error:
                problems.add(f"role_overrides.{name}", str(error))
            except ValidationError as error:
                problems.items += error.problems
        return overrides

    # ----------------------------------------------------------------------------------------------
    # Questions

    def can_register(
        self,
        partner: Partner,
        category: str | Category,
        *,
        market: Market | str | None = None,
        at: dt.datetime | dt.date,
    ) -> Decision:
        """May ``partner`` register (apply) for ``category`` in ``market`` at ``at``?"""
        compiled = self._compiled
        return compiled.register(partner, compiled.category(category), market, compiled.instant(at))

    def can_authorize_seller(
        self,
        partner: Partner,
        category: str | Category,
        *,
        market: Market | str | None = None,
        at: dt.datetime | dt.date,
    ) -> Decision:
        """May ``partner`` obtain a new seller authorisation for ``category``/``market`` now?"""
        compiled = self._compiled
        return compiled.authorize(
            partner, compiled.category(category), market, compiled.instant(at)
        )

    def timeline(
        self,
        partner: Partner,
        category: str | Category,
        question: Question | str,
        *,
        market: Market | str | None = None,
        since: dt.datetime | dt.date,
        until: dt.datetime | dt.date,
    ) -> tuple[Decision, ...]:
        """The answers to ``question`` for ``partner`` in ``category``/``market`` from ``since``
        to ``until``: the answer at ``since``, then one decision at each later instant (up to
        ``until``, included) at which the answer changes (allowed or refused, or why), each
        holding until the next. The instants are the policy's own (the upgrade, the cut-off),
        the partner's registration and those of its recorded events in that category and market
        (an approval)."""
        compiled = self._compiled
        partner = _partner(partner)
        asked = parse_member(Question, question, field="question")
        chosen = compiled.category(category)
        start, end = compiled.instant(since), compiled.instant(until)
        if end < start:
            raise ValidationError.single("until", "must not be before since", what="timeline")
        ask = self.can_register if asked is Question.REGISTER else self.can_authorize_seller
        target = partner.target_market(market)
        recorded = {
            event.at
            for application in partner.applications
            if application.category.code == chosen.code and application.market == target
            for event in application.history
        }
        recorded.add(partner.account.registered_at)  # (before it, the partner is not there yet)
        instants = sorted(
            instant for instant in recorded | set(compiled.instants) if start < instant <= end
        )
        answers = [ask(partner, chosen, market=target, at=start)]
        for instant in instants:
            answer = ask(partner, chosen, market=target, at=instant)
            last = answers[-1]
            if (answer.allowed, answer.reasons) != (last.allowed, last.reasons):
                answers.append(answer)
        return tuple(answers)

    def decide(
        self, question: Question | str, facts: Facts, *, at: dt.datetime | dt.date
    ) -> Decision:
        """The answer to ``question`` at ``at`` on plain :class:`Facts`, without a
        :class:`Partner`: the same rules, and the same judge, as :meth:`can_register` and
        :meth:`can_authorize_seller`."""
        compiled = self._compiled
        asked = parse_member(Question, question, field="question")
        facts = require_instance("facts", facts, Facts, what="question")
        chosen = compiled.category(facts.category)
        instant = compiled.instant(at)
        registration = facts.registration_market
        target = registration if facts.market is None else facts.market
        fact = (
            compiled.bucket(facts.registered_at) if asked is Question.REGISTER else facts.approved
        )
        verdict = compiled.registered_verdict(
            asked, chosen.code, registration.code, fact, instant, facts.registered_at
        )
        return _decision(asked, facts.partner_id, chosen, target, instant, compiled.id, verdict)

    def roles(self, partner: Partner, *, at: dt.datetime | dt.date) -> tuple[PartnerRole, ...]:
        """The roles the role switch offers at ``at``: the partner's categories approved at that
        instant, mapped onto the current structure (legacy categories through the mapping)."""
        instant = self._compiled.instant(at)
        found = {
            self.role_of(application.category)
            for application in _partner(partner).applications
            if status_at(application.history, instant) is ReviewStatus.APPROVED
        }
        return tuple(role for role in PartnerRole if role in found)

    def role_of(self, category: str | Category) -> PartnerRole:
        """The current role ``category`` maps onto for the role switch."""
        chosen = self.catalog.category(category)
        return self._compiled.roles.get(chosen.code, chosen.role)

    def check_many(
        self,
        rows: Iterable[tuple[Partner, str | Category, Market | str, Question | str]],
        *,
        at: dt.datetime | dt.date,
    ) -> Iterator[Decision]:
        """Decisions for many ``(partner, category, market, question)`` rows at one instant.

        The policy is compiled once; each row costs a few look-ups. A row with an unknown category,
        market or question raises the library's typed error for that row.
        """
        compiled = self._compiled
        instant = compiled.instant(at)
        category_of = compiled.category
        questions = {
            Question.REGISTER: compiled.register,
            Question.AUTHORIZE_SELLER: compiled.authorize,
        }
        for index, row in enumerate(rows):
            try:
                partner, category, market, question = row
            except (TypeError, ValueError):  # not a row of four
                raise ValidationError.single(
                    f"rows[{index}]", "must be a (partner, category, market, question) row"
                ) from None
            answer = questions.get(question)  # type: ignore[arg-type]
            if answer is None:
                raise ValidationError.single(
                    "question", f"must be one of {', '.join(q.value for q in Question)}"
                )
            yield answer(partner, category_of(category), market, instant)

    def require_registration(
        self,
        partner: Partner,
        category: str | Category,
        *,
        market: Market | str | None = None,
        at: dt.datetime | dt.date,
    ) -> Decision:
        """:meth:`can_register`, raising :class:`~partner_onboarding.errors.PolicyRefusal` on no."""
        return _require(self.can_register(partner, category, market=market, at=at))

    def require_seller_authorization(
        self,
        partner: Partner,
        category: str | Category,
        *,
        market: Market | str | None = None,
        at: dt.datetime | dt.date,
    ) -> Decision:
        """:meth:`can_authorize_seller`, raising ``PolicyRefusal`` on no."""
        return _require(self.can_authorize_seller(partner, category, market=market, at=at))

    # ----------------------------------------------------------------------------------------------
    # Data

    def to_data(self) -> dict[str, Any]:
        """The policy as plain data (what :meth:`from_data` reads; dates as ISO strings), with its
        :attr:`id`."""
        return {**self._content(), "id": self.id}

    def __reduce__(self) -> tuple[object, ...]:
        # (rebuilt from its fields under every pickle protocol: the compiled form is not kept)
        return (_policy_of, (self._content(), self.catalog))

    def _content(self) -> dict[str, Any]:
        return {
            "version": POLICY_VERSION,
            "market": self.market.code,
            "zone": self.zone,
            "rules": [rule.to_data() for rule in self.rules],
            "role_overrides": {code: role.value for code, role in self.role_overrides},
        }

    @classmethod
    def from_data(cls, data: object, *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from plain data (a mapping of the fields above, ``rules`` a list of tables
        of :meth:`Cutoff.to_data`'s keys); every problem reported.

        A version 1 document (``upgrade_date``, ``authorization_cutoff``, ``new_partners_from``,
        ``discontinued``, ``existing_partners_may_register``) still loads, as the rules
        :func:`upgrade_rules` builds from those fields. An ``id``, when given, must be the id of
        what the other fields say (it is how a stored policy shows it was not changed)."""
        if not isinstance(data, Mapping):
            raise ValidationError.single("", "must be a table of policy fields", what="policy")
        values = dict(data)
        written = values.pop("id", None)
        version = values.pop("version", None)
        old = [key for key in _V1_FIELDS if key in values]
        if version is None:
            version = 1 if old or "rules" not in values else POLICY_VERSION
        if type(version) is not int or version not in {1, POLICY_VERSION}:
            raise ValidationError.single(
                "version",
                f"must be 1 or {POLICY_VERSION} (a policy document's version)",
                what="policy",
            )
        known = {"market", "zone", "role_overrides", *(_V1_FIELDS if version == 1 else ["rules"])}
        unknown = [Problem(str(key)[:100], "unknown field") for key in values if key not in known]
        if unknown:
            raise ValidationError(unknown, what="policy")
        first = Problems()  # (a version 1 document's own fields' problems come first)
        if version == 1:
            values["rules"] = _v1_rules({key: values.pop(key) for key in old}, catalog, first)
        else:
            values["rules"] = _rules_of(values.get("rules"))
        if "market" in values:
            try:
                values["market"] = Market.parse(values["market"])
            except ValidationError as error:
                raise ValidationError(error.under("market").problems, what="policy") from None
        if "role_overrides" in values and not isinstance(values["role_overrides"], Mapping):
            raise ValidationError.single("role_overrides", "must be a table", what="policy")
        policy = _built(cls, values, catalog, version=version, first=first)
        if written is not None and written != policy.id:
            raise ValidationError.single(
                "id",
                f"is not the id of this content ({policy.id}): the policy was changed "
                "or written with another catalog",
                what="policy",
            )
        return policy

    def to_json(self) -> str:
        """The policy as a JSON object."""
        return json.dumps(self.to_data(), indent=2)

    @classmethod
    def from_json(cls, text: str | bytes, *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from a JSON object of its fields."""
        return cls.from_data(load_json(text, what="policy"), catalog=catalog)

    def to_toml(self) -> str:
        """The policy as a TOML document (what :meth:`from_toml` reads): days as TOML dates."""
        lines = [
            f"version = {POLICY_VERSION}",
            f"market = {_toml_value(self.market.code)}",
            f"zone = {_toml_value(self.zone)}",
        ]
        for rule in self.rules:
            lines += ["", "[[rules]]"]
            for key, value in rule.to_data().items():
                written = value if key in {"from", "registered_from"} else _toml_value(value)
                lines.append(f"{key} = {written}")
        lines += ["", "[role_overrides]"]
        lines += [f"{code} = {_toml_value(role.value)}" for code, role in self.role_overrides]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from a TOML document of its fields (days may be TOML dates or strings)."""
        return cls.from_data(load_toml(text, what="policy"), catalog=catalog)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from a ``.toml`` or ``.json`` file (read only up to the bound of a document,
        whatever the file is)."""
        text = read_document(path, what="policy")
        if os.fspath(path).lower().endswith(".json"):
            return cls.from_json(text, catalog=catalog)
        return cls.from_toml(text, catalog=catalog)


#: The version of the policy documents :meth:`Policy.to_data` writes (version 1 still loads).
POLICY_VERSION: Final = 2
_V1_FIELDS: Final = (
    "upgrade_date",
    "authorization_cutoff",
    "new_partners_from",
    "discontinued",
    "existing_partners_may_register",
)


def _v1_days(given: dict[str, Any], problems: Problems) -> dict[str, dt.date]:
    days: dict[str, dt.date] = {}
    for key in _V1_FIELDS[:3]:
        if key in given:
            value = given[key]
            if isinstance(value, dt.datetime):
                problems.add(key, "must be a calendar date (the cut-off is the start of that day)")
                continue
            try:
                days[key] = value if isinstance(value, dt.date) else parse_day(value, field=key)
            except ValidationError as error:
                problems.items += error.problems
    return days


def _v1_rules(given: dict[str, Any], catalog: Catalog, problems: Problems) -> tuple[Cutoff, ...]:
    """The rules a version 1 document's fields say, each problem added to ``problems`` named by
    its own field (with problems, the default rules stand in, so that the rest is checked)."""
    days = _v1_days(given, problems)
    discontinued = given.get("discontinued", UPGRADE_2024[0].categories)
    if not isinstance(discontinued, list | tuple) or not all(
        isinstance(code, str) for code in discontinued
    ):
        problems.add("discontinued", "must be a list of category codes")
    else:
        for index, name in enumerate(discontinued):
            _discontinued(catalog, name, index, f"discontinued[{index}]", problems)
    existing = given.get("existing_partners_may_register", True)
    if not isinstance(existing, bool):
        problems.add("existing_partners_may_register", "must be true or false")
    upgrade = days.get("upgrade_date", dt.date(2024, 4, 30))
    cutoff = days.get("authorization_cutoff", dt.date(2024, 6, 5))
    if cutoff < upgrade:
        problems.add(
            "authorization_cutoff", f"must not be before the upgrade date ({upgrade.isoformat()})"
        )
    if isinstance(discontinued, list | tuple) and not discontinued:
        problems.add("discontinued", "must name at least one category")
    if problems.items:
        return UPGRADE_2024
    return upgrade_rules(
        upgrade_date=upgrade,
        authorization_cutoff=cutoff,
        new_partners_from=days.get("new_partners_from"),
        discontinued=discontinued[:MAX_RULE_CATEGORIES],  # (checked above, every one)
        existing_partners_may_register=existing,
    )


def _built(
    cls: type[Policy], values: dict[str, Any], catalog: Catalog, *, version: int, first: Problems
) -> Policy:
    """The policy of ``values``, or every problem: ``first``, then the policy's own (a version 1
    document's named by its own fields)."""
    policy = None
    try:
        policy = cls(**values, catalog=catalog)
    except ValidationError as error:
        for problem in error.problems:
            named = _v1_field(problem) if version == 1 else problem
            first.add(named.path, named.reason)
        first.more += error.more
    first.raise_if_any("policy")  # (outside the handler: the policy's error is not its context)
    assert policy is not None  # noqa: S101  (no problem: a policy)
    return policy


def _v1_field(problem: Problem) -> Problem:
    """A problem of the rules a version 1 document made, named by the document's own field."""
    path = problem.path
    for prefix, field in _V1_PATHS:
        if path.startswith(prefix):
            return Problem(field + path[len(prefix) :], problem.reason)
    return problem


_V1_PATHS: Final = (
    ("rules[0].categories", "discontinued"),
    ("rules[1].categories", "discontinued"),
    ("rules[0].registered_from", "new_partners_from"),
    ("rules[0].from", "upgrade_date"),
    ("rules[1].from", "authorization_cutoff"),
)


def _rules_of(data: object) -> tuple[Cutoff, ...]:
    if not isinstance(data, list | tuple):
        raise ValidationError.single("rules", "must be a list of rule tables", what="policy")
    if len(data) > MAX_RULES:
        raise ValidationError.single("rules", f"must hold at most {MAX_RULES} rules", what="policy")
    rules: list[Cutoff] = []
    problems: list[Problem] = []
    more = 0
    for index, item in enumerate(data):
        if len(problems) >= MAX_PROBLEMS - 1:  # (the most an error lists: the rest unread)
            note_unread(problems, f"rules[{index}:]", len(data) - index, "rule")
            break
        try:
            rules.append(Cutoff.from_data(item))
        except ValidationError as error:
            problems += error.under(f"rules[{index}]").problems
            more += error.more
    if problems:
        raise ValidationError(problems, what="policy", more=more)
    return tuple(rules)


def _policy_of(data: dict[str, Any], catalog: Catalog) -> Policy:
    return Policy.from_data(data, catalog=catalog)


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _partner(partner: Partner) -> Partner:
    return require_instance("partner", partner, Partner, what="question")


def _require(decision: Decision) -> Decision:
    if not decision.allowed:
        raise PolicyRefusal(decision)
    return decision


# --------------------------------------------------------------------------------------------------
# The compiled form: instants computed and every possible decision built once, so that a question
# costs a few comparisons and a dictionary look-up.


def _starts_off_calendar(day: dt.date, zone: zoneinfo.ZoneInfo) -> bool:
    try:
        start_of_day(day, zone)
    except ValidationError:
        return True
    return False


class _Compiled(NamedTuple):
    """One rule of the rulebook as the compiled policy reads it."""

    starts: dt.datetime  # (its ``from`` as an instant)
    phase: int  # (how many of the policy's phase instants are at or before ``starts``)
    threshold: int | None  # (index into the thresholds; None: it bars everyone)
    rule: Rule
    reason: Reason  # (the refusal's reason)
    shown: str  # (``starts`` as the zone's wall clock reads it, to the minute)


class CompiledPolicy:
    """A policy's rules as instants and indices, and its answers built once for each distinct
    combination of facts, so that a question costs a few comparisons and a dictionary look-up.

    The facts a rule reads: the question, the category, whether the partner's Partner Center is
    the policy's, the row's *fact* (for a registration, the partner's **bucket**: how many of
    :attr:`thresholds` its registration instant is at or after; for a seller authorisation,
    whether it holds an approved application), and the *phase* of the instant asked (how many of
    :attr:`phases` it is at or after). :meth:`verdict` answers from those alone.
    """

    __slots__ = (
        "bounds",
        "catalog",
        "days",
        "discontinued",
        "discontinued_codes",
        "first_from",
        "id",
        "instants",
        "last_at",
        "market_code",
        "phases",
        "roles",
        "rules",
        "thresholds",
        "upgrade_at",
        "verdicts",
        "zone",
    )

    def __init__(
        self,
        policy: Policy,
        zone: zoneinfo.ZoneInfo,
        roles: dict[str, PartnerRole],
        *,
        identity: str,
    ) -> None:
        self.zone = zone
        self.days: dict[dt.date, dt.datetime] = {}
        self.market_code = policy.market.code
        self.catalog = policy.catalog
        self.roles = roles
        self.id = identity
        starts = [self.when(rule.from_) for rule in policy.rules]
        registered = [
            self.when(rule.registered_from if rule.registered_from is not None else rule.from_)
            for rule in policy.rules
        ]
        self.thresholds: tuple[dt.datetime, ...] = tuple(
            sorted(
                {
                    at
                    for at, r in zip(registered, policy.rules, strict=True)
                    if r.bars is Bars.NEW_PARTNERS
                }
            )
        )
        self.phases: tuple[dt.datetime, ...] = tuple(sorted(set(starts)))
        self.instants = tuple(sorted({*self.phases, *self.thresholds}))
        self.upgrade_at = self.phases[0]
        self.first_from: dict[Question, dt.datetime] = {}
        named = {code for rule in policy.rules for code in rule.categories}
        self.discontinued = frozenset(named)
        self.discontinued_codes = tuple(c.code for c in policy.catalog if c.code in named)
        # (question, category code) → its rules, earliest first
        self.rules: dict[tuple[Question, str], tuple[_Compiled, ...]] = {}
        for rule, start, threshold in zip(policy.rules, starts, registered, strict=True):
            self.first_from[rule.question] = min(start, self.first_from.get(rule.question, start))
            compiled = _Compiled(
                start,
                bisect.bisect_right(self.phases, start),
                None if rule.bars is Bars.EVERYONE else self.thresholds.index(threshold),
                *_rule_and_reason(rule, start, zone),
            )
            for code in rule.categories:
                found = self.rules.get((rule.question, code), ())
                self.rules[rule.question, code] = tuple(
                    sorted((*found, compiled), key=lambda each: each.starts)
                )
        self.verdicts: dict[tuple[Question, str, bool, int, int], Verdict] = {}
        self.bounds: dict[dt.tzinfo, tuple[tuple[dt.datetime, ...], tuple[dt.datetime, ...]]] = {}
        self.last_at: tuple[dt.datetime | None, dict[dt.tzinfo, dt.datetime]] = (None, {})

    def when(self, value: When) -> dt.datetime:
        """A rule's day (its start in the zone) or instant, as an instant with the offset the
        zone's wall clock reads at it (a midnight the zone skips reads as the hour it jumps to)."""
        instant = value if isinstance(value, dt.datetime) else self._start_of_day(value)
        return as_instant(instant.astimezone(self.zone))

    def first_day_from(self, at: dt.datetime) -> dt.date:
        """The first day whose start in the zone is at or after ``at`` (a day at or after it is,
        as a registration day, at or after ``at``)."""
        day = at.astimezone(self.zone).date()
        if self._start_of_day(day) < at:
            day += dt.timedelta(days=1)
        return day

    def in_zone_of(
        self, at: dt.datetime
    ) -> tuple[tuple[dt.datetime, ...], tuple[dt.datetime, ...]]:
        """(thresholds, phases) expressed with ``at``'s own fixed offset.

        Python compares two datetimes of the same ``tzinfo`` by their fields alone, and those of
        different ``tzinfo`` by converting both to UTC first, several times slower. With a fixed
        offset, both comparisons agree; so the instants are kept once per offset seen.
        """
        zone = at.tzinfo
        found = self.bounds.get(zone)  # type: ignore[arg-type]
        if found is None:
            found = (
                tuple(t.astimezone(zone) for t in self.thresholds),
                tuple(p.astimezone(zone) for p in self.phases),
            )
            if len(self.bounds) < 256:
                self.bounds[zone] = found  # type: ignore[index]
        return found

    def before(self, at: dt.datetime, instant: dt.datetime) -> bool:
        """``at < instant``, compared in ``instant``'s own zone (see :meth:`in_zone_of`): the
        last ``at`` asked is kept in each zone it was compared in."""
        zone = instant.tzinfo
        if at.tzinfo is zone or type(zone) is not dt.timezone:  # (only a fixed offset's fields
            return at < instant  # compare as its instants do)
        last = self.last_at
        if last[0] is not at:
            last = self.last_at = (at, {})
        moved = last[1].get(zone)
        if moved is None:
            try:
                moved = at.astimezone(zone)
            except OverflowError:  # (past an end of the calendar in that zone)
                return at < instant
            if len(last[1]) < 256:
                last[1][zone] = moved
        return moved < instant

    def bucket(self, registered_at: dt.datetime) -> int:
        """How many of the registration thresholds ``registered_at`` is at or after."""
        return bisect.bisect_right(self.in_zone_of(registered_at)[0], registered_at)

    def phase(self, at: dt.datetime) -> int:
        """How many of the rules' starts ``at`` is at or after."""
        return bisect.bisect_right(self.in_zone_of(at)[1], at)

    def instant(self, at: dt.datetime | dt.date | str, *, field: str = "at") -> dt.datetime:
        """``at`` as an instant (see :meth:`Policy.instant`); a problem names ``field``."""
        if type(at) is dt.datetime and type(at.tzinfo) is dt.timezone and 1 < at.year < 9999:
            return at  # already a fixed-offset instant, away from the calendar's ends: common
        if type(at) is dt.date:
            return self._start_of_day(at, field)
        return instant_or_day(at, self.zone, field=field)

    def _start_of_day(self, day: dt.date, field: str = "at") -> dt.datetime:
        found = self.days.get(day)
        if found is None:
            found = start_of_day(day, self.zone, field=field)
            if len(self.days) < 4096:  # a bounded cache: bulk checks reuse a handful of days
                self.days[day] = found
        return found

    def category(self, category: str | Category) -> Category:
        return self.catalog.category(category)  # (exact spellings first: the bulk fast path)

    # The questions on a partner. Arguments are checked here, once for every caller; the checks
    # are inline type tests because a call costs as much as the answer on this path.

    def register(
        self, partner: Partner, category: Category, market: Market | str | None, at: dt.datetime
    ) -> Decision:
        if type(partner) is not Partner:
            partner = _partner(partner)
        if type(market) is not Market:
            market = partner.target_market(market)  # (checked: no way around a rule)
        registered_at = partner.account.registered_at
        verdict = self.registered_verdict(  # (a registration reads no recorded event)
            Question.REGISTER,
            category.code,
            partner.registration_market.code,
            self.bucket(registered_at),
            at,
            registered_at,
        )
        return _decision(
            Question.REGISTER, partner.partner_id, category, market, at, self.id, verdict
        )

    def authorize(
        self, partner: Partner, category: Category, market: Market | str | None, at: dt.datetime
    ) -> Decision:
        if type(partner) is not Partner:
            partner = _partner(partner)
        if type(market) is not Market:
            market = partner.target_market(market)
        code = category.code
        registered_at = partner.account.registered_at
        if self.before(at, registered_at):  # (its answer once registered, approvals included)
            then = self.authorize(partner, category, market, registered_at)
            verdict = self.not_registered(then.verdict, registered_at)
            return _decision(
                Question.AUTHORIZE_SELLER,
                partner.partner_id,
                category,
                market,
                at,
                self.id,
                verdict,
            )
        approved = partner.approved_in(code, market, at=at)
        verdict = self.verdict(
            Question.AUTHORIZE_SELLER, code, partner.registration_market.code, approved, at
        )
        if at < partner.latest:  # a question about the past: recorded events may change it first
            verdict = self._past(partner, code, market, at, verdict)
        return _decision(
            Question.AUTHORIZE_SELLER, partner.partner_id, category, market, at, self.id, verdict
        )

    def _past(
        self, partner: Partner, code: str, market: Market, at: dt.datetime, verdict: Verdict
    ) -> Verdict:
        """``verdict`` with ``changes_at`` the first instant after ``at`` at which the answer is
        allowed where it was refused or the reverse: by time (the verdict's own ``changes_at``),
        or by an event the partner recorded later in that category and market (an approval)."""
        ends = verdict.changes_at
        recorded = {
            event.at
            for application in partner.applications
            if application.category.code == code and application.market == market
            for event in application.history
            if event.at > at and (ends is None or event.at < ends)
        }
        home = partner.registration_market.code
        for instant in sorted(recorded):
            approved = partner.approved_in(code, market, at=instant)
            answer = self.verdict(Question.AUTHORIZE_SELLER, code, home, approved, instant)
            if answer.allowed != verdict.allowed:
                return attrs.evolve(verdict, changes_at=instant)
        return verdict

    def registered_verdict(  # noqa: PLR0917  (the judge's facts, and when)
        self,
        question: Question,
        code: str,
        home: str,
        fact: int,
        at: dt.datetime,
        registered_at: dt.datetime,
    ) -> Verdict:
        """:meth:`verdict` for a partner registered at ``registered_at``, whose facts do not
        change with time: at ``at``, or, before the registration, :meth:`not_registered` with
        its answer then."""
        if self.before(at, registered_at):
            then = self.verdict(question, code, home, fact, registered_at)
            return self.not_registered(then, registered_at)
        return self.verdict(question, code, home, fact, at)

    @staticmethod
    def not_registered(then: Verdict, registered_at: dt.datetime | None) -> Verdict:
        """The answer for a partner not registered yet at the instant asked, whose answer at its
        registration (``registered_at``) is ``then``: refused, and ``changes_at`` the
        registration if ``then`` is allowed, else ``then``'s own (a refusal lasts until then).

        ``registered_at=None``: the answer that changes at the registration, before it is known
        (the bulk engine's, which writes each row's own registration in)."""
        changes_at = registered_at if then.allowed else then.changes_at
        return Verdict(
            allowed=False,
            reasons=(_NOT_REGISTERED,),
            decided_by=_REGISTERED_RULE,
            changes_at=changes_at,
        )

    # The rules themselves, on plain facts (what bulk rows carry, without building a Partner).

    def verdict(
        self, question: Question, code: str, home: str, fact: int, at: dt.datetime
    ) -> Verdict:
        """The answer to ``question`` in category ``code`` for a partner of the Partner Center
        ``home`` whose fact is ``fact`` (its bucket, for a registration; approved or not, for a
        seller authorisation), at ``at``."""
        key = (question, code, home == self.market_code, fact, self.phase(at))
        found = self.verdicts.get(key)
        if found is None:
            found = self.judge(*key)
            if len(self.verdicts) < 65_536:
                self.verdicts[key] = found
        return found

    def judge(self, question: Question, code: str, covered: bool, fact: int, phase: int) -> Verdict:  # noqa: FBT001
        """The rules, once for each distinct combination of facts (see the class)."""
        if code not in self.discontinued:
            if question is Question.REGISTER:
                return _CURRENT_REGISTER
            return _CURRENT_AUTHORIZE if fact else _NOT_APPROVED
        rules = self.rules.get((question, code), ()) if covered else ()
        if question is Question.REGISTER:
            return _registration(rules, covered=covered, bucket=fact, phase=phase)
        return _authorization(rules, covered=covered, approved=bool(fact), phase=phase)


def _registration(
    rules: tuple[_Compiled, ...], *, covered: bool, bucket: int, phase: int
) -> Verdict:
    """May a partner of ``bucket`` open a new application in a discontinued category whose
    registration ``rules`` are these, in ``phase``? Refused by the earliest rule in force that
    bars it; else allowed until the earliest that will."""
    if not covered:
        return _OTHER_MARKET_REGISTER
    if not rules:
        return _allow((_NO_RULE,), _NO_RULE.rule)
    barring = [rule for rule in rules if rule.threshold is None or bucket > rule.threshold]
    in_force = [rule for rule in barring if rule.phase <= phase]
    if in_force:
        return _refuse((in_force[0].reason,), in_force[0].rule)
    if barring:
        first = barring[0]
        before = Reason(
            ReasonCode.BEFORE_UPGRADE,
            f"the upgrade takes effect at {first.shown}",
            first.rule,
        )
        return _allow((before,), first.rule, first.starts)
    existing = Reason(ReasonCode.EXISTING_PARTNER, "existing partner", rules[0].rule)
    return _allow((existing,), rules[0].rule)


def _authorization(
    rules: tuple[_Compiled, ...], *, covered: bool, approved: bool, phase: int
) -> Verdict:
    """May a partner that holds an approved application or not obtain a new seller
    authorisation in a discontinued category whose authorisation ``rules`` are these (none
    outside the policy's Partner Center), in ``phase``?"""
    closed = [rule for rule in rules if rule.phase <= phase]
    if not approved:
        if closed:
            return _refuse((_NOT_APPROVED_REASON, closed[0].reason), closed[0].rule)
        return _NOT_APPROVED
    if closed:
        return _refuse((closed[0].reason,), closed[0].rule)
    if not covered:
        return _OTHER_MARKET_AUTHORIZE
    if not rules:
        return _allow((_APPROVED, _NO_RULE), _NO_RULE.rule)
    first = rules[0]
    open_until = Reason(ReasonCode.AUTHORIZATION_OPEN, f"open until {first.shown}", first.rule)
    return _allow((_APPROVED, open_until), first.rule, first.starts)


def _rule_and_reason(
    rule: Cutoff, starts: dt.datetime, zone: zoneinfo.ZoneInfo
) -> tuple[Rule, Reason, str]:
    """The :class:`Rule` a decision names for ``rule``, and the reason of its refusal. Its
    messages give the cut-off as the zone's own wall clock reads it (a midnight the zone skips
    reads as the hour it jumps to)."""
    shown = _minutes(as_instant(starts.astimezone(zone)))
    if rule.question is Question.AUTHORIZE_SELLER:
        named = Rule("new_seller_authorization", starts)
        closed = f"no new seller authorisation in a discontinued category from {shown}"
        return named, Reason(ReasonCode.AUTHORIZATION_CLOSED, closed, named), shown
    named = Rule("new_partner_registration", starts)
    if rule.bars is Bars.EVERYONE:
        barred = f"nobody opens a new application in a discontinued category from {shown}"
        return named, Reason(ReasonCode.DISCONTINUED_FOR_ALL, barred, named), shown
    barred = f"new partners cannot register for a discontinued category from {shown}"
    return named, Reason(ReasonCode.NEW_PARTNER_DISCONTINUED, barred, named), shown


def _allow(reasons: tuple[Reason, ...], rule: Rule, until: dt.datetime | None = None) -> Verdict:
    return Verdict(allowed=True, reasons=reasons, decided_by=rule, changes_at=until)


def _refuse(reasons: tuple[Reason, ...], rule: Rule) -> Verdict:
    return Verdict(allowed=False, reasons=reasons, decided_by=rule)


# The answers that read no rule of the rulebook, the same for every policy.
_CURRENT_RULE: Final = Rule("current_structure")
_APPROVAL_RULE: Final = Rule("approved_application_required")
_SCOPE_RULE: Final = Rule("market_scope")
_IS_CURRENT: Final = Reason(
    ReasonCode.CURRENT_CATEGORY, "a category of the current structure", _CURRENT_RULE
)
_OTHER_MARKET: Final = Reason(
    ReasonCode.MARKET_NOT_COVERED,
    "the policy does not cover partners registered in another Partner Center",
    _SCOPE_RULE,
)
_APPROVED: Final = Reason(
    ReasonCode.APPROVED_APPLICATION, "an approved application", _APPROVAL_RULE
)
_NOT_APPROVED_REASON: Final = Reason(
    ReasonCode.NO_APPROVED_APPLICATION,
    "a seller authorisation needs an approved application in that category and market",
    _APPROVAL_RULE,
)
_NO_RULE: Final = Reason(
    ReasonCode.NO_RULE,
    "no rule of the policy restricts this question in this category",
    Rule("rulebook"),
)
_REGISTERED_RULE: Final = Rule("registered_partner")
_NOT_REGISTERED: Final = Reason(
    ReasonCode.NOT_REGISTERED_YET,
    "the partner is not registered yet at the instant asked",
    _REGISTERED_RULE,
)
_CURRENT_REGISTER: Final = _allow((_IS_CURRENT,), _CURRENT_RULE)
_CURRENT_AUTHORIZE: Final = _allow((_APPROVED, _IS_CURRENT), _CURRENT_RULE)
_NOT_APPROVED: Final = _refuse((_NOT_APPROVED_REASON,), _APPROVAL_RULE)
_OTHER_MARKET_REGISTER: Final = _allow((_OTHER_MARKET,), _SCOPE_RULE)
_OTHER_MARKET_AUTHORIZE: Final = _allow((_APPROVED, _OTHER_MARKET), _SCOPE_RULE)


#: The 2024 upgrade of the US Partner Center (see the module documentation).
DEFAULT_POLICY: Final = Policy()
