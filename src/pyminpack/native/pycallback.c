/*
 * pyminpack._pycallback: MINPACK's FCN for Python residual functions.
 *
 * Why this file exists: f2py's own call-back path for a Python function
 * wraps every MINPACK work array in a new ndarray and goes through an extra
 * Python-level adapter, which costs more per evaluation, before the user's
 * function even runs, than SciPy's whole per-evaluation overhead
 * (benchmarks/RESULTS.md).  The f2py wrappers of lmdif/lmder therefore take FCN
 * as the address of a C function (see minpack.pyf) and MINPACK calls it
 * directly; this module supplies those C functions.  Each evaluation makes
 * one new array (a copy of x, so the user can neither alter MINPACK's iterate
 * nor keep a view of memory MINPACK reuses), one call, and one memcpy of a
 * checked result: the work SciPy's old hand-written wrapper did, no more.
 *
 * MINPACK's FCN has no user-data argument, so the Python function to call
 * comes from a thread-local pointer to the active Evaluator.  Entering an
 * Evaluator (a context manager) saves the previous one and leaving restores
 * it, so solves in other threads, and solves nested inside a callback, each
 * see their own.
 *
 * No Python exception ever crosses MINPACK: an exception is stored on the
 * Evaluator, IFLAG is set negative (MINPACK's documented user-termination
 * request), MINPACK returns normally, and the Python layer re-raises it.
 * All validation and error wording lives in Python (_solver/validation.py): this
 * file takes a fast path only for a result that is already a float64 array
 * of exactly the expected shape, or a list, tuple or number of plain Python
 * floats and ints of exactly the expected size (converted as numpy would),
 * and hands anything else to the Python checkers.  It also scans for nan/inf the results MINPACK would build on
 * (the residuals at the starting point, and every Jacobian, analytic or by
 * forward differences: a branch-free scan fused with the copy, which costs
 * what memcpy costs, see fcn_common.h) and, when it finds one, lets the
 * Python side word the error.  Residuals at a trial point are let through:
 * MINPACK rejects a trial step whose residual norm is not smaller (nan and
 * inf included) and shortens the step, which is how fits such as NIST's
 * MGH17 get past an overflowing exp().  They are scanned all the same (the
 * same fused copy) to record the trailing run of non-finite trials
 * (nonfinite_since): shortening the step on them alone can meet MINPACK's
 * convergence tests, and the Python side refuses such a "success".  Last, it
 * forwards MINPACK's IFLAG = 0 "report progress" calls (NPRINT) to an
 * optional Python callback.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <numpy/arrayscalars.h>

#include "fcn_common.h"

typedef struct Evaluator {
    PyObject_HEAD
    PyObject *func;          /* residuals: func(x, *args) */
    PyObject *args;          /* tuple of extra arguments */
    PyObject *check_fvec;    /* check_fvec(func, value, m) -> real array of shape (m,) */
    PyObject *dfun;          /* Jacobian: dfun(x, *args), or None */
    PyObject *check_fjac;    /* check_fjac(value) -> float64 (m, n) Fortran-ordered */
    PyObject *on_nonfinite;  /* on_nonfinite(what, function, evaluation, x, stage) raises, or None */
    PyObject *progress;      /* progress(x, fvec) at MINPACK's IFLAG = 0 calls, or None */
    PyObject *error;         /* the exception that stopped the solve, or NULL */
    npy_intp m;
    Py_ssize_t nfev;         /* calls of func so far (MINPACK's count) */
    Py_ssize_t njev;         /* calls of dfun so far */
    Py_ssize_t nonfinite_since; /* the guard on: the first of the trailing run of trial evaluations
                                   that gave nan or inf, 0 when the last trial was finite */
    struct Evaluator *previous;
    int active;
    int col_deriv;           /* dfun returns (n, m), derivatives down the columns */
} Evaluator;

static PYMINPACK_THREAD_LOCAL Evaluator *active_evaluator = NULL;

/* Store the pending exception on the evaluator and ask MINPACK to stop. */
static void
stop_with_error(Evaluator *ev, int *iflag)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    Py_XSETREF(ev->error, value);
    *iflag = -1;
}

/* A new 1-D float64 array holding a copy of `count` doubles. */
static PyObject *
new_array_copy(const double *values, npy_intp count)
{
    PyObject *array = PyArray_SimpleNew(1, &count, NPY_DOUBLE);
    if (array != NULL) {
        memcpy(PyArray_DATA((PyArrayObject *)array), values, (size_t)count * sizeof(double));
    }
    return array;
}

/* Whether the non-finite guard is on (allow_nonfinite=False). */
static int
guarded(Evaluator *ev)
{
    return ev->on_nonfinite != Py_None;
}

/* `what` (func or Dfun) returned nan or inf at evaluation `evaluation`
 * during `stage`: -1 with the exception that on_nonfinite raised. */
static int
report_nonfinite(Evaluator *ev, const char *what, Py_ssize_t evaluation, const char *stage, npy_intp n,
                 const double *x)
{
    PyObject *xcopy = new_array_copy(x, n);
    if (xcopy == NULL) {
        return -1;
    }
    PyObject *function = strcmp(what, "func") == 0 ? ev->func : ev->dfun; /* any other name is the Jacobian's */
    PyObject *result = PyObject_CallFunction(ev->on_nonfinite, "sOnOs", what, function, evaluation, xcopy, stage);
    Py_DECREF(xcopy);
    if (result != NULL) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_SystemError, "pyminpack: on_nonfinite returned instead of raising");
    }
    return -1;
}

/* Call fn(copy of x, extra, *args), or fn(copy of x, *args) when `extra` is
 * NULL; a new reference, or NULL with an exception.  The arguments go on the
 * C stack (vectorcall), so no tuple is built. */
#define MAX_STACK_ARGS 16

static PyObject *
call_with_x_then(Evaluator *ev, PyObject *fn, npy_intp n, const double *x, PyObject *extra)
{
    PyObject *stack[MAX_STACK_ARGS];
    Py_ssize_t nargs = PyTuple_GET_SIZE(ev->args), head_size = extra == NULL ? 1 : 2;
    PyObject *xcopy = new_array_copy(x, n);
    if (xcopy == NULL) {
        return NULL;
    }
    PyObject *result;
    if (nargs + head_size <= MAX_STACK_ARGS) {
        stack[0] = xcopy;
        stack[1] = extra;
        for (Py_ssize_t i = 0; i < nargs; i++) {
            stack[i + head_size] = PyTuple_GET_ITEM(ev->args, i);
        }
        result = PyObject_Vectorcall(fn, stack, (size_t)(nargs + head_size), NULL);
    }
    else {
        PyObject *head = extra == NULL ? PyTuple_Pack(1, xcopy) : PyTuple_Pack(2, xcopy, extra);
        PyObject *argv = head == NULL ? NULL : PySequence_Concat(head, ev->args);
        result = argv == NULL ? NULL : PyObject_Call(fn, argv, NULL);
        Py_XDECREF(head);
        Py_XDECREF(argv);
    }
    Py_DECREF(xcopy);
    return result;
}

static PyObject *
call_with_x(Evaluator *ev, PyObject *fn, npy_intp n, const double *x)
{
    return call_with_x_then(ev, fn, n, x, NULL);
}

/* What the copies below return: the values are in MINPACK's array and
 * finite (or not scanned), or one of them is nan or inf, or the copy failed
 * with an exception. */
enum { COPIED = 0, COPIED_NONFINITE = 1, COPY_FAILED = -1 };

/* Copy `checked` (a checker's result, any layout and real dtype, of shape
 * `dims`) into MINPACK's column-major work array `out`, and scan it when
 * `scan`.  numpy casts and reorders straight into a view of `out`, so a
 * Jacobian given row by row is transposed without a temporary m-by-n copy. */
static int
copy_checked(PyObject *checked, double *out, int ndim, npy_intp *dims, int scan)
{
    if (checked == NULL) {
        return COPY_FAILED;
    }
    PyObject *view = PyArray_New(&PyArray_Type, ndim, dims, NPY_DOUBLE, NULL, out, 0, NPY_ARRAY_FARRAY, NULL);
    PyObject *source = view == NULL ? NULL : PyArray_FROM_O(checked);
    int status = source == NULL ? -1 : PyArray_CopyInto((PyArrayObject *)view, (PyArrayObject *)source);
    Py_XDECREF(source);
    Py_XDECREF(view);
    Py_DECREF(checked);
    if (status < 0) {
        return COPY_FAILED;
    }
    return !scan || all_finite(out, PyArray_MultiplyList(dims, ndim)) ? COPIED : COPIED_NONFINITE;
}

/* A float64 array of exactly this shape, C-contiguous, native byte order:
 * the layout the fast paths below copy without asking numpy. */
static const double *
exact_float64_data(PyObject *result, int ndim, npy_intp rows, npy_intp cols)
{
    if (!PyArray_CheckExact(result)) {
        return NULL;
    }
    PyArrayObject *array = (PyArrayObject *)result;
    if (PyArray_TYPE(array) != NPY_DOUBLE || PyArray_NDIM(array) != ndim || PyArray_DIM(array, 0) != rows ||
        (ndim == 2 && PyArray_DIM(array, 1) != cols) || !PyArray_ISCARRAY_RO(array) ||
        !PyArray_ISNOTSWAPPED(array)) {
        return NULL;
    }
    return PyArray_DATA(array);
}

/* ---- Python numbers: lists, tuples and scalars converted here ----------
 * A function returning a list (SciPy's own examples do) would otherwise go
 * through the Python checker at every evaluation, which costs more than the
 * rest of the evaluation (benchmarks/RESULTS.md).  Only what numpy turns
 * into float64 values by plain conversion is taken here: Python floats,
 * numpy float64 scalars, and Python ints within int64 (numpy makes an int64
 * array of those and casts it, the same correctly rounded conversion as the
 * C cast below).  Anything else (bools, other numpy scalars, larger ints,
 * arrays inside lists, ragged or wrongly sized lists, subclasses) is left to
 * the Python checker, which accepts it or words the error as before.  Type
 * tests on exact built-in types run no Python code, so the borrowed items
 * cannot change under the loop.  The converters write into MINPACK's array
 * as they go; when they give up half-way, the checker's path either
 * overwrites the whole array or stops the solve, so the partial write is
 * never used. */

/* *value = item as numpy converts it to float64; 0 when `item` is not of a kind taken here. */
static int
number_as_double(PyObject *item, double *value)
{
    if (PyFloat_CheckExact(item)) {
        *value = PyFloat_AS_DOUBLE(item);
        return 1;
    }
    if (Py_TYPE(item) == &PyDoubleArrType_Type) {
        *value = PyArrayScalar_VAL(item, Double);
        return 1;
    }
    if (PyLong_CheckExact(item)) {
        int overflow;
        int64_t integer = PyLong_AsLongLongAndOverflow(item, &overflow);
        if (overflow != 0 || (integer == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return 0;
        }
        *value = (double)integer;
        return 1;
    }
    return 0;
}

/* A list or tuple of exactly `count` numbers into out[0], out[step], ...; 0 when it is not one. */
static int
numbers_into(PyObject *sequence, npy_intp count, double *out, npy_intp step)
{
    if (!(PyList_CheckExact(sequence) || PyTuple_CheckExact(sequence)) || PySequence_Fast_GET_SIZE(sequence) != count) {
        return 0;
    }
    PyObject **items = PySequence_Fast_ITEMS(sequence);
    for (npy_intp i = 0; i < count; i++) {
        if (!number_as_double(items[i], out + i * step)) {
            return 0;
        }
    }
    return 1;
}

/* func's result as m residuals into fvec: a list or tuple of m numbers, or one number when m is 1. */
static int
numbers_as_residuals(PyObject *result, npy_intp m, double *fvec)
{
    return (m == 1 && number_as_double(result, fvec)) || numbers_into(result, m, fvec, 1);
}

/* Dfun's result into MINPACK's column-major m-by-n fjac: `rows` lists or
 * tuples of `cols` numbers (rows m and cols n, or the transpose with
 * col_deriv), or, as the checker reads any array of the right size in
 * row-major order, a flat one of rows * cols numbers. */
static int
numbers_as_jacobian(PyObject *result, npy_intp m, npy_intp n, int col_deriv, double *fjac)
{
    npy_intp rows = col_deriv ? n : m, cols = col_deriv ? m : n;
    npy_intp row_step = col_deriv ? m : 1, column_step = col_deriv ? 1 : m;
    if (!(PyList_CheckExact(result) || PyTuple_CheckExact(result))) {
        return rows * cols == 1 && number_as_double(result, fjac);
    }
    Py_ssize_t size = PySequence_Fast_GET_SIZE(result);
    PyObject **items = PySequence_Fast_ITEMS(result);
    if (size == rows && size > 0 && (PyList_CheckExact(items[0]) || PyTuple_CheckExact(items[0]))) {
        for (npy_intp r = 0; r < rows; r++) {
            if (!numbers_into(items[r], cols, fjac + r * row_step, column_step)) {
                return 0;
            }
        }
        return 1;
    }
    if (size != rows * cols) {
        return 0;
    }
    for (npy_intp k = 0; k < size; k++) {
        if (!number_as_double(items[k], fjac + (k / cols) * row_step + (k % cols) * column_step)) {
            return 0;
        }
    }
    return 1;
}

/* Copy func's result into MINPACK's fvec (scanned when `scan`). */
static int
copy_residuals(Evaluator *ev, PyObject *result, double *fvec, int scan)
{
    const double *values = exact_float64_data(result, 1, ev->m, 0);
    if (values == NULL) {
        if (numbers_as_residuals(result, ev->m, fvec)) {
            return !scan || all_finite(fvec, ev->m) ? COPIED : COPIED_NONFINITE;
        }
        PyObject *checked = PyObject_CallFunction(ev->check_fvec, "OOn", ev->func, result, ev->m);
        return copy_checked(checked, fvec, 1, &ev->m, scan);
    }
    if (!scan) {
        memcpy(fvec, values, (size_t)ev->m * sizeof(double));
        return COPIED;
    }
    return copy_all_finite(fvec, values, ev->m) ? COPIED : COPIED_NONFINITE;
}

/* Transpose m rows of n values into MINPACK's column-major fjac; 1 when
 * every value is finite (the scan rides along with the copy). */
static int
copy_rows_all_finite(double *fjac, const double *values, npy_intp m, npy_intp n)
{
    uint64_t seen = 0;
    for (npy_intp i = 0; i < m; i++) {
        for (npy_intp j = 0; j < n; j++) {
            double value = values[i * n + j];
            fjac[i + j * m] = value;
            seen |= nonfinite_bit(value);
        }
    }
    return (seen >> 63) == 0;
}

/* Copy Dfun's result into MINPACK's column-major fjac (scanned when
 * `scan`).  A C-ordered float64 array of exactly the expected shape is
 * copied here, transposing it when it holds one residual per row; anything
 * else goes to the Python checker. */
static int
copy_jacobian(Evaluator *ev, PyObject *result, npy_intp n, double *fjac, int scan)
{
    npy_intp m = ev->m;
    const double *values = exact_float64_data(result, 2, ev->col_deriv ? n : m, ev->col_deriv ? m : n);
    if (values == NULL) {
        if (numbers_as_jacobian(result, m, n, ev->col_deriv, fjac)) {
            return !scan || all_finite(fjac, m * n) ? COPIED : COPIED_NONFINITE;
        }
        npy_intp dims[2] = {m, n};
        return copy_checked(PyObject_CallOneArg(ev->check_fjac, result), fjac, 2, dims, scan);
    }
    int finite = ev->col_deriv ? copy_all_finite(fjac, values, m * n) /* (n, m) row-major is (m, n) column-major */
                               : copy_rows_all_finite(fjac, values, m, n);
    return finite || !scan ? COPIED : COPIED_NONFINITE;
}

/* func at x into fvec.  `stage` names what MINPACK builds on the residuals
 * (the guard raises on nan or inf there); NULL for a trial point, where
 * nan or inf only extends the run recorded in nonfinite_since. */
static int
evaluate_residuals(Evaluator *ev, npy_intp n, const double *x, double *fvec, const char *stage)
{
    ev->nfev++;
    PyObject *result = call_with_x(ev, ev->func, n, x);
    if (result == NULL) {
        return -1;
    }
    int status = copy_residuals(ev, result, fvec, guarded(ev));
    Py_DECREF(result);
    if (status == COPIED_NONFINITE && stage != NULL) {
        return report_nonfinite(ev, "func", ev->nfev, stage, n, x);
    }
    if (stage == NULL && status != COPY_FAILED) {
        ev->nonfinite_since = trailing_run_start(ev->nonfinite_since, status == COPIED_NONFINITE, ev->nfev);
    }
    return status == COPY_FAILED ? COPY_FAILED : COPIED;
}

static int
evaluate_jacobian(Evaluator *ev, npy_intp n, const double *x, double *fjac)
{
    ev->njev++;
    PyObject *result = call_with_x(ev, ev->dfun, n, x);
    if (result == NULL) {
        return -1;
    }
    int status = copy_jacobian(ev, result, n, fjac, guarded(ev));
    Py_DECREF(result);
    return status == COPIED_NONFINITE ? report_nonfinite(ev, "Dfun", ev->njev, STAGE_NAMES[STAGE_JACOBIAN], n, x) : status;
}

/* MINPACK's IFLAG = 0 call (every NPRINT iterations): progress(x, fvec). */
static int
report_progress(Evaluator *ev, npy_intp n, const double *x, const double *fvec)
{
    if (ev->progress == Py_None) {
        return 0;
    }
    PyObject *xcopy = new_array_copy(x, n);
    PyObject *fcopy = xcopy == NULL ? NULL : new_array_copy(fvec, ev->m);
    PyObject *result = fcopy == NULL ? NULL : PyObject_CallFunctionObjArgs(ev->progress, xcopy, fcopy, NULL);
    Py_XDECREF(xcopy);
    Py_XDECREF(fcopy);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* FCN of lmdif: IFLAG 1 or 2 asks for the residuals, 0 reports progress. */
static void
lmdif_fcn(int *m, int *n, double *x, double *fvec, int *iflag)
{
    Evaluator *ev = active_evaluator;
    int status;
    (void)m;
    if (ev == NULL || ev->error != NULL) { /* no solve of ours, or already stopping */
        *iflag = -1;
        return;
    }
    if (*iflag == 0) {
        status = report_progress(ev, *n, x, fvec);
    }
    else {
        /* IFLAG 2: the columns of fdjac2's difference quotients. */
        const char *stage = STAGE_NAMES[*iflag == 2 ? STAGE_DIFFERENCES : ev->nfev == 0 ? STAGE_START : STAGE_NONE];
        status = evaluate_residuals(ev, *n, x, fvec, stage);
    }
    if (status < 0) {
        stop_with_error(ev, iflag);
    }
}

/* FCN of lmder: IFLAG 1 asks for the residuals, 2 for the Jacobian, 0
 * reports progress. */
static void
lmder_fcn(int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag)
{
    Evaluator *ev = active_evaluator;
    int status = 0;
    (void)m;
    (void)ldfjac; /* always m: the f2py wrapper allocates fjac as (m, n) */
    if (ev == NULL || ev->error != NULL) { /* no solve of ours, or already stopping */
        *iflag = -1;
        return;
    }
    if (*iflag == 0) {
        status = report_progress(ev, *n, x, fvec);
    }
    else if (*iflag == 1) {
        status = evaluate_residuals(ev, *n, x, fvec, STAGE_NAMES[ev->nfev == 0 ? STAGE_START : STAGE_NONE]);
    }
    else if (*iflag == 2) {
        status = evaluate_jacobian(ev, *n, x, fjac);
    }
    if (status < 0) {
        stop_with_error(ev, iflag);
    }
}

/* ---- FCN of hybrd and hybrj (fsolve) ----------------------------------
 * n equations in n unknowns (the Evaluator's m is n).  Every residual
 * vector is scanned and stopped on, the trial points' included (see
 * STAGE_HYBRID_TRIAL), so no run of non-finite trials is recorded. */

static const char *
hybrid_stage(Evaluator *ev)
{
    return STAGE_NAMES[ev->nfev == 0 ? STAGE_START : STAGE_HYBRID_TRIAL];
}

/* FCN of hybrd: IFLAG 1 asks for the residuals, 2 for those of fdjac1's
 * difference quotients, 0 reports progress. */
static void
hybrd_fcn(int *n, double *x, double *fvec, int *iflag)
{
    Evaluator *ev = active_evaluator;
    int status;
    if (ev == NULL || ev->error != NULL) { /* no solve of ours, or already stopping */
        *iflag = -1;
        return;
    }
    if (*iflag == 0) {
        status = report_progress(ev, *n, x, fvec);
    }
    else {
        status = evaluate_residuals(ev, *n, x, fvec, *iflag == 2 ? STAGE_NAMES[STAGE_DIFFERENCES] : hybrid_stage(ev));
    }
    if (status < 0) {
        stop_with_error(ev, iflag);
    }
}

/* FCN of hybrj: IFLAG 1 asks for the residuals, 2 for the Jacobian, 0
 * reports progress. */
static void
hybrj_fcn(int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag)
{
    Evaluator *ev = active_evaluator;
    int status = 0;
    (void)ldfjac; /* always n: the f2py wrapper allocates fjac as (n, n) */
    if (ev == NULL || ev->error != NULL) { /* no solve of ours, or already stopping */
        *iflag = -1;
        return;
    }
    if (*iflag == 0) {
        status = report_progress(ev, *n, x, fvec);
    }
    else if (*iflag == 1) {
        status = evaluate_residuals(ev, *n, x, fvec, hybrid_stage(ev));
    }
    else if (*iflag == 2) {
        status = evaluate_jacobian(ev, *n, x, fjac);
    }
    if (status < 0) {
        stop_with_error(ev, iflag);
    }
}

/* ---- the Evaluator type ------------------------------------------------ */

static int
Evaluator_init(Evaluator *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"func", "args", "m", "check_fvec", "dfun", "check_fjac",
                             "col_deriv", "on_nonfinite", "progress", NULL};
    PyObject *func, *fargs, *check_fvec, *dfun = Py_None, *check_fjac = Py_None;
    PyObject *on_nonfinite = Py_None, *progress = Py_None;
    int col_deriv = 0;
    Py_ssize_t m;
    if (self->active) {
        PyErr_SetString(PyExc_RuntimeError, "Evaluator is in use");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!nO|OO$pOO:Evaluator", kwlist, &func,
                                     &PyTuple_Type, &fargs, &m, &check_fvec, &dfun, &check_fjac,
                                     &col_deriv, &on_nonfinite, &progress)) {
        return -1;
    }
    Py_INCREF(func);
    Py_XSETREF(self->func, func);
    Py_INCREF(fargs);
    Py_XSETREF(self->args, fargs);
    Py_INCREF(check_fvec);
    Py_XSETREF(self->check_fvec, check_fvec);
    Py_INCREF(dfun);
    Py_XSETREF(self->dfun, dfun);
    Py_INCREF(check_fjac);
    Py_XSETREF(self->check_fjac, check_fjac);
    Py_INCREF(on_nonfinite);
    Py_XSETREF(self->on_nonfinite, on_nonfinite);
    Py_INCREF(progress);
    Py_XSETREF(self->progress, progress);
    Py_CLEAR(self->error);
    self->m = m;
    self->col_deriv = col_deriv;
    self->nfev = 0;
    self->njev = 0;
    self->nonfinite_since = 0;
    return 0;
}

static int
Evaluator_traverse(Evaluator *self, visitproc visit, void *arg)
{
    Py_VISIT(self->func);
    Py_VISIT(self->args);
    Py_VISIT(self->check_fvec);
    Py_VISIT(self->dfun);
    Py_VISIT(self->check_fjac);
    Py_VISIT(self->on_nonfinite);
    Py_VISIT(self->progress);
    Py_VISIT(self->error);
    return 0;
}

static int
Evaluator_clear(Evaluator *self)
{
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->check_fvec);
    Py_CLEAR(self->dfun);
    Py_CLEAR(self->check_fjac);
    Py_CLEAR(self->on_nonfinite);
    Py_CLEAR(self->progress);
    Py_CLEAR(self->error);
    return 0;
}

static void
Evaluator_dealloc(Evaluator *self)
{
    PyObject_GC_UnTrack(self);
    Evaluator_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Evaluator_enter(Evaluator *self, PyObject *Py_UNUSED(ignored))
{
    if (self->active) {
        PyErr_SetString(PyExc_RuntimeError, "Evaluator is already active");
        return NULL;
    }
    self->previous = active_evaluator;
    self->active = 1;
    active_evaluator = self;
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *
Evaluator_exit(Evaluator *self, PyObject *Py_UNUSED(args))
{
    if (self->active) {
        active_evaluator = self->previous;
        self->previous = NULL;
        self->active = 0;
    }
    Py_RETURN_FALSE;
}

static PyObject *
Evaluator_take_error(Evaluator *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *error = self->error;
    self->error = NULL;
    if (error == NULL) {
        Py_RETURN_NONE;
    }
    return error;
}

static PyMethodDef Evaluator_methods[] = {
    {"__enter__", (PyCFunction)Evaluator_enter, METH_NOARGS,
     "Make this the evaluator MINPACK's FCN calls on this thread."},
    {"__exit__", (PyCFunction)Evaluator_exit, METH_VARARGS,
     "Restore the evaluator that was active before."},
    {"take_error", (PyCFunction)Evaluator_take_error, METH_NOARGS,
     "Return (and forget) the exception that stopped the solve, or None."},
    {NULL, NULL, 0, NULL},
};

static PyObject *
Evaluator_get_nonfinite_since(Evaluator *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->nonfinite_since);
}

static PyGetSetDef Evaluator_getset[] = {
    {"nonfinite_since", (getter)Evaluator_get_nonfinite_since, NULL,
     "With the guard on: the evaluation (MINPACK's count) that began the trailing run of trial points\n"
     "whose residuals were nan or inf; 0 when the last trial point gave finite residuals.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject EvaluatorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pyminpack._pycallback.Evaluator",
    .tp_doc = PyDoc_STR(
        "Evaluator(func, args, m, check_fvec, dfun=None, check_fjac=None, *,\n"
        "          col_deriv=False, on_nonfinite=None, progress=None)\n\n"
        "The Python functions behind MINPACK's FCN for one solve; use as a\n"
        "context manager around the lmdif/lmder call."),
    .tp_basicsize = sizeof(Evaluator),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Evaluator_init,
    .tp_dealloc = (destructor)Evaluator_dealloc,
    .tp_traverse = (traverseproc)Evaluator_traverse,
    .tp_clear = (inquiry)Evaluator_clear,
    .tp_methods = Evaluator_methods,
    .tp_getset = Evaluator_getset,
};

/* ---- lmstr: the Jacobian by blocks of rows (pyminpack.leastsq_rows) ----
 *
 * lmstr asks FCN for the Jacobian one row at a time (IFLAG = i + 2 for row
 * i, 0-based), rows 0 to m - 1 in order at the same x, and folds each row
 * into its n-by-n triangle at once: no m-by-n array exists.  A Python call
 * per row would cost more than lmstr's own work on the row, so a
 * RowEvaluator calls jac_rows(x, slice(first, stop), *args) once per block
 * of block_rows rows and serves the rows from that block; row 0 always
 * starts a new block (a new Jacobian, at a new x).  Only one block is held
 * at a time: the previous one is released before the next is asked for,
 * and the last one once its last row is served, so that no block is held
 * while func makes the next m residuals (leastsq_rows' peak memory is
 * MINPACK's two m-vectors and func's result, benchmarks/lmstr_memory.py). */

typedef struct RowEvaluator {
    Evaluator base;          /* dfun is jac_rows; func, args, progress, the guard as for lmder */
    PyObject *check_rows;    /* check_rows(value, count) -> C-contiguous float64 (count, n) */
    PyObject *block;         /* the rows [first, stop) as such an array, or NULL */
    const double *rows;      /* its data */
    npy_intp block_rows;     /* rows per call of jac_rows */
    npy_intp first, stop;
} RowEvaluator;

static PyTypeObject RowEvaluatorType;

static void
release_block(RowEvaluator *rev)
{
    Py_CLEAR(rev->block);
    rev->first = rev->stop = 0;
}

/* Call jac_rows for the block that begins at row `first` (njev counts the
 * Jacobians: the blocks that begin at row 0). */
static int
evaluate_rows(RowEvaluator *rev, npy_intp n, const double *x, npy_intp first)
{
    Evaluator *ev = &rev->base;
    npy_intp count = ev->m - first < rev->block_rows ? ev->m - first : rev->block_rows;
    if (first == 0) {
        ev->njev++;
    }
    release_block(rev);
    PyObject *start = PyLong_FromSsize_t(first);
    PyObject *stop = start == NULL ? NULL : PyLong_FromSsize_t(first + count);
    PyObject *rows = stop == NULL ? NULL : PySlice_New(start, stop, NULL);
    Py_XDECREF(start);
    Py_XDECREF(stop);
    PyObject *result = rows == NULL ? NULL : call_with_x_then(ev, ev->dfun, n, x, rows);
    Py_XDECREF(rows);
    if (result != NULL && exact_float64_data(result, 2, count, n) == NULL) {
        Py_SETREF(result, PyObject_CallFunction(rev->check_rows, "On", result, count));
        if (result != NULL && exact_float64_data(result, 2, count, n) == NULL) {
            Py_CLEAR(result);
            PyErr_SetString(PyExc_SystemError, "pyminpack: check_rows returned a wrong array");
        }
    }
    if (result == NULL) {
        return -1;
    }
    rev->block = result;
    rev->rows = exact_float64_data(result, 2, count, n);
    rev->first = first;
    rev->stop = first + count;
    if (guarded(ev) && !all_finite(rev->rows, count * n)) {
        return report_nonfinite(ev, "jac_rows", ev->njev, STAGE_NAMES[STAGE_JACOBIAN], n, x);
    }
    return 0;
}

/* FCN of lmstr: IFLAG 1 asks for the residuals, i + 2 for row i of the
 * Jacobian, 0 reports progress. */
static void
lmstr_fcn(int *m, int *n, double *x, double *fvec, double *fjrow, int *iflag)
{
    Evaluator *ev = active_evaluator;
    int status = 0;
    (void)m;
    /* not a row solve of ours, or already stopping */
    if (ev == NULL || ev->error != NULL || Py_TYPE((PyObject *)ev) != &RowEvaluatorType) {
        *iflag = -1;
        return;
    }
    RowEvaluator *rev = (RowEvaluator *)ev;
    if (*iflag == 0) {
        status = report_progress(ev, *n, x, fvec);
    }
    else if (*iflag == 1) {
        status = evaluate_residuals(ev, *n, x, fvec, STAGE_NAMES[ev->nfev == 0 ? STAGE_START : STAGE_NONE]);
    }
    else {
        npy_intp row = (npy_intp)*iflag - 2;
        if (row == 0 || row < rev->first || row >= rev->stop) {
            status = evaluate_rows(rev, *n, x, row);
        }
        if (status == 0) { /* a few values per call, m calls per Jacobian: a loop, not a call of memcpy */
            const double *values = rev->rows + (row - rev->first) * *n;
            for (int j = 0; j < *n; j++) {
                fjrow[j] = values[j];
            }
            if (row == ev->m - 1) {
                release_block(rev);
            }
        }
    }
    if (status < 0) {
        stop_with_error(ev, iflag);
    }
}

static int
RowEvaluator_init(RowEvaluator *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"func", "args", "m", "check_fvec", "jac_rows", "check_rows", "block_rows",
                             "on_nonfinite", "progress", NULL};
    PyObject *func, *fargs, *check_fvec, *jac_rows, *check_rows, *on_nonfinite = Py_None, *progress = Py_None;
    Py_ssize_t m, block_rows;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!nOOOn|$OO:RowEvaluator", kwlist, &func, &PyTuple_Type, &fargs,
                                     &m, &check_fvec, &jac_rows, &check_rows, &block_rows, &on_nonfinite,
                                     &progress)) {
        return -1;
    }
    if (block_rows < 1) {
        PyErr_SetString(PyExc_ValueError, "RowEvaluator: block_rows must be positive");
        return -1;
    }
    PyObject *base_args = Py_BuildValue("(OOnOO)", func, fargs, m, check_fvec, jac_rows);
    PyObject *base_kwds =
        base_args == NULL ? NULL : Py_BuildValue("{sOsO}", "on_nonfinite", on_nonfinite, "progress", progress);
    int status = base_kwds == NULL ? -1 : EvaluatorType.tp_init((PyObject *)self, base_args, base_kwds);
    Py_XDECREF(base_args);
    Py_XDECREF(base_kwds);
    if (status < 0) {
        return -1;
    }
    Py_INCREF(check_rows);
    Py_XSETREF(self->check_rows, check_rows);
    Py_CLEAR(self->block);
    self->block_rows = block_rows;
    self->first = self->stop = 0;
    return 0;
}

static int
RowEvaluator_traverse(RowEvaluator *self, visitproc visit, void *arg)
{
    Py_VISIT(self->check_rows);
    Py_VISIT(self->block);
    return Evaluator_traverse(&self->base, visit, arg);
}

static int
RowEvaluator_clear(RowEvaluator *self)
{
    Py_CLEAR(self->check_rows);
    Py_CLEAR(self->block);
    return Evaluator_clear(&self->base);
}

static void
RowEvaluator_dealloc(RowEvaluator *self)
{
    PyObject_GC_UnTrack(self);
    RowEvaluator_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Leaving the solve also drops the block of a solve stopped within a Jacobian. */
static PyObject *
RowEvaluator_exit(RowEvaluator *self, PyObject *args)
{
    release_block(self);
    return Evaluator_exit(&self->base, args);
}

static PyMethodDef RowEvaluator_methods[] = {
    {"__exit__", (PyCFunction)RowEvaluator_exit, METH_VARARGS,
     "Restore the evaluator that was active before, and drop the last block of rows."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RowEvaluatorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pyminpack._pycallback.RowEvaluator",
    .tp_doc = PyDoc_STR(
        "RowEvaluator(func, args, m, check_fvec, jac_rows, check_rows, block_rows, *,\n"
        "             on_nonfinite=None, progress=None)\n\n"
        "The Python functions behind lmstr's FCN (LMSTR_FCN) for one solve:\n"
        "jac_rows(x, slice(first, stop), *args) is called once per block of\n"
        "block_rows rows; use as a context manager around the lmstr call."),
    .tp_basicsize = sizeof(RowEvaluator),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_base = &EvaluatorType,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)RowEvaluator_init,
    .tp_dealloc = (destructor)RowEvaluator_dealloc,
    .tp_traverse = (traverseproc)RowEvaluator_traverse,
    .tp_clear = (inquiry)RowEvaluator_clear,
    .tp_methods = RowEvaluator_methods,
};

/* The functions and types of the lmstr section, as module attributes. */
static int
add_row_evaluator(PyObject *module)
{
    if (PyType_Ready(&RowEvaluatorType) < 0) {
        return -1;
    }
    PyObject *lmstr = PyLong_FromVoidPtr((void *)(uintptr_t)lmstr_fcn);
    int failed = lmstr == NULL || PyModule_AddObjectRef(module, "LMSTR_FCN", lmstr) < 0 ||
                 PyModule_AddObjectRef(module, "RowEvaluator", (PyObject *)&RowEvaluatorType) < 0;
    Py_XDECREF(lmstr);
    return failed ? -1 : 0;
}

static struct PyModuleDef pycallback_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pyminpack._pycallback",
    .m_doc = "MINPACK's FCN for Python residual functions, as addresses for the f2py wrappers.",
    .m_size = -1,
};

/* HYBRD_FCN and HYBRJ_FCN, the addresses of fsolve's FCNs, as constants of
 * `module`; -1 with an exception set on failure. */
static int
add_hybrid_fcns(PyObject *module)
{
    PyObject *hybrd = PyLong_FromVoidPtr((void *)(uintptr_t)hybrd_fcn);
    PyObject *hybrj = PyLong_FromVoidPtr((void *)(uintptr_t)hybrj_fcn);
    int failed = hybrd == NULL || hybrj == NULL || PyModule_AddObjectRef(module, "HYBRD_FCN", hybrd) < 0 ||
                 PyModule_AddObjectRef(module, "HYBRJ_FCN", hybrj) < 0;
    Py_XDECREF(hybrd);
    Py_XDECREF(hybrj);
    return failed ? -1 : 0;
}

PyMODINIT_FUNC
PyInit__pycallback(void)
{
    import_array();
    if (PyType_Ready(&EvaluatorType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&pycallback_module);
    if (module == NULL) {
        return NULL;
    }
    /* The f2py wrappers take FCN as an address (see minpack.pyf); through
     * uintptr_t, as ISO C has no direct function-to-object pointer cast. */
    PyObject *lmdif = PyLong_FromVoidPtr((void *)(uintptr_t)lmdif_fcn);
    PyObject *lmder = PyLong_FromVoidPtr((void *)(uintptr_t)lmder_fcn);
    int failed = lmdif == NULL || lmder == NULL || add_shared_constants(module) < 0 ||
                 PyModule_AddObjectRef(module, "Evaluator", (PyObject *)&EvaluatorType) < 0 ||
                 PyModule_AddObjectRef(module, "LMDIF_FCN", lmdif) < 0 ||
                 PyModule_AddObjectRef(module, "LMDER_FCN", lmder) < 0 || add_row_evaluator(module) < 0;
    Py_XDECREF(lmdif);
    Py_XDECREF(lmder);
    if (failed || add_hybrid_fcns(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
