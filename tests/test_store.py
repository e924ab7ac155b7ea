"""The event store: partners kept as their events, on SQLite (in memory and in a file) and, in the
``postgres`` step of .ci/run, on PostgreSQL (``PARTNER_ONBOARDING_POSTGRES_URL``).

Each test runs on every database; what is stored is read back, a second writer from the same
revision is refused, and rows edited by hand are refused on load with the partner and the seq."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _stores import DATABASES, empty_store
from partner_onboarding import DEFAULT_POLICY, Partner, Policy, lifecycle
from partner_onboarding import store as store_module
from partner_onboarding.errors import (
    PartnerNotFound,
    StaleRevision,
    ValidationError,
    WrongType,
)
from partner_onboarding.model import CategoryInfo
from partner_onboarding.policy import upgrade_rules
from partner_onboarding.serde import to_json
from partner_onboarding.store import EVENTS, MAX_EVENT_CHARS, METADATA, EventStore, ddl
from partner_onboarding.testing import approved_partner, partners, sample_info

AT = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
MakeStore = Callable[[], EventStore]


@pytest.fixture(params=DATABASES)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """A factory of empty stores on one database (each call empties it)."""
    engines: list[sa.Engine] = []

    def make() -> EventStore:
        folder = tmp_path / str(len(engines))
        folder.mkdir()
        store = empty_store(request.param, folder)
        engines.append(store.engine)
        return store

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def store(make_store: MakeStore) -> EventStore:
    return make_store()


def partner(email: str = "ops@acme.example", partner_id: str | None = None) -> Partner:
    """An approved partner of account ``email`` (its id derived from it, or ``partner_id``)."""
    made = approved_partner("Paid Media", at=AT)
    account = attrs.evolve(made.account, email=email)
    new_id = partner_id or lifecycle.derived_partner_id(account, AT)
    events = [attrs.evolve(event, partner_id=new_id) for event in made.events]
    return Partner((attrs.evolve(events[0], account=account), *events[1:]))


def rejected(value: Partner, reason: str = "team too small") -> Partner:
    later = AT + dt.timedelta(days=1)
    value = lifecycle.apply(value, "Shop Management", sample_info("Shop Management"), at=later)
    return lifecycle.reject(value, "Shop Management", [reason], at=later)


# ------------------------------------------------------------------------------------------------
# What is stored is what is read back


def test_a_partner_is_read_back_as_it_was_stored(store: EventStore) -> None:
    stored = partner()
    assert store.append(stored, 0) == stored.revision
    loaded = store.load(stored.partner_id)
    assert loaded == stored
    assert loaded.account.password_hash == stored.account.password_hash
    changed = rejected(loaded)
    assert store.append(changed, loaded.revision) == changed.revision
    assert store.load(stored.partner_id) == changed
    assert store.revision(stored.partner_id) == changed.revision
    assert store.revision("p-nobody") == 0


def test_the_feed_holds_every_event_once_in_commit_order(store: EventStore) -> None:
    first, second = partner("a@acme.example"), partner("b@acme.example")
    store.append(first, 0)
    store.append(second, 0)
    store.append(rejected(first), first.revision)
    expected = [*first.events, *second.events, *rejected(first).events_since(first.revision)]
    page = store.feed(0, limit=4)
    read = page + store.feed(page[-1].position, limit=10_000)
    assert [item.event for item in read] == expected
    positions = [item.position for item in read]
    assert positions == sorted(set(positions))
    assert store.feed(positions[-1]) == []
    assert [item.event for item in store.feed(positions[2], limit=2)] == expected[3:5]


def test_the_feed_gives_a_hundred_events_a_page_unless_asked_for_another_size(
    store: EventStore,
) -> None:
    for index in range(101 // len(partner().events) + 1):
        store.append(partner(f"p{index}@acme.example"), 0)
    assert len(store.feed()) == 100
    assert len(store.feed(limit=1)) == 1
    assert len(store.feed(limit=10_000)) > 100
    for limit in (0, 10_001):
        with pytest.raises(WrongType) as caught:
            store.feed(limit=limit)
        assert str(caught.value) == (
            "invalid feed: 1 problem\n  - limit: must be a whole number from 1 to 10000"
        )


def test_an_edited_document_is_refused_by_the_feed(store: EventStore) -> None:
    store.append(rejected(partner()), 0)
    last = rejected(partner()).revision

    def reword(document: dict[str, Any]) -> None:
        document["data"]["reasons"] = ["a reason nobody gave"]

    partner_id = _edit(store, last, reword, digest=False)
    with pytest.raises(ValidationError) as caught:
        store.feed(limit=10_000)
    assert str(caught.value) == (
        f"invalid stored partner {partner_id!r}: 1 problem\n"
        f"  - seq {last}: the document is not the one written (its digest differs)"
    )

    def renumber(document: dict[str, Any]) -> None:  # (and its digest in step)
        document["data"]["seq"] = 3

    _edit(store, 2, renumber, digest=True)
    with pytest.raises(ValidationError) as caught:
        store.feed(limit=2)
    assert str(caught.value) == (
        f"invalid stored partner {partner_id!r}: 1 problem\n"
        "  - seq 2: the document is another event than its row (partner or seq)"
    )


def test_a_load_replays_only_the_events_after_those_it_replayed_last(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored, other = partner(), partner("other@acme.example")
    store.append(stored, 0)
    replayed: list[int] = []
    replay = lifecycle.replay

    def counting(events: list[Any], **options: Any) -> Partner:
        replayed.append(len(events))
        return replay(events, **options)

    monkeypatch.setattr(lifecycle, "replay", counting)
    keeping_one = EventStore(store.engine, replayed=1)
    assert keeping_one.load(stored.partner_id) == stored
    store.append(later := rejected(stored), stored.revision)
    assert keeping_one.load(stored.partner_id) == later  # (the new events applied to the kept)
    assert replayed == [stored.revision]
    store.append(other, 0)
    keeping_one.load(other.partner_id)  # (the one kept now)
    keeping_one.load(stored.partner_id)
    keeping_none = EventStore(store.engine, replayed=0)
    keeping_none.load(stored.partner_id)
    keeping_none.load(stored.partner_id)
    assert replayed == [stored.revision, other.revision, *[later.revision] * 3]


def test_a_store_reads_its_events_in_its_own_catalog(store: EventStore) -> None:
    from _fourth import CATALOG  # noqa: PLC0415

    info = CategoryInfo(
        category=CATALOG.category("LIVE Coaching"), service_description="coaching", team_size=3
    )
    made = lifecycle.apply(
        approved_partner(at=AT, policy=None),
        "LIVE Coaching",
        info,
        at=AT,
        catalog=CATALOG,
        policy=None,
    )
    store.append(made, 0)
    assert EventStore(store.engine, catalog=CATALOG, policy=None).load(made.partner_id) == made
    with pytest.raises(ValidationError) as caught:  # (the default catalog has no such category)
        EventStore(store.engine, policy=None).load(made.partner_id)
    assert caught.value.fields == (f"seq {made.revision}.catalog",)


def test_ddl_writes_the_tables_for_either_database() -> None:
    postgresql, sqlite = ddl(), ddl("sqlite")
    assert postgresql == ddl("postgresql") != sqlite
    for text in (postgresql, sqlite):
        assert text.count("CREATE TABLE") == len(METADATA.sorted_tables)
    with pytest.raises(WrongType) as caught:
        ddl("mysql")
    assert str(caught.value) == (
        "invalid store: 1 problem\n  - dialect: must be 'postgresql' or 'sqlite'"
    )


def test_partners_are_found_by_their_email(store: EventStore) -> None:
    stored = partner("Ops@Acme.Example")
    store.append(stored, 0)
    assert stored.account.email == "Ops@acme.example"  # (the domain is normalised)
    assert store.partner_for_email("Ops@ACME.example") == stored.partner_id
    assert store.partner_for_email("nobody@acme.example") is None
    assert store.partner_for_email("not an email") is None


def test_a_load_replays_under_the_policy_given(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)
    assert store.load(stored.partner_id, policy=None) == stored
    assert store.load(stored.partner_id, policy=DEFAULT_POLICY) == stored


def test_appending_nothing_new_writes_nothing(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)
    assert store.append(stored, stored.revision) == stored.revision
    assert len(store.feed()) == stored.revision


# ------------------------------------------------------------------------------------------------
# Two writers


def test_an_append_that_fails_midway_writes_nothing(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = partner()
    store.append(stored, 0)

    def failing(*_: object) -> None:  # (after the partner's row has moved on)
        raise OSError("no space left on the device")

    with monkeypatch.context() as patch:
        patch.setattr(store_module._Driver, "run_many", staticmethod(failing))
        with pytest.raises(OSError, match="no space left"):
            store.append(rejected(stored), stored.revision)
    assert store.revision(stored.partner_id) == stored.revision
    assert store.load(stored.partner_id) == stored


@pytest.mark.parametrize("kind", DATABASES)
def test_appends_take_turns_so_the_feed_is_in_commit_order(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer that has begun holds the next one back until it commits: no position given later
    # is ever committed first, so a reader that has seen a position has seen every one before it.
    store = empty_store(kind, tmp_path)
    first, second = partner(), partner("other@acme.example")
    inside, go_on = threading.Event(), threading.Event()
    run_many = store_module._Driver.run_many

    def held(cursor: Any, statement: Any, rows: list[dict[str, Any]]) -> None:
        if rows[0]["partner_id"] == first.partner_id:
            inside.set()
            assert go_on.wait(30)
        run_many(cursor, statement, rows)

    monkeypatch.setattr(store_module._Driver, "run_many", staticmethod(held))
    writers = [
        threading.Thread(target=store.append, args=(first, 0)),
        threading.Thread(target=store.append, args=(second, 0)),
    ]
    writers[0].start()
    assert inside.wait(30)
    writers[1].start()
    writers[1].join(0.5)
    assert writers[1].is_alive()  # (it waits for the first to commit)
    go_on.set()
    for writer in writers:
        writer.join(30)
    fed = store.feed(limit=10_000)
    store.engine.dispose()
    assert [item.event.partner_id for item in fed] == [
        *[first.partner_id] * first.revision,
        *[second.partner_id] * second.revision,
    ]


def test_the_second_writer_from_one_revision_is_refused_and_writes_nothing(
    store: EventStore,
) -> None:
    stored = partner()
    store.append(stored, 0)
    one, other = rejected(stored, "first"), rejected(stored, "second")
    store.append(one, stored.revision)
    with pytest.raises(StaleRevision) as caught:
        store.append(other, stored.revision)
    assert (caught.value.expected, caught.value.actual) == (stored.revision, one.revision)
    assert store.load(stored.partner_id) == one
    assert len(store.feed()) == one.revision


def test_a_write_from_a_revision_the_store_has_not_reached_is_stale(store: EventStore) -> None:
    stored = partner()
    store.append(Partner(stored.events[:3]), 0)
    with pytest.raises(StaleRevision) as caught:
        store.append(stored, 4)
    assert (caught.value.expected, caught.value.actual) == (4, 3)


def test_a_partner_registered_twice_is_a_stale_write(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)
    with pytest.raises(StaleRevision) as caught:
        store.append(stored, 0)
    assert (caught.value.expected, caught.value.actual) == (0, stored.revision)


def test_an_email_has_one_partner(store: EventStore) -> None:
    store.append(partner(), 0)
    other = partner(partner_id="p-other")
    with pytest.raises(ValidationError) as caught:
        store.append(other, 0)
    assert str(caught.value) == (  # (personal data is not quoted)
        "invalid partner: 1 problem\n  - account.email: is the account of another partner already"
    )
    assert store.revision("p-other") == 0


def test_a_partner_that_does_not_continue_the_stored_history_is_refused(
    store: EventStore,
) -> None:
    stored = rejected(partner(), "stored")
    store.append(stored, 0)
    forked = rejected(partner(), "forked")
    assert forked.revision == stored.revision
    assert forked != stored
    with pytest.raises(ValidationError) as caught:
        store.append(_next(forked), forked.revision)
    assert str(caught.value) == (
        f"invalid partner {stored.partner_id!r}: 1 problem\n"
        f"  - events[{stored.revision - 1}]: differs from the stored event of seq "
        f"{stored.revision}: the partner does not continue the stored history"
    )
    assert store.load(stored.partner_id) == stored


def _next(value: Partner) -> Partner:
    later = AT + dt.timedelta(days=2)
    return lifecycle.apply(value, "LIVE Management", sample_info("LIVE Management"), at=later)


def test_a_partner_never_stored_cannot_be_continued(store: EventStore) -> None:
    stored = partner()
    with pytest.raises(PartnerNotFound) as caught:
        store.append(rejected(stored), stored.revision)
    assert caught.value.partner_id == stored.partner_id
    with pytest.raises(PartnerNotFound) as caught:
        store.load(stored.partner_id)
    assert isinstance(caught.value, KeyError)
    assert stored.partner_id in str(caught.value)
    copied = pickle.loads(pickle.dumps(caught.value))  # noqa: S301  (bytes made here)
    assert copied.partner_id == stored.partner_id


# ------------------------------------------------------------------------------------------------
# Rows edited by hand


def _edit(
    store: EventStore, seq: int, change: Callable[[dict[str, Any]], None], *, digest: bool
) -> str:
    """Edit the stored event ``seq`` of the only partner; ``digest``: keep its digest in step
    (an editor who knows how the store checks)."""
    with store.engine.begin() as connection:
        row = connection.execute(sa.select(EVENTS).where(EVENTS.c.seq == seq)).one()
        partner_id: str = row.partner_id
        document = json.loads(row.document)
        change(document)
        text = json.dumps(document)
        values: dict[str, Any] = {"document": text}
        if digest:
            values["digest"] = hashlib.sha256(text.encode()).hexdigest()
        connection.execute(
            EVENTS.update().where(EVENTS.c.position == row.position).values(**values)
        )
    return partner_id


def _refused(store: EventStore, partner_id: str) -> str:
    with pytest.raises(ValidationError) as caught:
        store.load(partner_id)
    assert partner_id in str(caught.value)
    return str(caught.value)


def test_an_edited_document_is_refused_on_load(store: EventStore) -> None:
    store.append(rejected(partner()), 0)
    last = rejected(partner()).revision

    def reword(document: dict[str, Any]) -> None:
        document["data"]["reasons"] = ["a reason nobody gave"]

    partner_id = _edit(store, last, reword, digest=False)
    assert _refused(store, partner_id) == (
        f"invalid stored partner {partner_id!r}: 1 problem\n"
        f"  - seq {last}: the document is not the one written (its digest differs)"
    )


def test_an_edited_document_the_rules_refuse_is_refused_on_load_even_with_its_digest(
    store: EventStore,
) -> None:
    stored = partner()
    store.append(stored, 0)
    approval = next(
        e for e in stored.events if e.kind.value == "approve" and e.subject.value == "entity"
    )

    def approve_something_else(document: dict[str, Any]) -> None:
        document["data"]["approves"] = "sha256:" + "0" * 64

    partner_id = _edit(store, approval.seq, approve_something_else, digest=True)
    message = _refused(store, partner_id)
    assert f"seq {approval.seq}" in message


def test_an_edited_document_of_many_problems_says_how_many_more(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)

    def spoil(document: dict[str, Any]) -> None:
        document["data"] |= {f"field_{n:02}": n for n in range(60)}

    partner_id = _edit(store, 2, spoil, digest=True)
    message = _refused(store, partner_id)
    assert message.startswith(f"invalid stored partner {partner_id!r}: 60 problems\n")
    assert "\n  - seq 2.field_00: unknown field\n" in message
    assert message.endswith("\n  - seq 2.field_49: unknown field\n  - … and 10 more")


def test_an_edit_after_a_load_is_refused_on_the_next_load(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)
    store.load(stored.partner_id)  # (the store keeps the partner it replayed)

    def approve_something_else(document: dict[str, Any]) -> None:
        document["data"]["approves"] = "sha256:" + "0" * 64

    approval = next(e for e in stored.events if e.kind.value == "approve")
    _edit(store, approval.seq, approve_something_else, digest=True)
    assert f"seq {approval.seq}" in _refused(store, stored.partner_id)


def test_a_partner_kept_under_one_policy_is_replayed_again_under_another(
    store: EventStore,
) -> None:
    # Registered after the upgrade, the partner is new: the default policy refuses Paid Media.
    late = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    made = approved_partner("Paid Media", at=late, policy=None)
    store.append(Partner(made.events[:-2], policy=None), 0)
    assert store.load(made.partner_id).revision == made.revision - 2  # (kept, default policy)
    store.append(made, made.revision - 2)
    message = _refused(store, made.partner_id)  # (the kept partner's tail is refused: replayed)
    assert message.splitlines()[1] == (
        f"  - seq {made.revision - 1}: application submit is refused: new partners "
        "cannot register for a discontinued category from 2024-04-30T00:00-07:00 (policy rule: "
        "new_partner_registration)"
    )
    assert store.load(made.partner_id, policy=None) == made  # (kept under no policy now)
    assert f"seq {made.revision - 1}" in _refused(store, made.partner_id)


def test_a_kept_partner_s_new_events_are_applied_under_the_policy_asked(
    store: EventStore,
) -> None:
    # Under a policy whose upgrade came in 2023, a partner registered in 2024 is new: it may not
    # apply for Paid Media, which the default policy lets it do.
    strict = Policy(rules=upgrade_rules(upgrade_date=dt.date(2023, 1, 1)))
    made = approved_partner("Paid Media", at=AT, policy=None)
    store.append(Partner(made.events[:-2], policy=None), 0)
    assert store.load(made.partner_id, policy=strict).revision == made.revision - 2  # (kept)
    store.append(made, made.revision - 2)
    with pytest.raises(ValidationError) as caught:
        store.load(made.partner_id, policy=strict)
    assert caught.value.fields == (f"seq {made.revision - 1}",)
    assert store.load(made.partner_id) == made  # (the default policy lets it apply)


def test_a_document_moved_to_another_row_is_refused(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)

    def renumber(document: dict[str, Any]) -> None:
        document["data"]["seq"] = 3

    partner_id = _edit(store, 2, renumber, digest=True)
    assert _refused(store, partner_id) == (
        f"invalid stored partner {partner_id!r}: 1 problem\n"
        "  - seq 2: the document is another event than its row (partner or seq)"
    )


@pytest.mark.parametrize("over", [0, 1])
def test_a_stored_document_is_bounded_before_it_is_read(store: EventStore, over: int) -> None:
    stored = partner()
    store.append(stored, 0)
    with store.engine.begin() as connection:  # (JSON's own spaces, up to the bound and past it)
        row = connection.execute(sa.select(EVENTS).where(EVENTS.c.seq == 2)).one()
        text = row.document + " " * (MAX_EVENT_CHARS + over - len(row.document))
        digest = hashlib.sha256(text.encode()).hexdigest()
        connection.execute(
            EVENTS.update().where(EVENTS.c.seq == 2).values(document=text, digest=digest)
        )
    if not over:
        assert store.load(stored.partner_id) == stored
        return
    assert _refused(store, stored.partner_id) == (
        f"invalid stored partner {stored.partner_id!r}: 1 problem\n"
        f"  - seq 2: the document is over {MAX_EVENT_CHARS} characters"
    )


@pytest.mark.parametrize("where", ["last", "first", "middle", "renumbered"])
def test_a_removed_event_is_refused_on_load(store: EventStore, where: str) -> None:
    stored = partner()
    store.append(stored, 0)
    last = stored.revision
    with store.engine.begin() as connection:
        if where == "renumbered":  # (the last row's seq moved on: as many rows, the last digest)
            connection.execute(EVENTS.update().where(EVENTS.c.seq == last).values(seq=last + 5))
        else:
            seq = {"last": last, "first": 1, "middle": 2}[where]
            connection.execute(EVENTS.delete().where(EVENTS.c.seq == seq))
    end = {"last": last - 1, "renumbered": last + 5}.get(where, last)
    assert _refused(store, stored.partner_id) == (
        f"invalid stored partner {stored.partner_id!r}: 1 problem\n"
        f"  - seq {end}: the stored events end at seq {end}, the partner's row at revision "
        f"{last}: an event was removed or added by hand"
    )


def test_a_load_under_no_policy_is_asked_of_the_store_or_of_the_load(store: EventStore) -> None:
    # Registered after the upgrade, the partner is new: the default policy refuses Paid Media.
    made = approved_partner("Paid Media", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), policy=None)
    store.append(made, 0)
    assert EventStore(store.engine, policy=None).load(made.partner_id) == made
    assert store.load(made.partner_id, policy=None) == made
    with pytest.raises(WrongType) as caught:
        store.load(made.partner_id, policy="default")  # type: ignore[arg-type]
    assert str(caught.value) == "invalid store: 1 problem\n  - policy: must be a Policy or None"


def test_a_document_that_is_not_json_or_too_long_is_refused(store: EventStore) -> None:
    stored = partner()
    store.append(stored, 0)
    for text in ("{not json", "[" * 100_000, " " * (1 << 20) + "{}"):
        with store.engine.begin() as connection:
            connection.execute(
                EVENTS.update()
                .where(EVENTS.c.seq == 2)
                .values(document=text, digest=hashlib.sha256(text.encode()).hexdigest())
            )
        assert "seq 2" in _refused(store, stored.partner_id)


# ------------------------------------------------------------------------------------------------
# Properties and arguments


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(partners(max_steps=10), st.data())
def test_any_partner_stored_in_any_steps_is_read_back(
    make_store: MakeStore, drawn: Partner, data: st.DataObject
) -> None:
    store = make_store()
    plain = EventStore(store.engine, replayed=0)  # (replays every event at every load)
    cuts = sorted(set(data.draw(st.lists(st.integers(1, drawn.revision), max_size=4))))
    written = 0
    for cut in [*cuts, drawn.revision]:
        if cut > written:
            assert store.append(Partner(drawn.events[:cut]), written) == cut
            written = cut
            assert store.load(drawn.partner_id) == plain.load(drawn.partner_id)
    assert store.load(drawn.partner_id) == drawn
    assert [item.event for item in store.feed(limit=10_000)] == list(drawn.events)


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda s: s.load(None), "store: 1 problem\n  - partner_id: must be a string"),
        (lambda s: s.append("partner", 0), "store: 1 problem\n  - partner: must be a Partner"),
        (lambda s: s.append(partner(), "0"), None),
        (lambda s: s.feed(-1), "feed: 1 problem\n  - after: must be a whole number from 0"),
        (lambda s: s.feed("0"), "feed: 1 problem\n  - after: must be a whole number from 0"),
        (
            lambda s: s.feed(0, 0),
            "feed: 1 problem\n  - limit: must be a whole number from 1 to 10000",
        ),
        (
            lambda s: s.partner_for_email(b"a@b.example"),
            "store: 1 problem\n  - email: must be a string",
        ),
    ],
)
def test_wrong_arguments_are_typed_errors(
    store: EventStore, call: Any, problem: str | None
) -> None:
    with pytest.raises(WrongType) as caught:
        call(store)
    if problem is None:
        assert caught.value.fields == ("revision",)
    else:
        assert str(caught.value) == f"invalid {problem}"


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"engine": 3}, "engine: must be a SQLAlchemy Engine or a URL"),
        ({"catalog": "default"}, "catalog: must be a Catalog"),
        ({"policy": "default"}, "policy: must be a Policy or None"),
        ({"replayed": -1}, "replayed: must be a whole number from 0"),
        ({"replayed": 10**7 + 1}, "replayed: must be a whole number from 0"),
        ({"replayed": 1.0}, "replayed: must be a whole number from 0"),
    ],
)
def test_a_store_is_made_of_an_engine_a_catalog_and_a_policy(
    kwargs: dict[str, Any], problem: str
) -> None:
    arguments: dict[str, Any] = {"engine": "sqlite://", **kwargs}
    with pytest.raises(WrongType) as caught:
        EventStore(arguments.pop("engine"), **arguments)
    assert str(caught.value) == f"invalid store: 1 problem\n  - {problem}"
    EventStore("sqlite://", replayed=10**7).engine.dispose()  # (the largest it keeps)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///"])
def test_a_database_in_memory_is_one_for_every_thread(url: str) -> None:
    store = EventStore(url)
    store.create()
    stored = partner()
    store.append(stored, 0)
    loaded: list[Partner] = []
    reader = threading.Thread(target=lambda: loaded.append(store.load(stored.partner_id)))
    reader.start()
    reader.join()
    store.engine.dispose()
    assert loaded == [stored]


def test_a_database_in_a_file_is_written_ahead_of_its_log(tmp_path: Path) -> None:
    # (readers go on while a writer writes)
    store = EventStore(f"sqlite:///{tmp_path / 'store.db'}")
    with store.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    store.engine.dispose()
    assert mode == "wal"


def test_the_store_never_shows_a_password() -> None:
    store = EventStore("postgresql://user:secret@db.example/partners")
    assert "secret" not in repr(store)
    assert store.engine.url.drivername == "postgresql+psycopg"


def test_the_tables_are_the_documented_ones() -> None:
    assert sorted(METADATA.tables) == ["onboarding_events", "onboarding_partners"]
    assert to_json(partner().events[0]).startswith('{"version": 3, "type": "PartnerEvent"')
