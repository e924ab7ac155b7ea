"""An append-only event store for services: partners kept as their events, on SQLite or PostgreSQL.

Needs the ``[sql]`` extra (SQLAlchemy 2 and psycopg 3); the rest of the library imports nothing
of it. A partner *is* its events (:class:`~partner_onboarding.model.Partner`), so the store keeps
exactly those, one row an event, and nothing else that could disagree with them::

    store = EventStore("sqlite:///partners.db")      # or "postgresql+psycopg://…"
    store.create()                                   # the tables (docs/services.md has the DDL)
    partner = store.load(partner_id)                 # the stored events, replayed
    changed = lifecycle.approve(partner, "Paid Media", at=now)
    store.append(changed, partner.revision)          # StaleRevision if someone wrote first

``append`` writes the events added since the revision the partner was loaded at, in one
transaction. Two writers from the same revision cannot both succeed: the partner's row is
updated only where it still holds that revision, and ``(partner_id, seq)`` is a unique key
besides, so an event is never lost or stored twice; the loser gets
:class:`~partner_onboarding.errors.StaleRevision` and nothing of its write is kept.

Every event gets a global ``position`` in commit order; :meth:`EventStore.feed` reads them from
a position on, for an outbox or notifications. On PostgreSQL the appends take a transaction lock
before numbering their events, so a reader that saw position *n* never sees a smaller position
commit later (SQLite writes one transaction at a time anyway).

Nothing stored is trusted: :meth:`EventStore.load` reads each event's document as
:func:`~partner_onboarding.serde.from_json` does, checks it against its row (partner, ``seq``,
digest) and the partner's row (revision, last digest), and replays the events under the policy.
A row edited in the database is refused with the partner's id and the event's ``seq``.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import threading
from collections.abc import Iterator
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from partner_onboarding import lifecycle, serde
from partner_onboarding._fields import as_email
from partner_onboarding.catalog import DEFAULT_CATALOG, Catalog
from partner_onboarding.errors import (
    OnboardingError,
    PartnerNotFound,
    Problem,
    StaleRevision,
    ValidationError,
    WrongType,
)
from partner_onboarding.model import DEFAULT, Partner, PartnerEvent, UseDefault
from partner_onboarding.policy import DEFAULT_POLICY, Policy

__all__ = [
    "EVENTS",
    "MAX_EVENT_CHARS",
    "METADATA",
    "PARTNERS",
    "EventStore",
    "StoredEvent",
    "ddl",
]

#: The store's tables; ``METADATA.create_all`` (or :meth:`EventStore.create`) makes them.
METADATA: Final = sa.MetaData()

#: One row a partner: what the optimistic check and the look-ups read. ``revision`` is the number
#: of its events and ``head`` the digest of the last one's document.
PARTNERS: Final = sa.Table(
    "onboarding_partners",
    METADATA,
    sa.Column("partner_id", sa.String(100), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
)

#: One row an event: its global ``position`` (commit order), the partner, its ``seq``, and its
#: JSON document as :func:`~partner_onboarding.serde.to_json` writes it, with that text's SHA-256.
EVENTS: Final = sa.Table(
    "onboarding_events",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("partner_id", sa.String(100), sa.ForeignKey(PARTNERS.c.partner_id), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.UniqueConstraint("partner_id", "seq", name="onboarding_events_partner_seq"),
    sqlite_autoincrement=True,  # (a position is never given twice, even after a rollback)
)

#: The most characters one stored event's document may hold; a longer one is refused unread.
MAX_EVENT_CHARS: Final = 1 << 20

# A transaction lock number of this store's appends on PostgreSQL ("PARTNERS" in ASCII).
_APPEND_LOCK: Final = 0x504152544E455253


# The statements, made once (SQLAlchemy caches their compiled forms by these objects' keys).
_ADVANCE: Final = (
    PARTNERS.update()
    .where(
        PARTNERS.c.partner_id == sa.bindparam("b_partner_id"),
        PARTNERS.c.revision == sa.bindparam("b_expected"),
        PARTNERS.c.head == sa.bindparam("b_previous"),
    )
    .values(revision=sa.bindparam("b_revision"), head=sa.bindparam("b_head"))
)
_EVENT_COLUMNS: Final = ("partner_id", "seq", "kind", "document", "digest")
_INSERT_EVENTS: Final = EVENTS.insert().values(
    {name: sa.bindparam(name) for name in _EVENT_COLUMNS}
)
_INSERT_PARTNER: Final = PARTNERS.insert().values(
    {name: sa.bindparam(name) for name in ("partner_id", "email", "revision", "head")}
)
_REVISION: Final = sa.select(PARTNERS.c.revision).where(
    PARTNERS.c.partner_id == sa.bindparam("b_partner_id")
)
_LOAD: Final = (
    sa.select(
        PARTNERS.c.revision, PARTNERS.c.head, EVENTS.c.seq, EVENTS.c.document, EVENTS.c.digest
    )
    .join_from(PARTNERS, EVENTS, EVENTS.c.partner_id == PARTNERS.c.partner_id)
    .where(PARTNERS.c.partner_id == sa.bindparam("b_partner_id"))
    .order_by(EVENTS.c.seq)
)
_LOCK: Final = sa.select(sa.func.pg_advisory_xact_lock(sa.literal_column(str(_APPEND_LOCK))))


def ddl(dialect: str = "postgresql") -> str:
    """The ``CREATE TABLE`` statements of the store for ``dialect`` (``"postgresql"`` or
    ``"sqlite"``), for those who manage their schema with migrations of their own."""
    if dialect not in ("postgresql", "sqlite"):
        raise WrongType.single("dialect", "must be 'postgresql' or 'sqlite'", what="store")
    compiler = sa.create_mock_engine(f"{dialect}://", executor=lambda *_: None).dialect
    return "\n".join(
        str(sa.schema.CreateTable(table).compile(dialect=compiler))
        .strip()
        .replace(" \n", "\n")
        .replace("\t", "    ")
        + ";"
        for table in METADATA.sorted_tables
    )


@attrs.frozen
class StoredEvent:
    """One event as the feed gives it: its global ``position`` (commit order) and the event."""

    position: int
    event: PartnerEvent


def _digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class EventStore:
    """Partners stored as their events in a SQL database (SQLite or PostgreSQL).

    ``engine`` is a SQLAlchemy :class:`~sqlalchemy.engine.Engine` or a database URL: a SQLite
    file (``sqlite:///partners.db``, in WAL mode), SQLite in memory (``sqlite://``, for tests),
    or PostgreSQL through psycopg 3 (``postgresql+psycopg://user@host/db``; a plain
    ``postgresql://`` URL is read as that). ``catalog`` reads the stored categories and
    ``policy`` is the one :meth:`load` replays under (default: the library's default policy).

    ``replayed`` is how many partners the store keeps as it last replayed them (default 1024;
    0 keeps none): a later load of one whose stored events begin with the same documents, under
    the same policy, replays only the events after them. Every load still reads every event and
    checks each document against its digest.
    """

    def __init__(
        self,
        engine: Engine | str,
        *,
        catalog: Catalog = DEFAULT_CATALOG,
        policy: Policy | UseDefault | None = DEFAULT,
        replayed: int = 1024,
    ) -> None:
        if type(replayed) is not int or not 0 <= replayed <= 10**7:
            raise WrongType.single("replayed", "must be a whole number from 0", what="store")
        if not isinstance(catalog, Catalog):
            raise WrongType.single("catalog", "must be a Catalog", what="store")
        if policy is not DEFAULT and policy is not None and not isinstance(policy, Policy):
            raise WrongType.single("policy", "must be a Policy or None", what="store")
        self.engine = _engine(engine)
        self.catalog = catalog
        self.policy = policy
        self._postgres = self.engine.dialect.name == "postgresql"
        self._driver = _Driver(self.engine)
        self._snapshots = _Snapshots(replayed)

    def __repr__(self) -> str:
        return f"EventStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def create(self) -> None:
        """Create the store's tables where they do not exist yet."""
        METADATA.create_all(self.engine)

    # -- reading --------------------------------------------------------------------------------

    def load(self, partner_id: str, *, policy: Policy | UseDefault | None = DEFAULT) -> Partner:
        """The partner ``partner_id`` as its stored events make it, replayed under ``policy``
        (default: the store's). :class:`~partner_onboarding.errors.PartnerNotFound` if none is
        stored; a stored event that is not what was written, or that the rules refuse, raises
        :class:`~partner_onboarding.errors.ValidationError` naming the partner and the ``seq``."""
        if type(partner_id) is not str:
            raise WrongType.single("partner_id", "must be a string", what="store")
        chosen = self.policy if policy is DEFAULT else policy
        resolved = DEFAULT_POLICY if chosen is DEFAULT else chosen
        if resolved is not None and not isinstance(resolved, Policy):
            raise WrongType.single("policy", "must be a Policy or None", what="store")
        with self.engine.connect() as connection:  # (one statement: one snapshot of both tables)
            rows = connection.execute(_LOAD, {"b_partner_id": partner_id}).all()
        if not rows:
            raise PartnerNotFound(partner_id)
        what = f"stored partner {partner_id!r}"
        for row in rows:
            _check_document(row.seq, row.document, row.digest, what)
        revision, head, last = rows[0].revision, rows[0].head, rows[-1]
        if len(rows) != revision or last.seq != revision or last.digest != head:
            raise ValidationError.single(
                f"seq {last.seq}",
                f"the stored events end at seq {last.seq}, the partner's row at revision "
                f"{revision}: an event was removed or added by hand",
                what=what,
            )
        digests = tuple(row.digest for row in rows)
        policy_key = "" if resolved is None else resolved.id
        known = self._snapshots.get(partner_id, policy_key, digests)
        start = 0 if known is None else known.revision
        tail = [self._event(row, partner_id, what) for row in rows[start:]]
        partner = None if known is None else _continued(known, tail, resolved)
        if partner is None:
            try:
                partner = lifecycle.replay(
                    [self._event(row, partner_id, what) for row in rows[:start]] + tail,
                    policy=resolved,
                )
            except ValidationError as error:
                raise ValidationError(
                    [_at_seq(problem) for problem in error.problems], what=what, more=error.more
                ) from None
        self._snapshots.put(partner_id, policy_key, digests, partner)
        return partner

    def _event(self, row: Any, partner_id: str, what: str) -> PartnerEvent:
        """The event a row holds (its document already checked against its digest)."""
        path = f"seq {row.seq}"
        try:
            event = serde.from_json(row.document, PartnerEvent, catalog=self.catalog)
        except ValidationError as error:
            raise ValidationError(
                [problem.under(path) for problem in error.problems], what=what, more=error.more
            ) from None
        if event.partner_id != partner_id or event.seq != row.seq:
            raise ValidationError.single(
                path, "the document is another event than its row (partner or seq)", what=what
            )
        return event

    def revision(self, partner_id: str) -> int:
        """The stored revision of ``partner_id`` (0: not stored)."""
        with self.engine.connect() as connection:
            found = connection.execute(_REVISION, {"b_partner_id": partner_id}).scalar_one_or_none()
        return 0 if found is None else int(found)

    def partner_for_email(self, email: str) -> str | None:
        """The id of the partner whose account has ``email`` (any spelling the account accepts:
        it is normalised the same way), or ``None``."""
        if type(email) is not str:
            raise WrongType.single("email", "must be a string", what="store")
        normalized = as_email(email)  # (a spelling no account accepts is found nowhere)
        query = sa.select(PARTNERS.c.partner_id).where(PARTNERS.c.email == normalized)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def feed(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Up to ``limit`` events with a position after ``after``, in commit order: read from 0,
        then from the last position read. Each event is read as :func:`~partner_onboarding.serde.
        from_json` reads it (the replay of its partner is :meth:`load`'s)."""
        if type(after) is not int or after < 0:
            raise WrongType.single("after", "must be a whole number from 0", what="feed")
        if type(limit) is not int or not 1 <= limit <= 10_000:
            raise WrongType.single("limit", "must be a whole number from 1 to 10000", what="feed")
        query = (
            sa.select(
                EVENTS.c.position,
                EVENTS.c.partner_id,
                EVENTS.c.seq,
                EVENTS.c.document,
                EVENTS.c.digest,
            )
            .where(EVENTS.c.position > after)
            .order_by(EVENTS.c.position)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        read = []
        for row in rows:
            what = f"stored partner {row.partner_id!r}"
            _check_document(row.seq, row.document, row.digest, what)
            read.append(StoredEvent(row.position, self._event(row, row.partner_id, what)))
        return read

    # -- writing --------------------------------------------------------------------------------

    def append(self, partner: Partner, expected_revision: int) -> int:
        """Store the events ``partner`` gained since ``expected_revision`` (the revision it was
        loaded at; 0 for a new partner) in one transaction, and return its new revision.

        Raises :class:`~partner_onboarding.errors.StaleRevision` if the stored partner is no
        longer at ``expected_revision`` (someone wrote first: load again, decide again, retry),
        and :class:`~partner_onboarding.errors.ValidationError` if ``partner`` does not continue
        the stored history, or a new partner's email is another partner's. Nothing is written
        then."""
        if type(partner) is not Partner:
            raise WrongType.single("partner", "must be a Partner", what="store")
        new = partner.events_since(expected_revision)  # (checks expected_revision's range)
        if not new:
            return partner.revision
        documents = [serde.to_json(event) for event in new]
        digests = [_digest(document) for document in documents]
        rows = [
            {
                "partner_id": event.partner_id,
                "seq": event.seq,
                "kind": event.kind.value,
                "document": document,
                "digest": digest,
            }
            for event, document, digest in zip(new, documents, digests, strict=True)
        ]
        driver = self._driver
        try:
            with driver.transaction() as cursor:
                if expected_revision == 0:
                    driver.run(
                        cursor,
                        driver.insert_partner,
                        {
                            "partner_id": partner.partner_id,
                            "email": partner.account.email,
                            "revision": partner.revision,
                            "head": digests[-1],
                        },
                    )
                else:
                    previous = _digest(serde.to_json(partner.events[expected_revision - 1]))
                    moved = driver.run(
                        cursor,
                        driver.advance,
                        {
                            "b_partner_id": partner.partner_id,
                            "b_expected": expected_revision,
                            "b_previous": previous,
                            "b_revision": partner.revision,
                            "b_head": digests[-1],
                        },
                    )
                    if moved != 1:
                        raise _NotMoved
                if self._postgres:
                    driver.run(cursor, driver.lock, {})
                driver.run_many(cursor, driver.insert_events, rows)
        except _NotMoved:  # (asked why once the transaction is rolled back)
            raise self._refusal(partner, expected_revision) from None
        except driver.integrity_error:
            raise self._conflict(partner, expected_revision) from None
        return partner.revision

    def _refusal(self, partner: Partner, expected: int) -> OnboardingError:
        """Why the partner's row did not move from ``expected``."""
        stored = self.revision(partner.partner_id)
        if stored == 0:
            return PartnerNotFound(partner.partner_id)
        if stored != expected:
            return StaleRevision(expected=expected, actual=stored)
        return ValidationError.single(
            f"events[{expected - 1}]",
            f"differs from the stored event of seq {expected}: the partner does not continue "
            "the stored history",
            what=f"partner {partner.partner_id!r}",
        )

    def _conflict(self, partner: Partner, expected: int) -> Exception:
        """The error a unique key refused the write with: a stale revision, or a taken email."""
        stored = self.revision(partner.partner_id)
        if stored != expected or expected > 0:
            return StaleRevision(expected=expected, actual=stored)
        return ValidationError.single(
            "account.email", "is the account of another partner already", what="partner"
        )


class _NotMoved(Exception):
    """The partner's row was not at the expected revision and digest."""


class _Driver:
    """The append's statements, compiled once for the store's database and run on the driver's
    own cursor, in a transaction of its own (SQLAlchemy makes and pools the connections).

    On this path SQLAlchemy's execution machinery cost more than the database's work; the
    statements are still SQLAlchemy's, compiled by its dialect, so they are the ones
    :meth:`EventStore.create` made the tables for.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        self.sqlite = dialect.name == "sqlite"
        self.integrity_error: type[Exception] = dialect.loaded_dbapi.IntegrityError
        self.advance = _compile(_ADVANCE, dialect)
        self.insert_partner = _compile(_INSERT_PARTNER, dialect)
        self.insert_events = _compile(_INSERT_EVENTS, dialect)
        self.lock = _compile(_LOCK, dialect)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in a write transaction, committed at the end or rolled back (SQLite:
        ``BEGIN IMMEDIATE``, so two writers queue rather than deadlock on upgrading a lock)."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self.sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
            cursor.close()
        finally:
            connection.close()

    @staticmethod
    def run(cursor: Any, statement: _Compiled, values: dict[str, Any]) -> int:
        sql, names = statement
        cursor.execute(sql, values if names is None else [values[name] for name in names])
        return int(cursor.rowcount)

    @staticmethod
    def run_many(cursor: Any, statement: _Compiled, rows: list[dict[str, Any]]) -> None:
        sql, names = statement
        if names is None:
            cursor.executemany(sql, rows)
        else:
            cursor.executemany(sql, [[row[name] for name in names] for row in rows])


_Compiled = tuple[str, tuple[str, ...] | None]


def _compile(statement: sa.Executable, dialect: sa.Dialect) -> _Compiled:
    """``statement`` as the driver's SQL, with the order of its parameters when positional."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = compiled.positiontup
    return compiled.string, None if names is None else tuple(names)


def _check_document(seq: int, document: str, digest: str, what: str) -> None:
    """A stored document is the one written: bounded, and its digest the one stored with it."""
    if len(document) > MAX_EVENT_CHARS:
        raise ValidationError.single(
            f"seq {seq}", f"the document is over {MAX_EVENT_CHARS} characters", what=what
        )
    if _digest(document) != digest:
        raise ValidationError.single(
            f"seq {seq}", "the document is not the one written (its digest differs)", what=what
        )


def _continued(known: Partner, tail: list[PartnerEvent], policy: Policy | None) -> Partner | None:
    """``known`` after the ``tail`` events, by the one step; ``None`` if the rules refuse one
    (the caller then replays the whole history, which names the event and the rule)."""
    partner = known
    try:
        for event in tail:
            partner = lifecycle.apply_event(partner, event, policy=policy)
    except OnboardingError:
        return None
    return partner


class _Snapshots:
    """The partners the store replayed last, each with the digests of the events it was replayed
    from and the policy it was replayed under: a later load whose stored events begin with the
    same digests replays only the events after them.

    A partner is the fold of its events, so the partner made from the same documents under the
    same policy is the same value: what is kept is a computed result, never a stored one. Each
    load still checks every document against its digest. Bounded: the least recently used goes.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: collections.OrderedDict[str, tuple[str, tuple[str, ...], Partner]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, partner_id: str, policy: str, digests: tuple[str, ...]) -> Partner | None:
        with self._lock:
            found = self._kept.get(partner_id)
        if found is None:
            return None
        kept_policy, kept_digests, partner = found
        if kept_policy != policy or digests[: len(kept_digests)] != kept_digests:
            return None
        return partner

    def put(self, partner_id: str, policy: str, digests: tuple[str, ...], partner: Partner) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._kept[partner_id] = (policy, digests, partner)
            self._kept.move_to_end(partner_id)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


def _at_seq(problem: Problem) -> Problem:
    """A replay's problem ``events[3]…`` named by the event's seq (4)."""
    path = problem.path
    if path.startswith("events[") and "]" in path:
        index, _, rest = path[len("events[") :].partition("]")
        if index.isdigit():
            seq = int(index) + 1
            reason = problem.reason
            named = f"seq {seq} ("  # (a replay's refusal names the event: said once)
            if not rest and reason.startswith(named) and ") " in reason:
                kind, _, said = reason[len(named) :].partition(") ")
                reason = f"{kind} {said}"
            return Problem(f"seq {seq}{rest}", reason)
    return problem


def _engine(engine: Engine | str) -> Engine:
    if isinstance(engine, Engine):
        made = engine
    elif isinstance(engine, str | sa.URL):
        made = _from_url(sa.make_url(engine))
    else:
        raise WrongType.single("engine", "must be a SQLAlchemy Engine or a URL", what="store")
    if made.dialect.name == "sqlite" and not sa_event.contains(made, "connect", _sqlite_connect):
        sa_event.listen(made, "connect", _sqlite_connect)
        sa_event.listen(made, "begin", _sqlite_begin)
    return made


def _from_url(url: sa.URL) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        # One database for every thread of the process (a web framework's workers, its tests):
        # one connection, lent to one thread at a time, so threads take turns as on a file.
        return sa.create_engine(
            url,
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            connect_args={"check_same_thread": False},
        )
    return sa.create_engine(url)


def _sqlite_connect(connection: Any, _: object) -> None:
    # The driver's own transaction handling is turned off: _sqlite_begin says BEGIN itself.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")  # (a reader's; a writer's is _Driver.transaction's)
