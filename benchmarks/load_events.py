"""Loading a partner is linear in its events: from_json of partners holding 10³, 10⁴ and 6·10⁴
seller authorisations (one event each), best of three runs.

    python benchmarks/load_events.py
"""

from __future__ import annotations

import datetime as dt
import time

from partner_onboarding import Partner, from_json, to_json
from partner_onboarding.model import Actor, EventKind, PartnerEvent, Subject
from partner_onboarding.testing import approved_partner

T0 = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
BASE = approved_partner("Shop Management", at=T0)


def partner(n: int) -> Partner:
    events = list(BASE.events)
    held = BASE.applications[0]
    for i in range(n):
        events.append(
            PartnerEvent(
                partner_id=BASE.partner_id,
                seq=len(events) + 1,
                at=T0 + dt.timedelta(seconds=i + 1),
                actor=Actor.PARTNER,
                subject=Subject.PARTNER,
                kind=EventKind.AUTHORIZE_SELLER,
                category=held.category,
                market=held.market,
                seller_id=f"s{i}",
            )
        )
    return Partner(events, policy=None)


def main() -> None:
    seconds = {}
    for n in (1_000, 10_000, 60_000):
        text = to_json(partner(n))
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            from_json(text, Partner)
            runs.append(time.perf_counter() - start)
        seconds[n] = min(runs)
        print(f"{n:>6} events  {len(text) / 1e6:5.1f} MB  from_json {seconds[n]:.3f} s")
    print(f"10x the events: {seconds[10_000] / seconds[1_000]:.1f}x the time (target <= 11x)")


if __name__ == "__main__":
    main()
