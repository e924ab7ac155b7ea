"""What one ``PasswordHash.verify`` costs at the library's bounds, against the default hash.

Each hash is verified in a fresh child process, so that its peak memory (the child's own maximum
resident set) is its own; the time is the best of a few verifies in that child. The hashes are
the corners of what ``PasswordHash.parse`` accepts: the most work with the largest ``n``, the
largest ``r`` and the largest ``p``, each with the longest salt and digest.

    python benchmarks/password_hash.py
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time
from partner_onboarding.model import PasswordHash
stored = PasswordHash.parse(sys.argv[1])
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    stored.verify("Abc123!x")
    times.append(time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": min(times), "peak": peak}))
"""


def text(n: int, r: int, p: int, *, size: int) -> str:
    part = base64.b64encode(b"\x01" * size).decode()
    return f"scrypt${n}${r}${p}${part}${part}"


CASES = [
    ("default (n=2**14, r=8, p=1; 16-byte salt, 32-byte digest)", 2**14, 8, 1, 16),
    ("most work, most memory (n=2**16, r=8, p=1; 64-byte salt and digest)", 2**16, 8, 1, 64),
    ("most work, largest r (n=2**14, r=32, p=1; 64 bytes)", 2**14, 32, 1, 64),
    ("most work, largest p (n=2**12, r=8, p=16; 64 bytes)", 2**12, 8, 16, 64),
    ("largest r and p, least n (n=2, r=32, p=16; 64 bytes)", 2, 32, 16, 64),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one verify each (a smoke run)")
    arguments = parser.parse_args(argv)
    repeat = "1" if arguments.quick else "3"
    print("| hash | verify (s) | × default | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    default = None
    for name, n, r, p, size in CASES:
        found = json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD, text(n, r, p, size=size), repeat],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        default = default or found["seconds"]
        print(
            f"| {name} | {found['seconds']:.3f} | {found['seconds'] / default:.1f}× "
            f"| {found['peak'] / 2**20:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
