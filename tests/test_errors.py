"""Every refusal the library raises, built from its facts: its words, its facts and its rule,
the same after a pickle or a copy (what a worker process sends back)."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from collections.abc import Callable, Iterable

import pytest

from partner_onboarding import PartnerRole, ReviewStatus
from partner_onboarding.errors import (
    MAX_PROBLEMS,
    ApplicationNotFound,
    BackdatedStep,
    CategoryNotInRoles,
    DuplicateApplication,
    EntityLocked,
    EntityNotApproved,
    EntityNotSubmitted,
    InvalidTransition,
    MissingExtra,
    NoApprovedApplication,
    OnboardingError,
    PartnerNotFound,
    Problem,
    StaleRevision,
    UnknownCategory,
    ValidationError,
)
from partner_onboarding.model import EventKind

T = dt.datetime(2024, 4, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
APPROVED = ReviewStatus.APPROVED

# (each built in the test that reads it: a refusal built when the tests are collected would be
# built before the code under test is chosen)
REFUSALS: list[tuple[Callable[[], OnboardingError], str, dict[str, object]]] = [
    (
        lambda: InvalidTransition(
            subject="application", status=None, event=EventKind.APPROVE, allowed=()
        ),
        "cannot approve an application that is not yet submitted; allowed: nothing",
        {"subject": "application", "status": None, "event": EventKind.APPROVE, "allowed": ()},
    ),
    (
        lambda: InvalidTransition(
            subject="entity", status=APPROVED, event="edit", allowed=["submit", "x"]
        ),
        "cannot edit an entity that is Approved; allowed: submit, x",
        {"subject": "entity", "status": APPROVED, "allowed": ("submit", "x")},
    ),
    (
        lambda: EntityLocked(status=APPROVED, event="edit"),
        (
            "approved entity information applies to every category and to finance information and "
            "cannot be modified"
        ),
        {"subject": "entity", "status": APPROVED, "event": "edit", "rule": "entity_locked"},
    ),
    (
        lambda: EntityNotSubmitted(category="Paid Media"),
        "entity information must be submitted before applying for Paid Media (a service category)",
        {"category": "Paid Media", "rule": "entity_not_submitted", "args": ("Paid Media",)},
    ),
    (
        lambda: EntityNotApproved(entity_status=None),
        "a category can be approved only when the entity is approved (entity: not submitted)",
        {
            "entity_status": None,
            "category": None,
            "rule": "entity_not_approved",
            "args": (None, None),
        },
    ),
    (
        lambda: EntityNotApproved(entity_status=ReviewStatus.PENDING_REVIEW, category="Paid Media"),
        "a category can be approved only when the entity is approved (entity: Pending Review)",
        {
            "entity_status": ReviewStatus.PENDING_REVIEW,
            "category": "Paid Media",
            "args": (ReviewStatus.PENDING_REVIEW, "Paid Media"),
        },
    ),
    (
        lambda: CategoryNotInRoles(category="Paid Media", role=PartnerRole.SELLER_SERVICE_PARTNER),
        (
            "Paid Media belongs to the role Seller Service Partner, which the partner has not "
            "chosen; add that role first"
        ),
        {
            "category": "Paid Media",
            "roles": (),
            "rule": "category_not_in_roles",
            "args": ("Paid Media", PartnerRole.SELLER_SERVICE_PARTNER, ()),
        },
    ),
    (
        lambda: CategoryNotInRoles(category="Paid Media", role="plain", roles=["a"]),
        (
            "Paid Media belongs to the role plain, which the partner has not chosen; add that role "
            "first"
        ),
        {"role": "plain", "roles": ("a",)},
    ),
    (
        lambda: DuplicateApplication(
            category="Paid Media", market="US", open_id="app-1", status=APPROVED
        ),
        "an application for Paid Media in US is already open (app-1, Approved)",
        {
            "category": "Paid Media",
            "market": "US",
            "open_id": "app-1",
            "status": APPROVED,
            "args": ("Paid Media", "US", "app-1", APPROVED),
        },
    ),
    (
        lambda: NoApprovedApplication(category="Paid Media", market="GB"),
        (
            "a seller authorisation in Paid Media needs an approved application in Paid Media in "
            "market GB"
        ),
        {
            "category": "Paid Media",
            "market": "GB",
            "rule": "no_approved_application",
            "args": ("Paid Media", "GB"),
        },
    ),
    (
        lambda: BackdatedStep(at=T, not_before=T + DAY, since="registration"),
        (
            "back-dated step: 2024-04-30T00:00:00+00:00 is before the account's registration "
            "(2024-05-01T00:00:00+00:00)"
        ),
        {
            "at": T,
            "not_before": T + DAY,
            "since": "registration",
            "rule": "backdated_step",
            "problems": (
                Problem(
                    "at",
                    "2024-04-30T00:00:00+00:00 is before the account's registration "
                    "(2024-05-01T00:00:00+00:00)",
                ),
            ),
        },
    ),
    (
        lambda: BackdatedStep(at=T, not_before=T + DAY, since="latest_event"),
        (
            "back-dated step: 2024-04-30T00:00:00+00:00 is before the partner's latest event "
            "(2024-05-01T00:00:00+00:00)"
        ),
        {"since": "latest_event", "fields": ("at",), "what": "step"},
    ),
    (
        lambda: ApplicationNotFound("Paid Media", "US"),
        "no open application for Paid Media in market US",
        {"category": "Paid Media", "market": "US", "args": ("Paid Media", "US")},
    ),
    (
        lambda: MissingExtra("check_frame", "polars"),
        "check_frame needs the 'polars' extra: pip install 'partner-onboarding[polars]'",
        {"feature": "check_frame", "extra": "polars", "args": ("check_frame", "polars")},
    ),
    (
        lambda: PartnerNotFound("P" * 150),
        f"no partner {'P' * 100 + '…'!r} is stored",
        {"partner_id": "P" * 150, "args": ("P" * 150,)},
    ),
    (
        lambda: StaleRevision(expected=3, actual=5),
        "stale revision: the write was made from revision 3, the partner is at revision 5",
        {"expected": 3, "actual": 5, "args": (3, 5)},
    ),
    (
        lambda: UnknownCategory("Paid Medai", ["Paid Media"]),
        "unknown service category 'Paid Medai'; did you mean 'Paid Media'?",
        {"name": "Paid Medai", "suggestions": ("Paid Media",), "args": ("Paid Medai",)},
    ),
    (lambda: UnknownCategory("zz", []), "unknown service category 'zz'", {"suggestions": ()}),
    (
        lambda: UnknownCategory("Paid", ["Paid Media", "Paid Ads"]),
        "unknown service category 'Paid'; did you mean 'Paid Media' or 'Paid Ads'?",
        {"suggestions": ("Paid Media", "Paid Ads")},
    ),
    (
        lambda: InvalidTransition(
            subject="seller authorisation",
            status=APPROVED,
            event=EventKind.SUBMIT,
            allowed=[EventKind.APPROVE, EventKind.REJECT],
        ),
        "cannot submit a seller authorisation that is Approved; allowed: approve, reject",
        {
            "event": EventKind.SUBMIT,
            "args": (
                "seller authorisation",
                APPROVED,
                EventKind.SUBMIT,
                (EventKind.APPROVE, EventKind.REJECT),
            ),
        },
    ),
    (
        lambda: DuplicateApplication(
            category="Paid Media", market="US", open_id="app-1", status="on hold"
        ),
        "an application for Paid Media in US is already open (app-1, on hold)",
        {"status": "on hold"},
    ),
]


@pytest.mark.parametrize(("make", "said", "facts"), REFUSALS)
def test_a_refusal_says_its_facts_word_for_word_and_keeps_them(
    make: Callable[[], OnboardingError], said: str, facts: dict[str, object]
) -> None:
    error = make()
    assert str(error) == said
    assert {name: getattr(error, name) for name in facts} == facts
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):  # noqa: S301  (our own bytes)
        assert type(again) is type(error)
        assert str(again) == said
        assert {name: getattr(again, name) for name in facts} == facts


@pytest.mark.parametrize(
    ("problems", "more", "said"),
    [
        ([Problem("a", "b")], 0, "invalid value: 1 problem\n  - a: b"),
        ((Problem("a", "b"),), 2, "invalid value: 3 problems\n  - a: b\n  - … and 2 more"),
        ([], 1, "invalid value: 1 problem\n  - … and 1 more"),
        ([], 0, "invalid value: 0 problems"),
        (
            (Problem(str(index), "x") for index in range(MAX_PROBLEMS + 10)),
            0,
            f"invalid value: {MAX_PROBLEMS + 10} problems\n"
            + "".join(f"  - {index}: x\n" for index in range(MAX_PROBLEMS))
            + "  - … and 10 more",
        ),
    ],
)
def test_a_validation_error_lists_its_problems_to_their_bound_then_counts(
    problems: Iterable[Problem], more: int, said: str
) -> None:
    error = ValidationError(problems, more=more)
    assert str(error) == said
    assert error.args == (said,)
    assert len(error.problems) <= MAX_PROBLEMS
    again = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
    assert (str(again), again.problems, again.more) == (said, error.problems, error.more)
