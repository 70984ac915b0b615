"""Model expressions such as ``"a*exp(-b*x) + c"``, parsed safely into NumPy functions.

The command line takes the model as text.  Evaluating that text with
``eval`` would run any Python it holds, so it is parsed with :mod:`ast` and
every node is checked against a whitelist before anything is compiled:
numbers, names, the operators ``+ - * / **``, unary ``+``/``-``, and calls of
one argument to the NumPy functions in :data:`FUNCTIONS`.  Everything else
(attribute access, subscripts, other calls, keywords, lambdas,
comprehensions, conditional expressions, strings, ``:=``, ...) is refused
with the column and text of the offending part.  The checked tree is
compiled and evaluated with no builtins, in a namespace holding only the
whitelisted functions, the constants ``pi`` and ``e``, the independent
variable and the parameters; numbers become ``numpy.float64`` so that
arithmetic follows NumPy's rules (``2**10000`` is ``inf``, not a hang).
"""

from __future__ import annotations

import ast
import inspect
import keyword
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: The functions a model may call, each with one argument.
FUNCTIONS: dict[str, Any] = {
    name: getattr(np, name)
    for name in (
        "exp", "log", "log10", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
        "sinh", "cosh", "tanh", "abs",
    )
}  # fmt: skip
#: The named constants a model may use.
CONSTANTS: dict[str, float] = {"pi": np.pi, "e": np.e}
#: The longest expression accepted (parsing is recursive).
MAX_LENGTH = 2000
#: The longest snippet of a refused expression quoted in an error message.
_SNIPPET_LENGTH = 40

#: The operators allowed: + - * / ** and unary + -.
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.UAdd, ast.USub)
_OPERATOR_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
                     ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Not: "not", ast.Invert: "~"}  # fmt: skip
#: Why a node outside the whitelist is refused, for the error message.
_REFUSALS = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.List: "lists are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
}


class ModelExpressionError(ValueError):
    """A model expression is not valid or uses something not allowed.

    Attributes
    ----------
    column : int or None
        1-based column of the offending part of the expression.
    snippet : str
        The offending part.

    Examples
    --------
    >>> try:
    ...     ModelExpression("a * x.real")
    ... except ModelExpressionError as error:
    ...     print(error)
    attribute access is not allowed, at column 5: 'x.real'
    """

    def __init__(self, reason: str, column: int | None = None, snippet: str = "") -> None:
        shown = snippet if len(snippet) <= _SNIPPET_LENGTH else snippet[: _SNIPPET_LENGTH - 3] + "..."
        where = "" if column is None else f", at column {column}: {shown!r}"
        super().__init__(f"{reason}{where}")
        self.column = column
        self.snippet = snippet


class ModelExpression:
    """A model ``f(x, p1, p2, ...)`` written as an arithmetic expression.

    The parameters are the names in the expression other than the
    independent variable, the functions and the constants, in order of first
    appearance.  The object is a model function for
    :func:`pyminpack.curve_fit` and :func:`pyminpack.fit`: it is called as
    ``model(x, *params)`` and its signature names the parameters.

    Parameters
    ----------
    expression : str
        The model, e.g. ``"a*exp(-b*x) + c"``. Allowed: numbers, names,
        ``+ - * / **``, unary ``+``/``-``, parentheses, calls with one
        argument of ``exp log log10 sqrt sin cos tan arcsin arccos arctan
        sinh cosh tanh abs``, and the constants ``pi`` and ``e``.
    x : str, optional
        The name of the independent variable. Default ``"x"``.

    Attributes
    ----------
    expression : str
        The expression as given.
    x : str
        The independent variable's name.
    parameters : tuple of str
        The parameter names.

    Raises
    ------
    ModelExpressionError
        A syntax error, or anything outside the whitelist (with its column
        and text), a parameter name starting with ``_``, or no parameters.

    Notes
    -----
    Floating-point errors (overflow, log of a negative number, ...) give
    inf or nan silently, as NumPy does with warnings ignored; the fitting
    code checks the model's values.

    Examples
    --------
    >>> import numpy as np
    >>> model = ModelExpression("a*exp(-b*x) + c")
    >>> model.parameters
    ('a', 'b', 'c')
    >>> model(np.array([0.0, 1.0]), 2.0, np.log(2.0), 1.0)
    array([3., 2.])
    >>> ModelExpression("2 * __import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pyminpack._cli.model_expression.ModelExpressionError: calls of '__import__' are not allowed (allowed: exp, ...)...
    """

    def __init__(self, expression: str, x: str = "x") -> None:
        if not x.isidentifier() or keyword.iskeyword(x) or x in FUNCTIONS or x in CONSTANTS:
            raise ModelExpressionError(f"{x!r} cannot name the independent variable")
        tree = _parse(expression)
        _check(tree.body, expression)
        self.expression = expression.strip()
        self.x = x
        self.__name__ = self.expression  # model functions are named in reports
        self.parameters = _parameter_names(tree, x)
        if not self.parameters:
            raise ModelExpressionError(f"the model has no parameters to fit (names other than {x!r})")
        numbers = _NumbersToNames()
        self._code = compile(numbers.visit(tree), "<model>", "eval")
        self._namespace: dict[str, Any] = {
            "__builtins__": {},
            **FUNCTIONS,
            **CONSTANTS,
            **numbers.values,
        }
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in (x, *self.parameters)]
        )

    def __repr__(self) -> str:
        return f"ModelExpression({self.expression!r}, x={self.x!r})"

    def __call__(self, x: ArrayLike, *params: float) -> NDArray[np.float64]:
        """Evaluate the model at ``x``, broadcast to ``x``'s shape."""
        if len(params) != len(self.parameters):
            raise TypeError(
                f"the model takes {len(self.parameters)} parameters ({', '.join(self.parameters)}), got {len(params)}"
            )
        x = np.asarray(x, dtype=float)
        namespace = {
            **self._namespace,
            self.x: x,
            **dict(zip(self.parameters, map(np.float64, params), strict=True)),
        }
        with np.errstate(all="ignore"):
            value = eval(self._code, namespace)
        return np.array(
            np.broadcast_to(value, np.broadcast_shapes(np.shape(value), x.shape)),
            dtype=float,
        )


def _parse(expression: str) -> ast.Expression:
    """Parse ``expression`` as a single Python expression."""
    if len(expression) > MAX_LENGTH:
        raise ModelExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    if not expression.strip():
        raise ModelExpressionError("the expression is empty")
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        text = expression.strip()
        column = min(max(error.offset or 1, 1), len(text))
        raise ModelExpressionError(f"invalid syntax ({error.msg})", column, text[column - 1 : column + 9]) from None
    except (RecursionError, MemoryError, ValueError):
        raise ModelExpressionError("the expression is too deeply nested or not valid text") from None


def _refuse(reason: str, node: ast.AST, expression: str) -> ModelExpressionError:
    """Return the error for ``node``: ``reason`` with its column and source text."""
    text = expression.strip()
    snippet = ast.get_source_segment(text, node) or ""
    return ModelExpressionError(reason, getattr(node, "col_offset", 0) + 1, snippet)


def _check(node: ast.AST, expression: str) -> None:
    """Raise :class:`ModelExpressionError` unless ``node`` is all whitelisted (outermost offence first)."""
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise _refuse(
                f"{type(node.value).__name__} constants are not allowed, only real numbers",
                node,
                expression,
            )
        if not np.isfinite(_as_float(cast(float, node.value))):
            raise _refuse("numbers must be finite and at most about 1.8e308", node, expression)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise _refuse("names starting with '_' are not allowed", node, expression)
        if node.id in FUNCTIONS:
            raise _refuse(
                f"{node.id!r} is a function: call it, as {node.id}(...)",
                node,
                expression,
            )
    elif isinstance(node, ast.BinOp):
        _check_operator(node, expression)
        _check(node.left, expression)
        _check(node.right, expression)
    elif isinstance(node, ast.UnaryOp):
        _check_operator(node, expression)
        _check(node.operand, expression)
    elif isinstance(node, ast.Call):
        _check_call(node, expression)
    else:
        raise _refuse(
            _REFUSALS.get(type(node), f"{type(node).__name__} is not allowed"),
            node,
            expression,
        )


def _check_operator(node: ast.BinOp | ast.UnaryOp, expression: str) -> None:
    """Raise :class:`ModelExpressionError` unless ``node``'s operator is whitelisted."""
    if not isinstance(node.op, _OPERATORS):
        raise _refuse(
            f"operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')!r} is not allowed (allowed: + - * / **)",
            node,
            expression,
        )


def _check_call(node: ast.Call, expression: str) -> None:
    """Check a call: a whitelisted function name, one positional argument."""
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        name = (
            node.func.id if isinstance(node.func, ast.Name) else ast.get_source_segment(expression.strip(), node.func)
        )
        raise _refuse(
            f"calls of {name!r} are not allowed (allowed: {', '.join(FUNCTIONS)})",
            node,
            expression,
        )
    if node.keywords:
        raise _refuse("keyword arguments are not allowed", node, expression)
    if len(node.args) != 1:
        raise _refuse(f"{node.func.id}() takes exactly one argument", node, expression)
    _check(node.args[0], expression)


def _as_float(number: float) -> float:
    """Return ``float(number)``, inf for an int too large for a float."""
    try:
        return float(number)
    except OverflowError:
        return np.inf


def _parameter_names(tree: ast.Expression, x: str) -> tuple[str, ...]:
    """Return the free names other than ``x``, functions and constants, in source order."""
    names = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Name)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    free = (node.id for node in names if node.id != x and node.id not in FUNCTIONS and node.id not in CONSTANTS)
    return tuple(dict.fromkeys(free))


class _NumbersToNames(ast.NodeTransformer):
    """Replace each number by a name bound to it as ``numpy.float64`` (NumPy arithmetic, no huge ints)."""

    def __init__(self) -> None:
        self.values: dict[str, np.float64] = {}

    def visit_Constant(self, node: ast.Constant) -> ast.Name:
        name = f"_number{len(self.values)}"
        self.values[name] = np.float64(cast(float, node.value))  # _check let only int and float through
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)
