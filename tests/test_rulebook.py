"""One rulebook: every value holds its invariants whatever path built it, the table and its guards
are the only source of what may happen, and one clock orders a partner's steps."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _legacy import state_data, state_document
from partner_onboarding import (
    DEFAULT_CATALOG,
    DEFAULT_POLICY,
    Market,
    PartnerRole,
    Policy,
    ValidationError,
    from_json,
    lifecycle,
    to_json,
)
from partner_onboarding.errors import (
    BackdatedStep,
    DuplicateApplication,
    OnboardingError,
    PolicyRefusal,
)
from partner_onboarding.lifecycle import TRANSITIONS, Subject
from partner_onboarding.model import (
    Account,
    Actor,
    Application,
    EntityReview,
    EventKind,
    History,
    Partner,
    ReviewStatus,
    SellerAuthorization,
    status_at,
)
from partner_onboarding.policy import Decision, Reason, ReasonCode, Rule, Verdict
from partner_onboarding.serde import from_data, to_data
from partner_onboarding.testing import (
    approved_partner,
    category_infos,
    entities,
    partners,
    sample_entity,
    sample_info,
)

UTC = dt.UTC
LA = dt.timezone(dt.timedelta(hours=-7))
PENDING, APPROVED, REJECTED = ReviewStatus


def fields_of(value: object) -> dict[str, Any]:
    return {a.alias: getattr(value, a.name) for a in attrs.fields(type(value)) if a.init}  # type: ignore[arg-type]


def registered_on(day: dt.date) -> Partner:
    at = dt.datetime.combine(day, dt.time(9), tzinfo=LA)
    account = Account.register(email="ops@agency.example", password="Abc123!x", at=at, scrypt_n=2)
    return lifecycle.choose_role(account, PartnerRole.SELLER_SERVICE_PARTNER, at=at)


def on(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, tzinfo=LA)


# ------------------------------------------------------------------------------------------------
# An oracle: the invariants, written plainly, that any accepted partner must satisfy


def satisfies_every_invariant(partner: Partner) -> bool:  # noqa: PLR0912  (one check per rule)
    """True when ``partner`` holds every invariant; a broken one fails the assertion that checks
    it (so that the failure names the rule)."""
    registered = partner.account.registered_at
    since = {grant.role: grant.at for grant in partner.roles_granted}
    assert len(since) == len(partner.roles_granted)
    assert all(grant.at >= registered for grant in partner.roles_granted)
    reviews: list[tuple[Subject, Application | EntityReview]] = [
        (Subject.APPLICATION, a) for a in partner.applications
    ]
    if partner.entity is not None:
        reviews.append((Subject.ENTITY, partner.entity))
        assert partner.entity.history[0].at >= partner.roles_granted[0].at
    for subject, review in reviews:
        status: ReviewStatus | None = None
        revision = False
        previous = None
        for event in review.history:
            assert event.from_status is status
            move = TRANSITIONS[subject, status, event.kind]  # a KeyError is a forged step
            assert (event.actor, event.to_status) == (move.actor, move.to)
            assert not move.needs_reasons or event.reasons
            assert previous is None or event.at >= previous
            if event.kind in {EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION}:
                assert revision
            revision = event.kind is EventKind.EDIT or (
                revision
                and event.kind not in {EventKind.APPROVE_REVISION, EventKind.REJECT_REVISION}
            )
            status, previous = event.to_status, event.at
        assert review.status is status
        if isinstance(review, Application):
            assert (review.pending_revision is not None) is revision
    entity = partner.entity
    ids = [a.id for a in partner.applications]
    assert len(ids) == len(set(ids))
    for application in partner.applications:
        first = application.history[0]
        assert application.category.role in since
        assert first.at >= since[application.category.role]
        if first.kind is EventKind.SUBMIT:
            assert entity is not None
            assert first.at >= entity.history[0].at
        for event in application.history:
            if event.kind is EventKind.APPROVE:
                assert entity is not None
                assert status_at(entity.history, event.at) is APPROVED
        assert (first.kind is EventKind.REGENERATE) is (application.supersedes is not None)
        if application.supersedes is not None:
            target = next(a for a in partner.applications if a.id == application.supersedes)
            assert target is not application
            assert target.key == application.key
            assert target.history[-1].kind is EventKind.SYSTEM_REJECT
    superseded = [a.supersedes for a in partner.applications if a.supersedes is not None]
    assert len(superseded) == len(set(superseded))
    for application in partner.applications:
        if application.history[-1].kind is EventKind.SYSTEM_REJECT:
            assert application.id in superseded
    open_keys = [a.key for a in partner.open_applications()]
    assert len(open_keys) == len(set(open_keys))
    for authorization in partner.authorizations:
        assert any(
            a.key == (authorization.category.code, authorization.market.code)
            and status_at(a.history, authorization.at) is APPROVED
            for a in partner.applications
        )
    return True


@given(partners(max_steps=16))
def test_every_reachable_partner_satisfies_the_oracle(partner: Partner) -> None:
    assert satisfies_every_invariant(partner)


@given(partners(max_steps=16))
def test_the_constructor_replays_the_events_into_the_same_partner(partner: Partner) -> None:
    rebuilt = Partner(partner.events, policy=None)
    assert rebuilt == partner
    assert rebuilt.latest == partner.latest
    assert rebuilt.open_applications() == partner.open_applications()
    for name in ("account", "roles_granted", "entity", "applications", "authorizations"):
        assert getattr(rebuilt, name) == getattr(partner, name)
    for application in partner.applications:
        assert Application(**fields_of(application)) == application


# ------------------------------------------------------------------------------------------------
# Forged documents: what another program may write


def document(partner: Partner) -> dict[str, Any]:
    return state_document(partner)


def refused(doc: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(doc), Partner)
    return caught.value


HOLDER = approved_partner("Shop Management", at=dt.datetime(2024, 1, 10, tzinfo=UTC))


def forge(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = document(HOLDER)
    change(doc["data"])
    return doc


def approving_own_application(data: dict[str, Any]) -> None:
    data["applications"][0]["history"][1]["actor"] = "partner"


def approval_without_submission(data: dict[str, Any]) -> None:
    history = data["applications"][0]["history"]
    del history[0]
    history[0]["from_status"] = None


def edit_from_rejected_to_approved(data: dict[str, Any]) -> None:
    history = data["applications"][0]["history"]
    history[1].update(kind="reject", reasons=["no"], to_status="rejected")
    history.append(dict(history[1], kind="edit", from_status="rejected", to_status="approved"))


def superseding_itself(data: dict[str, Any]) -> None:
    application = data["applications"][0]
    application["supersedes"] = application["id"]
    application["history"][0].update(kind="regenerate", actor="system")


def authorisation_without_application(data: dict[str, Any]) -> None:
    data["authorizations"] = [
        {
            "seller_id": "s1",
            "category": "live_management",
            "market": "US",
            "at": "2024-02-01T00:00:00+00:00",
        }
    ]


def role_before_the_account(data: dict[str, Any]) -> None:
    data["roles_granted"][0]["at"] = "2023-01-01T00:00:00+00:00"


def category_of_a_role_never_chosen(data: dict[str, Any]) -> None:
    data["roles_granted"][0]["role"] = "creator_service_partner"


def approved_under_a_pending_entity(data: dict[str, Any]) -> None:
    history = data["entity"]["history"]
    del history[1]
    data["entity"]["status"] = "pending_review"


def two_open_applications(data: dict[str, Any]) -> None:
    twin = copy.deepcopy(data["applications"][0])
    twin["id"] = "shop_management/US/2"
    data["applications"].append(twin)


def authorised_before_approval(data: dict[str, Any]) -> None:
    data["authorizations"] = [
        {
            "seller_id": "s1",
            "category": "shop_management",
            "market": "US",
            "at": "2024-01-01T00:00:00+00:00",
        }
    ]


def revision_without_edit(data: dict[str, Any]) -> None:
    history = data["applications"][0]["history"]
    history.append(dict(history[1], kind="approve_revision", from_status="approved"))


FORGERIES = [
    (approving_own_application, "applications[0].history[1].actor"),
    (approval_without_submission, "applications[0].history[0].kind"),
    (edit_from_rejected_to_approved, "applications[0].history[2].kind"),
    (superseding_itself, "applications[0].supersedes"),
    (authorisation_without_application, "events[5]"),
    (role_before_the_account, "events[0].at"),
    (category_of_a_role_never_chosen, "events[3]"),
    (approved_under_a_pending_entity, "events[3]"),
    (two_open_applications, "events[5]"),
    (authorised_before_approval, "events[0].kind"),
    (revision_without_edit, "applications[0].history[2].kind"),
]


@pytest.mark.parametrize(("change", "path"), FORGERIES, ids=[f.__name__ for f, _ in FORGERIES])
def test_forged_histories_do_not_load(change: Callable[[dict[str, Any]], None], path: str) -> None:
    error = refused(forge(change))
    assert path in error.fields, error


MUTATIONS = st.sampled_from(
    [
        ("kind", list(EventKind)),
        ("actor", list(Actor)),
        ("to_status", list(ReviewStatus)),
        ("from_status", [None, *ReviewStatus]),
        ("reasons", [[], ["r"]]),
        ("at", ["2019-01-01T00:00:00+00:00", "2031-01-01T00:00:00+00:00"]),
    ]
)


@given(partners(max_steps=14), MUTATIONS, st.data())
def test_a_tampered_document_is_refused_or_is_a_valid_partner(
    partner: Partner, mutation: tuple[str, list[Any]], data: st.DataObject
) -> None:
    # Property (a): whatever a document says, what loads holds every invariant.
    doc = state_data(partner)
    histories = [a["history"] for a in doc["applications"]]
    if doc["entity"] is not None:
        histories.append(doc["entity"]["history"])
    if not histories:
        return
    history = data.draw(st.sampled_from(histories))
    event = data.draw(st.sampled_from(history))
    field, values = mutation
    value = data.draw(st.sampled_from(values))
    event[field] = value.value if hasattr(value, "value") else value
    try:
        loaded = from_data(doc, Partner)
    except ValidationError:
        return
    assert satisfies_every_invariant(loaded)


def test_evolve_and_the_constructor_refuse_what_the_operations_refuse() -> None:
    # The state is the fold of the events: naming any part of it is refused, by name.
    creator = PartnerRole.CREATOR_SERVICE_PARTNER
    grant = attrs.evolve(HOLDER.roles_granted[0], role=creator)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(HOLDER, roles_granted=(grant,))  # type: ignore[call-arg]
    assert caught.value.fields == ("roles_granted",)
    assert HOLDER.entity is not None
    pending = EntityReview(
        entity=HOLDER.entity.entity, status=PENDING, history=HOLDER.entity.history[:1]
    )
    with pytest.raises(ValidationError) as caught:
        Partner(HOLDER.events, entity=pending)
    assert caught.value.fields == ("entity",)
    # Events in another order are replayed, and refused where the rules refuse them.
    events = list(HOLDER.events)
    events[2], events[3] = events[3], events[2]
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(HOLDER, events=tuple(events))
    assert caught.value.fields == ("events[2].seq",)


# ------------------------------------------------------------------------------------------------
# allowed_events and the operations agree, both ways


def partner_operation(
    partner: Partner, subject: Application | Subject, kind: EventKind, at: dt.datetime
) -> Callable[[], Partner] | None:
    """The operation that does ``kind`` to ``subject`` (``None``: only the system does it)."""
    if subject is Subject.ENTITY:
        entity = sample_entity()
        return {
            EventKind.SUBMIT: lambda: lifecycle.submit_entity(partner, entity, at=at),
            EventKind.APPROVE: lambda: lifecycle.approve_entity(partner, at=at),
            EventKind.REJECT: lambda: lifecycle.reject_entity(partner, ["r"], at=at),
            EventKind.MODIFY: lambda: lifecycle.modify_entity(partner, entity, at=at),
        }.get(kind)
    if subject is Subject.APPLICATION:
        return None
    assert isinstance(subject, Application)
    category, market = subject.category, subject.market
    info = sample_info(category)
    step: dict[str, Any] = {"market": market, "at": at}
    operations: dict[EventKind, Callable[[], Partner]] = {
        EventKind.APPROVE: lambda: lifecycle.approve(partner, category, **step),
        EventKind.REJECT: lambda: lifecycle.reject(partner, category, ["r"], **step),
        EventKind.MODIFY: lambda: lifecycle.modify(partner, category, info, **step),
        EventKind.EDIT: lambda: lifecycle.edit(partner, category, info, **step),
        EventKind.APPROVE_REVISION: lambda: lifecycle.approve_revision(partner, category, **step),
        EventKind.REJECT_REVISION: lambda: lifecycle.reject_revision(
            partner, category, ["r"], **step
        ),
    }
    return operations.get(kind)


@given(partners(max_steps=16))
def test_allowed_events_and_the_operations_agree_both_ways(partner: Partner) -> None:
    at = partner.latest
    subjects: list[Application | Subject] = [Subject.ENTITY, *partner.open_applications()]
    for subject in subjects:
        offered = set(lifecycle.allowed_events(subject, partner))
        for kind in EventKind:
            operation = partner_operation(partner, subject, kind, at)
            if operation is None:
                continue
            try:
                operation()
            except OnboardingError:
                assert kind not in offered, f"{kind} offered but refused"
            else:
                assert kind in offered, f"{kind} not offered but accepted"


@given(partners(max_steps=12), st.sampled_from(DEFAULT_CATALOG.categories()), st.data())
def test_a_new_application_is_offered_exactly_when_one_can_be_submitted(
    partner: Partner, category: Any, data: st.DataObject
) -> None:
    offered = EventKind.SUBMIT in lifecycle.allowed_events(Subject.APPLICATION, partner)
    partner = lifecycle.add_role(partner, category.role, at=partner.latest)
    market = Market("FR")  # (no walk applies there: never a duplicate)
    info = data.draw(category_infos(st.just(category)))
    try:
        lifecycle.apply(partner, category, info, market=market, at=partner.latest, policy=None)
    except OnboardingError:
        assert not offered
    else:
        assert offered


# ------------------------------------------------------------------------------------------------
# One clock per partner


def test_the_back_dated_steps_of_the_report_are_refused() -> None:
    partner = lifecycle.submit_entity(
        registered_on(dt.date(2024, 5, 2)), sample_entity(), at=on(5, 3)
    )
    # apply before the account existed
    with pytest.raises(BackdatedStep) as caught:
        lifecycle.apply(partner, "Shop Management", sample_info("Shop Management"), at=on(4, 1))
    assert caught.value.not_before == on(5, 2)
    assert caught.value.since == "registration"
    with pytest.raises(BackdatedStep) as caught:
        lifecycle.apply(partner, "Shop Management", sample_info("Shop Management"), at=on(5, 2, 10))
    assert (caught.value.not_before, caught.value.since) == (on(5, 3), "latest_event")
    partner = lifecycle.apply(
        partner, "Shop Management", sample_info("Shop Management"), at=on(5, 4)
    )
    # approved before the entity was approved, or before the application was submitted
    with pytest.raises(OnboardingError):
        lifecycle.approve(partner, "Shop Management", at=on(5, 5))  # entity still pending
    partner = lifecycle.approve_entity(partner, at=on(5, 6))
    with pytest.raises(BackdatedStep):
        lifecycle.approve(partner, "Shop Management", at=on(4, 2))
    partner = lifecycle.approve(partner, "Shop Management", at=on(7, 1))
    # an authorisation dated before the approval it needs
    with pytest.raises(BackdatedStep) as caught:
        lifecycle.authorize_seller(partner, "Shop Management", "s1", at=on(6, 1))
    assert (caught.value.at, caught.value.not_before) == (on(6, 1), on(7, 1))
    assert "before the partner's latest event" in str(caught.value)
    # choosing a role before the account existed
    with pytest.raises(BackdatedStep) as caught:
        lifecycle.choose_role(partner.account, "Creator Service Partner", at=on(5, 1))
    assert caught.value.since == "registration"


@given(partners(max_steps=14), st.integers(0, 24 * 400), st.sampled_from(list(DEFAULT_CATALOG)))
def test_roles_and_seller_authorisation_never_disagree(
    partner: Partner, hours: int, category: Any
) -> None:
    at = partner.registered_at + dt.timedelta(hours=hours)
    roles = DEFAULT_POLICY.roles(partner, at=at)
    for market in (Market.US, Market("GB"), Market("CA")):
        decision = DEFAULT_POLICY.can_authorize_seller(partner, category, market=market, at=at)
        if decision.allowed:
            # an approved application in the category at that instant: its role is offered
            assert DEFAULT_POLICY.role_of(category) in roles


# ------------------------------------------------------------------------------------------------
# The loophole, closed for the operations too


@given(
    st.sampled_from(["GB", "CA", "MX", "DE", "JP", "SG", "US"]),
    st.sampled_from(["Paid Media", "Mass Recruiting", "Mass Tutoring"]),
)
def test_apply_refuses_a_new_partner_in_every_target_market(market: str, category: str) -> None:
    partner = lifecycle.submit_entity(
        registered_on(dt.date(2024, 5, 10)), sample_entity(), at=on(5, 10)
    )
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.apply(partner, category, sample_info(category), market=market, at=on(5, 11))
    assert caught.value.codes == ("new_partner_discontinued",)


def test_seller_authorisation_closes_in_every_target_market() -> None:
    partner = approved_partner(
        "Paid Media", at=dt.datetime(2024, 1, 10, tzinfo=UTC), market=Market("GB")
    )
    kept = lifecycle.authorize_seller(partner, "Paid Media", "s1", market="GB", at=on(6, 4))
    assert len(kept.authorizations) == 1
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.authorize_seller(kept, "Paid Media", "s2", market="GB", at=on(7, 1))
    assert caught.value.codes == ("authorization_closed",)


# ------------------------------------------------------------------------------------------------
# Forgiving where people type, exact where they store


@pytest.mark.parametrize(
    "spelling",
    [
        "Seller Service Partner",
        "seller_service_partner",
        "SELLER SERVICE PARTNER",
        " seller-service-partner ",
    ],
)
def test_roles_are_read_in_every_spelling_the_library_prints(spelling: str) -> None:
    partner = registered_on(dt.date(2024, 3, 1))
    chosen = lifecycle.choose_role(partner.account, spelling, at=partner.registered_at)
    assert chosen.roles == (PartnerRole.SELLER_SERVICE_PARTNER,)
    policy = Policy(role_overrides={"paid_media": PartnerRole.CREATOR_SERVICE_PARTNER.label})
    assert policy.role_of("Paid Media") is PartnerRole.CREATOR_SERVICE_PARTNER
    assert json.loads(to_json(chosen))["data"]["events"][0]["role"] == "seller_service_partner"


def test_an_unknown_role_is_quoted_with_the_closest_one() -> None:
    partner = registered_on(dt.date(2024, 3, 1))
    with pytest.raises(ValidationError) as caught:
        lifecycle.choose_role(partner.account, "Seller Servce Partner", at=partner.registered_at)
    assert "'Seller Servce Partner' is not one of" in str(caught.value)
    assert "did you mean 'seller_service_partner'?" in str(caught.value)


@given(st.sampled_from(list(ReviewStatus)), st.sampled_from(["label", "value", "upper"]))
def test_statuses_are_read_as_printed(status: ReviewStatus, form: str) -> None:
    from partner_onboarding.batch import check_rows  # noqa: PLC0415

    text = {"label": status.label, "value": status.value, "upper": status.value.upper()}[form]
    row = {
        "partner_id": "P",
        "registered_at": "2024-01-01",
        "category": "Shop Management",
        "status": text,
        "question": "Authorize Seller",
    }
    (record,) = check_rows([row], at=dt.date(2024, 5, 1))
    assert record["allowed"] is (status is APPROVED)


def test_values_store_the_canonical_members() -> None:
    stored = to_data(HOLDER)["events"]
    assert [event["kind"] for event in stored] == [
        "register",
        "submit",
        "approve",
        "submit",
        "approve",
    ]
    assert [event["subject"] for event in stored[1:4]] == ["entity", "entity", "application"]
    assert stored[0]["role"] == "seller_service_partner"
    assert stored[3]["category"] == "shop_management"


@given(entities())
def test_a_drawn_entity_goes_through_the_one_step(entity: Any) -> None:
    partner = registered_on(dt.date(2024, 3, 1))
    submitted = lifecycle.submit_entity(partner, entity, at=partner.latest)
    assert submitted.entity is not None
    assert submitted.entity.entity == entity
    assert lifecycle.allowed_events(submitted.entity, submitted) == (
        EventKind.APPROVE,
        EventKind.REJECT,
    )


# ------------------------------------------------------------------------------------------------
# What a refused document is told, word for word


def approval_that_rejects(data: dict[str, Any]) -> None:
    data["applications"][0]["history"][1]["to_status"] = "rejected"


def rejection_without_reason(data: dict[str, Any]) -> None:
    data["applications"][0]["history"][1].update(kind="reject", to_status="rejected", reasons=[])
    data["applications"][0]["status"] = "rejected"


def edit_without_its_revision(data: dict[str, Any]) -> None:
    history = data["applications"][0]["history"]
    history.append(dict(history[1], actor="partner", kind="edit", from_status="approved"))


def application_before_entity(data: dict[str, Any]) -> None:
    data["entity"]["history"][0]["at"] = "2024-01-10T00:00:01+00:00"
    data["entity"]["history"][1]["at"] = "2024-01-10T00:00:01+00:00"


WORDS = [
    (
        approving_own_application,
        "applications[0].history[1].actor: must be platform",
    ),
    (
        approval_without_submission,
        (
            "applications[0].history[0].kind: approve is not a move of an application that is "
            "not yet submitted"
        ),
    ),
    (
        edit_from_rejected_to_approved,
        "applications[0].history[2].kind: edit is not a move of an application that is rejected",
    ),
    (superseding_itself, "applications[0].supersedes: an application cannot replace itself"),
    (
        revision_without_edit,
        "applications[0].history[2].kind: no revision waits for review",
    ),
    (
        application_before_entity,
        (
            "events[1]: seq 2 (application submit) is refused: entity information must be "
            "submitted before applying for Shop Management (a service category) "
            "(rule: entity_not_submitted)"
        ),
    ),
    (approval_that_rejects, "applications[0].history[1].to_status: must be approved"),
    (rejection_without_reason, "applications[0].history[1].reasons: reject needs a reason"),
    (
        edit_without_its_revision,
        "applications[0].pending_revision: must be present while an edit waits for review",
    ),
    (
        approved_under_a_pending_entity,
        (
            "events[3]: seq 4 (application approve) is refused: a category can be approved only "
            "when the entity is approved (entity: Pending Review) (rule: entity_not_approved)"
        ),
    ),
]


@pytest.mark.parametrize(("change", "words"), WORDS, ids=[f.__name__ for f, _ in WORDS])
def test_forged_histories_are_refused_word_for_word(
    change: Callable[[dict[str, Any]], None], words: str
) -> None:
    error = refused(forge(change))
    assert words in [str(problem) for problem in error.problems], error


def test_a_chain_that_does_not_follow_is_named() -> None:
    def broken_chain(data: dict[str, Any]) -> None:
        data["applications"][0]["history"][1]["from_status"] = "rejected"

    error = refused(forge(broken_chain))
    assert "applications[0].history[1].from_status: must be pending_review" in [
        str(problem) for problem in error.problems
    ]


def test_an_unsubmitted_history_is_named_as_such() -> None:
    def reject_first(data: dict[str, Any]) -> None:
        history = data["entity"]["history"]
        history[0].update(kind="reject", actor="platform", reasons=["r"], to_status="rejected")
        del history[1:]
        data["entity"]["status"] = "rejected"

    error = refused(forge(reject_first))
    assert (
        "entity.history[0].kind: reject is not a move of an entity that is not yet submitted"
        in [str(problem) for problem in error.problems]
    )


def test_decisions_reasons_and_rules_refuse_bad_fields_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        Rule(name=" ", effective_at=dt.datetime(2024, 4, 30))  # noqa: DTZ001
    assert str(caught.value) == (
        "invalid rule: 2 problems\n  - name: must not be blank\n"
        "  - effective_at: must be time-zone aware"
    )
    with pytest.raises(ValidationError) as caught:
        Reason(code="new", message="", rule="r")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "invalid reason: 3 problems\n  - code: must be a ReasonCode\n"
        "  - message: must not be blank\n  - rule: must be a Rule"
    )
    with pytest.raises(ValidationError) as caught:
        Verdict(
            allowed="yes",  # type: ignore[arg-type]
            reasons=["r"],  # type: ignore[list-item]
            decided_by="x",  # type: ignore[arg-type]
            changes_at=dt.datetime(2024, 6, 5),  # noqa: DTZ001
        )
    assert str(caught.value) == (
        "invalid verdict: 4 problems\n  - allowed: must be true or false\n"
        "  - reasons[0]: must be a Reason\n  - decided_by: must be a Rule\n"
        "  - changes_at: must be time-zone aware"
    )
    with pytest.raises(ValidationError) as caught:
        Verdict(allowed=True, reasons=(), decided_by=Rule("x"))
    assert caught.value.fields == ("reasons",)
    with pytest.raises(ValidationError) as caught:
        Decision(
            question="register",  # type: ignore[arg-type]
            partner_id=" ",
            category="paid_media",  # type: ignore[arg-type]
            market="US",  # type: ignore[arg-type]
            at=dt.datetime(2024, 6, 5),  # noqa: DTZ001
            policy_id="policy#1",
            allowed=True,
            reasons=(),
            decided_by=Rule("x"),
        )
    assert str(caught.value) == (
        "invalid decision: 7 problems\n  - question: must be a Question\n"
        "  - partner_id: must not be blank\n  - category: must be a Category\n"
        "  - market: must be a Market\n  - at: must be time-zone aware\n"
        "  - policy_id: must be a policy id, 'policy#' and 16 hexadecimal digits\n"
        "  - reasons: must give at least one reason"
    )


def test_category_information_of_no_category_is_named() -> None:
    from partner_onboarding import CategoryInfo  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        CategoryInfo(category=5)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "invalid category information: 1 problem\n  - category: must be a Category"
    )


def test_an_event_out_of_order_is_refused_word_for_word() -> None:
    application = HOLDER.applications[0]
    first = application.history[0]
    late = attrs.evolve(first, at=first.at + dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        History([late, first])
    assert str(caught.value) == (
        "invalid history: 1 problem\n"
        f"  - [1].at: is before the previous event ({late.at.isoformat()})"
    )


# ------------------------------------------------------------------------------------------------
# Values and refusals cross process boundaries


def every_refusal() -> list[OnboardingError]:
    from partner_onboarding import errors  # noqa: PLC0415

    decision = DEFAULT_POLICY.can_register(
        registered_on(dt.date(2024, 5, 2)), "Paid Media", at=dt.date(2024, 5, 3)
    )
    return [
        errors.InvalidTransition(subject="application", status=APPROVED, event="x", allowed=()),
        errors.EntityLocked(status=APPROVED, event=EventKind.MODIFY),
        errors.EntityNotSubmitted(category="Shop Management"),
        errors.EntityNotApproved(entity_status=PENDING, category="Shop Management"),
        errors.CategoryNotInRoles(category="x", role=PartnerRole.CREATOR_SERVICE_PARTNER),
        errors.DuplicateApplication(category="x", market="US", open_id="x/US/1", status=APPROVED),
        errors.NoApprovedApplication(category="x", market="US"),
        errors.BackdatedStep(at=on(1, 1), not_before=on(1, 2), since="latest_event"),
        errors.ApplicationNotFound("x", "US"),
        errors.PolicyRefusal(decision),
        errors.ValidationError.single("a.b", "is wrong", what="thing"),
        errors.NaiveDatetime([errors.Problem("at", "must be time-zone aware")], what="instant"),
        errors.UnknownCategory("Paid Medias", ["Paid Media"]),
    ]


@pytest.mark.parametrize("error", every_refusal(), ids=lambda e: type(e).__name__)
def test_every_refusal_pickles_and_copies_with_its_facts(error: OnboardingError) -> None:
    import pickle  # noqa: PLC0415

    for twin in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error), copy.copy(error)):  # noqa: S301
        assert type(twin) is type(error)
        assert str(twin) == str(error)
        assert twin.__dict__.keys() == error.__dict__.keys()


def test_a_long_history_pickles_and_deep_copies_flat() -> None:
    import pickle  # noqa: PLC0415

    application = HOLDER.applications[0]
    at = application.history[-1].at
    for _ in range(3000):
        application = lifecycle.transition(application, "edit", at=at, info=application.info)
    for twin in (pickle.loads(pickle.dumps(application)), copy.deepcopy(application)):  # noqa: S301
        assert twin == application
        assert len(twin.history) == 3002
    partner = attrs.evolve(HOLDER)
    assert pickle.loads(pickle.dumps(partner)) == partner  # noqa: S301
    assert pickle.loads(pickle.dumps(partner)).latest == partner.latest  # noqa: S301


def test_without_a_policy_a_seller_authorisation_still_needs_an_approved_application() -> None:
    from partner_onboarding.errors import NoApprovedApplication  # noqa: PLC0415

    pending = lifecycle.apply(
        HOLDER, "LIVE Management", sample_info("LIVE Management"), at=HOLDER.latest
    )
    with pytest.raises(NoApprovedApplication) as caught:
        lifecycle.authorize_seller(pending, "LIVE Management", "s1", at=HOLDER.latest, policy=None)
    assert (caught.value.category, caught.value.market) == ("LIVE Management", "US")
    with pytest.raises(NoApprovedApplication):  # approved in the US, not in GB
        lifecycle.authorize_seller(
            HOLDER, "Shop Management", "s1", market="GB", at=HOLDER.latest, policy=None
        )
    held = lifecycle.authorize_seller(
        HOLDER, "Shop Management", "s1", at=HOLDER.latest, policy=None
    )
    assert [a.seller_id for a in held.authorizations] == ["s1"]


def test_a_seller_authorisation_refuses_bad_fields_word_for_word() -> None:

    with pytest.raises(ValidationError) as caught:
        SellerAuthorization(
            seller_id="x" * 201,
            category="Shop Management",  # type: ignore[arg-type]
            market="US",  # type: ignore[arg-type]
            at=dt.datetime(2024, 1, 1),  # noqa: DTZ001
        )
    assert str(caught.value) == (
        "invalid seller authorisation: 4 problems\n"
        "  - seller_id: must be at most 200 characters\n"
        "  - category: must be a Category\n"
        "  - market: must be a Market\n"
        "  - at: must be time-zone aware"
    )
    ok = SellerAuthorization(
        seller_id="x" * 200,
        category=DEFAULT_CATALOG.category("Shop Management"),
        market=Market.US,
        at=on(1, 1),
    )
    assert ok.key == ("x" * 200, "shop_management", "US")


# ------------------------------------------------------------------------------------------------
# Edges mutation testing found unread


def test_an_approved_application_without_any_entity_is_refused_as_data() -> None:
    partner = approved_partner("Shop Management", at=dt.datetime(2024, 3, 1, tzinfo=UTC))
    events = [e for e in partner.events if e.subject is not Subject.ENTITY]
    renumbered = [attrs.evolve(e, seq=seq) for seq, e in enumerate(events, start=1)]
    with pytest.raises(ValidationError) as caught:
        Partner(renumbered)
    assert caught.value.fields == ("events[1]",)
    assert "rule: entity_not_submitted" in str(caught.value)


def test_apply_refusal_reads_the_market_asked_about() -> None:
    at = dt.datetime(2024, 3, 1, tzinfo=UTC)
    partner = approved_partner("Shop Management", at=at)
    later = at + dt.timedelta(hours=1)
    assert isinstance(
        lifecycle.apply_refusal(partner, "Shop Management", at=later), DuplicateApplication
    )
    assert lifecycle.apply_refusal(partner, "Shop Management", market="GB", at=later) is None


def test_decisions_keep_their_reasons_as_a_tuple_and_refuse_none_in_words() -> None:
    rule = Rule("current_structure")
    reason = Reason(ReasonCode.CURRENT_CATEGORY, "a category of the current structure", rule)
    assert Verdict(allowed=True, reasons=[reason], decided_by=rule).reasons == (reason,)
    with pytest.raises(ValidationError) as caught:
        Verdict(allowed=True, reasons=(), decided_by=rule)
    assert str(caught.value) == (
        "invalid verdict: 1 problem\n  - reasons: must give at least one reason"
    )
    assert Rule("x" * 100).name == "x" * 100
    with pytest.raises(ValidationError, match="name: must be at most 100 characters"):
        Rule("x" * 101)
    assert Reason(ReasonCode.CURRENT_CATEGORY, "m" * 500, rule).message == "m" * 500
    with pytest.raises(ValidationError, match="message: must be at most 500 characters"):
        Reason(ReasonCode.CURRENT_CATEGORY, "m" * 501, rule)


def test_every_bad_role_override_is_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(zone="Nowhere/Else", role_overrides={"paid_media": "nope", "mass_tutoring": "nah"})
    assert caught.value.fields == (
        "zone",
        "role_overrides.paid_media",
        "role_overrides.mass_tutoring",
    )


def test_a_reason_s_message_is_bounded_at_500_characters() -> None:
    from partner_onboarding.policy import Reason, ReasonCode, Rule  # noqa: PLC0415

    rule = Rule(name="r", effective_at=dt.datetime(2024, 4, 30, tzinfo=UTC))
    code = next(iter(ReasonCode))
    assert Reason(code=code, message="m" * 500, rule=rule).message == "m" * 500
    with pytest.raises(ValidationError) as caught:
        Reason(code=code, message="m" * 501, rule=rule)
    assert caught.value.fields == ("message",)
