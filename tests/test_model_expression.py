"""Model expressions of the command line: what they compute, and that nothing else gets through.

The oracle for values is the same formula written in NumPy by hand.  The
security table lists hostile strings: each must be refused at parse time
with a :class:`ModelExpressionError` pointing at the offending part, before
anything is compiled or run.
"""

import inspect

import numpy as np
import pytest

from pyminpack import curve_fit
from pyminpack._cli.model_expression import FUNCTIONS, ModelExpression, ModelExpressionError

X = np.linspace(0.1, 0.9, 5)

#: expression -> (parameters in order of appearance, parameter values, the formula in NumPy)
VALID = {
    "a*exp(-b*x) + c": (
        ("a", "b", "c"),
        (2.0, 1.5, 0.5),
        lambda x, a, b, c: a * np.exp(-b * x) + c,
    ),
    "a*x**2 + b*x + c": (
        ("a", "b", "c"),
        (2.0, -3.0, 5.0),
        lambda x, a, b, c: a * x**2 + b * x + c,
    ),
    "amp*sin(2*pi*freq*x + phase)": (
        ("amp", "freq", "phase"),
        (1.5, 0.7, 0.2),
        lambda x, a, f, p: a * np.sin(2 * np.pi * f * x + p),
    ),
    "-k/x + +m": (("k", "m"), (1.0, 2.0), lambda x, k, m: -k / x + m),
    "log(a*x) + log10(b) + sqrt(c*x)": (
        ("a", "b", "c"),
        (2.0, 3.0, 4.0),
        lambda x, a, b, c: np.log(a * x) + np.log10(b) + np.sqrt(c * x),
    ),
    "arcsin(a*x) + arccos(a*x) + arctan(b*x)": (
        ("a", "b"),
        (0.5, 2.0),
        lambda x, a, b: np.arcsin(a * x) + np.arccos(a * x) + np.arctan(b * x),
    ),
    "sinh(a*x) * cosh(b) - tanh(c) + tan(x) * cos(x)": (
        ("a", "b", "c"),
        (1.0, 0.5, 0.2),
        lambda x, a, b, c: np.sinh(a * x) * np.cosh(b) - np.tanh(c) + np.tan(x) * np.cos(x),
    ),
    "abs(a - x) * e": (("a",), (0.5,), lambda x, a: np.abs(a - x) * np.e),
    "c": (("c",), (3.0,), np.full_like),
    "1.5e-3 * a + 2 ** b": (
        ("a", "b"),
        (1000.0, 3.0),
        lambda x, a, b: np.full_like(x, 1.5e-3 * a + 2**b),
    ),
}


@pytest.mark.parametrize("expression", VALID)
def test_expression_computes_the_formula(expression):
    names, values, formula = VALID[expression]
    model = ModelExpression(expression)
    assert model.parameters == names
    np.testing.assert_allclose(model(X, *values), formula(X, *values), rtol=1e-15)


def test_signature_names_x_and_the_parameters():
    model = ModelExpression("a*exp(-k*t) + c", x="t")
    assert list(inspect.signature(model).parameters) == ["t", "a", "k", "c"]
    assert model.__name__ == "a*exp(-k*t) + c"


def test_the_independent_variable_is_not_a_parameter():
    assert ModelExpression("a*t + x", x="t").parameters == ("a", "x")


def test_curve_fit_fits_an_expression_like_the_same_function():
    # Oracle: the same model as a Python function.
    x = np.linspace(0, 5, 30)
    y = 2.0 * np.exp(-1.5 * x) + 0.5 + 0.01 * np.sin(7 * x)
    popt, pcov = curve_fit(ModelExpression("a*exp(-b*x) + c"), x, y)
    popt_function, pcov_function = curve_fit(lambda x, a, b, c: a * np.exp(-b * x) + c, x, y)
    np.testing.assert_allclose(popt, popt_function, rtol=1e-12)
    np.testing.assert_allclose(pcov, pcov_function, rtol=1e-9)


def test_overflow_gives_inf_not_an_exception_or_a_hang():
    # Numbers are numpy.float64, so 2**10000 overflows to inf (warnings ignored).
    model = ModelExpression("a * 2**10000")
    assert np.all(np.isinf(model(X, 1.0)))
    assert np.all(np.isnan(ModelExpression("log(a)")(X, -1.0)))


def test_wrong_number_of_parameters_is_a_type_error():
    with pytest.raises(TypeError, match=r"takes 2 parameters \(a, b\), got 1"):
        ModelExpression("a*x + b")(X, 1.0)


#: hostile or invalid expression -> (what the message says, 1-based column, the part quoted)
REFUSED = {
    "__import__('os').system('x')": ("calls of", 1, "__import__('os').system('x')"),
    "2*__import__('os')": ("calls of '__import__'", 3, "__import__('os')"),
    "x.__class__": ("attribute access", 1, "x.__class__"),
    "().__class__.__bases__[0]": ("subscripts", 1, "().__class__.__bases__[0]"),
    "[c for c in ()]": ("comprehensions", 1, "[c for c in ()]"),
    "a*(c for c in x)": ("comprehensions", 3, "(c for c in x)"),
    "lambda: 1": ("lambda", 1, "lambda: 1"),
    "a if x else b": ("conditional expressions", 1, "a if x else b"),
    "open('f')": ("calls of 'open'", 1, "open('f')"),
    "exp.__globals__": ("attribute access", 1, "exp.__globals__"),
    "f'{x}'": ("f-strings", 1, "f'{x}'"),
    "x[0]": ("subscripts", 1, "x[0]"),
    "(y:=1)": ("assignment expressions", 2, "y:=1"),
    "a * __builtins__": ("names starting with '_'", 5, "__builtins__"),
    "_private * x": ("names starting with '_'", 1, "_private"),
    "eval('1')": ("calls of 'eval'", 1, "eval('1')"),
    "getattr(x, 'real')": ("calls of 'getattr'", 1, "getattr(x, 'real')"),
    "a*x + 'text'": ("str constants", 7, "'text'"),
    "b'bytes' * a": ("bytes constants", 1, "b'bytes'"),
    "True * a": ("bool constants", 1, "True"),
    "None": ("NoneType constants", 1, "None"),
    "... * a": ("ellipsis constants", 1, "..."),
    "2j * a": ("complex constants", 1, "2j"),
    "1e999 * a": ("finite", 1, "1e999"),
    "a // x": ("operator '//'", 1, "a // x"),
    "a % x": ("operator '%'", 1, "a % x"),
    "a @ x": ("operator '@'", 1, "a @ x"),
    "a ^ x": ("operator '^'", 1, "a ^ x"),
    "a << 2": ("operator '<<'", 1, "a << 2"),
    "~a": ("operator '~'", 1, "~a"),
    "not a": ("operator 'not'", 1, "not a"),
    "a < x": ("comparisons", 1, "a < x"),
    "a and x": ("boolean operators", 1, "a and x"),
    "exp(*a)": ("starred", 5, "*a"),
    "exp(x=a)": ("keyword arguments", 1, "exp(x=a)"),
    "exp(a, b)": ("exactly one argument", 1, "exp(a, b)"),
    "exp": ("is a function", 1, "exp"),
    "a * (1, 2)": ("tuples", 5, "(1, 2)"),
    "[a]": ("lists", 1, "[a]"),
    "{a: 1}": ("dicts", 1, "{a: 1}"),
    "{a}": ("sets", 1, "{a}"),
    "await a": ("Await", 1, "await a"),
    "import os": ("invalid syntax", 1, "import os"),
    "a*x; import os": ("invalid syntax", 4, "; import o"),
    "a*x +": ("invalid syntax", None, None),
    "a*x\nimport os": ("invalid syntax", None, None),
    "": ("empty", None, None),
    "x": ("no parameters", None, None),
    "(" * 300 + "a" + ")" * 300: ("invalid syntax", None, None),
    "a" + "+a" * 2000: ("longer than", None, None),
}


@pytest.mark.parametrize("expression", REFUSED, ids=[e[:30].replace("\n", " ") for e in REFUSED])
def test_hostile_or_invalid_expression_is_refused_where_it_goes_wrong(expression):
    reason, column, snippet = REFUSED[expression]
    with pytest.raises(ModelExpressionError) as caught:
        ModelExpression(expression)
    assert reason in str(caught.value)
    if column is not None:
        assert (caught.value.column, caught.value.snippet) == (column, snippet)
        assert f"at column {column}: {snippet!r}" in str(caught.value)


def test_refused_expressions_never_run(tmp_path, monkeypatch):
    # Were any refused expression evaluated, it would create this file.
    marker = tmp_path / "ran"
    monkeypatch.chdir(tmp_path)
    for expression in (
        f"__import__('pathlib').Path('{marker}').touch()",
        f"open('{marker}', 'w')",
    ):
        with pytest.raises(ModelExpressionError):
            ModelExpression(expression)
    assert not marker.exists()


def test_evaluation_has_no_builtins():
    model = ModelExpression("a*x")
    assert model._namespace["__builtins__"] == {}
    assert set(model._namespace) - {"__builtins__"} <= set(FUNCTIONS) | {"pi", "e"} | {
        name for name in model._namespace if name.startswith("_number")
    }


@pytest.mark.parametrize("x", ["0", "exp", "pi", "lambda", "a b"])
def test_x_must_be_a_plain_name(x):
    with pytest.raises(ModelExpressionError, match="cannot name the independent variable"):
        ModelExpression("a*x", x=x)


def test_long_snippets_are_shortened():
    with pytest.raises(ModelExpressionError) as caught:
        ModelExpression("a * (" + "x + " * 50 + "x)[0]")
    assert len(caught.value.snippet) > 40
    assert str(caught.value).endswith("...'")
