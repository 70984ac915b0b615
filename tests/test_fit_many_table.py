"""fit_many's results as a table: named columns, with numpy alone or with pandas."""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

from pyminpack import ManyFits, builtin_models, fit_many

SPOT = builtin_models()["gauss_2d"]
TRUTH = np.array([[10.0, 2.2, 1.9, 1.1, 3.0], [8.0, 1.5, 2.5, 0.9, 1.0]])
COLUMNS = [
    *SPOT.parameter_names(5),
    *(f"{name}_stderr" for name in SPOT.parameter_names(5)),
    "ier",
    "nfev",
    "chisqr",
]


@pytest.fixture(scope="module")
def fits() -> ManyFits:
    spots = [SPOT.values(params, m=25) + 0.01 * np.cos(np.arange(25.0) * (k + 1)) for k, params in enumerate(TRUTH)]
    return fit_many("gauss_2d", spots, [9.0, 2.0, 2.0, 1.0, 2.0], workers=1)


def test_a_builtin_models_fits_are_named_by_its_parameters(fits):
    assert fits.names == SPOT.parameter_names(5)
    columns = fits.to_dict()
    assert list(columns) == COLUMNS
    for j, name in enumerate(fits.names):
        np.testing.assert_array_equal(columns[name], fits.params[:, j])
        np.testing.assert_array_equal(columns[f"{name}_stderr"], fits.stderr[:, j])
    for field in ("ier", "nfev", "chisqr"):
        np.testing.assert_array_equal(columns[field], getattr(fits, field))


def test_a_compiled_models_parameters_are_named_in_the_order_of_p0():
    fits = ManyFits(np.zeros((4, 3)), np.ones(4, np.int32), np.ones(4, np.int32), np.zeros(4), np.zeros((4, 3)))
    assert fits.names == ("p0", "p1", "p2")
    assert list(fits.to_dict())[:6] == ["p0", "p1", "p2", "p0_stderr", "p1_stderr", "p2_stderr"]


def test_records_without_pandas(fits):
    table = fits.to_records()
    assert table.shape == (2,) and list(table.dtype.names) == COLUMNS
    assert table.dtype["ier"] == np.int32 and table.dtype["amplitude"] == np.float64
    np.testing.assert_array_equal(table["x0"], fits.params[:, 1])
    np.testing.assert_array_equal(table["chisqr"], fits.chisqr)


def test_pandas_data_frame(fits):
    pd = pytest.importorskip("pandas")
    frame = fits.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == COLUMNS and len(frame) == 2
    np.testing.assert_array_equal(frame["width"].to_numpy(), fits.params[:, 3])
    assert frame["ier"].dtype == np.int32


def test_to_pandas_without_pandas_says_what_to_use(fits, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError, match=r"^ManyFits.to_pandas needs pandas .*to_dict\(\) and to_records"):
        fits.to_pandas()


def test_still_a_named_tuple_of_five_arrays(fits):
    params, _ier, _nfev, chisqr, stderr = fits
    assert ManyFits._fields == ("params", "ier", "nfev", "chisqr", "stderr")
    assert params is fits.params and stderr is fits.stderr
    replaced = fits._replace(chisqr=chisqr * 2)
    assert replaced.names == fits.names and replaced.chisqr.tolist() == (2 * chisqr).tolist()
    with pytest.raises(TypeError, match="unexpected field names"):
        fits._replace(cost=1)
    copy = pickle.loads(pickle.dumps(fits))
    assert copy.names == fits.names
    np.testing.assert_array_equal(copy.params, fits.params)


def test_names_must_fit_the_parameters():
    with pytest.raises(ValueError, match=r"^names must name the 2 parameters; got 3 names\.$"):
        ManyFits(np.zeros((1, 2)), np.ones(1, np.int32), np.ones(1, np.int32), np.zeros(1), np.zeros((1, 2)), "abc")
    clash = ManyFits(
        np.zeros((1, 2)), np.ones(1, np.int32), np.ones(1, np.int32), np.zeros(1), np.zeros((1, 2)), ("ier", "b")
    )
    with pytest.raises(ValueError, match=r"clash with each other or with the other columns"):
        clash.to_dict()


# ---- _replace and to_pandas in detail (pinned by mutation testing) ----


def test_replace_renames_the_parameters_and_keeps_every_array(fits):
    renamed = fits._replace(names=("a", "x0", "y0", "w", "c"))
    assert renamed.names == ("a", "x0", "y0", "w", "c") and list(renamed.to_dict())[:2] == ["a", "x0"]
    for field in ManyFits._fields:
        assert getattr(renamed, field) is getattr(fits, field), field
    new_params = fits.params + 1.0
    replaced = fits._replace(params=new_params)
    assert replaced.params is new_params and replaced.names == fits.names
    for field in ManyFits._fields[1:]:
        assert getattr(replaced, field) is getattr(fits, field), field


def test_to_pandas_without_pandas_names_the_missing_module(fits, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError) as caught:
        fits.to_pandas()
    assert caught.value.name == "pandas" and isinstance(caught.value.__cause__, ModuleNotFoundError)
