"""pyminpack: the original netlib MINPACK Levenberg-Marquardt solver for Python.

``pyminpack.leastsq`` is a drop-in replacement for ``scipy.optimize.leastsq``
(same signature, defaults, results, messages, warnings and errors), computed
by the unmodified Fortran MINPACK, with NumPy as the only dependency.

This product includes software developed by the University of Chicago, as
Operator of Argonne National Laboratory.
"""

from importlib.metadata import version as _version

from ._batch.dask import SharedLibraryModel, fit_many_dask
from ._batch.fit_many import ManyFits, fit_many
from ._config import show_config
from ._fitting.curve_fit import curve_fit
from ._fitting.fit import FitResult, fit
from ._fitting.models import BuiltinModel, builtin_models
from ._solver.check_jacobian import JacobianCheck, check_jacobian
from ._solver.compiled import Compiled, UserTermination
from ._solver.fsolve import fsolve
from ._solver.leastsq import leastsq
from ._solver.lmstr import leastsq_rows
from ._solver.optimize_result import OptimizeResult
from ._solver.root import root
from ._solver.validation import NonfiniteError
from ._solver.warnings import OptimizeWarning

__version__: str = _version("pyminpack")

__all__ = [
    "BuiltinModel",
    "Compiled",
    "FitResult",
    "JacobianCheck",
    "ManyFits",
    "NonfiniteError",
    "OptimizeResult",
    "OptimizeWarning",
    "SharedLibraryModel",
    "UserTermination",
    "__version__",
    "builtin_models",
    "check_jacobian",
    "curve_fit",
    "fit",
    "fit_many",
    "fit_many_dask",
    "fsolve",
    "leastsq",
    "leastsq_rows",
    "root",
    "show_config",
]
