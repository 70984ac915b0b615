"""Compiled residual functions: MINPACK without a single Python call.

A compiled function is a numba ``@cfunc`` object, a ctypes function pointer
(a ``CFUNCTYPE`` instance, or a function of a ``ctypes.CDLL`` whose
``argtypes`` and ``restype`` are set), or a ``PyCapsule`` whose name is its
C signature (the convention of ``scipy.LowLevelCallable``; SciPy is not
needed).  The signatures, with the user's data pointer last::

    int residuals(int m, int n, const double *x, double *fvec, void *user_data)
    int jacobian(int m, int n, const double *x, double *fjac, int ldfjac, void *user_data)

``fjac`` is column-major: ``d fvec[i] / d x[j]`` goes to ``fjac[i + j*ldfjac]``.
Both return 0 to continue; any other value stops the solve (MINPACK's
user-termination request), which :func:`pyminpack.leastsq` reports by
raising :class:`UserTermination`.

A compiled function cannot say how many residuals it computes, so it is
passed to ``leastsq`` wrapped in :class:`Compiled`, which holds ``m``.  The
solve then runs in ``_native.c`` with the GIL released throughout.
"""

from __future__ import annotations

import ctypes
import functools
import re
import types
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _native  # type: ignore[attr-defined]
from ._messages import IER_NONFINITE
from ._result import leastsq_result
from ._settings import SolverSettings, check_problem_size
from ._validation import raise_nonfinite, refuse_nonfinite_convergence

__all__ = ["Compiled", "UserTermination", "is_compiled", "native_function", "user_data_address"]


class Signature(NamedTuple):
    """A C signature: the return type and the argument types, normalised."""

    restype: str
    argtypes: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.restype} ({', '.join(self.argtypes)})"

    def prototype(self) -> Any:
        """Return the ctypes function type (``CFUNCTYPE``) of this signature."""
        return _prototype(self)


_CTYPES: dict[str, Any] = {"int": ctypes.c_int, "double *": ctypes.POINTER(ctypes.c_double), "void *": ctypes.c_void_p}


@functools.cache
def _prototype(signature: Signature) -> Any:
    return ctypes.CFUNCTYPE(_CTYPES[signature.restype], *(_CTYPES[argtype] for argtype in signature.argtypes))


RESIDUALS = Signature("int", ("int", "int", "double *", "double *", "void *"))
JACOBIAN = Signature("int", ("int", "int", "double *", "double *", "int", "void *"))
MODEL = Signature("int", ("int", "int", "double *", "double *", "double *", "void *"))
MODEL_JACOBIAN = Signature("int", ("int", "int", "double *", "double *", "double *", "int", "void *"))

#: How each signature is documented (with its const qualifiers).
DOCUMENTED = {
    RESIDUALS: "int (int m, int n, const double *x, double *fvec, void *user_data)",
    JACOBIAN: "int (int m, int n, const double *x, double *fjac, int ldfjac, void *user_data)",
    MODEL: "int (int m, int n, const double *p, const double *x, double *out, void *user_data)",
    MODEL_JACOBIAN: "int (int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)",
}

_CAPSULE = _native.CapsuleType
_FLOAT64 = np.dtype(np.float64)
_CFUNCPTR = ctypes._CFuncPtr  # type: ignore[attr-defined]
_NOT_COMPILED = frozenset(
    {types.FunctionType, types.MethodType, types.BuiltinFunctionType, type(None), functools.partial, np.ufunc}
)


class UserTermination(RuntimeError):
    """A compiled function returned nonzero, asking MINPACK to stop.

    Attributes
    ----------
    status : int
        The value it returned.
    function : str
        ``'func'`` or ``'Dfun'``: which function asked.
    x : ndarray
        MINPACK's ``x`` when it returned (the last accepted iterate, or, when
        the stop came while forming a forward-difference Jacobian, that
        iterate with one coordinate displaced by the difference step).
    nfev, njev : int
        MINPACK's evaluation counts.

    Examples
    --------
    >>> import ctypes
    >>> from pyminpack import Compiled, UserTermination, leastsq
    >>> P = ctypes.POINTER(ctypes.c_double)
    >>> @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
    ... def stop_at_once(m, n, x, fvec, user_data):
    ...     return 7
    >>> try:
    ...     leastsq(Compiled(stop_at_once, 3), [1.0])
    ... except UserTermination as stop:
    ...     print(stop.status, stop.function, stop.nfev)
    7 func 1
    """

    def __init__(self, status: int, function: str, x: NDArray[np.float64], nfev: int, njev: int) -> None:
        call = f"evaluation {nfev}" if function == "func" else f"Jacobian evaluation {njev}"
        super().__init__(
            f"leastsq: the compiled '{function}' returned {status} at {call}, asking MINPACK to stop; "
            f"x = {np.array2string(x, precision=17, separator=', ', threshold=20)}."
        )
        self.status = status
        self.function = function
        self.x = x
        self.nfev = nfev
        self.njev = njev


def _is_numba_cfunc(obj: object) -> bool:
    cls = type(obj)
    return cls.__name__ == "CFunc" and cls.__module__.startswith("numba")


def is_compiled(obj: object) -> bool:
    """Return whether ``obj`` is a compiled function (or :class:`Compiled`).

    Cheap for the common objects that are not (a type lookup): leastsq asks
    it of every ``func`` and ``Dfun``.
    """
    cls = type(obj)
    if cls in _NOT_COMPILED:
        return False
    return cls is Compiled or issubclass(cls, (Compiled, _CFUNCPTR, _CAPSULE)) or _is_numba_cfunc(obj)


def _ctypes_name(t: Any) -> str:
    if t is None:
        return "void"
    if t is ctypes.c_int:
        return "int"
    if t is ctypes.c_double:
        return "double"
    if t is ctypes.c_void_p:
        return "void *"
    if isinstance(t, type) and issubclass(t, ctypes._Pointer):  # type: ignore[attr-defined]
        return f"{_ctypes_name(t._type_)} *"
    return getattr(t, "__name__", repr(t))


_SPACE_STAR = re.compile(r"\s*\*\s*")


def _parse_capsule_name(name: str) -> Signature | None:
    """``'int (int, int, const double *, double *, void *)'`` as a Signature."""
    match = re.fullmatch(r"\s*(.+?)\s*\((.*)\)\s*", name)
    if match is None:
        return None

    def normal(text: str) -> str:
        text = re.sub(r"\bconst\b", " ", text)
        text = _SPACE_STAR.sub(" *", text)
        return " ".join(text.split())

    args = tuple(normal(a) for a in match.group(2).split(",")) if match.group(2).strip() else ()
    return Signature(normal(match.group(1)), args)


class NativeFunction(NamedTuple):
    """A compiled function resolved to its address (``keep`` keeps it alive)."""

    address: int
    keep: object


def native_function(obj: object, expected: Signature, argname: str) -> NativeFunction:
    """Return ``obj``'s address after checking its signature against ``expected``.

    Raises
    ------
    TypeError
        ``obj`` is not a compiled function, or carries a different signature
        (or, a ctypes function, none: ``argtypes`` unset).
    """
    documented = DOCUMENTED[expected]
    if _is_numba_cfunc(obj):
        proto = obj.ctypes  # type: ignore[attr-defined]
        found = Signature(_ctypes_name(proto.restype), tuple(map(_ctypes_name, proto.argtypes)))
        address = int(obj.address)  # type: ignore[attr-defined]
        what = f"numba cfunc {getattr(obj, '__name__', '')!r} with signature {obj._sig}"  # type: ignore[attr-defined]
    elif isinstance(obj, _CFUNCPTR):
        if obj.argtypes is None:
            raise TypeError(
                f"{argname}: the ctypes function {obj!r} has no argtypes, so its signature cannot be "
                f"checked; set .argtypes and .restype to match {documented}, or make it with "
                "ctypes.CFUNCTYPE."
            )
        found = Signature(_ctypes_name(obj.restype), tuple(map(_ctypes_name, obj.argtypes)))
        address = ctypes.cast(obj, ctypes.c_void_p).value or 0
        what = f"ctypes function {obj!r} with signature {found}"
    elif isinstance(obj, _CAPSULE):
        name, address, _ = _native.capsule_info(obj)
        parsed = None if name is None else _parse_capsule_name(name)
        if parsed is None:
            raise TypeError(
                f"{argname}: a PyCapsule must be named by its C signature, "
                f"{documented!r} (scipy.LowLevelCallable's convention); this one is named {name!r}."
            )
        found = parsed
        what = f"PyCapsule named {name!r}"
    else:
        raise TypeError(
            f"{argname} must be a compiled function (a numba cfunc, a ctypes function pointer or a "
            f"PyCapsule) with the C signature {documented}; got {type(obj).__name__}."
        )
    if found != expected:
        raise TypeError(f"{argname}: the {what} does not match the required C signature {documented}.")
    if not address:
        raise TypeError(f"{argname}: the {what} is a NULL function pointer.")
    return NativeFunction(address, obj)


def user_data_address(user_data: object) -> tuple[int, object]:
    """Return the ``void *`` for ``user_data`` and the object to keep alive.

    None is NULL; a numpy array passes its data pointer; a ctypes pointer,
    ``c_void_p``, ctypes array or structure its address; an int is taken as
    an address.
    """
    if user_data is None:
        return 0, None
    if isinstance(user_data, np.ndarray):
        return int(user_data.ctypes.data), user_data
    if isinstance(user_data, ctypes.c_void_p):
        return int(user_data.value or 0), user_data
    if isinstance(user_data, ctypes._Pointer):  # type: ignore[attr-defined]
        return int(ctypes.cast(user_data, ctypes.c_void_p).value or 0), user_data
    if isinstance(user_data, (ctypes.Array, ctypes.Structure, ctypes.Union)):
        return ctypes.addressof(user_data), user_data
    if isinstance(user_data, int) and not isinstance(user_data, bool):
        if not 0 <= user_data < 2**64:
            raise ValueError(f"user_data: {user_data} is not a valid address.")
        return user_data, None
    raise TypeError(
        "user_data must be None, a numpy array (its data pointer is passed), a ctypes pointer, "
        f"c_void_p, ctypes array or structure, or an int address; got {type(user_data).__name__}."
    )


class Compiled:
    """A compiled residual function, its number of residuals, its Jacobian.

    Pass it as ``func`` to :func:`pyminpack.leastsq`: the solve then makes
    no Python call and releases the GIL until MINPACK returns.

    Parameters
    ----------
    residuals : numba cfunc, ctypes function pointer or PyCapsule
        ``int residuals(int m, int n, const double *x, double *fvec, void *user_data)``:
        writes the ``m`` residuals at ``x`` (``n`` parameters) into ``fvec``.
    m : int
        The number of residuals.
    jacobian : compiled function, optional
        ``int jacobian(int m, int n, const double *x, double *fjac, int ldfjac, void *user_data)``:
        writes ``d fvec[i]/d x[j]`` into ``fjac[i + j*ldfjac]`` (column-major).
        Without it MINPACK's ``lmdif`` forms forward differences; with it
        ``lmder`` runs.  It may also be given as ``leastsq``'s ``Dfun``.
    user_data : optional
        Passed to both functions as ``void *user_data``: None (NULL), a numpy
        array (its data pointer; the array is kept alive by this object), a
        ctypes pointer, ``c_void_p``, ctypes array or structure, or an int
        address.

    Raises
    ------
    TypeError
        A function is not compiled, or its signature (numba's, ctypes'
        ``argtypes``/``restype``, or a capsule's name) is not the one above.

    Notes
    -----
    Both functions return 0 to continue; any other value stops the solve and
    ``leastsq`` raises :class:`UserTermination`.  They are called from
    whichever thread runs the solve, without the GIL: they must not touch
    Python objects.  (A ctypes callback made from a Python function, as
    below, takes the GIL itself: fine for a demonstration, slow in practice;
    use numba's ``@cfunc`` or C.)

    Examples
    --------
    >>> import ctypes
    >>> from pyminpack import Compiled, leastsq
    >>> P = ctypes.POINTER(ctypes.c_double)
    >>> RESIDUALS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
    >>> @RESIDUALS
    ... def residuals(m, n, x, fvec, user_data):
    ...     for i in range(m):
    ...         fvec[i] = x[0] * i + x[1] - (2.0 * i + 1.0)
    ...     return 0
    >>> leastsq(Compiled(residuals, 5), [0.0, 0.0])
    (array([2., 1.]), 2)
    """

    __slots__ = ("_jacobian", "_residuals", "_user_data", "jacobian", "m", "residuals", "user_data")

    #: The C signatures of the two functions, and their names in error messages.
    _SIGNATURES = ((RESIDUALS, "residuals"), (JACOBIAN, "jacobian"))

    def __init__(self, residuals: object, m: int, jacobian: object = None, user_data: object = None) -> None:
        (signature, name), (jacobian_signature, jacobian_name) = self._SIGNATURES
        self._residuals = native_function(residuals, signature, name)
        self._jacobian = None if jacobian is None else native_function(jacobian, jacobian_signature, jacobian_name)
        m = int(m)
        if m < 1:
            raise ValueError(f"m (the number of residuals) must be positive; got {m}.")
        self.m = m
        self.residuals = residuals
        self.jacobian = jacobian
        self.user_data = user_data
        self._user_data = user_data_address(user_data)

    def __repr__(self) -> str:
        jac = "" if self.jacobian is None else f", jacobian={self.jacobian!r}"
        ud = "" if self.user_data is None else f", user_data={type(self.user_data).__name__}"
        return f"Compiled({self.residuals!r}, m={self.m}{jac}{ud})"

    def _model_data(self) -> tuple[Any, ...] | None:
        """``_native.leastsq``'s ``data``: None, the residuals are the function's own."""
        return None


class CompiledModel(Compiled):
    """``curve_fit``'s compiled model as ``leastsq``'s ``func``: residuals formed in C.

    The residuals are ``(model(p, xdata) - ydata) * weight``, formed by
    ``_native`` as :func:`pyminpack.fit_many` forms them; MINPACK's solve
    then makes no Python call, as for :class:`Compiled`.

    Parameters
    ----------
    model : compiled function
        ``fit_many``'s model signature, ``int model(int m, int n, const double
        *p, const double *x, double *out, void *user_data)``.
    ydata : ndarray of float64, shape (m,)
        The data.
    xdata : ndarray of float64, shape (m,), or None
        What the model gets as ``x`` (None: NULL).
    weight : ndarray of float64, shape (m,) or (1,), or None
        ``1/sigma`` (one value: the same for every residual).
    jacobian : compiled function, optional
        ``fit_many``'s model-Jacobian signature.
    user_data : optional
        As for :class:`Compiled`.
    """

    __slots__ = ("weight", "xdata", "ydata")

    _SIGNATURES = ((MODEL, "f"), (MODEL_JACOBIAN, "jac"))

    def __init__(
        self, model: object, ydata: NDArray[np.float64], xdata: NDArray[np.float64] | None,
        weight: NDArray[np.float64] | None, jacobian: object = None, user_data: object = None,
    ) -> None:  # fmt: skip
        super().__init__(model, ydata.size, jacobian, user_data)
        self.ydata, self.xdata = np.ascontiguousarray(ydata, dtype=np.float64), xdata
        self.weight = None if weight is None else np.ascontiguousarray(np.broadcast_to(weight, ydata.shape))

    def _model_data(self) -> tuple[Any, ...] | None:
        """``_native.leastsq``'s ``data``: what the model is compared with, ``(xdata, ydata, weight)``."""
        return self.xdata, self.ydata, self.weight


_DOUBLES = _CTYPES["double *"]


class CallableModel:
    """A compiled model called from Python as ``model(x, *params)``: what :class:`pyminpack.FitResult` plots.

    Parameters
    ----------
    model : compiled function
        ``fit_many``'s model signature (see :class:`CompiledModel`).
    user_data : optional
        As for :class:`Compiled`.
    m : int
        The number of values when ``x`` is None (the model then reads its
        abscissae from ``user_data``, or takes its own default ones).
    dimensions : int, optional
        Coordinates per point: ``x`` holds one row of values per coordinate
        (a built-in 2-D model's ``x`` is 2 by ``m``).
    name : str, optional
        The name reports show (default: the compiled function's
        ``__name__``).

    Raises
    ------
    UserTermination
        The model returned nonzero.

    Examples
    --------
    >>> import ctypes
    >>> P = ctypes.POINTER(ctypes.c_double)
    >>> @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, P, ctypes.c_void_p)
    ... def line(m, n, p, x, out, user_data):
    ...     for i in range(m):
    ...         out[i] = p[0] * x[i] + p[1]
    ...     return 0
    >>> CallableModel(line, None, 2)([0.0, 1.0, 2.0], 2.0, 1.0)
    array([1., 3., 5.])
    """

    def __init__(
        self, model: object, user_data: object, m: int, *, dimensions: int = 1, name: str | None = None
    ) -> None:
        self.compiled = model
        self.__name__ = str(getattr(model, "__name__", "compiled model")) if name is None else name
        self._call = MODEL.prototype()(native_function(model, MODEL, "f").address)
        self._user_data = user_data_address(user_data)
        self._m = m
        self._dimensions = dimensions

    def __call__(self, x: ArrayLike | None, *params: float) -> NDArray[np.float64]:
        p = np.array(params, dtype=np.float64)
        xs = None if x is None else np.ascontiguousarray(x, dtype=np.float64).reshape(self._dimensions, -1)
        out = np.empty(self._m if xs is None else xs.shape[1])
        status = self._call(
            out.size, p.size, p.ctypes.data_as(_DOUBLES), None if xs is None else xs.ctypes.data_as(_DOUBLES),
            out.ctypes.data_as(_DOUBLES), self._user_data[0],
        )  # fmt: skip
        if status:
            raise UserTermination(status, "func", p, 1, 0)
        return out


class CompiledSolve(NamedTuple):
    """What a compiled solve calls: the :class:`Compiled` residuals and the Jacobian, if any."""

    func: Compiled
    jacobian: NativeFunction | None
    jacobian_object: object


def compiled_functions(func: object, args: Any, Dfun: object, col_deriv: bool, callback: object) -> CompiledSolve:
    """Check that ``leastsq``'s arguments make a compiled solve; return its functions.

    Raises
    ------
    TypeError, ValueError
        ``func`` is not a :class:`Compiled` (a bare compiled function, or a
        compiled ``Dfun`` with a Python ``func``), or an argument needs a
        Python call (``args``, ``callback``) or does not apply (``col_deriv``,
        a Jacobian given twice).
    """
    if not isinstance(func, Compiled):
        if is_compiled(func):
            raise TypeError(
                "leastsq: a compiled residual function cannot report how many residuals it "
                "computes; pass pyminpack.Compiled(func, m) (with jacobian=... or Dfun=... for a "
                "compiled Jacobian)."
            )
        raise TypeError("leastsq: a compiled Dfun needs a compiled func, given as pyminpack.Compiled(func, m).")
    if args != ():
        raise TypeError("leastsq: args cannot be passed to a compiled function; use Compiled(..., user_data=...).")
    if callback is not None:
        raise TypeError(
            "leastsq: callback needs a Python call at every iteration; it is not available with a compiled func."
        )
    if col_deriv:
        raise ValueError(
            "leastsq: col_deriv does not apply to a compiled Jacobian, which always writes column-major fjac."
        )
    if Dfun is None:
        return CompiledSolve(func, func._jacobian, func.jacobian)
    if func._jacobian is not None:
        raise TypeError("leastsq: the Jacobian is given twice (Compiled(jacobian=...) and Dfun).")
    return CompiledSolve(func, native_function(Dfun, JACOBIAN, "Dfun"), Dfun)


def compiled_leastsq(
    compiled: CompiledSolve, x0: NDArray[Any], settings: SolverSettings, *, full_output: bool
) -> tuple[Any, ...]:
    """:func:`pyminpack.leastsq` for a :class:`Compiled` ``func``: same results.

    Parameters
    ----------
    compiled : CompiledSolve
        From :func:`compiled_functions`.
    x0 : ndarray
        The checked starting point (``leastsq``'s flattened copy).
    settings : SolverSettings
        The solve's settings.
    full_output : bool
        As for ``leastsq``.
    """
    func, jacobian, jacobian_object = compiled
    x = x0 if x0.dtype == _FLOAT64 else x0.astype(_FLOAT64)  # MINPACK's x, overwritten
    check_problem_size(len(x), func.m)
    functions = (func._residuals.address, 0 if jacobian is None else jacobian.address, func._user_data[0])
    fvec, fjac, ipvt, qtf, info, nfev, njev, nonfinite_since, stop = _native.leastsq(
        functions, x, func.m, settings, func._model_data()
    )
    if stop is None:
        info = refuse_nonfinite_convergence(
            func.residuals,  # type: ignore[arg-type]
            info,
            nonfinite_since,
            nfev,
            x,
            allow_nonfinite=settings.allow_nonfinite,
        )
    else:
        status, stopped_by, stage, evaluation, xbad = stop
        if status:
            raise UserTermination(status, "func" if stopped_by == 1 else "Dfun", x, nfev, njev)
        if not settings.allow_nonfinite:  # the guard stopped it; the C guard always scans
            on_jacobian = stage == _native.STAGE_JACOBIAN
            raise_nonfinite(
                "Dfun" if on_jacobian else "func",
                jacobian_object if on_jacobian else func.residuals,  # type: ignore[arg-type]
                evaluation,
                xbad,
                _native.STAGE_NAMES[stage],
            )
        info = IER_NONFINITE
    counts = {"nfev": nfev} if jacobian is None else {"nfev": nfev, "njev": njev}
    return leastsq_result(x, fvec, fjac, ipvt, qtf, counts, info, settings, full_output=full_output, stacklevel=3)
