"""Side-by-side benchmarks: the library against the floor and the peers it names, in one run.

    python benchmarks/compare.py            # the full run; prints a Markdown table
    python benchmarks/compare.py --quick    # a smoke run (CI): tiny sizes, no targets enforced

Each figure is the best of several repeats of a timed loop (``timeit``), in µs per operation.
Peers that are not installed (``pip install -e '.[bench]'``) are reported as such, not skipped
silently.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import platform
import sys
import timeit
from collections.abc import Callable
from typing import Any

import attrs

from partner_onboarding import DEFAULT_CATALOG, Market, lifecycle
from partner_onboarding.catalog import Category
from partner_onboarding.model import Application, EventKind, History, PasswordHash, ReviewStatus
from partner_onboarding.policy import DEFAULT_POLICY, Question
from partner_onboarding.testing import approved_partner, sample_info

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
sys.path.insert(0, str(pathlib.Path(__file__).parent))  # for peer_models


@attrs.frozen(kw_only=True)
class Floor:
    """An object of the same shape as an Application: the cost of building one is the floor."""

    id: str
    category: Any
    market: Any
    status: Any
    info: Any
    history: Any
    pending_revision: Any = None
    supersedes: Any = None


def best_pass(one_pass: Callable[[], int], *, size: int) -> tuple[int, float]:
    """(rows answered, seconds) of the fastest of several passes over the same ``size`` rows.

    The first pass also pays what a process pays once (caches filled, the heap grown); the best
    pass is the steady cost, as ``best_us`` gives it for single operations. Small sizes get more
    passes (about 2 million rows in all, 3 to 20 passes), so that each figure is as steady.
    """
    timings = []
    for _ in range(max(3, min(20, 2_000_000 // size))):
        start = timeit.default_timer()
        count = one_pass()
        timings.append(timeit.default_timer() - start)
    return count, min(timings)


def best_us(operation: Callable[[], object], *, repeat: int, number: int) -> float:
    """The best time of ``repeat`` loops of ``number`` calls, in µs per call."""
    return min(timeit.repeat(operation, number=number, repeat=repeat)) / number * 1e6


def peer_machines_rows(*, repeat: int, number: int) -> list[tuple[str, float, str]]:
    """A reject-then-modify cycle (two transitions) against the mutable state-machine libraries."""
    application = pending_application(1)
    info = sample_info("Shop Management")

    def ours() -> object:
        rejected = lifecycle.transition(application, EventKind.REJECT, at=T0, reasons=("r",))
        return lifecycle.transition(rejected, EventKind.MODIFY, at=T0, info=info)

    ours_us = best_us(ours, repeat=repeat, number=number) / 2
    rows = [("lifecycle.transition, per transition (reject + modify cycle)", ours_us, "1.00×")]
    for name, build in (("transitions", _transitions), ("python-statemachine", _statemachine)):
        try:
            cycle = build()
        except ImportError:
            rows.append((f"{name}: not installed (pip install -e '.[bench]')", float("nan"), ""))
            continue
        peer_us = best_us(cycle, repeat=repeat, number=max(number // 10, 10)) / 2
        rows.append(
            (
                f"{name}, per transition (no history)",
                peer_us,
                f"ours is {peer_us / ours_us:.1f}× faster",
            )
        )
    # The same cycle as a service runs it: operations on a Partner, each building its event
    # (with its payload), checking it and folding it into the next partner.
    partner = approved_partner("Shop Management", at=T0, policy=None)
    partner = lifecycle.apply(partner, "LIVE Management", sample_info("LIVE Management"), at=T0)
    live = sample_info("LIVE Management")

    def operations() -> object:
        rejected = lifecycle.reject(partner, "LIVE Management", ["r"], at=T0)
        return lifecycle.modify(rejected, "LIVE Management", live, at=T0)

    ops_us = best_us(operations, repeat=repeat, number=max(number // 10, 10)) / 2
    rows.append(
        (
            "lifecycle.reject / modify on a Partner, per operation (event built, folded)",
            ops_us,
            f"{ops_us / ours_us:.1f}× a transition",
        )
    )
    return rows


def _transitions() -> Callable[[], object]:
    from transitions import Machine  # noqa: PLC0415

    class Review:
        state: str

    model = Review()
    machine = Machine(
        model=model,
        states=["pending_review", "approved", "rejected"],
        transitions=[
            {"trigger": "approve", "source": "pending_review", "dest": "approved"},
            {"trigger": "reject", "source": "pending_review", "dest": "rejected"},
            {"trigger": "modify", "source": "rejected", "dest": "pending_review"},
            {"trigger": "edit", "source": "approved", "dest": "approved"},
        ],
        initial="pending_review",
    )
    del machine  # the model holds what it needs

    def cycle() -> object:
        model.reject()  # type: ignore[attr-defined]
        return model.modify()  # type: ignore[attr-defined]

    return cycle


def _statemachine() -> Callable[[], object]:
    from statemachine import State, StateMachine  # noqa: PLC0415

    class Review(StateMachine):  # type: ignore[misc]
        pending_review = State(initial=True)
        approved = State()
        rejected = State()
        approve = pending_review.to(approved)
        reject = pending_review.to(rejected)
        modify = rejected.to(pending_review)
        edit = approved.to.itself()

    machine = Review()

    def cycle() -> object:
        machine.reject()
        return machine.modify()

    return cycle


def pending_application(length: int) -> Application:
    """A pending application whose history holds ``length`` events (rejected and modified)."""
    partner = approved_partner(at=T0)
    partner = lifecycle.apply(partner, "Shop Management", sample_info("Shop Management"), at=T0)
    application = partner.application("Shop Management")
    info = sample_info("Shop Management")
    while len(application.history) + 2 <= length:
        application = lifecycle.transition(application, EventKind.REJECT, at=T0, reasons=["r"])
        application = lifecycle.transition(application, EventKind.MODIFY, at=T0, info=info)
    return application


def lifecycle_rows(*, repeat: int, number: int) -> list[tuple[str, float, str]]:
    one = pending_application(1)
    table = lifecycle.TRANSITIONS
    # The key bound once, as the library binds its enum members once: the floor pays no look-ups
    # of class attributes that the library does not pay either.
    key = (lifecycle.Subject.APPLICATION, ReviewStatus.PENDING_REVIEW, EventKind.APPROVE)

    def floor() -> object:
        move = table[key]
        return Floor(
            id=one.id,
            category=one.category,
            market=one.market,
            status=move.to,
            info=one.info,
            history=one.history,
        )

    floor_us = best_us(floor, repeat=repeat, number=number)
    floor_name = "floor: one frozen attrs object (Application's shape) + a dict look-up"
    rows = [(floor_name, floor_us, "1.00×")]
    by_length = {}
    for length in (1, 101, 1001):
        application = pending_application(length)
        assert len(application.history) == length

        def step(application: Application = application) -> object:
            return lifecycle.transition(application, APPROVE, at=T0, entity_status=APPROVED)

        by_length[length] = best_us(step, repeat=repeat, number=number)
        rows.append(
            (
                f"lifecycle.transition (approve) with its event, history of {length}",
                by_length[length],
                f"{by_length[length] / floor_us:.2f}× floor",
            )
        )
    rows.append(
        (
            "growth: history of 1 001 vs 1",
            by_length[1001],
            f"{by_length[1001] / by_length[1]:.2f}× (target ≤ 2×)",
        )
    )
    return rows


APPROVE = EventKind.APPROVE
APPROVED = ReviewStatus.APPROVED


def _epoch_us(instant: dt.datetime) -> int:
    return int(instant.timestamp() * 1_000_000)


def policy_rows(*, repeat: int, number: int) -> list[tuple[str, float, str]]:
    """One "may register" question: new partner, discontinued category, after the cut-off."""
    partner = approved_partner(at=dt.datetime(2024, 5, 2, 9, tzinfo=dt.UTC), policy=None)
    at = dt.datetime(2024, 5, 3, 9, tzinfo=dt.UTC)
    # The floor compares instants of one offset (the fast comparison): it is a floor.
    cutoff = DEFAULT_POLICY.upgrade_at.astimezone(dt.UTC)
    discontinued = frozenset(DEFAULT_POLICY.discontinued)
    registered = partner.account.registered_at.astimezone(dt.UTC)

    def ours() -> object:
        return DEFAULT_POLICY.can_register(partner, "Paid Media", at=at)

    assert not ours()

    def bare_if() -> object:
        return not ("paid_media" in discontinued and at >= cutoff and registered >= cutoff)

    ours_us = best_us(ours, repeat=repeat, number=number)
    rows = [
        ("policy.can_register, explained Decision (reasons, rule, changes_at)", ours_us, "1.00×"),
        (
            "bare `if` (no reasons, no zone handling)",
            best_us(bare_if, repeat=repeat, number=number),
            "",
        ),
    ]
    for name, build in (("rule-engine", _rule_engine), ("cedarpy", _cedar)):
        try:
            peer = build(cutoff, discontinued, registered, at)
        except ImportError:
            rows.append((f"{name}: not installed (pip install -e '.[bench]')", float("nan"), ""))
            continue
        peer_us = best_us(peer, repeat=repeat, number=max(number // 20, 10))
        rows.append((f"{name}, the same rule", peer_us, f"ours is {peer_us / ours_us:.0f}× faster"))
    rows[1] = (rows[1][0], rows[1][1], f"{rows[1][1] / ours_us:.2f}× ours")
    return rows


def _rule_engine(
    cutoff: dt.datetime, discontinued: frozenset[str], registered: dt.datetime, at: dt.datetime
) -> Callable[[], object]:
    import rule_engine  # noqa: PLC0415

    rule = rule_engine.Rule("category in discontinued and at >= cutoff and registered >= cutoff")
    facts = {
        "category": "paid_media",
        "discontinued": sorted(discontinued),
        "at": at,
        "cutoff": cutoff,
        "registered": registered,
    }
    assert rule.matches(facts)
    return lambda: not rule.matches(facts)


def _cedar(
    cutoff: dt.datetime, discontinued: frozenset[str], registered: dt.datetime, at: dt.datetime
) -> Callable[[], object]:
    import cedarpy  # noqa: PLC0415

    policies = cedarpy.PolicySet.from_str(
        'permit(principal, action == Action::"register", resource);\n'
        'forbid(principal, action == Action::"register", resource) when {\n'
        f"  resource.discontinued && context.at >= {_epoch_us(cutoff)}"
        f" && principal.registered >= {_epoch_us(cutoff)}\n}};"
    )
    entities = cedarpy.Entities.from_json_str(
        json.dumps(
            [
                {
                    "uid": {"type": "Partner", "id": "p1"},
                    "attrs": {"registered": _epoch_us(registered)},
                    "parents": [],
                },
                {
                    "uid": {"type": "Category", "id": "paid_media"},
                    "attrs": {"discontinued": "paid_media" in discontinued},
                    "parents": [],
                },
            ]
        )
    )
    request = {
        "principal": 'Partner::"p1"',
        "action": 'Action::"register"',
        "resource": 'Category::"paid_media"',
        "context": {"at": _epoch_us(at)},
    }

    def decide() -> object:
        return cedarpy.is_authorized(request, policies, entities).allowed

    assert decide() is False
    return decide


def bulk_rows(sizes: tuple[int, ...]) -> list[tuple[str, float, str]]:
    """``check_many`` over n rows (a mix of partners, categories and both questions)."""
    at = dt.datetime(2024, 5, 20, tzinfo=dt.UTC)
    partners = [
        approved_partner("Paid Media", at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC), policy=None),
        approved_partner("Shop Management", at=dt.datetime(2024, 5, 2, tzinfo=dt.UTC), policy=None),
    ]
    pattern = [
        (partner, category, Market.US, question)
        for partner in partners
        for category in ("Paid Media", "Shop Management", "Mass Tutoring", "creator_matchmaking")
        for question in Question
    ]
    rows = []
    per_row = {}
    for size in sizes:
        data = (pattern * (size // len(pattern) + 1))[:size]
        count, elapsed = best_pass(
            lambda data=data: sum(1 for _ in DEFAULT_POLICY.check_many(data, at=at)), size=size
        )
        per_row[size] = elapsed / count * 1e6
        rows.append(
            (f"policy.check_many, {size:,} rows", per_row[size], f"{count / elapsed:,.0f} rows/s")
        )
    smallest, largest = min(sizes), max(sizes)
    rows.append(
        (
            f"linearity: µs per row at {largest:,} vs {smallest:,} rows",
            per_row[largest],
            f"{per_row[largest] / per_row[smallest]:.2f}× (flat = linear total cost)",
        )
    )
    return rows


def rows_end_to_end(sizes: tuple[int, ...]) -> list[tuple[str, float, str]]:
    """``batch.check_rows`` from plain mappings (DataFrame records) to plain records.

    Mixed rows alternate both questions and carry an application status; register-only rows are
    the analyst's "who may still register" export.
    """
    from partner_onboarding.batch import RECORD_FIELDS, check_rows  # noqa: PLC0415

    categories = [c.name for c in DEFAULT_CATALOG]
    rows = []
    for size in sizes:
        # 10 rows a partner; registrations spread over 2024, a handful of categories and markets.
        data = [
            {
                "partner_id": f"P{i // 10:07d}",
                "registered_at": f"2024-{1 + i // 10 % 12:02d}-{1 + i // 10 % 28:02d}T09:00-07:00",
                "category": categories[i % len(categories)],
                "market": "US",
                "question": "register" if i % 2 else "authorize_seller",
                "status": "approved" if i % 3 else "pending_review",
            }
            for i in range(size)
        ]
        variants = [("mixed", data)]
        if size == max(sizes):
            variants.append(("register-only", [{**row, "question": "register"} for row in data]))
        for label, rows_in in variants:
            count, elapsed = best_pass(
                lambda rows_in=rows_in: len(check_rows(rows_in, at=dt.date(2024, 5, 20))), size=size
            )
            rows.append(
                (
                    f"batch.check_rows from mappings, {label}, {size:,} rows",
                    elapsed / count * 1e6,
                    f"{count / elapsed:,.0f} rows/s",
                )
            )
        if size == max(sizes):
            # The floor of any API that returns a record per row: copying one prebuilt record of
            # the same eleven keys per row, and setting its row and partner id.
            record = dict.fromkeys(RECORD_FIELDS)

            def copies(data: list[dict[str, Any]] = data, record: dict[str, Any] = record) -> int:
                out = []
                for index, row in enumerate(data):
                    copy = record.copy()
                    copy["row"], copy["partner_id"] = index, row["partner_id"]
                    out.append(copy)
                return len(out)

            count, elapsed = best_pass(copies, size=size)
            rows.append(
                (
                    f"floor: one prebuilt 11-key record copied per row, {size:,} rows",
                    elapsed / count * 1e6,
                    f"{count / elapsed:,.0f} rows/s",
                )
            )
        del data, variants
    return rows


def json_rows(*, repeat: int, number: int) -> list[tuple[str, float, str]]:
    """JSON round trip of a partner with an entity and 3 applications (its events), vs pydantic."""
    from partner_onboarding import Partner, from_json, to_json  # noqa: PLC0415

    partner = approved_partner(
        "Shop Management", "LIVE Management", "Short Video Management", at=T0, policy=None
    )
    assert from_json(to_json(partner), Partner) == partner

    def ours() -> object:
        return from_json(to_json(partner), Partner)

    ours_us = best_us(ours, repeat=repeat, number=max(number // 50, 5))
    rows = [("serde.to_json + from_json (validated: email, phone, EIN, ZIP, …)", ours_us, "1.00×")]
    # The floor of any library that reads and writes JSON with the standard library: the same
    # document through json.dumps and json.loads, no values built, nothing checked.
    document = json.loads(to_json(partner))
    floor_us = best_us(
        lambda: json.loads(json.dumps(document)), repeat=repeat, number=max(number // 50, 5)
    )
    rows.append(
        (
            "floor: json.dumps + json.loads of the same document",
            floor_us,
            f"{floor_us / ours_us:.2f}× ours",
        )
    )
    # What the checks cost alone: the same partner built again from its typed fields by the
    # library's constructors (every check run, every history replayed), no JSON read or written;
    # the same walk building dicts instead of values is subtracted (the walk is not the checks).
    assert rebuild(partner, values=True)() == partner
    checks_us = best_us(
        rebuild(partner, values=True), repeat=repeat, number=max(number // 50, 5)
    ) - best_us(rebuild(partner, values=False), repeat=repeat, number=max(number // 50, 5))
    rows.append(
        (
            "floor of the checks: the constructors alone, from typed fields (no JSON)",
            checks_us,
            f"{checks_us / ours_us:.2f}× ours",
        )
    )
    # What replaying the events costs alone (the peer with field checks replays nothing).
    replay_us = best_us(
        lambda: lifecycle.replay(partner.events), repeat=repeat, number=max(number // 50, 5)
    )
    rows.append(
        (
            "of ours: lifecycle.replay of the events alone (every rule, every value)",
            replay_us,
            f"{replay_us / ours_us:.2f}× ours",
        )
    )
    # The peers read and write the same document (the events) with pydantic v2.
    for name, build in (
        ("pydantic v2, types only", _pydantic_types),
        ("pydantic v2, then the library's values (events built, replayed)", _pydantic_library),
        (
            "pydantic v2 with the library's field checks as validators (no replay)",
            _pydantic_checked,
        ),
    ):
        try:
            trip = build(partner)
        except ImportError:
            rows.append((f"{name}: not installed (pip install -e '.[bench]')", float("nan"), ""))
            continue
        peer_us = best_us(trip, repeat=repeat, number=max(number // 50, 5))
        rows.append((name, peer_us, f"ours is {ours_us / peer_us:.2f}×"))
    return rows


def schema_rows(*, repeat: int) -> list[tuple[str, float, str]]:
    """``json_schema`` of every document type: the first call (made) and the next (cached)."""
    import time  # noqa: PLC0415

    from partner_onboarding.serde import DOCUMENT_TYPES, json_schema  # noqa: PLC0415

    first: dict[str, float] = {}
    for cls in DOCUMENT_TYPES:
        start = time.perf_counter()
        json_schema(cls)
        first[cls.__name__] = (time.perf_counter() - start) * 1e6
    cached = {
        cls.__name__: best_us(lambda cls=cls: json_schema(cls), repeat=repeat, number=50)
        for cls in DOCUMENT_TYPES
    }
    slowest = max(cached, key=cached.__getitem__)
    return [
        (
            f"json_schema, first call, slowest type ({max(first, key=first.__getitem__)})",
            max(first.values()),
            "",
        ),
        (f"json_schema, cached, slowest type ({slowest})", cached[slowest], "target ≤ 1,000"),
        ("json_schema, cached, every type in turn", sum(cached.values()), f"{len(cached)} types"),
    ]


def rebuild(value: Any, *, values: bool) -> Callable[[], Any]:
    """A function that builds ``value`` again, a fresh object at every level, from its typed
    fields (texts, numbers, instants, enum members, markets, categories and password hashes are
    reused as they are: reading them from text is not checking the values they make).
    ``values=False`` walks the same tree building dicts and tuples: the cost of the walk."""
    if isinstance(value, History):
        events = [rebuild(event, values=values) for event in value]
        make: Callable[[list[Any]], Any] = History if values else tuple
        return lambda: make([event() for event in events])
    if type(value) is tuple:
        items = [rebuild(item, values=values) for item in value]
        return lambda: tuple([item() for item in items])
    if attrs.has(type(value)) and not isinstance(value, Market | Category | PasswordHash):
        cls: Callable[..., Any] = type(value) if values else dict
        fields = [
            (field.name, rebuild(getattr(value, field.name), values=values))
            for field in attrs.fields(type(value))
            if field.init
        ]
        return lambda: cls(**{name: field() for name, field in fields})
    return lambda: value


def _document_data(partner: Any) -> dict[str, Any]:
    from partner_onboarding.serde import to_data  # noqa: PLC0415

    return to_data(partner)  # type: ignore[no-any-return]


def _pydantic_types(partner: Any) -> Callable[[], object]:
    from peer_models import pydantic_partner  # noqa: PLC0415

    model_class = pydantic_partner(checked=False)
    model = model_class.model_validate(_document_data(partner))
    return lambda: model_class.model_validate_json(model.model_dump_json())


def _pydantic_library(partner: Any) -> Callable[[], object]:
    from peer_models import pydantic_then_library  # noqa: PLC0415

    model_class, adapter = pydantic_then_library()
    model = model_class.model_validate(_document_data(partner))
    assert adapter.validate_json(model.model_dump_json()) == partner
    return lambda: adapter.validate_json(model.model_dump_json())


def _pydantic_checked(partner: Any) -> Callable[[], object]:
    from peer_models import pydantic_partner  # noqa: PLC0415

    model_class = pydantic_partner(checked=True)
    model = model_class.model_validate(_document_data(partner))
    return lambda: model_class.model_validate_json(model.model_dump_json())


def memory_rows() -> list[tuple[str, float, str]]:
    """Bytes held per application and per partner (tracemalloc), on 1 000 partners."""
    import gc  # noqa: PLC0415
    import tracemalloc  # noqa: PLC0415

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    partners = [
        approved_partner(
            "Shop Management",
            "LIVE Management",
            "Short Video Management",
            at=T0 + dt.timedelta(seconds=i),
            policy=None,
        )
        for i in range(1000)
    ]
    after = tracemalloc.get_traced_memory()[0]
    applications = [a for p in partners for a in p.applications]
    tracemalloc.stop()
    per_partner = (after - before) / len(partners)
    one = applications[0]
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    moved = [lifecycle.transition(one, EventKind.EDIT, at=T0, info=one.info) for _ in range(1000)]
    per_step = (tracemalloc.get_traced_memory()[0] - start) / len(moved)
    tracemalloc.stop()
    return [
        ("memory per partner (entity, 3 approved applications, histories)", per_partner, "bytes"),
        (
            "memory per new application version (one transition: event + history node)",
            per_step,
            "bytes",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny sizes")
    parser.add_argument(
        "--only", metavar="WORD", help="only the sections whose title holds WORD (e.g. JSON)"
    )
    arguments = parser.parse_args(argv)
    repeat, number = (2, 200) if arguments.quick else (7, 100_000)

    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print()
    print("| operation | µs/op | ratio |")
    print("|---|---:|---:|")
    sizes = (1_000, 10_000) if arguments.quick else (10_000, 100_000, 1_000_000)
    sections = [
        ("Lifecycle", lambda: lifecycle_rows(repeat=repeat, number=number)),
        (
            "Lifecycle vs state-machine libraries",
            lambda: peer_machines_rows(repeat=repeat, number=number),
        ),
        ("Policy: one decision", lambda: policy_rows(repeat=repeat, number=number)),
        ("Policy: bulk on Partner values", lambda: bulk_rows(sizes)),
        ("Notebook rows end to end", lambda: rows_end_to_end(sizes)),
        ("JSON round trip", lambda: json_rows(repeat=repeat, number=number)),
        ("JSON Schema", lambda: schema_rows(repeat=repeat)),
    ]
    for title, section in sections:
        if arguments.only and arguments.only.lower() not in title.lower():
            continue
        print(f"| **{title}** | | |")
        for name, micros, ratio in section():
            print(f"| {name} | {micros:.3f} | {ratio} |")
    if arguments.only:
        return 0
    print()
    print("| memory | bytes | |")
    print("|---|---:|---|")
    for name, amount, unit in memory_rows():
        print(f"| {name} | {amount:,.0f} | {unit} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
