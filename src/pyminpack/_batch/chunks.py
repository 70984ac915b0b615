"""Running :func:`pyminpack.fit_many`'s curves chunk by chunk: threads, progress, and Ctrl-C.

The curves are fitted in chunks of :data:`CHUNK` by one call of the C loop
each (the GIL released inside).  Between chunks, in the calling thread,
the progress is reported; and there a ``KeyboardInterrupt`` (Ctrl-C: Python
runs signal handlers in the main thread, between bytecodes, so while a
chunk runs in C the interrupt waits for its end) or any exception of the
progress callback stops the run: the chunks not started are cancelled,
those running (at most one per worker) are finished and waited for, so no
thread is left running, and the exception reaches the caller; the fits done
so far are dropped with the unfinished result.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["CHUNK", "Progress", "progress_reporter", "run_in_chunks"]

#: Curves per call of the C loop: small enough to balance the load among
#: workers and to stop soon after Ctrl-C, large enough that the Python work
#: per chunk is negligible beside the fits.
CHUNK = 256

#: How often the calling thread wakes, at most, while the workers fit: the
#: latency of Ctrl-C where a wait on a lock cannot be interrupted.
_WAKE_SECONDS = 0.2

#: A progress callback: ``progress(done, total)`` curves.
Progress = Callable[[int, int], object]


def run_in_chunks(run: Callable[[int, int], None], total: int, workers: int, report: Progress | None) -> None:
    """Call ``run(start, stop)`` over ``range(total)`` in chunks, on ``workers`` threads, reporting progress.

    ``report(done, total)`` is called in the calling thread after each chunk
    (in the order the chunks finish).  An exception of ``run`` or ``report``,
    or a ``KeyboardInterrupt``, cancels the chunks not started, waits for
    those running, and propagates.
    """
    chunks = [(start, min(start + CHUNK, total)) for start in range(0, total, CHUNK)]
    done = 0
    if workers == 1 or len(chunks) == 1:
        for start, stop in chunks:
            run(start, stop)
            done += stop - start
            if report is not None:
                report(done, total)
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    # Each chunk's future, put here as it finishes: one queue operation per
    # chunk (concurrent.futures.wait on the pending set re-arms a waiter on
    # every pending future at each wake, which held two workers' scaling to
    # x1.74-1.85 at 100,000 curves; see benchmarks/RESULTS.md).
    finished: queue.SimpleQueue[Future[None]] = queue.SimpleQueue()
    try:
        sizes = {}
        for start, stop in chunks:
            future = pool.submit(run, start, stop)
            sizes[future] = stop - start
            future.add_done_callback(finished.put)
        for _ in chunks:
            future = _next(finished)
            future.result()
            done += sizes[future]
            if report is not None:
                report(done, total)
    finally:
        # Not `with pool`: its exit would run every chunk still queued before an interrupt could propagate.
        pool.shutdown(wait=True, cancel_futures=True)


def _next(finished: queue.SimpleQueue[Future[None]]) -> Future[None]:
    """The next finished chunk's future.

    A bounded wait, repeated: a lock wait is not interrupted by Ctrl-C
    everywhere (Windows), a timeout returns.
    """
    while True:
        try:
            return finished.get(timeout=_WAKE_SECONDS)
        except queue.Empty:
            pass


def progress_reporter(progress: Any, total: int) -> tuple[Progress | None, Callable[[], None]]:
    """Return ``(report, close)`` for ``fit_many``'s ``progress`` argument.

    None or False: no report.  True: a ``tqdm`` progress bar (closed by
    ``close``).  A callable: called as ``progress(done, total)``.
    """
    if progress is None or progress is False:
        return None, lambda: None
    if progress is True:
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(
                "fit_many: progress=True draws a progress bar with tqdm, which is not installed "
                '(pip install tqdm, or "pyminpack[progress]"); or pass a callable progress(done, total).',
                name=error.name,
            ) from error
        bar = tqdm(total=total, unit="fit")

        def update(done: int, _total: int) -> None:
            bar.update(done - bar.n)

        return update, bar.close
    if not callable(progress):
        raise TypeError(
            f"fit_many: progress must be None, True (a tqdm bar) or a callable progress(done, total); "
            f"got {type(progress).__name__}."
        )
    return progress, lambda: None
