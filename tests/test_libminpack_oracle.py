"""pyminpack.leastsq against Debian's libminpack1, bit for bit.

libminpack1 is netlib MINPACK as Debian compiles it, called here through
ctypes (:mod:`libminpack`). pyminpack wraps the same Fortran, so on the same
problem with the same settings it must return exactly what libminpack
returns: the same evaluation counts, exit code, ``x`` and residuals, to the
last bit. The problems are the 53 MGH runs of :mod:`mgh`, each solved with
lmder (`Dfun` given) and lmdif (forward differences), with
``scipy.optimize.leastsq``'s default settings, which pyminpack shares.

The module also checks its own footing: :mod:`mgh` driven by libminpack with
the easy drivers' settings replays MINPACK's test drivers
(``tests/data/mgh_reference.json``) exactly, which shows that the Python
translation of the problems returns the Fortran's bits.

Where the installed libminpack was compiled with fused multiply-adds (Debian's
arm64 build: gcc contracts ``a*b + c`` by default there), it cannot give the
bits that pyminpack gives on every CPU. :func:`libminpack.load` detects that
with a probe of its ``enorm``, and these tests then compare with libminpack's
results recorded on x86-64 (``tests/data/libminpack_x86_64.json.gz``);
pytest's header line says which oracle ran, and why. On x86-64 every result
is also checked against its recording, so the recordings stay current.
"""

import libminpack
import mgh
import numpy as np
import pytest

import pyminpack

LIB = libminpack.load()
if LIB is None:
    pytest.skip(
        "Debian's libminpack1 (libminpack.so.1, the oracle) is not installed: apt-get install libminpack1",
        allow_module_level=True,
    )

#: scipy.optimize.leastsq's defaults, as libminpack needs them spelt out.
#: ``epsfcn=None`` means the machine epsilon of func's output dtype.
FTOL = XTOL = 1.49012e-08
GTOL = 0.0
FACTOR = 100.0
EPSFCN = float(np.finfo(np.float64).eps)
LEASTSQ_DEFAULTS = {"ftol": FTOL, "xtol": XTOL, "gtol": GTOL, "factor": FACTOR}

#: The easy drivers' settings (LMDER1, LMDIF1: ``factor`` is 100, the default).
DRIVER_SETTINGS = {"ftol": mgh.DRIVER_TOL, "xtol": mgh.DRIVER_TOL, "gtol": 0.0}

REFERENCE = mgh.driver_reference()


def _libminpack_lmder(case, **settings):
    """libminpack's lmder on `case`, ``maxfev = 100 (n + 1)`` (leastsq's and LMDER1's)."""
    return libminpack.lmder(
        LIB, mgh.residuals, mgh.jacobian, case.x0, case.m, case.args, maxfev=100 * (case.n + 1), **settings
    )


def _libminpack_lmdif(case, **settings):
    """libminpack's lmdif on `case`, ``maxfev = 200 (n + 1)`` (leastsq's and LMDIF1's)."""
    return libminpack.lmdif(LIB, mgh.residuals, case.x0, case.m, case.args, maxfev=200 * (case.n + 1), **settings)


def _assert_same_bits(actual, expected):
    """Float arrays equal bit for bit (``-0.0 != 0.0``), shown as hex if not."""
    assert [v.hex() for v in np.asarray(actual, dtype=np.float64).tolist()] == [v.hex() for v in expected.tolist()]


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_lmder_matches_libminpack(case):
    expected = _libminpack_lmder(case, **LEASTSQ_DEFAULTS)
    x, _, infodict, _, ier = pyminpack.leastsq(
        mgh.residuals, case.x0, args=case.args, Dfun=mgh.jacobian, full_output=True
    )
    assert (infodict["nfev"], infodict["njev"], ier) == (expected.nfev, expected.njev, expected.info)
    _assert_same_bits(x, expected.x)
    _assert_same_bits(infodict["fvec"], expected.fvec)


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_lmdif_matches_libminpack(case):
    expected = _libminpack_lmdif(case, **LEASTSQ_DEFAULTS, epsfcn=EPSFCN)
    x, _, infodict, _, ier = pyminpack.leastsq(mgh.residuals, case.x0, args=case.args, full_output=True)
    assert (infodict["nfev"], ier) == (expected.nfev, expected.info)
    _assert_same_bits(x, expected.x)
    _assert_same_bits(infodict["fvec"], expected.fvec)


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_mgh_replays_lmder1_driver(case):
    ref = REFERENCE[case]["lmder1"]
    got = _libminpack_lmder(case, **DRIVER_SETTINGS)
    assert (got.nfev, got.njev, mgh.driver_info(got.info)) == (ref["nfev"], ref["njev"], ref["info"])
    _assert_same_bits(got.x, np.array(ref["x"]))


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_mgh_replays_lmdif1_driver(case):
    ref = REFERENCE[case]["lmdif1"]
    got = _libminpack_lmdif(case, **DRIVER_SETTINGS, epsfcn=0.0)
    # See test_mgh.py: the driver's njev counts forward-difference Jacobians.
    assert (got.nfev, mgh.driver_info(got.info)) == (ref["nfev"] + case.n * ref["njev"], ref["info"])
    _assert_same_bits(got.x, np.array(ref["x"]))
