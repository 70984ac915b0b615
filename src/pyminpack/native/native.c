/*
 * pyminpack._native: MINPACK driven by compiled callbacks, with the GIL
 * released for the whole solve.
 *
 * Why hand-written C (not f2py): the f2py wrappers of _minpack hold the GIL
 * for the whole call, and each call costs Python-level argument handling
 * comparable with the whole solve of a small problem with a compiled
 * residual function (benchmarks/RESULTS.md); in fit_many it would dominate:
 * one Python round trip per curve, serialised by the GIL so that threads
 * could not help.  This file
 * calls the Fortran lmdif_/lmder_ of minpack_lib directly (gfortran's
 * convention: every argument by reference, a trailing underscore), with a C
 * trampoline as MINPACK's FCN, and makes no Python call between
 * Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS.
 *
 * MINPACK's FCN has no user-data argument, so the trampoline reads its
 * context (the user's function pointers, user_data, counters, the data of
 * the current curve) through a thread-local pointer, set just before the
 * Fortran call on the same thread and restored after it (a solve nested in a
 * user's function would see its own).
 *
 * The C signatures (documented in _solver/compiled.py and the README):
 *
 *   int residuals(int m, int n, const double *x, double *fvec, void *user_data)
 *   int jacobian(int m, int n, const double *x, double *fjac, int ldfjac,
 *                void *user_data)            fjac column-major, fjac[i + j*ldfjac]
 *   int model(int m, int n, const double *p, const double *x, double *out,
 *             void *user_data)               fit_many: model values at x
 *   int model_jacobian(int m, int n, const double *p, const double *x,
 *                      double *fjac, int ldfjac, void *user_data)
 *   int jacobian_rows(int m, int n, const double *x, int first, int count,
 *                     double *rows, void *user_data)
 *                                            leastsq_rows: rows first..first+count-1
 *                                            row-major, rows[k*n + j]
 *
 * They return 0 to continue; any other value stops the solve (MINPACK's
 * user-termination request, IFLAG < 0) and is reported as `status`.
 *
 * The non-finite guard follows pycallback.c: the residuals at the starting
 * point (MINPACK's first evaluation) and every Jacobian (analytic, or the
 * residuals at fdjac2's difference points) are scanned and stop the solve;
 * residuals at a trial point are let through (MINPACK rejects such a step
 * and shortens it), scanned only to record the trailing run of non-finite
 * trials (nonfinite_since), on which no success may rest.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "fcn_common.h"

typedef int (*residuals_fn)(int m, int n, const double *x, double *fvec, void *user_data);
typedef int (*jacobian_fn)(int m, int n, const double *x, double *fjac, int ldfjac, void *user_data);
typedef int (*model_fn)(int m, int n, const double *p, const double *x, double *out, void *user_data);
typedef int (*model_jacobian_fn)(int m, int n, const double *p, const double *x, double *fjac, int ldfjac,
                                 void *user_data);

typedef int (*jacobian_rows_fn)(int m, int n, const double *x, int first, int count, double *rows, void *user_data);

typedef void (*lmdif_fcn_t)(int *m, int *n, double *x, double *fvec, int *iflag);
typedef void (*lmder_fcn_t)(int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag);

/* The vendored Fortran (minpack_src/lmdif.f, lmder.f), gfortran's ABI. */
extern void lmdif_(lmdif_fcn_t fcn, int *m, int *n, double *x, double *fvec, double *ftol, double *xtol,
                   double *gtol, int *maxfev, double *epsfcn, double *diag, int *mode, double *factor,
                   int *nprint, int *info, int *nfev, double *fjac, int *ldfjac, int *ipvt, double *qtf,
                   double *wa1, double *wa2, double *wa3, double *wa4);
extern void lmder_(lmder_fcn_t fcn, int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac,
                   double *ftol, double *xtol, double *gtol, int *maxfev, double *diag, int *mode,
                   double *factor, int *nprint, int *info, int *nfev, int *njev, int *ipvt, double *qtf,
                   double *wa1, double *wa2, double *wa3, double *wa4);

typedef struct Context {
    /* leastsq: residuals/jacobian; fit_many: model/model_jacobian */
    residuals_fn residuals;
    jacobian_fn jacobian;
    model_fn model;
    model_jacobian_fn model_jacobian;
    void *user_data;
    const double *xdata;   /* fit_many: the abscissae handed to the model, or NULL */
    const double *y;       /* fit_many: this curve's data */
    const double *weight;  /* fit_many: 1/sigma for this curve, or NULL */
    int nfev, njev;        /* calls so far (MINPACK's counts) */
    int status;            /* the user's nonzero return value that stopped the solve */
    int stage;             /* STAGE_*: where nan/inf stopped the solve */
    int evaluation;        /* which call (nfev or njev) returned it */
    int stopped_by;        /* 1: the residual function (or model) asked to stop, 2: the Jacobian */
    int nonfinite_since;   /* the first of the trailing run of trial evaluations that gave nan or inf, or 0 */
    double *xbad;          /* n doubles: where (the point is copied here) */
    /* leastsq_rows (lmstr): the Jacobian's rows by blocks, the block held */
    jacobian_rows_fn jacobian_rows;
    double *block;         /* block_rows * n doubles: rows first..stop-1, row-major */
    int block_rows, first, stop;
    /* fit_many with bounds or fixed parameters (see "fit_many: bounds and
     * fixed parameters" below): MINPACK's x is then the internal vector of
     * the nfit fitted parameters, and the model gets the n_model external
     * ones in p_ext.  `mapped` 0: x is the model's parameters. */
    int mapped;
    int n_model;
    const double *lb, *ub; /* this curve's bounds (n_model each), or NULL: none */
    const int *fitted;     /* the fitted parameters' indices (nfit of them), or NULL: all */
    double *p_ext;         /* n_model doubles: the model's parameters, the fixed ones preset */
    double *jac_ext;       /* m * n_model doubles: the model's Jacobian, when some are fixed */
} Context;

static const double *external_parameters(Context *ctx, int nfit, const double *q);
static void chain_rule(Context *ctx, int m, int nfit, const double *q, const double *jac, int ldjac, double *fjac,
                       int ldfjac);

static PYMINPACK_THREAD_LOCAL Context *active = NULL;

/* Residuals at x into fvec: the user's residuals, or fit_many's
 * (model(p, x) - y) * weight.  Nonzero: stop (ctx->status set). */
static int
evaluate(Context *ctx, int m, int n, const double *x, double *fvec)
{
    int status;
    ctx->nfev++;
    if (ctx->model == NULL) {
        status = ctx->residuals(m, n, x, fvec, ctx->user_data);
    }
    else {
        status = ctx->model(m, n, x, ctx->xdata, fvec, ctx->user_data);
        if (status == 0) {
            const double *y = ctx->y, *w = ctx->weight;
            if (w == NULL) {
                for (int i = 0; i < m; i++) {
                    fvec[i] = fvec[i] - y[i];
                }
            }
            else {
                for (int i = 0; i < m; i++) {
                    fvec[i] = (fvec[i] - y[i]) * w[i];
                }
            }
        }
    }
    if (status != 0) {
        ctx->status = status;
        ctx->stopped_by = 1;
    }
    return status;
}

static int
evaluate_jacobian(Context *ctx, int m, int n, const double *x, double *fjac, int ldfjac)
{
    int status;
    ctx->njev++;
    if (ctx->model == NULL) {
        status = ctx->jacobian(m, n, x, fjac, ldfjac, ctx->user_data);
    }
    else {
        status = ctx->model_jacobian(m, n, x, ctx->xdata, fjac, ldfjac, ctx->user_data);
        if (status == 0 && ctx->weight != NULL) {
            const double *w = ctx->weight;
            for (int j = 0; j < n; j++) {
                double *column = fjac + (npy_intp)j * ldfjac;
                for (int i = 0; i < m; i++) {
                    column[i] = column[i] * w[i];
                }
            }
        }
    }
    if (status != 0) {
        ctx->status = status;
        ctx->stopped_by = 2;
    }
    return status;
}

/* The guard, on the values just evaluated: nan or inf where MINPACK
 * builds on them (`stage`) is recorded and asks MINPACK to stop (1); at a
 * trial point (STAGE_NONE) it only extends the run in nonfinite_since. */
static int
guard(Context *ctx, int stage, int evaluation, int n, const double *x, const double *values, int m,
      int columns, int ld)
{
    int finite = 1;
    for (int j = 0; j < columns && finite; j++) {
        finite = all_finite(values + (npy_intp)j * ld, m);
    }
    if (stage == STAGE_NONE) {
        ctx->nonfinite_since = (int)trailing_run_start(ctx->nonfinite_since, !finite, evaluation);
        return 0;
    }
    if (!finite) {
        ctx->stage = stage;
        ctx->evaluation = evaluation;
        memcpy(ctx->xbad, x, (size_t)n * sizeof(double));
    }
    return !finite;
}

/* MINPACK's FCN for lmdif.  `mapped` (a constant in each trampoline below,
 * so that the plain one compiles to the code it had before fit_many's
 * bounds and fixed parameters): x is the internal vector of the fitted
 * parameters, and the model gets the external ones. */
static inline void
lmdif_fcn(int mapped, int *m, int *n, double *x, double *fvec, int *iflag)
{
    Context *ctx = active;
    if (*iflag == 0) { /* progress report: NPRINT is 0, never asked for */
        return;
    }
    int stage = *iflag == 2 ? STAGE_DIFFERENCES : ctx->nfev == 0 ? STAGE_START : STAGE_NONE;
    const double *params = mapped ? external_parameters(ctx, *n, x) : x;
    int n_params = mapped ? ctx->n_model : *n;
    if (evaluate(ctx, *m, n_params, params, fvec) != 0 || guard(ctx, stage, ctx->nfev, *n, x, fvec, *m, 1, *m)) {
        *iflag = -1;
    }
}

/* MINPACK's FCN for lmder; `mapped` as for lmdif_fcn.  A mapped Jacobian
 * is the model's (weighted) at the external parameters, in jac_ext when
 * some are fixed, then by the chain rule MINPACK's. */
static inline void
lmder_fcn(int mapped, int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag)
{
    Context *ctx = active;
    const double *params = mapped ? external_parameters(ctx, *n, x) : x;
    int n_params = mapped ? ctx->n_model : *n;
    int stop = 0;
    if (*iflag == 1) {
        int stage = ctx->nfev == 0 ? STAGE_START : STAGE_NONE;
        stop = evaluate(ctx, *m, n_params, params, fvec) != 0 || guard(ctx, stage, ctx->nfev, *n, x, fvec, *m, 1, *m);
    }
    else if (*iflag == 2) {
        int separate = mapped && ctx->fitted != NULL;
        double *jac = separate ? ctx->jac_ext : fjac;
        stop = evaluate_jacobian(ctx, *m, n_params, params, jac, separate ? *m : *ldfjac) != 0;
        if (!stop && mapped) {
            chain_rule(ctx, *m, *n, x, jac, separate ? *m : *ldfjac, fjac, *ldfjac);
        }
        stop = stop || guard(ctx, STAGE_JACOBIAN, ctx->njev, *n, x, fjac, *m, *n, *ldfjac);
    }
    if (stop) {
        *iflag = -1;
    }
}

static void
lmdif_trampoline(int *m, int *n, double *x, double *fvec, int *iflag)
{
    lmdif_fcn(0, m, n, x, fvec, iflag);
}

static void
lmder_trampoline(int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag)
{
    lmder_fcn(0, m, n, x, fvec, fjac, ldfjac, iflag);
}

static void
lmdif_mapped_trampoline(int *m, int *n, double *x, double *fvec, int *iflag)
{
    lmdif_fcn(1, m, n, x, fvec, iflag);
}

static void
lmder_mapped_trampoline(int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag)
{
    lmder_fcn(1, m, n, x, fvec, fjac, ldfjac, iflag);
}

/* The MINPACK settings shared by every solve of one call. */
typedef struct Settings {
    double ftol, xtol, gtol, epsfcn, factor;
    int maxfev, mode;
    double *diag; /* MODE 2's n scale factors, or NULL (MODE 1) */
} Settings;

/* One solve: lmdif (no Jacobian) or lmder.  x, diag in/out; the rest out.
 * wa: 3n + m doubles.  Returns MINPACK's INFO. */
static int
solve(Context *ctx, int use_jacobian, int m, int n, double *x, double *fvec, double *fjac, int *ipvt,
      double *qtf, double *diag, double *wa, const Settings *s, int *nfev, int *njev)
{
    int info = 0, nprint = 0, ldfjac = m, mode = s->mode, maxfev = s->maxfev;
    double ftol = s->ftol, xtol = s->xtol, gtol = s->gtol, epsfcn = s->epsfcn, factor = s->factor;
    Context *previous = active;
    active = ctx;
    if (use_jacobian) {
        lmder_(ctx->mapped ? lmder_mapped_trampoline : lmder_trampoline, &m, &n, x, fvec, fjac, &ldfjac, &ftol, &xtol, &gtol, &maxfev, diag, &mode,
               &factor, &nprint, &info, nfev, njev, ipvt, qtf, wa, wa + n, wa + 2 * n, wa + 3 * n);
    }
    else {
        lmdif_(ctx->mapped ? lmdif_mapped_trampoline : lmdif_trampoline, &m, &n, x, fvec, &ftol, &xtol, &gtol, &maxfev, &epsfcn, diag, &mode, &factor,
               &nprint, &info, nfev, fjac, &ldfjac, ipvt, qtf, wa, wa + n, wa + 2 * n, wa + 3 * n);
        *njev = 0;
    }
    active = previous;
    return info;
}

/* ---- leastsq_rows: lmstr, the Jacobian by blocks of rows -------------- */

/* lmstr asks FCN for row i of the Jacobian with IFLAG = i + 2, rows 0 to
 * m - 1 in order at the same x, and folds each into its n-by-n triangle at
 * once.  As pycallback.c's RowEvaluator does for Python, the compiled
 * jacobian_rows is asked for block_rows rows at a time (a call per row would
 * keep a vectorised function from vectorising), and the rows are served from
 * the block; row 0 always starts a new block (a new Jacobian, at a new x). */

typedef void (*lmstr_fcn_t)(int *m, int *n, double *x, double *fvec, double *fjrow, int *iflag);

/* The vendored Fortran (minpack_src/lmstr.f), gfortran's ABI. */
extern void lmstr_(lmstr_fcn_t fcn, int *m, int *n, double *x, double *fvec, double *fjac, int *ldfjac,
                   double *ftol, double *xtol, double *gtol, int *maxfev, double *diag, int *mode,
                   double *factor, int *nprint, int *info, int *nfev, int *njev, int *ipvt, double *qtf,
                   double *wa1, double *wa2, double *wa3, double *wa4);

/* The block that begins at row `first` into ctx->block (njev counts the
 * Jacobians: the blocks that begin at row 0).  Nonzero: stop. */
static int
evaluate_rows(Context *ctx, int m, int n, const double *x, int first)
{
    int count = m - first < ctx->block_rows ? m - first : ctx->block_rows;
    if (first == 0) {
        ctx->njev++;
    }
    ctx->first = ctx->stop = 0;
    int status = ctx->jacobian_rows(m, n, x, first, count, ctx->block, ctx->user_data);
    if (status != 0) {
        ctx->status = status;
        ctx->stopped_by = 2;
        return status;
    }
    ctx->first = first;
    ctx->stop = first + count;
    /* Scanned row by row: count * n need not fit an int. */
    return guard(ctx, STAGE_JACOBIAN, ctx->njev, n, x, ctx->block, n, count, n);
}

static void
lmstr_trampoline(int *m, int *n, double *x, double *fvec, double *fjrow, int *iflag)
{
    Context *ctx = active;
    int stop = 0;
    if (*iflag == 1) {
        int stage = ctx->nfev == 0 ? STAGE_START : STAGE_NONE;
        stop = evaluate(ctx, *m, *n, x, fvec) != 0 || guard(ctx, stage, ctx->nfev, *n, x, fvec, *m, 1, *m);
    }
    else if (*iflag >= 2) {
        int row = *iflag - 2;
        if (row == 0 || row < ctx->first || row >= ctx->stop) {
            stop = evaluate_rows(ctx, *m, *n, x, row);
        }
        if (!stop) {
            const double *values = ctx->block + (npy_intp)(row - ctx->first) * *n;
            for (int j = 0; j < *n; j++) {
                fjrow[j] = values[j];
            }
        }
    }
    if (stop) {
        *iflag = -1;
    }
}

/* One lmstr solve, as solve() does lmder's: fjac is n by n.  Returns INFO. */
static int
solve_rows(Context *ctx, int m, int n, double *x, double *fvec, double *fjac, int *ipvt, double *qtf,
           double *diag, double *wa, const Settings *s, int *nfev, int *njev)
{
    int info = 0, nprint = 0, ldfjac = n, mode = s->mode, maxfev = s->maxfev;
    double ftol = s->ftol, xtol = s->xtol, gtol = s->gtol, factor = s->factor;
    Context *previous = active;
    active = ctx;
    lmstr_(lmstr_trampoline, &m, &n, x, fvec, fjac, &ldfjac, &ftol, &xtol, &gtol, &maxfev, diag, &mode, &factor,
           &nprint, &info, nfev, njev, ipvt, qtf, wa, wa + n, wa + 2 * n, wa + 3 * n);
    active = previous;
    return info;
}

/* ---- argument helpers -------------------------------------------------- */

/* A writable, aligned, C-contiguous array of `type` with exactly `size`
 * elements, or NULL with TypeError. */
static void *
array_data(PyObject *obj, const char *name, int type, npy_intp size, int writable)
{
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "_native: %s must be an ndarray", name);
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)obj;
    if (PyArray_TYPE(a) != type || !PyArray_ISCARRAY_RO(a) || !PyArray_ISNOTSWAPPED(a) ||
        PyArray_SIZE(a) != size || (writable && !PyArray_ISWRITEABLE(a))) {
        PyErr_Format(PyExc_TypeError, "_native: %s must be a C-contiguous %s array of %zd elements", name,
                     type == NPY_DOUBLE ? "float64" : "int32", (Py_ssize_t)size);
        return NULL;
    }
    return PyArray_DATA(a);
}

static void *
optional_data(PyObject *obj, const char *name, npy_intp size, int *ok)
{
    if (obj == Py_None) {
        return NULL;
    }
    void *data = array_data(obj, name, NPY_DOUBLE, size, 0);
    if (data == NULL) {
        *ok = 0;
    }
    return data;
}

/* A Python int holding a C address (0 for none), or 0 with OverflowError
 * set when it does not fit a pointer. */
static uintptr_t
address(PyObject *obj)
{
    return (uintptr_t)PyLong_AsVoidPtr(obj);
}

/* The functions of a solve, (function, jacobian, user_data) as addresses
 * (jacobian 0: forward differences).  0 with an exception on failure. */
static int
parse_functions(PyObject *functions, uintptr_t *function, uintptr_t *jacobian, void **user_data)
{
    if (!PyTuple_Check(functions) || PyTuple_GET_SIZE(functions) != 3) {
        PyErr_SetString(PyExc_TypeError, "_native: functions must be a tuple (function, jacobian, user_data)");
        return 0;
    }
    *function = address(PyTuple_GET_ITEM(functions, 0));
    *jacobian = address(PyTuple_GET_ITEM(functions, 1));
    *user_data = (void *)address(PyTuple_GET_ITEM(functions, 2));
    if (PyErr_Occurred()) {
        return 0;
    }
    if (*function == 0) {
        PyErr_SetString(PyExc_ValueError, "_native: the function's address is 0");
        return 0;
    }
    return 1;
}

/* The fields of pyminpack._solver.settings.SolverSettings that reach MINPACK, in
 * its order (the tuple is parsed by position; tests/test_settings.py checks
 * the two agree). */
static const char *const SETTINGS_FIELDS[] = {"ftol", "xtol", "gtol", "maxfev", "epsfcn", "factor", "diag",
                                              "allow_nonfinite", "progress", "band"};

/* Item i of a tuple as a double, into *value; 0 with an exception on failure. */
static int
real_item(PyObject *tuple, Py_ssize_t i, double *value)
{
    *value = PyFloat_AsDouble(PyTuple_GET_ITEM(tuple, i));
    return !(*value == -1.0 && PyErr_Occurred());
}

/* A SolverSettings for a problem of n parameters into `s`: epsfcn None is
 * the machine precision of float64 (a compiled function's residuals are
 * float64); diag None is MODE 1, else MODE 2 with its n values (read, never
 * written: MINPACK writes DIAG in MODE 1 only).  The guard's policy and the
 * progress reports are the Python layer's; band is hybrd's (fsolve's) only.
 * Read item by item: PyArg_ParseTuple's format parsing was a fifth of the
 * C entry's own work on a small solve.  0 with an exception on failure. */
static int
parse_settings(PyObject *settings, npy_intp n, Settings *s)
{
    if (!PyTuple_Check(settings) ||
        PyTuple_GET_SIZE(settings) != (Py_ssize_t)(sizeof SETTINGS_FIELDS / sizeof SETTINGS_FIELDS[0])) {
        PyErr_SetString(PyExc_TypeError, "_native: settings must be a SolverSettings");
        return 0;
    }
    if (!real_item(settings, 0, &s->ftol) || !real_item(settings, 1, &s->xtol) || !real_item(settings, 2, &s->gtol) ||
        !real_item(settings, 5, &s->factor)) {
        return 0;
    }
    int64_t maxfev = PyLong_AsLongLong(PyTuple_GET_ITEM(settings, 3));
    if (maxfev == -1 && PyErr_Occurred()) {
        return 0;
    }
    if (maxfev < INT_MIN || maxfev > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "_native: maxfev does not fit a Fortran integer");
        return 0;
    }
    s->maxfev = (int)maxfev;
    PyObject *oepsfcn = PyTuple_GET_ITEM(settings, 4), *odiag = PyTuple_GET_ITEM(settings, 6);
    if (oepsfcn == Py_None) {
        s->epsfcn = DBL_EPSILON;
    }
    else if (!real_item(settings, 4, &s->epsfcn)) {
        return 0;
    }
    s->mode = odiag == Py_None ? 1 : 2;
    s->diag = odiag == Py_None ? NULL : array_data(odiag, "diag", NPY_DOUBLE, n, 0);
    return odiag == Py_None || s->diag != NULL;
}

/* What a model reads as x: None (NULL), or m doubles per coordinate (a
 * built-in 2-D model's x is 2 by m, see builtin_models.c). */
static const double *
abscissae(PyObject *obj, npy_intp m, int *ok)
{
    npy_intp size = PyArray_Check(obj) ? PyArray_SIZE((PyArrayObject *)obj) : m;
    if (size == 0 || size % m != 0) {
        PyErr_SetString(PyExc_TypeError, "_native: xdata must hold m values per coordinate");
        *ok = 0;
        return NULL;
    }
    return optional_data(obj, "xdata", size, ok);
}

/* MINPACK's x: a new float64 array holding x0 (a 1-D real array of n
 * elements, any stride or dtype, read only), checked finite in the same
 * pass.  None (a new reference) when it holds nan or inf: the Python layer
 * says where, in the words of its own check.  NULL with an exception on
 * failure. */
static PyObject *
starting_x(PyObject *ox, npy_intp n)
{
    PyObject *x0 = PyArray_FROMANY(ox, NPY_DOUBLE, 1, 1, NPY_ARRAY_CARRAY_RO | NPY_ARRAY_FORCECAST);
    PyObject *x = x0 == NULL ? NULL : PyArray_SimpleNew(1, &n, NPY_DOUBLE);
    if (x == NULL) {
        Py_XDECREF(x0);
        return NULL;
    }
    int finite = copy_all_finite(PyArray_DATA((PyArrayObject *)x), PyArray_DATA((PyArrayObject *)x0), n);
    Py_DECREF(x0);
    if (!finite) {
        Py_DECREF(x);
        Py_RETURN_NONE;
    }
    return x;
}

/* ---- leastsq ----------------------------------------------------------- */

/* What stopped a solve, for the Python layer: None, or (status, stopped_by,
 * stage, evaluation, xbad) (see leastsq's docstring); NULL with an
 * exception on failure. */
static PyObject *
stop_info(const Context *ctx, npy_intp n)
{
    if (ctx->status == 0 && ctx->stage == STAGE_NONE) {
        return Py_None; /* borrowed: the callers test for it */
    }
    PyObject *oxbad = PyArray_SimpleNew(1, &n, NPY_DOUBLE);
    if (oxbad != NULL) {
        memcpy(PyArray_DATA((PyArrayObject *)oxbad), ctx->xbad, (size_t)n * sizeof(double));
    }
    return Py_BuildValue("iiiiN", ctx->status, ctx->stopped_by, ctx->stage, ctx->evaluation, oxbad);
}

PyDoc_STRVAR(leastsq_doc,
"leastsq(functions, x0, m, settings, data=None, outputs=True, block_rows=0)\n"
"-> (x, fvec, fjac, ipvt, qtf, info, nfev, njev, nonfinite_since, stop), or None\n\n"
"One lmdif (no Jacobian), lmder or lmstr solve with compiled callbacks, the GIL\n"
"released throughout.  functions: (residuals, jacobian, user_data) as\n"
"addresses, jacobian 0 for forward differences; x0: a 1-D real array, read\n"
"only (None is returned, nothing solved, when it holds nan or inf); x: the\n"
"solution, in a new float64 array; settings: a SolverSettings.\n"
"fjac is returned as an (n, m) C-ordered array (MINPACK's column-major m by\n"
"n fjac), ipvt as MINPACK's 1-based int32 (all four None when not\n"
"outputs: a solve's result is then x and its counts); nonfinite_since begins the\n"
"trailing run of trial evaluations that gave nan or inf (0: none).  stop is\n"
"None, or (status, stopped_by, stage, evaluation, xbad) when a function\n"
"asked MINPACK to stop (status nonzero; stopped_by 1 the residuals, 2 the\n"
"Jacobian) or the non-finite guard stopped it (stage; xbad where).\n\n"
"With data = (xdata, y, weight) (curve_fit's compiled model), the functions\n"
"are the model and its Jacobian, and the residuals (model(x, xdata) - y) *\n"
"weight are formed in C as fit_many forms them; y: m doubles, xdata: None\n"
"or m doubles per coordinate, weight: None or m doubles.\n\n"
"With block_rows > 0 (leastsq_rows; data None), the jacobian is a\n"
"jacobian_rows function, asked for block_rows rows per call, lmstr runs\n"
"and fjac is (n, n).");

/* METH_FASTCALL, its arguments read by position: PyArg_ParseTuple's format
 * parsing was a fifth of the C entry's own work on a small solve. */
static PyObject *
native_leastsq(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *oxdata = Py_None, *oy = Py_None, *oweight = Py_None;
    uintptr_t function, jacobian;
    void *user_data;
    Settings s;
    (void)self;
    if (nargs < 4 || nargs > 7) {
        PyErr_SetString(PyExc_TypeError, "_native.leastsq takes 4 to 7 arguments");
        return NULL;
    }
    PyObject *functions = args[0], *ox = args[1], *settings = args[3], *odata = nargs > 4 ? args[4] : Py_None;
    Py_ssize_t msize = PyLong_AsSsize_t(args[2]);
    int outputs = nargs > 5 ? PyObject_IsTrue(args[5]) : 1;
    Py_ssize_t block_rows = nargs > 6 ? PyLong_AsSsize_t(args[6]) : 0;
    if (PyErr_Occurred() || !parse_functions(functions, &function, &jacobian, &user_data) ||
        (odata != Py_None && !PyArg_ParseTuple(odata, "OOO:data", &oxdata, &oy, &oweight))) {
        return NULL;
    }
    if (!PyArray_Check(ox)) {
        PyErr_SetString(PyExc_TypeError, "_native: x must be an ndarray");
        return NULL;
    }
    /* n = 0 is allowed: MINPACK answers it with INFO = 0, as SciPy does. */
    npy_intp n = PyArray_SIZE((PyArrayObject *)ox), m = msize;
    if (m < 1 || m > INT_MAX || n > INT_MAX || (n > 0 && m > NPY_MAX_INTP / n)) {
        PyErr_SetString(PyExc_ValueError, "_native: bad problem size");
        return NULL;
    }
    /* lmstr: IFLAG = m + 1 for the last row must be an int; rows by blocks, no model data */
    int rows = block_rows > 0;
    if (block_rows < 0 || (rows && (m >= INT_MAX || block_rows > m || odata != Py_None || jacobian == 0))) {
        PyErr_SetString(PyExc_ValueError, "_native: bad block_rows");
        return NULL;
    }
    npy_intp ldfjac = rows ? n : m;
    if (!parse_settings(settings, n, &s)) {
        return NULL;
    }
    int ok = 1;
    const double *y = odata == Py_None ? NULL : array_data(oy, "y", NPY_DOUBLE, m, 0);
    const double *xdata = abscissae(oxdata, m, &ok);
    const double *weight = ok ? optional_data(oweight, "weight", m, &ok) : NULL;
    if ((odata != Py_None && y == NULL) || !ok) {
        return NULL;
    }
    PyObject *ox_out = starting_x(ox, n);
    if (ox_out == NULL || ox_out == Py_None) {
        return ox_out;
    }
    double *x = PyArray_DATA((PyArrayObject *)ox_out);
    /* MINPACK's outputs: numpy arrays returned to the caller, or (not
     * `outputs`: leastsq without full_output reads none of them) scratch
     * space in the work block. */
    PyObject *ofvec, *ofjac, *oipvt, *oqtf;
    if (outputs) {
        npy_intp dims[2] = {n, ldfjac};
        ofvec = PyArray_SimpleNew(1, &m, NPY_DOUBLE);
        ofjac = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
        oipvt = PyArray_SimpleNew(1, &n, NPY_INT32);
        oqtf = PyArray_SimpleNew(1, &n, NPY_DOUBLE);
    }
    else {
        /* Owned references like the arrays': the result tuple steals them. */
        ofvec = Py_NewRef(Py_None);
        ofjac = Py_NewRef(Py_None);
        oipvt = Py_NewRef(Py_None);
        oqtf = Py_NewRef(Py_None);
    }
    /* wa (3n + m), MODE 1's diag (n), xbad (n), lmstr's block (block_rows n); scratch fvec (m), fjac
     * (ldfjac n), qtf (n), ipvt (n ints) */
    size_t block = (size_t)block_rows * (size_t)n;
    size_t doubles = 5 * (size_t)n + (size_t)m + block +
                     (outputs ? 0 : (size_t)m + (size_t)ldfjac * (size_t)n + 2 * (size_t)n);
    double *wa = PyMem_RawMalloc(doubles * sizeof(double));
    if (ofvec == NULL || ofjac == NULL || oipvt == NULL || oqtf == NULL || wa == NULL) {
        Py_DECREF(ox_out);
        Py_XDECREF(ofvec);
        Py_XDECREF(ofjac);
        Py_XDECREF(oipvt);
        Py_XDECREF(oqtf);
        PyMem_RawFree(wa);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    double *diag = s.diag != NULL ? s.diag : wa + 3 * n + m;
    double *scratch = wa + 5 * n + m + block;
    double *fvec = outputs ? PyArray_DATA((PyArrayObject *)ofvec) : scratch;
    double *fjac = outputs ? PyArray_DATA((PyArrayObject *)ofjac) : scratch + m;
    double *qtf = outputs ? PyArray_DATA((PyArrayObject *)oqtf) : scratch + m + ldfjac * n;
    int *ipvt = outputs ? PyArray_DATA((PyArrayObject *)oipvt) : (int *)(scratch + m + ldfjac * n + n);
    Context ctx;
    memset(&ctx, 0, sizeof ctx);
    if (rows) {
        ctx.residuals = (residuals_fn)function;
        ctx.jacobian_rows = (jacobian_rows_fn)jacobian;
        ctx.block = wa + 5 * n + m;
        ctx.block_rows = (int)block_rows;
    }
    else if (odata == Py_None) {
        ctx.residuals = (residuals_fn)function;
        ctx.jacobian = (jacobian_fn)jacobian;
    }
    else {
        ctx.model = (model_fn)function;
        ctx.model_jacobian = (model_jacobian_fn)jacobian;
        ctx.xdata = xdata;
        ctx.y = y;
        ctx.weight = weight;
    }
    ctx.user_data = user_data;
    ctx.xbad = wa + 4 * n + m;
    int info, nfev = 0, njev = 0;
    Py_BEGIN_ALLOW_THREADS
    info = rows ? solve_rows(&ctx, (int)m, (int)n, x, fvec, fjac, ipvt, qtf, diag, wa, &s, &nfev, &njev)
                : solve(&ctx, jacobian != 0, (int)m, (int)n, x, fvec, fjac, ipvt, qtf, diag, wa, &s, &nfev, &njev);
    if (info == 0 && nfev == 0 && outputs) {
        /* Improper input: MINPACK evaluated nothing.  fvec gets func(x0),
         * as the Python path's checking call leaves it (SciPy's result);
         * this call is not counted in nfev, and its status is ignored. */
        (void)evaluate(&ctx, (int)m, (int)n, x, fvec);
        ctx.status = ctx.stopped_by = 0;
    }
    Py_END_ALLOW_THREADS
    PyObject *stop = stop_info(&ctx, n);
    PyMem_RawFree(wa);
    if (stop == NULL) {
        Py_DECREF(ox_out);
        Py_DECREF(ofvec);
        Py_DECREF(ofjac);
        Py_DECREF(oipvt);
        Py_DECREF(oqtf);
        return NULL;
    }
    return Py_BuildValue("NNNNNiiiiN", ox_out, ofvec, ofjac, oipvt, oqtf, info, nfev, njev, ctx.nonfinite_since,
                         stop == Py_None ? Py_NewRef(Py_None) : stop);
}

/* ---- fit_many: bounds and fixed parameters ----------------------------- */

/* MINUIT's bounded-to-unbounded transform, the one curve_fit uses: its
 * formulas are documented, and written in Python, in _fitting/bounds.py
 * (ParameterTransform.to_external, .derivative); this is their C twin, per
 * parameter, written operation for operation alike (tests/test_fit_many_bounds.py
 * checks the two agree to rounding through bounded_transform below).  C,
 * because fit_many evaluates it at every model call of every curve with the
 * GIL released.  An infinite bound is no bound.  p is kept within [lb, ub]
 * against rounding (np.clip's comparisons: a nan q stays nan). */
static double
bounded_external(double q, double lb, double ub)
{
    double p;
    if (finite_value(lb) && finite_value(ub)) {
        p = lb + (ub - lb) * (sin(q) + 1.0) / 2.0;
    }
    else if (finite_value(lb)) {
        p = lb - 1.0 + sqrt(q * q + 1.0);
    }
    else if (finite_value(ub)) {
        p = ub + 1.0 - sqrt(q * q + 1.0);
    }
    else {
        return q;
    }
    return p < lb ? lb : p > ub ? ub : p;
}

/* dp/dq of bounded_external. */
static double
bounded_derivative(double q, double lb, double ub)
{
    if (finite_value(lb) && finite_value(ub)) {
        return (ub - lb) / 2.0 * cos(q);
    }
    if (finite_value(lb)) {
        return q / sqrt(q * q + 1.0);
    }
    if (finite_value(ub)) {
        return -q / sqrt(q * q + 1.0);
    }
    return 1.0;
}

/* The model's n_model parameters for MINPACK's nfit internal ones q: the
 * fitted ones through the bounds (if any), the fixed ones as preset. */
static const double *
external_parameters(Context *ctx, int nfit, const double *q)
{
    for (int i = 0; i < nfit; i++) {
        int j = ctx->fitted != NULL ? ctx->fitted[i] : i;
        ctx->p_ext[j] = ctx->lb != NULL ? bounded_external(q[i], ctx->lb[j], ctx->ub[j]) : q[i];
    }
    return ctx->p_ext;
}

/* MINPACK's Jacobian (m by nfit, leading dimension ldfjac) from the
 * model's, weighted (m by n_model, leading dimension ldjac): the fitted
 * parameters' columns times dp/dq (curve_fit's order: (J * w) * dp/dq).
 * jac may be fjac itself (all parameters fitted): column i is then scaled
 * in place. */
static void
chain_rule(Context *ctx, int m, int nfit, const double *q, const double *jac, int ldjac, double *fjac, int ldfjac)
{
    for (int i = 0; i < nfit; i++) {
        int j = ctx->fitted != NULL ? ctx->fitted[i] : i;
        double slope = ctx->lb != NULL ? bounded_derivative(q[i], ctx->lb[j], ctx->ub[j]) : 1.0;
        const double *source = jac + (npy_intp)j * ldjac;
        double *column = fjac + (npy_intp)i * ldfjac;
        for (int r = 0; r < m; r++) {
            column[r] = source[r] * slope;
        }
    }
}

PyDoc_STRVAR(bounded_transform_doc,
"bounded_transform(q, lb, ub) -> (p, dpdq)\n\n"
"fit_many's C transform of internal parameters q (float64, C-contiguous)\n"
"to bounded ones, elementwise with the bounds lb, ub (same size), and its\n"
"derivative: for tests against _fitting/bounds.py's ParameterTransform.");

static PyObject *
native_bounded_transform(PyObject *self, PyObject *args)
{
    PyObject *oq, *olb, *oub;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOO:bounded_transform", &oq, &olb, &oub)) {
        return NULL;
    }
    npy_intp size = PyArray_Check(oq) ? PyArray_SIZE((PyArrayObject *)oq) : 0;
    const double *q = array_data(oq, "q", NPY_DOUBLE, size, 0);
    const double *lb = q ? array_data(olb, "lb", NPY_DOUBLE, size, 0) : NULL;
    const double *ub = lb ? array_data(oub, "ub", NPY_DOUBLE, size, 0) : NULL;
    if (ub == NULL) {
        return NULL;
    }
    PyObject *op = PyArray_SimpleNew(1, &size, NPY_DOUBLE), *od = PyArray_SimpleNew(1, &size, NPY_DOUBLE);
    if (op == NULL || od == NULL) {
        Py_XDECREF(op);
        Py_XDECREF(od);
        return NULL;
    }
    double *p = PyArray_DATA((PyArrayObject *)op), *d = PyArray_DATA((PyArrayObject *)od);
    for (npy_intp i = 0; i < size; i++) {
        p[i] = bounded_external(q[i], lb[i], ub[i]);
        d[i] = bounded_derivative(q[i], lb[i], ub[i]);
    }
    return Py_BuildValue("NN", op, od);
}

/* ---- fit_many ---------------------------------------------------------- */

/* One fit's standard errors, sqrt(diag(cov_x) * chisqr / (m - n)), into
 * perr (n doubles).  cov_x = P inv(R) inv(R)^T P^T as _solver/covariance.py forms
 * leastsq's, from MINPACK's fjac (R in the upper triangle of its leading n
 * rows, column-major, leading dimension m) and ipvt (1-based); inv(R) by
 * back substitution into rinv (n*n doubles of workspace), so the two agree
 * to rounding.  All nan when the fit did not converge (INFO not 1-4), when
 * m == n (no degrees of freedom), or when R is singular or not finite.
 * Computed here, per curve in the worker threads: a numpy pass after all
 * the fits would be serial time, which keeps workers from scaling. */
static void
standard_errors(int info, npy_intp m, npy_intp n, const double *fjac, const int *ipvt, double chisqr, double *rinv,
                double *perr)
{
    int usable = info >= 1 && info <= 4 && m > n;
    for (npy_intp j = 0; j < n && usable; j++) { /* column j of R: j + 1 values, the last its diagonal */
        usable = fjac[j + j * m] != 0.0 && all_finite(fjac + j * m, j + 1);
    }
    if (!usable) {
        for (npy_intp j = 0; j < n; j++) {
            perr[j] = NAN;
        }
        return;
    }
    for (npy_intp j = 0; j < n; j++) { /* column j of inv(R), upper triangular */
        rinv[j + j * n] = 1.0 / fjac[j + j * m];
        for (npy_intp i = j - 1; i >= 0; i--) {
            double sum = 0.0;
            for (npy_intp k = i + 1; k <= j; k++) {
                sum += fjac[i + k * m] * rinv[k + j * n];
            }
            rinv[i + j * n] = -sum / fjac[i + i * m];
        }
    }
    double scale = chisqr / (double)(m - n);
    for (npy_intp i = 0; i < n; i++) { /* row i of inv(R) belongs to parameter ipvt[i] */
        double variance = 0.0;
        for (npy_intp j = i; j < n; j++) {
            variance += rinv[i + j * n] * rinv[i + j * n];
        }
        perr[ipvt[i] - 1] = sqrt(variance * scale);
    }
}

PyDoc_STRVAR(fit_many_doc,
"fit_many(functions, xdata, y, weight, p, rows, results, settings, layout=None)\n\n"
"Fit curves start..stop-1 (rows = (start, stop)) of y (K by m) with the\n"
"compiled model, the GIL released throughout.  functions: (model,\n"
"model_jacobian, user_data) as addresses, model_jacobian 0 for forward\n"
"differences.  p (K by n) holds the starting points and receives the\n"
"solutions; results = (ier, nfev, chisqr, perr): ier, nfev (int32 K), chisqr\n"
"(K) and perr (K by n) are written for those rows.  xdata: None or m\n"
"doubles per coordinate; weight: None, m or K by m doubles (1/sigma); settings: a\n"
"SolverSettings without diag.  ier is MINPACK's INFO, IER_USER_STOP when the\n"
"model asked to stop, IER_NONFINITE when the non-finite guard stopped the\n"
"fit or refused its convergence (reached on non-finite trial points alone).\n\n"
"layout = (x_stride, lb, ub, fitted): x_stride 0 for one xdata shared by\n"
"all curves, else the doubles of each curve's own xdata (K of them, one\n"
"after the other); lb, ub: None (no bounds) or n or K by n doubles; fitted:\n"
"None (all) or the int32 indices of the parameters fitted, the others held\n"
"at their values in p (perr 0).  With bounds, p holds on entry the\n"
"internal starting point (ParameterTransform.to_internal) of each fitted\n"
"parameter, and receives the bounded solution; perr is mapped back by\n"
"|dp/dq| as curve_fit maps its covariance.");

/* The curve-dependent rows of a layout: `size` doubles of one shared row
 * (NULL for none) or K rows, one per curve. */
static const double *
row(const double *data, npy_intp size, npy_intp row_size, npy_intp k)
{
    return data == NULL || size == row_size ? data : data + k * row_size;
}

static PyObject *
native_fit_many(PyObject *self, PyObject *args)
{
    PyObject *functions, *oxdata, *oy, *oweight, *op, *oier, *onfev, *ochisqr, *operr, *settings;
    PyObject *olayout = Py_None, *olb = Py_None, *oub = Py_None, *ofitted = Py_None;
    Py_ssize_t start, stop, x_stride = 0;
    uintptr_t model, model_jacobian;
    void *user_data;
    Settings s;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOO(nn)(OOOO)O|O:fit_many", &functions, &oxdata, &oy, &oweight, &op, &start,
                          &stop, &oier, &onfev, &ochisqr, &operr, &settings, &olayout) ||
        !parse_functions(functions, &model, &model_jacobian, &user_data) ||
        (olayout != Py_None &&
         !PyArg_ParseTuple(olayout, "nOOO:layout", &x_stride, &olb, &oub, &ofitted))) {
        return NULL;
    }
    if (!PyArray_Check(oy) || PyArray_NDIM((PyArrayObject *)oy) != 2 || !PyArray_Check(op) ||
        PyArray_NDIM((PyArrayObject *)op) != 2) {
        PyErr_SetString(PyExc_TypeError, "_native: y and p must be 2-D ndarrays");
        return NULL;
    }
    npy_intp K = PyArray_DIM((PyArrayObject *)oy, 0), m = PyArray_DIM((PyArrayObject *)oy, 1);
    npy_intp n = PyArray_DIM((PyArrayObject *)op, 1);
    npy_intp nfit = ofitted == Py_None ? n : PyArray_Check(ofitted) ? PyArray_SIZE((PyArrayObject *)ofitted) : -1;
    if (PyArray_DIM((PyArrayObject *)op, 0) != K || n < 1 || nfit < 1 || nfit > n || m < nfit || m > INT_MAX / 4 ||
        n > INT_MAX / 4 || start < 0 || stop > K || start > stop || x_stride < 0 ||
        (x_stride > 0 && (x_stride % m != 0 || oxdata == Py_None))) {
        PyErr_SetString(PyExc_ValueError, "_native: bad sizes");
        return NULL;
    }
    if (!parse_settings(settings, nfit, &s)) {
        return NULL;
    }
    if (s.diag != NULL) {
        PyErr_SetString(PyExc_ValueError, "_native: fit_many scales each curve itself (MODE 1): diag must be None");
        return NULL;
    }
    int ok = 1;
    const double *y = array_data(oy, "y", NPY_DOUBLE, K * m, 0);
    double *p = y ? array_data(op, "p", NPY_DOUBLE, K * n, 1) : NULL;
    int *ier = p ? array_data(oier, "ier", NPY_INT32, K, 1) : NULL;
    int *nfev = ier ? array_data(onfev, "nfev", NPY_INT32, K, 1) : NULL;
    double *chisqr = nfev ? array_data(ochisqr, "chisqr", NPY_DOUBLE, K, 1) : NULL;
    double *perr = chisqr ? array_data(operr, "perr", NPY_DOUBLE, K * n, 1) : NULL;
    if (perr == NULL) {
        return NULL;
    }
    const double *xdata = x_stride == 0 ? abscissae(oxdata, m, &ok) : array_data(oxdata, "xdata", NPY_DOUBLE, K * x_stride, 0);
    if (x_stride > 0 && xdata == NULL) {
        return NULL;
    }
    npy_intp wsize = oweight == Py_None ? 0 : PyArray_Check(oweight) ? PyArray_SIZE((PyArrayObject *)oweight) : -1;
    npy_intp bsize = olb == Py_None ? 0 : PyArray_Check(olb) ? PyArray_SIZE((PyArrayObject *)olb) : -1;
    if ((wsize != 0 && wsize != m && wsize != K * m) || (bsize != 0 && bsize != n && bsize != K * n) ||
        (bsize == 0) != (oub == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "_native: weight must have m or K*m elements, lb and ub n or K*n");
        return NULL;
    }
    const double *weight = ok ? optional_data(oweight, "weight", wsize, &ok) : NULL;
    const double *lb = ok ? optional_data(olb, "lb", bsize, &ok) : NULL;
    const double *ub = ok ? optional_data(oub, "ub", bsize, &ok) : NULL;
    const int *fitted = ok && ofitted != Py_None ? array_data(ofitted, "fitted", NPY_INT32, nfit, 0) : NULL;
    if (!ok || (ofitted != Py_None && fitted == NULL)) {
        return NULL;
    }
    for (npy_intp i = 0; fitted != NULL && i < nfit; i++) {
        if (fitted[i] < 0 || fitted[i] >= n || (i > 0 && fitted[i] <= fitted[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "_native: fitted must be increasing indices of parameters");
            return NULL;
        }
    }
    int mapped = lb != NULL || fitted != NULL;
    /* fvec, fjac, qtf, diag, xbad, wa, rinv; mapped: p_ext, q, perr_q, jac_ext; ipvt */
    size_t doubles = (size_t)m + (size_t)m * (size_t)n + 3 * (size_t)n + (3 * (size_t)n + (size_t)m) +
                     (size_t)n * (size_t)n + (mapped ? 3 * (size_t)n + (size_t)m * (size_t)n : 0);
    double *work = PyMem_RawMalloc(doubles * sizeof(double));
    int *ipvt = PyMem_RawMalloc((size_t)n * sizeof(int));
    if (work == NULL || ipvt == NULL) {
        PyMem_RawFree(work);
        PyMem_RawFree(ipvt);
        return PyErr_NoMemory();
    }
    double *fvec = work, *fjac = fvec + m, *qtf = fjac + m * n, *diag = qtf + n, *xbad = diag + n,
           *wa = xbad + n, *rinv = wa + 3 * n + m, *p_ext = rinv + n * n, *q = p_ext + n, *perr_q = q + n,
           *jac_ext = perr_q + n;
    Py_BEGIN_ALLOW_THREADS
    for (npy_intp k = start; k < stop; k++) {
        Context ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.model = (model_fn)model;
        ctx.model_jacobian = (model_jacobian_fn)model_jacobian;
        ctx.user_data = user_data;
        ctx.xdata = x_stride == 0 ? xdata : xdata + k * x_stride;
        ctx.y = y + k * m;
        ctx.weight = row(weight, wsize, m, k);
        ctx.xbad = xbad;
        double *pk = p + k * n, *x = pk;
        if (mapped) {
            ctx.mapped = 1;
            ctx.n_model = (int)n;
            ctx.lb = row(lb, bsize, n, k);
            ctx.ub = row(ub, bsize, n, k);
            ctx.fitted = fitted;
            ctx.p_ext = p_ext;
            ctx.jac_ext = jac_ext;
            memcpy(p_ext, pk, (size_t)n * sizeof(double)); /* the fixed parameters' values */
            for (npy_intp i = 0; i < nfit; i++) {
                q[i] = pk[fitted != NULL ? fitted[i] : i];
            }
            x = q;
        }
        int kn, kj; /* MODE 1: MINPACK fills diag itself before it ever reads it */
        int info = solve(&ctx, model_jacobian != 0, (int)m, (int)nfit, x, fvec, fjac, ipvt, qtf, diag, wa, &s,
                         &kn, &kj);
        /* nan/inf stopped the fit, or its convergence rests on non-finite trials alone (as leastsq refuses). */
        int nonfinite = ctx.stage != STAGE_NONE || (info >= 1 && info <= 4 && ctx.nonfinite_since != 0);
        ier[k] = ctx.status != 0 ? IER_USER_STOP : nonfinite ? IER_NONFINITE : info;
        nfev[k] = kn;
        double sum = 0.0;
        for (npy_intp i = 0; i < m; i++) {
            sum += fvec[i] * fvec[i];
        }
        chisqr[k] = info == 0 ? NAN : sum; /* INFO 0: MINPACK evaluated nothing */
        if (!mapped) {
            standard_errors(ier[k], m, n, fjac, ipvt, sum, rinv, perr + k * n);
            continue;
        }
        standard_errors(ier[k], m, nfit, fjac, ipvt, sum, rinv, perr_q);
        /* a fixed parameter: exact by assumption, unless the fit failed (perr_q nan; tested as x != x, not
         * with isnan, which MinGW expands through a float branch that -Wfloat-conversion rejects) */
        for (npy_intp j = 0; j < n; j++) {
            perr[k * n + j] = perr_q[0] != perr_q[0] ? NAN : 0.0;
        }
        for (npy_intp i = 0; i < nfit; i++) {
            npy_intp j = fitted != NULL ? fitted[i] : i;
            if (ctx.lb != NULL) {
                pk[j] = bounded_external(q[i], ctx.lb[j], ctx.ub[j]);
                perr[k * n + j] = perr_q[i] * fabs(bounded_derivative(q[i], ctx.lb[j], ctx.ub[j]));
            }
            else {
                pk[j] = q[i];
                perr[k * n + j] = perr_q[i];
            }
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_RawFree(work);
    PyMem_RawFree(ipvt);
    Py_RETURN_NONE;
}

/* ---- capsules ---------------------------------------------------------- */

/* ---- hybrd and hybrj (fsolve, root's 'hybr') ---------------------------
 * n equations in n unknowns: the residual function and Jacobian of a
 * Compiled with m = n.  The guard stops at nan or inf in any evaluation,
 * a trial point's included (STAGE_HYBRID_TRIAL says why). */

typedef void (*hybrd_fcn_t)(int *n, double *x, double *fvec, int *iflag);
typedef void (*hybrj_fcn_t)(int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag);

/* The vendored Fortran (minpack_src/hybrd.f, hybrj.f), gfortran's ABI. */
extern void hybrd_(hybrd_fcn_t fcn, int *n, double *x, double *fvec, double *xtol, int *maxfev, int *ml, int *mu,
                   double *epsfcn, double *diag, int *mode, double *factor, int *nprint, int *info, int *nfev,
                   double *fjac, int *ldfjac, double *r, int *lr, double *qtf, double *wa1, double *wa2,
                   double *wa3, double *wa4);
extern void hybrj_(hybrj_fcn_t fcn, int *n, double *x, double *fvec, double *fjac, int *ldfjac, double *xtol,
                   int *maxfev, double *diag, int *mode, double *factor, int *nprint, int *info, int *nfev,
                   int *njev, double *r, int *lr, double *qtf, double *wa1, double *wa2, double *wa3, double *wa4);

static int
hybrid_stage(const Context *ctx)
{
    return ctx->nfev == 0 ? STAGE_START : STAGE_HYBRID_TRIAL;
}

static void
hybrd_trampoline(int *n, double *x, double *fvec, int *iflag)
{
    Context *ctx = active;
    if (*iflag == 0) { /* progress report: NPRINT is 0, never asked for */
        return;
    }
    int stage = *iflag == 2 ? STAGE_DIFFERENCES : hybrid_stage(ctx);
    if (evaluate(ctx, *n, *n, x, fvec) != 0 || guard(ctx, stage, ctx->nfev, *n, x, fvec, *n, 1, *n)) {
        *iflag = -1;
    }
}

static void
hybrj_trampoline(int *n, double *x, double *fvec, double *fjac, int *ldfjac, int *iflag)
{
    Context *ctx = active;
    int stop = 0;
    if (*iflag == 1) {
        int stage = hybrid_stage(ctx);
        stop = evaluate(ctx, *n, *n, x, fvec) != 0 || guard(ctx, stage, ctx->nfev, *n, x, fvec, *n, 1, *n);
    }
    else if (*iflag == 2) {
        stop = evaluate_jacobian(ctx, *n, *n, x, fjac, *ldfjac) != 0 ||
               guard(ctx, STAGE_JACOBIAN, ctx->njev, *n, x, fjac, *n, *n, *ldfjac);
    }
    if (stop) {
        *iflag = -1;
    }
}

/* hybrd's ML and MU from SolverSettings.band (checked by the Python layer):
 * None is n - 1 each, a full Jacobian.  0 with an exception on failure. */
static int
parse_band(PyObject *settings, npy_intp n, int *ml, int *mu)
{
    Py_ssize_t field = 0;
    while (strcmp(SETTINGS_FIELDS[field], "band") != 0) { /* parse_settings checked the tuple's length */
        field++;
    }
    PyObject *band = PyTuple_GET_ITEM(settings, field);
    if (band == Py_None) {
        *ml = *mu = (int)(n - 1);
        return 1;
    }
    return PyArg_ParseTuple(band, "ii:band", ml, mu);
}

PyDoc_STRVAR(hybrid_doc,
"hybrid(functions, x0, settings, outputs=True) -> (x, fvec, fjac, r, qtf, info, nfev, njev, stop), or None\n\n"
"One hybrd (no Jacobian) or hybrj solve of n equations in n unknowns with\n"
"compiled callbacks, the GIL released throughout.  functions: (residuals,\n"
"jacobian, user_data) as addresses, jacobian 0 for forward differences,\n"
"both called with m = n; x0: a 1-D real array, n >= 1, read only (None is\n"
"returned, nothing solved, when it holds nan or inf); x: the solution, in a\n"
"new float64 array; settings: a SolverSettings (band: hybrd's ML and MU).\n"
"fjac is returned as an (n, n) C-ordered array holding MINPACK's column-major\n"
"FJAC, i.e. Q transposed (SciPy's layout); r: n(n+1)/2 doubles; njev 0 for\n"
"hybrd; stop as for leastsq().  Not outputs: fvec, fjac, r and qtf are None\n"
"(fsolve without full_output reads none of them).");

/* METH_FASTCALL, its arguments read by position, as leastsq(). */
static PyObject *
native_hybrid(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    uintptr_t function, jacobian;
    void *user_data;
    Settings s;
    int ml, mu;
    (void)self;
    if (nargs < 3 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError, "_native.hybrid takes 3 or 4 arguments");
        return NULL;
    }
    PyObject *ox = args[1], *settings = args[2];
    int outputs = nargs > 3 ? PyObject_IsTrue(args[3]) : 1;
    if (outputs < 0 || !parse_functions(args[0], &function, &jacobian, &user_data)) {
        return NULL;
    }
    if (!PyArray_Check(ox)) {
        PyErr_SetString(PyExc_TypeError, "_native: x must be an ndarray");
        return NULL;
    }
    npy_intp n = PyArray_SIZE((PyArrayObject *)ox);
    if (n < 1 || n > 46340) { /* fjac's n*n elements must be indexable by a Fortran INTEGER */
        PyErr_SetString(PyExc_ValueError, "_native: bad problem size");
        return NULL;
    }
    if (!parse_settings(settings, n, &s) || !parse_band(settings, n, &ml, &mu)) {
        return NULL;
    }
    PyObject *ox_out = starting_x(ox, n);
    if (ox_out == NULL || ox_out == Py_None) {
        return ox_out;
    }
    double *x = PyArray_DATA((PyArrayObject *)ox_out);
    npy_intp dims[2] = {n, n}, lr = n * (n + 1) / 2;
    /* MINPACK's outputs: numpy arrays returned to the caller, or (not
     * `outputs`) scratch space after the work arrays, as in leastsq(). */
    PyObject *ofvec, *ofjac, *otriangle, *oqtf;
    if (outputs) {
        ofvec = PyArray_SimpleNew(1, &n, NPY_DOUBLE);
        ofjac = PyArray_ZEROS(2, dims, NPY_DOUBLE, 0);
        otriangle = PyArray_ZEROS(1, &lr, NPY_DOUBLE, 0);
        oqtf = PyArray_ZEROS(1, &n, NPY_DOUBLE, 0);
    }
    else {
        /* Owned references like the arrays': the result tuple steals them. */
        ofvec = Py_NewRef(Py_None);
        ofjac = Py_NewRef(Py_None);
        otriangle = Py_NewRef(Py_None);
        oqtf = Py_NewRef(Py_None);
    }
    /* wa1-wa4, MODE 1's diag, xbad; scratch fvec (n), fjac (n n), r (lr), qtf (n) */
    size_t doubles = 6 * (size_t)n + (outputs ? 0 : 2 * (size_t)n + (size_t)(n * n) + (size_t)lr);
    double *wa = PyMem_RawMalloc(doubles * sizeof(double));
    if (ofvec == NULL || ofjac == NULL || otriangle == NULL || oqtf == NULL || wa == NULL) {
        Py_DECREF(ox_out);
        Py_XDECREF(ofvec);
        Py_XDECREF(ofjac);
        Py_XDECREF(otriangle);
        Py_XDECREF(oqtf);
        PyMem_RawFree(wa);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    double *scratch = wa + 6 * n;
    double *fvec = outputs ? PyArray_DATA((PyArrayObject *)ofvec) : scratch;
    double *fjac = outputs ? PyArray_DATA((PyArrayObject *)ofjac) : scratch + n;
    double *r = outputs ? PyArray_DATA((PyArrayObject *)otriangle) : scratch + n + n * n;
    double *qtf = outputs ? PyArray_DATA((PyArrayObject *)oqtf) : scratch + n + n * n + lr;
    double *diag = s.diag != NULL ? s.diag : wa + 4 * n;
    Context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.residuals = (residuals_fn)function;
    ctx.jacobian = (jacobian_fn)jacobian;
    ctx.user_data = user_data;
    ctx.xbad = wa + 5 * n;
    int info = 0, nfev = 0, njev = 0, nn = (int)n, ldfjac = (int)n, ilr = (int)lr, nprint = 0;
    int mode = s.mode, maxfev = s.maxfev;
    double xtol = s.xtol, epsfcn = s.epsfcn, factor = s.factor;
    Py_BEGIN_ALLOW_THREADS
    Context *previous = active;
    active = &ctx;
    if (jacobian != 0) {
        hybrj_(hybrj_trampoline, &nn, x, fvec, fjac, &ldfjac, &xtol, &maxfev, diag, &mode, &factor, &nprint,
               &info, &nfev, &njev, r, &ilr, qtf, wa, wa + n, wa + 2 * n, wa + 3 * n);
    }
    else {
        hybrd_(hybrd_trampoline, &nn, x, fvec, &xtol, &maxfev, &ml, &mu, &epsfcn, diag, &mode, &factor, &nprint,
               &info, &nfev, fjac, &ldfjac, r, &ilr, qtf, wa, wa + n, wa + 2 * n, wa + 3 * n);
    }
    if (info == 0 && nfev == 0 && outputs) {
        /* Improper input: MINPACK evaluated nothing.  fvec gets func(x0),
         * as the Python path's checking call leaves it (SciPy's result);
         * this call is not counted in nfev, and its status is ignored. */
        (void)evaluate(&ctx, nn, nn, x, fvec);
        ctx.status = ctx.stopped_by = 0;
    }
    active = previous;
    Py_END_ALLOW_THREADS
    PyObject *stop = stop_info(&ctx, n);
    PyMem_RawFree(wa);
    if (stop == NULL) {
        Py_DECREF(ox_out);
        Py_DECREF(ofvec);
        Py_DECREF(ofjac);
        Py_DECREF(otriangle);
        Py_DECREF(oqtf);
        return NULL;
    }
    return Py_BuildValue("NNNNNiiiN", ox_out, ofvec, ofjac, otriangle, oqtf, info, nfev, njev,
                         stop == Py_None ? Py_NewRef(Py_None) : stop);
}

PyDoc_STRVAR(capsule_info_doc,
"capsule_info(capsule) -> (name, address, context)\n\n"
"A PyCapsule's name (None when unnamed), pointer and context, as integers.");

static PyObject *
native_capsule_info(PyObject *self, PyObject *capsule)
{
    (void)self;
    if (!PyCapsule_CheckExact(capsule)) {
        PyErr_SetString(PyExc_TypeError, "capsule_info: not a PyCapsule");
        return NULL;
    }
    const char *name = PyCapsule_GetName(capsule);
    void *pointer = PyCapsule_GetPointer(capsule, name);
    if (pointer == NULL) {
        return NULL;
    }
    void *context = PyCapsule_GetContext(capsule);
    if (context == NULL && PyErr_Occurred()) {
        return NULL;
    }
    return Py_BuildValue("zNN", name, PyLong_FromVoidPtr(pointer), PyLong_FromVoidPtr(context));
}

static PyMethodDef native_methods[] = {
    {"leastsq", (PyCFunction)(void (*)(void))native_leastsq, METH_FASTCALL, leastsq_doc},
    {"fit_many", native_fit_many, METH_VARARGS, fit_many_doc},
    {"hybrid", (PyCFunction)(void (*)(void))native_hybrid, METH_FASTCALL, hybrid_doc},
    {"bounded_transform", native_bounded_transform, METH_VARARGS, bounded_transform_doc},
    {"capsule_info", native_capsule_info, METH_O, capsule_info_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pyminpack._native",
    .m_doc = "MINPACK with compiled callbacks, the GIL released (see _solver/compiled.py, _batch/fit_many.py).",
    .m_size = -1,
    .m_methods = native_methods,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    import_array();
    PyObject *module = PyModule_Create(&native_module);
    if (module == NULL) {
        return NULL;
    }
    PyObject *fields = PyTuple_New(sizeof SETTINGS_FIELDS / sizeof SETTINGS_FIELDS[0]);
    for (Py_ssize_t i = 0; fields != NULL && i < PyTuple_GET_SIZE(fields); i++) {
        PyTuple_SET_ITEM(fields, i, PyUnicode_FromString(SETTINGS_FIELDS[i]));
    }
    int failed = fields == NULL || PyErr_Occurred() || add_shared_constants(module) < 0 ||
                 PyModule_AddObjectRef(module, "SETTINGS_FIELDS", fields) < 0 ||
                 PyModule_AddObjectRef(module, "CapsuleType", (PyObject *)&PyCapsule_Type) < 0;
    Py_XDECREF(fields);
    if (failed) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
