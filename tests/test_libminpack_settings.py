"""Every setting that reaches MINPACK, against Debian's libminpack1, bit for bit.

``test_libminpack_oracle.py`` runs all 53 MGH starts with ``leastsq``'s
defaults. Here each argument that ``leastsq`` hands to ``lmdif``/``lmder``
takes a value other than its default: ``diag`` (MODE 2), ``factor``, the
three tolerances, ``maxfev``, ``epsfcn``, ``nprint`` (through ``callback``)
and the Jacobian's layout (``col_deriv``). For each (:mod:`minpack_settings`),
a representative subset of the MGH starts is solved by pyminpack and by
libminpack with the same setting, and every output of ``full_output`` must
agree (:func:`libminpack.assert_leastsq_matches`).

Settings that MINPACK refuses (INFO 0, "Improper input parameters.") are
passed on too, and refused the same way. The other ways into MINPACK
(``Compiled``, ``curve_fit``, ``fit_many``) are checked the same way in
``test_libminpack_fit_paths.py``.
"""

import libminpack
import mgh
import numpy as np
import pytest
from minpack_settings import IMPROPER, LMDIF_SETTINGS, SETTINGS, STARTS

import pyminpack

LIB = libminpack.load_or_skip()

CASES = [case for case in mgh.CASES if case.id in STARTS]


def _pyminpack(case, jacobian, **settings):
    return pyminpack.leastsq(
        mgh.residuals, case.x0, args=case.args, Dfun=mgh.jacobian if jacobian else None, full_output=True, **settings
    )


def _libminpack(case, jacobian, **settings):
    return libminpack.leastsq_oracle(
        LIB, mgh.residuals, case.x0, case.m, case.args, mgh.jacobian if jacobian else None, **settings
    )


def _table(settings):
    return [pytest.param(name, case, id=f"{name}-{case.id}") for name in settings for case in CASES]


@pytest.mark.parametrize(("name", "case"), _table(SETTINGS))
def test_lmder_setting_matches_libminpack(name, case):
    settings = SETTINGS[name](case.n)
    libminpack.assert_leastsq_matches(_pyminpack(case, True, **settings), _libminpack(case, True, **settings))


@pytest.mark.parametrize(("name", "case"), _table({**SETTINGS, **LMDIF_SETTINGS}))
def test_lmdif_setting_matches_libminpack(name, case):
    settings = {**SETTINGS, **LMDIF_SETTINGS}[name](case.n)
    libminpack.assert_leastsq_matches(_pyminpack(case, False, **settings), _libminpack(case, False, **settings))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_epsfcn_does_not_reach_lmder(case):
    # lmder takes no EPSFCN: with a Jacobian, epsfcn changes nothing.
    libminpack.assert_leastsq_matches(_pyminpack(case, True, epsfcn=1e-3), _libminpack(case, True))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_col_deriv_hands_lmder_the_same_jacobian(case):
    # Dfun's transpose with col_deriv=True, C-ordered as such a Dfun makes
    # it (the fast path): MINPACK must see the same FJAC.
    def columns(x, *args):
        return np.ascontiguousarray(mgh.jacobian(x, *args).T)

    output = pyminpack.leastsq(
        mgh.residuals, case.x0, args=case.args, Dfun=columns, col_deriv=True, full_output=True, factor=1.0
    )
    libminpack.assert_leastsq_matches(output, _libminpack(case, True, factor=1.0))


@pytest.mark.parametrize("jacobian", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_callback_reports_what_nprint_reports(case, jacobian):
    # callback is MINPACK's NPRINT = 1: FCN called with IFLAG = 0 at the start,
    # after each iteration and at the end, with MINPACK's x and fvec.
    reports = []
    output = pyminpack.leastsq(
        mgh.residuals,
        case.x0,
        args=case.args,
        Dfun=mgh.jacobian if jacobian else None,
        full_output=True,
        callback=lambda x, fvec: reports.append((x, fvec)),
    )
    expected = _libminpack(case, jacobian, nprint=1)
    libminpack.assert_leastsq_matches(output, expected)
    assert len(reports) == len(expected.reports)
    for (x, fvec), (expected_x, expected_fvec) in zip(reports, expected.reports, strict=True):
        libminpack.assert_same_bits(x, expected_x)
        libminpack.assert_same_bits(fvec, expected_fvec)


def residuals32(x, *args):
    """The MGH residuals rounded to float32 (a module-level function: the oracle keys calls by name)."""
    return np.asarray(mgh.residuals(x, *args), dtype=np.float32)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_float32_residuals_use_float32_eps_as_epsfcn(case):
    # epsfcn=None is the machine epsilon of func's output dtype: float32's
    # here (MINPACK itself works in float64 on the widened values).
    output = pyminpack.leastsq(residuals32, case.x0, args=case.args, full_output=True)
    expected = libminpack.leastsq_oracle(
        LIB, residuals32, case.x0, case.m, case.args, epsfcn=float(np.finfo(np.float32).eps)
    )
    libminpack.assert_leastsq_matches(output, expected)


@pytest.mark.parametrize("jacobian", [False, True], ids=["lmdif", "lmder"])
def test_maxfev_beyond_a_fortran_integer_is_the_largest_one(jacobian):
    # A start that reaches the default limit with lmdif and the MINPACK
    # limit of 8 (INFO 8 after 59 evaluations) with lmder.
    case = next(case for case in CASES if case.id == "p06_powell_singular_n4_m4_x1")
    output = _pyminpack(case, jacobian, maxfev=2**40)
    libminpack.assert_leastsq_matches(output, _libminpack(case, jacobian, maxfev=2**31 - 1))


@pytest.mark.parametrize("jacobian", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("name", IMPROPER)
def test_improper_setting_is_refused_as_minpack_refuses_it(name, jacobian):
    case = next(case for case in CASES if case.id == "p04_rosenbrock_n2_m2_x10")
    settings = IMPROPER[name](case.n)
    expected = _libminpack(case, jacobian, **settings)
    assert (expected.info, expected.nfev) == (0, 0)
    x, cov_x, infodict, mesg, ier = _pyminpack(case, jacobian, **settings)
    assert (ier, infodict["nfev"], cov_x, mesg) == (0, 0, None, "Improper input parameters.")
    libminpack.assert_same_bits(x, case.x0)
    with pytest.raises(TypeError, match=r"^Improper input parameters\.$"):
        pyminpack.leastsq(mgh.residuals, case.x0, args=case.args, **settings)
