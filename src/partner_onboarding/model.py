"""The value objects a partner is made of: account, entity, category information, applications.

Every class is a frozen attrs class that checks itself when built: an instance is always valid.
Construction never stops at the first bad field: a
:class:`~partner_onboarding.errors.ValidationError` lists every problem, each with its field path.
Values are changed only by building new ones (``attrs.evolve``), which checks again.

Personal data is kept out of sight: an :class:`Account` holds only a salted scrypt hash of its
password, and reprs mask phone numbers and EINs.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Final, TypeVar, overload

import attrs

from partner_onboarding._fields import (
    Problems,
    as_ein,
    as_email,
    as_optional_phone,
    as_optional_url,
    as_phone,
    as_state,
    as_zip,
    mask_ein,
    mask_phone,
    normalize_ein,
    normalize_email,
    normalize_phone,
    normalize_state,
    normalize_url,
    normalize_zip,
)
from partner_onboarding._time import as_instant
from partner_onboarding.catalog import DEFAULT_CATALOG, Category, Market, PartnerRole
from partner_onboarding.errors import (
    ApplicationNotFound,
    HistoryOutOfOrder,
    Problem,
    UnknownCategory,
    ValidationError,
    WrongType,
)

if TYPE_CHECKING:
    from partner_onboarding.policy import Policy

T = TypeVar("T")

__all__ = [
    "DEFAULT",
    "EVENT_PAYLOADS",
    "MAX_EVENTS",
    "MAX_REFERENCE_LINKS",
    "Account",
    "Actor",
    "Address",
    "AgencyType",
    "Application",
    "CategoryInfo",
    "ContactPerson",
    "DocumentRef",
    "Entity",
    "EntityReview",
    "Event",
    "EventKind",
    "FinanceIdentity",
    "History",
    "Partner",
    "PartnerEvent",
    "PasswordHash",
    "ReviewStatus",
    "RoleGrant",
    "SellerAuthorization",
    "Subject",
    "UseDefault",
    "check_password_strength",
    "content_digest",
    "status_at",
]


# --------------------------------------------------------------------------------------------------
# Passwords

_SPECIAL: Final = re.compile(r"[^\w\s]|_")


def check_password_strength(password: object) -> list[str]:
    """The reasons ``password`` is too weak (empty when it is strong enough).

    The rule: 8 to 20 characters with at least one letter, one digit and one special character.
    The reasons never quote the password.
    """
    if not isinstance(password, str):
        return ["must be a string"]
    reasons = []
    if not 8 <= len(password) <= 20:
        reasons.append("must be 8 to 20 characters long")
    if not any(ch.isalpha() for ch in password):
        reasons.append("must contain a letter")
    if not any(ch.isdigit() for ch in password):
        reasons.append("must contain a digit")
    if not _SPECIAL.search(password):
        reasons.append("must contain a special character")
    if any(ch.isspace() or not ch.isprintable() for ch in password):
        reasons.append("must not contain spaces or control characters")
    return reasons


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@attrs.frozen(kw_only=True)
class PasswordHash:
    """A salted scrypt hash of a password: what an :class:`Account` keeps instead of the password.

    Its text form (``str(h)``, and what JSON stores) is ``scrypt$<n>$<r>$<p>$<salt>$<digest>`` with
    base64 salt and digest. The repr shows only the parameters.
    """

    n: int = 2**14
    r: int = 8
    p: int = 1
    salt: bytes = attrs.field(repr=False)
    digest: bytes = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        problems = _cost_problems(self.n, self.r, self.p)
        for name in ("salt", "digest"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or not 16 <= len(value) <= _MAX_BYTES:
                problems.add(name, f"must be 16 to {_MAX_BYTES} bytes")
        problems.raise_if_any("password hash")

    @classmethod
    def of(cls, password: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> PasswordHash:
        """Hash ``password`` with a fresh random salt."""
        problems = _cost_problems(n, r, p)
        if not isinstance(password, str):
            problems.add("password", "must be a string")
        elif not _encodable(password):
            problems.add("password", _NOT_ENCODABLE)
        problems.raise_if_any("password hash")
        salt = secrets.token_bytes(_SALT_LENGTH)
        return cls(n=n, r=r, p=p, salt=salt, digest=_scrypt(password, salt, n=n, r=r, p=p))

    def verify(self, password: str) -> bool:
        """Whether ``password`` is the one hashed, compared in constant time."""
        if not isinstance(password, str) or not _encodable(password):
            return False  # (a lone surrogate: no password anyone registered)
        candidate = _scrypt(
            password, self.salt, n=self.n, r=self.r, p=self.p, length=len(self.digest)
        )
        return hmac.compare_digest(candidate, self.digest)

    def needs_rehash(self, *, n: int = 2**14, r: int = 8, p: int = 1) -> bool:
        """Whether any of this hash's parameters is below the cost asked for (default: the
        library's), or its digest or salt is shorter than the library makes: after a successful
        :meth:`verify`, hash the password again (:meth:`of`) and store the new hash. (A hash that
        trades ``n`` for ``r`` at the same product is not the cost asked for either.)"""
        return (
            self.n < n
            or self.r < r
            or self.p < p
            or len(self.digest) < _DIGEST_LENGTH
            or len(self.salt) < _SALT_LENGTH
        )

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """A hash from its canonical text form ``scrypt$n$r$p$salt$digest``: the parameters in
        ASCII digits without a sign, a leading zero or separators, salt and digest in padded
        standard base64 (what ``str(hash)`` writes). Its length is bounded before it is read."""
        found = _HASH_TEXT.fullmatch(text) if isinstance(text, str) else None
        if found is None:
            raise ValidationError.single(
                "",
                "must be 'scrypt$<n>$<r>$<p>$<salt>$<digest>' (decimal parameters, base64 salt "
                f"and digest of 16 to {_MAX_BYTES} bytes)",
                what="password hash",
            )
        n, r, p = (int(part) for part in found.group(1, 2, 3))
        try:
            salt, digest = (base64.b64decode(part, validate=True) for part in found.group(4, 5))
        except ValueError:  # (binascii.Error: padding that does not fit)
            salt = digest = b""
        if _b64(salt) != found[4] or _b64(digest) != found[5]:
            raise ValidationError.single(
                "", "salt and digest must be written in canonical base64", what="password hash"
            )
        return cls(n=n, r=r, p=p, salt=salt, digest=digest)

    def __str__(self) -> str:
        return f"scrypt${self.n}${self.r}${self.p}${_b64(self.salt)}${_b64(self.digest)}"


def _cost_problems(n: object, r: object, p: object) -> Problems:
    """What is wrong with scrypt's cost parameters, before any work is done: ``n`` a power of two
    below ``2**(16*r)`` (scrypt's own bound), ``r`` and ``p`` within :data:`SCRYPT_MAX_R` and
    :data:`SCRYPT_MAX_P` (which bound the work of scrypt's two PBKDF2 passes, with the salt's and
    digest's lengths), the memory OpenSSL will ask for (``128*r*(n+p+2)`` bytes) within
    :data:`SCRYPT_MAX_MEMORY`, and the work of the mixing (``n*r*p``) within
    :data:`SCRYPT_MAX_WORK`: a stored hash can never make ``verify`` cost more than about 5 times
    the default hash (docs/values.md gives the figures)."""
    problems = Problems()
    for name, value, most in (("n", n, 2**30), ("r", r, SCRYPT_MAX_R), ("p", p, SCRYPT_MAX_P)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
            problems.add(name, f"must be a whole number from 1 to {most}")
    if problems.items:
        return problems
    assert isinstance(n, int)  # noqa: S101  (checked above; narrows the types)
    assert isinstance(r, int)  # noqa: S101
    assert isinstance(p, int)  # noqa: S101
    if n < 2 or n & (n - 1) or n.bit_length() > 16 * r:
        problems.add("n", f"must be a power of two from 2 to 2**{16 * r - 1} (r = {r})")
    elif 128 * r * (n + p + 2) > SCRYPT_MAX_MEMORY:
        problems.add("n", "scrypt with this cost needs more than 64 MiB of memory")
    elif n * r * p > SCRYPT_MAX_WORK:
        problems.add("p", f"scrypt with this cost is more than {SCRYPT_MAX_WORK} units of work")
    return problems


#: The most work (``n*r*p``) a password hash may ask for: 4 times the default cost (more work is
#: also more time per unit here: 8 times the work verified in 10 times the default's time).
SCRYPT_MAX_WORK: Final = 4 * 2**14 * 8
#: The most memory a password hash may need to be verified (bytes, OpenSSL's own formula
#: ``128*r*(n+p+2)``): 64 MiB for ``n*r`` (the most the work allows with ``p = 1``), and
#: scrypt's own blocks.
SCRYPT_MAX_MEMORY: Final = 64 * 1024 * 1024 + 16 * 1024
#: The largest block size ``r`` and parallelism ``p`` a password hash may have.
SCRYPT_MAX_R: Final = 32
SCRYPT_MAX_P: Final = 16
_SCRYPT_MAXMEM: Final = SCRYPT_MAX_MEMORY + 1024 * 1024  # (OpenSSL's bound, with its overhead)


_SALT_LENGTH: Final = 16
_DIGEST_LENGTH: Final = 32
#: The longest salt and digest a hash may have (scrypt's PBKDF2 passes grow with both).
_MAX_BYTES: Final = 64
_DECIMAL: Final = r"([1-9][0-9]{0,9})"
_BASE64: Final = r"([A-Za-z0-9+/]{20,88}={0,2})"
_HASH_TEXT: Final = re.compile(
    rf"scrypt\${_DECIMAL}\${_DECIMAL}\${_DECIMAL}\${_BASE64}\${_BASE64}", re.ASCII
)
_NOT_ENCODABLE: Final = "cannot be written as UTF-8 (it holds a lone surrogate)"


def _encodable(password: str) -> bool:
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _scrypt(
    password: str, salt: bytes, *, n: int, r: int, p: int, length: int = _DIGEST_LENGTH
) -> bytes:
    try:
        return hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=length
        )
    except (ValueError, OverflowError):  # (a cost the checks above let through: never expected)
        raise ValidationError.single(
            "n", "scrypt refused this cost on this machine", what="password hash"
        ) from None


# --------------------------------------------------------------------------------------------------
# Account (step 1)


@attrs.frozen(kw_only=True)
class Account:
    """A Partner Center account: a normalised email, an optional E.164 phone, a password hash.

    Build one with :meth:`register`, which checks the password and hashes it.
    """

    email: str = attrs.field(converter=as_email)
    password_hash: PasswordHash
    registered_at: dt.datetime = attrs.field(converter=as_instant)
    phone: str | None = attrs.field(default=None, converter=as_optional_phone, repr=mask_phone)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("email", self.email, normalize=normalize_email, max_length=254)
        if self.phone is not None:
            problems.text("phone", self.phone, normalize=normalize_phone, max_length=32)
        problems.instance("password_hash", self.password_hash, PasswordHash)
        problems.aware("registered_at", self.registered_at)
        problems.raise_if_any("account")

    @classmethod
    def register(
        cls,
        *,
        email: str,
        password: str,
        phone: str | None = None,
        at: dt.datetime,
        scrypt_n: int = 2**14,
    ) -> Account:
        """Register an account (step 1): every field is checked, the password only hashed.

        ``at`` is the instant of registration (time-zone aware). ``scrypt_n`` is the scrypt cost.
        """
        problems = Problems()
        problems.text("email", email, normalize=normalize_email, max_length=254)
        if phone is not None:
            problems.text("phone", phone, normalize=normalize_phone, max_length=32)
        for reason in check_password_strength(password):
            problems.add("password", reason)
        problems.aware("at", at)
        problems.raise_if_any("account")
        return cls(
            email=email,
            phone=phone,
            password_hash=PasswordHash.of(password, n=scrypt_n),
            registered_at=at,
        )

    def verify(self, password: str) -> bool:
        """Whether ``password`` is this account's password (constant-time comparison)."""
        return self.password_hash.verify(password)

    def needs_rehash(self, *, n: int = 2**14, r: int = 8, p: int = 1) -> bool:
        """Whether the stored hash is weaker than the library's (or the given) cost; see
        :meth:`PasswordHash.needs_rehash`."""
        return self.password_hash.needs_rehash(n=n, r=r, p=p)


# --------------------------------------------------------------------------------------------------
# Entity (step 2)


def _is_list(values: object) -> bool:
    """Whether ``values`` can be read as a list of items (text is one value, not a list)."""
    return isinstance(values, Iterable) and not isinstance(values, str | bytes)


def _as_tuple(values: Iterable[T]) -> tuple[T, ...]:
    if type(values) is tuple:
        return values
    if type(values) is list or _is_list(values):
        return tuple(values)
    return values  # type: ignore[return-value]  # not a list: kept so the check can report it


# Named, concretely typed converters, as attrs' mypy plugin wants them.
def _as_texts(values: Iterable[str]) -> tuple[str, ...]:
    return _as_tuple(values)


def _as_documents(values: Iterable[DocumentRef]) -> tuple[DocumentRef, ...]:
    return _as_tuple(values)


@attrs.frozen(kw_only=True)
class Address:
    """A US registered address: one to three street lines, city, state code, ZIP or ZIP+4."""

    lines: tuple[str, ...] = attrs.field(converter=_as_texts)
    city: str
    state: str = attrs.field(converter=as_state)
    zip_code: str = attrs.field(converter=as_zip)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.lines, tuple) or not 1 <= len(self.lines) <= 3:
            problems.add("lines", "must be one to three street lines")
        else:
            for index, line in enumerate(self.lines):
                problems.text(f"lines[{index}]", line, max_length=100)
        problems.text("city", self.city, max_length=100)
        problems.text("state", self.state, normalize=normalize_state, max_length=5)
        problems.text("zip_code", self.zip_code, normalize=normalize_zip, max_length=10)
        problems.raise_if_any("address")


@attrs.frozen(kw_only=True)
class ContactPerson:
    """The person the platform contacts about the entity."""

    name: str
    email: str = attrs.field(converter=as_email)
    phone: str = attrs.field(converter=as_phone, repr=mask_phone)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name, max_length=200)
        problems.text("email", self.email, normalize=normalize_email, max_length=254)
        problems.text("phone", self.phone, normalize=normalize_phone, max_length=32)
        problems.raise_if_any("contact person")


_SHA256: Final = re.compile(r"[0-9a-f]{64}")


def _lower(value: str) -> str:
    return value.lower() if isinstance(value, str) else value


@attrs.frozen(kw_only=True)
class DocumentRef:
    """A supporting document (business licence, …) by name and SHA-256; the bytes are never kept."""

    name: str
    sha256: str = attrs.field(converter=_lower)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name, max_length=200)
        if not isinstance(self.sha256, str) or not _SHA256.fullmatch(self.sha256):
            problems.add("sha256", "must be 64 hexadecimal digits")
        problems.raise_if_any("document reference")

    @classmethod
    def of(cls, name: str, content: bytes) -> DocumentRef:
        """A reference to ``content`` (bytes), hashed here; the bytes are not kept."""
        if not isinstance(content, bytes | bytearray | memoryview):
            raise WrongType.single(
                "content", "must be bytes (the document's content)", what="document"
            )
        return cls(name=name, sha256=hashlib.sha256(content).hexdigest())


@attrs.frozen(kw_only=True)
class Entity:
    """The company behind a US local agency (step 2), verified by the platform.

    Once approved it applies to every category and to finance information and cannot be modified.
    """

    legal_name: str
    ein: str = attrs.field(converter=as_ein, repr=mask_ein)
    address: Address
    contact: ContactPerson
    country: Market = Market.US
    website: str | None = attrs.field(default=None, converter=as_optional_url)
    documents: tuple[DocumentRef, ...] = attrs.field(default=(), converter=_as_documents)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("legal_name", self.legal_name, max_length=200)
        problems.text("ein", self.ein, normalize=normalize_ein, max_length=10)
        problems.instance("address", self.address, Address)
        problems.instance("contact", self.contact, ContactPerson)
        if problems.instance("country", self.country, Market) and self.country != Market.US:
            problems.add("country", "a US local agency registers a company of the US")
        if self.website is not None:
            problems.text("website", self.website, normalize=normalize_url, max_length=2000)
        if not isinstance(self.documents, tuple):
            problems.add("documents", "must be a list of document references")
        else:
            for index, document in enumerate(self.documents):
                problems.instance(f"documents[{index}]", document, DocumentRef)
        problems.raise_if_any("entity")


# --------------------------------------------------------------------------------------------------
# Category information (step 3)

#: How many reference links or case studies category information may carry.
MAX_REFERENCE_LINKS: Final = 5


def _as_markets(values: Iterable[Market | str]) -> tuple[Market, ...]:
    if not _is_list(values):
        return values  # type: ignore[return-value]  # not a list: kept so the check can report it
    return tuple(_as_market(value) for value in values)


def _as_market(value: Market | str) -> Market:
    if isinstance(value, str):
        try:
            return Market.parse(value)
        except ValidationError:
            pass
    return value  # type: ignore[return-value]  # kept as is so the check can report it


def _as_category(value: Category | str) -> Category:
    """A category, or the default catalog's category of a name (``"Shop Management"``)."""
    if isinstance(value, str):
        try:
            return DEFAULT_CATALOG.category(value)
        except KeyError:
            pass
    return value  # type: ignore[return-value]  # kept as is so the check can report it


def _market_problem(problems: Problems, path: str, value: object) -> bool:
    """Whether ``value`` is a market; if not, why (text the converter could not read: why not)."""
    if isinstance(value, str):
        try:
            Market.parse(value)
        except ValidationError as error:
            problems.items += error.under(path).problems
            return False
    return problems.instance(path, value, Market)


def _category_problem(problems: Problems, value: object) -> None:
    """Why ``value`` names no category: an unknown name (with suggestions) or not a name."""
    if isinstance(value, str):
        try:
            DEFAULT_CATALOG.category(value)
        except UnknownCategory as error:
            problems.add("category", str(error))
    else:
        problems.instance("category", value, Category)


def _check_markets_served(problems: Problems, markets: object) -> None:
    """Markets served: a list of markets (each one that is not is reported), none repeated."""
    if not isinstance(markets, tuple):
        problems.add("markets_served", "must be a list of markets")
        return
    if all(type(market) is Market for market in markets):
        valid = True  # the common case: nothing to report item by item
    else:
        checked = [
            _market_problem(problems, f"markets_served[{index}]", market)
            for index, market in enumerate(markets)
        ]
        valid = all(checked)
    if valid and len(set(markets)) != len(markets):
        problems.add("markets_served", "must not repeat a market")


@functools.cache
def _in_order(names: frozenset[str]) -> tuple[str, ...]:
    """A category's required fields in the order they are reported (cached: a category requires
    a subset of :data:`~partner_onboarding.catalog.CATEGORY_INFO_FIELDS`, so there are few)."""
    return tuple(sorted(names))


@attrs.frozen(kw_only=True)
class CategoryInfo:
    """The information that goes with a category application (step 3).

    Which fields must be filled in is catalog data (:attr:`Category.required_fields`); each missing
    one is reported by name.
    """

    category: Category = attrs.field(converter=_as_category)
    service_description: str | None = None
    markets_served: tuple[Market, ...] = attrs.field(default=(Market.US,), converter=_as_markets)
    team_size: int | None = None
    reference_links: tuple[str, ...] = attrs.field(default=(), converter=_as_texts)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.category, Category):
            _category_problem(problems, self.category)
            problems.raise_if_any("category information")
        for name in _in_order(self.category.required_fields):
            if getattr(self, name) in (None, ()):
                problems.add(name, f"is required for {self.category.name}")
        if self.service_description is not None:
            problems.text(
                "service_description", self.service_description, max_length=2000, lines=True
            )
        _check_markets_served(problems, self.markets_served)
        if self.team_size is not None and (
            not isinstance(self.team_size, int)
            or isinstance(self.team_size, bool)
            or not 1 <= self.team_size <= 1_000_000
        ):
            problems.add("team_size", "must be a whole number from 1 to 1000000")
        if not isinstance(self.reference_links, tuple):
            problems.add("reference_links", "must be a list of URLs")
        else:
            if len(self.reference_links) > MAX_REFERENCE_LINKS:
                problems.add("reference_links", f"must be at most {MAX_REFERENCE_LINKS} links")
            for index, link in enumerate(self.reference_links):
                problems.text(
                    f"reference_links[{index}]", link, normalize=normalize_url, max_length=2000
                )
        problems.raise_if_any("category information")


# --------------------------------------------------------------------------------------------------
# Review: statuses, events, histories (step 4)


class ReviewStatus(enum.StrEnum):
    """The review status of an application or of the entity; values are what JSON stores."""

    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        """The status as the Partner Center displays it ("Pending Review")."""
        return self.value.replace("_", " ").title()

    def __str__(self) -> str:
        return self.label


class Actor(enum.StrEnum):
    """Who caused an event."""

    PARTNER = "partner"
    PLATFORM = "platform"
    SYSTEM = "system"


class EventKind(enum.StrEnum):
    """What happened. The review state machine (:mod:`partner_onboarding.lifecycle`) says when."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    MODIFY = "modify"
    EDIT = "edit"
    APPROVE_REVISION = "approve_revision"
    REJECT_REVISION = "reject_revision"
    SYSTEM_REJECT = "system_reject"
    REGENERATE = "regenerate"
    # The partner's own events (not reviews):
    REGISTER = "register"
    ADD_ROLE = "add_role"
    AUTHORIZE_SELLER = "authorize_seller"


def _as_reasons(values: Iterable[str]) -> tuple[str, ...]:
    return _as_tuple(values)


@attrs.frozen(kw_only=True)
class Event:
    """One dated step in a review history: who did what, from which status to which, and why."""

    actor: Actor
    kind: EventKind
    from_status: ReviewStatus | None
    to_status: ReviewStatus
    at: dt.datetime = attrs.field(converter=as_instant)
    reasons: tuple[str, ...] = attrs.field(default=(), converter=_as_reasons)

    def __attrs_post_init__(self) -> None:
        if (
            type(self.actor) is Actor
            and type(self.kind) is EventKind
            and type(self.to_status) is ReviewStatus
            and (self.from_status is None or type(self.from_status) is ReviewStatus)
            and type(self.at) is dt.datetime
            and type(self.at.tzinfo) is dt.timezone
            and 1 < self.at.year < 9999  # (away from the calendar's ends)
            and type(self.reasons) is tuple
            and all(type(r) is str and r.strip() and len(r) <= 1000 for r in self.reasons)
        ):
            return  # every field is already right: the common case, when read from JSON
        self._report()

    def _report(self) -> None:
        problems = Problems()
        problems.instance("actor", self.actor, Actor)
        problems.instance("kind", self.kind, EventKind)
        if self.from_status is not None:
            problems.instance("from_status", self.from_status, ReviewStatus)
        problems.instance("to_status", self.to_status, ReviewStatus)
        problems.aware("at", self.at)
        if not isinstance(self.reasons, tuple):
            problems.add("reasons", "must be a list of texts")
        else:
            for index, reason in enumerate(self.reasons):
                problems.text(f"reasons[{index}]", reason, max_length=1000, lines=True)
        problems.raise_if_any("event")


_new: Final = object.__new__


class History(Sequence[Event]):
    """An append-only, time-ordered sequence of events, shared between versions of a value.

    Appending is O(1) whatever the length (the new history points at the old one), so a long
    history costs nothing per step; the old value keeps seeing its own, shorter history. An event
    dated before the last one is refused with :class:`~partner_onboarding.errors.HistoryOutOfOrder`.
    """

    __slots__ = ("_events_read", "_first", "_last", "_length", "_previous")

    _events_read: (
        tuple[Event, ...] | None
    )  # (the events in order, once read: a history never changes)
    _first: Event | None
    _last: Event | None
    _previous: History | None
    _length: int

    def __init__(self, events: Iterable[Event] = ()) -> None:
        if not isinstance(events, Iterable) or isinstance(events, str | bytes):
            raise ValidationError.single("", "must be a list of events", what="history")
        node = History._empty()  # a fresh empty base, so that self is never its own past
        in_order = tuple(events)
        for index, event in enumerate(in_order):
            if not isinstance(event, Event):
                raise ValidationError.single(f"[{index}]", "must be an Event", what="history")
            node = node.append(event, index=index)
        self._last, self._previous, self._length = node._last, node._previous, node._length
        self._first, self._events_read = node._first, in_order  # (known: no walk back needed)

    @classmethod
    def _empty(cls) -> History:
        node = _new(History)
        node._first = node._last = node._previous = None
        node._length, node._events_read = 0, None
        return node

    def append(self, event: Event, *, index: int | None = None) -> History:
        """A new history with ``event`` at the end; this one is unchanged."""
        last = self._last
        if last is not None and event.at < last.at:
            raise _out_of_order(last, self._length if index is None else index)
        node = _new(History)
        node._last, node._previous, node._length = event, self, self._length + 1
        node._first = event if self._first is None else self._first
        node._events_read = None
        return node

    @property
    def first(self) -> Event | None:
        """The earliest event, or ``None`` for an empty history."""
        return self._first

    @property
    def last(self) -> Event | None:
        """The latest event, or ``None`` for an empty history."""
        return self._last

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events())

    def __reversed__(self) -> Iterator[Event]:
        node: History | None = self
        while node is not None and node._last is not None:
            yield node._last
            node = node._previous

    def _events(self) -> tuple[Event, ...]:
        events = self._events_read
        if events is None:
            backwards = list(reversed(self))
            backwards.reverse()
            events = self._events_read = tuple(backwards)
        return events

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        if type(index) is int and self._length:
            if index == -1:
                return self._last  # type: ignore[return-value]
            if index == 0:
                return self._first  # type: ignore[return-value]
        if isinstance(index, slice):
            return list(self._events()[index])
        return self._events()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            return self is other or (
                self._length == other._length and self._events() == other._events()
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._events()))

    def __reduce__(self) -> tuple[object, ...]:
        # Flat on the wire: a list of events, whatever the length (the linked nodes would make
        # pickle and deepcopy recurse once per event).
        return (History, (list(self._events()),))

    def __repr__(self) -> str:
        return f"History({list(self._events())!r})"


def _out_of_order(last: Event, position: int) -> HistoryOutOfOrder:
    reason = f"is before the previous event ({last.at.isoformat()})"
    return HistoryOutOfOrder([Problem(f"[{position}].at", reason)], what="history")


def _as_history(events: Iterable[Event]) -> History:
    if type(events) is not list and (isinstance(events, History) or not _is_list(events)):
        return events  # type: ignore[return-value]  # a history, or kept so the check reports it
    try:
        return History(events)
    except ValidationError as error:  # named from the value that holds it: history[0], …
        raise error.under("history") from None


def _check_history(problems: Problems, history: object, status: object) -> bool:
    """A review's history: events, the last of which led to the review's ``status``. Whether the
    history can be replayed (the table then checks every event)."""
    if not isinstance(history, History):
        problems.add("history", "must be a list of events")
        return False
    last = history.last
    if last is None:
        problems.add("history", "must hold at least the submission")
        return False
    if last.to_status is not status:
        problems.add("status", f"must match the last event of the history ({last.to_status.label})")
    return True


@functools.cache
def _machine() -> ModuleType:
    """The review machine (:mod:`partner_onboarding.lifecycle`), whose table every history is
    replayed against. Imported when first needed: the machine is built on these values."""
    from partner_onboarding import lifecycle  # noqa: PLC0415  (lifecycle imports this module)

    return lifecycle


def status_at(history: Iterable[Event], instant: dt.datetime) -> ReviewStatus | None:
    """The status a history had at ``instant`` (``None``: not yet submitted then)."""
    status = None
    for event in history:
        if event.at > instant:
            break
        status = event.to_status
    return status


@attrs.frozen(kw_only=True)
class Application:
    """A category application: one (category, market) pair under review (step 3 and 4).

    ``info`` is the current category information; ``pending_revision`` an edit of an approved
    application waiting for its own review. ``supersedes`` is the id of the application this one
    was generated to replace (by the upgrade migration).
    """

    id: str
    category: Category
    market: Market
    status: ReviewStatus
    info: CategoryInfo
    history: History = attrs.field(converter=_as_history)
    pending_revision: CategoryInfo | None = None
    supersedes: str | None = None

    def __attrs_post_init__(self) -> None:
        self._report()

    def _report(self) -> None:
        problems = Problems()
        problems.text("id", self.id, max_length=200)
        category_ok = problems.instance("category", self.category, Category)
        problems.instance("market", self.market, Market)
        problems.instance("status", self.status, ReviewStatus)
        info_ok = problems.instance("info", self.info, CategoryInfo)
        if (
            info_ok
            and category_ok
            and self.info.category is not self.category
            and self.info.category != self.category
        ):
            problems.add("info.category", f"must be {self.category.name}")
        if self.pending_revision is not None:
            problems.instance("pending_revision", self.pending_revision, CategoryInfo)
            if self.status is not ReviewStatus.APPROVED:
                problems.add("pending_revision", "only an approved application has a revision")
        if _check_history(problems, self.history, self.status):
            machine = _machine()
            problems.items += machine.history_problems(
                machine.Subject.APPLICATION,
                self.history,
                revision_pending=self.pending_revision is not None,
            )
            regenerated = self.history[0].kind is EventKind.REGENERATE
            if regenerated and self.supersedes is None:
                problems.add("supersedes", "a regenerated application names the one it replaces")
            elif not regenerated and self.supersedes is not None:
                problems.add("supersedes", "only an application the upgrade generated replaces one")
        if self.supersedes is not None:
            problems.text("supersedes", self.supersedes, max_length=200)
            if self.supersedes == self.id:
                problems.add("supersedes", "an application cannot replace itself")
        problems.raise_if_any("application")

    @property
    def key(self) -> tuple[str, str]:
        """The (category code, market code) pair the application is for."""
        return (self.category.code, self.market.code)


@attrs.frozen(kw_only=True)
class EntityReview:
    """The entity information a partner submitted, with its own review status and history."""

    entity: Entity
    status: ReviewStatus
    history: History = attrs.field(converter=_as_history)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.instance("entity", self.entity, Entity)
        problems.instance("status", self.status, ReviewStatus)
        if _check_history(problems, self.history, self.status):
            machine = _machine()
            problems.items += machine.history_problems(
                machine.Subject.ENTITY, self.history, revision_pending=False
            )
        problems.raise_if_any("entity review")


@attrs.frozen(kw_only=True)
class RoleGrant:
    """A partner role, and when the partner chose it."""

    role: PartnerRole
    at: dt.datetime = attrs.field(converter=as_instant)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.instance("role", self.role, PartnerRole)
        problems.aware("at", self.at)
        problems.raise_if_any("role grant")


@attrs.frozen(kw_only=True)
class SellerAuthorization:
    """An authorisation a seller gave the partner for a category in a market, and when.

    Once obtained it stays valid: later cut-offs stop only *new* authorisations.
    """

    seller_id: str
    category: Category
    market: Market
    at: dt.datetime = attrs.field(converter=as_instant)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("seller_id", self.seller_id, max_length=200)
        problems.instance("category", self.category, Category)
        problems.instance("market", self.market, Market)
        problems.aware("at", self.at)
        problems.raise_if_any("seller authorisation")

    @property
    def key(self) -> tuple[str, str, str]:
        """(seller id, category code, market code): one authorisation per key."""
        return (self.seller_id, self.category.code, self.market.code)


class AgencyType(enum.StrEnum):
    """What kind of agency a partner is, which sets the target market an application defaults to.

    The source speaks of "a US local agency" (its registration market is the US) and of "a
    local-to-local US agency" (its target market is the US by default).
    """

    #: Serves sellers of its own market: the registration market is its country, and a target
    #: market left unnamed is the registration market.
    LOCAL = "local"
    #: Serves sellers of other markets: every application names its target market.
    CROSS_BORDER = "cross_border"

    @property
    def label(self) -> str:
        """The agency type as people write it ("Cross Border")."""
        return self.value.replace("_", " ").title()


@attrs.frozen(kw_only=True)
class FinanceIdentity:
    """The company identity that finance-related information uses: the approved entity's legal
    name, EIN and registered address. It is derived from the entity, never entered twice, and
    exists only once the entity is approved (after which the entity cannot change)."""

    legal_name: str
    ein: str = attrs.field(repr=mask_ein)
    address: Address

    @classmethod
    def of(cls, entity: Entity) -> FinanceIdentity:
        """The finance identity an approved ``entity`` gives."""
        return cls(legal_name=entity.legal_name, ein=entity.ein, address=entity.address)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.text("legal_name", self.legal_name, max_length=200)
        problems.text("ein", self.ein, normalize=normalize_ein, max_length=10)
        problems.instance("address", self.address, Address)
        problems.raise_if_any("finance identity")


# --------------------------------------------------------------------------------------------------
# A partner's events: the record its state is folded from


class Subject(enum.StrEnum):
    """What an event is about: the partner itself, its entity, or one category application."""

    PARTNER = "partner"
    ENTITY = "entity"
    APPLICATION = "application"


#: What each event carries besides its seq, instant, actor and subject, by (subject, kind):
#: every field named here is required, every other payload field must be left empty.
EVENT_PAYLOADS: Final[dict[tuple[Subject, EventKind], frozenset[str]]] = {
    (Subject.PARTNER, EventKind.REGISTER): frozenset(
        {"account", "role", "registration_market", "agency_type"}
    ),
    (Subject.PARTNER, EventKind.ADD_ROLE): frozenset({"role"}),
    (Subject.PARTNER, EventKind.AUTHORIZE_SELLER): frozenset({"category", "market", "seller_id"}),
    (Subject.ENTITY, EventKind.SUBMIT): frozenset({"entity"}),
    (Subject.ENTITY, EventKind.MODIFY): frozenset({"entity"}),
    (Subject.ENTITY, EventKind.APPROVE): frozenset({"approves"}),
    (Subject.ENTITY, EventKind.REJECT): frozenset({"reasons"}),
    (Subject.APPLICATION, EventKind.SUBMIT): frozenset({"category", "market", "info"}),
    (Subject.APPLICATION, EventKind.MODIFY): frozenset({"category", "market", "info"}),
    (Subject.APPLICATION, EventKind.EDIT): frozenset({"category", "market", "info"}),
    (Subject.APPLICATION, EventKind.APPROVE): frozenset({"category", "market", "approves"}),
    (Subject.APPLICATION, EventKind.APPROVE_REVISION): frozenset(
        {"category", "market", "approves"}
    ),
    (Subject.APPLICATION, EventKind.REJECT): frozenset({"category", "market", "reasons"}),
    (Subject.APPLICATION, EventKind.REJECT_REVISION): frozenset({"category", "market", "reasons"}),
    (Subject.APPLICATION, EventKind.SYSTEM_REJECT): frozenset({"category", "market", "reasons"}),
}

_PAYLOAD_FIELDS: Final = (
    "account",
    "role",
    "registration_market",
    "agency_type",
    "entity",
    "category",
    "market",
    "info",
    "reasons",
    "seller_id",
    "approves",
)
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")


def _as_optional_category(value: Category | str | None) -> Category | None:
    return None if value is None else _as_category(value)


def _as_optional_market(value: Market | str | None) -> Market | None:
    return None if value is None else _as_market(value)


#: The most events a partner may have: an event's ``seq`` runs from 1 to this.
MAX_EVENTS: Final = 10**9


@attrs.frozen(kw_only=True)
class PartnerEvent:
    """One step in a partner's life, with everything it brings: the record a partner is folded
    from (:class:`Partner`).

    ``seq`` numbers the partner's events 1, 2, 3…; ``event_id`` (``"<partner_id>/<seq>"``) names
    the event everywhere. ``subject`` and ``kind`` say what happened; what else the event carries
    is set by :data:`EVENT_PAYLOADS`: the account, role and markets of a registration, the
    entity or category information submitted, the reasons of a rejection, the seller of an
    authorisation, and for an approval the digest (:func:`content_digest`) of exactly what was
    approved.
    """

    partner_id: str
    seq: int
    at: dt.datetime = attrs.field(converter=as_instant)
    actor: Actor
    subject: Subject
    kind: EventKind
    account: Account | None = None
    role: PartnerRole | None = None
    registration_market: Market | None = attrs.field(default=None, converter=_as_optional_market)
    agency_type: AgencyType | None = None
    entity: Entity | None = None
    category: Category | None = attrs.field(default=None, converter=_as_optional_category)
    market: Market | None = attrs.field(default=None, converter=_as_optional_market)
    info: CategoryInfo | None = None
    reasons: tuple[str, ...] = attrs.field(default=(), converter=_as_texts)
    seller_id: str | None = None
    approves: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        problems.partner_id("partner_id", self.partner_id)
        if type(self.seq) is not int or not 1 <= self.seq <= MAX_EVENTS:
            problems.add("seq", f"must be a whole number from 1 to {MAX_EVENTS}")
        problems.aware("at", self.at)
        problems.instance("actor", self.actor, Actor)
        subject_ok = problems.instance("subject", self.subject, Subject)
        kind_ok = problems.instance("kind", self.kind, EventKind)
        carried = EVENT_PAYLOADS.get((self.subject, self.kind)) if subject_ok and kind_ok else None
        if subject_ok and kind_ok and carried is None:
            problems.add("kind", f"{self.kind.value} is not an event of the {self.subject.value}")
        if carried is not None:
            for name in _PAYLOAD_FIELDS:
                value = getattr(self, name)
                present = value not in (None, ())
                if name in carried and not present:
                    problems.add(name, f"is required for {self.subject.value} {self.kind.value}")
                elif present and name not in carried:
                    problems.add(name, f"is not carried by {self.subject.value} {self.kind.value}")
            self._check_payload(problems)
        problems.raise_if_any("event")

    def _check_payload(self, problems: Problems) -> None:
        for name, kind in (
            ("account", Account),
            ("role", PartnerRole),
            ("registration_market", Market),
            ("agency_type", AgencyType),
            ("entity", Entity),
            ("category", Category),
            ("market", Market),
            ("info", CategoryInfo),
        ):
            value = getattr(self, name)
            if value is not None:
                problems.instance(name, value, kind)
        if not isinstance(self.reasons, tuple):
            problems.add("reasons", "must be a list of texts")
        else:
            for index, reason in enumerate(self.reasons):
                problems.text(f"reasons[{index}]", reason, max_length=1000, lines=True)
        if self.seller_id is not None:
            problems.text("seller_id", self.seller_id, max_length=200)
        if self.approves is not None and not (
            isinstance(self.approves, str) and _DIGEST.fullmatch(self.approves)
        ):
            problems.add("approves", "must be a SHA-256 digest (64 lower-case hexadecimal digits)")
        info, category = self.info, self.category
        if (
            isinstance(info, CategoryInfo)
            and isinstance(category, Category)
            and info.category is not category
            and info.category != category
        ):
            problems.add("info.category", f"must be {category.name}, the event's category")

    @property
    def event_id(self) -> str:
        """The event's stable identity: ``"<partner_id>/<seq>"``."""
        return f"{self.partner_id}/{self.seq}"


def content_digest(value: object) -> str:
    """The SHA-256 (hexadecimal) of a value's content in a canonical form: what an approval
    pins. Equal values have equal digests; categories count by code, markets by ISO code."""
    canonical = json.dumps(
        _canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, Category | Market):
        return value.code
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if attrs.has(type(value)):
        return {
            field.name: _canonical(getattr(value, field.name))
            for field in attrs.fields(type(value))  # type: ignore[arg-type]
        }
    return value


# --------------------------------------------------------------------------------------------------
# The partner: the fold of its events


class UseDefault(enum.Enum):
    """The type of :data:`DEFAULT`."""

    POLICY = "the default policy"


#: "The library's default policy", where a partner's events are replayed and none is named
#: (``None`` means no policy at all).
DEFAULT: Final = UseDefault.POLICY


@attrs.frozen(init=False, repr=False)
class Partner:
    """A partner: what its events (:attr:`events`) make it, under the rules.

    Everything else a partner shows — its account, roles, registration market, agency type,
    entity, applications and seller authorisations — is the fold of those events through the
    one step of :mod:`partner_onboarding.lifecycle`, so no path (this constructor,
    ``attrs.evolve``, JSON, a strategy) can build a state the rules cannot reach.

    Build one with :func:`partner_onboarding.lifecycle.choose_role` and change it only through
    the operations of :mod:`partner_onboarding.lifecycle`, each of which returns a new partner with
    one more event. ``Partner(events, policy=…)`` replays stored events under ``policy`` (default:
    the library's default policy; ``None`` applies none); a step the rules refuse raises
    :class:`~partner_onboarding.errors.ValidationError` naming the event. Two partners are equal
    when their events are.
    """

    events: tuple[PartnerEvent, ...]
    partner_id: str = attrs.field(init=False, eq=False)
    account: Account = attrs.field(init=False, eq=False)
    roles_granted: tuple[RoleGrant, ...] = attrs.field(init=False, eq=False)
    registration_market: Market = attrs.field(init=False, eq=False)
    agency_type: AgencyType = attrs.field(init=False, eq=False)
    entity: EntityReview | None = attrs.field(init=False, eq=False)
    applications: tuple[Application, ...] = attrs.field(init=False, eq=False)
    authorizations: tuple[SellerAuthorization, ...] = attrs.field(init=False, eq=False)
    _open: dict[tuple[str, str], Application] = attrs.field(init=False, eq=False)
    _latest: dt.datetime = attrs.field(init=False, eq=False)
    _catalog: str | None = attrs.field(init=False, eq=False)

    def __init__(
        self,
        events: Iterable[PartnerEvent],
        *,
        policy: Policy | UseDefault | None = DEFAULT,
        **state: object,
    ) -> None:
        if state:
            raise ValidationError(
                [
                    Problem(
                        name,
                        "is the fold of the partner's events: change it with an event "
                        "(an operation of partner_onboarding.lifecycle)",
                    )
                    for name in sorted(state)
                ],
                what="partner",
            )
        self._fold(events, policy)

    def __attrs_post_init__(self) -> None:
        # (reached from the generated __init__ of an attrs subclass: its events replayed)
        self._fold(self.events, DEFAULT)

    def _fold(self, events: Iterable[PartnerEvent], policy: Policy | UseDefault | None) -> None:
        folded = _machine().replay(events, policy=policy)
        for field in attrs.fields(Partner):
            object.__setattr__(self, field.name, getattr(folded, field.name))

    def __repr__(self) -> str:
        entity = "none" if self.entity is None else self.entity.status.value
        return (
            f"Partner(partner_id={self.partner_id!r}, revision={self.revision}, "
            f"account={self.account!r}, roles={[r.value for r in self.roles]}, "
            f"entity={entity}, applications={len(self.applications)}, "
            f"authorizations={len(self.authorizations)})"
        )

    @property
    def revision(self) -> int:
        """The partner's revision: the number of its events. A write made from an older
        revision is stale (operations take ``expected_revision=``)."""
        return len(self.events)

    def events_since(self, revision: int) -> tuple[PartnerEvent, ...]:
        """The events added after ``revision`` (0: all of them), in order: what a service
        publishes after saving this partner (an outbox)."""
        if type(revision) is not int or not 0 <= revision <= len(self.events):
            refusal = ValidationError if type(revision) is int else WrongType
            raise refusal.single(
                "revision", f"must be a whole number from 0 to {len(self.events)}", what="partner"
            )
        return self.events[revision:]

    @property
    def catalog_id(self) -> str | None:
        """The identity of the catalog the partner's categories belong to (``None`` before its
        first category). A partner has one catalog: an operation given another is refused."""
        return self._catalog

    @property
    def roles(self) -> tuple[PartnerRole, ...]:
        """The roles the partner chose, in the order chosen."""
        return tuple(grant.role for grant in self.roles_granted)

    @property
    def registered_at(self) -> dt.datetime:
        """When the partner's account was registered."""
        return self.account.registered_at

    def target_market(self, market: Market | str | None = None) -> Market:
        """The target market an operation or a question means: ``market`` when it is named (a
        :class:`Market` or its ISO code); unnamed, a local agency's registration market. A
        cross-border agency has no default: leaving the market unnamed raises
        :class:`~partner_onboarding.errors.ValidationError` on ``market``."""
        if market is not None:
            return Market.of(market)
        if self.agency_type is AgencyType.LOCAL:
            return self.registration_market
        raise ValidationError.single(
            "market", "a cross-border agency names the target market", what="partner"
        )

    @property
    def finance_identity(self) -> FinanceIdentity | None:
        """The company identity of finance-related information: the approved entity's legal
        name, EIN and address; ``None`` until the entity is approved."""
        entity = self.entity
        if entity is None or entity.status is not ReviewStatus.APPROVED:
            return None
        return FinanceIdentity.of(entity.entity)

    def application(
        self, category: str | Category, market: Market | str | None = None
    ) -> Application:
        """The open application for ``category`` (any name the catalog resolves) in ``market``
        (a :class:`Market` or its ISO code; unnamed, see :meth:`target_market`)."""
        code = category.code if isinstance(category, Category) else _catalog_code(category)
        market_code = self.target_market(market).code
        found = self._open.get((code, market_code))
        if found is None:
            raise ApplicationNotFound(code, market_code)
        return found

    def open_applications(self) -> tuple[Application, ...]:
        """Every application that is not superseded, in the order they were made."""
        open_ids = {id(a) for a in self._open.values()}
        return tuple(a for a in self.applications if id(a) in open_ids)

    def has_open(self, category: Category, market: Market) -> bool:
        """Whether an open application exists for (category, market)."""
        return (category.code, market.code) in self._open

    @property
    def latest(self) -> dt.datetime:
        """The partner's clock: the instant of its latest event. No step may be dated before
        it."""
        return self._latest

    def approved_in(self, category: Category | str, market: Market, *, at: dt.datetime) -> bool:
        """Whether an application for ``category`` (a category or its code) in ``market`` was
        Approved at ``at``."""
        code = category if isinstance(category, str) else category.code
        market_code = market.code
        if at >= self._latest:  # at or after the latest event: the partner as it is now
            found = self._open.get((code, market_code))
            return found is not None and found.status is ReviewStatus.APPROVED
        return any(
            application.category.code == code
            and application.market.code == market_code
            and status_at(application.history, at) is ReviewStatus.APPROVED
            for application in self.applications
        )


def _catalog_code(name: str) -> str:
    return DEFAULT_CATALOG.category(name).code
