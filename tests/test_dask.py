"""fit_many_dask: the same results as fit_many, on a LocalCluster of worker processes and without one.

The model travels as a SharedLibraryModel: the C functions of
native_functions.py built into a shared library in a temporary directory,
loaded by each worker process from its path.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import native_functions as nf
import numpy as np
import pytest

from pyminpack import ManyFits, SharedLibraryModel, fit_many, fit_many_dask

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native_dask"))


@pytest.fixture(scope="module")
def spec(native):
    return SharedLibraryModel(native["lib"]._name, "rational_model")


@pytest.fixture(scope="module")
def spec_with_jacobian(native):
    return SharedLibraryModel(Path(native["lib"]._name), "rational_model", "rational_model_jacobian")


def curves(K: int):
    x, y = nf.rational_curves(K)
    y[3, 0] = np.nan  # a failed fit (the non-finite guard) travels too
    return x, y


def computed(fits: ManyFits, **kwargs) -> ManyFits:
    return ManyFits(*dask.compute(*fits, **kwargs))


def assert_identical(a: ManyFits, b: ManyFits) -> None:
    for name, u, v in zip(ManyFits._fields, a, b, strict=True):
        assert u.dtype == v.dtype, name
        assert np.array_equal(u, v, equal_nan=True), name


@pytest.mark.parametrize("jacobian", [False, True])
def test_synchronous_scheduler(native, spec, spec_with_jacobian, jacobian):
    x, y = curves(50)
    K, m = y.shape
    p0 = np.random.default_rng(2).uniform(0.5, 1.5, (K, 3))
    sigma = np.random.default_rng(3).uniform(0.5, 2.0, (K, m))
    local = fit_many(
        native["rational_model"],
        y,
        p0,
        x=x,
        sigma=sigma,
        jacobian=native["rational_model_jacobian"] if jacobian else None,
        workers=1,
    )
    lazy = fit_many_dask(
        spec_with_jacobian if jacobian else spec,
        da.from_array(y, chunks=(7, 10)),  # columns rechunked into one chunk
        da.from_array(p0, chunks=(13, 3)),  # rechunked alongside y
        x=x,
        sigma=sigma,  # a per-curve numpy array
    )
    assert lazy.params.shape == (K, 3) and lazy.params.chunks[0] == (7,) * 7 + (1,)
    assert lazy.ier.dtype == np.int32
    assert_identical(computed(lazy, scheduler="synchronous"), local)


def test_shared_p0_sigma_user_data_and_a_function_recipe(native):
    x, y = curves(20)
    sigma = np.linspace(0.5, 2.0, len(x))
    local = fit_many(native["rational_model_ud"], y, [1.0, 1.0, 0.5], sigma=sigma, user_data=x, workers=1)
    lazy = fit_many_dask(
        nf.rational_model_ud_recipe,
        y,  # a numpy array: one chunk
        np.array([1.0, 1.0, 0.5]),
        sigma=sigma,
        user_data=x,
    )
    assert_identical(computed(lazy, scheduler="threads"), local)


def test_local_cluster_with_two_worker_processes(native, spec):
    distributed = pytest.importorskip("dask.distributed")
    x, y = curves(400)
    local = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, workers=1)
    # The dashboard on a free port: dask's default, 8787, may be taken (another test run on this machine).
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(lambda: __import__("os").getpid())
        assert len(set(pids.values())) == 2
        lazy = fit_many_dask(spec, da.from_array(y, chunks=(50, 30)), [1.0, 1.0, 0.5], x=x)
        futures = client.compute(list(lazy))
        remote = ManyFits(*client.gather(futures))
        # The workers built the model from the recipe (the client process never did).
        loaded = client.run(lambda: [repr(k) for k in __import__("pyminpack._batch.dask")._batch.dask._BUILT])
        assert any(repr(spec) in names for names in loaded.values()), loaded
    assert_identical(remote, local)
    assert np.isin(local.ier, [1, 2, 3, 4]).sum() == 399


def test_compiled_functions_cannot_travel(native):
    x, y = curves(4)
    with pytest.raises(TypeError, match="cannot be sent to other processes"):
        fit_many_dask(native["rational_model"], y, [1.0, 1.0, 0.5], x=x)
    model = native["rational_model"]
    with pytest.raises(TypeError, match="cannot be pickled"):
        fit_many_dask(lambda: model, y, [1.0, 1.0, 0.5], x=x)  # a closure over a ctypes function pointer
    with pytest.raises(TypeError, match="user_data must be None or a numpy array"):
        fit_many_dask(nf.rational_model_ud_recipe, y, [1.0, 1.0, 0.5], user_data=ctypes.c_void_p(0))
    with pytest.raises(ValueError, match="p0 must have shape"):
        fit_many_dask(nf.rational_model_ud_recipe, y, np.ones((5, 3)))
    with pytest.raises(ValueError, match="ydata must be"):
        fit_many_dask(nf.rational_model_ud_recipe, y[0], [1.0, 1.0, 0.5])


def test_recipe_errors_surface_at_compute(tmp_path):
    y = np.ones((2, 5))
    missing = fit_many_dask(SharedLibraryModel(str(tmp_path / "missing.so"), "model"), y, [1.0])
    with pytest.raises(OSError):
        dask.compute(*missing, scheduler="synchronous")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


@pytest.mark.parametrize("per_curve", [False, True], ids=["shared bounds", "bounds per curve"])
def test_bounds_fixed_and_x_per_curve_as_fit_many(native, spec, per_curve):
    x, y = curves(30)
    K = len(y)
    xs = x + np.linspace(0.0, 0.1, K)[:, None]  # each curve its own abscissae
    lb, ub = np.array([0.0, -1.0, 0.0]), np.array([5.0, 4.0, 2.0])
    if per_curve:
        lb, ub = np.tile(lb, (K, 1)), ub + np.linspace(0.0, 1.0, K)[:, None]
    options = {"bounds": (lb, ub), "fixed": [False, False, True]}
    local = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=xs, workers=1, **options)
    lazy = fit_many_dask(spec, da.from_array(y, chunks=(7, 30)), [1.0, 0.2, 0.5], x=xs, **options)
    assert_identical(computed(lazy, scheduler="synchronous"), local)


def test_bad_bounds_fixed_and_x_are_refused_before_any_task(spec):
    y = np.ones((4, 30))
    with pytest.raises(ValueError, match=r"^Initial guess p0\[0\] = 1 is outside its bounds \[2, 5\]"):
        fit_many_dask(spec, y, [1.0, 1.0, 1.0], bounds=([2.0, 0.0, 0.0], 5.0))
    with pytest.raises(ValueError, match=r"^fixed holds every parameter"):
        fit_many_dask(spec, y, [1.0, 1.0, 1.0], fixed=[True] * 3)
    with pytest.raises(ValueError, match=r"^x given per curve must have K = 4 rows"):
        fit_many_dask(spec, y, [1.0, 1.0, 1.0], x=np.ones((3, 30)))


def test_a_builtin_models_names_come_with_the_lazy_results():
    lazy = fit_many_dask("gauss_2d", np.ones((2, 25)), [1.0, 2.0, 2.0, 1.0, 0.0])
    assert lazy.names == ("amplitude", "x0", "y0", "width", "offset")


def test_progress_is_refused_for_dasks_own_bars(spec):
    with pytest.raises(TypeError, match=r"^fit_many_dask: progress is fit_many's, within one task; .*ProgressBar"):
        fit_many_dask(spec, np.ones((4, 30)), [1.0, 1.0, 1.0], progress=True)
