"""What may happen: the review state machine and the operations on a partner.

The machine is a table, :data:`TRANSITIONS`: ``(subject, status, event) → Move(to, actor, guards,
…)``, where the subject is the entity or an application and the status ``None`` means "not yet
submitted". One private step drives both subjects; the operations, :func:`transition`,
:func:`allowed_events`, :func:`to_mermaid`, the replay of stored histories and the tests all read
it; nothing else knows the rules of review.

Every operation is a pure function: it takes a :class:`~partner_onboarding.model.Partner` (or an
account), the instant ``at`` of the step (time-zone aware; the library never reads the clock), and
returns a new partner. The old value is unchanged. A refused step raises
:class:`~partner_onboarding.errors.InvalidTransition` (naming the allowed events) or a
:class:`~partner_onboarding.errors.RuleViolation`.

>>> from partner_onboarding.model import ReviewStatus, EventKind
>>> TRANSITIONS[Subject.APPLICATION, ReviewStatus.REJECTED, EventKind.MODIFY].to.label
'Pending Review'
>>> TRANSITIONS[Subject.APPLICATION, ReviewStatus.PENDING_REVIEW, EventKind.APPROVE].guards
(<Guard.ENTITY_APPROVED: 'entity_approved'>,)
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

import attrs

from partner_onboarding._fields import Problems, require_instance
from partner_onboarding._time import require_aware
from partner_onboarding.catalog import (
    DEFAULT_CATALOG,
    Catalog,
    Category,
    Market,
    PartnerRole,
    parse_member,
)
from partner_onboarding.errors import (
    BackdatedStep,
    CategoryNotInRoles,
    DuplicateApplication,
    EntityLocked,
    EntityNotApproved,
    EntityNotSubmitted,
    InvalidTransition,
    NoApprovedApplication,
    PolicyRefusal,
    Problem,
    RuleViolation,
    ValidationError,
)
from partner_onboarding.model import (
    Account,
    Actor,
    AgencyType,
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
    status_at,
)
from partner_onboarding.policy import DEFAULT_POLICY, Policy

__all__ = [
    "TRANSITIONS",
    "UPGRADE_REASON",
    "Guard",
    "InfoChange",
    "Move",
    "ReviewStatus",
    "Subject",
    "add_role",
    "allowed_events",
    "apply",
    "apply_refusal",
    "approve",
    "approve_entity",
    "approve_revision",
    "authorize_seller",
    "choose_role",
    "edit",
    "guard_problems",
    "history_problems",
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


class Subject(enum.StrEnum):
    """What a review is about: the partner's entity, or one category application."""

    ENTITY = "entity"
    APPLICATION = "application"


class Guard(enum.StrEnum):
    """A condition a move needs besides its status; the table names them, one step checks them."""

    #: An application is submitted only once entity information has been submitted.
    ENTITY_SUBMITTED = "entity_submitted"
    #: A category is approved only while the entity is approved.
    ENTITY_APPROVED = "entity_approved"
    #: A revision is approved or rejected only while one waits for review.
    REVISION_PENDING = "revision_pending"


class InfoChange(enum.StrEnum):
    """What a move does to the subject's information."""

    KEEP = "keep"
    #: The move brings new information (submit, modify).
    REPLACE = "replace"
    #: The move proposes a revision that waits for its own review (edit).
    PROPOSE = "propose"
    #: The waiting revision becomes the information (approve_revision).
    ACCEPT_REVISION = "accept_revision"
    #: The waiting revision is dropped; the information stays (reject_revision).
    DROP_REVISION = "drop_revision"


@attrs.frozen
class Move:
    """Where an allowed event leads, who may cause it, what it needs and what it changes."""

    to: ReviewStatus
    actor: Actor
    needs_reasons: bool = False
    guards: tuple[Guard, ...] = ()
    info: InfoChange = InfoChange.KEEP


_APP: Final = Subject.APPLICATION
_ENT: Final = Subject.ENTITY
_PARTNER: Final = Actor.PARTNER
_PLATFORM: Final = Actor.PLATFORM
_SYSTEM: Final = Actor.SYSTEM
E = EventKind

#: The review state machine, every rule of review in one table:
#: ``(subject, status, event) → Move``. ``None`` is the status of something not yet submitted.
TRANSITIONS: Final[dict[tuple[Subject, ReviewStatus | None, EventKind], Move]] = {
    # The entity (step 2): submitted, reviewed, modified when rejected; once approved it has no
    # move left (it is locked: it applies to every category and to finance information).
    (_ENT, None, E.SUBMIT): Move(PENDING, _PARTNER, info=InfoChange.REPLACE),
    (_ENT, PENDING, E.APPROVE): Move(APPROVED, _PLATFORM),
    (_ENT, PENDING, E.REJECT): Move(REJECTED, _PLATFORM, needs_reasons=True),
    (_ENT, REJECTED, E.MODIFY): Move(PENDING, _PARTNER, info=InfoChange.REPLACE),
    # A category application (steps 3 and 4): the partner submits; the platform reviews.
    (_APP, None, E.SUBMIT): Move(
        PENDING, _PARTNER, guards=(Guard.ENTITY_SUBMITTED,), info=InfoChange.REPLACE
    ),
    (_APP, PENDING, E.APPROVE): Move(APPROVED, _PLATFORM, guards=(Guard.ENTITY_APPROVED,)),
    (_APP, PENDING, E.REJECT): Move(REJECTED, _PLATFORM, needs_reasons=True),
    # Rejected: the partner reads the reasons, modifies and resubmits.
    (_APP, REJECTED, E.MODIFY): Move(PENDING, _PARTNER, info=InfoChange.REPLACE),
    # Approved: an edit is a pending revision with its own review; the approval stays.
    (_APP, APPROVED, E.EDIT): Move(APPROVED, _PARTNER, info=InfoChange.PROPOSE),
    (_APP, APPROVED, E.APPROVE_REVISION): Move(
        APPROVED, _PLATFORM, guards=(Guard.REVISION_PENDING,), info=InfoChange.ACCEPT_REVISION
    ),
    (_APP, APPROVED, E.REJECT_REVISION): Move(
        APPROVED,
        _PLATFORM,
        needs_reasons=True,
        guards=(Guard.REVISION_PENDING,),
        info=InfoChange.DROP_REVISION,
    ),
    # The category upgrade: what is under review is rejected and generated anew.
    (_APP, PENDING, E.SYSTEM_REJECT): Move(REJECTED, _SYSTEM, needs_reasons=True),
    (_APP, None, E.REGENERATE): Move(PENDING, _SYSTEM, info=InfoChange.REPLACE),
}
del E

# The moves out of each (subject, status): the table, indexed once.
_MOVES: Final[dict[tuple[Subject, ReviewStatus | None], dict[EventKind, Move]]] = {
    (subject, status): {
        kind: move
        for (origin, source, kind), move in TRANSITIONS.items()
        if origin is subject and source is status
    }
    for subject in Subject
    for status in (None, *ReviewStatus)
}


class _Situation(NamedTuple):
    """What the guards read besides the status."""

    entity_status: ReviewStatus | None
    revision_pending: bool
    entity_submitted: bool


def _guard_refusal(
    guard: Guard, situation: _Situation, category: str | None = None
) -> Exception | None:
    """The error that ``guard`` raises in ``situation``, or ``None`` when it holds."""
    if guard is Guard.ENTITY_APPROVED:
        if situation.entity_status is APPROVED:
            return None
        return EntityNotApproved(entity_status=situation.entity_status, category=category)
    if guard is Guard.REVISION_PENDING:
        return None if situation.revision_pending else _NO_REVISION
    # Guard.ENTITY_SUBMITTED
    if situation.entity_submitted:
        return None
    return EntityNotSubmitted(category=category or "a category")


_NO_REVISION: Final = Exception("no revision waits for review")


def _offered(
    subject: Subject, status: ReviewStatus | None, situation: _Situation
) -> tuple[EventKind, ...]:
    return tuple(
        kind
        for kind, move in _MOVES[subject, status].items()
        if not any(_guard_refusal(guard, situation) for guard in move.guards)
    )


def _step(
    subject: Subject,
    status: ReviewStatus | None,
    kind: EventKind,
    situation: _Situation,
    *,
    reasons: tuple[str, ...] = (),
    category: str | None = None,
) -> Move:
    """The one step of the machine, for the entity and for applications alike: the move the table
    allows for ``kind`` now, its guards checked, or the typed refusal."""
    moves = _MOVES[subject, status]
    move = moves.get(kind)
    if move is None:
        allowed = _offered(subject, status, situation)
        if subject is _ENT and status is not None and not moves:  # no move left: locked
            raise EntityLocked(status=status, event=kind, allowed=allowed)
        raise InvalidTransition(subject=subject.value, status=status, event=kind, allowed=allowed)
    for guard in move.guards:
        refusal = _guard_refusal(guard, situation, category)
        if refusal is _NO_REVISION:
            raise InvalidTransition(
                subject=subject.value,
                status=status,
                event=kind,
                allowed=_offered(subject, status, situation),
            )
        if refusal is not None:
            raise refusal
    if move.needs_reasons and not reasons:
        raise ValidationError.single("reasons", f"{kind.value} needs at least one reason")
    return move


def _situation(partner: Partner, *, revision_pending: bool = False) -> _Situation:
    entity = partner.entity
    return _Situation(
        entity_status=None if entity is None else entity.status,
        revision_pending=revision_pending,
        entity_submitted=entity is not None,
    )


def allowed_events(
    subject: Application | EntityReview | Subject | None,
    partner: Partner,
    *,
    actor: Actor | None = None,
) -> tuple[EventKind, ...]:
    """The events ``subject`` accepts now, read from :data:`TRANSITIONS` and its guards.

    ``subject`` is one of ``partner``'s applications, its entity review, or what is not yet
    submitted: :attr:`Subject.ENTITY` (the entity) or :attr:`Subject.APPLICATION` (a new
    application; ``None`` means the same). ``actor`` keeps only the events that actor causes.
    An event is offered exactly when the operation doing it would accept it (for a new
    application, before the category's own checks: role, duplicates, policy).
    """
    partner = _partner(partner)
    revision = False
    if subject is None or subject is _APP:
        kind, status = _APP, None
    elif subject is _ENT:
        kind, status = _ENT, None if partner.entity is None else partner.entity.status
    elif isinstance(subject, EntityReview):
        kind, status = _ENT, subject.status
    elif isinstance(subject, Application):
        kind, status = _APP, subject.status
        revision = subject.pending_revision is not None
    else:
        raise ValidationError.single(
            "subject", "must be an Application, an EntityReview, a Subject or None"
        )
    if actor is not None:
        actor = parse_member(Actor, actor, field="actor")
    offered = _offered(kind, status, _situation(partner, revision_pending=revision))
    if actor is None:
        return offered
    return tuple(k for k in offered if TRANSITIONS[kind, status, k].actor is actor)


def history_problems(
    subject: Subject, history: History, *, revision_pending: bool
) -> list[Problem]:
    """Whether the table could have produced ``history``: each event a move of the table from the
    status the previous one left, caused by the move's actor, with reasons where needed, and
    revision events only while a revision waits. Guards on the partner (the entity's status) are
    checked by the partner. ``revision_pending`` is what the subject says of its own revision."""
    problems: list[Problem] = []
    status: ReviewStatus | None = None
    pending = False
    for index, event in enumerate(history):
        if event.from_status is not status:
            problems.append(Problem(f"history[{index}].from_status", f"must be {_state(status)}"))
            break
        move = _MOVES[subject, status].get(event.kind)
        if move is None:
            problems.append(
                Problem(
                    f"history[{index}].kind",
                    f"{event.kind.value} is not a move of {_article(subject)} that is "
                    f"{_state(status)}",
                )
            )
            break
        if event.actor is not move.actor:
            problems.append(Problem(f"history[{index}].actor", f"must be {move.actor.value}"))
        if event.to_status is not move.to:
            problems.append(Problem(f"history[{index}].to_status", f"must be {move.to.value}"))
        if move.needs_reasons and not event.reasons:
            problems.append(
                Problem(f"history[{index}].reasons", f"{event.kind.value} needs a reason")
            )
        if move.guards and _REVISION_PENDING in move.guards and not pending:
            problems.append(Problem(f"history[{index}].kind", "no revision waits for review"))
        change = move.info
        if change is _PROPOSE:
            pending = True
        elif change in _CLOSES_REVISION:
            pending = False
        status = move.to
    else:
        if pending is not revision_pending:
            problems.append(
                Problem(
                    "pending_revision",
                    "must be present while an edit waits for review"
                    if pending
                    else "must be absent: no edit waits for review",
                )
            )
    return problems


def guard_problems(application: Application, entity: EntityReview | None) -> list[Problem]:
    """The table's guards on the partner, checked over an application's whole history: each event
    whose move needs the entity submitted or approved happened when the entity was so."""
    problems: list[Problem] = []
    for index, event in enumerate(application.history):
        # (replayed: the move exists)
        for guard in TRANSITIONS[_APP, event.from_status, event.kind].guards:
            if guard is _ENTITY_SUBMITTED and (entity is None or entity.history[0].at > event.at):
                problems.append(
                    Problem(f"history[{index}]", "is before the entity information was submitted")
                )
            elif guard is _ENTITY_APPROVED:
                status = None if entity is None else status_at(entity.history, event.at)
                if status is not APPROVED:
                    problems.append(
                        Problem(
                            f"history[{index}]",
                            f"approves a category while the entity is {_state(status)}",
                        )
                    )
    return problems


_ENTITY_SUBMITTED: Final = Guard.ENTITY_SUBMITTED
_ENTITY_APPROVED: Final = Guard.ENTITY_APPROVED
_REVISION_PENDING: Final = Guard.REVISION_PENDING


_CLOSES_REVISION: Final = frozenset({InfoChange.ACCEPT_REVISION, InfoChange.DROP_REVISION})


def _state(status: ReviewStatus | None) -> str:
    return "not yet submitted" if status is None else status.value


def _article(subject: Subject) -> str:
    return f"an {subject.value}"  # (entity, application: both take "an")


def _aware(at: dt.datetime) -> dt.datetime:
    return require_aware(at, field="at")


def transition(
    application: Application,
    kind: EventKind | str,
    *,
    at: dt.datetime,
    reasons: Iterable[str] = (),
    info: CategoryInfo | None = None,
    entity_status: ReviewStatus | None = None,
) -> Application:
    """The application after ``kind`` happens at ``at``, with the event in its history.

    ``kind`` is an :class:`EventKind` or any spelling of it (``"approve"``, ``"Approve
    Revision"``). ``info`` is the new category information for ``modify`` and ``edit``.
    ``entity_status`` is the status of the partner's entity, which the table's guards read (an
    application is approved only under an approved entity). Raises :class:`InvalidTransition`
    when the table does not allow ``kind`` now, the guard's own error when a guard fails, and
    :class:`~partner_onboarding.errors.HistoryOutOfOrder` for an instant before the last event.
    """
    if type(application) is not Application:
        application = require_instance("application", application, Application)
    if type(kind) is not EventKind:
        kind = parse_member(EventKind, kind, field="kind", what="event")
    if entity_status is not None and type(entity_status) is not ReviewStatus:
        entity_status = parse_member(ReviewStatus, entity_status, field="entity_status")
    revision = application.pending_revision
    move = _FAST.get((application.status, kind, revision is not None, entity_status is APPROVED))
    if move is None:
        situation = _Situation(entity_status, revision is not None, entity_submitted=True)
        move = _step(_APP, application.status, kind, situation, category=application.category.name)
    if reasons or move.needs_reasons:
        reasons = _checked_reasons(reasons, needed=move.needs_reasons, kind=kind)
    else:
        reasons = ()
    current = application.info
    change = move.info
    if change is not _KEEP:
        if change is _PROPOSE:
            revision = _info_for(application, info)
        elif change is _REPLACE:
            current = _info_for(application, info)
        elif change is _ACCEPT:
            current, revision = revision, None  # type: ignore[assignment]  # (guard: one waits)
        else:  # drop the revision
            revision = None
    if type(at) is not dt.datetime or type(at.tzinfo) is not dt.timezone:
        at = _aware(at)  # (a fixed-offset instant, the common case, needs no call)
    # The new event, history node and version, built without checking again what the step has
    # checked (see the private builders below); inline, as this is the hot path.
    actor_, kind_, from_, to_, at_, reasons_ = _EVENT_SLOTS
    event = _new(Event)
    actor_(event, move.actor)
    kind_(event, kind)
    from_(event, application.status)
    to_(event, move.to)
    at_(event, at)
    reasons_(event, reasons)
    new = _new(Application)
    id_, category_, market_, status_, info_, history_, revision_, supersedes_ = _APP_SLOTS
    id_(new, application.id)
    category_(new, application.category)
    market_(new, application.market)
    status_(new, move.to)
    info_(new, current)
    history_(new, application.history.append(event))
    revision_(new, revision)
    supersedes_(new, application.supersedes)
    return new


_KEEP: Final = InfoChange.KEEP
_PROPOSE: Final = InfoChange.PROPOSE
_REPLACE: Final = InfoChange.REPLACE
_ACCEPT: Final = InfoChange.ACCEPT_REVISION

# The moves that pass every guard, by (status, event, revision pending?, entity approved?): the
# table and its guards evaluated once for every situation, so that a step is one look-up. Only
# application events with a status are here (submission builds a new application).
_FAST: Final[dict[tuple[ReviewStatus, EventKind, bool, bool], Move]] = {
    (status, kind, revision, entity_approved): TRANSITIONS[_APP, status, kind]
    for status in ReviewStatus
    for revision in (False, True)
    for entity_approved in (False, True)
    for kind in _offered(
        _APP,
        status,
        _Situation(APPROVED if entity_approved else PENDING, revision, entity_submitted=True),
    )
}


def _instant(at: dt.datetime) -> dt.datetime:
    if type(at) is dt.datetime and type(at.tzinfo) is dt.timezone:
        return at  # already a fixed-offset instant: the common case
    return _aware(at)


def _checked_reasons(reasons: Iterable[str], *, needed: bool, kind: EventKind) -> tuple[str, ...]:
    if type(reasons) is not tuple:
        if isinstance(reasons, str):
            reasons = (reasons,)
        elif isinstance(reasons, Iterable):
            reasons = tuple(reasons)
        else:
            raise ValidationError.single("reasons", "must be a list of texts")
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
# The private builders. A step has checked everything that changes (the table allowed the move,
# its guards held, the instant is in order, the new parts are valid values), so the new
# application and the new partner are built without checking again what did not change. Nothing
# else builds values this way; a differential test proves that the constructors accept, and
# equal, every value built here.

_new: Final = object.__new__


def _slot(cls: type, name: str) -> Callable[[object, object], None]:
    setter: Callable[[object, object], None] = getattr(cls, name).__set__
    return setter


_EVENT_SLOTS: Final = tuple(
    _slot(Event, name) for name in ("actor", "kind", "from_status", "to_status", "at", "reasons")
)
_APP_SLOTS: Final = tuple(
    _slot(Application, name)
    for name in (
        "id",
        "category",
        "market",
        "status",
        "info",
        "history",
        "pending_revision",
        "supersedes",
    )
)
_PARTNER_FIELDS: Final = tuple(a.name for a in attrs.fields(Partner))
_PARTNER_SLOTS: Final = tuple(_slot(Partner, name) for name in _PARTNER_FIELDS)


def _rebuilt(partner: Partner, at: dt.datetime, **changes: object) -> Partner:
    """``partner`` with ``changes`` (fields already checked by the step), its clock at ``at``."""
    new = _new(Partner)
    for name, setter in zip(_PARTNER_FIELDS, _PARTNER_SLOTS, strict=True):
        setter(new, changes[name] if name in changes else getattr(partner, name))
    if "applications" in changes:
        _open_slot(new, _open_index(changes["applications"]))  # type: ignore[arg-type]
    latest = partner.latest
    _latest_slot(new, at if at > latest else latest)
    return new


def _open_index(applications: tuple[Application, ...]) -> dict[tuple[str, str], Application]:
    superseded = {a.supersedes for a in applications}
    return {a.key: a for a in applications if a.id not in superseded}


_open_slot: Final = _slot(Partner, "_open")
_latest_slot: Final = _slot(Partner, "_latest")


def _clock(partner: Partner, at: dt.datetime) -> dt.datetime:
    """``at`` as an instant, refused when it is before the partner's clock (one clock per
    partner: not before its registration, not before its latest event)."""
    instant = _instant(at)
    registered = partner.account.registered_at
    if instant < registered:
        raise BackdatedStep(at=instant, not_before=registered, since="registration")
    latest = partner.latest
    if instant < latest:
        raise BackdatedStep(at=instant, not_before=latest, since="latest_event")
    return instant


# --------------------------------------------------------------------------------------------------
# Roles (step 2)


def choose_role(
    account: Account,
    role: PartnerRole | str,
    *,
    at: dt.datetime,
    registration_market: Market | str = Market.US,
    agency_type: AgencyType | str = AgencyType.LOCAL,
) -> Partner:
    """A new partner: ``account`` choosing its first partner role at ``at``.

    ``role`` is a :class:`PartnerRole` or any spelling of it (its code or its label).
    ``registration_market`` is the Partner Center the partner registers in (a local agency's own
    country); ``agency_type`` sets the target market its applications default to (a local
    agency's registration market; a cross-border agency names one every time).
    """
    account = require_instance("account", account, Account)
    role = parse_member(PartnerRole, role, field="role", what="role")
    instant = _aware(at)
    if instant < account.registered_at:
        raise BackdatedStep(at=instant, not_before=account.registered_at, since="registration")
    return Partner(
        account=account,
        roles_granted=(RoleGrant(role=role, at=instant),),
        registration_market=Market.of(registration_market),
        agency_type=parse_member(AgencyType, agency_type, field="agency_type"),
    )


def add_role(partner: Partner, role: PartnerRole | str, *, at: dt.datetime) -> Partner:
    """The partner with one more role (unchanged if it already has it)."""
    partner = _partner(partner)
    role = parse_member(PartnerRole, role, field="role", what="role")
    instant = _clock(partner, at)
    if role in partner.roles:
        return partner
    grants = (*partner.roles_granted, RoleGrant(role=role, at=instant))
    return _rebuilt(partner, instant, roles_granted=grants)


# --------------------------------------------------------------------------------------------------
# Entity (step 2)


def _entity_step(
    partner: Partner,
    kind: EventKind,
    *,
    at: dt.datetime,
    reasons: Iterable[str] = (),
    entity: Entity | None = None,
) -> Partner:
    partner = _partner(partner)
    review = partner.entity
    status = None if review is None else review.status
    reasons = _checked_reasons(reasons, needed=False, kind=kind)
    move = _step(_ENT, status, kind, _situation(partner), reasons=reasons)
    instant = _clock(partner, at)
    if move.info is InfoChange.REPLACE:
        entity = _check_entity(entity)
    event = Event(
        actor=move.actor,
        kind=kind,
        from_status=status,
        to_status=move.to,
        at=instant,
        reasons=reasons,
    )
    if review is None:  # the table allows only submit here, which brings the entity
        history = History((event,))
    else:
        history = review.history.append(event)
        entity = review.entity if entity is None else entity
    new = EntityReview(entity=_check_entity(entity), status=move.to, history=history)
    return _rebuilt(partner, instant, entity=new)


def _check_entity(entity: Entity | None) -> Entity:
    if not isinstance(entity, Entity):
        raise ValidationError.single("entity", "must be an Entity")
    return entity


def submit_entity(partner: Partner, entity: Entity, *, at: dt.datetime) -> Partner:
    """The partner after submitting its entity information for review."""
    return _entity_step(partner, EventKind.SUBMIT, at=at, entity=entity)


def approve_entity(partner: Partner, *, at: dt.datetime) -> Partner:
    """The partner after the platform approves its entity information (which then locks)."""
    return _entity_step(partner, EventKind.APPROVE, at=at)


def reject_entity(partner: Partner, reasons: Iterable[str], *, at: dt.datetime) -> Partner:
    """The partner after the platform rejects its entity information, with reasons."""
    return _entity_step(partner, EventKind.REJECT, at=at, reasons=reasons)


def modify_entity(partner: Partner, entity: Entity, *, at: dt.datetime) -> Partner:
    """The partner after modifying and resubmitting rejected entity information.

    Approved entity information applies to every category and to finance information and cannot
    be modified: the table has no move out of it, and the step raises
    :class:`~partner_onboarding.errors.EntityLocked`.
    """
    return _entity_step(partner, EventKind.MODIFY, at=at, entity=entity)


# --------------------------------------------------------------------------------------------------
# Category applications (steps 3 and 4)


def _partner(partner: Partner) -> Partner:
    return require_instance("partner", partner, Partner)


def _policy(policy: object) -> Policy | None:
    if policy is None or isinstance(policy, Policy):
        return policy
    raise ValidationError.single("policy", "must be a Policy or None")


def apply(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | None = DEFAULT_POLICY,
) -> Partner:
    """The partner with a new application for ``category`` in ``market`` (step 3, and "add
    category & market").

    Needs submitted entity information (the table's guard), a category of one of the partner's
    roles, and no open application for the same (category, market). What ``policy`` forbids (a
    new partner in a discontinued category after the upgrade, in any target market) raises
    :class:`~partner_onboarding.errors.PolicyRefusal` carrying the decision; ``policy=None``
    applies no policy (to replay history from before any policy).
    """
    partner = _partner(partner)
    policy = _policy(policy)
    chosen = catalog.category(category)
    market = partner.target_market(market)
    if not isinstance(info, CategoryInfo):
        raise ValidationError.single("info", "must be CategoryInfo")
    if info.category != chosen:
        raise ValidationError.single("info.category", f"must be {chosen.name}")
    instant = _instant(at)
    refusal = _refusal_to_apply(partner, chosen, market, instant, policy)
    if refusal is not None:
        raise refusal
    return _with_new_application(partner, chosen, market, info, kind=EventKind.SUBMIT, at=instant)


def apply_refusal(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | None = DEFAULT_POLICY,
) -> RuleViolation | PolicyRefusal | None:
    """Why :func:`apply` would refuse a new application for ``category`` in ``market`` at ``at``
    (given valid category information): the typed error it would raise, or ``None`` when it
    would accept one. The same checks as :func:`apply`, in the same order: the table's guard
    (entity information submitted), the category's role, no open application for the pair, the
    partner's clock, the policy."""
    partner = _partner(partner)
    return _refusal_to_apply(
        partner,
        catalog.category(category),
        partner.target_market(market),
        _instant(at),
        _policy(policy),
    )


def _refusal_to_apply(
    partner: Partner, chosen: Category, market: Market, at: dt.datetime, policy: Policy | None
) -> RuleViolation | PolicyRefusal | None:
    try:
        _step(_APP, None, EventKind.SUBMIT, _situation(partner), category=chosen.name)
        if chosen.role not in partner.roles:
            return CategoryNotInRoles(category=chosen.name, role=chosen.role, roles=partner.roles)
        if partner.has_open(chosen, market):
            open_one = partner.application(chosen, market)
            return DuplicateApplication(
                category=chosen.name,
                market=market.code,
                open_id=open_one.id,
                status=open_one.status,
            )
        _clock(partner, at)
    except RuleViolation as refusal:  # (the guard's refusal, or a back-dated step)
        return refusal
    if policy is not None:
        decision = policy.can_register(partner, chosen, market=market, at=at)
        if not decision.allowed:
            return PolicyRefusal(decision)
    return None


def _with_new_application(
    partner: Partner,
    category: Category,
    market: Market,
    info: CategoryInfo,
    *,
    kind: EventKind,
    at: dt.datetime,
    supersedes: str | None = None,
) -> Partner:
    move = TRANSITIONS[_APP, None, kind]
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
    return _rebuilt(partner, at, applications=(*partner.applications, application))


def _replaced(partner: Partner, old: Application, new: Application) -> tuple[Application, ...]:
    return tuple(new if a is old else a for a in partner.applications)


def _application_step(
    partner: Partner,
    category: str | Category,
    kind: EventKind,
    *,
    market: Market | str | None,
    at: dt.datetime,
    catalog: Catalog,
    reasons: Iterable[str] = (),
    info: CategoryInfo | None = None,
) -> Partner:
    partner = _partner(partner)
    current = partner.application(catalog.category(category), market)
    entity = partner.entity
    instant = _clock(partner, at)
    moved = transition(
        current,
        kind,
        at=instant,
        reasons=reasons,
        info=info,
        entity_status=None if entity is None else entity.status,
    )
    return _rebuilt(partner, instant, applications=_replaced(partner, current, moved))


def approve(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform approves its application (needs an approved entity)."""
    return _application_step(
        partner, category, EventKind.APPROVE, market=market, at=at, catalog=catalog
    )


def reject(
    partner: Partner,
    category: str | Category,
    reasons: Iterable[str],
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform rejects its application, with at least one reason."""
    return _application_step(
        partner, category, EventKind.REJECT, market=market, at=at, catalog=catalog, reasons=reasons
    )


def modify(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after modifying a rejected application and resubmitting it (→ Pending Review)."""
    return _application_step(
        partner, category, EventKind.MODIFY, market=market, at=at, catalog=catalog, info=info
    )


def edit(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after editing an approved application: it stays approved, and ``info`` waits
    as a pending revision for its own review."""
    return _application_step(
        partner, category, EventKind.EDIT, market=market, at=at, catalog=catalog, info=info
    )


def approve_revision(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform accepts a pending revision (it becomes the information)."""
    return _application_step(
        partner, category, EventKind.APPROVE_REVISION, market=market, at=at, catalog=catalog
    )


def reject_revision(
    partner: Partner,
    category: str | Category,
    reasons: Iterable[str],
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Partner:
    """The partner after the platform turns a pending revision down; the approval is kept."""
    return _application_step(
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
    market: Market | str | None = None,
    at: dt.datetime | dt.date,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | None = DEFAULT_POLICY,
) -> Partner:
    """The partner with a new authorisation from seller ``seller_id`` in ``category``/``market``.

    A seller authorisation needs an approved application in that category and market. ``policy``
    decides whether a *new* authorisation may be obtained at ``at`` (refusals raise
    :class:`~partner_onboarding.errors.PolicyRefusal`). An authorisation already held is kept as
    it is, whatever the date: authorisations obtained before a cut-off stay valid. ``at`` may be a
    ``date`` (the start of that day in the policy's zone).
    """
    partner = _partner(partner)
    policy = _policy(policy)
    instant = (policy or DEFAULT_POLICY).instant(at)
    chosen = catalog.category(category)
    authorization = SellerAuthorization(
        seller_id=seller_id, category=chosen, market=partner.target_market(market), at=instant
    )
    if any(held.key == authorization.key for held in partner.authorizations):
        return partner
    instant = _clock(partner, instant)
    if policy is not None:
        policy.require_seller_authorization(
            partner, chosen, market=authorization.market, at=instant
        )
    elif not partner.approved_in(chosen, authorization.market, at=instant):
        raise NoApprovedApplication(category=chosen.name, market=authorization.market.code)
    return _rebuilt(partner, instant, authorizations=(*partner.authorizations, authorization))


def upgrade(
    partner: Partner, *, at: dt.datetime | dt.date, policy: Policy = DEFAULT_POLICY
) -> Partner:
    """The partner after the category upgrade's migration, run at ``at`` (pure and idempotent).

    Statuses are kept. An open application that has been under review since before the upgrade
    took effect is rejected by the system (reason :data:`UPGRADE_REASON`) and a new application is
    generated under the same category and market with the same information, linked to it by
    ``supersedes``; the new one is then reviewed as usual. ``at`` must be at or after
    :attr:`Policy.upgrade_at`, and not before the partner's latest event.
    """
    partner = _partner(partner)
    policy = require_instance("policy", policy, Policy)
    instant = policy.instant(at)
    if instant < policy.upgrade_at:
        raise ValidationError.single(
            "at", f"the upgrade migration runs from {policy.upgrade_at.isoformat()}"
        )
    due = [
        application
        for application in partner.open_applications()
        if application.status is PENDING and application.history[-1].at < policy.upgrade_at
    ]
    if not due:
        return partner
    instant = _clock(partner, instant)
    result = partner
    for application in due:
        rejected = transition(
            application, EventKind.SYSTEM_REJECT, at=instant, reasons=(UPGRADE_REASON,)
        )
        result = _rebuilt(result, instant, applications=_replaced(result, application, rejected))
        result = _with_new_application(
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
    """The review state machine as a Mermaid state diagram, generated from :data:`TRANSITIONS`:
    one diagram per subject, each edge labelled with its event, its actor and its guards."""
    lines = ["stateDiagram-v2"]
    for subject in Subject:
        lines.append(f"    state {subject.value} {{")
        lines += [
            f'        state "{status.label}" as {subject.value}_{status.value}'
            for status in ReviewStatus
        ]
        for (origin, source, kind), move in TRANSITIONS.items():
            if origin is not subject:
                continue
            start = "[*]" if source is None else f"{subject.value}_{source.value}"
            note = f"{kind.value} ({move.actor.value})"
            if move.guards:
                note += " [" + ", ".join(guard.value for guard in move.guards) + "]"
            lines.append(f"        {start} --> {subject.value}_{move.to.value}: {note}")
        lines.append("    }")
    return "\n".join(lines) + "\n"
