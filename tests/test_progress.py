"""``callback=``: MINPACK's own progress reports (NPRINT, FCN with IFLAG = 0)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from small_problems import EXP

from pyminpack import leastsq


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_callback_sees_the_start_every_iteration_and_the_end(use_dfun):
    reports = []
    x, _, info, _, ier = leastsq(
        EXP.func,
        EXP.x0,
        Dfun=EXP.jac if use_dfun else None,
        full_output=True,
        callback=lambda x, fvec: reports.append((x, fvec)),
    )
    plain = leastsq(EXP.func, EXP.x0, Dfun=EXP.jac if use_dfun else None, full_output=True)
    # Reporting changes nothing in the solve.
    np.testing.assert_array_equal(x, plain[0])
    assert (info["nfev"], ier) == (plain[2]["nfev"], plain[4])
    # MINPACK reports at the start, after each iteration and before returning.
    np.testing.assert_array_equal(reports[0][0], EXP.x0)
    np.testing.assert_array_equal(reports[0][1], EXP.func(np.asarray(EXP.x0, dtype=float)))
    np.testing.assert_array_equal(reports[-1][0], x)
    np.testing.assert_array_equal(reports[-1][1], info["fvec"])
    assert len(reports) >= 3
    # Each report is consistent (fvec is the residual at x) and the sum of
    # squares never increases: only accepted steps are reported.
    for report_x, report_fvec in reports:
        np.testing.assert_allclose(report_fvec, EXP.func(report_x), rtol=1e-15, atol=1e-15)
    norms = [fvec @ fvec for _, fvec in reports]
    assert all(later <= earlier for earlier, later in itertools.pairwise(norms))


def test_callback_receives_copies():
    kept = []
    _x, _ = leastsq(EXP.func, EXP.x0, callback=lambda x, fvec: kept.append(x))
    assert len({id(k) for k in kept}) == len(kept)
    np.testing.assert_array_equal(kept[0], EXP.x0)  # not overwritten by later iterations


class Stop(Exception):
    pass


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_an_exception_in_the_callback_stops_the_solve_and_reaches_the_caller(use_dfun):
    calls = []

    def callback(x, fvec):
        calls.append(x)
        if len(calls) == 2:
            raise Stop("enough")

    evaluations = []

    def func(p):
        evaluations.append(p)
        return EXP.func(p)

    with pytest.raises(Stop, match="enough"):
        leastsq(func, EXP.x0, Dfun=EXP.jac if use_dfun else None, callback=callback)
    assert len(calls) == 2
    count = len(evaluations)
    leastsq(func, EXP.x0)  # the next solve on this thread is unaffected
    assert len(evaluations) > count
