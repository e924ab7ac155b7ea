"""A partner's standing: the profile page of the Partner Center, what is due and by when, and the
role switch.

- :func:`profile` is step 4's page: the **Company entity info** section (the entity, masked, with
  its review status), the **Service category info** section (one row per open application: its
  status as the Partner Center labels it, the rejection reasons, a pending revision, the actions
  open to the partner, and whom the application waits on), and **Add category & market**: every
  (category, market) the partner may still apply for, and those it may not, with the reason and
  the policy's decision.
- :func:`requirements` answers what the partner must still do, what waits on the platform, what
  the policy blocks, what closes at a deadline, and the next instant that changes any of it.
- :func:`role_switch` is what the role switch of other pages (payments, analytics) offers under the
  latest category structure, and which approved applications each role shows.

Nothing here keeps a second list of rules: actions and due items are the moves that the one
transition table (:data:`~partner_onboarding.lifecycle.TRANSITIONS`) offers now, guards included,
through :func:`~partner_onboarding.lifecycle.allowed_events`; what may be applied for is
:func:`~partner_onboarding.lifecycle.apply_refusal`, the checks of ``apply`` itself; the deadlines
are the policy's decisions and their ``changes_at``.

The page and the requirements describe the partner as it is: an ``at`` before the partner's latest
event is refused (:class:`~partner_onboarding.errors.BackdatedStep`), as every operation refuses
it, because the entity and category information are kept only in their latest form. The role
switch, which reads statuses alone, answers for any instant.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import typing
from collections.abc import Iterable
from typing import Final

import attrs

from partner_onboarding import lifecycle
from partner_onboarding._fields import Problems, masked_ein, require_instance
from partner_onboarding.catalog import Category, Market, PartnerRole
from partner_onboarding.errors import (
    BackdatedStep,
    CategoryNotInRoles,
    DuplicateApplication,
    EntityNotSubmitted,
    PolicyRefusal,
    RuleViolation,
    ValidationError,
)
from partner_onboarding.lifecycle import TRANSITIONS, Subject, allowed_events
from partner_onboarding.model import (
    Actor,
    AgencyType,
    Application,
    EntityReview,
    EventKind,
    Partner,
    ReviewStatus,
    status_at,
)
from partner_onboarding.policy import DEFAULT_POLICY, Decision, Policy, Question

__all__ = [
    "CategoryOffer",
    "CategoryRow",
    "EntityInfo",
    "Profile",
    "Refusal",
    "Requirement",
    "Requirements",
    "RoleEntry",
    "RoleSwitch",
    "RoleView",
    "profile",
    "requirements",
    "role_switch",
]


# --------------------------------------------------------------------------------------------------
# Every value of the page checks its fields' types (whatever built it: the functions below, a
# constructor, ``attrs.evolve`` or JSON) and its own invariants.


def _type_problems(problems: Problems, path: str, value: object, kind: object) -> None:
    """Whether ``value`` is of the field type ``kind``: a class, ``X | None`` or
    ``tuple[X, ...]`` (the only shapes these values use)."""
    if isinstance(kind, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return
        kind = next(option for option in options if option is not type(None))
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, tuple):
            problems.add(path, "must be a list")
            return
        item_kind = typing.get_args(kind)[0]
        for index, item in enumerate(value):
            _type_problems(problems, f"{path}[{index}]", item, item_kind)
    elif kind is dt.datetime:
        problems.aware(path, value)
    elif kind is bool:
        if not isinstance(value, bool):
            problems.add(path, "must be true or false")
    else:
        problems.instance(path, value, kind)  # type: ignore[arg-type]


def _check(value: object) -> Problems:
    """The problems of ``value``'s fields, against their declared types."""
    problems = Problems()
    for field in attrs.fields(type(value)):  # type: ignore[arg-type]
        _type_problems(problems, field.name, getattr(value, field.name), field.type)
    return problems


_MASKED_EIN: Final = re.compile(r"\*\*-\*\*\*[0-9]{4}")


# --------------------------------------------------------------------------------------------------
# The profile page


@attrs.frozen(kw_only=True)
class EntityInfo:
    """The **Company entity info** section: the entity as the partner submitted it (the EIN
    masked), its review status (``None``: not yet submitted), the reasons of its latest
    rejection, the partner's moves the table offers now, and whom the entity waits on."""

    status: ReviewStatus | None
    legal_name: str | None = None
    ein: str | None = None
    address: str | None = None
    contact_name: str | None = None
    rejection_reasons: tuple[str, ...] = ()
    actions: tuple[EventKind, ...] = ()
    waits_on: Actor | None = None

    def __attrs_post_init__(self) -> None:
        problems = _check(self)
        if self.status is None and (self.legal_name or self.ein or self.rejection_reasons):
            problems.add("status", "entity information not yet submitted has no details")
        if self.ein is not None and not (
            isinstance(self.ein, str) and _MASKED_EIN.fullmatch(self.ein)
        ):
            problems.add("ein", "must be masked: only the last 4 digits shown ('**-***1234')")
        problems.raise_if_any("entity information")

    @property
    def status_label(self) -> str:
        """The status as the Partner Center shows it ("Pending Review"), or "Not Submitted"."""
        return "Not Submitted" if self.status is None else self.status.label


@attrs.frozen(kw_only=True)
class CategoryRow:
    """One row of the **Service category info** section: an open application.

    ``actions`` are the partner's moves the table offers now (``edit`` when Approved, ``modify``
    when Rejected, none while Pending Review); viewing the details is always possible and is not
    a move. ``waits_on`` is the actor the application waits on: the platform while something of
    it is under review, the partner when only the partner can take it further, else ``None``.
    """

    application_id: str
    category: Category
    market: Market
    status: ReviewStatus
    rejection_reasons: tuple[str, ...] = ()
    pending_revision: bool = False
    supersedes: str | None = None
    actions: tuple[EventKind, ...] = ()
    waits_on: Actor | None = None

    def __attrs_post_init__(self) -> None:
        problems = _check(self)
        if self.pending_revision and self.status is not ReviewStatus.APPROVED:
            problems.add("pending_revision", "only an approved application has a revision")
        problems.raise_if_any("category row")

    @property
    def status_label(self) -> str:
        """The status as the Partner Center shows it ("Pending Review")."""
        return self.status.label


class Refusal(enum.StrEnum):
    """Why a (category, market) cannot be applied for now: the typed error ``apply`` would
    raise, as a stable code."""

    ENTITY_NOT_SUBMITTED = "entity_not_submitted"
    ROLE_NOT_CHOSEN = "role_not_chosen"
    OPEN_APPLICATION = "open_application"
    POLICY = "policy"


_REFUSALS: Final[dict[type[Exception], Refusal]] = {
    EntityNotSubmitted: Refusal.ENTITY_NOT_SUBMITTED,
    CategoryNotInRoles: Refusal.ROLE_NOT_CHOSEN,
    DuplicateApplication: Refusal.OPEN_APPLICATION,
    PolicyRefusal: Refusal.POLICY,
}


@attrs.frozen(kw_only=True)
class CategoryOffer:
    """One (category, market) of **Add category & market**: whether the partner may apply for it
    now, why not (``refusal``), and the policy's decision on registering for it (which carries
    its own reasons and when it changes)."""

    category: Category
    market: Market
    refusal: Refusal | None
    decision: Decision

    def __attrs_post_init__(self) -> None:
        problems = _check(self)
        if not problems.items:
            if not self.decision.allowed and self.refusal is None:
                problems.add("refusal", "the policy refuses it: it cannot be allowed")
            if self.refusal is Refusal.POLICY and self.decision.allowed:
                problems.add("refusal", "the policy allows it: the refusal is not the policy's")
        problems.raise_if_any("category offer")

    @property
    def allowed(self) -> bool:
        """Whether :func:`~partner_onboarding.lifecycle.apply` would accept an application."""
        return self.refusal is None


@attrs.frozen(kw_only=True)
class Profile:
    """Step 4's page at ``at``: the two sections of the Partner Center's profile, and what the
    partner may add."""

    at: dt.datetime
    agency_type: AgencyType
    registration_market: Market
    entity: EntityInfo
    categories: tuple[CategoryRow, ...]
    add_category: tuple[CategoryOffer, ...]

    def __attrs_post_init__(self) -> None:
        _check(self).raise_if_any("profile")


def profile(
    partner: Partner,
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
    markets: Iterable[Market | str] | None = None,
) -> Profile:
    """The partner's profile page at ``at`` (an aware datetime, or a date: the start of that day
    in the policy's zone).

    "Add category & market" lists every category of the policy's catalog, current and legacy, in
    each of ``markets`` (default: the registration market and every market the partner has
    applied in). An ``at`` before the partner's latest event is refused with
    :class:`~partner_onboarding.errors.BackdatedStep`.
    """
    partner, policy, instant = _checked(partner, policy, at)
    return _profile(partner, policy, instant, markets)[0]


def _profile(
    partner: Partner, policy: Policy, instant: dt.datetime, markets: Iterable[Market | str] | None
) -> tuple[Profile, list[_Moves]]:
    """The page, and the moves of the table on each of its subjects (the entity, then each open
    application), read once for the page and for what is due."""
    review = partner.entity
    applications = partner.open_applications()
    entity_moves = _moves(Subject.ENTITY if review is None else review, partner)
    row_moves = [_moves(application, partner) for application in applications]
    page = Profile(
        at=instant,
        agency_type=partner.agency_type,
        registration_market=partner.registration_market,
        entity=_entity_info(review, entity_moves),
        categories=tuple(
            _row(application, moves)
            for application, moves in zip(applications, row_moves, strict=True)
        ),
        add_category=_offers(partner, policy, instant, markets),
    )
    return page, [entity_moves, *row_moves]


def _checked(
    partner: Partner, policy: Policy, at: dt.datetime | dt.date
) -> tuple[Partner, Policy, dt.datetime]:
    partner = require_instance("partner", partner, Partner)
    policy = require_instance("policy", policy, Policy)
    instant = policy.instant(at)
    if instant < partner.latest:
        raise BackdatedStep(at=instant, not_before=partner.latest, since="latest_event")
    return partner, policy, instant


def _moves(subject: Application | EntityReview | Subject, partner: Partner) -> _Moves:
    """The moves the table offers now on ``subject``: the partner's, and whether another actor
    (the platform) has one."""
    status = None if isinstance(subject, Subject) else subject.status
    return _Moves(
        allowed_events(subject, partner, actor=Actor.PARTNER),
        allowed_events(subject, partner, actor=Actor.PLATFORM),
        status,
    )


@attrs.frozen
class _Moves:
    partner: tuple[EventKind, ...]
    platform: tuple[EventKind, ...]
    status: ReviewStatus | None

    @property
    def due_from_partner(self) -> bool:
        """Only the partner can take the subject further: it is not approved (not yet
        submitted, or rejected) and the table offers the partner a move."""
        return self.status is not ReviewStatus.APPROVED and bool(self.partner)

    @property
    def waits_on(self) -> Actor | None:
        if self.platform:
            return Actor.PLATFORM
        return Actor.PARTNER if self.due_from_partner else None


def _rejection_reasons(subject: Application | EntityReview) -> tuple[str, ...]:
    """The reasons of the latest event, when that event turned something down (a move of the
    table that needs reasons: reject, the upgrade's rejection, a rejected revision)."""
    last = subject.history[-1]
    subject_kind = Subject.ENTITY if isinstance(subject, EntityReview) else Subject.APPLICATION
    move = TRANSITIONS[subject_kind, last.from_status, last.kind]
    return last.reasons if move.needs_reasons else ()


def _entity_info(review: EntityReview | None, moves: _Moves) -> EntityInfo:
    if review is None:
        return EntityInfo(status=None, actions=moves.partner, waits_on=moves.waits_on)
    entity = review.entity
    address = entity.address
    return EntityInfo(
        status=review.status,
        legal_name=entity.legal_name,
        ein=masked_ein(entity.ein),
        address=", ".join((*address.lines, address.city, f"{address.state} {address.zip_code}")),
        contact_name=entity.contact.name,
        rejection_reasons=_rejection_reasons(review),
        actions=moves.partner,
        waits_on=moves.waits_on,
    )


def _row(application: Application, moves: _Moves) -> CategoryRow:
    return CategoryRow(
        application_id=application.id,
        category=application.category,
        market=application.market,
        status=application.status,
        rejection_reasons=_rejection_reasons(application),
        pending_revision=application.pending_revision is not None,
        supersedes=application.supersedes,
        actions=moves.partner,
        waits_on=moves.waits_on,
    )


def _markets(partner: Partner, markets: Iterable[Market | str] | None) -> tuple[Market, ...]:
    if markets is None:
        found = {partner.registration_market, *(a.market for a in partner.applications)}
    elif isinstance(markets, str) or not isinstance(markets, Iterable):
        raise ValidationError.single("markets", "must be a list of markets")
    else:
        found = {Market.of(market) for market in markets}
    return tuple(sorted(found))


def _offers(
    partner: Partner,
    policy: Policy,
    at: dt.datetime,
    markets: Iterable[Market | str] | None,
) -> tuple[CategoryOffer, ...]:
    offers = []
    for market in _markets(partner, markets):
        for category in policy.catalog.categories(include_legacy=True):
            refusal = lifecycle.apply_refusal(
                partner, category, market=market, at=at, catalog=policy.catalog, policy=policy
            )
            offers.append(
                CategoryOffer(
                    category=category,
                    market=market,
                    refusal=None if refusal is None else _code(refusal),
                    decision=policy.can_register(partner, category, market=market, at=at),
                )
            )
    return tuple(offers)


def _code(refusal: RuleViolation | PolicyRefusal) -> Refusal:
    # (a back-dated step cannot reach here: the instant was checked against the clock first)
    return _REFUSALS[type(refusal)]


# --------------------------------------------------------------------------------------------------
# What is due


@attrs.frozen(kw_only=True)
class Requirement:
    """One thing between the partner and a complete onboarding.

    ``subject`` is what it is about: the entity, or an application (an open one, named by
    ``application_id``, or one not yet made, for ``role`` or for ``category`` in ``market``).
    ``events`` are the moves of the table that settle it (``submit``, ``modify``; ``approve``,
    ``reject``; …); ``reasons`` the rejection reasons to read first. A policy item names its
    ``question`` and carries the policy's ``decision``.
    """

    subject: Subject
    events: tuple[EventKind, ...] = ()
    application_id: str | None = None
    category: Category | None = None
    market: Market | None = None
    role: PartnerRole | None = None
    reasons: tuple[str, ...] = ()
    question: Question | None = None
    decision: Decision | None = None

    def __attrs_post_init__(self) -> None:
        problems = _check(self)
        if (self.question is None) is not (self.decision is None):
            problems.add("decision", "a policy item has both a question and a decision")
        problems.raise_if_any("requirement")


@attrs.frozen(kw_only=True)
class Requirements:
    """What stands between the partner and a complete onboarding at ``at``.

    - ``currently_due``: what only the partner can do now (submit the entity, modify a rejected
      entity or application after reading its reasons, choose a category for a role it has no
      application for).
    - ``pending_review``: what waits on the platform, with the moves it may make.
    - ``blocked``: what the policy forbids now that the partner could otherwise do, each with the
      decision (new seller authorisations in a discontinued category after the cut-off; a
      discontinued category for a new partner).
    - ``closing``: what is allowed now only until a deadline (``decision.changes_at``).
    - ``next_change_at``: the next instant after ``at`` at which any of it changes by time alone
      (a deadline, or the upgrade migrating an application under review), or ``None``.
    """

    at: dt.datetime
    currently_due: tuple[Requirement, ...]
    pending_review: tuple[Requirement, ...]
    blocked: tuple[Requirement, ...]
    closing: tuple[Requirement, ...]
    next_change_at: dt.datetime | None

    def __attrs_post_init__(self) -> None:
        problems = _check(self)
        if (
            not problems.items
            and self.next_change_at is not None
            and self.next_change_at <= self.at
        ):
            problems.add("next_change_at", "must be after at")
        problems.raise_if_any("requirements")


def requirements(
    partner: Partner,
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
    markets: Iterable[Market | str] | None = None,
) -> Requirements:
    """What is due from the partner, what waits on the platform, what the policy blocks or closes,
    and the next instant that changes any of it, at ``at`` (as for :func:`profile`)."""
    partner, policy, instant = _checked(partner, policy, at)
    page, moves_of = _profile(partner, policy, instant, markets)
    items = [Requirement(subject=Subject.ENTITY, reasons=page.entity.rejection_reasons)]
    items += [
        Requirement(
            subject=Subject.APPLICATION,
            application_id=row.application_id,
            category=row.category,
            market=row.market,
            reasons=row.rejection_reasons,
        )
        for row in page.categories
    ]
    due: list[Requirement] = []
    pending: list[Requirement] = []
    for item, moves in zip(items, moves_of, strict=True):
        if moves.due_from_partner:
            due.append(attrs.evolve(item, events=moves.partner))
        if moves.platform:
            pending.append(attrs.evolve(item, events=moves.platform))
    due += _roles_without_category(partner, page)
    blocked, closing = _policy_items(partner, policy, page)
    return Requirements(
        at=page.at,
        currently_due=tuple(due),
        pending_review=tuple(pending),
        blocked=tuple(blocked),
        closing=tuple(closing),
        next_change_at=_next_change(policy, page, closing),
    )


def _roles_without_category(partner: Partner, page: Profile) -> list[Requirement]:
    """A role with no open application: the partner chooses a category of it (step 3), when
    ``apply`` would accept one of the role's categories now."""
    applied = {row.category.role for row in page.categories}
    submit = (EventKind.SUBMIT,)
    return [
        Requirement(subject=Subject.APPLICATION, events=submit, role=role)
        for role in partner.roles
        if role not in applied
        and any(offer.allowed and offer.category.role is role for offer in page.add_category)
    ]


def _policy_items(
    partner: Partner, policy: Policy, page: Profile
) -> tuple[list[Requirement], list[Requirement]]:
    blocked: list[Requirement] = []
    closing: list[Requirement] = []
    for row in page.categories:
        if row.status is not ReviewStatus.APPROVED:
            continue  # (no authorisation without an approval: that is review, not policy)
        decision = policy.can_authorize_seller(partner, row.category, market=row.market, at=page.at)
        item = Requirement(
            subject=Subject.APPLICATION,
            application_id=row.application_id,
            category=row.category,
            market=row.market,
            question=Question.AUTHORIZE_SELLER,
            decision=decision,
        )
        _sort(item, decision, blocked, closing)
    for offer in page.add_category:
        if offer.refusal not in {None, Refusal.POLICY}:
            continue  # (something else stands in the way first)
        item = Requirement(
            subject=Subject.APPLICATION,
            events=(EventKind.SUBMIT,),
            category=offer.category,
            market=offer.market,
            question=Question.REGISTER,
            decision=offer.decision,
        )
        _sort(item, offer.decision, blocked, closing)
    return blocked, closing


def _sort(
    item: Requirement, decision: Decision, blocked: list[Requirement], closing: list[Requirement]
) -> None:
    if not decision.allowed:
        blocked.append(item)
    elif decision.changes_at is not None:
        closing.append(item)


def _next_change(policy: Policy, page: Profile, closing: list[Requirement]) -> dt.datetime | None:
    """The earliest deadline of what closes, and the upgrade's migration of what is under review
    when it takes effect (it rejects and regenerates those applications)."""
    instants = [item.decision.changes_at for item in closing if item.decision is not None]
    if any(row.status is ReviewStatus.PENDING_REVIEW for row in page.categories):
        instants.append(policy.upgrade_at)
    later = [instant for instant in instants if instant is not None and instant > page.at]
    return min(later, default=None)


# --------------------------------------------------------------------------------------------------
# The role switch


@attrs.frozen(kw_only=True)
class RoleEntry:
    """An approved application whose data a role shows: its category (legacy ones included),
    market and id."""

    application_id: str
    category: Category
    market: Market

    def __attrs_post_init__(self) -> None:
        _check(self).raise_if_any("role entry")


@attrs.frozen(kw_only=True)
class RoleView:
    """One role the role switch offers, and the approved applications whose data it shows."""

    role: PartnerRole
    entries: tuple[RoleEntry, ...]

    def __attrs_post_init__(self) -> None:
        _check(self).raise_if_any("role view")


@attrs.frozen(kw_only=True)
class RoleSwitch:
    """The role switch of other pages (payments, analytics…) at ``at``, under the latest category
    structure: the roles of the partner's approved categories, legacy ones through the
    mapping (:meth:`Policy.role_of`), in catalog order."""

    at: dt.datetime
    roles: tuple[RoleView, ...]

    def __attrs_post_init__(self) -> None:
        _check(self).raise_if_any("role switch")


def role_switch(
    partner: Partner, *, at: dt.datetime | dt.date, policy: Policy = DEFAULT_POLICY
) -> RoleSwitch:
    """The roles the role switch offers at ``at`` (any instant: the partner as it stood then),
    each with the applications approved at that instant whose data it retrieves. The roles are
    exactly :meth:`Policy.roles`."""
    partner = require_instance("partner", partner, Partner)
    policy = require_instance("policy", policy, Policy)
    instant = policy.instant(at)
    by_role: dict[PartnerRole, list[RoleEntry]] = {}
    for application in partner.applications:
        if status_at(application.history, instant) is ReviewStatus.APPROVED:
            by_role.setdefault(policy.role_of(application.category), []).append(
                RoleEntry(
                    application_id=application.id,
                    category=application.category,
                    market=application.market,
                )
            )
    return RoleSwitch(
        at=instant,
        roles=tuple(
            RoleView(role=role, entries=tuple(by_role[role]))
            for role in PartnerRole
            if role in by_role
        ),
    )


for _value in (
    EntityInfo,
    CategoryRow,
    CategoryOffer,
    Profile,
    Requirement,
    Requirements,
    RoleEntry,
    RoleView,
    RoleSwitch,
):
    attrs.resolve_types(_value)  # (the field checks read the declared types)
del _value
