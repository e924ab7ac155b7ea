"""A reference web service over partner_onboarding: the Partner Center's four steps, the platform's
review, the partner's standing and the eligibility questions, on the library's event store.

    uvicorn onboarding_service:app            # SQLite file partners.db (ONBOARDING_DATABASE_URL)

What it shows:
- request and response bodies declared from the library's JSON Schemas (``/docs`` shows the real
  fields); responses are the library's documents for clients (``secrets=False``: no password
  hash);
- every error an RFC 9457 problem document (``application/problem+json``) with the field paths
  and the rule's code, never a 500 for bad input;
- writes take ``If-Match: <revision>`` (a partner's ``ETag``) and answer 412 when someone else
  wrote first (the store's :class:`StaleRevision`), 428 without it;
- the events since a position (``GET /events``), for an outbox or notifications.

Authentication is left out: put the service behind what your platform uses, and keep the
``/review`` routes for the platform's reviewers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from partner_onboarding import (
    DEFAULT_POLICY,
    Account,
    CategoryInfo,
    Entity,
    Partner,
    lifecycle,
    serde,
    standing,
)
from partner_onboarding.errors import (
    ApplicationNotFound,
    InvalidTransition,
    OnboardingError,
    PartnerNotFound,
    PolicyRefusal,
    RuleViolation,
    StaleRevision,
    UnknownCategory,
    ValidationError,
)
from partner_onboarding.model import ReviewStatus
from partner_onboarding.policy import Decision, Question
from partner_onboarding.store import EventStore

#: The largest request body read; a larger one is refused (413) before it is read.
MAX_BODY: Final = 256 * 1024
PROBLEM: Final = "application/problem+json"
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Problem(Exception):
    """An RFC 9457 problem: ``status``, a short ``title``, the ``detail`` and extensions."""

    def __init__(self, status: int, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extensions = status, title, detail, extensions

    def response(self, request: Request) -> JSONResponse:
        body = {
            "type": f"/problems/{self.title.lower().replace(' ', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": request.url.path,
            **self.extensions,
        }
        return JSONResponse(body, status_code=self.status, media_type=PROBLEM)


def problem_of(error: OnboardingError) -> Problem:  # noqa: PLR0911  (one branch an error kind)
    """The HTTP problem of a library error: its status, and its facts as extensions."""
    if isinstance(error, ValidationError):
        errors = [{"path": p.path, "reason": p.reason} for p in error.problems]
        return Problem(
            422, "Invalid data", str(error).splitlines()[0], errors=errors, more=error.more
        )
    if isinstance(error, PartnerNotFound | ApplicationNotFound):
        return Problem(404, "Not found", str(error))
    if isinstance(error, UnknownCategory):
        return Problem(422, "Unknown category", str(error), suggestions=list(error.suggestions))
    if isinstance(error, StaleRevision):
        return Problem(
            412,
            "Stale revision",
            str(error) + "; load the partner again and retry",
            expected=error.expected,
            actual=error.actual,
        )
    if isinstance(error, PolicyRefusal):
        decision = serde.to_data(error.decision)
        return Problem(403, "Refused by policy", str(error), rule="policy", decision=decision)
    if isinstance(error, RuleViolation):
        return Problem(409, "Refused by rule", str(error), rule=error.rule)
    if isinstance(error, InvalidTransition):
        return Problem(
            409,
            "Refused by review state",
            str(error),
            rule="transition_table",
            allowed=[str(getattr(kind, "value", kind)) for kind in error.allowed],
        )
    return Problem(400, "Refused", str(error))


# ------------------------------------------------------------------------------------------------
# Bodies: read within bounds, as the library's values


async def _json_body(request: Request) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Problem(415, "Unsupported media type", "send the body as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise Problem(413, "Body too large", f"a body holds at most {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Problem(413, "Body too large", f"a body holds at most {MAX_BODY} bytes")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise Problem(400, "Malformed JSON", str(error)[:200]) from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _fields(data: Any, names: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Problem(422, "Invalid data", "the body must be a JSON object")
    unknown = [name for name in data if name not in names]
    missing = [name for name in required if name not in data]
    errors = [{"path": str(n)[:100], "reason": "unknown field"} for n in unknown[:50]]
    errors += [{"path": n, "reason": "is required"} for n in missing]
    if errors:
        raise Problem(
            422, "Invalid data", "the body's fields are not the expected ones", errors=errors
        )
    return data


def _value(data: Any, cls: type[Any], path: str) -> Any:
    try:
        return serde.from_data(data, cls)
    except ValidationError as error:
        raise ValidationError(error.under(path).problems, what=cls.__name__) from None


def _document(value: object, status: int = 200, partner: Partner | None = None) -> Response:
    headers = {} if partner is None else {"ETag": f'"{partner.revision}"'}
    return Response(
        serde.to_json(value, secrets=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _revision(request: Request) -> int:
    """The revision ``If-Match`` names (an ETag this service gave: ``"5"``, or ``5``)."""
    value = request.headers.get("if-match")
    if value is None:
        raise Problem(
            428, "Precondition required", 'send If-Match: "<revision>", the ETag you read'
        )
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise Problem(400, "Bad If-Match", 'If-Match must be "<revision>", the ETag you read')
    return int(text)


# ------------------------------------------------------------------------------------------------
# OpenAPI: the library's JSON Schemas, as they are


def _schemas() -> dict[str, Any]:
    """Every library definition the service's bodies use, and each document's envelope."""
    found: dict[str, Any] = {}
    for cls in (Partner, Entity, CategoryInfo, Decision, standing.Profile, standing.Requirements):
        schema = serde.json_schema(cls, secrets=False)
        text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
        schema = json.loads(text)
        found.update(schema.pop("$defs", {}))
        schema.pop("$schema")
        found[f"{cls.__name__}Document"] = schema
    return found


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _answers(document: str) -> dict[int | str, dict[str, Any]]:
    problem = {"description": "An RFC 9457 problem", "content": {PROBLEM: {}}}
    return {
        200: {"content": {"application/json": {"schema": _ref(f"{document}Document")}}},
        404: problem,
        409: problem,
        412: problem,
        422: problem,
    }


REGISTRATION: Final = {
    "type": "object",
    "properties": {
        "email": {"type": "string"},
        "password": {"type": "string", "writeOnly": True},
        "phone": {"type": ["string", "null"]},
        "role": {"type": "string"},
        "registration_market": {"type": "string"},
        "agency_type": {"type": "string"},
    },
    "required": ["email", "password", "role"],
    "additionalProperties": False,
}
APPLICATION: Final = {
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "market": {"type": ["string", "null"]},
        "info": _ref("CategoryInfo"),
    },
    "required": ["category", "info"],
    "additionalProperties": False,
}
REASONS: Final = {
    "type": "object",
    "properties": {"reasons": {"type": "array", "items": {"type": "string"}}},
    "required": ["reasons"],
    "additionalProperties": False,
}
SELLER: Final = {
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "market": {"type": ["string", "null"]},
        "seller_id": {"type": "string"},
    },
    "required": ["category", "seller_id"],
    "additionalProperties": False,
}


# ------------------------------------------------------------------------------------------------
# The application


def create_app(store: EventStore, *, clock: Clock = _utc_now) -> FastAPI:  # noqa: PLR0915
    """The service over ``store``; ``clock`` gives the instant of each request's step."""
    app = FastAPI(
        title="Partner onboarding",
        version="1",
        description="The TikTok Shop Partner Center (US) onboarding, on partner_onboarding.",
    )
    policy = DEFAULT_POLICY

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return error.response(request)

    @app.exception_handler(OnboardingError)
    async def _library(request: Request, error: OnboardingError) -> JSONResponse:
        return problem_of(error).response(request)

    async def change(
        request: Request, partner_id: str, step: Callable[[Partner, dt.datetime], Partner]
    ) -> Response:
        """Load, take ``step`` from the revision the client read, store: 412 if stale."""
        expected = _revision(request)
        partner = store.load(partner_id)
        if partner.revision != expected:
            raise StaleRevision(expected=expected, actual=partner.revision)
        changed = step(partner, clock())
        store.append(changed, expected)
        return _document(changed, partner=changed)

    # -- step 1 and 2: register, choose a role ----------------------------------------------------

    @app.post(
        "/partners",
        status_code=201,
        openapi_extra=_body(REGISTRATION),
        responses=_answers("Partner"),
        summary="Register an account and choose its first partner role (steps 1 and 2)",
    )
    async def register(request: Request) -> Response:
        data = _fields(
            await _json_body(request),
            ("email", "password", "phone", "role", "registration_market", "agency_type"),
            ("email", "password", "role"),
        )
        now = clock()
        if not isinstance(data["password"], str):
            raise ValidationError.single("password", "must be a string", what="account")
        account = Account.register(
            email=data["email"], password=data["password"], phone=data.get("phone"), at=now
        )
        options = {k: data[k] for k in ("registration_market", "agency_type") if k in data}
        partner = lifecycle.choose_role(account, data["role"], at=now, **options)
        if store.partner_for_email(account.email) is not None:
            raise ValidationError.single(
                "email", "is the account of another partner already", what="account"
            )
        store.append(partner, 0)
        response = _document(partner, 201, partner=partner)
        response.headers["Location"] = f"/partners/{partner.partner_id}"
        return response

    @app.get("/partners/{partner_id}", responses=_answers("Partner"))
    async def read(partner_id: str) -> Response:
        partner = store.load(partner_id)
        return _document(partner, partner=partner)

    # -- step 2: the entity -----------------------------------------------------------------------

    @app.put(
        "/partners/{partner_id}/entity",
        openapi_extra=_body(_ref("Entity")),
        responses=_answers("Partner"),
        summary="Submit the entity information, or modify it after a rejection",
    )
    async def submit_entity(request: Request, partner_id: str) -> Response:
        entity = _value(await _json_body(request), Entity, "")

        def step(partner: Partner, now: dt.datetime) -> Partner:
            rejected = partner.entity is not None and partner.entity.status is ReviewStatus.REJECTED
            if rejected:
                return lifecycle.modify_entity(partner, entity, at=now)
            return lifecycle.submit_entity(partner, entity, at=now)

        return await change(request, partner_id, step)

    # -- step 3: categories and markets ("add category & market" too) -----------------------------

    @app.post(
        "/partners/{partner_id}/applications",
        openapi_extra=_body(APPLICATION),
        responses=_answers("Partner"),
        summary="Apply for a category and market (step 3, and 'add category & market')",
    )
    async def apply(request: Request, partner_id: str) -> Response:
        data = _fields(
            await _json_body(request), ("category", "market", "info"), ("category", "info")
        )
        info = _value(data["info"], CategoryInfo, "info")

        def step(partner: Partner, now: dt.datetime) -> Partner:
            return lifecycle.apply(
                partner, data["category"], info, market=data.get("market"), at=now, policy=policy
            )

        return await change(request, partner_id, step)

    @app.put(
        "/partners/{partner_id}/applications/{category}/{market}",
        openapi_extra=_body(_ref("CategoryInfo")),
        responses=_answers("Partner"),
        summary="Modify a rejected application, or edit an approved one (a revision for review)",
    )
    async def revise(request: Request, partner_id: str, category: str, market: str) -> Response:
        info = _value(await _json_body(request), CategoryInfo, "")

        def step(partner: Partner, now: dt.datetime) -> Partner:
            if partner.application(category, market).status is ReviewStatus.APPROVED:
                return lifecycle.edit(partner, category, info, market=market, at=now)
            return lifecycle.modify(partner, category, info, market=market, at=now)

        return await change(request, partner_id, step)

    @app.post(
        "/partners/{partner_id}/sellers",
        openapi_extra=_body(SELLER),
        responses=_answers("Partner"),
        summary="Record a seller's authorisation in an approved category",
    )
    async def authorize(request: Request, partner_id: str) -> Response:
        data = _fields(
            await _json_body(request),
            ("category", "market", "seller_id"),
            ("category", "seller_id"),
        )

        def step(partner: Partner, now: dt.datetime) -> Partner:
            return lifecycle.authorize_seller(
                partner,
                data["category"],
                data["seller_id"],
                market=data.get("market"),
                at=now,
                policy=policy,
            )

        return await change(request, partner_id, step)

    # -- step 4: the profile, review status, what is due ------------------------------------------

    @app.get("/partners/{partner_id}/profile", responses=_answers("Profile"))
    async def profile(partner_id: str) -> Response:
        partner = store.load(partner_id)
        return _document(standing.profile(partner, at=clock(), policy=policy), partner=partner)

    @app.get("/partners/{partner_id}/requirements", responses=_answers("Requirements"))
    async def requirements(partner_id: str) -> Response:
        partner = store.load(partner_id)
        return _document(standing.requirements(partner, at=clock(), policy=policy), partner=partner)

    @app.get(
        "/partners/{partner_id}/eligibility/{question}",
        responses=_answers("Decision"),
        summary="May the partner register for a category, or add a seller authorisation?",
    )
    async def eligibility(
        partner_id: str,
        question: Question,
        category: str,
        market: str | None = None,
        at: dt.datetime | None = None,
    ) -> Response:
        partner = store.load(partner_id)
        when = clock() if at is None else at
        ask = policy.can_register if question is Question.REGISTER else policy.can_authorize_seller
        return _document(ask(partner, category, market=market, at=when), partner=partner)

    # -- the platform's review --------------------------------------------------------------------

    @app.post("/review/partners/{partner_id}/entity/approve", responses=_answers("Partner"))
    async def approve_entity(request: Request, partner_id: str) -> Response:
        return await change(
            request, partner_id, lambda partner, now: lifecycle.approve_entity(partner, at=now)
        )

    @app.post(
        "/review/partners/{partner_id}/entity/reject",
        openapi_extra=_body(REASONS),
        responses=_answers("Partner"),
    )
    async def reject_entity(request: Request, partner_id: str) -> Response:
        reasons = _fields(await _json_body(request), ("reasons",), ("reasons",))["reasons"]
        return await change(
            request,
            partner_id,
            lambda partner, now: lifecycle.reject_entity(partner, _texts(reasons), at=now),
        )

    @app.post(
        "/review/partners/{partner_id}/applications/{category}/{market}/approve",
        responses=_answers("Partner"),
    )
    async def approve(request: Request, partner_id: str, category: str, market: str) -> Response:
        return await change(
            request,
            partner_id,
            lambda partner, now: lifecycle.approve(partner, category, market=market, at=now),
        )

    @app.post(
        "/review/partners/{partner_id}/applications/{category}/{market}/reject",
        openapi_extra=_body(REASONS),
        responses=_answers("Partner"),
    )
    async def reject(request: Request, partner_id: str, category: str, market: str) -> Response:
        reasons = _fields(await _json_body(request), ("reasons",), ("reasons",))["reasons"]
        return await change(
            request,
            partner_id,
            lambda partner, now: lifecycle.reject(
                partner, category, _texts(reasons), market=market, at=now
            ),
        )

    # -- the outbox -------------------------------------------------------------------------------

    @app.get("/events", summary="The events after a position, in commit order (for an outbox)")
    async def events(
        after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)
    ) -> Response:
        stored = store.feed(after, limit)
        body = [
            {"position": item.position, "event": serde.to_data(item.event, secrets=False)}
            for item in stored
        ]
        return JSONResponse(body)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi  # noqa: PLC0415

            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(_schemas())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _texts(reasons: object) -> list[str]:
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValidationError.single("reasons", "must be a list of strings", what="review")
    return reasons


def _default_app() -> FastAPI:
    store = EventStore(os.environ.get("ONBOARDING_DATABASE_URL", "sqlite:///partners.db"))
    store.create()
    return create_app(store)


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn onboarding_service:app`` makes the app (and its database) only when asked.
    if name == "app":
        return _default_app()
    raise AttributeError(name)
