"""``ManyFits``: the results of :func:`pyminpack.fit_many`, and their conversion to a table.

A named tuple of five arrays (so ``params, ier, nfev, chisqr, stderr =
fit_many(...)`` keeps working), carrying the parameters' names beside
them for the table's columns: a built-in model's names, else ``p0``,
``p1``, ... in the order of ``p0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ManyFits"]


class _Fields(NamedTuple):
    params: NDArray[np.float64]
    ier: NDArray[np.int32]
    nfev: NDArray[np.int32]
    chisqr: NDArray[np.float64]
    stderr: NDArray[np.float64]


class ManyFits(_Fields):
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
        ``sqrt(diag(cov) * chisqr / (m - n_fitted))``; nan where the fit
        failed, the covariance is singular, or ``m == n_fitted``; 0 for a
        parameter held ``fixed``.
    names : tuple of str
        The parameters' names, for :meth:`to_dict` and :meth:`to_pandas`:
        a built-in model's, else ``p0``, ``p1``, ... (not one of the tuple's
        fields; rename with ``fits._replace(names=...)``).

    Examples
    --------
    See :func:`fit_many`.

    >>> from pyminpack import ManyFits
    >>> ManyFits._fields
    ('params', 'ier', 'nfev', 'chisqr', 'stderr')
    >>> fits = ManyFits(np.ones((2, 2)), np.ones(2, np.int32), np.ones(2, np.int32), np.zeros(2), np.zeros((2, 2)))
    >>> fits.names
    ('p0', 'p1')
    >>> fits._replace(names=("slope", "offset")).names
    ('slope', 'offset')
    """

    names: tuple[str, ...]

    def __new__(
        cls,
        params: NDArray[np.float64],
        ier: NDArray[np.int32],
        nfev: NDArray[np.int32],
        chisqr: NDArray[np.float64],
        stderr: NDArray[np.float64],
        names: Sequence[str] | None = None,
    ) -> ManyFits:
        """Make the results; ``names`` default to ``p0``, ``p1``, ... (one per column of ``params``)."""
        self = super().__new__(cls, params, ier, nfev, chisqr, stderr)
        n = int(np.shape(params)[-1])
        self.names = tuple(f"p{j}" for j in range(n)) if names is None else tuple(names)
        if len(self.names) != n:
            raise ValueError(f"names must name the {n} parameters; got {len(self.names)} names.")
        return self

    def _replace(self, /, **changes: Any) -> ManyFits:
        """Return a copy with some fields (or ``names``) replaced, keeping :attr:`names` otherwise."""
        names = changes.pop("names", self.names)
        params, ier, nfev, chisqr, stderr = (
            changes.pop(field, value) for field, value in zip(self._fields, self, strict=True)
        )
        if changes:
            raise TypeError(f"Got unexpected field names: {list(changes)!r}")
        return ManyFits(params, ier, nfev, chisqr, stderr, names=names)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the results as columns: one array of ``K`` values per column name.

        The columns: each parameter by its name, each parameter's standard
        error as ``<name>_stderr``, then ``ier``, ``nfev`` and ``chisqr``.

        Returns
        -------
        dict of str to ndarray
            The columns in that order, each of length ``K``.

        Examples
        --------
        >>> fits = ManyFits(np.array([[1.0, 2.0]]), np.array([1], np.int32), np.array([9], np.int32),
        ...                 np.array([0.5]), np.array([[0.1, 0.2]]), names=("a", "b"))
        >>> list(fits.to_dict())
        ['a', 'b', 'a_stderr', 'b_stderr', 'ier', 'nfev', 'chisqr']
        >>> fits.to_dict()["b_stderr"]
        array([0.2])
        """
        params, stderr = np.asarray(self.params), np.asarray(self.stderr)
        columns: dict[str, NDArray[Any]] = {name: params[:, j] for j, name in enumerate(self.names)}
        columns.update({f"{name}_stderr": stderr[:, j] for j, name in enumerate(self.names)})
        columns.update(ier=np.asarray(self.ier), nfev=np.asarray(self.nfev), chisqr=np.asarray(self.chisqr))
        if len(columns) != 2 * len(self.names) + 3:
            raise ValueError(f"The parameter names {self.names} clash with each other or with the other columns.")
        return columns

    def to_records(self) -> NDArray[np.void]:
        """Return the results as a structured array: one record per curve, :meth:`to_dict`'s columns as fields.

        Returns
        -------
        ndarray of a structured dtype, shape (K,)
            One record per curve.

        Examples
        --------
        >>> fits = ManyFits(np.array([[1.0, 2.0]]), np.array([1], np.int32), np.array([9], np.int32),
        ...                 np.array([0.5]), np.array([[0.1, 0.2]]), names=("a", "b"))
        >>> table = fits.to_records()
        >>> table.dtype.names
        ('a', 'b', 'a_stderr', 'b_stderr', 'ier', 'nfev', 'chisqr')
        >>> table["a"], table["ier"]
        (array([1.]), array([1], dtype=int32))
        """
        columns = self.to_dict()
        table = np.empty(len(self.ier), dtype=[(name, column.dtype) for name, column in columns.items()])
        for name, column in columns.items():
            table[name] = column
        return table

    def to_pandas(self) -> Any:
        """Return the results as a ``pandas.DataFrame``, one row per curve, :meth:`to_dict`'s columns.

        Returns
        -------
        pandas.DataFrame
            One row per curve.

        Raises
        ------
        ModuleNotFoundError
            pandas is not installed (:meth:`to_dict` and :meth:`to_records`
            need only numpy).

        Examples
        --------
        >>> fits = ManyFits(np.array([[1.0, 2.0]]), np.array([1], np.int32), np.array([9], np.int32),
        ...                 np.array([0.5]), np.array([[0.1, 0.2]]), names=("a", "b"))
        >>> try:
        ...     columns = fits.to_pandas().columns.tolist()
        ... except ModuleNotFoundError:  # no pandas here: the same columns, from to_dict
        ...     columns = list(fits.to_dict())
        >>> columns
        ['a', 'b', 'a_stderr', 'b_stderr', 'ier', 'nfev', 'chisqr']
        """
        try:
            import pandas as pd  # type: ignore[import-untyped, unused-ignore]
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(
                "ManyFits.to_pandas needs pandas (pip install pandas); to_dict() and to_records() need only numpy.",
                name=error.name,
            ) from error
        return pd.DataFrame(self.to_dict())
