"""A compiled model (``fit_many``'s C signature) as ``curve_fit``'s function: residuals formed in C.

:class:`CompiledModel` hands MINPACK the model and the data it is compared
with, so that the solve makes no Python call; :class:`CallableModel` calls
the same model from Python, for :class:`pyminpack.FitResult`'s report and
plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._solver.compiled import Compiled, UserTermination
from .._solver.signatures import DOUBLES, MODEL, MODEL_JACOBIAN, native_function, user_data_address

__all__ = ["CallableModel", "CompiledModel"]


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
            out.size, p.size, p.ctypes.data_as(DOUBLES), None if xs is None else xs.ctypes.data_as(DOUBLES),
            out.ctypes.data_as(DOUBLES), self._user_data[0],
        )  # fmt: skip
        if status:
            raise UserTermination(status, "func", p, 1, 0)
        return out
