"""C test functions for compiled callbacks, built at test time with the system cc.

Every residual here uses only + - * /, so the arithmetic is the same IEEE
operations, in the same order, as the numpy expressions in the tests
(``-ffp-contract=off`` forbids fused multiply-adds): a compiled solve and a
Python-callback solve then see bit-identical residuals, and MINPACK, the
same code in both, returns bit-identical results.  (A residual using exp
would not do: numpy's vectorised exp and the C library's exp may differ in
the last bit.)
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

SOURCE = r"""
#include <math.h>

/* user_data: x[0..m-1], then y[0..m-1] */
int rational(int m, int n, const double *p, double *f, void *ud) {
    const double *x = (const double *)ud, *y = x + m;
    for (int i = 0; i < m; i++) f[i] = (p[0] * x[i] + p[1]) / (1.0 + p[2] * x[i]) - y[i];
    return 0;
}

int rational_jacobian(int m, int n, const double *p, double *J, int ld, void *ud) {
    const double *x = (const double *)ud;
    for (int i = 0; i < m; i++) {
        double d = 1.0 + p[2] * x[i];
        J[i] = x[i] / d;
        J[i + ld] = 1.0 / d;
        J[i + 2 * ld] = -((p[0] * x[i] + p[1]) * x[i]) / (d * d);
    }
    return 0;
}

/* user_data: double[2] = {calls so far, stop at this call (returns 3)} */
int stopper(int m, int n, const double *p, double *f, void *ud) {
    double *state = (double *)ud;
    state[0] += 1.0;
    for (int i = 0; i < m; i++) f[i] = p[0] - (double)i;
    return state[0] >= state[1] ? 3 : 0;
}

/* nan wherever p[0] < 0; else p[0] - 1 - i */
int nan_below_zero(int m, int n, const double *p, double *f, void *ud) {
    for (int i = 0; i < m; i++) f[i] = p[0] < 0.0 ? NAN : p[0] - 1.0 - (double)i;
    return 0;
}

/* finite residuals, a Jacobian with an inf */
int linear(int m, int n, const double *p, double *f, void *ud) {
    for (int i = 0; i < m; i++) f[i] = p[0] - (double)i;
    return 0;
}
int inf_jacobian(int m, int n, const double *p, double *J, int ld, void *ud) {
    for (int i = 0; i < m; i++) J[i] = i == 1 ? INFINITY : 1.0;
    return 0;
}

/* slow: every evaluation spins for a while (the GIL test) */
int slow(int m, int n, const double *p, double *f, void *ud) {
    volatile double s = 0.0;
    for (long k = 0; k < 20000000; k++) s += 1e-9;
    for (int i = 0; i < m; i++) f[i] = p[0] - (double)i + 0.0 * s;
    return 0;
}

/* slow_model: the line p[0]*x + p[1], each evaluation spinning first (the GIL test) */
int slow_model(int m, int n, const double *p, const double *x, double *out, void *ud) {
    volatile double s = 0.0;
    for (long k = 0; k < 20000000; k++) s += 1e-9;
    for (int i = 0; i < m; i++) out[i] = p[0] * x[i] + p[1] + 0.0 * s;
    return 0;
}

/* fit_many models: the rational model and its Jacobian; stops when p[0] > 1000 */
int rational_model(int m, int n, const double *p, const double *x, double *out, void *ud) {
    if (p[0] > 1000.0) return 1;
    for (int i = 0; i < m; i++) out[i] = (p[0] * x[i] + p[1]) / (1.0 + p[2] * x[i]);
    return 0;
}
int rational_model_jacobian(int m, int n, const double *p, const double *x, double *J, int ld, void *ud) {
    for (int i = 0; i < m; i++) {
        double d = 1.0 + p[2] * x[i];
        J[i] = x[i] / d;
        J[i + ld] = 1.0 / d;
        J[i + 2 * ld] = -((p[0] * x[i] + p[1]) * x[i]) / (d * d);
    }
    return 0;
}
/* a model reading its abscissae from user_data instead of x (which is NULL) */
int rational_model_ud(int m, int n, const double *p, const double *x, double *out, void *ud) {
    return rational_model(m, n, p, (const double *)ud, out, ud);
}

/* fsolve: Rosenbrock's equations 10 (p1 - p0^2) = 0, 1 - p0 = 0 (m = n = 2), and their Jacobian */
int rosenbrock(int m, int n, const double *p, double *f, void *ud) {
    f[0] = 10.0 * (p[1] - p[0] * p[0]);
    f[1] = 1.0 - p[0];
    return 0;
}
int rosenbrock_jacobian(int m, int n, const double *p, double *J, int ld, void *ud) {
    J[0] = -20.0 * p[0];
    J[1] = -1.0;
    J[ld] = 10.0;
    J[ld + 1] = 0.0;
    return 0;
}

/* fsolve: Broyden's tridiagonal equations (3 - 2 p_i) p_i - p_(i-1) - 2 p_(i+1) + 1 = 0 (p_(-1) = p_n = 0) */
int broyden_tridiagonal(int m, int n, const double *p, double *f, void *ud) {
    for (int i = 0; i < n; i++) {
        double left = i > 0 ? p[i - 1] : 0.0, right = i < n - 1 ? p[i + 1] : 0.0;
        f[i] = (3.0 - 2.0 * p[i]) * p[i] - left - 2.0 * right + 1.0;
    }
    return 0;
}
"""

P = ctypes.POINTER(ctypes.c_double)
RESIDUALS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_int, ctypes.c_void_p)
MODEL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_void_p)
MODEL_JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_int, ctypes.c_void_p)

PROTOTYPES = {
    "rational": RESIDUALS,
    "rational_jacobian": JACOBIAN,
    "stopper": RESIDUALS,
    "nan_below_zero": RESIDUALS,
    "linear": RESIDUALS,
    "inf_jacobian": JACOBIAN,
    "slow": RESIDUALS,
    "slow_model": MODEL,
    "rational_model": MODEL,
    "rational_model_jacobian": MODEL_JACOBIAN,
    "rational_model_ud": MODEL,
    "rosenbrock": RESIDUALS,
    "rosenbrock_jacobian": JACOBIAN,
    "broyden_tridiagonal": RESIDUALS,
}


def compiler() -> str | None:
    """The system C compiler, or None."""
    return shutil.which("cc") or shutil.which("gcc")


def build(directory: Path) -> dict[str, object]:
    """Compile SOURCE into ``directory`` and return its functions as CFUNCTYPE objects.

    The CDLL itself is kept alive as ``result['lib']``.
    """
    source = directory / "native_functions.c"
    library = directory / "native_functions.so"
    source.write_text(SOURCE)
    subprocess.run(
        [compiler(), "-O2", "-ffp-contract=off", "-shared", "-fPIC", str(source), "-o", str(library), "-lm"],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    _LIBRARIES.append(str(library))
    functions: dict[str, object] = {"lib": lib}
    for name, prototype in PROTOTYPES.items():
        functions[name] = prototype((name, lib))
    return functions


#: The libraries build() made in this process, the last one last.
_LIBRARIES: list[str] = []


def rational_model_ud_recipe() -> object:
    """A fit_many_dask model recipe: ``rational_model_ud`` of the library build() made last in this process."""
    return MODEL(("rational_model_ud", ctypes.CDLL(_LIBRARIES[-1])))


def rational_data(m: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """x and y for the rational model (a*x + b)/(1 + c*x), with some wiggle.

    Only IEEE arithmetic, no transcendental function: numpy's SIMD ``cos``
    may round differently on another CPU, or with another alignment, and the
    libminpack oracle's recordings are keyed by these bits.
    """
    x = np.linspace(0.0, 4.0, m)
    wiggle = 0.01 * np.where(np.arange(m) % 2 == 0, 1.0, -1.0)
    y = (2.0 * x + 1.0) / (1.0 + 0.5 * x) + wiggle
    return x, y


def rational_curves(K: int, m: int = 30, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """x, shape ``(m,)``, and K noisy curves of the rational model, shape ``(K, m)`` (fit_many's tests)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 4.0, m)
    a = rng.uniform(1, 3, K)[:, None]
    b = rng.uniform(0, 2, K)[:, None]
    c = rng.uniform(0.1, 1, K)[:, None]
    y = (a * x + b) / (1 + c * x) + 0.01 * rng.standard_normal((K, m))
    return x, y


def rational_residuals(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The Python twin of the C ``rational``: the same operations in the same order."""
    return (p[0] * x + p[1]) / (1.0 + p[2] * x) - y


def rational_jacobian(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The Python twin of the C ``rational_jacobian`` (rows: residuals)."""
    d = 1.0 + p[2] * x
    return np.column_stack([x / d, 1.0 / d, -((p[0] * x + p[1]) * x) / (d * d)])


def capsule(function: object, name: str) -> object:
    """A PyCapsule holding ``function``'s address, named ``name`` (kept alive on the capsule's owner)."""
    new = ctypes.pythonapi.PyCapsule_New
    new.restype = ctypes.py_object
    new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    encoded = name.encode()
    _NAMES.append(encoded)  # PyCapsule_New keeps the pointer, not a copy
    return new(ctypes.cast(function, ctypes.c_void_p).value, encoded, None)


_NAMES: list[bytes] = []


def numba_rational_model() -> object:
    """``rational_model`` as a numba ``@cfunc`` with fit_many's model signature (skips without numba)."""
    numba = pytest.importorskip("numba")
    from numba import carray, types

    signature = types.intc(
        types.intc,
        types.intc,
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.voidptr,
    )

    @numba.cfunc(signature)
    def model(m, n, p_, x_, out_, user_data):
        p, x, out = carray(p_, (n,)), carray(x_, (m,)), carray(out_, (m,))
        for i in range(m):
            out[i] = (p[0] * x[i] + p[1]) / (1.0 + p[2] * x[i])
        return 0

    return model


def ticks_while_running(solve: Callable[[], object]) -> tuple[int, float]:
    """Run ``solve()`` in a thread and spin here until it ends: (loop iterations here, seconds).

    A solve that holds the GIL freezes this loop (a handful of ticks); one
    that releases it lets the loop run freely.
    """
    started = threading.Event()

    def run() -> None:
        started.set()
        solve()

    thread = threading.Thread(target=run)
    ticks = 0
    thread.start()
    started.wait()
    begin = time.perf_counter()
    while thread.is_alive():
        ticks += 1
    elapsed = time.perf_counter() - begin
    thread.join()
    return ticks, elapsed
