"""``callback=``: MINPACK's own progress reports (NPRINT, FCN with IFLAG = 0)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from small_problems import EXP

from pyminpack import OptimizeWarning, leastsq


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


# --- curve_fit, fit and the command line ---------------------------------------

T = np.linspace(0.0, 4.0, 30)
Y = 2.0 * np.exp(-1.3 * T) + 0.5 + 0.01 * np.cos(7.0 * T)


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


@pytest.mark.parametrize(
    "bounds", [(-np.inf, np.inf), ([0.0, 1.0, 0.0], [5.0, 1.2, 1.0])], ids=["unbounded", "bounded"]
)
def test_curve_fit_reports_the_users_parameters_and_weighted_residuals(bounds):
    from pyminpack import curve_fit

    sigma = np.full(T.size, 0.5)
    reports = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)  # b may end at its bound
        popt, _ = curve_fit(
            decay, T, Y, p0=[1.0, 1.1, 0.2], sigma=sigma, bounds=bounds,
            callback=lambda p, r: reports.append((p, r)),
        )  # fmt: skip
    # Under bounds the start goes through the transform and back: rounding only.
    np.testing.assert_allclose(reports[0][0], [1.0, 1.1, 0.2], rtol=1e-14)
    np.testing.assert_allclose(reports[-1][0], popt, rtol=1e-12)
    lower, upper = np.broadcast_to(bounds[0], 3), np.broadcast_to(bounds[1], 3)
    for params, residuals in reports:
        assert np.all((lower <= params) & (params <= upper))
        np.testing.assert_allclose(residuals, (decay(T, *params) - Y) / sigma, rtol=1e-10, atol=1e-12)


def test_fit_passes_callback_on():
    from pyminpack import fit

    reports = []
    result = fit(decay, T, Y, [1.0, 1.0, 1.0], callback=lambda p, r: reports.append(p))
    assert len(reports) >= 3
    np.testing.assert_allclose(reports[-1], result.values, rtol=1e-12)


def test_command_line_progress_prints_one_line_per_report(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "decay.csv"
    data.write_text("x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in zip(T.tolist(), Y.tolist(), strict=True)))
    run = subprocess.run(
        [sys.executable, "-m", "pyminpack", "fit", str(data), "--model", "a*exp(-b*x) + c", "--progress"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].startswith("pyminpack: progress 0: chi-square = ")
    assert "a = 1, b = 1, c = 1" in lines[0]
    assert len(lines) >= 3 and all(line.startswith("pyminpack: progress ") for line in lines)
    assert "[[Variables]]" in run.stdout
