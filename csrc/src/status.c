/*
 * status.c - status codes, version, and small shared checks.
 */
#include <math.h>
#include <stdint.h>

#include "internal.h"

int cc_version(void)
{
    return CC_VERSION_MAJOR * 10000 + CC_VERSION_MINOR * 100 + CC_VERSION_PATCH;
}

const char *cc_strerror(int status)
{
    switch (status) {
    case CC_OK: return "success";
    case CC_ENOMEM: return "out of memory";
    case CC_EARG: return "invalid argument";
    case CC_EDIM: return "invalid size (no states, or sizes too large)";
    case CC_ENONFINITE: return "value is NaN or infinite";
    case CC_ENEGATIVE: return "value is negative";
    case CC_EPROB: return "probability is above one";
    case CC_EPROBSUM: return "probabilities leaving a state sum above one";
    case CC_EINDEX: return "state index out of range";
    case CC_EDT: return "step length dt must be positive and finite";
    case CC_ENOTBRACKETED: return "the interval does not bracket a root";
    case CC_ENOCONVERGE: return "iteration did not converge";
    case CC_ESCHEDULE: return "malformed rate schedule";
    case CC_ECALLBACK: return "callback failed";
    case CC_ETHREAD: return "could not start a thread";
    case CC_EOVERFLOW: return "the result would overflow (finite inputs too large)";
    case CC_EINTERRUPTED: return "interrupted";
    default: return "unknown carecast status";
    }
}

int cc__mul_overflows(size_t a, size_t b, size_t *out)
{
    const size_t limit = (size_t)PTRDIFF_MAX;
    if (a != 0 && b > limit / a) {
        return 1;
    }
    *out = a * b;
    return 0;
}

int cc__check_values(const double *x, size_t n, int nonneg, size_t offset,
                     ptrdiff_t *bad_index)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            cc__set_bad(bad_index, (ptrdiff_t)(offset + i));
            return CC_ENONFINITE;
        }
        if (nonneg && x[i] < 0.0) {
            cc__set_bad(bad_index, (ptrdiff_t)(offset + i));
            return CC_ENEGATIVE;
        }
    }
    return CC_OK;
}
