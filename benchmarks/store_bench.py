"""The event store and the reference service, side by side with their floors.

    python benchmarks/store_bench.py                      # SQLite (a file in a temporary folder)
    python benchmarks/store_bench.py --postgres URL       # and PostgreSQL
    python benchmarks/store_bench.py --quick              # a smoke run: fewer rounds

1. Commands per second through ``EventStore.append`` (one command: one new event, from the
   revision the partner was loaded at), against the floor: a bare ``INSERT`` of the same rows
   (the same documents, already written) through the database's own driver, one transaction a
   command. Target: at least 0.5x the floor.
2. ``EventStore.load`` of a partner of 100 events (applications rejected, modified and approved,
   seller authorisations), the median: cold (a store that keeps no replayed partner: every
   document read and every event replayed), with one event stored since the last load (the
   kept partner continued by that event), and unchanged. Target: at most 2 ms on SQLite.
3. The reference service (examples/service), in process through an ASGI client (httpx2's
   ``ASGITransport``, one request at a time, no network): requests per second for
   ``GET /partners/{id}/requirements`` and for one review action (an approval, written to the
   store), beside a FastAPI endpoint returning a fixed partner document (the framework's floor,
   through the same client).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from partner_onboarding import DEFAULT_CATALOG, Partner, PartnerRole, lifecycle, serde
from partner_onboarding.model import Account
from partner_onboarding.store import EVENTS, PARTNERS, EventStore
from partner_onboarding.testing import approved_partner, sample_entity, sample_info

T0 = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
HASH = approved_partner(at=T0).account.password_hash
CATEGORIES = [c for c in DEFAULT_CATALOG if c.role is PartnerRole.SELLER_SERVICE_PARTNER]


def registered(index: int) -> Partner:
    account = Account(email=f"p{index}@acme.example", password_hash=HASH, registered_at=T0)
    partner = lifecycle.choose_role(account, PartnerRole.SELLER_SERVICE_PARTNER, at=T0)
    partner = lifecycle.submit_entity(partner, sample_entity(), at=T0)
    return lifecycle.approve_entity(partner, at=T0)


def hundred_events(partner: Partner) -> Partner:
    """``partner`` grown to 100 events: each category applied for, rejected, modified, rejected,
    modified and approved; then seller authorisations."""
    at = T0
    for category in CATEGORIES:
        info = sample_info(category)
        at += dt.timedelta(hours=1)
        partner = lifecycle.apply(partner, category, info, at=at)
        for _ in range(2):
            partner = lifecycle.reject(partner, category, ["team too small"], at=at)
            partner = lifecycle.modify(partner, category, info, at=at)
        partner = lifecycle.approve(partner, category, at=at)
    seller = 0
    while partner.revision < 100:
        seller += 1
        partner = lifecycle.authorize_seller(partner, CATEGORIES[0], f"S-{seller}", at=at)
    return partner


def empty(url: str) -> EventStore:
    store = EventStore(url)
    store.create()
    with store.engine.begin() as connection:
        connection.execute(EVENTS.delete())
        connection.execute(PARTNERS.delete())
    return store


def commands(count: int) -> list[tuple[Partner, Partner]]:
    """(loaded, changed) pairs: ``count`` partners, each one command (an application) ahead."""
    pairs = []
    for index in range(count):
        loaded = registered(index)
        category = CATEGORIES[index % len(CATEGORIES)]
        changed = lifecycle.apply(loaded, category, sample_info(category), at=T0)
        pairs.append((loaded, changed))
    return pairs


def best(runs: int, measure: Callable[[], float]) -> float:
    return max(measure() for _ in range(runs))


def append_rate(url: str, pairs: list[tuple[Partner, Partner]]) -> float:
    store = empty(url)
    for loaded, _ in pairs:
        store.append(loaded, 0)
    start = time.perf_counter()
    for loaded, changed in pairs:
        store.append(changed, loaded.revision)
    rate = len(pairs) / (time.perf_counter() - start)
    store.engine.dispose()
    return rate


def floor_rate(url: str, pairs: list[tuple[Partner, Partner]]) -> float:
    """A bare INSERT of the same rows through the driver, one transaction a command."""
    store = empty(url)
    for loaded, _ in pairs:
        store.append(loaded, 0)
    rows = []
    for loaded, changed in pairs:
        (event,) = changed.events_since(loaded.revision)
        document = serde.to_json(event)
        rows.append((event.partner_id, event.seq, event.kind.value, document, "0" * 64))
    insert = (
        "INSERT INTO onboarding_events (partner_id, seq, kind, document, digest) "
        "VALUES ({0}, {0}, {0}, {0}, {0})"
    )
    if store.engine.dialect.name == "sqlite":
        connection: Any = sqlite3.connect(store.engine.url.database, isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        sql = insert.format("?")
        start = time.perf_counter()
        for row in rows:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(sql, row)
            connection.execute("COMMIT")
    else:
        import psycopg  # noqa: PLC0415

        url_text = store.engine.url.set(drivername="postgresql").render_as_string(False)
        connection = psycopg.connect(url_text)
        sql = insert.format("%s")
        start = time.perf_counter()
        for row in rows:
            with connection.transaction():
                connection.execute(sql, row)
    rate = len(rows) / (time.perf_counter() - start)
    connection.close()
    store.engine.dispose()
    return rate


def load_ms(url: str, partner: Partner, rounds: int) -> dict[str, float]:
    """Median milliseconds of ``load``: cold (a store keeping no replayed partner), with one
    event stored since the last load (the kept partner continued), and unchanged since."""
    store = empty(url)
    store.append(partner, 0)
    cold = EventStore(url, replayed=0)
    assert cold.load(partner.partner_id) == partner == store.load(partner.partner_id)
    grown = [partner]
    for index in range(rounds):
        at = grown[-1].latest
        category = grown[-1].applications[-1].category
        grown.append(lifecycle.authorize_seller(grown[-1], category, f"T-{index}", at=at))

    def median(load: Callable[[], object], before: Callable[[int], object] | None = None) -> float:
        times = []
        for index in range(rounds):
            if before is not None:
                before(index)
            start = time.perf_counter()
            load()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    figures = {"cold": median(lambda: cold.load(partner.partner_id))}
    figures["unchanged since the last load"] = median(lambda: store.load(partner.partner_id))
    store.load(partner.partner_id)
    figures["one event stored since the last load"] = median(
        lambda: store.load(partner.partner_id),
        lambda index: store.append(grown[index + 1], grown[index].revision),
    )
    cold.engine.dispose()
    store.engine.dispose()
    return figures


def service_rates(url: str, requests: int) -> dict[str, float]:
    import asyncio  # noqa: PLC0415

    import httpx2  # noqa: PLC0415
    from fastapi import FastAPI  # noqa: PLC0415
    from fastapi.responses import Response  # noqa: PLC0415

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "service"))
    import onboarding_service  # noqa: PLC0415

    store = empty(url)
    ticks = iter(range(10**9))
    app = onboarding_service.create_app(store, clock=lambda: T0 + dt.timedelta(seconds=next(ticks)))
    pairs = commands(requests)
    for _, changed in pairs:
        store.append(changed, 0)
    fixed_app = FastAPI()
    fixed = serde.to_json(pairs[0][1], secrets=False)

    @fixed_app.get("/fixed")
    async def fixed_document() -> Response:
        return Response(fixed, media_type="application/json")

    def client(target: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=target), base_url="http://s")

    async def rate(target: Any, requests: list[tuple[str, str, dict[str, str]]]) -> float:
        async with client(target) as session:
            start = time.perf_counter()
            for method, path, headers in requests:
                answer = await session.request(method, path, headers=headers)
                assert answer.status_code == 200, answer.text
            return len(requests) / (time.perf_counter() - start)

    reads = [("GET", f"/partners/{c.partner_id}/requirements", {}) for _, c in pairs]
    writes = [
        (
            "POST",
            (
                f"/review/partners/{c.partner_id}/applications/"
                f"{c.applications[-1].category.code}/{c.applications[-1].market.code}/approve"
            ),
            {"If-Match": f'"{c.revision}"'},
        )
        for _, c in pairs
    ]
    rates = {
        "fixed document (the framework's floor)": asyncio.run(
            rate(fixed_app, [("GET", "/fixed", {})] * requests)
        ),
        "GET requirements": asyncio.run(rate(app, reads)),
        "POST approve (a write through the store)": asyncio.run(rate(app, writes)),
    }
    store.engine.dispose()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server's SQLAlchemy URL")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer rounds")
    arguments = parser.parse_args()
    count, rounds, runs = (100, 20, 1) if arguments.quick else (1000, 300, 3)
    folder = Path(tempfile.mkdtemp())
    databases = {"SQLite (file, WAL)": f"sqlite:///{folder / 'bench.db'}"}
    if arguments.postgres:
        databases["PostgreSQL"] = arguments.postgres
    pairs = commands(count)
    big = hundred_events(registered(10**6))
    print(f"{count} commands, one event each; best of {runs}")
    for name, url in databases.items():
        ours = best(runs, lambda url=url: append_rate(url, pairs))
        floor = best(runs, lambda url=url: floor_rate(url, pairs))
        ratio = ours / floor
        verdict = "met" if ratio >= 0.5 else "MISSED"
        print(
            f"{name}: append {ours:8.0f} commands/s  bare INSERT {floor:8.0f}/s  "
            f"{ratio:.2f}x the floor (target >= 0.5x: {verdict})"
        )
        for case, milliseconds in load_ms(url, big, rounds).items():
            print(
                f"{name}: load of a partner of {big.revision} events, {case}: "
                f"{milliseconds:.2f} ms (median; target <= 2 ms on SQLite)"
            )
    for name, rate in service_rates(databases["SQLite (file, WAL)"], count // 2).items():
        print(f"service on SQLite, {name}: {rate:7.0f} requests/s")


if __name__ == "__main__":
    main()
