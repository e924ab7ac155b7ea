"""What may happen: the review state machine and the operations on a partner.

The machine is a table, :data:`TRANSITIONS`: ``(status, event) → Move(to, actor)``, where the status
``None`` means "not yet submitted". :func:`transition`, :func:`allowed_events`, :func:`to_mermaid`
and the tests all read it; nothing else knows the rules of review.

Every operation is a pure function: it takes a :class:`~partner_onboarding.model.Partner` (or an
account), the instant ``at`` of the step (time-zone aware; the library never reads the clock), and
returns a new partner. The old value is unchanged. A refused step raises
:class:`~partner_onboarding.errors.InvalidTransition` (naming the allowed events) or a
:class:`~partner_onboarding.errors.RuleViolation`.

>>> from partner_onboarding.model import ReviewStatus, EventKind
>>> TRANSITIONS[ReviewStatus.REJECTED, EventKind.MODIFY].to.label
'Pending Review'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import attrs

from partner_onboarding._fields import Problems, as_instant, require_instance
from partner_onboarding.catalog import DEFAULT_CATALOG, Catalog, Category, Market, PartnerRole
from partner_onboarding.errors import (
    CategoryNotInRoles,
    DuplicateApplication,
    EntityLocked,
    EntityNotApproved,
    EntityNotSubmitted,
    InvalidTransition,
    NaiveDatetime,
    Problem,
    ValidationError,
)
from partner_onboarding.model import (
    Account,
    Actor,
    Application,
    CategoryInfo,
    Entity,
    EntityReview,
    Event,
    EventKind,
    History,
    Partner,
    ReviewStatus,
    RoleGrant,
    SellerAuthorization,
    advance,
)
from partner_onboarding.policy import DEFAULT_POLICY, Policy

__all__ = [
    "APPLICATION_EVENTS",
    "ENTITY_EVENTS",
    "TRANSITIONS",
    "UPGRADE_REASON",
    "Move",
    "ReviewStatus",
    "add_role",
    "allowed_events",
    "apply",
    "approve",
    "approve_entity",
    "approve_revision",
    "authorize_seller",
    "choose_role",
    "edit",
    "modify",
    "modify_entity",
    "reject",
    "reject_entity",
    "reject_revision",
    "submit_entity",
    "to_mermaid",
    "transition",
    "upgrade",
]

PENDING: Final = ReviewStatus.PENDING_REVIEW
APPROVED: Final = ReviewStatus.APPROVED
REJECTED: Final = ReviewStatus.REJECTED


@attrs.frozen
class Move:
    """Where an allowed event leads, and who may cause it."""

    to: ReviewStatus
    actor: Actor
    needs_reasons: bool = False


#: The review state machine. ``None`` is the status of something not yet submitted.
TRANSITIONS: Final[dict[tuple[ReviewStatus | None, EventKind], Move]] = {
    # The partner submits; the platform reviews.
    (None, EventKind.SUBMIT): Move(PENDING, Actor.PARTNER),
    (PENDING, EventKind.APPROVE): Move(APPROVED, Actor.PLATFORM),
    (PENDING, EventKind.REJECT): Move(REJECTED, Actor.PLATFORM, needs_reasons=True),
    # Rejected: the partner reads the reasons, modifies and resubmits.
    (REJECTED, EventKind.MODIFY): Move(PENDING, Actor.PARTNER),
    # Approved: an edit is a pending revision with its own review; the approval stays.
    (APPROVED, EventKind.EDIT): Move(APPROVED, Actor.PARTNER),
    (APPROVED, EventKind.APPROVE_REVISION): Move(APPROVED, Actor.PLATFORM),
    (APPROVED, EventKind.REJECT_REVISION): Move(APPROVED, Actor.PLATFORM, needs_reasons=True),
    # The category upgrade: what is under review is rejected and generated anew.
    (PENDING, EventKind.SYSTEM_REJECT): Move(REJECTED, Actor.SYSTEM, needs_reasons=True),
    (None, EventKind.REGENERATE): Move(PENDING, Actor.SYSTEM),
}

#: The events of an application's review.
APPLICATION_EVENTS: Final = frozenset(kind for _, kind in TRANSITIONS)
#: The events of the entity's review: the same machine, without edits (an approved entity is
#: locked) and without the upgrade's events.
ENTITY_EVENTS: Final = frozenset(
    {EventKind.SUBMIT, EventKind.APPROVE, EventKind.REJECT, EventKind.MODIFY}
)
_REVISION_EVENTS: Final = frozenset({EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION})

_ALLOWED: Final[dict[ReviewStatus | None, tuple[EventKind, ...]]] = {
    status: tuple(kind for (source, kind) in TRANSITIONS if source is status)
    for status in (None, *ReviewStatus)
}


def allowed_events(
    subject: Application | EntityReview | None, *, events: frozenset[EventKind] = APPLICATION_EVENTS
) -> tuple[EventKind, ...]:
    """The events ``subject`` accepts now (``None``: not yet submitted); never refuses a step.

    Revision events are allowed only while an edit waits for review; ``events`` narrows the machine
    (the entity's review uses :data:`ENTITY_EVENTS`). Only a subject that is none of these is a
    :class:`~partner_onboarding.errors.ValidationError`.
    """
    if subject is not None and not isinstance(subject, Application | EntityReview):
        raise ValidationError.single("subject", "must be an Application, an EntityReview or None")
    if isinstance(subject, EntityReview):
        events = events & ENTITY_EVENTS
    status = None if subject is None else subject.status
    has_revision = isinstance(subject, Application) and subject.pending_revision is not None
    return tuple(
        kind
        for kind in _ALLOWED[status]
        if kind in events and (has_revision or kind not in _REVISION_EVENTS)
    )


def _move(
    status: ReviewStatus | None,
    kind: EventKind,
    *,
    subject: str,
    allowed: tuple[EventKind, ...],
    reasons: tuple[str, ...],
) -> Move:
    move = TRANSITIONS.get((status, kind))
    if move is None or kind not in allowed:
        raise InvalidTransition(subject=subject, status=status, event=kind, allowed=allowed)
    if move.needs_reasons and not reasons:
        raise ValidationError.single("reasons", f"{kind.value} needs at least one reason")
    return move


def _reasons(reasons: Iterable[str]) -> tuple[str, ...]:
    if isinstance(reasons, str):
        return (reasons,)
    return tuple(reasons)


def _aware(at: dt.datetime) -> dt.datetime:
    if isinstance(at, dt.datetime) and (at.tzinfo is None or at.utcoffset() is None):
        raise NaiveDatetime(
            [Problem("at", "is a naive datetime; give a time zone")], what="instant"
        )
    problems = Problems()
    problems.aware("at", at)
    problems.raise_if_any("instant")
    return at


def transition(
    application: Application,
    kind: EventKind | str,
    *,
    at: dt.datetime,
    reasons: Iterable[str] = (),
    info: CategoryInfo | None = None,
) -> Application:
    """The application after ``kind`` happens at ``at``, with the event in its history.

    ``kind`` is an :class:`EventKind` or its value (``"approve"``). ``info`` is the new category
    information for ``modify`` and ``edit``. Raises
    :class:`InvalidTransition` when the table does not allow ``kind`` now, and
    :class:`~partner_onboarding.errors.HistoryOutOfOrder` for an instant before the last event.
    """
    if type(application) is not Application:
        application = require_instance("application", application, Application)
    if type(kind) is not EventKind:  # its value ("approve") is as good; anything else is refused
        kind = _event_kind(kind)
    status = application.status
    move = _MOVES[status][application.pending_revision is not None].get(kind)
    if move is None:
        raise InvalidTransition(
            subject="application", status=status, event=kind, allowed=allowed_events(application)
        )
    reasons = (
        _checked_reasons(reasons, needed=move.needs_reasons, kind=kind)
        if reasons or move.needs_reasons
        else ()
    )
    current, revision = application.info, application.pending_revision
    if kind in _CHANGES_INFO:  # (module constants: an enum member look-up costs on this path)
        if kind is _EDIT:
            revision = _info_for(application, info)
        elif kind is _MODIFY:
            current = _info_for(application, info)
        elif kind is _APPROVE_REVISION and revision is not None:
            current, revision = revision, None
        else:  # reject_revision
            revision = None
    return advance(application, move.actor, kind, move.to, _instant(at), reasons, current, revision)


_EDIT: Final = EventKind.EDIT
_MODIFY: Final = EventKind.MODIFY
_APPROVE_REVISION: Final = EventKind.APPROVE_REVISION
_CHANGES_INFO: Final = frozenset(
    {EventKind.EDIT, EventKind.MODIFY, EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION}
)

# The moves each status allows, without and with a pending revision: the table, indexed once.
_MOVES: Final[dict[ReviewStatus | None, tuple[dict[EventKind, Move], dict[EventKind, Move]]]] = {
    status: tuple(  # type: ignore[misc]
        {
            kind: move
            for (source, kind), move in TRANSITIONS.items()
            if source is status and (revision or kind not in _REVISION_EVENTS)
        }
        for revision in (False, True)
    )
    for status in (None, *ReviewStatus)
}


def _event_kind(kind: object) -> EventKind:
    if isinstance(kind, str) and kind in _EVENT_VALUES:
        return EventKind(kind)
    allowed = ", ".join(event.value for event in EventKind)
    raise ValidationError.single("kind", f"must be one of {allowed}", what="event")


_EVENT_VALUES: Final = frozenset(event.value for event in EventKind)


def _instant(at: dt.datetime) -> dt.datetime:
    if type(at) is dt.datetime and type(at.tzinfo) is dt.timezone:
        return at  # already a fixed-offset instant: the common case
    return as_instant(_aware(at))


def _checked_reasons(reasons: Iterable[str], *, needed: bool, kind: EventKind) -> tuple[str, ...]:
    if type(reasons) is not tuple:
        reasons = (reasons,) if isinstance(reasons, str) else tuple(reasons)
    if not reasons:
        if needed:
            raise ValidationError.single("reasons", f"{kind.value} needs at least one reason")
        return ()
    for reason in reasons:
        if type(reason) is not str or not reason.strip() or len(reason) > 1000:
            break
    else:
        return reasons  # the common case; otherwise every problem is reported below
    problems = Problems()
    for index, reason in enumerate(reasons):
        problems.text(f"reasons[{index}]", reason, max_length=1000)
    problems.raise_if_any("reasons")
    return reasons


def _info_for(application: Application, info: CategoryInfo | None) -> CategoryInfo:
    if not isinstance(info, CategoryInfo):
        raise ValidationError.single("info", "new category information is required")
    if info.category is not application.category and info.category != application.category:
        raise ValidationError.single("info.category", f"must be {application.category.name}")
    return info


# --------------------------------------------------------------------------------------------------
# Roles (step 2)


def choose_role(account: Account, role: PartnerRole, *, at: dt.datetime) -> Partner:
    """A new partner: ``account`` choosing its first partner role at ``at`` (market: US)."""
    _aware(at)
    if not isinstance(role, PartnerRole):
        raise ValidationError.single("role", "must be a PartnerRole")
    return Partner(account=account, roles_granted=(RoleGrant(role=role, at=at),))


def add_role(partner: Partner, role: PartnerRole, *, at: dt.datetime) -> Partner:
    """The partner with one more role (unchanged if it already has it)."""
    partner = _partner(partner)
    _aware(at)
    if role in partner.roles:
        return partner
    return attrs.evolve(
        partner, roles_granted=(*partner.roles_granted, RoleGrant(role=role, at=at))
    )


# --------------------------------------------------------------------------------------------------
# Entity (step 2)

_ENTITY = "entity"


def _entity_step(
    partner: Partner,
    kind: EventKind,
    *,
    at: dt.datetime,
    reasons: Iterable[str] = (),
    entity: Entity | None = None,
) -> Partner:
    partner = _partner(partner)
    _aware(at)
    reasons = _reasons(reasons)
    review = partner.entity
    status = None if review is None else review.status
    allowed = allowed_events(review, events=ENTITY_EVENTS)
    move = _move(status, kind, subject=_ENTITY, allowed=allowed, reasons=reasons)
    event = Event(
        actor=move.actor, kind=kind, from_status=status, to_status=move.to, at=at, reasons=reasons
    )
    if review is None:  # the table allows only submit here, which brings the entity
        history = History((event,))
    else:
        history = review.history.append(event)
        entity = review.entity if entity is None else entity
    return attrs.evolve(
        partner, entity=EntityReview(entity=_check_entity(entity), status=move.to, history=history)
    )


def _check_entity(entity: Entity | None) -> Entity:
    if not isinstance(entity, Entity):
        raise ValidationError.single("entity", "must be an Entity")
    return entity


def submit_entity(partner: Partner, entity: Entity, *, at: dt.datetime) -> Partner:
    """The partner after submitting its entity information for review."""
    return _entity_step(partner, EventKind.SUBMIT, at=at, entity=_check_entity(entity))


def approve_entity(partner: Partner, *, at: dt.datetime) -> Partner:
    """The partner after the platform approves its entity information (which then locks)."""
    return _entity_step(partner, EventKind.APPROVE, at=at)


def reject_entity(partner: Partner, reasons: Iterable[str], *, at: dt.datetime) -> Partner:
    """The partner after the platform rejects its entity information, with reasons."""
    return _entity_step(partner, EventKind.REJECT, at=at, reasons=reasons)


def modify_entity(partner: Partner, entity: Entity, *, at: dt.datetime) -> Partner:
    """The partner after modifying and resubmitting rejected entity information.

    Approved entity information applies to every category and to finance information and cannot
    be modified: that raises :class:`~partner_onboarding.errors.EntityLocked`.
    """
    partner = _partner(partner)
    if partner.entity is not None and partner.entity.status is APPROVED:
        raise EntityLocked(
            "approved entity information applies to every category and to finance information "
            "and cannot be modified"
        )
    return _entity_step(partner, EventKind.MODIFY, at=at, entity=_check_entity(entity))


# --------------------------------------------------------------------------------------------------
# Category applications (steps 3 and 4)


def _category(category: str | Category, catalog: Catalog) -> Category:
    return catalog.category(category)


def _partner(partner: Partner) -> Partner:
    return require_instance("partner", partner, Partner)


def apply(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | None = DEFAULT_POLICY,
) -> Partner:
    """The partner with a new application for ``category`` in ``market`` (step 3, and "add
    category & market").

    Needs submitted entity information, a category of one of the partner's roles, and no open
    application for the same (category, market). What ``policy`` forbids (a new partner in a
    discontinued category after the upgrade) raises
    :class:`~partner_onboarding.errors.PolicyRefusal` carrying the decision; ``policy=None``
    applies no policy (to replay history from before any policy).
    """
    partner = _partner(partner)
    _aware(at)
    chosen = _category(category, catalog)
    market = Market.of(market)
    if not isinstance(info, CategoryInfo):
        raise ValidationError.single("info", "must be CategoryInfo")
    if info.category != chosen:
        raise ValidationError.single("info.category", f"must be {chosen.name}")
    if partner.entity is None:
        raise EntityNotSubmitted(
            "entity information must be submitted before choosing a service category"
        )
    if chosen.role not in partner.roles:
        raise CategoryNotInRoles(
            f"{chosen.name} belongs to the role {chosen.role.label}, which the partner has not "
            f"chosen; add that role first"
        )
    if partner.has_open(chosen, market):
        open_one = partner.application(chosen, market)
        raise DuplicateApplication(
            f"an application for {chosen.name} in {market} is already open ({open_one.id}, "
            f"{open_one.status.label})",
            open_id=open_one.id,
        )
    if policy is not None:
        policy.require_registration(partner, chosen, market=market, at=at)
    return _add_application(partner, chosen, market, info, kind=EventKind.SUBMIT, at=at)


def _add_application(
    partner: Partner,
    category: Category,
    market: Market,
    info: CategoryInfo,
    *,
    kind: EventKind,
    at: dt.datetime,
    supersedes: str | None = None,
) -> Partner:
    move = TRANSITIONS[None, kind]
    event = Event(actor=move.actor, kind=kind, from_status=None, to_status=move.to, at=at)
    serial = 1 + sum(1 for a in partner.applications if a.key == (category.code, market.code))
    application = Application(
        id=f"{category.code}/{market.code}/{serial}",
        category=category,
        market=market,
        status=move.to,
        info=info,
        history=History((event,)),
        supersedes=supersedes,
    )
    return attrs.evolve(partner, applications=(*partner.applications, application))


def _replace(partner: Partner, old: Application, new: Application) -> Partner:
    applications = tuple(new if a is old else a for a in partner.applications)
    return attrs.evolve(partner, applications=applications)


def _step(
    partner: Partner,
    category: str | Category,
    kind: EventKind,
    *,
    market: Market | str,
    at: dt.datetime,
    catalog: Catalog,
    reasons: Iterable[str] = (),
    info: CategoryInfo | None = None,
) -> Partner:
    partner = _partner(partner)
    _aware(at)
    current = partner.application(_category(category, catalog), Market.of(market))
    return _replace(partner, current, transition(current, kind, at=at, reasons=reasons, info=info))


def approve(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform approves its application (needs an approved entity)."""
    partner = _partner(partner)
    if partner.entity is None or partner.entity.status is not APPROVED:
        status = "not submitted" if partner.entity is None else partner.entity.status.label
        raise EntityNotApproved(
            f"a category can be approved only when the entity is approved (entity: {status})"
        )
    return _step(partner, category, EventKind.APPROVE, market=market, at=at, catalog=catalog)


def reject(
    partner: Partner,
    category: str | Category,
    reasons: Iterable[str],
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform rejects its application, with at least one reason."""
    return _step(
        partner, category, EventKind.REJECT, market=market, at=at, catalog=catalog, reasons=reasons
    )


def modify(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after modifying a rejected application and resubmitting it (→ Pending Review)."""
    return _step(
        partner, category, EventKind.MODIFY, market=market, at=at, catalog=catalog, info=info
    )


def edit(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after editing an approved application: it stays approved, and ``info`` waits
    as a pending revision for its own review."""
    return _step(
        partner, category, EventKind.EDIT, market=market, at=at, catalog=catalog, info=info
    )


def approve_revision(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform accepts a pending revision (it becomes the information)."""
    return _step(
        partner, category, EventKind.APPROVE_REVISION, market=market, at=at, catalog=catalog
    )


def reject_revision(
    partner: Partner,
    category: str | Category,
    reasons: Iterable[str],
    *,
    market: Market | str = Market.US,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform turns a pending revision down; the approval is kept."""
    return _step(
        partner,
        category,
        EventKind.REJECT_REVISION,
        market=market,
        at=at,
        catalog=catalog,
        reasons=reasons,
    )


# --------------------------------------------------------------------------------------------------
# Seller authorisations and the category upgrade (policy)

#: The reason the system gives when the upgrade rejects an application under review.
UPGRADE_REASON: Final = "category_upgrade"


def authorize_seller(
    partner: Partner,
    category: str | Category,
    seller_id: str,
    *,
    market: Market | str = Market.US,
    at: dt.datetime | dt.date,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | None = DEFAULT_POLICY,
) -> Partner:
    """The partner with a new authorisation from seller ``seller_id`` in ``category``/``market``.

    ``policy`` decides whether a *new* authorisation may be obtained at ``at`` (refusals raise
    :class:`~partner_onboarding.errors.PolicyRefusal`). An authorisation already held is kept
    as it is, whatever the date: authorisations obtained before a cut-off stay valid. ``at`` may be
    a ``date`` (the start of that day in the policy's zone).
    """
    partner = _partner(partner)
    at = (policy or DEFAULT_POLICY).instant(at)
    chosen = _category(category, catalog)
    authorization = SellerAuthorization(
        seller_id=seller_id, category=chosen, market=Market.of(market), at=at
    )
    if any(held.key == authorization.key for held in partner.authorizations):
        return partner
    if policy is not None:
        policy.require_seller_authorization(partner, chosen, market=market, at=at)
    return attrs.evolve(partner, authorizations=(*partner.authorizations, authorization))


def upgrade(
    partner: Partner, *, at: dt.datetime | dt.date, policy: Policy = DEFAULT_POLICY
) -> Partner:
    """The partner after the category upgrade's migration, run at ``at`` (pure and idempotent).

    Statuses are kept. An open application that has been under review since before the upgrade
    took effect is rejected by the system (reason :data:`UPGRADE_REASON`) and a new application is
    generated under the same category and market with the same information, linked to it by
    ``supersedes``; the new one is then reviewed as usual. ``at`` must be at or after
    :attr:`Policy.upgrade_at`.
    """
    partner = _partner(partner)
    instant = policy.instant(at)
    if instant < policy.upgrade_at:
        raise ValidationError.single(
            "at", f"the upgrade migration runs from {policy.upgrade_at.isoformat()}"
        )
    result = partner
    for application in partner.open_applications():
        last = application.history.last
        if application.status is PENDING and last is not None and last.at < policy.upgrade_at:
            rejected = transition(
                application, EventKind.SYSTEM_REJECT, at=instant, reasons=[UPGRADE_REASON]
            )
            result = _replace(result, application, rejected)
            result = _add_application(
                result,
                application.category,
                application.market,
                application.info,
                kind=EventKind.REGENERATE,
                at=instant,
                supersedes=application.id,
            )
    return result


# --------------------------------------------------------------------------------------------------
# Diagram


def to_mermaid() -> str:
    """The review state machine as a Mermaid state diagram, generated from :data:`TRANSITIONS`."""
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{status.label}" as {status.value}' for status in ReviewStatus]
    for (source, kind), move in TRANSITIONS.items():
        origin = "[*]" if source is None else source.value
        note = f"{kind.value} ({move.actor.value})"
        lines.append(f"    {origin} --> {move.to.value}: {note}")
    return "\n".join(lines) + "\n"
