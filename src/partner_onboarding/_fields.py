"""Field-level normalisation and checks shared by the value objects.

Each normaliser takes the raw text a user gives and returns either the canonical form the library
keeps or a :class:`Rejected` with the reason. They are pure and cached: the same email, phone or EIN
seen again (as in bulk loads) costs a dictionary look-up.

The heavy lifting is done by the libraries made for each job: ``email-validator``, ``phonenumbers``
and ``us``. Nothing here re-implements them; the EIN's rule (nine digits, a prefix the IRS assigns)
is a pattern and a table.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Final, TypeVar

import attrs

from partner_onboarding._time import instant_problem
from partner_onboarding.errors import MAX_PROBLEMS, Problem, ValidationError, WrongType

__all__ = [
    "PARTNER_ID",
    "Problems",
    "Rejected",
    "as_ein",
    "as_email",
    "as_optional_phone",
    "as_optional_url",
    "as_phone",
    "as_state",
    "as_zip",
    "lenient",
    "mask_ein",
    "mask_phone",
    "masked_ein",
    "normalize_ein",
    "normalize_email",
    "normalize_phone",
    "normalize_state",
    "normalize_url",
    "normalize_zip",
    "unsafe_character",
]

T = TypeVar("T")
S = TypeVar("S", str, str | None)


@attrs.frozen
class Rejected:
    """Why a raw value could not be normalised."""

    reason: str


Normalizer = Callable[[str], "str | Rejected"]


@functools.lru_cache(maxsize=16384)
def normalize_email(text: str) -> str | Rejected:
    """An email address in its normalised form (IDNA domain, lower-cased domain), or why not."""
    import email_validator  # noqa: PLC0415  (loaded when first needed: importing stays light)

    try:
        valid = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        return Rejected(f"not a valid email address ({error})")
    return valid.normalized


@functools.lru_cache(maxsize=16384)
def normalize_phone(text: str) -> str | Rejected:
    """A phone number in E.164 (US unless it carries a country code), or why not."""
    import phonenumbers  # noqa: PLC0415  (loaded when first needed)

    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return Rejected("not a phone number")
    if not phonenumbers.is_valid_number(number):
        return Rejected("not a valid phone number for its region")
    if number.extension:  # (E.164 has no extension: refused rather than silently dropped)
        return Rejected("has an extension; give a number that reaches the person directly")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: The valid EIN prefixes, as the IRS lists them ("How EINs are assigned and valid EIN prefixes").
_EIN_PREFIXES: Final = frozenset(f"{prefix:02d}" for prefix in range(1, 100)) - frozenset(
    ["07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89", "96", "97"]
)
_EIN: Final = re.compile(r"([0-9]{2})-?([0-9]{7})")


@functools.lru_cache(maxsize=16384)
def normalize_ein(text: str) -> str | Rejected:
    """A US Employer Identification Number as ``NN-NNNNNNN``, or why not."""
    match = _EIN.fullmatch(text.strip())
    if match is None or match[1] not in _EIN_PREFIXES:
        return Rejected("not a valid EIN (nine digits with a known IRS campus prefix)")
    return f"{match[1]}-{match[2]}"


_ZIP: Final = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")


def normalize_zip(text: str) -> str | Rejected:
    """A ZIP code (``12345``) or ZIP+4 (``12345-6789``; ``123456789`` is accepted), or why not."""
    text = text.strip()
    if len(text) == 9 and text.isascii() and text.isdigit():
        text = f"{text[:5]}-{text[5:]}"
    if _ZIP.fullmatch(text) and not text.startswith("00000"):
        return text
    return Rejected("not a ZIP code (12345) or ZIP+4 (12345-6789)")


#: The ISO 3166-2:US codes of the 50 states, the District of Columbia and the five inhabited
#: territories (AS, GU, MP, PR, VI): where a company can have a registered address. UM, the
#: uninhabited Minor Outlying Islands, is left out (docs/decisions.md).
US_STATES: Final = frozenset(
    (  # noqa: SIM905  (a table of codes, read as one)
        "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC "
        "ND NE NH NJ NM NV NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY AS GU MP PR VI"
    ).split()
)


def normalize_state(text: str) -> str | Rejected:
    """A US state, district or territory code of ISO 3166-2:US (``CA``, ``PR``), or why not."""
    code = text.strip().upper().removeprefix("US-")
    if code in US_STATES:
        return code
    return Rejected("not a US state, district or territory code (ISO 3166-2:US, e.g. 'CA')")


@functools.lru_cache(maxsize=16384)
def normalize_url(text: str) -> str | Rejected:
    """An absolute ``http``/``https`` URL whose host is a domain name, with no user name or
    password, a port from 1 to 65535 if any, and no space, backslash or control character; or
    why not. The standard library's parser reads it; the checks are on what it read."""
    import urllib.parse  # noqa: PLC0415  (loaded when first needed: importing stays light)

    text = text.strip()
    if not text.isprintable() or any(c.isspace() or c == "\\" for c in text):
        return Rejected("not a URL (it holds a space, a backslash or a control character)")
    try:
        parts = urllib.parse.urlsplit(text)
        host, port = parts.hostname or "", parts.port
        host.encode("idna")  # (each label of the name checked)
    except (ValueError, UnicodeError):
        return Rejected("not a URL (a bad host name, or a port out of range)")
    if parts.scheme not in {"http", "https"} or "." not in host.strip("."):
        return Rejected("not an absolute http(s) URL with a domain name")
    if parts.username is not None or parts.password is not None:
        return Rejected("must not hold a user name or password")
    if port == 0:
        return Rejected("not a URL (a port out of range)")
    return text


#: The longest text a normaliser is asked about: anything longer is refused by length before any
#: parsing (and never enters a normaliser's cache).
MAX_NORMALIZED: Final = 4096


def lenient(value: S, normalize: Normalizer) -> S:
    """The normalised form of ``value`` when it has one, else ``value`` untouched.

    The attrs converters below use it so that construction never stops at the first bad field: the
    class's own check then reports every problem at once.
    """
    if isinstance(value, str) and len(value) <= MAX_NORMALIZED:
        result = normalize(value)
        if not isinstance(result, Rejected):
            return result
    return value


# Named converters, as attrs (and its mypy plugin) want them.
def as_email(value: str) -> str:
    return lenient(value, normalize_email)


def as_phone(value: str) -> str:
    return lenient(value, normalize_phone)


def as_optional_phone(value: str | None) -> str | None:
    return lenient(value, normalize_phone)


def as_ein(value: str) -> str:
    return lenient(value, normalize_ein)


def as_state(value: str) -> str:
    return lenient(value, normalize_state)


def as_zip(value: str) -> str:
    return lenient(value, normalize_zip)


def as_optional_url(value: str | None) -> str | None:
    return lenient(value, normalize_url)


def mask_phone(phone: str | None) -> str:
    """A phone number for display in a repr: its last two digits only (``'+*********47'``)."""
    if phone is None:
        return "None"
    return repr("+" + "*" * (len(phone) - 3) + phone[-2:])


def masked_ein(ein: str) -> str:
    """An EIN with all but its last four digits hidden (``**-***3594``)."""
    return "**-***" + ein[-4:]


def mask_ein(ein: str) -> str:
    """An EIN for display in a repr: the last four digits only."""
    return repr(masked_ein(ein))


# Characters no text field holds: lone surrogates (not writable as UTF-8), control characters
# (NUL, escapes that drive a terminal) and the bidirectional overrides and isolates, which make
# text read otherwise than it is stored. Tabs and line breaks are allowed in texts of lines.
_UNSAFE_IN_LINES: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def unsafe_character(text: str, *, lines: bool = False) -> str | None:
    """Why ``text`` cannot be kept (the first unsafe character, by its code point), or ``None``:
    a lone surrogate, a control character (tabs and line breaks allowed when ``lines``), or a
    bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069)."""
    found = (_UNSAFE_IN_LINES if lines else _UNSAFE).search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate, which cannot be written as UTF-8"
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        kind = "a bidirectional override"
    else:
        kind = "a control character"
    return f"must not hold {kind} (U+{code:04X} at position {found.start()})"


#: What a partner id is: it names the partner in event ids, URLs and decision logs.
PARTNER_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


class Problems:
    """Collects problems while a value checks itself, then raises them all at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0  # (problems found past the most an error lists: counted, not kept)

    def add(self, path: str, reason: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(path, reason))
        else:
            self.more += 1

    def text(
        self,
        path: str,
        value: object,
        *,
        normalize: Normalizer | None = None,
        max_length: int = 500,
        lines: bool = False,
    ) -> None:
        """``value`` must be non-blank text (of at most ``max_length``), normalised if it can be,
        of characters that can be written and shown safely (see :func:`unsafe_character`); tabs
        and line breaks only where ``lines`` allows them."""
        if not isinstance(value, str):
            self.add(path, "must be a string")
        elif not value.strip():
            self.add(path, "must not be blank")
        elif len(value) > max_length:
            self.add(path, f"must be at most {max_length} characters")
        elif (unsafe := unsafe_character(value, lines=lines)) is not None:
            self.add(path, unsafe)
        elif normalize is not None:
            result = normalize(value)
            if isinstance(result, Rejected):
                self.add(path, result.reason)

    def partner_id(self, path: str, value: object) -> None:
        """``value`` must be a partner id (see :data:`PARTNER_ID`)."""
        if not isinstance(value, str) or not PARTNER_ID.fullmatch(value):
            self.add(path, "must be 1 to 100 letters, digits, '.', '_', ':' or '-' (no spaces)")

    def instance(self, path: str, value: object, kind: type[T]) -> bool:
        if isinstance(value, kind):
            return True
        self.add(path, f"must be {_article(kind.__name__)} {kind.__name__}")
        return False

    def aware(self, path: str, value: object) -> None:
        if self.instance(path, value, dt.datetime):
            problem = instant_problem(value)  # type: ignore[arg-type]
            if problem is not None:
                self.add(path, problem)

    def raise_if_any(self, what: str) -> None:
        if self.items:
            raise ValidationError(self.items, what=what, more=self.more)


def require_instance(path: str, value: object, kind: type[T], *, what: str = "value") -> T:
    """``value`` when it is a ``kind``; anything else is a
    :class:`~partner_onboarding.errors.WrongType` on ``path``."""
    if isinstance(value, kind):
        return value
    raise WrongType.single(path, f"must be {_article(kind.__name__)} {kind.__name__}", what=what)


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
