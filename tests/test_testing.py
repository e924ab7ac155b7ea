"""The strategies other projects use: through the Hypothesis entry point, and without Hypothesis."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from partner_onboarding import Partner, ReviewStatus

DOWNSTREAM_TEST = """
from hypothesis import given, settings, strategies as st

from partner_onboarding import Entity, Partner, ReviewStatus


@settings(max_examples=25, deadline=None)
@given(st.from_type(Partner), st.from_type(Entity))
def test_downstream_gets_valid_values(partner, entity):
    assert partner.roles
    assert entity.country.code == "US"
    for application in partner.applications:
        assert application.status is application.history[-1].to_status
    assert isinstance(entity.ein, str)
"""


def test_downstream_from_type_works_without_importing_testing(tmp_path: Path) -> None:
    module = tmp_path / "test_downstream.py"
    module.write_text(textwrap.dedent(DOWNSTREAM_TEST), encoding="utf-8")
    assert "partner_onboarding.testing" not in module.read_text(encoding="utf-8")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize("first", ["hypothesis", "partner_onboarding"])
def test_strategies_are_registered_whichever_is_imported_first(first: str) -> None:
    code = (
        f"import sys, {first}\n"
        "loaded = 'partner_onboarding' in sys.modules\n"
        "import hypothesis, partner_onboarding\n"
        "from hypothesis import strategies as st\n"
        "print(loaded, type(st.from_type(partner_onboarding.Partner).example()).__name__)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    # (importing Hypothesis never imports the library: its entry point is outside the package)
    assert result.stdout.split() == [str(first == "partner_onboarding"), "Partner"]


def test_importing_the_library_never_imports_hypothesis() -> None:
    code = (
        "import sys, partner_onboarding, partner_onboarding.policy, partner_onboarding.batch, "
        "partner_onboarding.cli; print('hypothesis' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_the_testing_module_imports_first_in_a_fresh_process() -> None:
    # Hypothesis runs the plugin while it is imported by partner_onboarding.testing itself.
    code = "import partner_onboarding.testing as t; print(t.partners().example().roles[0].value)"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {
        "creator_service_partner",
        "seller_service_partner",
        "seller_service_creator_matchmaking",
    }


def test_partners_reach_the_hard_cases() -> None:
    """The walks other projects' tests draw reach what breaks code: discontinued categories,
    seller authorisations, other target markets and Partner Centers, cross-border agencies,
    histories migrated by the upgrade."""
    from collections import Counter  # noqa: PLC0415

    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

    from partner_onboarding.model import EventKind  # noqa: PLC0415
    from partner_onboarding.testing import partners  # noqa: PLC0415

    seen: Counter[str] = Counter()

    @settings(
        max_examples=150,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(partners())
    def draw(partner: Partner) -> None:
        seen["legacy application"] += any(a.category.legacy for a in partner.applications)
        seen["authorisation"] += bool(partner.authorizations)
        seen["other target market"] += any(a.market.code != "US" for a in partner.applications)
        seen["other Partner Center"] += partner.registration_market.code != "US"
        seen["cross-border"] += partner.agency_type.value == "cross_border"
        seen["regenerated"] += any(
            a.history[0].kind is EventKind.REGENERATE for a in partner.applications
        )
        seen["approved entity"] += partner.entity is not None and (
            partner.entity.status is ReviewStatus.APPROVED
        )

    draw()
    assert min(seen.values()) >= 2, seen
    assert len(seen) == 7, seen


def _features(partner: Partner) -> dict[str, bool]:
    applications = partner.applications
    return {
        "with_applications": bool(applications),
        "approved": any(a.status is ReviewStatus.APPROVED for a in applications),
        "authorized": bool(partner.authorizations),
        "upgraded": any(a.supersedes is not None for a in applications),
        "revisions": any(a.pending_revision is not None for a in applications),
    }


def test_partners_by_default_draw_each_feature_often() -> None:
    """Over 400 draws: at least 70 % with an application, 25 % with an approved one, 10 % with
    a seller authorisation, 10 % with an application the upgrade regenerated, 5 % with a
    revision waiting (docs/testing.md gives the shares over 1 000)."""
    from collections import Counter  # noqa: PLC0415

    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

    from partner_onboarding.testing import partners  # noqa: PLC0415

    seen: Counter[str] = Counter()

    @settings(
        max_examples=400,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(partners())
    def draw(partner: Partner) -> None:
        seen["drawn"] += 1
        seen.update(name for name, has in _features(partner).items() if has)

    draw()
    shares = {name: seen[name] / seen["drawn"] for name in _features_names()}
    least = {"with_applications": 0.7, "approved": 0.25, "authorized": 0.1, "upgraded": 0.1}
    assert all(shares[name] >= share for name, share in (least | {"revisions": 0.05}).items()), (
        shares
    )


def _features_names() -> tuple[str, ...]:
    return ("with_applications", "approved", "authorized", "upgraded", "revisions")


@pytest.mark.parametrize("knob", _features_names())
@pytest.mark.parametrize("wanted", [True, False])
def test_each_knob_of_partners_is_held(knob: str, wanted: bool) -> None:
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

    from partner_onboarding.testing import partners  # noqa: PLC0415

    knobs: dict[str, Any] = {knob: wanted}

    @settings(
        max_examples=30, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(partners(**knobs))
    def draw(partner: Partner) -> None:
        assert _features(partner)[knob] is wanted

    draw()


def test_a_knob_that_is_not_a_boolean_is_refused() -> None:
    from partner_onboarding.errors import WrongType  # noqa: PLC0415
    from partner_onboarding.testing import partners  # noqa: PLC0415

    with pytest.raises(WrongType) as caught:
        partners(approved="yes")  # type: ignore[arg-type]
    assert (
        str(caught.value)
        == "invalid partners(): 1 problem\n  - approved: must be True, False or None"
    )
    for knob in _features_names():
        unset: dict[str, Any] = {knob: None}  # (None: pursued in a share of the draws)
        partners(**unset)


def test_instants_around_a_date_or_an_instant() -> None:
    import datetime as dt  # noqa: PLC0415

    from hypothesis import given, settings  # noqa: PLC0415

    from partner_onboarding import DEFAULT_POLICY  # noqa: PLC0415
    from partner_onboarding.testing import instants_around  # noqa: PLC0415

    spread = dt.timedelta(days=1)

    @settings(max_examples=50, database=None)
    @given(instants_around(dt.date(2024, 4, 30), DEFAULT_POLICY.instants[1], spread=spread))
    def draw(at: dt.datetime) -> None:
        assert at.tzinfo is not None
        near = list(DEFAULT_POLICY.instants)
        assert min(abs(at - cutoff) for cutoff in near) <= spread

    draw()


def test_instants_around_reach_each_cutoff_and_the_microsecond_either_side() -> None:
    import datetime as dt  # noqa: PLC0415
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    from partner_onboarding import DEFAULT_POLICY  # noqa: PLC0415
    from partner_onboarding.testing import instants_around  # noqa: PLC0415

    day = dt.date(2024, 4, 30)
    instant = dt.datetime(2024, 6, 5, 12, 30, tzinfo=ZoneInfo("America/New_York"))
    spread = dt.timedelta(hours=6)
    drawn = instants_around(day, instant, spread=spread)
    start = dt.datetime(2024, 4, 30, tzinfo=DEFAULT_POLICY.time_zone)  # (the policy's zone)
    micro = dt.timedelta(microseconds=1)
    for cutoff in (start, instant):
        for off in (-micro, dt.timedelta(0), micro):
            assert reach(drawn, lambda at, c=cutoff + off: at == c) == cutoff + off
    for low, high in ((micro, spread), (-spread, -micro)):  # (and between, either side)
        assert reach(drawn, lambda at, lo=low, hi=high: lo < at - instant < hi)
    seen = {instant.utcoffset(), dt.timedelta(0)}
    assert reach(drawn, lambda at: at.utcoffset() not in seen)  # (said in other zones)
    never(drawn, lambda at: min(abs(at - start), abs(at - instant)) > spread)
    default = instants_around(instant)  # (a spread of three days)
    assert reach(default, lambda at: abs(at - instant) > dt.timedelta(days=2))
    never(default, lambda at: abs(at - instant) > dt.timedelta(days=3))
    tokyo = ZoneInfo("Asia/Tokyo")
    in_tokyo = dt.datetime(2024, 4, 30, tzinfo=tokyo)
    assert reach(instants_around(day, zone=tokyo), lambda at: at == in_tokyo) == in_tokyo
    with pytest.raises(ValueError, match=r"^instants_around needs at least one cut-off$"):
        instants_around()


def test_importing_the_library_loads_what_it_uses_when_it_uses_it() -> None:
    lazy = (
        "cattrs",
        "partner_onboarding.serde",
        "partner_onboarding.standing",
        "email_validator",
        "phonenumbers",
        "dateutil.parser",
        "tomllib",
        "difflib",
        "pathlib",
    )
    code = (
        "import sys, partner_onboarding as p\n"
        f"print([m for m in {lazy!r} if m in sys.modules])\n"
        "print(p.to_json(p.Market.US)[:12], p.standing.__name__, 'to_json' in dir(p))\n"
        "print(p.from_json(p.to_json(p.Market.US), p.Market) == p.Market.US)\n"
        "try:\n    p.nothing\nexcept AttributeError as e:\n    print(e)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        "[]",
        '{"version":  partner_onboarding.standing True',
        "True",
        "module 'partner_onboarding' has no attribute 'nothing'",
    ]


def test_every_exported_value_type_has_a_strategy() -> None:
    """``st.from_type`` draws valid values of each value type a downstream test suite meets,
    each of them read back from its JSON as it is."""
    import enum  # noqa: PLC0415
    import inspect  # noqa: PLC0415

    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    import partner_onboarding  # noqa: PLC0415
    from partner_onboarding import serde  # noqa: PLC0415
    from partner_onboarding._hypothesis_plugin import register_strategies  # noqa: PLC0415
    from partner_onboarding.model import (  # noqa: PLC0415
        EntityReview,
        Event,
        FinanceIdentity,
        PartnerEvent,
        SellerAuthorization,
    )
    from partner_onboarding.policy import Facts  # noqa: PLC0415

    exported = [getattr(partner_onboarding, name) for name in partner_onboarding.__all__]
    wanted = {
        kind
        for kind in exported
        if inspect.isclass(kind) and not issubclass(kind, BaseException | enum.Enum)
    } | {Event, PartnerEvent, EntityReview, FinanceIdentity, SellerAuthorization}
    # (the values the library reads and writes as JSON; the others are arguments and settings)
    unwritten = {partner_onboarding.Catalog, partner_onboarding.Cutoff, Facts}
    unwritten |= {partner_onboarding.Problem}
    met: list[type] = []
    # (Hypothesis registered them when it was imported; registered again here, by this test, so
    # that what is checked is what the plugin registers)
    register_strategies()

    @settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def drawn(data: st.DataObject) -> None:
        for cls in sorted(wanted, key=lambda kind: kind.__name__):
            value = data.draw(st.from_type(cls))
            met.append(type(value))
            assert type(value) is cls
            if isinstance(value, Facts):  # (an argument, never a stored document)
                asked = partner_onboarding.DEFAULT_POLICY.decide(
                    "register", value, at=value.registered_at
                )
                assert asked.partner_id == value.partner_id
            if cls not in unwritten:
                assert serde.from_json(serde.to_json(value), cls) == value

    drawn()
    assert set(met) == wanted


def test_an_approved_partner_is_built_as_asked() -> None:
    import datetime as dt  # noqa: PLC0415

    from partner_onboarding import Market, PartnerRole  # noqa: PLC0415
    from partner_onboarding.errors import PolicyRefusal  # noqa: PLC0415
    from partner_onboarding.testing import approved_partner  # noqa: PLC0415

    at = dt.datetime(2024, 5, 20, tzinfo=dt.UTC)
    registered = dt.datetime(2024, 3, 1, 12, 30, 0, 1, tzinfo=dt.UTC)
    partner = approved_partner(
        "Creator Management",
        "Shop Management",
        at=at,
        registered_at=registered,
        market="GB",
        registration_market="GB",
        agency_type="cross_border",
    )
    assert partner.roles == (
        PartnerRole.CREATOR_SERVICE_PARTNER,
        PartnerRole.SELLER_SERVICE_PARTNER,
    )
    assert partner.account.registered_at == registered
    assert partner.registration_market == Market("GB")
    assert [(a.category.name, a.market, a.status) for a in partner.applications] == [
        ("Creator Management", Market("GB"), ReviewStatus.APPROVED),
        ("Shop Management", Market("GB"), ReviewStatus.APPROVED),
    ]
    assert approved_partner("Shop Management", at=at).account.registered_at == at
    assert partner.account.email == "ops@acme.example"  # (as docs/testing.md shows)
    # (the policy is asked, unless it is None: a discontinued category after its cut-off)
    late = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(PolicyRefusal):
        approved_partner("Paid Media", at=late)
    assert approved_partner("Paid Media", at=late, policy=None).applications[0].status == (
        ReviewStatus.APPROVED
    )


def test_the_sample_entity_is_the_one_the_docs_show() -> None:
    from partner_onboarding.testing import sample_entity  # noqa: PLC0415

    entity = sample_entity()
    address, contact = entity.address, entity.contact
    assert (entity.legal_name, entity.ein, entity.country.code) == (
        "Acme Growth LLC",
        "04-2103594",
        "US",
    )
    assert (address.lines, address.city, address.state, address.zip_code) == (
        ("100 Main St",),
        "Los Angeles",
        "CA",
        "90012",
    )
    assert (contact.name, contact.email, contact.phone) == (
        "Dana Reyes",
        "dana@acme.example",
        "+12015550123",
    )


def test_categories_are_current_and_legacy_unless_asked() -> None:
    from hypothesis import find  # noqa: PLC0415
    from hypothesis.errors import NoSuchExample  # noqa: PLC0415

    from partner_onboarding.testing import categories  # noqa: PLC0415

    assert find(categories(), lambda category: category.legacy).legacy
    with pytest.raises(NoSuchExample):
        find(categories(include_legacy=False), lambda category: category.legacy)


def test_the_sample_information_is_the_one_the_docs_show() -> None:
    from partner_onboarding import Market  # noqa: PLC0415
    from partner_onboarding.testing import sample_info  # noqa: PLC0415

    info = sample_info("paid media")
    assert info.category.name == "Paid Media"
    assert info.service_description == "Paid Media for US sellers and creators"
    assert info.markets_served == (Market.US,)
    assert info.team_size == 12
    assert info.reference_links == ("https://acme.example/cases",)


# What each strategy promises (docs/testing.md): other projects' tests rely on it reaching every
# kind of value it names, and never another. ``reach`` finds one; ``never`` finds none.


def reach(strategy: Any, condition: Any) -> Any:
    from hypothesis import HealthCheck, Phase, find, settings  # noqa: PLC0415

    return find(  # (the first found: not shrunk)
        strategy,
        condition,
        settings=settings(
            max_examples=2_000,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )


def never(strategy: Any, condition: Any) -> None:
    from hypothesis import HealthCheck, find, settings  # noqa: PLC0415
    from hypothesis.errors import NoSuchExample  # noqa: PLC0415

    with pytest.raises(NoSuchExample):
        find(
            strategy,
            condition,
            settings=settings(
                max_examples=300, database=None, suppress_health_check=list(HealthCheck)
            ),
        )


def test_aware_instants_stay_within_their_bounds() -> None:
    import datetime as dt  # noqa: PLC0415

    from partner_onboarding.testing import aware_datetimes  # noqa: PLC0415

    low, high = dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 31)  # noqa: DTZ001
    drawn = aware_datetimes(min_value=low, max_value=high)
    never(drawn, lambda at: not low <= at.replace(tzinfo=None) <= high)
    never(aware_datetimes(), lambda at: at.tzinfo is None or at.year > 2030 or at.year < 2020)
    # (the upper bound is the one given: its last month is drawn, not only earlier ones)
    assert reach(drawn, lambda at: at.replace(tzinfo=None) > high - dt.timedelta(days=30))


def test_category_spellings_use_every_separator_case_and_padding() -> None:
    from partner_onboarding import DEFAULT_CATALOG  # noqa: PLC0415
    from partner_onboarding.testing import category_spellings  # noqa: PLC0415

    paid = DEFAULT_CATALOG.category("Paid Media")
    spellings = category_spellings(paid)
    for wanted in ("paid_media", "PAID-MEDIA", "Paid - Media", "Paid__Media", "\tpaid  media\t"):
        assert reach(spellings, lambda text, w=wanted: text == w) == wanted
    never(spellings, lambda text: DEFAULT_CATALOG.category(text) != paid)


def test_facts_reach_every_kind_of_fact() -> None:
    import re  # noqa: PLC0415

    from partner_onboarding import DEFAULT_POLICY, Facts  # noqa: PLC0415
    from partner_onboarding.testing import facts  # noqa: PLC0415

    drawn = facts()
    checks = {
        "the policy's market": lambda f: f.registration_market == DEFAULT_POLICY.market,
        "another market": lambda f: f.registration_market != DEFAULT_POLICY.market,
        "a target market": lambda f: f.market is not None,
        "no target market": lambda f: f.market is None,
        "approved": lambda f: f.approved,
        "not approved": lambda f: not f.approved,
        "no partner id": lambda f: f.partner_id is None,
    }
    for name, check in checks.items():
        assert isinstance(reach(drawn, check), Facts), name
    never(
        drawn, lambda f: f.partner_id is not None and not re.fullmatch(r"P[0-9]{1,8}", f.partner_id)
    )
    assert reach(drawn, lambda f: f.partner_id is not None).partner_id.startswith("P")


def test_policies_are_the_default_and_others_of_other_zones_and_rules() -> None:
    from partner_onboarding import DEFAULT_POLICY  # noqa: PLC0415
    from partner_onboarding.testing import policies  # noqa: PLC0415

    assert reach(policies(), lambda p: p == DEFAULT_POLICY) == DEFAULT_POLICY
    other = reach(
        policies(), lambda p: p.zone != DEFAULT_POLICY.zone and p.rules != DEFAULT_POLICY.rules
    )
    assert other.zone != DEFAULT_POLICY.zone


def test_catalogs_are_the_default_and_ones_a_file_extends_with_legacy_categories() -> None:
    from partner_onboarding import DEFAULT_CATALOG  # noqa: PLC0415
    from partner_onboarding.testing import catalogs  # noqa: PLC0415

    size = len(list(DEFAULT_CATALOG))
    names = {c.name for c in DEFAULT_CATALOG}
    assert reach(catalogs(), lambda c: c is DEFAULT_CATALOG) is DEFAULT_CATALOG
    for added in (1, 3):
        extended = reach(catalogs(), lambda c, n=added: len(list(c)) == size + n)
        new = [c for c in extended if c.name not in names]
        assert len(new) == added
        assert all(c.legacy for c in new)
    never(catalogs(), lambda c: len(list(c)) > size + 3)


def test_rulebooks_are_of_the_2024_shape_or_of_one_to_their_most_rules() -> None:
    from partner_onboarding.testing import rulebooks  # noqa: PLC0415

    for count in (1, 2):
        assert len(reach(rulebooks(max_rules=2), lambda r, n=count: len(r) == n)) == count
    never(rulebooks(max_rules=2), lambda r: not r)


def test_applications_are_in_the_status_asked() -> None:
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    from partner_onboarding.testing import applications  # noqa: PLC0415

    @settings(
        max_examples=20, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.data(), st.sampled_from([ReviewStatus.APPROVED, ReviewStatus.PENDING_REVIEW]))
    def drawn(data: Any, status: ReviewStatus) -> None:
        assert data.draw(applications(status)).status is status

    drawn()


def test_the_machine_refuses_an_offered_step_refused_and_a_step_not_offered_taken() -> None:
    import datetime as dt  # noqa: PLC0415

    from partner_onboarding import PartnerRole, lifecycle  # noqa: PLC0415
    from partner_onboarding.testing import PartnerMachine, approved_partner  # noqa: PLC0415

    machine = PartnerMachine()
    partner = approved_partner("Shop Management", at=dt.datetime(2024, 5, 20, tzinfo=dt.UTC))
    machine.start(partner.account, PartnerRole.SELLER_SERVICE_PARTNER)
    refused = machine.partner
    with pytest.raises(AssertionError, match=r"^an event allowed_events offered was refused$"):
        machine.attempt(
            lambda p: lifecycle.choose_role(p.account, "nobody", at=machine.now), allowed=True
        )
    assert machine.partner is refused
    with pytest.raises(
        AssertionError, match=r"^an event allowed_events did not offer went through$"
    ):
        machine.attempt(lambda p: p, allowed=False)
    machine.attempt(lambda p: p)


# Each shape an invalid strategy promises (its docstring), as other projects' tests rely on it:
# a case never drawn is a bug of theirs never found.
_INVALID_CASES = {
    "invalid_emails": [
        "",
        " ",
        "plain",
        "@example.com",
        "ops@",
        "ops@localhost",
        "a@@b.com",
        "a b@c.com",
        "ops@example..com",
        ".ops@example.com",
        "ops@-example.com",
        "ops@example.com.",
    ],
    "invalid_phones": ["", "123", "phone", "+1 000 000 0000", "+999 12", "555-0123"],
    "invalid_eins": ["", "12-345678", "1234567890", "AB-CDEFGHI", "12_3456789"],
    "invalid_zip_codes": [
        "",
        "1234",
        "123456",
        "12345-678",
        "ABCDE",
        "12345 6789",
        "\u0661\u0662\u0663\u0664\u0665",
    ],
}


@pytest.mark.parametrize(
    ("name", "case"), [(name, case) for name, cases in _INVALID_CASES.items() for case in cases]
)
def test_an_invalid_strategy_draws_each_shape_it_promises(name: str, case: str) -> None:
    from partner_onboarding import testing  # noqa: PLC0415

    assert reach(getattr(testing, name)(), lambda drawn: drawn == case) == case


def test_the_free_text_of_invalid_strategies_keeps_to_its_alphabet_and_sizes() -> None:
    import re  # noqa: PLC0415
    import string  # noqa: PLC0415

    from partner_onboarding import testing  # noqa: PLC0415

    named = {name: set(cases) for name, cases in _INVALID_CASES.items()}
    shapes = {  # (the free text's alphabet, and its shortest and longest)
        "invalid_emails": (string.ascii_lowercase + string.digits, 1, 20),
        "invalid_phones": (string.ascii_letters, 1, 10),
    }
    for name, (alphabet, shortest, longest) in shapes.items():
        strategy = getattr(testing, name)()

        def free(text: str, name: str = name) -> bool:
            return text not in named[name]

        for size in (shortest, longest):
            drawn = reach(strategy, lambda text, size=size: free(text) and len(text) == size)
            assert set(drawn) <= set(alphabet)
        never(
            strategy,
            lambda text, a=alphabet, lo=shortest, hi=longest: (
                free(text) and not (lo <= len(text) <= hi and set(text) <= set(a))
            ),
        )
    # (an EIN after an unassigned prefix: every such prefix, the serial's first and last)
    unassigned = sorted(set(range(100)) - set(testing._ein_prefixes()))
    strategy = testing.invalid_eins()
    assert unassigned
    for prefix in unassigned:
        reach(strategy, lambda ein, p=prefix: ein.startswith(f"{p:02d}-"))
    for serial in ("0000000", "9999999"):
        reach(strategy, lambda ein, s=serial: ein.endswith(f"-{s}") and len(ein) == 10)
    never(
        strategy,
        lambda ein: (
            ein not in named["invalid_eins"]
            and not (re.fullmatch(r"[0-9]{2}-[0-9]{7}", ein) and int(ein[:2]) in unassigned)
        ),
    )


def test_invalid_passwords_are_never_longer_than_thirty_characters() -> None:
    from partner_onboarding.testing import invalid_passwords  # noqa: PLC0415

    never(invalid_passwords(), lambda password: len(password) > 30)
