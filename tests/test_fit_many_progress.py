"""fit_many's progress reports and its stop on Ctrl-C (KeyboardInterrupt), deterministically.

The interrupt is raised from the progress callback, which fit_many calls in
the calling thread between chunks: by the callback itself, or as a real
SIGINT delivered to the main thread (Python's default handler raises
KeyboardInterrupt there), so no test depends on timing.
"""

from __future__ import annotations

import signal
import sys
import threading

import native_functions as nf
import numpy as np
import pytest

from pyminpack import fit_many
from pyminpack._batch import chunks
from pyminpack._batch.chunks import CHUNK

K = 10 * CHUNK + 7  # ten full chunks and a short one


def recording_model(curves: set[int]) -> object:
    """out[i] = p[0], recording each curve it is evaluated for (by the address of that curve's own x)."""
    lock = threading.Lock()

    @nf.MODEL
    def model(m, n, p, x, out, user_data):
        with lock:
            curves.add(ctypes_address(x))
        for i in range(m):
            out[i] = p[0]
        return 0

    return model


def ctypes_address(pointer) -> int:
    import ctypes

    return ctypes.addressof(pointer.contents)


def data() -> tuple[np.ndarray, np.ndarray]:
    """K one-point curves, each with its own x (so the model can tell the curves apart)."""
    return np.arange(float(K)).reshape(K, 1), np.zeros((K, 1))


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_in_the_calling_thread_after_each_chunk(workers):
    y, x = data()
    reports = []
    fits = fit_many(
        recording_model(set()), y, 0.0, x=x, workers=workers,
        progress=lambda done, total: reports.append((done, total, threading.get_ident())),
    )  # fmt: skip
    np.testing.assert_array_equal(fits.params, y)
    assert [total for _, total, _ in reports] == [K] * 11
    done = [done for done, _, _ in reports]
    assert done == sorted(done) and done[-1] == K
    assert sorted(np.diff([0, *done])) == [7] + [CHUNK] * 10  # one report per chunk, whichever finished first
    assert {thread for _, _, thread in reports} == {threading.get_ident()}


def interrupt_at_first_report(how: str):
    def progress(done, total):
        if how == "raise":
            raise KeyboardInterrupt
        signal.raise_signal(signal.SIGINT)  # as Ctrl-C: the default handler raises KeyboardInterrupt here

    return progress


@pytest.mark.parametrize("how", ["raise", "SIGINT"])
@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_reaches_the_caller_and_leaves_no_thread_running(workers, how):
    if how == "SIGINT" and signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has another handler in this process")
    y, x = data()
    curves: set[int] = set()
    threads_before = set(threading.enumerate())
    with pytest.raises(KeyboardInterrupt):
        fit_many(recording_model(curves), y, 0.0, x=x, workers=workers, progress=interrupt_at_first_report(how))
    assert not set(threading.enumerate()) - threads_before  # every pool thread joined
    if workers == 1:  # the first report follows the first chunk, and no other chunk starts
        assert len(curves) == CHUNK


def test_workers_stop_at_the_next_chunk_boundary(monkeypatch):
    # Chunks other than the first wait at a gate, opened only once the pool
    # has cancelled what had not started: at the interrupt (the report of
    # the first chunk), each of the two workers runs at most one chunk, and
    # no chunk starts after it.
    gate = threading.Event()
    started = []
    original_shutdown = chunks.ThreadPoolExecutor.shutdown

    def shutdown(self, wait=True, *, cancel_futures=False):
        original_shutdown(self, wait=False, cancel_futures=cancel_futures)
        gate.set()
        original_shutdown(self, wait=wait)

    def run(start, stop):
        started.append(start)
        if start > 0:
            gate.wait()

    def progress(done, total):
        raise KeyboardInterrupt

    monkeypatch.setattr(chunks.ThreadPoolExecutor, "shutdown", shutdown)
    with pytest.raises(KeyboardInterrupt):
        chunks.run_in_chunks(run, K, 2, progress)
    assert 0 in started and set(started) <= {0, CHUNK, 2 * CHUNK}
    assert gate.is_set()


def test_the_progress_callbacks_own_exception_reaches_the_caller_unchanged():
    y, x = data()
    error = ValueError("stop here")

    def progress(done, total):
        raise error

    with pytest.raises(ValueError) as raised:
        fit_many(recording_model(set()), y, 0.0, x=x, workers=2, progress=progress)
    assert raised.value is error


def test_a_progress_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match=r"^fit_many: progress must be None, True \(a tqdm bar\) or a callable"):
        fit_many(recording_model(set()), [[1.0]], 0.0, progress="yes")


def test_progress_true_draws_a_tqdm_bar(capsys):
    pytest.importorskip("tqdm")
    y, x = data()
    fits = fit_many(recording_model(set()), y, 0.0, x=x, workers=2, progress=True)
    np.testing.assert_array_equal(fits.params, y)
    assert f"{K}/{K}" in capsys.readouterr().err


def test_progress_true_without_tqdm_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ModuleNotFoundError, match=r"^fit_many: progress=True draws a progress bar with tqdm"):
        fit_many(recording_model(set()), [[1.0]], 0.0, progress=True)


# ---- threads, the bounded wait, the progress bar and its errors (pinned by mutation testing) ----


@pytest.mark.parametrize(("total", "in_caller"), [(CHUNK, True), (CHUNK + 1, False)])
def test_one_chunk_runs_in_the_calling_thread_and_more_on_the_pool(total, in_caller):
    threads = []
    chunks.run_in_chunks(lambda start, stop: threads.append(threading.get_ident()), total, 2, None)
    assert (set(threads) == {threading.get_ident()}) is in_caller
    assert (threading.get_ident() in threads) is in_caller


def test_the_wait_for_a_chunk_wakes_every_wake_seconds():
    # A wait on a lock is not interrupted by Ctrl-C everywhere (Windows): the caller waits in short turns.
    class SlowQueue:
        def __init__(self):
            self.timeouts = []

        def get(self, timeout):
            self.timeouts.append(timeout)
            if len(self.timeouts) < 3:
                raise chunks.queue.Empty
            return "the future"

    waiting = SlowQueue()
    assert chunks._next(waiting) == "the future"
    assert waiting.timeouts == [chunks._WAKE_SECONDS] * 3 and 0 < chunks._WAKE_SECONDS <= 0.5


#: The bars FakeBar made.
BARS: list = []


class FakeBar:
    """tqdm's interface as fit_many uses it, recording what it is told."""

    def __init__(self, **settings):
        self.settings, self.n, self.shown, self.closed = settings, 0, [], False
        BARS.append(self)

    def update(self, count):
        self.n += count
        self.shown.append(self.n)

    def close(self):
        self.closed = True


def test_progress_true_counts_fits_on_a_tqdm_bar(monkeypatch):
    import types

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeBar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    BARS.clear()
    y, x = data()
    fit_many(recording_model(set()), y, 0.0, x=x, workers=1, progress=True)
    [bar] = BARS
    assert bar.settings == {"total": K, "unit": "fit"}
    assert bar.shown == [CHUNK * (k + 1) for k in range(10)] + [K] and bar.closed


def test_progress_true_without_tqdm_says_what_to_install_in_whole_words(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ModuleNotFoundError) as caught:
        fit_many(recording_model(set()), [[1.0]], 0.0, progress=True)
    assert str(caught.value) == (
        "fit_many: progress=True draws a progress bar with tqdm, which is not installed "
        '(pip install tqdm, or "pyminpack[progress]"); or pass a callable progress(done, total).'
    )
    # The module that could not be imported, as the import's own error names it.
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    assert caught.value.name == caught.value.__cause__.name == "tqdm.auto"


def test_a_progress_that_is_not_callable_is_named_by_its_type():
    with pytest.raises(TypeError) as caught:
        fit_many(recording_model(set()), [[1.0]], 0.0, progress="yes")
    assert str(caught.value) == (
        "fit_many: progress must be None, True (a tqdm bar) or a callable progress(done, total); got str."
    )
