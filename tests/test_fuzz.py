"""Fuzzed input: arbitrary and mutated JSON, policies and CSV/JSONL rows give only typed errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pathlib
import tempfile
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_onboarding import (
    DEFAULT_CATALOG,
    Account,
    Address,
    Application,
    Category,
    CategoryInfo,
    ContactPerson,
    DocumentRef,
    Entity,
    Market,
    Partner,
    PartnerRole,
    ValidationError,
    from_json,
    to_json,
)
from partner_onboarding._documents import load_json, load_toml
from partner_onboarding.batch import check_rows
from partner_onboarding.catalog import extend_catalog
from partner_onboarding.cli import main
from partner_onboarding.model import (
    EntityReview,
    Event,
    PasswordHash,
    ReviewStatus,
    RoleGrant,
    SellerAuthorization,
)
from partner_onboarding.policy import Policy
from partner_onboarding.testing import (
    accounts,
    addresses,
    applications,
    category_infos,
    contact_people,
    documents,
    entities,
    partners,
    policies,
)

VALUES: dict[type, st.SearchStrategy[Any]] = {
    Account: accounts(),
    Address: addresses(),
    Application: applications(),
    CategoryInfo: category_infos(),
    ContactPerson: contact_people(),
    DocumentRef: documents(),
    Entity: entities(),
    Partner: partners(max_steps=8),
}

# Text with what breaks readers: NUL, a right-to-left override, a BOM, emoji, lone surrogates
# (a JSON "\ud800" reads as one), and now and then a long run (past the field limits, which
# the library checks before any parsing).
odd_text = st.text(
    st.characters() | st.sampled_from("\x00\u202e\ufeff\U0001f600\ud800\udfff"),
    max_size=30,
) | st.builds(lambda ch, n: ch * n, st.sampled_from("x@9 \ud800"), st.integers(4_000, 20_000))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.integers().map(lambda n: n * 10**400)  # (numbers far beyond any field's range)
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4)
    ),
    max_leaves=15,
)
# Nesting past what Python's own recursion allows, built as text (json.dumps would recurse).
deep_text = st.builds(
    lambda opener, depth: opener * depth,
    st.sampled_from(["[", '{"a":', '[{"data":']),
    st.integers(1_000, 50_000),
)


def assert_typed(error: ValidationError) -> None:
    assert error.problems
    for problem in error.problems:
        assert isinstance(problem.path, str)
        assert problem.reason


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda cls: cls.__name__)
@given(document=json_values)
def test_arbitrary_documents(cls: type, document: Any) -> None:
    for text in (
        json.dumps(document),
        json.dumps({"version": 1, "type": cls.__name__, "data": document}),
    ):
        try:
            from_json(text, cls)
        except ValidationError as error:
            assert_typed(error)


@given(st.binary(max_size=40) | odd_text | deep_text)
def test_arbitrary_bytes_and_text(raw: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        from_json(raw, Entity)
    assert_typed(caught.value)


def mutate(node: Any, draw: Any) -> Any:
    """One random change somewhere in a JSON tree: a value replaced, a key dropped or renamed."""
    if isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node)))
        action = draw(st.sampled_from(["replace", "drop", "rename", "descend"]))
        changed = dict(node)
        if action == "replace":
            changed[key] = draw(json_values)
        elif action == "drop":
            del changed[key]
        elif action == "rename":
            changed[key + "_x"] = changed.pop(key)
        else:
            changed[key] = mutate(node[key], draw)
        return changed
    if isinstance(node, list) and node:
        index = draw(st.integers(0, len(node) - 1))
        changed_list = list(node)
        changed_list[index] = (
            mutate(node[index], draw) if draw(st.booleans()) else draw(json_values)
        )
        return changed_list
    return draw(json_values)


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_mutated_valid_documents(cls: type, data: st.DataObject) -> None:
    value = data.draw(VALUES[cls])
    document = json.loads(to_json(value))
    mutated = mutate(document, data.draw)
    try:
        from_json(json.dumps(mutated), cls)
    except ValidationError as error:
        assert_typed(error)


@given(json_values)
def test_arbitrary_policy_data(data: Any) -> None:
    loads: list[Callable[[], object]] = [
        lambda: Policy.from_data(data),
        lambda: Policy.from_json(json.dumps(data)),
        lambda: Policy.from_toml(str(data)),
    ]
    for load in loads:
        try:
            load()
        except ValidationError as error:
            assert_typed(error)


@given(policies(), st.data())
def test_mutated_policies(policy: Policy, data: st.DataObject) -> None:
    mutated = mutate(policy.to_data(), data.draw)
    try:
        Policy.from_data(mutated)
    except ValidationError as error:
        assert_typed(error)


GOOD = {"partner_id": "GOOD", "registered_at": "2024-01-10", "category": "Shop Management"}
row_values = st.dictionaries(
    st.sampled_from(
        [
            "partner_id",
            "registered_at",
            "category",
            "market",
            "question",
            "status",
            "approved_categories",
            "other",
        ]
    ),
    json_values,
    max_size=8,
)


@given(st.lists(row_values | json_values, max_size=6))
def test_bad_rows_never_stop_the_good_ones(rows: list[Any]) -> None:
    records = check_rows(
        [GOOD, *rows, GOOD],
        at=dt.date(2024, 5, 20),
        on_error="record",
    )
    good = [r for r in records if r["partner_id"] == "GOOD" and r["error"] is None]
    assert len(good) == 4
    assert {r["row"] for r in records} == set(range(len(rows) + 2))


@given(st.lists(row_values, max_size=5), st.lists(odd_text, max_size=3))
def test_cli_readers_survive_garbage(rows: list[dict[str, Any]], garbage: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        jsonl = pathlib.Path(folder) / "rows.jsonl"
        lines = [json.dumps(GOOD), *(json.dumps(r) for r in rows), *garbage, json.dumps(GOOD)]
        # (a lone surrogate goes to the file as the bytes a careless writer produces: not UTF-8)
        jsonl.write_text(
            "\n".join(line.replace("\n", " ") for line in lines),
            encoding="utf-8",
            errors="surrogatepass",
        )
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer,
            fieldnames=["partner_id", "registered_at", "category", "market"],
            extrasaction="ignore",
        )
        writer.writeheader()
        writer.writerow(GOOD)
        for row in rows:
            writer.writerow(
                {k: json.dumps(v) if not isinstance(v, str) else v for k, v in row.items()}
            )
        writer.writerow(GOOD)
        table = pathlib.Path(folder) / "rows.csv"
        table.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
        for path in (jsonl, table):
            out, err = io.StringIO(), io.StringIO()
            code = main(
                ["check", str(path), "--at", "2024-05-20", "--format", "json"], out=out, err=err
            )
            assert code in {0, 2}
            records = [json.loads(line) for line in out.getvalue().split("\n") if line]
            assert sum(1 for r in records if r["partner_id"] == "GOOD") == 4
            assert "Traceback" not in err.getvalue()


# Every public value class, built directly (not from JSON) with arbitrary Python values: what a
# caller's own code may pass by mistake.
CLASSES = [
    *VALUES,
    Category,
    Event,
    EntityReview,
    Market,
    PasswordHash,
    Policy,
    RoleGrant,
    SellerAuthorization,
]
python_values = (
    json_values
    | st.sampled_from(
        [
            object(),
            Market.US,
            (),
            (None,),
            frozenset({1}),
            dt.datetime(2024, 1, 1),  # noqa: DTZ001  (naive, on purpose)
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            ReviewStatus.APPROVED,
            PartnerRole.SELLER_SERVICE_PARTNER,
        ]
    )
    | st.builds(lambda: DEFAULT_CATALOG.category("Paid Media"))
)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_values_built_from_arbitrary_arguments(cls: type, data: st.DataObject) -> None:
    # Every required argument (a missing one is Python's own TypeError, which mypy reports) and
    # any of the optional ones.
    fields = [field for field in attrs.fields(cls) if field.init]
    optional = [field.alias for field in fields if field.default is not attrs.NOTHING]
    names = [field.alias for field in fields if field.default is attrs.NOTHING]
    names += data.draw(
        st.lists(st.sampled_from(optional), unique=True) if optional else st.just([])
    )
    arguments = {name: data.draw(python_values, label=name) for name in names}
    try:
        cls(**arguments)
    except ValidationError as error:
        assert_typed(error)


CATALOG_FILE = {
    "name": "partner-center-us",
    "version": "2025.03",
    "categories": [
        {
            "code": "live_coaching",
            "name": "LIVE Coaching",
            "first_category": "seller_service",
            "role": "seller_service_partner",
            "aliases": ["Live-Coaching"],
            "legacy": True,
        }
    ],
}


@given(st.one_of(json_values, st.builds(lambda d: {"categories": d}, json_values)))
def test_arbitrary_catalog_files(data: Any) -> None:
    loads: list[Callable[[], object]] = [
        lambda: extend_catalog(data),
        lambda: extend_catalog(load_json(json.dumps(data), what="catalog")),
        lambda: extend_catalog(load_toml(str(data), what="catalog")),
    ]
    for load in loads:
        try:
            load()
        except ValidationError as error:
            assert_typed(error)


@given(st.data())
def test_mutated_catalog_files(data: st.DataObject) -> None:
    mutated = mutate(CATALOG_FILE, data.draw)
    try:
        catalog = extend_catalog(mutated)
    except ValidationError as error:
        assert_typed(error)
    else:  # (what it accepts is a catalog of the default one and what it adds)
        assert {c.code for c in DEFAULT_CATALOG} <= {c.code for c in catalog}
