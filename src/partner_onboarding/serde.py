"""JSON for every public value, through one dedicated cattrs converter.

The shape is versioned. A document is an envelope::

    {"version": 1, "type": "Entity", "data": {...}}

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

from partner_onboarding import model
from partner_onboarding._time import format_instant, parse_instant
from partner_onboarding.catalog import (
    DEFAULT_CATALOG,
    Catalog,
    Category,
    FirstCategory,
    Market,
    PartnerRole,
)
from partner_onboarding.errors import OnboardingError, Problem, UnknownCategory, ValidationError
from partner_onboarding.model import (
    Actor,
    Event,
    EventKind,
    History,
    PasswordHash,
    ReviewStatus,
)
from partner_onboarding.policy import Policy

__all__ = [
    "SCHEMA_VERSION",
    "from_data",
    "from_json",
    "make_converter",
    "to_data",
    "to_json",
]

T = TypeVar("T")

#: The version of the JSON shape written by :func:`to_json` and read by :func:`from_json`.
SCHEMA_VERSION: Final = 1


def make_converter(catalog: Catalog = DEFAULT_CATALOG) -> cattrs.Converter:
    """A converter for the library's values; categories are read through ``catalog``."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(int, _structure_int)
    # The enums are str subclasses: each gets its own (more specific) hook, by value.
    for kind in (PartnerRole, FirstCategory, ReviewStatus, Actor, EventKind):
        converter.register_structure_hook(kind, _enum_hook(kind))

    converter.register_unstructure_hook(dt.datetime, format_instant)
    converter.register_structure_hook(dt.datetime, lambda value, _: parse_instant(value))

    converter.register_unstructure_hook(Market, str)
    converter.register_structure_hook(Market, lambda value, _: Market.parse(value))

    converter.register_unstructure_hook(Category, lambda category: category.code)
    converter.register_structure_hook(Category, lambda value, _: _category(catalog, value))

    converter.register_unstructure_hook(PasswordHash, str)
    converter.register_structure_hook(PasswordHash, lambda value, _: PasswordHash.parse(value))

    converter.register_unstructure_hook(
        History, lambda history: [converter.unstructure(event) for event in history]
    )
    converter.register_structure_hook(
        History, lambda value, _: History(converter.structure(value, tuple[Event, ...]))
    )

    converter.register_structure_hook_factory(
        _is_variadic_tuple, functools.partial(_tuple_hook, converter)
    )
    converter.register_structure_hook_factory(attrs.has, functools.partial(_class_hook, converter))
    return converter


@functools.cache
def _converter(catalog: Catalog) -> cattrs.Converter:
    return make_converter(catalog)


def to_data(value: object) -> Any:
    """``value`` as plain JSON-ready Python data (dicts, lists, strings, numbers).

    ``value`` is one of the library's values (what :func:`from_data` reads back); anything else
    raises :class:`~partner_onboarding.errors.ValidationError`.
    """
    kind = type(value)
    if kind not in _WRITABLE:
        hint = "; write a policy with Policy.to_json or to_toml" if kind is Policy else ""
        raise ValidationError.single(
            "", f"a {kind.__name__} is not a value this module writes{hint}", what="JSON"
        )
    return _converter(DEFAULT_CATALOG).unstructure(value)


def from_data(data: object, cls: type[T], *, catalog: Catalog = DEFAULT_CATALOG) -> T:
    """A ``cls`` from plain data as :func:`to_data` gives it; every problem raised at once."""
    try:
        return _converter(catalog).structure(data, cls)
    except ValidationError as error:
        raise ValidationError(error.problems, what=cls.__name__) from None
    except _STRUCTURE_ERRORS as error:
        raise ValidationError(problems_of(error), what=cls.__name__) from None


def to_json(value: object, *, indent: int | None = None) -> str:
    """``value`` as a versioned JSON document."""
    envelope = {"version": SCHEMA_VERSION, "type": type(value).__name__, "data": to_data(value)}
    return json.dumps(envelope, ensure_ascii=False, indent=indent)


def from_json(text: str | bytes, cls: type[T], *, catalog: Catalog = DEFAULT_CATALOG) -> T:
    """The ``cls`` value that :func:`to_json` wrote as ``text``.

    Anything else raises :class:`~partner_onboarding.errors.ValidationError`, every problem listed.
    """
    what = cls.__name__
    try:
        document = json.loads(text)
    except (ValueError, TypeError) as error:  # JSONDecodeError, bad bytes, huge numbers
        raise ValidationError.single("", f"not a JSON document ({error})", what=what) from None
    if not isinstance(document, dict):
        raise ValidationError.single("", "must be a JSON object (an envelope)", what=what)
    problems = [Problem(key, "unknown field") for key in document if key not in _ENVELOPE]
    problems += [Problem(key, "is required") for key in _ENVELOPE if key not in document]
    if "version" in document and document["version"] != SCHEMA_VERSION:
        problems.append(
            Problem("version", f"unsupported version; this library reads {SCHEMA_VERSION}")
        )
    if "type" in document and document["type"] != what:
        problems.append(Problem("type", f"must be {what!r}"))
    if problems:
        raise ValidationError(problems, what=what)
    return from_data(document["data"], cls, catalog=catalog)


_ENVELOPE: Final = ("version", "type", "data")
#: What to_json writes and from_json reads: the value classes of the model, markets and categories.
_WRITABLE: Final = frozenset(
    {
        *(
            kind
            for kind in vars(model).values()
            if isinstance(kind, type) and kind.__module__ == model.__name__ and attrs.has(kind)
        ),
        History,
        Market,
        Category,
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


def _tuple_hook(
    converter: cattrs.Converter, kind: object
) -> Callable[[object, object], tuple[Any, ...]]:
    item_type = typing.get_args(kind)[0]

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise ValidationError.single("", "must be a list")
        items, problems = [], []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, item_type))
            except _STRUCTURE_ERRORS as error:
                problems += problems_of(error, f"[{index}]")
        if problems:
            raise ValidationError(problems)
        return tuple(items)

    return structure


def _class_hook(converter: cattrs.Converter, cls: type[T]) -> Callable[[object, object], T]:
    build = make_dict_structure_fn(cls, converter)

    def structure(value: object, _: object) -> T:
        if not isinstance(value, Mapping):
            raise ValidationError.single("", "must be a JSON object")
        return build(value, cls)

    return structure
