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
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, Final, NamedTuple

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
    ApplicationNotFound,
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
    StaleRevision,
    UnknownCategory,
    ValidationError,
    WrongType,
    quote,
)
from partner_onboarding.model import (
    DEFAULT,
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
    PartnerEvent,
    ReviewStatus,
    RoleGrant,
    SellerAuthorization,
    Subject,
    UseDefault,
    content_digest,
)
from partner_onboarding.policy import DEFAULT_POLICY, Decision, Facts, Policy, Question

__all__ = [
    "ACTORS",
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
    "apply_event",
    "apply_refusal",
    "approve",
    "approve_entity",
    "approve_revision",
    "authorize_seller",
    "choose_role",
    "derived_partner_id",
    "edit",
    "history_problems",
    "modify",
    "modify_entity",
    "reject",
    "reject_entity",
    "reject_revision",
    "replay",
    "submit_entity",
    "to_mermaid",
    "transition",
    "upgrade",
]

PENDING: Final = ReviewStatus.PENDING_REVIEW
APPROVED: Final = ReviewStatus.APPROVED
REJECTED: Final = ReviewStatus.REJECTED


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
        if kind is not EventKind.REGENERATE  # (made by the upgrade's system_reject, never alone)
        and not any(_guard_refusal(guard, situation) for guard in move.guards)
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


def _situation(partner: Partner | _Draft, *, revision_pending: bool = False) -> _Situation:
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
    policy: Policy | None = DEFAULT_POLICY,
) -> tuple[EventKind, ...]:
    """The events ``subject`` accepts now, read from :data:`TRANSITIONS` and its guards.

    ``subject`` is one of ``partner``'s applications, its entity review, or what is not yet
    submitted: :attr:`Subject.ENTITY` (the entity) or :attr:`Subject.APPLICATION` (a new
    application; ``None`` means the same). ``actor`` keeps only the events that actor causes.
    An event is offered exactly when the operation doing it would accept it (for a new
    application, before the category's own checks: role, duplicates, policy). The system's
    ``system_reject`` is offered only on an application the upgrade of ``policy`` would reject
    (under review since before the upgrade took effect); ``regenerate`` is never offered on its
    own: the upgrade's ``system_reject`` generates the new application.
    """
    partner = _partner(partner)
    policy = _policy(policy)
    revision = False
    application = None
    if subject is None or subject is _APP:
        kind, status = _APP, None
    elif subject is _ENT:
        kind, status = _ENT, None if partner.entity is None else partner.entity.status
    elif isinstance(subject, EntityReview):
        kind, status = _ENT, subject.status
    elif isinstance(subject, Application):
        kind, status = _APP, subject.status
        revision = subject.pending_revision is not None
        application = subject
    else:
        raise ValidationError.single(
            "subject", "must be an Application, an EntityReview, a Subject or None"
        )
    if actor is not None:
        actor = parse_member(Actor, actor, field="actor")
    offered = _offered(kind, status, _situation(partner, revision_pending=revision))
    if EventKind.SYSTEM_REJECT in offered and (
        application is None or policy is None or not _upgrade_rejects(application, policy)
    ):
        offered = tuple(k for k in offered if k is not EventKind.SYSTEM_REJECT)
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
    if type(at) is dt.datetime and type(at.tzinfo) is dt.timezone and 1 < at.year < 9999:
        return at  # already a fixed-offset instant, away from the calendar's ends: common
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
# --------------------------------------------------------------------------------------------------
# The fold: a partner is its events, each applied by one step


class _Draft:
    """A partner being folded: the state its events have made so far. It is changed in place
    while one fold runs, then frozen into a :class:`Partner`, so that replaying n events costs
    O(n); nothing outside this module ever sees one."""

    __slots__ = (
        "account",
        "agency_type",
        "applications",
        "authorizations",
        "authorized",
        "catalog",
        "entity",
        "events",
        "grants",
        "latest",
        "open",
        "partner_id",
        "registration_market",
    )

    account: Account | None
    agency_type: AgencyType
    applications: list[Application]
    authorizations: list[SellerAuthorization]
    authorized: set[tuple[str, str, str]]
    catalog: str | None
    entity: EntityReview | None
    events: list[PartnerEvent]
    grants: list[RoleGrant]
    latest: dt.datetime | None
    open: dict[tuple[str, str], int]  # (category code, market code) → index in applications
    partner_id: str
    registration_market: Market

    def __init__(self) -> None:
        self.account, self.entity, self.latest, self.catalog = None, None, None, None
        self.partner_id = ""
        self.registration_market, self.agency_type = Market.US, AgencyType.LOCAL
        self.applications, self.authorizations, self.events, self.grants = [], [], [], []
        self.authorized, self.open = set(), {}

    @classmethod
    def of(cls, partner: Partner) -> _Draft:
        draft = cls()
        draft.partner_id, draft.account = partner.partner_id, partner.account
        draft.registration_market, draft.agency_type = (
            partner.registration_market,
            partner.agency_type,
        )
        draft.entity, draft.latest, draft.catalog = (
            partner.entity,
            partner.latest,
            partner.catalog_id,
        )
        draft.grants = list(partner.roles_granted)
        draft.applications = list(partner.applications)
        draft.authorizations = list(partner.authorizations)
        draft.events = list(partner.events)
        draft.authorized = {authorization.key for authorization in partner.authorizations}
        # The open application of a key is its last: one replacing another comes after it.
        draft.open = {a.key: index for index, a in enumerate(partner.applications)}
        return draft

    @property
    def roles(self) -> tuple[PartnerRole, ...]:
        return tuple(grant.role for grant in self.grants)

    def freeze(self) -> Partner:
        applications = tuple(self.applications)
        values = {
            "events": tuple(self.events),
            "partner_id": self.partner_id,
            "account": self.account,
            "roles_granted": tuple(self.grants),
            "registration_market": self.registration_market,
            "agency_type": self.agency_type,
            "entity": self.entity,
            "applications": applications,
            "authorizations": tuple(self.authorizations),
            "_open": {key: applications[index] for key, index in self.open.items()},
            "_latest": self.latest,
            "_catalog": self.catalog,
        }
        partner = _new(Partner)
        for name, setter in _PARTNER_SLOTS:
            setter(partner, values[name])
        return partner


_PARTNER_SLOTS: Final = tuple((a.name, _slot(Partner, a.name)) for a in attrs.fields(Partner))


def replay(
    events: Iterable[PartnerEvent], *, policy: Policy | UseDefault | None = DEFAULT
) -> Partner:
    """The partner ``events`` make: each applied in order by the one step of the machine (the
    same step every operation takes), under ``policy`` (default: :data:`DEFAULT_POLICY`;
    ``None`` applies none).

    Anything the rules refuse raises one :class:`~partner_onboarding.errors.ValidationError`
    whose path names the event (``events[3]`` is the event of seq 4) and whose reason names the
    rule; nothing half-built is returned. The cost is linear in the number of events.
    """
    chosen = DEFAULT_POLICY if policy is DEFAULT else _policy(policy)
    if not isinstance(events, Iterable) or isinstance(events, str | bytes | dict):
        raise ValidationError.single("events", "must be a list of events", what="partner")
    draft = _Draft()
    for index, event in enumerate(events):
        path = f"events[{index}]"
        if type(event) is not PartnerEvent:
            raise ValidationError.single(path, "must be a PartnerEvent", what="partner")
        try:
            _fold(draft, event, chosen)
        except ValidationError as error:
            raise ValidationError(
                [problem.under(path) for problem in error.problems], what="partner", more=error.more
            ) from None
        except (
            RuleViolation,
            InvalidTransition,
            ApplicationNotFound,
            PolicyRefusal,
            UnknownCategory,
        ) as error:
            said = str(error)
            if isinstance(error, PolicyRefusal):  # (which names its rule already)
                said = said.removeprefix("refused: ")
            else:
                said += f" (rule: {_rule_of(error)})"
            reason = (
                f"seq {event.seq} ({event.subject.value} {event.kind.value}) is refused: {said}"
            )
            raise ValidationError.single(path, reason, what="partner") from None
    if draft.account is None:
        raise ValidationError.single(
            "events", "must hold at least the registration", what="partner"
        )
    return draft.freeze()


def _rule_of(error: Exception) -> str:
    if isinstance(error, RuleViolation):
        return error.rule
    if isinstance(error, ApplicationNotFound):
        return "open_application_required"
    if isinstance(error, UnknownCategory):
        return "policy_catalog"
    return "transition_table"


def apply_event(
    partner: Partner,
    event: PartnerEvent,
    *,
    policy: Policy | None = DEFAULT_POLICY,
    expected_revision: int | None = None,
) -> Partner:
    """``partner`` after ``event``, its next event (``seq`` = ``partner.revision + 1``), by the
    one step every operation and every replay takes. The operations build their event and call
    this; call it yourself to apply an event received from elsewhere."""
    partner = _partner(partner)
    _expect(partner, expected_revision)
    return _record(partner, require_instance("event", event, PartnerEvent), _policy(policy))


def _record(partner: Partner, event: PartnerEvent, policy: Policy | None) -> Partner:
    draft = _Draft.of(partner)
    _fold(draft, event, policy)
    return draft.freeze()


def _expect(partner: Partner, expected_revision: int | None) -> None:
    if expected_revision is None:
        return
    if type(expected_revision) is not int:
        raise ValidationError.single("expected_revision", "must be a whole number or None")
    if expected_revision != partner.revision:
        raise StaleRevision(expected=expected_revision, actual=partner.revision)


#: Who causes each kind of event (the table's actor for reviews; the partner for its own steps).
ACTORS: Final[dict[EventKind, Actor]] = {
    **{kind: move.actor for (_, _, kind), move in TRANSITIONS.items()},
    EventKind.REGISTER: _PARTNER,
    EventKind.ADD_ROLE: _PARTNER,
    EventKind.AUTHORIZE_SELLER: _PARTNER,
}


def _fold(draft: _Draft, event: PartnerEvent, policy: Policy | None) -> None:
    """The one step: ``event`` applied to ``draft`` under the rules and ``policy``, or the typed
    refusal (the draft is then thrown away by the caller)."""
    expected = len(draft.events) + 1
    if event.seq != expected:
        raise ValidationError.single(
            "seq", f"must be {expected}: a partner's events are numbered 1, 2, 3… in order"
        )
    if event.actor is not ACTORS[event.kind]:
        raise ValidationError.single(
            "actor", f"{event.kind.value} is caused by the {ACTORS[event.kind].value}"
        )
    kind = event.kind
    if draft.account is None or kind is EventKind.REGISTER:
        _register(draft, event)
    else:
        if event.partner_id != draft.partner_id:
            raise ValidationError.single(
                "partner_id", f"must be {draft.partner_id!r}, the partner's own"
            )
        if event.subject is _ENT:
            _entity_event(draft, event)
        elif event.subject is _APP:
            _application_event(draft, event, policy)
        elif kind is EventKind.ADD_ROLE:
            role = event.role
            assert role is not None  # noqa: S101  (the event's payload table requires it)
            if role in draft.roles:
                raise ValidationError.single("role", f"the partner already has {role.label}")
            draft.grants.append(RoleGrant(role=role, at=_clock(draft, event.at)))
        else:  # EventKind.AUTHORIZE_SELLER
            _authorization_event(draft, event, policy)
    draft.events.append(event)
    latest = draft.latest
    draft.latest = event.at if latest is None or event.at > latest else latest


def _register(draft: _Draft, event: PartnerEvent) -> None:
    if draft.account is not None or event.kind is not EventKind.REGISTER:
        raise ValidationError.single(
            "kind", "a partner's first event is its registration, and it registers once"
        )
    account = event.account
    assert account is not None  # noqa: S101  (the event's payload table requires it)
    assert event.role is not None  # noqa: S101
    if event.at < account.registered_at:
        raise BackdatedStep(at=event.at, not_before=account.registered_at, since="registration")
    draft.partner_id, draft.account = event.partner_id, account
    draft.grants = [RoleGrant(role=event.role, at=event.at)]
    draft.registration_market = event.registration_market  # type: ignore[assignment]
    draft.agency_type = event.agency_type  # type: ignore[assignment]


def _entity_event(draft: _Draft, event: PartnerEvent) -> None:
    review = draft.entity
    status = None if review is None else review.status
    kind = event.kind
    move = _step(_ENT, status, kind, _situation(draft), reasons=event.reasons)
    instant = _clock(draft, event.at)
    if move.info is InfoChange.REPLACE:
        entity = event.entity
    else:
        assert review is not None  # noqa: S101  (the table has no other move before submission)
        entity = review.entity
        if kind is EventKind.APPROVE:
            _check_pinned(event.approves, entity, "the entity information submitted")
    step = Event(
        actor=move.actor,
        kind=kind,
        from_status=status,
        to_status=move.to,
        at=instant,
        reasons=event.reasons,
    )
    history = History((step,)) if review is None else review.history.append(step)
    new = _new(EntityReview)
    for setter, value in zip(_REVIEW_SLOTS, (entity, move.to, history), strict=True):
        setter(new, value)
    draft.entity = new


_REVIEW_SLOTS: Final = tuple(_slot(EntityReview, name) for name in ("entity", "status", "history"))


def _check_pinned(approves: str | None, value: object, what: str) -> None:
    if approves != content_digest(value):
        raise ValidationError.single(
            "approves", f"is not the digest of {what}: an approval pins exactly what it approves"
        )


def _check_catalog(draft: _Draft, category: Category) -> None:
    if draft.catalog is None:
        draft.catalog = category.catalog
    elif category.catalog != draft.catalog:
        raise ValidationError.single(
            "category",
            f"is of catalog {quote(category.catalog, 80)}; the partner's categories are of "
            f"{quote(draft.catalog, 80)} (a partner has one catalog)",
        )


def _application_event(draft: _Draft, event: PartnerEvent, policy: Policy | None) -> None:
    category, market, kind = event.category, event.market, event.kind
    assert category is not None  # noqa: S101  (the event's payload table requires them)
    assert market is not None  # noqa: S101
    _check_catalog(draft, category)
    if kind is EventKind.SUBMIT:
        refusal = _refusal_to_apply(draft, category, market, event.at, policy)
        if refusal is not None:
            raise refusal
        _add_application(draft, event, kind=EventKind.SUBMIT, info=event.info)
        return
    index = draft.open.get((category.code, market.code))
    if index is None:
        raise ApplicationNotFound(category.code, market.code)
    current = draft.applications[index]
    entity = draft.entity
    if kind is EventKind.SYSTEM_REJECT and policy is not None:
        _check_upgrade(current, event.at, policy)
    moved = transition(
        current,
        kind,
        at=event.at,
        reasons=event.reasons,
        info=event.info,
        entity_status=None if entity is None else entity.status,
    )
    if kind is EventKind.APPROVE:
        _check_pinned(event.approves, current.info, "the category information submitted")
    elif kind is EventKind.APPROVE_REVISION:
        _check_pinned(event.approves, current.pending_revision, "the revision proposed")
    _clock(draft, event.at)
    draft.applications[index] = moved
    if kind is EventKind.SYSTEM_REJECT:  # the upgrade generates the application anew
        _add_application(
            draft, event, kind=EventKind.REGENERATE, info=current.info, supersedes=current.id
        )


def _check_upgrade(current: Application, at: dt.datetime, policy: Policy) -> None:
    _check_upgrade_runs(at, policy)
    if current.status is PENDING and not _upgrade_rejects(current, policy):
        raise ValidationError.single(
            "kind",
            "the upgrade rejects only applications under review since before it took effect",
        )


def _add_application(
    draft: _Draft,
    event: PartnerEvent,
    *,
    kind: EventKind,
    info: CategoryInfo | None,
    supersedes: str | None = None,
) -> None:
    category, market = event.category, event.market
    assert category is not None  # noqa: S101  (checked by the caller)
    assert market is not None  # noqa: S101
    move = TRANSITIONS[_APP, None, kind]
    step = Event(actor=move.actor, kind=kind, from_status=None, to_status=move.to, at=event.at)
    application = Application(
        id=f"{category.code}/{market.code}/{event.seq}",  # (derived: seq is unique)
        category=category,
        market=market,
        status=move.to,
        info=info,  # type: ignore[arg-type]  # (the event's payload table requires it)
        history=History((step,)),
        supersedes=supersedes,
    )
    draft.open[application.key] = len(draft.applications)
    draft.applications.append(application)


def _authorization_event(draft: _Draft, event: PartnerEvent, policy: Policy | None) -> None:
    category, market, seller_id = event.category, event.market, event.seller_id
    assert category is not None  # noqa: S101  (the event's payload table requires them)
    assert market is not None  # noqa: S101
    assert seller_id is not None  # noqa: S101
    _check_catalog(draft, category)
    key = (seller_id, category.code, market.code)
    if key in draft.authorized:
        raise ValidationError.single("seller_id", "repeats an authorisation the partner holds")
    instant = _clock(draft, event.at)
    index = draft.open.get((category.code, market.code))
    approved = index is not None and draft.applications[index].status is APPROVED
    if policy is not None:
        decision = _decide(
            draft,
            policy,
            Question.AUTHORIZE_SELLER,
            category,
            instant,
            market=market,
            approved=approved,
        )
        if not decision.allowed:
            raise PolicyRefusal(decision)
    elif not approved:
        raise NoApprovedApplication(category=category.name, market=market.code)
    draft.authorizations.append(
        SellerAuthorization(seller_id=seller_id, category=category, market=market, at=instant)
    )
    draft.authorized.add(key)


def _decide(
    draft: _Draft,
    policy: Policy,
    question: Question,
    category: Category,
    at: dt.datetime,
    *,
    market: Market,
    approved: bool = False,
) -> Decision:
    """``policy``'s answer to ``question`` on the facts of the partner being folded."""
    account = draft.account
    assert account is not None  # noqa: S101  (registered: the fold's first event)
    facts = Facts(
        category=category,
        registered_at=account.registered_at,
        registration_market=draft.registration_market,
        market=market,
        approved=approved,
        partner_id=draft.partner_id,
    )
    return policy.decide(question, facts, at=at)


def _clock(partner: Partner | _Draft, at: dt.datetime) -> dt.datetime:
    """``at`` as an instant, refused when it is before the partner's clock (one clock per
    partner: not before its registration, not before its latest event)."""
    instant = _instant(at)
    account = partner.account
    assert account is not None  # noqa: S101  (registered: the fold's first event)
    registered = account.registered_at
    if instant < registered:
        raise BackdatedStep(at=instant, not_before=registered, since="registration")
    latest = partner.latest
    if latest is not None and instant < latest:
        raise BackdatedStep(at=instant, not_before=latest, since="latest_event")
    return instant


def _new_event(
    partner: Partner, subject: Subject, kind: EventKind, at: dt.datetime, **payload: Any
) -> PartnerEvent:
    """The partner's next event (seq: its revision + 1)."""
    return PartnerEvent(
        partner_id=partner.partner_id,
        seq=partner.revision + 1,
        at=at,
        actor=ACTORS[kind],
        subject=subject,
        kind=kind,
        **payload,
    )


def _partner_catalog(partner: Partner, catalog: Catalog) -> Catalog:
    """``catalog``, refused when the partner's categories are of another one."""
    catalog = require_instance("catalog", catalog, Catalog)
    if partner.catalog_id is not None and catalog.id != partner.catalog_id:
        raise ValidationError.single(
            "catalog",
            f"is {catalog.id!r}; the partner's categories are of {partner.catalog_id!r} "
            "(a partner has one catalog)",
        )
    return catalog


# --------------------------------------------------------------------------------------------------
# Roles (step 2)


def choose_role(
    account: Account,
    role: PartnerRole | str,
    *,
    at: dt.datetime,
    registration_market: Market | str = Market.US,
    agency_type: AgencyType | str = AgencyType.LOCAL,
    partner_id: str | None = None,
) -> Partner:
    """A new partner: ``account`` choosing its first partner role at ``at`` (its registration
    event, seq 1).

    ``role`` is a :class:`PartnerRole` or any spelling of it (its code or its label).
    ``registration_market`` is the Partner Center the partner registers in (a local agency's own
    country); ``agency_type`` sets the target market its applications default to (a local
    agency's registration market; a cross-border agency names one every time). ``partner_id`` is
    the caller's identity for the partner; left out, it is derived from the registration (the
    account's email and registration instant and this instant), so the same registration always
    gets the same id.
    """
    account = require_instance("account", account, Account)
    role = parse_member(PartnerRole, role, field="role", what="role")
    instant = _aware(at)
    if instant < account.registered_at:
        raise BackdatedStep(at=instant, not_before=account.registered_at, since="registration")
    if partner_id is None:
        partner_id = derived_partner_id(account, instant)
    event = PartnerEvent(
        partner_id=partner_id,
        seq=1,
        at=instant,
        actor=_PARTNER,
        subject=Subject.PARTNER,
        kind=EventKind.REGISTER,
        account=account,
        role=role,
        registration_market=Market.of(registration_market),
        agency_type=parse_member(AgencyType, agency_type, field="agency_type"),
    )
    draft = _Draft()
    _fold(draft, event, None)
    return draft.freeze()


def derived_partner_id(account: Account, at: dt.datetime) -> str:
    """The id of a partner registered by ``account`` choosing its first role at ``at``, when the
    caller gives none: ``"p-"`` and 20 hexadecimal digits of a digest of the account's email,
    its registration instant and ``at`` (the same registration always gets the same id)."""
    seed = f"{account.email}\n{account.registered_at.isoformat()}\n{at.isoformat()}"
    return "p-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20]


def add_role(
    partner: Partner,
    role: PartnerRole | str,
    *,
    at: dt.datetime,
    expected_revision: int | None = None,
) -> Partner:
    """The partner with one more role (unchanged, and no event, if it already has it)."""
    partner = _partner(partner)
    _expect(partner, expected_revision)
    role = parse_member(PartnerRole, role, field="role", what="role")
    instant = _clock(partner, at)
    if role in partner.roles:
        return partner
    event = _new_event(partner, Subject.PARTNER, EventKind.ADD_ROLE, instant, role=role)
    return _record(partner, event, None)


# --------------------------------------------------------------------------------------------------
# Entity (step 2)


def _entity_step(
    partner: Partner,
    kind: EventKind,
    *,
    at: dt.datetime,
    reasons: Iterable[str] = (),
    entity: Entity | None = None,
    expected_revision: int | None,
) -> Partner:
    partner = _partner(partner)
    _expect(partner, expected_revision)
    review = partner.entity
    status = None if review is None else review.status
    checked = _checked_reasons(reasons, needed=False, kind=kind)
    move = _step(_ENT, status, kind, _situation(partner), reasons=checked)
    instant = _clock(partner, at)
    payload: dict[str, Any] = {}
    if move.info is InfoChange.REPLACE:
        payload["entity"] = _check_entity(entity)
    elif kind is EventKind.APPROVE:
        assert review is not None  # noqa: S101  (the table allows approval only once submitted)
        payload["approves"] = content_digest(review.entity)
    if checked:
        payload["reasons"] = checked
    return _record(partner, _new_event(partner, _ENT, kind, instant, **payload), None)


def _check_entity(entity: Entity | None) -> Entity:
    if not isinstance(entity, Entity):
        raise ValidationError.single("entity", "must be an Entity")
    return entity


def submit_entity(
    partner: Partner, entity: Entity, *, at: dt.datetime, expected_revision: int | None = None
) -> Partner:
    """The partner after submitting its entity information for review."""
    return _entity_step(
        partner, EventKind.SUBMIT, at=at, entity=entity, expected_revision=expected_revision
    )


def approve_entity(
    partner: Partner, *, at: dt.datetime, expected_revision: int | None = None
) -> Partner:
    """The partner after the platform approves its entity information (which then locks)."""
    return _entity_step(partner, EventKind.APPROVE, at=at, expected_revision=expected_revision)


def reject_entity(
    partner: Partner,
    reasons: Iterable[str],
    *,
    at: dt.datetime,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after the platform rejects its entity information, with reasons."""
    return _entity_step(
        partner, EventKind.REJECT, at=at, reasons=reasons, expected_revision=expected_revision
    )


def modify_entity(
    partner: Partner, entity: Entity, *, at: dt.datetime, expected_revision: int | None = None
) -> Partner:
    """The partner after modifying and resubmitting rejected entity information.

    Approved entity information applies to every category and to finance information and cannot
    be modified: the table has no move out of it, and the step raises
    :class:`~partner_onboarding.errors.EntityLocked`.
    """
    return _entity_step(
        partner, EventKind.MODIFY, at=at, entity=entity, expected_revision=expected_revision
    )


# --------------------------------------------------------------------------------------------------
# Category applications (steps 3 and 4)


def _partner(partner: Partner) -> Partner:
    return require_instance("partner", partner, Partner)


def _policy(policy: object) -> Policy | None:
    if policy is None or isinstance(policy, Policy):
        return policy
    raise WrongType.single("policy", "must be a Policy or None")


def apply(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | None = DEFAULT_POLICY,
    expected_revision: int | None = None,
) -> Partner:
    """The partner with a new application for ``category`` in ``market`` (step 3, and "add
    category & market").

    Needs submitted entity information (the table's guard), a category of one of the partner's
    roles, and no open application for the same (category, market). What ``policy`` forbids (a
    new partner in a discontinued category after the upgrade, in any target market) raises
    :class:`~partner_onboarding.errors.PolicyRefusal` carrying the decision; ``policy=None``
    applies no policy (to replay history from before any policy). The application's id is
    derived from its event: ``"<category>/<market>/<seq>"``.
    """
    partner = _partner(partner)
    _expect(partner, expected_revision)
    policy = _policy(policy)
    chosen = _partner_catalog(partner, catalog).category(category)
    market = partner.target_market(market)
    if not isinstance(info, CategoryInfo):
        raise ValidationError.single("info", "must be CategoryInfo")
    if info.category != chosen:
        raise ValidationError.single("info.category", f"must be {chosen.name}")
    instant = _instant(at)
    event = _new_event(
        partner, _APP, EventKind.SUBMIT, instant, category=chosen, market=market, info=info
    )
    return _record(partner, event, policy)


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
        _Draft.of(partner),
        _partner_catalog(partner, catalog).category(category),
        partner.target_market(market),
        _instant(at),
        _policy(policy),
    )


def _refusal_to_apply(
    draft: _Draft, chosen: Category, market: Market, at: dt.datetime, policy: Policy | None
) -> RuleViolation | PolicyRefusal | None:
    try:
        _step(_APP, None, EventKind.SUBMIT, _situation(draft), category=chosen.name)
        roles = draft.roles
        if chosen.role not in roles:
            return CategoryNotInRoles(category=chosen.name, role=chosen.role, roles=roles)
        index = draft.open.get((chosen.code, market.code))
        if index is not None:
            open_one = draft.applications[index]
            return DuplicateApplication(
                category=chosen.name,
                market=market.code,
                open_id=open_one.id,
                status=open_one.status,
            )
        _clock(draft, at)
    except RuleViolation as refusal:  # (the guard's refusal, or a back-dated step)
        return refusal
    if policy is not None:
        decision = _decide(draft, policy, Question.REGISTER, chosen, at, market=market)
        if not decision.allowed:
            return PolicyRefusal(decision)
    return None


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
    expected_revision: int | None,
) -> Partner:
    partner = _partner(partner)
    _expect(partner, expected_revision)
    chosen = _partner_catalog(partner, catalog).category(category)
    current = partner.application(chosen, market)
    entity = partner.entity
    instant = _clock(partner, at)
    # The table's step on the application, checked here so that a refusal names what the
    # operation was given (the fold takes the same step again on the event).
    transition(
        current,
        kind,
        at=instant,
        reasons=reasons,
        info=info,
        entity_status=None if entity is None else entity.status,
    )
    payload: dict[str, Any] = {"category": chosen, "market": current.market}
    if info is not None and kind in {EventKind.MODIFY, EventKind.EDIT}:
        payload["info"] = info
    if kind is EventKind.APPROVE:
        payload["approves"] = content_digest(current.info)
    elif kind is EventKind.APPROVE_REVISION:
        payload["approves"] = content_digest(current.pending_revision)
    checked = _checked_reasons(reasons, needed=False, kind=kind)
    if checked:
        payload["reasons"] = checked
    return _record(partner, _new_event(partner, _APP, kind, instant, **payload), None)


def approve(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after the platform approves its application (needs an approved entity). The
    event pins the digest of the information approved."""
    return _application_step(
        partner,
        category,
        EventKind.APPROVE,
        market=market,
        at=at,
        catalog=catalog,
        expected_revision=expected_revision,
    )


def reject(
    partner: Partner,
    category: str | Category,
    reasons: Iterable[str],
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after the platform rejects its application, with at least one reason."""
    return _application_step(
        partner,
        category,
        EventKind.REJECT,
        market=market,
        at=at,
        catalog=catalog,
        reasons=reasons,
        expected_revision=expected_revision,
    )


def modify(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after modifying a rejected application and resubmitting it (→ Pending Review)."""
    return _application_step(
        partner,
        category,
        EventKind.MODIFY,
        market=market,
        at=at,
        catalog=catalog,
        info=info,
        expected_revision=expected_revision,
    )


def edit(
    partner: Partner,
    category: str | Category,
    info: CategoryInfo,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after editing an approved application: it stays approved, and ``info`` waits
    as a pending revision for its own review."""
    return _application_step(
        partner,
        category,
        EventKind.EDIT,
        market=market,
        at=at,
        catalog=catalog,
        info=info,
        expected_revision=expected_revision,
    )


def approve_revision(
    partner: Partner,
    category: str | Category,
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after the platform accepts a pending revision (it becomes the information)."""
    return _application_step(
        partner,
        category,
        EventKind.APPROVE_REVISION,
        market=market,
        at=at,
        catalog=catalog,
        expected_revision=expected_revision,
    )


def reject_revision(
    partner: Partner,
    category: str | Category,
    reasons: Iterable[str],
    *,
    market: Market | str | None = None,
    at: dt.datetime,
    catalog: Catalog = DEFAULT_CATALOG,
    expected_revision: int | None = None,
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
        expected_revision=expected_revision,
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
    expected_revision: int | None = None,
) -> Partner:
    """The partner with a new authorisation from seller ``seller_id`` in ``category``/``market``.

    A seller authorisation needs an approved application in that category and market. ``policy``
    decides whether a *new* authorisation may be obtained at ``at`` (refusals raise
    :class:`~partner_onboarding.errors.PolicyRefusal`). An authorisation already held is kept as
    it is, whatever the date (the partner is returned unchanged, with no event): authorisations
    obtained before a cut-off stay valid. ``at`` may be a ``date`` (the start of that day in the
    policy's zone).
    """
    partner = _partner(partner)
    _expect(partner, expected_revision)
    policy = _policy(policy)
    instant = (policy or DEFAULT_POLICY).instant(at)
    chosen = _partner_catalog(partner, catalog).category(category)
    authorization = SellerAuthorization(
        seller_id=seller_id, category=chosen, market=partner.target_market(market), at=instant
    )
    if any(held.key == authorization.key for held in partner.authorizations):
        return partner
    event = _new_event(
        partner,
        Subject.PARTNER,
        EventKind.AUTHORIZE_SELLER,
        instant,
        category=chosen,
        market=authorization.market,
        seller_id=authorization.seller_id,
    )
    return _record(partner, event, policy)


def upgrade(
    partner: Partner,
    *,
    at: dt.datetime | dt.date,
    policy: Policy = DEFAULT_POLICY,
    expected_revision: int | None = None,
) -> Partner:
    """The partner after the category upgrade's migration, run at ``at`` (pure and idempotent).

    Statuses are kept. An open application that has been under review since before the upgrade
    took effect is rejected by the system (reason :data:`UPGRADE_REASON`), and the same event
    generates a new application under the same category and market with the same information,
    linked to it by ``supersedes``; the new one is then reviewed as usual. ``at`` must be at or
    after :attr:`Policy.upgrade_at`, and not before the partner's latest event.
    """
    partner = _partner(partner)
    _expect(partner, expected_revision)
    policy = require_instance("policy", policy, Policy)
    instant = policy.instant(at)
    _check_upgrade_runs(instant, policy)
    due = [
        application
        for application in partner.open_applications()
        if _upgrade_rejects(application, policy)
    ]
    if not due:
        return partner
    instant = _clock(partner, instant)
    draft = _Draft.of(partner)
    for seq, application in enumerate(due, start=partner.revision + 1):
        event = PartnerEvent(
            partner_id=partner.partner_id,
            seq=seq,
            at=instant,
            actor=_SYSTEM,
            subject=_APP,
            kind=EventKind.SYSTEM_REJECT,
            category=application.category,
            market=application.market,
            reasons=(UPGRADE_REASON,),
        )
        _fold(draft, event, policy)
    return draft.freeze()


def _check_upgrade_runs(at: dt.datetime, policy: Policy) -> None:
    if at < policy.upgrade_at:
        raise ValidationError.single(
            "at", f"the upgrade migration runs from {policy.upgrade_at.isoformat()}"
        )


def _upgrade_rejects(application: Application, policy: Policy) -> bool:
    """Whether the upgrade rejects ``application``: under review since before it took effect."""
    return application.status is PENDING and application.history[-1].at < policy.upgrade_at


# --------------------------------------------------------------------------------------------------
# Diagram


def to_mermaid() -> str:
    """The review state machine as a Mermaid state diagram, generated from :data:`TRANSITIONS`:
    one diagram per subject, each edge labelled with its event, its actor and its guards."""
    lines = ["stateDiagram-v2"]
    for subject in (_ENT, _APP):
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
