"""``FitResult.report()``: lmfit's fit_report layout, golden files, and numbers that match the result.

The golden fits are linear in their parameters, so their numbers are the
closed-form least-squares solution to the digits shown (checked in
``tests/test_fit.py``); the golden files pin the layout.  See
``tests/data/README.md`` for how they were made.
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from pyminpack import fit
from pyminpack._fitting.report import format_number

GOLDEN = Path(__file__).parent / "data" / "golden"
#: Set to 1 to rewrite the golden files from the current output (then review the diff).
REGENERATE_ENV = "PYMINPACK_REGENERATE_GOLDEN"


def line(x, slope, intercept):
    return slope * x + intercept


def decay_rate_series(x, *p):
    return p[0] + p[1] * x + p[2] * x**2


#: golden file -> (fit arguments, report arguments)
GOLDEN_FITS = {
    "report_line.txt": (
        lambda: fit(line, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0]),
        {},
    ),
    "report_unnamed_weighted.txt": (
        lambda: fit(
            decay_rate_series,
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            [1.0, 0.52, 0.31, 0.33, 0.48, 1.1],
            p0=[1.0, 1.0, 1.0],
            sigma=[0.1, 0.1, 0.05, 0.05, 0.1, 0.2],
        ),
        {"min_correl": 0.5},
    ),
}


@pytest.mark.parametrize("name", GOLDEN_FITS)
def test_report_matches_golden_file(name):
    make_fit, report_arguments = GOLDEN_FITS[name]
    report = make_fit().report(**report_arguments) + "\n"
    path = GOLDEN / name
    if os.environ.get(REGENERATE_ENV) == "1":
        path.write_text(report, encoding="utf-8")
    assert report == path.read_text(encoding="utf-8")


def test_report_sections_are_lmfits():
    report = GOLDEN_FITS["report_line.txt"][0]().report()
    headers = [line for line in report.splitlines() if line.startswith("[[")]
    assert headers == [
        "[[Model]]",
        "[[Fit Statistics]]",
        "[[Variables]]",
        "[[Correlations]] (unreported correlations are < 0.100)",
    ]


def test_variables_show_value_stderr_percent_and_init():
    result = fit(line, [0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0], p0=[2.5, -0.5])
    lines = dict(re.findall(r"^    (\w+):\s+(.*)$", result.report(), flags=re.MULTILINE))
    for name, value, stderr, init in zip(result.names, result.values, result.stderr, result.init_values, strict=False):
        number = r"\s*(-?[\d.e+-]+)"
        match = re.fullmatch(rf"{number} \+/-{number} \(([\d.]+)%\) \(init = (\S+)\)", lines[name])
        assert match, lines[name]
        assert float(match[1]) == pytest.approx(value, abs=1e-8)
        assert float(match[2]) == pytest.approx(stderr, abs=1e-8)
        assert float(match[3]) == pytest.approx(100 * stderr / abs(value), abs=0.005)
        assert float(match[4]) == init


@pytest.mark.parametrize(("min_correl", "shown"), [(0.0, 3), (0.7, 2), (0.9, 1), (0.99, 0)])
def test_correlations_above_threshold_sorted_by_size(min_correl, shown):
    x = np.linspace(0.0, 4.0, 9)
    y = 0.3 + 0.2 * x + 0.1 * x**2 + 0.01 * np.cos(5 * x)
    result = fit(lambda x, a, b, c: a + b * x + c * x**2, x, y)
    correlations = re.findall(
        r"^    C\((\w), (\w)\)\s* = ([+-][\d.]+)$",
        result.report(min_correl),
        flags=re.MULTILINE,
    )
    assert len(correlations) == shown
    sizes = [abs(float(value)) for *_, value in correlations]
    assert sizes == sorted(sizes, reverse=True)
    assert all(size > min_correl for size in sizes)
    index = {name: i for i, name in enumerate(result.names)}
    for first, second, value in correlations:
        assert float(value) == pytest.approx(result.correlation[index[first], index[second]], abs=5e-5)
    assert ("[[Correlations]]" in result.report(min_correl)) == (shown > 0)


def test_failed_fit_report_says_so():
    x = np.linspace(0.0, 5.0, 20)
    result = fit(lambda x, a, b: a * np.exp(-b * x), x, 2 * np.exp(-x), maxfev=4)
    report = result.report()
    assert "##  Warning: the fit did not converge: Number of calls to function has reached maxfev = 4." in report
    assert "+/-" not in report  # no uncertainties for a failed fit


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.98, " 1.98000000"),
        (-0.04242641, "-0.04242641"),
        (123456.789, " 123456.789"),
        (12345678.9, " 12345678.9"),
        (1.5e9, " 1.5000e+09"),
        (2.5e-7, " 2.5000e-07"),
        (0.0, " 0.00000000"),
        (float("nan"), "        nan"),
        (float("-inf"), "       -inf"),
    ],
)
def test_numbers_are_eleven_characters(value, text):
    assert format_number(value) == text
    assert len(text) == 11
