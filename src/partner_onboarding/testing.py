"""Hypothesis strategies for every public value, for this project's tests and for yours.

Importing :mod:`partner_onboarding` never imports Hypothesis; this module does, so it needs
``hypothesis`` installed (the ``test`` extra).

>>> from hypothesis import given
>>> from partner_onboarding import testing
>>> @given(testing.entities())
... def test_entity_is_us(entity):
...     assert entity.country.code == "US"
>>> test_entity_is_us()

Every strategy draws valid values unless its name says otherwise (``invalid_emails()``, …).
Accounts are drawn with a cheap password hash so that property tests stay fast; the hash still
verifies :data:`KNOWN_PASSWORD`.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
import zoneinfo
from collections.abc import Callable
from typing import Final, TypeVar

from hypothesis import strategies as st

from partner_onboarding import lifecycle
from partner_onboarding._fields import US_STATES, Rejected, normalize_ein
from partner_onboarding._time import start_of_day
from partner_onboarding.catalog import (
    CATEGORY_INFO_FIELDS,
    DEFAULT_CATALOG,
    Category,
    Market,
    PartnerRole,
    normalize_name,
)
from partner_onboarding.model import (
    Account,
    Actor,
    Address,
    AgencyType,
    Application,
    CategoryInfo,
    ContactPerson,
    DocumentRef,
    Entity,
    EntityReview,
    Event,
    EventKind,
    FinanceIdentity,
    Partner,
    PartnerEvent,
    PasswordHash,
    ReviewStatus,
    SellerAuthorization,
)
from partner_onboarding.policy import (
    DEFAULT_POLICY,
    Bars,
    Cutoff,
    Decision,
    Facts,
    Policy,
    Question,
    Verdict,
    upgrade_rules,
)

T = TypeVar("T")

__all__ = [
    "KNOWN_PASSWORD",
    "ZONES",
    "accounts",
    "addresses",
    "applications",
    "approved_partner",
    "aware_datetimes",
    "categories",
    "category_infos",
    "category_spellings",
    "contact_people",
    "decisions",
    "documents",
    "eins",
    "emails",
    "entities",
    "entity_reviews",
    "facts",
    "finance_identities",
    "history_events",
    "instants_around",
    "invalid_eins",
    "invalid_emails",
    "invalid_passwords",
    "invalid_phones",
    "invalid_zip_codes",
    "markets",
    "partner_events",
    "partners",
    "password_hashes",
    "passwords",
    "phones",
    "policies",
    "rulebooks",
    "sample_entity",
    "sample_info",
    "seller_authorizations",
    "states",
    "verdicts",
    "zip_codes",
]

#: The password every drawn :class:`Account` verifies.
KNOWN_PASSWORD: Final = "Partner#2024"  # noqa: S105  (a test fixture, published on purpose)

#: Zones used to draw instants: the market's, UTC, and zones on both sides of it.
ZONES: Final = tuple(
    zoneinfo.ZoneInfo(name)
    for name in ("America/Los_Angeles", "America/New_York", "UTC", "Asia/Shanghai", "Asia/Kolkata")
)

_LOWER_DIGITS: Final = string.ascii_lowercase + string.digits
_SPECIALS: Final = "!#$%&*+-.:;<=>?@^_~"


def aware_datetimes(
    *,
    min_value: dt.datetime = dt.datetime(2020, 1, 1),  # noqa: DTZ001  (Hypothesis bounds are naive)
    max_value: dt.datetime = dt.datetime(2030, 12, 31),  # noqa: DTZ001
) -> st.SearchStrategy[dt.datetime]:
    """Time-zone aware instants (microsecond precision) in several zones, DST folds included."""
    return st.datetimes(
        min_value=min_value,
        max_value=max_value,
        timezones=st.sampled_from(ZONES),
        allow_imaginary=False,
    )


def markets() -> st.SearchStrategy[Market]:
    """Markets: the US most often, then a few others, then every ISO 3166-1 country."""
    return st.one_of(
        st.just(Market.US),
        st.sampled_from(["GB", "CA", "MX", "DE", "JP", "SG"]).map(Market),
        st.sampled_from(sorted(Market.codes())).map(Market),
    )


def categories(*, include_legacy: bool = True) -> st.SearchStrategy[Category]:
    """Categories of the default catalog."""
    return st.sampled_from(DEFAULT_CATALOG.categories(include_legacy=include_legacy))


def category_spellings(category: Category) -> st.SearchStrategy[str]:
    """Ways a user may spell ``category``: code, name or alias in odd case, with odd separators."""
    spellings = sorted({category.code, category.name, *category.aliases})

    def respell(text: str, case: str, separator: str, pad: str) -> str:
        words = normalize_name(text).split(" ")
        cased = [getattr(word, case)() for word in words]
        return pad + separator.join(cased) + pad

    return st.builds(
        respell,
        st.sampled_from(spellings),
        st.sampled_from(["lower", "upper", "title", "capitalize"]),
        st.sampled_from([" ", "_", "-", "  ", " - ", "__"]),
        st.sampled_from(["", " ", "\t"]),
    )


def emails() -> st.SearchStrategy[str]:
    """Deliverable-looking email addresses (already in normal form)."""
    local = st.text(_LOWER_DIGITS, min_size=1, max_size=12)
    label = st.text(string.ascii_lowercase, min_size=2, max_size=10)
    return st.builds(
        "{}{}{}@{}.{}".format,
        local,
        st.sampled_from(["", ".", "+", "_"]),
        local,
        label,
        st.sampled_from(["com", "org", "net", "io", "us", "shop"]),
    ).map(lambda text: text.replace(".@", "@"))


def invalid_emails() -> st.SearchStrategy[str]:
    """Text that is not a valid email address."""
    return st.one_of(
        st.sampled_from(
            [
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
            ]
        ),
        st.text(_LOWER_DIGITS, min_size=1, max_size=20),  # no @ at all
    )


def phones() -> st.SearchStrategy[str]:
    """Valid US phone numbers, in the varied ways people type them."""
    area = st.sampled_from([201, 212, 213, 305, 312, 415, 512, 617, 702, 818])
    exchange = st.integers(200, 999)
    line = st.integers(0, 9999)
    style = st.sampled_from(
        ["+1{a}{x}{n:04d}", "({a}) {x}-{n:04d}", "{a}-{x}-{n:04d}", "+1 {a} {x} {n:04d}"]
    )
    return st.builds(lambda s, a, x, n: s.format(a=a, x=x, n=n), style, area, exchange, line)


def invalid_phones() -> st.SearchStrategy[str]:
    """Text that is not a valid phone number."""
    return st.one_of(
        st.sampled_from(["", "123", "phone", "+1 000 000 0000", "+999 12", "555-0123"]),
        st.text(string.ascii_letters, min_size=1, max_size=10),
    )


@functools.cache
def _ein_prefixes() -> tuple[int, ...]:
    return tuple(
        prefix
        for prefix in range(100)
        if not isinstance(normalize_ein(f"{prefix:02d}0000001"), Rejected)
    )


def eins() -> st.SearchStrategy[str]:
    """Valid EINs (known IRS campus prefixes), with or without the dash."""
    return st.builds(
        lambda prefix, serial, dash: f"{prefix:02d}{'-' if dash else ''}{serial:07d}",
        st.sampled_from(_ein_prefixes()),
        st.integers(0, 9_999_999),
        st.booleans(),
    )


def invalid_eins() -> st.SearchStrategy[str]:
    """Text that is not a valid EIN: wrong length, letters, or a prefix no campus assigns."""
    unassigned = sorted(set(range(100)) - set(_ein_prefixes()))
    return st.one_of(
        st.builds(
            lambda p, s: f"{p:02d}-{s:07d}", st.sampled_from(unassigned), st.integers(0, 9_999_999)
        ),
        st.sampled_from(["", "12-345678", "1234567890", "AB-CDEFGHI", "12_3456789"]),
    )


def zip_codes() -> st.SearchStrategy[str]:
    """ZIP (12345) and ZIP+4 (12345-6789) codes (00000 is none)."""
    five = st.text(string.digits, min_size=5, max_size=5).filter(
        lambda zip_code: zip_code != "00000"
    )
    four = st.text(string.digits, min_size=4, max_size=4)
    return st.one_of(five, st.builds("{}-{}".format, five, four))


def invalid_zip_codes() -> st.SearchStrategy[str]:
    """Text that is not a ZIP or ZIP+4 code."""
    return st.sampled_from(["", "1234", "123456", "12345-678", "ABCDE", "12345 6789", "١٢٣٤٥"])


def states() -> st.SearchStrategy[str]:
    """US state, district and territory codes."""
    return st.sampled_from(sorted(US_STATES))


def passwords() -> st.SearchStrategy[str]:
    """Passwords that meet the strength rule (8 to 20 characters, a letter, a digit, a special)."""
    body = st.text(string.ascii_letters + string.digits + _SPECIALS, min_size=5, max_size=17)
    return st.builds(
        lambda letter, digit, special, rest: letter + rest + digit + special,
        st.sampled_from(string.ascii_letters),
        st.sampled_from(string.digits),
        st.sampled_from(_SPECIALS),
        body,
    )


def invalid_passwords() -> st.SearchStrategy[str]:
    """Passwords that break the strength rule."""
    return st.one_of(
        st.text(string.ascii_letters + string.digits, max_size=30),  # no special character
        st.text(string.ascii_letters + _SPECIALS, max_size=30),  # no digit
        st.text(string.digits + _SPECIALS, max_size=30),  # no letter
        passwords().map(lambda p: p[:7] if len(p) > 7 else p[:3]),  # too short
        passwords().map(lambda p: p + "x1!" * 7),  # too long
    )


@functools.cache
def _cheap_hash() -> PasswordHash:
    # n=2 is useless as protection and fine for drawing thousands of accounts in tests.
    return PasswordHash.of(KNOWN_PASSWORD, n=2)


def password_hashes() -> st.SearchStrategy[PasswordHash]:
    """Password hashes of :data:`KNOWN_PASSWORD` (cheap scrypt parameters)."""
    return st.just(_cheap_hash())


def accounts(
    *, registered: st.SearchStrategy[dt.datetime] | None = None
) -> st.SearchStrategy[Account]:
    """Accounts, registered at instants drawn from ``registered`` (default: 2020 to 2030)."""
    return st.builds(
        Account,
        email=emails(),
        password_hash=password_hashes(),
        registered_at=registered if registered is not None else aware_datetimes(),
        phone=st.none() | phones(),
    )


_NAMES: Final = st.text(string.ascii_letters + " .,&'-", min_size=1, max_size=40).filter(str.strip)


def addresses() -> st.SearchStrategy[Address]:
    """US registered addresses."""
    return st.builds(
        Address,
        lines=st.lists(_NAMES, min_size=1, max_size=3).map(tuple),
        city=_NAMES,
        state=states(),
        zip_code=zip_codes(),
    )


def contact_people() -> st.SearchStrategy[ContactPerson]:
    """Contact people with a name, an email and a phone."""
    return st.builds(ContactPerson, name=_NAMES, email=emails(), phone=phones())


def documents() -> st.SearchStrategy[DocumentRef]:
    """References to supporting documents."""
    return st.builds(DocumentRef.of, _NAMES, st.binary(max_size=64))


def _urls() -> st.SearchStrategy[str]:
    return st.builds(
        "https://{}.{}/{}".format,
        st.text(string.ascii_lowercase, min_size=2, max_size=12),
        st.sampled_from(["com", "org", "io"]),
        st.text(_LOWER_DIGITS, max_size=10),
    )


def entities() -> st.SearchStrategy[Entity]:
    """US companies with a valid EIN, address and contact person."""
    return st.builds(
        Entity,
        legal_name=_NAMES,
        ein=eins(),
        address=addresses(),
        contact=contact_people(),
        website=st.none() | _urls(),
        documents=st.lists(documents(), max_size=3).map(tuple),
    )


def category_infos(
    category: st.SearchStrategy[Category] | None = None,
) -> st.SearchStrategy[CategoryInfo]:
    """Category information complete for its category (optional fields sometimes filled too)."""

    @st.composite
    def build(draw: st.DrawFn) -> CategoryInfo:
        chosen = draw(category if category is not None else categories())
        optional = CATEGORY_INFO_FIELDS - chosen.required_fields
        fill = {name for name in sorted(optional) if draw(st.booleans())} | chosen.required_fields
        return CategoryInfo(
            category=chosen,
            service_description=draw(_NAMES) if "service_description" in fill else None,
            markets_served=(
                tuple(draw(st.lists(markets(), min_size=1, max_size=3, unique=True)))
                if "markets_served" in fill
                else ()
            ),
            team_size=draw(st.integers(1, 5000)) if "team_size" in fill else None,
            reference_links=(
                tuple(draw(st.lists(_urls(), min_size=1, max_size=5)))
                if "reference_links" in fill
                else ()
            ),
        )

    return build()


# --------------------------------------------------------------------------------------------------
# Partners and applications, built through the lifecycle's own operations


def sample_entity() -> Entity:
    """A fixed, valid US company (for examples and builders)."""
    return Entity(
        legal_name="Acme Growth LLC",
        ein="04-2103594",
        address=Address(lines=("100 Main St",), city="Los Angeles", state="CA", zip_code="90012"),
        contact=ContactPerson(name="Dana Reyes", email="dana@acme.example", phone="+12015550123"),
    )


def sample_info(category: str | Category) -> CategoryInfo:
    """Complete category information for ``category`` (any name the catalog resolves)."""
    chosen = DEFAULT_CATALOG.category(category)
    return CategoryInfo(
        category=chosen,
        service_description=f"{chosen.name} for US sellers and creators",
        markets_served=(Market.US,),
        team_size=12,
        reference_links=("https://acme.example/cases",),
    )


def approved_partner(
    *categories: str | Category,
    at: dt.datetime,
    registered_at: dt.datetime | None = None,
    market: Market | str | None = None,
    policy: Policy | None = DEFAULT_POLICY,
    registration_market: Market | str = Market.US,
    agency_type: AgencyType | str = AgencyType.LOCAL,
) -> Partner:
    """A partner whose entity and applications in ``categories`` (target ``market``) are
    approved, all at ``at``.

    The account is registered at ``registered_at`` (default ``at``) in the Partner Center of
    ``registration_market``, as an agency of ``agency_type`` (a local agency's target market
    defaults to its registration market; a cross-border agency needs ``market``); the partner
    holds the roles its categories need. ``policy=None`` builds it whatever the policy would say.
    """
    chosen = [DEFAULT_CATALOG.category(c) for c in categories]
    roles = list(dict.fromkeys(c.role for c in chosen)) or [PartnerRole.SELLER_SERVICE_PARTNER]
    account = Account(
        email="ops@acme.example",
        password_hash=_cheap_hash(),
        registered_at=registered_at if registered_at is not None else at,
    )
    partner = lifecycle.choose_role(
        account,
        roles[0],
        at=at,
        registration_market=registration_market,
        agency_type=agency_type,
    )
    for role in roles[1:]:
        partner = lifecycle.add_role(partner, role, at=at)
    partner = lifecycle.submit_entity(partner, sample_entity(), at=at)
    partner = lifecycle.approve_entity(partner, at=at)
    for category in chosen:
        partner = lifecycle.apply(
            partner, category, sample_info(category), market=market, at=at, policy=policy
        )
        partner = lifecycle.approve(partner, category, market=market, at=at)
    return partner


_STEP: Final = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20))


@st.composite
def _walk(
    draw: st.DrawFn, steps: int, registered: st.SearchStrategy[dt.datetime] | None = None
) -> Partner:
    default = st.one_of(
        aware_datetimes(max_value=dt.datetime(2028, 1, 1)),  # noqa: DTZ001
        # (often weeks before the upgrade: walks then live through it and the cut-off)
        instants_around(
            DEFAULT_POLICY.upgrade_at - dt.timedelta(days=30), spread=dt.timedelta(days=40)
        ),
    )
    account = draw(accounts(registered=registered if registered is not None else default))
    at = account.registered_at
    partner = lifecycle.choose_role(
        account,
        draw(st.sampled_from(list(PartnerRole))),
        at=at,
        registration_market=draw(st.sampled_from(_REGISTRATION_MARKETS)),
        agency_type=draw(st.sampled_from(list(AgencyType))),
    )
    for _ in range(steps):
        at = at + draw(_STEP)
        moves = _moves(partner, at)
        upgrade = moves[-1] if moves[-1] is _upgrade_move else None
        # (the system migrates soon after the upgrade: half the time it is the next step)
        chosen = upgrade if upgrade is not None and draw(st.booleans()) else None
        partner = (chosen or draw(st.sampled_from(moves)))(partner, draw, at)
    return partner


def _upgrade_move(partner: Partner, draw: st.DrawFn, at: dt.datetime) -> Partner:
    return lifecycle.upgrade(partner, at=at)


#: The target markets the walks apply in: the home market most, and two others.
_WALK_MARKETS: Final = (Market.US, Market.US, Market("GB"), Market("CA"))
#: The Partner Centers the walks register in: the US (the policy's) most, and another.
_REGISTRATION_MARKETS: Final = (Market.US, Market.US, Market.US, Market("GB"))


def _moves(
    partner: Partner, at: dt.datetime
) -> list[Callable[[Partner, st.DrawFn, dt.datetime], Partner]]:
    """The operations that the table and the policy accept for ``partner`` at ``at``, each as a
    function of a draw: every operation, the upgrade and seller authorisations included."""
    moves: list[Callable[[Partner, st.DrawFn, dt.datetime], Partner]] = [
        lambda p, draw, at: lifecycle.add_role(p, draw(st.sampled_from(list(PartnerRole))), at=at)
    ]
    review = partner.entity
    if review is None:
        moves.append(lambda p, draw, at: lifecycle.submit_entity(p, draw(entities()), at=at))
        return moves
    entity_moves = {
        EventKind.APPROVE: lambda p, draw, at: lifecycle.approve_entity(p, at=at),
        EventKind.REJECT: lambda p, draw, at: lifecycle.reject_entity(
            p, ["documents unclear"], at=at
        ),
        EventKind.MODIFY: lambda p, draw, at: lifecycle.modify_entity(p, draw(entities()), at=at),
    }
    moves += [
        entity_moves[kind]
        for kind in lifecycle.allowed_events(review, partner, actor=Actor.PARTNER)
        + lifecycle.allowed_events(review, partner, actor=Actor.PLATFORM)
        for _ in range(_WEIGHTS.get(kind, 1))
    ]
    candidates = [
        (c, market)
        for c in DEFAULT_CATALOG.categories(include_legacy=True)
        for market in dict.fromkeys(_WALK_MARKETS)
        if c.role in partner.roles
        and not partner.has_open(c, market)
        and DEFAULT_POLICY.can_register(partner, c, market=market, at=at).allowed
    ]
    if candidates:
        moves += [_apply_move(candidates)] * _WEIGHTS[EventKind.SUBMIT]
    for application in partner.open_applications():
        moves += _application_moves(application, partner)
        if DEFAULT_POLICY.can_authorize_seller(
            partner, application.category, market=application.market, at=at
        ).allowed:
            moves += [_authorize_move(application)] * _WEIGHTS[EventKind.AUTHORIZE_SELLER]
    if at >= DEFAULT_POLICY.upgrade_at and lifecycle.upgrade(partner, at=at) != partner:
        moves.append(_upgrade_move)  # (last: the walk finds it there)
    return moves


def _apply_move(
    candidates: list[tuple[Category, Market]],
) -> Callable[[Partner, st.DrawFn, dt.datetime], Partner]:
    legacy = [pair for pair in candidates if pair[0].legacy]

    def move(partner: Partner, draw: st.DrawFn, at: dt.datetime) -> Partner:
        # (a discontinued category half the time it may be chosen: the hard cases, often)
        pool = candidates
        if draw(st.booleans()) and legacy:
            pool = legacy
        category, market = draw(st.sampled_from(pool))
        info = draw(category_infos(st.just(category)))
        return lifecycle.apply(partner, category, info, market=market, at=at)

    return move


def _authorize_move(
    application: Application,
) -> Callable[[Partner, st.DrawFn, dt.datetime], Partner]:
    def move(partner: Partner, draw: st.DrawFn, at: dt.datetime) -> Partner:
        seller = draw(st.sampled_from(["seller-1", "seller-2", "seller-3"]))
        return lifecycle.authorize_seller(
            partner, application.category, seller, market=application.market, at=at
        )

    return move


def _application_moves(
    application: Application, partner: Partner
) -> list[Callable[[Partner, st.DrawFn, dt.datetime], Partner]]:
    category, market = application.category, application.market
    info = category_infos(st.just(category))
    by_kind: dict[EventKind, Callable[[Partner, st.DrawFn, dt.datetime], Partner]] = {
        EventKind.REJECT: lambda p, d, at: lifecycle.reject(
            p, category, ["incomplete"], market=market, at=at
        ),
        EventKind.MODIFY: lambda p, d, at: lifecycle.modify(
            p, category, d(info), market=market, at=at
        ),
        EventKind.EDIT: lambda p, d, at: lifecycle.edit(p, category, d(info), market=market, at=at),
        EventKind.APPROVE_REVISION: lambda p, d, at: lifecycle.approve_revision(
            p, category, market=market, at=at
        ),
        EventKind.REJECT_REVISION: lambda p, d, at: lifecycle.reject_revision(
            p, category, ["links broken"], market=market, at=at
        ),
        EventKind.APPROVE: lambda p, d, at: lifecycle.approve(p, category, market=market, at=at),
    }
    offered = lifecycle.allowed_events(application, partner)
    return [
        by_kind[kind] for kind in offered if kind in by_kind for _ in range(_WEIGHTS.get(kind, 1))
    ]


#: How many times a move is offered among the walk's choices: the steps that take a partner
#: further (an approval, an application, an authorisation) more often than the others, so that
#: drawn partners reach the states that break code (docs/testing.md has the proportions).
_WEIGHTS: Final[dict[EventKind, int]] = {
    EventKind.SUBMIT: 3,  # (a new application)
    EventKind.APPROVE: 3,
    EventKind.AUTHORIZE_SELLER: 3,
    EventKind.EDIT: 2,
}


def partners(
    *, max_steps: int = 12, registered: st.SearchStrategy[dt.datetime] | None = None
) -> st.SearchStrategy[Partner]:
    """Partners at every stage: random walks of up to ``max_steps`` lifecycle operations, from an
    account registered at an instant drawn from ``registered`` (default: 2020 to 2028)."""
    return st.integers(0, max_steps).flatmap(lambda steps: _walk(steps, registered))


def applications(status: ReviewStatus | None = None) -> st.SearchStrategy[Application]:
    """Applications (in ``status`` if given), taken from drawn partners."""
    found = (
        partners(max_steps=16)
        .map(lambda p: p.applications)
        .filter(lambda apps: any(status is None or a.status is status for a in apps))
    )
    return found.flatmap(
        lambda apps: st.sampled_from([a for a in apps if status is None or a.status is status])
    )


def partner_events() -> st.SearchStrategy[PartnerEvent]:
    """Events of drawn partners (a registration, entity and application steps, authorisations):
    each one a partner recorded, so valid in its history."""
    return partners(max_steps=8).flatmap(lambda p: st.sampled_from(p.events))


def history_events() -> st.SearchStrategy[Event]:
    """Review events of drawn applications and entities (what a history holds)."""
    return applications().flatmap(lambda a: st.sampled_from(tuple(a.history)))


def entity_reviews() -> st.SearchStrategy[EntityReview]:
    """The entity reviews of drawn partners: submitted, approved, rejected, modified."""
    with_entity = partners(max_steps=8).filter(lambda p: p.entity is not None)
    return with_entity.map(lambda p: _present(p.entity))


@st.composite
def _approved(draw: st.DrawFn) -> Partner:
    """A partner whose drawn entity and one drawn current category are approved."""
    at = draw(aware_datetimes())
    category = draw(st.sampled_from(DEFAULT_CATALOG.categories()))
    account = draw(accounts(registered=st.just(at)))
    partner = lifecycle.choose_role(account, category.role, at=at)
    partner = lifecycle.submit_entity(partner, draw(entities()), at=at)
    partner = lifecycle.approve_entity(partner, at=at)
    partner = lifecycle.apply(partner, category, sample_info(category), at=at, policy=None)
    return lifecycle.approve(partner, category, at=at)


def finance_identities() -> st.SearchStrategy[FinanceIdentity]:
    """The finance identities of approved entities (drawn ones)."""
    return _approved().map(lambda p: _present(p.finance_identity))


def _present(value: T | None) -> T:
    assert value is not None  # noqa: S101  (drawn where it is)
    return value


def seller_authorizations() -> st.SearchStrategy[SellerAuthorization]:
    """Seller authorisations in an approved current category (which no policy closes)."""

    @st.composite
    def build(draw: st.DrawFn) -> SellerAuthorization:
        partner = draw(_approved())
        category = partner.applications[0].category
        seller = draw(
            st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12)
        )
        later = partner.latest + draw(_STEP)
        partner = lifecycle.authorize_seller(partner, category, seller, at=later, policy=None)
        return partner.authorizations[-1]

    return build()


def decisions() -> st.SearchStrategy[Decision]:
    """Decisions of drawn policies on drawn partners: either question, any category, at instants
    around the policy's cut-offs."""

    @st.composite
    def build(draw: st.DrawFn) -> Decision:
        policy = draw(policies())
        partner = draw(partners(max_steps=6))
        category = draw(st.sampled_from(list(DEFAULT_CATALOG)))
        at = draw(instants_around(*policy.instants))
        ask = draw(st.sampled_from([policy.can_register, policy.can_authorize_seller]))
        return ask(partner, category, market=partner.registration_market, at=at)

    return build()


def facts(*, policy: Policy = DEFAULT_POLICY) -> st.SearchStrategy[Facts]:
    """The facts :meth:`Policy.decide` answers on: any category of ``policy``'s catalog (by name,
    code or odd spelling), registered at instants around its cut-offs, in its market most often."""
    catalog = policy.catalog
    return st.builds(
        Facts,
        category=st.sampled_from(list(catalog)).flatmap(
            lambda c: st.one_of(st.just(c), category_spellings(c))
        ),
        registered_at=instants_around(*policy.instants),
        registration_market=st.one_of(st.just(policy.market), markets()),
        market=st.none() | markets(),
        approved=st.booleans(),
        partner_id=st.none() | st.from_regex(r"P[0-9]{1,8}", fullmatch=True),
    )


def verdicts() -> st.SearchStrategy[Verdict]:
    """The answers of drawn decisions, without their questions."""
    return decisions().map(lambda decision: decision.verdict)


# --------------------------------------------------------------------------------------------------
# Policies and instants around their cut-offs


def policies() -> st.SearchStrategy[Policy]:
    """Policies of other rulebooks (each category its own dates, rules that bar new partners or
    everyone, days and instants), zones and discontinued sets; and the default."""
    return st.one_of(st.just(DEFAULT_POLICY), st.builds(_policy, rulebooks(), _zone_names))


def rulebooks(*, max_rules: int = 4) -> st.SearchStrategy[tuple[Cutoff, ...]]:
    """Rulebooks over the default catalog's legacy categories: either of the 2024 shape with
    other dates, or 1 to ``max_rules`` rules of their own, each with its own cut-off."""
    return st.one_of(
        _upgrade_shaped(), st.lists(_cutoffs(), min_size=1, max_size=max_rules).map(tuple)
    )


def _policy(rules: tuple[Cutoff, ...], zone: str) -> Policy:
    return Policy(zone=zone, rules=rules)


_zone_names: Final = st.sampled_from([zone.key for zone in ZONES])
_legacy_codes: Final = [c.code for c in DEFAULT_CATALOG.legacy()]
_days: Final = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31))


@st.composite
def _upgrade_shaped(draw: st.DrawFn) -> tuple[Cutoff, ...]:
    upgrade = draw(_days)
    return upgrade_rules(
        upgrade_date=upgrade,
        authorization_cutoff=upgrade + draw(st.timedeltas(dt.timedelta(0), dt.timedelta(days=200))),
        new_partners_from=upgrade - draw(st.timedeltas(dt.timedelta(0), dt.timedelta(days=30))),
        discontinued=draw(st.lists(st.sampled_from(_legacy_codes), min_size=1, unique=True)),
        existing_partners_may_register=draw(st.booleans()),
    )


@st.composite
def _cutoffs(draw: st.DrawFn) -> Cutoff:
    question = draw(st.sampled_from(Question))
    bars = Bars.EVERYONE if question is Question.AUTHORIZE_SELLER else draw(st.sampled_from(Bars))
    starts: dt.date | dt.datetime = draw(_days)
    if draw(st.booleans()):  # (an instant of its own, not a day's start)
        starts = dt.datetime.combine(starts, draw(st.times()), tzinfo=draw(st.sampled_from(ZONES)))
    registered: dt.date | dt.datetime | None = None
    if bars is Bars.NEW_PARTNERS and draw(st.booleans()):
        registered = draw(_days)
    return Cutoff(
        categories=draw(st.lists(st.sampled_from(_legacy_codes), min_size=1, unique=True)),
        question=question,
        bars=bars,
        from_=starts,
        registered_from=registered,
    )


def instants_around(
    *cutoffs: dt.datetime | dt.date,
    spread: dt.timedelta = dt.timedelta(days=3),
    zone: zoneinfo.ZoneInfo | None = None,
) -> st.SearchStrategy[dt.datetime]:
    """Instants near ``cutoffs``: often exactly on one, or a microsecond off; in several zones.

    A cut-off is an aware instant, or a ``date``: the start of that day in ``zone`` (default: the
    default policy's zone), as a policy reads it.
    """
    day_zone = zone if zone is not None else DEFAULT_POLICY.time_zone
    instants = [
        cutoff if isinstance(cutoff, dt.datetime) else start_of_day(cutoff, day_zone)
        for cutoff in cutoffs
    ]
    if not instants:
        raise ValueError("instants_around needs at least one cut-off")
    offsets = st.one_of(
        st.sampled_from(
            [dt.timedelta(0), dt.timedelta(microseconds=-1), dt.timedelta(microseconds=1)]
        ),
        st.timedeltas(min_value=-spread, max_value=spread),
    )
    return st.builds(
        lambda cutoff, offset, zone: (cutoff + offset).astimezone(zone),
        st.sampled_from(instants),
        offsets,
        st.sampled_from(ZONES),
    )
