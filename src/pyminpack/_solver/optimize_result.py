"""``OptimizeResult``: what :func:`pyminpack.root` returns, scipy.optimize.OptimizeResult's behaviour."""

from __future__ import annotations

from typing import Any

import numpy as np

#: The keys SciPy's repr puts first, in its order (the rest follow in insertion order).
_FIRST_KEYS = ("message", "success", "status", "fun", "x")


class OptimizeResult(dict[str, Any]):
    """The result of a solve: a dict whose keys are also attributes.

    As ``scipy.optimize.OptimizeResult``: ``result.x`` is ``result['x']``,
    and the repr lists ``message, success, status, fun, x`` first, then the
    other keys in the order they were set.

    Attributes
    ----------
    x : ndarray
        The solution.
    success : bool
        Whether the solver converged.
    status : int
        MINPACK's INFO.
    message : str
        What ``status`` means.
    fun : ndarray
        The function at ``x``.
    nfev, njev : int
        The numbers of calls of the function and of its Jacobian.
    method : str
        The method that solved.

    Other keys depend on the method: see :func:`pyminpack.root`.

    Examples
    --------
    >>> result = OptimizeResult(x=1.5, success=True)
    >>> result.x, result["success"]
    (1.5, True)
    >>> result.nfev = 4
    >>> print(result)
     success: True
           x: 1.5
        nfev: 4
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    __setattr__ = dict.__setitem__  # type: ignore[assignment]
    __delattr__ = dict.__delitem__  # type: ignore[assignment]

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        return _formatted(self)

    def __dir__(self) -> list[str]:
        return list(self.keys())


def _rank(item: tuple[str, Any]) -> float:
    key = item[0].lower()
    return _FIRST_KEYS.index(key) if key in _FIRST_KEYS else float("inf")


def _float_10(value: np.floating[Any]) -> str:
    """A float in ten characters, as SciPy's repr prints array entries."""
    if np.isnan(value) or np.isinf(value):
        return f"{value!s:>10}"
    return np.format_float_scientific(value, precision=3, pad_left=2, unique=False)


def _formatted(value: object, indent: int = 0, padding: int = 1) -> str:
    """SciPy's ``_dict_formatter``: keys right-justified, nested values indented under them."""
    if not isinstance(value, dict):
        with np.printoptions(linewidth=76 - indent, edgeitems=2, threshold=12, formatter={"float_kind": _float_10}):
            return str(value)
    width = max(map(len, value)) + padding
    return "\n".join(
        key.rjust(width) + ": " + _formatted(item, width + indent + 2, 0).replace("\n", "\n" + " " * (width + 2))
        for key, item in sorted(value.items(), key=_rank)
    )
