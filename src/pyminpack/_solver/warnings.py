"""Warning classes of pyminpack's public functions."""

from __future__ import annotations

__all__ = ["OptimizeWarning"]


class OptimizeWarning(UserWarning):
    """A result of the fit is unreliable, though the fit itself succeeded.

    The counterpart of ``scipy.optimize.OptimizeWarning`` (also a
    ``UserWarning``): :func:`pyminpack.curve_fit` issues it when the
    covariance of the parameters cannot be estimated, :func:`pyminpack.root`
    for options its method does not take.

    Examples
    --------
    >>> import warnings
    >>> from pyminpack import OptimizeWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("Covariance of the parameters could not be estimated", OptimizeWarning)
    >>> caught[0].category.__name__
    'OptimizeWarning'
    """
