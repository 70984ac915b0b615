"""SolverSettings: the settings of a solve, checked once, with the path's defaults.

Every front end (leastsq with a Python or a compiled function, curve_fit,
fit, fit_many, fit_many_dask) builds one; the C layer reads it by position.
"""

import numpy as np
import pytest

from pyminpack import _native
from pyminpack._solver.settings import MAXFEV_LIMIT, SolverSettings


def test_the_c_layer_reads_the_fields_in_their_order():
    assert SolverSettings._fields == _native.SETTINGS_FIELDS


@pytest.mark.parametrize(("has_jacobian", "per_parameter"), [(False, 200), (True, 100)])
def test_maxfev_zero_is_minpacks_default_for_the_path(has_jacobian, per_parameter):
    # scipy.optimize.leastsq: 200*(n+1) with forward differences, 100*(n+1) with Dfun.
    assert SolverSettings.check(3, has_jacobian=has_jacobian).maxfev == per_parameter * 4
    assert SolverSettings.check(3, has_jacobian=has_jacobian, maxfev=7).maxfev == 7


def test_maxfev_beyond_a_fortran_integer_is_clipped_and_a_negative_one_passed_on():
    assert SolverSettings.check(1, has_jacobian=False, maxfev=2**40).maxfev == MAXFEV_LIMIT == 2**31 - 1
    # MINPACK answers a negative limit with INFO 0 itself.
    assert SolverSettings.check(1, has_jacobian=False, maxfev=-1).maxfev == -1


def test_epsfcn_is_the_residuals_machine_precision_by_default():
    settings = SolverSettings.check(2, has_jacobian=False)
    assert settings.epsfcn is None
    assert settings.step_epsilon() == np.finfo(np.float64).eps
    assert settings.step_epsilon(np.dtype(np.float32)) == np.finfo(np.float32).eps
    assert SolverSettings.check(2, has_jacobian=False, epsfcn=1e-6).step_epsilon(np.dtype(np.float32)) == 1e-6


def test_epsfcn_is_not_read_with_a_jacobian():
    # lmder takes no EPSFCN; SciPy accepts any value there, and so does pyminpack.
    assert SolverSettings.check(2, has_jacobian=True, epsfcn=float("nan")).epsfcn is None


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        ("ftol", float("nan"), ValueError, "ftol must be finite; got nan."),
        ("xtol", "small", TypeError, "xtol must be a real number, not str."),
        ("gtol", float("inf"), ValueError, "gtol must be finite; got inf."),
        ("factor", None, TypeError, "factor must be a real number; got None."),
        ("epsfcn", float("-inf"), ValueError, "epsfcn must be finite; got -inf."),
        ("maxfev", 2.5, TypeError, "maxfev must be an integer: 'float' object cannot be interpreted as an integer"),
        ("diag", [1.0], ValueError, r"diag must have one entry per parameter: expected shape \(2,\), got \(1,\)."),
        ("diag", [1.0, np.nan], ValueError, "diag must be finite; it holds nan or inf."),
    ],
)
def test_a_bad_setting_is_named(name, value, error, message):
    with pytest.raises(error, match=message):
        SolverSettings.check(2, has_jacobian=False, **{name: value})


def test_diag_selects_minpacks_mode_2():
    assert SolverSettings.check(2, has_jacobian=False).mode == 1
    settings = SolverSettings.check(2, has_jacobian=False, diag=[1, 3])
    assert settings.mode == 2
    np.testing.assert_array_equal(settings.diag, [1.0, 3.0])


def test_progress_asks_minpack_for_a_report_every_iteration():
    assert SolverSettings.check(1, has_jacobian=False).nprint == 0
    assert SolverSettings.check(1, has_jacobian=False, progress=print).nprint == 1
