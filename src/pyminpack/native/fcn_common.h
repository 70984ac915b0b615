/*
 * What MINPACK's two C-side FCNs share: pycallback.c (Python residual
 * functions) and native.c (compiled callbacks).  Both include Python.h
 * first.
 *
 * - The stages at which the non-finite guard may stop a solve, and
 *   pyminpack's own endings beside MINPACK's INFO, defined here once and
 *   exported to Python by add_shared_constants().
 * - PYMINPACK_THREAD_LOCAL (thread_local.h): MINPACK's FCN has no user-data
 *   argument, so each module finds its active solve through a thread-local
 *   pointer.
 * - The run of non-finite trials the guard records: shortening the step on
 *   trial points whose residuals are nan or inf alone can meet MINPACK's
 *   convergence tests, and such an end is refused (see _solver/validation.py).
 * - The non-finite scan of the guard.  A binary64 value is nan or inf exactly
 *   when its 11 exponent bits are all ones; adding one unit of the exponent
 *   field to the masked exponent then carries into the sign bit, and only
 *   then.  OR-ing those sums over an array and testing bit 63 finds any nan
 *   or inf with no branch in the loop, so compilers vectorise it (a loop that
 *   returns at the first nan is not vectorised).  Fused with the copy the FCN
 *   makes anyway, the scan costs what memcpy costs: each value is read from
 *   memory once.
 */
#ifndef PYMINPACK_FCN_COMMON_H
#define PYMINPACK_FCN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "thread_local.h"

/* Where the non-finite guard may stop a solve: what MINPACK was about to
 * build on the values.  STAGE_NONE is a trial point, which MINPACK only
 * compares and rejects. */
enum { STAGE_NONE, STAGE_START, STAGE_DIFFERENCES, STAGE_JACOBIAN, STAGE_HYBRID_TRIAL, STAGE_COUNT };
static const char *const STAGE_NAMES[STAGE_COUNT] = {
    NULL,
    "at the starting point",
    "forming the forward-difference Jacobian",
    "forming the Jacobian",
    /* hybrd's and hybrj's trial points.  Unlike lmdif and lmder, which only
     * compare a trial point's residual norm (and reject the step on nan or
     * inf), they fold the trial values into the Broyden rank-one update of
     * Q and R even when the step is rejected (hybrd.f, loop 280), so the
     * guard stops there too. */
    "at a trial point, which the Broyden update builds on",
};

/* pyminpack's own endings beside MINPACK's INFO (0 to 8): a compiled
 * function asked to stop; the non-finite guard stopped the solve. */
#define IER_USER_STOP (-1)
#define IER_NONFINITE (-2)

/* STAGE_NAMES (a tuple indexed by stage, None for STAGE_NONE), the STAGE_*
 * indices and IER_* as constants of `module`.  Returns -1 with an
 * exception set on failure. */
static int
add_shared_constants(PyObject *module)
{
    PyObject *names = Py_BuildValue("(sssss)", STAGE_NAMES[STAGE_NONE], STAGE_NAMES[STAGE_START],
                                    STAGE_NAMES[STAGE_DIFFERENCES], STAGE_NAMES[STAGE_JACOBIAN],
                                    STAGE_NAMES[STAGE_HYBRID_TRIAL]);
    int failed = names == NULL || PyModule_AddObjectRef(module, "STAGE_NAMES", names) < 0 ||
                 PyModule_AddIntConstant(module, "STAGE_START", STAGE_START) < 0 ||
                 PyModule_AddIntConstant(module, "STAGE_DIFFERENCES", STAGE_DIFFERENCES) < 0 ||
                 PyModule_AddIntConstant(module, "STAGE_JACOBIAN", STAGE_JACOBIAN) < 0 ||
                 PyModule_AddIntConstant(module, "IER_USER_STOP", IER_USER_STOP) < 0 ||
                 PyModule_AddIntConstant(module, "IER_NONFINITE", IER_NONFINITE) < 0;
    Py_XDECREF(names);
    return failed ? -1 : 0;
}

#define PYMINPACK_EXPONENT_MASK UINT64_C(0x7ff0000000000000)
#define PYMINPACK_EXPONENT_UNIT UINT64_C(0x0010000000000000)

/* Bit 63 set exactly when `value` is nan or inf. */
static inline uint64_t
nonfinite_bit(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return (bits & PYMINPACK_EXPONENT_MASK) + PYMINPACK_EXPONENT_UNIT;
}

/* 1 when `value` is neither nan nor inf.  C99's isfinite would do, but
 * MinGW's expands through a float branch that -Wfloat-conversion rejects. */
static inline int
finite_value(double value)
{
    return (nonfinite_bit(value) >> 63) == 0;
}

/* 1 when every one of `count` values is finite, else 0. */
static inline int
all_finite(const double *values, ptrdiff_t count)
{
    uint64_t seen = 0;
    for (ptrdiff_t i = 0; i < count; i++) {
        seen |= nonfinite_bit(values[i]);
    }
    return (seen >> 63) == 0;
}

/* Copy `count` doubles from `source` to `target` in one pass; 1 when every
 * one is finite, else 0. */
static inline int
copy_all_finite(double *target, const double *source, ptrdiff_t count)
{
    uint64_t seen = 0;
    for (ptrdiff_t i = 0; i < count; i++) {
        double value = source[i];
        target[i] = value;
        seen |= nonfinite_bit(value);
    }
    return (seen >> 63) == 0;
}

/* The trailing run of non-finite trial evaluations after trial evaluation
 * `evaluation`: the evaluation that began the run (`run_start`, or this one
 * if it begins it) when this trial gave nan or inf, else 0 (no run). */
static inline ptrdiff_t
trailing_run_start(ptrdiff_t run_start, int nonfinite, ptrdiff_t evaluation)
{
    return !nonfinite ? 0 : run_start != 0 ? run_start : evaluation;
}

#endif /* PYMINPACK_FCN_COMMON_H */
