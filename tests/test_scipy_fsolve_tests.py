"""SciPy's own tests of fsolve and root('hybr', 'lm'), run against pyminpack.

Ported from SciPy 1.14.1's ``scipy/optimize/tests/test_minpack.py``
(``TestFSolve``, ``TestRootHybr``, ``TestRootLM``, ``TestNfev`` for the two
MINPACK methods) and ``test__root.py`` (``TestRoot``'s tests that use hybr or
lm), with ``optimize.fsolve``/``optimize.root`` replaced by pyminpack's and
numpy.testing's asserts for SciPy's.  No SciPy needed.
"""

from multiprocessing.pool import ThreadPool

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_almost_equal

from pyminpack import fsolve, root


class ReturnShape:
    """A callable without a '__name__' attribute, returning ``numpy.ones(shape)``."""

    def __init__(self, shape):
        self.shape = shape

    def __call__(self, x):
        return np.ones(self.shape)


def dummy_func(x, shape):
    """An array of ones of the given shape; `x` is ignored."""
    return np.ones(shape)


def sequence_parallel(fs):
    with ThreadPool(len(fs)) as pool:
        return pool.map(lambda f: f(), fs)


def pressure_network(flow_rates, Qtot, k):
    """The pressures and flows in n parallel pipes: ``f_i = P_i - P_0``, ``f_0 = sum(Q_i) - Qtot``, ``P = k Q**2``."""
    P = k * flow_rates**2
    return np.hstack((P[1:] - P[0], flow_rates.sum() - Qtot))


def pressure_network_jacobian(flow_rates, Qtot, k):
    """The Jacobian of :func:`pressure_network`, as SciPy's test writes it."""
    n = len(flow_rates)
    pdiff = np.diag(flow_rates[1:] * 2 * k[1:] - 2 * flow_rates[0] * k[0])
    jac = np.empty((n, n))
    jac[: n - 1, : n - 1] = pdiff * 0
    jac[: n - 1, n - 1] = 0
    jac[n - 1, :] = np.ones(n)
    return jac


def pressure_network_fun_and_grad(flow_rates, Qtot, k):
    return (pressure_network(flow_rates, Qtot, k), pressure_network_jacobian(flow_rates, Qtot, k))


class TestFSolve:
    def test_pressure_network_no_gradient(self):
        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows, _info, ier, mesg = fsolve(pressure_network, initial_guess, args=(Qtot, k), full_output=True)
        assert_array_almost_equal(final_flows, np.ones(4))
        assert ier == 1, mesg

    def test_pressure_network_with_gradient(self):
        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows = fsolve(pressure_network, initial_guess, args=(Qtot, k), fprime=pressure_network_jacobian)
        assert_array_almost_equal(final_flows, np.ones(4))

    def test_wrong_shape_func_callable(self):
        with pytest.raises(TypeError):
            fsolve(ReturnShape(1), [1.5, 2.0])

    def test_wrong_shape_func_function(self):
        with pytest.raises(TypeError):
            fsolve(dummy_func, [1.5, 2.0], args=((1,),))

    def test_wrong_shape_fprime_callable(self):
        with pytest.raises(TypeError):
            fsolve(ReturnShape(1), x0=[0, 1], fprime=ReturnShape((2, 2)))

    def test_wrong_shape_fprime_function(self):
        def func(x):
            return dummy_func(x, (2,))

        def deriv_func(x):
            return dummy_func(x, (3, 3))

        with pytest.raises(TypeError):
            fsolve(func, x0=[0, 1], fprime=deriv_func)

    def test_func_can_raise(self):
        def func(*args):
            raise ValueError("I raised")

        with pytest.raises(ValueError, match="I raised"):
            fsolve(func, x0=[0])

    def test_Dfun_can_raise(self):
        def func(x):
            return x - np.array([10])

        def deriv_func(*args):
            raise ValueError("I raised")

        with pytest.raises(ValueError, match="I raised"):
            fsolve(func, x0=[0], fprime=deriv_func)

    def test_float32(self):
        def func(x):
            return np.array([x[0] - 100, x[1] - 1000], dtype=np.float32) ** 2

        p = fsolve(func, np.array([1, 1], np.float32))
        assert_allclose(func(p), [0, 0], atol=1e-3)

    def test_reentrant_func(self):
        def func(*args):
            self.test_pressure_network_no_gradient()
            return pressure_network(*args)

        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows, _info, ier, mesg = fsolve(func, initial_guess, args=(Qtot, k), full_output=True)
        assert_array_almost_equal(final_flows, np.ones(4))
        assert ier == 1, mesg

    def test_reentrant_Dfunc(self):
        def deriv_func(*args):
            self.test_pressure_network_with_gradient()
            return pressure_network_jacobian(*args)

        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows = fsolve(pressure_network, initial_guess, args=(Qtot, k), fprime=deriv_func)
        assert_array_almost_equal(final_flows, np.ones(4))

    def test_concurrent_no_gradient(self):
        v = sequence_parallel([self.test_pressure_network_no_gradient] * 10)
        assert all(result is None for result in v)

    def test_concurrent_with_gradient(self):
        v = sequence_parallel([self.test_pressure_network_with_gradient] * 10)
        assert all(result is None for result in v)


class TestRootHybr:
    def test_pressure_network_no_gradient(self):
        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows = root(pressure_network, initial_guess, method="hybr", args=(Qtot, k)).x
        assert_array_almost_equal(final_flows, np.ones(4))

    def test_pressure_network_with_gradient(self):
        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([[2.0, 0.0, 2.0, 0.0]])
        final_flows = root(
            pressure_network, initial_guess, args=(Qtot, k), method="hybr", jac=pressure_network_jacobian
        ).x
        assert_array_almost_equal(final_flows, np.ones(4))

    def test_pressure_network_with_gradient_combined(self):
        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows = root(pressure_network_fun_and_grad, initial_guess, args=(Qtot, k), method="hybr", jac=True).x
        assert_array_almost_equal(final_flows, np.ones(4))


class TestRootLM:
    def test_pressure_network_no_gradient(self):
        k = np.full(4, 0.5)
        Qtot = 4
        initial_guess = np.array([2.0, 0.0, 2.0, 0.0])
        final_flows = root(pressure_network, initial_guess, method="lm", args=(Qtot, k)).x
        assert_array_almost_equal(final_flows, np.ones(4))


class TestNfev:
    def zero_f(self, y):
        self.nfev += 1
        return y**2 - 3

    @pytest.mark.parametrize("method", ["hybr", "lm"])
    def test_root_nfev(self, method):
        self.nfev = 0
        solution = root(self.zero_f, 100, method=method)
        assert solution.nfev == self.nfev

    def test_fsolve_nfev(self):
        self.nfev = 0
        _x, info, _ier, _mesg = fsolve(self.zero_f, 100, full_output=True)
        assert info["nfev"] == self.nfev


class TestRoot:
    @pytest.mark.parametrize("method", ["hybr", "lm"])
    def test_tol_parameter(self, method):
        # Check that the tol= argument does something
        def func(z):
            x, y = z
            return np.array([x**3 - 1, y**3 - 1])

        def dfunc(z):
            x, y = z
            return np.array([[3 * x**2, 0], [0, 3 * y**2]])

        sol1 = root(func, [1.1, 1.1], jac=dfunc, tol=1e-4, method=method)
        sol2 = root(func, [1.1, 1.1], jac=dfunc, tol=0.5, method=method)
        msg = f"{method}: {func(sol1.x)} vs. {func(sol2.x)}"
        assert sol1.success, msg
        assert sol2.success, msg
        assert abs(func(sol1.x)).max() < abs(func(sol2.x)).max(), msg

    def test_minimize_scalar_coerce_args_param(self):
        # github issue #3503
        def func(z, f=1):
            x, y = z
            return np.array([x**3 - 1, y**3 - f])

        root(func, [1.1, 1.1], args=1.5)

    def test_f_size(self):
        # gh8320: decreasing the size of the returned array raises an error and doesn't segfault
        class fun:
            def __init__(self):
                self.count = 0

            def __call__(self, x):
                self.count += 1
                if not (self.count % 5):
                    ret = x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0
                else:
                    ret = [x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]]
                return ret

        with pytest.raises(ValueError):
            root(fun(), [0.1, 0.0], method="lm")

    @pytest.mark.parametrize("method", ["hybr", "lm"])
    def test_method_in_result(self, method):
        def func(x):
            return x - 1

        res = root(func, x0=[1], method=method)
        assert res.method == method
