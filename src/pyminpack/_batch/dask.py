"""``fit_many_dask``: :func:`fit_many` over a dask array of curves, on a Dask cluster.

The curves are a dask array chunked along ``K``; every chunk is fitted by
:func:`pyminpack.fit_many` on whichever worker holds it, and the results
come back as dask arrays chunked the same way.  Each curve's result is
exactly :func:`fit_many`'s (bit for bit): the fits of different curves are
independent, whatever the chunking.

A compiled function cannot travel to another process: a ctypes function
pointer or a numba ``@cfunc`` is an address of machine code in the memory
of the process that loaded or compiled it (ctypes refuses to pickle it,
"ctypes objects containing pointers cannot be pickled"; a numba ``CFunc``
holds its JIT compiler's state, which does not pickle either).  So the
model is sent as a *recipe* that rebuilds it on each worker: a
:class:`SharedLibraryModel` (a shared library's path and symbol names,
loaded there with ctypes), or any picklable zero-argument callable, e.g. a
module-level function importable on the workers, returning the compiled
model or a ``(model, jacobian)`` pair.  A worker process builds each
recipe once and keeps it.

dask is imported only when :func:`fit_many_dask` is called: install it with
``pip install "pyminpack[dask]"``.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .._fitting.bounds import check_starts, parse_bounds_per_curve
from .._fitting.models import is_builtin, refuse_for_builtin, resolve
from .._solver.settings import MinpackOptions, SolverSettings
from .._solver.signatures import MODEL, MODEL_JACOBIAN
from .fit_many import ManyFits, check_x_per_curve, fit_many, fitted_parameters, is_per_curve_x

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["SharedLibraryModel", "fit_many_dask"]


@dataclass(frozen=True)
class SharedLibraryModel:
    """A compiled model named by a shared library and its symbols: picklable.

    Calling it (with no arguments) loads the library with ``ctypes.CDLL``
    and returns ``(model, jacobian)`` as ctypes function pointers of
    :func:`pyminpack.fit_many`'s signatures (``jacobian`` None when not
    given).  Only the path and the names are pickled, so it can be sent to
    the workers of a Dask cluster, which load the library themselves.

    Parameters
    ----------
    path : str
        The shared library (``.so``, ``.dylib``, ``.dll``), as the workers
        see it: the same file must exist at that path on every machine.
    model : str
        The symbol of ``int model(int m, int n, const double *p,
        const double *x, double *out, void *user_data)``.
    jacobian : str, optional
        The symbol of ``int jacobian(int m, int n, const double *p,
        const double *x, double *fjac, int ldfjac, void *user_data)``.

    Examples
    --------
    >>> import pickle
    >>> from pyminpack import SharedLibraryModel
    >>> spec = SharedLibraryModel("/opt/models/librational.so", "rational_model", "rational_jacobian")
    >>> pickle.loads(pickle.dumps(spec)) == spec
    True
    """

    path: str
    model: str
    jacobian: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", str(self.path))

    def __call__(self) -> tuple[object, object]:
        """Load the library and return ``(model, jacobian)`` as ctypes functions.

        Returns
        -------
        tuple
            The model and the Jacobian (None without ``jacobian``) as
            ctypes function pointers, which keep the library loaded.

        Examples
        --------
        >>> from pyminpack import SharedLibraryModel
        >>> try:
        ...     SharedLibraryModel("/nonexistent/libmodel.so", "model")()
        ... except OSError:
        ...     print("no such library")
        no such library
        """
        library = ctypes.CDLL(self.path)
        model = MODEL.prototype()((self.model, library))
        jacobian = None if self.jacobian is None else MODEL_JACOBIAN.prototype()((self.jacobian, library))
        return model, jacobian


#: The compiled functions built on this process, by recipe (recipes of
#: module-level functions and SharedLibraryModel are hashable; others are
#: rebuilt for every chunk).
_BUILT: dict[object, tuple[object, object]] = {}
_BUILT_LOCK = threading.Lock()


def _build(recipe: Callable[[], object]) -> tuple[object, object]:
    """``(model, jacobian)`` from ``recipe()``, cached per process when hashable."""
    try:
        hash(recipe)
    except TypeError:
        return _split(recipe())
    with _BUILT_LOCK:
        if recipe not in _BUILT:
            _BUILT[recipe] = _split(recipe())
        return _BUILT[recipe]


def _split(built: object) -> tuple[object, object]:
    if isinstance(built, tuple):
        if len(built) != 2:
            raise TypeError(f"the model recipe returned a tuple of {len(built)}; expected model or (model, jacobian).")
        return built[0], built[1]
    return built, None


def _fit_block(
    y: np.ndarray,
    p0: np.ndarray,
    sigma: np.ndarray | None,
    x_rows: np.ndarray | None,
    lb_rows: np.ndarray | None,
    ub_rows: np.ndarray | None,
    *,
    recipe: Callable[[], object],
    n: int,
    x_shape: tuple[int, ...] | None,
    **kwargs: Any,
) -> np.ndarray:
    """Fit one chunk of curves; the five results packed side by side as float64 columns.

    ``x_rows``, ``lb_rows``, ``ub_rows``: this chunk's rows of a per-curve
    ``x`` (flattened; ``x_shape`` is one curve's) and bounds, or None.
    """
    model, jacobian = (recipe, None) if is_builtin(recipe) else _build(recipe)
    if x_rows is not None and x_shape is not None:
        kwargs["x"] = x_rows.reshape(-1, *x_shape)
    if lb_rows is not None:
        kwargs["bounds"] = (lb_rows, ub_rows)
    fits = fit_many(model, y, p0, sigma=sigma, jacobian=jacobian, **kwargs)
    out = np.empty((y.shape[0], 2 * n + 3))
    out[:, :n] = fits.params
    out[:, n] = fits.ier  # int32: exact in float64
    out[:, n + 1] = fits.nfev
    out[:, n + 2] = fits.chisqr
    out[:, n + 3 :] = fits.stderr
    return out


def _check_picklable(recipe: object) -> None:
    from .._solver.compiled import is_compiled

    if is_compiled(recipe):
        raise TypeError(
            "fit_many_dask: a compiled function (ctypes function pointer, numba cfunc or PyCapsule) is an "
            "address in this process's memory and cannot be sent to other processes; pass a recipe that "
            "rebuilds it on each worker: pyminpack.SharedLibraryModel(path, symbol), or an importable "
            "zero-argument function returning the compiled model (or a (model, jacobian) pair)."
        )
    if not callable(recipe):
        raise TypeError(f"fit_many_dask: model must be a zero-argument callable; got {type(recipe).__name__}.")
    import cloudpickle  # type: ignore[import-untyped, unused-ignore]

    try:
        cloudpickle.dumps(recipe)
    except Exception as error:
        raise TypeError(
            f"fit_many_dask: the model recipe {recipe!r} cannot be pickled ({type(error).__name__}: {error}), "
            "so it cannot be sent to the workers; use pyminpack.SharedLibraryModel(path, symbol) or a "
            "module-level function, importable on the workers, that builds the compiled model there."
        ) from error


def fit_many_dask(
    model: Callable[[], object],
    ydata: ArrayLike,
    p0: ArrayLike,
    *,
    x: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    bounds: Any = (-np.inf, np.inf),
    fixed: ArrayLike | None = None,
    user_data: np.ndarray | None = None,
    workers: int = 1,
    **solver_options: Unpack[MinpackOptions],
) -> ManyFits:
    """Fit one compiled model to each row of a dask array, chunk by chunk on a Dask cluster.

    Every chunk of rows of ``ydata`` is fitted by :func:`pyminpack.fit_many`
    in one task, on whichever worker (or, without a cluster, thread) dask
    gives it; nothing is computed until the results are.

    Parameters
    ----------
    model : str, BuiltinModel, SharedLibraryModel or zero-argument callable
        The name of a built-in model (:func:`pyminpack.builtin_models`:
        compiled into pyminpack, so every worker has it), or a picklable
        recipe that builds the compiled model on each worker:
        called there with no arguments, it returns the model (a numba
        cfunc, ctypes function pointer or PyCapsule of ``fit_many``'s
        signature) or a ``(model, jacobian)`` pair.  A
        :class:`SharedLibraryModel`, or a module-level function importable
        on the workers.  Compiled functions themselves cannot be pickled
        (see the module's documentation).  A worker builds it once.
    ydata : dask array or array_like, shape (K, m)
        The curves, one per row, chunked along ``K`` (the columns are
        rechunked into one chunk: each task needs whole curves).
    p0 : array_like or dask array, shape (n,) or (K, n)
        The starting point, shared or one per curve (rechunked alongside
        ``ydata``).
    x : array_like or dask array, shape (m,) or (K, m), optional
        Passed to the model as ``const double *x`` (NULL when omitted):
        shared (sent with every task) or one row per curve (rechunked
        alongside ``ydata``).  A built-in 2-D model's is ``(2, m)`` or
        ``(K, 2, m)``.
    sigma : array_like or dask array, shape (m,) or (K, m), optional
        Uncertainties, shared or one row per curve.
    bounds : 2-tuple of array_like, optional
        Bounds on the parameters, shared or one row per curve, as for
        :func:`pyminpack.fit_many` (checked here, before any task is made).
    fixed : array_like of bool, shape (n,), optional
        Parameters held at their ``p0`` values, as for
        :func:`pyminpack.fit_many`.
    user_data : ndarray, optional
        The model's ``void *user_data``: a numpy array, sent to the workers
        by value (an address means nothing in another process).
    workers : int, optional
        Threads per task for :func:`fit_many` (default 1: dask already runs
        the chunks in parallel).
    **solver_options
        MINPACK's settings, as for :func:`pyminpack.fit_many` (``ftol``,
        ``xtol``, ``gtol``, ``maxfev``, ``epsfcn``, ``factor``); checked
        here, before any task is made.

    Returns
    -------
    ManyFits
        ``(params, ier, nfev, chisqr, stderr)`` as dask arrays of shapes
        ``(K, n)``, ``(K,)``, ``(K,)``, ``(K,)``, ``(K, n)``, chunked along
        ``K`` as ``ydata``.  They share the fitting tasks: compute them
        together, ``ManyFits(*dask.compute(*fits))``, or the fits run once
        per array computed.  Each curve's values equal ``fit_many``'s.

    Raises
    ------
    TypeError
        ``model`` is a compiled function or cannot be pickled, or
        ``user_data`` is not a numpy array (or is given with a built-in
        model); ``progress`` is given (use dask's progress bars).
    ValueError
        ``ydata``, ``p0``, ``x``, ``sigma`` or ``bounds`` has the wrong
        shape; the bounds or ``fixed`` are refused, or ``p0`` (unless a
        dask array, checked by the workers) is outside the bounds; the sizes do not fit a built-in model (see
        :func:`pyminpack.fit_many`).

    Notes
    -----
    On a cluster, every worker needs pyminpack (and numba, or the shared
    library at the same path, as the recipe requires).  Errors of the
    compiled model (a wrong signature, a missing symbol) are raised when
    the results are computed, by the worker.

    Examples
    --------
    Without a cluster, dask's synchronous scheduler runs the tasks here (a
    ctypes callback made from a Python function, built by the recipe: fine
    for a demonstration, slow in practice).

    >>> import ctypes
    >>> import dask
    >>> import dask.array as da
    >>> import numpy as np
    >>> from pyminpack import ManyFits, fit_many_dask
    >>> def line_model():
    ...     P = ctypes.POINTER(ctypes.c_double)
    ...     MODEL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_void_p)
    ...     def line(m, n, p, x, out, user_data):
    ...         for i in range(m):
    ...             out[i] = p[0] * x[i] + p[1]
    ...         return 0
    ...     return MODEL(line)
    >>> x = np.arange(4.0)
    >>> y = da.from_array(np.array([2 * x + 1, 3 - x, [0, 1, 0, 1]]), chunks=(2, 4))
    >>> fits = fit_many_dask(line_model, y, [0.0, 0.0], x=x)
    >>> fits.params
    dask.array<getitem, shape=(3, 2), dtype=float64, chunksize=(2, 2), chunktype=numpy.ndarray>
    >>> fits = ManyFits(*dask.compute(*fits, scheduler="synchronous"))
    >>> fits.params.round(12)
    array([[ 2. ,  1. ],
           [-1. ,  3. ],
           [ 0.2,  0.2]])
    >>> fits.ier
    array([2, 2, 1], dtype=int32)

    On a cluster, connect a ``dask.distributed.Client`` first; ``compute``
    then runs the tasks on its workers.
    """
    import dask.array as da
    from dask.base import tokenize

    if "progress" in solver_options:
        raise TypeError(
            "fit_many_dask: progress is fit_many's, within one task; follow the tasks with dask's own "
            "progress bars (dask.diagnostics.ProgressBar, or dask.distributed.progress on a cluster)."
        )

    builtin = resolve(model) if is_builtin(model) else None
    if builtin is None:
        _check_picklable(model)
    else:
        refuse_for_builtin(builtin, None, user_data, "jacobian")
    if user_data is not None and not isinstance(user_data, np.ndarray):
        raise TypeError(
            "fit_many_dask: user_data must be None or a numpy array (sent to the workers by value; "
            f"an address means nothing in another process); got {type(user_data).__name__}."
        )
    y = da.asarray(ydata)
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError(f"ydata must be a (K, m) array of curves; got shape {y.shape}.")
    y = y.astype(np.float64).rechunk({1: -1})
    K, m = y.shape
    rows = y.chunks[0]

    def per_curve(name: str, value: Any, width: int) -> tuple[Any, str | None, Any]:
        """Return (argument, blockwise index, constant): per-curve values as dask arrays aligned with ``y``."""
        if isinstance(value, da.Array) and value.ndim < 2:
            value = np.asarray(value)  # a shared value: small, computed here
        if isinstance(value, da.Array) or np.ndim(value) == 2:
            array = da.asarray(value).astype(np.float64)
            if array.shape != (K, width):
                raise ValueError(
                    f"{name} must have shape ({width},) or (K, {width}) = ({K}, {width}); got {array.shape}."
                )
            return array.rechunk((rows, -1)), "ij", None
        constant = np.asarray(value, dtype=np.float64)
        return constant, None, constant

    p = p0 if isinstance(p0, da.Array) else np.asarray(p0, dtype=np.float64)
    n = int(p.shape[-1]) if p.ndim >= 1 else 1
    names = None
    if builtin is not None:  # refused here, before any task runs
        names = builtin.parameter_names(n)
    fitted = fitted_parameters(fixed, n)
    p_arg, p_index, _ = per_curve("p0", p, n)
    if sigma is None:
        s_arg: Any = None
        s_index: str | None = None
    else:
        s_arg, s_index, _ = per_curve("sigma", sigma, m)
    x_arg, x_index, x_shape = None, None, None
    if x is not None and is_per_curve_x(builtin, x):
        x_array = da.asarray(x)
        check_x_per_curve(builtin, x_array.shape, K, m)
        x_shape = tuple(int(size) for size in x_array.shape[1:])
        x_arg, x_index, _ = per_curve("x", x_array.reshape(K, -1), int(np.prod(x_shape)))
    elif builtin is not None:  # refused here, before any task runs
        builtin.abscissae(x, m)
    lb_ub = parse_bounds_per_curve(bounds, K, n)
    lb_arg = ub_arg = b_index = None
    if lb_ub is not None and lb_ub[0].ndim == 2:
        (lb_arg, b_index, _), (ub_arg, _, _) = (per_curve("bounds", side, n) for side in lb_ub)
    if lb_ub is not None and not isinstance(p, da.Array):
        check_starts(lb_ub, np.atleast_1d(p), K)
    # Checked here, so that a bad setting fails now rather than on every worker;
    # whether the model has a Jacobian (the default maxfev) is known only there.
    SolverSettings.check(n if fitted is None else fitted.size, has_jacobian=False, **solver_options)
    options = {
        "x": None if x is None or x_arg is not None else np.asarray(x, dtype=np.float64),
        "fixed": None if fixed is None else np.asarray(fixed),
        "user_data": user_data,
        "workers": workers,
        **({} if lb_ub is None or lb_arg is not None else {"bounds": lb_ub}),
        **solver_options,
    }
    token = tokenize(model, y, p_arg, s_arg, x_arg, lb_arg, ub_arg, options)
    packed = da.blockwise(
        _fit_block,
        "ic",
        y,
        "ij",
        p_arg,
        None if p_index is None else "ik",
        s_arg,
        None if s_index is None else "ij",
        x_arg,
        None if x_index is None else "il",
        lb_arg,
        None if b_index is None else "ik",
        ub_arg,
        None if b_index is None else "ik",
        new_axes={"c": 2 * n + 3},
        dtype=np.float64,
        concatenate=True,
        name=f"fit_many-{token}",
        meta=np.empty((0, 0)),
        recipe=model if builtin is None else builtin,
        n=n,
        x_shape=x_shape,
        **options,
    )
    return ManyFits(
        packed[:, :n],
        packed[:, n].astype(np.int32),
        packed[:, n + 1].astype(np.int32),
        packed[:, n + 2],
        packed[:, n + 3 :],
        names=names,
    )
