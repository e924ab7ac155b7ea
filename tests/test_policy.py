from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _catalogs import CUSTOM
from partner_onboarding import DEFAULT_CATALOG, Market, PartnerRole, ValidationError, lifecycle
from partner_onboarding.catalog import Category
from partner_onboarding.errors import NaiveDatetime, PolicyRefusal, WrongType
from partner_onboarding.model import Account, EventKind, Partner, ReviewStatus
from partner_onboarding.policy import (
    DEFAULT_POLICY,
    Decision,
    Facts,
    Policy,
    Question,
    ReasonCode,
    upgrade_rules,
)
from partner_onboarding.testing import (
    approved_partner,
    categories,
    instants_around,
    markets,
    partners,
    policies,
    sample_entity,
    sample_info,
)

LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
US = Market.US
UPGRADE = dt.datetime(2024, 4, 30, tzinfo=LA)  # 2024-04-30T00:00-07:00
CUTOFF = dt.datetime(2024, 6, 5, tzinfo=LA)  # 2024-06-05T00:00-07:00
TICK = dt.timedelta(microseconds=1)
DISCONTINUED = ["Mass Recruiting", "Mass Tutoring", "Paid Media"]
CURRENT = [c.name for c in DEFAULT_CATALOG.categories()]


def partner_registered(at: dt.datetime, *categories: str) -> Partner:
    """A partner whose account was registered at ``at``, approved in ``categories`` then."""
    return approved_partner(*categories, at=at, policy=None)


EXISTING = partner_registered(dt.datetime(2024, 1, 10, 9, 0, tzinfo=LA))
NEW = partner_registered(dt.datetime(2024, 5, 2, 9, 0, tzinfo=LA))
NEW_AT_CUTOFF = partner_registered(UPGRADE)
EXISTING_JUST_BEFORE = partner_registered(UPGRADE - TICK)


# ------------------------------------------------------------------------------------------------
# Examples straight from the source


@pytest.mark.parametrize("category", DISCONTINUED)
@pytest.mark.parametrize(
    ("partner", "at", "allowed", "code", "changes_at"),
    [
        # A new partner, from its registration (from April 30 on).
        (NEW, NEW.registered_at, False, "new_partner_discontinued", None),
        (NEW, dt.date(2024, 5, 3), False, "new_partner_discontinued", None),
        (NEW, dt.datetime(2024, 8, 1, tzinfo=UTC), False, "new_partner_discontinued", None),
        # "New" is decided by the registration instant, to the microsecond.
        (NEW_AT_CUTOFF, UPGRADE, False, "new_partner_discontinued", None),
        (EXISTING_JUST_BEFORE, UPGRADE, True, "existing_partner", None),
        # An existing partner is not barred (the source bars new partners only).
        (EXISTING, UPGRADE - TICK, True, "existing_partner", None),
        (EXISTING, UPGRADE, True, "existing_partner", None),
        (EXISTING, dt.datetime(2025, 1, 1, tzinfo=UTC), True, "existing_partner", None),
    ],
)
def test_registration_for_discontinued_categories(
    category: str,
    partner: Partner,
    at: dt.datetime | dt.date,
    allowed: bool,
    code: str,
    changes_at: dt.datetime | None,
) -> None:
    decision = DEFAULT_POLICY.can_register(partner, category, at=at)
    assert decision.allowed is allowed
    assert bool(decision) is allowed
    assert decision.codes == (code,)
    assert decision.changes_at == changes_at
    assert decision.decided_by.name == "new_partner_registration"
    assert decision.decided_by.effective_at == UPGRADE


@pytest.mark.parametrize("category", CURRENT)
@pytest.mark.parametrize("partner", [NEW_AT_CUTOFF, EXISTING])
@pytest.mark.parametrize("at", [UPGRADE, UPGRADE + TICK, CUTOFF, dt.date(2030, 1, 1)])
def test_current_categories_are_unaffected(
    category: str, partner: Partner, at: dt.datetime
) -> None:
    decision = DEFAULT_POLICY.can_register(partner, category, at=at)
    assert decision.allowed
    assert decision.codes == ("current_category",)
    assert decision.changes_at is None


PAID_MEDIA_PARTNER = partner_registered(
    dt.datetime(2024, 1, 10, tzinfo=LA), "Paid Media", "Shop Management"
)


@pytest.mark.parametrize("category", DISCONTINUED)
@pytest.mark.parametrize(
    ("at", "allowed", "codes", "changes_at"),
    [
        (CUTOFF - TICK, True, ("approved_application", "authorization_open"), CUTOFF),
        (dt.date(2024, 6, 4), True, ("approved_application", "authorization_open"), CUTOFF),
        (UPGRADE, True, ("approved_application", "authorization_open"), CUTOFF),
        (CUTOFF, False, ("authorization_closed",), None),
        (dt.date(2024, 6, 5), False, ("authorization_closed",), None),
        (dt.datetime(2025, 1, 1, tzinfo=UTC), False, ("authorization_closed",), None),
    ],
)
def test_seller_authorisation_in_discontinued_categories(
    category: str,
    at: dt.datetime,
    allowed: bool,
    codes: tuple[str, ...],
    changes_at: dt.datetime | None,
) -> None:
    partner = partner_registered(dt.datetime(2024, 1, 10, tzinfo=LA), category)
    decision = DEFAULT_POLICY.can_authorize_seller(partner, category, at=at)
    assert (decision.allowed, decision.codes, decision.changes_at) == (allowed, codes, changes_at)


def test_seller_authorisation_needs_an_approved_application() -> None:
    decision = DEFAULT_POLICY.can_authorize_seller(EXISTING, "Shop Management", at=UPGRADE)
    assert not decision
    assert decision.codes == ("no_approved_application",)
    late = DEFAULT_POLICY.can_authorize_seller(EXISTING, "Paid Media", at=CUTOFF)
    assert late.codes == ("no_approved_application", "authorization_closed")
    other_market = DEFAULT_POLICY.can_authorize_seller(
        PAID_MEDIA_PARTNER, "Shop Management", market=Market("GB"), at=UPGRADE
    )
    assert other_market.codes == ("no_approved_application",)


def approved_later(approved_at: dt.datetime, category: str = "Paid Media") -> Partner:
    """An existing partner (registered 2024-01-10) that applied for ``category`` that day and
    was approved at ``approved_at``."""
    applied = dt.datetime(2024, 1, 10, 10, 0, tzinfo=LA)
    partner = lifecycle.apply(EXISTING, category, sample_info(category), at=applied, policy=None)
    return lifecycle.approve(partner, category, at=approved_at)


# Approved as summer time began (2024-03-10: 02:00 PST became 03:00 PDT). (In UTC: arithmetic on
# a datetime in LA would be wall-clock arithmetic, and 02:59:59.999999 that day does not exist.)
APPROVED = dt.datetime(2024, 3, 10, 3, 0, tzinfo=LA).astimezone(UTC)


# A question about an instant sees the partner as it stood then: before its registration it is
# not there, whatever it is asked (the answer says when it changes: at the registration, if the
# partner's own answer is allowed then).
@pytest.mark.parametrize(
    ("partner", "question", "category", "at", "changes_at"),
    [
        (NEW, "register", "Paid Media", NEW.registered_at - TICK, None),
        (NEW, "register", "Paid Media", UPGRADE - TICK, None),
        (NEW, "register", "Creator Management", dt.date(2024, 5, 2), NEW.registered_at),
        (EXISTING, "register", "Paid Media", EXISTING.registered_at - TICK, EXISTING.registered_at),
        (NEW_AT_CUTOFF, "register", "Mass Tutoring", UPGRADE - TICK, None),
        (EXISTING_JUST_BEFORE, "register", "Mass Tutoring", UPGRADE - 2 * TICK, UPGRADE - TICK),
        # Its seller authorisation: approved at its registration, before the cut-off.
        (
            partner_registered(dt.datetime(2024, 6, 1, tzinfo=LA), "Paid Media"),
            "authorize_seller",
            "Paid Media",
            dt.date(2024, 5, 31),
            dt.datetime(2024, 6, 1, tzinfo=LA),
        ),
        # Approved at its registration, but from the cut-off: refused then too.
        (
            partner_registered(CUTOFF, "Paid Media"),
            "authorize_seller",
            "Paid Media",
            UPGRADE,
            None,
        ),
        # Approved after its registration: refused until the approval.
        (
            approved_later(dt.datetime(2024, 2, 1, tzinfo=LA)),
            "authorize_seller",
            "Paid Media",
            dt.date(2024, 1, 1),
            dt.datetime(2024, 2, 1, tzinfo=LA),
        ),
    ],
)
def test_a_partner_is_not_there_before_its_registration(
    partner: Partner,
    question: str,
    category: str,
    at: dt.datetime | dt.date,
    changes_at: dt.datetime | None,
) -> None:
    ask = (
        DEFAULT_POLICY.can_register
        if question == "register"
        else DEFAULT_POLICY.can_authorize_seller
    )
    decision = ask(partner, category, at=at)
    assert (decision.allowed, decision.codes, decision.changes_at) == (
        False,
        ("not_registered_yet",),
        changes_at,
    )
    assert decision.message == "refused: the partner is not registered yet at the instant asked"
    assert decision.decided_by.name == "registered_partner"
    assert ask(partner, category, at=partner.registered_at).codes != ("not_registered_yet",)
    facts = Facts(
        category=category,
        registered_at=partner.registered_at,
        approved=question == "authorize_seller",
    )  # (on plain facts: the approval held from the registration on)
    if question == "register" or changes_at in {None, partner.registered_at}:
        assert DEFAULT_POLICY.decide(question, facts, at=at).verdict == decision.verdict


@given(st.data())
def test_before_its_registration_every_answer_waits_for_it(data: st.DataObject) -> None:
    policy, partner, category, market = data.draw(asked_about())
    question = data.draw(st.sampled_from(list(Question)))
    at = data.draw(instants_around(partner.registered_at, *policy.instants))
    ask = policy.can_register if question is Question.REGISTER else policy.can_authorize_seller
    decision = ask(partner, category, market=market, at=at)
    then = ask(partner, category, market=market, at=partner.registered_at)
    if at >= partner.registered_at:
        assert "not_registered_yet" not in decision.codes
        return
    assert (decision.allowed, decision.codes) == (False, ("not_registered_yet",))
    assert decision.changes_at == (partner.registered_at if then.allowed else then.changes_at)
    facts = Facts(
        category=category,
        registered_at=partner.registered_at,
        registration_market=partner.registration_market,
        market=market,
        approved=partner.approved_in(policy.catalog.category(category).code, market, at=at),
    )
    on_facts = policy.decide(question, facts, at=at)
    assert (on_facts.allowed, on_facts.codes) == (False, ("not_registered_yet",))


@pytest.mark.parametrize(
    ("approved_at", "at", "allowed", "codes", "changes_at"),
    [
        # Asked before the recorded approval: refused until the approval, to the microsecond.
        (APPROVED, APPROVED - TICK, False, ("no_approved_application",), APPROVED),
        (
            APPROVED,
            dt.datetime(2024, 3, 10, 1, 59, 59, tzinfo=LA),
            False,
            ("no_approved_application",),
            APPROVED,
        ),
        (
            APPROVED,
            dt.datetime(2024, 2, 1, tzinfo=UTC),
            False,
            ("no_approved_application",),
            APPROVED,
        ),
        (APPROVED, APPROVED, True, ("approved_application", "authorization_open"), CUTOFF),
        # Approved after the cut-off: refused before the approval and after it.
        (CUTOFF + TICK, CUTOFF - TICK, False, ("no_approved_application",), None),
        (CUTOFF + TICK, CUTOFF, False, ("no_approved_application", "authorization_closed"), None),
    ],
)
def test_a_question_about_the_past_changes_at_the_recorded_approval(
    approved_at: dt.datetime,
    at: dt.datetime,
    allowed: bool,
    codes: tuple[str, ...],
    changes_at: dt.datetime | None,
) -> None:
    partner = approved_later(approved_at)
    decision = DEFAULT_POLICY.can_authorize_seller(partner, "Paid Media", at=at)
    assert (decision.allowed, decision.codes, decision.changes_at) == (allowed, codes, changes_at)


@pytest.mark.parametrize("at", [UPGRADE - TICK, CUTOFF, dt.date(2030, 1, 1)])
def test_seller_authorisation_in_a_current_category_never_closes(at: dt.datetime) -> None:
    decision = DEFAULT_POLICY.can_authorize_seller(PAID_MEDIA_PARTNER, "Shop Management", at=at)
    assert decision.allowed
    assert decision.codes == ("approved_application", "current_category")
    assert decision.changes_at is None


def test_a_target_market_is_no_way_around_the_rules() -> None:
    # The loophole: a new US partner asking for Paid Media in GB was allowed; the categories are
    # gone from the new structure in every target market.
    decision = DEFAULT_POLICY.can_register(NEW, "Paid Media", market=Market("GB"), at=CUTOFF)
    assert not decision.allowed
    assert decision.codes == ("new_partner_discontinued",)
    in_gb = approved_partner(
        "Paid Media", at=dt.datetime(2024, 1, 10, tzinfo=UTC), market=Market("GB")
    )
    answer = DEFAULT_POLICY.can_authorize_seller(in_gb, "Paid Media", market="GB", at=CUTOFF)
    assert answer.codes == ("authorization_closed",)


@given(
    st.sampled_from(["GB", "CA", "MX", "DE", "JP", "SG", "US", "FR", "BR"]),
    st.sampled_from(["Paid Media", "Mass Recruiting", "Mass Tutoring"]),
    instants_around(UPGRADE, CUTOFF, spread=dt.timedelta(days=400)),
)
def test_discontinued_categories_are_closed_in_every_target_market(
    market: str, category: str, at: dt.datetime
) -> None:
    registering = partner_registered(at)  # (asked at its registration: new from the upgrade)
    registration = DEFAULT_POLICY.can_register(registering, category, market=market, at=at)
    assert registration.allowed is (at < UPGRADE)
    held = approved_partner(
        category, at=dt.datetime(2024, 1, 10, tzinfo=UTC), market=Market(market)
    )
    authorization = DEFAULT_POLICY.can_authorize_seller(held, category, market=market, at=at)
    if at >= held.latest:
        assert authorization.allowed is (at < CUTOFF)
        assert authorization.allowed or "authorization_closed" in authorization.codes


def test_only_partners_of_another_partner_center_are_not_covered() -> None:
    elsewhere = approved_partner(
        "Paid Media",
        at=dt.datetime(2024, 1, 10, tzinfo=UTC),
        registration_market=Market("GB"),
    )
    decision = DEFAULT_POLICY.can_register(elsewhere, "Paid Media", at=CUTOFF)
    assert decision.allowed
    assert decision.codes == ("market_not_covered",)
    answer = DEFAULT_POLICY.can_authorize_seller(elsewhere, "Paid Media", at=CUTOFF)
    assert answer.codes == ("approved_application", "market_not_covered")


def test_messages_explain_allowed_answers_too() -> None:
    assert DEFAULT_POLICY.can_register(EXISTING, "Paid Media", at=CUTOFF).message == (
        "allowed: existing partner"
    )
    assert DEFAULT_POLICY.can_authorize_seller(
        PAID_MEDIA_PARTNER, "Paid Media", at=UPGRADE
    ).message == ("allowed until 2024-06-05T00:00-07:00")
    refused = DEFAULT_POLICY.can_register(NEW, "Paid Media", at=CUTOFF)
    assert str(refused) == (
        "refused: new partners cannot register for a discontinued category"
        " from 2024-04-30T00:00-07:00"
    )
    assert refused.reasons[0].rule.effective_at == UPGRADE
    assert str(refused.decided_by) == "new_partner_registration (from 2024-04-30T00:00-07:00)"


# ------------------------------------------------------------------------------------------------
# Boundaries: to the microsecond, from other zones, across DST


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        (dt.datetime(2024, 4, 29, 23, 59, 59, 999999, tzinfo=LA), True),
        (dt.datetime(2024, 4, 30, 0, 0, 0, 0, tzinfo=LA), False),
        (dt.datetime(2024, 4, 30, 6, 59, 59, 999999, tzinfo=UTC), True),
        (dt.datetime(2024, 4, 30, 7, 0, tzinfo=UTC), False),
        (dt.datetime(2024, 4, 30, 14, 59, 59, 999999, tzinfo=SHANGHAI), True),
        (dt.datetime(2024, 4, 30, 15, 0, tzinfo=SHANGHAI), False),
        (dt.datetime(2024, 4, 30, 2, 59, 59, 999999, tzinfo=ZoneInfo("America/New_York")), True),
        (dt.datetime(2024, 4, 30, 3, 0, tzinfo=ZoneInfo("America/New_York")), False),
    ],
)
def test_upgrade_boundary_to_the_microsecond_in_any_zone(instant: dt.datetime, open_: bool) -> None:
    registered = partner_registered(instant)  # (new from the upgrade, to the microsecond)
    assert DEFAULT_POLICY.can_register(registered, "Mass Tutoring", at=instant).allowed is open_
    later = DEFAULT_POLICY.can_register(registered, "Mass Tutoring", at=CUTOFF)
    assert later.allowed is open_


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        (dt.datetime(2024, 6, 4, 23, 59, 59, 999999, tzinfo=LA), True),
        (dt.datetime(2024, 6, 5, tzinfo=LA), False),
        (dt.datetime(2024, 6, 5, 6, 59, 59, 999999, tzinfo=UTC), True),
        (dt.datetime(2024, 6, 5, 7, tzinfo=UTC), False),
        (dt.datetime(2024, 6, 5, 14, 59, 59, 999999, tzinfo=SHANGHAI), True),
        (dt.datetime(2024, 6, 5, 15, tzinfo=SHANGHAI), False),
    ],
)
def test_authorisation_boundary_to_the_microsecond_in_any_zone(
    instant: dt.datetime, open_: bool
) -> None:
    assert (
        DEFAULT_POLICY.can_authorize_seller(PAID_MEDIA_PARTNER, "Paid Media", at=instant).allowed
        is open_
    )


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (dt.date(2024, 3, 10), 8),  # DST starts at 02:00 that day: midnight is still -08:00
        (dt.date(2024, 3, 11), 7),  # the first midnight in -07:00
        (dt.date(2024, 11, 3), 7),  # DST ends at 02:00 that day: midnight is still -07:00
        (dt.date(2024, 11, 4), 8),  # the first midnight in -08:00
    ],
)
def test_cutoffs_across_dst_changes(day: dt.date, utc_hour: int) -> None:
    policy = Policy(rules=upgrade_rules(upgrade_date=day, authorization_cutoff=day))
    boundary = dt.datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert policy.upgrade_at == boundary
    existing, new = partner_registered(boundary - TICK), partner_registered(boundary)
    assert policy.can_register(existing, "Paid Media", at=boundary).allowed
    assert not policy.can_register(new, "Paid Media", at=boundary).allowed
    held = partner_registered(boundary - dt.timedelta(days=30), "Paid Media")
    assert policy.can_authorize_seller(held, "Paid Media", at=boundary - TICK).allowed
    assert not policy.can_authorize_seller(held, "Paid Media", at=boundary).allowed
    assert not policy.can_authorize_seller(held, "Paid Media", at=day).allowed
    assert policy.can_authorize_seller(held, "Paid Media", at=day - dt.timedelta(days=1)).allowed


def test_an_instant_in_a_dst_fold_is_the_instant_it_names() -> None:
    policy = Policy(
        rules=upgrade_rules(
            upgrade_date=dt.date(2024, 11, 3), authorization_cutoff=dt.date(2024, 11, 3)
        )
    )
    first = dt.datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=LA)  # 08:30Z, after the cut-off (07:00Z)
    second = first.replace(fold=1)  # 09:30Z
    new = partner_registered(first)
    assert not policy.can_register(new, "Paid Media", at=first).allowed
    assert policy.can_register(new, "Paid Media", at=first - TICK).codes == ("not_registered_yet",)
    assert policy.can_register(new, "Paid Media", at=second).codes == ("new_partner_discontinued",)
    before = dt.datetime(2024, 11, 2, 23, 59, 59, 999999, tzinfo=LA)
    existing = partner_registered(before)
    assert policy.can_register(existing, "Paid Media", at=second).allowed


@pytest.mark.parametrize(
    "question", [DEFAULT_POLICY.can_register, DEFAULT_POLICY.can_authorize_seller]
)
def test_a_naive_datetime_is_refused(question: object) -> None:
    with pytest.raises(NaiveDatetime) as caught:
        question(NEW, "Paid Media", at=dt.datetime(2024, 4, 30))  # type: ignore[operator]  # noqa: DTZ001
    assert caught.value.fields == ("at",)
    assert isinstance(caught.value, ValidationError)


def test_a_day_written_as_text_is_that_day_in_the_policys_zone() -> None:
    for text in ("2024-04-30", "20240430", " 2024-04-30 "):
        assert DEFAULT_POLICY.instant(text) == DEFAULT_POLICY.upgrade_at
    assert DEFAULT_POLICY.instant("2024-04-30T07:00:00Z") == DEFAULT_POLICY.upgrade_at


@pytest.mark.parametrize("bad", ["2024-04-30T00:00", "2024-13-01", 1714460400, None])
def test_other_instants_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        DEFAULT_POLICY.can_register(NEW, "Paid Media", at=bad)  # type: ignore[arg-type]


def test_unknown_category_is_a_typed_error() -> None:
    with pytest.raises(KeyError) as caught:
        DEFAULT_POLICY.can_register(NEW, "Paid Medias", at=CUTOFF)
    assert "Paid Media" in str(caught.value)


# ------------------------------------------------------------------------------------------------
# Properties

registrations = instants_around(UPGRADE, CUTOFF, spread=dt.timedelta(days=60))


@st.composite
def partners_around(draw: st.DrawFn, policy: Policy) -> Partner:
    registered = draw(instants_around(*policy.instants, spread=dt.timedelta(days=40)))
    categories = draw(
        st.lists(st.sampled_from([c.name for c in DEFAULT_CATALOG]), max_size=3, unique=True)
    )
    return partner_registered(registered, *categories)


@given(st.data())
def test_monotone_in_time_once_closed_stays_closed(data: st.DataObject) -> None:
    policy = data.draw(policies())
    partner = data.draw(partners_around(policy))
    category = data.draw(st.sampled_from(list(DEFAULT_CATALOG)))
    around = instants_around(*policy.instants)
    # (time alone: from the partner's latest event on, only the policy's cut-offs change answers)
    first, second = sorted(max(data.draw(around), partner.latest) for _ in range(2))
    for question in (policy.can_register, policy.can_authorize_seller):
        if not question(partner, category, at=first):
            assert not question(partner, category, at=second)


@given(st.data())
def test_changes_at_is_truthful(data: st.DataObject) -> None:
    policy = data.draw(policies())
    partner = data.draw(partners_around(policy))
    category = data.draw(st.sampled_from(list(DEFAULT_CATALOG)))
    at = data.draw(instants_around(*policy.instants))
    at = max(at, partner.latest)  # (time alone: the partner's own later steps change answers too)
    for question in (policy.can_register, policy.can_authorize_seller):
        decision = question(partner, category, at=at)
        if decision.changes_at is None:
            far = at + dt.timedelta(days=3650)
            assert question(partner, category, at=far).allowed is decision.allowed
            continue
        assert decision.changes_at > at
        assert (
            question(partner, category, at=decision.changes_at - TICK).allowed is decision.allowed
        )
        assert question(partner, category, at=decision.changes_at).allowed is not decision.allowed


@st.composite
def asked_about(draw: st.DrawFn) -> tuple[Policy, Partner, Category | str, Market]:
    """A policy, a partner, and one of its (category, market) pairs (a current category in the
    US for a partner without an application)."""
    policy, partner = draw(policies()), draw(partners(max_steps=10))
    asked: list[tuple[Category | str, Market]] = [
        (a.category, a.market) for a in partner.applications
    ]
    category, market = draw(st.sampled_from(asked or [(CURRENT[0], Market.US)]))
    return policy, partner, category, market


@given(st.data())
def test_changes_at_is_truthful_for_a_question_about_the_past(data: st.DataObject) -> None:
    policy, partner, category, market = data.draw(asked_about())
    start, end = partner.events[0].at, partner.latest
    around = instants_around(start, end, *policy.instants)
    at = data.draw(st.one_of(around, st.sampled_from([e.at for e in partner.events])))

    def allowed(instant: dt.datetime) -> bool:
        return policy.can_authorize_seller(partner, category, market=market, at=instant).allowed

    decision = policy.can_authorize_seller(partner, category, market=market, at=at)
    later = sorted({e.at for e in partner.events if e.at > at} | set(policy.instants) - {at})
    if decision.changes_at is None:
        for instant in [i for i in later if i > at] + [max(at, end) + dt.timedelta(days=3650)]:
            assert allowed(instant) is decision.allowed
        return
    assert decision.changes_at > at
    assert allowed(decision.changes_at - TICK) is decision.allowed
    assert allowed(decision.changes_at) is not decision.allowed
    for instant in (i for i in later if at < i < decision.changes_at):
        assert allowed(instant) is decision.allowed


def test_a_timeline_lists_each_change_with_the_answer_after_it() -> None:
    partner = approved_later(APPROVED)
    seller = DEFAULT_POLICY.timeline(
        partner,
        "Paid Media",
        "authorize_seller",
        since=dt.date(2024, 1, 1),
        until=dt.date(2025, 1, 1),
    )
    assert [(d.at, d.allowed, d.codes) for d in seller] == [
        (dt.datetime(2024, 1, 1, tzinfo=LA), False, ("not_registered_yet",)),
        (EXISTING.registered_at, False, ("no_approved_application",)),
        (APPROVED, True, ("approved_application", "authorization_open")),
        (CUTOFF, False, ("authorization_closed",)),
    ]
    new = partner_registered(dt.datetime(2024, 5, 2, tzinfo=LA))
    register = DEFAULT_POLICY.timeline(
        new, "Paid Media", "register", since=dt.date(2024, 4, 1), until=CUTOFF
    )
    assert [(d.at, d.allowed, d.codes) for d in register] == [
        (dt.datetime(2024, 4, 1, tzinfo=LA), False, ("not_registered_yet",)),
        (new.registered_at, False, ("new_partner_discontinued",)),
    ]
    existing = DEFAULT_POLICY.timeline(
        EXISTING, "Paid Media", "register", since=dt.date(2024, 1, 1), until=CUTOFF
    )
    assert [(d.at, d.allowed, d.codes, d.changes_at) for d in existing] == [
        (
            dt.datetime(2024, 1, 1, tzinfo=LA),
            False,
            ("not_registered_yet",),
            EXISTING.registered_at,
        ),
        (EXISTING.registered_at, True, ("existing_partner",), None),
    ]
    assert (
        len(DEFAULT_POLICY.timeline(new, "Paid Media", "register", since=UPGRADE, until=UPGRADE))
        == 1
    )
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.timeline(new, "Paid Media", "register", since=CUTOFF, until=UPGRADE)
    assert caught.value.fields == ("until",)


@given(st.data())
def test_a_timeline_is_every_change_and_nothing_else(data: st.DataObject) -> None:
    policy, partner, category, market = data.draw(asked_about())
    question = data.draw(st.sampled_from(list(Question)))
    around = instants_around(partner.events[0].at, *policy.instants)
    since, until = sorted(data.draw(around) for _ in range(2))
    found = policy.timeline(partner, category, question, market=market, since=since, until=until)
    # (in UTC: Python calls a reading of a repeated hour unequal to any other zone's reading)
    assert found[0].at == since.astimezone(dt.UTC)
    ask = policy.can_register if question is Question.REGISTER else policy.can_authorize_seller
    for before, after in itertools.pairwise(found):
        assert since < after.at <= until
        assert (before.allowed, before.reasons) != (after.allowed, after.reasons)
        held = ask(partner, category, market=market, at=after.at - TICK)
        assert (held.allowed, held.reasons) == (before.allowed, before.reasons)
    # Between the changes, at every instant the answer could change at, it holds.
    candidates = [e.at for e in partner.events] + list(policy.instants)
    for instant in (i for i in candidates if since <= i <= until):
        current = [d for d in found if d.at <= instant][-1]
        answer = ask(partner, category, market=market, at=instant)
        assert (answer.allowed, answer.reasons) == (current.allowed, current.reasons)


@given(policies(), partners(max_steps=6), st.sampled_from(list(DEFAULT_CATALOG)), st.data())
def test_decisions_depend_only_on_their_inputs(
    policy: Policy, partner: Partner, category: object, data: st.DataObject
) -> None:
    at = data.draw(instants_around(*policy.instants))
    rebuilt = Policy.from_json(policy.to_json())
    for question in (Question.REGISTER, Question.AUTHORIZE_SELLER):
        rows = [(partner, category, US, question)] * 3
        one, two, three = policy.check_many(rows, at=at)  # type: ignore[arg-type]
        assert one == two == three
        ask = policy.can_register if question is Question.REGISTER else policy.can_authorize_seller
        assert ask(partner, category, market=US, at=at) == one  # type: ignore[arg-type]
        ask_again = (
            rebuilt.can_register if question is Question.REGISTER else rebuilt.can_authorize_seller
        )
        assert ask_again(partner, category, market=US, at=at) == one  # type: ignore[arg-type]
        assert ask(partner, category, market=US, at=at.astimezone(UTC)) == one  # type: ignore[arg-type]


@given(policies())
def test_a_policy_loaded_from_its_own_toml_or_json_equals_the_original(policy: Policy) -> None:
    assert Policy.from_toml(policy.to_toml()) == policy
    assert Policy.from_json(policy.to_json()) == policy
    assert Policy.from_data(json.loads(policy.to_json())) == policy


# ------------------------------------------------------------------------------------------------
# Loading policies


def test_a_policy_from_toml_with_other_dates_zone_and_switches() -> None:
    policy = Policy.from_toml(
        """
        market = "us"
        zone = "America/New_York"
        upgrade_date = 2025-01-15
        authorization_cutoff = "2025-02-01"
        discontinued = ["Paid Media"]
        existing_partners_may_register = false

        [role_overrides]
        paid_media = "creator_service_partner"
        """
    )
    assert policy.upgrade_at == dt.datetime(2025, 1, 15, 5, tzinfo=UTC)
    assert policy.authorization_cutoff_at == dt.datetime(2025, 2, 1, 5, tzinfo=UTC)
    assert policy.discontinued == ("paid_media",)
    assert policy.role_of("Paid Media") is PartnerRole.CREATOR_SERVICE_PARTNER
    late = dt.datetime(2025, 1, 16, tzinfo=UTC)
    assert policy.can_register(EXISTING, "Paid Media", at=late).codes == ("discontinued_for_all",)
    assert policy.can_register(EXISTING, "Mass Recruiting", at=late).allowed


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ('zone = "Mars/Olympus"', ("zone",)),
        ("zone = 7", ("zone",)),
        ('discontinued = ["Paid Medias"]', ("discontinued[0]",)),
        ("upgrade_date = 2024-07-01", ("authorization_cutoff",)),
        ('upgrade_date = "next week"', ("upgrade_date",)),
        ("upgrade_date = 2024-04-30T00:00:00", ("upgrade_date",)),
        ('existing_partners_may_register = "yes"', ("existing_partners_may_register",)),
        ('market = "XX"', ("market",)),
        ("colour = 1", ("colour",)),
        ('role_overrides = "x"', ("role_overrides",)),
        ('[role_overrides]\npaid_media = "boss"', ("role_overrides.paid_media",)),
        (
            '[role_overrides]\npaid_mediaa = "seller_service_partner"',
            ("role_overrides.paid_mediaa",),
        ),
        ("not toml =", ("",)),
    ],
)
def test_bad_policies_give_clear_errors(text: str, fields: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.from_toml(text)
    assert caught.value.fields == fields


@pytest.mark.parametrize("text", ["[1, 2]", "{", '{"zone": null}'])
def test_bad_json_policies_give_validation_errors(text: str) -> None:
    with pytest.raises(ValidationError):
        Policy.from_json(text)


def test_policy_files(tmp_path: object) -> None:
    import pathlib  # noqa: PLC0415

    folder = pathlib.Path(str(tmp_path))
    (folder / "p.toml").write_text(DEFAULT_POLICY.to_toml(), encoding="utf-8")
    (folder / "p.json").write_text(DEFAULT_POLICY.to_json(), encoding="utf-8")
    assert Policy.load(folder / "p.toml") == DEFAULT_POLICY
    assert Policy.load(folder / "p.json") == DEFAULT_POLICY
    with pytest.raises(ValidationError):
        Policy.load(folder / "missing.toml")


# ------------------------------------------------------------------------------------------------
# Bulk


def test_check_many_answers_each_row_like_the_single_questions() -> None:
    rows = [
        (NEW, "Paid Media", US, Question.REGISTER),
        (EXISTING, "paid_media", US, "register"),
        (PAID_MEDIA_PARTNER, DEFAULT_CATALOG.category("Paid Media"), US, Question.AUTHORIZE_SELLER),
        (NEW, "Shop Management", US, "authorize_seller"),
    ]
    decisions = list(DEFAULT_POLICY.check_many(rows, at=dt.date(2024, 5, 3)))  # type: ignore[arg-type]
    assert [d.codes for d in decisions] == [
        ("new_partner_discontinued",),
        ("existing_partner",),
        ("approved_application", "authorization_open"),
        ("no_approved_application",),
    ]


def test_check_many_refuses_unknown_questions_and_naive_instants() -> None:
    with pytest.raises(ValidationError):
        list(DEFAULT_POLICY.check_many([(NEW, "Paid Media", US, "buy")], at=CUTOFF))
    with pytest.raises(NaiveDatetime):
        list(DEFAULT_POLICY.check_many([], at=dt.datetime(2024, 1, 1)))  # noqa: DTZ001


# ------------------------------------------------------------------------------------------------
# Role switch


def test_roles_come_from_approved_categories_on_the_latest_structure() -> None:
    partner = partner_registered(
        dt.datetime(2024, 1, 10, tzinfo=LA),
        "Paid Media",
        "Creator Management",
        "Creator mathmaking",
    )
    assert DEFAULT_POLICY.roles(partner, at=CUTOFF) == (
        PartnerRole.CREATOR_SERVICE_PARTNER,
        PartnerRole.SELLER_SERVICE_PARTNER,
        PartnerRole.SELLER_SERVICE_CREATOR_MATCHMAKING,
    )
    assert DEFAULT_POLICY.roles(partner, at=dt.date(2024, 1, 9)) == ()
    assert DEFAULT_POLICY.roles(EXISTING, at=CUTOFF) == ()


def test_roles_follow_the_status_at_the_instant_asked() -> None:
    start = dt.datetime(2024, 1, 10, tzinfo=LA)
    partner = partner_registered(start, "Shop Management")
    later = lifecycle.apply(
        lifecycle.add_role(partner, PartnerRole.CREATOR_SERVICE_PARTNER, at=start),
        "Creator Management",
        sample_info("Creator Management"),
        at=start + dt.timedelta(days=1),
    )
    later = lifecycle.approve(later, "Creator Management", at=start + dt.timedelta(days=2))
    assert DEFAULT_POLICY.roles(later, at=start + dt.timedelta(days=1)) == (
        PartnerRole.SELLER_SERVICE_PARTNER,
    )
    assert PartnerRole.CREATOR_SERVICE_PARTNER in DEFAULT_POLICY.roles(
        later, at=start + dt.timedelta(days=2)
    )


# ------------------------------------------------------------------------------------------------
# Wiring into the lifecycle


def test_apply_refuses_what_the_policy_forbids_with_the_decision() -> None:
    partner = lifecycle.submit_entity(
        lifecycle.choose_role(
            NEW.account, PartnerRole.SELLER_SERVICE_PARTNER, at=NEW.registered_at
        ),
        sample_entity(),
        at=NEW.registered_at,
    )
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.apply(partner, "Paid Media", sample_info("Paid Media"), at=CUTOFF)
    assert isinstance(caught.value.decision, Decision)
    assert caught.value.decision.codes == ("new_partner_discontinued",)
    assert "new partners cannot register" in str(caught.value)
    allowed = lifecycle.apply(partner, "Shop Management", sample_info("Shop Management"), at=CUTOFF)
    assert allowed.application("Shop Management").status is ReviewStatus.PENDING_REVIEW
    # The target market is no way around it: GB is refused for a partner of the US Partner Center.
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.apply(partner, "Paid Media", sample_info("Paid Media"), market="GB", at=CUTOFF)
    assert caught.value.codes == ("new_partner_discontinued",)


def test_authorize_seller_records_refuses_and_keeps_earlier_authorisations() -> None:
    partner = lifecycle.authorize_seller(
        PAID_MEDIA_PARTNER, "Paid Media", "seller-1", at=CUTOFF - TICK
    )
    assert [a.seller_id for a in partner.authorizations] == ["seller-1"]
    with pytest.raises(PolicyRefusal) as caught:
        lifecycle.authorize_seller(partner, "Paid Media", "seller-2", at=CUTOFF)
    assert caught.value.decision.codes == ("authorization_closed",)
    # Obtained before the cut-off: still valid after it, and asking again changes nothing.
    assert lifecycle.authorize_seller(partner, "Paid Media", "seller-1", at=CUTOFF) is partner
    later = lifecycle.upgrade(partner, at=CUTOFF)
    assert later.authorizations == partner.authorizations
    current = lifecycle.authorize_seller(partner, "Shop Management", "seller-2", at=CUTOFF)
    assert len(current.authorizations) == 2
    with pytest.raises(PolicyRefusal):
        lifecycle.authorize_seller(partner, "LIVE Management", "seller-3", at=CUTOFF)


def test_authorisations_are_one_per_seller_category_and_market() -> None:
    partner = lifecycle.authorize_seller(PAID_MEDIA_PARTNER, "Paid Media", "seller-1", at=UPGRADE)
    again = lifecycle.authorize_seller(partner, "Paid Media", "seller-1", at=CUTOFF)
    assert again is partner  # (held: kept as it is, no event)
    twice = attrs.evolve(partner.events[-1], seq=partner.revision + 1)
    with pytest.raises(ValidationError) as caught:
        Partner((*partner.events, twice), policy=None)
    assert caught.value.fields == (f"events[{partner.revision}].seller_id",)


# ------------------------------------------------------------------------------------------------
# Upgrade migration


def pending_partner() -> Partner:
    """Under review since before the upgrade in two categories, approved in one, rejected in one."""
    start = dt.datetime(2024, 4, 1, tzinfo=LA)
    partner = partner_registered(start, "Shop Management")
    for category in ("Paid Media", "LIVE Management", "Short Video Management"):
        partner = lifecycle.apply(partner, category, sample_info(category), at=start)
    return lifecycle.reject(partner, "Short Video Management", ["no videos"], at=start)


def test_the_upgrade_rejects_and_regenerates_what_is_under_review() -> None:
    before = pending_partner()
    after = lifecycle.upgrade(before, at=UPGRADE)
    for category in ("Paid Media", "LIVE Management"):
        new = after.application(category)
        assert new.status is ReviewStatus.PENDING_REVIEW
        assert new.supersedes == before.application(category).id
        assert new.info == before.application(category).info
        assert new.history[0].kind is EventKind.REGENERATE
        old = next(a for a in after.applications if a.id == new.supersedes)
        assert old.status is ReviewStatus.REJECTED
        assert old.history[-1].reasons == (lifecycle.UPGRADE_REASON,)
        assert old.history[-1].actor.value == "system"
    assert after.application("Shop Management") == before.application("Shop Management")
    assert after.application("Short Video Management") == before.application(
        "Short Video Management"
    )
    assert lifecycle.upgrade(after, at=CUTOFF) == after


def test_the_upgrade_runs_from_the_upgrade_instant() -> None:
    with pytest.raises(ValidationError) as caught:
        lifecycle.upgrade(pending_partner(), at=UPGRADE - TICK)
    assert caught.value.fields == ("at",)


def test_applications_submitted_after_the_upgrade_are_left_alone() -> None:
    partner = lifecycle.apply(
        partner_registered(dt.datetime(2024, 4, 1, tzinfo=LA)),
        "LIVE Management",
        sample_info("LIVE Management"),
        at=UPGRADE,
    )
    assert lifecycle.upgrade(partner, at=CUTOFF) is partner


@given(
    partners(max_steps=14, registered=instants_around(UPGRADE, spread=dt.timedelta(days=90))),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)),
)
def test_migration_properties(partner: Partner, delay: dt.timedelta) -> None:
    at = max(UPGRADE, partner.latest) + delay  # (one clock: never before the latest event)
    after = lifecycle.upgrade(partner, at=at)
    before_by_id = {a.id: a for a in partner.applications}
    after_by_id = {a.id: a for a in after.applications}
    # Nothing is lost; every status that was not pending from before the upgrade is kept.
    assert set(before_by_id) <= set(after_by_id)
    for identifier, old in before_by_id.items():
        new = after_by_id[identifier]
        migrated = old.status is ReviewStatus.PENDING_REVIEW and old.history[-1].at < UPGRADE
        if identifier in {a.id for a in partner.open_applications()} and migrated:
            assert new.status is ReviewStatus.REJECTED
            successor = next(a for a in after.applications if a.supersedes == identifier)
            assert (successor.category, successor.market, successor.info) == (
                old.category,
                old.market,
                old.info,
            )
        else:
            assert new == old
    # No application is left pending from before the upgrade.
    for application in after.open_applications():
        if application.status is ReviewStatus.PENDING_REVIEW:
            assert application.history[-1].at >= UPGRADE
    assert lifecycle.upgrade(after, at=at) == after
    assert after.authorizations == partner.authorizations
    assert after.entity == partner.entity


def test_register_decision_for_an_account_object() -> None:
    account = Account(
        email="ops@agency.example",
        password_hash=EXISTING.account.password_hash,
        registered_at=UPGRADE,
    )
    partner = lifecycle.choose_role(account, "Seller Service Partner", at=UPGRADE)
    assert DEFAULT_POLICY.compiled.bucket(partner.account.registered_at) == 1
    assert DEFAULT_POLICY.compiled.bucket(EXISTING.account.registered_at) == 0
    assert ReasonCode.NEW_PARTNER_DISCONTINUED.value == "new_partner_discontinued"
    assert DEFAULT_POLICY.instant(dt.date(2024, 4, 30)) == UPGRADE
    assert DEFAULT_POLICY.time_zone == LA


@pytest.mark.parametrize("market", [US, "US", "us", " us "])
def test_a_market_may_be_given_by_its_code(market: Market | str) -> None:
    new = partner_registered(dt.datetime(2024, 5, 2, tzinfo=LA), "Paid Media")
    at = dt.date(2024, 5, 3)
    assert DEFAULT_POLICY.can_register(new, "Paid Media", market=market, at=at).codes == (
        "new_partner_discontinued",
    )
    assert DEFAULT_POLICY.can_authorize_seller(new, "Paid Media", market=market, at=at).codes == (
        "approved_application",
        "authorization_open",
    )
    (decision,) = DEFAULT_POLICY.check_many([(new, "Paid Media", market, "register")], at=at)
    assert decision.codes == ("new_partner_discontinued",)


@given(partners(max_steps=8), categories(), markets(), instants_around(UPGRADE, CUTOFF))
def test_a_market_code_answers_as_its_market(
    partner: Partner, category: Category, market: Market, at: dt.datetime
) -> None:
    code = market.code.lower()
    for ask in (DEFAULT_POLICY.can_register, DEFAULT_POLICY.can_authorize_seller):
        assert ask(partner, category, market=code, at=at) == ask(
            partner, category, market=market, at=at
        )


@pytest.mark.parametrize("market", ["XX", "", 5, b"US"])
def test_a_bad_market_is_named(market: object) -> None:
    partner = partner_registered(dt.datetime(2024, 1, 2, tzinfo=LA))
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.can_register(partner, "Paid Media", market=market, at=UPGRADE)  # type: ignore[arg-type]
    assert caught.value.fields == ("market",)


def test_an_unnamed_market_is_the_local_agency_s_registration_market() -> None:
    partner = partner_registered(dt.datetime(2024, 1, 2, tzinfo=LA))
    assert partner.target_market() == Market.US
    assert DEFAULT_POLICY.can_register(partner, "Paid Media", at=UPGRADE) == (
        DEFAULT_POLICY.can_register(partner, "Paid Media", market="US", at=UPGRADE)
    )


@pytest.mark.parametrize(
    "ask",
    [
        lambda p: DEFAULT_POLICY.can_register(p, "Paid Media", at=UPGRADE),
        lambda p: DEFAULT_POLICY.can_authorize_seller(p, "Paid Media", at=UPGRADE),
        lambda p: DEFAULT_POLICY.roles(p, at=UPGRADE),
        lambda p: list(DEFAULT_POLICY.check_many([(p, "Paid Media", US, "register")], at=UPGRADE)),
    ],
)
@pytest.mark.parametrize("not_a_partner", [None, "P1", {"account": None}])
def test_a_question_about_something_else_than_a_partner_is_refused(
    ask: Any, not_a_partner: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        ask(not_a_partner)
    assert str(caught.value) == "invalid question: 1 problem\n  - partner: must be a Partner"


@pytest.mark.parametrize("row", [None, 5, ("P", "Paid Media"), ("a", "b", "c", "d", "e")])
def test_check_many_names_a_row_that_is_not_a_row(row: object) -> None:
    partner = partner_registered(dt.datetime(2024, 1, 2, tzinfo=LA))
    good = (partner, "Paid Media", US, "register")
    with pytest.raises(ValidationError) as caught:
        list(DEFAULT_POLICY.check_many([good, row], at=UPGRADE))  # type: ignore[list-item]
    assert caught.value.fields == ("rows[1]",)


def test_require_registration_raises_the_refusal_or_gives_the_decision() -> None:
    new = partner_registered(dt.datetime(2024, 5, 2, tzinfo=LA))
    with pytest.raises(PolicyRefusal) as caught:
        DEFAULT_POLICY.require_registration(new, "Paid Media", market="US", at=UPGRADE)
    assert caught.value.decision == DEFAULT_POLICY.can_register(new, "Paid Media", at=UPGRADE)
    existing = partner_registered(dt.datetime(2024, 1, 2, tzinfo=LA))
    decision = DEFAULT_POLICY.require_registration(existing, "Paid Media", market="GB", at=UPGRADE)
    assert decision.codes == ("existing_partner",)


@pytest.mark.parametrize(
    ("given", "day"),
    [({}, dt.date(2024, 4, 30)), ({"new_partners_from": "2024-04-20"}, dt.date(2024, 4, 20))],
)
def test_the_first_day_of_new_partners_is_the_upgrade_date_unless_given(
    given: dict[str, Any], day: dt.date
) -> None:
    policy = Policy(rules=upgrade_rules(upgrade_date=dt.date(2024, 4, 30), **given))
    assert policy.rules[0].registered_from in {None, day}
    assert policy.compiled.thresholds[0].date() == day


# ------------------------------------------------------------------------------------------------
# Decisions say what was asked, and by which policy


@given(policies(), partners(max_steps=6), categories(), markets(), st.data())
def test_a_decision_carries_the_question_it_answers(
    policy: Policy, partner: Partner, category: Category, market: Market, data: st.DataObject
) -> None:
    at = data.draw(instants_around(*policy.instants))
    asked = {
        Question.REGISTER: policy.can_register(partner, category.name, market=market.code, at=at),
        Question.AUTHORIZE_SELLER: policy.can_authorize_seller(
            partner, category, market=market, at=at
        ),
    }
    rows = [(partner, category.code, market, question) for question in asked]
    assert list(policy.check_many(rows, at=at)) == list(asked.values())
    for question, decision in asked.items():
        assert (decision.question, decision.partner_id) == (question, partner.partner_id)
        assert (decision.category, decision.market) == (category, market)
        assert decision.at == at
        assert decision.policy_id == policy.id
        # Built on the hot path, it is the value the checked constructors build.
        assert attrs.evolve(decision) == decision
        rebuilt = Decision.of(
            decision.verdict,
            question=question.value,
            partner_id=partner.partner_id,
            category=category,
            market=market.code,
            at=at,
            policy_id=policy.id,
        )
        assert rebuilt == decision
        assert hash(rebuilt) == hash(decision)
        facts = Facts(
            category=category.code,
            registered_at=partner.account.registered_at,
            registration_market=partner.registration_market,
            market=market,
            approved=partner.approved_in(category, market, at=at),
            partner_id=partner.partner_id,
        )
        on_facts = policy.decide(question, facts, at=at)
        # The facts at ``at`` say nothing of the partner's later events: asked about its past,
        # the partner's own answer may change sooner, at an approval it recorded after ``at``.
        assert attrs.evolve(on_facts, changes_at=decision.changes_at) == decision
        if on_facts.changes_at != decision.changes_at:
            assert decision.changes_at is not None
            assert decision.changes_at > at
            assert on_facts.changes_at is None or decision.changes_at < on_facts.changes_at
            assert decision.changes_at in {event.at for event in partner.events}


def test_a_decision_on_plain_facts_names_no_partner_unless_given() -> None:
    facts = Facts(category="Paid Media", registered_at=UPGRADE, registration_market="us")
    decision = DEFAULT_POLICY.decide("register", facts, at=UPGRADE)
    assert decision.partner_id is None
    assert decision.market == US  # (the target market defaults to the registration market)
    assert decision.codes == ("new_partner_discontinued",)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(facts, partner_id=" ")
    assert caught.value.fields == ("partner_id",)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"category": ""}, ("category",)),
        ({"category": 5}, ("category",)),
        ({"registered_at": dt.datetime(2024, 1, 1)}, ("registered_at",)),  # noqa: DTZ001
        ({"registered_at": "2024-01-01"}, ("registered_at",)),
        ({"registration_market": "ZZ"}, ("registration_market",)),
        ({"registration_market": None}, ("registration_market",)),
        ({"market": "USA"}, ("market",)),
        ({"approved": "yes"}, ("approved",)),
        ({"partner_id": "P\u202e1"}, ("partner_id",)),
        ({"category": "", "approved": 1, "market": 7}, ("category", "market", "approved")),
        ({"category": " \t"}, ("category",)),
    ],
)
def test_facts_refuse_what_no_partner_has(changes: dict[str, Any], fields: tuple[str, ...]) -> None:
    given: dict[str, Any] = {"category": "Paid Media", "registered_at": UPGRADE} | changes
    with pytest.raises(ValidationError) as caught:
        Facts(**given)
    assert caught.value.fields == fields
    with pytest.raises(ValidationError):  # (whatever path builds them)
        attrs.evolve(Facts(category="Paid Media", registered_at=UPGRADE), **changes)


def test_a_decision_needs_facts() -> None:
    with pytest.raises(WrongType) as caught:
        DEFAULT_POLICY.decide("register", {"category": "Paid Media"}, at=UPGRADE)  # type: ignore[arg-type]
    assert caught.value.fields == ("facts",)


def test_a_decision_is_logged_as_json_and_read_back() -> None:
    from partner_onboarding.serde import from_json, to_json  # noqa: PLC0415

    decision = DEFAULT_POLICY.can_register(NEW, "Paid Media", market="GB", at=UPGRADE)
    document = json.loads(to_json(decision))
    assert document["catalog"] == DEFAULT_CATALOG.id
    data = document["data"]
    assert {key: data[key] for key in ("question", "category", "market", "at", "policy_id")} == {
        "question": "register",
        "category": "paid_media",
        "market": "GB",
        "at": "2024-04-30T00:00:00-07:00",
        "policy_id": DEFAULT_POLICY.id,
    }
    assert data["partner_id"] == NEW.partner_id
    assert from_json(to_json(decision), Decision) == decision
    forged = json.dumps({**document, "data": {**data, "policy_id": "policy#zz"}})
    with pytest.raises(ValidationError) as caught:
        from_json(forged, Decision)
    assert caught.value.fields == ("policy_id",)


@given(policies(), policies())
def test_a_policy_id_is_a_digest_of_its_content(one: Policy, other: Policy) -> None:
    assert (one.id == other.id) is (one == other)
    assert Policy.from_json(one.to_json()).id == one.id
    assert json.loads(one.to_json())["id"] == one.id


def test_a_policy_id_is_the_same_in_every_process() -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "from partner_onboarding import DEFAULT_POLICY; print(DEFAULT_POLICY.id)"
    ids = {
        subprocess.run(  # noqa: S603  (this interpreter, a fixed program)
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert ids == {DEFAULT_POLICY.id}


def test_a_policy_whose_content_does_not_match_its_id_is_refused() -> None:
    data = json.loads(DEFAULT_POLICY.to_json())
    assert Policy.from_data(data) == DEFAULT_POLICY
    changed = {**data, "rules": [data["rules"][0], {**data["rules"][1], "from": "2024-07-01"}]}
    with pytest.raises(ValidationError) as caught:
        Policy.from_data(changed)
    assert caught.value.fields == ("id",)
    del changed["id"]  # (an id may be left out: a policy written by hand)
    assert Policy.from_data(changed).authorization_cutoff_at == dt.datetime(
        2024, 7, 1, 7, tzinfo=UTC
    )
    with pytest.raises(ValidationError) as caught:
        Policy.from_data(data, catalog=CUSTOM)
    assert caught.value.fields == ("id",)
    assert "id =" not in DEFAULT_POLICY.to_toml()


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "right/UTC", "posix/UTC"])
def test_a_zone_that_means_something_else_on_another_machine_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(zone=zone)
    assert caught.value.fields == ("zone",)
    assert "does not mean the same on every machine" in str(caught.value)
    assert Policy(zone="Etc/UTC").zone == "Etc/UTC"


FIXED_OFFSET_INSTANTS = st.builds(
    lambda reading, minutes: reading.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))),
    st.datetimes(dt.datetime(2, 1, 1), dt.datetime(9998, 12, 31)),  # noqa: DTZ001
    st.sampled_from([0, -420, -480, 330, 600]) | st.integers(-1439, 1439),
)


@given(st.lists(st.tuples(FIXED_OFFSET_INSTANTS, FIXED_OFFSET_INSTANTS), min_size=1, max_size=8))
def test_before_compares_instants_as_instants_whatever_their_offsets(
    pairs: list[tuple[dt.datetime, dt.datetime]],
) -> None:
    compiled = Policy().compiled  # (a fresh one: its memory of the last instant starts empty)
    for at, instant in pairs:
        assert compiled.before(at, instant) is (at < instant)
        assert compiled.before(at, instant) is (at < instant)  # (the second time, remembered)
        for other in (instant + TICK, instant - TICK):
            assert compiled.before(at, other) is (at < other)
    first = pairs[0][0]  # (one instant asked about many, in their zones: as a bulk check does)
    for _, instant in pairs:
        assert compiled.before(first, instant) is (first < instant)
