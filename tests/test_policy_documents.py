"""A policy document, read and written: each refusal word for word (the field, and why), what a
version 1 document's missing fields default to, and the TOML the policy writes."""

from __future__ import annotations

import datetime as dt
import pickle
import zoneinfo
from typing import Any

import attrs
import pytest

from _catalogs import CUSTOM
from partner_onboarding import DEFAULT_POLICY, Policy, ValidationError, lifecycle
from partner_onboarding.batch import check_rows
from partner_onboarding.errors import WrongType
from partner_onboarding.policy import (
    UPGRADE_2024,
    Cutoff,
    Decision,
    Facts,
    Question,
    Rule,
    Verdict,
    iana_zone,
    upgrade_rules,
)
from partner_onboarding.testing import approved_partner

RULE = DEFAULT_POLICY.to_data()["rules"][0]
WHEN = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)


def _refusal(data: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Policy.from_data(data)
    return str(caught.value)


def _rules(*rules: object) -> dict[str, Any]:
    return {"version": 2, "rules": list(rules)}


def _said(*problems: str, more: int = 0) -> str:
    count = len(problems) + more
    lines = [f"invalid policy: {count} problem{'s' if count > 1 else ''}"]
    lines += [f"  - {problem}" for problem in problems]
    if more:
        lines.append(f"  - … and {more} more")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ([], ["must be a table of policy fields"]),
        ({"version": "2", "rules": []}, ["version: must be 1 or 2 (a policy document's version)"]),
        ({"version": True, "rules": []}, ["version: must be 1 or 2 (a policy document's version)"]),
        ({"version": 3, "rules": []}, ["version: must be 1 or 2 (a policy document's version)"]),
        (_rules() | {"rules": "x"}, ["rules: must be a list of rule tables"]),
        (_rules(*[RULE] * 1001), ["rules: must hold at most 1000 rules"]),
        (_rules(5), ["rules[0]: must be a table of rule fields"]),
        (_rules(RULE | {"colour": 1}), ["rules[0].colour: unknown field"]),
        (_rules(RULE | {"k" * 150: 1}), [f"rules[0].{'k' * 100}: unknown field"]),
        (
            _rules({}),
            [f"rules[0].{key}: is required" for key in ("categories", "question", "bars", "from")],
        ),
        (
            _rules(RULE, {"from": "2024-04-30"}),
            [f"rules[1].{key}: is required" for key in ("categories", "question", "bars")],
        ),
        (
            {"upgrade_date": "2024-05-01", "authorization_cutoff": "2024-04-01"},
            ["authorization_cutoff: must not be before the upgrade date (2024-05-01)"],
        ),
        ({"discontinued": []}, ["discontinued: must name at least one category"]),
        (
            {"upgrade_date": dt.datetime(2024, 5, 1, tzinfo=dt.UTC), "new_partners_from": "soon"},
            [
                "upgrade_date: must be a calendar date (the cut-off is the start of that day)",
                "new_partners_from: 'soon' is not a date such as 2024-04-30",
            ],
        ),
        (
            _rules(RULE | {"categories": ["paid_media", "no_such_thing"]}),
            ["rules[0].categories[1]: unknown service category 'no_such_thing'"],
        ),
    ],
    ids=[
        "not-a-table",
        "version-text",
        "version-flag",
        "version-3",
        "rules-not-a-list",
        "too-many-rules",
        "rule-not-a-table",
        "rule-unknown-field",
        "rule-long-field",
        "rule-empty",
        "second-rule-partial",
        "v1-cutoff-before-upgrade",
        "v1-no-category",
        "v1-days",
        "v2-category-named-as-its-rule",
    ],
)
def test_a_policy_document_is_refused_word_for_word(data: object, problems: list[str]) -> None:
    assert _refusal(data) == _said(*problems)


def test_a_policy_of_exactly_the_most_rules_reads() -> None:
    assert len(Policy.from_data(_rules(*[RULE] * 1000)).rules) == 1000


def test_a_rule_of_many_unknown_fields_says_how_many_more() -> None:
    spoiled = RULE | {f"field_{n:02}": n for n in range(60)}
    assert _refusal(_rules(spoiled)) == _said(
        *(f"rules[0].field_{n:02}: unknown field" for n in range(50)), more=10
    )


def test_rules_past_the_bound_are_counted_not_read() -> None:
    # 20 rules of 3 problems each: 17 read (51 problems), then the 3 left are not read, which the
    # last problem listed says.
    problems = [
        f"rules[{index}].{key}: is required"
        for index in range(17)
        for key in ("categories", "question", "bars")
    ]
    assert _refusal(_rules(*[{"from": "2024-04-30"}] * 20)) == _said(
        *problems[:49], "rules[17:]: 3 more rules, not read", more=2
    )
    assert _refusal(_rules(*[{"from": "2024-04-30"}] * 18)).endswith(
        "\n  - rules[17:]: 1 more rule, not read\n  - … and 2 more"
    )


def test_a_rule_past_the_bound_of_its_own_adds_to_the_count() -> None:
    spoiled = RULE | {f"field_{n:02}": n for n in range(60)}
    assert _refusal(_rules(spoiled, spoiled)) == _said(
        *(f"rules[0].field_{n:02}: unknown field" for n in range(49)),
        "rules[1:]: 1 more rule, not read",
        more=11,
    )


def test_the_policy_s_own_problems_past_the_bound_are_counted() -> None:
    overrides = {f"x{n:02}": "seller_service_partner" for n in range(60)}
    data = _rules(RULE) | {"role_overrides": overrides}
    assert _refusal(data) == _said(
        *(f"role_overrides.x{n:02}: unknown service category 'x{n:02}'" for n in range(50)),
        more=10,
    )
    version_1 = {"discontinued": [], "role_overrides": overrides}
    assert _refusal(version_1) == _said(
        "discontinued: must name at least one category",
        *(f"role_overrides.x{n:02}: unknown service category 'x{n:02}'" for n in range(49)),
        more=11,
    )


def test_a_version_1_document_s_missing_fields_are_the_upgrade_of_2024() -> None:
    assert Policy.from_data({"existing_partners_may_register": True}).rules == UPGRADE_2024
    assert Policy.from_data({"upgrade_date": "2024-04-30"}).rules == UPGRADE_2024
    assert Policy.from_data({"authorization_cutoff": "2024-06-05"}).rules == UPGRADE_2024


def test_a_policy_is_written_as_toml_with_its_days_as_toml_dates() -> None:
    policy = Policy(rules=upgrade_rules(new_partners_from=dt.date(2024, 5, 1)))
    text = policy.to_toml()
    assert "\nfrom = 2024-04-30\nregistered_from = 2024-05-01\n" in text
    assert "\nfrom = 2024-06-05\n" in text
    assert Policy.from_toml(text) == policy


def test_a_policy_on_its_own_catalog_pickles_with_it() -> None:
    policy = Policy(catalog=CUSTOM)
    copied = pickle.loads(pickle.dumps(policy))  # noqa: S301  (our own bytes)
    assert copied == policy
    assert copied.catalog == CUSTOM


@pytest.mark.parametrize(
    ("name", "field", "message"),
    [
        (
            None,
            "zone",
            "zone: must be an IANA time zone name such as 'America/Los_Angeles'",
        ),
        (
            "localtime",
            "--assume-zone",
            (
                "--assume-zone: 'localtime' does not mean the same on every machine: name the "
                "IANA zone itself, such as 'America/Los_Angeles'"
            ),
        ),
    ],
)
def test_a_zone_is_refused_word_for_word(name: object, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        iana_zone(name, field=field)
    assert str(caught.value) == f"invalid time zone: 1 problem\n  - {message}"


def test_a_zone_is_read_by_its_iana_name() -> None:
    assert iana_zone("America/New_York") == zoneinfo.ZoneInfo("America/New_York")
    with pytest.raises(ValidationError) as caught:
        iana_zone("")
    assert caught.value.fields == ("zone",)


def test_a_decision_of_a_verdict_names_what_is_wrong() -> None:
    decision = DEFAULT_POLICY.can_register(approved_partner(at=WHEN), "Shop Management", at=WHEN)
    arguments: dict[str, Any] = {
        "question": "register",
        "partner_id": decision.partner_id,
        "category": decision.category,
        "market": "US",
        "at": WHEN,
        "policy_id": decision.policy_id,
    }
    assert Decision.of(decision.verdict, **arguments) == decision
    with pytest.raises(WrongType) as caught:
        Decision.of(None, **arguments)  # type: ignore[arg-type]
    assert str(caught.value).startswith("invalid decision: 1 problem\n  - verdict: must be a ")
    with pytest.raises(ValidationError) as caught_question:
        Decision.of(decision.verdict, **arguments | {"question": "apply"})
    assert caught_question.value.fields == ("question",)
    assert isinstance(decision.verdict, Verdict)


def test_a_timeline_names_its_bad_arguments() -> None:
    partner = approved_partner(at=WHEN)
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.timeline(partner, "Paid Media", "apply", since=WHEN, until=WHEN)
    assert caught.value.fields == ("question",)
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.timeline(
            partner, "Paid Media", Question.REGISTER, since=WHEN, until=WHEN - dt.timedelta(1)
        )
    assert str(caught.value) == "invalid timeline: 1 problem\n  - until: must not be before since"


def test_a_timeline_ends_with_the_change_at_its_last_instant() -> None:
    partner = approved_partner("Paid Media", at=WHEN)
    cutoff = DEFAULT_POLICY.rules[1].from_
    until = dt.datetime.combine(cutoff, dt.time(), zoneinfo.ZoneInfo(DEFAULT_POLICY.zone))
    answers = DEFAULT_POLICY.timeline(
        partner, "Paid Media", "authorize_seller", since=WHEN, until=until
    )
    assert [answer.allowed for answer in answers] == [True, False]
    assert answers[-1].at == until


def test_the_requirements_ask_about_the_market_given() -> None:
    partner = approved_partner("Shop Management", at=WHEN, market="GB", agency_type="cross_border")
    for require in (
        DEFAULT_POLICY.require_registration,
        DEFAULT_POLICY.require_seller_authorization,
    ):
        assert require(partner, "Shop Management", market="GB", at=WHEN).market.code == "GB"
        with pytest.raises(ValidationError) as caught:
            require(partner, "Shop Management", at=WHEN)
        assert caught.value.fields == ("market",)


_RULE_ARGUMENTS: dict[str, Any] = {
    "categories": ["paid_media"],
    "question": "register",
    "bars": "new_partners",
    "from_": dt.date(2024, 4, 30),
}
_NOT_A_WHEN = "is not a day (2024-04-30) or an instant with an offset"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"categories": []}, "categories: must be a non-empty list of category names or codes"),
        ({"categories": 5}, "categories: must be a non-empty list of category names or codes"),
        ({"categories": ["x" * 101]}, "categories[0]: must be at most 100 characters"),
        ({"categories": ["ok"] * 201}, "categories: must name at most 200 categories"),
        ({"categories": [""]}, "categories[0]: must not be blank"),
        ({"categories": [5]}, "categories[0]: must be a string"),
        ({"question": "apply"}, "question: must be one of register, authorize_seller"),
        ({"bars": "some"}, "bars: must be one of new_partners, everyone"),
        ({"from_": "soon"}, f"from: 'soon' {_NOT_A_WHEN}"),
        (
            {"from_": dt.datetime(2024, 4, 30)},  # noqa: DTZ001  (naive: refused)
            "from: must be time-zone aware (or write a day, such as 2024-04-30)",
        ),
        ({"registered_from": "soon"}, f"registered_from: 'soon' {_NOT_A_WHEN}"),
        (
            {"registered_from": dt.date(2024, 5, 1), "bars": "everyone"},
            "registered_from: only a rule that bars new partners reads it",
        ),
        (
            {"question": "authorize_seller"},
            (
                "bars: a seller-authorisation rule bars everyone (new seller authorisations "
                "close for all partners alike)"
            ),
        ),
    ],
    ids=[
        "no-category",
        "categories-not-a-list",
        "category-too-long",
        "too-many-categories",
        "blank-category",
        "category-not-text",
        "question",
        "bars",
        "from-text",
        "from-naive",
        "registered-from-text",
        "registered-from-of-everyone",
        "authorisation-of-new-partners",
    ],
)
def test_a_rule_is_refused_word_for_word(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Cutoff(**_RULE_ARGUMENTS | change)
    assert str(caught.value) == f"invalid rule: 1 problem\n  - {problem}"


def test_a_rule_of_exactly_the_most_categories_is_a_rule() -> None:
    assert len(Cutoff(**_RULE_ARGUMENTS | {"categories": ["ok"] * 200}).categories) == 200


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"rules": 5}, "rules: must be a list of rules (Cutoff values)"),
        ({"rules": [RULE]}, "rules: must be a list of rules (Cutoff values)"),
        ({"rules": ()}, "rules: must hold at least one rule"),
        ({"rules": UPGRADE_2024 * 501}, "rules: must hold at most 1000 rules"),
    ],
    ids=["not-a-list", "not-rules", "none", "too-many"],
)
def test_a_policy_s_rules_are_refused_word_for_word(
    arguments: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(**arguments)
    assert str(caught.value) == _said(problem)


def test_a_rule_of_unknown_categories_only_is_refused_for_each_of_them() -> None:
    rule = RULE | {"categories": ["no_such_thing", "nor_this"]}
    assert _refusal(_rules(rule)) == _said(
        "rules[0].categories[0]: unknown service category 'no_such_thing'",
        "rules[0].categories[1]: unknown service category 'nor_this'",
    )


def test_a_policy_document_of_many_unknown_fields_says_how_many_more() -> None:
    data = _rules(RULE) | {f"field_{n:02}": n for n in range(60)}
    assert _refusal(data) == _said(*(f"field_{n:02}: unknown field" for n in range(50)), more=10)


def test_a_policy_whose_id_is_not_its_content_s_is_refused_word_for_word() -> None:
    data = _rules(RULE) | {"id": "policy#0000000000000000"}
    policy_id = Policy.from_data(_rules(RULE)).id
    assert _refusal(data) == _said(
        f"id: is not the id of this content ({policy_id}): the policy was changed or written "
        "with another catalog"
    )


def test_a_decision_s_partner_id_is_at_most_100_characters() -> None:
    decision = DEFAULT_POLICY.can_register(approved_partner(at=WHEN), "Shop Management", at=WHEN)
    kept = attrs.evolve(decision, partner_id="p" * 100)
    assert kept.partner_id == "p" * 100
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(decision, partner_id="p" * 101)
    assert str(caught.value) == (
        "invalid decision: 1 problem\n  - partner_id: must be at most 100 characters"
    )


def test_a_question_no_rule_of_the_policy_restricts_is_allowed_and_says_so() -> None:
    paid_media: dict[str, Any] = {"categories": ["paid_media"], "from_": dt.date(2024, 4, 30)}
    registration_only = Policy(
        rules=[Cutoff(question="register", bars="new_partners", **paid_media)]
    )
    authorisation_only = Policy(
        rules=[Cutoff(question="authorize_seller", bars="everyone", **paid_media)]
    )
    partner = approved_partner("Paid Media", at=WHEN)
    later = WHEN.replace(year=2025)
    answers = [
        authorisation_only.can_register(partner, "Paid Media", at=later),
        registration_only.can_authorize_seller(partner, "Paid Media", at=later),
    ]
    assert [str(answer.verdict) for answer in answers] == [
        "allowed: no rule of the policy restricts this question in this category",
        (
            "allowed: an approved application; no rule of the policy restricts this question "
            "in this category"
        ),
    ]
    assert [answer.decided_by for answer in answers] == [Rule("rulebook")] * 2
    assert [answer.changes_at for answer in answers] == [None, None]


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"category": " "}, ["category: must be a category name or code"]),
        (
            {"registered_at": dt.datetime(2024, 1, 10), "category": 5},  # noqa: DTZ001
            ["category: must be a category name or code", "registered_at: must be time-zone aware"],
        ),
        (
            {"registration_market": "Mars", "market": 5},
            [
                "registration_market: must be a Market or an ISO 3166-1 alpha-2 code",
                "market: must be a Market or an ISO 3166-1 alpha-2 code",
            ],
        ),
        ({"approved": "yes"}, ["approved: must be true or false"]),
        ({"partner_id": "p" * 101}, ["partner_id: must be at most 100 characters"]),
    ],
    ids=["category", "instant", "markets", "approved", "partner-id"],
)
def test_facts_are_refused_word_for_word(change: dict[str, Any], problems: list[str]) -> None:
    arguments: dict[str, Any] = {"category": "Paid Media", "registered_at": WHEN}
    with pytest.raises(ValidationError) as caught:
        Facts(**arguments | change)
    count = f"{len(problems)} problem{'s' * (len(problems) > 1)}"
    assert str(caught.value) == "\n  - ".join([f"invalid facts: {count}", *problems])


def test_facts_of_the_longest_partner_id_are_facts() -> None:
    facts = Facts(category="Paid Media", registered_at=WHEN, partner_id="p" * 100)
    assert facts.partner_id == "p" * 100


def test_a_decision_on_facts_names_its_bad_arguments() -> None:
    facts = Facts(category="Paid Media", registered_at=WHEN)
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.decide("apply", facts, at=WHEN)
    assert caught.value.fields == ("question",)
    with pytest.raises(WrongType) as wrong:
        DEFAULT_POLICY.decide("register", {"category": "Paid Media"}, at=WHEN)  # type: ignore[arg-type]
    assert str(wrong.value).startswith("invalid question: 1 problem\n  - facts: must be a ")


def test_a_rule_names_a_current_category_or_an_unknown_one_with_a_suggestion_for_the_first() -> (
    None
):
    current = RULE | {"categories": ["Shop Management"]}
    assert _refusal(_rules(current)) == _said(
        "rules[0].categories[0]: 'Shop Management' is a category of the current structure: only "
        "the catalog's legacy categories can be discontinued"
    )
    misspelled = RULE | {"categories": ["paid_medai"] * 12}
    with pytest.raises(ValidationError) as caught:
        Policy.from_data(_rules(misspelled))
    reasons = [problem.reason for problem in caught.value.problems]
    assert reasons[0] == reasons[9] != reasons[10] == reasons[11]
    assert "did you mean" in reasons[9]
    assert reasons[10] == "unknown service category 'paid_medai'"


@pytest.mark.parametrize("overrides", [5, "paid_media", [("paid_media",)]], ids=repr)
def test_role_overrides_that_are_no_table_are_refused_word_for_word(overrides: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(role_overrides=overrides)
    assert str(caught.value) == _said("role_overrides: must be a table of category code = role")


def test_role_overrides_are_read_from_any_iterable_of_pairs() -> None:
    pairs = [("paid_media", "seller_service_partner")]
    assert Policy(role_overrides=iter(pairs)) == Policy(role_overrides=dict(pairs))


def test_a_host_zone_s_name_is_quoted_to_60_characters() -> None:
    name = "right/" + "x" * 55  # (61 characters)
    with pytest.raises(ValidationError) as caught:
        iana_zone(name)
    assert caught.value.problems[0].reason.startswith(f"{name[:60] + '…'!r} does not mean")


def test_a_rule_read_alone_is_refused_as_a_rule() -> None:
    for data, problems in [
        (5, ["must be a table of rule fields"]),
        (RULE | {"colour": 1}, ["colour: unknown field"]),
        (
            {"from": "2024-04-30"},
            [f"{key}: is required" for key in ("categories", "question", "bars")],
        ),
    ]:
        with pytest.raises(ValidationError) as caught:
            Cutoff.from_data(data)
        count = f"{len(problems)} problem{'s' * (len(problems) > 1)}"
        assert str(caught.value) == "\n  - ".join([f"invalid rule: {count}", *problems])


def test_a_policy_document_s_long_unknown_field_is_named_by_its_first_100_characters() -> None:
    assert _refusal(_rules(RULE) | {"k" * 150: 1}) == _said(f"{'k' * 100}: unknown field")


def test_a_rule_s_instant_is_kept_at_its_fixed_offset() -> None:
    in_zone = dt.datetime(2024, 4, 30, tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles"))
    rule = Cutoff(**_RULE_ARGUMENTS | {"from_": in_zone})
    assert rule.from_ == in_zone
    assert isinstance(rule.from_, dt.datetime)
    assert rule.from_.tzinfo == dt.timezone(dt.timedelta(hours=-7))


def _authorisation_rule(category: str, day: dt.date) -> Cutoff:
    return Cutoff(categories=[category], question="authorize_seller", bars="everyone", from_=day)


def test_the_authorisation_cut_off_is_the_earliest_rule_s_in_any_order() -> None:
    early = _authorisation_rule("paid_media", dt.date(2024, 6, 5))
    late = _authorisation_rule("mass_tutoring", dt.date(2024, 9, 1))
    for rules in ([early, late], [late, early]):
        policy = Policy(rules=rules)
        assert policy.authorization_cutoff_at == policy.instant(dt.date(2024, 6, 5)), rules


def test_every_rule_of_one_category_and_question_is_applied_in_any_order() -> None:
    # New partners are barred from 2024-04-30, everyone from 2025-01-01.
    new_partners = Cutoff(**_RULE_ARGUMENTS)
    everyone = Cutoff(**_RULE_ARGUMENTS | {"bars": "everyone", "from_": dt.date(2025, 1, 1)})
    existing = approved_partner(at=WHEN)
    new = approved_partner(at=dt.datetime(2024, 5, 10, tzinfo=dt.UTC))
    for rules in ([new_partners, everyone], [everyone, new_partners]):
        policy = Policy(rules=rules)
        answers = [
            policy.can_register(partner, "Paid Media", at=at).allowed
            for partner, at in [
                (existing, dt.datetime(2024, 6, 1, tzinfo=dt.UTC)),
                (new, dt.datetime(2024, 6, 1, tzinfo=dt.UTC)),
                (existing, dt.datetime(2025, 2, 1, tzinfo=dt.UTC)),
            ]
        ]
        assert answers == [True, False, False], rules


def test_a_question_about_the_past_changes_at_the_rule_before_a_later_event() -> None:
    partner = approved_partner("Paid Media", at=WHEN)
    info = partner.applications[0].info
    edited = attrs.evolve(info, team_size=(info.team_size or 0) + 1)
    later = lifecycle.edit(partner, "Paid Media", edited, at=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    answer = DEFAULT_POLICY.can_authorize_seller(
        later, "Paid Media", at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    )
    assert answer.allowed
    assert answer.changes_at == DEFAULT_POLICY.authorization_cutoff_at


@pytest.mark.parametrize("reasons", [5, "approved", None], ids=repr)
def test_reasons_that_are_no_list_are_refused_as_such(reasons: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Verdict(True, reasons, Rule("rulebook"))
    assert str(caught.value) == (
        "invalid verdict: 1 problem\n  - reasons: must be a list of Reason values"
    )


@pytest.mark.parametrize(
    ("zone", "at", "day"),
    [
        ("Asia/Tokyo", dt.datetime(2024, 4, 29, 15, tzinfo=dt.UTC), dt.date(2024, 4, 30)),
        ("Asia/Tokyo", dt.datetime(2024, 4, 29, 16, tzinfo=dt.UTC), dt.date(2024, 5, 1)),
        ("America/Los_Angeles", dt.datetime(2024, 4, 30, 7, tzinfo=dt.UTC), dt.date(2024, 4, 30)),
        ("America/Los_Angeles", dt.datetime(2024, 4, 30, 3, tzinfo=dt.UTC), dt.date(2024, 4, 30)),
    ],
)
def test_the_first_day_from_an_instant_is_read_in_the_policy_s_zone(
    zone: str, at: dt.datetime, day: dt.date
) -> None:
    compiled = Policy(zone=zone).compiled
    assert compiled.first_day_from(at) == day
    assert compiled.instant(day) >= at > compiled.instant(day - dt.timedelta(days=1))


def test_a_day_whose_start_is_off_the_calendar_is_named_as_the_instant_asked() -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(zone="Asia/Tokyo").instant(dt.date(1, 1, 1))
    assert str(caught.value) == (
        "invalid date: 1 problem\n  - at: '0001-01-01' is at an end of the calendar: its instant "
        "lies outside it"
    )


def test_a_row_s_day_off_the_calendar_is_named_by_its_column() -> None:
    row = {"partner_id": "P1", "category": "Paid Media", "question": "register"}
    with pytest.raises(ValidationError) as caught:
        check_rows(
            [row | {"registered_at": dt.date(1, 1, 1)}], at=WHEN, policy=Policy(zone="Asia/Tokyo")
        )
    assert caught.value.fields == ("rows[0].registered_at",)
