"""JSON for every public value, through one dedicated cattrs converter.

The shape is versioned. A document is an envelope::

    {"version": 3, "type": "Partner", "catalog": "partner-center-us@2024.04#56df90d6fa7b",
     "data": {...}}

``catalog`` is the identity of the catalog the value's categories belong to, which includes a
digest of its content (``null`` for a value that holds none); reading a document with another
catalog is refused, never a silent swap.

A partner is stored as its events (``data.events``), with its ``partner_id`` and ``revision``
beside them for readers; reading it replays the events under a policy (default: the library's
default policy), and checks what is written beside them against the replay: nothing stored is
trusted. Documents of versions 1 and 2 (a partner's state with its histories) are still read:
they are turned into events and replayed under the same checks (docs/decisions.md says how).
``data`` holds the value's fields under their Python names; instants are ISO 8601 strings with an
offset, enums their lower-case values, markets their ISO code, categories their stable code,
password hashes their ``scrypt$…`` text form. A password is never part of any value, so never of
any JSON.

Anything wrong with a document — bad JSON, a missing or unknown field, a value of the wrong type,
a value a class refuses — raises one :class:`~partner_onboarding.errors.ValidationError` that lists
every problem with its field path (``address.zip_code``, ``applications[2].status``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from partner_onboarding import lifecycle, model, standing
from partner_onboarding._documents import load_json
from partner_onboarding._time import format_instant, parse_instant
from partner_onboarding.catalog import (
    DEFAULT_CATALOG,
    Catalog,
    Category,
    FirstCategory,
    Market,
    PartnerRole,
)
from partner_onboarding.errors import (
    MAX_PROBLEMS,
    OnboardingError,
    Problem,
    UnknownCategory,
    ValidationError,
    WrongType,
    note_unread,
)
from partner_onboarding.model import (
    DEFAULT,
    Account,
    Actor,
    AgencyType,
    Application,
    EntityReview,
    Event,
    EventKind,
    History,
    Partner,
    PartnerEvent,
    PasswordHash,
    ReviewStatus,
    RoleGrant,
    SellerAuthorization,
    Subject,
    UseDefault,
    content_digest,
)
from partner_onboarding.policy import (
    Bars,
    Cutoff,
    Decision,
    Policy,
    Question,
    Reason,
    ReasonCode,
    Rule,
    Verdict,
)

__all__ = [
    "DOCUMENT_TYPES",
    "SCHEMA_VERSION",
    "catalog_of",
    "from_data",
    "from_json",
    "json_schema",
    "make_converter",
    "to_data",
    "to_json",
]

T = TypeVar("T")

#: The version of the JSON shape written by :func:`to_json` and read by :func:`from_json`.
#: Version 1 (no ``catalog`` in the envelope) is still read, with the default catalog only;
#: version 2 (a partner as its state) is still read, its partners turned into events.
SCHEMA_VERSION: Final = 3


def make_converter(catalog: Catalog = DEFAULT_CATALOG, *, secrets: bool = True) -> cattrs.Converter:
    """A converter for the library's values; categories are read through ``catalog``.

    With ``secrets=False`` it writes the form meant for a client: an account without its
    password hash (such a document is for reading by people and programs, not for loading back).
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(int, _structure_int)
    # The enums are str subclasses: each gets its own (more specific) hook, by value; written as
    # the plain string of their value (str's own __str__, not the enum's label).
    for kind in _ENUMS:
        converter.register_structure_hook(kind, _enum_hook(kind))
        converter.register_unstructure_hook(kind, str.__str__)

    converter.register_unstructure_hook(dt.datetime, format_instant)
    converter.register_structure_hook(dt.datetime, lambda value, _: parse_instant(value))

    converter.register_unstructure_hook(Market, str)
    converter.register_structure_hook(Market, lambda value, _: Market.parse(value))

    converter.register_unstructure_hook(Category, lambda category: category.code)
    converter.register_structure_hook(Category, lambda value, _: _category(catalog, value))

    converter.register_unstructure_hook(PasswordHash, str)
    converter.register_structure_hook(PasswordHash, lambda value, _: PasswordHash.parse(value))
    if not secrets:  # (after the hooks of its fields: the function is made from them now)
        converter.register_unstructure_hook(
            Account,
            cattrs.gen.make_dict_unstructure_fn(
                Account, converter, password_hash=cattrs.gen.override(omit=True)
            ),
        )

    event_hook = converter.get_unstructure_hook(Event)
    converter.register_unstructure_hook(History, lambda history: list(map(event_hook, history)))

    converter.register_unstructure_hook(Policy, Policy.to_data)
    converter.register_structure_hook(
        Policy, lambda value, _: Policy.from_data(value, catalog=catalog)
    )

    converter.register_structure_hook_factory(
        _is_variadic_tuple, functools.partial(_tuple_hook, converter)
    )
    converter.register_structure_hook_factory(
        _is_optional, functools.partial(_optional_hook, converter)
    )
    converter.register_unstructure_hook_factory(
        _is_optional, functools.partial(_optional_unstructure_hook, converter)
    )
    converter.register_structure_hook_factory(attrs.has, functools.partial(_class_hook, converter))
    events = converter.get_structure_hook(tuple[Event, ...])
    converter.register_structure_hook(History, lambda value, _: History(events(value, History)))

    # A partner's events carry only their own payload: empty payload fields are left out.
    event_unstructure = cattrs.gen.make_dict_unstructure_fn(
        PartnerEvent, converter, _cattrs_omit_if_default=True
    )
    converter.register_unstructure_hook(PartnerEvent, event_unstructure)
    partner_events = converter.get_structure_hook(tuple[PartnerEvent, ...])

    def unstructure_partner(partner: Partner) -> dict[str, Any]:
        return {
            "partner_id": partner.partner_id,
            "revision": partner.revision,
            "events": [event_unstructure(event) for event in partner.events],
        }

    def structure_partner(value: object, _: object) -> Partner:
        return _partner_from(value, partner_events, DEFAULT)

    converter.register_unstructure_hook(Partner, unstructure_partner)
    converter.register_structure_hook(Partner, structure_partner)
    return converter


@functools.cache
def _converter(catalog: Catalog, *, secrets: bool = True) -> cattrs.Converter:
    return make_converter(catalog, secrets=secrets)


def to_data(value: object, *, secrets: bool = True) -> Any:
    """``value`` as plain JSON-ready Python data (dicts, lists, strings, numbers).

    ``value`` is one of the library's values (what :func:`from_data` reads back); anything else
    raises :class:`~partner_onboarding.errors.ValidationError`. ``secrets=False`` gives the form
    meant for a client: every account in it without its password hash (the storage form, the
    default, keeps it so that the value can be read back).
    """
    kind = type(value)
    if kind not in DOCUMENT_TYPES:
        raise ValidationError.single(
            "", f"a {kind.__name__} is not a value this module writes", what="JSON"
        )
    if type(secrets) is not bool:
        raise WrongType.single("secrets", "must be True or False", what="JSON")
    return _converter(DEFAULT_CATALOG, secrets=secrets).unstructure(value)


def from_data(
    data: object,
    cls: type[T],
    *,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | UseDefault | None = DEFAULT,
) -> T:
    """A ``cls`` from plain data as :func:`to_data` gives it; every problem raised at once.

    A partner's events are replayed under ``policy`` (default: the library's default policy;
    ``None`` applies none)."""
    if not isinstance(catalog, Catalog):
        raise WrongType.single("catalog", "must be a Catalog", what="JSON")
    if policy is not DEFAULT and policy is not None and not isinstance(policy, Policy):
        raise WrongType.single("policy", "must be a Policy or None", what="JSON")
    try:
        if cls is Partner:
            converter = _converter(catalog)
            events = converter.get_structure_hook(tuple[PartnerEvent, ...])
            return _partner_from(data, events, policy)  # type: ignore[return-value]
        return _converter(catalog).structure(data, cls)
    except ValidationError as error:
        raise ValidationError(error.problems, what=cls.__name__, more=error.more) from None
    except _STRUCTURE_ERRORS as error:
        raise ValidationError(problems_of(error), what=cls.__name__, more=more_of(error)) from None


def to_json(value: object, *, indent: int | None = None, secrets: bool = True) -> str:
    """``value`` as a versioned JSON document, naming the catalog its categories belong to.

    ``secrets=False`` writes the document meant for a client: no password hash anywhere in it
    (:func:`json_schema` with ``secrets=False`` describes it). :func:`from_json` refuses such a
    document where the value needs the hash (an account, a partner's registration): it is a view,
    not a stored form.
    """
    data = to_data(value, secrets=secrets)
    envelope = {
        "version": SCHEMA_VERSION,
        "type": type(value).__name__,
        "catalog": catalog_of(value),
        "data": data,
    }
    if indent is None:
        return _ENCODER.encode(envelope)
    return json.dumps(envelope, ensure_ascii=False, indent=indent)


# What to_json writes with: JSON text as it is (not escaped to ASCII); the data is a tree freshly
# made by the converter, so no check for cycles is needed.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def catalog_of(value: object) -> str | None:
    """The identity of the catalog ``value``'s categories belong to (``None``: it holds none).

    A value built on a catalog carries its identity in each category; a value may not mix two.
    """
    found = {category.catalog for category in _categories(value)}
    if len(found) > 1:
        raise ValidationError.single(
            "", "holds categories of different catalogs: " + ", ".join(map(str, found)), what="JSON"
        )
    return found.pop() if found else None


def _categories(value: object) -> list[Category]:
    if isinstance(value, Category):
        return [value]
    if isinstance(
        value, model.CategoryInfo | model.SellerAuthorization | model.Application | Decision
    ):
        return [value.category]
    if isinstance(value, model.Partner):
        return [a.category for a in value.applications] + [a.category for a in value.authorizations]
    if isinstance(value, PartnerEvent):
        return [] if value.category is None else [value.category]
    if isinstance(value, Policy):
        return [value.catalog.category(code) for code in value.discontinued]
    return _categories_within(value) if type(value) in _STANDING else []


def _categories_within(value: object) -> list[Category]:
    """The categories a value of the standing page holds, at any depth of its fields."""
    found: list[Category] = []
    for field in attrs.fields(type(value)):  # type: ignore[arg-type]
        inner = getattr(value, field.name)
        for item in inner if isinstance(inner, tuple) else (inner,):
            if isinstance(item, Category):
                found.append(item)
            elif isinstance(item, Decision):
                found.append(item.category)
            elif type(item) in _STANDING:
                found += _categories_within(item)
    return found


def from_json(
    text: str | bytes,
    cls: type[T],
    *,
    catalog: Catalog = DEFAULT_CATALOG,
    policy: Policy | UseDefault | None = DEFAULT,
) -> T:
    """The ``cls`` value that :func:`to_json` wrote as ``text``.

    A partner's events are replayed under ``policy`` (default: the library's default policy;
    ``None`` applies none): a step its rules refuse is refused here, naming the event. Anything
    else wrong raises :class:`~partner_onboarding.errors.ValidationError`, every problem listed.
    """
    if not isinstance(cls, type) or cls not in DOCUMENT_TYPES:
        raise WrongType.single("cls", "must be a value class of the library", what="JSON")
    if not isinstance(catalog, Catalog):
        raise WrongType.single("catalog", "must be a Catalog", what="JSON")
    what = cls.__name__
    document = load_json(text, what=what)
    if not isinstance(document, dict):
        raise ValidationError.single("", "must be a JSON object (an envelope)", what=what)
    version = document.get("version")
    legacy = type(version) is int and version == 1
    expected = _ENVELOPE_V1 if legacy else _ENVELOPE
    problems = [Problem(key, "unknown field") for key in document if key not in expected]
    problems += [Problem(key, "is required") for key in expected if key not in document]
    if "version" in document and not (type(version) is int and version in _READ_VERSIONS):
        problems.append(
            Problem("version", f"unsupported version; this library reads 1 to {SCHEMA_VERSION}")
        )
    if "type" in document and document["type"] != what:
        problems.append(Problem("type", f"must be {what!r}"))
    written = catalog.id if legacy else document.get("catalog")
    if legacy and catalog is not DEFAULT_CATALOG:
        problems.append(
            Problem(
                "version", "a version 1 document names no catalog: read it with the default catalog"
            )
        )
    elif (
        written is not None
        and written != catalog.id
        and not (version == 2 and written == catalog.named)
    ):
        problems.append(
            Problem(
                "catalog",
                f"written with catalog {str(written)[:80]!r}, read with {catalog.id!r}; "
                "pass the catalog it was written with",
            )
        )
    if problems:
        raise ValidationError(problems, what=what)
    if cls is Partner and version in {1, 2}:
        return _legacy_partner(document["data"], catalog, policy)  # type: ignore[return-value]
    value = from_data(document["data"], cls, catalog=catalog, policy=policy)
    if not legacy and written is None and catalog_of(value) is not None:
        raise ValidationError.single(
            "catalog", "must name the catalog of the value's categories", what=what
        )
    return value


_ENVELOPE: Final = ("version", "type", "catalog", "data")
_READ_VERSIONS: Final = frozenset({1, 2, SCHEMA_VERSION})
#: The enums a document holds, each read by its value.
_ENUMS: Final = (
    PartnerRole,
    FirstCategory,
    ReviewStatus,
    Actor,
    EventKind,
    AgencyType,
    ReasonCode,
    Question,
    Bars,
    Subject,
    standing.Refusal,
)
_ENVELOPE_V1: Final = ("version", "type", "data")


def _values_of(module: object) -> frozenset[type]:
    """The value classes a module defines (its public attrs classes)."""
    return frozenset(
        kind
        for name, kind in vars(module).items()
        if isinstance(kind, type)
        and kind.__module__ == getattr(module, "__name__", None)
        and attrs.has(kind)
        and not name.startswith("_")
    )


#: The values of the standing page (:mod:`partner_onboarding.standing`).
_STANDING: Final = _values_of(standing)
#: The classes :func:`to_json` writes, :func:`from_json` reads and :func:`json_schema` describes:
#: the value classes of the model and of the standing page, markets, categories, the policy and
#: its decisions.
DOCUMENT_TYPES: Final[frozenset[type]] = frozenset(
    {
        *_values_of(model),
        *_STANDING,
        History,
        Market,
        Category,
        Decision,
        Verdict,
        Reason,
        Rule,
        Policy,
    }
)
# What structuring raises for bad data: cattrs' grouped errors, ours, and the built-ins that the
# generated code lets through (a missing key, a wrong type).
_STRUCTURE_ERRORS: Final = (
    cattrs.BaseValidationError,
    OnboardingError,
    ValueError,
    TypeError,
    KeyError,
)


def more_of(error: BaseException) -> int:
    """How many problems an exception raised while structuring stands for beyond those
    :func:`problems_of` lists (the ones past the most an error lists)."""
    if isinstance(error, ValidationError):
        return error.more
    if isinstance(error, ClassValidationError | IterableValidationError):
        return sum(map(more_of, error.exceptions))
    return 0


def problems_of(error: BaseException, path: str = "") -> list[Problem]:
    """The problems an exception raised while structuring stands for, with their field paths."""
    if isinstance(error, ValidationError):
        return [problem.under(path) for problem in error.problems]
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        found: list[Problem] = []
        for inner, note in with_notes:
            step = f"[{note.index}]" if isinstance(note, IterableValidationNote) else note.name
            found += problems_of(inner, Problem(step, "").under(path).path)
        for inner in without:
            found += problems_of(inner, path)
        return found
    if isinstance(error, ForbiddenExtraKeysError):
        return [Problem(key, "unknown field").under(path) for key in sorted(error.extra_fields)]
    if isinstance(error, UnknownCategory):
        return [Problem(path, str(error))]
    if isinstance(error, KeyError):
        return [Problem(path, "is required")]
    return [Problem(path, "has a value of the wrong type or shape")]


# --------------------------------------------------------------------------------------------------
# Hooks


def _strict(kind: type[T], described: str) -> Callable[[object, object], T]:
    def structure(value: object, _: object) -> T:
        if type(value) is not kind:
            raise ValidationError.single("", f"must be {described}")
        return value

    return structure


def _structure_int(value: object, _: object) -> int:
    if type(value) is not int:
        raise ValidationError.single("", "must be a whole number")
    return value


def _category(catalog: Catalog, value: object) -> Category:
    if not isinstance(value, str):
        raise ValidationError.single("", "must be a category code (a string)")
    return catalog.category(value)


def _enum_hook(kind: type[enum.Enum]) -> Callable[[object, object], enum.Enum]:
    values = {member.value: member for member in kind}

    def structure(value: object, _: object) -> enum.Enum:
        try:
            return values[value]
        except (KeyError, TypeError):
            allowed = ", ".join(repr(v) for v in values)
            raise ValidationError.single("", f"must be one of {allowed}") from None

    return structure


def _is_variadic_tuple(kind: object) -> bool:
    args = typing.get_args(kind)
    return typing.get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_optional(kind: object) -> bool:
    args = typing.get_args(kind)
    return (
        typing.get_origin(kind) in {typing.Union, types.UnionType}
        and len(args) == 2
        and type(None) in args
    )


def _present(kind: object) -> Any:
    """The type an optional type ``X | None`` holds when not ``None``: ``X``."""
    return next(arg for arg in typing.get_args(kind) if arg is not type(None))


def _optional_hook(converter: cattrs.Converter, kind: object) -> Callable[[object, object], Any]:
    inner = _present(kind)
    hook = converter.get_structure_hook(inner)

    def structure(value: object, _: object) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _optional_unstructure_hook(
    converter: cattrs.Converter, kind: object
) -> Callable[[object], Any]:
    hook = converter.get_unstructure_hook(_present(kind))

    def unstructure(value: object) -> Any:
        return None if value is None else hook(value)

    return unstructure


def _tuple_hook(
    converter: cattrs.Converter, kind: object
) -> Callable[[object, object], tuple[Any, ...]]:
    item_type = typing.get_args(kind)[0]
    hook = converter.get_structure_hook(item_type)

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise ValidationError.single("", "must be a list")
        try:
            return tuple([hook(item, item_type) for item in value])
        except _STRUCTURE_ERRORS:
            pass  # read again item by item below, to name every bad item
        items: list[Any] = []
        problems: list[Problem] = []
        more = 0
        for index, item in enumerate(value):
            if len(problems) >= MAX_PROBLEMS - 1:  # (the most an error lists: the rest unread)
                note_unread(problems, f"[{index}:]", len(value) - index, "item")
                break
            try:
                items.append(hook(item, item_type))
            except _STRUCTURE_ERRORS as error:
                problems += problems_of(error, f"[{index}]")
                more += more_of(error)
        if problems:
            raise ValidationError(problems, more=more)
        return tuple(items)

    return structure


def _class_hook(converter: cattrs.Converter, cls: type[T]) -> Callable[[object, object], T]:
    build = make_dict_structure_fn(cls, converter)

    def structure(value: object, _: object) -> T:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValidationError.single("", "must be a JSON object")
        return build(value, cls)

    return structure


# --------------------------------------------------------------------------------------------------
# Partners: their events, replayed


#: A partner's document data: the events, and what is written beside them for readers.
_PARTNER_FIELDS: Final[Mapping[str, object]] = {
    "partner_id": str,
    "revision": int,
    "events": tuple[PartnerEvent, ...],
}
_PARTNER_KEYS: Final = tuple(_PARTNER_FIELDS)


def _partner_from(
    data: object,
    events_hook: Callable[[object, object], tuple[PartnerEvent, ...]],
    policy: Policy | UseDefault | None,
) -> Partner:
    """A partner from its document's data: the events structured, then replayed under
    ``policy``; what is written beside them is checked against the replay."""
    if not isinstance(data, dict):
        raise ValidationError.single("", "must be a JSON object", what="Partner")
    problems = [Problem(key, "unknown field") for key in data if key not in _PARTNER_KEYS]
    problems += [Problem(key, "is required") for key in _PARTNER_KEYS if key not in data]
    if problems:
        raise ValidationError(problems, what="Partner")
    try:
        events = events_hook(data["events"], tuple[PartnerEvent, ...])
    except _STRUCTURE_ERRORS as error:
        raise ValidationError(
            problems_of(error, "events"), what="Partner", more=more_of(error)
        ) from None
    partner = lifecycle.replay(events, policy=policy)
    if data["partner_id"] != partner.partner_id:
        problems.append(Problem("partner_id", "must be the partner_id of the events"))
    if type(data["revision"]) is not int or data["revision"] != partner.revision:
        problems.append(Problem("revision", f"must be {partner.revision}, the number of events"))
    if problems:
        raise ValidationError(problems, what="Partner")
    return partner


@attrs.frozen(kw_only=True)
class _StoredState:
    """How documents of versions 1 and 2 stored a partner: its state, with the histories."""

    account: Account
    roles_granted: tuple[RoleGrant, ...]
    registration_market: Market = Market.US
    agency_type: AgencyType = AgencyType.LOCAL
    entity: EntityReview | None = None
    applications: tuple[Application, ...] = ()
    authorizations: tuple[SellerAuthorization, ...] = ()


def _legacy_partner(data: object, catalog: Catalog, policy: Policy | UseDefault | None) -> Partner:
    """A partner of a version 1 or 2 document: its state turned into the events that make it,
    then replayed under ``policy`` like any other (docs/decisions.md)."""
    try:
        state = from_data(data, _StoredState, catalog=catalog)
    except WrongType:
        raise
    except ValidationError as error:  # (named as the document's type, not the reader's own)
        raise ValidationError(error.problems, what="Partner", more=error.more) from None
    if not state.roles_granted:
        raise ValidationError.single("roles_granted", "must hold at least one role", what="Partner")
    return lifecycle.replay(_events_of(state), policy=policy)


def _events_of(state: _StoredState) -> list[PartnerEvent]:
    """The events a stored state stands for, in the order of their instants (at one instant:
    roles, then the entity, then applications in their order, then authorisations)."""
    first = state.roles_granted[0]
    partner_id = lifecycle.derived_partner_id(state.account, first.at)
    steps: list[tuple[dt.datetime, int, int, int, dict[str, Any]]] = []
    register = {
        "subject": Subject.PARTNER,
        "kind": EventKind.REGISTER,
        "account": state.account,
        "role": first.role,
        "registration_market": state.registration_market,
        "agency_type": state.agency_type,
    }
    steps.append((first.at, 0, 0, 0, register))
    for index, grant in enumerate(state.roles_granted[1:], start=1):
        steps.append(
            (
                grant.at,
                0,
                index,
                0,
                {"subject": Subject.PARTNER, "kind": EventKind.ADD_ROLE, "role": grant.role},
            )
        )
    if state.entity is not None:
        review = state.entity
        for index, event in enumerate(review.history):
            payload: dict[str, Any] = {"subject": Subject.ENTITY, "kind": event.kind}
            if event.kind in {EventKind.SUBMIT, EventKind.MODIFY}:
                payload["entity"] = review.entity
            elif event.kind is EventKind.APPROVE:
                payload["approves"] = content_digest(review.entity)
            if event.reasons:
                payload["reasons"] = event.reasons
            steps.append((event.at, 1, 0, index, payload))
    for position, application in enumerate(state.applications):
        steps += _application_steps(position, application)
    for index, authorization in enumerate(state.authorizations):
        payload = {
            "subject": Subject.PARTNER,
            "kind": EventKind.AUTHORIZE_SELLER,
            "category": authorization.category,
            "market": authorization.market,
            "seller_id": authorization.seller_id,
        }
        steps.append((authorization.at, 3, index, 0, payload))
    steps.sort(key=lambda step: step[:4])
    return [
        PartnerEvent(
            partner_id=partner_id,
            seq=seq,
            at=at,
            actor=lifecycle.ACTORS[payload["kind"]],
            **payload,
        )
        for seq, (at, _, _, _, payload) in enumerate(steps, start=1)
    ]


def _application_steps(
    position: int, application: Application
) -> list[tuple[dt.datetime, int, int, int, dict[str, Any]]]:
    """The events one stored application stands for. A stored history keeps only the current
    information and the revision waiting: each submission, modification and edit carries the
    current information, the edit still waiting carries the revision."""
    steps: list[tuple[dt.datetime, int, int, int, dict[str, Any]]] = []
    last_edit = max(
        (i for i, e in enumerate(application.history) if e.kind is EventKind.EDIT),
        default=None,
    )
    for index, event in enumerate(application.history):
        if event.kind is EventKind.REGENERATE:
            continue  # (made again by the system_reject of the application it replaces)
        payload: dict[str, Any] = {
            "subject": Subject.APPLICATION,
            "kind": event.kind,
            "category": application.category,
            "market": application.market,
        }
        if event.kind in {EventKind.SUBMIT, EventKind.MODIFY, EventKind.EDIT}:
            pending = application.pending_revision
            payload["info"] = (
                pending if index == last_edit and pending is not None else application.info
            )
        elif event.kind in {EventKind.APPROVE, EventKind.APPROVE_REVISION}:
            payload["approves"] = content_digest(application.info)
        if event.reasons:
            payload["reasons"] = event.reasons
        steps.append((event.at, 2, position, index, payload))
    return steps


# --------------------------------------------------------------------------------------------------
# JSON Schema: generated from the types the converter reads, so the two cannot drift apart


def json_schema(
    cls: type, *, catalog: Catalog = DEFAULT_CATALOG, secrets: bool = True
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document :func:`to_json` writes for a ``cls``.

    It is made from the same field types the converter reads: the envelope, then ``data`` as a
    reference into ``$defs``, one definition per class, fields typed as they are written
    (instants as ``date-time`` strings, enums and categories by their values, markets by ISO
    code), unknown fields refused. A schema says the shape; the library's values check the rest
    (an EIN's pattern, a history's order, the replay of a partner's events), so a document the
    schema accepts may still be refused by :func:`from_json`, always with a
    :class:`~partner_onboarding.errors.ValidationError`. The result is a fresh copy of a cached
    schema: change it freely. ``secrets=False`` describes the document ``to_json(…,
    secrets=False)`` writes for a client (accounts without their password hash).
    """
    if not isinstance(cls, type) or cls not in DOCUMENT_TYPES:
        raise WrongType.single("cls", "must be a value class of the library", what="schema")
    if not isinstance(catalog, Catalog):
        raise WrongType.single("catalog", "must be a Catalog", what="schema")
    if type(secrets) is not bool:
        raise WrongType.single("secrets", "must be True or False", what="schema")
    return json.loads(_schema_text(cls, catalog, secrets))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _schema_text(cls: type, catalog: Catalog, secrets: bool) -> str:  # noqa: FBT001  (cached)
    return json.dumps(_Schema(catalog, secrets=secrets).document(cls))


class _Schema:
    """Builds one document's schema, collecting the definitions of the classes it meets."""

    def __init__(self, catalog: Catalog, *, secrets: bool) -> None:
        self.catalog = catalog
        self.secrets = secrets
        self.defs: dict[str, dict[str, Any]] = {}

    def document(self, cls: type) -> dict[str, Any]:
        data = self.of(cls)
        # The envelope names the catalog of the categories a value holds (a policy's are its
        # discontinued categories, written by code), or null when it holds none.
        if cls is Policy or _CATEGORY in self.defs:
            catalog: dict[str, Any] = {"enum": [self.catalog.id, None]}
        else:
            catalog = {"type": "null"}
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{cls.__name__} document",
            "type": "object",
            "properties": {
                "version": {"const": SCHEMA_VERSION},
                "type": {"const": cls.__name__},
                "catalog": catalog,
                "data": data,
            },
            "required": list(_ENVELOPE),
            "additionalProperties": False,
        }
        if self.defs:
            schema["$defs"] = dict(sorted(self.defs.items()))
        return schema

    def of(self, kind: Any) -> dict[str, Any]:  # noqa: PLR0911  (a branch a kind of type)
        """The schema of a value of ``kind`` as the converter writes and reads it."""
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if _is_optional(kind):
            return {"anyOf": [self.of(_present(kind)), {"type": "null"}]}
        if _is_variadic_tuple(kind) or origin is frozenset:
            return {"type": "array", "items": self.of(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if kind in _SIMPLE_SCHEMAS:
            return dict(_SIMPLE_SCHEMAS[kind])
        if kind in _ENUMS:
            return {"enum": [member.value for member in kind]}
        if kind is Market:
            return self._define("Market", lambda: {"enum": sorted(Market.codes())})
        if kind is Category:
            return self._define(_CATEGORY, lambda: {"enum": [c.code for c in self.catalog]})
        if kind is History:
            return self.of(tuple[Event, ...])
        if kind is Cutoff:
            return self._define("Cutoff", self._cutoff)
        if isinstance(kind, type) and attrs.has(kind):
            return self._define(kind.__name__, lambda: self._object(kind))
        raise TypeError(f"no JSON Schema for {kind!r}")  # (a new field type: add it above)

    def _define(self, name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A reference to the definition ``name``, built the first time it is met."""
        if name not in self.defs:
            self.defs[name] = {}  # (taken before building: a class may refer to itself)
            self.defs[name] = build()
        return {"$ref": f"#/$defs/{name}"}

    def _cutoff(self) -> dict[str, Any]:
        """A rule of a policy, as :meth:`Cutoff.to_data` writes it."""
        when = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
        return {
            "type": "object",
            "properties": {
                "categories": {
                    "type": "array",
                    "items": {"enum": [c.code for c in self.catalog.legacy()]},
                    "minItems": 1,
                },
                "question": self.of(Question),
                "bars": self.of(Bars),
                "from": when,
                "registered_from": when,
            },
            "required": ["categories", "question", "bars", "from"],
            "additionalProperties": False,
        }

    def _object(self, cls: type) -> dict[str, Any]:
        fields = _document_fields(cls)
        if cls is Account and not self.secrets:
            fields = [field for field in fields if field[0] != "password_hash"]
        return {
            "type": "object",
            "properties": {name: self.of(kind) for name, kind, _ in fields},
            "required": [name for name, _, required in fields if required],
            "additionalProperties": False,
        }


def _document_fields(cls: type) -> list[tuple[str, object, bool]]:
    """(name, type, required) of each field a document of ``cls`` holds in its data."""
    if cls is Partner:
        return [(name, kind, True) for name, kind in _PARTNER_FIELDS.items()]
    hints = typing.get_type_hints(cls)
    fields = [
        (field.name, hints[field.name], field.default is attrs.NOTHING)
        for field in attrs.fields(cls)
        if field.init
    ]
    if cls is not Policy:
        return fields
    # A policy is written by Policy.to_data: its fields as data, without the catalog (which the
    # envelope names), with its id.
    written = [
        (name, _POLICY_WRITES.get(name, kind), False)
        for name, kind, _ in fields
        if name != "catalog"
    ]
    return [("version", int, False), *written, ("id", str, False)]


_CATEGORY: Final = "Category"  # (written as its code: its definition is the catalog's codes)
#: The types whose schema is one fixed piece.
_SIMPLE_SCHEMAS: Final[Mapping[object, Mapping[str, Any]]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
    PasswordHash: {"type": "string", "pattern": "^scrypt\\$"},
}
#: How :meth:`Policy.to_data` writes the fields it writes otherwise than their type says.
_POLICY_WRITES: Final[Mapping[str, object]] = {
    "role_overrides": dict[str, PartnerRole],
}
