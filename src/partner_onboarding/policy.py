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

import datetime as dt
import enum
import json
import os
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import attrs

from partner_onboarding._documents import load_json, load_toml, read_document
from partner_onboarding._fields import Problems, require_instance
from partner_onboarding._time import (
    as_instant,
    instant_or_day,
    parse_day,
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
    PolicyRefusal,
    Problem,
    UnknownCategory,
    ValidationError,
)
from partner_onboarding.model import Partner, ReviewStatus, content_digest, status_at

__all__ = [
    "DEFAULT_POLICY",
    "Decision",
    "Policy",
    "Question",
    "Reason",
    "ReasonCode",
    "Rule",
    "Verdict",
    "iana_zone",
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
    if not answer.reasons:
        problems.add("reasons", "must give at least one reason")
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


def _parse_date(value: object, field: str, problems: Problems) -> dt.date | None:
    if isinstance(value, dt.datetime):
        problems.add(field, "must be a calendar date (the cut-off is the start of that day)")
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return parse_day(value, field=field)
    except ValidationError as error:
        problems.items += error.problems
        return None


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
            f"{name[:60]!r} does not mean the same on every machine: name the IANA zone itself, "
            "such as 'America/Los_Angeles'",
        )
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # (a folder such as "US")
        pass
    if _has_zone_data():
        problems.add(field, f"{name[:60]!r} is not an IANA time zone")
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


@attrs.frozen(kw_only=True, cache_hash=True)
class Policy:
    """The effective-dated rules for the discontinued categories of one Partner Center.

    Every field is data, and :meth:`from_toml`/:meth:`from_json` build one from data:

    - ``market``, ``zone``: the registration market of the Partner Center whose partners the
      rules cover, and its IANA time zone. The rules hold in *every target market* an
      application names; only a partner registered in another Partner Center is not covered.
    - ``upgrade_date``: from the start of this day new partners cannot register for the
      discontinued categories (the new category structure takes effect).
    - ``authorization_cutoff``: from the start of this day nobody obtains new seller
      authorisation in the discontinued categories.
    - ``new_partners_from``: accounts registered from the start of this day are new partners
      (default: the upgrade date).
    - ``discontinued``: the codes of the discontinued categories.
    - ``existing_partners_may_register``: whether an existing partner may still open a *new*
      application in a discontinued category after the upgrade (default: yes, as the source says
      only new partners are barred).
    - ``role_overrides``: (category code, current role) pairs (or a mapping), overriding the
      catalog's mapping for the role switch.
    """

    market: Market = Market.US
    zone: str = "America/Los_Angeles"
    upgrade_date: dt.date = dt.date(2024, 4, 30)
    authorization_cutoff: dt.date = dt.date(2024, 6, 5)
    new_partners_from: dt.date | None = None
    discontinued: tuple[str, ...] = attrs.field(
        default=("mass_recruiting", "mass_tutoring", "paid_media"), converter=_as_codes
    )
    existing_partners_may_register: bool = True
    role_overrides: tuple[tuple[str, PartnerRole], ...] = attrs.field(
        default=(), converter=_as_role_pairs
    )
    # (part of the value: the same dates over another catalog are another policy)
    catalog: Catalog = attrs.field(default=DEFAULT_CATALOG, repr=False)
    _compiled: CompiledPolicy = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.instance("market", self.market, Market)
        zone = _zone(self.zone, problems)
        upgrade = _parse_date(self.upgrade_date, "upgrade_date", problems)
        cutoff = _parse_date(self.authorization_cutoff, "authorization_cutoff", problems)
        new_from = (
            upgrade
            if self.new_partners_from is None
            else _parse_date(self.new_partners_from, "new_partners_from", problems)
        )
        if upgrade and cutoff and cutoff < upgrade:
            problems.add(
                "authorization_cutoff",
                f"must not be before the upgrade date ({upgrade.isoformat()})",
            )
        given_days = (
            ("upgrade_date", upgrade),
            ("authorization_cutoff", cutoff),
            ("new_partners_from", None if self.new_partners_from is None else new_from),
        )
        for name, day in given_days:  # (0001-01-01 starts before the calendar east of UTC)
            if zone is not None and day is not None and _starts_off_calendar(day, zone):
                problems.add(name, "a cut-off at the very end of the calendar")
        discontinued: tuple[Category, ...] = ()
        overrides: dict[str, PartnerRole] = {}
        if problems.instance("catalog", self.catalog, Catalog):  # (it resolves the codes below)
            discontinued = self._discontinued(problems)
            overrides = self._overrides(problems)
        if not isinstance(self.existing_partners_may_register, bool):
            problems.add("existing_partners_may_register", "must be true or false")
        problems.raise_if_any("policy")
        # (raise_if_any above guarantees these; the checks narrow the types)
        assert zone is not None  # noqa: S101
        assert upgrade is not None  # noqa: S101
        assert cutoff is not None  # noqa: S101
        assert new_from is not None  # noqa: S101
        # Normalise what was given as text, so that equal policies are equal values.
        object.__setattr__(self, "upgrade_date", upgrade)
        object.__setattr__(self, "authorization_cutoff", cutoff)
        object.__setattr__(self, "new_partners_from", new_from)
        object.__setattr__(self, "discontinued", tuple(c.code for c in discontinued))
        object.__setattr__(self, "role_overrides", tuple(sorted(overrides.items())))
        identity = "policy#" + content_digest([self._content(), self.catalog.id])[:16]
        compiled = CompiledPolicy(
            self, zone, (upgrade, cutoff, new_from), discontinued, overrides, identity=identity
        )
        object.__setattr__(self, "_compiled", compiled)

    def _discontinued(self, problems: Problems) -> tuple[Category, ...]:
        found: list[Category] = []
        if not isinstance(self.discontinued, tuple):
            problems.add("discontinued", "must be a list of category codes")
            return ()
        for index, name in enumerate(self.discontinued):
            try:
                category = self.catalog.category(name)
            except UnknownCategory as error:
                problems.add(f"discontinued[{index}]", str(error))
                continue
            if category not in found:
                found.append(category)
        return tuple(found)

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
    # Instants

    @property
    def time_zone(self) -> zoneinfo.ZoneInfo:
        """The market's time zone."""
        return self._compiled.zone

    @property
    def upgrade_at(self) -> dt.datetime:
        """The instant the upgrade takes effect (start of ``upgrade_date`` in the zone)."""
        return self._compiled.upgrade_at

    @property
    def authorization_cutoff_at(self) -> dt.datetime:
        """The instant new seller authorisations close in the discontinued categories."""
        return self._compiled.cutoff_at

    @property
    def new_partners_day(self) -> dt.date:
        """The first day whose registrations are new partners: :attr:`new_partners_from`, which
        is the upgrade date when not given."""
        day = self.new_partners_from
        assert day is not None  # noqa: S101  (set when the policy is built)
        return day

    @property
    def new_partners_from_at(self) -> dt.datetime:
        """Accounts registered at or after this instant are new partners."""
        return self._compiled.new_from_at

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

    def is_new_partner(self, partner: Partner) -> bool:
        """Whether ``partner``'s account was registered at or after :attr:`new_partners_from_at`."""
        return self._compiled.is_new_partner(_partner(partner).account.registered_at)

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
        holding until the next. The instants are the policy's own (the upgrade, the cut-off) and
        those of the partner's recorded events in that category and market (an approval)."""
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
        instants = sorted(
            instant
            for instant in recorded | {compiled.upgrade_at, compiled.cutoff_at}
            if start < instant <= end
        )
        answers = [ask(partner, chosen, market=target, at=start)]
        for instant in instants:
            answer = ask(partner, chosen, market=target, at=instant)
            last = answers[-1]
            if (answer.allowed, answer.reasons) != (last.allowed, last.reasons):
                answers.append(answer)
        return tuple(answers)

    def decide(
        self,
        question: Question | str,
        *,
        category: str | Category,
        at: dt.datetime | dt.date,
        registered_at: dt.datetime,
        registration_market: Market | str,
        market: Market | str | None = None,
        approved: bool = False,
        partner_id: str | None = None,
    ) -> Decision:
        """The answer to ``question`` on plain facts, without a :class:`Partner`: the partner's
        registration instant and market (its Partner Center) and, for a seller authorisation,
        whether it holds an approved application in the category and target ``market`` (default:
        the registration market) at ``at``. The same rules as :meth:`can_register` and
        :meth:`can_authorize_seller`; ``partner_id``, when given, is recorded in the decision."""
        compiled = self._compiled
        asked = parse_member(Question, question, field="question")
        chosen = compiled.category(category)
        instant = compiled.instant(at)
        registration = Market.of(registration_market)
        target = registration if market is None else Market.of(market)
        if partner_id is not None:
            _check_partner_id(partner_id)
        if asked is Question.REGISTER:
            verdict = compiled.register_for(
                require_aware(registered_at, field="registered_at"),
                chosen.code,
                registration.code,
                instant,
            )
        elif not isinstance(approved, bool):
            raise ValidationError.single("approved", "must be true or false")
        else:
            verdict = compiled.authorize_for(approved, chosen.code, registration.code, instant)
        return _decision(asked, partner_id, chosen, target, instant, compiled.id, verdict)

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
            "market": self.market.code,
            "zone": self.zone,
            "upgrade_date": self.upgrade_date.isoformat(),
            "authorization_cutoff": self.authorization_cutoff.isoformat(),
            "new_partners_from": self.new_partners_day.isoformat(),
            "discontinued": list(self.discontinued),
            "existing_partners_may_register": self.existing_partners_may_register,
            "role_overrides": {code: role.value for code, role in self.role_overrides},
        }

    @classmethod
    def from_data(cls, data: object, *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from plain data (a mapping of the fields above); every problem reported.

        An ``id``, when given, must be the id of what the other fields say (it is how a stored
        policy shows it was not changed); it may be left out."""
        if not isinstance(data, Mapping):
            raise ValidationError.single("", "must be a table of policy fields", what="policy")
        fields = {a.name for a in attrs.fields(cls) if a.init and a.name != "catalog"}
        problems = [
            Problem(str(key)[:100], "unknown field")
            for key in data
            if key not in fields and key != "id"
        ]
        if problems:
            raise ValidationError(problems, what="policy")
        values = dict(data)
        written = values.pop("id", None)
        if "market" in values:
            try:
                values["market"] = Market.parse(values["market"])
            except ValidationError as error:
                raise ValidationError(error.under("market").problems, what="policy") from None
        if "role_overrides" in values and not isinstance(values["role_overrides"], Mapping):
            raise ValidationError.single("role_overrides", "must be a table", what="policy")
        policy = cls(**values, catalog=catalog)
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
        """The policy as a TOML document (what :meth:`from_toml` reads)."""
        data = self._content()  # (no id: a TOML file is for people to edit)
        overrides = data.pop("role_overrides")
        lines = [
            f"{key} = {value}" if key in _DATE_FIELDS else f"{key} = {_toml_value(value)}"
            for key, value in data.items()
        ]
        lines += ["", "[role_overrides]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in overrides.items()]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from a TOML document of its fields (dates may be TOML dates or strings)."""
        return cls.from_data(load_toml(text, what="policy"), catalog=catalog)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, catalog: Catalog = DEFAULT_CATALOG) -> Policy:
        """A policy from a ``.toml`` or ``.json`` file (read only up to the bound of a document,
        whatever the file is)."""
        text = read_document(path, what="policy")
        if os.fspath(path).lower().endswith(".json"):
            return cls.from_json(text, catalog=catalog)
        return cls.from_toml(text, catalog=catalog)


def _policy_of(data: dict[str, Any], catalog: Catalog) -> Policy:
    return Policy.from_data(data, catalog=catalog)


_DATE_FIELDS: Final = ("upgrade_date", "authorization_cutoff", "new_partners_from")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _check_partner_id(partner_id: object) -> None:
    problems = Problems()
    problems.text("partner_id", partner_id, max_length=100)
    problems.raise_if_any("question")


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


class CompiledPolicy:
    """A policy's rules as instants, sets and prebuilt decisions."""

    __slots__ = (
        "bounds",
        "catalog",
        "cutoff_at",
        "days",
        "decisions",
        "discontinued",
        "existing_may_register",
        "id",
        "market_code",
        "new_from_at",
        "roles",
        "upgrade_at",
        "zone",
    )

    def __init__(
        self,
        policy: Policy,
        zone: zoneinfo.ZoneInfo,
        dates: tuple[dt.date, dt.date, dt.date],
        discontinued: tuple[Category, ...],
        roles: dict[str, PartnerRole],
        *,
        identity: str,
    ) -> None:
        upgrade, cutoff, new_from = dates
        self.zone = zone
        self.days: dict[dt.date, dt.datetime] = {}
        self.upgrade_at = self._start_of_day(upgrade)
        self.cutoff_at = self._start_of_day(cutoff)
        self.new_from_at = self._start_of_day(new_from)
        self.market_code = policy.market.code
        self.discontinued = frozenset(c.code for c in discontinued)
        self.existing_may_register = policy.existing_partners_may_register
        self.catalog = policy.catalog
        self.roles = roles
        self.decisions = _verdicts(self.upgrade_at, self.cutoff_at, zone)
        self.id = identity
        self.bounds: dict[dt.tzinfo, tuple[dt.datetime, dt.datetime, dt.datetime]] = {}

    def in_zone_of(self, at: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
        """(upgrade, cut-off, new-partners-from) expressed with ``at``'s own fixed offset.

        Python compares two datetimes of the same ``tzinfo`` by their fields alone, and those of
        different ``tzinfo`` by converting both to UTC first, several times slower. With a fixed
        offset, both comparisons agree; so the cut-offs are kept once per offset seen.
        """
        zone = at.tzinfo
        found = self.bounds.get(zone)  # type: ignore[arg-type]
        if found is None:
            found = (
                self.upgrade_at.astimezone(zone),
                self.cutoff_at.astimezone(zone),
                self.new_from_at.astimezone(zone),
            )
            if len(self.bounds) < 256:
                self.bounds[zone] = found  # type: ignore[index]
        return found

    def instant(self, at: dt.datetime | dt.date | str) -> dt.datetime:
        if type(at) is dt.datetime and type(at.tzinfo) is dt.timezone:
            return at  # already a fixed-offset instant: the common case
        if type(at) is dt.date:
            return self._start_of_day(at)
        return instant_or_day(at, self.zone)

    def _start_of_day(self, day: dt.date) -> dt.datetime:
        found = self.days.get(day)
        if found is None:
            found = start_of_day(day, self.zone)
            if len(self.days) < 4096:  # a bounded cache: bulk checks reuse a handful of days
                self.days[day] = found
        return found

    def category(self, category: str | Category) -> Category:
        if type(category) is str:
            found = self.catalog._exact.get(category)  # (the bulk fast path: exact spellings)
            if found is not None:
                return found
        return self.catalog.category(category)

    # The questions on a partner. Arguments are checked here, once for every caller; the checks
    # are inline type tests because a call costs as much as the answer on this path.

    def register(
        self, partner: Partner, category: Category, market: Market | str | None, at: dt.datetime
    ) -> Decision:
        if type(partner) is not Partner:
            partner = _partner(partner)
        if type(market) is not Market:
            market = partner.target_market(market)  # (checked: no way around a rule)
        verdict = self.register_for(
            partner.account.registered_at, category.code, partner.registration_market.code, at
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
        approved = partner.approved_in(code, market, at=at)
        verdict = self.authorize_for(approved, code, partner.registration_market.code, at)
        if at < partner.latest:  # a question about the past: recorded events may change it first
            verdict = self._past_authorization(partner, code, market, at, verdict)
        return _decision(
            Question.AUTHORIZE_SELLER, partner.partner_id, category, market, at, self.id, verdict
        )

    def _past_authorization(
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
            if self.authorize_for(approved, code, home, instant).allowed != verdict.allowed:
                return attrs.evolve(verdict, changes_at=instant)
        return verdict

    # The rules themselves, on plain facts (what bulk rows carry, without building a Partner).

    def register_for(
        self, registered_at: dt.datetime, code: str, market: str, at: dt.datetime
    ) -> Verdict:
        """``market`` is the partner's registration market (its Partner Center)."""
        if code not in self.discontinued:
            return self.decisions["register:current"]
        return self.register_as(self.is_new_partner(registered_at), code, market, at)

    def is_new_partner(self, registered_at: dt.datetime) -> bool:
        """Whether an account registered at ``registered_at`` counts as a new partner."""
        return registered_at >= self.in_zone_of(registered_at)[2]

    def register_as(self, new_partner: bool, code: str, market: str, at: dt.datetime) -> Verdict:  # noqa: FBT001
        """The registration rule on the one fact of the registration instant that it reads."""
        if code not in self.discontinued:
            return self.decisions["register:current"]
        if market != self.market_code:
            return self.decisions["register:other_market"]
        barred = new_partner or not self.existing_may_register
        if not barred:
            key = "register:existing"
        elif at < self.in_zone_of(at)[0]:
            key = "register:before_upgrade"
        elif self.existing_may_register:
            key = "register:new_partner"
        else:
            key = "register:discontinued_for_all"
        return self.decisions[key]

    def authorize_for(self, approved: bool, code: str, market: str, at: dt.datetime) -> Verdict:  # noqa: FBT001
        """``approved``: an approved application in the category and the target market at
        ``at``; ``market``: the partner's registration market (its Partner Center)."""
        covered = code in self.discontinued and market == self.market_code
        closed = covered and at >= self.in_zone_of(at)[1]
        if not approved:
            key = "authorize:closed_not_approved" if closed else "authorize:not_approved"
        elif code not in self.discontinued:
            key = "authorize:current"
        elif not covered:
            key = "authorize:other_market"
        else:
            key = "authorize:closed" if closed else "authorize:open"
        return self.decisions[key]


def _verdicts(
    upgrade_at: dt.datetime, cutoff_at: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dict[str, Verdict]:
    """Every answer the policy can give, built once. Its messages give the cut-offs as the
    zone's own wall clock reads them (a midnight the zone skips reads as the hour it jumps to)."""
    upgrade_at, cutoff_at = (as_instant(at.astimezone(zone)) for at in (upgrade_at, cutoff_at))
    upgrade, cutoff = _minutes(upgrade_at), _minutes(cutoff_at)
    current = Rule("current_structure")
    registration = Rule("new_partner_registration", upgrade_at)
    authorization = Rule("new_seller_authorization", cutoff_at)
    approval = Rule("approved_application_required")
    scope = Rule("market_scope")
    code = ReasonCode

    def allow(reasons: tuple[Reason, ...], rule: Rule, until: dt.datetime | None = None) -> Verdict:
        return Verdict(allowed=True, reasons=reasons, decided_by=rule, changes_at=until)

    def refuse(reasons: tuple[Reason, ...], rule: Rule) -> Verdict:
        return Verdict(allowed=False, reasons=reasons, decided_by=rule)

    is_current = Reason(code.CURRENT_CATEGORY, "a category of the current structure", current)
    other_market = Reason(
        code.MARKET_NOT_COVERED,
        "the policy does not cover partners registered in another Partner Center",
        scope,
    )
    approved = Reason(code.APPROVED_APPLICATION, "an approved application", approval)
    not_approved = Reason(
        code.NO_APPROVED_APPLICATION,
        "a seller authorisation needs an approved application in that category and market",
        approval,
    )
    closed = Reason(
        code.AUTHORIZATION_CLOSED,
        f"no new seller authorisation in a discontinued category from {cutoff}",
        authorization,
    )
    return {
        "register:current": allow((is_current,), current),
        "register:other_market": allow((other_market,), scope),
        "register:before_upgrade": allow(
            (Reason(code.BEFORE_UPGRADE, f"the upgrade takes effect at {upgrade}", registration),),
            registration,
            upgrade_at,
        ),
        "register:existing": allow(
            (Reason(code.EXISTING_PARTNER, "existing partner", registration),), registration
        ),
        "register:new_partner": refuse(
            (
                Reason(
                    code.NEW_PARTNER_DISCONTINUED,
                    f"new partners cannot register for a discontinued category from {upgrade}",
                    registration,
                ),
            ),
            registration,
        ),
        "register:discontinued_for_all": refuse(
            (
                Reason(
                    code.DISCONTINUED_FOR_ALL,
                    f"nobody opens a new application in a discontinued category from {upgrade}",
                    registration,
                ),
            ),
            registration,
        ),
        "authorize:current": allow((approved, is_current), current),
        "authorize:other_market": allow((approved, other_market), scope),
        "authorize:not_approved": refuse((not_approved,), approval),
        "authorize:open": allow(
            (approved, Reason(code.AUTHORIZATION_OPEN, f"open until {cutoff}", authorization)),
            authorization,
            cutoff_at,
        ),
        "authorize:closed": refuse((closed,), authorization),
        "authorize:closed_not_approved": refuse((not_approved, closed), authorization),
    }


#: The 2024 upgrade of the US Partner Center (see the module documentation).
DEFAULT_POLICY: Final = Policy()
