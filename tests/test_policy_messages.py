"""Every answer and every loader error, word for word: what users and their logs read.

Each case builds a fresh policy, so the decisions are built by the code under test (not reused
from the import of DEFAULT_POLICY).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from partner_onboarding import (
    Catalog,
    Category,
    FirstCategory,
    Market,
    PartnerRole,
    ValidationError,
    lifecycle,
)
from partner_onboarding.errors import PolicyRefusal
from partner_onboarding.model import Application, Partner
from partner_onboarding.policy import DEFAULT_POLICY, Policy, Question, upgrade_rules
from partner_onboarding.testing import approved_partner, sample_info

LA = ZoneInfo("America/Los_Angeles")
UPGRADE = "2024-04-30T00:00-07:00"
CUTOFF = "2024-06-05T00:00-07:00"
EXISTING = approved_partner(
    "Paid Media", "Shop Management", at=dt.datetime(2024, 1, 10, tzinfo=LA), policy=None
)
NEW = approved_partner(at=dt.datetime(2024, 5, 2, tzinfo=LA), policy=None)
# A partner of another Partner Center (registered in GB): the US policy does not cover it.
GB_PARTNER = approved_partner(
    "Paid Media",
    at=dt.datetime(2024, 1, 10, tzinfo=LA),
    market=Market("GB"),
    registration_market=Market("GB"),
    policy=None,
)


def describe(decision: object) -> tuple[object, ...]:
    from partner_onboarding.policy import Decision  # noqa: PLC0415

    assert isinstance(decision, Decision)
    return (
        decision.allowed,
        decision.message,
        [
            (
                str(r.code),
                r.message,
                r.rule.name,
                r.rule.effective_at and r.rule.effective_at.isoformat(timespec="minutes"),
            )
            for r in decision.reasons
        ],
        str(decision.decided_by),
        decision.changes_at and decision.changes_at.isoformat(timespec="minutes"),
    )


# A partner asked about an instant before its registration (all but when the answer changes).
NOT_REGISTERED_YET = (
    False,
    "refused: the partner is not registered yet at the instant asked",
    [
        (
            "not_registered_yet",
            "the partner is not registered yet at the instant asked",
            "registered_partner",
            None,
        )
    ],
    "registered_partner",
)


CASES = [
    (
        "register",
        NEW,
        "Shop Management",
        "US",
        dt.date(2024, 5, 3),
        (
            True,
            "allowed: a category of the current structure",
            [
                (
                    "current_category",
                    "a category of the current structure",
                    "current_structure",
                    None,
                )
            ],
            "current_structure",
            None,
        ),
    ),
    (
        "register",
        GB_PARTNER,
        "Paid Media",
        "GB",
        dt.date(2024, 5, 3),
        (
            True,
            "allowed: the policy does not cover partners registered in another Partner Center",
            [
                (
                    "market_not_covered",
                    "the policy does not cover partners registered in another Partner Center",
                    "market_scope",
                    None,
                )
            ],
            "market_scope",
            None,
        ),
    ),
    (
        "register",
        NEW,
        "Paid Media",
        "US",
        dt.date(2024, 4, 1),
        (*NOT_REGISTERED_YET, None),
    ),
    (
        "register",
        EXISTING,
        "Mass Tutoring",
        "US",
        dt.date(2024, 1, 9),
        (*NOT_REGISTERED_YET, "2024-01-10T00:00-08:00"),
    ),
    (
        "register",
        EXISTING,
        "Paid Media",
        "US",
        dt.date(2024, 5, 3),
        (
            True,
            "allowed: existing partner",
            [("existing_partner", "existing partner", "new_partner_registration", UPGRADE)],
            f"new_partner_registration (from {UPGRADE})",
            None,
        ),
    ),
    (
        "register",
        NEW,
        "Paid Media",
        "US",
        dt.date(2024, 5, 3),
        (
            False,
            f"refused: new partners cannot register for a discontinued category from {UPGRADE}",
            [
                (
                    "new_partner_discontinued",
                    f"new partners cannot register for a discontinued category from {UPGRADE}",
                    "new_partner_registration",
                    UPGRADE,
                )
            ],
            f"new_partner_registration (from {UPGRADE})",
            None,
        ),
    ),
    (
        "authorize_seller",
        EXISTING,
        "Shop Management",
        "US",
        dt.date(2024, 7, 1),
        (
            True,
            "allowed: an approved application; a category of the current structure",
            [
                (
                    "approved_application",
                    "an approved application",
                    "approved_application_required",
                    None,
                ),
                (
                    "current_category",
                    "a category of the current structure",
                    "current_structure",
                    None,
                ),
            ],
            "current_structure",
            None,
        ),
    ),
    (
        "authorize_seller",
        GB_PARTNER,
        "Paid Media",
        "GB",
        dt.date(2024, 7, 1),
        (
            True,
            "allowed: an approved application; the policy does not cover partners registered in "
            "another Partner Center",
            [
                (
                    "approved_application",
                    "an approved application",
                    "approved_application_required",
                    None,
                ),
                (
                    "market_not_covered",
                    "the policy does not cover partners registered in another Partner Center",
                    "market_scope",
                    None,
                ),
            ],
            "market_scope",
            None,
        ),
    ),
    (
        "authorize_seller",
        NEW,
        "Paid Media",
        "US",
        dt.date(2024, 5, 3),
        (
            False,
            "refused: a seller authorisation needs an approved application in that category and market",
            [
                (
                    "no_approved_application",
                    "a seller authorisation needs an approved application in that category and market",
                    "approved_application_required",
                    None,
                )
            ],
            "approved_application_required",
            None,
        ),
    ),
    (
        "authorize_seller",
        EXISTING,
        "Paid Media",
        "US",
        dt.date(2024, 5, 3),
        (
            True,
            f"allowed until {CUTOFF}",
            [
                (
                    "approved_application",
                    "an approved application",
                    "approved_application_required",
                    None,
                ),
                ("authorization_open", f"open until {CUTOFF}", "new_seller_authorization", CUTOFF),
            ],
            f"new_seller_authorization (from {CUTOFF})",
            CUTOFF,
        ),
    ),
    (
        "authorize_seller",
        EXISTING,
        "Paid Media",
        "US",
        dt.date(2024, 6, 5),
        (
            False,
            f"refused: no new seller authorisation in a discontinued category from {CUTOFF}",
            [
                (
                    "authorization_closed",
                    f"no new seller authorisation in a discontinued category from {CUTOFF}",
                    "new_seller_authorization",
                    CUTOFF,
                )
            ],
            f"new_seller_authorization (from {CUTOFF})",
            None,
        ),
    ),
    (
        "authorize_seller",
        NEW,
        "Paid Media",
        "US",
        dt.date(2024, 6, 5),
        (
            False,
            "refused: a seller authorisation needs an approved application in that category and market; "
            f"no new seller authorisation in a discontinued category from {CUTOFF}",
            [
                (
                    "no_approved_application",
                    "a seller authorisation needs an approved application in that category and market",
                    "approved_application_required",
                    None,
                ),
                (
                    "authorization_closed",
                    f"no new seller authorisation in a discontinued category from {CUTOFF}",
                    "new_seller_authorization",
                    CUTOFF,
                ),
            ],
            f"new_seller_authorization (from {CUTOFF})",
            None,
        ),
    ),
]


@pytest.mark.parametrize(("question", "partner", "category", "market", "at", "expected"), CASES)
def test_every_answer_word_for_word(
    question: str,
    partner: Partner,
    category: str,
    market: str,
    at: dt.date,
    expected: tuple[object, ...],
) -> None:
    policy = Policy()  # built afresh, equal to the default
    assert policy == DEFAULT_POLICY
    ask = policy.can_register if question == "register" else policy.can_authorize_seller
    assert describe(ask(partner, category, market=Market(market), at=at)) == expected
    (bulk,) = policy.check_many([(partner, category, Market(market), Question(question))], at=at)
    assert describe(bulk) == expected


def test_a_partner_registered_before_the_upgrade_but_new_hears_when_it_takes_effect() -> None:
    policy = Policy(rules=upgrade_rules(new_partners_from=dt.date(2024, 4, 1)))
    partner = approved_partner(at=dt.datetime(2024, 4, 15, tzinfo=LA), policy=None)
    decision = policy.can_register(partner, "Paid Media", at=dt.date(2024, 4, 20))
    assert describe(decision) == (
        True,
        f"allowed until {UPGRADE}",
        [
            (
                "before_upgrade",
                f"the upgrade takes effect at {UPGRADE}",
                "new_partner_registration",
                UPGRADE,
            )
        ],
        f"new_partner_registration (from {UPGRADE})",
        UPGRADE,
    )


def test_the_switch_for_existing_partners_word_for_word() -> None:
    policy = Policy(rules=upgrade_rules(existing_partners_may_register=False))
    assert describe(policy.can_register(EXISTING, "Paid Media", at=dt.date(2024, 5, 3))) == (
        False,
        f"refused: nobody opens a new application in a discontinued category from {UPGRADE}",
        [
            (
                "discontinued_for_all",
                f"nobody opens a new application in a discontinued category from {UPGRADE}",
                "new_partner_registration",
                UPGRADE,
            )
        ],
        f"new_partner_registration (from {UPGRADE})",
        None,
    )
    assert (
        policy.can_register(EXISTING, "Paid Media", at=dt.date(2024, 4, 1)).changes_at is not None
    )


def test_new_partners_from_moves_the_line_between_new_and_existing() -> None:
    policy = Policy(rules=upgrade_rules(new_partners_from=dt.date(2024, 1, 1)))
    assert policy.instants[0].isoformat() == "2024-01-01T00:00:00-08:00"
    assert policy.compiled.bucket(EXISTING.account.registered_at) == 1
    assert policy.can_register(EXISTING, "Paid Media", at=dt.date(2024, 5, 3)).codes == (
        "new_partner_discontinued",
    )
    assert DEFAULT_POLICY.compiled.bucket(EXISTING.account.registered_at) == 0
    assert Policy.from_data(policy.to_data()) == policy


def test_a_seller_authorisation_always_needs_an_approved_application() -> None:
    # (the former switch authorization_requires_approval is gone: the values hold this rule)
    assert DEFAULT_POLICY.can_authorize_seller(NEW, "Paid Media", at=dt.date(2024, 5, 3)).codes == (
        "no_approved_application",
    )
    with pytest.raises(ValidationError) as caught:
        Policy.from_data({"authorization_requires_approval": False})
    assert caught.value.fields == ("authorization_requires_approval",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "invalid policy: 1 problem\n  - must be a table of policy fields"),
        ({"catalog": "x"}, "invalid policy: 1 problem\n  - catalog: unknown field"),
        ({"_compiled": 1}, "invalid policy: 1 problem\n  - _compiled: unknown field"),
        ({"role_overrides": []}, "invalid policy: 1 problem\n  - role_overrides: must be a table"),
        (
            {"zone": ""},
            "invalid policy: 1 problem\n  - zone: must be an IANA time zone name such as 'America/Los_Angeles'",
        ),
        (
            {"upgrade_date": 5},
            "invalid policy: 1 problem\n  - upgrade_date: '5' is not a date such as 2024-04-30",
        ),
        (
            {"upgrade_date": "2024-04-30T00:00"},
            "invalid policy: 1 problem\n  - upgrade_date: '2024-04-30T00:00' is not a date such as "
            "2024-04-30",
        ),
        (
            {"new_partners_from": "soon"},
            "invalid policy: 1 problem\n  - new_partners_from: 'soon' is not a date such as 2024-04-30",
        ),
        (
            {"authorization_cutoff": 2024},
            "invalid policy: 1 problem\n  - authorization_cutoff: '2024' is not a date such as "
            "2024-04-30",
        ),
        (
            {"existing_partners_may_register": 1},
            "invalid policy: 1 problem\n  - existing_partners_may_register: must be true or false",
        ),
        (
            {"authorization_requires_approval": "no"},
            "invalid policy: 1 problem\n  - authorization_requires_approval: unknown field",
        ),
        (
            {"discontinued": 7},
            "invalid policy: 1 problem\n  - discontinued: must be a list of category codes",
        ),
        (
            {"market": "XX"},
            "invalid policy: 1 problem\n  - market: 'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            {"role_overrides": {"paid_media": "boss"}},
            "invalid policy: 1 problem\n  - role_overrides.paid_media: 'boss' is not one of "
            "creator_service_partner, seller_service_partner, seller_service_creator_matchmaking",
        ),
    ],
)
def test_loader_errors_word_for_word(data: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.from_data(data)
    assert str(caught.value) == message


def test_a_datetime_is_not_a_cut_off_date() -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.from_data({"upgrade_date": dt.datetime(2024, 4, 30, tzinfo=LA)})
    assert str(caught.value) == (
        "invalid policy: 1 problem\n"
        "  - upgrade_date: must be a calendar date (the cut-off is the start of that day)"
    )


@pytest.mark.parametrize(
    ("load", "text", "message"),
    [
        (
            Policy.from_json,
            "{",
            "invalid policy: 1 problem\n  - not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        (
            Policy.from_toml,
            "a =",
            "invalid policy: 1 problem\n  - not TOML (Invalid value (at end of document))",
        ),
    ],
)
def test_text_errors_word_for_word(load: object, text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load(text)  # type: ignore[operator]
    assert str(caught.value) == message


def test_loaders_use_the_catalog_they_are_given(tmp_path: object) -> None:
    import pathlib  # noqa: PLC0415

    pilot = Catalog(
        [
            Category(
                code="studio",
                name="Studio",
                first_category=FirstCategory.SELLER_SERVICE,
                role=PartnerRole.SELLER_SERVICE_PARTNER,
                legacy=True,
            )
        ]
    )
    data = {"discontinued": ["studio"]}
    assert Policy.from_data(data, catalog=pilot).discontinued == ("studio",)
    assert Policy.from_json(json.dumps(data), catalog=pilot).discontinued == ("studio",)
    assert Policy.from_toml('discontinued = ["Studio"]', catalog=pilot).discontinued == ("studio",)
    folder = pathlib.Path(str(tmp_path))
    (folder / "p.json").write_text(json.dumps(data), encoding="utf-8")
    (folder / "p.toml").write_text('discontinued = ["studio"]', encoding="utf-8")
    assert Policy.load(folder / "p.json", catalog=pilot).discontinued == ("studio",)
    assert Policy.load(folder / "p.toml", catalog=pilot).discontinued == ("studio",)
    with pytest.raises(ValidationError) as caught:
        Policy.load(folder / "nope.json")
    assert str(caught.value).startswith("invalid policy: 1 problem\n  - cannot read ")


def test_policy_text_forms() -> None:
    assert DEFAULT_POLICY.to_json().startswith(
        '{\n  "version": 2,\n  "market": "US",\n  "zone": "America/Los_Angeles"'
    )
    assert DEFAULT_POLICY.to_toml().splitlines()[:6] == [
        "version = 2",
        'market = "US"',
        'zone = "America/Los_Angeles"',
        "",
        "[[rules]]",
        'categories = ["mass_recruiting", "mass_tutoring", "paid_media"]',
    ]
    policy = Policy(role_overrides={"Paid Media": "creator_service_partner"})
    assert policy.role_overrides == (("paid_media", PartnerRole.CREATOR_SERVICE_PARTNER),)
    assert 'paid_media = "creator_service_partner"' in policy.to_toml()
    assert Policy.from_toml(policy.to_toml()) == policy


def test_check_many_names_the_bad_question() -> None:
    with pytest.raises(ValidationError) as caught:
        list(
            DEFAULT_POLICY.check_many(
                [(NEW, "Paid Media", Market.US, "buy")], at=dt.date(2024, 5, 3)
            )
        )
    assert str(caught.value) == (
        "invalid value: 1 problem\n  - question: must be one of register, authorize_seller"
    )


def test_lifecycle_uses_the_given_policy_for_dates_and_markets() -> None:
    # A policy in another zone: "2024-06-05" starts three hours earlier in New York.
    east = Policy(zone="America/New_York")
    partner = lifecycle.authorize_seller(
        EXISTING, "Paid Media", "s1", at=dt.date(2024, 6, 4), policy=east
    )
    assert partner.authorizations[0].at.isoformat() == "2024-06-04T00:00:00-04:00"
    # A partner of another Partner Center is not covered, even after the cut-off.
    gb = lifecycle.authorize_seller(
        GB_PARTNER, "Paid Media", "s2", market=Market("GB"), at=dt.date(2024, 7, 1)
    )
    assert gb.authorizations[0].market == Market("GB")
    with pytest.raises(ValidationError) as caught:
        lifecycle.upgrade(EXISTING, at=dt.date(2024, 4, 29))
    assert str(caught.value) == (
        "invalid value: 1 problem\n  - at: the upgrade migration runs from 2024-04-30T00:00:00-07:00"
    )
    with pytest.raises(PolicyRefusal):
        lifecycle.authorize_seller(EXISTING, "Paid Media", "s3", at=dt.date(2024, 6, 5))


def test_root_problems_have_the_empty_path() -> None:
    loads: list[Callable[[], object]] = [
        lambda: Policy.from_data([]),
        lambda: Policy.from_json("{"),
        lambda: Policy.load("/nonexistent.toml"),
    ]
    for load in loads:
        with pytest.raises(ValidationError) as caught:
            load()
        assert caught.value.fields == ("",)


def test_policy_fields_of_the_wrong_type_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(market="US")  # type: ignore[arg-type]
    assert str(caught.value) == "invalid policy: 1 problem\n  - market: must be a Market"
    with pytest.raises(ValidationError) as caught:
        Policy.from_data({"discontinued": ["Paid Medias", "Mass Recruit"]})
    assert caught.value.fields == ("discontinued[0]", "discontinued[1]")
    with pytest.raises(ValidationError) as caught:
        Policy(role_overrides=["x"])  # type: ignore[list-item]
    assert str(caught.value) == (
        "invalid policy: 1 problem\n  - role_overrides: must be a table of category code = role"
    )
    with pytest.raises(ValidationError) as caught:
        Policy(role_overrides={"Paid Medias": "seller_service_partner"})
    assert str(caught.value) == (
        "invalid policy: 1 problem\n  - role_overrides.Paid Medias: unknown service category "
        "'Paid Medias'; did you mean 'Paid Media'?"
    )


def test_roles_read_the_status_at_the_instant_even_with_later_events() -> None:
    start = dt.datetime(2024, 1, 10, tzinfo=LA)
    partner = approved_partner("Shop Management", at=start, policy=None)
    from partner_onboarding.testing import sample_info  # noqa: PLC0415

    later = lifecycle.edit(
        partner, "Shop Management", sample_info("Shop Management"), at=start + dt.timedelta(days=30)
    )
    assert DEFAULT_POLICY.roles(later, at=start + dt.timedelta(days=1)) == (
        PartnerRole.SELLER_SERVICE_PARTNER,
    )
    assert DEFAULT_POLICY.roles(later, at=start - dt.timedelta(days=1)) == ()


MISUSE = [
    (
        lambda: Policy(catalog=None),  # type: ignore[arg-type]
        "invalid policy: 1 problem\n  - catalog: must be a Catalog",
    ),
    (
        lambda: list(DEFAULT_POLICY.check_many([(EXISTING, "Paid Media")], at=dt.date(2024, 5, 1))),  # type: ignore[list-item]
        "invalid value: 1 problem\n  - rows[0]: must be a (partner, category, market, question) row",
    ),
    (
        lambda: lifecycle.allowed_events("pending", EXISTING),  # type: ignore[arg-type]
        "invalid value: 1 problem\n  - subject: must be an Application, an EntityReview, a "
        "Subject or None",
    ),
    (
        lambda: lifecycle.transition(
            EXISTING.applications[0], "accept", at=dt.datetime(2024, 5, 1, tzinfo=LA)
        ),
        "invalid event: 1 problem\n  - kind: 'accept' is not one of submit, approve, reject, modify, edit, "
        "approve_revision, reject_revision, system_reject, regenerate, register, add_role, "
        "authorize_seller",
    ),
    (
        lambda: DEFAULT_POLICY.can_register(EXISTING.account, "Paid Media", at=dt.date(2024, 5, 1)),  # type: ignore[arg-type]
        "invalid question: 1 problem\n  - partner: must be a Partner",
    ),
]


@pytest.mark.parametrize(("misuse", "message"), MISUSE)
def test_misuse_word_for_word(misuse: Callable[[], object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        misuse()
    assert str(caught.value) == message


def init_arguments(value: Any) -> dict[str, Any]:
    return {f.alias: getattr(value, f.name) for f in attrs.fields(type(value)) if f.init}


def test_subclasses_of_the_values_are_accepted() -> None:
    # A caller may subclass the library's values (attrs keeps them frozen); the fast paths test the
    # exact type, and a subclass takes the checked path to the same answer.
    @attrs.frozen(kw_only=True)
    class AgencyPartner(Partner):
        pass

    @attrs.frozen(kw_only=True)
    class TrackedApplication(Application):
        pass

    agency = AgencyPartner(**init_arguments(EXISTING))
    at = dt.date(2024, 5, 1)
    for ask in (DEFAULT_POLICY.can_register, DEFAULT_POLICY.can_authorize_seller):
        assert ask(agency, "Paid Media", at=at) == ask(EXISTING, "Paid Media", at=at)
    pending = lifecycle.apply(
        EXISTING,
        "LIVE Management",
        sample_info("LIVE Management"),
        at=dt.datetime(2024, 2, 1, tzinfo=LA),
    ).application("LIVE Management")
    tracked = TrackedApplication(**init_arguments(pending))
    moved = lifecycle.transition(
        tracked,
        "approve",
        at=dt.datetime(2024, 2, 2, tzinfo=LA),
        entity_status="approved",  # type: ignore[arg-type]
    )
    assert moved.status.value == "approved"
