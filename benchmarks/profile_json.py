"""The JSON round trip of benchmarks/compare.py, repeated, to run under a profiler.

    pyinstrument benchmarks/profile_json.py        # pyinstrument comes with the bench extra

docs/benchmarks.md summarises what it shows.
"""

from __future__ import annotations

import sys

from compare import T0

from partner_onboarding import Partner, from_json, to_json
from partner_onboarding.testing import approved_partner


def main(rounds: int = 20_000) -> None:
    partner = approved_partner(
        "Shop Management", "LIVE Management", "Short Video Management", at=T0, policy=None
    )
    for _ in range(rounds):
        from_json(to_json(partner), Partner)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
