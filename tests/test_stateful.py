"""A partner driven through random sequences of every operation; invariants checked each step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from partner_onboarding import (
    DEFAULT_CATALOG,
    DEFAULT_POLICY,
    Category,
    Market,
    PartnerRole,
    lifecycle,
)
from partner_onboarding.errors import BackdatedStep, InvalidTransition, OnboardingError
from partner_onboarding.model import (
    Account,
    Application,
    Entity,
    EntityReview,
    EventKind,
    Partner,
    ReviewStatus,
)
from partner_onboarding.serde import from_json, to_data, to_json
from partner_onboarding.testing import accounts, category_infos, entities

CATEGORIES = st.sampled_from(DEFAULT_CATALOG.categories(include_legacy=True))
MARKETS = st.sampled_from([Market.US, Market("GB")])
REASONS = st.lists(st.sampled_from(["incomplete", "blurry licence", "no case studies"]), max_size=2)


class PartnerMachine(RuleBasedStateMachine):
    partner: Partner
    now: dt.datetime
    approved_entity: Entity | None

    @initialize(account=accounts(), role=st.sampled_from(list(PartnerRole)))
    def start(self, account: Account, role: PartnerRole) -> None:
        self.now = account.registered_at
        self.partner = lifecycle.choose_role(account, role, at=self.now)
        self.approved_entity = None
        self.steps = 0

    def attempt(
        self, operation: Callable[[Partner], Partner], *, allowed: bool | None = None
    ) -> None:
        """Run one operation; a refusal must leave the partner exactly as it was."""
        before = self.partner
        snapshot = to_data(before)
        try:
            after = operation(before)
        except OnboardingError:
            assert allowed is not True, "an event allowed_events offered was refused"
            assert to_data(before) == snapshot
            return
        assert allowed is not False, "an event allowed_events did not offer went through"
        assert to_data(before) == snapshot, "the old value changed"
        self.check_growth(before, after)
        self.partner = after
        self.steps += 1

    def check_growth(self, before: Partner, after: Partner) -> None:
        previous = {a.id: a for a in before.applications}
        for application in after.applications:
            old = previous.get(application.id)
            if old is not None:
                assert list(application.history)[: len(old.history)] == list(old.history)

    def open_application(self, category: Category, market: Market) -> Application | None:
        return next(
            (a for a in self.partner.open_applications() if a.key == (category.code, market.code)),
            None,
        )

    def offered(self, category: Category, market: Market, kind: EventKind) -> bool:
        application = self.open_application(category, market)
        return application is not None and kind in lifecycle.allowed_events(
            application, self.partner
        )

    def entity_offers(self, kind: EventKind) -> bool:
        return kind in lifecycle.allowed_events(lifecycle.Subject.ENTITY, self.partner)

    @rule(hours=st.integers(0, 24 * 40))
    def time_passes(self, hours: int) -> None:
        # Elapsed time, not wall-clock arithmetic (which may step back across a DST fold).
        self.now = (self.now.astimezone(dt.UTC) + dt.timedelta(hours=hours)).astimezone(
            self.now.tzinfo
        )

    @rule(role=st.sampled_from(list(PartnerRole)))
    def add_role(self, role: PartnerRole) -> None:
        self.attempt(lambda p: lifecycle.add_role(p, role, at=self.now), allowed=True)

    @rule(entity=entities())
    def submit_entity(self, entity: Entity) -> None:
        self.attempt(
            lambda p: lifecycle.submit_entity(p, entity, at=self.now),
            allowed=self.entity_offers(EventKind.SUBMIT),
        )

    @rule()
    def approve_entity(self) -> None:
        self.attempt(
            lambda p: lifecycle.approve_entity(p, at=self.now),
            allowed=self.entity_offers(EventKind.APPROVE),
        )
        if self.partner.entity is not None and self.partner.entity.status is ReviewStatus.APPROVED:
            self.approved_entity = self.approved_entity or self.partner.entity.entity

    @rule(reasons=REASONS)
    def reject_entity(self, reasons: list[str]) -> None:
        self.attempt(
            lambda p: lifecycle.reject_entity(p, reasons, at=self.now),
            allowed=self.entity_offers(EventKind.REJECT) and bool(reasons),
        )

    @rule(entity=entities())
    def modify_entity(self, entity: Entity) -> None:
        self.attempt(
            lambda p: lifecycle.modify_entity(p, entity, at=self.now),
            allowed=self.entity_offers(EventKind.MODIFY),
        )

    @rule(category=CATEGORIES, market=MARKETS, data=st.data())
    def apply(self, category: Category, market: Market, data: st.DataObject) -> None:
        info = data.draw(category_infos(st.just(category)))
        self.attempt(lambda p: lifecycle.apply(p, category, info, market=market, at=self.now))

    @rule(category=CATEGORIES, market=MARKETS)
    def approve(self, category: Category, market: Market) -> None:
        self.attempt(
            lambda p: lifecycle.approve(p, category, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.APPROVE),
        )

    @rule(category=CATEGORIES, market=MARKETS, reasons=REASONS)
    def reject(self, category: Category, market: Market, reasons: list[str]) -> None:
        self.attempt(
            lambda p: lifecycle.reject(p, category, reasons, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.REJECT) and bool(reasons),
        )

    @rule(category=CATEGORIES, market=MARKETS, data=st.data())
    def modify(self, category: Category, market: Market, data: st.DataObject) -> None:
        info = data.draw(category_infos(st.just(category)))
        self.attempt(
            lambda p: lifecycle.modify(p, category, info, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.MODIFY),
        )

    @rule(category=CATEGORIES, market=MARKETS, data=st.data())
    def edit(self, category: Category, market: Market, data: st.DataObject) -> None:
        info = data.draw(category_infos(st.just(category)))
        self.attempt(
            lambda p: lifecycle.edit(p, category, info, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.EDIT),
        )

    @rule(category=CATEGORIES, market=MARKETS)
    def approve_revision(self, category: Category, market: Market) -> None:
        self.attempt(
            lambda p: lifecycle.approve_revision(p, category, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.APPROVE_REVISION),
        )

    @rule(category=CATEGORIES, market=MARKETS, reasons=REASONS)
    def reject_revision(self, category: Category, market: Market, reasons: list[str]) -> None:
        self.attempt(
            lambda p: lifecycle.reject_revision(p, category, reasons, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.REJECT_REVISION) and bool(reasons),
        )

    @rule(category=CATEGORIES, market=MARKETS, seller=st.sampled_from(["s1", "s2"]))
    def authorize_seller(self, category: Category, market: Market, seller: str) -> None:
        held = any(
            a.key == (seller, category.code, market.code) for a in self.partner.authorizations
        )
        decision = DEFAULT_POLICY.can_authorize_seller(
            self.partner, category, market=market, at=self.now
        )
        self.attempt(
            lambda p: lifecycle.authorize_seller(p, category, seller, market=market, at=self.now),
            allowed=held or decision.allowed,
        )

    @rule()
    def upgrade(self) -> None:
        self.attempt(
            lambda p: lifecycle.upgrade(p, at=self.now),
            allowed=self.now >= DEFAULT_POLICY.upgrade_at,
        )

    @rule()
    def reload_from_json(self) -> None:
        # What another process reads is the same partner, and the run goes on with it.
        self.partner = from_json(to_json(self.partner), Partner)

    @rule(category=CATEGORIES, market=MARKETS, hours=st.integers(1, 100))
    def backdated_steps_are_refused(self, category: Category, market: Market, hours: int) -> None:
        past = self.partner.latest - dt.timedelta(hours=hours)
        role = next((r for r in PartnerRole if r not in self.partner.roles), None)
        attempts: list[Callable[[Partner], Partner]] = [
            lambda p: lifecycle.reject(p, category, ["late"], market=market, at=past),
            lambda p: lifecycle.approve_entity(p, at=past),
        ]
        if past >= DEFAULT_POLICY.upgrade_at:
            attempts.append(lambda p: lifecycle.upgrade(p, at=past))
        if role is not None:
            attempts.append(lambda p: lifecycle.add_role(p, role, at=past))
        for attempt in attempts:
            before = self.partner
            try:
                after = attempt(before)
            except BackdatedStep as refusal:
                assert refusal.not_before in {before.latest, before.registered_at}
                assert refusal.at < refusal.not_before
                continue
            except OnboardingError:
                continue
            assert after == before, "a back-dated step changed the partner"

    @rule(category=CATEGORIES, market=MARKETS)
    def refused_events_name_the_allowed_ones(self, category: Category, market: Market) -> None:
        application = self.open_application(category, market)
        if application is None:
            return
        allowed = lifecycle.allowed_events(application, self.partner)
        # The system's event, by brute force: the upgrade, run now (or when it takes effect),
        # rejects this application exactly when system_reject is offered.
        upgraded = lifecycle.upgrade(self.partner, at=max(self.now, DEFAULT_POLICY.upgrade_at))
        rejected = any(
            a.id == application.id and a.history[-1].kind is EventKind.SYSTEM_REJECT
            for a in upgraded.applications
        )
        assert rejected is (EventKind.SYSTEM_REJECT in allowed)
        assert EventKind.REGENERATE not in allowed
        entity = self.partner.entity
        for kind in EventKind:
            if kind in allowed or kind is EventKind.SYSTEM_REJECT:
                continue
            try:
                lifecycle.transition(
                    application,
                    kind,
                    at=self.now,
                    reasons=["r"],
                    entity_status=None if entity is None else entity.status,
                )
            except InvalidTransition as refusal:  # (the table alone: the upgrade not weighed)
                system = {EventKind.SYSTEM_REJECT}
                assert set(refusal.allowed) - system == set(allowed) - system
            except OnboardingError:
                assert kind is EventKind.APPROVE  # (the entity guard's own error)
            else:
                raise AssertionError(f"{kind} went through in {application.status}")

    @invariant()
    def the_constructor_accepts_and_equals_what_the_operations_built(self) -> None:
        # The operations fold one event at a time; the constructor replays every event from the
        # start and must arrive at the same partner.
        rebuilt = Partner(self.partner.events, policy=None)
        assert rebuilt == self.partner
        assert rebuilt.latest == self.partner.latest
        assert rebuilt.open_applications() == self.partner.open_applications()

    @invariant()
    def at_most_one_open_application_per_pair(self) -> None:
        keys = [a.key for a in self.partner.open_applications()]
        assert len(keys) == len(set(keys))

    @invariant()
    def an_approved_entity_never_changes(self) -> None:
        if self.approved_entity is not None:
            assert self.partner.entity is not None
            assert self.partner.entity.entity == self.approved_entity
            assert self.partner.entity.status is ReviewStatus.APPROVED

    @invariant()
    def statuses_match_histories_and_histories_are_monotone(self) -> None:
        reviews: list[Application | EntityReview] = [
            *self.partner.applications,
            *([self.partner.entity] if self.partner.entity else []),
        ]
        for review in reviews:
            assert review.status is review.history[-1].to_status
            instants = [event.at for event in review.history]
            assert instants == sorted(instants)
            assert review.history[0].from_status is None

    @invariant()
    def approved_categories_need_an_approved_entity(self) -> None:
        if any(a.status is ReviewStatus.APPROVED for a in self.partner.applications):
            assert self.partner.entity is not None
            assert self.partner.entity.status is ReviewStatus.APPROVED

    @invariant()
    def json_round_trip_is_the_identity(self) -> None:
        assert from_json(to_json(self.partner), Partner) == self.partner


TestPartnerMachine = PartnerMachine.TestCase
