"""Mutation testing of the solver layer with mutmut 3: run by hand, too slow for CI.

What it does
    Copies the package (its Python sources and the compiled extensions of
    the editable build this interpreter imports), the tests,
    pyproject.toml and README.md into ``.mutation/`` (``--sandbox``; git-ignored) and runs
    ``mutmut run`` there, so the work tree is never touched. mutmut mutates
    each function of the modules below (the layer between
    leastsq/curve_fit/fit_many and the bindings) and runs the tests that
    reach it; a mutant that no test fails "survives". mutmut calls mutated
    functions through trampolines, which add stack frames and are not seen
    by subprocesses, so the few tests that check a warning's stacklevel or
    run ``python -m pyminpack`` are left out of that run; instead every
    survivor is then applied to the copied sources and the test modules that
    reach it, those tests included, run against it once more (the
    confirmation pass, which also catches mutants that crash the
    interpreter). Survivors listed with a reason in
    ``tools/mutation/equivalent.md`` are counted as equivalent.

How long
    mutmut 3.8.1 makes 2385 mutants of the ten modules. On this project's
    two-core machine, shared with other work (load average 6 to 9),
    ``--jobs 2``, before the layout of 2026-11-29: the six core modules (``_leastsq _validation _result
    _covariance _messages _callbacks``, 701 mutants) took 19 minutes; the
    rest is slower per mutant (``_compiled``'s tests compile C code in
    every forked worker), so run it by module. The seven modules added
    on 2026-11-30 (``fsolve`` to ``_batch/results``) make 1310 more, about
    1.1 s each at ``--jobs 1`` (25 minutes); the confirmation pass reruns
    whole test modules, about 20 s per survivor. ``--resume`` continues a run
    in its sandbox (only the unchecked mutants of the modules named) and
    re-judges its survivors with the tests as they are now: write a test,
    resume.

How to read the results
    The per-module table (also written to the sandbox's ``report.md``)
    counts the mutants, those not (yet) checked, those mutmut's run killed,
    those killed in the end (with the confirmation pass), the equivalent ones
    and the survivors; the kill rate is killed / (checked - equivalent). Each unexplained survivor is
    printed as a diff: a behaviour no test pins, to kill with a test that
    specifies it, or to add to equivalent.md with the reason it cannot
    change behaviour. ``cd .mutation && mutmut show NAME`` shows any mutant.

Usage
    python tools/mutation-test.py [--jobs N] [--sandbox DIR] [--resume] [MODULE ...]

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
    "_fitting/compiled_model",
    "_fitting/bounds",
    "_solver/fsolve",
    "_solver/hybrid",
    "_solver/lmstr",
    "_solver/root",
    "_solver/optimize_result",
    "_batch/chunks",
    "_batch/results",
    "_solver/check_jacobian",
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
    "test_models.py",
    "test_zero_parameters.py",
    "test_settings.py",
    "test_fsolve.py",
    "test_fsolve_compiled.py",
    "test_fsolve_scipy_parity.py",
    "test_libminpack_fsolve.py",
    "test_scipy_fsolve_tests.py",
    "test_root.py",
    "test_lmstr.py",
    "test_python_numbers.py",
    "test_fit_many_progress.py",
    "test_fit_many_table.py",
    "test_fit_many_bounds.py",
    "test_dask.py",
    "test_cli.py",
    "test_cli_fit_many.py",
)

#: Tests that fail under mutmut's trampolines whatever the mutant: they
#: check the frame a warning points at, or run pyminpack in a subprocess.
#: The confirmation pass runs them.
NEEDS_PLAIN_CODE = (
    "test_unconverged_solve_warns_with_the_message",
    "test_warnings_point_at_the_line_that_called_curve_fit",
    "test_same_warning_as_scipy",
    "test_command_line_progress_prints_one_line_per_report",
    "test_an_unconverged_compiled_solve_warns_at_the_callers_line",
    "test_failures_are_scipys_messages_with_full_output_and_runtime_warnings_without",
    "test_unknown_options_are_ignored_with_scipys_warning",
    "test_callback_is_ignored_with_scipys_warning_in_the_methods_spelling",
    "test_a_failure_warns_at_the_callers_line",
)


#: Seconds the confirmation pass gives one survivor's test modules (the slowest take about a minute):
#: a mutant that makes them hang, as one that never reports a chunk finished does, would stop it.
CONFIRM_TIMEOUT = 600


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


def _copy_tests(sandbox: Path) -> None:
    shutil.copytree(ROOT / "tests", sandbox / "tests", ignore=shutil.ignore_patterns("__pycache__"))


def _make_sandbox(sandbox: Path, modules: list[str], tests: list[str]) -> None:
    shutil.rmtree(sandbox, ignore_errors=True)
    package = sandbox / "src" / "pyminpack"
    shutil.copytree(ROOT / "src" / "pyminpack", package, ignore=shutil.ignore_patterns("__pycache__", "*.in"))
    for path in _extension_files():
        shutil.copy2(path, package / path.name)
    shutil.copytree(package, sandbox / "pristine")
    _copy_tests(sandbox)
    shutil.copy2(ROOT / "README.md", sandbox / "README.md")  # test_models.py checks that it lists every model
    deselect = "not (" + " or ".join(NEEDS_PLAIN_CODE) + ")"
    config = (ROOT / "pyproject.toml").read_text() + (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        'also_copy = ["README.md"]\n'
        f"only_mutate = {_toml_list([f'src/pyminpack/{module}.py' for module in modules])}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        f"pytest_add_cli_args = {_toml_list(['-p', 'no:cacheprovider', '-k', deselect])}\n"
    )
    (sandbox / "pyproject.toml").write_text(config)


def _mutmut(sandbox: Path, *args: str, env: dict[str, str]) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=sandbox, env=env, capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return run.stdout


def _statuses(sandbox: Path, env: dict[str, str]) -> dict[str, str]:
    """mutant name -> mutmut's verdict."""
    lines = _mutmut(sandbox, "results", "--all", "true", env=env).splitlines()
    return dict(line.strip().split(": ", 1) for line in lines if ": " in line)


def _covering_modules(sandbox: Path, name: str, tests: list[str], env: dict[str, str]) -> list[str]:
    """The test modules holding a test that reaches the mutated function (all of them if none does)."""
    listed = _mutmut(sandbox, "tests-for-mutant", name, env=env).splitlines()
    return sorted({line.split("::")[0] for line in listed if "::" in line}) or tests


def _confirm(sandbox: Path, name: str, tests: list[str], env: dict[str, str]) -> bool:
    """Apply the mutant to the sandbox's sources and run the modules of the tests that reach it: True if one fails."""
    module = _module(name)
    modules = _covering_modules(sandbox, name, tests, env)
    _mutmut(sandbox, "apply", name, env=env)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *modules],
            cwd=sandbox,
            env={**env, "PYTHONPATH": str(sandbox / "src")},
            capture_output=True,
            check=False,
            timeout=CONFIRM_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return True  # its tests hang (subprocess.run has stopped them): the mutant is killed
    finally:
        shutil.copy2(sandbox / "pristine" / f"{module}.py", sandbox / "src" / "pyminpack" / f"{module}.py")
    return run.returncode != 0


def _equivalent_names() -> set[str]:
    return set(re.findall(r"^- `(pyminpack\.[\w.]+)`", EQUIVALENT.read_text(), flags=re.MULTILINE))


def _module(name: str) -> str:
    """A mutant's module as MODULES names it: ``'_solver/leastsq'`` for ``'pyminpack._solver.leastsq.x_f__mutmut_1'``.

    (A module of the package's top level would be named without a folder.)
    """
    return "/".join(name.split(".")[1:-1])


def _report(statuses: dict[str, str], killed_by_mutmut: Counter[str], modules: list[str]) -> str:
    rows = [
        "| module | mutants | not checked | killed by mutmut's run | killed | equivalent | survived | kill rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    totals: Counter[str] = Counter()
    for module in modules:
        counts = Counter(status for name, status in statuses.items() if _module(name) == module)
        counts["mutants"] = sum(counts.values())
        counts["by mutmut"] = killed_by_mutmut[module]
        totals.update(counts)
        rows.append(_row(module, counts))
    rows.append(_row("**all**", totals))
    other = sorted(set(statuses.values()) - {"killed", "equivalent", "survived", "not checked"})
    if other:
        rows.append(f"\nOther verdicts (counted as not killed): {', '.join(other)}")
    return "\n".join(rows)


def _row(module: str, counts: Counter[str]) -> str:
    """One line of the table: the kill rate counts the checked mutants that are not equivalent."""
    judged = counts["mutants"] - counts["not checked"] - counts["equivalent"]
    rate = f"{100 * counts['killed'] / judged:.1f} %" if judged else "-"
    return (
        f"| {module} | {counts['mutants']} | {counts['not checked']} | {counts['by mutmut']} | {counts['killed']} | "
        f"{counts['equivalent']} | {judged - counts['killed']} | {rate} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES), help="e.g. _solver/leastsq (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants tested at once")
    parser.add_argument("--sandbox", default=".mutation", help="the copy to work in (git-ignored: .mutation*)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in the sandbox, judging survivors with today's tests"
    )
    options = parser.parse_args()
    sandbox = ROOT / options.sandbox
    modules = options.modules
    unknown = set(modules) - set(MODULES)
    if unknown:
        parser.error(f"not in the solver layer: {sorted(unknown)}")
    tests = [f"tests/{name}" for name in TESTS if (ROOT / "tests" / name).exists()]
    env = {**os.environ, "MESONPY_EDITABLE_SKIP": _editable_build_paths()}
    if not options.resume:
        _make_sandbox(sandbox, modules, tests)
    # One module at a time, in the order given, so that a run stopped early has finished the first ones
    # (mutmut itself orders its mutants by the time their tests take). On resume, only the unchecked
    # mutants of the modules asked for (mutmut reruns any mutant it is named).
    statuses = _statuses(sandbox, env) if options.resume else {}
    unchecked = [name for name, status in statuses.items() if status == "not checked"]
    print(f"mutmut run: progress in {sandbox / 'mutmut-run.log'}", flush=True)
    for module in modules:
        if options.resume:
            names = [name for name in unchecked if _module(name) == module]
            if not names:
                continue
        else:
            names = [f"pyminpack.{module.replace('/', '.')}.*"]
        with (sandbox / "mutmut-run.log").open("a") as log:
            subprocess.run(
                [sys.executable, "-m", "mutmut", "run", "--max-children", str(options.jobs), *names],
                cwd=sandbox,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,  # its status says whether mutants survived; the verdicts are read below
            )
    if options.resume:
        # mutmut ran with the tests its statistics were made from (it copies them into mutants/ at
        # each start, and fails on tests it does not know); the confirmation pass uses today's.
        shutil.rmtree(sandbox / "tests")
        _copy_tests(sandbox)
    statuses = {name: status for name, status in _statuses(sandbox, env).items() if _module(name) in modules}
    killed_by_mutmut = Counter(_module(name) for name, status in statuses.items() if status == "killed")
    equivalent = _equivalent_names()
    survivors = sorted(
        name for name, status in statuses.items() if status not in ("killed", "not checked") and name not in equivalent
    )
    print(f"confirmation pass: {len(survivors)} survivors", flush=True)
    for name in survivors:
        if _confirm(sandbox, name, tests, env):
            statuses[name] = "killed"
    for name in equivalent & statuses.keys():
        if statuses[name] != "killed":
            statuses[name] = "equivalent"
    report = _report(statuses, killed_by_mutmut, modules)
    unexplained = [
        name for name, status in sorted(statuses.items()) if status not in ("killed", "equivalent", "not checked")
    ]
    diffs = {name: _mutmut(sandbox, "show", name, env=env) for name in unexplained}
    details = [f"### {name} ({statuses[name]})\n\n```diff\n{diff}```" for name, diff in diffs.items()]
    (sandbox / "report.md").write_text("\n\n".join([report, *details]) + "\n")
    print(report)
    print(f"\n{len(unexplained)} unexplained survivors; diffs in {sandbox / 'report.md'}")


if __name__ == "__main__":
    main()
