"""``cov_x``: the inverse of ``J.T @ J``, formed from MINPACK's QR factors.

The oracle is an independent computation: the analytic Jacobian, evaluated
where MINPACK last factorised it (for ``Dfun``) or at the solution, and
``numpy.linalg.inv(J.T @ J)``.  ``covariance_from_qr`` is also checked on
hand-made factors whose answer is worked out in closed form.
"""

import numpy as np
import pytest
from small_problems import EXP, LINE, ORTHOGONAL, ROSENBROCK_OFFSET, Problem, T, assert_cov_close

from pyminpack import leastsq
from pyminpack._solver.covariance import covariance_from_qr

WELL_CONDITIONED = [LINE, EXP, ROSENBROCK_OFFSET]
TIGHT = {"ftol": 1e-14, "xtol": 1e-14}


def inverse_normal_matrix(jac):
    return np.linalg.inv(jac.T @ jac)


@pytest.mark.parametrize("problem", WELL_CONDITIONED, ids=repr)
def test_cov_x_is_the_inverse_of_jtj_at_the_solution_with_dfun(problem):
    x, cov_x, _, _, ier = leastsq(problem.func, problem.x0, Dfun=problem.jac, full_output=True, **TIGHT)
    assert ier in (1, 2, 3, 4)
    assert_cov_close(cov_x, inverse_normal_matrix(problem.jac(x)), 1e-9)


@pytest.mark.parametrize("problem", WELL_CONDITIONED, ids=repr)
def test_cov_x_is_the_inverse_of_jtj_at_the_solution_without_dfun(problem):
    # MINPACK factorised a forward-difference Jacobian: good to ~sqrt(eps).
    x, cov_x, _, _, ier = leastsq(problem.func, problem.x0, full_output=True, **TIGHT)
    assert ier in (1, 2, 3, 4)
    assert_cov_close(cov_x, inverse_normal_matrix(problem.jac(x)), 1e-6)


@pytest.mark.parametrize("problem", WELL_CONDITIONED, ids=repr)
def test_cov_x_is_the_inverse_of_jtj_where_the_jacobian_was_last_evaluated(problem):
    # With the default tolerances the last step may move x after the last
    # Jacobian; cov_x belongs to that last Jacobian, to rounding.
    evaluated_at = []

    def jac(p):
        evaluated_at.append(p.copy())
        return problem.jac(p)

    _, cov_x, infodict, _, ier = leastsq(problem.func, problem.x0, Dfun=jac, full_output=True)
    assert ier in (1, 2, 3, 4)
    assert infodict["njev"] == len(evaluated_at) - 1  # plus leastsq's checking call
    assert_cov_close(cov_x, inverse_normal_matrix(problem.jac(evaluated_at[-1])), 1e-10)


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("problem", WELL_CONDITIONED, ids=repr)
def test_cov_x_is_symmetric_positive_definite(problem, use_dfun):
    cov_x = leastsq(problem.func, problem.x0, Dfun=problem.jac if use_dfun else None, full_output=True)[1]
    np.testing.assert_allclose(cov_x, cov_x.T, rtol=1e-14, atol=0)
    np.linalg.cholesky(cov_x)  # raises unless positive definite


def test_cov_x_of_a_one_parameter_fit_is_one_over_r_squared():
    # The docstring's example: ill-conditioned (R is about 6e-8), but not
    # singular, so cov_x is returned, large.
    _, cov_x, infodict, _, ier = leastsq(lambda x: 2 * (x - 3) ** 2 + 1, 0, full_output=True)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(cov_x, [[1.0 / infodict["fjac"][0, 0] ** 2]], rtol=1e-14)
    assert cov_x[0, 0] > 1e12


#: Solves that end without converging (ier 5-8) or refuse the input (ier 0).
UNCONVERGED = {
    "ier0": (EXP, False, {"ftol": -1.0}),
    "ier5-lmdif": (EXP, False, {"maxfev": 5}),
    "ier5-lmder": (EXP, True, {"maxfev": 5}),
    "ier6": (ROSENBROCK_OFFSET, False, {"ftol": 0.0, "xtol": 0.0}),
    "ier7": (EXP, True, {"ftol": 0.0, "xtol": 0.0}),
    "ier8": (ORTHOGONAL, True, {"ftol": 0.0}),
}


@pytest.mark.parametrize(("problem", "use_dfun", "kwargs"), UNCONVERGED.values(), ids=UNCONVERGED.keys())
def test_cov_x_is_none_unless_the_solve_converged(problem, use_dfun, kwargs):
    _, cov_x, _, _, ier = leastsq(
        problem.func, problem.x0, Dfun=problem.jac if use_dfun else None, full_output=True, **kwargs
    )
    assert ier not in (1, 2, 3, 4)
    assert cov_x is None


def _unused_parameter(p):
    return p[0] + p[2] * T - np.array([1.0, 2.0, 2.5, 4.0, 7.0])


def _unused_parameter_jac(p):
    return np.column_stack([np.ones_like(T), np.zeros_like(T), T])


#: p[1] does not enter the residuals: its Jacobian column is exactly zero.
UNUSED_PARAMETER = Problem("unused_parameter", _unused_parameter, _unused_parameter_jac, (0.0, 1.0, 0.0))


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_cov_x_is_none_when_r_is_singular(use_dfun):
    problem = UNUSED_PARAMETER
    x, cov_x, infodict, _, ier = leastsq(
        problem.func, problem.x0, Dfun=problem.jac if use_dfun else None, full_output=True
    )
    assert ier in (1, 2, 3, 4)
    assert x[1] == 1.0  # never moved
    # The zero column is pivoted last and leaves a zero at the end of R's diagonal.
    assert infodict["ipvt"][-1] == 1
    assert np.diag(infodict["fjac"])[-1] == 0.0
    assert cov_x is None


# -- covariance_from_qr on hand-made factors ----------------------------------


def fjac_from(r, below=None):
    """leastsq's ``fjac`` (shape (n, m)) holding the upper triangle ``r``.

    MINPACK's array is m by n with R in its upper n by n triangle and
    Householder vectors below; ``below`` fills everything under the triangle
    with junk that must be ignored.
    """
    n = r.shape[0]
    below = np.zeros((0, n)) if below is None else below
    full = np.vstack([r, below])
    if below.size:
        full[np.tril_indices(n, -1)] = 7.0
    return full.T


def jacobian_from(r, ipvt):
    """The square J with J P = R, P's column j the ipvt[j]-th unit vector."""
    jac = np.empty_like(r)
    jac[:, ipvt] = r
    return jac


R2 = np.array([[2.0, 1.0], [0.0, 4.0]])


@pytest.mark.parametrize(
    ("ipvt", "expected"),
    [
        # inv(R.T R) with R.T R = [[4, 2], [2, 17]], determinant 64.
        ([0, 1], np.array([[17.0, -2.0], [-2.0, 4.0]]) / 64),
        # J = [[1, 2], [4, 0]]: J.T J = [[17, 2], [2, 4]].
        ([1, 0], np.array([[4.0, -2.0], [-2.0, 17.0]]) / 64),
    ],
    ids=["identity", "swapped"],
)
def test_covariance_from_qr_closed_form(ipvt, expected):
    cov = covariance_from_qr(fjac_from(R2), np.array(ipvt, dtype=np.int32))
    np.testing.assert_allclose(cov, expected, rtol=1e-15)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("m_extra", [0, 3])
def test_covariance_from_qr_undoes_the_pivoting(seed, m_extra):
    rng = np.random.default_rng(seed)
    n = 4
    r = np.triu(rng.normal(size=(n, n)))
    r[np.diag_indices(n)] = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 2.0, n)
    ipvt = rng.permutation(n).astype(np.int32)
    fjac = fjac_from(r, below=rng.normal(size=(m_extra, n)) if m_extra else None)
    cov = covariance_from_qr(fjac, ipvt)
    assert_cov_close(cov, inverse_normal_matrix(jacobian_from(r, ipvt)), 1e-10)


@pytest.mark.parametrize("zero", [0.0, -0.0])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_covariance_from_qr_is_none_for_a_zero_on_rs_diagonal(zero, position):
    r = np.triu(np.arange(1.0, 10.0).reshape(3, 3))
    r[position, position] = zero
    assert covariance_from_qr(fjac_from(r), np.arange(3, dtype=np.int32)) is None


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("position", [(0, 0), (0, 2), (1, 2), (2, 2)], ids=str)
def test_covariance_from_qr_is_all_nan_for_a_nonfinite_r(value, position):
    # No covariance is defined; numpy's pivoting inverse is never asked
    # (on aarch64 it raised LinAlgError for a nan triangle).
    r = np.triu(np.arange(1.0, 10.0).reshape(3, 3))
    r[position] = value
    cov = covariance_from_qr(fjac_from(r), np.array([2, 0, 1], dtype=np.int32))
    assert cov.shape == (3, 3)
    assert np.isnan(cov).all()


def test_covariance_from_qr_reads_only_r():
    # MINPACK keeps Householder vectors below R; whatever they hold, nan
    # included, does not enter the covariance.
    full = np.full((4, 2), np.nan)  # m = 4 rows of MINPACK's column-major fjac
    full[np.triu_indices(2)] = R2[np.triu_indices(2)]
    ipvt = np.array([1, 0], dtype=np.int32)
    np.testing.assert_array_equal(covariance_from_qr(full.T, ipvt), covariance_from_qr(fjac_from(R2), ipvt))


def test_covariance_from_qr_of_a_nearly_singular_r_is_not_finite_without_a_warning():
    # A nonzero but tiny diagonal: the variances it implies exceed float64.
    # The answer is inf (or nan where an inf meets a zero), not a
    # RuntimeWarning from inside the solver (pyproject makes one an error).
    overflowing = covariance_from_qr(fjac_from(np.array([[1e-170]])), np.array([0], dtype=np.int32))
    np.testing.assert_array_equal(overflowing, [[np.inf]])
    # 1/1e-320 is already inf, and inf * 0 in the product is nan. The tiny
    # diagonal is R's first column, which belongs to parameter ipvt[0] = 1.
    cov = covariance_from_qr(fjac_from(np.diag([1e-320, 1.0])), np.array([1, 0], dtype=np.int32))
    assert not np.isfinite(cov[1]).any() and not np.isfinite(cov[:, 1]).any()


def test_covariance_from_qr_does_not_modify_its_arguments():
    fjac, ipvt = fjac_from(R2, below=np.ones((2, 2))), np.array([1, 0], dtype=np.int32)
    fjac_before, ipvt_before = fjac.copy(), ipvt.copy()
    covariance_from_qr(fjac, ipvt)
    np.testing.assert_array_equal(fjac, fjac_before)
    np.testing.assert_array_equal(ipvt, ipvt_before)


# -- the demo's fits ------------------------------------------------------------


def _quadratic_jac(x, p):
    return np.column_stack([x**2, x, np.ones_like(x)])


def _exponential_decay_jac(x, p):
    a, b, _ = p
    e = np.exp(-b * x)
    return np.column_stack([e, -a * x * e, np.ones_like(x)])


@pytest.mark.parametrize(
    ("name", "jac"), [("quadratic", _quadratic_jac), ("exponential decay", _exponential_decay_jac)]
)
def test_cov_x_of_the_tutorial_fits(name, jac):
    from pyminpack._cli.demo import TUTORIAL_FITS

    (example,) = [example for example in TUTORIAL_FITS if example.name == name]
    y = example.data()
    x, cov_x, _, _, ier = leastsq(
        lambda p: example.model(example.x, *p) - y, example.initial_guess, full_output=True, **TIGHT
    )
    assert ier in (1, 2, 3, 4)
    assert_cov_close(cov_x, inverse_normal_matrix(jac(example.x, x)), 1e-6)
