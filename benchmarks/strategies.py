"""What drawing a partner costs other projects' test suites, and what the draws hold.

    python benchmarks/strategies.py              # 1 000 derandomized draws of partners()
    python benchmarks/strategies.py --quick      # a smoke run: 50 draws

Prints the cost of an example (the target: at most 10 ms) and the share of partners with an
application, an approved one, a seller authorisation, an upgraded application and a revision
waiting (docs/testing.md). One core.
"""

from __future__ import annotations

import argparse
import time

from cores import add_option, pin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partner_onboarding.model import ReviewStatus
from partner_onboarding.testing import partners


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    add_option(parser)
    arguments = parser.parse_args(argv)
    cores = pin(arguments.cores)
    n = 50 if arguments.quick else 1000
    seen = {"drawn": 0, "application": 0, "approved": 0, "authorised": 0, "upgraded": 0,
            "revision": 0}  # fmt: skip
    spent = [0.0]

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        start = time.perf_counter()
        partner = data.draw(partners())
        spent[0] += time.perf_counter() - start
        apps = partner.applications
        seen["drawn"] += 1
        seen["application"] += bool(apps)
        seen["approved"] += any(a.status is ReviewStatus.APPROVED for a in apps)
        seen["authorised"] += bool(partner.authorizations)
        seen["upgraded"] += any(a.supersedes is not None for a in apps)
        seen["revision"] += any(a.pending_revision is not None for a in apps)

    draw()
    drawn = seen.pop("drawn")
    print(f"{drawn} partners, {cores}: {1000 * spent[0] / drawn:.1f} ms an example (target ≤ 10)")
    print(", ".join(f"{name} {100 * count / drawn:.0f} %" for name, count in seen.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
