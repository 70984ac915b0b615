"""NIST StRD nonlinear regression data sets: a file reader and the models.

The 27 data sets in ``tests/data/nist_strd/`` are the original NIST ``.dat``
files (see ``tests/data/README.md``). :func:`read_dataset` reads one of them
and :data:`MODELS` gives, for each data set, its model function and the
analytic Jacobian of the model with respect to the parameters, in plain
NumPy.

Every model function has the signature ``f(b, x) -> ndarray`` with ``b`` the
parameter vector and ``x`` the predictor, shape ``(n,)`` (Nelson: ``(n, 2)``);
every Jacobian has the signature ``jac(b, x) -> ndarray`` of shape
``(n, len(b))``, one row per observation (``d f(x_i; b) / d b_j``).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.polynomial.polynomial import polyval

DATA_DIR = Path(__file__).parent / "data" / "nist_strd"

#: The data sets in NIST's order: lower, average, then higher difficulty.
NAMES = (
    "Misra1a",
    "Chwirut2",
    "Chwirut1",
    "Lanczos3",
    "Gauss1",
    "Gauss2",
    "DanWood",
    "Misra1b",
    "Kirby2",
    "Hahn1",
    "Nelson",
    "MGH17",
    "Lanczos1",
    "Lanczos2",
    "Gauss3",
    "Misra1c",
    "Misra1d",
    "Roszman1",
    "ENSO",
    "MGH09",
    "Thurber",
    "BoxBOD",
    "Rat42",
    "MGH10",
    "Eckerle4",
    "Rat43",
    "Bennett5",
)


@dataclass(frozen=True)
class Dataset:
    """One StRD data set as the file states it.

    Attributes
    ----------
    name : str
        Data set name, e.g. ``"Misra1a"``.
    starts : tuple of ndarray
        The starting values: ``starts[0]`` is NIST's Start 1 (far from the
        solution), ``starts[1]`` is Start 2 (closer).
    certified : ndarray
        Certified parameter values.
    certified_std : ndarray
        Certified standard deviations of the parameters.
    rss : float
        Certified residual sum of squares.
    x : ndarray
        Predictor values, shape ``(n,)``; ``(n, k)`` for ``k > 1`` predictors.
    y : ndarray
        Response values as printed, shape ``(n,)``.
    """

    name: str
    starts: tuple
    certified: np.ndarray
    certified_std: np.ndarray
    rss: float
    x: np.ndarray
    y: np.ndarray

    @property
    def n_params(self):
        """int: Number of model parameters."""
        return len(self.certified)


def _block(header, label):
    """Return the 1-based (first, last) line numbers of a block.

    Parameters
    ----------
    header : str
        The file's first lines, which say where each block is.
    label : str
        ``"Starting Values"``, ``"Certified Values"`` or ``"Data"``.

    Returns
    -------
    tuple of int
        First and last line numbers, as the file states them.

    Raises
    ------
    ValueError
        If the header does not locate the block.
    """
    match = re.search(label + r"\s+\(lines\s+(\d+)\s+to\s+(\d+)\)", header)
    if match is None:
        raise ValueError(f"no {label!r} block in the file header")
    return int(match[1]), int(match[2])


def _stated(summary, label):
    """Return the value the summary statistics give for ``label``.

    Parameters
    ----------
    summary : str
        The lines after the parameter lines in the certified block.
    label : str
        E.g. ``"Residual Sum of Squares"``.

    Returns
    -------
    str
        The value, as printed.

    Raises
    ------
    ValueError
        If the summary does not state ``label``.
    """
    match = re.search(label + r":\s+(\S+)", summary)
    if match is None:
        raise ValueError(f"no {label!r} in the certified values")
    return match[1]


def read_dataset(name):
    """Read an StRD nonlinear regression ``.dat`` file.

    Parameters
    ----------
    name : str
        Data set name; the file read is ``DATA_DIR / f"{name}.dat"``.

    Returns
    -------
    Dataset
        The starting values, certified values and data.

    Raises
    ------
    ValueError
        If the file does not have the StRD layout.

    Notes
    -----
    The header (lines 4-7) gives the line ranges: the parameter lines
    ``bK = start1 start2 certified std`` begin the certified block, whose
    remaining lines hold the residual sum of squares and other summary
    statistics, and the data block has the response first on every line.
    """
    lines = (DATA_DIR / f"{name}.dat").read_text(encoding="ascii").splitlines()
    header = "\n".join(lines[:10])
    start_first, start_last = _block(header, "Starting Values")
    _, cert_last = _block(header, "Certified Values")
    data_first, data_last = _block(header, "Data")

    params = []
    for k, line in enumerate(lines[start_first - 1 : start_last], start=1):
        label, _, values = line.partition("=")
        if label.strip() != f"b{k}":
            raise ValueError(f"{name}: expected b{k} on line {line!r}")
        params.append([float(v) for v in values.split()])
    params = np.array(params)
    if params.shape[1] != 4:
        raise ValueError(f"{name}: parameter lines need 4 numbers")

    summary = "\n".join(lines[start_last:cert_last])
    rss = float(_stated(summary, "Residual Sum of Squares"))
    n_obs = int(_stated(summary, "Number of Observations"))

    data = np.array([[float(v) for v in line.split()] for line in lines[data_first - 1 : data_last]])
    if len(data) != n_obs:
        raise ValueError(f"{name}: {len(data)} data lines, {n_obs} stated")
    x = data[:, 1] if data.shape[1] == 2 else data[:, 1:]
    return Dataset(
        name=name,
        starts=(params[:, 0], params[:, 1]),
        certified=params[:, 2],
        certified_std=params[:, 3],
        rss=rss,
        x=x,
        y=data[:, 0],
    )


@dataclass(frozen=True)
class Model:
    """A model ``y = f(x; b)`` with its analytic Jacobian.

    Attributes
    ----------
    f : callable
        ``f(b, x)``, the model values, shape ``(n,)``.
    jac : callable
        ``jac(b, x)``, ``d f / d b``, shape ``(n, len(b))``.
    response : callable
        Transform of the printed response that the model fits: ``np.log``
        for Nelson, the identity otherwise.
    """

    f: Callable
    jac: Callable
    response: Callable = np.asarray

    def residuals(self, b, x, y):
        """Residuals ``f(x; b) - y``, in ``leastsq``'s ``func(b, *args)`` form.

        Parameters
        ----------
        b : ndarray
            Parameters.
        x : ndarray
            Predictor values.
        y : ndarray
            Response values, already transformed by :attr:`response`.

        Returns
        -------
        ndarray
            One residual per observation.
        """
        return self.f(b, x) - y

    def jacobian(self, b, x, y):
        """Jacobian of :meth:`residuals`, in ``leastsq``'s ``Dfun`` form.

        Parameters
        ----------
        b, x, y : ndarray
            As for :meth:`residuals` (``y`` unused: the residual is linear in
            ``y``).

        Returns
        -------
        ndarray
            Shape ``(n, len(b))``, one row per observation.
        """
        return self.jac(b, x)


# Each model below follows the formula NIST prints in the .dat file. The
# Jacobians are written out by hand; tests/test_nist.py checks each against
# central differences.


def _exp_rise(b, x):
    return b[0] * (1 - np.exp(-b[1] * x))


def _exp_rise_jac(b, x):
    e = np.exp(-b[1] * x)
    return np.column_stack([1 - e, b[0] * x * e])


def _chwirut(b, x):
    return np.exp(-b[0] * x) / (b[1] + b[2] * x)


def _chwirut_jac(b, x):
    f = _chwirut(b, x)
    d = b[1] + b[2] * x
    return np.column_stack([-x * f, -f / d, -x * f / d])


def _lanczos(b, x):
    return b[0] * np.exp(-b[1] * x) + b[2] * np.exp(-b[3] * x) + b[4] * np.exp(-b[5] * x)


def _lanczos_jac(b, x):
    columns = []
    for amplitude, rate in ((b[0], b[1]), (b[2], b[3]), (b[4], b[5])):
        e = np.exp(-rate * x)
        columns += [e, -amplitude * x * e]
    return np.column_stack(columns)


def _gauss(b, x):
    return (
        b[0] * np.exp(-b[1] * x)
        + b[2] * np.exp(-((x - b[3]) ** 2) / b[4] ** 2)
        + b[5] * np.exp(-((x - b[6]) ** 2) / b[7] ** 2)
    )


def _gauss_jac(b, x):
    e = np.exp(-b[1] * x)
    columns = [e, -b[0] * x * e]
    for height, centre, width in ((b[2], b[3], b[4]), (b[5], b[6], b[7])):
        u = x - centre
        g = np.exp(-(u**2) / width**2)
        columns += [g, height * g * 2 * u / width**2, height * g * 2 * u**2 / width**3]
    return np.column_stack(columns)


def _danwood(b, x):
    return b[0] * x ** b[1]


def _danwood_jac(b, x):
    p = x ** b[1]
    return np.column_stack([p, b[0] * p * np.log(x)])


def _misra1b(b, x):
    return b[0] * (1 - (1 + b[1] * x / 2) ** -2)


def _misra1b_jac(b, x):
    u = 1 + b[1] * x / 2
    return np.column_stack([1 - u**-2, b[0] * x * u**-3])


def _rational(num_degree, den_degree):
    """Return the model and Jacobian of a rational function of ``x``.

    Parameters
    ----------
    num_degree, den_degree : int
        Degrees of the numerator ``b1 + b2*x + ...`` and of the denominator
        ``1 + c1*x + ...``, whose coefficients ``c1, ...`` follow the
        numerator's in ``b``.

    Returns
    -------
    f, jac : callable
        The model ``f(b, x)`` and its Jacobian ``jac(b, x)``.
    """

    def parts(b, x):
        num = polyval(x, b[: num_degree + 1])
        den = polyval(x, np.concatenate([[1.0], b[num_degree + 1 :]]))
        return num, den

    def f(b, x):
        num, den = parts(b, x)
        return num / den

    def jac(b, x):
        num, den = parts(b, x)
        powers = np.vander(x, max(num_degree, den_degree) + 1, increasing=True)
        return np.hstack(
            [powers[:, : num_degree + 1] / den[:, None], -(num / den**2)[:, None] * powers[:, 1 : den_degree + 1]]
        )

    return f, jac


def _nelson(b, x):
    x1, x2 = x.T
    return b[0] - b[1] * x1 * np.exp(-b[2] * x2)


def _nelson_jac(b, x):
    x1, x2 = x.T
    e = x1 * np.exp(-b[2] * x2)
    return np.column_stack([np.ones_like(x1), -e, b[1] * x2 * e])


def _mgh17(b, x):
    return b[0] + b[1] * np.exp(-x * b[3]) + b[2] * np.exp(-x * b[4])


def _mgh17_jac(b, x):
    e4 = np.exp(-x * b[3])
    e5 = np.exp(-x * b[4])
    return np.column_stack([np.ones_like(x), e4, e5, -b[1] * x * e4, -b[2] * x * e5])


def _misra1c(b, x):
    return b[0] * (1 - (1 + 2 * b[1] * x) ** -0.5)


def _misra1c_jac(b, x):
    u = 1 + 2 * b[1] * x
    return np.column_stack([1 - u**-0.5, b[0] * x * u**-1.5])


def _misra1d(b, x):
    return b[0] * b[1] * x / (1 + b[1] * x)


def _misra1d_jac(b, x):
    d = 1 + b[1] * x
    return np.column_stack([b[1] * x / d, b[0] * x / d**2])


def _roszman1(b, x):
    return b[0] - b[1] * x - np.arctan(b[2] / (x - b[3])) / np.pi


def _roszman1_jac(b, x):
    u = x - b[3]
    s = np.pi * (u**2 + b[2] ** 2)
    return np.column_stack([np.ones_like(x), -x, -u / s, -b[2] / s])


def _enso(b, x):
    f = np.full_like(x, b[0])
    for period, c, s in ((12, b[1], b[2]), (b[3], b[4], b[5]), (b[6], b[7], b[8])):
        theta = 2 * np.pi * x / period
        f = f + c * np.cos(theta) + s * np.sin(theta)
    return f


def _enso_jac(b, x):
    theta = 2 * np.pi * x / 12
    columns = [np.ones_like(x), np.cos(theta), np.sin(theta)]
    for period, c, s in ((b[3], b[4], b[5]), (b[6], b[7], b[8])):
        theta = 2 * np.pi * x / period
        cos, sin = np.cos(theta), np.sin(theta)
        # d theta / d period = -theta / period
        columns += [(c * sin - s * cos) * theta / period, cos, sin]
    return np.column_stack(columns)


def _mgh09(b, x):
    return b[0] * (x**2 + x * b[1]) / (x**2 + x * b[2] + b[3])


def _mgh09_jac(b, x):
    num = x**2 + x * b[1]
    den = x**2 + x * b[2] + b[3]
    return np.column_stack([num / den, b[0] * x / den, -b[0] * num * x / den**2, -b[0] * num / den**2])


def _rat42(b, x):
    return b[0] / (1 + np.exp(b[1] - b[2] * x))


def _rat42_jac(b, x):
    e = np.exp(b[1] - b[2] * x)
    g = b[0] * e / (1 + e) ** 2
    return np.column_stack([1 / (1 + e), -g, x * g])


def _mgh10(b, x):
    return b[0] * np.exp(b[1] / (x + b[2]))


def _mgh10_jac(b, x):
    e = np.exp(b[1] / (x + b[2]))
    return np.column_stack([e, b[0] * e / (x + b[2]), -b[0] * b[1] * e / (x + b[2]) ** 2])


def _eckerle4(b, x):
    return b[0] / b[1] * np.exp(-0.5 * ((x - b[2]) / b[1]) ** 2)


def _eckerle4_jac(b, x):
    z = (x - b[2]) / b[1]
    e = np.exp(-0.5 * z**2)
    g = b[0] / b[1] ** 2 * e
    return np.column_stack([e / b[1], g * (z**2 - 1), g * z])


def _rat43(b, x):
    return b[0] / (1 + np.exp(b[1] - b[2] * x)) ** (1 / b[3])


def _rat43_jac(b, x):
    e = np.exp(b[1] - b[2] * x)
    p = (1 + e) ** (-1 / b[3])
    g = b[0] * p * e / ((1 + e) * b[3])
    return np.column_stack([p, -g, x * g, b[0] * p * np.log(1 + e) / b[3] ** 2])


def _bennett5(b, x):
    return b[0] * (b[1] + x) ** (-1 / b[2])


def _bennett5_jac(b, x):
    u = b[1] + x
    p = u ** (-1 / b[2])
    return np.column_stack([p, -b[0] * p / (b[2] * u), b[0] * p * np.log(u) / b[2] ** 2])


_EXP_RISE = Model(_exp_rise, _exp_rise_jac)
_CHWIRUT = Model(_chwirut, _chwirut_jac)
_LANCZOS = Model(_lanczos, _lanczos_jac)
_GAUSS = Model(_gauss, _gauss_jac)
_RATIONAL_3_3 = Model(*_rational(3, 3))

#: The model of every data set, by name.
MODELS = {
    "Misra1a": _EXP_RISE,
    "Chwirut2": _CHWIRUT,
    "Chwirut1": _CHWIRUT,
    "Lanczos3": _LANCZOS,
    "Gauss1": _GAUSS,
    "Gauss2": _GAUSS,
    "DanWood": Model(_danwood, _danwood_jac),
    "Misra1b": Model(_misra1b, _misra1b_jac),
    "Kirby2": Model(*_rational(2, 2)),
    "Hahn1": _RATIONAL_3_3,
    "Nelson": Model(_nelson, _nelson_jac, response=np.log),
    "MGH17": Model(_mgh17, _mgh17_jac),
    "Lanczos1": _LANCZOS,
    "Lanczos2": _LANCZOS,
    "Gauss3": _GAUSS,
    "Misra1c": Model(_misra1c, _misra1c_jac),
    "Misra1d": Model(_misra1d, _misra1d_jac),
    "Roszman1": Model(_roszman1, _roszman1_jac),
    "ENSO": Model(_enso, _enso_jac),
    "MGH09": Model(_mgh09, _mgh09_jac),
    "Thurber": _RATIONAL_3_3,
    "BoxBOD": _EXP_RISE,
    "Rat42": Model(_rat42, _rat42_jac),
    "MGH10": Model(_mgh10, _mgh10_jac),
    "Eckerle4": Model(_eckerle4, _eckerle4_jac),
    "Rat43": Model(_rat43, _rat43_jac),
    "Bennett5": Model(_bennett5, _bennett5_jac),
}
