"""Compiled functions: the C signatures MINPACK's callbacks take, and how a compiled function is recognised.

A compiled function is a numba ``@cfunc`` object, a ctypes function pointer
(a ``CFUNCTYPE`` instance, or a function of a ``ctypes.CDLL`` whose
``argtypes`` and ``restype`` are set), or a ``PyCapsule`` whose name is its
C signature (the convention of ``scipy.LowLevelCallable``; SciPy is not
needed).  :func:`native_function` checks its signature and returns its
address, which the C layer calls; :func:`user_data_address` does the same
for the ``void *user_data`` handed to it.
"""

from __future__ import annotations

import ctypes
import functools
import re
import types
from typing import Any, NamedTuple

import numpy as np

from .._native import CapsuleType, capsule_info

__all__ = [
    "DOCUMENTED",
    "JACOBIAN",
    "JACOBIAN_ROWS",
    "MODEL",
    "MODEL_JACOBIAN",
    "RESIDUALS",
    "NativeFunction",
    "Signature",
    "is_compiled_function",
    "native_function",
    "user_data_address",
]


class Signature(NamedTuple):
    """A C signature: the return type and the argument types, normalised."""

    restype: str
    argtypes: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.restype} ({', '.join(self.argtypes)})"

    def prototype(self) -> Any:
        """Return the ctypes function type (``CFUNCTYPE``) of this signature."""
        return _prototype(self)


_CTYPES: dict[str, Any] = {"int": ctypes.c_int, "double *": ctypes.POINTER(ctypes.c_double), "void *": ctypes.c_void_p}


@functools.cache
def _prototype(signature: Signature) -> Any:
    return ctypes.CFUNCTYPE(_CTYPES[signature.restype], *(_CTYPES[argtype] for argtype in signature.argtypes))


RESIDUALS = Signature("int", ("int", "int", "double *", "double *", "void *"))
JACOBIAN = Signature("int", ("int", "int", "double *", "double *", "int", "void *"))
MODEL = Signature("int", ("int", "int", "double *", "double *", "double *", "void *"))
MODEL_JACOBIAN = Signature("int", ("int", "int", "double *", "double *", "double *", "int", "void *"))
#: leastsq_rows' Jacobian: rows ``first`` to ``first + count - 1``, row-major.
JACOBIAN_ROWS = Signature("int", ("int", "int", "double *", "int", "int", "double *", "void *"))

#: How each signature is documented (with its const qualifiers).
DOCUMENTED = {
    RESIDUALS: "int (int m, int n, const double *x, double *fvec, void *user_data)",
    JACOBIAN: "int (int m, int n, const double *x, double *fjac, int ldfjac, void *user_data)",
    MODEL: "int (int m, int n, const double *p, const double *x, double *out, void *user_data)",
    MODEL_JACOBIAN: "int (int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)",
    JACOBIAN_ROWS: "int (int m, int n, const double *x, int first, int count, double *rows, void *user_data)",
}

_CAPSULE = CapsuleType
_CFUNCPTR = ctypes._CFuncPtr  # type: ignore[attr-defined]
_NOT_COMPILED = frozenset(
    {types.FunctionType, types.MethodType, types.BuiltinFunctionType, type(None), functools.partial, np.ufunc}
)


def _is_numba_cfunc(obj: object) -> bool:
    cls = type(obj)
    return cls.__name__ == "CFunc" and cls.__module__.startswith("numba")


def is_compiled_function(obj: object) -> bool:
    """Return whether ``obj`` is a compiled function: a numba cfunc, a ctypes function pointer or a PyCapsule.

    Cheap for the common objects that are not (a type lookup): leastsq asks
    it of every ``func`` and ``Dfun``.
    """
    cls = type(obj)
    if cls in _NOT_COMPILED:
        return False
    return issubclass(cls, (_CFUNCPTR, _CAPSULE)) or _is_numba_cfunc(obj)


def _ctypes_name(t: Any) -> str:
    if t is None:
        return "void"
    if t is ctypes.c_int:
        return "int"
    if t is ctypes.c_double:
        return "double"
    if t is ctypes.c_void_p:
        return "void *"
    if isinstance(t, type) and issubclass(t, ctypes._Pointer):  # type: ignore[attr-defined]
        return f"{_ctypes_name(t._type_)} *"
    return getattr(t, "__name__", repr(t))


_SPACE_STAR = re.compile(r"\s*\*\s*")


def _parse_capsule_name(name: str) -> Signature | None:
    """``'int (int, int, const double *, double *, void *)'`` as a Signature."""
    match = re.fullmatch(r"\s*(.+?)\s*\((.*)\)\s*", name)
    if match is None:
        return None

    def normal(text: str) -> str:
        text = re.sub(r"\bconst\b", " ", text)
        text = _SPACE_STAR.sub(" *", text)
        return " ".join(text.split())

    args = tuple(normal(a) for a in match.group(2).split(",")) if match.group(2).strip() else ()
    return Signature(normal(match.group(1)), args)


class NativeFunction(NamedTuple):
    """A compiled function resolved to its address (``keep`` keeps it alive)."""

    address: int
    keep: object


def native_function(obj: object, expected: Signature, argname: str) -> NativeFunction:
    """Return ``obj``'s address after checking its signature against ``expected``.

    Raises
    ------
    TypeError
        ``obj`` is not a compiled function, or carries a different signature
        (or, a ctypes function, none: ``argtypes`` unset).
    """
    documented = DOCUMENTED[expected]
    if _is_numba_cfunc(obj):
        proto = obj.ctypes  # type: ignore[attr-defined]
        found = Signature(_ctypes_name(proto.restype), tuple(map(_ctypes_name, proto.argtypes)))
        address = int(obj.address)  # type: ignore[attr-defined]
        what = f"numba cfunc {getattr(obj, '__name__', '')!r} with signature {obj._sig}"  # type: ignore[attr-defined]
    elif isinstance(obj, _CFUNCPTR):
        if obj.argtypes is None:
            raise TypeError(
                f"{argname}: the ctypes function {obj!r} has no argtypes, so its signature cannot be "
                f"checked; set .argtypes and .restype to match {documented}, or make it with "
                "ctypes.CFUNCTYPE."
            )
        found = Signature(_ctypes_name(obj.restype), tuple(map(_ctypes_name, obj.argtypes)))
        address = ctypes.cast(obj, ctypes.c_void_p).value or 0
        what = f"ctypes function {obj!r} with signature {found}"
    elif isinstance(obj, _CAPSULE):
        name, address, _ = capsule_info(obj)
        parsed = None if name is None else _parse_capsule_name(name)
        if parsed is None:
            raise TypeError(
                f"{argname}: a PyCapsule must be named by its C signature, "
                f"{documented!r} (scipy.LowLevelCallable's convention); this one is named {name!r}."
            )
        found = parsed
        what = f"PyCapsule named {name!r}"
    else:
        raise TypeError(
            f"{argname} must be a compiled function (a numba cfunc, a ctypes function pointer or a "
            f"PyCapsule) with the C signature {documented}; got {type(obj).__name__}."
        )
    if found != expected:
        raise TypeError(f"{argname}: the {what} does not match the required C signature {documented}.")
    if not address:
        raise TypeError(f"{argname}: the {what} is a NULL function pointer.")
    return NativeFunction(address, obj)


def user_data_address(user_data: object) -> tuple[int, object]:
    """Return the ``void *`` for ``user_data`` and the object to keep alive.

    None is NULL; a numpy array passes its data pointer; a ctypes pointer,
    ``c_void_p``, ctypes array or structure its address; an int is taken as
    an address.
    """
    if user_data is None:
        return 0, None
    if isinstance(user_data, np.ndarray):
        return int(user_data.ctypes.data), user_data
    if isinstance(user_data, ctypes.c_void_p):
        return int(user_data.value or 0), user_data
    if isinstance(user_data, ctypes._Pointer):  # type: ignore[attr-defined]
        return int(ctypes.cast(user_data, ctypes.c_void_p).value or 0), user_data
    if isinstance(user_data, (ctypes.Array, ctypes.Structure, ctypes.Union)):
        return ctypes.addressof(user_data), user_data
    if isinstance(user_data, int) and not isinstance(user_data, bool):
        if not 0 <= user_data < 2**64:
            raise ValueError(f"user_data: {user_data} is not a valid address.")
        return user_data, None
    raise TypeError(
        "user_data must be None, a numpy array (its data pointer is passed), a ctypes pointer, "
        f"c_void_p, ctypes array or structure, or an int address; got {type(user_data).__name__}."
    )


#: ``double *`` as ctypes spells it.
DOUBLES = _CTYPES["double *"]
