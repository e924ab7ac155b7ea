"""A partner is its events: one fold for operations, loading and the constructor; revisions,
the outbox, and the forged documents that a state stored beside its history let through."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _catalogs import CUSTOM
from partner_onboarding import (
    DEFAULT_CATALOG,
    DEFAULT_POLICY,
    Catalog,
    Market,
    PartnerRole,
    Policy,
    Question,
    ValidationError,
    from_json,
    lifecycle,
    to_json,
)
from partner_onboarding.errors import PolicyRefusal, StaleRevision, WrongType
from partner_onboarding.model import (
    Actor,
    CategoryInfo,
    EventKind,
    Partner,
    PartnerEvent,
    ReviewStatus,
    Subject,
    content_digest,
)
from partner_onboarding.testing import (
    approved_partner,
    partners,
    sample_entity,
    sample_info,
)

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 10, tzinfo=UTC)
TICK = dt.timedelta(microseconds=1)
HOLDER = approved_partner("Shop Management", at=T0)


def document(partner: Partner) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_json(partner))
    return data


def refused(doc: dict[str, Any], **options: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(doc), Partner, **options)
    return caught.value


# ------------------------------------------------------------------------------------------------
# The forged documents of a state stored beside its history


def test_approved_entity_information_cannot_change_without_an_event() -> None:
    doc = document(HOLDER)
    submitted = doc["data"]["events"][1]
    assert submitted["kind"] == "submit"
    submitted["entity"]["legal_name"] = "Someone Else LLC"
    error = refused(doc)
    assert error.fields == ("events[2].approves",)
    doc = document(HOLDER)
    doc["data"]["events"][1]["entity"]["ein"] = "04-2103595"
    assert refused(doc).fields == ("events[2].approves",)


def test_approved_category_information_cannot_be_swapped() -> None:
    doc = document(HOLDER)
    doc["data"]["events"][3]["info"]["team_size"] = 999
    assert refused(doc).fields == ("events[4].approves",)


def test_application_ids_come_from_the_events_and_never_collide() -> None:
    partner = lifecycle.apply(HOLDER, "LIVE Management", sample_info("LIVE Management"), at=T0)
    partner = lifecycle.apply(
        partner, "Shop Management", sample_info("Shop Management"), market="GB", at=T0
    )
    ids = [a.id for a in partner.applications]
    assert ids == ["shop_management/US/4", "live_management/US/6", "shop_management/GB/7"]
    assert "id" not in keys_within(document(partner)["data"]["events"])  # (no stored id)


def keys_within(value: object) -> set[str]:
    """Every key of every JSON object within ``value``."""
    if isinstance(value, dict):
        return set(value).union(*(keys_within(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_within(item) for item in value))
    return set()


@given(partners(max_steps=16))
def test_ids_are_unique_and_name_the_event_that_made_each_application(partner: Partner) -> None:
    ids = [a.id for a in partner.applications]
    assert len(ids) == len(set(ids))
    for application in partner.applications:
        seq = int(application.id.rsplit("/", 1)[1])
        event = partner.events[seq - 1]
        assert (event.category, event.market) == (application.category, application.market)


def test_a_revision_of_another_category_is_refused() -> None:
    doc = document(HOLDER)
    edit = dict(doc["data"]["events"][3], seq=6, kind="edit", at="2024-01-11T00:00:00+00:00")
    edit["info"] = dict(edit["info"], category="paid_media")
    doc["data"]["events"].append(edit)
    doc["data"]["revision"] = 6
    assert refused(doc).fields == ("events[5].info.category",)
    with pytest.raises(ValidationError):
        lifecycle.edit(HOLDER, "Shop Management", sample_info("Paid Media"), at=T0)


def test_operations_do_not_mix_catalogs() -> None:
    info = CategoryInfo(
        category=CUSTOM.category("LIVE Coaching"), service_description="c", team_size=2
    )
    with pytest.raises(ValidationError) as caught:
        lifecycle.apply(HOLDER, "LIVE Coaching", info, at=T0, catalog=CUSTOM, policy=None)
    assert str(caught.value) == (
        f"invalid value: 1 problem\n  - catalog: is {CUSTOM.id!r}; the partner's categories are "
        f"of {HOLDER.catalog_id!r} (a partner has one catalog)"
    )
    with pytest.raises(ValidationError) as caught:
        lifecycle.apply(HOLDER, "LIVE Coaching", info, at=T0, catalog=cast("Any", "acme"))
    assert str(caught.value) == "invalid value: 1 problem\n  - catalog: must be a Catalog"
    named_alike = attrs.evolve(CUSTOM, name="partner-center-us", version="2024.04")
    assert named_alike.id != HOLDER.catalog_id
    with pytest.raises(ValidationError):
        from_json(to_json(HOLDER), Partner, catalog=named_alike)


def test_stored_documents_meet_the_policy() -> None:
    new = approved_partner("Paid Media", at=dt.datetime(2024, 5, 2, tzinfo=UTC), policy=None)
    doc = document(new)
    error = refused(doc)
    assert error.fields == ("events[3]",)
    assert "policy rule: new_partner_registration" in str(error)
    assert from_json(json.dumps(doc), Partner, policy=None) == new
    late = dt.datetime(2024, 6, 6, tzinfo=UTC)
    existing = approved_partner("Paid Media", at=T0)
    held = lifecycle.authorize_seller(existing, "Paid Media", "s1", at=T0, policy=None)
    doc = document(held)
    doc["data"]["events"][-1]["at"] = late.isoformat()
    assert "policy rule: new_seller_authorization" in str(refused(doc))


def test_the_constructor_and_evolve_name_no_state() -> None:
    for name in ("entity", "account", "applications", "registration_market", "partner_id"):
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(HOLDER, **{name: None})  # type: ignore[arg-type]
        assert caught.value.fields == (name,)
    assert attrs.evolve(HOLDER) == HOLDER


# ------------------------------------------------------------------------------------------------
# Every mutation of a valid event stream


def _mutations(partner: Partner) -> st.SearchStrategy[tuple[str, list[PartnerEvent]]]:
    events = list(partner.events)
    n = len(events)
    later = partner.latest + dt.timedelta(days=400)

    def drop(i: int) -> list[PartnerEvent]:
        return events[:i] + events[i + 1 :]

    def repeat(i: int) -> list[PartnerEvent]:
        return [*events[: i + 1], events[i], *events[i + 1 :]]

    def swap(i: int) -> list[PartnerEvent]:
        j = (i + 1) % n
        out = list(events)
        out[i], out[j] = out[j], out[i]
        return out

    def redate(i: int) -> list[PartnerEvent]:
        before = events[i].at - dt.timedelta(days=400)
        return [*events[:i], attrs.evolve(events[i], at=before), *events[i + 1 :]]

    def reattribute(i: int) -> list[PartnerEvent]:
        others = [a for a in Actor if a is not events[i].actor]
        return [*events[:i], attrs.evolve(events[i], actor=others[0]), *events[i + 1 :]]

    def resequence(i: int) -> list[PartnerEvent]:
        return [*events[:i], attrs.evolve(events[i], seq=events[i].seq + 1), *events[i + 1 :]]

    del later
    kinds = {
        "drop": drop,
        "repeat": repeat,
        "swap": swap,
        "redate": redate,
        "reattribute": reattribute,
        "resequence": resequence,
    }
    return st.tuples(st.sampled_from(sorted(kinds)), st.integers(0, n - 1)).map(
        lambda pick: (pick[0], kinds[pick[0]](pick[1]))
    )


@given(partners(max_steps=12), st.data())
def test_a_mutated_event_stream_is_refused_naming_the_event(
    partner: Partner, data: st.DataObject
) -> None:
    name, events = data.draw(_mutations(partner))
    if name == "drop" and events and events == list(partner.events[:-1]):
        assert Partner(events, policy=None).revision == partner.revision - 1  # a prefix
        return
    if name == "swap" and len(partner.events) == 1:
        return  # (one event swapped with itself)
    with pytest.raises(ValidationError) as caught:
        Partner(events, policy=None)
    assert caught.value.fields
    assert all(path.startswith("events") for path in caught.value.fields), caught.value


def _replay_refusal(events: object) -> str:
    """What replaying ``events`` is refused with."""
    with pytest.raises(ValidationError) as caught:
        Partner(events)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        ("abc", "events: must be a list of events"),
        (b"abc", "events: must be a list of events"),
        ({"seq": 1}, "events: must be a list of events"),
        (5, "events: must be a list of events"),
        ([], "events: must hold at least the registration"),
        (["x"], "events[0]: must be a PartnerEvent"),
        ((HOLDER.events[0], HOLDER.events[1].seq), "events[1]: must be a PartnerEvent"),
    ],
)
def test_what_is_no_list_of_events_is_refused_word_for_word(events: Any, problem: str) -> None:
    assert _replay_refusal(events) == f"invalid partner: 1 problem\n  - {problem}"


def _coaching() -> Partner:
    """A partner of the tests' own catalog, which the default policy's catalog does not hold."""
    info = CategoryInfo(
        category=CUSTOM.category("LIVE Coaching"), service_description="c", team_size=2
    )
    custom = Policy(catalog=CUSTOM)
    return lifecycle.apply(
        approved_partner(at=T0), "LIVE Coaching", info, at=T0, catalog=CUSTOM, policy=custom
    )


def _discontinued() -> Partner:
    return approved_partner("Paid Media", at=dt.datetime(2024, 5, 2, tzinfo=UTC), policy=None)


def _moved(events: tuple[PartnerEvent, ...], *order: int) -> list[PartnerEvent]:
    """The events at ``order``, renumbered from 1."""
    return [attrs.evolve(events[index], seq=seq) for seq, index in enumerate(order, 1)]


_FIRST = HOLDER.events


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (
            [*_FIRST[:4], attrs.evolve(_FIRST[4], actor=Actor.PARTNER)],
            "events[4].actor: approve is caused by the platform",
        ),
        (
            [*_FIRST[:4], attrs.evolve(_FIRST[4], partner_id="acme-2")],
            f"events[4].partner_id: must be {HOLDER.partner_id!r}, the partner's own",
        ),
        (
            [*_FIRST[:4], attrs.evolve(_FIRST[4], seq=7)],
            "events[4].seq: must be 5: a partner's events are numbered 1, 2, 3… in order",
        ),
        (
            [*_FIRST[:4], attrs.evolve(_FIRST[0], seq=5)],
            "events[4].kind: a partner's first event is its registration, and it registers once",
        ),
        (
            [
                *_FIRST,
                attrs.evolve(
                    lifecycle.add_role(HOLDER, "creator_service_partner", at=T0).events[-1],
                    role=PartnerRole.SELLER_SERVICE_PARTNER,
                ),
            ],
            "events[5].role: the partner already has Seller Service Partner",
        ),
        (
            [attrs.evolve(_FIRST[1], seq=1)],
            "events[0].kind: a partner's first event is its registration, and it registers once",
        ),
        (
            [attrs.evolve(_FIRST[0], at=T0 - TICK), *_FIRST[1:]],
            (
                "events[0].at: 2024-01-09T23:59:59.999999+00:00 is before the account's "
                "registration (2024-01-10T00:00:00+00:00)"
            ),
        ),
    ],
)
def test_a_forged_event_is_refused_word_for_word(events: list[PartnerEvent], problem: str) -> None:
    assert _replay_refusal(events) == f"invalid partner: 1 problem\n  - {problem}"


def test_an_event_from_elsewhere_meets_the_policy_given() -> None:
    discontinued = _discontinued()
    before, submission = Partner(discontinued.events[:3], policy=None), discontinued.events[3]
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.apply_event(before, submission)
    assert caught.value.codes == ("new_partner_discontinued",)
    applied = lifecycle.apply_event(before, submission, policy=None)
    assert applied.events[-1] == submission


def test_stored_events_are_replayed_under_the_policy_named() -> None:
    discontinued = _discontinued()
    with pytest.raises(ValidationError) as caught:
        Partner(discontinued.events, policy=DEFAULT_POLICY)
    assert caught.value.fields == ("events[3]",)
    assert Partner(discontinued.events, policy=None) == discontinued


def test_a_repeated_seller_authorisation_is_refused_on_replay() -> None:
    partner = approved_partner("Paid Media", at=T0)
    authorized = lifecycle.authorize_seller(partner, "Paid Media", "S-1", at=T0)
    again = attrs.evolve(authorized.events[-1], seq=authorized.revision + 1)
    with pytest.raises(ValidationError) as caught:
        Partner([*authorized.events, again])
    assert str(caught.value) == (
        "invalid partner: 1 problem\n"
        "  - events[6].seller_id: repeats an authorisation the partner holds"
    )
    # (the operation keeps an authorisation held as it is, with no event)
    assert lifecycle.authorize_seller(authorized, "Paid Media", "S-1", at=T0) is authorized


def test_a_refusal_of_the_policy_carries_what_was_asked() -> None:
    partner = approved_partner("Paid Media", at=T0, market="GB", agency_type="Cross Border")
    late = dt.datetime(2024, 7, 1, tzinfo=UTC)
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.authorize_seller(partner, "Paid Media", "S-1", market="GB", at=late)
    decision = caught.value.decision
    assert (
        decision.question,
        decision.partner_id,
        decision.category.code,
        decision.market,
        decision.at,
    ) == (
        Question.AUTHORIZE_SELLER,
        partner.partner_id,
        "paid_media",
        Market("GB"),
        late,
    )


def _upgraded() -> Partner:
    """Under review since before the upgrade took effect, rejected by it the instant it did."""
    pending = lifecycle.apply(
        approved_partner(at=T0), "Shop Management", sample_info("Shop Management"), at=T0
    )
    upgraded = lifecycle.upgrade(pending, at=DEFAULT_POLICY.upgrade_at)
    assert upgraded.events[-1].kind is EventKind.SYSTEM_REJECT
    return upgraded


def test_the_upgrade_s_rejection_replays_from_the_instant_it_takes_effect() -> None:
    upgraded = _upgraded()
    assert upgraded.events[-1].at == DEFAULT_POLICY.upgrade_at
    assert Partner(upgraded.events) == upgraded


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (
            lambda: [
                *_upgraded().events[:4],
                attrs.evolve(_upgraded().events[4], at=DEFAULT_POLICY.upgrade_at - TICK),
            ],
            "events[4].at: the upgrade migration runs from 2024-04-30T00:00:00-07:00",
        ),
        (
            lambda: [
                *_upgraded().events[:3],
                attrs.evolve(_upgraded().events[3], at=DEFAULT_POLICY.upgrade_at),
                _upgraded().events[4],
            ],
            (
                "events[4].kind: the upgrade rejects only applications under review since before "
                "it took effect"
            ),
        ),
        (
            lambda: [*HOLDER.events, attrs.evolve(_upgraded().events[4], seq=6)],
            (
                "events[5]: seq 6 (application system_reject) is refused: cannot system_reject an "
                "application that is Approved; allowed: edit (rule: transition_table)"
            ),
        ),
    ],
)
def test_a_forged_rejection_by_the_upgrade_is_refused_word_for_word(
    events: Callable[[], list[PartnerEvent]], problem: str
) -> None:
    assert _replay_refusal(events()) == f"invalid partner: 1 problem\n  - {problem}"


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (
            lambda: _moved(HOLDER.events, 0, 1, 2, 3, 4, 4),
            (
                "events[5]: seq 6 (application approve) is refused: cannot approve an application "
                "that is Approved; allowed: edit (rule: transition_table)"
            ),
        ),
        (
            lambda: _moved(HOLDER.events, 0, 1, 2, 4),
            (
                "events[3]: seq 4 (application approve) is refused: no open application for "
                "shop_management in market US (rule: open_application_required)"
            ),
        ),
        (
            lambda: _moved(HOLDER.events, 0, 3),
            (
                "events[1]: seq 2 (application submit) is refused: entity information must be "
                "submitted before applying for Shop Management (a service category) "
                "(rule: entity_not_submitted)"
            ),
        ),
        (
            lambda: _coaching().events,
            (
                "events[3]: seq 4 (application submit) is refused: unknown service category "
                "'live_coaching' (rule: policy_catalog)"
            ),
        ),
        (  # (a refusal of the policy names its rule itself)
            lambda: _discontinued().events,
            (
                "events[3]: seq 4 (application submit) is refused: new partners cannot "
                "register for a discontinued category from 2024-04-30T00:00-07:00 "
                "(policy rule: new_partner_registration)"
            ),
        ),
    ],
)
def test_an_event_the_rules_refuse_is_named_with_its_rule(
    events: Callable[[], list[PartnerEvent]], problem: str
) -> None:
    assert _replay_refusal(events()) == f"invalid partner: 1 problem\n  - {problem}"


# ------------------------------------------------------------------------------------------------
# Revisions, the outbox, events out


def test_revision_counts_events_and_a_stale_write_is_refused() -> None:
    reviewer_a = HOLDER
    reviewer_b = HOLDER
    revision = HOLDER.revision
    edited = lifecycle.edit(
        reviewer_a, "Shop Management", sample_info("Shop Management"), at=T0,
        expected_revision=revision,
    )  # fmt: skip
    assert edited.revision == revision + 1
    assert edited.events_since(revision) == (edited.events[-1],)
    assert edited.events_since(revision)[0].event_id == f"{HOLDER.partner_id}/{revision + 1}"
    with pytest.raises(StaleRevision) as caught:
        lifecycle.reject(edited, "Shop Management", ["late"], at=T0, expected_revision=revision)
    assert (caught.value.expected, caught.value.actual) == (revision, revision + 1)
    # B works from the same stored revision; its write is refused against A's saved partner.
    with pytest.raises(StaleRevision):
        lifecycle.apply_event(
            edited,
            attrs.evolve(edited.events[-1], seq=revision + 1),
            expected_revision=reviewer_b.revision,
        )
    with pytest.raises(ValidationError) as refused:
        HOLDER.events_since(HOLDER.revision + 1)
    assert type(refused.value) is ValidationError  # (a whole number out of range: no WrongType)
    assert str(refused.value) == (
        f"invalid partner: 1 problem\n  - revision: must be a whole number from 0 to "
        f"{HOLDER.revision}"
    )
    with pytest.raises(WrongType) as wrong:
        HOLDER.events_since(cast("Any", "3"))
    assert wrong.value.fields == ("revision",)


def test_an_event_received_from_elsewhere_is_applied_by_the_same_step() -> None:
    rejected = lifecycle.reject_entity(
        lifecycle.submit_entity(
            lifecycle.choose_role(HOLDER.account, "seller_service_partner", at=T0),
            sample_entity(),
            at=T0,
        ),
        ["blurred"],
        at=T0,
    )
    event = rejected.events[-1]
    assert (event.subject, event.kind, event.actor, event.reasons) == (
        Subject.ENTITY,
        EventKind.REJECT,
        Actor.PLATFORM,
        ("blurred",),
    )
    before = rejected.events[:-1]
    again = lifecycle.apply_event(Partner(before), event)
    assert again == rejected
    approval = attrs.evolve(event, kind=EventKind.APPROVE, reasons=(), approves="0" * 64)
    with pytest.raises(ValidationError) as caught:
        lifecycle.apply_event(Partner(before), attrs.evolve(approval, actor=Actor.PLATFORM))
    assert str(caught.value) == (
        "invalid value: 1 problem\n  - approves: is not the digest of the entity information "
        "submitted: an approval pins exactly what it approves"
    )


@pytest.mark.parametrize(
    ("approved", "what"),
    [
        (lambda: HOLDER, "the category information submitted"),
        (
            lambda: lifecycle.approve_revision(
                lifecycle.edit(HOLDER, "Shop Management", sample_info("Shop Management"), at=T0),
                "Shop Management",
                at=T0,
            ),
            "the revision proposed",
        ),
    ],
)
def test_an_approval_of_something_else_is_refused_on_replay(
    approved: Callable[[], Partner], what: str
) -> None:
    events = approved().events
    forged = attrs.evolve(events[-1], approves="0" * 64)
    with pytest.raises(ValidationError) as caught:
        Partner([*events[:-1], forged])
    assert str(caught.value) == (
        f"invalid partner: 1 problem\n  - events[{len(events) - 1}].approves: is not the digest "
        f"of {what}: an approval pins exactly what it approves"
    )


def test_an_application_of_another_catalog_is_refused_on_replay() -> None:
    # (a catalog of the longest name: its id is quoted short)
    other = Catalog(
        [attrs.evolve(c, catalog=None) for c in DEFAULT_CATALOG],
        name="acme-" + "x" * 59,
        version="2024.04.01",
    )
    info = attrs.evolve(sample_info("Shop Management"), category=other.category("Shop Management"))
    elsewhere = lifecycle.apply(approved_partner(at=T0), "Shop Management", info, at=T0,
                                catalog=other, policy=None)  # fmt: skip
    forged = attrs.evolve(elsewhere.events[-1], seq=6, partner_id=HOLDER.partner_id)
    with pytest.raises(ValidationError) as caught:
        Partner([*HOLDER.events, forged], policy=None)
    assert len(other.id) > 80
    assert str(caught.value) == (
        f"invalid partner: 1 problem\n  - events[5].category: is of catalog "
        f"{other.id[:80] + '…'!r}; the partner's categories are of {HOLDER.catalog_id!r} "
        "(a partner has one catalog)"
    )
    # The other way round: the partner's catalog is the one quoted short.
    ours = attrs.evolve(HOLDER.events[3], partner_id=elsewhere.partner_id, seq=5)
    with pytest.raises(ValidationError) as caught:
        Partner([*elsewhere.events, ours], policy=None)
    assert str(caught.value) == (
        f"invalid partner: 1 problem\n  - events[4].category: is of catalog "
        f"{HOLDER.catalog_id!r}; the partner's categories are of {other.id[:80] + '…'!r} "
        "(a partner has one catalog)"
    )


def test_partner_ids_are_given_or_derived_never_random() -> None:
    account = HOLDER.account
    derived = lifecycle.choose_role(account, "seller_service_partner", at=T0)
    assert (
        derived.partner_id
        == lifecycle.choose_role(account, "seller_service_partner", at=T0).partner_id
    )
    given_id = lifecycle.choose_role(account, "seller_service_partner", at=T0, partner_id="acme-1")
    assert given_id.partner_id == "acme-1"
    with pytest.raises(ValidationError) as caught:
        lifecycle.choose_role(account, "seller_service_partner", at=T0, partner_id="a b")
    assert caught.value.fields == ("partner_id",)


def test_an_event_carries_exactly_its_payload() -> None:
    with pytest.raises(ValidationError) as caught:
        PartnerEvent(
            partner_id="p", seq=2, at=T0, actor=Actor.PLATFORM, subject=Subject.APPLICATION,
            kind=EventKind.APPROVE, category="Shop Management", market="US",
            info=sample_info("Shop Management"),
        )  # fmt: skip
    assert caught.value.fields == ("info", "approves")
    with pytest.raises(ValidationError) as caught:
        PartnerEvent(
            partner_id="p", seq=1, at=T0, actor=Actor.PARTNER, subject=Subject.ENTITY,
            kind=EventKind.AUTHORIZE_SELLER,
        )  # fmt: skip
    assert caught.value.fields == ("kind",)


def test_the_digest_pins_content_not_identity() -> None:
    info = sample_info("Shop Management")
    assert content_digest(info) == content_digest(attrs.evolve(info))
    assert content_digest(info) != content_digest(attrs.evolve(info, team_size=99))


def test_allowed_events_offers_system_events_only_where_the_upgrade_acts() -> None:
    fresh = lifecycle.submit_entity(
        lifecycle.choose_role(HOLDER.account, "seller_service_partner", at=T0), sample_entity(),
        at=T0,
    )  # fmt: skip
    late = dt.datetime(2024, 5, 1, tzinfo=UTC)
    before = lifecycle.apply(fresh, "Shop Management", sample_info("Shop Management"), at=T0)
    after = lifecycle.apply(fresh, "Shop Management", sample_info("Shop Management"), at=late)
    offered = lifecycle.allowed_events(before.applications[0], before)
    assert EventKind.SYSTEM_REJECT in offered
    assert EventKind.SYSTEM_REJECT not in lifecycle.allowed_events(after.applications[0], after)
    assert EventKind.SYSTEM_REJECT not in lifecycle.allowed_events(
        before.applications[0], before, policy=None
    )
    assert EventKind.REGENERATE not in lifecycle.allowed_events(None, before)
    upgraded = lifecycle.upgrade(after, at=late)
    assert upgraded is after
    assert lifecycle.upgrade(before, at=late).applications[0].status is ReviewStatus.REJECTED
    assert DEFAULT_POLICY.upgrade_at < late
    assert isinstance(Policy(), Policy)
