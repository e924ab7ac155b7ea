from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _catalogs import CUSTOM
from _legacy import state_document
from partner_onboarding import (
    DEFAULT_CATALOG,
    DEFAULT_POLICY,
    Account,
    Address,
    Catalog,
    Category,
    CategoryInfo,
    ContactPerson,
    DocumentRef,
    Entity,
    Market,
    PartnerRole,
    Problem,
    ValidationError,
    from_json,
    lifecycle,
    to_json,
)
from partner_onboarding.errors import WrongType
from partner_onboarding.model import Application, History, Partner
from partner_onboarding.policy import Decision, Policy, Reason, ReasonCode, upgrade_rules
from partner_onboarding.serde import (
    SCHEMA_VERSION,
    catalog_of,
    from_data,
    make_converter,
    to_data,
)
from partner_onboarding.testing import (
    KNOWN_PASSWORD,
    accounts,
    addresses,
    applications,
    approved_partner,
    category_infos,
    contact_people,
    documents,
    entities,
    instants_around,
    partners,
    policies,
    sample_entity,
    sample_info,
)

VALUES = {
    Account: accounts(),
    Entity: entities(),
    Address: addresses(),
    ContactPerson: contact_people(),
    DocumentRef: documents(),
    CategoryInfo: category_infos(),
    Partner: partners(),
    Application: applications(),
}


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_json_round_trip_is_the_identity(cls: type[object], data: st.DataObject) -> None:
    value = data.draw(VALUES[cls])
    text = to_json(value)
    assert from_json(text, cls) == value
    assert to_json(from_json(text, cls)) == text


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_written_json_is_what_the_standard_library_writes(
    cls: type[object], data: st.DataObject
) -> None:
    """``to_json`` writes with an encoder of its own (no check for cycles, built once): the text
    is exactly what ``json.dumps`` writes of the same document, and reads back to the value."""
    value = data.draw(VALUES[cls])
    text = to_json(value)
    assert text == json.dumps(json.loads(text), ensure_ascii=False)
    assert to_json(value, indent=2) == json.dumps(json.loads(text), ensure_ascii=False, indent=2)


@given(accounts())
def test_account_json_holds_the_hash_never_the_password(account: Account) -> None:
    document = json.loads(to_json(account))
    assert KNOWN_PASSWORD not in json.dumps(document)
    assert document["data"]["password_hash"].startswith("scrypt$")
    assert from_json(json.dumps(document), Account).verify(KNOWN_PASSWORD)


def envelope(cls: type[object], data: Any) -> str:
    envelope = {"version": SCHEMA_VERSION, "type": cls.__name__, "catalog": None, "data": data}
    return json.dumps(envelope)


def entity_data() -> dict[str, Any]:
    return {
        "legal_name": "Acme Growth LLC",
        "ein": "04-2103594",
        "address": {
            "lines": ["100 Main St"],
            "city": "Los Angeles",
            "state": "CA",
            "zip_code": "90012",
        },
        "contact": {"name": "Dana", "email": "dana@acme.com", "phone": "+12015550123"},
        "country": "US",
        "website": None,
        "documents": [],
    }


def test_the_documented_entity_shape_reads() -> None:
    company = from_json(envelope(Entity, entity_data()), Entity)
    assert company.address.zip_code == "90012"
    assert json.loads(to_json(company))["data"] == entity_data()


def problems(cls: type[object], text: str) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        from_json(text, cls)
    return [(p.path, p.reason) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["address"].update(zip_code="9"), [("address.zip_code", "not a ZIP code")]),
        (lambda d: d["address"].update(state=5), [("address.state", "must be a string")]),
        (lambda d: d.pop("legal_name"), [("legal_name", "is required")]),
        (lambda d: d.update(colour="red"), [("colour", "unknown field")]),
        (lambda d: d.update(ein="07-1234567"), [("ein", "not a valid EIN")]),
        (lambda d: d["contact"].update(phone=2015550123), [("contact.phone", "must be a string")]),
        (lambda d: d.update(documents={}), [("documents", "must be a list")]),
        (
            lambda d: d.update(documents=[{"name": "x", "sha256": "00"}]),
            [("documents[0].sha256", "must be 64 hexadecimal digits")],
        ),
        (lambda d: d.update(address="100 Main St"), [("address", "must be a JSON object")]),
        (lambda d: d.update(country="ZZ"), [("country", "is not an ISO 3166-1 alpha-2")]),
        (
            lambda d: (d.pop("ein"), d["address"].update(city=None)),
            [("address.city", "must be a string"), ("ein", "is required")],
        ),
    ],
)
def test_bad_fields_are_named_by_path(change: Any, expected: list[tuple[str, str]]) -> None:
    data = entity_data()
    change(data)
    found = problems(Entity, envelope(Entity, data))
    assert sorted(path for path, _ in found) == sorted(path for path, _ in expected)
    for path, reason in expected:
        assert any(p == path and reason in r for p, r in found), found


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("not json", ""),
        ("[]", ""),
        ('{"version": 1, "type": "Entity"}', "data"),
        ('{"version": 4, "type": "Entity", "catalog": null, "data": {}}', "version"),
        ('{"version": true, "type": "Entity", "catalog": null, "data": {}}', "version"),
        ('{"version": 2, "type": "Entity", "data": {}}', "catalog"),
        ('{"version": 1, "type": "Account", "data": {}}', "type"),
        ('{"version": 1, "type": "Entity", "data": {}, "extra": 1}', "extra"),
        ('{"version": 1, "type": "Entity", "data": []}', ""),
        ('{"version": 1, "type": "Entity", "data": {"x": 1e99999}}', "x"),
    ],
)
def test_bad_documents_raise_validation_error(text: str, path: str) -> None:
    found = problems(Entity, text)
    assert path in [p for p, _ in found]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("registered_at", "2024-04-30T00:00:00", "must carry a UTC offset"),
        ("registered_at", "yesterday", "is not an ISO 8601"),
        ("registered_at", 1714460400, "must be an ISO 8601"),
        ("password_hash", "md5$abc", "scrypt$"),
        ("email", "not-an-email", "not a valid email"),
    ],
)
def test_account_fields(field: str, value: object, reason: str) -> None:
    data = {
        "email": "ops@acme.com",
        "password_hash": "scrypt$2$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",
        "registered_at": "2024-04-30T00:00:00-07:00",
        "phone": None,
    }
    from_json(envelope(Account, data), Account)  # the base document is valid
    found = problems(Account, envelope(Account, data | {field: value}))
    assert found[0][0] == field
    assert reason in found[0][1]


def test_category_info_reads_categories_by_code_and_suggests() -> None:
    data = {
        "category": "live_managment",
        "service_description": "LIVE",
        "markets_served": ["US"],
        "team_size": True,
        "reference_links": [],
    }
    found = problems(CategoryInfo, envelope(CategoryInfo, data))
    assert found[0][0] == "category"
    assert "LIVE Management" in found[0][1]
    assert found[1] == ("team_size", "must be a whole number")


def test_instants_keep_their_offset() -> None:
    data = to_data(
        from_data(
            {
                "email": "ops@acme.com",
                "password_hash": "scrypt$2$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",
                "registered_at": "2024-04-30T00:00:00.000001-07:00",
                "phone": None,
            },
            Account,
        )
    )
    assert data["registered_at"] == "2024-04-30T00:00:00.000001-07:00"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda cls: cls.__name__)
@given(data=json_values)
def test_arbitrary_json_data_gives_only_validation_errors(cls: type[object], data: Any) -> None:
    try:
        from_json(envelope(cls, data), cls)
    except ValidationError as error:
        assert error.problems
    # Arbitrary data that happens to be valid is fine too.


@given(entities(), st.data())
def test_a_document_with_one_field_broken_names_that_field(
    company: Entity, data: st.DataObject
) -> None:
    document = json.loads(to_json(company))
    field = data.draw(st.sampled_from(sorted(document["data"])))
    document["data"][field] = data.draw(st.sampled_from([12345, [1], {"a": 1}, True]))
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(document), Entity)
    assert all(path.startswith(field) for path in caught.value.fields)


@given(partners())
def test_partner_json_keeps_events_in_order(partner: Partner) -> None:
    document = json.loads(to_json(partner))
    events = document["data"]["events"]
    assert [event["seq"] for event in events] == list(range(1, partner.revision + 1))
    assert document["data"]["revision"] == partner.revision
    if len(events) > 1 and events[0]["at"] != events[-1]["at"]:
        events[0]["at"], events[-1]["at"] = events[-1]["at"], events[0]["at"]
        with pytest.raises(ValidationError) as caught:
            from_json(json.dumps(document), Partner, policy=None)
        assert all(path.startswith("events[") for path in caught.value.fields)


@pytest.mark.parametrize("value", [None, 5, object(), DEFAULT_CATALOG])
def test_only_the_librarys_values_are_written(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        to_json(value)
    assert f"a {type(value).__name__} is not a value this module writes" in str(caught.value)


# ------------------------------------------------------------------------------------------------
# What a service returns: decisions and policies, through the same envelope


@given(
    policies(),
    partners(max_steps=8),
    st.sampled_from(list(DEFAULT_CATALOG)),
    instants_around(*DEFAULT_POLICY.instants),
)
def test_decisions_and_policies_round_trip(
    policy: Policy, partner: Partner, category: Category, at: dt.datetime
) -> None:
    for decision in (
        policy.can_register(partner, category, market="US", at=at),
        policy.can_authorize_seller(partner, category, market="US", at=at),
    ):
        assert from_json(to_json(decision), Decision) == decision
        assert from_data(to_data(decision), Decision) == decision
        for reason in decision.reasons:
            assert from_json(to_json(reason), Reason) == reason
    assert from_json(to_json(policy), Policy) == policy
    assert json.loads(to_json(policy))["catalog"] == DEFAULT_CATALOG.id


def test_a_forged_decision_is_refused_field_by_field() -> None:
    decision = DEFAULT_POLICY.can_register(
        approved_partner(at=dt.datetime(2024, 5, 2, tzinfo=dt.UTC)),
        "Paid Media",
        at=dt.date(2024, 5, 3),
    )
    for field, forged, path, reason in (
        ("reasons", [], "reasons", "must give at least one reason"),
        ("allowed", "yes", "allowed", "must be true or false"),
        ("allowed", 1, "allowed", "must be true or false"),
        (
            "decided_by",
            {"name": "x", "effective_at": "2024-04-30T00:00"},
            "decided_by.effective_at",
            "must carry a UTC offset (e.g. '-07:00' or 'Z')",
        ),
        (
            "reasons",
            [{"code": "maybe", "message": "m", "rule": {"name": "r", "effective_at": None}}],
            "reasons[0].code",
            "must be one of " + ", ".join(repr(code.value) for code in ReasonCode),
        ),
        ("changes_at", 5, "changes_at", "must be an ISO 8601 date-time string"),
    ):
        document = json.loads(to_json(decision))
        document["data"][field] = forged
        with pytest.raises(ValidationError) as caught:
            from_json(json.dumps(document), Decision)
        assert [(p.path, p.reason) for p in caught.value.problems] == [(path, reason)]


def test_a_policy_inside_a_document_reads_with_the_catalog_given() -> None:
    document = json.loads(to_json(DEFAULT_POLICY))
    assert from_data(document["data"], Policy) == DEFAULT_POLICY
    document["data"]["rules"][0]["categories"] = ["paid_media", "live_managment"]
    with pytest.raises(ValidationError) as caught:
        from_data(document["data"], Policy)
    assert [p.path for p in caught.value.problems] == ["rules[0].categories[1]"]
    document["data"]["discontinued"] = ["paid_media"]  # (a field of version 1 in a version 2)
    with pytest.raises(ValidationError) as caught:
        from_data(document["data"], Policy)
    assert [p.path for p in caught.value.problems] == ["discontinued"]


def test_the_plain_form_holds_plain_strings() -> None:
    partner = approved_partner("Paid Media", at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    events = to_data(partner)["events"]
    assert type(events[0]["role"]) is str
    assert type(events[0]["agency_type"]) is str
    assert type(events[3]["kind"]) is str
    assert type(events[3]["subject"]) is str
    assert events[3]["at"] == "2024-03-01T00:00:00+00:00"
    assert type(to_data(partner.applications[0])["status"]) is str


def custom_partner() -> Partner:
    at = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    partner = approved_partner(at=at)
    category = CUSTOM.category("LIVE Coaching")
    info = CategoryInfo(category=category, service_description="coaching", team_size=2)
    return lifecycle.apply(
        partner, category, info, at=at, catalog=CUSTOM, policy=Policy(catalog=CUSTOM)
    )


def test_a_value_carries_its_catalog_and_is_never_read_with_another() -> None:
    partner = custom_partner()
    assert partner.applications[0].category.catalog == CUSTOM.id
    assert CUSTOM.id.startswith("acme-internal@7#")
    text = to_json(partner)
    assert json.loads(text)["catalog"] == CUSTOM.id
    assert from_json(text, Partner, catalog=CUSTOM, policy=Policy(catalog=CUSTOM)) == partner
    with pytest.raises(ValidationError) as caught:
        from_json(text, Partner)
    assert caught.value.fields == ("catalog",)
    assert f"written with catalog {CUSTOM.id!r}, read with {DEFAULT_CATALOG.id!r}" in str(
        caught.value
    )


@given(st.sampled_from(["Shop Management", "Paid Media", "Creator Matchmaking"]))
def test_reading_with_a_different_catalog_is_refused(name: str) -> None:
    other = Catalog([attrs.evolve(c, catalog=None) for c in DEFAULT_CATALOG], name="copy")
    partner = approved_partner(name, at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC))
    with pytest.raises(ValidationError) as caught:
        from_json(to_json(partner), Partner, catalog=other)
    assert caught.value.fields == ("catalog",)
    # A catalog of the same content is still another catalog: its categories differ.
    assert other.category(name) != DEFAULT_CATALOG.category(name)
    assert other.id != DEFAULT_CATALOG.id


def test_a_document_that_hides_its_catalog_is_refused() -> None:
    document = json.loads(
        to_json(approved_partner("Shop Management", at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC)))
    )
    document["catalog"] = None
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(document), Partner)
    assert caught.value.fields == ("catalog",)


def test_version_1_documents_are_read_with_the_default_catalog() -> None:
    partner = approved_partner("Shop Management", at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC))
    document = state_document(partner)
    del document["catalog"]
    document["version"] = 1
    read = from_json(json.dumps(document), Partner)
    assert read == partner  # (the same events: the state stands for exactly these)
    assert read.partner_id == partner.partner_id
    assert read.applications == partner.applications
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(document), Partner, catalog=CUSTOM)
    assert caught.value.fields == ("version",)


def _refusal_text(read: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        read()
    return str(caught.value)


def test_envelope_refusals_word_for_word() -> None:
    entity = json.loads(to_json(sample_entity()))
    info = json.loads(to_json(sample_info("Paid Media")))
    custom = Catalog(
        [attrs.evolve(c, catalog=None) for c in DEFAULT_CATALOG], name="mine", version="1"
    )
    cases = [
        (lambda: to_data(object()), "JSON", ["a object is not a value this module writes"]),
        (lambda: from_json("[]", Entity), "Entity", ["must be a JSON object (an envelope)"]),
        (
            lambda: from_json(json.dumps(entity | {"extra": 1, "version": 9}), Entity),
            "Entity",
            ["extra: unknown field", "version: unsupported version; this library reads 1 to 3"],
        ),
        (
            lambda: from_json(json.dumps(info | {"version": 1}), CategoryInfo, catalog=custom),
            "CategoryInfo",
            [
                "catalog: unknown field",
                "version: a version 1 document names no catalog: read it with the default catalog",
            ],
        ),
        (
            lambda: from_json(json.dumps(info | {"catalog": "x" * 200}), CategoryInfo),
            "CategoryInfo",
            [
                (
                    f"catalog: written with catalog {'x' * 80!r}, "
                    f"read with {DEFAULT_CATALOG.id!r}; pass the catalog it was written with"
                )
            ],
        ),
        (
            lambda: from_json(json.dumps(info | {"catalog": None}), CategoryInfo),
            "CategoryInfo",
            ["catalog: must name the catalog of the value's categories"],
        ),
        (
            lambda: from_data(info["data"] | {"zz": 1}, CategoryInfo),
            "CategoryInfo",
            ["zz: unknown field"],
        ),
        (
            lambda: from_data(info["data"] | {"category": 5}, CategoryInfo),
            "CategoryInfo",
            ["category: must be a category code (a string)"],
        ),
    ]
    for read, what, lines in cases:
        count = f"{len(lines)} problem" + ("s" if len(lines) > 1 else "")
        assert _refusal_text(read) == f"invalid {what}: {count}\n" + "\n".join(
            f"  - {line}" for line in lines
        )


def test_a_problem_deep_in_a_partner_is_named_by_its_whole_path() -> None:
    document = state_document(
        approved_partner("Paid Media", "Shop Management", at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    )
    event = document["data"]["applications"][1]["history"][0]
    for field, forged, reason in (
        ("actor", "robot", "must be one of 'partner', 'platform', 'system'"),
        ("reasons", "no", "must be a list"),
    ):
        forged_document = json.loads(json.dumps(document))
        forged_document["data"]["applications"][1]["history"][0] = event | {field: forged}
        assert _refusal_text(lambda d=forged_document: from_json(json.dumps(d), Partner)) == (
            f"invalid Partner: 1 problem\n  - applications[1].history[0].{field}: {reason}"
        )


def test_written_json_keeps_text_as_written_and_indents_on_request() -> None:
    entity = attrs.evolve(sample_entity(), legal_name="Café Ñandú LLC")
    assert '"legal_name": "Café Ñandú LLC"' in to_json(entity)
    indented = to_json(entity, indent=2)
    assert indented.startswith('{\n  "version": 3,\n  "type": "Entity",\n')
    assert from_json(indented, Entity) == entity


def test_a_value_holding_categories_of_two_catalogs_is_not_written() -> None:
    from partner_onboarding.standing import RoleEntry, RoleSwitch, RoleView  # noqa: PLC0415

    entries = tuple(
        RoleEntry(
            application_id=f"a{i}", category=catalog.category("Shop Management"), market=Market.US
        )
        for i, catalog in enumerate((DEFAULT_CATALOG, CUSTOM))
    )
    view = RoleView(role=PartnerRole.SELLER_SERVICE_PARTNER, entries=entries)
    switch = RoleSwitch(at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC), roles=(view,))
    with pytest.raises(ValidationError) as caught:
        to_json(switch)
    found = {DEFAULT_CATALOG.id, CUSTOM.id}
    assert str(caught.value) in {
        f"invalid JSON: 1 problem\n  - holds categories of different catalogs: {a}, {b}"
        for a, b in (sorted(found), sorted(found, reverse=True))
    }
    assert catalog_of(
        RoleSwitch(at=switch.at, roles=(attrs.evolve(view, entries=entries[:1]),))
    ) == (DEFAULT_CATALOG.id)


def test_plain_data_is_read_strictly_and_every_problem_named_where_it_is() -> None:
    import types  # noqa: PLC0415

    info = to_data(sample_info("Paid Media"))
    assert from_data(types.MappingProxyType(info), CategoryInfo) == sample_info("Paid Media")
    assert _refusal_text(lambda: from_data(info | {"team_size": "5"}, CategoryInfo)) == (
        "invalid CategoryInfo: 1 problem\n  - team_size: must be a whole number"
    )
    assert _refusal_text(lambda: from_data("info", CategoryInfo)) == (
        "invalid CategoryInfo: 1 problem\n  - must be a JSON object"
    )
    entity = to_data(sample_entity())
    entity["address"]["colour"] = "red"
    entity["documents"] = [{"name": "a", "sha256": "00"}, 5, {"name": "b", "sha256": "11"}]
    assert _refusal_text(lambda: from_data(entity, Entity)) == (
        "invalid Entity: 4 problems\n"
        "  - address.colour: unknown field\n"
        "  - documents[0].sha256: must be 64 hexadecimal digits\n"
        "  - documents[1]: must be a JSON object\n"
        "  - documents[2].sha256: must be 64 hexadecimal digits"
    )


def test_what_no_hook_expects_is_still_named_where_it_is() -> None:
    from partner_onboarding.serde import problems_of  # noqa: PLC0415

    assert [(p.path, p.reason) for p in problems_of(KeyError("x"), "a.b")] == [
        ("a.b", "is required")
    ]
    assert [(p.path, p.reason) for p in problems_of(TypeError("x"), "a[2]")] == [
        ("a[2]", "has a value of the wrong type or shape")
    ]


def test_a_policy_on_its_own_catalog_reads_back_with_it() -> None:
    policy = Policy(rules=upgrade_rules(discontinued=["paid_media"]), catalog=CUSTOM)
    assert from_json(to_json(policy), Policy, catalog=CUSTOM) == policy
    assert from_data(to_data(policy), Policy, catalog=CUSTOM) == policy


def test_the_values_written_are_the_public_value_classes_a_module_defines() -> None:
    import types  # noqa: PLC0415

    from partner_onboarding import model, serde, standing  # noqa: PLC0415

    # (called here, not only at import, so that what it decides is seen by mutation testing)
    assert sorted(kind.__name__ for kind in serde._values_of(model)) == [
        "Account", "Address", "Application", "CategoryInfo", "ContactPerson", "DocumentRef",
        "Entity", "EntityReview", "Event", "FinanceIdentity", "Partner", "PartnerEvent",
        "PasswordHash", "RoleGrant", "SellerAuthorization",
    ]  # fmt: skip
    assert sorted(kind.__name__ for kind in serde._values_of(standing)) == [
        "CategoryOffer", "CategoryRow", "EntityInfo", "Profile", "Requirement", "Requirements",
        "RoleEntry", "RoleSwitch", "RoleView",
    ]  # fmt: skip
    fake = types.ModuleType("fake")
    fake.Imported = model.Account  # type: ignore[attr-defined]  # defined elsewhere: not its value
    assert serde._values_of(fake) == frozenset()


def test_a_history_and_a_market_are_written_and_read_on_their_own() -> None:
    partner = approved_partner("Paid Media", at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    events = partner.applications[0].history
    assert json.loads(to_json(events))["catalog"] is None
    assert from_json(to_json(events), History) == events
    assert from_json(to_json(Market.US), Market) == Market.US


_PARTNER = approved_partner("Paid Media", at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("edit", "problems"),
    [
        (lambda data: [1], ["must be a JSON object"]),
        (
            lambda data: {**{k: v for k, v in data.items() if k != "revision"}, "extra": 1},
            ["extra: unknown field", "revision: is required"],
        ),
        (lambda data: {**data, "events": "x"}, ["events: must be a list"]),
        (
            lambda data: {**data, "partner_id": 3, "revision": "5"},
            [
                "partner_id: must be the partner_id of the events",
                "revision: must be 5, the number of events",
            ],
        ),
        (lambda data: {**data, "revision": True}, ["revision: must be 5, the number of events"]),
    ],
    ids=["not-an-object", "fields", "events", "beside-the-events", "a-flag"],
)
def test_a_partner_document_is_refused_word_for_word(edit: Any, problems: list[str]) -> None:
    document = json.loads(to_json(_PARTNER))
    assert _PARTNER.revision == 5
    document["data"] = edit(document["data"])
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(document), Partner)
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    assert str(caught.value) == "\n  - ".join([f"invalid Partner: {count}", *problems])


def test_a_version_2_document_without_a_role_is_refused_word_for_word() -> None:
    document = state_document(_PARTNER)
    document["data"]["roles_granted"] = []
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(document), Partner)
    assert str(caught.value) == (
        "invalid Partner: 1 problem\n  - roles_granted: must hold at least one role"
    )


def test_a_version_2_document_is_replayed_under_the_policy_asked() -> None:
    # Registered after the upgrade, the partner is new: the default policy refuses Paid Media.
    late = approved_partner("Paid Media", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), policy=None)
    text = json.dumps(state_document(late))
    assert from_json(text, Partner, policy=None) == late
    with pytest.raises(ValidationError) as caught:
        from_json(text, Partner)
    assert "new partners cannot" in str(caught.value)


def test_a_version_2_document_of_every_kind_of_step_reads_as_the_events_it_stands_for() -> None:
    # (two roles at the registration's instant and a third later, an entity rejected with
    # reasons then changed and approved, an application rejected with reasons then changed,
    # approved, edited (a revision pending) and a seller authorised in its category)
    at = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)

    def day(n: int) -> dt.datetime:
        return at + dt.timedelta(days=n)

    partner = lifecycle.choose_role(_PARTNER.account, "seller_service_partner", at=at)
    partner = lifecycle.add_role(partner, "creator_service_partner", at=at)
    partner = lifecycle.add_role(partner, "seller_service_creator_matchmaking", at=day(1))
    partner = lifecycle.submit_entity(partner, sample_entity(), at=day(1))
    partner = lifecycle.reject_entity(partner, ["EIN letter unreadable"], at=day(2))
    partner = lifecycle.modify_entity(partner, sample_entity(), at=day(3))
    partner = lifecycle.approve_entity(partner, at=day(4))
    info = sample_info("Shop Management")
    partner = lifecycle.apply(partner, "Shop Management", info, at=day(5))
    partner = lifecycle.reject(partner, "Shop Management", ["no case study"], at=day(6))
    partner = lifecycle.modify(partner, "Shop Management", info, at=day(7))
    partner = lifecycle.approve(partner, "Shop Management", at=day(8))
    partner = lifecycle.authorize_seller(partner, "Shop Management", "SELLER-1", at=day(9))
    edited = attrs.evolve(info, team_size=(info.team_size or 0) + 7)
    assert edited != info
    partner = lifecycle.edit(partner, "Shop Management", edited, at=day(10))

    read = from_json(json.dumps(state_document(partner)), Partner)

    assert read == partner
    assert [event.kind for event in read.events] == [event.kind for event in partner.events]
    assert read.applications[0].pending_revision == edited


def test_every_problem_deep_in_a_partner_s_events_is_named_by_its_path() -> None:
    document = json.loads(to_json(_PARTNER))
    events = document["data"]["events"]
    events[1]["actor"] = "robot"
    events[1]["entity"]["address"]["bogus"] = 1
    events[3]["seq"] = "x"
    with pytest.raises(ValidationError) as caught:
        from_json(json.dumps(document), Partner)
    assert str(caught.value) == (
        "invalid Partner: 3 problems\n"
        "  - events[1].actor: must be one of 'partner', 'platform', 'system'\n"
        "  - events[1].entity.address.bogus: unknown field\n"
        "  - events[3].seq: must be a whole number"
    )


_ACCOUNT = json.loads(to_json(_PARTNER.account))


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (
            lambda: from_json(json.dumps(_ACCOUNT), dict),
            "invalid JSON: 1 problem\n  - cls: must be a value class of the library",
        ),
        (
            lambda: from_json(json.dumps(_ACCOUNT), Account, catalog="x"),  # type: ignore[arg-type]
            "invalid JSON: 1 problem\n  - catalog: must be a Catalog",
        ),
        (
            lambda: from_json("{", Account),
            (
                "invalid Account: 1 problem\n  - not JSON (Expecting property name enclosed in "
                "double quotes: line 1 column 2 (char 1))"
            ),
        ),
        (
            lambda: from_json("[1]", Account),
            "invalid Account: 1 problem\n  - must be a JSON object (an envelope)",
        ),
        (
            lambda: from_json(
                json.dumps({k: v for k, v in _ACCOUNT.items() if k != "type"} | {"x": 1}), Account
            ),
            "invalid Account: 2 problems\n  - x: unknown field\n  - type: is required",
        ),
        (
            lambda: from_json(json.dumps(_ACCOUNT | {"version": 9, "type": "Partner"}), Account),
            (
                "invalid Account: 2 problems\n  - version: unsupported version; this library "
                "reads 1 to 3\n  - type: must be 'Account'"
            ),
        ),
        (
            lambda: from_json(json.dumps(_ACCOUNT | {"catalog": "other@1#abc"}), Account),
            (
                "invalid Account: 1 problem\n  - catalog: written with catalog 'other@1#abc', "
                "read with 'partner-center-us@2024.04#0ef9ea8286dc'; pass the catalog it was "
                "written with"
            ),
        ),
        (
            lambda: from_json(
                json.dumps({"version": 1, "type": "Account", "data": _ACCOUNT["data"]}),
                Account,
                catalog=CUSTOM,
            ),
            (
                "invalid Account: 1 problem\n  - version: a version 1 document names no catalog: "
                "read it with the default catalog"
            ),
        ),
    ],
    ids=[
        "cls",
        "catalog",
        "not-json",
        "not-an-object",
        "fields",
        "version-type",
        "catalog-id",
        "v1-catalog",
    ],
)
def test_an_envelope_is_refused_word_for_word(read: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read()
    assert str(caught.value) == message


def _with_unknown_fields(items: list[Any], count: int) -> list[Any]:
    """``count`` copies of the first of ``items``, each with two fields no reader knows."""
    return [items[0] | {"x": 1, "y": 2} for _ in range(count)]


def _refused(read: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read()
    return caught.value


def test_a_partner_s_error_past_its_bound_says_how_many_more() -> None:
    # 30 events of two problems each: 25 read (50 problems), then the last problem listed says
    # that 5 were not read.
    document = json.loads(to_json(_PARTNER))
    document["data"]["events"] = _with_unknown_fields(document["data"]["events"], 30)
    error = _refused(lambda: from_json(json.dumps(document), Partner))
    assert (len(error.problems), error.more) == (50, 1)
    assert error.problems[-2:] == (
        Problem("events[24].x", "unknown field"),
        Problem("events[25:]", "5 more items, not read"),
    )
    assert str(error).startswith("invalid Partner: 51 problems\n  - events[0].x: unknown field\n")
    assert str(error).endswith("\n  - events[25:]: 5 more items, not read\n  - … and 1 more")
    assert _refused(lambda: from_data(document["data"], Partner)).more == 1


def test_an_old_document_s_error_past_its_bound_says_how_many_more() -> None:
    # The bound is met deep in an application's history, inside the list of applications.
    document = state_document(_PARTNER)
    application = document["data"]["applications"][0]
    application["history"] = _with_unknown_fields(application["history"], 30)
    error = _refused(lambda: from_json(json.dumps(document), Partner))
    assert (len(error.problems), error.more) == (50, 1)
    assert error.problems[0] == Problem("applications[0].history[0].x", "unknown field")
    assert str(error).startswith("invalid Partner: 51 problems\n")
    assert str(error).endswith("  - … and 1 more")


def test_a_problem_is_made_of_text_only() -> None:
    assert str(Problem("", "must be a list")) == "must be a list"
    with pytest.raises(TypeError):
        Problem(None, "must be a list")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Problem("events", None)  # type: ignore[arg-type]


_ROLES = ", ".join(repr(role.value) for role in PartnerRole)


@pytest.mark.parametrize(
    ("read", "problem"),
    [
        (lambda: from_data([], Partner), Problem("", "must be a JSON object")),
        (lambda: from_data(5, Category), Problem("", "must be a category code (a string)")),
        (lambda: from_data(5, Market), Problem("", "must be a string")),
        (lambda: from_data("x", History), Problem("", "must be a list")),
        (lambda: from_data(5, Account), Problem("", "must be a JSON object")),
        (lambda: from_data(1.5, PartnerRole), Problem("", "must be one of " + _ROLES)),
    ],
    ids=["partner", "category", "market", "history", "object", "enum"],
)
def test_a_value_that_is_wrong_as_a_whole_is_named_at_the_empty_path(
    read: Any, problem: Problem
) -> None:
    assert _refused(read).problems == (problem,)


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (
            lambda: from_data({}, Account, catalog=None),  # type: ignore[arg-type]
            "invalid JSON: 1 problem\n  - catalog: must be a Catalog",
        ),
        (
            lambda: from_data({}, Partner, policy="strict"),  # type: ignore[arg-type]
            "invalid JSON: 1 problem\n  - policy: must be a Policy or None",
        ),
        (
            lambda: to_data(_PARTNER, secrets="no"),  # type: ignore[arg-type]
            "invalid JSON: 1 problem\n  - secrets: must be True or False",
        ),
    ],
    ids=["catalog", "policy", "secrets"],
)
def test_an_argument_of_the_wrong_type_is_named_word_for_word(read: Any, message: str) -> None:
    with pytest.raises(WrongType) as caught:
        read()
    assert isinstance(caught.value, TypeError)
    assert str(caught.value) == message


def test_a_value_that_is_not_the_library_s_is_named_at_the_empty_path() -> None:
    assert _refused(lambda: to_data(object())).problems == (
        Problem("", "a object is not a value this module writes"),
    )


def test_a_version_1_document_naming_a_catalog_is_refused_for_that_field_only() -> None:
    info = json.loads(to_json(sample_info("Paid Media")))
    for named in (info["catalog"], "other@1#abc"):
        document = info | {"version": 1, "catalog": named}
        error = _refused(lambda document=document: from_json(json.dumps(document), CategoryInfo))
        assert error.problems == (Problem("catalog", "unknown field"),)


@pytest.mark.parametrize("version", [2, 3])
def test_a_document_naming_its_catalog_by_name_alone_is_read_only_as_version_2(
    version: int,
) -> None:
    document = json.loads(to_json(sample_info("Paid Media")))
    document |= {"version": version, "catalog": DEFAULT_CATALOG.named}
    if version == 2:
        assert from_json(json.dumps(document), CategoryInfo) == sample_info("Paid Media")
    else:
        assert _refused(lambda: from_json(json.dumps(document), CategoryInfo)).fields == (
            "catalog",
        )


def test_an_event_names_the_catalog_of_its_category() -> None:
    written = [json.loads(to_json(event)) for event in _PARTNER.events]
    assert [document["catalog"] for document in written] == [
        None if event.category is None else DEFAULT_CATALOG.id for event in _PARTNER.events
    ]
    assert DEFAULT_CATALOG.id in {document["catalog"] for document in written}


def test_an_event_s_document_leaves_out_the_payload_fields_it_does_not_have() -> None:
    common = ["partner_id", "seq", "at", "actor", "subject", "kind"]
    register, entity, approval = (to_data(event) for event in _PARTNER.events[:3])
    assert sorted(register) == sorted(
        [*common, "account", "role", "registration_market", "agency_type"]
    )
    assert sorted(entity) == sorted([*common, "entity"])
    assert sorted(approval) == sorted([*common, "approves"])


def test_the_converter_made_for_a_program_reads_and_writes_as_the_functions_do() -> None:
    converter = make_converter()
    data = converter.unstructure(_PARTNER)
    assert data == to_data(_PARTNER)
    assert converter.structure(data, Partner) == _PARTNER
    assert converter.unstructure(_PARTNER.account)["password_hash"].startswith("scrypt$")
    assert "password_hash" not in make_converter(secrets=False).unstructure(_PARTNER.account)
    bad = {**data, "events": _with_unknown_fields(data["events"], 1)}
    with pytest.raises(ValidationError):
        converter.structure(bad, Partner)


def test_every_problem_of_one_object_is_named() -> None:
    data = to_data(_PARTNER.account) | {"email": 5, "registered_at": 6}
    assert _refused(lambda: from_data(data, Account)).problems == (
        Problem("email", "must be a string"),
        Problem("registered_at", "must be an ISO 8601 date-time string"),
    )


def test_an_indented_document_keeps_text_as_written() -> None:
    entity = attrs.evolve(sample_entity(), legal_name="Café Ñandú LLC")
    assert '"legal_name": "Café Ñandú LLC"' in to_json(entity, indent=2)


def test_an_authorisation_at_the_instant_of_its_approval_reads_from_an_old_document() -> None:
    at = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    approved = approved_partner("Shop Management", at=at)
    when = approved.applications[0].history[-1].at
    partner = lifecycle.authorize_seller(approved, "Shop Management", "SELLER-1", at=when)
    assert from_json(json.dumps(state_document(partner)), Partner) == partner


def test_an_old_document_of_a_catalog_s_own_category_reads_with_that_catalog() -> None:
    at = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    info = CategoryInfo(
        category=CUSTOM.category("LIVE Coaching"), service_description="c", team_size=2
    )
    custom = Policy(catalog=CUSTOM)
    partner = lifecycle.apply(
        approved_partner(at=at), "LIVE Coaching", info, at=at, catalog=CUSTOM, policy=custom
    )
    text = json.dumps(state_document(partner))
    assert from_json(text, Partner, catalog=CUSTOM, policy=custom) == partner


def test_an_old_document_of_an_application_the_upgrade_made_again_reads_with_its_review() -> None:
    # The upgrade rejects an application under review since before it and makes it again; the
    # new one is then approved. The old document stores the new one's history from its making.
    at = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    pending = lifecycle.apply(
        approved_partner(at=at), "Shop Management", sample_info("Shop Management"), at=at
    )
    upgraded = lifecycle.upgrade(pending, at=DEFAULT_POLICY.upgrade_at)
    later = DEFAULT_POLICY.upgrade_at + dt.timedelta(days=3)
    partner = lifecycle.approve(upgraded, "Shop Management", at=later)
    assert [event.kind.value for event in partner.applications[-1].history] == [
        "regenerate",
        "approve",
    ]
    assert from_json(json.dumps(state_document(partner)), Partner) == partner


def test_the_converter_made_for_a_program_refuses_a_partner_word_for_word() -> None:
    converter = make_converter()
    data = converter.unstructure(_PARTNER)
    for bad, problems in [
        ([1], ["must be a JSON object"]),
        ({"events": data["events"]}, ["partner_id: is required", "revision: is required"]),
        (data | {"events": "x"}, ["events: must be a list"]),
        (data | {"revision": 4}, ["revision: must be 5, the number of events"]),
    ]:
        with pytest.raises(ValidationError) as caught:
            converter.structure(bad, Partner)
        count = f"{len(problems)} problem{'s' * (len(problems) > 1)}"
        assert str(caught.value) == "\n  - ".join([f"invalid Partner: {count}", *problems])


def test_the_converter_made_for_a_program_replays_under_the_default_policy() -> None:
    # Registered after the upgrade, the partner is new: the default policy refuses Paid Media.
    late = approved_partner("Paid Media", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), policy=None)
    with pytest.raises(ValidationError) as caught:
        make_converter().structure(to_data(late), Partner)
    assert "new partners cannot" in str(caught.value)


def test_a_flag_is_not_the_revision_of_a_partner_of_one_event() -> None:
    registered = lifecycle.choose_role(
        _PARTNER.account, "seller_service_partner", at=_PARTNER.events[0].at
    )
    document = json.loads(to_json(registered))
    assert document["data"]["revision"] == 1
    document["data"]["revision"] = True
    error = _refused(lambda: from_json(json.dumps(document), Partner))
    assert error.problems == (Problem("revision", "must be 1, the number of events"),)
