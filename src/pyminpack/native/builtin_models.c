/*
 * pyminpack._builtin_models: the built-in models of fit_many, fit_many_dask,
 * curve_fit and fit, compiled with the package so that fitting them needs
 * no compiler.
 *
 * Each model is a pair of C functions with fit_many's signatures (see
 * native.c):
 *
 *   int model(int m, int n, const double *p, const double *x, double *out, void *user_data)
 *   int model_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac,
 *                      void *user_data)                 fjac column-major, fjac[i + j*ldfjac]
 *
 * exported as PyCapsules named by those signatures (the convention that
 * _compiled.native_function reads) in the module's dict FUNCTIONS, name ->
 * (model, jacobian).  The formulas, parameter names and conventions are
 * documented once, in _fitting/models.py; this file holds the arithmetic.  Why a
 * module of its own rather than part of _native: the models need neither
 * MINPACK nor numpy, and fit_many reaches them through the same addresses
 * as a user's compiled model, so they change nothing in the solver's C.
 *
 * Abscissae.  A 1-D model reads x[i] for point i, or the point index i when
 * x is NULL (Gpufit's convention without user_info).  A 2-D model reads the
 * coordinates of point i from x[i] and x[m + i] (x of shape (2, m)), or,
 * when x is NULL, takes the data for a square image of side sqrt(m)
 * flattened row by row: point i is the pixel (i % side, i / side), Gpufit's
 * convention.
 *
 * user_data is unused: what is not fitted is read from m and n (a
 * polynomial's degree is n - 1, an image's side sqrt(m)).  A model returns
 * WRONG_SIZE (nonzero, so the fit stops) for an n it does not take, or, on
 * the pixel grid, an m that is not a square.  The Python layer refuses such
 * sizes with a clear error before any fit starts; this guards direct calls.
 *
 * Speed.  The axis-aligned 2-D Gaussian and Cauchy models are products of
 * one profile along x and one along y.  On the pixel grid each profile is
 * computed once per column and once per row (2*side exponentials per
 * evaluation instead of side^2), and the pixels are combined by
 * multiplication.  exp(-a)*exp(-b) differs from exp(-(a + b)) by rounding
 * only; tests/test_models.py checks every model against a direct numpy
 * transcription of its formula.
 *
 * The Gaussian models also keep the exponentials of their last values call
 * for their Jacobian (see "the exponentials of the last values call" below).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "thread_local.h"

#define WRONG_SIZE 1

/* Pixels handled per block on the grid: the column profiles of one block
 * live on the stack (3 arrays of BLOCK doubles). */
#define BLOCK 64

typedef int (*model_fn)(int m, int n, const double *p, const double *x, double *out, void *user_data);
typedef int (*jacobian_fn)(int m, int n, const double *p, const double *x, double *fjac, int ldfjac,
                           void *user_data);

/* ---- the exponentials of the last values call ----------------------------
 * MINPACK's lmder asks for the Jacobian at the parameters of the values it
 * asked for last (the start, or the trial point it has just accepted), so a
 * Gaussian model's values call keeps its exponentials and its Jacobian call
 * reuses them when it is the same model at the same m, n, p and x instead
 * of calling exp again, exp being most of a Gaussian's cost
 * (benchmarks/RESULTS.md).  The Jacobian is the same bit for bit either way
 * (the same exp of the same argument).  The key holds x's contents, not
 * only its address: a caller may change x in place between two calls.  Per
 * thread, since fit_many's workers evaluate models in several threads at
 * once; each thread runs one fit at a time, and whatever ran in between, a
 * matching key means the same exponentials.  Models whose exponentials or
 * abscissae exceed the cache compute their own in the Jacobian. */

enum { KEPT_NONE, KEPT_GAUSS_1D, KEPT_GAUSS_2D, KEPT_GAUSS_2D_ELLIPTIC, KEPT_GAUSS_2D_ROTATED };

#define KEPT_DOUBLES 1024 /* exponentials, and abscissae, kept at most */
#define KEPT_PARAMETERS 8

typedef struct Kept {
    int model; /* KEPT_*; KEPT_NONE: nothing kept */
    int m, n;
    const double *x;
    double p[KEPT_PARAMETERS];
    double x_values[KEPT_DOUBLES]; /* x's first x_count doubles, when x is not NULL */
    double exponentials[KEPT_DOUBLES];
} Kept;

static PYMINPACK_THREAD_LOCAL Kept kept;

/* Where a values call of `model` at (m, n, p, x) keeps its `count`
 * exponentials (the key recorded; the caller must write all of them), or
 * NULL when they do not fit.  x_count: the doubles of x the model reads. */
static double *
keep_exponentials(int model, int m, int n, const double *p, const double *x, ptrdiff_t x_count, ptrdiff_t count)
{
    Kept *k = &kept;
    k->model = KEPT_NONE;
    if (count > KEPT_DOUBLES || x_count > KEPT_DOUBLES || n > KEPT_PARAMETERS) {
        return NULL;
    }
    k->m = m;
    k->n = n;
    k->x = x;
    memcpy(k->p, p, (size_t)n * sizeof(double));
    if (x != NULL) {
        memcpy(k->x_values, x, (size_t)x_count * sizeof(double));
    }
    k->model = model;
    return k->exponentials;
}

/* The exponentials kept by the last values call if it was `model`'s at the
 * same (m, n, p, x), compared bit for bit; else NULL. */
static const double *
kept_exponentials(int model, int m, int n, const double *p, const double *x, ptrdiff_t x_count)
{
    const Kept *k = &kept;
    if (k->model != model || k->m != m || k->n != n || k->x != x ||
        memcmp(k->p, p, (size_t)n * sizeof(double)) != 0 ||
        (x != NULL && memcmp(k->x_values, x, (size_t)x_count * sizeof(double)) != 0)) {
        return NULL;
    }
    return k->exponentials;
}

/* ---- profiles -------------------------------------------------------- */

/* A peak profile along one axis and its derivatives:
 *   h0 = the profile at distance d from the centre (a Gaussian's: *kept_h0
 *        when kept_h0 is not NULL, the exponential kept by the values call),
 *   h1 = d h0 / d centre,   h2 = d h0 / d width.
 * Gaussian: h0 = exp(-d^2 / (2 s^2)),  h1 = h0 d / s^2,       h2 = h0 d^2 / s^3.
 * Cauchy:   h0 = 1 / (1 + d^2 / s^2),   h1 = 2 h0^2 d / s^2,  h2 = 2 h0^2 d^2 / s^3. */
enum { GAUSSIAN, CAUCHY };

typedef struct Axis {
    int kind;       /* GAUSSIAN or CAUCHY */
    double centre;
    double inv_s2;  /* 1 / s^2 */
    double inv_s3;  /* 1 / s^3 */
} Axis;

static Axis
axis(int kind, double centre, double width)
{
    Axis a;
    a.kind = kind;
    a.centre = centre;
    a.inv_s2 = 1.0 / (width * width);
    a.inv_s3 = a.inv_s2 / width;
    return a;
}

/* The Gaussian profile at squared distance d2, 1/s^2 = inv_s2. */
static double
gaussian(double d2, double inv_s2)
{
    return exp(-0.5 * d2 * inv_s2);
}

static void
profile(const Axis *a, double t, const double *kept_h0, double *h0, double *h1, double *h2)
{
    double d = t - a->centre;
    double d2 = d * d;
    if (a->kind == GAUSSIAN) {
        double g = kept_h0 != NULL ? *kept_h0 : gaussian(d2, a->inv_s2);
        *h0 = g;
        *h1 = g * d * a->inv_s2;
        *h2 = g * d2 * a->inv_s3;
    }
    else {
        double u = 1.0 / (1.0 + d2 * a->inv_s2);
        double u2 = 2.0 * u * u;
        *h0 = u;
        *h1 = u2 * d * a->inv_s2;
        *h2 = u2 * d2 * a->inv_s3;
    }
}

static double
abscissa(const double *x, ptrdiff_t i)
{
    return x != NULL ? x[i] : (double)i;
}

/* The side of the square image of m pixels, or 0 when m is not a square. */
static ptrdiff_t
grid_side(int m)
{
    ptrdiff_t side = (ptrdiff_t)floor(sqrt((double)m) + 0.5);
    return side * side == (ptrdiff_t)m ? side : 0;
}

/* ---- 1-D peaks: gauss_1d, lorentzian ----------------------------------- */

/* p = (amplitude, x0, width, offset): amplitude * h0 + offset. */

/* gauss_1d's exponentials h0 at the m points into e.  A loop of its own:
 * a loop that calls exp and also writes through a pointer into
 * thread-local storage has the compiler fetch that address again after
 * every call (__tls_get_addr once per point; benchmarks/RESULTS.md), so
 * the kept copy is made after it, in one memcpy. */
static void
gaussian_exponentials(const Axis *a, int m, const double *x, double *e)
{
    for (ptrdiff_t i = 0; i < m; i++) {
        double d = abscissa(x, i) - a->centre;
        e[i] = gaussian(d * d, a->inv_s2);
    }
}

static int
gauss_1d(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (n != 4) {
        return WRONG_SIZE;
    }
    Axis a = axis(GAUSSIAN, p[1], p[2]);
    gaussian_exponentials(&a, m, x, out);
    double *keep = keep_exponentials(KEPT_GAUSS_1D, m, n, p, x, m, m);
    if (keep != NULL) {
        memcpy(keep, out, (size_t)m * sizeof(double));
    }
    const double amplitude = p[0], offset = p[3]; /* locals: out might alias p (see gauss_1d_jacobian) */
    for (ptrdiff_t i = 0; i < m; i++) {
        out[i] = amplitude * out[i] + offset;
    }
    return 0;
}

/* Columns 1 and 2 of gauss_1d's Jacobian from column 0, the exponentials
 * g, as profile() forms h1 and h2 (the same rounding).  A function of its
 * own, its parameters passed by value, so that compilers vectorise the
 * loop (fjac might alias p for all they know); an int index, because the
 * baseline x86-64 ISA converts pairs of 32-bit integers to doubles (the
 * point indices when x is NULL), not 64-bit ones. */
static void
gaussian_columns(int m, const double *x, const double *g, double *j1, double *j2, double amplitude, const Axis *a)
{
    const double centre = a->centre, inv_s2 = a->inv_s2, inv_s3 = a->inv_s3;
    for (int i = 0; i < m; i++) {
        double d = abscissa(x, i) - centre;
        j1[i] = amplitude * (g[i] * d * inv_s2);
        j2[i] = amplitude * (g[i] * (d * d) * inv_s3);
    }
}

static int
gauss_1d_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    if (n != 4) {
        return WRONG_SIZE;
    }
    Axis a = axis(GAUSSIAN, p[1], p[2]);
    ptrdiff_t ld = ldfjac;
    double *j0 = fjac, *j1 = j0 + ld, *j2 = j1 + ld, *j3 = j2 + ld;
    const double *kept_h0 = kept_exponentials(KEPT_GAUSS_1D, m, n, p, x, m);
    if (kept_h0 != NULL) {
        memcpy(j0, kept_h0, (size_t)m * sizeof(double));
    }
    else {
        gaussian_exponentials(&a, m, x, j0);
    }
    gaussian_columns(m, x, j0, j1, j2, p[0], &a);
    for (ptrdiff_t i = 0; i < m; i++) {
        j3[i] = 1.0;
    }
    return 0;
}

static int
lorentzian(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (n != 4) {
        return WRONG_SIZE;
    }
    Axis a = axis(CAUCHY, p[1], p[2]);
    for (ptrdiff_t i = 0; i < m; i++) {
        double h0, h1, h2;
        profile(&a, abscissa(x, i), NULL, &h0, &h1, &h2);
        out[i] = p[0] * h0 + p[3];
    }
    return 0;
}

static int
lorentzian_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    if (n != 4) {
        return WRONG_SIZE;
    }
    Axis a = axis(CAUCHY, p[1], p[2]);
    ptrdiff_t ld = ldfjac;
    for (ptrdiff_t i = 0; i < m; i++) {
        double h0, h1, h2;
        profile(&a, abscissa(x, i), NULL, &h0, &h1, &h2);
        fjac[i] = h0;
        fjac[i + ld] = p[0] * h1;
        fjac[i + 2 * ld] = p[0] * h2;
        fjac[i + 3 * ld] = 1.0;
    }
    return 0;
}

/* ---- separable 2-D peaks: gauss_2d, gauss_2d_elliptic, cauchy_2d_elliptic */

/* amplitude * h0(x) * h0(y) + offset, with one width for both axes (round,
 * p = (amplitude, x0, y0, width, offset)) or one per axis (p = (amplitude,
 * x0, y0, width_x, width_y, offset)). */
typedef struct Separable {
    int round;
    double amplitude, offset;
    Axis ax, ay;
} Separable;

static int
separable(int kind, int round, int n, const double *p, Separable *s)
{
    if (n != (round ? 5 : 6)) {
        return WRONG_SIZE;
    }
    s->round = round;
    s->amplitude = p[0];
    s->offset = p[round ? 4 : 5];
    s->ax = axis(kind, p[1], p[3]);
    s->ay = axis(kind, p[2], p[round ? 3 : 4]);
    return 0;
}

/* The profiles of `count` points, h[0..2][k]. */
typedef double Profiles[3][BLOCK];

/* Write `count` points from `first` on: their x profiles hx[.][k], their y
 * profiles hy[.][k * ystep] (ystep 0: one row of the grid shares them).
 * fjac NULL: the values into out; else the Jacobian into fjac. */
static void
combine(const Separable *s, ptrdiff_t first, ptrdiff_t count, Profiles hx, Profiles hy, ptrdiff_t ystep,
        double *out, double *fjac, ptrdiff_t ld)
{
    const double a = s->amplitude;
    if (fjac == NULL) {
        for (ptrdiff_t k = 0; k < count; k++) {
            out[first + k] = a * (hx[0][k] * hy[0][k * ystep]) + s->offset;
        }
        return;
    }
    double *j0 = fjac + first, *j1 = j0 + ld, *j2 = j1 + ld, *j3 = j2 + ld, *j4 = j3 + ld;
    for (ptrdiff_t k = 0; k < count; k++) {
        double x0 = hx[0][k], y0 = hy[0][k * ystep];
        j0[k] = x0 * y0;
        j1[k] = a * (hx[1][k] * y0);
        j2[k] = a * (x0 * hy[1][k * ystep]);
        if (s->round) {
            j3[k] = a * (hx[2][k] * y0 + x0 * hy[2][k * ystep]);
            j4[k] = 1.0;
        }
        else {
            j3[k] = a * (hx[2][k] * y0);
            j4[k] = a * (x0 * hy[2][k * ystep]);
            j4[k + ld] = 1.0;
        }
    }
}

/* The profile of point or pixel k along one axis into h[.][slot], from the
 * kept exponentials when kept_h0 is not NULL. */
static void
axis_profile(const Axis *a, double t, ptrdiff_t k, const double *kept_h0, Profiles h, ptrdiff_t slot)
{
    profile(a, t, kept_h0 != NULL ? kept_h0 + k : NULL, &h[0][slot], &h[1][slot], &h[2][slot]);
}

/* Values (fjac NULL) or Jacobian of a separable model at all m points;
 * side: the grid's (x NULL).  The x profiles' exponentials are kept at
 * [0, points along x), the y profiles' after them: keep (values) or kept
 * (Jacobian) point there, or are NULL.  keep is written after the loops
 * that call exp (see gaussian_exponentials). */
static void
separable_points(const Separable *s, int m, const double *x, ptrdiff_t side, double *out, double *fjac,
                 int ldfjac, double *keep, const double *kept_h0)
{
    Profiles hx, hy;
    if (x != NULL) {
        for (ptrdiff_t first = 0; first < m; first += BLOCK) {
            ptrdiff_t count = m - first < BLOCK ? m - first : BLOCK;
            for (ptrdiff_t k = 0; k < count; k++) {
                axis_profile(&s->ax, x[first + k], first + k, kept_h0, hx, k);
                axis_profile(&s->ay, x[m + first + k], m + first + k, kept_h0, hy, k);
            }
            if (keep != NULL) {
                memcpy(keep + first, hx[0], (size_t)count * sizeof(double));
                memcpy(keep + m + first, hy[0], (size_t)count * sizeof(double));
            }
            combine(s, first, count, hx, hy, 1, out, fjac, ldfjac);
        }
        return;
    }
    for (ptrdiff_t column = 0; column < side; column += BLOCK) {
        ptrdiff_t count = side - column < BLOCK ? side - column : BLOCK;
        for (ptrdiff_t k = 0; k < count; k++) {
            axis_profile(&s->ax, (double)(column + k), column + k, kept_h0, hx, k);
        }
        if (keep != NULL) {
            memcpy(keep + column, hx[0], (size_t)count * sizeof(double));
        }
        for (ptrdiff_t row = 0; row < side; row++) {
            axis_profile(&s->ay, (double)row, side + row, kept_h0, hy, 0);
            if (keep != NULL) {
                keep[side + row] = hy[0][0];
            }
            combine(s, row * side + column, count, hx, hy, 0, out, fjac, ldfjac);
        }
    }
}

/* The model's checked parameters and the grid's side (0 with x); nonzero for sizes it does not take. */
static int
separable_sizes(int kind, int round, int m, int n, const double *p, const double *x, Separable *s, ptrdiff_t *side)
{
    *side = x != NULL ? 0 : grid_side(m);
    return separable(kind, round, n, p, s) != 0 || (x == NULL && *side == 0);
}

static int
separable_values(int kind, int round, int m, int n, const double *p, const double *x, double *out)
{
    Separable s;
    ptrdiff_t side;
    if (separable_sizes(kind, round, m, n, p, x, &s, &side) != 0) {
        return WRONG_SIZE;
    }
    double *keep = kind != GAUSSIAN ? NULL
                   : keep_exponentials(round ? KEPT_GAUSS_2D : KEPT_GAUSS_2D_ELLIPTIC, m, n, p, x,
                                       x != NULL ? 2 * (ptrdiff_t)m : 0, x != NULL ? 2 * (ptrdiff_t)m : 2 * side);
    separable_points(&s, m, x, side, out, NULL, 0, keep, NULL);
    return 0;
}

static int
separable_jacobian(int kind, int round, int m, int n, const double *p, const double *x, double *fjac, int ldfjac)
{
    Separable s;
    ptrdiff_t side;
    if (separable_sizes(kind, round, m, n, p, x, &s, &side) != 0) {
        return WRONG_SIZE;
    }
    const double *kept_h0 = kind != GAUSSIAN ? NULL
                            : kept_exponentials(round ? KEPT_GAUSS_2D : KEPT_GAUSS_2D_ELLIPTIC, m, n, p, x,
                                                x != NULL ? 2 * (ptrdiff_t)m : 0);
    separable_points(&s, m, x, side, NULL, fjac, ldfjac, NULL, kept_h0);
    return 0;
}

static int
gauss_2d(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    return separable_values(GAUSSIAN, 1, m, n, p, x, out);
}

static int
gauss_2d_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    return separable_jacobian(GAUSSIAN, 1, m, n, p, x, fjac, ldfjac);
}

static int
gauss_2d_elliptic(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    return separable_values(GAUSSIAN, 0, m, n, p, x, out);
}

static int
gauss_2d_elliptic_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac,
                           void *user_data)
{
    (void)user_data;
    return separable_jacobian(GAUSSIAN, 0, m, n, p, x, fjac, ldfjac);
}

static int
cauchy_2d_elliptic(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    return separable_values(CAUCHY, 0, m, n, p, x, out);
}

static int
cauchy_2d_elliptic_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac,
                            void *user_data)
{
    (void)user_data;
    return separable_jacobian(CAUCHY, 0, m, n, p, x, fjac, ldfjac);
}

/* ---- gauss_2d_rotated -------------------------------------------------- */

/* p = (amplitude, x0, y0, width_x, width_y, offset, rotation): with
 * dx = X - x0, dy = Y - y0, a = dx cos(r) - dy sin(r), b = dx sin(r) + dy cos(r),
 * amplitude * exp(-(a^2/width_x^2 + b^2/width_y^2) / 2) + offset.  Not
 * separable unless r is a multiple of pi/2: one exponential per pixel. */
typedef struct Rotated {
    double amplitude, x0, y0, offset, sine, cosine, inv_sx2, inv_sy2, inv_sx3, inv_sy3;
} Rotated;

static int
rotated(int n, const double *p, Rotated *r)
{
    if (n != 7) {
        return WRONG_SIZE;
    }
    r->amplitude = p[0];
    r->x0 = p[1];
    r->y0 = p[2];
    r->offset = p[5];
    r->sine = sin(p[6]);
    r->cosine = cos(p[6]);
    r->inv_sx2 = 1.0 / (p[3] * p[3]);
    r->inv_sy2 = 1.0 / (p[4] * p[4]);
    r->inv_sx3 = r->inv_sx2 / p[3];
    r->inv_sy3 = r->inv_sy2 / p[4];
    return 0;
}

/* The coordinates of point i: from x (2 rows of m), or the pixel grid. */
static void
coordinates(const double *x, int m, ptrdiff_t side, ptrdiff_t i, double *cx, double *cy)
{
    if (x != NULL) {
        *cx = x[i];
        *cy = x[m + i];
    }
    else {
        *cx = (double)(i % side);
        *cy = (double)(i / side);
    }
}

/* The exponential of point i (fjac NULL: into exponentials[i]) or its
 * Jacobian row, the exponential read from kept_e when not NULL. */
static void
rotated_point(const Rotated *r, double cx, double cy, ptrdiff_t i, double *exponentials, double *fjac, ptrdiff_t ld,
              const double *kept_e)
{
    double dx = cx - r->x0, dy = cy - r->y0;
    double a = dx * r->cosine - dy * r->sine, b = dx * r->sine + dy * r->cosine;
    double e = kept_e != NULL ? kept_e[i] : exp(-0.5 * (a * a * r->inv_sx2 + b * b * r->inv_sy2));
    if (fjac == NULL) {
        exponentials[i] = e;
        return;
    }
    double ae = r->amplitude * e, ax = a * r->inv_sx2, by = b * r->inv_sy2;
    fjac[i] = e;
    fjac[i + ld] = ae * (r->cosine * ax + r->sine * by);
    fjac[i + 2 * ld] = ae * (r->cosine * by - r->sine * ax);
    fjac[i + 3 * ld] = ae * (a * a * r->inv_sx3);
    fjac[i + 4 * ld] = ae * (b * b * r->inv_sy3);
    fjac[i + 5 * ld] = 1.0;
    fjac[i + 6 * ld] = ae * (a * b * (r->inv_sx2 - r->inv_sy2));
}

static int
rotated_points(int m, int n, const double *p, const double *x, double *out, double *fjac, int ldfjac)
{
    Rotated r;
    ptrdiff_t side = x != NULL ? 0 : grid_side(m);
    if (rotated(n, p, &r) != 0 || (x == NULL && side == 0)) {
        return WRONG_SIZE;
    }
    const double *kept_e =
        fjac != NULL ? kept_exponentials(KEPT_GAUSS_2D_ROTATED, m, n, p, x, x != NULL ? 2 * (ptrdiff_t)m : 0) : NULL;
    for (ptrdiff_t i = 0; i < m; i++) {
        double cx, cy;
        coordinates(x, m, side, i, &cx, &cy);
        rotated_point(&r, cx, cy, i, out, fjac, ldfjac, kept_e);
    }
    return 0;
}

static int
gauss_2d_rotated(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (rotated_points(m, n, p, x, out, NULL, 0) != 0) {
        return WRONG_SIZE;
    }
    /* out holds the exponentials: kept after the loop that calls exp (see gaussian_exponentials). */
    double *keep = keep_exponentials(KEPT_GAUSS_2D_ROTATED, m, n, p, x, x != NULL ? 2 * (ptrdiff_t)m : 0, m);
    if (keep != NULL) {
        memcpy(keep, out, (size_t)m * sizeof(double));
    }
    const double amplitude = p[0], offset = p[5]; /* locals: out might alias p */
    for (ptrdiff_t i = 0; i < m; i++) {
        out[i] = amplitude * out[i] + offset;
    }
    return 0;
}

static int
gauss_2d_rotated_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac,
                          void *user_data)
{
    (void)user_data;
    return rotated_points(m, n, p, x, NULL, fjac, ldfjac);
}

/* ---- linear_1d: p = (offset, slope) ------------------------------------ */

static int
linear_1d(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (n != 2) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        out[i] = p[0] + p[1] * abscissa(x, i);
    }
    return 0;
}

static int
linear_1d_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    (void)p;
    if (n != 2) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        fjac[i] = 1.0;
        fjac[i + ldfjac] = abscissa(x, i);
    }
    return 0;
}

/* ---- exp_decay: p = (amplitude, tau, offset); exp_decay_2: p = (amplitude1,
 * tau1, amplitude2, tau2, offset).  Each term amplitude * exp(-x / tau). */

static int
exp_decay_terms(int terms, int m, int n, const double *p, const double *x, double *out, double *fjac,
                ptrdiff_t ld)
{
    if (n != 2 * terms + 1) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        double t = abscissa(x, i), value = p[n - 1];
        for (int k = 0; k < terms; k++) {
            double amplitude = p[2 * k], tau = p[2 * k + 1];
            double e = exp(-t / tau);
            if (fjac == NULL) {
                value += amplitude * e;
            }
            else {
                fjac[i + 2 * k * ld] = e;
                fjac[i + (2 * k + 1) * ld] = amplitude * e * t / (tau * tau);
            }
        }
        if (fjac == NULL) {
            out[i] = value;
        }
        else {
            fjac[i + (n - 1) * ld] = 1.0;
        }
    }
    return 0;
}

static int
exp_decay(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    return exp_decay_terms(1, m, n, p, x, out, NULL, 0);
}

static int
exp_decay_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    return exp_decay_terms(1, m, n, p, x, NULL, fjac, ldfjac);
}

static int
exp_decay_2(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    return exp_decay_terms(2, m, n, p, x, out, NULL, 0);
}

static int
exp_decay_2_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    return exp_decay_terms(2, m, n, p, x, NULL, fjac, ldfjac);
}

/* ---- logistic: p = (amplitude, x0, rate, offset) -------------------------
 * amplitude / (1 + q) + offset with q = exp(-rate (x - x0)).  With
 * s = 1/(1 + q) and t = q/(1 + q), the derivatives are s, -amplitude rate s t
 * and amplitude (x - x0) s t.  Both are formed from e = exp(-|z|) <= 1,
 * z = rate (x - x0), so that neither overflows: q = e for z >= 0, 1/e else. */

static void
logistic_terms(double z, double *s, double *t)
{
    double e = exp(-fabs(z)), inv = 1.0 / (1.0 + e);
    *s = z >= 0.0 ? inv : e * inv;
    *t = z >= 0.0 ? e * inv : inv;
}

static int
logistic(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (n != 4) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        double s, t;
        logistic_terms(p[2] * (abscissa(x, i) - p[1]), &s, &t);
        out[i] = p[0] * s + p[3];
    }
    return 0;
}

static int
logistic_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    if (n != 4) {
        return WRONG_SIZE;
    }
    ptrdiff_t ld = ldfjac;
    for (ptrdiff_t i = 0; i < m; i++) {
        double s, t, d = abscissa(x, i) - p[1];
        logistic_terms(p[2] * d, &s, &t);
        fjac[i] = s;
        fjac[i + ld] = -p[0] * p[2] * (s * t);
        fjac[i + 2 * ld] = p[0] * d * (s * t);
        fjac[i + 3 * ld] = 1.0;
    }
    return 0;
}

/* ---- power_law: p = (amplitude, exponent): amplitude * x^exponent --------
 * d/d exponent = amplitude x^exponent log(x), whose limit at x = 0 is 0
 * (for exponent > 0; at x = 0 log is -inf and the product would be nan). */

static int
power_law(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (n != 2) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        out[i] = p[0] * pow(abscissa(x, i), p[1]);
    }
    return 0;
}

static int
power_law_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    if (n != 2) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) {
        double t = abscissa(x, i), v = pow(t, p[1]);
        fjac[i] = v;
        fjac[i + ldfjac] = t == 0.0 ? 0.0 : p[0] * v * log(t);
    }
    return 0;
}

/* ---- polynomial: p = (c0, ..., c_{n-1}), degree n - 1 ------------------- */

static int
polynomial(int m, int n, const double *p, const double *x, double *out, void *user_data)
{
    (void)user_data;
    if (n < 1) {
        return WRONG_SIZE;
    }
    for (ptrdiff_t i = 0; i < m; i++) { /* Horner */
        double t = abscissa(x, i), value = p[n - 1];
        for (int j = n - 2; j >= 0; j--) {
            value = value * t + p[j];
        }
        out[i] = value;
    }
    return 0;
}

static int
polynomial_jacobian(int m, int n, const double *p, const double *x, double *fjac, int ldfjac, void *user_data)
{
    (void)user_data;
    (void)p;
    if (n < 1) {
        return WRONG_SIZE;
    }
    ptrdiff_t ld = ldfjac;
    for (ptrdiff_t i = 0; i < m; i++) {
        fjac[i] = 1.0;
    }
    for (ptrdiff_t j = 1; j < n; j++) { /* column j = x^j, from column j - 1 */
        for (ptrdiff_t i = 0; i < m; i++) {
            fjac[i + j * ld] = fjac[i + (j - 1) * ld] * abscissa(x, i);
        }
    }
    return 0;
}

/* ---- the module ---------------------------------------------------------- */

/* fit_many's signatures, as _solver/compiled.py's MODEL and MODEL_JACOBIAN read them. */
static const char MODEL_SIGNATURE[] = "int (int, int, const double *, const double *, double *, void *)";
static const char JACOBIAN_SIGNATURE[] = "int (int, int, const double *, const double *, double *, int, void *)";

static const struct {
    const char *name;
    model_fn model;
    jacobian_fn jacobian;
} MODELS[] = {
    {"gauss_1d", gauss_1d, gauss_1d_jacobian},
    {"gauss_2d", gauss_2d, gauss_2d_jacobian},
    {"gauss_2d_elliptic", gauss_2d_elliptic, gauss_2d_elliptic_jacobian},
    {"gauss_2d_rotated", gauss_2d_rotated, gauss_2d_rotated_jacobian},
    {"cauchy_2d_elliptic", cauchy_2d_elliptic, cauchy_2d_elliptic_jacobian},
    {"linear_1d", linear_1d, linear_1d_jacobian},
    {"exp_decay", exp_decay, exp_decay_jacobian},
    {"exp_decay_2", exp_decay_2, exp_decay_2_jacobian},
    {"lorentzian", lorentzian, lorentzian_jacobian},
    {"logistic", logistic, logistic_jacobian},
    {"power_law", power_law, power_law_jacobian},
    {"polynomial", polynomial, polynomial_jacobian},
};

static int
add_functions(PyObject *module)
{
    PyObject *functions = PyDict_New();
    if (functions == NULL) {
        return -1;
    }
    for (size_t k = 0; k < sizeof MODELS / sizeof MODELS[0]; k++) {
        /* A capsule holds a function pointer as void * (scipy.LowLevelCallable's
         * convention); through uintptr_t, as native.c converts back, which
         * every platform Python runs on defines. */
        void *model = (void *)(uintptr_t)MODELS[k].model, *jacobian = (void *)(uintptr_t)MODELS[k].jacobian;
        PyObject *pair = Py_BuildValue("(NN)", PyCapsule_New(model, MODEL_SIGNATURE, NULL),
                                       PyCapsule_New(jacobian, JACOBIAN_SIGNATURE, NULL));
        if (pair == NULL || PyDict_SetItemString(functions, MODELS[k].name, pair) < 0) {
            Py_XDECREF(pair);
            Py_DECREF(functions);
            return -1;
        }
        Py_DECREF(pair);
    }
    int status = PyModule_AddObjectRef(module, "FUNCTIONS", functions);
    Py_DECREF(functions);
    return status;
}

static struct PyModuleDef builtin_models_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pyminpack._builtin_models",
    .m_doc = "The built-in models' C functions as PyCapsules: FUNCTIONS[name] = (model, jacobian) "
             "(see _fitting/models.py).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__builtin_models(void)
{
    PyObject *module = PyModule_Create(&builtin_models_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "WRONG_SIZE", WRONG_SIZE) < 0 || add_functions(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
