"""JSON Schema for the wire: every document the library writes is valid under the schema of its
type, the schemas are made from the converter's own types, and documents drawn from a schema are
loaded or refused with the library's typed error, never anything else."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _catalogs import CUSTOM
from partner_onboarding import (
    DEFAULT_CATALOG,
    DEFAULT_POLICY,
    DocumentRef,
    History,
    Partner,
    lifecycle,
)
from partner_onboarding.errors import ValidationError
from partner_onboarding.serde import DOCUMENT_TYPES, from_json, json_schema, to_json
from partner_onboarding.standing import profile, requirements, role_switch
from partner_onboarding.testing import (
    approved_partner,
    instants_around,
    partners,
    policies,
    sample_entity,
    sample_info,
)

AT = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
TYPES = sorted(DOCUMENT_TYPES, key=str)


def validator(cls: type, *, secrets: bool = True) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(
        json_schema(cls, secrets=secrets),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def values_within(value: object) -> Iterator[object]:
    """``value`` and every value of a document type it holds, at any depth."""
    if type(value) in DOCUMENT_TYPES:
        yield value
    if isinstance(value, tuple | History):
        for item in value:
            yield from values_within(item)
    elif attrs.has(kind := type(value)) and kind.__module__.startswith("partner_onboarding"):
        for field in attrs.fields(kind):
            if field.name != "catalog" or not isinstance(value, type(DEFAULT_POLICY)):
                yield from values_within(getattr(value, field.name))


def documents_of(partner: Partner, at: dt.datetime, policy: Any = DEFAULT_POLICY) -> list[object]:
    """Every value a service would write about ``partner`` at ``at``."""
    roots: list[object] = [
        partner,
        profile(partner, at=at, policy=policy),
        requirements(partner, at=at, policy=policy),
        role_switch(partner, at=at),
        policy,
        *partner.events,
    ]
    if partner.finance_identity is not None:
        roots.append(partner.finance_identity)
    for application in partner.applications:
        decision = policy.can_register(
            partner, application.category, market=application.market, at=at
        )
        roots += [decision, decision.verdict]
    return [found for root in roots for found in values_within(root)]


def busy_partner() -> Partner:
    """A partner holding something of every kind: roles, an approved entity, applications
    approved, rejected and under review, a revision waiting, a seller authorisation."""
    letter = DocumentRef.of("ein-letter.pdf", b"%PDF-1.7")
    entity = attrs.evolve(sample_entity(), documents=(letter,))
    account = approved_partner(at=AT).account
    partner = lifecycle.choose_role(account, "Seller Service Partner", at=AT)
    partner = lifecycle.submit_entity(partner, entity, at=AT)
    partner = lifecycle.approve_entity(partner, at=AT)
    for category in ("Paid Media", "Shop Management"):
        partner = lifecycle.apply(partner, category, sample_info(category), at=AT)
        partner = lifecycle.approve(partner, category, at=AT)
    later = AT + dt.timedelta(days=1)
    partner = lifecycle.edit(partner, "Shop Management", sample_info("Shop Management"), at=later)
    partner = lifecycle.apply(partner, "LIVE Management", sample_info("LIVE Management"), at=later)
    partner = lifecycle.reject(partner, "LIVE Management", ["team too small"], at=later)
    return lifecycle.authorize_seller(partner, "Paid Media", seller_id="S-1", at=later)


def test_every_document_type_is_met_and_valid_under_its_schema() -> None:
    values = documents_of(busy_partner(), AT + dt.timedelta(days=2))
    values += [DEFAULT_CATALOG.category("paid_media"), busy_partner().account.password_hash]
    met = {type(value) for value in values}
    assert met == DOCUMENT_TYPES  # (a new document type must be added to this walk)
    for value in values:
        errors = list(validator(type(value)).iter_errors(json.loads(to_json(value))))
        assert not errors, (type(value).__name__, [error.message for error in errors][:3])


def test_a_client_document_holds_no_password_hash_and_is_valid_under_its_own_schema() -> None:
    partner = busy_partner()
    values = documents_of(partner, AT + dt.timedelta(days=2))
    hashed = str(partner.account.password_hash)
    for value in values:
        text = to_json(value, secrets=False)
        document = json.loads(text)
        if type(value) is not type(partner.account.password_hash):
            assert hashed not in text, type(value).__name__
            assert "password_hash" not in text, type(value).__name__
        errors = list(validator(type(value), secrets=False).iter_errors(document))
        assert not errors, (type(value).__name__, [error.message for error in errors][:3])
    # What holds no account is written the same either way; what holds one differs only there.
    needs = requirements(partner, at=AT + dt.timedelta(days=2))
    assert to_json(needs, secrets=False) == to_json(needs)
    assert "password_hash" in json_schema(Partner)["$defs"]["Account"]["required"]
    client = json_schema(Partner, secrets=False)
    assert "password_hash" not in client["$defs"]["Account"]["properties"]


def test_a_client_document_is_a_view_not_a_stored_form() -> None:
    partner = busy_partner()
    with pytest.raises(ValidationError) as caught:
        from_json(to_json(partner, secrets=False), Partner)
    assert caught.value.fields == ("events[0].account.password_hash",)
    assert from_json(to_json(partner), Partner) == partner  # (the storage form reads back)


@pytest.mark.parametrize("secrets", [None, 0, "no"])
def test_secrets_is_true_or_false(secrets: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        to_json(busy_partner(), secrets=secrets)
    assert caught.value.fields == ("secrets",)
    with pytest.raises(ValidationError) as caught:
        json_schema(Partner, secrets=secrets)
    assert str(caught.value) == "invalid schema: 1 problem\n  - secrets: must be True or False"


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(partners(max_steps=8), policies(), st.data())
def test_what_to_json_writes_is_valid_under_the_schema(
    partner: Partner, policy: Any, data: st.DataObject
) -> None:
    at = data.draw(instants_around(*policy.instants))
    at = max(at, partner.events[-1].at)
    for value in documents_of(partner, at, policy):
        document = json.loads(to_json(value))
        errors = [error.message for error in validator(type(value)).iter_errors(document)]
        assert not errors, (type(value).__name__, errors[:3])


@pytest.mark.parametrize("cls", TYPES)
def test_each_schema_is_a_2020_12_schema_of_its_envelope(cls: type) -> None:
    schema = json_schema(cls)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["type"] == {"const": cls.__name__}
    assert schema["required"] == ["version", "type", "catalog", "data"]
    assert schema["additionalProperties"] is False


def test_the_schema_refuses_what_the_reader_refuses() -> None:
    partner = busy_partner()
    document = json.loads(to_json(partner))
    check = validator(Partner)
    extra = {**document, "data": {**document["data"], "colour": "blue"}}
    missing = {**document, "data": {k: v for k, v in document["data"].items() if k != "events"}}
    event = dict(document["data"]["events"][0], kind="teleport")
    bad_kind = {**document, "data": {**document["data"], "events": [event]}}
    for forged in (extra, missing, bad_kind):
        assert not check.is_valid(forged)
        with pytest.raises(ValidationError):
            from_json(json.dumps(forged), Partner)


def test_a_schema_names_the_catalog_it_was_made_for() -> None:
    default = json_schema(Partner)
    custom = json_schema(Partner, catalog=CUSTOM)
    assert default["properties"]["catalog"] == {"enum": [DEFAULT_CATALOG.id, None]}
    assert custom["properties"]["catalog"] == {"enum": [CUSTOM.id, None]}
    assert "live_coaching" in custom["$defs"]["Category"]["enum"]
    assert "live_coaching" not in default["$defs"]["Category"]["enum"]
    assert json_schema(type(DEFAULT_POLICY))["properties"]["catalog"] == {
        "enum": [DEFAULT_CATALOG.id, None]
    }


def test_the_schema_is_a_fresh_copy_each_time() -> None:
    schema = json_schema(Partner)
    schema["properties"].clear()
    assert json_schema(Partner)["properties"]["data"] == {"$ref": "#/$defs/Partner"}


@pytest.mark.parametrize("cls", [dict, int, "Partner", None, ValidationError])
def test_a_schema_is_refused_for_what_the_library_does_not_write(cls: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        json_schema(cls)
    assert str(caught.value) == (
        "invalid schema: 1 problem\n  - cls: must be a value class of the library"
    )
    with pytest.raises(ValidationError) as caught:
        json_schema(Partner, catalog="default")  # type: ignore[arg-type]
    assert str(caught.value) == "invalid schema: 1 problem\n  - catalog: must be a Catalog"


# ------------------------------------------------------------------------------------------------
# Documents drawn from the schemas (hypothesis-jsonschema). It drives Hypothesis internals that
# newer Hypothesis releases changed, so this runs in its own step of .ci/run, with the Hypothesis
# it works with (the schema-fuzz extra).


@pytest.mark.schema_fuzz
@pytest.mark.parametrize("cls", TYPES)
def test_documents_drawn_from_a_schema_load_or_are_refused_with_a_typed_error(cls: type) -> None:
    from hypothesis_jsonschema import from_schema  # noqa: PLC0415

    check = validator(cls)

    @settings(max_examples=60, suppress_health_check=list(HealthCheck), deadline=None)
    @given(from_schema(json_schema(cls)))
    def loads_or_refuses(document: Any) -> None:
        try:
            value: object = from_json(json.dumps(document), cls)
        except ValidationError:
            return
        assert type(value) is cls
        assert check.is_valid(json.loads(to_json(value)))  # (what it writes back is valid too)

    loads_or_refuses()


# --------------------------------------------------------------------------------------------------
# The published schemas, whole

GOLDEN = pathlib.Path(__file__).parent / "golden" / "schemas.json"


def _schemas() -> dict[str, Any]:
    """Every document type's schema, and a client's document's (``secrets=False``) where it
    differs."""
    schemas: dict[str, Any] = {}
    for cls in TYPES:
        stored, client = json_schema(cls), json_schema(cls, secrets=False)
        schemas[cls.__name__] = stored
        if client != stored:
            schemas[f"{cls.__name__} (secrets=False)"] = client
    return schemas


def test_the_schemas_are_the_published_ones() -> None:
    # The schemas are a contract with other programs: a change is made on purpose and seen whole
    # in a diff of tests/golden/schemas.json (``python tests/test_schema.py`` writes it again).
    assert _schemas() == json.loads(GOLDEN.read_text(encoding="utf-8"))


if __name__ == "__main__":
    import re

    text = json.dumps(_schemas(), indent=1, sort_keys=True)
    # (a list of plain values on one line: the markets' codes are a long one)
    scalars = re.compile(
        r'\[\n\s*((?:"[^"\n]*"|[-\d.]+|true|false|null)(?:,\n\s*(?:"[^"\n]*"|[-\d.]+|true|false|null))*)\n\s*\]'
    )
    text = scalars.sub(lambda match: "[" + re.sub(r",\n\s*", ", ", match.group(1)) + "]", text)
    GOLDEN.write_text(text + "\n", encoding="utf-8")
