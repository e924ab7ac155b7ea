"""What exists: partner roles, service categories, markets, and the legacy structure.

The catalog is data. :data:`DEFAULT_CATALOG` holds the current structure of the Partner Center (US)
— two first categories, seven secondary categories, three partner roles — and the three legacy
categories discontinued by the 2024 upgrade, each mapped onto the current role that takes over its
role switch.

Look-ups accept a category's stable code, its canonical name, or any known spelling of it: case,
spacing, ``-`` and ``_`` do not matter, and the source's own misspellings ("Seller affiliate
Management", "Creator mathmaking") are registered aliases.

>>> category = DEFAULT_CATALOG.category("Creator mathmaking")
>>> category.name
'Creator Matchmaking'
>>> category.role.label
'Seller Service - Creator Matchmaking'
"""

from __future__ import annotations

import enum
import functools
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import ClassVar, Final, TypeVar

import attrs

from partner_onboarding._documents import load_json, load_toml, read_document
from partner_onboarding.errors import (
    MAX_PROBLEMS,
    Problem,
    UnknownCategory,
    ValidationError,
    WrongType,
    quote,
)

__all__ = [
    "CATEGORY_INFO_FIELDS",
    "DEFAULT_CATALOG",
    "DEFAULT_REQUIRED_FIELDS",
    "Catalog",
    "Category",
    "FirstCategory",
    "Market",
    "PartnerRole",
    "extend_catalog",
    "load_catalog",
    "market_code",
    "market_problem",
    "normalize_name",
    "parse_member",
]


class PartnerRole(enum.StrEnum):
    """The partner roles of the Partner Center; values are stable identifiers stored in JSON."""

    CREATOR_SERVICE_PARTNER = "creator_service_partner"
    SELLER_SERVICE_PARTNER = "seller_service_partner"
    SELLER_SERVICE_CREATOR_MATCHMAKING = "seller_service_creator_matchmaking"

    @property
    def label(self) -> str:
        """The role's name as the Partner Center displays it."""
        return _ROLE_LABELS[self]

    def __str__(self) -> str:
        return self.label


_ROLE_LABELS: Final = {
    PartnerRole.CREATOR_SERVICE_PARTNER: "Creator Service Partner",
    PartnerRole.SELLER_SERVICE_PARTNER: "Seller Service Partner",
    PartnerRole.SELLER_SERVICE_CREATOR_MATCHMAKING: "Seller Service - Creator Matchmaking",
}


class FirstCategory(enum.StrEnum):
    """The first (top-level) service categories."""

    CREATOR_SERVICE = "creator_service"
    SELLER_SERVICE = "seller_service"

    @property
    def label(self) -> str:
        """The first category's name as the Partner Center displays it."""
        return "Creator Service" if self is FirstCategory.CREATOR_SERVICE else "Seller Service"

    def __str__(self) -> str:
        return self.label


#: The fields of category information that a category may require (see :class:`CategoryInfo`).
CATEGORY_INFO_FIELDS: Final = frozenset(
    {"service_description", "markets_served", "team_size", "reference_links"}
)

#: What a category requires unless its catalog entry says otherwise (reference links are optional).
DEFAULT_REQUIRED_FIELDS: Final = frozenset({"service_description", "markets_served", "team_size"})


@functools.cache
def _iso_3166_alpha_2() -> frozenset[str]:
    import iso3166  # noqa: PLC0415  (its data loads only when a market is first validated)

    return frozenset(iso3166.countries_by_alpha2)


def market_code(text: str) -> str:
    """The code ``text`` names as a market's, as :meth:`Market.parse` reads it: any case,
    surrounding spaces ignored (checked by :func:`market_problem`)."""
    return text.strip().upper()


def market_problem(code: str) -> str | None:
    """What is wrong with ``code`` as a market's code, or ``None`` when it is one (for readers
    that check many cells without building a :class:`Market` of each)."""
    if code in _iso_3166_alpha_2():
        return None
    return f"{quote(code)} is not an ISO 3166-1 alpha-2 country code"


def _check_market_code(_: object, __: attrs.Attribute[str], code: str) -> None:
    if not isinstance(code, str):
        raise WrongType.single("", "must be a string", what="market")
    problem = market_problem(code)
    if problem is not None:
        raise ValidationError.single("", problem, what="market")


@attrs.frozen(order=True)
class Market:
    """A target market, named by its ISO 3166-1 alpha-2 code (``Market("US")``).

    ``Market.US`` is the default market of a US local agency.
    """

    code: str = attrs.field(validator=_check_market_code)

    US: ClassVar[Market]

    @classmethod
    def parse(cls, text: str) -> Market:
        """A market from its code in any case, surrounding spaces ignored (``" us"`` → US)."""
        if not isinstance(text, str):
            raise WrongType.single("", "must be a string", what="market")
        return cls(market_code(text))

    @classmethod
    def of(cls, market: Market | str) -> Market:
        """``market`` itself, or the market of an ISO code (``Market.of("gb")`` → GB).

        Anything else raises :class:`~partner_onboarding.errors.ValidationError` on ``market``.
        """
        if type(market) is cls:
            return market
        if not isinstance(market, str):
            raise WrongType.single(
                "market", "must be a Market or an ISO 3166-1 alpha-2 code", what="market"
            )
        try:
            return cls.parse(market)
        except ValidationError as error:
            raise error.under("market") from None

    @staticmethod
    def codes() -> frozenset[str]:
        """Every code a market may have: the ISO 3166-1 alpha-2 country codes."""
        return _iso_3166_alpha_2()

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"Market({self.code!r})"


Market.US = Market("US")


def normalize_name(name: str) -> str:
    """The look-up key of a name or code: compatibility characters as their plain forms (NFKC:
    full-width letters as letters, a no-break space as a space), case-folded, ``-``/``_`` as
    spaces, spaces folded, and the quotes a word processor or spreadsheet puts around a whole
    name (``“Paid Media”``, ``'Approved'``) left out.

    >>> normalize_name("  Seller_affiliate-Management ")
    'seller affiliate management'
    >>> normalize_name("\uff30\uff41\uff49\uff44 Media")  # (full-width "Paid")
    'paid media'
    >>> normalize_name("\u201cPaid\u00a0Media\u201d")  # (curly quotes, a no-break space)
    'paid media'
    """
    if not name.isascii():
        name = unicodedata.normalize("NFKC", name)
    folded = " ".join(name.replace("-", " ").replace("_", " ").casefold().split())
    if len(folded) > 1 and folded[0] in _QUOTES and folded[-1] in _QUOTES:
        folded = " ".join(folded[1:-1].split())
    return folded


#: The quotes that may enclose a whole name: straight, curly, low and guillemets.
_QUOTES: Final = frozenset("\"'\u201c\u201d\u2018\u2019\u201e\u201a\u00ab\u00bb")


E = TypeVar("E", bound=enum.Enum)


def parse_member(kind: type[E], value: object, *, field: str, what: str = "value") -> E:
    """The member of ``kind`` that ``value`` names, forgivingly: the member itself, its value
    (``"pending_review"``) or its label (``"Pending Review"``), in any case and spacing.

    Anything else is a :class:`~partner_onboarding.errors.ValidationError` on ``field`` that
    quotes the value (shortened) and suggests the closest spelling.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        spellings = _spellings(kind)
        found = spellings.get(value) or spellings.get(normalize_name(value))
        if found is not None:
            return found  # type: ignore[return-value]
        import difflib  # noqa: PLC0415  (loaded when first needed: importing stays light)

        close = difflib.get_close_matches(
            normalize_name(value[:100]), list(_spellings(kind)), n=1, cutoff=0.6
        )
        hint = f"; did you mean {_spelling(_spellings(kind)[close[0]])!r}?" if close else ""
        allowed = ", ".join(_spelling(member) for member in kind)
        raise ValidationError.single(
            field, f"{quote(value)} is not one of {allowed}{hint}", what=what
        )
    allowed = ", ".join(_spelling(member) for member in kind)
    raise ValidationError.single(field, f"must be one of {allowed}", what=what)


def _spelling(member: enum.Enum) -> str:
    return str(member.value)


@functools.cache
def _spellings(kind: type[enum.Enum]) -> dict[str, enum.Enum]:
    found: dict[str, enum.Enum] = {}
    for member in kind:
        for spelling in (member.value, member.name, getattr(member, "label", member.value)):
            found.setdefault(normalize_name(str(spelling)), member)
    return found


def _as_frozenset(values: Iterable[str]) -> frozenset[str]:
    try:
        if not isinstance(values, str):
            return frozenset(values)
    except TypeError:  # not a list of names, or one that cannot be in a set
        pass
    return values  # type: ignore[return-value]  # kept so the check can report it


def _as_first_category(value: FirstCategory | str) -> FirstCategory:
    return _as_member(FirstCategory, value)  # type: ignore[return-value]


def _as_role(value: PartnerRole | str) -> PartnerRole:
    return _as_member(PartnerRole, value)  # type: ignore[return-value]


def _as_member(kind: type[E], value: object) -> E | object:
    """``value`` as a member of ``kind`` when it is one or names one by its value (as everywhere
    else in the library); anything else is kept, for the category's check to report."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        return value


@attrs.frozen(kw_only=True)
class Category:
    """A secondary service category: what a partner applies for.

    ``role`` is the partner role the category belongs to. For a legacy category it is the current
    role that the category maps onto (the role switch reads the latest structure).
    """

    code: str
    name: str
    first_category: FirstCategory = attrs.field(converter=_as_first_category)
    role: PartnerRole = attrs.field(converter=_as_role)
    aliases: frozenset[str] = attrs.field(default=frozenset(), converter=_as_frozenset)
    required_fields: frozenset[str] = attrs.field(
        default=DEFAULT_REQUIRED_FIELDS, converter=_as_frozenset
    )
    legacy: bool = False
    #: The identity (``name@version``) of the catalog the category belongs to; set by the
    #: :class:`Catalog` that holds it, ``None`` for a category not yet in any catalog.
    catalog: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.code, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", self.code):
            problems.append(Problem("code", "must be lower-case letters, digits and '_'"))
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(Problem("name", "must be a name (text, not empty)"))
        for field, kind in (("first_category", FirstCategory), ("role", PartnerRole)):
            if not isinstance(getattr(self, field), kind):
                allowed = ", ".join(member.value for member in kind)
                problems.append(Problem(field, f"must be one of {allowed}"))
        for field in ("aliases", "required_fields"):
            names = getattr(self, field)
            if not isinstance(names, frozenset) or not all(isinstance(n, str) for n in names):
                problems.append(Problem(field, "must be a set of names"))
            elif field == "aliases" and not all(name.strip() for name in names):
                problems.append(Problem(field, "must not hold a blank name"))
        if not any(problem.path == "required_fields" for problem in problems):
            unknown = self.required_fields - CATEGORY_INFO_FIELDS  # (a set of names: checked)
            if unknown:
                problems.append(
                    Problem(
                        "required_fields", f"unknown category information fields {sorted(unknown)}"
                    )
                )
        if not isinstance(self.legacy, bool):
            problems.append(Problem("legacy", "must be true or false"))
        if self.catalog is not None and not isinstance(self.catalog, str):
            problems.append(Problem("catalog", "must be a catalog identity (name@version)"))
        if problems:
            raise ValidationError(problems, what="category")

    def __str__(self) -> str:
        return self.name


def _as_categories(categories: Iterable[Category]) -> tuple[Category, ...]:
    if isinstance(categories, Iterable) and not isinstance(categories, str | bytes):
        return tuple(categories)
    return categories  # (not a list: kept so the check can report it)


@attrs.frozen(cache_hash=True)
class Catalog:
    """An immutable set of categories with forgiving look-up by code, name or alias.

    A catalog has an identity (:attr:`id`), ``name@version#digest``, that every category it holds
    carries and that JSON records, so that a document is never read with another catalog by
    mistake. The digest is of the categories' content: two catalogs with different content never
    share an identity, whatever their names. ``version`` defaults to that digest (the identity is
    then ``name@digest``).
    """

    _categories: tuple[Category, ...] = attrs.field(converter=_as_categories)
    name: str = attrs.field(default="custom", kw_only=True)
    version: str | None = attrs.field(default=None, kw_only=True)
    _index: dict[str, Category] = attrs.field(init=False, eq=False, repr=False)
    # Exact spellings (code, name, aliases as written) first: look-ups in bulk skip normalising.
    _exact: dict[str, Category] = attrs.field(init=False, eq=False, repr=False)
    _content: str = attrs.field(init=False, eq=False, repr=False)
    # Every spelling the catalog knows (normalised) and the name it stands for: suggestions.
    _names: dict[str, str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        index: dict[str, Category] = {}
        problems = []
        if not isinstance(self._categories, tuple):
            raise ValidationError.single(
                "categories", "must be a list of categories", what="catalog"
            )
        codes: set[str] = set()
        for position, category in enumerate(self._categories):
            if not isinstance(category, Category):
                problems.append(Problem(f"categories[{position}]", "must be a Category"))
                continue
            if category.code in codes:  # (one category a code: never two, even alike)
                reason = f"category {category.code!r} is already in the catalog"
                problems.append(Problem(f"categories[{position}]", reason))
                continue
            codes.add(category.code)
            for spelling in (category.code, category.name, *sorted(category.aliases)):
                key = normalize_name(spelling)
                holder = index.setdefault(key, category)
                if holder.code != category.code:
                    problems.append(
                        Problem(
                            f"categories[{position}]",
                            f"{spelling!r} already names category {holder.code!r}",
                        )
                    )
        for field in ("name", "version"):
            value = getattr(self, field)
            if value is not None and not (isinstance(value, str) and _IDENTITY.fullmatch(value)):
                problems.append(Problem(field, "must be 1 to 64 letters, digits, '.', '-' or '_'"))
        if problems:
            raise ValidationError(problems, what="catalog")
        digest = _digest(self._categories)
        object.__setattr__(self, "_content", digest)
        if self.version is None:
            object.__setattr__(self, "version", digest)
        identity = self.id
        stamped = tuple(
            c if c.catalog == identity else attrs.evolve(c, catalog=identity)
            for c in self._categories
        )
        object.__setattr__(self, "_categories", stamped)
        by_code = {c.code: c for c in stamped}
        index = {key: by_code[c.code] for key, c in index.items()}
        object.__setattr__(self, "_index", index)
        exact = {  # (every item is a Category: the loop above raised otherwise)
            spelling: category
            for category in self._categories
            for spelling in (*sorted(category.aliases), category.name, category.code)
        }
        object.__setattr__(self, "_exact", exact)
        names = {normalize_name(c.name): c.name for c in stamped}
        names.update({key: c.name for key, c in index.items()})
        object.__setattr__(self, "_names", names)

    @property
    def id(self) -> str:
        """The catalog's identity: ``name@version#digest``, the digest being of its content
        (``name@digest`` when the version is that digest)."""
        if self.version == self._content:
            return f"{self.name}@{self.version}"
        return f"{self.name}@{self.version}#{self._content}"

    @property
    def named(self) -> str:
        """``name@version``: how documents of version 2 and earlier named the catalog."""
        return f"{self.name}@{self.version}"

    def category(self, name: str | Category) -> Category:
        """The category known by ``name`` (code, canonical name or alias, forgivingly spelled).

        Raises :class:`UnknownCategory`, with the closest known names, when nothing matches.
        """
        if type(name) is str:
            found = self._exact.get(name)
            if found is not None:
                return found
        found = self.find(name)
        if found is not None:
            return found
        raise self.unknown(name)

    def find(self, name: str | Category) -> Category | None:
        """The category known by ``name`` as :meth:`category` finds it, or ``None``: no search
        for suggestions (for bulk readers, which bound that work themselves)."""
        if type(name) is str:
            found = self._exact.get(name)
            if found is not None or len(name) > _LONGEST_NAME:
                return found
            return self._index.get(normalize_name(name))
        if isinstance(name, Category):
            known = self._exact.get(name.code)
            if known is not None and (
                known is name
                or known == name
                or (name.catalog is None and attrs.evolve(name, catalog=known.catalog) == known)
            ):
                return known
        return None

    def unknown(self, name: object, *, suggest: bool = True) -> UnknownCategory:
        """The error for ``name``, which :meth:`find` did not find: quoting it (shortened), with
        the closest known names when ``suggest`` (a search of the catalog's names)."""
        if isinstance(name, Category):
            name = name.code
        if not isinstance(name, str):  # (named by its repr, shortened: the message quotes it)
            shown = repr(name)
            return UnknownCategory(shown if len(shown) <= 40 else shown[:40] + "…")
        if len(name) > _LONGEST_NAME:  # no category is named so: not searched, not echoed
            return UnknownCategory(name[:40] + "…")
        return UnknownCategory(name, self._suggest(name) if suggest else ())

    def __contains__(self, name: object) -> bool:
        if isinstance(name, Category):
            return self._index.get(normalize_name(name.code)) == name
        return isinstance(name, str) and normalize_name(name) in self._index

    def categories(
        self,
        *,
        role: PartnerRole | None = None,
        first_category: FirstCategory | None = None,
        include_legacy: bool = False,
    ) -> tuple[Category, ...]:
        """The current categories (and legacy ones if asked), filtered by role or first category."""
        return tuple(
            category
            for category in self._categories
            if (include_legacy or not category.legacy)
            and (role is None or category.role is role)
            and (first_category is None or category.first_category is first_category)
        )

    def legacy(self) -> tuple[Category, ...]:
        """The discontinued categories of the previous structure."""
        return tuple(category for category in self._categories if category.legacy)

    def roles(self) -> tuple[PartnerRole, ...]:
        """The partner roles that the current categories belong to, in catalog order."""
        return tuple(dict.fromkeys(c.role for c in self._categories if not c.legacy))

    def current_role(self, name: str | Category) -> PartnerRole:
        """The current role a category maps onto (legacy categories through their mapping)."""
        return self.category(name).role

    def __iter__(self) -> Iterator[Category]:
        """Every category: the current ones, then the legacy ones, in catalog order."""
        return iter(sorted(self._categories, key=lambda c: c.legacy))

    def __len__(self) -> int:
        return len(self._categories)

    def _suggest(self, name: str) -> list[str]:
        key = normalize_name(name)
        by_key = self._names
        import difflib  # noqa: PLC0415  (loaded when first needed: importing stays light)

        close = difflib.get_close_matches(key, by_key, n=6, cutoff=0.6)
        return list(dict.fromkeys(by_key[k] for k in close))[:3]


_IDENTITY: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Longer text names no category: it is refused before any search.
_LONGEST_NAME: Final = 200


def _digest(categories: tuple[Category, ...]) -> str:
    """A short digest of what the categories say (not of the catalog they were stamped by), the
    same in every process: sets are written sorted."""
    content = sorted(
        repr(
            (
                c.code,
                c.name,
                c.first_category.value,
                c.role.value,
                sorted(c.aliases),
                sorted(c.required_fields),
                c.legacy,
            )
        )
        for c in categories
    )
    return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()[:12]


_SELLER = FirstCategory.SELLER_SERVICE

#: The Partner Center (US) catalog: the current structure and the legacy categories.
DEFAULT_CATALOG: Final = Catalog(
    [
        Category(
            code="creator_management",
            name="Creator Management",
            first_category=FirstCategory.CREATOR_SERVICE,
            role=PartnerRole.CREATOR_SERVICE_PARTNER,
        ),
        Category(
            code="shop_management",
            name="Shop Management",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
        ),
        Category(
            code="live_management",
            name="LIVE Management",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
        ),
        Category(
            code="short_video_management",
            name="Short Video Management",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
        ),
        Category(
            code="seller_affiliate_management",
            name="Seller Affiliate Management",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
            aliases={"Seller affiliate Management", "Affiliate Management"},
        ),
        Category(
            code="shop_registration",
            name="Shop Registration",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
            # Registering shops is an administrative service: no team or case studies asked.
            required_fields={"service_description", "markets_served"},
        ),
        Category(
            code="creator_matchmaking",
            name="Creator Matchmaking",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_CREATOR_MATCHMAKING,
            aliases={"Creator mathmaking", "Creator Match-making"},
        ),
        # The previous structure. Each was a seller-facing service, so the role switch maps it onto
        # the Seller Service Partner role of the current structure.
        Category(
            code="mass_recruiting",
            name="Mass Recruiting",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
            legacy=True,
        ),
        Category(
            code="mass_tutoring",
            name="Mass Tutoring",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
            legacy=True,
        ),
        Category(
            code="paid_media",
            name="Paid Media",
            first_category=_SELLER,
            role=PartnerRole.SELLER_SERVICE_PARTNER,
            legacy=True,
        ),
    ],
    name="partner-center-us",
    version="2024.04",
)


# --------------------------------------------------------------------------------------------------
# Catalog files: the default catalog and the categories a file adds


#: The most categories a catalog file may add.
MAX_ADDED_CATEGORIES: Final = 1000
_CATEGORY_KEYS: Final = (
    "code",
    "name",
    "first_category",
    "role",
    "aliases",
    "required_fields",
    "legacy",
)


def extend_catalog(data: object, *, base: Catalog | None = None) -> Catalog:
    """``base`` (default: :data:`DEFAULT_CATALOG`) with the categories ``data`` adds: a mapping
    of ``name`` and ``version`` (the new catalog's identity) and ``categories``, a list of tables
    of a :class:`Category`'s fields (``code``, ``name``, ``first_category``, ``role``, and
    optionally ``aliases``, ``required_fields`` and ``legacy``). Every problem is reported,
    named by its path (``categories[0].role``)."""
    catalog = DEFAULT_CATALOG if base is None else base
    if not isinstance(data, dict):
        raise ValidationError.single("", "must be a table of catalog fields", what="catalog")
    unknown = [key for key in data if key not in {"name", "version", "categories"}]
    if unknown:
        named = [Problem(str(key)[:100], "unknown field") for key in unknown[:MAX_PROBLEMS]]
        raise ValidationError(named, what="catalog", more=len(unknown) - len(named))
    rows = data.get("categories")
    if not isinstance(rows, list) or not rows:
        raise ValidationError.single(
            "categories", "must be a non-empty list of category tables", what="catalog"
        )
    if len(rows) > MAX_ADDED_CATEGORIES:
        raise ValidationError.single(
            "categories", f"must add at most {MAX_ADDED_CATEGORIES} categories", what="catalog"
        )
    added: list[Category] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        if len(problems) >= MAX_PROBLEMS:  # (enough said: an error lists no more, and the rest
            break  # of the rows is not read)
        where = f"categories[{index}]"
        if not isinstance(row, dict):
            problems.append(Problem(where, "must be a table of category fields"))
            continue
        strange = [key for key in row if key not in _CATEGORY_KEYS]
        if strange:
            problems += [Problem(f"{where}.{str(key)[:100]}", "unknown field") for key in strange]
            continue
        try:
            added.append(Category(**row))
        except TypeError:  # (a required field missing)
            missing = [key for key in _CATEGORY_KEYS[:4] if key not in row]
            problems += [Problem(f"{where}.{key}", "is required") for key in missing]
        except ValidationError as error:
            problems += error.under(where).problems
    if problems:
        raise ValidationError(problems, what="catalog")
    base_categories = [attrs.evolve(c, catalog=None) for c in catalog]
    renamed = None
    try:
        return Catalog(
            [*base_categories, *added],
            name=data.get("name", "custom"),
            version=data.get("version"),
        )
    except ValidationError as error:  # (a row's position is the file's, not the whole catalog's)
        shift = len(base_categories)
        renamed = ValidationError(
            [_in_file(problem, shift) for problem in error.problems],
            what="catalog",
            more=error.more,
        )
    raise renamed  # (outside the handler: the whole catalog's error is not its context)


def _in_file(problem: Problem, shift: int) -> Problem:
    match = re.fullmatch(r"categories\[([0-9]+)\]", problem.path)
    if match is None:
        return problem
    return Problem(f"categories[{int(match.group(1)) - shift}]", problem.reason)


def load_catalog(path: str | os.PathLike[str], *, base: Catalog | None = None) -> Catalog:
    """The catalog a ``.toml`` or ``.json`` catalog file says (see :func:`extend_catalog`), read
    only up to the bound of a document, whatever the file is."""
    text = read_document(path, what="catalog")
    if os.fspath(path).lower().endswith(".json"):
        return extend_catalog(load_json(text, what="catalog"), base=base)
    return extend_catalog(load_toml(text, what="catalog"), base=base)
