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
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._fitting.bounds import ParameterTransform, check_starts, parse_bounds_per_curve
from .._fitting.models import BuiltinModel, is_builtin, refuse_for_builtin, resolve
from .._native import IER_USER_STOP as _IER_USER_STOP
from .._native import fit_many as native_fit_many
from .._solver.messages import IER_NONFINITE
from .._solver.settings import MinpackOptions, SolverSettings
from .._solver.signatures import MODEL, MODEL_JACOBIAN, native_function, user_data_address
from .chunks import Progress, progress_reporter, run_in_chunks
from .results import ManyFits

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["IER_NONFINITE", "IER_USER_STOP", "ManyFits", "fit_many"]

#: ``ier`` of a fit stopped because the model returned nonzero.
IER_USER_STOP: int = _IER_USER_STOP


def fit_many(
    model: object,
    ydata: ArrayLike,
    p0: ArrayLike,
    *,
    x: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    bounds: Any = (-np.inf, np.inf),
    fixed: ArrayLike | None = None,
    jacobian: object = None,
    user_data: object = None,
    workers: int | None = None,
    progress: Progress | bool | None = None,
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
    x : array_like, shape (m,) or (K, m), optional
        Passed to the model as ``const double *x`` (NULL when omitted):
        shared by all curves, or one row per curve.  A built-in 2-D model
        takes shape ``(2, m)`` or ``(K, 2, m)``, the coordinates of each
        point, and without it reads each curve as a square image.
    sigma : array_like, shape (m,) or (K, m), optional
        Uncertainties: the residuals are ``(model - y) * (1/sigma)``.
    bounds : 2-tuple of array_like, or object with ``lb`` and ``ub``, optional
        Lower and upper bounds on the parameters, as :func:`curve_fit`
        takes them (``-np.inf``/``np.inf`` for none; a scalar for all
        parameters, or one value per parameter), or one row per curve,
        shape ``(K, n)``.  Applied, per curve in C, by :func:`curve_fit`'s
        transform (see its Notes): ``p0`` must lie within the bounds, and
        ``stderr`` is mapped back as ``curve_fit`` maps its covariance.  A
        parameter that ends at a bound gets a standard error near 0 that
        means nothing (``dp/dq`` vanishes there): ``curve_fit`` warns about
        it, ``fit_many`` does not (compare ``params`` with the bounds).
    fixed : array_like of bool, shape (n,), optional
        Parameters held at their ``p0`` values (Gpufit's
        ``parameters_to_fit``, negated): MINPACK fits the others only, the
        model still receives all ``n``.  Their ``stderr`` is 0 (nan when
        the fit failed); the degrees of freedom are ``m`` minus the
        parameters fitted.
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
    progress : callable or True, optional
        ``progress(done, total)``, called in the calling thread after each
        chunk of 256 curves; or True for a ``tqdm`` progress bar (tqdm must
        be installed).  An exception it raises stops the run as Ctrl-C
        does (see Notes).
    **solver_options
        MINPACK's settings, as for :func:`pyminpack.leastsq` and with its
        defaults: ``ftol``, ``xtol``, ``gtol``, ``maxfev`` (0 means
        ``200*(n+1)``, or ``100*(n+1)`` with ``jacobian``, ``n`` the
        parameters fitted), ``epsfcn`` and ``factor``.

    Returns
    -------
    ManyFits
        A named tuple of arrays ``(params, ier, nfev, chisqr, stderr)``,
        with the parameters' names (a built-in model's, else ``p0``,
        ``p1``, ...) for its table: ``to_dict()``, ``to_records()``,
        ``to_pandas()``.  Each curve gives exactly what ``leastsq`` gives
        for it alone (``params``, ``ier``, ``nfev`` bit for bit; ``chisqr``
        is ``sum(infodict['fvec']**2)``); with ``bounds``, what
        ``curve_fit`` gives with them (to rounding).  A failed fit
        (``ier`` not 1 to 4, -1 for a model that asked to stop, -2 for
        the non-finite guard) never stops the others.

    Raises
    ------
    TypeError
        ``model`` or ``jacobian`` is not a compiled function of the signature
        above; or ``jacobian`` or ``user_data`` is given with a built-in model;
        ``progress`` is neither True nor callable.
    ValueError
        Shapes disagree, ``m`` is less than the parameters fitted, ``sigma``
        is not positive and finite, ``p0`` is not finite, or ``workers < 1``;
        ``bounds`` are malformed or nan, a lower bound is not below its
        upper bound, or ``p0`` is outside them; ``fixed`` is not a boolean mask of
        ``n`` or fixes every parameter; ``model`` names no built-in
        model, ``p0`` has not as many parameters as the built-in model takes,
        or ``m`` is not a square for a built-in 2-D model without ``x``.
    ModuleNotFoundError
        ``progress=True`` without tqdm.
    KeyboardInterrupt
        Ctrl-C (or the ``progress`` callback's own exception, unchanged).

    Notes
    -----
    Ctrl-C stops the run at the next chunk boundary: the chunks not started
    are cancelled, the running ones (at most one per worker) finish, no
    thread is left running, and ``KeyboardInterrupt`` reaches the caller;
    the fits done so far are dropped.

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
    >>> fits = fit_many("gauss_2d", spots, [9.0, 2.0, 2.0, 1.0, 2.0], workers=1)
    >>> fits.params.round(6)
    array([[10. ,  2.2,  1.9,  1.1,  3. ],
           [ 8. ,  1.5,  2.5,  0.9,  1. ]])
    >>> list(fits.to_dict())[:5]
    ['amplitude', 'x0', 'y0', 'width', 'offset']

    Bounds, shared or per curve, and a parameter held fixed (here the
    offset, at its ``p0`` of each curve):

    >>> fits = fit_many("gauss_2d", spots, [[9.0, 2.0, 2.0, 1.0, 3.0], [9.0, 2.0, 2.0, 1.0, 1.0]],
    ...                 bounds=([0, 0, 0, 0.5, -np.inf], [20, 4, 4, 2, np.inf]),
    ...                 fixed=[False, False, False, False, True], workers=1)
    >>> fits.params.round(6)
    array([[10. ,  2.2,  1.9,  1.1,  3. ],
           [ 8. ,  1.5,  2.5,  0.9,  1. ]])
    >>> fits.stderr[:, 4]
    array([0., 0.])
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
    start = np.array(p0, dtype=np.float64, order="C", ndmin=1)  # one for every curve, or one per curve
    p = np.tile(start, (K, 1)) if start.ndim == 1 else start
    if p.ndim != 2 or p.shape[0] != K or p.shape[1] == 0:
        raise ValueError(f"p0 must have shape (n,) or (K, n) = ({K}, n); got {np.shape(p0)}.")
    n = p.shape[1]
    if not np.isfinite(p).all():
        raise ValueError("p0 must be finite.")
    fitted = fitted_parameters(fixed, n)
    nfit = n if fitted is None else fitted.size
    if m < nfit:
        raise ValueError(f"Improper input: {nfit} parameters need at least as many points; each curve has m={m}.")
    names = None if builtin is None else builtin.parameter_names(n)
    xdata, x_stride = _abscissae(builtin, x, K, m)
    weight = None
    if sigma is not None:
        s = np.ascontiguousarray(sigma, dtype=np.float64)
        if s.shape not in ((m,), (K, m)):
            raise ValueError(f"sigma must have shape (m,) or (K, m) = ({K}, {m}); got {s.shape}.")
        if not (np.isfinite(s).all() and (s > 0).all()):
            raise ValueError("sigma must be positive and finite.")
        weight = np.ascontiguousarray(1.0 / s)
    lb_ub = parse_bounds_per_curve(bounds, K, n)
    if lb_ub is not None:
        check_starts(lb_ub, start, K)
        transform = ParameterTransform(*(np.broadcast_to(side, (K, n)) for side in lb_ub))
        # MINPACK starts from the internal point of each fitted parameter; fixed ones keep their values.
        p = np.where(np.broadcast_to(_fitted_mask(fitted, n), (K, n)), transform.to_internal(p), p)
    settings = SolverSettings.check(nfit, has_jacobian=jacobian_fn is not None, **solver_options)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}.")
    report, close = progress_reporter(progress, K)

    ier = np.empty(K, dtype=np.int32)
    nfev = np.empty(K, dtype=np.int32)
    chisqr = np.empty(K)
    stderr = np.empty((K, n))

    # The guard always scans: a nan/inf where MINPACK would build on it stops that fit with IER_NONFINITE.
    functions = (model_fn.address, 0 if jacobian_fn is None else jacobian_fn.address, ud_address)
    # The plain case (shared x, no bounds, all fitted) passes no layout: the C loop's path of old, bit for bit.
    layout = None
    if x_stride or lb_ub is not None or fitted is not None:
        lb, ub = (None, None) if lb_ub is None else (np.ascontiguousarray(side) for side in lb_ub)
        layout = (x_stride, lb, ub, fitted)

    def run(start: int, stop: int) -> None:
        native_fit_many(functions, xdata, y, weight, p, (start, stop), (ier, nfev, chisqr, stderr), settings, layout)

    try:
        run_in_chunks(run, K, workers, report)
    finally:
        close()
    # model_fn, jacobian_fn and ud_keep (locals) kept the functions and user_data alive until here.
    del ud_keep
    return ManyFits(p, ier, nfev, chisqr, stderr, names=names)


def _fitted_mask(fitted: NDArray[np.int32] | None, n: int) -> NDArray[np.bool_]:
    """Return which of the ``n`` parameters are fitted (all, for ``fitted`` None)."""
    mask = np.ones(n, dtype=bool)
    if fitted is not None:
        mask[:] = False
        mask[fitted] = True
    return mask


def fitted_parameters(fixed: ArrayLike | None, n: int) -> NDArray[np.int32] | None:
    """Return the indices of the parameters fitted (int32, as the C loop reads them), or None for all."""
    if fixed is None:
        return None
    mask = np.asarray(fixed)
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise ValueError(
            f"fixed must be a boolean mask of the n={n} parameters (True: held at p0); "
            f"got {mask.dtype} of shape {mask.shape}."
        )
    if mask.all():
        raise ValueError("fixed holds every parameter; at least one must be fitted.")
    return None if not mask.any() else np.flatnonzero(~mask).astype(np.int32)


def _abscissae(
    builtin: BuiltinModel | None, x: ArrayLike | None, K: int, m: int
) -> tuple[NDArray[np.float64] | None, int]:
    """Return ``(xdata, x_stride)`` as the C loop reads them: shared (stride 0) or one block per curve."""
    if x is None or not is_per_curve_x(builtin, x):
        if builtin is not None:
            return builtin.abscissae(x, m), 0
        xdata = None if x is None else np.ascontiguousarray(x, dtype=np.float64)
        if xdata is not None and xdata.shape != (m,):
            raise ValueError(f"x must have shape (m,) = ({m},) or (K, m) = ({K}, {m}); got {xdata.shape}.")
        return xdata, 0
    check_x_per_curve(builtin, np.shape(x), K, m)
    values = np.ascontiguousarray(x, dtype=np.float64)
    return values, values[0].size


def is_per_curve_x(builtin: BuiltinModel | None, x: ArrayLike) -> bool:
    """Whether ``x`` has one more dimension than the model's shared ``x``: one row (or block) per curve."""
    return np.ndim(x) > (1 if builtin is None or builtin.dimensions == 1 else 2)


def check_x_per_curve(builtin: BuiltinModel | None, shape: tuple[int, ...], K: int, m: int) -> None:
    """Raise ``ValueError`` unless ``shape`` is that of ``K`` curves' own ``x``."""
    if shape[0] != K:
        raise ValueError(f"x given per curve must have K = {K} rows, one per curve; got shape {shape}.")
    if builtin is not None:
        builtin.abscissae(np.zeros(shape[1:]), m)  # refuses the wrong shape of one curve's x, in the model's words
    elif shape != (K, m):
        raise ValueError(f"x must have shape (m,) = ({m},) or (K, m) = ({K}, {m}); got {shape}.")
