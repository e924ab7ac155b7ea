from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Callable
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _legacy import state_document
from partner_onboarding import (
    DEFAULT_CATALOG,
    DEFAULT_POLICY,
    Market,
    PartnerRole,
    ValidationError,
    from_json,
    lifecycle,
    to_json,
)
from partner_onboarding.errors import (
    ApplicationNotFound,
    BackdatedStep,
    CategoryNotInRoles,
    DuplicateApplication,
    EntityLocked,
    EntityNotApproved,
    EntityNotSubmitted,
    HistoryOutOfOrder,
    InvalidTransition,
    OnboardingError,
    PolicyRefusal,
    Problem,
    StaleRevision,
)
from partner_onboarding.lifecycle import (
    TRANSITIONS,
    Guard,
    Subject,
    allowed_events,
    history_problems,
    transition,
)
from partner_onboarding.model import (
    Account,
    Actor,
    AgencyType,
    Application,
    EventKind,
    FinanceIdentity,
    History,
    Partner,
    ReviewStatus,
)
from partner_onboarding.testing import (
    approved_partner,
    partners,
    sample_entity,
    sample_info,
)

PENDING, APPROVED, REJECTED = ReviewStatus
T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
ROOT = pathlib.Path(__file__).resolve().parent.parent


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def new_partner(role: PartnerRole = PartnerRole.SELLER_SERVICE_PARTNER) -> Partner:
    account = Account.register(email="ops@acme.example", password="Abc123!x", at=T0, scrypt_n=2)
    return lifecycle.choose_role(account, role, at=T0)


def with_entity(approved: bool = True) -> Partner:
    partner = lifecycle.submit_entity(new_partner(), sample_entity(), at=at(1))
    return lifecycle.approve_entity(partner, at=at(2)) if approved else partner


def partner_in(status: ReviewStatus, *, revision: bool = False) -> Partner:
    partner = lifecycle.apply(
        with_entity(), "Shop Management", sample_info("shop_management"), at=at(3)
    )
    if status is APPROVED:
        partner = lifecycle.approve(partner, "shop_management", at=at(4))
        if revision:
            partner = lifecycle.edit(
                partner, "shop_management", sample_info("shop_management"), at=at(5)
            )
    elif status is REJECTED:
        partner = lifecycle.reject(partner, "shop_management", ["no case studies"], at=at(4))
    return partner


def application_in(status: ReviewStatus, *, revision: bool = False) -> Application:
    return partner_in(status, revision=revision).application("shop_management")


# ------------------------------------------------------------------------------------------------
# The table, as a definition

ENT, APP = Subject.ENTITY, Subject.APPLICATION
EXPECTED = {
    (ENT, None, EventKind.SUBMIT): (PENDING, Actor.PARTNER, ()),
    (ENT, PENDING, EventKind.APPROVE): (APPROVED, Actor.PLATFORM, ()),
    (ENT, PENDING, EventKind.REJECT): (REJECTED, Actor.PLATFORM, ()),
    (ENT, REJECTED, EventKind.MODIFY): (PENDING, Actor.PARTNER, ()),
    (APP, None, EventKind.SUBMIT): (PENDING, Actor.PARTNER, (Guard.ENTITY_SUBMITTED,)),
    (APP, PENDING, EventKind.APPROVE): (APPROVED, Actor.PLATFORM, (Guard.ENTITY_APPROVED,)),
    (APP, PENDING, EventKind.REJECT): (REJECTED, Actor.PLATFORM, ()),
    (APP, REJECTED, EventKind.MODIFY): (PENDING, Actor.PARTNER, ()),
    (APP, APPROVED, EventKind.EDIT): (APPROVED, Actor.PARTNER, ()),
    (APP, APPROVED, EventKind.APPROVE_REVISION): (
        APPROVED,
        Actor.PLATFORM,
        (Guard.REVISION_PENDING,),
    ),
    (APP, APPROVED, EventKind.REJECT_REVISION): (
        APPROVED,
        Actor.PLATFORM,
        (Guard.REVISION_PENDING,),
    ),
    (APP, PENDING, EventKind.SYSTEM_REJECT): (REJECTED, Actor.SYSTEM, ()),
    (APP, None, EventKind.REGENERATE): (PENDING, Actor.SYSTEM, ()),
}


def test_the_table_is_the_documented_one() -> None:
    found = {key: (move.to, move.actor, move.guards) for key, move in TRANSITIONS.items()}
    assert found == EXPECTED


@pytest.mark.parametrize("subject", [Subject.ENTITY, Subject.APPLICATION])
def test_every_status_is_reachable_from_the_start(subject: Subject) -> None:
    reached: set[ReviewStatus | None] = {None}
    frontier: list[ReviewStatus | None] = [None]
    while frontier:
        status = frontier.pop()
        for (origin, source, _), move in TRANSITIONS.items():
            if origin is subject and source is status and move.to not in reached:
                reached.add(move.to)
                frontier.append(move.to)
    assert reached == {None, *ReviewStatus}


def test_only_the_approved_entity_is_a_dead_end() -> None:
    # Every application status lets something happen: pending waits for the platform, rejected
    # can be modified, approved can be edited. The approved entity is locked: nothing moves it.
    dead_ends = {
        (subject, status)
        for subject in (Subject.ENTITY, Subject.APPLICATION)
        for status in ReviewStatus
        if not any(o is subject and s is status for o, s, _ in TRANSITIONS)
    }
    assert dead_ends == {(ENT, APPROVED)}


def test_only_the_platform_decides_and_the_partner_only_submits_or_changes() -> None:
    for (_, _, kind), move in TRANSITIONS.items():
        if kind in {
            EventKind.APPROVE,
            EventKind.REJECT,
            EventKind.APPROVE_REVISION,
            EventKind.REJECT_REVISION,
        }:
            assert move.actor is Actor.PLATFORM
        if move.needs_reasons:
            assert kind in {EventKind.REJECT, EventKind.REJECT_REVISION, EventKind.SYSTEM_REJECT}


CASES = [
    (status, revision, kind)
    for status in ReviewStatus
    for revision in ([False, True] if status is APPROVED else [False])
    for kind in EventKind
]


@pytest.mark.parametrize(("status", "revision", "kind"), CASES)
def test_every_status_and_event_pair(status: ReviewStatus, revision: bool, kind: EventKind) -> None:
    partner = partner_in(status, revision=revision)
    application = partner.application("shop_management")
    allowed = allowed_events(application, partner)
    expected_allowed = {
        k
        for (origin, source, k) in TRANSITIONS
        if origin is APP
        and source is status
        and (revision or k not in {EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION})
    }
    assert set(allowed) == expected_allowed
    for actor in Actor:
        assert allowed_events(application, partner, actor=actor) == tuple(
            k for k in allowed if TRANSITIONS[APP, status, k].actor is actor
        )
    info = sample_info("shop_management")
    if kind in expected_allowed:
        moved = transition(
            application, kind, at=at(9), reasons=["because"], info=info, entity_status=APPROVED
        )
        assert moved.status is TRANSITIONS[APP, status, kind].to
        assert moved.history[-1].kind is kind
        assert moved.history[-1].from_status is status
        assert len(moved.history) == len(application.history) + 1
    else:
        with pytest.raises(InvalidTransition) as caught:
            transition(
                application, kind, at=at(9), reasons=["because"], info=info, entity_status=APPROVED
            )
        assert caught.value.status is status
        assert caught.value.event is kind
        assert set(caught.value.allowed) == expected_allowed


@pytest.mark.parametrize(("status", "revision", "kind"), CASES)
def test_an_event_named_by_its_value_is_that_event(
    status: ReviewStatus, revision: bool, kind: EventKind
) -> None:
    # "edit" must be an edit (it once fell through to the last branch: a revision dropped).
    partner = partner_in(status, revision=revision)
    application = partner.application("shop_management")
    info = sample_info("shop_management")
    step = {"at": at(9), "reasons": ["because"], "info": info, "entity_status": APPROVED}
    if kind not in allowed_events(application, partner):
        with pytest.raises(InvalidTransition):
            transition(application, kind.value, **step)  # type: ignore[arg-type]
        return
    by_value = transition(application, kind.value, **step)  # type: ignore[arg-type]
    assert by_value == transition(application, kind, **step)  # type: ignore[arg-type]
    assert by_value.history[-1].kind is kind
    # The spellings the library prints are read too: "Approve Revision", "APPROVE".
    spelled = kind.value.replace("_", " ").title()
    assert transition(application, spelled, **step) == by_value  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["fly", "", None, 3, "approve!"])
def test_an_unknown_event_is_refused(kind: object) -> None:
    with pytest.raises(ValidationError) as caught:
        transition(application_in(PENDING), kind, at=at(9))  # type: ignore[arg-type]
    assert caught.value.fields == ("kind",)


def test_an_unknown_event_is_quoted_with_the_closest_one() -> None:
    with pytest.raises(ValidationError) as caught:
        transition(application_in(PENDING), "aprove", at=at(9))
    assert str(caught.value) == (
        "invalid event: 1 problem\n  - kind: 'aprove' is not one of submit, approve, reject, "
        "modify, edit, approve_revision, "
        "reject_revision, system_reject, regenerate, register, add_role, authorize_seller; "
        "did you mean 'approve'?"
    )


@pytest.mark.parametrize("subject", ["x", 5, new_partner()])
def test_the_machine_refuses_what_is_not_under_review(subject: object) -> None:
    with pytest.raises(ValidationError) as caught:
        allowed_events(subject, new_partner())  # type: ignore[arg-type]
    assert str(caught.value) == (
        "invalid value: 1 problem\n"
        "  - subject: must be an Application, an EntityReview, a Subject or None"
    )
    with pytest.raises(ValidationError) as caught:
        transition(subject, EventKind.APPROVE, at=at(9))  # type: ignore[arg-type]
    assert caught.value.fields == ("application",)


def test_refusal_message_names_the_status_and_the_allowed_events() -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(application_in(REJECTED), EventKind.APPROVE, at=at(9))
    assert str(caught.value) == "cannot approve an application that is Rejected; allowed: modify"
    assert isinstance(caught.value, OnboardingError)


def test_transition_approves_only_under_an_approved_entity() -> None:
    pending = application_in(PENDING)
    for entity_status in (None, PENDING, REJECTED):
        with pytest.raises(EntityNotApproved) as caught:
            transition(pending, EventKind.APPROVE, at=at(9), entity_status=entity_status)
        assert caught.value.entity_status is entity_status
    assert transition(pending, "approve", at=at(9), entity_status=APPROVED).status is APPROVED


def test_rejections_need_a_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        transition(application_in(PENDING), EventKind.REJECT, at=at(9), reasons=[])
    assert caught.value.fields == ("reasons",)


def test_a_single_reason_string_is_one_reason() -> None:
    moved = transition(
        application_in(PENDING), EventKind.REJECT, at=at(9), reasons="blurry licence"
    )
    assert moved.history[-1].reasons == ("blurry licence",)


def test_events_dated_before_the_last_are_refused() -> None:
    application = application_in(PENDING)
    with pytest.raises(HistoryOutOfOrder) as caught:
        transition(application, EventKind.REJECT, at=at(2), reasons=["r"])
    assert caught.value.fields == ("[1].at",)


def test_an_equal_instant_is_in_order() -> None:
    application = application_in(PENDING)
    moved = transition(
        application, EventKind.APPROVE, at=application.history[-1].at, entity_status=APPROVED
    )
    assert moved.status is APPROVED


def test_transition_needs_an_aware_instant() -> None:
    with pytest.raises(ValidationError):
        transition(application_in(PENDING), EventKind.REJECT, at=dt.datetime(2024, 5, 1))  # noqa: DTZ001


@given(partners(max_steps=16))
def test_allowed_events_never_raises_and_every_allowed_event_succeeds(partner: Partner) -> None:
    entity_status = None if partner.entity is None else partner.entity.status
    for application in partner.open_applications():
        last = application.history[-1].at
        for kind in allowed_events(application, partner):
            moved = transition(
                application,
                kind,
                at=last,
                reasons=["r"],
                info=sample_info(application.category),
                entity_status=entity_status,
            )
            assert moved.status is TRANSITIONS[APP, application.status, kind].to
            assert application.history[-1].at == last  # the original is untouched


# ------------------------------------------------------------------------------------------------
# Partner operations


def test_the_walk_of_one_agency_through_steps_2_to_4() -> None:
    partner = new_partner()
    assert partner.roles == (PartnerRole.SELLER_SERVICE_PARTNER,)
    assert partner.registration_market == Market.US
    partner = lifecycle.submit_entity(partner, sample_entity(), at=at(1))
    assert partner.entity is not None
    assert partner.entity.status is PENDING
    partner = lifecycle.apply(partner, "LIVE Management", sample_info("live_management"), at=at(2))
    partner = lifecycle.reject_entity(partner, ["EIN letter missing"], at=at(3))
    partner = lifecycle.modify_entity(partner, sample_entity(), at=at(4))
    partner = lifecycle.approve_entity(partner, at=at(5))
    partner = lifecycle.reject(partner, "live management", ["no LIVE experience shown"], at=at(6))
    assert partner.application("LIVE Management").history[-1].reasons == (
        "no LIVE experience shown",
    )
    partner = lifecycle.modify(partner, "LIVE Management", sample_info("live_management"), at=at(7))
    partner = lifecycle.approve(partner, "LIVE_MANAGEMENT", at=at(8))
    application = partner.application("live_management")
    assert application.status is APPROVED
    assert [e.kind for e in application.history] == [
        EventKind.SUBMIT,
        EventKind.REJECT,
        EventKind.MODIFY,
        EventKind.APPROVE,
    ]
    assert partner.entity is not None
    assert [e.actor for e in partner.entity.history] == [
        Actor.PARTNER,
        Actor.PLATFORM,
        Actor.PARTNER,
        Actor.PLATFORM,
    ]


def test_operations_return_new_values_and_leave_the_old_ones() -> None:
    before = with_entity()
    after = lifecycle.apply(before, "Shop Management", sample_info("shop_management"), at=at(3))
    assert before.applications == ()
    assert len(after.applications) == 1
    assert before != after


def test_an_approved_entity_is_locked() -> None:
    partner = with_entity(approved=True)
    with pytest.raises(EntityLocked) as caught:
        lifecycle.modify_entity(partner, sample_entity(), at=at(3))
    assert caught.value.rule == "entity_locked"
    assert caught.value.status is APPROVED
    assert caught.value.event is EventKind.MODIFY
    assert caught.value.allowed == ()
    assert isinstance(caught.value, InvalidTransition)
    assert "cannot be modified" in str(caught.value)


def test_a_pending_entity_cannot_be_modified_but_a_rejected_one_can() -> None:
    partner = with_entity(approved=False)
    with pytest.raises(InvalidTransition) as caught:
        lifecycle.modify_entity(partner, sample_entity(), at=at(3))
    assert (
        str(caught.value)
        == "cannot modify an entity that is Pending Review; allowed: approve, reject"
    )
    rejected = lifecycle.reject_entity(partner, ["blurry"], at=at(3))
    other = attrs.evolve(sample_entity(), legal_name="Acme Growth Inc.")
    modified = lifecycle.modify_entity(rejected, other, at=at(4))
    assert modified.entity is not None
    assert modified.entity.entity.legal_name == "Acme Growth Inc."
    assert modified.entity.status is PENDING


def test_entity_is_submitted_once() -> None:
    with pytest.raises(InvalidTransition) as caught:
        lifecycle.submit_entity(with_entity(approved=False), sample_entity(), at=at(3))
    assert caught.value.subject == "entity"


def test_entity_review_has_no_edit() -> None:
    partner = with_entity(approved=True)
    assert lifecycle.allowed_events(partner.entity, partner) == ()
    assert lifecycle.allowed_events(Subject.ENTITY, partner) == ()
    pending = with_entity(approved=False)
    assert lifecycle.allowed_events(pending.entity, pending) == (
        EventKind.APPROVE,
        EventKind.REJECT,
    )
    assert lifecycle.allowed_events(Subject.ENTITY, new_partner()) == (EventKind.SUBMIT,)
    # Only the platform reviews; the partner has nothing to do while it does.
    assert lifecycle.allowed_events(pending.entity, pending, actor=Actor.PLATFORM) == (
        EventKind.APPROVE,
        EventKind.REJECT,
    )
    assert lifecycle.allowed_events(pending.entity, pending, actor=Actor.PARTNER) == ()


def test_applying_needs_submitted_entity_information() -> None:
    with pytest.raises(EntityNotSubmitted):
        lifecycle.apply(new_partner(), "Shop Management", sample_info("shop_management"), at=at(1))


def test_applying_needs_a_category_of_the_partners_roles() -> None:
    partner = with_entity()
    with pytest.raises(CategoryNotInRoles) as caught:
        lifecycle.apply(partner, "Creator Management", sample_info("creator_management"), at=at(3))
    assert "Creator Service Partner" in str(caught.value)
    partner = lifecycle.add_role(partner, PartnerRole.CREATOR_SERVICE_PARTNER, at=at(3))
    partner = lifecycle.apply(
        partner, "Creator Management", sample_info("creator_management"), at=at(3)
    )
    assert partner.application("Creator Management").status is PENDING


def test_add_role_is_idempotent() -> None:
    partner = new_partner()
    assert lifecycle.add_role(partner, PartnerRole.SELLER_SERVICE_PARTNER, at=at(1)) is partner


def test_one_open_application_per_category_and_market() -> None:
    partner = lifecycle.apply(
        with_entity(), "Shop Management", sample_info("shop_management"), at=at(3)
    )
    with pytest.raises(DuplicateApplication) as caught:
        lifecycle.apply(partner, "shop management", sample_info("shop_management"), at=at(4))
    assert caught.value.open_id == partner.applications[0].id == "shop_management/US/4"
    assert str(caught.value) == (
        "an application for Shop Management in US is already open "
        "(shop_management/US/4, Pending Review)"
    )
    other_market = lifecycle.apply(
        partner, "Shop Management", sample_info("shop_management"), market=Market("GB"), at=at(4)
    )
    assert other_market.application("Shop Management", Market("GB")).id == "shop_management/GB/5"
    with pytest.raises(DuplicateApplication) as caught:
        lifecycle.apply(other_market, "Shop Management", INFO, market="GB", at=at(5))
    assert caught.value.open_id == "shop_management/GB/5"


def test_approval_needs_an_approved_entity() -> None:
    partner = lifecycle.apply(
        with_entity(approved=False), "Shop Management", sample_info("shop_management"), at=at(3)
    )
    with pytest.raises(EntityNotApproved) as caught:
        lifecycle.approve(partner, "Shop Management", at=at(4))
    assert "Pending Review" in str(caught.value)


def test_edit_keeps_the_approval_and_waits_as_a_revision() -> None:
    partner = approved_partner("Shop Management", at=T0)
    new_info = attrs.evolve(sample_info("shop_management"), team_size=40)
    edited = lifecycle.edit(partner, "Shop Management", new_info, at=at(1))
    application = edited.application("Shop Management")
    assert application.status is APPROVED
    assert application.pending_revision == new_info
    assert application.info == sample_info("shop_management")
    accepted = lifecycle.approve_revision(edited, "Shop Management", at=at(2)).application(
        "Shop Management"
    )
    assert accepted.info == new_info
    assert accepted.pending_revision is None
    declined = lifecycle.reject_revision(edited, "Shop Management", ["unverifiable"], at=at(2))
    assert declined.application("Shop Management").info == sample_info("shop_management")
    assert declined.application("Shop Management").pending_revision is None


def test_modify_and_edit_need_information_of_the_same_category() -> None:
    partner = approved_partner("Shop Management", at=T0)
    with pytest.raises(ValidationError) as caught:
        lifecycle.edit(partner, "Shop Management", sample_info("live_management"), at=at(1))
    assert caught.value.fields == ("info.category",)
    with pytest.raises(ValidationError):
        lifecycle.apply(partner, "LIVE Management", sample_info("shop_management"), at=at(1))


def test_an_unknown_application_is_a_key_error() -> None:
    with pytest.raises(ApplicationNotFound) as caught:
        with_entity().application("Shop Management")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "no open application for shop_management in market US"


def test_operations_take_any_spelling_of_a_category() -> None:
    partner = approved_partner("Creator mathmaking", at=T0)
    assert partner.application("creator matchmaking").category.name == "Creator Matchmaking"
    assert partner.roles == (PartnerRole.SELLER_SERVICE_CREATOR_MATCHMAKING,)


def test_bad_arguments_give_typed_errors() -> None:
    partner = with_entity()
    with pytest.raises(ValidationError):
        lifecycle.apply(partner, "Shop Management", "info", at=at(3))  # type: ignore[arg-type]
    for market in ("XX", 5):
        with pytest.raises(ValidationError) as caught:
            lifecycle.apply(
                partner,
                "Shop Management",
                sample_info("shop_management"),
                market=market,  # type: ignore[arg-type]
                at=at(3),
            )
        assert caught.value.fields == ("market",)
    with pytest.raises(ValidationError):
        lifecycle.submit_entity(new_partner(), "Acme", at=at(1))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        lifecycle.choose_role(new_partner().account, "seller", at=T0)


# ------------------------------------------------------------------------------------------------
# Partner and history invariants


def test_partner_refuses_two_open_applications_for_one_pair() -> None:
    # The twin submission, stored as an event after the approval, is refused on replay.
    partner = approved_partner("Shop Management", at=T0)
    submit = next(e for e in partner.events if e.kind is EventKind.SUBMIT and e.category)
    twin = attrs.evolve(submit, seq=partner.revision + 1, at=partner.latest)
    with pytest.raises(ValidationError) as caught:
        Partner((*partner.events, twin))
    assert caught.value.fields == (f"events[{partner.revision}]",)
    assert "rule: duplicate_application" in str(caught.value)


def test_partner_refuses_repeated_events() -> None:
    partner = approved_partner("Shop Management", at=T0)
    with pytest.raises(ValidationError) as caught:
        Partner(partner.events * 2)
    assert caught.value.fields == (f"events[{partner.revision}].seq",)


def test_application_status_must_match_its_history() -> None:
    application = application_in(PENDING)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(application, status=APPROVED)
    assert caught.value.fields == ("status",)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(application, history=())
    assert caught.value.fields == ("history",)


def test_history_is_a_sequence_that_shares_its_past() -> None:
    application = application_in(APPROVED, revision=True)
    history = application.history
    assert len(history) == 3
    assert [e.kind for e in history] == [EventKind.SUBMIT, EventKind.APPROVE, EventKind.EDIT]
    assert history[0].kind is EventKind.SUBMIT
    assert [e.kind for e in history[1:]] == [EventKind.APPROVE, EventKind.EDIT]
    assert next(reversed(history)) is history.last
    assert History(list(history)) == history
    assert hash(History(list(history))) == hash(history)
    assert History() != history
    assert History().last is None
    assert history != list(history)
    assert "History([Event(" in repr(history)


def test_history_refuses_out_of_order_and_foreign_items() -> None:
    events = list(application_in(APPROVED).history)
    with pytest.raises(HistoryOutOfOrder) as caught:
        History(reversed(events))
    assert caught.value.fields == ("[1].at",)
    with pytest.raises(ValidationError):
        History(["submit"])  # type: ignore[list-item]


@given(partners())
def test_drawn_partners_keep_every_invariant(partner: Partner) -> None:
    keys = [a.key for a in partner.open_applications()]
    assert len(keys) == len(set(keys))
    for application in partner.applications:
        assert application.status is application.history[-1].to_status
        instants = [event.at for event in application.history]
        assert instants == sorted(instants)
        assert application.category.role in partner.roles


# ------------------------------------------------------------------------------------------------
# Diagram


def test_mermaid_has_every_transition() -> None:
    diagram = lifecycle.to_mermaid()
    assert diagram.startswith("stateDiagram-v2\n")
    assert (
        "        [*] --> application_pending_review: submit (partner) [entity_submitted]" in diagram
    )
    assert "        entity_rejected --> entity_pending_review: modify (partner)" in diagram
    assert (
        "        application_pending_review --> application_approved: approve (platform) "
        "[entity_approved]" in diagram
    )
    assert diagram.count("-->") == len(TRANSITIONS)


def test_docs_show_the_current_diagram() -> None:
    page = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + lifecycle.to_mermaid() + "```" in page


@given(st.sampled_from(list(PartnerRole)))
def test_choose_role_starts_a_us_partner(role: PartnerRole) -> None:
    partner = lifecycle.choose_role(new_partner().account, role, at=T0)
    assert partner.roles == (role,)
    assert partner.registration_market is Market.US or partner.registration_market == Market.US
    assert partner.applications == ()
    assert DEFAULT_CATALOG.categories(role=role)


def test_a_second_edit_replaces_the_pending_revision() -> None:
    partner = approved_partner("Shop Management", at=T0)
    first = attrs.evolve(sample_info("shop_management"), team_size=20)
    second = attrs.evolve(sample_info("shop_management"), team_size=30)
    partner = lifecycle.edit(partner, "Shop Management", first, at=at(1))
    partner = lifecycle.edit(partner, "Shop Management", second, at=at(2))
    assert partner.application("Shop Management").pending_revision == second


def test_information_errors_word_for_word() -> None:
    partner = approved_partner("Shop Management", at=T0)
    with pytest.raises(ValidationError) as caught:
        lifecycle.edit(partner, "Shop Management", None, at=at(1))  # type: ignore[arg-type]
    assert (
        str(caught.value)
        == "invalid value: 1 problem\n  - info: new category information is required"
    )
    with pytest.raises(ValidationError) as caught:
        lifecycle.edit(partner, "Shop Management", sample_info("live_management"), at=at(1))
    assert (
        str(caught.value) == "invalid value: 1 problem\n  - info.category: must be Shop Management"
    )


def test_an_equal_copy_of_the_category_is_the_same_category() -> None:
    partner = approved_partner("Shop Management", at=T0)
    info = sample_info("shop_management")
    copy = attrs.evolve(info.category)
    assert copy == info.category
    assert copy is not info.category
    edited = lifecycle.edit(partner, "Shop Management", attrs.evolve(info, category=copy), at=at(1))
    assert edited.application("Shop Management").pending_revision is not None


def test_reject_revision_word_for_word() -> None:
    partner = approved_partner("Shop Management", at=T0)
    partner = lifecycle.edit(partner, "Shop Management", sample_info("shop_management"), at=at(1))
    declined = lifecycle.reject_revision(partner, "Shop Management", ["links broken"], at=at(2))
    event = declined.application("Shop Management").history[-1]
    assert (event.kind, event.actor, event.reasons) == (
        EventKind.REJECT_REVISION,
        Actor.PLATFORM,
        ("links broken",),
    )
    with pytest.raises(ValidationError) as caught:
        lifecycle.reject_revision(partner, "Shop Management", [], at=at(2))
    assert str(caught.value) == (
        "invalid value: 1 problem\n  - reasons: reject_revision needs at least one reason"
    )
    with pytest.raises(ValidationError) as caught:
        lifecycle.reject_revision(partner, "Shop Management", ["ok", " "], at=at(2))
    assert caught.value.fields == ("reasons[1]",)


# Deliberately wrong arguments, typed as Any so that the type checker lets the tests pass them.
NAIVE: Any = dt.datetime(2024, 1, 1)  # noqa: DTZ001
NOT_AN_INSTANT: Any = "2024-01-01"
NOT_A_ROLE: Any = "seller"
NOT_AN_ENTITY: Any = "Acme"
NOT_A_MARKET: Any = 5
NOT_INFO: Any = "info"

MISUSES: list[tuple[Callable[[], object], str]] = [
    (
        lambda: lifecycle.choose_role(new_partner().account, NOT_A_ROLE, at=T0),
        (
            "invalid role: 1 problem\n  - role: 'seller' is not one of creator_service_partner, "
            "seller_service_partner, seller_service_creator_matchmaking"
        ),
    ),
    (
        lambda: lifecycle.add_role(new_partner(), PartnerRole.CREATOR_SERVICE_PARTNER, at=NAIVE),
        "invalid instant: 1 problem\n  - at: must be time-zone aware",
    ),
    (
        lambda: lifecycle.add_role(
            new_partner(), PartnerRole.CREATOR_SERVICE_PARTNER, at=NOT_AN_INSTANT
        ),
        "invalid instant: 1 problem\n  - at: must be a time-zone aware datetime",
    ),
    (
        lambda: lifecycle.submit_entity(new_partner(), NOT_AN_ENTITY, at=at(1)),
        "invalid value: 1 problem\n  - entity: must be an Entity",
    ),
    (
        lambda: lifecycle.apply(
            with_entity(),
            "Shop Management",
            sample_info("shop_management"),
            market=NOT_A_MARKET,
            at=at(3),
        ),
        "invalid market: 1 problem\n  - market: must be a Market or an ISO 3166-1 alpha-2 code",
    ),
    (
        lambda: lifecycle.apply(with_entity(), "Shop Management", NOT_INFO, at=at(3)),
        "invalid value: 1 problem\n  - info: must be CategoryInfo",
    ),
    (
        lambda: lifecycle.apply(
            with_entity(), "LIVE Management", sample_info("shop_management"), at=at(3)
        ),
        "invalid value: 1 problem\n  - info.category: must be LIVE Management",
    ),
    (
        lambda: lifecycle.apply(
            new_partner(), "Shop Management", sample_info("shop_management"), at=at(3)
        ),
        (
            "entity information must be submitted before applying for Shop Management "
            "(a service category)"
        ),
    ),
    (
        lambda: lifecycle.reject(
            lifecycle.apply(
                with_entity(), "Shop Management", sample_info("shop_management"), at=at(3)
            ),
            "Shop Management",
            [],
            at=at(4),
        ),
        "invalid value: 1 problem\n  - reasons: reject needs at least one reason",
    ),
    (
        lambda: lifecycle.reject_entity(with_entity(approved=False), [], at=at(4)),
        "invalid value: 1 problem\n  - reasons: reject needs at least one reason",
    ),
    (
        lambda: lifecycle.reject_entity(with_entity(approved=False), ["x" * 1001], at=at(4)),
        "invalid reasons: 1 problem\n  - reasons[0]: must be at most 1000 characters",
    ),
    (
        lambda: lifecycle.approve(
            lifecycle.apply(
                with_entity(approved=False),
                "Shop Management",
                sample_info("shop_management"),
                at=at(3),
            ),
            "Shop Management",
            at=at(4),
        ),
        "a category can be approved only when the entity is approved (entity: Pending Review)",
    ),
    (
        lambda: lifecycle.approve(new_partner(), "Shop Management", at=at(4)),
        "no open application for shop_management in market US",
    ),
]


@pytest.mark.parametrize(("attempt", "message"), MISUSES)
def test_misuse_is_refused_word_for_word(attempt: Callable[[], object], message: str) -> None:
    with pytest.raises(OnboardingError) as caught:
        attempt()
    assert str(caught.value) == message


@pytest.mark.parametrize("reasons", [["x" * 1001], [" "], [3]])
def test_bad_reasons_are_named(reasons: list[object]) -> None:
    application = application_in(PENDING)
    with pytest.raises(ValidationError) as caught:
        transition(application, EventKind.REJECT, at=at(9), reasons=cast("Any", reasons))
    assert caught.value.fields == ("reasons[0]",)
    assert str(caught.value).startswith("invalid reasons: 1 problem\n  - reasons[0]: must ")


def test_a_reason_of_exactly_1000_characters_is_fine() -> None:
    moved = transition(application_in(PENDING), EventKind.REJECT, at=at(9), reasons=["x" * 1000])
    assert len(moved.history[-1].reasons[0]) == 1000


INFO = sample_info("shop_management")
ON_A_PARTNER: list[Callable[..., object]] = [
    lambda p, **kw: lifecycle.add_role(p, PartnerRole.CREATOR_SERVICE_PARTNER, at=at(9), **kw),
    lambda p, **kw: lifecycle.submit_entity(p, sample_entity(), at=at(9), **kw),
    lambda p, **kw: lifecycle.approve_entity(p, at=at(9), **kw),
    lambda p, **kw: lifecycle.reject_entity(p, ["blurred licence"], at=at(9), **kw),
    lambda p, **kw: lifecycle.modify_entity(p, sample_entity(), at=at(9), **kw),
    lambda p, **kw: lifecycle.apply(p, "Shop Management", INFO, at=at(9), **kw),
    lambda p, **kw: lifecycle.approve(p, "Shop Management", at=at(9), **kw),
    lambda p, **kw: lifecycle.reject(p, "Shop Management", ["no case studies"], at=at(9), **kw),
    lambda p, **kw: lifecycle.modify(p, "Shop Management", INFO, at=at(9), **kw),
    lambda p, **kw: lifecycle.edit(p, "Shop Management", INFO, at=at(9), **kw),
    lambda p, **kw: lifecycle.approve_revision(p, "Shop Management", at=at(9), **kw),
    lambda p, **kw: lifecycle.reject_revision(p, "Shop Management", ["too vague"], at=at(9), **kw),
    lambda p, **kw: lifecycle.authorize_seller(p, "Shop Management", "S-1", at=at(9), **kw),
    lambda p, **kw: lifecycle.upgrade(p, at=dt.date(2024, 5, 1), **kw),
]


@pytest.mark.parametrize("operation", ON_A_PARTNER)
@pytest.mark.parametrize("not_a_partner", [None, "P1", new_partner().account])
def test_an_operation_on_something_else_than_a_partner_is_refused(
    operation: Callable[[Any], object], not_a_partner: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        operation(not_a_partner)
    assert caught.value.fields == ("partner",)
    assert caught.value.problems[0].reason == "must be a Partner"


@pytest.mark.parametrize(
    "operation",
    [
        *ON_A_PARTNER,
        lambda p, **kw: lifecycle.apply_event(p, p.events[-1], **kw),
    ],
)
def test_every_operation_refuses_a_stale_revision_before_anything_else(
    operation: Callable[..., object],
) -> None:
    partner = with_entity()
    with pytest.raises(StaleRevision) as caught:
        operation(partner, expected_revision=partner.revision - 1)
    assert (caught.value.expected, caught.value.actual) == (partner.revision - 1, partner.revision)
    with pytest.raises(ValidationError) as refused:
        operation(partner, expected_revision=str(partner.revision))
    assert str(refused.value) == (
        "invalid value: 1 problem\n  - expected_revision: must be a whole number or None"
    )


@pytest.mark.parametrize("event", [None, "seq 6", new_partner().account])
def test_an_event_from_elsewhere_must_be_an_event(event: object) -> None:
    partner = with_entity()
    with pytest.raises(ValidationError) as caught:
        lifecycle.apply_event(partner, cast("Any", event))
    assert str(caught.value) == "invalid value: 1 problem\n  - event: must be a PartnerEvent"


@pytest.mark.parametrize("market", [Market.US, "US", "us", " US "])
def test_operations_take_a_market_or_its_code(market: Market | str) -> None:
    partner = lifecycle.apply(with_entity(), "Shop Management", INFO, market=market, at=at(3))
    partner = lifecycle.approve(partner, "Shop Management", market=market, at=at(4))
    assert partner.application("Shop Management", market).status is APPROVED
    assert partner.application("Shop Management", market) is partner.application("shop_management")
    other = lifecycle.apply(partner, "Shop Management", INFO, market="gb", at=at(5))
    assert other.application("Shop Management", Market("GB")).status is PENDING


# ------------------------------------------------------------------------------------------------
# Agency type, finance identity, why an application would be refused


def cross_border(registration_market: str = "US") -> Partner:
    account = Account.register(email="ops@acme.example", password="Abc123!x", at=T0, scrypt_n=2)
    partner = lifecycle.choose_role(
        account,
        "Seller Service Partner",
        at=T0,
        registration_market=registration_market,
        agency_type="Cross Border",
    )
    partner = lifecycle.submit_entity(partner, sample_entity(), at=at(1))
    return lifecycle.approve_entity(partner, at=at(2))


def test_a_local_agency_applies_in_its_registration_market_by_default() -> None:
    account = Account.register(email="ops@acme.example", password="Abc123!x", at=T0, scrypt_n=2)
    partner = lifecycle.choose_role(
        account, "seller_service_partner", at=T0, registration_market="CA"
    )
    assert partner.agency_type is AgencyType.LOCAL
    partner = lifecycle.submit_entity(partner, sample_entity(), at=at(1))
    info = sample_info("Shop Management")
    partner = lifecycle.apply(partner, "Shop Management", info, at=at(2), policy=None)
    assert partner.applications[0].market == Market("CA")
    assert partner.application("Shop Management").market == Market("CA")


def test_a_cross_border_agency_names_every_target_market() -> None:
    partner = cross_border()
    info = sample_info("Shop Management")
    with pytest.raises(ValidationError) as caught:
        lifecycle.apply(partner, "Shop Management", info, at=at(3))
    assert caught.value.fields == ("market",)
    assert "cross-border agency names the target market" in str(caught.value)
    partner = lifecycle.apply(partner, "Shop Management", info, market="GB", at=at(3))
    partner = lifecycle.approve(partner, "Shop Management", market="GB", at=at(4))
    with pytest.raises(ValidationError):
        lifecycle.approve(partner, "Shop Management", at=at(5))
    with pytest.raises(ValidationError):
        DEFAULT_POLICY.can_authorize_seller(partner, "Shop Management", at=at(5))
    assert DEFAULT_POLICY.can_authorize_seller(partner, "Shop Management", market="GB", at=at(5))


def test_an_agency_type_is_read_in_any_spelling_and_refused_quoted() -> None:
    assert cross_border().agency_type is AgencyType.CROSS_BORDER
    account = Account.register(email="ops@acme.example", password="Abc123!x", at=T0, scrypt_n=2)
    with pytest.raises(ValidationError) as caught:
        lifecycle.choose_role(account, "seller_service_partner", at=T0, agency_type="remote")
    assert caught.value.fields == ("agency_type",)
    assert "'remote'" in str(caught.value)
    with pytest.raises(ValidationError) as built:
        attrs.evolve(cross_border(), agency_type="cross_border")  # type: ignore[call-arg]
    assert built.value.fields == ("agency_type",)


def test_documents_without_an_agency_type_load_as_local_agencies() -> None:
    partner = approved_partner("Shop Management", at=T0)
    document = state_document(partner)  # (version 2: the state)
    del document["data"]["agency_type"]
    read = from_json(json.dumps(document), Partner)
    assert read.agency_type is AgencyType.LOCAL
    assert read.applications == partner.applications
    assert read.entity == partner.entity


def test_the_finance_identity_is_the_approved_entity_and_absent_before() -> None:
    partner = lifecycle.submit_entity(new_partner(), sample_entity(), at=at(1))
    assert partner.finance_identity is None
    rejected = lifecycle.reject_entity(partner, ["EIN does not match"], at=at(2))
    assert rejected.finance_identity is None
    approved = lifecycle.approve_entity(partner, at=at(2))
    identity = approved.finance_identity
    entity = sample_entity()
    assert identity == FinanceIdentity(
        legal_name=entity.legal_name, ein=entity.ein, address=entity.address
    )
    assert entity.ein not in repr(identity)
    assert entity.ein[-4:] in repr(identity)
    with pytest.raises(EntityLocked):
        lifecycle.modify_entity(approved, sample_entity(), at=at(3))
    assert from_json(to_json(identity), FinanceIdentity) == identity


@pytest.mark.parametrize(
    ("build", "refusal"),
    [
        (new_partner, EntityNotSubmitted),
        (lambda: new_partner(PartnerRole.CREATOR_SERVICE_PARTNER), EntityNotSubmitted),
        (with_entity, None),
        (lambda: partner_in(PENDING), DuplicateApplication),
        (
            lambda: lifecycle.submit_entity(
                new_partner(PartnerRole.CREATOR_SERVICE_PARTNER), sample_entity(), at=at(1)
            ),
            CategoryNotInRoles,
        ),
    ],
)
def test_apply_refusal_is_the_error_apply_raises(
    build: Callable[[], Partner], refusal: type[Exception] | None
) -> None:
    partner = build()
    when = partner.latest + dt.timedelta(hours=1)
    found = lifecycle.apply_refusal(partner, "Shop Management", at=when)
    assert type(found) is refusal if refusal else found is None
    info = sample_info("Shop Management")
    if refusal is None:
        lifecycle.apply(partner, "Shop Management", info, at=when)
    else:
        with pytest.raises(refusal):
            lifecycle.apply(partner, "Shop Management", info, at=when)


def test_apply_refusal_names_a_back_dated_step_and_the_policy() -> None:
    partner = with_entity()
    early = lifecycle.apply_refusal(partner, "Shop Management", at=T0)
    assert isinstance(early, BackdatedStep)
    late = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    account = Account.register(email="ops@acme.example", password="Abc123!x", at=late, scrypt_n=2)
    new = lifecycle.choose_role(account, "seller_service_partner", at=late)
    new = lifecycle.submit_entity(new, sample_entity(), at=late)
    refused = lifecycle.apply_refusal(new, "Paid Media", at=late)
    assert isinstance(refused, PolicyRefusal)
    assert refused.decision.codes == ("new_partner_discontinued",)
    assert lifecycle.apply_refusal(new, "Paid Media", at=late, policy=None) is None
    # The refusal says what was asked: the market the application would target.
    abroad = lifecycle.apply_refusal(new, "Paid Media", market="GB", at=late)
    assert isinstance(abroad, PolicyRefusal)
    assert (abroad.decision.market, abroad.decision.partner_id) == (Market("GB"), new.partner_id)


@pytest.mark.parametrize(
    "edge",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_an_instant_off_the_calendar_in_utc_is_refused_by_every_step(edge: dt.datetime) -> None:
    partner = partner_in(PENDING)
    steps: list[Callable[[], object]] = [
        lambda: lifecycle.apply_refusal(partner, "Paid Media", at=edge),
        lambda: lifecycle.approve(partner, "Shop Management", at=edge),
        lambda: lifecycle.add_role(partner, "creator_service_partner", at=edge),
    ]
    for step in steps:
        with pytest.raises(ValidationError) as caught:
            step()
        assert str(caught.value) == (
            "invalid instant: 1 problem\n"
            "  - at: is at an end of the calendar: its instant lies outside it"
        )


# ------------------------------------------------------------------------------------------------
# The operations' refusals of their own arguments, word for word (field, words and kind of value)

ROLES_LISTED = "creator_service_partner, seller_service_partner, seller_service_creator_matchmaking"
ARGUMENT_REFUSALS: list[tuple[str, Callable[[Partner], object], str]] = [
    (
        "a policy that is not one, where None may be given",
        lambda p: lifecycle.apply(
            with_entity(),
            "LIVE Management",
            sample_info("live_management"),
            at=at(3),
            policy=cast("Any", "x"),
        ),
        "invalid value: 1 problem\n  - policy: must be a Policy or None",
    ),
    (
        "a policy that is not one, where one is needed",
        lambda p: lifecycle.upgrade(p, at=at(9), policy=cast("Any", "x")),
        "invalid value: 1 problem\n  - policy: must be a Policy",
    ),
    (
        "a role that is not one",
        lambda p: lifecycle.add_role(p, "bogus", at=at(9)),
        f"invalid role: 1 problem\n  - role: 'bogus' is not one of {ROLES_LISTED}",
    ),
    (
        "an entity status that is not one",
        lambda p: transition(
            p.application("shop_management"), "approve", at=at(9), entity_status=cast("Any", "x")
        ),
        (
            "invalid value: 1 problem\n  - entity_status: 'x' is not one of pending_review,"
            " approved, rejected"
        ),
    ),
    (
        "reasons that are not a list",
        lambda p: transition(
            p.application("shop_management"), "reject", at=at(9), reasons=cast("Any", 5)
        ),
        "invalid value: 1 problem\n  - reasons: must be a list of texts",
    ),
    (
        "an actor that is not one",
        lambda p: allowed_events(p.application("shop_management"), p, actor=cast("Any", "x")),
        "invalid value: 1 problem\n  - actor: 'x' is not one of partner, platform, system",
    ),
    (
        "an account that is not one",
        lambda p: lifecycle.choose_role(cast("Any", "x"), "seller_service_partner", at=at(0)),
        "invalid value: 1 problem\n  - account: must be an Account",
    ),
    (
        "an instant given as text",
        lambda p: transition(
            p.application("shop_management"),
            "reject",
            at=cast("Any", "2024-03-01T12:00Z"),
            reasons=["r"],
        ),
        "invalid instant: 1 problem\n  - at: must be a time-zone aware datetime",
    ),
]


@pytest.mark.parametrize(
    ("use", "words"),
    [case[1:] for case in ARGUMENT_REFUSALS],
    ids=[c[0] for c in ARGUMENT_REFUSALS],
)
def test_an_operation_refuses_a_bad_argument_in_its_own_words(
    use: Callable[[Partner], object], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        use(partner_in(PENDING))
    assert str(caught.value) == words


def test_a_reason_of_the_longest_length_is_taken_and_one_longer_is_not() -> None:
    application = application_in(PENDING)
    longest = "r" * 1000
    assert transition(application, "reject", at=at(9), reasons=[longest]).history[-1].reasons == (
        longest,
    )
    with pytest.raises(ValidationError) as caught:
        transition(application, "reject", at=at(9), reasons=["ok", longest + "r"])
    assert caught.value.fields == ("reasons[1]",)


def test_a_refused_approval_names_the_category_and_the_entity_s_status() -> None:
    with pytest.raises(EntityNotApproved) as caught:
        transition(application_in(PENDING), "approve", at=at(9), entity_status=PENDING)
    assert (caught.value.category, caught.value.entity_status) == ("Shop Management", PENDING)
    assert str(caught.value) == (
        "a category can be approved only when the entity is approved (entity: Pending Review)"
    )


def test_a_category_of_a_role_not_chosen_is_refused_with_the_roles_the_partner_has() -> None:
    with pytest.raises(CategoryNotInRoles) as caught:
        lifecycle.apply(
            with_entity(), "Creator Management", sample_info("creator_management"), at=at(3)
        )
    refusal = caught.value
    assert (refusal.category, refusal.role, refusal.roles) == (
        "Creator Management",
        PartnerRole.CREATOR_SERVICE_PARTNER,
        (PartnerRole.SELLER_SERVICE_PARTNER,),
    )


@given(st.sampled_from(["America/Los_Angeles", "Asia/Kolkata", "UTC"]), st.integers(0, 48))
def test_a_step_at_an_instant_of_a_named_zone_is_stored_with_its_fixed_offset(
    zone: str, hours: int
) -> None:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    when = (at(9) + dt.timedelta(hours=hours)).astimezone(ZoneInfo(zone))
    event = transition(application_in(PENDING), "reject", at=when, reasons=["r"]).history[-1]
    assert type(event.at.tzinfo) is dt.timezone
    assert event.at == when
    assert event.at.utcoffset() == when.utcoffset()


def test_a_revision_event_without_a_revision_is_refused_in_the_table_s_words() -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(application_in(APPROVED), "approve_revision", at=at(9))
    assert str(caught.value) == (
        "cannot approve_revision an application that is Approved; allowed: edit"
    )
    assert caught.value.subject == "application"


def test_history_problems_says_whether_an_edit_waits_for_review() -> None:
    edited = application_in(APPROVED, revision=True)
    approved = application_in(APPROVED)
    assert history_problems(APP, edited.history, revision_pending=True) == []
    assert history_problems(APP, approved.history, revision_pending=False) == []
    assert history_problems(APP, edited.history, revision_pending=False) == [
        Problem("pending_revision", "must be present while an edit waits for review")
    ]
    assert history_problems(APP, approved.history, revision_pending=True) == [
        Problem("pending_revision", "must be absent: no edit waits for review")
    ]


def test_a_subclass_of_application_steps_as_an_application() -> None:
    class Mine(Application):
        pass

    application = application_in(APPROVED)
    mine = Mine(
        **{field.name: getattr(application, field.name) for field in attrs.fields(Application)}
    )
    moved = transition(mine, EventKind.EDIT, at=at(9), info=INFO)
    assert moved == transition(application, EventKind.EDIT, at=at(9), info=INFO)
    assert type(moved) is Application
