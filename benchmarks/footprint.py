"""What the library costs before it does anything: the size of its installed run-time
dependencies, and the time of ``import partner_onboarding`` beside its floor
(``import attrs, cattrs, dateutil``), measured in the same run.

    python benchmarks/footprint.py            # the figures of docs/benchmarks.md
    python benchmarks/footprint.py --quick    # a smoke run

Sizes are the files each installed distribution records (its RECORD), for the closure of the
library's own requirements (no extras); import times the best and the median of fresh processes.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.metadata as metadata
import pathlib
import re
import statistics
import subprocess
import sys

TARGET_MB = 15.0
TARGET_IMPORT_RATIO = 2.0


def _name(requirement: str) -> str | None:
    """The distribution a requirement names, unless it applies only with an extra or elsewhere."""
    if ";" in requirement:
        marker = requirement.split(";", 1)[1]
        if "extra" in marker:
            return None
        try:
            from packaging.markers import Marker  # noqa: PLC0415  (pytest's dependency)
        except ImportError:  # (a bare environment: pip's own copy)
            from pip._vendor.packaging.markers import Marker  # noqa: PLC0415

        if not Marker(marker).evaluate():
            return None
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return match.group(0) if match else None


def closure(root: str) -> set[str]:
    """Every distribution ``root`` needs at run time, ``root`` excluded."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        for requirement in metadata.requires(name) or []:
            needed = _name(requirement)
            if needed and needed.lower() not in seen:
                seen.add(needed.lower())
                todo.append(needed)
    return seen


def requires(name: str) -> list[str]:
    """The requirements ``name`` declares (none when it declares none)."""
    return metadata.requires(name) or []


def elsewhere(root: str) -> list[str]:
    """``root``'s own requirements for other platforms only (e.g. zone data on Windows)."""
    return [
        requirement
        for requirement in metadata.requires(root) or []
        if ";" in requirement and "extra" not in requirement and _name(requirement) is None
    ]


def sizes(name: str) -> tuple[int, int]:
    """(bytes of the files, bytes of disk they take, as ``du`` counts) of a distribution."""
    files = metadata.files(name) or []
    content = disk = 0
    for file in files:
        path = pathlib.Path(str(file.locate()))
        if path.is_file():
            status = path.stat()
            content += status.st_size
            disk += status.st_blocks * 512
    return content, disk


def import_ms(statement: str, runs: int) -> tuple[float, float]:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        * 1e3
        for _ in range(runs)
    ]
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (3 imports each)")
    arguments = parser.parse_args()
    runs = 3 if arguments.quick else 21

    print(f"Python {sys.version.split()[0]}")
    print("\n| distribution | MB of files | MB on disk |\n|---|---:|---:|")
    found = {name: sizes(name) for name in sorted(closure("partner-onboarding"))}
    for name, (content, disk) in sorted(found.items(), key=lambda item: -item[1][1]):
        print(f"| {name} | {content / 1e6:.1f} | {disk / 1e6:.1f} |")
    content = sum(c for c, _ in found.values()) / 1e6
    disk = sum(d for _, d in found.values()) / 1e6
    verdict = "met" if disk <= TARGET_MB else "missed"
    print(
        f"| **in all** (target ≤ {TARGET_MB:.0f} MB on disk: {verdict}) | **{content:.1f}** "
        f"| **{disk:.1f}** |"
    )
    for requirement in elsewhere("partner-onboarding"):
        name = _name(requirement.split(";")[0]) or requirement
        through = sorted(
            other
            for other in found
            if name.lower() in {(_name(r) or "").lower() for r in requires(other)}
        )
        if through:
            print(f"\n`{requirement}` is the library's own; here {', '.join(through)} needs it.")
        else:
            print(f"\nNot needed here: `{requirement}`.")

    # Byte code first, as pip writes it at install time (an editable install, or a shell with
    # PYTHONDONTWRITEBYTECODE, would otherwise compile the sources on every import timed).
    import partner_onboarding  # noqa: PLC0415

    compileall.compile_dir(pathlib.Path(partner_onboarding.__file__).parent, quiet=1)
    ours = import_ms("import partner_onboarding", runs)
    floor = import_ms("import attrs, cattrs, dateutil", runs)
    ratio = ours[0] / floor[0]
    verdict = "met" if ratio <= TARGET_IMPORT_RATIO else "missed"
    print("\n| import | best ms | median ms | ratio |\n|---|---:|---:|---:|")
    print(f"| floor: `import attrs, cattrs, dateutil` | {floor[0]:.1f} | {floor[1]:.1f} | 1.00× |")
    print(
        f"| `import partner_onboarding` | {ours[0]:.1f} | {ours[1]:.1f} | "
        f"{ratio:.2f}× (target ≤ {TARGET_IMPORT_RATIO:.0f}×: {verdict}) |"
    )


if __name__ == "__main__":
    main()
