"""The partner's JSON shape as pydantic v2 models and msgspec structs (types only, no checks), and
each of them followed by the library's own constructors (every check) on the same document.

Built on demand, so that a missing peer is reported rather than failing the whole benchmark. No
``from __future__ import annotations`` here: both libraries read these annotations as types.
"""

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any


def pydantic_partner() -> type:
    import pydantic  # noqa: PLC0415

    class Event(pydantic.BaseModel):
        actor: str
        kind: str
        from_status: str | None
        to_status: str
        at: dt.datetime
        reasons: list[str]

    class Info(pydantic.BaseModel):
        category: str
        service_description: str | None
        markets_served: list[str]
        team_size: int | None
        reference_links: list[str]

    class Application(pydantic.BaseModel):
        id: str
        category: str
        market: str
        status: str
        info: Info
        history: list[Event]
        pending_revision: Info | None
        supersedes: str | None

    class Address(pydantic.BaseModel):
        lines: list[str]
        city: str
        state: str
        zip_code: str

    class Contact(pydantic.BaseModel):
        name: str
        email: str
        phone: str

    class Document(pydantic.BaseModel):
        name: str
        sha256: str

    class Entity(pydantic.BaseModel):
        legal_name: str
        ein: str
        address: Address
        contact: Contact
        country: str
        website: str | None
        documents: list[Document]

    class Review(pydantic.BaseModel):
        entity: Entity
        status: str
        history: list[Event]

    class Account(pydantic.BaseModel):
        email: str
        password_hash: str
        registered_at: dt.datetime
        phone: str | None

    class Grant(pydantic.BaseModel):
        role: str
        at: dt.datetime

    class Partner(pydantic.BaseModel):
        account: Account
        roles_granted: list[Grant]
        registration_market: str
        agency_type: str
        entity: Review | None
        applications: list[Application]
        authorizations: list[dict[str, Any]]

    return Partner


def pydantic_partner_checked() -> tuple[type, Any]:
    """The types-only pydantic model of the partner, and a ``TypeAdapter`` of it whose validation
    then builds the library's values from the typed fields: every field check, every history
    replayed against the review table, the partner's story checked, as the library's own
    constructors do them. What a pydantic user wanting the library's guarantees would write."""
    from typing import Annotated  # noqa: PLC0415

    import pydantic  # noqa: PLC0415

    types_only = pydantic_partner()
    checked = pydantic.TypeAdapter(Annotated[types_only, pydantic.AfterValidator(library_partner)])
    return types_only, checked


def library_partner(p: Any) -> Any:
    """The library's partner built from a typed model of its document (pydantic's or msgspec's):
    the library's constructors, every check run, every history replayed."""
    return _library_builder()(p)


@functools.cache
def _library_builder() -> Callable[[Any], Any]:
    from partner_onboarding import catalog  # noqa: PLC0415
    from partner_onboarding import model as lib  # noqa: PLC0415

    categories = catalog.DEFAULT_CATALOG
    market = catalog.Market.parse

    zones: dict[Any, dt.timezone] = {}

    def instant(value: dt.datetime) -> dt.datetime:
        # pydantic's own tzinfo, swapped for the standard library's fixed offset (which the
        # library keeps), so that the peer does not pay for converting a foreign zone.
        offset = value.utcoffset()
        zone = zones.get(offset) or zones.setdefault(
            offset, dt.timezone(offset) if offset else dt.UTC
        )
        return value.replace(tzinfo=zone)

    def status(value: str | None) -> lib.ReviewStatus | None:
        return None if value is None else lib.ReviewStatus(value)

    def event(e: Any) -> lib.Event:
        return lib.Event(
            actor=lib.Actor(e.actor),
            kind=lib.EventKind(e.kind),
            from_status=status(e.from_status),
            to_status=lib.ReviewStatus(e.to_status),
            at=instant(e.at),
            reasons=tuple(e.reasons),
        )

    def info(i: Any) -> lib.CategoryInfo:
        return lib.CategoryInfo(
            category=categories.category(i.category),
            service_description=i.service_description,
            markets_served=tuple(market(m) for m in i.markets_served),
            team_size=i.team_size,
            reference_links=tuple(i.reference_links),
        )

    def application(a: Any) -> lib.Application:
        return lib.Application(
            id=a.id,
            category=categories.category(a.category),
            market=market(a.market),
            status=lib.ReviewStatus(a.status),
            info=info(a.info),
            history=lib.History(event(e) for e in a.history),
            pending_revision=None if a.pending_revision is None else info(a.pending_revision),
            supersedes=a.supersedes,
        )

    def entity(r: Any) -> lib.EntityReview:
        e = r.entity
        return lib.EntityReview(
            entity=lib.Entity(
                legal_name=e.legal_name,
                ein=e.ein,
                address=lib.Address(
                    lines=tuple(e.address.lines),
                    city=e.address.city,
                    state=e.address.state,
                    zip_code=e.address.zip_code,
                ),
                contact=lib.ContactPerson(
                    name=e.contact.name, email=e.contact.email, phone=e.contact.phone
                ),
                country=market(e.country),
                website=e.website,
                documents=tuple(lib.DocumentRef(name=d.name, sha256=d.sha256) for d in e.documents),
            ),
            status=lib.ReviewStatus(r.status),
            history=lib.History(event(h) for h in r.history),
        )

    def partner(p: Any) -> lib.Partner:
        return lib.Partner(
            account=lib.Account(
                email=p.account.email,
                password_hash=lib.PasswordHash.parse(p.account.password_hash),
                registered_at=instant(p.account.registered_at),
                phone=p.account.phone,
            ),
            roles_granted=tuple(
                lib.RoleGrant(role=catalog.PartnerRole(g.role), at=instant(g.at))
                for g in p.roles_granted
            ),
            registration_market=market(p.registration_market),
            agency_type=lib.AgencyType(p.agency_type),
            entity=None if p.entity is None else entity(p.entity),
            applications=tuple(application(a) for a in p.applications),
            authorizations=(),  # (the benchmark partner has none; the types-only model's shape)
        )

    return partner


def msgspec_partner() -> type:
    import msgspec  # noqa: PLC0415

    class Event(msgspec.Struct):
        actor: str
        kind: str
        from_status: str | None
        to_status: str
        at: dt.datetime
        reasons: list[str]

    class Info(msgspec.Struct):
        category: str
        service_description: str | None
        markets_served: list[str]
        team_size: int | None
        reference_links: list[str]

    class Application(msgspec.Struct):
        id: str
        category: str
        market: str
        status: str
        info: Info
        history: list[Event]
        pending_revision: Info | None
        supersedes: str | None

    class Address(msgspec.Struct):
        lines: list[str]
        city: str
        state: str
        zip_code: str

    class Contact(msgspec.Struct):
        name: str
        email: str
        phone: str

    class Document(msgspec.Struct):
        name: str
        sha256: str

    class Entity(msgspec.Struct):
        legal_name: str
        ein: str
        address: Address
        contact: Contact
        country: str
        website: str | None
        documents: list[Document]

    class Review(msgspec.Struct):
        entity: Entity
        status: str
        history: list[Event]

    class Account(msgspec.Struct):
        email: str
        password_hash: str
        registered_at: dt.datetime
        phone: str | None

    class Grant(msgspec.Struct):
        role: str
        at: dt.datetime

    class Partner(msgspec.Struct):
        account: Account
        roles_granted: list[Grant]
        registration_market: str
        agency_type: str
        entity: Review | None
        applications: list[Application]
        authorizations: list[dict[str, Any]]

    return Partner
