"""The footing of the hybrd, hybrj and lmstr oracles: MINPACK's drivers replayed.

Debian's libminpack1 (netlib MINPACK as Debian compiles it, called through
ctypes by :mod:`libminpack`), driven by the Python translations of MINPACK's
test problems (:mod:`hybrd_problems`, :mod:`mgh`) with the settings of
MINPACK's own drivers, must reproduce what those drivers report
(``tests/data/hybrd_reference.json``, ``mgh_reference.json`` and
``minpack_examples.json``, made from the drivers linked with
``minpack_src/``; see ``tests/data/README.md``) bit for bit: the same
evaluation counts and exit codes, the same ``x`` and final norm, and for the
documentation's examples the same ``fvec``, ``fjac``, ``r``/``ipvt`` and
``qtf``.

Any difference in one bit of a function or Jacobian value would send the
solver down another path, so this shows that the translations return the
Fortran's bits and that the ctypes wrappers pass the settings as the drivers
do. pyminpack's own hybrd, hybrj and lmstr can then be checked against
libminpack on these problems exactly, as ``test_libminpack_oracle.py`` does
for lmder and lmdif.
"""

import hybrd_problems
import libminpack
import mgh
import numpy as np
import pytest

LIB = libminpack.load()
if LIB is None:
    pytest.skip(
        "Debian's libminpack1 (libminpack.so.1, the oracle) is not installed: apt-get install libminpack1",
        allow_module_level=True,
    )

EQUATIONS_REFERENCE = hybrd_problems.driver_reference()
LEAST_SQUARES_REFERENCE = mgh.driver_reference()
EXAMPLES = mgh.example_reference()


def _assert_same_bits(actual, expected):
    """Float arrays equal bit for bit (``-0.0 != 0.0``), shown as hex if not."""
    actual = np.asarray(actual, dtype=np.float64).tolist()
    assert [v.hex() for v in actual] == [float(v).hex() for v in expected]


def _assert_same_norm(fvec, fnorm):
    """The drivers print ENORM of the final residuals; libminpack's enorm of ours is that."""
    assert libminpack.enorm(LIB, fvec).hex() == fnorm.hex()


def test_equations_reference_has_exactly_the_driver_runs():
    assert list(EQUATIONS_REFERENCE) == list(hybrd_problems.CASES)


def test_least_squares_reference_has_exactly_the_driver_runs():
    assert list(LEAST_SQUARES_REFERENCE) == list(mgh.CASES)


@pytest.mark.parametrize("case", hybrd_problems.CASES, ids=lambda case: case.id)
def test_hybrd_replays_hybrd1_driver(case):
    ref = EQUATIONS_REFERENCE[case]["hybrd1"]
    got = libminpack.hybrd(LIB, hybrd_problems.functions, case.x0, case.args, **hybrd_problems.hybrd1_settings(case.n))
    # The driver counts every call of FCN, as hybrd's nfev does.
    assert (got.nfev, hybrd_problems.driver_info(got.info)) == (ref["nfev"], ref["info"])
    _assert_same_bits(got.x, ref["x"])
    _assert_same_norm(got.fvec, ref["fnorm"])


@pytest.mark.parametrize("case", hybrd_problems.CASES, ids=lambda case: case.id)
def test_hybrj_replays_hybrj1_driver(case):
    ref = EQUATIONS_REFERENCE[case]["hybrj1"]
    got = libminpack.hybrj(
        LIB,
        hybrd_problems.functions,
        hybrd_problems.jacobian,
        case.x0,
        case.args,
        **hybrd_problems.hybrj1_settings(case.n),
    )
    assert (got.nfev, got.njev, hybrd_problems.driver_info(got.info)) == (ref["nfev"], ref["njev"], ref["info"])
    _assert_same_bits(got.x, ref["x"])
    _assert_same_norm(got.fvec, ref["fnorm"])


@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_lmstr_replays_lmstr1_driver(case):
    ref = LEAST_SQUARES_REFERENCE[case]["lmstr1"]
    got = libminpack.lmstr(
        LIB,
        mgh.residuals,
        mgh.DriverJacobianRows(),
        case.x0,
        case.m,
        case.args,
        ftol=mgh.DRIVER_TOL,
        xtol=mgh.DRIVER_TOL,
        gtol=0.0,
        maxfev=100 * (case.n + 1),
    )
    # The driver counts calls with IFLAG = 1 and with IFLAG = 2 (the first
    # row of each Jacobian): lmstr's nfev and njev.
    assert (got.nfev, got.njev, mgh.driver_info(got.info)) == (ref["nfev"], ref["njev"], ref["info"])
    _assert_same_bits(got.x, ref["x"])
    _assert_same_norm(got.fvec, ref["fnorm"])


def _assert_replays_example(got, ref):
    counters = [name for name in ("nfev", "njev", "info") if name in ref]  # njev: hybrj, lmstr
    assert {name: getattr(got, name) for name in counters} == {name: ref[name] for name in counters}
    for name in ("x", "fvec", "qtf"):
        _assert_same_bits(getattr(got, name), ref[name])
    _assert_same_bits(got.fjac.ravel(order="F"), ref["fjac"])
    _assert_same_norm(got.fvec, ref["fnorm"])


#: The example drivers' calls: thybrd (a banded forward-difference Jacobian,
#: ml = mu = 1) and thybrj, both with mode = 2.
HYBRID_EXAMPLES = {
    "hybrd": lambda case, settings: libminpack.hybrd(LIB, hybrd_problems.functions, case.x0, case.args, **settings),
    "hybrj": lambda case, settings: libminpack.hybrj(
        LIB, hybrd_problems.functions, hybrd_problems.jacobian, case.x0, case.args, **settings
    ),
}


@pytest.mark.parametrize("routine", HYBRID_EXAMPLES)
def test_hybrid_routine_replays_its_example(routine):
    got = HYBRID_EXAMPLES[routine](hybrd_problems.EXAMPLE_CASE, hybrd_problems.EXAMPLE_SETTINGS[routine])
    ref = EXAMPLES[routine]
    _assert_replays_example(got, ref)
    _assert_same_bits(got.r, ref["r"])


def test_lmstr_replays_lmstr_example():
    case = mgh.EXAMPLE_CASE
    got = libminpack.lmstr(
        LIB, mgh.residuals, mgh.DriverJacobianRows(), case.x0, case.m, case.args, **mgh.EXAMPLE_SETTINGS
    )
    ref = EXAMPLES["lmstr"]
    _assert_replays_example(got, ref)
    assert got.ipvt.tolist() == ref["ipvt"]


def test_a_callback_exception_stops_the_solver_and_reaches_the_caller():
    # The wrappers' own contract, which the oracle tests rely on: a property
    # of the live library calls (a replayed result raises nothing).
    if LIB.replay_reason is not None:
        pytest.skip(LIB.replay_reason)

    class Stop(Exception):
        pass

    def failing(x, *args):
        raise Stop

    case = hybrd_problems.EXAMPLE_CASE
    with pytest.raises(Stop):
        libminpack.hybrd.__wrapped__(LIB.lib, failing, case.x0, case.args, xtol=1e-8, maxfev=100)
    with pytest.raises(Stop):
        libminpack.hybrj.__wrapped__(
            LIB.lib, hybrd_problems.functions, failing, case.x0, case.args, xtol=1e-8, maxfev=100
        )
    with pytest.raises(Stop):
        libminpack.lmstr.__wrapped__(
            LIB.lib, mgh.residuals, failing, mgh.EXAMPLE_CASE.x0, 15, (8, 15), ftol=0, xtol=0, gtol=0, maxfev=9
        )
