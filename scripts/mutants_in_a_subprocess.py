"""Run the survivors of a mutation run against the tests that run the command in a subprocess.

    python -m mutmut run 'partner_onboarding.cli*'     (first: the mutation run)
    python scripts/mutants_in_a_subprocess.py           (then, in the same folder)
    python scripts/mutants_in_a_subprocess.py NAME ...  (only the mutants named)
    python scripts/mutants_in_a_subprocess.py --also tests/test_cli.py::test_x NAME ...

A mutation run switches mutants on in its own process; the command line's tests that run the
installed command in a subprocess (``tests/test_cli.py``) import the library as installed, not
the mutant, so they cannot kill one there. This script gives them their turn:

1. ``tests/test_cli.py`` runs once with a profile hook in every subprocess it starts, which
   records the functions of ``cli.py`` each subprocess calls, by test.
2. Each mutant the run left alive (survived, or reached by no test in its process) is applied
   alone to a copy of the package, as ``mutmut apply`` writes it, and the tests whose
   subprocesses call its function run against that copy (``PYTHONPATH``). A failing test kills
   it.

``--also TEST`` (repeated) runs a test against every mutant besides those: a test written after
the run, say. It prints one line a mutant (``killed``, ``survived``, or ``unreached``: no
subprocess calls its function) and a count of each. Two mutants run at a time.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

MODULE = "cli.py"
PACKAGE = pathlib.Path("src/partner_onboarding")
TESTS = "tests/test_cli.py"

_HOOK = """\
import atexit, os, sys, threading

_hit = set()

def _profile(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.endswith("partner_onboarding/{module}"):
        _hit.add(frame.f_code.co_qualname)

def _dump():
    test = os.environ.get("PYTEST_CURRENT_TEST")  # (absent in pytest's own process at its exit)
    if test and _hit:
        name = os.path.join({folder!r}, str(os.getpid()))
        with open(name, "w", encoding="utf-8") as f:
            f.write("\\n".join([test.rsplit(" ", 1)[0], *sorted(_hit)]))

sys.setprofile(_profile)
threading.setprofile(_profile)
atexit.register(_dump)
"""


def reached(workspace: pathlib.Path) -> dict[str, set[str]]:
    """The tests whose subprocesses call each function (by qualified name) of the module."""
    hook, traces = workspace / "hook", workspace / "traces"
    hook.mkdir()
    traces.mkdir()
    code = _HOOK.format(module=MODULE, folder=str(traces))
    (hook / "sitecustomize.py").write_text(code, encoding="utf-8")
    env = os.environ | {"PYTHONPATH": str(hook), "HYPOTHESIS_PROFILE": "mutation"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", TESTS]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    tests: dict[str, set[str]] = collections.defaultdict(set)
    for trace in traces.iterdir():
        test, *functions = trace.read_text(encoding="utf-8").splitlines()
        for function in functions:
            tests[function].add(test)
    return tests


def qualified_name(mutant: str) -> str:
    """``partner_onboarding.cli.xǁProgressǁshow__mutmut_7`` -> ``Progress.show``."""
    mangled = mutant.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0]
    parts = mangled.removeprefix("x").split("ǁ")
    return parts[0].removeprefix("_") if len(parts) == 1 else ".".join(parts[1:])


def alive() -> list[str]:
    """The mutants of the module the mutation run left alive: survived (0) or untested (33)."""
    meta = pathlib.Path("mutants") / PACKAGE / f"{MODULE}.meta"
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return sorted(name for name, code in codes.items() if code in {0, 33})


def mutated_source(mutant: str) -> str:
    """The module's source with only ``mutant`` applied (what ``mutmut apply`` writes)."""
    import libcst  # noqa: PLC0415  (mutmut's own dependencies)
    from mutmut.mutation import diff_apply  # noqa: PLC0415
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key  # noqa: PLC0415

    path = PACKAGE / MODULE
    name = orig_function_and_class_names_from_key(mutant)[0].rpartition(".")[-1]
    original = diff_apply.read_orig_module(path)
    function = diff_apply.find_top_level_function_or_method(original, name)
    indexed = diff_apply.read_functions_from_index(mutant, path)
    if indexed is not None:
        changed = indexed[1]
    else:
        changed = diff_apply.read_mutant_function(diff_apply.read_mutants_module(path), mutant)
    if function is None:
        raise LookupError(f"no function {name} in {path}")
    changed = changed.with_changes(name=libcst.Name(name))
    replaced = original.deep_replace(function, changed)
    assert isinstance(replaced, libcst.Module)  # noqa: S101  (a module stays a module)
    return replaced.code


def verdict(mutant: str, tests: set[str], copy: pathlib.Path) -> str:
    if not tests:
        return "unreached"
    (copy / PACKAGE.name / MODULE).write_text(mutated_source(mutant), encoding="utf-8")
    env = os.environ | {"PYTHONPATH": str(copy), "HYPOTHESIS_PROFILE": "mutation"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-cov"]
    done = subprocess.run(  # noqa: S603  (this interpreter, pytest, the project's own tests)
        [*command, *sorted(tests)], env=env, check=False, capture_output=True, timeout=900
    )
    return "survived" if done.returncode == 0 else "killed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mutants", nargs="*", help="the mutants to run (default: every one alive)")
    parser.add_argument("--also", action="append", default=[], help="a test run against each")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = pathlib.Path(folder)
        tests = reached(workspace)
        copies = []
        for number in range(2):
            copy = workspace / f"copy{number}"
            shutil.copytree(PACKAGE, copy / PACKAGE.name)
            copies.append(copy)
        free = collections.deque(copies)

        def run(mutant: str) -> str:
            copy = free.popleft()
            try:
                chosen = tests.get(qualified_name(mutant), set()) | set(arguments.also)
                return verdict(mutant, chosen, copy)
            finally:
                free.append(copy)

        mutants = arguments.mutants or alive()
        counts: collections.Counter[str] = collections.Counter()
        with concurrent.futures.ThreadPoolExecutor(len(copies)) as pool:
            for mutant, found in zip(mutants, pool.map(run, mutants), strict=True):
                print(mutant, found, flush=True)
                counts[found] += 1
        print(dict(counts))


if __name__ == "__main__":
    main()
