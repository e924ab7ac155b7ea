"""The reference service (examples/service) with FastAPI's test client, on the event store in
SQLite: the four steps and the review, problem documents for every error, If-Match and 412, no
password hash in any response, and hostile bodies answered with 4xx problems, never a 500."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _stores import DATABASES, empty_store
from partner_onboarding import serde
from partner_onboarding.store import EventStore
from partner_onboarding.testing import passwords, sample_entity, sample_info

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "service"))
import onboarding_service  # noqa: E402

START = dt.datetime(2024, 1, 10, 9, tzinfo=dt.UTC)
PASSWORD = "Horse-9-battery"
ENTITY = serde.to_data(sample_entity())


class Clock:
    """The service's clock in a test: one second more at each step, from ``start``."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@contextlib.contextmanager
def service(store: EventStore, start: dt.datetime = START) -> Iterator[TestClient]:
    """A test client of the service on ``store``; every response it got is checked at the end:
    no password hash, no 500."""
    app = onboarding_service.create_app(store, clock=Clock(start))
    responses: list[Any] = []

    def record(response: Any) -> None:
        response.read()
        responses.append(response)

    with TestClient(app, raise_server_exceptions=False) as made:
        made.event_hooks["response"].append(record)
        yield made
    for response in responses:
        assert "password_hash" not in response.text
        assert "scrypt$" not in response.text
        assert response.status_code < 500, response.text
    assert responses


@pytest.fixture(params=[DATABASES[0], DATABASES[-1]])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    made = empty_store(request.param, tmp_path)
    yield made
    made.engine.dispose()


@pytest.fixture
def client(store: EventStore) -> Iterator[TestClient]:
    with service(store) as made:
        yield made


def info(category: str) -> Any:
    return serde.to_data(sample_info(category))


def register(client: TestClient, email: str = "ops@acme.example") -> tuple[str, str]:
    answer = client.post(
        "/partners",
        json={"email": email, "password": PASSWORD, "role": "Seller Service Partner"},
    )
    assert answer.status_code == 201, answer.text
    partner_id = answer.json()["data"]["partner_id"]
    assert answer.headers["location"] == f"/partners/{partner_id}"
    return partner_id, answer.headers["etag"]


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    return body


def onboarded(client: TestClient) -> tuple[str, str]:
    """A partner through the four steps and the review: entity and Shop Management approved."""
    partner_id, etag = register(client)
    steps = [
        ("put", f"/partners/{partner_id}/entity", ENTITY),
        ("post", f"/review/partners/{partner_id}/entity/approve", None),
        (
            "post",
            f"/partners/{partner_id}/applications",
            {"category": "Shop Management", "info": info("Shop Management")},
        ),
        ("post", f"/review/partners/{partner_id}/applications/shop_management/US/approve", None),
    ]
    for method, path, body in steps:
        answer = client.request(method, path, json=body, headers={"If-Match": etag})
        assert answer.status_code == 200, answer.text
        etag = answer.headers["etag"]
    return partner_id, etag


# ------------------------------------------------------------------------------------------------
# The four steps and the review


def test_the_four_steps_and_the_review(client: TestClient) -> None:
    partner_id, etag = onboarded(client)
    assert etag == '"5"'
    document = client.get(f"/partners/{partner_id}").json()
    assert document["type"] == "Partner"
    assert [e["kind"] for e in document["data"]["events"]] == [
        "register",
        "submit",
        "approve",
        "submit",
        "approve",
    ]
    profile = client.get(f"/partners/{partner_id}/profile")
    assert profile.json()["type"] == "Profile"
    rows = profile.json()["data"]["categories"]
    assert [(r["category"], r["status"]) for r in rows] == [("shop_management", "approved")]
    needs = client.get(f"/partners/{partner_id}/requirements").json()
    assert needs["type"] == "Requirements"
    answer = client.get(
        f"/partners/{partner_id}/eligibility/authorize_seller",
        params={"category": "Shop Management"},
    )
    assert answer.json()["data"]["allowed"] is True
    assert answer.json()["data"]["question"] == "authorize_seller"
    answer = client.post(
        f"/partners/{partner_id}/sellers",
        json={"category": "Shop Management", "seller_id": "S-1"},
        headers={"If-Match": etag},
    )
    assert answer.status_code == 200
    assert answer.json()["data"]["revision"] == 6


def test_a_rejection_is_modified_and_an_approval_edited(client: TestClient) -> None:
    partner_id, etag = onboarded(client)
    apply = {"category": "LIVE Management", "info": info("LIVE Management")}
    etag = client.post(
        f"/partners/{partner_id}/applications", json=apply, headers={"If-Match": etag}
    ).headers["etag"]
    answer = client.post(
        f"/review/partners/{partner_id}/applications/live_management/US/reject",
        json={"reasons": ["team too small"]},
        headers={"If-Match": etag},
    )
    assert answer.status_code == 200
    for category in ("live_management", "shop_management"):
        answer = client.put(
            f"/partners/{partner_id}/applications/{category}/US",
            json=info(category),
            headers={"If-Match": answer.headers["etag"]},
        )
        assert answer.status_code == 200, answer.text
    kinds = [e["kind"] for e in answer.json()["data"]["events"][-3:]]
    assert kinds == ["reject", "modify", "edit"]


def test_the_feed_gives_every_event_once_without_secrets(client: TestClient) -> None:
    first, _ = onboarded(client)
    register(client, "second@acme.example")
    page = client.get("/events", params={"limit": 3}).json()
    rest = client.get("/events", params={"after": page[-1]["position"]}).json()
    events = [item["event"] for item in page + rest]
    assert len(events) == 6
    assert [e["partner_id"] for e in events[:5]] == [first] * 5
    assert "email" in events[0]["account"]


# ------------------------------------------------------------------------------------------------
# Concurrency: If-Match


def test_a_write_from_a_stale_etag_is_412_and_writes_nothing(client: TestClient) -> None:
    partner_id, etag = register(client)
    first = client.put(f"/partners/{partner_id}/entity", json=ENTITY, headers={"If-Match": etag})
    assert first.status_code == 200
    second = client.put(f"/partners/{partner_id}/entity", json=ENTITY, headers={"If-Match": etag})
    body = problem(second, 412)
    assert (body["expected"], body["actual"]) == (1, 2)
    assert client.get(f"/partners/{partner_id}").json()["data"]["revision"] == 2


@pytest.mark.parametrize(("value", "status"), [(None, 428), ("soon", 400), ('W/"1"', 200)])
def test_a_write_names_the_revision_it_was_made_from(
    client: TestClient, value: str | None, status: int
) -> None:
    partner_id, _ = register(client)
    headers = {} if value is None else {"If-Match": value}
    answer = client.put(f"/partners/{partner_id}/entity", json=ENTITY, headers=headers)
    assert answer.status_code == status


# ------------------------------------------------------------------------------------------------
# Problems


def test_invalid_data_is_422_with_every_field_path(client: TestClient) -> None:
    partner_id, etag = register(client)
    entity = {**ENTITY, "ein": "12", "legal_name": ""}
    body = problem(
        client.put(f"/partners/{partner_id}/entity", json=entity, headers={"If-Match": etag}), 422
    )
    assert {e["path"] for e in body["errors"]} == {"ein", "legal_name"}
    assert "12" not in json.dumps(body["errors"])  # (an EIN is personal data: never quoted)


def test_a_registration_is_checked_and_its_password_never_echoed(client: TestClient) -> None:
    body = problem(
        client.post(
            "/partners", json={"email": "not an email", "password": "short", "role": "Seller"}
        ),
        422,
    )
    assert {e["path"] for e in body["errors"]} >= {"email", "password"}
    assert "short" not in json.dumps(body)
    register(client)
    body = problem(
        client.post(
            "/partners",
            json={
                "email": "ops@acme.example",
                "password": PASSWORD,
                "role": "Creator Service Partner",
            },
        ),
        422,
    )
    assert [e["path"] for e in body["errors"]] == ["email"]
    body = problem(client.post("/partners", json={"email": "a@b.example", "colour": 1}), 422)
    assert {e["path"] for e in body["errors"]} == {"colour", "password", "role"}


def test_an_unknown_category_suggests_the_known_ones(client: TestClient) -> None:
    partner_id, etag = onboarded(client)
    apply = {"category": "Shop Managment", "info": info("Shop Management")}
    body = problem(
        client.post(f"/partners/{partner_id}/applications", json=apply, headers={"If-Match": etag}),
        422,
    )
    assert "Shop Management" in body["suggestions"]


def test_a_rule_or_the_review_state_refusing_is_409_with_the_rule(client: TestClient) -> None:
    partner_id, etag = register(client)
    apply = {"category": "Shop Management", "info": info("Shop Management")}
    body = problem(
        client.post(f"/partners/{partner_id}/applications", json=apply, headers={"If-Match": etag}),
        409,
    )
    assert body["rule"] == "entity_not_submitted"
    body = problem(
        client.post(f"/review/partners/{partner_id}/entity/approve", headers={"If-Match": etag}),
        409,
    )
    assert body["rule"] == "transition_table"
    assert body["allowed"] == ["submit"]


def test_the_policy_refusing_is_403_with_its_decision(store: EventStore) -> None:
    # A partner registered after the upgrade is new: Paid Media is closed to it.
    with service(store, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)) as late:
        partner_id, etag = register(late)
        for method, path in [
            ("put", f"/partners/{partner_id}/entity"),
            ("post", f"/review/partners/{partner_id}/entity/approve"),
        ]:
            body = ENTITY if method == "put" else None
            etag = late.request(method, path, json=body, headers={"If-Match": etag}).headers["etag"]
        apply = {"category": "Paid Media", "info": info("Paid Media")}
        answer = late.post(
            f"/partners/{partner_id}/applications", json=apply, headers={"If-Match": etag}
        )
        body = problem(answer, 403)
    assert body["decision"]["allowed"] is False
    assert body["decision"]["category"] == "paid_media"
    assert body["rule"] == "policy"


def test_an_unknown_partner_or_application_is_404(client: TestClient) -> None:
    assert "p-nobody" in problem(client.get("/partners/p-nobody"), 404)["detail"]
    partner_id, etag = register(client)
    body = problem(
        client.post(
            f"/review/partners/{partner_id}/applications/shop_management/US/approve",
            headers={"If-Match": etag},
        ),
        404,
    )
    assert body["title"] == "Not found"


# ------------------------------------------------------------------------------------------------
# Hostile bodies


WRITES = [
    ("post", "/partners"),
    ("put", "/partners/{id}/entity"),
    ("post", "/partners/{id}/applications"),
    ("put", "/partners/{id}/applications/shop_management/US"),
    ("post", "/partners/{id}/sellers"),
    ("post", "/review/partners/{id}/entity/reject"),
]
CORPUS = sorted((ROOT / "fuzz" / "corpus" / "json").iterdir())


@pytest.mark.parametrize("document", CORPUS, ids=lambda p: p.name)
def test_the_fuzz_corpus_gets_4xx_problems(client: TestClient, document: Path) -> None:
    partner_id, etag = register(client)
    for method, path in WRITES:
        answer = client.request(
            method,
            path.format(id=partner_id),
            content=document.read_bytes(),
            headers={"Content-Type": "application/json", "If-Match": etag},
        )
        assert 400 <= answer.status_code < 500, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "kind", "status"),
    [
        (b"x" * (onboarding_service.MAX_BODY + 1), "application/json", 413),
        (b"{}", "text/plain", 415),
        (b"", "application/json", 400),
        (b"{", "application/json", 400),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
        (b'{"ein": NaN}', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
    ],
)
def test_bodies_out_of_bounds_are_refused_before_use(
    client: TestClient, body: bytes, kind: str, status: int
) -> None:
    partner_id, etag = register(client)
    answer = client.put(
        f"/partners/{partner_id}/entity",
        content=body,
        headers={"Content-Type": kind, "If-Match": etag},
    )
    assert problem(answer, status)["status"] == status
    # (refused before use: the partner is as it was)
    assert client.get(f"/partners/{partner_id}").json()["data"]["revision"] == 1


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.text(max_size=20)
        | st.floats(allow_nan=False),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    ),
    st.sampled_from(WRITES),
)
def test_any_json_body_gets_an_answer_not_a_500(
    client: TestClient, data: object, write: tuple[str, str]
) -> None:
    method, path = write
    answer = client.request(
        method,
        path.format(id="p-unknown"),
        content=json.dumps(data),
        headers={"Content-Type": "application/json", "If-Match": '"1"'},
    )
    assert answer.status_code < 500, answer.text


# ------------------------------------------------------------------------------------------------
# OpenAPI


def test_the_openapi_document_shows_the_librarys_fields(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"ein", "address", "contact"} <= set(schemas["Entity"]["properties"])
    assert "password_hash" not in schemas["Account"]["properties"]
    entity_body = spec["paths"]["/partners/{partner_id}/entity"]["put"]["requestBody"]
    assert entity_body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Entity"
    }
    answer = spec["paths"]["/partners/{partner_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PartnerDocument"
    }
    assert "#/$defs/" not in json.dumps(spec)


def test_passwords_drawn_never_reach_a_response(client: TestClient) -> None:
    @settings(max_examples=5, deadline=None)
    @given(passwords())
    def check(password: str) -> None:
        answer = client.post(
            "/partners", json={"email": "x@acme.example", "password": password, "role": "nope"}
        )
        assert password not in answer.text

    check()
