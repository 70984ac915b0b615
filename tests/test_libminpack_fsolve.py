"""``fsolve`` and ``root(method='hybr')`` against Debian's libminpack1's hybrd and hybrj, bit for bit.

MINPACK's own test problems for systems of equations (:mod:`hybrd_problems`,
the 55 runs of the HYBRD1/HYBRJ1 drivers) are solved by pyminpack and by
libminpack (:mod:`libminpack`) with the same settings: the drivers'
(``mode = 2`` with ``diag = 1``), fsolve's defaults (``mode = 1``), and, on
one start of each problem, every argument that reaches MINPACK at a value
other than its default.  Every output of ``full_output`` must agree: ``x``,
``fvec``, ``ier``, the counts, and ``fjac`` (MINPACK's Q, transposed as
SciPy returns it), ``r`` and ``qtf``.

``nfev`` is every call of ``func``: MINPACK's count plus the call that
checks ``func``'s output at ``x0`` (SciPy 1.14.1 makes one call more, see
``test_fsolve.py``).
"""

import hybrd_problems
import libminpack
import mgh
import numpy as np
import pytest

import pyminpack

LIB = libminpack.load_or_skip()

CASES = hybrd_problems.CASES
IDS = [case.id for case in CASES]
#: The first start of each of the 14 problems.
SUBSET = [case for case in CASES if case.factor == 1.0]
SUBSET_IDS = [case.id for case in SUBSET]

XTOL = 1.49012e-08
EPS = float(np.finfo(np.float64).eps)


def jacobian_by_columns(x, nprob):
    """``hybrd_problems.jacobian`` transposed: derivatives down the columns (``col_deriv``)."""
    return np.ascontiguousarray(hybrd_problems.jacobian(x, nprob).T)


def _bits(values):
    return [v.hex() for v in np.asarray(values, dtype=np.float64).ravel().tolist()]


def assert_matches(got, expected):
    """fsolve's ``full_output`` against libminpack's :class:`~libminpack.HybridResult`, bit for bit."""
    x, infodict, ier, _ = got
    assert ier == expected.info
    assert infodict["nfev"] == expected.nfev + 1
    assert infodict.get("njev") == expected.njev
    assert _bits(x) == _bits(expected.x)
    if expected.info == 0:  # MINPACK leaves its outputs unset; fvec is func(x0) from the checking call, as in SciPy
        assert not infodict["fjac"].any() and not infodict["r"].any() and not infodict["qtf"].any()
    else:
        assert _bits(infodict["fvec"]) == _bits(expected.fvec)
        assert infodict["fjac"].shape == (len(x), len(x))
        assert _bits(infodict["fjac"]) == _bits(expected.fjac.T)
        assert _bits(infodict["r"]) == _bits(expected.r)
        assert _bits(infodict["qtf"]) == _bits(expected.qtf)


def _hybrd(case, **settings):
    return libminpack.hybrd(LIB, hybrd_problems.functions, case.x0, case.args, **settings)


def _hybrj(case, **settings):
    return libminpack.hybrj(LIB, hybrd_problems.functions, hybrd_problems.jacobian, case.x0, case.args, **settings)


def _fsolve(case, **kwargs):
    return pyminpack.fsolve(hybrd_problems.functions, case.x0, case.args, full_output=True, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fsolve_matches_hybrd_with_the_driver_settings(case):
    expected = _hybrd(case, **hybrd_problems.hybrd1_settings(case.n))
    got = _fsolve(case, xtol=mgh.DRIVER_TOL, epsfcn=0.0, diag=np.ones(case.n))
    assert_matches(got, expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fsolve_matches_hybrj_with_the_driver_settings(case):
    expected = _hybrj(case, **hybrd_problems.hybrj1_settings(case.n))
    got = _fsolve(case, fprime=hybrd_problems.jacobian, xtol=mgh.DRIVER_TOL, diag=np.ones(case.n))
    assert_matches(got, expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fsolve_defaults_match_hybrd(case):
    """MODE 1, xtol 1.49012e-8, maxfev 200 (n + 1), a full Jacobian, epsfcn the machine epsilon."""
    expected = _hybrd(case, xtol=XTOL, maxfev=200 * (case.n + 1), epsfcn=EPS)
    assert_matches(_fsolve(case), expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fsolve_defaults_match_hybrj(case):
    """MODE 1, xtol 1.49012e-8, maxfev 100 (n + 1)."""
    expected = _hybrj(case, xtol=XTOL, maxfev=100 * (case.n + 1))
    assert_matches(_fsolve(case, fprime=hybrd_problems.jacobian), expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_root_hybr_matches_hybrd_and_hybrj(case):
    """root's options reach the same solves: ``eps`` is fsolve's ``epsfcn``."""
    for jac, expected in (
        (None, _hybrd(case, xtol=XTOL, maxfev=200 * (case.n + 1), epsfcn=EPS)),
        (hybrd_problems.jacobian, _hybrj(case, xtol=XTOL, maxfev=100 * (case.n + 1))),
    ):
        sol = pyminpack.root(hybrd_problems.functions, case.x0, case.args, jac=jac)
        infodict = {key: sol[key] for key in ("nfev", "njev", "fjac", "r", "qtf") if key in sol}
        assert_matches((sol.x, {**infodict, "fvec": sol.fun}, sol.status, sol.message), expected)
        assert sol.success == (expected.info == 1)


#: fsolve's keyword arguments at values other than their defaults, and the
#: same settings as libminpack.hybrd takes them (n -> settings).
HYBRD_SETTINGS = {
    "xtol": ({"xtol": 1e-4}, lambda n: {"xtol": 1e-4, "maxfev": 200 * (n + 1), "epsfcn": EPS}),
    "maxfev": ({"maxfev": 7}, lambda n: {"xtol": XTOL, "maxfev": 7, "epsfcn": EPS}),
    "epsfcn": ({"epsfcn": 1e-7}, lambda n: {"xtol": XTOL, "maxfev": 200 * (n + 1), "epsfcn": 1e-7}),
    "factor": ({"factor": 0.5}, lambda n: {"xtol": XTOL, "maxfev": 200 * (n + 1), "epsfcn": EPS, "factor": 0.5}),
    "diag": (
        {"diag": "1 + arange(n)"},
        lambda n: {"xtol": XTOL, "maxfev": 200 * (n + 1), "epsfcn": EPS, "diag": 1.0 + np.arange(n)},
    ),
    # ml and mu differ, so that swapping them would show.
    "band_lower": (
        {"band": (1, 0)},
        lambda n: {"xtol": XTOL, "maxfev": 200 * (n + 1), "epsfcn": EPS, "ml": 1, "mu": 0},
    ),
    "band_upper": (
        {"band": (0, 2)},
        lambda n: {"xtol": XTOL, "maxfev": 200 * (n + 1), "epsfcn": EPS, "ml": 0, "mu": 2},
    ),
}

#: The same for fprime (hybrj): band and epsfcn do not reach it.
HYBRJ_SETTINGS = {
    "xtol": ({"xtol": 1e-4}, lambda n: {"xtol": 1e-4, "maxfev": 100 * (n + 1)}),
    "maxfev": ({"maxfev": 4}, lambda n: {"xtol": XTOL, "maxfev": 4}),
    "factor": ({"factor": 0.5}, lambda n: {"xtol": XTOL, "maxfev": 100 * (n + 1), "factor": 0.5}),
    "diag": ({"diag": "1 + arange(n)"}, lambda n: {"xtol": XTOL, "maxfev": 100 * (n + 1), "diag": 1.0 + np.arange(n)}),
}


def _resolved(kwargs, n):
    return {key: (1.0 + np.arange(n) if value == "1 + arange(n)" else value) for key, value in kwargs.items()}


@pytest.mark.parametrize("setting", HYBRD_SETTINGS)
@pytest.mark.parametrize("case", SUBSET, ids=SUBSET_IDS)
def test_each_fsolve_setting_reaches_hybrd(case, setting):
    kwargs, oracle_settings = HYBRD_SETTINGS[setting]
    expected = _hybrd(case, **oracle_settings(case.n))
    assert_matches(_fsolve(case, **_resolved(kwargs, case.n)), expected)


@pytest.mark.parametrize("setting", HYBRJ_SETTINGS)
@pytest.mark.parametrize("case", SUBSET, ids=SUBSET_IDS)
def test_each_fsolve_setting_reaches_hybrj(case, setting):
    kwargs, oracle_settings = HYBRJ_SETTINGS[setting]
    expected = _hybrj(case, **oracle_settings(case.n))
    assert_matches(_fsolve(case, fprime=hybrd_problems.jacobian, **_resolved(kwargs, case.n)), expected)


@pytest.mark.parametrize("case", SUBSET, ids=SUBSET_IDS)
def test_col_deriv_takes_the_transposed_jacobian(case):
    expected = _hybrj(case, xtol=XTOL, maxfev=100 * (case.n + 1))
    assert_matches(_fsolve(case, fprime=jacobian_by_columns, col_deriv=True), expected)


def test_the_settings_change_the_solves():
    """Each setting above gives another solve than the defaults on some start, so a dropped one would show."""
    for table, solve in ((HYBRD_SETTINGS, _hybrd), (HYBRJ_SETTINGS, _hybrj)):
        default = _hybrd if solve is _hybrd else _hybrj
        for setting, (_, oracle_settings) in table.items():
            changed = 0
            for case in SUBSET:
                baseline = (
                    default(case, xtol=XTOL, maxfev=200 * (case.n + 1), epsfcn=EPS)
                    if solve is _hybrd
                    else default(case, xtol=XTOL, maxfev=100 * (case.n + 1))
                )
                other = solve(case, **oracle_settings(case.n))
                changed += _bits(other.x) != _bits(baseline.x) or other.nfev != baseline.nfev
            assert changed, setting


@pytest.mark.parametrize(
    "kwargs",
    [{"xtol": -1.0}, {"factor": 0.0}, {"maxfev": -1}, {"diag": [1.0, 0.0]}],
    ids=["xtol", "factor", "maxfev", "diag"],
)
@pytest.mark.parametrize("with_fprime", [False, True], ids=["hybrd", "hybrj"])
def test_improper_settings_are_refused_as_minpack_refuses_them(kwargs, with_fprime):
    case = SUBSET[0]  # n = 2
    oracle = {"xtol": XTOL, "maxfev": (100 if with_fprime else 200) * 3} | kwargs
    if with_fprime:
        expected = _hybrj(case, **oracle)
        got = _fsolve(case, fprime=hybrd_problems.jacobian, **kwargs)
    else:
        expected = _hybrd(case, epsfcn=EPS, **oracle)
        got = _fsolve(case, **kwargs)
    assert expected.info == 0
    assert_matches(got, expected)
    assert _bits(got[1]["fvec"]) == _bits(hybrd_problems.functions(case.x0, *case.args))
    assert got[3] == "Improper input parameters were entered."
