/*
 * roots.c - Brent's bracketed root finder.
 *
 * Brent (1973), "Algorithms for Minimization without Derivatives", ch. 4:
 * inverse quadratic interpolation or the secant step when they make good
 * progress, bisection otherwise; the bracket always holds a sign change.
 * The step logic and stopping test follow SciPy's brentq (Charles Harris's
 * C version), so results can be checked against it.
 */
#include <math.h>

#include "internal.h"

static int evaluate(cc_scalar_fn f, void *context, double x, double *fx, size_t *count)
{
    (*count)++;
    if (f(x, context, fx) != 0) {
        return CC_ECALLBACK;
    }
    return isfinite(*fx) ? CC_OK : CC_ENONFINITE;
}

int cc_brent(cc_scalar_fn f, void *context, double a, double b,
             double xtol, double rtol, size_t maxiter,
             double *root, double *f_root, size_t *evaluations)
{
    size_t count = 0;
    if (evaluations != NULL) {
        *evaluations = 0;
    }
    if (f == NULL || root == NULL || !isfinite(a) || !isfinite(b) || a == b ||
        !(xtol >= 0.0) || !(rtol >= 0.0) || !isfinite(xtol) || !isfinite(rtol) ||
        (xtol == 0.0 && rtol == 0.0) || maxiter == 0) {
        return CC_EARG;
    }
    double xpre = a, xcur = b, fpre, fcur;
    int status = evaluate(f, context, xpre, &fpre, &count);
    if (status == CC_OK) {
        status = evaluate(f, context, xcur, &fcur, &count);
    }
    if (evaluations != NULL) {
        *evaluations = count;
    }
    if (status != CC_OK) {
        return status;
    }
    if (fpre == 0.0 || fcur == 0.0) {
        *root = fpre == 0.0 ? xpre : xcur;
        if (f_root != NULL) {
            *f_root = 0.0;
        }
        return CC_OK;
    }
    if ((fpre > 0.0) == (fcur > 0.0)) {
        return CC_ENOTBRACKETED;
    }
    double xblk = 0.0, fblk = 0.0, spre = 0.0, scur = 0.0;
    for (size_t i = 0; i < maxiter; i++) {
        if (fpre != 0.0 && fcur != 0.0 && ((fpre > 0.0) != (fcur > 0.0))) {
            xblk = xpre;
            fblk = fpre;
            spre = scur = xcur - xpre;
        }
        if (fabs(fblk) < fabs(fcur)) {
            /* Keep the best estimate in xcur. */
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        const double delta = (xtol + rtol * fabs(xcur)) / 2.0;
        const double sbis = (xblk - xcur) / 2.0;
        if (fcur == 0.0 || fabs(sbis) < delta) {
            *root = xcur;
            if (f_root != NULL) {
                *f_root = fcur;
            }
            if (evaluations != NULL) {
                *evaluations = count;
            }
            return CC_OK;
        }
        if (fabs(spre) > delta && fabs(fcur) < fabs(fpre)) {
            double stry;
            if (xpre == xblk) {
                stry = -fcur * (xcur - xpre) / (fcur - fpre);
            } else {
                const double dpre = (fpre - fcur) / (xpre - xcur);
                const double dblk = (fblk - fcur) / (xblk - xcur);
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre));
            }
            const double limit = fmin(fabs(spre), 3.0 * fabs(sbis) - delta);
            if (2.0 * fabs(stry) < limit) {
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        xcur += fabs(scur) > delta ? scur : (sbis > 0.0 ? delta : -delta);
        status = evaluate(f, context, xcur, &fcur, &count);
        if (evaluations != NULL) {
            *evaluations = count;
        }
        if (status != CC_OK) {
            return status;
        }
    }
    *root = xcur;
    if (f_root != NULL) {
        *f_root = fcur;
    }
    return CC_ENOCONVERGE;
}
