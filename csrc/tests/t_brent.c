/*
 * t_brent.c - cc_brent.
 */
#include <math.h>
#include <stdio.h>

#include "carecast.h"
#include "cctest.h"

/* Counts the calls, so that *evaluations can be checked independently. */
typedef struct counted {
    size_t calls;
    double param;           /* a parameter read from the context */
    size_t fail_at;         /* return an error on this call (1-based), 0 never */
    double bad_value;       /* value returned on call `fail_at` if fail_code == 0 */
    int fail_code;
} counted;

static int f_sq_minus_2(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = x * x - 2.0;
    return CC_OK;
}

static int f_two_minus_sq(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = 2.0 - x * x;
    return CC_OK;
}

static int f_cos_minus_x(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = cos(x) - x;
    return CC_OK;
}

static int f_linear(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = 3.0 * x - 1.0;
    return CC_OK;
}

static int f_x_minus_1(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = x - 1.0;
    return CC_OK;
}

static int f_cube_minus_param(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = x * x * x - c->param;
    return CC_OK;
}

static int f_sq_plus_1(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    *fx = x * x + 1.0;
    return CC_OK;
}

/* x^2 - 2, except that call number fail_at fails (fail_code != 0) or
 * returns bad_value. */
static int f_faulty(double x, void *context, double *fx)
{
    counted *c = context;
    c->calls++;
    if (c->calls == c->fail_at) {
        if (c->fail_code != 0) return c->fail_code;
        *fx = c->bad_value;
        return CC_OK;
    }
    *fx = x * x - 2.0;
    return CC_OK;
}

void t_cc_brent(int *status)
{
    static const char *fn = "cc_brent";
    double root, froot;
    size_t evals;
    int rc;

    /* x^2 - 2 on [0, 2]: sqrt(2) = 1.4142135623730951 */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "x^2 - 2 on [0, 2]", status);
        vvd(root, 1.4142135623730951, 1e-12, fn, "x^2 - 2: sqrt(2)", status);
        vvd(root, sqrt(2.0), 1e-12, fn, "x^2 - 2: sqrt(2.0)", status);
        veq(froot, root * root - 2.0, fn, "x^2 - 2: f_root is f(root)", status);
        viv((long long)evals, (long long)c.calls, fn, "x^2 - 2: evaluations == calls", status);
        vok(evals <= 102, fn, "x^2 - 2: evaluations <= maxiter + 2", status);
    }
    /* Decreasing function and a reversed bracket. */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_two_minus_sq, &c, 2.0, 0.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "2 - x^2 on [2, 0]", status);
        vvd(root, 1.4142135623730951, 1e-12, fn, "2 - x^2 on [2, 0]: sqrt(2)", status);
    }
    /* cos x - x on [0, 1]: the Dottie number 0.73908513321516064 (OEIS A003957) */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_cos_minus_x, &c, 0.0, 1.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "cos x - x", status);
        vvd(root, 0.73908513321516064, 1e-12, fn, "cos x - x: Dottie number", status);
        viv((long long)evals, (long long)c.calls, fn, "cos x - x: evaluations == calls", status);
    }
    /* Linear 3x - 1 on [-5, 5]: 1/3; the secant step is exact, so few calls. */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_linear, &c, -5.0, 5.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "3x - 1", status);
        vvd(root, 1.0 / 3.0, 1e-12, fn, "3x - 1: 1/3", status);
        vok(evals <= 10, fn, "3x - 1: at most 10 evaluations", status);
    }
    /* Context carries a parameter: x^3 - 27 on [0, 5] -> 3 */
    {
        counted c = {0, 27.0, 0, 0, 0};
        rc = cc_brent(f_cube_minus_param, &c, 0.0, 5.0, 1e-14, 4.5e-16, 100, &root, &froot,
                      &evals);
        viv(rc, CC_OK, fn, "x^3 - 27 via context", status);
        vvd(root, 3.0, 1e-12, fn, "x^3 - 27: 3", status);
    }
    /* A loose tolerance is honoured: xtol 1e-3, rtol 0 -> within 1e-3. */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 1e-3, 0.0, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "xtol 1e-3", status);
        vvd(root, 1.4142135623730951, 1e-3, fn, "xtol 1e-3: within 1e-3", status);
    }
    /* End points that are roots. */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_x_minus_1, &c, 1.0, 3.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "f(a) == 0", status);
        veq(root, 1.0, fn, "f(a) == 0: root is a", status);
        veq(froot, 0.0, fn, "f(a) == 0: f_root 0", status);
        vok(evals <= 2, fn, "f(a) == 0: at most the two end points evaluated", status);
        c.calls = 0;
        rc = cc_brent(f_x_minus_1, &c, -1.0, 1.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_OK, fn, "f(b) == 0", status);
        veq(root, 1.0, fn, "f(b) == 0: root is b", status);
    }
    /* Not bracketed. */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_sq_plus_1, &c, -1.0, 1.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ENOTBRACKETED, fn, "x^2 + 1 on [-1, 1]", status);
        rc = cc_brent(f_sq_minus_2, &c, 2.0, 3.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ENOTBRACKETED, fn, "x^2 - 2 on [2, 3]", status);
        rc = cc_brent(f_sq_minus_2, &c, -3.0, -2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ENOTBRACKETED, fn, "x^2 - 2 on [-3, -2]", status);
    }
    /* Callback errors: at the first call, and in the middle of the search. */
    {
        counted c = {0, 0, 1, 0, 42};
        rc = cc_brent(f_faulty, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ECALLBACK, fn, "callback fails at call 1", status);
        c.calls = 0;
        c.fail_at = 4;
        rc = cc_brent(f_faulty, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ECALLBACK, fn, "callback fails at call 4", status);
        viv((long long)c.calls, 4, fn, "callback failure stops the search", status);
        c.calls = 0;
        c.fail_code = -1;
        rc = cc_brent(f_faulty, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ECALLBACK, fn, "callback returns -1", status);
    }
    /* NaN and inf from the callback. */
    {
        counted c = {0, 0, 1, NAN, 0};
        rc = cc_brent(f_faulty, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ENONFINITE, fn, "NaN at an end point", status);
        c.calls = 0;
        c.fail_at = 3;
        rc = cc_brent(f_faulty, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ENONFINITE, fn, "NaN inside the search", status);
        c.calls = 0;
        c.fail_at = 2;
        c.bad_value = INFINITY;
        rc = cc_brent(f_faulty, &c, 0.0, 2.0, 1e-14, 4.5e-16, 100, &root, &froot, &evals);
        viv(rc, CC_ENONFINITE, fn, "inf at an end point", status);
    }
    /* maxiter too small: cos x - x needs more than 2 iterations to 1e-14. */
    {
        counted c = {0, 0, 0, 0, 0};
        rc = cc_brent(f_cos_minus_x, &c, 0.0, 1.0, 1e-14, 4.5e-16, 2, &root, &froot, &evals);
        viv(rc, CC_ENOCONVERGE, fn, "maxiter 2", status);
        vok(evals <= 4, fn, "maxiter 2: at most 2 + 2 evaluations", status);
        viv((long long)evals, (long long)c.calls, fn, "maxiter 2: evaluations == calls", status);
    }
    /* Bad arguments. */
    {
        counted c = {0, 0, 0, 0, 0};
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, -1e-12, 4.5e-16, 100, &root, &froot, &evals),
            CC_EARG, fn, "xtol negative", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 1e-12, -1.0, 100, &root, &froot, &evals),
            CC_EARG, fn, "rtol negative", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, NAN, 4.5e-16, 100, &root, &froot, &evals),
            CC_EARG, fn, "xtol NaN", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 1e-12, NAN, 100, &root, &froot, &evals),
            CC_EARG, fn, "rtol NaN", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 0.0, 0.0, 100, &root, &froot, &evals),
            CC_EARG, fn, "xtol and rtol both 0", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 1e-12, 4.5e-16, 0, &root, &froot, &evals),
            CC_EARG, fn, "maxiter 0", status);
        viv(cc_brent(f_sq_minus_2, &c, 1.0, 1.0, 1e-12, 4.5e-16, 100, &root, &froot, &evals),
            CC_EARG, fn, "a == b", status);
        viv(cc_brent(f_sq_minus_2, &c, NAN, 2.0, 1e-12, 4.5e-16, 100, &root, &froot, &evals),
            CC_EARG, fn, "a NaN", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, INFINITY, 1e-12, 4.5e-16, 100, &root, &froot,
                     &evals),
            CC_EARG, fn, "b inf", status);
        viv(cc_brent(NULL, &c, 0.0, 2.0, 1e-12, 4.5e-16, 100, &root, &froot, &evals), CC_EARG,
            fn, "f NULL", status);
        viv(cc_brent(f_sq_minus_2, &c, 0.0, 2.0, 1e-12, 4.5e-16, 100, NULL, &froot, &evals),
            CC_EARG, fn, "root NULL", status);
    }
}
