"""``fit_many``: one compiled model fitted to many curves, on several threads.

The model is a compiled function (a numba ``@cfunc``, a ctypes function
pointer or a PyCapsule named by its signature, see :mod:`._compiled`)::

    int model(int m, int n, const double *p, const double *x, double *out, void *user_data)

writing the ``m`` model values for the ``n`` parameters ``p`` at the
abscissae ``x`` (the ``x`` passed to :func:`fit_many`, or NULL) into
``out``; and, optionally, its derivatives::

    int model_jacobian(int m, int n, const double *p, const double *x,
                       double *fjac, int ldfjac, void *user_data)

``d model[i] / d p[j]`` into ``fjac[i + j*ldfjac]`` (column-major).  Both
return 0 to continue, anything else to stop that curve's fit.  Or the model
is built in (:mod:`._models`), named as ``"gauss_2d"``: a pair of such
functions compiled with the package.

For curve ``k`` MINPACK minimises the sum of squares of the residuals
``(model[i] - ydata[k, i]) * w[i]`` with ``w = 1/sigma`` (``curve_fit``'s
residuals; without ``sigma`` simply ``model[i] - ydata[k, i]``), formed in
C.  Each worker thread runs MINPACK over its share of the curves with the
GIL released, so the fits make no Python call at all.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._fitting.models import is_builtin, refuse_for_builtin, resolve
from .._native import IER_USER_STOP as _IER_USER_STOP
from .._native import fit_many as native_fit_many
from .._solver.messages import IER_NONFINITE
from .._solver.settings import MinpackOptions, SolverSettings
from .._solver.signatures import MODEL, MODEL_JACOBIAN, native_function, user_data_address

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["IER_NONFINITE", "IER_USER_STOP", "ManyFits", "fit_many"]

#: ``ier`` of a fit stopped because the model returned nonzero.
IER_USER_STOP: int = _IER_USER_STOP

#: Curves per call of the C loop when several workers share them: small
#: enough to balance the load, large enough that the Python work per chunk
#: is negligible beside the fits.
_CHUNK = 256


class ManyFits(NamedTuple):
    """The results of :func:`fit_many`, one row per curve.

    Attributes
    ----------
    params : ndarray, shape (K, n)
        The solutions (MINPACK's last ``x`` for a failed fit).
    ier : ndarray of int32, shape (K,)
        MINPACK's INFO (1 to 4 success, 0 improper input, 5 to 8 failure),
        or -1 (the model asked to stop) or -2 (the non-finite guard).
    nfev : ndarray of int32, shape (K,)
        Model evaluations (MINPACK's count).
    chisqr : ndarray, shape (K,)
        The (weighted) sum of squared residuals at ``params``.
    stderr : ndarray, shape (K, n)
        ``sqrt(diag(cov_x) * chisqr / (m - n))``; nan where the fit failed,
        ``cov_x`` is singular, or ``m == n``.

    Examples
    --------
    See :func:`fit_many`.

    >>> from pyminpack import ManyFits
    >>> ManyFits._fields
    ('params', 'ier', 'nfev', 'chisqr', 'stderr')
    """

    params: NDArray[np.float64]
    ier: NDArray[np.int32]
    nfev: NDArray[np.int32]
    chisqr: NDArray[np.float64]
    stderr: NDArray[np.float64]


def fit_many(
    model: object,
    ydata: ArrayLike,
    p0: ArrayLike,
    *,
    x: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    jacobian: object = None,
    user_data: object = None,
    workers: int | None = None,
    **solver_options: Unpack[MinpackOptions],
) -> ManyFits:
    """Fit one compiled model to each of ``K`` curves, on ``workers`` threads.

    Parameters
    ----------
    model : str, BuiltinModel, numba cfunc, ctypes function pointer or PyCapsule
        The name of a built-in model (see :func:`pyminpack.builtin_models`;
        its analytic Jacobian comes with it), or
        ``int model(int m, int n, const double *p, const double *x, double *out, void *user_data)``:
        the ``m`` model values for parameters ``p`` into ``out``.
    ydata : array_like, shape (K, m)
        The curves, one per row (a 1-D array is one curve).
    p0 : array_like, shape (n,) or (K, n)
        The starting point, shared or one per curve.
    x : array_like, shape (m,), optional
        Passed to the model as ``const double *x`` (NULL when omitted).  A
        built-in 2-D model takes shape ``(2, m)``, the coordinates of each
        point, and without it reads each curve as a square image.
    sigma : array_like, shape (m,) or (K, m), optional
        Uncertainties: the residuals are ``(model - y) * (1/sigma)``.
    jacobian : compiled function, optional
        ``int model_jacobian(int m, int n, const double *p, const double *x,
        double *fjac, int ldfjac, void *user_data)``:
        ``d model[i]/d p[j]`` into ``fjac[i + j*ldfjac]``; MINPACK's ``lmder``
        then runs instead of ``lmdif`` (forward differences).
    user_data : optional
        The model's ``void *user_data``: None, a numpy array (its data
        pointer, kept alive during the call), a ctypes pointer, ``c_void_p``,
        ctypes array or structure, or an int address.
    workers : int, optional
        Threads to use (default ``os.cpu_count()``); the results do not
        depend on it.
    **solver_options
        MINPACK's settings, as for :func:`pyminpack.leastsq` and with its
        defaults: ``ftol``, ``xtol``, ``gtol``, ``maxfev`` (0 means
        ``200*(n+1)``, or ``100*(n+1)`` with ``jacobian``), ``epsfcn`` and
        ``factor``.

    Returns
    -------
    ManyFits
        A named tuple of arrays ``(params, ier, nfev, chisqr, stderr)``.
        Each curve gives exactly what ``leastsq`` gives for it alone
        (``params``, ``ier``, ``nfev`` bit for bit; ``chisqr`` is
        ``sum(infodict['fvec']**2)``).  A failed fit (``ier`` not 1 to 4,
        -1 for a model that asked to stop, -2 for the non-finite guard)
        never stops the others.

    Raises
    ------
    TypeError
        ``model`` or ``jacobian`` is not a compiled function of the signature
        above; or ``jacobian`` or ``user_data`` is given with a built-in model.
    ValueError
        Shapes disagree, ``m < n``, ``sigma`` is not positive and finite,
        ``p0`` is not finite, or ``workers < 1``; ``model`` names no built-in
        model, ``p0`` has not as many parameters as the built-in model takes,
        or ``m`` is not a square for a built-in 2-D model without ``x``.

    Notes
    -----
    The compiled functions run without the GIL, possibly in several threads
    at once: they must not touch Python objects, and must not write to
    shared ``user_data``.  (A ctypes callback made from a Python function,
    as below, takes the GIL itself: fine for a demonstration, slow in
    practice; use numba's ``@cfunc`` or C.)

    Examples
    --------
    >>> import ctypes
    >>> import numpy as np
    >>> from pyminpack import fit_many
    >>> P = ctypes.POINTER(ctypes.c_double)
    >>> MODEL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_void_p)
    >>> @MODEL
    ... def line(m, n, p, x, out, user_data):
    ...     for i in range(m):
    ...         out[i] = p[0] * x[i] + p[1]
    ...     return 0
    >>> x = np.arange(4.0)
    >>> fits = fit_many(line, [2 * x + 1, 3 - x, [0, 1, 0, 1]], [0.0, 0.0], x=x, workers=1)
    >>> fits.params.round(12)
    array([[ 2. ,  1. ],
           [-1. ,  3. ],
           [ 0.2,  0.2]])
    >>> fits.ier
    array([2, 2, 1], dtype=int32)

    A built-in model, by name: two 5 by 5 spots, flattened row by row.

    >>> from pyminpack import builtin_models
    >>> spot = builtin_models()["gauss_2d"]
    >>> spots = [spot.values([10.0, 2.2, 1.9, 1.1, 3.0], m=25), spot.values([8.0, 1.5, 2.5, 0.9, 1.0], m=25)]
    >>> fit_many("gauss_2d", spots, [9.0, 2.0, 2.0, 1.0, 2.0], workers=1).params.round(6)
    array([[10. ,  2.2,  1.9,  1.1,  3. ],
           [ 8. ,  1.5,  2.5,  0.9,  1. ]])
    """
    builtin = None
    if is_builtin(model):
        builtin = resolve(model)
        refuse_for_builtin(builtin, jacobian, user_data, "jacobian")
        model, jacobian = builtin.functions
    model_fn = native_function(model, MODEL, "model")
    jacobian_fn = None if jacobian is None else native_function(jacobian, MODEL_JACOBIAN, "jacobian")
    ud_address, ud_keep = user_data_address(user_data)
    y = np.ascontiguousarray(ydata, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError(f"ydata must be a (K, m) array of curves; got shape {y.shape}.")
    K, m = y.shape
    p = np.array(p0, dtype=np.float64, order="C", ndmin=1)
    if p.ndim == 1:
        p = np.tile(p, (K, 1))
    if p.ndim != 2 or p.shape[0] != K or p.shape[1] == 0:
        raise ValueError(f"p0 must have shape (n,) or (K, n) = ({K}, n); got {np.shape(p0)}.")
    n = p.shape[1]
    if not np.isfinite(p).all():
        raise ValueError("p0 must be finite.")
    if m < n:
        raise ValueError(f"Improper input: {n} parameters need at least as many points; each curve has m={m}.")
    if builtin is not None:
        builtin.parameter_names(n)
        xdata = builtin.abscissae(x, m)
    else:
        xdata = None if x is None else np.ascontiguousarray(x, dtype=np.float64)
        if xdata is not None and xdata.shape != (m,):
            raise ValueError(f"x must have shape (m,) = ({m},); got {xdata.shape}.")
    weight = None
    if sigma is not None:
        s = np.ascontiguousarray(sigma, dtype=np.float64)
        if s.shape not in ((m,), (K, m)):
            raise ValueError(f"sigma must have shape (m,) or (K, m) = ({K}, {m}); got {s.shape}.")
        if not (np.isfinite(s).all() and (s > 0).all()):
            raise ValueError("sigma must be positive and finite.")
        weight = np.ascontiguousarray(1.0 / s)
    settings = SolverSettings.check(n, has_jacobian=jacobian_fn is not None, **solver_options)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}.")

    ier = np.empty(K, dtype=np.int32)
    nfev = np.empty(K, dtype=np.int32)
    chisqr = np.empty(K)
    stderr = np.empty((K, n))

    # The guard always scans: a nan/inf where MINPACK would build on it stops that fit with IER_NONFINITE.
    functions = (model_fn.address, 0 if jacobian_fn is None else jacobian_fn.address, ud_address)

    def run(start: int, stop: int) -> None:
        native_fit_many(functions, xdata, y, weight, p, (start, stop), (ier, nfev, chisqr, stderr), settings)

    if workers == 1 or K <= _CHUNK:
        run(0, K)
    else:
        bounds = range(0, K, _CHUNK)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(run, start, min(start + _CHUNK, K)) for start in bounds]:
                future.result()
    # model_fn, jacobian_fn and ud_keep (locals) kept the functions and user_data alive until here.
    del ud_keep
    return ManyFits(p, ier, nfev, chisqr, stderr)
