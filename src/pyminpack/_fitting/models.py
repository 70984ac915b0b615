"""The built-in models: compiled with pyminpack, fitted by name.

``fit_many("gauss_2d", spots, p0)``, ``curve_fit("exp_decay", t, y, p0)``,
``fit(...)`` and ``fit_many_dask(...)`` take the name of a built-in model
(or its :class:`BuiltinModel`) where they take a compiled model: the C
functions of ``native/builtin_models.c``, with an analytic Jacobian, so that MINPACK
runs ``lmder`` and no compiler is needed.

The conventions are Gpufit's, so that its users get the same parameters
from the same data:

- A 1-D model's abscissae are ``x`` (``m`` values), or, without ``x``, the
  point indices ``0, 1, ..., m - 1`` (Gpufit without ``user_info``).
- A 2-D model's data are a square image of side ``sqrt(m)`` flattened row by
  row (``image.ravel()`` of a C-ordered array): point ``i`` is the pixel at
  column ``i % side``, row ``i // side``, whose centre has the coordinates
  ``(i % side, i // side)`` (so ``x0`` is a column position, ``y0`` a row
  position, both from 0 at the centre of the first pixel).  With ``x`` of
  shape ``(2, m)``, ``x[0]`` and ``x[1]`` are the coordinates of each point
  instead, and the image need not be square.
- Widths are standard deviations (Gaussians) or half widths at half maximum
  (Lorentzian, Cauchy); a width's sign does not matter to the model.

What is not fitted is read from the sizes: a polynomial's degree is
``len(p0) - 1``, an image's side ``sqrt(m)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeGuard

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._builtin_models import FUNCTIONS as _FUNCTIONS
from .._solver.compiled import UserTermination
from .._solver.signatures import DOUBLES, MODEL_JACOBIAN, native_function
from .compiled_model import CallableModel

__all__ = ["BuiltinModel", "builtin_models", "callable_model", "is_builtin", "refuse_for_builtin", "resolve"]


@dataclass(frozen=True)
class BuiltinModel:
    """A model compiled with pyminpack, fitted by its name.

    Pass the name (or this object) as the model of :func:`pyminpack.fit_many`,
    :func:`pyminpack.fit_many_dask`, :func:`pyminpack.curve_fit` or
    :func:`pyminpack.fit`; its analytic Jacobian comes with it.  See
    :func:`pyminpack.builtin_models` for the list.

    Attributes
    ----------
    name : str
        The name to fit it by (case does not matter).
    parameters : tuple of str
        The parameter names in the order of ``p0``; empty for the
        polynomial, whose parameters are ``c0, c1, ...``, as many as ``p0``
        has (see :meth:`parameter_names`).
    formula : str
        The model, in Python's notation; ``x`` and ``y`` are a point's
        coordinates.
    description : str
        What it is, and what its parameters mean where the names do not say.
    dimensions : int
        Coordinates per data point: 1, or 2 for the image models.
    gpufit : str or None
        The Gpufit ``ModelID`` of the same model (same parameters, pixel
        convention and formula), or None.

    Examples
    --------
    >>> from pyminpack import builtin_models
    >>> model = builtin_models()["gauss_2d"]
    >>> model.parameters
    ('amplitude', 'x0', 'y0', 'width', 'offset')
    >>> model.values([10.0, 1.0, 1.0, 0.5, 2.0], m=9).reshape(3, 3).round(3)
    array([[ 2.183,  3.353,  2.183],
           [ 3.353, 12.   ,  3.353],
           [ 2.183,  3.353,  2.183]])
    """

    name: str
    parameters: tuple[str, ...]
    formula: str
    description: str
    dimensions: int = 1
    gpufit: str | None = None

    def parameter_names(self, n: int) -> tuple[str, ...]:
        """Return the names of ``n`` parameters, checking that the model takes ``n``.

        Parameters
        ----------
        n : int
            The number of parameters (the length of ``p0``).

        Returns
        -------
        tuple of str
            :attr:`parameters`, or for the polynomial ``('c0', ..., 'c<n-1>')``.

        Raises
        ------
        ValueError
            The model does not take ``n`` parameters.

        Examples
        --------
        >>> from pyminpack import builtin_models
        >>> builtin_models()["polynomial"].parameter_names(3)
        ('c0', 'c1', 'c2')
        """
        if not self.parameters:
            if n < 1:
                raise ValueError(f"model {self.name!r}: p0 must hold at least one coefficient; it has {n}.")
            return tuple(f"c{j}" for j in range(n))
        if n != len(self.parameters):
            raise ValueError(
                f"model {self.name!r} takes {len(self.parameters)} parameters ({', '.join(self.parameters)}); "
                f"p0 has {n}."
            )
        return self.parameters

    def abscissae(self, x: ArrayLike | None, m: int) -> NDArray[np.float64] | None:
        """Return ``x`` as the C functions read it, checking it (or, without it, ``m``) against the model.

        Parameters
        ----------
        x : array_like or None
            Shape ``(m,)`` for a 1-D model, ``(2, m)`` for a 2-D one; None
            for the point indices or the square pixel grid.
        m : int
            The number of data points.

        Returns
        -------
        ndarray or None
            ``x`` as a C-contiguous float64 array, or None.

        Raises
        ------
        ValueError
            ``x`` has the wrong shape, or, without ``x``, a 2-D model's
            ``m`` is not a square.

        Examples
        --------
        >>> from pyminpack import builtin_models
        >>> builtin_models()["gauss_2d"].abscissae(None, 48)
        Traceback (most recent call last):
        ...
        ValueError: model 'gauss_2d' reads each curve as a square image, but m = 48 is not a square; ...
        """
        if x is None:
            if self.dimensions == 2 and math.isqrt(m) ** 2 != m:
                raise ValueError(
                    f"model {self.name!r} reads each curve as a square image, but m = {m} is not a square; "
                    "pass the pixel coordinates as x, shape (2, m), for other shapes."
                )
            return None
        values = np.ascontiguousarray(x, dtype=np.float64)
        shape = (m,) if self.dimensions == 1 else (self.dimensions, m)
        if values.shape != shape:
            what = "one abscissa per point" if self.dimensions == 1 else "the x and y coordinates of each point"
            raise ValueError(f"model {self.name!r}: x must have shape {shape} ({what}); got {values.shape}.")
        return values

    @property
    def functions(self) -> tuple[object, object]:
        """``(model, jacobian)``: the C functions, as PyCapsules named by fit_many's signatures."""
        return _FUNCTIONS[self.name]

    def values(self, params: ArrayLike, x: ArrayLike | None = None, *, m: int | None = None) -> NDArray[np.float64]:
        """Evaluate the model.

        Parameters
        ----------
        params : array_like, shape (n,)
            The parameters.
        x : array_like, optional
            Shape ``(m,)`` for a 1-D model, ``(2, m)`` for a 2-D one.
            Without it, the model's default abscissae for ``m`` points.
        m : int, optional
            The number of points when ``x`` is not given.

        Returns
        -------
        ndarray, shape (m,)
            The model's values, computed by its C function.

        Raises
        ------
        ValueError
            The sizes do not fit the model (see :meth:`abscissae`,
            :meth:`parameter_names`), or neither ``x`` nor ``m`` is given.

        Examples
        --------
        >>> from pyminpack import builtin_models
        >>> builtin_models()["linear_1d"].values([1.0, 2.0], m=3)
        array([1., 3., 5.])
        """
        p, xs, points = self._arguments(params, x, m)
        return callable_model(self, points)(xs, *p)

    def jacobian(self, params: ArrayLike, x: ArrayLike | None = None, *, m: int | None = None) -> NDArray[np.float64]:
        """Evaluate the model's analytic Jacobian.

        Parameters
        ----------
        params : array_like, shape (n,)
            The parameters.
        x : array_like, optional
            As for :meth:`values`.
        m : int, optional
            As for :meth:`values`.

        Returns
        -------
        ndarray, shape (m, n)
            ``d model[i] / d params[j]``, computed by its C function.

        Raises
        ------
        ValueError
            As for :meth:`values`.

        Examples
        --------
        >>> from pyminpack import builtin_models
        >>> builtin_models()["linear_1d"].jacobian([1.0, 2.0], m=3)
        array([[1., 0.],
               [1., 1.],
               [1., 2.]])
        """
        p, xs, points = self._arguments(params, x, m)
        fjac = np.empty((p.size, points))  # column-major m by n
        call = MODEL_JACOBIAN.prototype()(native_function(self.functions[1], MODEL_JACOBIAN, "jacobian").address)
        status = call(
            points, p.size, p.ctypes.data_as(DOUBLES), None if xs is None else xs.ctypes.data_as(DOUBLES),
            fjac.ctypes.data_as(DOUBLES), points, None,
        )  # fmt: skip
        if status:
            raise UserTermination(status, "Dfun", p, 0, 1)
        return fjac.T

    def _arguments(
        self, params: ArrayLike, x: ArrayLike | None, m: int | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, int]:
        p = np.array(params, dtype=np.float64, ndmin=1)
        self.parameter_names(p.size)
        if x is None:
            if m is None:
                raise ValueError(f"model {self.name!r}: give x, or m, the number of points.")
            points = int(m)
        else:
            points = np.shape(x)[-1] if np.ndim(x) else 1  # a scalar x is one point
        return p, self.abscissae(x, points), points


_GAUSS_2D = "amplitude * exp(-((x - x0)**2 + (y - y0)**2) / (2 * width**2)) + offset"
_ELLIPTIC = "amplitude * exp(-(x - x0)**2 / (2 * width_x**2) - (y - y0)**2 / (2 * width_y**2)) + offset"
_ROTATED = (
    "amplitude * exp(-a**2 / (2 * width_x**2) - b**2 / (2 * width_y**2)) + offset, where "
    "a = (x - x0) * cos(rotation) - (y - y0) * sin(rotation), b = (x - x0) * sin(rotation) + (y - y0) * cos(rotation)"
)
_CAUCHY = "amplitude / ((1 + ((x - x0) / width_x)**2) * (1 + ((y - y0) / width_y)**2)) + offset"
_ELLIPSE = ("amplitude", "x0", "y0", "width_x", "width_y", "offset")

_MODELS = (
    BuiltinModel(
        "gauss_1d", ("amplitude", "x0", "width", "offset"),
        "amplitude * exp(-(x - x0)**2 / (2 * width**2)) + offset",
        "Gaussian peak; width is the standard deviation.", gpufit="GAUSS_1D",
    ),
    BuiltinModel(
        "gauss_2d", ("amplitude", "x0", "y0", "width", "offset"), _GAUSS_2D,
        "Round 2-D Gaussian spot (localisation microscopy); width is the standard deviation.",
        dimensions=2, gpufit="GAUSS_2D",
    ),
    BuiltinModel(
        "gauss_2d_elliptic", _ELLIPSE, _ELLIPTIC, "2-D Gaussian with its own width along x and along y.",
        dimensions=2, gpufit="GAUSS_2D_ELLIPTIC",
    ),
    BuiltinModel(
        "gauss_2d_rotated", (*_ELLIPSE, "rotation"), _ROTATED,
        "Elliptic 2-D Gaussian whose axes are rotated by rotation (radians).",
        dimensions=2, gpufit="GAUSS_2D_ROTATED",
    ),
    BuiltinModel(
        "cauchy_2d_elliptic", _ELLIPSE, _CAUCHY,
        "Product of two Cauchy (Lorentzian) profiles; widths are half widths at half maximum.",
        dimensions=2, gpufit="CAUCHY_2D_ELLIPTIC",
    ),
    BuiltinModel("linear_1d", ("offset", "slope"), "offset + slope * x", "Straight line.", gpufit="LINEAR_1D"),
    BuiltinModel(
        "exp_decay", ("amplitude", "tau", "offset"), "amplitude * exp(-x / tau) + offset",
        "Exponential decay; tau is the lifetime (1/e time).",
    ),
    BuiltinModel(
        "exp_decay_2", ("amplitude1", "tau1", "amplitude2", "tau2", "offset"),
        "amplitude1 * exp(-x / tau1) + amplitude2 * exp(-x / tau2) + offset",
        "Exponential decay with two components.",
    ),
    BuiltinModel(
        "lorentzian", ("amplitude", "x0", "gamma", "offset"), "amplitude / (1 + ((x - x0) / gamma)**2) + offset",
        "Lorentzian (Cauchy) peak of height amplitude; gamma is the half width at half maximum.",
    ),
    BuiltinModel(
        "logistic", ("amplitude", "x0", "rate", "offset"), "amplitude / (1 + exp(-rate * (x - x0))) + offset",
        "Logistic (sigmoid) step of height amplitude, midpoint x0, growth rate rate.",
    ),
    BuiltinModel(
        "power_law", ("amplitude", "exponent"), "amplitude * x**exponent",
        "Power law, for x > 0 (at x = 0, for exponent > 0, its value and derivatives are their limits).",
    ),
    BuiltinModel(
        "polynomial", (), "c0 + c1 * x + c2 * x**2 + ... (degree len(p0) - 1)",
        "Polynomial of the degree that p0 implies; parameters c0, c1, ...",
    ),
)  # fmt: skip

_REGISTRY: Mapping[str, BuiltinModel] = MappingProxyType({model.name: model for model in _MODELS})


def builtin_models() -> Mapping[str, BuiltinModel]:
    """Return the built-in models by name.

    Returns
    -------
    Mapping of str to BuiltinModel
        Read-only, in the order of the documentation: Gpufit's models first.

    See Also
    --------
    BuiltinModel : What each entry holds.

    Examples
    --------
    >>> from pyminpack import builtin_models
    >>> for name, model in builtin_models().items():
    ...     print(f"{name:18s} {', '.join(model.parameters) or 'c0, c1, ...'}")
    gauss_1d           amplitude, x0, width, offset
    gauss_2d           amplitude, x0, y0, width, offset
    gauss_2d_elliptic  amplitude, x0, y0, width_x, width_y, offset
    gauss_2d_rotated   amplitude, x0, y0, width_x, width_y, offset, rotation
    cauchy_2d_elliptic amplitude, x0, y0, width_x, width_y, offset
    linear_1d          offset, slope
    exp_decay          amplitude, tau, offset
    exp_decay_2        amplitude1, tau1, amplitude2, tau2, offset
    lorentzian         amplitude, x0, gamma, offset
    logistic           amplitude, x0, rate, offset
    power_law          amplitude, exponent
    polynomial         c0, c1, ...
    """
    return _REGISTRY


def is_builtin(model: object) -> TypeGuard[str | BuiltinModel]:
    """Return whether ``model`` names a built-in model (a string or a :class:`BuiltinModel`)."""
    return isinstance(model, (str, BuiltinModel))


def callable_model(model: BuiltinModel, m: int) -> CallableModel:
    """Return ``model`` as ``f(x, *params)``, as :class:`pyminpack.FitResult` calls it (``x`` None: ``m`` points)."""
    return CallableModel(model.functions[0], None, m, dimensions=model.dimensions, name=model.name)


def refuse_for_builtin(model: BuiltinModel, jacobian: object, user_data: object, jacobian_name: str) -> None:
    """Raise ``TypeError`` for a Jacobian or ``user_data`` given with a built-in model, which takes neither."""
    if jacobian is not None:
        raise TypeError(
            f"{jacobian_name}: the built-in model {model.name!r} brings its own analytic Jacobian; "
            f"leave {jacobian_name} None."
        )
    if user_data is not None:
        raise TypeError(f"user_data: the built-in model {model.name!r} takes none (it reads its sizes from m and n).")


def resolve(model: str | BuiltinModel) -> BuiltinModel:
    """Return the built-in model named ``model`` (any case, or a :class:`BuiltinModel`'s name).

    Raises
    ------
    ValueError
        No built-in model has that name; the message lists those that exist.
    """
    name = model.name if isinstance(model, BuiltinModel) else model
    found = _REGISTRY.get(name.lower())
    if found is None:
        names = ", ".join(_REGISTRY)
        raise ValueError(f"model: no built-in model is named {name!r}; the built-in models are {names}.")
    return found
