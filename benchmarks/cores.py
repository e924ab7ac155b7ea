"""The cores a benchmark runs on: one by default, as the targets of docs/benchmarks.md are set.

A process pinned to some cores (and every process it starts) sees only those: Polars sizes its
thread pool by them when first used, so a pinned run's Polars has one thread a core.
"""

from __future__ import annotations

import argparse
import os


def add_option(parser: argparse.ArgumentParser) -> None:
    """A ``--cores N`` option (default 1; 0 keeps every core the process was given)."""
    parser.add_argument(
        "--cores",
        type=int,
        default=1,
        metavar="N",
        help="run on the first N cores this process may use (default 1; 0: all of them)",
    )


def pin(cores: int) -> str:
    """Pin this process (and its children) to its first ``cores`` cores; say which, for the
    header of a run. Call before Polars first computes anything."""
    if not hasattr(os, "sched_setaffinity"):  # (macOS, Windows: no pinning)
        return f"every core, not pinned ({os.cpu_count()} on this machine)"
    allowed = sorted(os.sched_getaffinity(0))
    if cores > 0:
        allowed = allowed[:cores]
        os.sched_setaffinity(0, allowed)
    return f"{len(allowed)} core{'s' if len(allowed) > 1 else ''} ({', '.join(map(str, allowed))})"
