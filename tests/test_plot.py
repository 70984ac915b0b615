"""``FitResult.plot``: the figure's content, the files it writes, and a clear error without matplotlib."""

import importlib.util
import sys

import numpy as np
import pytest

from pyminpack import fit
from pyminpack._fitting.plot import CURVE_POINTS, MISSING_MATPLOTLIB

#: matplotlib is in the ``test`` extra; only the missing-matplotlib test runs without it.
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")
if importlib.util.find_spec("matplotlib") is not None:
    import matplotlib

    matplotlib.use("Agg")

X = np.linspace(0.0, 5.0, 20)
Y = 2.0 * np.exp(-1.5 * X) + 0.5 + 0.02 * np.cos(3 * X)


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


@pytest.fixture(scope="module")
def result():
    return fit(decay, X, Y)


@needs_matplotlib
def test_figure_has_data_and_residual_axes_with_labels(result):
    figure = result.plot(xlabel="time", ylabel="signal")
    data_axes, residual_axes = figure.axes
    assert (data_axes.get_xlabel(), data_axes.get_ylabel()) == ("", "signal")
    assert (residual_axes.get_xlabel(), residual_axes.get_ylabel()) == (
        "time",
        "residual",
    )
    assert [text.get_text() for text in data_axes.get_legend().get_texts()] == [
        "data",
        "fit",
    ]
    assert data_axes.get_title() == "decay"


@needs_matplotlib
def test_model_curve_is_on_a_fine_grid_and_residuals_are_plotted(result):
    data_axes, residual_axes = result.plot().axes
    curve = next(line for line in data_axes.get_lines() if line.get_label() == "fit")
    curve_x, curve_y = curve.get_data()
    np.testing.assert_allclose(curve_x, np.linspace(X.min(), X.max(), CURVE_POINTS), rtol=1e-15)
    np.testing.assert_allclose(curve_y, decay(curve_x, *result.values), rtol=1e-15)
    residual_points = residual_axes.get_lines()[-1]
    np.testing.assert_allclose(
        residual_points.get_ydata(),
        Y - decay(X, *result.values),
        rtol=1e-12,
        atol=1e-15,
    )


@needs_matplotlib
def test_sigma_gives_error_bars():
    sigma = np.full(X.size, 0.05)
    data_axes = fit(decay, X, Y, sigma=sigma).plot().axes[0]
    assert len(data_axes.containers) == 1  # the errorbar container
    bars = data_axes.containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose([segment[1, 1] - segment[0, 1] for segment in bars], 2 * sigma, rtol=1e-12)


@needs_matplotlib
def test_multidimensional_x_is_plotted_against_the_point_index():
    x = np.vstack([X, X**2])
    result = fit(lambda x, a, b: a * x[0] + b * x[1], x, 2 * X + 0.5 * X**2 + 0.01 * np.sin(X))
    figure = result.plot()
    assert figure.axes[1].get_xlabel() == "data point"
    np.testing.assert_array_equal(figure.axes[1].get_lines()[-1].get_xdata(), np.arange(X.size))


@needs_matplotlib
@pytest.mark.parametrize(
    ("suffix", "signature"),
    [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml"), (".SVG", b"<?xml")],
)
def test_path_writes_png_or_svg_by_suffix(result, tmp_path, suffix, signature):
    path = tmp_path / f"fit{suffix}"
    result.plot(path)
    assert path.read_bytes().startswith(signature)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@needs_matplotlib
def test_unknown_suffix_is_refused_before_anything_is_written(result, tmp_path):
    with pytest.raises(ValueError, match=r"use \.png or \.svg"):
        result.plot(tmp_path / "fit.pdf")
    assert list(tmp_path.iterdir()) == []


@needs_matplotlib
def test_failed_savefig_leaves_no_file(result, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def failing_savefig(self, path, **kwargs):
        path.write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    with pytest.raises(OSError, match="disk full"):
        result.plot(tmp_path / "fit.png")
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_is_a_clear_import_error(result, monkeypatch):
    # None in sys.modules makes "import matplotlib.figure" raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"^plotting needs matplotlib: pip install pyminpack\[plot\]$"):
        result.plot()
    assert MISSING_MATPLOTLIB == "plotting needs matplotlib: pip install pyminpack[plot]"
