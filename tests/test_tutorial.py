"""The three tutorial fits of the demo (``python -m pyminpack``).

The oracle is the truth the data were made from: each fit must converge and
land within four standard errors of the true parameters, with standard
errors small enough for that to mean something (each under a quarter of the
true parameter's size).  ``/work/shared/tutorial_examples.md`` describes the
fits; the table below restates it, so the demo cannot drift from it silently.
"""

import subprocess
import sys

import numpy as np
import pytest

from pyminpack._cli.demo import SEED, TUTORIAL_FITS, fit_example

#: name -> (true parameters, noise sd, initial guess, x range, number of points)
TUTORIAL = {
    "quadratic": ((2.0, -3.0, 5.0), 1.0, (1.0, -1.0, 1.0), (-5.0, 5.0), 100),
    "exponential decay": ((2.0, 1.5, 0.5), 0.2, (1.0, 1.0, 1.0), (0.0, 5.0), 50),
    "sinusoid": ((2.0, 1.5, 0.5), 0.2, (1.0, 1.0, 0.0), (0.0, 2 * np.pi), 100),
}

FITS = {example.name: example for example in TUTORIAL_FITS}


def params():
    return list(TUTORIAL)


def test_demo_has_the_three_tutorial_fits():
    assert [example.name for example in TUTORIAL_FITS] == list(TUTORIAL)


@pytest.mark.parametrize("name", TUTORIAL)
def test_demo_fit_is_the_tutorials(name):
    true, noise_sd, guess, (start, stop), size = TUTORIAL[name]
    example = FITS[name]
    assert (example.true_params, example.noise_sd, example.initial_guess) == (true, noise_sd, guess)
    np.testing.assert_array_equal(example.x, np.linspace(start, stop, size))


@pytest.mark.parametrize("name", TUTORIAL)
def test_demo_data_are_the_model_plus_seeded_noise(name):
    example = FITS[name]
    y = example.data()
    np.testing.assert_array_equal(y, example.data(SEED))
    noise = y - example.model(example.x, *example.true_params)
    # The noise has the stated standard deviation (to sampling error).
    assert abs(noise.std() / example.noise_sd - 1) < 0.3


@pytest.mark.parametrize("name", params())
def test_fit_converges_to_the_true_parameters(name):
    example = FITS[name]
    result = fit_example(example)
    assert result.success and result.ier in (1, 2, 3, 4), result.message
    true = np.array(example.true_params)
    assert np.all(result.stderr < 0.25 * np.abs(true)), result.stderr
    assert np.all(np.abs(result.values - true) < 4 * result.stderr), (result.values, result.stderr)


@pytest.mark.parametrize("name", params())
def test_fit_residuals_match_the_noise(name):
    # At the right minimum the residual standard deviation is the noise's.
    example = FITS[name]
    result = fit_example(example)
    residuals = example.model(example.x, *result.values) - example.data()
    assert abs(residuals.std() / example.noise_sd - 1) < 0.3


def test_stderr_is_the_square_root_of_the_scaled_cov_x_diagonal():
    from pyminpack import leastsq

    example = FITS["exponential decay"]
    y = example.data()

    def residuals(p):
        return example.model(example.x, *p) - y

    params, cov_x, infodict, _, _ = leastsq(residuals, example.initial_guess, full_output=True)
    dof = example.x.size - params.size
    result = fit_example(example)
    np.testing.assert_array_equal(result.values, params)
    np.testing.assert_allclose(
        result.stderr, np.sqrt(np.diag(cov_x) * (infodict["fvec"] @ infodict["fvec"]) / dof), rtol=1e-14
    )


def test_python_m_pyminpack_prints_the_three_fits():
    completed = subprocess.run([sys.executable, "-m", "pyminpack"], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    for name in TUTORIAL:
        assert f"{name}: y = " in out
    assert out.count("Optimal parameters: [") == 3
    # The quadratic's estimates are printed, close to the truth.
    quadratic = out.split("\n\n")[0]
    assert "(true 2)" in quadratic and "(true -3)" in quadratic and "(true 5)" in quadratic


def test_python_m_pyminpack_demo_is_the_default():
    run = [sys.executable, "-m", "pyminpack"]
    default = subprocess.run(run, capture_output=True, text=True, timeout=120, check=True)
    demo = subprocess.run([*run, "demo"], capture_output=True, text=True, timeout=120, check=True)
    assert default.stdout == demo.stdout
