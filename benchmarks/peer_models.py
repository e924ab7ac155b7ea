"""A partner's JSON document (its events) as pydantic v2 models, three ways, for the JSON peers of
compare.py:

- types only: the document's shape, nothing checked;
- then the library: the types-only models, then the library's values built from the typed fields
  (every event through its constructor, the events replayed): what a pydantic user who wants the
  library's guarantees would write;
- checked: the same models running the library's field checks as their own validators (emails,
  phones, EINs, ZIP codes, states, URLs, text lengths, partner ids), but no history replayed.

Built on demand, so that a missing peer is reported rather than failing the whole benchmark. No
``from __future__ import annotations`` here: pydantic reads these annotations as types.
"""

import datetime as dt
import functools
import types
from collections.abc import Callable
from typing import Annotated, Any


@functools.cache
def pydantic_partner(*, checked: bool) -> type:
    """The partner document's data as pydantic models; ``checked`` adds the field checks."""
    import pydantic  # noqa: PLC0415

    from partner_onboarding import _fields as fields  # noqa: PLC0415

    def checked_by(normalize: Callable[[str], Any]) -> Callable[[str], str]:
        def validate(value: str) -> str:
            result = normalize(value)
            if isinstance(result, fields.Rejected):
                raise ValueError(result.reason)
            return value

        return validate

    def kind(base: Any, *checks: Any) -> Any:
        """``base``, with ``checks`` when the model is the checked one."""
        return Annotated[base, *checks] if checked else base

    def text(max_length: int) -> Any:
        return kind(str, pydantic.StringConstraints(min_length=1, max_length=max_length))

    def normalized(normalize: Callable[[str], Any]) -> Any:
        return kind(str, pydantic.AfterValidator(checked_by(normalize)))

    # The field types, under names the models' own fields do not hide.
    t = types.SimpleNamespace(
        email=normalized(fields.normalize_email),
        phone=normalized(fields.normalize_phone),
        name=text(200),
        line=text(100),
        reason=text(1000),
        description=text(2000),
        url=normalized(fields.normalize_url),
        state=normalized(fields.normalize_state),
        zip_code=normalized(fields.normalize_zip),
        ein=normalized(fields.normalize_ein),
        password_hash=normalized(_password_hash),
        partner_id=kind(str, pydantic.StringConstraints(pattern=fields.PARTNER_ID.pattern)),
        market=kind(str, pydantic.StringConstraints(min_length=2, max_length=2)),
        digest=kind(str, pydantic.StringConstraints(pattern="^[0-9a-f]{64}$")),
        team_size=kind(int, pydantic.Field(ge=1, le=1_000_000)),
        seq=kind(int, pydantic.Field(ge=1)),
    )

    class Address(pydantic.BaseModel):
        lines: list[t.line]
        city: t.name
        state: t.state
        zip_code: t.zip_code

    class Contact(pydantic.BaseModel):
        name: t.name
        email: t.email
        phone: t.phone

    class Document(pydantic.BaseModel):
        name: t.name
        sha256: t.digest

    class Entity(pydantic.BaseModel):
        legal_name: t.name
        ein: t.ein
        address: Address
        contact: Contact
        country: t.market
        website: t.url | None
        documents: list[Document]

    class Account(pydantic.BaseModel):
        email: t.email
        password_hash: t.password_hash
        registered_at: dt.datetime
        phone: t.phone | None = None

    class Info(pydantic.BaseModel):
        category: str
        service_description: t.description | None
        markets_served: list[t.market]
        team_size: t.team_size | None
        reference_links: list[t.url]

    class Event(pydantic.BaseModel):
        partner_id: t.partner_id
        seq: t.seq
        at: dt.datetime
        actor: str
        subject: str
        kind: str
        account: Account | None = None
        role: str | None = None
        registration_market: t.market | None = None
        agency_type: str | None = None
        entity: Entity | None = None
        category: str | None = None
        market: t.market | None = None
        info: Info | None = None
        reasons: list[t.reason] = []
        seller_id: str | None = None
        approves: str | None = None

    class Partner(pydantic.BaseModel):
        partner_id: t.partner_id
        revision: int
        events: list[Event]

    return Partner


def _password_hash(text: str) -> str:
    from partner_onboarding.model import PasswordHash  # noqa: PLC0415

    PasswordHash.parse(text)  # (raises the library's ValidationError, a ValueError)
    return text


def pydantic_then_library() -> tuple[type, Any]:
    """The types-only model, and a ``TypeAdapter`` of it whose validation then builds the
    library's partner from the typed fields (``library_partner``)."""
    import pydantic  # noqa: PLC0415

    types_only = pydantic_partner(checked=False)
    adapter = pydantic.TypeAdapter(Annotated[types_only, pydantic.AfterValidator(library_partner)])
    return types_only, adapter


def library_partner(document: Any) -> Any:
    """The library's partner from a typed model of its document: every event built by its
    constructor (every field check), then replayed under the default policy (every rule)."""
    return _library_builder()(document)


@functools.cache
def _library_builder() -> Callable[[Any], Any]:
    from partner_onboarding import catalog, lifecycle  # noqa: PLC0415
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

    def account(a: Any) -> lib.Account:
        return lib.Account(
            email=a.email,
            password_hash=lib.PasswordHash.parse(a.password_hash),
            registered_at=instant(a.registered_at),
            phone=a.phone,
        )

    def entity(e: Any) -> lib.Entity:
        return lib.Entity(
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
        )

    def info(i: Any) -> lib.CategoryInfo:
        return lib.CategoryInfo(
            category=categories.category(i.category),
            service_description=i.service_description,
            markets_served=tuple(market(m) for m in i.markets_served),
            team_size=i.team_size,
            reference_links=tuple(i.reference_links),
        )

    def event(e: Any) -> lib.PartnerEvent:
        return lib.PartnerEvent(
            partner_id=e.partner_id,
            seq=e.seq,
            at=instant(e.at),
            actor=lib.Actor(e.actor),
            subject=lib.Subject(e.subject),
            kind=lib.EventKind(e.kind),
            account=None if e.account is None else account(e.account),
            role=None if e.role is None else catalog.PartnerRole(e.role),
            registration_market=None
            if e.registration_market is None
            else market(e.registration_market),
            agency_type=None if e.agency_type is None else lib.AgencyType(e.agency_type),
            entity=None if e.entity is None else entity(e.entity),
            category=None if e.category is None else categories.category(e.category),
            market=None if e.market is None else market(e.market),
            info=None if e.info is None else info(e.info),
            reasons=tuple(e.reasons),
            seller_id=e.seller_id,
            approves=e.approves,
        )

    def partner(p: Any) -> lib.Partner:
        built = lifecycle.replay([event(e) for e in p.events])
        if built.partner_id != p.partner_id or built.revision != p.revision:
            raise ValueError("partner_id or revision is not the events'")
        return built

    return partner
