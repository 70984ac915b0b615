"""``pyminpack fit-many MODEL DATA --p0 ... -o OUT``: built-in models fitted to every curve of a file.

Oracles: ``fit_many`` called directly on the same arrays (the command must
write exactly its results), and the true parameters of noiseless data.
Every error is one line on stderr with exit status 2, and leaves no file
behind.  Most cases run in-process through ``main(argv)``; two run the real
process.
"""

import subprocess
import sys

import numpy as np
import pytest

from pyminpack import builtin_models, fit_many
from pyminpack._cli import main

GAUSS_2D = builtin_models()["gauss_2d"]
SPOTS_TRUE = np.array([[10.0, 2.2, 1.9, 1.1, 3.0], [8.0, 1.5, 2.5, 0.9, 1.0], [12.0, 2.0, 2.0, 1.3, 0.5]])
SPOT_START = [9.0, 2.0, 2.0, 1.0, 2.0]
STDERR_COLUMNS = [f"{name}_stderr" for name in GAUSS_2D.parameters]


def run(argv, capsys):
    """Run ``main(argv)`` in-process; return (status, stdout, stderr)."""
    status = main(["fit-many", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def read_csv(path):
    """The output CSV: its header and its rows as a float array."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0].split(","), np.array([[float(cell) for cell in line.split(",")] for line in lines[1:]])


def assert_written_as(path, fits, names):
    """The CSV at ``path`` holds exactly ``fits`` (repr round-trips every double)."""
    header, rows = read_csv(path)
    n = len(names)
    assert header == [*names, *(f"{name}_stderr" for name in names), "ier", "nfev", "chisqr"]
    np.testing.assert_array_equal(rows[:, :n], fits.params)
    np.testing.assert_array_equal(rows[:, n : 2 * n], fits.stderr)
    np.testing.assert_array_equal(rows[:, 2 * n], fits.ier)
    np.testing.assert_array_equal(rows[:, 2 * n + 1], fits.nfev)
    np.testing.assert_array_equal(rows[:, 2 * n + 2], fits.chisqr)


@pytest.fixture
def spots(tmp_path):
    """Three noiseless 5x5 spots as a (K, 5, 5) .npy stack."""
    path = tmp_path / "spots.npy"
    np.save(path, np.array([GAUSS_2D.values(p, m=25) for p in SPOTS_TRUE]).reshape(3, 5, 5))
    return path


def test_image_stack_to_csv_is_fit_many_on_the_flattened_spots(spots, tmp_path, capsys):
    status, out, err = run(["gauss_2d", spots, "--p0", "9,2,2,1,2", "-o", tmp_path / "fits.csv"], capsys)
    assert (status, err) == (0, "")
    assert out == f"gauss_2d: 3 fits, 3 converged, 0 failed; written to {tmp_path / 'fits.csv'}\n"
    expected = fit_many("gauss_2d", np.load(spots).reshape(3, 25), SPOT_START, workers=1)
    assert_written_as(tmp_path / "fits.csv", expected, GAUSS_2D.parameters)
    np.testing.assert_allclose(expected.params, SPOTS_TRUE, rtol=1e-9)


def test_npz_output_holds_the_arrays_and_the_names(spots, tmp_path, capsys):
    p0 = "amplitude=9, x0=2, y0=2, width=1, offset=2"
    status, _, _ = run(["gauss_2d", spots, "--p0", p0, "-o", tmp_path / "fits.npz", "--workers", "2"], capsys)
    assert status == 0
    expected = fit_many("gauss_2d", np.load(spots).reshape(3, 25), SPOT_START, workers=1)
    with np.load(tmp_path / "fits.npz", allow_pickle=False) as saved:
        assert sorted(saved.files) == ["chisqr", "ier", "nfev", "parameters", "params", "stderr"]
        assert saved["parameters"].tolist() == list(GAUSS_2D.parameters)
        for field in ("params", "stderr", "ier", "nfev", "chisqr"):
            np.testing.assert_array_equal(saved[field], getattr(expected, field))


def test_non_square_images_are_fitted_on_their_pixel_grid(tmp_path, capsys):
    rows, columns = 4, 7
    grid = np.stack([np.tile(np.arange(columns), rows), np.repeat(np.arange(rows), columns)]).astype(float)
    truth = np.array([[10.0, 3.2, 1.6, 1.1, 2.0], [7.0, 2.5, 2.1, 0.8, 1.0]])
    np.save(tmp_path / "spots.npy", np.array([GAUSS_2D.values(p, grid) for p in truth]).reshape(2, rows, columns))
    status, _, _ = run(["gauss_2d", tmp_path / "spots.npy", "--p0", "8,3,2,1,1.5", "-o", tmp_path / "f.csv"], capsys)
    assert status == 0
    _, written = read_csv(tmp_path / "f.csv")
    np.testing.assert_allclose(written[:, :5], truth, rtol=1e-9)


def test_csv_curves_with_x_sigma_and_p0_per_curve_from_files(tmp_path, capsys):
    t = np.linspace(0.0, 4.0, 9)
    decays = np.array([2.0 * np.exp(-t / 1.5) + 0.5, 3.0 * np.exp(-t / 0.7) - 0.2])
    decays[:, ::2] += 0.01  # residuals, so that the standard errors are not zero
    sigma = np.full_like(decays, 0.02)
    sigma[1] = 0.05
    starts = np.array([[1.0, 1.0, 0.0], [2.0, 0.5, 0.0]])
    np.savetxt(tmp_path / "decays.csv", decays, delimiter=",", header=",".join(f"t{i}" for i in range(9)))
    np.savetxt(tmp_path / "t.csv", t[:, None], delimiter=",")
    np.save(tmp_path / "sigma.npy", sigma)
    np.savetxt(tmp_path / "starts.csv", starts, delimiter=",")
    argv = ["exp_decay", tmp_path / "decays.csv", "--x", tmp_path / "t.csv", "--sigma", tmp_path / "sigma.npy"]
    status, _, err = run([*argv, "--p0", tmp_path / "starts.csv", "-o", tmp_path / "fits.csv"], capsys)
    assert (status, err) == (0, "")
    expected = fit_many("exp_decay", decays, starts, x=t, sigma=sigma, workers=1)
    assert_written_as(tmp_path / "fits.csv", expected, ("amplitude", "tau", "offset"))
    assert np.isfinite(expected.stderr).all() and (expected.stderr > 0).all()


def test_polynomial_takes_its_degree_from_p0(tmp_path, capsys):
    x = np.arange(6.0)
    np.save(tmp_path / "curves.npy", np.array([1 + 2 * x - 0.5 * x**2, 3 - x + 0.25 * x**2]))
    status, _, _ = run(["polynomial", tmp_path / "curves.npy", "--p0", "c0=0,c1=0,c2=0", "-o", tmp_path / "p.npz"],
                       capsys)  # fmt: skip
    assert status == 0
    with np.load(tmp_path / "p.npz") as saved:
        assert saved["parameters"].tolist() == ["c0", "c1", "c2"]
        np.testing.assert_allclose(saved["params"], [[1, 2, -0.5], [3, -1, 0.25]], atol=1e-12)


def test_failed_fits_are_written_with_their_ier_and_exit_status_1(spots, tmp_path, capsys):
    status, out, err = run(["gauss_2d", spots, "--p0", "9,2,2,1,2", "--maxfev", "2", "-o", tmp_path / "f.csv"], capsys)
    assert status == 1
    assert out.startswith("gauss_2d: 3 fits, 0 converged, 3 failed")
    assert (
        err == f"pyminpack: warning: 3 of 3 fits failed (ier not 1 to 4; see the ier column of {tmp_path / 'f.csv'})\n"
    )
    _, written = read_csv(tmp_path / "f.csv")
    assert (written[:, 10] == 5).all()  # MINPACK's INFO 5: maxfev reached
    assert np.isnan(written[:, 5:10]).all()


def test_bounds_by_name_and_fixed_parameters_are_fit_many_with_the_same_arrays(spots, tmp_path, capsys):
    argv = ["gauss_2d", spots, "--p0", "9,2,2,1,2", "--bounds", "width=0.5:1.2", "--bounds", "x0=0:,y0=:4"]
    status, _, err = run([*argv, "--fixed", "offset", "-o", tmp_path / "fits.csv"], capsys)
    assert (status, err) == (0, "")
    bounds = ([-np.inf, 0, -np.inf, 0.5, -np.inf], [np.inf, np.inf, 4, 1.2, np.inf])
    fixed = np.array([False, False, False, False, True])
    expected = fit_many("gauss_2d", np.load(spots).reshape(3, 25), SPOT_START, bounds=bounds, fixed=fixed, workers=1)
    assert_written_as(tmp_path / "fits.csv", expected, GAUSS_2D.parameters)
    # The offset, held at its p0 of 2, keeps its column: p0 and a standard error of 0.
    assert (expected.params[:, 4] == 2).all() and (expected.stderr[:, 4] == 0).all()
    # The bounds were applied: the first spot, whose width is 1.27 with --bounds width=0.5:3 (offset held at 2),
    # ends at the upper bound.
    assert (expected.params[:, 3] <= 1.2).all()
    np.testing.assert_allclose(expected.params[0, 3], 1.2, rtol=1e-6)


@pytest.mark.parametrize("sides", [("lower", "upper"), ("upper",)])
def test_bounds_per_curve_from_files_are_fit_many_with_the_same_arrays(sides, spots, tmp_path, capsys):
    # The lower bounds as one .csv row (shared, -inf for none), the upper ones a .npy row per curve: the
    # second spot's amplitude (8) is held below 7.
    lower = np.array([0.0, 0.0, 0.0, 0.5, -np.inf])
    upper = np.array([[20.0, 4.0, 4.0, 2.0, np.inf], [7.0, 4.0, 4.0, 2.0, np.inf], [20.0, 4.0, 4.0, 2.0, np.inf]])
    np.savetxt(tmp_path / "lower.csv", lower[None, :], delimiter=",")
    np.save(tmp_path / "upper.npy", upper)
    files = {"lower": ["--lower", tmp_path / "lower.csv"], "upper": ["--upper", tmp_path / "upper.npy"]}
    argv = ["gauss_2d", spots, "--p0", "amplitude=6,x0=2,y0=2,width=1,offset=2", "-o", tmp_path / "fits.npz"]
    status, _, err = run([*argv, *(word for side in sides for word in files[side])], capsys)
    assert (status, err) == (0, "")
    bounds = (lower if "lower" in sides else -np.inf, upper)
    expected = fit_many("gauss_2d", np.load(spots).reshape(3, 25), [6, 2, 2, 1, 2], bounds=bounds, workers=1)
    with np.load(tmp_path / "fits.npz", allow_pickle=False) as saved:
        for field in ("params", "stderr", "ier", "nfev", "chisqr"):
            np.testing.assert_array_equal(saved[field], getattr(expected, field))
    assert expected.params[1, 0] <= 7
    np.testing.assert_allclose(expected.params[1, 0], 7, rtol=1e-6)
    np.testing.assert_allclose(expected.params[[0, 2]], SPOTS_TRUE[[0, 2]], rtol=1e-7)


def test_fixed_polynomial_coefficient_named_after_p0(tmp_path, capsys):
    x = np.arange(6.0)
    curves = np.array([1 + 2 * x - 0.5 * x**2, 1 - x + 0.25 * x**2])
    np.save(tmp_path / "curves.npy", curves)
    argv = ["polynomial", tmp_path / "curves.npy", "--p0", "1,0,0", "--fixed", "c0", "--bounds", "c2=-1:1"]
    status, _, _ = run([*argv, "-o", tmp_path / "p.csv"], capsys)
    assert status == 0
    bounds = ([-np.inf, -np.inf, -1], [np.inf, np.inf, 1])
    expected = fit_many("polynomial", curves, [1.0, 0, 0], bounds=bounds, fixed=[True, False, False], workers=1)
    assert_written_as(tmp_path / "p.csv", expected, ("c0", "c1", "c2"))
    np.testing.assert_allclose(expected.params, [[1, 2, -0.5], [1, -1, 0.25]], atol=1e-7)


def make_bad_inputs(tmp_path):
    """Files for the error cases."""
    np.save(tmp_path / "spots48.npy", np.ones((2, 48)))
    np.save(tmp_path / "curves.npy", np.ones((2, 10)))
    np.save(tmp_path / "stack.npy", np.ones((2, 3, 3)))
    np.save(tmp_path / "tiny.npy", np.ones((2, 2, 2)))
    np.save(tmp_path / "nan.npy", np.array([[1.0, 2.0, np.nan, 4.0, 5.0]]))
    np.save(tmp_path / "strings.npy", np.array(["a", "b"]))
    np.save(tmp_path / "objects.npy", np.array([{}, 1], dtype=object), allow_pickle=True)
    np.save(tmp_path / "empty.npy", np.ones((0, 10)))
    np.save(tmp_path / "x9.npy", np.arange(9.0))
    np.save(tmp_path / "zero_sigma.npy", np.zeros(10))
    np.save(tmp_path / "starts3.npy", np.ones((3, 4)))
    np.save(tmp_path / "curves2.npy", np.ones((2, 2)))
    np.save(tmp_path / "zeros24.npy", np.zeros((2, 4)))
    np.save(tmp_path / "lower24.npy", np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]]))
    np.save(tmp_path / "upper24.npy", np.array([[10.0, 10.0, 10.0, 10.0], [10.0, 1.0, 10.0, 10.0]]))
    np.save(tmp_path / "nan_bounds.npy", np.array([0.0, np.nan, 0.0, 0.0]))
    (tmp_path / "nan_bounds.csv").write_text("0,0,nan,0\n", encoding="utf-8")
    (tmp_path / "notnpy.npy").write_bytes(b"not an array")
    (tmp_path / "ragged.csv").write_text("1,2,3\n4,5\n", encoding="utf-8")
    (tmp_path / "data.txt").write_text("1,2,3\n", encoding="utf-8")


# argv after "fit-many" (names are files in tmp_path, made by make_bad_inputs), and words of the message.
G1 = ["gauss_1d", "curves.npy"]
ERRORS = {
    "unknown model": (["gauss_3d", "curves.npy", "--p0", "1,2,3,4"], "MODEL: no built-in model is named 'gauss_3d'; the built-in models are gauss_1d, "),
    "p0 too short": ([*G1, "--p0", "1,2,3"], "--p0: model 'gauss_1d' takes 4 parameters (amplitude, x0, width, offset); p0 has 3"),
    "p0 not a number": ([*G1, "--p0", "1,2,three,4"], "--p0: value 2: 'three' is not a number"),
    "p0 nan": ([*G1, "--p0", "amplitude=nan,x0=1,width=1,offset=0"], "--p0: amplitude='nan' is not finite"),
    "p0 name missing": ([*G1, "--p0", "amplitude=1,x0=1,width=1"], "--p0: no value for offset"),
    "p0 unknown name": ([*G1, "--p0", "amplitude=1,x0=1,sigma=1,offset=0"], "--p0: 'sigma' is not a parameter of the model"),
    "p0 file rows": ([*G1, "--p0", "starts3.npy"], "--p0: starts3.npy has shape (3, 4); expected one row of parameters, or one row per curve (2)"),
    "not a square": (["gauss_2d", "spots48.npy", "--p0", "1,2,2,1,0"], "DATA: model 'gauss_2d' reads each row of spots48.npy as a square image, but a row holds 48 values"),
    "missing file": (["gauss_1d", "nowhere.npy", "--p0", "1,2,3,4"], "DATA: nowhere.npy: no such file"),
    "missing csv": (["gauss_1d", "nowhere.csv", "--p0", "1,2,3,4"], "DATA: nowhere.csv: no such file"),
    "directory": (["gauss_1d", "dir.npy", "--p0", "1,2,3,4"], "DATA: dir.npy: is a directory"),
    "not npy": (["gauss_1d", "notnpy.npy", "--p0", "1,2,3,4"], "DATA: notnpy.npy: cannot read it as a .npy array"),
    "pickled objects": (["gauss_1d", "objects.npy", "--p0", "1,2,3,4"], "DATA: objects.npy: cannot read it as a .npy array"),
    "strings": (["gauss_1d", "strings.npy", "--p0", "1,2,3,4"], "DATA: strings.npy: holds <U1, not real numbers"),
    "nan": (["gauss_1d", "nan.npy", "--p0", "1,2,3,4"], "DATA: nan.npy: the value at index (0, 2) is nan (not finite)"),
    "empty": (["gauss_1d", "empty.npy", "--p0", "1,2,3,4"], "DATA: empty.npy holds no data points (shape (0, 10))"),
    "ragged csv": (["gauss_1d", "ragged.csv", "--p0", "1,2,3,4"], "DATA: ragged.csv, line 2: 2 cells where the first row has 3"),
    "other extension": (["gauss_1d", "data.txt", "--p0", "1,2,3,4"], "DATA: 'data.txt' is neither a .npy nor a .csv file"),
    "stack for a 1-D model": (["gauss_1d", "stack.npy", "--p0", "1,2,3,4"], "DATA: stack.npy has shape (2, 3, 3); expected one curve per row, (K, m) (a stack of images is for the 2-D models)"),
    "too few points": (["gauss_2d", "tiny.npy", "--p0", "1,1,1,1,0"], "DATA: 4 points per curve are too few for 5 parameters"),
    "x wrong size": ([*G1, "--p0", "1,2,3,4", "--x", "x9.npy"], "--x: model 'gauss_1d' needs 10 abscissae, one per point; got shape (9,)"),
    "x of a 2-D model": (["gauss_2d", "stack.npy", "--p0", "1,1,1,1,0", "--x", "x9.npy"], "--x: model 'gauss_2d' needs the (x, y) coordinates of 9 points, shape (2, 9) or (9, 2); got shape (9,)"),
    "sigma wrong size": ([*G1, "--p0", "1,2,3,4", "--sigma", "x9.npy"], "--sigma: expected 10 uncertainties (one per point) or 2 rows of 10 (one row per curve); got shape (9,)"),
    "sigma zero": ([*G1, "--p0", "1,2,3,4", "--sigma", "zero_sigma.npy"], "--sigma: the uncertainties must all be positive"),
    "output extension": ([*G1, "--p0", "1,2,3,4", "-o", "fits.json"], "--output: 'fits.json' must end in .csv or .npz"),
    "output directory": ([*G1, "--p0", "1,2,3,4", "-o", "nowhere/fits.csv"], "--output: the directory 'nowhere' does not exist"),
    "workers zero": ([*G1, "--p0", "1,2,3,4", "--workers", "0"], "argument --workers: '0' is less than 1"),
    "maxfev negative": ([*G1, "--p0", "1,2,3,4", "--maxfev", "-3"], "argument --maxfev: '-3' is negative"),
    "p0 missing": (G1, "the following arguments are required: --p0"),
    "bounds unknown name": ([*G1, "--p0", "1,2,3,4", "--bounds", "sigma=0:1"], "--bounds: 'sigma' is not a parameter of the model (its parameters: amplitude, x0, width, offset)"),
    "bounds not an interval": ([*G1, "--p0", "1,2,3,4", "--bounds", "width=2"], "--bounds: width='2' is not of the form lower:upper"),
    "bounds crossed": ([*G1, "--p0", "1,2,3,4", "--bounds", "width=2:1"], "--bounds: Each lower bound must be strictly less than each upper bound; parameter width has lower bound 2 >= upper bound 1."),
    "p0 outside bounds": ([*G1, "--p0", "1,2,3,4", "--bounds", "width=5:6"], "Initial guess p0[2] = 3 is outside its bounds [5, 6]; start every parameter within its bounds."),
    "p0 outside a curve's bounds": ([*G1, "--p0", "1,2,3,4", "--lower", "zeros24.npy", "--upper", "upper24.npy"], "Initial guess p0[1] = 2 is outside its bounds [0, 1] on curve 1; start every parameter within its bounds."),
    "lower rows": ([*G1, "--p0", "1,2,3,4", "--lower", "starts3.npy"], "--lower/--upper: The lower bounds must be a scalar, have one entry per parameter (N=4) or one row per curve (K, N) = (2, 4); got shape (3, 4)."),
    "upper length": ([*G1, "--p0", "1,2,3,4", "--upper", "x9.npy"], "--lower/--upper: The upper bounds must be a scalar or have one entry per parameter (N=4); got shape (9,)."),
    "lower crossed per curve": ([*G1, "--p0", "1,2,3,4", "--lower", "lower24.npy", "--upper", "upper24.npy"], "--lower/--upper: Each lower bound must be strictly less than each upper bound; parameter x0 of curve 1 has lower bound 2 >= upper bound 1."),
    "lower nan npy": ([*G1, "--p0", "1,2,3,4", "--lower", "nan_bounds.npy"], "--lower: nan_bounds.npy: the value at index (1,) is nan (not a bound)"),
    "upper nan csv": ([*G1, "--p0", "1,2,3,4", "--upper", "nan_bounds.csv"], "--upper: nan_bounds.csv, line 1, column 2: 'nan' is not a bound (nan)"),
    "bounds file missing": ([*G1, "--p0", "1,2,3,4", "--upper", "nowhere.npy"], "--upper: nowhere.npy: no such file"),
    "bounds both ways": ([*G1, "--p0", "1,2,3,4", "--bounds", "width=0:", "--lower", "zeros24.npy"], "--bounds: give the bounds by name with --bounds or in files with --lower/--upper, not both"),
    "fixed unknown name": ([*G1, "--p0", "1,2,3,4", "--fixed", "offset,sigma"], "--fixed: 'sigma' is not a parameter of the model (its parameters: amplitude, x0, width, offset)"),
    "fixed twice": ([*G1, "--p0", "1,2,3,4", "--fixed", "offset, offset"], "--fixed: 'offset' is given twice"),
    "fixed everything": ([*G1, "--p0", "1,2,3,4", "--fixed", "amplitude,x0,width,offset"], "fixed holds every parameter; at least one must be fitted."),
    "too few points for those fitted": (["gauss_1d", "curves2.npy", "--p0", "1,2,3,4", "--fixed", "x0"], "DATA: 2 points per curve are too few for 3 parameters (amplitude, width, offset)"),
}  # fmt: skip


@pytest.mark.parametrize("case", ERRORS)
def test_bad_input_is_one_line_exit_2_and_nothing_written(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_bad_inputs(tmp_path)
    (tmp_path / "dir.npy").mkdir()
    before = sorted(tmp_path.iterdir())
    argv, words = ERRORS[case]
    if "-o" not in argv:
        argv = [*argv, "-o", "fits.csv"]
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("pyminpack") and "error: " in err, err
    assert words in err
    assert sorted(tmp_path.iterdir()) == before


def test_unwritable_output_is_a_one_line_error(spots, tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pyminpack._atomic_write.tempfile.mkstemp", refuse)
    status, out, err = run(["gauss_2d", spots, "--p0", "9,2,2,1,2", "-o", tmp_path / "f.npz"], capsys)
    assert (status, out) == (2, "")
    assert err == "pyminpack: error: cannot write the output: [Errno 13] Permission denied\n"
    assert not (tmp_path / "f.npz").exists()


def test_help_names_the_models_layout_and_exit_statuses(capsys):
    assert main(["fit-many", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert all(name in out for name in builtin_models())
    assert "1 some fits failed (ier not 1 to 4): the output is written all the same" in out
    assert "2 usage or input error" in out and "nothing is written" in out
    assert "(K, rows, columns) .npy stack" in out
    assert "--bounds NAME=LOW:HIGH,..." in out and "--lower FILE" in out and "--upper FILE" in out
    assert "--fixed NAME,..." in out and "A fixed parameter keeps its column: its p0, and a standard error of 0" in out


def test_python_m_pyminpack_fit_many_end_to_end(spots, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "pyminpack", "fit-many", "GAUSS_2D", str(spots), "--p0", "9,2,2,1,2", "-o", "f.npz"],
        capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert completed.stdout == "gauss_2d: 3 fits, 3 converged, 0 failed; written to f.npz\n"
    with np.load(tmp_path / "f.npz") as saved:
        np.testing.assert_allclose(saved["params"], SPOTS_TRUE, rtol=1e-9)


def test_errors_from_the_real_process_have_no_traceback(tmp_path):
    np.save(tmp_path / "spots48.npy", np.ones((2, 48)))
    completed = subprocess.run(
        [sys.executable, "-m", "pyminpack", "fit-many", "gauss_2d", "spots48.npy", "--p0", "1,2,2,1,0", "-o", "f.csv"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and "48 values, not a square number" in completed.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["spots48.npy"]
