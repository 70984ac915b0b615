"""The command line, ``python -m pyminpack`` / ``pyminpack``: ``demo`` and ``fit``.

Oracles: the closed-form least-squares line for the fitted values; the
statuses and one-line errors the ``--help`` text promises.  Most cases run
in-process through ``main(argv)``; a few run the real process to check the
module entry point, the exit status and the absence of tracebacks.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pyminpack._cli import main
from pyminpack._cli.demo import TUTORIAL_FITS, plot_file_name

X = np.linspace(0.0, 4.0, 9)
NOISE = np.array([0.05, -0.03, 0.02, -0.06, 0.04, 0.01, -0.02, 0.03, -0.04])
Y = 1.5 * X - 0.7 + NOISE
SLOPE, INTERCEPT = np.polyfit(X, Y, 1)  # the oracle of "a*x + b"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def data(tmp_path):
    """A CSV file with a header: x, y, err, t."""
    rows = "\n".join(f"{x!r},{y!r},0.05,{x!r}" for x, y in zip(X.tolist(), Y.tolist(), strict=False))
    return write(tmp_path / "data.csv", f"x,y,err,t\n{rows}\n")


@pytest.fixture
def headerless(tmp_path):
    rows = "\n".join(f"{y!r}, {x!r}" for x, y in zip(X.tolist(), Y.tolist(), strict=False))
    return write(tmp_path / "plain.csv", rows + "\n")


HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def run(argv, capsys):
    """Run ``main(argv)`` in-process; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def reported_values(report: str) -> dict[str, float]:
    values = {}
    for line in report.splitlines():
        name, colon, rest = line.strip().partition(":")
        if colon and line.startswith("    ") and "+/-" in rest:
            values[name] = float(rest.split()[0])
    return values


# --- demo ---------------------------------------------------------------------------------------


def test_demo_prints_three_reports(capsys):
    status, out, err = run(["demo"], capsys)
    assert (status, err) == (0, "")
    assert out.count("[[Fit Statistics]]") == 3
    for example in TUTORIAL_FITS:
        assert f"{example.name}: y = {example.formula}\n[[Model]]" in out


def test_demo_plot_writes_the_three_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status, out, _ = run(["demo", "--plot", tmp_path / "plots"], capsys)
    assert status == 0 and out.count("[[Model]]") == 3
    names = sorted(path.name for path in (tmp_path / "plots").iterdir())
    assert names == sorted(plot_file_name(example) for example in TUTORIAL_FITS)
    assert all((tmp_path / "plots" / name).read_bytes().startswith(b"\x89PNG") for name in names)


# --- fit: results -------------------------------------------------------------------------------


def test_fit_prints_the_report_with_the_least_squares_line(data, capsys):
    status, out, err = run(["fit", data, "--model", "a*x + b"], capsys)
    assert (status, err) == (0, "")
    assert out.startswith(f"[[Data]]\n    {data}: y against x, 9 points\n[[Model]]\n    a*x + b\n")
    values = reported_values(out)
    # The report shows 8 decimals; MINPACK's xtol = 1.5e-8 bounds the difference.
    assert values == pytest.approx({"a": SLOPE, "b": INTERCEPT}, abs=1e-7)


def test_fit_columns_by_index_without_header(headerless, capsys):
    status, out, _ = run(["fit", headerless, "--x", "1", "--y", "0", "--model", "a*x + b"], capsys)
    assert status == 0
    assert reported_values(out) == pytest.approx({"a": SLOPE, "b": INTERCEPT}, abs=1e-7)


def test_x_column_name_is_the_variable_of_the_model(data, capsys):
    status, out, _ = run(["fit", data, "--x", "t", "--model", "slope*t + offset"], capsys)
    assert status == 0
    assert "y against t" in out
    assert reported_values(out) == pytest.approx({"slope": SLOPE, "offset": INTERCEPT}, abs=1e-7)


def test_json_output_holds_values_errors_covariance_and_statistics(data, capsys):
    status, out, _ = run(
        [
            "fit",
            data,
            "--model",
            "a*x + b",
            "--sigma",
            "err",
            "--p0",
            "a=2,b=0",
            "--json",
        ],
        capsys,
    )
    assert status == 0
    result = json.loads(out)
    assert result["params"] == pytest.approx({"a": SLOPE, "b": INTERCEPT}, abs=1e-7)
    assert result["init_values"] == {"a": 2.0, "b": 0.0}
    # Equal sigma: the relative weights change nothing; chi-square is in units of sigma.
    assert result["statistics"]["chisqr"] == pytest.approx(np.sum((Y - SLOPE * X - INTERCEPT) ** 2) / 0.05**2, rel=1e-9)
    covariance = np.array(result["covariance"])
    np.testing.assert_allclose(np.sqrt(np.diag(covariance)), list(result["stderr"].values()), rtol=1e-15)
    assert result["success"] is True and result["ier"] in (1, 2, 3, 4)
    assert set(result["statistics"]) == {
        "nfev",
        "ndata",
        "nvarys",
        "chisqr",
        "redchi",
        "aic",
        "bic",
        "r_squared",
    }


def test_json_to_a_file_and_plot(data, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    json_path, plot_path = tmp_path / "out" / "fit.json", tmp_path / "out" / "fit.svg"
    json_path.parent.mkdir()
    status, out, _ = run(
        ["fit", data, "--model", "a*x + b", "--json", json_path, "--plot", plot_path],
        capsys,
    )
    assert (status, out) == (0, "")
    assert json.loads(json_path.read_text())["params"] == pytest.approx({"a": SLOPE, "b": INTERCEPT}, abs=1e-7)
    assert plot_path.read_text().startswith("<?xml")
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["fit.json", "fit.svg"]


def test_bounds_hold_a_parameter(data, capsys):
    # The unconstrained slope is 1.5; bounded above by 1.2 the fit ends at the bound.
    status, out, err = run(["fit", data, "--model", "a*x + b", "--bounds", "a=0:1.2", "--json"], capsys)
    assert status == 0
    assert 1.19 < json.loads(out)["params"]["a"] <= 1.2
    assert err.startswith("pyminpack: warning: ") and err.count("\n") == 1


def test_bounds_with_one_open_side_parse():
    from pyminpack._cli.fit_command import parse_bounds_option

    lower, upper = parse_bounds_option(["a=0:", "b=:inf,c=-1:1"], ("a", "b", "c"))
    np.testing.assert_array_equal(lower, [0.0, -np.inf, -1.0])
    np.testing.assert_array_equal(upper, [np.inf, np.inf, 1.0])


# --- fit: errors --------------------------------------------------------------------------------

#: case -> (file content or None for no file, extra arguments, expected status, words of the message)
ERRORS = {
    "missing file": (None, [], 2, "no such file"),
    "empty file": ("", [], 2, "holds no data"),
    "header only": ("x,y\n", [], 2, "no data rows"),
    "ragged": ("x,y\n1,2\n3\n4,5\n", [], 2, "line 3: 1 cells where the header has 2"),
    "non-numeric cell": ("x,y\n1,2\n3,abc\n4,5\n", [], 2, "line 3, column 1: 'abc' is not a number"),
    "nan cell": ("x,y\n1,2\n3,nan\n4,5\n", [], 2, "line 3, column 1: 'nan' is not finite"),
    "inf cell": ("1,2\n3,4\n-inf,5\n", [], 2, "line 3, column 0: '-inf' is not finite"),
    "unknown column": ("x,y\n1,2\n3,4\n", ["--y", "z"], 2, "no column named 'z' (the columns are x, y)"),
    "column index too large": ("1,2\n3,4\n", ["--y", "5"], 2, "no column 5"),
    "column name without header": ("1,2\n3,4\n", ["--x", "t"], 2, "the file has no header"),
    "too few points": ("x,y\n1,2\n", ["--model", "a*x + b"], 2, "1 data points are too few for 2 parameters"),
    "hostile model": ("x,y\n1,2\n3,4\n", ["--model", "__import__('os').system('echo hi')"], 2, "--model: calls of"),
    "syntax error": ("x,y\n1,2\n3,4\n", ["--model", "a*x +"], 2, "--model: invalid syntax"),
    "model not finite at start": ("x,y\n1,2\n3,4\n5,6\n", ["--model", "log(-a*x) + b"], 2, "not finite at the starting point (a=1, b=1)"),
    "unknown p0 name": ("x,y\n1,2\n3,4\n", ["--p0", "q=1"], 2, "--p0: 'q' is not a parameter of the model"),
    "p0 not a number": ("x,y\n1,2\n3,4\n", ["--p0", "a=one"], 2, "--p0: a='one' is not a number"),
    "p0 not an assignment": ("x,y\n1,2\n3,4\n", ["--p0", "a"], 2, "--p0: expected name=value"),
    "bounds malformed": ("x,y\n1,2\n3,4\n", ["--bounds", "a=0"], 2, "not of the form lower:upper"),
    "bound nan": ("x,y\n1,2\n3,4\n", ["--bounds", "a=nan:1"], 2, "--bounds: a='nan' is not a bound (nan)"),
    "bound not a number": ("x,y\n1,2\n3,4\n", ["--bounds", "a=0:big"], 2, "--bounds: a='big' is not a number"),
    "bounds reversed": ("x,y\n1,2\n3,4\n", ["--bounds", "a=2:1"], 2, "--bounds: Each lower bound must be strictly less than each upper bound; parameter a has lower bound 2 >= upper bound 1."),
    "p0 outside bounds": ("x,y\n1,2\n3,4\n5,7\n", ["--p0", "a=5", "--bounds", "a=0:1"], 2, "bound"),
    "sigma not positive": ("x,y,s\n1,2,0.1\n3,4,0\n", ["--sigma", "s"], 2, "must all be positive"),
    "plot suffix": ("x,y\n1,2\n3,4\n", ["--plot", "fit.pdf"], 2, "use .png or .svg"),
    "plot directory missing": ("x,y\n1,2\n3,4\n", ["--plot", "nowhere/fit.png"], 2, "does not exist"),
    "maxfev negative": ("x,y\n1,2\n3,4\n", ["--maxfev", "-1"], 2, "'-1' is negative"),
    "no convergence": ("x,y\n0,3\n1,1.9\n2,1.35\n3,1.1\n4,1.02\n", ["--model", "a*exp(-b*x) + c", "--maxfev", "5"], 1,
                       "fit failed: Number of calls to function has reached maxfev = 5."),
}  # fmt: skip


def error_argv(tmp_path, case):
    content, extra, _, _ = ERRORS[case]
    path = tmp_path / "data.csv"
    if content is not None:
        write(path, content)
    argv = ["fit", path]
    if "--model" not in extra:
        argv += ["--model", "a*x + b"]
    # Outputs that must not appear: no partial file on any error.  (--plot is
    # refused up front without matplotlib, which would mask the error tested.)
    outputs = [] if "--plot" in extra or not HAVE_MATPLOTLIB else ["--plot", tmp_path / "out.png"]
    return [*argv, *extra, *outputs, "--json", tmp_path / "out.json"]


@pytest.mark.parametrize("case", ERRORS)
def test_bad_input_is_one_line_on_stderr_and_an_exit_status(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, _, expected_status, words = ERRORS[case]
    status, out, err = run(error_argv(tmp_path, case), capsys)
    assert status == expected_status
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("pyminpack") and "error: " in err, err
    assert words in err
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "out.json").exists()
    assert {path.name for path in tmp_path.iterdir()} <= {"data.csv"}


@pytest.mark.parametrize("case", ["missing file", "hostile model", "no convergence"])
def test_errors_from_the_real_process_have_no_traceback(case, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "pyminpack", *map(str, error_argv(tmp_path, case))],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert completed.returncode == ERRORS[case][2]
    assert "Traceback" not in completed.stderr
    assert completed.stderr.count("\n") == 1 and ERRORS[case][3] in completed.stderr


def test_directory_as_data_file(tmp_path, capsys):
    status, _, err = run(["fit", tmp_path, "--model", "a*x"], capsys)
    assert status == 2 and "is a directory" in err


def test_file_that_is_not_text(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xff\xfe\x00\x81x,y\n")
    status, _, err = run(["fit", path, "--model", "a*x"], capsys)
    assert status == 2 and "cannot read it" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "data.csv"],
        ["bogus"],
        ["fit", "data.csv", "--model", "a*x", "--unknown"],
    ],
)
def test_usage_errors_are_one_line_with_status_2(argv, capsys):
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "error: " in err and "--help" in err


def test_missing_matplotlib_for_plot_is_a_usage_error(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    expected = "pyminpack: error: plotting needs matplotlib: pip install pyminpack[plot]\n"
    for argv in (
        ["fit", data, "--model", "a*x + b", "--plot", tmp_path / "fit.png"],
        ["demo", "--plot", tmp_path / "plots"],
    ):
        status, out, err = run(argv, capsys)
        assert (status, out, err) == (2, "", expected)
    assert not (tmp_path / "fit.png").exists() and not (tmp_path / "plots").exists()


def test_unwritable_output_is_a_one_line_error(data, tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pyminpack._atomic_write.tempfile.mkstemp", refuse)
    status, out, err = run(["fit", data, "--model", "a*x + b", "--json", tmp_path / "fit.json"], capsys)
    assert (status, out) == (2, "")
    assert err == "pyminpack: error: cannot write the output: [Errno 13] Permission denied\n"


def test_help_documents_the_exit_statuses(capsys):
    assert main(["fit", "--help"]) == 0
    out = capsys.readouterr().out
    assert "1  the fit failed" in out and "2  usage or input error" in out
    assert "exp, log, log10, sqrt" in out


def test_python_m_pyminpack_fit_end_to_end(data, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "pyminpack", "fit", str(data), "--model", "a*x + b", "--json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(completed.stdout)["params"] == pytest.approx({"a": SLOPE, "b": INTERCEPT}, abs=1e-7)
