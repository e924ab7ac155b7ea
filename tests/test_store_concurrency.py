"""The event store under concurrent writers: processes running random commands (the partner's and
the platform's) on a few partners, retrying on StaleRevision; then every check of the record.

The suite runs a small round on SQLite; the ``postgres`` step of .ci/run runs 8 processes x 200
commands on 20 partners, on SQLite and PostgreSQL::

    PARTNER_ONBOARDING_CONCURRENCY=8x200 python -m pytest tests/test_store_concurrency.py \\
        -m "postgres or not postgres"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from _stores import DATABASES, database_url, empty_store
from partner_onboarding import DEFAULT_CATALOG, Category, Partner, PartnerRole, lifecycle
from partner_onboarding.errors import OnboardingError, StaleRevision
from partner_onboarding.model import Account, EventKind, ReviewStatus, Subject
from partner_onboarding.serde import to_json
from partner_onboarding.store import EVENTS, PARTNERS, EventStore
from partner_onboarding.testing import approved_partner, sample_entity, sample_info

AT = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
PROCESSES, COMMANDS = (
    int(n) for n in os.environ.get("PARTNER_ONBOARDING_CONCURRENCY", "3x30").split("x")
)
PARTNERS_COUNT = 20
CATEGORIES = [c for c in DEFAULT_CATALOG if c.role is PartnerRole.SELLER_SERVICE_PARTNER]


def _digest(event: object) -> str:
    return hashlib.sha256(to_json(event).encode()).hexdigest()


#: The commands, each (partner, category, instant, rng) -> the partner after it.
STEPS: list[Callable[[Partner, Category, dt.datetime, random.Random], Partner]] = [
    lambda p, c, at, r: lifecycle.submit_entity(p, sample_entity(), at=at),
    lambda p, c, at, r: lifecycle.approve_entity(p, at=at),
    lambda p, c, at, r: lifecycle.reject_entity(p, ["unreadable document"], at=at),
    lambda p, c, at, r: lifecycle.modify_entity(p, sample_entity(), at=at),
    lambda p, c, at, r: lifecycle.apply(p, c, sample_info(c), at=at),
    lambda p, c, at, r: lifecycle.approve(p, c, at=at),
    lambda p, c, at, r: lifecycle.reject(p, c, ["team too small"], at=at),
    lambda p, c, at, r: lifecycle.modify(p, c, sample_info(c), at=at),
    lambda p, c, at, r: lifecycle.authorize_seller(p, c, seller_id=f"S-{r.randrange(99)}", at=at),
]
SUBMIT, APPROVE_ENTITY, REJECT_ENTITY, MODIFY_ENTITY, APPLY, APPROVE, REJECT, MODIFY, AUTHORIZE = (
    range(len(STEPS))
)


def _invited(partner: Partner, rng: random.Random) -> tuple[int, Category]:  # noqa: PLR0911
    """A command the partner's state invites, and its category."""
    entity = None if partner.entity is None else partner.entity.status
    pending = [a.category for a in partner.applications if a.status is ReviewStatus.PENDING_REVIEW]
    approved = [a.category for a in partner.applications if a.status is ReviewStatus.APPROVED]
    fresh = [c for c in CATEGORIES if c not in pending and c not in approved]
    if entity is None:
        return SUBMIT, CATEGORIES[0]
    if entity is ReviewStatus.REJECTED:
        return MODIFY_ENTITY, CATEGORIES[0]
    if entity is ReviewStatus.PENDING_REVIEW:
        return rng.choice([APPROVE_ENTITY, APPROVE_ENTITY, REJECT_ENTITY]), CATEGORIES[0]
    if pending and rng.random() < 0.6:
        return rng.choice([APPROVE, APPROVE, REJECT, MODIFY]), rng.choice(pending)
    if fresh and rng.random() < 0.7:
        return APPLY, rng.choice(fresh)
    if approved:
        return AUTHORIZE, rng.choice(approved)
    return APPLY, rng.choice(CATEGORIES)


def _command(partner: Partner, rng: random.Random) -> Partner:
    """One command of the partner's or the platform's on ``partner``: mostly one its state
    invites, sometimes any (the library may refuse it: that is an answer, not a failure)."""
    at = max(AT, partner.events[-1].at) + dt.timedelta(minutes=rng.randint(0, 90))
    if rng.random() < 0.85:
        step, category = _invited(partner, rng)
    else:
        step, category = rng.randrange(len(STEPS)), rng.choice(CATEGORIES)
    return STEPS[step](partner, category, at, rng)


def worker(url: str, partner_ids: list[str], seed: int, commands: int, log: str) -> None:
    """Run ``commands`` random commands; after each accepted one, log its events (one JSON line
    each: partner, seq, digest). A stale write is retried from a fresh load."""
    store = EventStore(url)
    rng = random.Random(seed)  # noqa: S311  (a reproducible round, not a secret)
    counts = Counter[str]()
    with Path(log).open("a", encoding="utf-8") as out:
        for _ in range(commands):
            partner_id = rng.choice(partner_ids)
            command_seed = rng.random()
            for _attempt in range(200):
                loaded = store.load(partner_id)
                try:
                    changed = _command(loaded, random.Random(command_seed))  # noqa: S311
                except OnboardingError:
                    counts["refused"] += 1
                    break  # (the rules refused it: nothing to write)
                try:
                    store.append(changed, loaded.revision)
                except StaleRevision:
                    counts["stale"] += 1
                    time.sleep(rng.random() / 200)
                    continue
                counts["accepted"] += 1
                for event in changed.events_since(loaded.revision):
                    line = {"partner": partner_id, "seq": event.seq, "digest": _digest(event)}
                    out.write(json.dumps(line) + "\n")
                    out.flush()
                break
            else:
                raise AssertionError("a command stayed stale through 200 attempts")
    Path(log + ".counts").write_text(json.dumps(counts))
    store.engine.dispose()


def open_writer(url: str, partner_id: str, ready: multiprocessing.synchronize.Event) -> None:
    """A writer killed in the middle of its transaction: it moves the partner's row and writes
    an event row, then waits (to be killed) before committing."""
    engine = EventStore(url).engine
    with engine.connect() as connection, connection.begin():
        revision = connection.execute(
            sa.select(PARTNERS.c.revision).where(PARTNERS.c.partner_id == partner_id)
        ).scalar_one()
        connection.execute(
            PARTNERS.update()
            .where(PARTNERS.c.partner_id == partner_id)
            .values(revision=revision + 1, head="0" * 64)
        )
        connection.execute(
            EVENTS.insert().values(
                partner_id=partner_id,
                seq=revision + 1,
                kind="approve",
                document="{}",
                digest="0" * 64,
            )
        )
        ready.set()
        time.sleep(600)


@pytest.fixture(params=DATABASES[1:])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    store = empty_store(request.param, tmp_path)
    store.engine.dispose()
    return database_url(request.param, tmp_path)


def _registered(index: int) -> Partner:
    account = Account(
        email=f"partner{index}@acme.example",
        password_hash=approved_partner(at=AT).account.password_hash,
        registered_at=AT,
    )
    return lifecycle.choose_role(account, PartnerRole.SELLER_SERVICE_PARTNER, at=AT)


def test_concurrent_writers_lose_nothing_and_double_nothing(url: str, tmp_path: Path) -> None:
    store = EventStore(url)
    store.create()
    partners = [_registered(index) for index in range(PARTNERS_COUNT)]
    for partner in partners:
        store.append(partner, 0)
    ids = [partner.partner_id for partner in partners]
    context = multiprocessing.get_context("spawn")

    # A writer killed with SIGKILL in the middle of a transaction leaves nothing behind.
    ready = context.Event()
    victim = context.Process(target=open_writer, args=(url, ids[0], ready))
    victim.start()
    assert ready.wait(60)

    logs = [tmp_path / f"worker{n}.jsonl" for n in range(PROCESSES)]
    workers = [
        context.Process(target=worker, args=(url, ids, seed, COMMANDS, str(log)))
        for seed, log in enumerate(logs)
    ]
    for process in workers:
        process.start()
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    victim.join()
    for process in workers:
        process.join(timeout=1200)
        assert process.exitcode == 0

    counts = sum(
        (Counter(json.loads(Path(f"{log}.counts").read_text())) for log in logs), Counter()
    )
    where = url.split(":", maxsplit=1)[0]
    print(f"{PROCESSES} processes x {COMMANDS} commands on {where}: {dict(counts)}")
    assert counts["accepted"] > 0
    if PROCESSES >= 4:
        assert counts["stale"] > 0  # (the writers did collide)

    # Every accepted command's events are stored exactly once; nothing else is.
    logged = Counter(
        (line["partner"], line["seq"], line["digest"])
        for log in logs
        for line in map(json.loads, log.read_text().splitlines())
    )
    assert all(count == 1 for count in logged.values())
    stored = store.feed(0, limit=10_000)
    assert len(stored) < 10_000
    registrations = {(p.partner_id, 1, _digest(p.events[0])) for p in partners}
    in_feed = Counter(
        (item.event.partner_id, item.event.seq, _digest(item.event)) for item in stored
    )
    assert all(count == 1 for count in in_feed.values())
    assert set(in_feed) == set(logged) | registrations
    assert len(logged) > PROCESSES  # (the round wrote something)

    # The feed is in commit order: positions rise, and a partner's events come in seq order.
    positions = [item.position for item in stored]
    assert positions == sorted(positions)
    last_seq: dict[str, int] = {}
    for item in stored:
        assert item.event.seq == last_seq.get(item.event.partner_id, 0) + 1
        last_seq[item.event.partner_id] = item.event.seq

    # Each partner is the replay of its stored events, and holds to the rules.
    for partner_id in ids:
        loaded = store.load(partner_id)
        assert loaded == Partner(tuple(i.event for i in stored if i.event.partner_id == partner_id))
        assert loaded.revision == last_seq[partner_id]
        open_keys = Counter(
            (a.category.code, a.market)
            for a in loaded.applications
            if a.status is ReviewStatus.PENDING_REVIEW
        )
        assert all(count == 1 for count in open_keys.values())
        submitted = False
        for event in loaded.events:
            if event.subject is Subject.ENTITY and event.kind is EventKind.SUBMIT:
                submitted = True
            if event.subject is Subject.ENTITY and event.kind is EventKind.APPROVE:
                assert submitted
    store.engine.dispose()
