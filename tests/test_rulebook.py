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

from _refusals import assert_refused
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
from partner_onboarding.policy import Decision, Reason, ReasonCode, Rule
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
def test_the_constructor_accepts_and_equals_what_the_private_builders_built(
    partner: Partner,
) -> None:
    rebuilt = Partner(**fields_of(partner))
    assert rebuilt == partner
    assert rebuilt.latest == partner.latest
    assert rebuilt.open_applications() == partner.open_applications()
    for application in partner.applications:
        assert Application(**fields_of(application)) == application


# ------------------------------------------------------------------------------------------------
# Forged documents: what another program may write


def document(partner: Partner) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_json(partner))
    return data


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
    (authorisation_without_application, "authorizations[0]"),
    (role_before_the_account, "roles_granted[0].at"),
    (category_of_a_role_never_chosen, "applications[0].category"),
    (approved_under_a_pending_entity, "applications[0].history[1]"),
    (two_open_applications, "applications[1]"),
    (authorised_before_approval, "authorizations[0]"),
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
    doc = to_data(partner)
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
    # An application in a category of a role the partner never chose.
    creator = PartnerRole.CREATOR_SERVICE_PARTNER
    grant = attrs.evolve(HOLDER.roles_granted[0], role=creator)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(HOLDER, roles_granted=(grant,))
    assert caught.value.fields == ("applications[0].category",)
    # An Approved application under an entity still Pending Review.
    assert HOLDER.entity is not None
    pending = EntityReview(
        entity=HOLDER.entity.entity, status=PENDING, history=HOLDER.entity.history[:1]
    )
    with pytest.raises(ValidationError) as caught:
        Partner(**{**fields_of(HOLDER), "entity": pending})
    assert caught.value.fields == ("applications[0].history[1]",)


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
    assert (
        json.loads(to_json(chosen))["data"]["roles_granted"][0]["role"] == "seller_service_partner"
    )


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
    stored = to_data(HOLDER)
    assert stored["entity"]["status"] == "approved"
    assert stored["applications"][0]["history"][0]["kind"] == "submit"
    assert stored["roles_granted"][0]["role"] == "seller_service_partner"


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
        "applications[0].history[0]: is before the entity information was submitted",
    ),
    (approval_that_rejects, "applications[0].history[1].to_status: must be approved"),
    (rejection_without_reason, "applications[0].history[1].reasons: reject needs a reason"),
    (
        edit_without_its_revision,
        "applications[0].pending_revision: must be present while an edit waits for review",
    ),
    (
        approved_under_a_pending_entity,
        "applications[0].history[1]: approves a category while the entity is pending_review",
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
    from partner_onboarding.policy import Decision, Reason, Rule  # noqa: PLC0415

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
        Decision(
            allowed="yes",  # type: ignore[arg-type]
            reasons=["r"],  # type: ignore[list-item]
            decided_by="x",  # type: ignore[arg-type]
            changes_at=dt.datetime(2024, 6, 5),  # noqa: DTZ001
        )
    assert str(caught.value) == (
        "invalid decision: 4 problems\n  - allowed: must be true or false\n"
        "  - reasons[0]: must be a Reason\n  - decided_by: must be a Rule\n"
        "  - changes_at: must be time-zone aware"
    )
    with pytest.raises(ValidationError) as caught:
        Decision(allowed=True, reasons=(), decided_by=Rule("x"))
    assert caught.value.fields == ("reasons",)


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
    from partner_onboarding.model import SellerAuthorization  # noqa: PLC0415

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
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(partner, entity=None)
    assert (
        "applications[0].history[1]: approves a category while the entity is not yet submitted"
        in (str(caught.value))
    )


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
    assert Decision(allowed=True, reasons=[reason], decided_by=rule).reasons == (reason,)
    with pytest.raises(ValidationError) as caught:
        Decision(allowed=True, reasons=(), decided_by=rule)
    assert (
        str(caught.value)
        == "invalid decision: 1 problem\n  - reasons: must give at least one reason"
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


# ------------------------------------------------------------------------------------------------
# A partner's story, built by its constructor: what is wrong, word for word and nothing else

_DAY, _HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)
_T = dt.datetime(2024, 1, 10, tzinfo=UTC)
TWO_ROLES = approved_partner(
    "Shop Management", "Creator Management", at=_T, registered_at=_T - _DAY
)


def _at(value: Any, instant: dt.datetime) -> Any:
    return attrs.evolve(value, at=instant)


def _authorized(category: Any, at: dt.datetime) -> SellerAuthorization:
    return SellerAuthorization(seller_id="seller-1", category=category, market=Market.US, at=at)


def _story_changes() -> list[tuple[str, dict[str, Any], list[tuple[str, str]]]]:
    from _catalogs import CUSTOM  # noqa: PLC0415

    partner = TWO_ROLES
    first, second = partner.roles_granted
    entity = partner.entity
    assert entity is not None
    shop, creator = partner.applications
    custom_shop = CUSTOM.category("shop_management")
    early = History([_at(event, _T - 2 * _HOUR) for event in entity.history])
    return [
        (
            "a role chosen before the account existed",
            {"roles_granted": (_at(first, _T - 2 * _DAY), second)},
            [("roles_granted[0].at", "is before the account's registration")],
        ),
        (
            "a role chosen before the previous one",
            {"roles_granted": (first, _at(second, _T - _HOUR))},
            [("roles_granted[1].at", "is before the previous role")],
        ),
        (
            "an entity submitted before any role",
            {"entity": attrs.evolve(entity, history=early)},
            [("entity.history[0].at", "is before the partner chose its first role")],
        ),
        (
            "an application submitted before its role was chosen",
            {"roles_granted": (first, _at(second, _T + _HOUR))},
            [("applications[1].history[0].at", "is before the role Creator Service Partner")],
        ),
        (
            "an application in a role never chosen",
            {"roles_granted": (first,)},
            [
                (
                    "applications[1].category",
                    (
                        "Creator Management belongs to the role Creator Service Partner, which "
                        "the partner has not chosen"
                    ),
                )
            ],
        ),
        (
            "applications of two catalogs",
            {
                "applications": (
                    attrs.evolve(
                        shop,
                        category=custom_shop,
                        info=attrs.evolve(shop.info, category=custom_shop),
                    ),
                    creator,
                )
            },
            [("applications", "mixes categories of different catalogs")],
        ),
        (
            "an authorisation of another catalog",
            {"authorizations": (_authorized(custom_shop, _T + _DAY),)},
            [("applications", "mixes categories of different catalogs")],
        ),
        (
            "an authorisation before its approval",
            {"authorizations": (_authorized(shop.category, _T - _HOUR),)},
            [
                (
                    "authorizations[0]",
                    (
                        "needs an application in Shop Management in US approved at "
                        "2024-01-09T23:00:00+00:00"
                    ),
                )
            ],
        ),
    ]


STORY_CHANGES = _story_changes()


@pytest.mark.parametrize(
    ("changes", "problems"),
    [(changes, problems) for _, changes, problems in STORY_CHANGES],
    ids=[name for name, _, _ in STORY_CHANGES],
)
def test_a_partner_whose_story_does_not_hold_is_told_what_and_nothing_else(
    changes: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    assert_refused(TWO_ROLES, changes, "partner", problems)


def test_the_same_story_told_in_order_is_accepted() -> None:
    first, second = TWO_ROLES.roles_granted
    held = attrs.evolve(
        TWO_ROLES,
        roles_granted=(_at(first, _T - _DAY), _at(second, _T - _DAY)),  # at the registration
        authorizations=(_authorized(TWO_ROLES.applications[0].category, _T),),  # at approval
    )
    assert held.roles_granted[0].at == held.account.registered_at


def _upgraded() -> Partner:
    """Two applications under review when the upgrade ran: both rejected by it, both replaced."""
    policy = DEFAULT_POLICY
    partner = lifecycle.choose_role(TWO_ROLES.account, "seller_service_partner", at=_T)
    partner = lifecycle.submit_entity(partner, sample_entity(), at=_T + _HOUR)
    for category in ("shop_management", "live_management"):
        partner = lifecycle.apply(partner, category, sample_info(category), at=_T + 2 * _HOUR)
    return lifecycle.upgrade(partner, at=policy.upgrade_at)


def _partner_changes() -> list[tuple[str, Partner, dict[str, Any], list[tuple[str, str]]]]:
    partner = TWO_ROLES
    first, second = partner.roles_granted
    shop, creator = partner.applications
    granted = SellerAuthorization(seller_id="s1", category=shop.category, market=Market.US, at=_T)
    upgraded = _upgraded()
    old_shop, old_live, new_shop, new_live = upgraded.applications
    early = History(
        [
            _at(event, DEFAULT_POLICY.upgrade_at - dt.timedelta(seconds=1))
            for event in new_shop.history
        ]
    )
    return [
        ("account", partner, {"account": "ops"}, [("account", "must be an Account")]),
        (
            "market",
            partner,
            {"registration_market": "US"},
            [("registration_market", "must be a Market")],
        ),
        ("agency", partner, {"agency_type": 1}, [("agency_type", "must be an AgencyType")]),
        ("entity", partner, {"entity": "x"}, [("entity", "must be an EntityReview")]),
        (
            "no role",
            partner,
            {"roles_granted": ()},
            [("roles_granted", "must hold at least one role")],
        ),
        (
            "roles",
            partner,
            {"roles_granted": 5},
            [("roles_granted", "must hold at least one role")],
        ),
        (
            "a role that is not one",
            partner,
            {"roles_granted": (first, "x")},
            [("roles_granted[1]", "must be a RoleGrant")],
        ),
        (
            "a role twice",
            partner,
            {"roles_granted": (first, second, first)},
            [("roles_granted[2]", "repeats Seller Service Partner")],
        ),
        (
            "a role that is not one, then a role twice",
            partner,
            {"roles_granted": ("x", first, first)},
            [
                ("roles_granted[0]", "must be a RoleGrant"),
                ("roles_granted[2]", "repeats Seller Service Partner"),
            ],
        ),
        (
            "applications",
            partner,
            {"applications": 5},
            [("applications", "must be a list of applications")],
        ),
        (
            "an application that is not one",
            partner,
            {"applications": (shop, "x")},
            [("applications[1]", "must be an Application")],
        ),
        (
            "an id twice",
            partner,
            {"applications": (shop, attrs.evolve(creator, id=shop.id))},
            [("applications[1].id", "repeats id 'shop_management/US/1'")],
        ),
        (
            "two open applications of one category and market",
            partner,
            {"applications": (shop, attrs.evolve(shop, id="other"))},
            [("applications[1]", "a second open application beside 'shop_management/US/1'")],
        ),
        (
            "authorisations",
            partner,
            {"authorizations": 5},
            [("authorizations", "must be a list of seller authorisations")],
        ),
        (
            "an authorisation that is not one",
            partner,
            {"authorizations": (granted, "x")},
            [("authorizations[1]", "must be a SellerAuthorization")],
        ),
        (
            "an authorisation twice",
            partner,
            {"authorizations": (granted, granted)},
            [("authorizations[1]", "repeats an authorisation")],
        ),
        (
            "a replacement of nothing",
            upgraded,
            {
                "applications": (
                    old_shop,
                    old_live,
                    new_shop,
                    attrs.evolve(new_live, supersedes="x"),
                )
            },
            [
                ("applications[3].supersedes", "names no application"),
                ("applications[3]", "a second open application beside 'live_management/US/1'"),
            ],
        ),
        (
            "one application replaced twice",
            upgraded,
            {"applications": (old_shop, new_shop, attrs.evolve(new_live, supersedes=old_shop.id))},
            [
                (
                    "applications[2].supersedes",
                    "'shop_management/US/1' is already replaced by another application",
                ),
                (
                    "applications[2].supersedes",
                    "must name an application of the same category and market",
                ),
            ],
        ),
        (
            "a replacement of what the upgrade did not reject",
            upgraded,
            {"applications": (old_live, new_live, attrs.evolve(new_shop, supersedes=new_live.id))},
            [
                (
                    "applications[2].supersedes",
                    "must name an application of the same category and market",
                ),
                (
                    "applications[2].supersedes",
                    "'live_management/US/2' was not rejected by the upgrade",
                ),
            ],
        ),
        (
            "a replacement before the rejection",
            upgraded,
            {
                "applications": (
                    old_shop,
                    old_live,
                    attrs.evolve(new_shop, history=early),
                    new_live,
                )
            },
            [
                (
                    "applications[2].supersedes",
                    "is generated before 'shop_management/US/1' was rejected",
                )
            ],
        ),
        (
            "a rejection by the upgrade with no replacement",
            upgraded,
            {"applications": (old_shop, old_live, new_shop)},
            [("applications[1]", "rejected by the upgrade but replaced by nothing")],
        ),
    ]


PARTNER_CHANGES = _partner_changes()


@pytest.mark.parametrize(
    ("partner", "changes", "problems"),
    [(partner, changes, problems) for _, partner, changes, problems in PARTNER_CHANGES],
    ids=[name for name, _, _, _ in PARTNER_CHANGES],
)
def test_a_partner_names_what_is_wrong_and_nothing_else(
    partner: Partner, changes: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    assert_refused(partner, changes, "partner", problems)


def test_a_reason_s_message_is_bounded_at_500_characters() -> None:
    from partner_onboarding.policy import Reason, ReasonCode, Rule  # noqa: PLC0415

    rule = Rule(name="r", effective_at=dt.datetime(2024, 4, 30, tzinfo=UTC))
    code = next(iter(ReasonCode))
    assert Reason(code=code, message="m" * 500, rule=rule).message == "m" * 500
    with pytest.raises(ValidationError) as caught:
        Reason(code=code, message="m" * 501, rule=rule)
    assert caught.value.fields == ("message",)
