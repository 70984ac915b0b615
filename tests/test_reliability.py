"""Reliability: threads, re-entrancy, exceptions, leaks and bad input.

MINPACK's FCN has no user-data argument, so ``_pycallback.c`` finds the
Python function to call through a thread-local pointer to the active
Evaluator, saved and restored around each solve; exceptions raised by the
user's functions are stored, MINPACK is stopped with ``iflag < 0`` and the
exception is re-raised afterwards.  Each test below would fail if one of
those mechanisms were missing or wrong:

* a process-wide (not thread-local) pointer makes concurrent solves call
  each other's functions, so their results differ from serial ones;
* a pointer that is not restored after a nested solve makes the outer
  solve call the inner function (or no function) afterwards;
* an exception that is lost, replaced, or not stopping MINPACK shows up
  as a different object, a missing frame, or extra calls;
* a missing ``Py_DECREF`` shows up in ``sys.getrefcount`` and tracemalloc;
* an unchecked output reaching MINPACK's memory crashes the fuzz test
  (run in-process on purpose: a segfault kills pytest, which is the signal).

Set ``PYMINPACK_SLOW=1`` for the long variants and
``PYMINPACK_FUZZ_EXAMPLES=<n>`` for a longer fuzz run.
"""

from __future__ import annotations

import faulthandler
import gc
import itertools
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reliability_problems import Decay, Outcome, decay

from pyminpack import leastsq
from pyminpack._solver.messages import OUTCOMES

slow = pytest.mark.slow


def reference(number: int, points: int | None = None) -> Outcome:
    """Problem ``number`` solved alone, on this thread, with no hooks."""
    return Outcome.of(decay(number, points).solve())


# --------------------------------------------------------------------------
# 1. Threads
# --------------------------------------------------------------------------

THREADS = 8


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Make the interpreter switch threads every few microseconds.

    With the default 5 ms interval, a whole solve (well under 1 ms) could
    run without any other thread getting in, and a process-wide evaluator
    pointer would go unnoticed.
    """
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def release_gil() -> None:
    time.sleep(0)  # a real GIL release: another thread runs inside this callback


def solve_concurrently(
    batches: list[list[int]], points: int | None, hook: Callable[[], None]
) -> tuple[dict[int, Outcome], int]:
    """Solve each batch of problems in its own thread, all started together.

    Returns the outcome of every problem and how many solves had another
    thread's callbacks run between their own (proof that they interleaved).
    """
    ticks = itertools.count()  # next() on it is atomic under the GIL
    barrier = threading.Barrier(len(batches))
    outcomes: dict[int, Outcome] = {}
    interleaved = Counter[int]()
    errors: list[BaseException] = []

    def worker(numbers: list[int]) -> None:
        try:
            problems = [decay(number, points) for number in numbers]
            own_calls = 0

            def counting_hook() -> None:
                nonlocal own_calls
                own_calls += 1
                next(ticks)
                hook()

            for problem in problems:
                problem.hook = problem.jacobian_hook = counting_hook
            barrier.wait()
            for problem in problems:
                own_calls = 0
                start = next(ticks)
                outcome = Outcome.of(problem.solve())
                foreign = next(ticks) - start - 1 - own_calls
                outcomes[problem.number] = outcome
                interleaved[problem.number] = foreign > 0
        except BaseException as exc:
            barrier.abort()
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return outcomes, sum(interleaved.values())


THREAD_VARIANTS = {
    # name: (solves per thread in the default run, points per problem, hook)
    "python-only": (200, None, lambda: None),
    "sleep(0)": (100, None, release_gil),
    # 5000 points: numpy's ufunc loops release the GIL above a few hundred
    # elements, so the threads also run their numpy work in parallel.
    # Fewer solves by default only because each costs ~100 times more.
    "big-numpy": (25, 5000, release_gil),
}


def check_threads_match_serial(variant: str, solves_per_thread: int) -> None:
    _, points, hook = THREAD_VARIANTS[variant]
    batches = [list(range(k * solves_per_thread, (k + 1) * solves_per_thread)) for k in range(THREADS)]
    serial = {number: reference(number, points) for batch in batches for number in batch}
    concurrent, interleaved = solve_concurrently(batches, points, hook)
    differing = sorted(number for number in serial if not concurrent[number].same_as(serial[number]))
    assert differing == [], f"concurrent solves differ from serial ones for problems {differing[:10]}"
    # Without interleaving the test would prove nothing; with it, a shared
    # (not thread-local) evaluator would have mixed up the problems.
    assert interleaved > 0


@pytest.mark.usefixtures("frequent_thread_switches")
@pytest.mark.parametrize("variant", THREAD_VARIANTS)
def test_concurrent_solves_are_bit_identical_to_serial(variant: str) -> None:
    check_threads_match_serial(variant, THREAD_VARIANTS[variant][0])


@slow
@pytest.mark.usefixtures("frequent_thread_switches")
@pytest.mark.parametrize("variant", THREAD_VARIANTS)
def test_concurrent_solves_are_bit_identical_to_serial_long(variant: str) -> None:
    check_threads_match_serial(variant, 200 if variant == "big-numpy" else 1000)


# --------------------------------------------------------------------------
# 2. Re-entrancy
# --------------------------------------------------------------------------

# Problems chosen to converge in a dozen or so evaluations, so that three
# levels of nesting stay fast.  Odd numbers have a Dfun (3 with col_deriv),
# which a solve nested in Dfun needs at every level but the innermost.
NESTING = {
    "func": [0, 3, 4],
    "Dfun": [1, 3, 5],
}


def nested_chain(where: str, depth: int, runs: Counter[int]) -> Decay:
    """Return the outermost problem of a chain nested ``depth`` levels deep.

    Every call of level ``k``'s ``func`` (or ``Dfun``) solves level
    ``k + 1`` and asserts that it gets the answer that problem gets alone;
    ``runs[k + 1]`` counts those nested solves.
    """
    numbers = NESTING[where][:depth]
    problems = [decay(number) for number in numbers]
    for level in range(1, depth):
        inner, expected = problems[level], reference(numbers[level])

        def solve_inner(inner: Decay = inner, expected: Outcome = expected, level: int = level) -> None:
            assert Outcome.of(inner.solve()).same_as(expected), f"nested solve at level {level} differs"
            runs[level] += 1

        if where == "func":
            problems[level - 1].hook = solve_inner
        else:
            problems[level - 1].jacobian_hook = solve_inner
    return problems[0]


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("where", ["func", "Dfun"])
def test_nested_solves_match_solo_solves(where: str, depth: int) -> None:
    runs = Counter[int]()
    outer = nested_chain(where, depth, runs)
    outcome = Outcome.of(outer.solve())
    assert outcome.same_as(reference(outer.number))
    # Every level below the outermost really ran, more than once each.
    assert sorted(runs) == list(range(1, depth))
    assert min(runs.values()) > 1


def test_nested_solve_that_raises_and_is_caught_leaves_outer_alone() -> None:
    outer = decay(0)
    raised: list[BaseException] = []
    caught: list[BaseException] = []

    def outer_hook() -> None:
        inner = decay(4)
        inner.hook = make_raiser_at(3, raised)  # inside MINPACK, not the checking call
        try:
            inner.solve()
        except FitAborted as exc:
            caught.append(exc)

    outer.hook = outer_hook
    assert Outcome.of(outer.solve()).same_as(reference(0))
    assert len(caught) == len(raised) > 1
    assert all(got is sent for got, sent in zip(caught, raised, strict=False))


def test_uncaught_exception_in_nested_solve_reaches_outermost_caller() -> None:
    raised: list[BaseException] = []
    outer = decay(1)

    def outer_hook() -> None:
        inner = decay(4)
        inner.hook = make_raiser_at(3, raised)
        inner.solve()

    outer.jacobian_hook = outer_hook
    with pytest.raises(FitAborted) as excinfo:
        outer.solve()
    assert excinfo.value is raised[0]
    assert reference(1).same_as(Outcome.of(decay(1).solve()))


# --------------------------------------------------------------------------
# 3. Exceptions
# --------------------------------------------------------------------------


class FitAborted(Exception):
    """A user's own exception class, carrying data of its own."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class StopEverything(BaseException):
    """A user's exception outside the Exception hierarchy (like SystemExit)."""


def make_raiser_at(
    call: int, raised: list[BaseException], make: Callable[[], BaseException] | None = None
) -> Callable[[], None]:
    """Return a hook that raises a fresh exception on its ``call``-th call."""
    calls = itertools.count(1)

    def raise_at_call() -> None:
        if next(calls) == call:
            raised.append(make() if make is not None else FitAborted(f"stopped at call {call}", code=call))
            raise raised[-1]

    return raise_at_call


EXCEPTIONS: dict[str, Callable[[], BaseException]] = {
    "ValueError": lambda: ValueError("the model cannot be evaluated here"),
    "custom Exception": lambda: FitAborted("the fit was aborted by the user", code=42),
    "custom BaseException": lambda: StopEverything("stop"),
    "ZeroDivisionError": lambda: ZeroDivisionError("division by zero in the model"),
}

# (which function raises, on which of its calls, problem number): call 1 is
# leastsq's checking call (before MINPACK runs), later calls come from
# inside MINPACK.  Problem 1 has a Dfun, so its Dfun's second call is the
# first Jacobian MINPACK asks for.
RAISE_POINTS = {
    "func, checking call": ("func", 1, 0),
    "func, 5th call (lmdif)": ("func", 5, 0),
    "func, 5th call (lmder)": ("func", 5, 1),
    "Dfun, checking call": ("Dfun", 1, 1),
    "Dfun, first Jacobian": ("Dfun", 2, 1),
    "Dfun, col_deriv": ("Dfun", 2, 3),
}


def log_calls(problem: Decay, log: list[str], raiser: Callable[[], None], where: str) -> None:
    """Make ``problem`` append "func"/"Dfun" to ``log`` on each call, then run ``raiser`` in ``where``."""

    def hook_for(name: str) -> Callable[[], None]:
        def count_call() -> None:
            log.append(name)
            if name == where:
                raiser()

        return count_call

    problem.hook, problem.jacobian_hook = hook_for("func"), hook_for("Dfun")


@pytest.mark.parametrize("point", RAISE_POINTS)
@pytest.mark.parametrize("kind", EXCEPTIONS)
def test_exception_reaches_caller_unchanged(point: str, kind: str) -> None:
    where, call, number = RAISE_POINTS[point]
    problem = decay(number)
    raised: list[BaseException] = []
    log: list[str] = []
    log_calls(problem, log, make_raiser_at(call, raised, EXCEPTIONS[kind]), where)
    twin = EXCEPTIONS[kind]()  # equal in type and message to the one raised

    with pytest.raises(type(twin)) as excinfo:
        problem.solve()

    error = excinfo.value
    assert error is raised[0]  # the very same object, not a copy or a wrapper
    assert str(error) == str(twin)
    if isinstance(error, FitAborted):
        assert error.code == 42
    assert error.__cause__ is None and error.__context__ is None  # nothing chained on the way
    # The traceback still leads into the user's function, down to the raise.
    frames = [frame.name for frame in traceback.extract_tb(error.__traceback__)]
    assert frames[-3:] == [where.lower(), "count_call", "raise_at_call"], frames
    # MINPACK stopped at once: the raising call was the last call of either function.
    assert log.count(where) == call and log[-1] == where, log
    # And this thread solves normally afterwards.
    assert Outcome.of(decay(number).solve()).same_as(reference(number))


# Call 1 is leastsq's checking call; call 4 comes from inside MINPACK, in
# the middle of both solves (problem 0 makes 28 calls of func, problem 1
# makes 7 of func and 6 of Dfun).
@pytest.mark.parametrize("number", [0, 1], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("after", [1, 4])
def test_keyboard_interrupt_stops_the_solve_promptly(number: int, after: int) -> None:
    problem = decay(number)
    log: list[str] = []
    interrupt = KeyboardInterrupt()

    def interrupt_at_call() -> None:
        if log.count("func") == after:
            raise interrupt

    log_calls(problem, log, interrupt_at_call, "func")
    with pytest.raises(KeyboardInterrupt) as excinfo:
        problem.solve()
    assert excinfo.value is interrupt
    assert log.count("func") == after and log[-1] == "func", log  # no call of any kind after it
    assert Outcome.of(decay(number).solve()).same_as(reference(number))


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
@pytest.mark.parametrize("number", [0, 1], ids=["lmdif", "lmder"])
def test_real_ctrl_c_stops_the_solve(number: int) -> None:
    # SIGINT with Python's default handler: KeyboardInterrupt is raised
    # inside func at its next bytecode, exactly as with a user's Ctrl-C.
    problem = decay(number)
    log: list[str] = []

    def press_ctrl_c() -> None:
        if log.count("func") == 3:
            signal.raise_signal(signal.SIGINT)

    log_calls(problem, log, press_ctrl_c, "func")
    with pytest.raises(KeyboardInterrupt):
        problem.solve()
    assert log.count("func") == 3 and log[-1] == "func", log
    assert Outcome.of(decay(number).solve()).same_as(reference(number))


@pytest.mark.usefixtures("frequent_thread_switches")
def test_exceptions_in_concurrent_solves_stay_with_their_own_thread() -> None:
    # Each thread's solves raise at a different call with their own
    # exception object; a stored error shared between threads would make
    # one thread re-raise another's (or stop another's solve).
    barrier = threading.Barrier(THREADS)
    failures: list[str] = []

    def worker(k: int) -> None:
        barrier.wait()
        for i in range(20):
            number = k * 20 + i
            problem = decay(number)
            raised: list[BaseException] = []
            problem.hook = make_raiser_at(2 + number % 3, raised)
            try:
                problem.solve()
            except FitAborted as exc:
                if exc is not raised[0]:
                    failures.append(f"problem {number} re-raised another solve's exception")
            else:
                failures.append(f"problem {number} did not raise")
            if not Outcome.of(decay(number).solve()).same_as(reference(number)):
                failures.append(f"problem {number} differs after a failure")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# --------------------------------------------------------------------------
# 4. No leaks
# --------------------------------------------------------------------------


class LeakWorkload:
    """Repeated solves over fixed objects whose reference counts are watched.

    ``func`` writes its residuals into the same array ``out`` every time and
    returns it (the C fast path); ``t`` and ``y`` are its extra arguments.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.t = np.linspace(0.0, 2.0, 12)
        self.y = 2.0 * np.exp(-1.3 * self.t) + 0.5
        self.out = np.empty_like(self.t)
        self.jac = np.empty((len(self.t), 3))
        self.calls = 0
        padding = tuple(range(20)) if kind == "20 extra args" else ()
        self.args = (self.t, self.y, *padding)

        def func(p: Any, t: Any, y: Any, *_: Any) -> Any:
            self.calls += 1
            if kind == "func raises" and self.calls % 6 == 0:
                raise FitAborted("mid-solve", code=self.calls)
            if kind == "bad output" and self.calls % 6 == 0:
                return "not residuals"  # TypeError from the checker, inside MINPACK
            np.subtract(p[0] * np.exp(-p[1] * t) + p[2], y, out=self.out)
            return self.out

        def dfun(p: Any, t: Any, y: Any, *_: Any) -> Any:
            if kind == "Dfun raises" and self.calls % 4 == 0:
                raise FitAborted("in the Jacobian", code=self.calls)
            decay_ = np.exp(-p[1] * t)
            self.jac[:, 0], self.jac[:, 1], self.jac[:, 2] = decay_, -p[0] * t * decay_, 1.0
            return self.jac

        self.func = func
        self.dfun = dfun if kind in ("lmder", "Dfun raises") else None

    def watched(self) -> dict[str, int]:
        objects = {"func": self.func, "t": self.t, "y": self.y, "out": self.out, "jac": self.jac, "args": self.args}
        return {name: sys.getrefcount(obj) for name, obj in objects.items()}

    def run(self, solves: int) -> None:
        for i in range(solves):
            self.calls = 0
            x0 = np.array([1.0 + 0.001 * (i % 50), 1.0, 0.0])
            try:
                leastsq(self.func, x0, args=self.args, Dfun=self.dfun, full_output=bool(i % 2))
            except (FitAborted, TypeError):
                assert self.kind in ("func raises", "Dfun raises", "bad output")


LEAK_KINDS = ["lmdif", "lmder", "20 extra args", "func raises", "Dfun raises", "bad output"]

#: Traced memory may grow this much while solving: interpreter caches
#: (free lists, the type attribute cache) settle during the warm-up, so
#: what is left is noise of well under 1 KiB (measured: 0.2 to 1 KiB, once
#: 8 KiB).  Leaking even the smallest object (16 bytes) once per solve
#: exceeds it after 1024 solves; the default run makes 1500 per kind.
TRACED_GROWTH_LIMIT = 16 * 1024


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def check_no_leak(kind: str, solves: int) -> None:
    workload = LeakWorkload(kind)
    workload.run(200)  # warm-up: caches, free lists, lazily created objects
    gc.collect()
    refcounts = workload.watched()
    tracemalloc.start()
    try:
        gc.collect()
        start, _ = tracemalloc.get_traced_memory()
        workload.run(solves)
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert workload.watched() == refcounts
    assert end - start < TRACED_GROWTH_LIMIT, f"traced memory grew by {end - start} bytes over {solves} solves"


@pytest.mark.parametrize("kind", LEAK_KINDS)
def test_repeated_solves_do_not_leak(kind: str) -> None:
    check_no_leak(kind, solves=1500)


@slow
@pytest.mark.parametrize("kind", LEAK_KINDS)
def test_repeated_solves_do_not_leak_long(kind: str) -> None:
    # tracemalloc sees Python and numpy allocations; the resident set also
    # sees the Fortran and C sides.  100,000 solves leaking 64 bytes each
    # would add 6.4 MB, above the 4 MB allowed for allocator noise.
    workload = LeakWorkload(kind)
    workload.run(2000)
    gc.collect()
    rss = resident_bytes()
    refcounts = workload.watched()
    workload.run(100_000)
    gc.collect()
    assert workload.watched() == refcounts
    assert resident_bytes() - rss < 4 * 2**20
    check_no_leak(kind, solves=20_000)


# --------------------------------------------------------------------------
# 5. Bad input never crashes
# --------------------------------------------------------------------------


class FuzzError(Exception):
    """Raised by a fuzzed callback on purpose; must reach the caller."""


def fuzz_examples() -> int:
    return int(os.environ.get("PYMINPACK_FUZZ_EXAMPLES", "3000"))


#: Kinds of value a fuzzed ``func`` returns; ``m`` is the length it was
#: drawn to return, ``x`` is the (copied) parameter vector it was given.
def fuzz_output(kind: str, x: Any, m: int, call: int) -> Any:
    base = np.sin(np.arange(1.0, m + 1.0)) * 3.0 - np.resize(np.atleast_1d(x).astype(float), m) if m else np.empty(0)
    match kind:
        case "float64":
            return base
        case "changing length":
            return np.resize(base, m + call % 3)
        case "complex":
            return base + 1j
        case "object floats":
            return np.array(list(base), dtype=object)
        case "object junk":
            return np.array([None, "a", 1.0][: max(m, 1)], dtype=object)
        case "str":
            return "residuals"
        case "bytes":
            return b"\x00" * 8 * m
        case "None":
            return None
        case "2-D column":
            return base.reshape(m, 1)
        case "2-D row":
            return base.reshape(1, m)
        case "2-D wide":
            return np.stack([base, base])
        case "float32":
            return base.astype(np.float32)
        case "float16":
            return base.astype(np.float16)
        case "longdouble":
            return base.astype(np.longdouble)
        case "int":
            return np.round(base).astype(np.int64)
        case "uint64":
            return np.abs(np.round(base)).astype(np.uint64)
        case "bool":
            return base > 0
        case "big-endian":
            return base.astype(">f8")
        case "read-only":
            base.setflags(write=False)
            return base
        case "non-contiguous":
            return np.repeat(base, 2)[::2]
        case "reversed view":
            return base[::-1]
        case "view of x":
            return x
        case "view of x, mutated":
            x *= 2.0
            return x[::-1]
        case "x mutated in place":
            x[...] = np.nan
            return base
        case "list":
            return base.tolist()
        case "tuple of arrays":
            return (base, base)
        case "ragged":
            return [base, [1.0]]
        case "scalar":
            return float(base[0]) if m else 0.0
        case "0-d array":
            return np.array(base[0] if m else 0.0)
        case "empty":
            return np.empty(0)
        case "nan":
            return np.full(m, np.nan)
        case "inf":
            return np.full(m, np.inf) * np.sign(base + 0.5)
        case "huge":
            return base * 1e300
        case "tiny":
            return base * 1e-320
        case "masked":
            return np.ma.masked_array(base, mask=base > 1)
        case "subclass":
            return base.view(FuzzArray)
        case "datetime":
            return np.arange(m).astype("datetime64[s]")
        case "structured":
            return np.zeros(m, dtype=[("a", "f8")])
        case "raises":
            raise FuzzError(f"raised at call {call}")
    raise AssertionError(kind)


class FuzzArray(np.ndarray):
    """An ndarray subclass, which the C fast path does not take."""


OUTPUT_KINDS = [
    "float64", "changing length", "complex", "object floats", "object junk", "str", "bytes", "None",
    "2-D column", "2-D row", "2-D wide", "float32", "float16", "longdouble", "int", "uint64", "bool",
    "big-endian", "read-only", "non-contiguous", "reversed view", "view of x", "view of x, mutated",
    "x mutated in place", "list", "tuple of arrays", "ragged", "scalar", "0-d array", "empty", "nan",
    "inf", "huge", "tiny", "masked", "subclass", "datetime", "structured", "raises",
]  # fmt: skip


def fuzz_jacobian(kind: str, x: Any, m: int, n: int, col_deriv: bool) -> Any:
    rows, cols = (n, m) if col_deriv else (m, n)
    jac = np.cos(np.arange(rows * cols, dtype=float)).reshape(rows, cols)
    match kind:
        case "right shape":
            return jac
        case "transposed":
            return jac.T
        case "Fortran order":
            return np.asfortranarray(jac)
        case "flat":
            return jac.ravel()
        case "one row short":
            return jac[:-1]
        case "3-D":
            return jac[None]
        case "complex":
            return jac + 1j
        case "None":
            return None
        case "float32":
            return jac.astype(np.float32)
        case "nan":
            return np.full_like(jac, np.nan)
        case "zeros":
            return np.zeros_like(jac)
        case "huge":
            return jac * 1e300
        case "view of x":
            return x
        case "list of lists":
            return jac.tolist()
        case "raises":
            raise FuzzError("raised in Dfun")
    raise AssertionError(kind)


JACOBIAN_KINDS = [
    "right shape", "transposed", "Fortran order", "flat", "one row short", "3-D", "complex", "None",
    "float32", "nan", "zeros", "huge", "view of x", "list of lists", "raises",
]  # fmt: skip

finite_or_not = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1.0, -1.0]),
)
hostile_x0 = st.one_of(
    st.lists(finite_or_not, min_size=0, max_size=5),
    st.lists(st.integers(-(2**70), 2**70), min_size=0, max_size=5),
    finite_or_not,
    st.lists(st.lists(st.floats(-10, 10), min_size=2, max_size=2), min_size=1, max_size=2),  # 2-D
    st.sampled_from([[1 + 2j], ["a", "b"], [True, False], None, [[1.0], [2.0, 3.0]], np.ones(3, ">f8")]),
)
plain_x0 = st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=5)
hostile_tolerance = st.one_of(finite_or_not, st.sampled_from([-1.0, 0.0, "1e-8", None, np.float32(1e-3), 1j]))
HOSTILE_MAXFEV = [-1, 1, 5, 2.5, True, np.int64(7), "10", 10**30, None]
DIAG_KINDS = ["ones", "zeros", "negative", "short", "long", "nan", "2-D", "text", "huge"]


@st.composite
def leastsq_calls(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Draw a leastsq call: its keyword arguments and how its callbacks behave.

    Each argument is hostile in about one draw out of five, so that most
    calls get past the up-front checks and exercise the callbacks inside
    MINPACK, where a bad output could do real damage.
    """

    def hostile() -> bool:
        return draw(st.integers(0, 4)) == 0

    call: dict[str, Any] = {"x0": draw(hostile_x0 if hostile() else plain_x0)}
    call["full_output"] = draw(st.booleans())
    plan: dict[str, Any] = {
        # Fewer residuals than parameters is refused up front, so rarely.
        "m": draw(st.integers(0, 7)) if hostile() else parameter_count(call["x0"]) + draw(st.integers(0, 4)),
        # The first kind answers until call switch_at, then the others in turn.
        "kinds": [
            draw(st.sampled_from(OUTPUT_KINDS)) if hostile() else "float64",
            *draw(st.lists(st.sampled_from(OUTPUT_KINDS), min_size=0, max_size=2)),
        ],
        "switch_at": draw(st.integers(1, 12)),
    }
    if draw(st.booleans()):
        plan["jacobian_kinds"] = [
            draw(st.sampled_from(JACOBIAN_KINDS)) if hostile() else "right shape",
            *draw(st.lists(st.sampled_from(JACOBIAN_KINDS), min_size=0, max_size=1)),
        ]
        call["col_deriv"] = draw(st.booleans())
    for name in ("ftol", "xtol", "gtol", "factor", "epsfcn"):
        if hostile():
            call[name] = draw(hostile_tolerance)
    if hostile():
        call["maxfev"] = draw(st.sampled_from(HOSTILE_MAXFEV))
    if hostile():
        plan["diag"] = draw(st.sampled_from(DIAG_KINDS))
    if draw(st.booleans()):
        call["allow_nonfinite"] = draw(st.booleans())
    if draw(st.booleans()):
        plan["callback"] = draw(st.sampled_from(CALLBACK_KINDS))
    return call, plan


CALLBACK_KINDS = ["records", "returns junk", "mutates its arrays", "raises", "nested solve"]


def fuzz_callback(kind: str) -> Callable[[Any, Any], Any]:
    """A progress ``callback`` of the given behaviour."""

    def callback(x: Any, fvec: Any) -> Any:
        match kind:
            case "records":
                return None
            case "returns junk":
                return "stop?"
            case "mutates its arrays":
                x[...] = np.nan
                fvec[...] = np.inf
                return None
            case "raises":
                raise FuzzError("raised in callback")
            case "nested solve":
                return leastsq(lambda p: p - 1.0, np.zeros(2))
        raise AssertionError(kind)

    return callback


def fuzz_diag(kind: str, n: int) -> Any:
    return {
        "ones": np.ones(n),
        "zeros": np.zeros(n),
        "negative": -np.ones(n),
        "short": np.ones(max(n - 1, 0)),
        "long": np.ones(n + 1),
        "nan": np.full(n, np.nan),
        "2-D": np.ones((n, 1)),
        "text": "diag",
        "huge": np.full(n, 1e308),
    }[kind]


def parameter_count(x0: Any) -> int:
    """The number of parameters leastsq sees in ``x0`` (1 if it is not an array)."""
    try:
        return int(np.asarray(x0).size)
    except ValueError:  # ragged
        return 1


def check_result(result: Any, call: dict[str, Any]) -> None:
    """A returned result has leastsq's documented structure."""
    assert isinstance(result, tuple)
    if call["full_output"]:
        x, cov_x, infodict, mesg, ier = result
        assert isinstance(mesg, str) and isinstance(infodict, dict)
        assert cov_x is None or cov_x.shape == (len(x), len(x))
        # MINPACK refuses improper input (ier 0) before evaluating anything.
        assert infodict["nfev"] >= (1 if ier else 0)
    else:
        x, ier = result
    assert isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype == np.float64
    assert ier in OUTCOMES  # MINPACK's 0 to 8, or -2: stopped at nan/inf with allow_nonfinite=True


#: Allowed outcomes besides a result: leastsq's documented errors and the
#: callback's own exception.  numpy.linalg.LinAlgError is a ValueError.
ALLOWED_ERRORS = (TypeError, ValueError, FuzzError)

#: A fuzzed func gives up (raising FuzzError) after this many calls.  With
#: nan residuals MINPACK never converges and stops only at maxfev, which a
#: drawn maxfev of 10**30 (clipped to 2**31 - 1, "no limit") makes hours
#: away: a long computation, not a hang.  Default limits stay below it
#: (at most 200 * (5 + 1) calls, plus the checking call).
CALL_BUDGET = 2000

#: Longest a single fuzzed call may take before the process exits (status
#: 1) with every thread's stack written to HANG_LOG: with at most
#: CALL_BUDGET evaluations, anything near this is a hang inside MINPACK.
#: (pytest captures stderr, and a process that exits loses the capture.)
HANG_SECONDS = 120
HANG_LOG = Path(tempfile.gettempdir()) / "pyminpack-fuzz-hang.txt"


# hypothesis's failure report imports libcst, which (in some environments)
# triggers a DeprecationWarning from mypy_extensions; under the project's
# filterwarnings=error that turns a failing example into an INTERNALERROR
# that hides it.
@pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
@settings(
    max_examples=fuzz_examples(),
    deadline=None,
    derandomize=os.environ.get("PYMINPACK_FUZZ_EXAMPLES") is None,  # reproducible default run
    suppress_health_check=[HealthCheck.too_slow],
)
@given(leastsq_calls())
def test_bad_input_never_crashes(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
    call, plan = drawn
    calls = 0

    def kind_now() -> str:
        kinds = plan["kinds"]
        return kinds[0] if calls < plan["switch_at"] else kinds[min(1 + calls // 7, len(kinds) - 1)]

    def func(x: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > CALL_BUDGET:
            raise FuzzError("call budget exhausted")
        with np.errstate(all="ignore"):
            return fuzz_output(kind_now(), x, plan["m"], calls)

    def dfun(x: Any) -> Any:
        jacobian_kinds = plan["jacobian_kinds"]
        kind = jacobian_kinds[0] if calls < plan["switch_at"] else jacobian_kinds[-1]
        with np.errstate(all="ignore"):
            return fuzz_jacobian(kind, x, plan["m"], parameter_count(call["x0"]), call.get("col_deriv", False))

    kwargs = dict(call)
    if "jacobian_kinds" in plan:
        kwargs["Dfun"] = dfun
    if "diag" in plan:
        kwargs["diag"] = fuzz_diag(plan["diag"], parameter_count(call["x0"]))
    if "callback" in plan:
        kwargs["callback"] = fuzz_callback(plan["callback"])

    with open(HANG_LOG, "w") as hang_log:
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True, file=hang_log)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = leastsq(func, **kwargs)
        except ALLOWED_ERRORS as exc:
            event(f"raised {type(exc).__name__}")  # see --hypothesis-show-statistics
            return
        finally:
            faulthandler.cancel_dump_traceback_later()
    event(f"returned ier={result[-1]}")
    check_result(result, call)
    # The only warning leastsq gives is its RuntimeWarning for ier 5 to 8.
    for warning in caught:
        assert warning.category is RuntimeWarning and not call["full_output"], str(warning.message)
