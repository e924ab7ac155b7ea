"""The value objects a partner is made of: account, entity, category information.

Every class is a frozen attrs class that checks itself when built: an instance is always valid.
Construction never stops at the first bad field: a
:class:`~partner_onboarding.errors.ValidationError` lists every problem, each with its field path.
Values are changed only by building new ones (``attrs.evolve``), which checks again.

Personal data is kept out of sight: an :class:`Account` holds only a salted scrypt hash of its
password, and reprs mask phone numbers and EINs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Final, TypeVar

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
from partner_onboarding.catalog import Category, Market
from partner_onboarding.errors import ValidationError

T = TypeVar("T")

__all__ = [
    "MAX_REFERENCE_LINKS",
    "Account",
    "Address",
    "CategoryInfo",
    "ContactPerson",
    "DocumentRef",
    "Entity",
    "PasswordHash",
    "check_password_strength",
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
        problems = Problems()
        for name in ("n", "r", "p"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.add(name, "must be a positive whole number")
        if isinstance(self.n, int) and (self.n < 2 or self.n & (self.n - 1)):
            problems.add("n", "must be a power of two greater than 1")
        for name in ("salt", "digest"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) < 16:
                problems.add(name, "must be at least 16 bytes")
        problems.raise_if_any("password hash")

    @classmethod
    def of(cls, password: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> PasswordHash:
        """Hash ``password`` with a fresh random salt."""
        salt = secrets.token_bytes(16)
        return cls(n=n, r=r, p=p, salt=salt, digest=_scrypt(password, salt, n=n, r=r, p=p))

    def verify(self, password: str) -> bool:
        """Whether ``password`` is the one hashed, compared in constant time."""
        if not isinstance(password, str):
            return False
        candidate = _scrypt(
            password, self.salt, n=self.n, r=self.r, p=self.p, length=len(self.digest)
        )
        return hmac.compare_digest(candidate, self.digest)

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """A hash from its text form ``scrypt$n$r$p$salt$digest``."""
        parts = text.split("$") if isinstance(text, str) else []
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ValidationError.single(
                "", "must be 'scrypt$<n>$<r>$<p>$<salt>$<digest>'", what="password hash"
            )
        try:
            n, r, p = (int(part) for part in parts[1:4])
            salt = base64.b64decode(parts[4], validate=True)
            digest = base64.b64decode(parts[5], validate=True)
        except (ValueError, binascii.Error):
            raise ValidationError.single(
                "", "has a parameter that is not a number or base64", what="password hash"
            ) from None
        return cls(n=n, r=r, p=p, salt=salt, digest=digest)

    def __str__(self) -> str:
        return f"scrypt${self.n}${self.r}${self.p}${_b64(self.salt)}${_b64(self.digest)}"


def _scrypt(password: str, salt: bytes, *, n: int, r: int, p: int, length: int = 32) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=length
    )


# --------------------------------------------------------------------------------------------------
# Account (step 1)


@attrs.frozen(kw_only=True)
class Account:
    """A Partner Center account: a normalised email, an optional E.164 phone, a password hash.

    Build one with :meth:`register`, which checks the password and hashes it.
    """

    email: str = attrs.field(converter=as_email)
    password_hash: PasswordHash
    registered_at: dt.datetime
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


# --------------------------------------------------------------------------------------------------
# Entity (step 2)


def _as_tuple(values: Iterable[T]) -> tuple[T, ...]:
    if isinstance(values, Iterable) and not isinstance(values, str | bytes):
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
        """A reference to ``content``, hashed here; the bytes are not kept."""
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
    return _as_tuple(_as_market(value) for value in values)


def _as_market(value: Market | str) -> Market:
    if isinstance(value, str):
        try:
            return Market.parse(value)
        except ValidationError:
            pass
    return value  # type: ignore[return-value]  # kept as is so the check can report it


@attrs.frozen(kw_only=True)
class CategoryInfo:
    """The information that goes with a category application (step 3).

    Which fields must be filled in is catalog data (:attr:`Category.required_fields`); each missing
    one is reported by name.
    """

    category: Category
    service_description: str | None = None
    markets_served: tuple[Market, ...] = attrs.field(default=(Market.US,), converter=_as_markets)
    team_size: int | None = None
    reference_links: tuple[str, ...] = attrs.field(default=(), converter=_as_texts)

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not problems.instance("category", self.category, Category):
            problems.raise_if_any("category information")
        for name in sorted(self.category.required_fields):
            if getattr(self, name) in (None, ()):
                problems.add(name, f"is required for {self.category.name}")
        if self.service_description is not None:
            problems.text("service_description", self.service_description, max_length=2000)
        if not isinstance(self.markets_served, tuple):
            problems.add("markets_served", "must be a list of markets")
        else:
            valid = [
                problems.instance(f"markets_served[{index}]", market, Market)
                for index, market in enumerate(self.markets_served)
            ]
            if all(valid) and len(set(self.markets_served)) != len(self.markets_served):
                problems.add("markets_served", "must not repeat a market")
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
