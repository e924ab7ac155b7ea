"""The partner's standing: the profile page, what is due, the role switch.

Examples from the source (its table of statuses and actions, the upgrade's dates), and properties
over reachable partners: the page's actions and offers are exactly the operations that succeed,
the due items are exactly what the partner's operations can settle, acting on them in turn leaves
nothing due, and the role switch is the policy's roles at every instant.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding import (
    DEFAULT_POLICY,
    Account,
    Market,
    Partner,
    PartnerRole,
    ValidationError,
    from_json,
    lifecycle,
    to_json,
)
from partner_onboarding.errors import BackdatedStep, OnboardingError
from partner_onboarding.lifecycle import Subject
from partner_onboarding.model import Actor, EventKind, ReviewStatus
from partner_onboarding.policy import Policy, Question, upgrade_rules
from partner_onboarding.standing import (
    CategoryOffer,
    CategoryRow,
    EntityInfo,
    Profile,
    Refusal,
    Requirement,
    Requirements,
    RoleEntry,
    RoleSwitch,
    RoleView,
    profile,
    requirements,
    role_switch,
)
from partner_onboarding.testing import (
    approved_partner,
    partners,
    policies,
    sample_entity,
    sample_info,
)

LA = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC
UPGRADE = dt.datetime(2024, 4, 30, tzinfo=LA)
CUTOFF = dt.datetime(2024, 6, 5, tzinfo=LA)
PENDING, APPROVED, REJECTED = ReviewStatus


def on(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, tzinfo=LA)


def registered(at: dt.datetime, role: PartnerRole = PartnerRole.SELLER_SERVICE_PARTNER) -> Partner:
    account = Account.register(email="ops@acme.example", password="Abc123!x", at=at, scrypt_n=2)
    return lifecycle.choose_role(account, role, at=at)


def later(partner: Partner, seconds: float = 1) -> dt.datetime:
    return partner.latest + dt.timedelta(seconds=seconds)


# ------------------------------------------------------------------------------------------------
# The source's table of statuses and actions


def test_the_source_s_table_of_statuses_and_actions() -> None:
    """Approved: view details or Edit. Rejected: read the reasons, Modify. Pending Review: wait
    for the platform."""
    partner = approved_partner("Shop Management", at=on(3, 1))
    partner = lifecycle.apply(
        partner, "LIVE Management", sample_info("LIVE Management"), at=on(3, 2)
    )
    partner = lifecycle.apply(
        partner, "Short Video Management", sample_info("Short Video Management"), at=on(3, 2)
    )
    partner = lifecycle.reject(partner, "LIVE Management", ["team too small"], at=on(3, 3))
    page = profile(partner, at=on(3, 4))
    rows = {row.category.name: row for row in page.categories}
    approved, rejected, pending = (
        rows["Shop Management"],
        rows["LIVE Management"],
        rows["Short Video Management"],
    )
    assert (approved.status_label, approved.actions, approved.waits_on) == (
        "Approved",
        (EventKind.EDIT,),
        None,
    )
    assert (rejected.status_label, rejected.actions, rejected.waits_on) == (
        "Rejected",
        (EventKind.MODIFY,),
        Actor.PARTNER,
    )
    assert rejected.rejection_reasons == ("team too small",)
    assert (pending.status_label, pending.actions, pending.waits_on) == (
        "Pending Review",
        (),
        Actor.PLATFORM,
    )
    assert page.entity.status_label == "Approved"
    assert page.entity.actions == ()  # (approved entity information cannot be modified)


def test_the_entity_section_masks_the_ein_and_shows_its_review() -> None:
    partner = lifecycle.submit_entity(registered(on(3, 1)), sample_entity(), at=on(3, 1))
    partner = lifecycle.reject_entity(partner, ["EIN letter unreadable"], at=on(3, 2))
    section = profile(partner, at=on(3, 3)).entity
    assert section.status is REJECTED
    assert section.ein == "**-***3594"
    assert "04-2103594" not in repr(section)
    assert "04-2103594" not in to_json(profile(partner, at=on(3, 3)))
    assert section.rejection_reasons == ("EIN letter unreadable",)
    assert section.actions == (EventKind.MODIFY,)
    assert section.waits_on is Actor.PARTNER
    assert section.address == "100 Main St, Los Angeles, CA 90012"
    assert (section.legal_name, section.contact_name) == ("Acme Growth LLC", "Dana Reyes")
    fresh = profile(registered(on(3, 1)), at=on(3, 1)).entity
    assert (fresh.status, fresh.status_label, fresh.actions) == (
        None,
        "Not Submitted",
        (EventKind.SUBMIT,),
    )


def test_add_category_and_market_names_why_not() -> None:
    partner = lifecycle.submit_entity(registered(on(5, 2)), sample_entity(), at=on(5, 2))
    partner = lifecycle.apply(
        partner, "Shop Management", sample_info("Shop Management"), at=on(5, 3)
    )
    offers = {o.category.name: o for o in profile(partner, at=on(5, 4)).add_category}
    assert offers["LIVE Management"].allowed
    assert offers["Shop Management"].refusal is Refusal.OPEN_APPLICATION
    assert offers["Creator Management"].refusal is Refusal.ROLE_NOT_CHOSEN
    assert offers["Paid Media"].refusal is Refusal.POLICY  # a new partner, after April 30
    assert offers["Paid Media"].decision.codes == ("new_partner_discontinued",)
    assert {o.market for o in offers.values()} == {Market.US}
    before_entity = profile(registered(on(5, 2)), at=on(5, 2)).add_category
    assert {o.refusal for o in before_entity} == {Refusal.ENTITY_NOT_SUBMITTED}


def test_add_category_lists_each_market_asked_for() -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    page = profile(partner, at=on(3, 2), markets=["gb", Market.US])
    assert {o.market for o in page.add_category} == {Market("GB"), Market.US}
    by_pair = {(o.category.name, o.market.code): o for o in page.add_category}
    assert by_pair["Shop Management", "US"].refusal is Refusal.OPEN_APPLICATION
    assert by_pair["Shop Management", "GB"].allowed


# ------------------------------------------------------------------------------------------------
# What is due: examples from the source


def test_a_new_partner_after_april_30_is_blocked_from_a_discontinued_category() -> None:
    partner = lifecycle.submit_entity(registered(on(5, 2)), sample_entity(), at=on(5, 2))
    due = requirements(partner, at=on(5, 3))
    blocked = {item.category.name: item for item in due.blocked if item.category}
    assert set(blocked) == {"Mass Recruiting", "Mass Tutoring", "Paid Media"}
    item = blocked["Paid Media"]
    assert item.question is Question.REGISTER
    assert item.decision is not None
    assert item.decision.codes == ("new_partner_discontinued",)
    assert [i.role for i in due.currently_due] == [PartnerRole.SELLER_SERVICE_PARTNER]
    assert due.currently_due[0].events == (EventKind.SUBMIT,)
    assert [(i.subject, i.events) for i in due.pending_review] == [
        (Subject.ENTITY, (EventKind.APPROVE, EventKind.REJECT))
    ]
    assert due.next_change_at is None


def test_existing_partner_with_paid_media_approved_before_june_5() -> None:
    partner = approved_partner("Paid Media", at=on(1, 10))
    due = requirements(partner, at=dt.date(2024, 5, 20))
    (closing,) = due.closing
    assert (closing.category.name, closing.question) == ("Paid Media", Question.AUTHORIZE_SELLER)  # type: ignore[union-attr]
    assert closing.decision is not None
    assert closing.decision.message == "allowed until 2024-06-05T00:00-07:00"
    assert due.next_change_at == CUTOFF
    assert due.next_change_at.isoformat() == "2024-06-05T00:00:00-07:00"
    assert due.currently_due == ()
    assert due.blocked == ()
    a_microsecond_before = requirements(partner, at=CUTOFF - dt.timedelta(microseconds=1))
    assert a_microsecond_before.next_change_at == CUTOFF
    after = requirements(partner, at=CUTOFF)
    assert after.closing == ()
    (blocked,) = after.blocked
    assert blocked.decision is not None
    assert blocked.decision.codes == ("authorization_closed",)
    assert after.next_change_at is None


def test_a_rejected_entity_is_due_with_its_reasons() -> None:
    partner = lifecycle.submit_entity(registered(on(3, 1)), sample_entity(), at=on(3, 1))
    partner = lifecycle.reject_entity(partner, ["EIN does not match"], at=on(3, 2))
    due = requirements(partner, at=on(3, 3))
    assert due.currently_due == (
        Requirement(
            subject=Subject.ENTITY, events=(EventKind.MODIFY,), reasons=("EIN does not match",)
        ),
        # (submitted entity information, even rejected, lets the partner choose a category)
        Requirement(
            subject=Subject.APPLICATION,
            events=(EventKind.SUBMIT,),
            role=PartnerRole.SELLER_SERVICE_PARTNER,
        ),
    )
    assert due.pending_review == ()


def test_a_rejected_application_is_due_with_its_reasons() -> None:
    partner = lifecycle.approve_entity(
        lifecycle.submit_entity(registered(on(3, 1)), sample_entity(), at=on(3, 1)), at=on(3, 2)
    )
    partner = lifecycle.apply(
        partner, "Shop Management", sample_info("Shop Management"), at=on(3, 3)
    )
    partner = lifecycle.reject(partner, "Shop Management", ["team too small"], at=on(3, 4))
    (due,) = requirements(partner, at=on(3, 5)).currently_due
    assert (due.category.name, due.events, due.reasons) == (  # type: ignore[union-attr]
        "Shop Management",
        (EventKind.MODIFY,),
        ("team too small",),
    )


def test_a_pending_revision_waits_on_the_platform() -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    partner = lifecycle.edit(
        partner, "Shop Management", sample_info("Shop Management"), at=on(3, 2)
    )
    row = profile(partner, at=on(3, 3)).categories[0]
    assert (row.pending_revision, row.actions, row.waits_on) == (
        True,
        (EventKind.EDIT,),
        Actor.PLATFORM,
    )
    (pending,) = requirements(partner, at=on(3, 3)).pending_review
    assert pending.events == (EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION)
    assert pending.application_id == partner.applications[0].id == "shop_management/US/4"


def test_an_application_under_review_changes_when_the_upgrade_takes_effect() -> None:
    partner = lifecycle.submit_entity(registered(on(3, 1)), sample_entity(), at=on(3, 1))
    partner = lifecycle.apply(partner, "Paid Media", sample_info("Paid Media"), at=on(3, 2))
    assert requirements(partner, at=on(4, 1)).next_change_at == UPGRADE
    migrated = lifecycle.upgrade(partner, at=UPGRADE)
    rows = profile(migrated, at=UPGRADE).categories
    assert [(r.application_id, r.status, r.supersedes) for r in rows] == [
        ("paid_media/US/4", PENDING, "paid_media/US/3")
    ]


def test_the_tutorial_agency_at_each_stage() -> None:
    """Each stage of the tutorial's agency: the page's actions are the operations that
    succeed, and nothing is due once the platform has everything."""
    steps: list[Callable[[Partner, dt.datetime], Partner]] = [
        lambda p, at: lifecycle.submit_entity(p, sample_entity(), at=at),
        lambda p, at: lifecycle.apply(p, "LIVE Management", sample_info("LIVE Management"), at=at),
        lambda p, at: lifecycle.apply(p, "Paid Media", sample_info("Paid Media"), at=at),
        lambda p, at: lifecycle.reject_entity(p, ["EIN letter unreadable"], at=at),
        lambda p, at: lifecycle.modify_entity(p, sample_entity(), at=at),
        lambda p, at: lifecycle.approve_entity(p, at=at),
        lambda p, at: lifecycle.approve(p, "LIVE Management", at=at),
        lambda p, at: lifecycle.upgrade(p, at=at),
        lambda p, at: lifecycle.approve(p, "Paid Media", at=at),
        lambda p, at: lifecycle.edit(p, "LIVE Management", sample_info("LIVE Management"), at=at),
    ]
    partner = registered(on(3, 4))
    when = [on(3, 4, 10), on(3, 5), on(3, 5, 11), on(3, 6), on(3, 7), on(3, 8), on(3, 9)]
    when += [UPGRADE, on(5, 2), on(5, 3)]
    for step, at in zip(steps, when, strict=True):
        partner = step(partner, at)
        check_page_against_operations(partner, later(partner), DEFAULT_POLICY)
    due = requirements(partner, at=later(partner))
    assert due.currently_due == ()
    assert [i.events for i in due.pending_review] == [
        (EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION)
    ]


# ------------------------------------------------------------------------------------------------
# Properties over reachable partners


def _succeeds(operation: Callable[[], Partner]) -> bool:
    try:
        operation()
    except OnboardingError:
        return False
    return True


def check_page_against_operations(partner: Partner, at: dt.datetime, policy: Policy) -> None:
    """The page offers an action exactly when the operation doing it succeeds, both ways."""
    page = profile(partner, at=at, policy=policy)
    entity_ops = {
        EventKind.SUBMIT: lambda: lifecycle.submit_entity(partner, sample_entity(), at=at),
        EventKind.MODIFY: lambda: lifecycle.modify_entity(partner, sample_entity(), at=at),
    }
    for kind, operation in entity_ops.items():
        assert (kind in page.entity.actions) is _succeeds(operation), kind
    for row in page.categories:
        for kind, step in (
            (EventKind.EDIT, lifecycle.edit),
            (EventKind.MODIFY, lifecycle.modify),
        ):
            done = functools.partial(
                step,
                partner,
                row.category,
                sample_info(row.category),
                market=row.market,
                at=at,
            )
            assert (kind in row.actions) is _succeeds(done), (row.application_id, kind)
    for offer in page.add_category:
        assert offer.allowed is _succeeds(
            lambda offer=offer: lifecycle.apply(  # type: ignore[misc]
                partner,
                offer.category,
                sample_info(offer.category),
                market=offer.market,
                at=at,
                policy=policy,
            )
        ), (offer.category.code, offer.market)


def _act_on(partner: Partner, item: Requirement, at: dt.datetime, policy: Policy) -> Partner:
    """The partner's operation that settles a due ``item``."""
    if item.subject is Subject.ENTITY:
        if item.events == (EventKind.SUBMIT,):
            return lifecycle.submit_entity(partner, sample_entity(), at=at)
        assert item.events == (EventKind.MODIFY,)
        return lifecycle.modify_entity(partner, sample_entity(), at=at)
    if item.role is not None:
        offer = next(
            o
            for o in profile(partner, at=at, policy=policy).add_category
            if o.allowed and o.category.role is item.role
        )
        info = sample_info(offer.category)
        return lifecycle.apply(
            partner, offer.category, info, market=offer.market, at=at, policy=policy
        )
    assert item.events == (EventKind.MODIFY,)
    assert item.category is not None
    info = sample_info(item.category)
    return lifecycle.modify(partner, item.category, info, market=item.market, at=at)


SETTLING = (EventKind.SUBMIT, EventKind.MODIFY)
instants_after = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=120))


@given(partners(), instants_after, st.one_of(st.just(DEFAULT_POLICY), policies()))
def test_the_page_s_actions_are_the_operations_that_succeed(
    partner: Partner, delta: dt.timedelta, policy: Policy
) -> None:
    check_page_against_operations(partner, partner.latest + delta, policy)


@given(partners(), instants_after)
def test_an_item_is_due_exactly_when_a_partner_operation_settles_it(
    partner: Partner, delta: dt.timedelta
) -> None:
    at = partner.latest + delta
    due = requirements(partner, at=at)
    for item in due.currently_due:
        _act_on(partner, item, at, DEFAULT_POLICY)  # (raises if the operation is refused)
        assert set(item.events) <= set(SETTLING)
    listed = {item.application_id for item in due.currently_due if item.role is None}
    page = profile(partner, at=at)
    if page.entity.status is not APPROVED and page.entity.actions:
        assert None in listed
    for row in page.categories:
        settles = _succeeds(
            lambda row=row: lifecycle.modify(  # type: ignore[misc]
                partner, row.category, sample_info(row.category), market=row.market, at=at
            )
        )
        assert (row.application_id in listed) is settles
    for item in due.pending_review:
        assert item.events
        assert all(
            lifecycle.TRANSITIONS[item.subject, _status(partner, item), kind].actor
            is Actor.PLATFORM
            for kind in item.events
        )


def _status(partner: Partner, item: Requirement) -> ReviewStatus | None:
    if item.subject is Subject.ENTITY:
        return None if partner.entity is None else partner.entity.status
    return next(a.status for a in partner.applications if a.id == item.application_id)


@given(partners(), instants_after)
def test_acting_on_every_due_item_in_turn_leaves_nothing_due(
    partner: Partner, delta: dt.timedelta
) -> None:
    at = partner.latest + delta
    for _ in range(12):
        due = requirements(partner, at=at).currently_due
        if not due:
            break
        partner = _act_on(partner, due[0], at, DEFAULT_POLICY)
        at += dt.timedelta(seconds=1)
    assert requirements(partner, at=at).currently_due == ()


@given(
    partners(), st.timedeltas(min_value=dt.timedelta(days=-400), max_value=dt.timedelta(days=400))
)
def test_the_role_switch_offers_the_policy_s_roles_at_every_instant(
    partner: Partner, delta: dt.timedelta
) -> None:
    at = partner.latest + delta
    switch = role_switch(partner, at=at)
    assert tuple(view.role for view in switch.roles) == DEFAULT_POLICY.roles(partner, at=at)
    for view in switch.roles:
        for entry in view.entries:
            assert DEFAULT_POLICY.role_of(entry.category) is view.role
            assert partner.approved_in(entry.category, entry.market, at=at) or any(
                a.id == entry.application_id for a in partner.applications
            )


def test_the_role_switch_shows_legacy_categories_under_their_current_role() -> None:
    partner = approved_partner("Paid Media", "Creator Management", at=on(1, 10))
    switch = role_switch(partner, at=on(6, 1))
    assert [(v.role, [e.category.name for e in v.entries]) for v in switch.roles] == [
        (PartnerRole.CREATOR_SERVICE_PARTNER, ["Creator Management"]),
        (PartnerRole.SELLER_SERVICE_PARTNER, ["Paid Media"]),
    ]
    overridden = Policy(role_overrides={"paid_media": "creator_service_partner"})
    (only,) = role_switch(partner, at=on(6, 1), policy=overridden).roles
    assert only.role is PartnerRole.CREATOR_SERVICE_PARTNER
    assert [e.category.name for e in only.entries] == ["Paid Media", "Creator Management"]
    assert role_switch(partner, at=on(1, 9)).roles == ()  # (before anything was approved)


@given(partners(), instants_after)
def test_profile_requirements_and_role_switch_round_trip_through_json(
    partner: Partner, delta: dt.timedelta
) -> None:
    at = partner.latest + delta
    for value in (
        profile(partner, at=at),
        requirements(partner, at=at),
        role_switch(partner, at=at),
    ):
        assert from_json(to_json(value), type(value)) == value


# ------------------------------------------------------------------------------------------------
# Wrong input


def test_an_instant_before_the_partner_s_latest_event_is_refused() -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    for ask in (profile, requirements):
        with pytest.raises(BackdatedStep) as caught:
            ask(partner, at=on(2, 1))
        assert caught.value.not_before == partner.latest


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda p: profile(None, at=on(3, 2)), "partner"),  # type: ignore[arg-type]
        (lambda p: profile(p, at=on(3, 2), policy="x"), "policy"),  # type: ignore[arg-type]
        (lambda p: profile(p, at=dt.datetime(2024, 3, 2)), "at"),  # noqa: DTZ001
        (lambda p: profile(p, at=on(3, 2), markets="US"), "markets"),
        (lambda p: profile(p, at=on(3, 2), markets=["XX"]), "market"),
        (lambda p: requirements(p, at="soon"), "at"),  # type: ignore[arg-type]
        (lambda p: role_switch(p, at=on(3, 2), policy=None), "policy"),  # type: ignore[arg-type]
        (lambda p: role_switch("p", at=on(3, 2)), "partner"),  # type: ignore[arg-type]
    ],
)
def test_wrong_input_is_a_validation_error_naming_the_field(
    call: Callable[[Partner], object], field: str
) -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    with pytest.raises(ValidationError) as caught:
        call(partner)
    assert caught.value.fields == (field,)


def test_values_of_the_page_hold_their_invariants_whatever_built_them() -> None:
    partner = approved_partner("Paid Media", at=on(1, 10))
    page = profile(partner, at=on(5, 2))
    with pytest.raises(ValidationError, match="must be masked"):
        attrs.evolve(page.entity, ein="04-2103594")
    with pytest.raises(ValidationError, match="no details"):
        EntityInfo(status=None, legal_name="Acme")
    with pytest.raises(ValidationError, match="only an approved application"):
        attrs.evolve(page.categories[0], status=PENDING, pending_revision=True)
    refused = (
        next(o for o in page.add_category if not o.decision.allowed)
        if any(not o.decision.allowed for o in page.add_category)
        else None
    )
    offer = page.add_category[0]
    with pytest.raises(ValidationError, match="not the policy's"):
        CategoryOffer(
            category=offer.category,
            market=offer.market,
            refusal=Refusal.POLICY,
            decision=DEFAULT_POLICY.can_register(partner, "Shop Management", at=on(5, 2)),
        )
    if refused is not None:
        with pytest.raises(ValidationError, match="cannot be allowed"):
            attrs.evolve(refused, refusal=None)
    with pytest.raises(ValidationError, match="both a question and a decision"):
        Requirement(subject=Subject.APPLICATION, question=Question.REGISTER)
    due = requirements(partner, at=on(5, 2))
    with pytest.raises(ValidationError, match="must be after at"):
        attrs.evolve(due, next_change_at=due.at)
    with pytest.raises(ValidationError) as caught:
        Profile(
            at=on(5, 2),
            agency_type="local",  # type: ignore[arg-type]
            registration_market=Market.US,
            entity=page.entity,
            categories=[page.categories[0]],  # type: ignore[arg-type]
            add_category=(),
        )
    assert caught.value.fields == ("agency_type", "categories")
    with pytest.raises(ValidationError) as row:
        CategoryRow(
            application_id="x",
            category="Shop Management",  # type: ignore[arg-type]
            market=Market.US,
            status=APPROVED,
            actions=("edit",),  # type: ignore[arg-type]
        )
    assert row.value.fields == ("category", "actions[0]")
    with pytest.raises(ValidationError):
        RoleSwitch(at=dt.datetime(2024, 1, 1), roles=())  # noqa: DTZ001


def test_a_forged_document_is_refused_with_its_path() -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    text = to_json(requirements(partner, at=on(3, 2)))
    forged = text.replace('"currently_due": []', '"currently_due": [{"subject": "nobody"}]')
    with pytest.raises(ValidationError) as caught:
        from_json(forged, Requirements)
    assert caught.value.fields == ("currently_due[0].subject",)
    unmasked = to_json(profile(partner, at=on(3, 2))).replace("**-***3594", "04-2103594")
    with pytest.raises(ValidationError, match="must be masked"):
        from_json(unmasked, Profile)


# ------------------------------------------------------------------------------------------------
# Word for word: what each value of the page refuses, and the edges of the answers


def _refusal(build: Callable[[], object]) -> str:
    with pytest.raises(ValidationError) as caught:
        build()
    return str(caught.value)


def test_each_value_of_the_page_refuses_in_its_own_words() -> None:
    partner = approved_partner("Paid Media", at=on(1, 10))
    page = profile(partner, at=on(5, 2))
    row, offer = page.categories[0], page.add_category[0]
    refused = DEFAULT_POLICY.can_register(approved_partner(at=on(5, 2)), "Paid Media", at=on(5, 3))
    allowed = offer.decision
    due = requirements(partner, at=on(5, 2))
    cases: list[tuple[Callable[[], object], str]] = [
        (
            lambda: EntityInfo(status=None, legal_name="Acme"),
            (
                "invalid entity information: 1 problem\n"
                "  - status: entity information not yet submitted has no details"
            ),
        ),
        (
            lambda: EntityInfo(status=None, ein="**-***3594"),
            (
                "invalid entity information: 1 problem\n"
                "  - status: entity information not yet submitted has no details"
            ),
        ),
        (
            lambda: EntityInfo(status=APPROVED, ein="04-2103594"),
            (
                "invalid entity information: 1 problem\n"
                "  - ein: must be masked: only the last 4 digits shown ('**-***1234')"
            ),
        ),
        (
            lambda: EntityInfo(status="approved"),  # type: ignore[arg-type]
            "invalid entity information: 1 problem\n  - status: must be a ReviewStatus",
        ),
        (
            lambda: attrs.evolve(row, status=PENDING, pending_revision=True),
            (
                "invalid category row: 1 problem\n"
                "  - pending_revision: only an approved application has a revision"
            ),
        ),
        (
            lambda: attrs.evolve(row, pending_revision="yes"),  # type: ignore[arg-type]
            "invalid category row: 1 problem\n  - pending_revision: must be true or false",
        ),
        (
            lambda: attrs.evolve(offer, refusal=None, decision=refused),
            (
                "invalid category offer: 1 problem\n"
                "  - refusal: the policy refuses it: it cannot be allowed"
            ),
        ),
        (
            lambda: attrs.evolve(offer, refusal=Refusal.POLICY, decision=allowed),
            (
                "invalid category offer: 1 problem\n"
                "  - refusal: the policy allows it: the refusal is not the policy's"
            ),
        ),
        (
            lambda: attrs.evolve(page, categories=list(page.categories)),  # type: ignore[arg-type]
            "invalid profile: 1 problem\n  - categories: must be a list",
        ),
        (
            lambda: Requirement(subject=Subject.APPLICATION, question=Question.REGISTER),
            (
                "invalid requirement: 1 problem\n"
                "  - decision: a policy item has both a question and a decision"
            ),
        ),
        (
            lambda: attrs.evolve(due, next_change_at=due.at),
            "invalid requirements: 1 problem\n  - next_change_at: must be after at",
        ),
        (
            lambda: RoleEntry(application_id="x", category=row.category, market="US"),  # type: ignore[arg-type]
            "invalid role entry: 1 problem\n  - market: must be a Market",
        ),
        (
            lambda: RoleView(role="seller", entries=()),  # type: ignore[arg-type]
            "invalid role view: 1 problem\n  - role: must be a PartnerRole",
        ),
        (
            lambda: RoleSwitch(at=dt.datetime(2024, 1, 1), roles=()),  # noqa: DTZ001
            "invalid role switch: 1 problem\n  - at: must be time-zone aware",
        ),
        (
            lambda: profile(partner, at=on(5, 2), markets="US"),
            "invalid value: 1 problem\n  - markets: must be a list of markets",
        ),
    ]
    for build, expected in cases:
        assert _refusal(build) == expected


def test_a_back_dated_question_names_the_partner_s_clock() -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    with pytest.raises(BackdatedStep) as caught:
        requirements(partner, at=on(2, 1))
    assert (caught.value.since, caught.value.not_before) == ("latest_event", partner.latest)


def test_entity_information_not_yet_submitted_waits_on_the_partner() -> None:
    section = profile(registered(on(3, 1)), at=on(3, 1)).entity
    assert section.waits_on is Actor.PARTNER


def test_only_a_turning_down_gives_rejection_reasons() -> None:
    partner = approved_partner("Shop Management", at=on(3, 1))
    accepted = lifecycle.approve_revision(
        lifecycle.edit(partner, "Shop Management", sample_info("Shop Management"), at=on(3, 2)),
        "Shop Management",
        at=on(3, 3),
    )
    assert profile(accepted, at=on(3, 4)).categories[0].rejection_reasons == ()
    turned_down = lifecycle.reject_revision(
        lifecycle.edit(partner, "Shop Management", sample_info("Shop Management"), at=on(3, 2)),
        "Shop Management",
        ["links broken"],
        at=on(3, 3),
    )
    assert profile(turned_down, at=on(3, 4)).categories[0].rejection_reasons == ("links broken",)


def test_an_application_not_approved_does_not_hide_the_approved_ones_after_it() -> None:
    partner = lifecycle.submit_entity(registered(on(1, 10)), sample_entity(), at=on(1, 10))
    partner = lifecycle.apply(
        partner, "LIVE Management", sample_info("LIVE Management"), at=on(1, 11)
    )
    partner = lifecycle.apply(partner, "Paid Media", sample_info("Paid Media"), at=on(1, 11))
    partner = lifecycle.approve_entity(partner, at=on(1, 12))
    partner = lifecycle.approve(partner, "Paid Media", at=on(1, 12))
    due = requirements(partner, at=on(5, 20))
    assert [(i.application_id, i.question) for i in due.closing] == [
        ("paid_media/US/4", Question.AUTHORIZE_SELLER)
    ]


def test_a_cross_border_agency_s_page_names_each_market() -> None:
    account = Account.register(
        email="ops@xb.example", password="Abc123!x", at=on(1, 10), scrypt_n=2
    )
    partner = lifecycle.choose_role(
        account, "seller_service_partner", at=on(1, 10), agency_type="cross_border"
    )
    partner = lifecycle.submit_entity(partner, sample_entity(), at=on(1, 10))
    partner = lifecycle.approve_entity(partner, at=on(1, 11))
    partner = lifecycle.apply(
        partner, "Paid Media", sample_info("Paid Media"), market="GB", at=on(1, 12)
    )
    partner = lifecycle.approve(partner, "Paid Media", market="GB", at=on(1, 12))
    page = profile(partner, at=on(5, 20))
    assert {o.market.code for o in page.add_category} == {"GB", "US"}
    due = requirements(partner, at=on(5, 20))
    (closing,) = due.closing
    assert (closing.application_id, closing.market) == ("paid_media/GB/4", Market("GB"))
    assert due.next_change_at == CUTOFF
    after = requirements(partner, at=CUTOFF, markets=["GB"])
    assert [(i.question, i.market) for i in after.blocked] == [
        (Question.AUTHORIZE_SELLER, Market("GB"))
    ]


def test_requirements_read_the_markets_asked_for() -> None:
    partner = lifecycle.submit_entity(registered(on(5, 2)), sample_entity(), at=on(5, 2))
    due = requirements(partner, at=on(5, 3), markets=["CA"])
    assert {(i.category.code, str(i.market)) for i in due.blocked if i.category} == {
        ("mass_recruiting", "CA"),
        ("mass_tutoring", "CA"),
        ("paid_media", "CA"),
    }
    assert all(i.events == (EventKind.SUBMIT,) for i in due.blocked)


def test_a_registration_open_only_until_the_upgrade_is_closing() -> None:
    # New partners from April 1 under this policy: one registered on April 10 may still
    # register for Paid Media until the upgrade takes effect.
    early = Policy(rules=upgrade_rules(new_partners_from=dt.date(2024, 4, 1)))
    partner = lifecycle.submit_entity(registered(on(4, 10)), sample_entity(), at=on(4, 10))
    due = requirements(partner, at=on(4, 20), policy=early)
    closing = {i.category.name: i for i in due.closing if i.category}
    assert set(closing) == {"Mass Recruiting", "Mass Tutoring", "Paid Media"}
    assert closing["Paid Media"].decision is not None
    assert closing["Paid Media"].decision.codes == ("before_upgrade",)
    assert due.next_change_at == UPGRADE


def test_at_the_upgrade_instant_the_upgrade_is_no_longer_a_change_to_come() -> None:
    partner = lifecycle.submit_entity(registered(on(3, 1)), sample_entity(), at=on(3, 1))
    partner = lifecycle.apply(
        partner, "Shop Management", sample_info("Shop Management"), at=on(3, 2)
    )
    assert (
        requirements(partner, at=UPGRADE - dt.timedelta(microseconds=1)).next_change_at == UPGRADE
    )
    assert requirements(partner, at=UPGRADE).next_change_at is None


def test_a_policy_over_another_catalog_offers_that_catalog_s_categories() -> None:
    from _catalogs import CUSTOM as custom  # noqa: PLC0415, N811

    partner = lifecycle.submit_entity(registered(on(3, 1)), sample_entity(), at=on(3, 1))
    offers = profile(partner, at=on(3, 2), policy=Policy(catalog=custom)).add_category
    assert {o.category.catalog for o in offers} == {custom.id}
    assert "LIVE Coaching" in {o.category.name for o in offers if o.allowed}
