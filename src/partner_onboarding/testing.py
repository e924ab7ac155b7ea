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
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from partner_onboarding import lifecycle
from partner_onboarding._fields import US_STATES, Rejected, normalize_ein
from partner_onboarding._time import start_of_day
from partner_onboarding.catalog import (
    CATEGORY_INFO_FIELDS,
    DEFAULT_CATALOG,
    Catalog,
    Category,
    Market,
    PartnerRole,
    extend_catalog,
    normalize_name,
)
from partner_onboarding.errors import (
    BackdatedStep,
    InvalidTransition,
    OnboardingError,
    Problem,
    WrongType,
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
    History,
    Partner,
    PartnerEvent,
    PasswordHash,
    ReviewStatus,
    RoleGrant,
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
    Reason,
    Verdict,
    upgrade_rules,
)
from partner_onboarding.serde import from_json, to_data, to_json

T = TypeVar("T")

__all__ = [
    "KNOWN_PASSWORD",
    "ZONES",
    "PartnerMachine",
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


# (The strategies without arguments are made once: a strategy is a value, and making one costs
# more than drawing from it.)


@functools.cache
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


@functools.cache
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
    """Text that is not a valid email address: each shape an address can break (nothing, a
    blank, no ``@``, nothing before or after it, a domain without a dot, two ``@``, a space, two
    dots in a row, a dot first or last, a hyphen after the ``@``), or 1 to 20 lowercase letters
    and digits (no ``@`` at all)."""
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


@functools.cache
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
    """Text that is not a valid phone number: nothing, too few digits, a word, a number no line
    has (``+1 000 000 0000``, the fictional ``555-0123``), a country code none has; or 1 to 10
    ASCII letters."""
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


@functools.cache
def eins() -> st.SearchStrategy[str]:
    """Valid EINs (known IRS campus prefixes), with or without the dash."""
    return st.builds(
        lambda prefix, serial, dash: f"{prefix:02d}{'-' if dash else ''}{serial:07d}",
        st.sampled_from(_ein_prefixes()),
        st.integers(0, 9_999_999),
        st.booleans(),
    )


def invalid_eins() -> st.SearchStrategy[str]:
    """Text that is not a valid EIN: nothing, eight or ten digits, letters, another separator,
    or nine digits (any serial, 0000000 to 9999999) after a prefix no campus assigns."""
    unassigned = sorted(set(range(100)) - set(_ein_prefixes()))
    return st.one_of(
        st.builds(
            lambda p, s: f"{p:02d}-{s:07d}", st.sampled_from(unassigned), st.integers(0, 9_999_999)
        ),
        st.sampled_from(["", "12-345678", "1234567890", "AB-CDEFGHI", "12_3456789"]),
    )


@functools.cache
def zip_codes() -> st.SearchStrategy[str]:
    """ZIP (12345) and ZIP+4 (12345-6789) codes (00000 is none)."""
    five = st.text(string.digits, min_size=5, max_size=5).filter(
        lambda zip_code: zip_code != "00000"
    )
    four = st.text(string.digits, min_size=4, max_size=4)
    return st.one_of(five, st.builds("{}-{}".format, five, four))


def invalid_zip_codes() -> st.SearchStrategy[str]:
    """Text that is not a ZIP or ZIP+4 code: nothing, four or six digits, a ZIP+4 one digit
    short, letters, a space for the dash, digits of another script."""
    return st.sampled_from(["", "1234", "123456", "12345-678", "ABCDE", "12345 6789", "١٢٣٤٥"])


def states() -> st.SearchStrategy[str]:
    """US state, district and territory codes."""
    return st.sampled_from(sorted(US_STATES))


def passwords() -> st.SearchStrategy[str]:
    """Passwords that meet the strength rule (8 to 20 characters, a letter, a digit, a special)."""
    return _passwords(8, 20)


def _passwords(shortest: int, longest: int) -> st.SearchStrategy[str]:
    """Text of ``shortest`` to ``longest`` characters with a letter, a digit and a special."""
    alphabet = string.ascii_letters + string.digits + _SPECIALS
    return st.builds(
        lambda letter, digit, special, rest: letter + rest + digit + special,
        st.sampled_from(string.ascii_letters),
        st.sampled_from(string.digits),
        st.sampled_from(_SPECIALS),
        st.text(alphabet, min_size=shortest - 3, max_size=longest - 3),
    )


def invalid_passwords() -> st.SearchStrategy[str]:
    """Passwords that break the strength rule, each way, and just past either end of its length
    (at most 30 characters)."""
    return st.one_of(
        st.text(string.ascii_letters + string.digits, max_size=30),  # no special character
        st.text(string.ascii_letters + _SPECIALS, max_size=30),  # no digit
        st.text(string.digits + _SPECIALS, max_size=30),  # no letter
        _passwords(3, 7),  # too short, otherwise right
        _passwords(21, 30),  # too long, otherwise right
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


@functools.cache
def addresses() -> st.SearchStrategy[Address]:
    """US registered addresses."""
    return st.builds(
        Address,
        lines=st.lists(_NAMES, min_size=1, max_size=3).map(tuple),
        city=_NAMES,
        state=states(),
        zip_code=zip_codes(),
    )


@functools.cache
def contact_people() -> st.SearchStrategy[ContactPerson]:
    """Contact people with a name, an email and a phone."""
    return st.builds(ContactPerson, name=_NAMES, email=emails(), phone=phones())


@functools.cache
def documents() -> st.SearchStrategy[DocumentRef]:
    """References to supporting documents."""
    return st.builds(DocumentRef.of, _NAMES, st.binary(max_size=64))


@functools.cache
def _urls() -> st.SearchStrategy[str]:
    return st.builds(
        "https://{}.{}/{}".format,
        st.text(string.ascii_lowercase, min_size=2, max_size=12),
        st.sampled_from(["com", "org", "io"]),
        st.text(_LOWER_DIGITS, max_size=10),
    )


@functools.cache
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
    return _category_info(category if category is not None else categories())


@st.composite
def _category_info(draw: st.DrawFn, category: st.SearchStrategy[Category]) -> CategoryInfo:
    # (one composite for every call: Hypothesis reads a composite's source when it is made)
    chosen = draw(category)
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
    draw: st.DrawFn,
    steps: int,
    registered: st.SearchStrategy[dt.datetime] | None = None,
    *,
    goals: tuple[str, ...] = (),
    upgraded: bool = False,
) -> Partner:
    default = st.one_of(
        aware_datetimes(max_value=dt.datetime(2028, 1, 1)),  # noqa: DTZ001
        # (often weeks before the upgrade: walks then live through it and the cut-off)
        instants_around(
            DEFAULT_POLICY.upgrade_at - dt.timedelta(days=30), spread=dt.timedelta(days=40)
        ),
    )
    if upgraded and registered is None:  # (registered before the upgrade, to live through it)
        default = st.timedeltas(dt.timedelta(hours=1), dt.timedelta(days=60)).map(
            lambda before: DEFAULT_POLICY.upgrade_at - before
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
    if upgraded and at < DEFAULT_POLICY.upgrade_at:
        # An application under review when the upgrade takes effect, and the migration after it.
        partner, at = _pursue(draw, partner, at, "with_applications", step=_MINUTES)
        if at < DEFAULT_POLICY.upgrade_at:
            at = DEFAULT_POLICY.upgrade_at + draw(_STEP)
            partner = lifecycle.upgrade(partner, at=at)
    for _ in range(steps):
        at = at + draw(_STEP)
        moves = _moves(partner, at)
        upgrade = moves[-1] if moves[-1] is _upgrade_move else None
        # (the system migrates soon after the upgrade: half the time it is the next step)
        chosen = upgrade if upgrade is not None and draw(st.booleans()) else None
        partner = (chosen or draw(st.sampled_from(moves)))(partner, draw, at)
    for goal in goals:
        partner, at = _pursue(draw, partner, at, goal)
    return partner


#: A few minutes: the steps of a partner that applies before the upgrade takes effect.
_MINUTES: Final = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(minutes=5))


def _pursue(
    draw: st.DrawFn,
    partner: Partner,
    at: dt.datetime,
    goal: str,
    *,
    step: st.SearchStrategy[dt.timedelta] = _STEP,
) -> tuple[Partner, dt.datetime]:
    """``partner`` taken on, a move at a time, until it reaches ``goal`` (a knob of
    :func:`partners`): each step, the first of the moves the table offers, in a drawn order, that
    brings it closer. Gives up after a few steps (the caller's filter has the last word)."""
    for _ in range(8):
        stage = _stage(partner, goal)
        if stage >= _REACHED:
            break
        at = at + draw(step)
        moves = _moves(partner, at)
        for move in draw(st.permutations(moves)):
            moved = move(partner, draw, at)
            if _stage(moved, goal) > stage:
                partner = moved
                break
        else:
            break
    return partner, at


#: The stage at which a goal is reached.
_REACHED: Final = 10


def _stage(partner: Partner, goal: str) -> float:
    """How far ``partner`` is on the way to ``goal``: its entity, then its best application, then
    the goal itself (:data:`_REACHED`)."""
    if _has(partner, {goal: True}):
        return _REACHED
    applications = partner.applications
    entity = partner.entity
    stage = 0.0 if entity is None else _STATUS_STAGE[entity.status]
    if goal == "authorized":  # (a category of the current structure: authorisations stay open)
        applications = tuple(a for a in applications if not a.category.legacy)
    return stage + max((_STATUS_STAGE[a.status] for a in applications), default=0.0)


_STATUS_STAGE: Final = {
    ReviewStatus.REJECTED: 0.5,
    ReviewStatus.PENDING_REVIEW: 1.0,
    ReviewStatus.APPROVED: 2.0,
}


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
    *,
    max_steps: int = 12,
    registered: st.SearchStrategy[dt.datetime] | None = None,
    with_applications: bool | None = None,
    approved: bool | None = None,
    authorized: bool | None = None,
    upgraded: bool | None = None,
    revisions: bool | None = None,
) -> st.SearchStrategy[Partner]:
    """Partners at every stage: random walks of up to ``max_steps`` lifecycle operations, from an
    account registered at an instant drawn from ``registered`` (default: 2020 to 2028).

    Each knob asks for partners that have (``True``) or do not have (``False``) what it names;
    ``None`` (the default) draws both, the first in a good share of examples (docs/testing.md
    gives the proportions):

    - ``with_applications``: an application;
    - ``approved``: an approved application;
    - ``authorized``: a seller authorisation;
    - ``upgraded``: an application the 2024 upgrade regenerated (the partner registered before
      it took effect: ``registered`` is then drawn before it unless given);
    - ``revisions``: an edit of an approved application waiting for its review.

    A walk asked for something takes the moves that lead there after its random steps.
    """
    knobs = {
        "with_applications": with_applications,
        "approved": approved,
        "authorized": authorized,
        "upgraded": upgraded,
        "revisions": revisions,
    }
    for name, value in knobs.items():
        if value is not None and not isinstance(value, bool):
            raise WrongType([Problem(name, "must be True, False or None")], what="partners()")

    @st.composite
    def build(draw: st.DrawFn) -> Partner:
        wanted = {
            name: value
            if value is not None
            else draw(st.sampled_from(_CHANCES[name]))  # (sometimes pursued, by default)
            for name, value in knobs.items()
        }
        steps = draw(st.integers(0, max_steps))
        goals = tuple(name for name, value in wanted.items() if value and name != "upgraded")
        return draw(_walk(steps, registered, goals=goals, upgraded=bool(wanted["upgraded"])))

    asked = {name: value for name, value in knobs.items() if value is not None}
    return build().filter(lambda partner: _has(partner, asked)) if asked else build()


#: How often a walk pursues each knob left to ``None``: the draws from which one is picked.
_CHANCES: Final[dict[str, tuple[bool, ...]]] = {
    "with_applications": (False, False, True),
    "approved": (False, False, False, False, True),
    "authorized": (False,) * 9 + (True,),
    "upgraded": (False,) * 7 + (True,),
    "revisions": (False,) * 19 + (True,),
}


def _has(partner: Partner, asked: dict[str, bool]) -> bool:
    """Whether ``partner`` has, or has not, what each knob asked names."""
    applications = partner.applications
    found = {
        "with_applications": bool(applications),
        "approved": any(a.status is ReviewStatus.APPROVED for a in applications),
        "authorized": bool(partner.authorizations),
        "upgraded": any(a.supersedes is not None for a in applications),
        "revisions": any(a.pending_revision is not None for a in applications),
    }
    return all(found[name] == value for name, value in asked.items())


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
    assert value is not None
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


def cutoffs() -> st.SearchStrategy[Cutoff]:
    """Single rules of drawn rulebooks."""
    return rulebooks().flatmap(st.sampled_from)


def reasons() -> st.SearchStrategy[Reason]:
    """The reasons of drawn decisions."""
    return decisions().flatmap(lambda decision: st.sampled_from(decision.reasons))


def histories() -> st.SearchStrategy[History]:
    """The review histories of drawn applications."""
    return applications().map(lambda application: application.history)


def role_grants() -> st.SearchStrategy[RoleGrant]:
    """The role grants of drawn partners."""
    return partners(max_steps=4).flatmap(lambda partner: st.sampled_from(partner.roles_granted))


def catalogs() -> st.SearchStrategy[Catalog]:
    """The default catalog, or one a catalog file extends with legacy categories of its own."""
    added = st.lists(st.sampled_from(_ADDED_NAMES), min_size=1, max_size=3, unique=True)
    return st.one_of(st.just(DEFAULT_CATALOG), added.map(_extended))


_ADDED_NAMES: Final = ("LIVE Coaching", "Mass Outreach", "Group Buying", "Creator Academy")


def _extended(names: list[str]) -> Catalog:
    rows = [
        {
            "code": normalize_name(name).replace(" ", "_"),
            "name": name,
            "first_category": "seller_service",
            "role": "seller_service_partner",
            "legacy": True,
        }
        for name in names
    ]
    return extend_catalog({"name": "drawn", "version": "1", "categories": rows})


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
    if draw(st.booleans()):  # (an instant of its own, not a day's start; never in a DST gap)
        starts = draw(
            st.datetimes(
                min_value=dt.datetime.combine(starts, dt.time.min),
                max_value=dt.datetime.combine(starts, dt.time.max),
                timezones=st.sampled_from(ZONES),
                allow_imaginary=False,
            )
        )
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


# --------------------------------------------------------------------------------------------------
# A stateful machine for other projects' tests


_MACHINE_CATEGORIES = st.sampled_from(DEFAULT_CATALOG.categories(include_legacy=True))
_MACHINE_MARKETS = st.sampled_from([Market.US, Market("GB")])
_MACHINE_REASONS = st.lists(
    st.sampled_from(["incomplete", "blurry licence", "no case studies"]), max_size=2
)


class PartnerMachine(RuleBasedStateMachine):
    """A partner driven through random sequences of every operation, its invariants checked
    after each step: Hypothesis' stateful testing, for other projects to subclass.

    A subclass adds its own rules and invariants (``@rule``, ``@invariant``) over
    :attr:`partner`, the partner as the library's operations made it, and :attr:`now`, the
    instant of the next step; :meth:`attempt` runs an operation and checks that a refusal
    leaves the partner exactly as it was. ``TestCase`` runs it under pytest or unittest
    (``TestPartners = MyMachine.TestCase``). docs/testing.md shows one.
    """

    partner: Partner
    now: dt.datetime
    approved_entity: Entity | None

    @initialize(account=accounts(), role=st.sampled_from(list(PartnerRole)))
    def start(self, account: Account, role: PartnerRole) -> None:
        self.now = account.registered_at
        self.partner = lifecycle.choose_role(account, role, at=self.now)
        self.approved_entity = None

    def attempt(
        self, operation: Callable[[Partner], Partner], *, allowed: bool | None = None
    ) -> None:
        """Run one operation on :attr:`partner`; a refusal must leave it exactly as it was.
        ``allowed``: whether the operation must go through (``True``), must be refused
        (``False``) or may do either (``None``)."""
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

    @rule(reasons=_MACHINE_REASONS)
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

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, data=st.data())
    def apply(self, category: Category, market: Market, data: st.DataObject) -> None:
        info = data.draw(category_infos(st.just(category)))
        self.attempt(lambda p: lifecycle.apply(p, category, info, market=market, at=self.now))

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS)
    def approve(self, category: Category, market: Market) -> None:
        self.attempt(
            lambda p: lifecycle.approve(p, category, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.APPROVE),
        )

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, reasons=_MACHINE_REASONS)
    def reject(self, category: Category, market: Market, reasons: list[str]) -> None:
        self.attempt(
            lambda p: lifecycle.reject(p, category, reasons, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.REJECT) and bool(reasons),
        )

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, data=st.data())
    def modify(self, category: Category, market: Market, data: st.DataObject) -> None:
        info = data.draw(category_infos(st.just(category)))
        self.attempt(
            lambda p: lifecycle.modify(p, category, info, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.MODIFY),
        )

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, data=st.data())
    def edit(self, category: Category, market: Market, data: st.DataObject) -> None:
        info = data.draw(category_infos(st.just(category)))
        self.attempt(
            lambda p: lifecycle.edit(p, category, info, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.EDIT),
        )

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS)
    def approve_revision(self, category: Category, market: Market) -> None:
        self.attempt(
            lambda p: lifecycle.approve_revision(p, category, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.APPROVE_REVISION),
        )

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, reasons=_MACHINE_REASONS)
    def reject_revision(self, category: Category, market: Market, reasons: list[str]) -> None:
        self.attempt(
            lambda p: lifecycle.reject_revision(p, category, reasons, market=market, at=self.now),
            allowed=self.offered(category, market, EventKind.REJECT_REVISION) and bool(reasons),
        )

    @rule(
        category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, seller=st.sampled_from(["s1", "s2"])
    )
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

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS, hours=st.integers(1, 100))
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

    @rule(category=_MACHINE_CATEGORIES, market=_MACHINE_MARKETS)
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
