"""Mutation testing of the solver layer with mutmut 3: run by hand, too slow for CI.

What it does
    Copies the package (its Python sources and the compiled extensions of the
    editable build this interpreter imports), the tests and pyproject.toml
    into ``.mutation/`` (git-ignored) and runs ``mutmut run`` there, so the
    work tree is never touched. mutmut mutates each function of the modules
    below (the layer between leastsq/curve_fit/fit_many and the bindings)
    and runs the tests that reach it; a mutant that no test fails
    "survives". mutmut calls mutated functions through trampolines, which
    add stack frames and are not seen by subprocesses, so the few tests that
    check a warning's stacklevel or run ``python -m pyminpack`` are left out
    of that run; instead every survivor is then applied to the copied
    sources and the whole selection, those tests included, run against it
    once more (the confirmation pass). Survivors listed with a reason in
    ``tools/mutation/equivalent.md`` are counted as equivalent.

How long
    All ten modules, about 1000 mutants: roughly an hour on this project's
    two-core machine (``--jobs 2``), most of it in mutmut's run; one module
    takes a few minutes. ``--resume`` continues an interrupted run.

How to read the results
    The per-module table (also written to ``.mutation/report.md``) counts
    mutants killed by a test, equivalent (listed in equivalent.md) and
    surviving; the kill rate is killed / (all - equivalent). Each
    unexplained survivor is printed as a diff: a behaviour no test pins, to
    kill with a test that specifies it, or to add to equivalent.md with the
    reason it cannot change behaviour. ``cd .mutation && mutmut show NAME``
    shows any mutant.

Usage
    python tools/mutation-test.py [--jobs N] [--resume] [MODULE ...]

    (with the project's development venv: pyminpack installed editable,
    ``pip install mutmut==3.8.1``; MODULE as ``_solver/leastsq``, default all)
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / ".mutation"
EQUIVALENT = ROOT / "tools" / "mutation" / "equivalent.md"

#: The solver layer, most central first.
MODULES = (
    "_solver/leastsq",
    "_solver/settings",
    "_solver/validation",
    "_solver/result",
    "_solver/covariance",
    "_solver/messages",
    "_solver/callbacks",
    "_solver/compiled",
    "_solver/signatures",
    "_batch/fit_many",
    "_fitting/curve_fit",
    "_fitting/bounds",
)

#: The tests that exercise the solver layer (the rest of the suite is CLI,
#: docs, plotting, packaging, and slow problem collections the oracles cover).
TESTS = (
    "test_leastsq.py",
    "test_messages.py",
    "test_covariance.py",
    "test_libminpack_oracle.py",
    "test_libminpack_settings.py",
    "test_libminpack_fit_paths.py",
    "test_compiled.py",
    "test_compiled_curve_fit.py",
    "test_curve_fit.py",
    "test_fit_many.py",
    "test_bounds.py",
    "test_check_jacobian.py",
    "test_nonfinite.py",
    "test_progress.py",
    "test_scipy_parity.py",
    "test_curve_fit_scipy_parity.py",
)

#: Tests that fail under mutmut's trampolines whatever the mutant: they
#: check the frame a warning points at, or run pyminpack in a subprocess.
#: The confirmation pass runs them.
NEEDS_PLAIN_CODE = (
    "test_unconverged_solve_warns_with_the_message",
    "test_warnings_point_at_the_line_that_called_curve_fit",
    "test_same_warning_as_scipy",
    "test_command_line_progress_prints_one_line_per_report",
)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def _extension_files() -> list[Path]:
    """The compiled modules and generated sources of the build this interpreter imports."""
    built = ("_minpack", "_pycallback", "_native", "_builtin_models", "_build_info")
    return [Path(importlib.import_module(f"pyminpack.{name}").__file__ or "") for name in built]


def _editable_build_paths() -> str:
    """meson-python's editable build directories: its finder yields to sys.path for these."""
    return os.pathsep.join(
        finder._build_path for finder in sys.meta_path if type(finder).__name__ == "MesonpyMetaFinder"
    )


def _make_sandbox(modules: list[str], tests: list[str]) -> None:
    shutil.rmtree(SANDBOX, ignore_errors=True)
    package = SANDBOX / "src" / "pyminpack"
    shutil.copytree(ROOT / "src" / "pyminpack", package, ignore=shutil.ignore_patterns("__pycache__", "*.in"))
    for path in _extension_files():
        shutil.copy2(path, package / path.name)
    shutil.copytree(package, SANDBOX / "pristine")
    shutil.copytree(ROOT / "tests", SANDBOX / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    deselect = "not (" + " or ".join(NEEDS_PLAIN_CODE) + ")"
    config = (ROOT / "pyproject.toml").read_text() + (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {_toml_list([f'src/pyminpack/{module}.py' for module in modules])}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        f"pytest_add_cli_args = {_toml_list(['-p', 'no:cacheprovider', '-k', deselect])}\n"
    )
    (SANDBOX / "pyproject.toml").write_text(config)


def _mutmut(*args: str, env: dict[str, str]) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=SANDBOX, env=env, capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return run.stdout


def _statuses(env: dict[str, str]) -> dict[str, str]:
    """mutant name -> mutmut's verdict."""
    lines = _mutmut("results", "--all", "true", env=env).splitlines()
    return dict(line.strip().split(": ", 1) for line in lines if ": " in line)


def _module_of(mutant: str) -> str:
    """A mutant's module as MODULES names it: ``pyminpack._solver.leastsq.x_f__mutmut_1`` is ``_solver/leastsq``."""
    return "/".join(mutant.split(".")[1:-1])


def _confirm(name: str, tests: list[str], env: dict[str, str]) -> bool:
    """Apply the mutant to the sandbox's sources and run all the selected tests: True if one fails."""
    module = _module_of(name)
    _mutmut("apply", name, env=env)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=SANDBOX,
            env={**env, "PYTHONPATH": str(SANDBOX / "src")},
            capture_output=True,
            check=False,
        )
    finally:
        shutil.copy2(SANDBOX / "pristine" / f"{module}.py", SANDBOX / "src" / "pyminpack" / f"{module}.py")
    return run.returncode != 0


def _equivalent_names() -> set[str]:
    return set(re.findall(r"^- `(pyminpack\.[\w.]+)`", EQUIVALENT.read_text(), flags=re.MULTILINE))


def _report(statuses: dict[str, str], modules: list[str]) -> str:
    rows = ["| module | mutants | killed | equivalent | survived | kill rate |", "|---|---:|---:|---:|---:|---:|"]
    totals: Counter[str] = Counter()
    for module in modules:
        counts = Counter(status for name, status in statuses.items() if _module_of(name) == module)
        counts["mutants"] = sum(counts.values())
        totals.update(counts)
        rows.append(_row(module, counts))
    rows.append(_row("**all**", totals))
    other = sorted(set(statuses.values()) - {"killed", "equivalent", "survived"})
    if other:
        rows.append(f"\nOther verdicts (counted as not killed): {', '.join(other)}")
    return "\n".join(rows)


def _row(module: str, counts: Counter[str]) -> str:
    judged = counts["mutants"] - counts["equivalent"]
    rate = f"{100 * counts['killed'] / judged:.1f} %" if judged else "-"
    return (
        f"| {module} | {counts['mutants']} | {counts['killed']} | {counts['equivalent']} | "
        f"{counts['mutants'] - counts['killed'] - counts['equivalent']} | {rate} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES), help="e.g. _solver/leastsq (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants tested at once")
    parser.add_argument("--resume", action="store_true", help="continue the run in .mutation/")
    options = parser.parse_args()
    unknown = set(options.modules) - set(MODULES)
    if unknown:
        parser.error(f"not in the solver layer: {sorted(unknown)}")
    tests = [f"tests/{name}" for name in TESTS if (ROOT / "tests" / name).exists()]
    env = {**os.environ, "MESONPY_EDITABLE_SKIP": _editable_build_paths()}
    if not options.resume:
        _make_sandbox(options.modules, tests)
    print(f"mutmut run: progress in {SANDBOX / 'mutmut-run.log'}", flush=True)
    with (SANDBOX / "mutmut-run.log").open("a") as log:
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(options.jobs)],
            cwd=SANDBOX,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,  # its status says whether mutants survived; the verdicts are read below
        )
    statuses = _statuses(env)
    equivalent = _equivalent_names()
    survivors = sorted(name for name, status in statuses.items() if status != "killed" and name not in equivalent)
    print(f"confirmation pass: {len(survivors)} survivors against all {len(tests)} test modules", flush=True)
    for name in survivors:
        if _confirm(name, tests, env):
            statuses[name] = "killed"
    for name in equivalent & statuses.keys():
        if statuses[name] != "killed":
            statuses[name] = "equivalent"
    report = _report(statuses, options.modules)
    unexplained = [name for name, status in sorted(statuses.items()) if status not in ("killed", "equivalent")]
    details = [f"### {name} ({statuses[name]})\n\n```diff\n{_mutmut('show', name, env=env)}```" for name in unexplained]
    (SANDBOX / "report.md").write_text("\n\n".join([report, *details]) + "\n")
    print(report)
    print(f"\n{len(unexplained)} unexplained survivors; diffs in {SANDBOX / 'report.md'}")


if __name__ == "__main__":
    main()
