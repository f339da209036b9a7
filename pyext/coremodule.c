/*
 * coremodule.c - carecast._core, the CPython + NumPy binding of the carecast
 * C library.
 *
 * Only argument handling lives here: parse -> convert to a fixed dtype ->
 * check shapes and values with messages that name the Python argument ->
 * allocate outputs with the GIL held -> release the GIL around the C kernel
 * -> raise only after the GIL is back.  No modelling decisions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PY_ARRAY_UNIQUE_SYMBOL carecast_ARRAY_API
#include <numpy/arrayobject.h>

#include "buffer_cache.h"
#include "carecast.h"

typedef struct core_state {
    PyObject *carecast_error;     /* carecast.CarecastError */
    PyObject *not_bracketed;      /* carecast.NotBracketedError */
    PyObject *convergence_error;  /* carecast.ConvergenceError */
    PyObject *buffers;            /* NumPy memory handler recycling outputs */
} core_state;

static core_state *get_state(PyObject *module)
{
    return (core_state *)PyModule_GetState(module);
}

/* ------------------------------------------------------------------------
 * Status -> exception
 * ------------------------------------------------------------------------ */

/* The one place where C status codes become Python exceptions.  `what`
 * names the argument or the operation; `detail` (may be NULL) adds context
 * such as an element index. */
static PyObject *raise_status(PyObject *module, int status, const char *what,
                              const char *detail)
{
    core_state *st = get_state(module);
    PyObject *type;
    switch (status) {
    case CC_ENOMEM:
        return PyErr_NoMemory();
    case CC_ENOTBRACKETED:
        type = st->not_bracketed;
        break;
    case CC_ENOCONVERGE:
        type = st->convergence_error;
        break;
    case CC_ETHREAD:
        type = st->carecast_error;
        break;
    case CC_EINTERRUPTED:
        type = PyExc_KeyboardInterrupt;
        break;
    default:
        type = PyExc_ValueError;
        break;
    }
    if (detail != NULL && detail[0] != '\0') {
        PyErr_Format(type, "%s: %s (%s)", what, detail, cc_strerror(status));
    } else {
        PyErr_Format(type, "%s: %s", what, cc_strerror(status));
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Conversion
 * ------------------------------------------------------------------------ */

/* Shortest repr of a double, as Python prints it. */
static void repr_double(double v, char *buf, size_t size)
{
    char *text = PyOS_double_to_string(v, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) {
        PyErr_Clear();
        snprintf(buf, size, "%.17g", v);
        return;
    }
    snprintf(buf, size, "%s", text);
    PyMem_Free(text);
}

/* "(2, 3)" for an array's shape. */
static void format_shape(PyArrayObject *arr, char *buf, size_t size)
{
    const int ndim = PyArray_NDIM(arr);
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < ndim && used < size; d++) {
        used += (size_t)snprintf(buf + used, size - used, d ? ", %ld" : "%ld",
                                 (long)PyArray_DIM(arr, d));
    }
    if (used < size) {
        snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
    }
}


/* Converts obj to a C-contiguous, aligned array of typenum (NPY_DOUBLE for
 * values, NPY_INT64 for indices) with ndim in [min_ndim, max_ndim].  Lists,
 * scalars, float32, Fortran-order, strided and read-only arrays are
 * accepted (copied when needed; the input is never written); boolean,
 * complex, object, string, date and, for indices, floating-point data are
 * refused with a TypeError naming the argument, and masked arrays with
 * masked entries with a ValueError. */
/* A numpy.ma.MaskedArray would be read with its mask ignored: refuse one
 * that has masked entries (the engine does not guess missing values); one
 * with none is read as its data. */
static int refuse_masked(PyObject *obj, const char *name)
{
    if (!PyArray_Check(obj) || !PyObject_HasAttrString(obj, "mask")) {
        return 0;
    }
    PyObject *mask = PyObject_GetAttrString(obj, "mask");
    PyObject *count = mask != NULL ? PyObject_CallMethod(mask, "sum", NULL) : NULL;
    Py_XDECREF(mask);
    const long long masked = count != NULL ? PyLong_AsLongLong(count) : -1;
    Py_XDECREF(count);
    if (masked == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s is a masked array whose mask cannot be read", name);
        return -1;
    }
    if (masked > 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s is a masked array with %lld masked entries: fill them "
                     "(%s.filled(value)) or leave them out; carecast does not guess missing "
                     "values", name, masked, name);
        return -1;
    }
    return 0;
}

static PyArrayObject *convert(PyObject *obj, const char *name, int typenum,
                              int min_ndim, int max_ndim)
{
    if (refuse_masked(obj, name) < 0) {
        return NULL;
    }
    PyArrayObject *natural = (PyArrayObject *)PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
    if (natural == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be an array of numbers", name);
        return NULL;
    }
    const char kind = PyArray_DESCR(natural)->kind;
    /* Booleans are refused for both: True as a rate or an index is a
     * mistake, not a number. */
    const int ok = typenum == NPY_INT64 ? (kind == 'i' || kind == 'u')
                                        : (kind == 'i' || kind == 'u' || kind == 'f');
    if (!ok) {
        PyObject *dtype = PyObject_Str((PyObject *)PyArray_DESCR(natural));
        PyErr_Format(PyExc_TypeError, "%s must be %s, got dtype %S", name,
                     typenum == NPY_INT64 ? "integers (state indices)" : "real numbers",
                     dtype != NULL ? dtype : Py_None);
        Py_XDECREF(dtype);
        Py_DECREF(natural);
        return NULL;
    }
    const int ndim = PyArray_NDIM(natural);
    if (ndim < min_ndim || ndim > max_ndim) {
        if (min_ndim == max_ndim) {
            PyErr_Format(PyExc_ValueError, "%s must be %d-D, got %d-D", name, min_ndim, ndim);
        } else {
            PyErr_Format(PyExc_ValueError, "%s must be %d-D to %d-D, got %d-D", name,
                         min_ndim, max_ndim, ndim);
        }
        Py_DECREF(natural);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)PyArray_FromArray(
        natural, PyArray_DescrFromType(typenum),
        NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);
    Py_DECREF(natural);
    if (arr == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s could not be converted to %s", name,
                     typenum == NPY_INT64 ? "int64" : "float64");
    }
    return arr;
}

/* Optional argument: Py_None gives NULL without an error. */
static int convert_optional(PyObject *obj, const char *name, int typenum, int min_ndim,
                            int max_ndim, PyArrayObject **out)
{
    *out = NULL;
    if (obj == NULL || obj == Py_None) {
        return 0;
    }
    *out = convert(obj, name, typenum, min_ndim, max_ndim);
    return *out == NULL ? -1 : 0;
}

/* "[i, j]" for a flat index into arr's shape (C order). */
static void format_index(const PyArrayObject *arr, ptrdiff_t flat, char *buf, size_t size)
{
    const int ndim = PyArray_NDIM(arr);
    const npy_intp *shape = PyArray_DIMS((PyArrayObject *)arr);
    npy_intp idx[NPY_MAXDIMS];
    npy_intp rest = flat;
    for (int d = ndim - 1; d >= 0; d--) {
        idx[d] = shape[d] > 0 ? rest % shape[d] : 0;
        rest = shape[d] > 0 ? rest / shape[d] : 0;
    }
    size_t used = 0;
    used += (size_t)snprintf(buf + used, size - used, "[");
    for (int d = 0; d < ndim && used < size; d++) {
        used += (size_t)snprintf(buf + used, size - used, d ? ", %ld" : "%ld", (long)idx[d]);
    }
    if (used < size) {
        snprintf(buf + used, size - used, "]");
    }
}

/* A value error about element `flat` of a converted array. */
static PyObject *raise_element(PyObject *module, int status, const char *name,
                               PyArrayObject *arr, ptrdiff_t flat)
{
    char where[160];
    char what[256];
    format_index(arr, flat, where, sizeof where);
    char number[40];
    repr_double(((const double *)PyArray_DATA(arr))[flat], number, sizeof number);
    snprintf(what, sizeof what, "%s%s = %s", name, where, number);
    if (status == CC_ENONFINITE) {
        PyErr_Format(PyExc_ValueError, "%s is not finite", what);
    } else if (status == CC_ENEGATIVE) {
        PyErr_Format(PyExc_ValueError, "%s is negative", what);
    } else if (status == CC_EPROB) {
        PyErr_Format(PyExc_ValueError, "%s is a probability above 1 (kind='prob')", what);
    } else {
        return raise_status(module, status, name, where);
    }
    return NULL;
}

static int check_nonnegative(PyObject *module, PyArrayObject *arr, const char *name)
{
    ptrdiff_t bad = -1;
    int status = cc_check_nonnegative((size_t)PyArray_SIZE(arr),
                                      (const double *)PyArray_DATA(arr), &bad);
    if (status != CC_OK) {
        raise_element(module, status, name, arr, bad);
        return -1;
    }
    return 0;
}

/* Finite (any sign) check for values such as costs. */
static int check_finite(PyArrayObject *arr, const char *name)
{
    const double *x = (const double *)PyArray_DATA(arr);
    const npy_intp n = PyArray_SIZE(arr);
    for (npy_intp i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            char where[160], number[40];
            format_index(arr, (ptrdiff_t)i, where, sizeof where);
            repr_double(x[i], number, sizeof number);
            PyErr_Format(PyExc_ValueError, "%s%s = %s is not finite", name, where, number);
            return -1;
        }
    }
    return 0;
}

static int parse_kind(const char *kind, cc_kind *out)
{
    if (strcmp(kind, "rate") == 0) {
        *out = CC_KIND_RATE;
    } else if (strcmp(kind, "prob") == 0) {
        *out = CC_KIND_PROB;
    } else {
        PyErr_Format(PyExc_ValueError, "kind must be 'rate' or 'prob', got '%s'", kind);
        return -1;
    }
    return 0;
}

static int check_dt(double dt)
{
    if (!(dt > 0.0) || !isfinite(dt)) {
        char number[40];
        repr_double(dt, number, sizeof number);
        PyErr_Format(PyExc_ValueError, "dt must be a positive finite number of years, got %s",
                     number);
        return -1;
    }
    return 0;
}

static int check_steps(Py_ssize_t steps)
{
    if (steps < 0) {
        PyErr_Format(PyExc_ValueError, "steps must be >= 0, got %zd", steps);
        return -1;
    }
    return 0;
}

/* A new float64 array for the kernel to fill completely (zeroed only when
 * `zeroed` is set: untouched zero pages from calloc cost nothing until
 * read, which matters for outputs the kernel may leave as they are).
 * Returns NULL with MemoryError if the element count overflows. */
static PyArrayObject *new_output(int ndim, const npy_intp *dims, int zeroed)
{
    npy_intp count = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] != 0 && count > NPY_MAX_INTP / 8 / dims[d]) {
            PyErr_SetString(PyExc_MemoryError, "requested output is too large to allocate");
            return NULL;
        }
        count *= dims[d];
    }
    return (PyArrayObject *)(zeroed ? PyArray_ZEROS(ndim, (npy_intp *)dims, NPY_DOUBLE, 0)
                                    : PyArray_EMPTY(ndim, (npy_intp *)dims, NPY_DOUBLE, 0));
}

static PyArrayObject *new_array(int ndim, const npy_intp *dims)
{
    return new_output(ndim, dims, 1);
}

/* ------------------------------------------------------------------------
 * project
 * ------------------------------------------------------------------------ */

/* Names the structure argument at fault after CC_EINDEX. */
static PyObject *raise_structure(PyObject *module, int status, const cc_structure *m,
                                 ptrdiff_t bad)
{
    if (status == CC_EDIM) {
        PyErr_SetString(PyExc_ValueError,
                        "x0: a model needs at least one state (and sizes that fit in memory)");
        return NULL;
    }
    if (status != CC_EINDEX || bad < 0) {
        return raise_status(module, status, "model structure", NULL);
    }
    const long long S = (long long)m->n_states;
    if ((size_t)bad < m->n_flows &&
        (m->src[bad] < 0 || m->src[bad] >= S || m->dst[bad] < 0 || m->dst[bad] >= S)) {
        const int is_src = m->src[bad] < 0 || m->src[bad] >= S;
        PyErr_Format(PyExc_ValueError,
                     "%s[%zd] = %lld is not a state index (there are %lld states, 0..%lld)",
                     is_src ? "src" : "dst", (Py_ssize_t)bad,
                     (long long)(is_src ? m->src[bad] : m->dst[bad]), S, S - 1);
    } else {
        PyErr_Format(PyExc_ValueError,
                     "advance[%zd] = %lld is not a state index or -1 (there are %lld states)",
                     (Py_ssize_t)bad, (long long)m->advance[bad], S);
    }
    return NULL;
}

static PyObject *raise_flow_values(PyObject *module, int status, PyArrayObject *value,
                                   size_t S, size_t rows_per_replicate, int batched,
                                   ptrdiff_t bad)
{
    if (status != CC_EPROBSUM) {
        return raise_element(module, status, "value", value, bad);
    }
    const ptrdiff_t rows = (ptrdiff_t)rows_per_replicate;
    const ptrdiff_t row = bad / (ptrdiff_t)S;
    const ptrdiff_t state = bad % (ptrdiff_t)S;
    if (batched) {
        PyErr_Format(PyExc_ValueError,
                     "value: with kind='prob' the probabilities leaving state %zd sum above 1 "
                     "(replicate %zd, step %zd)",
                     (Py_ssize_t)state, (Py_ssize_t)(row / rows), (Py_ssize_t)(row % rows));
    } else {
        PyErr_Format(PyExc_ValueError,
                     "value: with kind='prob' the probabilities leaving state %zd sum above 1 "
                     "(step %zd)",
                     (Py_ssize_t)state, (Py_ssize_t)row);
    }
    return NULL;
}

/* The arrays and sizes shared by the three projection kernels (cc_project,
 * cc_project_batch, cc_simulate_range), converted and checked once. */
typedef struct projection_args {
    PyArrayObject *x0, *src, *dst, *value, *inflow, *advance;
    npy_intp S, F, R, steps;
    double dt;
    cc_kind kind;
    int batched;               /* outputs carry a leading replicate axis */
    int value_per_replicate, inflow_per_replicate;
    int value_varies, inflow_varies;
    size_t value_stride, inflow_stride;
    size_t value_rep_stride, inflow_rep_stride, x0_rep_stride;
    cc_structure m;
} projection_args;

static void release_projection(projection_args *a)
{
    Py_CLEAR(a->x0);
    Py_CLEAR(a->src);
    Py_CLEAR(a->dst);
    Py_CLEAR(a->value);
    Py_CLEAR(a->inflow);
    Py_CLEAR(a->advance);
}

/* ------------------------------------------------------------------------
 * Interruptible batch runs
 *
 * A batch kernel runs on a thread of its own while the calling (main)
 * thread waits on a lock in 50 ms slices with the GIL released, taking the
 * GIL back between slices to run PyErr_CheckSignals.  When a signal handler
 * raises (Ctrl-C: KeyboardInterrupt), the kernel's cancel flag is raised; it
 * stops within a step and frees its workspace, and the exception propagates
 * once the kernel has returned.  The kernel thread never touches Python.
 * ------------------------------------------------------------------------ */

typedef struct batch_call {
    int stochastic;
    const cc_structure *m;
    size_t replicates, steps;
    double dt;
    cc_kind kind;
    const double *value;
    size_t value_rep_stride, value_stride;
    const double *inflow;
    size_t inflow_rep_stride, inflow_stride;
    const double *x0;
    size_t x0_rep_stride;
    uint64_t seed, first_replicate;
    size_t threads;
    double *occupancy, *moved, *arrivals;
    volatile int cancel;
    int status;
    ptrdiff_t bad;
    PyThread_type_lock done;  /* held until the kernel has returned */
    /* Reduced outputs (either reduction non-NULL): occupancy, moved and
     * arrivals are then NULL. */
    const cc_reduction *state_red, *flow_red;
    double *outputs, *flow_out;
} batch_call;

static void batch_call_run(batch_call *c)
{
    const cc_batch_control control = {c->threads, &c->cancel};
    if (c->state_red != NULL || c->flow_red != NULL) {
        if (c->stochastic) {
            c->status = cc_simulate_range_outputs(
                c->m, c->replicates, c->steps, c->dt, c->kind, c->value, c->value_rep_stride,
                c->value_stride, c->inflow, c->inflow_rep_stride, c->inflow_stride, c->x0,
                c->x0_rep_stride, c->seed, c->first_replicate, c->state_red, c->flow_red,
                &control, c->outputs, c->flow_out, &c->bad);
        } else {
            c->status = cc_project_batch_outputs(
                c->m, c->replicates, c->steps, c->dt, c->kind, c->value, c->value_rep_stride,
                c->value_stride, c->inflow, c->inflow_rep_stride, c->inflow_stride, c->x0,
                c->x0_rep_stride, c->state_red, c->flow_red, &control, c->outputs,
                c->flow_out, &c->bad);
        }
    } else if (c->stochastic) {
        c->status = cc_simulate_range_ctl(
            c->m, c->replicates, c->steps, c->dt, c->kind, c->value, c->value_rep_stride,
            c->value_stride, c->inflow, c->inflow_rep_stride, c->inflow_stride, c->x0,
            c->x0_rep_stride, c->seed, c->first_replicate, &control, c->occupancy, c->moved,
            c->arrivals, &c->bad);
    } else {
        c->status = cc_project_batch_ctl(
            c->m, c->replicates, c->steps, c->dt, c->kind, c->value, c->value_rep_stride,
            c->value_stride, c->inflow, c->inflow_rep_stride, c->inflow_stride, c->x0,
            c->x0_rep_stride, &control, c->occupancy, c->moved, c->arrivals, &c->bad);
    }
}

static void batch_call_thread(void *arg)
{
    batch_call *c = arg;
    batch_call_run(c);
    PyThread_release_lock(c->done);
}

/* Runs c to completion.  Returns -1 with an exception set when a signal
 * handler raised while it ran (c->status is then CC_EINTERRUPTED, or CC_OK
 * if the kernel finished first), 0 otherwise.  Called with the GIL. */
static int run_batch_call(batch_call *c)
{
    c->cancel = 0;
    /* Small jobs (under 10^7 flow and state updates: well under a second
     * even for simulate's slowest draws) run here: a thread of their own
     * would cost more than they do. */
    if ((double)c->replicates * (double)c->steps *
            (double)(c->m->n_flows + c->m->n_states) < 1e7) {
        Py_BEGIN_ALLOW_THREADS
        batch_call_run(c);
        Py_END_ALLOW_THREADS
        return 0;
    }
    c->done = PyThread_allocate_lock();
    if (c->done == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyThread_acquire_lock(c->done, WAIT_LOCK);
    if (PyThread_start_new_thread(batch_call_thread, c) == PYTHREAD_INVALID_THREAD_ID) {
        /* No thread to spare: run here, uninterruptible as before. */
        PyThread_release_lock(c->done);
        PyThread_free_lock(c->done);
        Py_BEGIN_ALLOW_THREADS
        batch_call_run(c);
        Py_END_ALLOW_THREADS
        return 0;
    }
    int raised = 0;
    for (;;) {
        PyLockStatus got;
        Py_BEGIN_ALLOW_THREADS
        got = PyThread_acquire_lock_timed(c->done, 50000, 0);
        Py_END_ALLOW_THREADS
        if (got == PY_LOCK_ACQUIRED) {
            break;
        }
        if (!raised && PyErr_CheckSignals() < 0) {
            raised = 1;
            c->cancel = 1;
        }
    }
    PyThread_release_lock(c->done);
    PyThread_free_lock(c->done);
    return raised ? -1 : 0;
}

/* Shape of a per-step parameter of width `width` ("F" or "S"): after an
 * optional leading replicate axis, (width,) constant or (steps, width).
 * Sets *varies and *rep_stride; raises naming the argument. */
static int check_step_param(PyArrayObject *arr, const char *name, int per_replicate,
                            npy_intp R, npy_intp steps, npy_intp width, const char *width_name,
                            int *varies, size_t *rep_stride)
{
    const int nd = PyArray_NDIM(arr);
    const int time_axes = nd - (per_replicate ? 1 : 0);
    int ok = time_axes == 1 || time_axes == 2;
    ok = ok && PyArray_DIM(arr, nd - 1) == width;
    ok = ok && (!per_replicate || PyArray_DIM(arr, 0) == R);
    ok = ok && (time_axes != 2 || PyArray_DIM(arr, nd - 2) == steps);
    if (!ok) {
        char shape[128];
        format_shape(arr, shape, sizeof shape);
        if (per_replicate) {
            PyErr_Format(PyExc_ValueError,
                         "%s has shape %s; expected (replicates, %s) or (replicates, steps, %s) "
                         "with replicates = %zd, %s = %zd, steps = %zd",
                         name, shape, width_name, width_name, (Py_ssize_t)R, width_name,
                         (Py_ssize_t)width, (Py_ssize_t)steps);
        } else {
            PyErr_Format(PyExc_ValueError,
                         "%s has shape %s; expected (%s,) or (steps, %s) with %s = %zd, "
                         "steps = %zd",
                         name, shape, width_name, width_name, width_name, (Py_ssize_t)width,
                         (Py_ssize_t)steps);
        }
        return -1;
    }
    *varies = time_axes == 2;
    *rep_stride = per_replicate ? (size_t)(*varies ? steps * width : width) : 0;
    return 0;
}

/* Converts and checks everything the projection kernels share: scalars,
 * arrays, shapes and the model structure.  replicates < 0: one run, no
 * replicate axis.  The data themselves (x0, inflow, flow values) are
 * checked by the C library before its kernel runs; raise_projection_failure
 * names the argument when it refuses them. */
static int convert_projection(PyObject *module, projection_args *a, PyObject *x0_obj,
                              PyObject *src_obj, PyObject *dst_obj, PyObject *value_obj,
                              PyObject *inflow_obj, PyObject *advance_obj, Py_ssize_t steps,
                              double dt, const char *kind_name, Py_ssize_t replicates,
                              int value_per_replicate, int inflow_per_replicate)
{
    memset(a, 0, sizeof *a);
    if (check_steps(steps) < 0 || check_dt(dt) < 0 || parse_kind(kind_name, &a->kind) < 0) {
        return -1;
    }
    a->batched = replicates >= 0;
    a->steps = steps;
    a->dt = dt;
    a->R = a->batched ? replicates : 1;
    a->value_per_replicate = a->batched && value_per_replicate;
    a->inflow_per_replicate = a->batched && inflow_per_replicate;
    a->x0 = convert(x0_obj, "x0", NPY_DOUBLE, 1, a->batched ? 2 : 1);
    if (a->x0 == NULL) return -1;
    a->src = convert(src_obj, "src", NPY_INT64, 1, 1);
    if (a->src == NULL) return -1;
    a->dst = convert(dst_obj, "dst", NPY_INT64, 1, 1);
    if (a->dst == NULL) return -1;
    a->value = convert(value_obj, "value", NPY_DOUBLE, 1, 2 + a->value_per_replicate);
    if (a->value == NULL) return -1;
    if (convert_optional(inflow_obj, "inflow", NPY_DOUBLE, 1, 2 + a->inflow_per_replicate,
                         &a->inflow) < 0)
        return -1;
    if (convert_optional(advance_obj, "advance", NPY_INT64, 1, 1, &a->advance) < 0) return -1;

    const npy_intp S = PyArray_DIM(a->x0, PyArray_NDIM(a->x0) - 1);
    const npy_intp F = PyArray_DIM(a->src, 0);
    a->S = S;
    a->F = F;
    if (S == 0) {
        PyErr_SetString(PyExc_ValueError, "x0: a model needs at least one state (S >= 1)");
        return -1;
    }
    if (a->batched && PyArray_NDIM(a->x0) == 2 && PyArray_DIM(a->x0, 0) != a->R) {
        PyErr_Format(PyExc_ValueError, "x0 has %zd rows but replicates is %zd",
                     (Py_ssize_t)PyArray_DIM(a->x0, 0), (Py_ssize_t)a->R);
        return -1;
    }
    a->x0_rep_stride = PyArray_NDIM(a->x0) == 2 ? (size_t)S : 0;
    if (PyArray_DIM(a->dst, 0) != F) {
        PyErr_Format(PyExc_ValueError, "src and dst must have the same length, got %zd and %zd",
                     (Py_ssize_t)F, (Py_ssize_t)PyArray_DIM(a->dst, 0));
        return -1;
    }
    if (a->advance != NULL && PyArray_DIM(a->advance, 0) != S) {
        PyErr_Format(PyExc_ValueError, "advance must have one entry per state (%zd), got %zd",
                     (Py_ssize_t)S, (Py_ssize_t)PyArray_DIM(a->advance, 0));
        return -1;
    }
    if (check_step_param(a->value, "value", a->value_per_replicate, a->R, steps, F, "F",
                         &a->value_varies, &a->value_rep_stride) < 0)
        return -1;
    if (a->inflow != NULL &&
        check_step_param(a->inflow, "inflow", a->inflow_per_replicate, a->R, steps, S, "S",
                         &a->inflow_varies, &a->inflow_rep_stride) < 0)
        return -1;
    a->value_stride = a->value_varies ? (size_t)F : 0;
    a->inflow_stride = a->inflow_varies ? (size_t)S : 0;

    const cc_structure m = {(size_t)S, (size_t)F, (const int64_t *)PyArray_DATA(a->src),
                            (const int64_t *)PyArray_DATA(a->dst),
                            a->advance ? (const int64_t *)PyArray_DATA(a->advance) : NULL};
    a->m = m;
    ptrdiff_t bad = -1;
    const int status = cc_check_structure(&a->m, &bad);
    if (status != CC_OK) {
        raise_structure(module, status, &a->m, bad);
        return -1;
    }
    return 0;
}

/* Threads for a batch: at least 1; more than CC_BINDING_MAX_THREADS are
 * capped (results are bit-identical whatever the thread count, and no
 * machine this runs on gains from more). */
#define CC_BINDING_MAX_THREADS 256

static int check_threads(Py_ssize_t threads, size_t *out)
{
    if (threads < 1) {
        PyErr_Format(PyExc_ValueError, "threads must be >= 1, got %zd", threads);
        return -1;
    }
    *out = threads > CC_BINDING_MAX_THREADS ? (size_t)CC_BINDING_MAX_THREADS : (size_t)threads;
    return 0;
}

/* sum(x0) plus the inflow of every step of replicate r (inputs already
 * known to be finite and non-negative); may be +inf. */
static double people_total(const projection_args *a, npy_intp r)
{
    const size_t S = (size_t)a->S;
    const double *x0 = (const double *)PyArray_DATA(a->x0) + (size_t)r * a->x0_rep_stride;
    double total = 0.0;
    for (size_t s = 0; s < S; s++) total += x0[s];
    if (a->inflow == NULL) return total;
    const double *inflow =
        (const double *)PyArray_DATA(a->inflow) + (size_t)r * a->inflow_rep_stride;
    const size_t rows = a->inflow_varies ? (size_t)a->steps : 1;
    double arriving = 0.0;
    for (size_t i = 0; i < rows * S; i++) arriving += inflow[i];
    return total + (a->inflow_varies ? arriving : arriving * (double)a->steps);
}

/* "7.3 TiB" for a number of bytes. */
static void format_bytes(double bytes, char *buf, size_t size)
{
    static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"};
    size_t u = 0;
    while (bytes >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
}

/* MemoryError naming each output's size and what makes it large. */
static void raise_outputs_too_large(const projection_args *a, int keep_moved)
{
    const double R = (double)a->R, steps = (double)a->steps;
    char occ[32], moved[32], arrivals[32];
    format_bytes(8.0 * R * (steps + 1.0) * (double)a->S, occ, sizeof occ);
    format_bytes(keep_moved ? 8.0 * R * steps * (double)a->F : 0.0, moved, sizeof moved);
    format_bytes(8.0 * R * steps * (double)a->S, arrivals, sizeof arrivals);
    char message[512];
    if (a->batched) {
        snprintf(message, sizeof message,
                 "the outputs would need %s for occupancy (replicates x (steps + 1) x S), %s "
                 "for moved (replicates x steps x F) and %s for inflow (replicates x steps x S) "
                 "with replicates = %zd, steps = %zd, S = %zd, F = %zd: too large to allocate; "
                 "use keep_moved=False, fewer replicates or fewer steps",
                 occ, moved, arrivals, (Py_ssize_t)a->R, (Py_ssize_t)a->steps,
                 (Py_ssize_t)a->S, (Py_ssize_t)a->F);
    } else {
        snprintf(message, sizeof message,
                 "the outputs would need %s for occupancy ((steps + 1) x S), %s for moved "
                 "(steps x F) and %s for inflow (steps x S) with steps = %zd, S = %zd, F = %zd: "
                 "too large to allocate; project fewer steps",
                 occ, moved, arrivals, (Py_ssize_t)a->steps, (Py_ssize_t)a->S,
                 (Py_ssize_t)a->F);
    }
    PyErr_SetString(PyExc_MemoryError, message);
}

/* The three outputs, from the module's buffer cache.  Every element of
 * occupancy and moved is written by the kernels; arrivals only when there
 * is an inflow (or draws), so they start at zero.  keep_moved = 0 gives an
 * empty moved array (the kernel is given no moved output).  With
 * `with_arrivals` = 0 no arrivals array is made (*arrivals is NULL). */
static int allocate_outputs(PyObject *module, const projection_args *a, int keep_moved,
                            int with_arrivals, PyArrayObject **occupancy,
                            PyArrayObject **moved, PyArrayObject **arrivals)
{
    npy_intp occ_dims[3] = {a->R, a->steps + 1, a->S};
    npy_intp moved_dims[3] = {a->R, a->steps, keep_moved ? a->F : 0};
    npy_intp arr_dims[3] = {a->R, a->steps, a->S};
    const int off = a->batched ? 0 : 1;
    PyObject *previous_handler = cc_buffer_cache_enter(get_state(module)->buffers);
    if (previous_handler == NULL) return -1;
    *occupancy = new_output(3 - off, occ_dims + off, 0);
    *moved = *occupancy ? new_output(3 - off, moved_dims + off, 0) : NULL;
    *arrivals = *moved && with_arrivals ? new_output(3 - off, arr_dims + off, 1) : NULL;
    cc_buffer_cache_leave(previous_handler);
    if (*moved == NULL || (with_arrivals && *arrivals == NULL)) {
        if (PyErr_ExceptionMatches(PyExc_MemoryError)) {
            PyErr_Clear();
            raise_outputs_too_large(a, keep_moved);
        }
        return -1;
    }
    return 0;
}

/* The arrivals of a batch whose inflow every replicate shares, shape
 * (R, steps, S): a read-only view, replicate stride 0 (and step stride 0
 * for a constant inflow), of a private copy of the inflow, so that a batch
 * stores its inflow once rather than R times.
 *
 * Decision: these arrivals are identical in every replicate, and writing
 * R copies of them was half of what a full-occupancy batch wrote (1.54 of
 * 3.1 GB for 10,000 sets of case (b) of tests/benchmarks/bench_batch.py),
 * so half its page faults: about 0.55 s of system time per call on the
 * development VM.  The view is an ordinary NumPy array for every read
 * (indexing, arithmetic, copy, pickle, np.asarray give the same numbers);
 * only writing into it raises (ValueError: assignment destination is
 * read-only).  The copy keeps later changes to the caller's inflow array
 * out of the result.  Per-replicate inflows and simulate's drawn
 * arrivals are stored in full as before. */
static PyArrayObject *shared_arrivals(const projection_args *a)
{
    PyArrayObject *rows = (PyArrayObject *)PyArray_NewCopy(a->inflow, NPY_CORDER);
    if (rows == NULL) return NULL;
    npy_intp dims[3] = {a->R, a->steps, a->S};
    npy_intp strides[3] = {0, a->inflow_varies ? a->S * (npy_intp)sizeof(double) : 0,
                           (npy_intp)sizeof(double)};
    PyArray_Descr *descr = PyArray_DescrFromType(NPY_DOUBLE);
    PyArrayObject *view = (PyArrayObject *)PyArray_NewFromDescr(
        &PyArray_Type, descr, 3, dims, strides, PyArray_DATA(rows), NPY_ARRAY_ALIGNED, NULL);
    if (view == NULL) {
        Py_DECREF(rows);
        return NULL;
    }
    if (PyArray_SetBaseObject(view, (PyObject *)rows) < 0) { /* steals rows */
        Py_DECREF(view);
        return NULL;
    }
    return view;
}

/* Whether two arrays' memory overlaps (both C-contiguous, so each is the
 * byte range [data, data + nbytes)). */
static int memory_overlaps(PyArrayObject *a, PyArrayObject *b)
{
    if (a == NULL || b == NULL || PyArray_NBYTES(a) == 0 || PyArray_NBYTES(b) == 0) return 0;
    const char *a0 = PyArray_BYTES(a), *b0 = PyArray_BYTES(b);
    return a0 < b0 + PyArray_NBYTES(b) && b0 < a0 + PyArray_NBYTES(a);
}

/* One array of out=: a writeable, aligned, C-contiguous float64 ndarray of
 * exactly the shape dims (the kernel writes it in place, so nothing is
 * converted).  Returns a new reference or NULL with an exception naming
 * out[position]. */
static PyArrayObject *check_out_array(PyObject *obj, int position, const char *what,
                                      const char *shape_text, const npy_intp *dims)
{
    char wanted[160];
    snprintf(wanted, sizeof wanted, "(%zd, %zd, %zd)", (Py_ssize_t)dims[0],
             (Py_ssize_t)dims[1], (Py_ssize_t)dims[2]);
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "out[%d] (%s) must be a NumPy array of shape %s = %s, "
                     "got %s", position, what, shape_text, wanted, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    if (PyArray_TYPE(arr) != NPY_DOUBLE || !PyArray_ISNBO(PyArray_DESCR(arr)->byteorder)) {
        PyObject *dtype = PyObject_Str((PyObject *)PyArray_DESCR(arr));
        PyErr_Format(PyExc_TypeError, "out[%d] (%s) must have dtype float64 (native byte "
                     "order), got %S", position, what, dtype != NULL ? dtype : Py_None);
        Py_XDECREF(dtype);
        return NULL;
    }
    int same_shape = PyArray_NDIM(arr) == 3;
    for (int d = 0; same_shape && d < 3; d++) same_shape = PyArray_DIM(arr, d) == dims[d];
    if (!same_shape) {
        char got[160];
        format_shape(arr, got, sizeof got);
        PyErr_Format(PyExc_ValueError, "out[%d] (%s) must have shape %s = %s, got %s",
                     position, what, shape_text, wanted, got);
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr)) {
        PyErr_Format(PyExc_ValueError, "out[%d] (%s) must be C-contiguous and aligned (it is "
                     "written in place)", position, what);
        return NULL;
    }
    if (!PyArray_ISWRITEABLE(arr)) {
        PyErr_Format(PyExc_ValueError, "out[%d] (%s) is read-only", position, what);
        return NULL;
    }
    Py_INCREF(arr);
    return arr;
}

/* out=(occupancy, moved, arrivals) of project_batch: caller-given arrays
 * written in place instead of new ones, so that a loop of batches of one
 * size pays for fresh pages once.  moved must be None exactly when
 * keep_moved is false; arrivals may be None (not stored).  No array may
 * share memory with another or with an input.  Sets the three (new
 * references, NULL for None); returns -1 with an exception set.
 *
 * Decision: out= is an argument of this private binding only, for callers
 * inside carecast that own the buffers (and for the benchmarks), not of the
 * public carecast.project_batch.  DESIGN.md leaves project_batch's
 * signature to us, but a public out= lets a user reuse the buffers of a
 * result they still hold, whose numbers would then change under them
 * without a warning; and the saving is only the page faults of fresh
 * memory (about 1 s of system time per 3 GB here), which matters for
 * loops of many equal batches, not for one analysis. */
static int take_out(PyObject *out, const projection_args *a, int keep_moved,
                    PyArrayObject **occupancy, PyArrayObject **moved, PyArrayObject **arrivals)
{
    *occupancy = *moved = *arrivals = NULL;
    if (!PyTuple_Check(out) || PyTuple_GET_SIZE(out) != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "out must be a tuple (occupancy, moved, arrivals) of arrays (moved "
                        "None with keep_moved=False; arrivals None to store none)");
        return -1;
    }
    const npy_intp occ_dims[3] = {a->R, a->steps + 1, a->S};
    const npy_intp moved_dims[3] = {a->R, a->steps, a->F};
    const npy_intp arr_dims[3] = {a->R, a->steps, a->S};
    PyObject *moved_obj = PyTuple_GET_ITEM(out, 1), *arr_obj = PyTuple_GET_ITEM(out, 2);
    if (keep_moved != (moved_obj != Py_None)) {
        PyErr_SetString(PyExc_ValueError, keep_moved
                        ? "out[1] (moved) is None but keep_moved is true: give an array of "
                          "shape (replicates, steps, F) or keep_moved=False"
                        : "out[1] (moved) must be None with keep_moved=False");
        return -1;
    }
    *occupancy = check_out_array(PyTuple_GET_ITEM(out, 0), 0, "occupancy",
                                 "(replicates, steps + 1, S)", occ_dims);
    if (*occupancy == NULL) goto fail;
    if (moved_obj != Py_None) {
        *moved = check_out_array(moved_obj, 1, "moved", "(replicates, steps, F)", moved_dims);
        if (*moved == NULL) goto fail;
    }
    if (arr_obj != Py_None) {
        *arrivals = check_out_array(arr_obj, 2, "arrivals", "(replicates, steps, S)", arr_dims);
        if (*arrivals == NULL) goto fail;
    }
    PyArrayObject *outs[3] = {*occupancy, *moved, *arrivals};
    static const char *out_names[3] = {"occupancy", "moved", "arrivals"};
    PyArrayObject *ins[6] = {a->x0, a->src, a->dst, a->value, a->inflow, a->advance};
    static const char *in_names[6] = {"x0", "src", "dst", "value", "inflow", "advance"};
    for (int i = 0; i < 3; i++) {
        for (int k = i + 1; k < 3; k++) {
            if (memory_overlaps(outs[i], outs[k])) {
                PyErr_Format(PyExc_ValueError, "out[%d] (%s) and out[%d] (%s) share memory",
                             i, out_names[i], k, out_names[k]);
                goto fail;
            }
        }
        for (int k = 0; k < 6; k++) {
            if (memory_overlaps(outs[i], ins[k])) {
                PyErr_Format(PyExc_ValueError, "out[%d] (%s) shares memory with the input %s",
                             i, out_names[i], in_names[k]);
                goto fail;
            }
        }
    }
    return 0;
fail:
    Py_CLEAR(*occupancy);
    Py_CLEAR(*moved);
    Py_CLEAR(*arrivals);
    return -1;
}

/* After a kernel refused its inputs: name the argument at fault by running
 * the same checks one array at a time. */
static PyObject *raise_projection_failure(PyObject *module, const projection_args *a,
                                          int status, double *work)
{
    if (status == CC_ENOMEM) {
        return PyErr_NoMemory();
    }
    if (check_nonnegative(module, a->x0, "x0") < 0) return NULL;
    if (a->inflow != NULL && check_nonnegative(module, a->inflow, "inflow") < 0) return NULL;
    /* The flow values of all replicates, checked row by row as one long run
     * of steps (rows are F apart either way). */
    const size_t rows = (a->value_per_replicate ? (size_t)a->R : 1) *
                        (a->value_varies ? (size_t)a->steps : 1);
    ptrdiff_t bad = -1;
    const int value_status = cc_check_flow_values(
        &a->m, rows, a->kind, (const double *)PyArray_DATA(a->value),
        a->F > 0 ? (size_t)a->F : 0, work, &bad);
    if (value_status != CC_OK) {
        return raise_flow_values(module, value_status, a->value, (size_t)a->S,
                                 a->value_varies ? (size_t)a->steps : 1,
                                 a->value_per_replicate, bad);
    }
    if (status == CC_EOVERFLOW) {
        for (npy_intp r = 0; r < a->R; r++) {
            const double total = people_total(a, r);
            if (!(total <= CC_PEOPLE_LIMIT)) {
                char number[40], replicate[64] = "";
                repr_double(total, number, sizeof number);
                if (a->batched) snprintf(replicate, sizeof replicate, " of replicate %zd",
                                         (Py_ssize_t)r);
                PyErr_Format(PyExc_ValueError,
                             "x0 and inflow: the people in the model%s (x0 plus the inflow of "
                             "every step) total %s, beyond the %.4g that a projection can "
                             "sum without overflow; count in larger units (e.g. thousands)",
                             replicate, number, CC_PEOPLE_LIMIT);
                return NULL;
            }
        }
    }
    return raise_status(module, status, "project", NULL);
}


/* ------------------------------------------------------------------------
 * Reduced outputs (outputs= and flow_outputs= of project_batch, simulate)
 * ------------------------------------------------------------------------ */

/* One reduction given as a tuple (ptr, index, weight): CSR arrays. */
typedef struct reduction_args {
    PyArrayObject *ptr, *index, *weight;
    cc_reduction red;
    double bound;
} reduction_args;

static void release_reduction(reduction_args *r)
{
    Py_CLEAR(r->ptr);
    Py_CLEAR(r->index);
    Py_CLEAR(r->weight);
}

/* Converts and checks `name` = (ptr, index, weight) against n_elements
 * states or flows (`elements`); raises naming the argument and entry. */
static int convert_reduction(PyObject *module, PyObject *obj, const char *name,
                             npy_intp n_elements,
                             const char *elements, reduction_args *r)
{
    char part[64];
    memset(r, 0, sizeof *r);
    if (!PyTuple_Check(obj) || PyTuple_GET_SIZE(obj) != 3) {
        PyErr_Format(PyExc_TypeError, "%s must be a tuple (ptr, index, weight)", name);
        return -1;
    }
    snprintf(part, sizeof part, "%s ptr", name);
    r->ptr = convert(PyTuple_GET_ITEM(obj, 0), part, NPY_INT64, 1, 1);
    if (r->ptr == NULL) return -1;
    snprintf(part, sizeof part, "%s index", name);
    r->index = convert(PyTuple_GET_ITEM(obj, 1), part, NPY_INT64, 1, 1);
    if (r->index == NULL) return -1;
    snprintf(part, sizeof part, "%s weight", name);
    r->weight = convert(PyTuple_GET_ITEM(obj, 2), part, NPY_DOUBLE, 1, 1);
    if (r->weight == NULL) return -1;
    const npy_intp n_ptr = PyArray_DIM(r->ptr, 0);
    if (n_ptr < 1) {
        PyErr_Format(PyExc_ValueError, "%s ptr must have K + 1 >= 1 entries, got 0", name);
        return -1;
    }
    const int64_t *ptr = (const int64_t *)PyArray_DATA(r->ptr);
    const npy_intp terms = PyArray_DIM(r->index, 0);
    if (PyArray_DIM(r->weight, 0) != terms) {
        PyErr_Format(PyExc_ValueError, "%s index and weight must have the same length, got "
                     "%zd and %zd", name, (Py_ssize_t)terms,
                     (Py_ssize_t)PyArray_DIM(r->weight, 0));
        return -1;
    }
    const cc_reduction red = {(size_t)(n_ptr - 1), ptr,
                              (const int64_t *)PyArray_DATA(r->index),
                              (const double *)PyArray_DATA(r->weight)};
    r->red = red;
    /* ptr's shape and its last entry against the arrays' length come
     * first: the library reads index[p] for p < ptr[K]. */
    for (npy_intp k = 0; k < n_ptr; k++) {
        if (k == 0 ? ptr[0] != 0 : ptr[k] < ptr[k - 1]) {
            PyErr_Format(PyExc_ValueError, "%s ptr[%zd] = %lld: ptr must start at 0 and never "
                         "decrease", name, (Py_ssize_t)k, (long long)ptr[k]);
            return -1;
        }
    }
    if (ptr[n_ptr - 1] != (int64_t)terms) {
        PyErr_Format(PyExc_ValueError, "%s ptr[-1] = %lld but index and weight have %zd "
                     "entries", name, (long long)ptr[n_ptr - 1], (Py_ssize_t)terms);
        return -1;
    }
    ptrdiff_t bad = -1;
    int status = cc_check_reduction(&r->red, (size_t)n_elements, &r->bound, &bad);
    if (status == CC_EINDEX) {
        PyErr_Format(PyExc_ValueError, "%s index[%zd] = %lld is not a %s index (0 .. %zd)",
                     name, (Py_ssize_t)bad,
                     (long long)((const int64_t *)PyArray_DATA(r->index))[bad], elements,
                     (Py_ssize_t)n_elements - 1);
        return -1;
    }
    if (status == CC_ENONFINITE) {
        char number[40];
        repr_double(((const double *)PyArray_DATA(r->weight))[bad], number, sizeof number);
        PyErr_Format(PyExc_ValueError, "%s weight[%zd] = %s is not finite", name,
                     (Py_ssize_t)bad, number);
        return -1;
    }
    if (status != CC_OK) {
        raise_status(module, status, name, NULL);
        return -1;
    }
    return 0;
}

/* The reduced arrays: (R, steps + 1, K) and (R, steps, L). */
static int allocate_reduced(const projection_args *a, const reduction_args *state,
                            const reduction_args *flow, PyArrayObject **outputs,
                            PyArrayObject **flow_out)
{
    *outputs = NULL;
    *flow_out = NULL;
    if (state != NULL) {
        const npy_intp dims[3] = {a->R, a->steps + 1, (npy_intp)state->red.n_outputs};
        *outputs = new_output(3, dims, 0);
        if (*outputs == NULL) return -1;
    }
    if (flow != NULL) {
        const npy_intp dims[3] = {a->R, a->steps, (npy_intp)flow->red.n_outputs};
        *flow_out = new_output(3, dims, 0);
        if (*flow_out == NULL) return -1;
    }
    return 0;
}

/* After CC_EOVERFLOW from a reduced run: name the reduction whose weights,
 * times the people of a replicate, could overflow.  Returns 0 (no
 * exception) if neither does (the people alone are then too many). */
static int raise_reduction_overflow(const projection_args *a, const reduction_args *state,
                                    const reduction_args *flow)
{
    for (npy_intp r = 0; r < a->R; r++) {
        const double total = people_total(a, r);
        if (!(total <= CC_PEOPLE_LIMIT)) return 0;
        for (int i = 0; i < 2; i++) {
            const reduction_args *red = i == 0 ? state : flow;
            if (red != NULL && !(total * red->bound <= CC_PEOPLE_LIMIT)) {
                char number[40], bound[40];
                repr_double(total, number, sizeof number);
                repr_double(red->bound, bound, sizeof bound);
                PyErr_Format(PyExc_ValueError,
                             "%s: the weights of one output sum (in absolute value) to %s and "
                             "replicate %zd has %s people in all, so the output could reach "
                             "beyond the %.4g that can be summed without overflow; scale the "
                             "weights down (e.g. thousands of pounds)",
                             i == 0 ? "outputs" : "flow_outputs", bound, (Py_ssize_t)r, number,
                             CC_PEOPLE_LIMIT);
                return -1;
            }
        }
    }
    return 0;
}

PyDoc_STRVAR(project_doc,
"project(x0, src, dst, value, steps, dt, kind, inflow=None, advance=None)\n"
"--\n\n"
"One deterministic projection (see carecast.project).\n"
"Returns (occupancy, moved, arrivals).");

static PyObject *core_project(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"x0", "src", "dst", "value", "steps", "dt", "kind",
                             "inflow", "advance", NULL};
    PyObject *x0_obj, *src_obj, *dst_obj, *value_obj, *inflow_obj = Py_None,
             *advance_obj = Py_None;
    Py_ssize_t steps;
    double dt;
    const char *kind_name;
    projection_args a;
    PyArrayObject *occupancy = NULL, *moved = NULL, *arrivals = NULL;
    double *work = NULL;
    PyObject *result = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOnds|OO:project", kwlist, &x0_obj,
                                     &src_obj, &dst_obj, &value_obj, &steps, &dt, &kind_name,
                                     &inflow_obj, &advance_obj)) {
        return NULL;
    }
    if (convert_projection(module, &a, x0_obj, src_obj, dst_obj, value_obj, inflow_obj,
                           advance_obj, steps, dt, kind_name, -1, 0, 0) < 0)
        goto fail;
    work = PyMem_Malloc((cc_project_workspace(&a.m) + 1) * sizeof(double));
    if (work == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (allocate_outputs(module, &a, 1, 1, &occupancy, &moved, &arrivals) < 0) goto fail;
    int status;
    ptrdiff_t bad = -1;
    Py_BEGIN_ALLOW_THREADS
    status = cc_project(&a.m, (size_t)steps, dt, a.kind, (const double *)PyArray_DATA(a.value),
                        a.value_stride,
                        a.inflow ? (const double *)PyArray_DATA(a.inflow) : NULL,
                        a.inflow_stride, (const double *)PyArray_DATA(a.x0), work,
                        (double *)PyArray_DATA(occupancy), (double *)PyArray_DATA(moved),
                        a.inflow ? (double *)PyArray_DATA(arrivals) : NULL, &bad);
    Py_END_ALLOW_THREADS
    if (status != CC_OK) {
        raise_projection_failure(module, &a, status, work);
        goto fail;
    }
    result = PyTuple_Pack(3, occupancy, moved, arrivals);
fail:
    PyMem_Free(work);
    release_projection(&a);
    Py_XDECREF(occupancy);
    Py_XDECREF(moved);
    Py_XDECREF(arrivals);
    return result;
}


/* A batch with reduced outputs, after convert_projection: returns the tuple
 * (outputs or None, flow_outputs or None). */
static PyObject *run_reduced(PyObject *module, projection_args *a, int stochastic,
                             uint64_t seed, uint64_t first_replicate, size_t n_threads,
                             PyObject *outputs_obj, PyObject *flow_obj)
{
    reduction_args state, flow;
    memset(&state, 0, sizeof state);
    memset(&flow, 0, sizeof flow);
    const int has_state = outputs_obj != Py_None, has_flow = flow_obj != Py_None;
    PyArrayObject *outputs = NULL, *flow_out = NULL;
    double *work = NULL;
    PyObject *result = NULL;
    if (has_state && convert_reduction(module, outputs_obj, "outputs", a->S, "state",
                                       &state) < 0)
        goto fail;
    if (has_flow && convert_reduction(module, flow_obj, "flow_outputs", a->F, "flow",
                                      &flow) < 0)
        goto fail;
    work = PyMem_Malloc((cc_project_workspace(&a->m) + 1) * sizeof(double));
    if (work == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (allocate_reduced(a, has_state ? &state : NULL, has_flow ? &flow : NULL, &outputs,
                         &flow_out) < 0)
        goto fail;
    batch_call call = {
        stochastic, &a->m, (size_t)a->R, (size_t)a->steps, a->dt, a->kind,
        (const double *)PyArray_DATA(a->value), a->value_rep_stride, a->value_stride,
        a->inflow ? (const double *)PyArray_DATA(a->inflow) : NULL, a->inflow_rep_stride,
        a->inflow_stride, (const double *)PyArray_DATA(a->x0), a->x0_rep_stride, seed,
        first_replicate, n_threads, NULL, NULL, NULL, 0, CC_OK, -1, NULL,
        has_state ? &state.red : NULL, has_flow ? &flow.red : NULL,
        outputs ? (double *)PyArray_DATA(outputs) : NULL,
        flow_out ? (double *)PyArray_DATA(flow_out) : NULL};
    if (run_batch_call(&call) < 0) {
        goto fail; /* KeyboardInterrupt (or another signal handler's error) */
    }
    if (call.status != CC_OK) {
        if (call.status == CC_EOVERFLOW &&
            raise_reduction_overflow(a, has_state ? &state : NULL, has_flow ? &flow : NULL) < 0)
            goto fail;
        raise_projection_failure(module, a, call.status, work);
        goto fail;
    }
    result = PyTuple_Pack(2, outputs ? (PyObject *)outputs : Py_None,
                          flow_out ? (PyObject *)flow_out : Py_None);
fail:
    PyMem_Free(work);
    release_reduction(&state);
    release_reduction(&flow);
    Py_XDECREF(outputs);
    Py_XDECREF(flow_out);
    return result;
}

PyDoc_STRVAR(project_batch_doc,
"project_batch(x0, src, dst, value, steps, dt, kind, replicates, inflow=None,\n"
"              advance=None, threads=1, value_per_replicate=False,\n"
"              inflow_per_replicate=False, keep_moved=True, outputs=None,\n"
"              flow_outputs=None, out=None)\n"
"--\n\n"
"R deterministic projections (see carecast.project_batch).  value and inflow\n"
"carry a leading replicate axis when *_per_replicate is true, and x0 when it\n"
"is 2-D.  keep_moved=False: moved is not stored and None is returned for it.\n"
"Returns (occupancy, moved, arrivals); with outputs or flow_outputs, each\n"
"None or a CSR tuple (ptr, index, weight) over states or flows, returns\n"
"(outputs (R, steps+1, K) or None, flow_outputs (R, steps, L) or None)\n"
"and stores no full occupancy.  out=(occupancy, moved, arrivals): arrays\n"
"written in place and returned instead of new ones (float64, C-contiguous,\n"
"exact shapes; moved None with keep_moved=False; arrivals None: not\n"
"stored); their contents are unspecified after an error.");

static PyObject *core_project_batch(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"x0", "src", "dst", "value", "steps", "dt", "kind",
                             "replicates", "inflow", "advance", "threads",
                             "value_per_replicate", "inflow_per_replicate", "keep_moved",
                             "outputs", "flow_outputs", "out", NULL};
    PyObject *x0_obj, *src_obj, *dst_obj, *value_obj, *inflow_obj = Py_None,
             *advance_obj = Py_None, *outputs_obj = Py_None, *flow_obj = Py_None,
             *out_obj = Py_None;
    Py_ssize_t steps, replicates, threads = 1;
    int value_per_replicate = 0, inflow_per_replicate = 0, keep_moved = 1;
    double dt;
    const char *kind_name;
    projection_args a;
    PyArrayObject *occupancy = NULL, *moved = NULL, *arrivals = NULL;
    double *work = NULL;
    PyObject *result = NULL;
    size_t n_threads = 1;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOndsn|OOnpppOOO:project_batch", kwlist,
                                     &x0_obj, &src_obj, &dst_obj, &value_obj, &steps, &dt,
                                     &kind_name, &replicates, &inflow_obj, &advance_obj,
                                     &threads, &value_per_replicate, &inflow_per_replicate,
                                     &keep_moved, &outputs_obj, &flow_obj, &out_obj)) {
        return NULL;
    }
    if (replicates < 0) {
        PyErr_Format(PyExc_ValueError, "replicates must be >= 0, got %zd", replicates);
        return NULL;
    }
    if (check_threads(threads, &n_threads) < 0) return NULL;
    if (convert_projection(module, &a, x0_obj, src_obj, dst_obj, value_obj, inflow_obj,
                           advance_obj, steps, dt, kind_name, replicates, value_per_replicate,
                           inflow_per_replicate) < 0)
        goto fail;
    if (outputs_obj != Py_None || flow_obj != Py_None) {
        if (out_obj != Py_None) {
            PyErr_SetString(PyExc_ValueError, "out cannot be combined with outputs or "
                            "flow_outputs (they store no full occupancy)");
            goto fail;
        }
        result = run_reduced(module, &a, 0, 0, 0, n_threads, outputs_obj, flow_obj);
        goto fail;
    }
    work = PyMem_Malloc((cc_project_workspace(&a.m) + 1) * sizeof(double));
    if (work == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    const int given = out_obj != Py_None;
    /* An inflow shared by every replicate: its arrivals are a read-only view
     * of one copy (see shared_arrivals), not written by the kernel. */
    const int shared = !given && a.inflow != NULL && a.inflow_rep_stride == 0;
    if ((given ? take_out(out_obj, &a, keep_moved, &occupancy, &moved, &arrivals)
               : allocate_outputs(module, &a, keep_moved, !shared, &occupancy, &moved,
                                  &arrivals)) < 0)
        goto fail;
    if (shared && (arrivals = shared_arrivals(&a)) == NULL) goto fail;
    double *moved_out = keep_moved ? (double *)PyArray_DATA(moved) : NULL;
    /* New arrivals start as zero pages, left untouched without an inflow;
     * given ones are written either way (zeros without an inflow). */
    double *arrivals_out = arrivals != NULL && !shared && (a.inflow != NULL || given)
                               ? (double *)PyArray_DATA(arrivals) : NULL;
    batch_call call = {
        0, &a.m, (size_t)a.R, (size_t)steps, dt, a.kind, (const double *)PyArray_DATA(a.value),
        a.value_rep_stride, a.value_stride,
        a.inflow ? (const double *)PyArray_DATA(a.inflow) : NULL, a.inflow_rep_stride,
        a.inflow_stride, (const double *)PyArray_DATA(a.x0), a.x0_rep_stride, 0, 0, n_threads,
        (double *)PyArray_DATA(occupancy), moved_out, arrivals_out, 0, CC_OK, -1, NULL,
        NULL, NULL, NULL, NULL};
    if (run_batch_call(&call) < 0) {
        goto fail; /* KeyboardInterrupt (or another signal handler's error) */
    }
    const int status = call.status;
    if (status != CC_OK) {
        raise_projection_failure(module, &a, status, work);
        goto fail;
    }
    result = PyTuple_Pack(3, occupancy, keep_moved ? (PyObject *)moved : Py_None,
                          arrivals != NULL ? (PyObject *)arrivals : Py_None);
fail:
    PyMem_Free(work);
    release_projection(&a);
    Py_XDECREF(occupancy);
    Py_XDECREF(moved);
    Py_XDECREF(arrivals);
    return result;
}

/* Largest expected number of people (x0 plus expected arrivals) that a
 * stochastic replicate accepts: 2^50, so that whole numbers of people stay
 * exact in a double (up to 2^53) with a wide margin for Poisson noise. */
#define CC_BINDING_MAX_WHOLE_PEOPLE 0x1p50

/* simulate counts whole people: x0 must hold whole numbers, and the people
 * of each replicate must stay within exact whole-number range. */
static int check_whole_people(const projection_args *a)
{
    const double *people = (const double *)PyArray_DATA(a->x0);
    for (npy_intp i = 0; i < PyArray_SIZE(a->x0); i++) {
        if (people[i] != floor(people[i])) {
            char where[160], number[40];
            format_index(a->x0, (ptrdiff_t)i, where, sizeof where);
            repr_double(people[i], number, sizeof number);
            PyErr_Format(PyExc_ValueError,
                         "x0%s = %s is not a whole number of people (simulate counts people)",
                         where, number);
            return -1;
        }
    }
    return 0;
}

static int check_people_in_range(const projection_args *a)
{
    for (npy_intp r = 0; r < a->R; r++) {
        const double total = people_total(a, r);
        if (!(total <= CC_BINDING_MAX_WHOLE_PEOPLE)) {
            char number[40];
            repr_double(total, number, sizeof number);
            PyErr_Format(PyExc_ValueError,
                         "x0 and inflow: replicate %zd expects %s people (x0 plus the expected "
                         "inflow of every step), beyond the 2**50 that simulate can count "
                         "exactly as whole people; use carecast.project for populations this "
                         "large", (Py_ssize_t)r, number);
            return -1;
        }
    }
    return 0;
}

PyDoc_STRVAR(simulate_doc,
"simulate(x0, src, dst, value, steps, dt, kind, replicates, seed, inflow=None,\n"
"         advance=None, threads=1, value_per_replicate=False,\n"
"         inflow_per_replicate=False, keep_moved=True, first_replicate=0,\n"
"         outputs=None, flow_outputs=None)\n"
"--\n\n"
"R stochastic replicates (see carecast.simulate) with seed in [0, 2**64);\n"
"replicate r draws from stream first_replicate + r.  Other arguments as\n"
"project_batch.  Returns (occupancy, moved, arrivals), or with outputs or\n"
"flow_outputs the reduced pair as project_batch.");

static PyObject *core_simulate(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"x0", "src", "dst", "value", "steps", "dt", "kind",
                             "replicates", "seed", "inflow", "advance", "threads",
                             "value_per_replicate", "inflow_per_replicate", "keep_moved",
                             "first_replicate", "outputs", "flow_outputs", NULL};
    PyObject *x0_obj, *src_obj, *dst_obj, *value_obj, *inflow_obj = Py_None,
             *advance_obj = Py_None, *seed_obj, *outputs_obj = Py_None, *flow_obj = Py_None;
    Py_ssize_t steps, replicates, threads = 1;
    int value_per_replicate = 0, inflow_per_replicate = 0, keep_moved = 1;
    double dt;
    const char *kind_name;
    projection_args a;
    PyArrayObject *occupancy = NULL, *moved = NULL, *arrivals = NULL;
    double *work = NULL;
    PyObject *result = NULL;
    unsigned long long seed = 0, first_replicate = 0;
    size_t n_threads = 1;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOndsnO|OOnpppKOO:simulate", kwlist,
                                     &x0_obj, &src_obj, &dst_obj, &value_obj, &steps, &dt,
                                     &kind_name, &replicates, &seed_obj, &inflow_obj,
                                     &advance_obj, &threads, &value_per_replicate,
                                     &inflow_per_replicate, &keep_moved, &first_replicate,
                                     &outputs_obj, &flow_obj)) {
        return NULL;
    }
    if (replicates < 0) {
        PyErr_Format(PyExc_ValueError, "replicates must be >= 0, got %zd", replicates);
        return NULL;
    }
    if (check_threads(threads, &n_threads) < 0) return NULL;
    if (!PyLong_Check(seed_obj) || PyBool_Check(seed_obj)) {
        PyErr_SetString(PyExc_TypeError, "seed must be an integer in [0, 2**64)");
        return NULL;
    }
    seed = PyLong_AsUnsignedLongLong(seed_obj);
    if (seed == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "seed must be an integer in [0, 2**64)");
        return NULL;
    }
    if (convert_projection(module, &a, x0_obj, src_obj, dst_obj, value_obj, inflow_obj,
                           advance_obj, steps, dt, kind_name, replicates, value_per_replicate,
                           inflow_per_replicate) < 0)
        goto fail;
    /* Checked here rather than by the kernel: the range of whole numbers
     * is a limit of simulate, known before any draw. */
    if (check_nonnegative(module, a.x0, "x0") < 0 ||
        (a.inflow != NULL && check_nonnegative(module, a.inflow, "inflow") < 0) ||
        check_whole_people(&a) < 0 || check_people_in_range(&a) < 0)
        goto fail;
    if (outputs_obj != Py_None || flow_obj != Py_None) {
        result = run_reduced(module, &a, 1, (uint64_t)seed, (uint64_t)first_replicate,
                             n_threads, outputs_obj, flow_obj);
        goto fail;
    }
    work = PyMem_Malloc((cc_project_workspace(&a.m) + 1) * sizeof(double));
    if (work == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (allocate_outputs(module, &a, keep_moved, 1, &occupancy, &moved, &arrivals) < 0)
        goto fail;
    double *moved_out = keep_moved ? (double *)PyArray_DATA(moved) : NULL;
    batch_call call = {
        1, &a.m, (size_t)a.R, (size_t)steps, dt, a.kind, (const double *)PyArray_DATA(a.value),
        a.value_rep_stride, a.value_stride,
        a.inflow ? (const double *)PyArray_DATA(a.inflow) : NULL, a.inflow_rep_stride,
        a.inflow_stride, (const double *)PyArray_DATA(a.x0), a.x0_rep_stride, (uint64_t)seed,
        (uint64_t)first_replicate, n_threads,
        (double *)PyArray_DATA(occupancy), moved_out, (double *)PyArray_DATA(arrivals), 0, CC_OK,
        -1, NULL, NULL, NULL, NULL, NULL};
    if (run_batch_call(&call) < 0) {
        goto fail; /* KeyboardInterrupt (or another signal handler's error) */
    }
    const int status = call.status;
    if (status != CC_OK) {
        raise_projection_failure(module, &a, status, work);
        goto fail;
    }
    result = PyTuple_Pack(3, occupancy, keep_moved ? (PyObject *)moved : Py_None, arrivals);
fail:
    PyMem_Free(work);
    release_projection(&a);
    Py_XDECREF(occupancy);
    Py_XDECREF(moved);
    Py_XDECREF(arrivals);
    return result;
}

/* ------------------------------------------------------------------------
 * accrue
 * ------------------------------------------------------------------------ */

/* A per-step parameter: (width,) constant or (steps, width); sets *stride. */
static int check_per_step(PyArrayObject *arr, const char *name, npy_intp steps,
                          npy_intp width, const char *width_name, size_t *stride)
{
    const int nd = PyArray_NDIM(arr);
    if (PyArray_DIM(arr, nd - 1) != width || (nd == 2 && PyArray_DIM(arr, 0) != steps)) {
        char shape[128];
        format_shape(arr, shape, sizeof shape);
        PyErr_Format(PyExc_ValueError,
                     "%s has shape %s; expected (%s,) = (%zd,) or (steps, %s) = (%zd, %zd)",
                     name, shape, width_name,
                     (Py_ssize_t)width, width_name, (Py_ssize_t)steps, (Py_ssize_t)width);
        return -1;
    }
    *stride = nd == 2 ? (size_t)width : 0;
    return check_finite(arr, name);
}

static int parse_rule(const char *rule_name, cc_occupancy_rule *rule)
{
    if (strcmp(rule_name, "start") == 0) *rule = CC_OCC_START;
    else if (strcmp(rule_name, "end") == 0) *rule = CC_OCC_END;
    else if (strcmp(rule_name, "trapezoid") == 0) *rule = CC_OCC_TRAPEZOID;
    else if (strcmp(rule_name, "weights") == 0) *rule = CC_OCC_WEIGHTS;
    else {
        PyErr_Format(PyExc_ValueError,
                     "occupancy must be 'start', 'end', 'trapezoid' or an array of weights, "
                     "got '%s'", rule_name);
        return -1;
    }
    return 0;
}

/* After CC_EOVERFLOW at step `step`: name the value stream whose value is
 * not finite there (per_year before per_flow before per_arrival); if all
 * three are finite, only their sum overflowed. */
static void raise_accrue_overflow(ptrdiff_t step, PyArrayObject *by_state, PyArrayObject *by_flow,
                                  PyArrayObject *by_arrival, npy_intp S, npy_intp F)
{
    const char *culprit = "the total of per_year, per_flow and per_arrival";
    const struct { PyArrayObject *out; const char *name; npy_intp width; } parts[3] = {
        {by_state, "per_year", S}, {by_flow, "per_flow", F}, {by_arrival, "per_arrival", S}};
    for (int i = 2; i >= 0; i--) {
        const double *row = (const double *)PyArray_DATA(parts[i].out) + step * parts[i].width;
        for (npy_intp j = 0; j < parts[i].width; j++) {
            if (!isfinite(row[j])) culprit = parts[i].name;
        }
    }
    PyErr_Format(PyExc_ValueError,
                 "%s: the value of step %zd overflows (is beyond +-1.8e308) although every "
                 "input is finite; check the units of the values, the occupancy and the "
                 "price index", culprit, (Py_ssize_t)step);
}

PyDoc_STRVAR(accrue_doc,
"accrue(occupancy, moved, arrivals, dt, per_year, per_flow, per_arrival, rule,\n"
"       weights, price_index)\n"
"--\n\n"
"Values accrued per step (see carecast.accrue). rule: 'start', 'end',\n"
"'trapezoid' or 'weights'. Returns (by_state, by_flow, by_arrival, total).");

static PyObject *core_accrue(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"occupancy", "moved", "arrivals", "dt", "per_year", "per_flow",
                             "per_arrival", "rule", "weights", "price_index", NULL};
    PyObject *occ_obj, *moved_obj, *arr_obj, *per_year_obj, *per_flow_obj, *per_arrival_obj,
        *weights_obj, *price_obj;
    double dt;
    const char *rule_name;
    PyArrayObject *occ = NULL, *moved = NULL, *arrivals = NULL, *per_year = NULL,
                  *per_flow = NULL, *per_arrival = NULL, *weights = NULL, *price = NULL,
                  *by_state = NULL, *by_flow = NULL, *by_arrival = NULL, *total = NULL;
    PyObject *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOdOOOsOO:accrue", kwlist, &occ_obj,
                                     &moved_obj, &arr_obj, &dt, &per_year_obj, &per_flow_obj,
                                     &per_arrival_obj, &rule_name, &weights_obj, &price_obj)) {
        return NULL;
    }
    if (check_dt(dt) < 0) return NULL;
    cc_occupancy_rule rule;
    if (parse_rule(rule_name, &rule) < 0) return NULL;
    occ = convert(occ_obj, "occupancy", NPY_DOUBLE, 2, 2);
    if (occ == NULL) goto fail;
    moved = convert(moved_obj, "moved", NPY_DOUBLE, 2, 2);
    if (moved == NULL) goto fail;
    arrivals = convert(arr_obj, "arrivals", NPY_DOUBLE, 2, 2);
    if (arrivals == NULL) goto fail;
    const npy_intp steps = PyArray_DIM(occ, 0) - 1;
    const npy_intp S = PyArray_DIM(occ, 1);
    const npy_intp F = PyArray_DIM(moved, 1);
    if (steps < 0 || S == 0) {
        PyErr_SetString(PyExc_ValueError,
                        "occupancy must be (steps + 1, S) with at least one row and one state");
        goto fail;
    }
    if (PyArray_DIM(moved, 0) != steps || PyArray_DIM(arrivals, 0) != steps ||
        PyArray_DIM(arrivals, 1) != S) {
        PyErr_Format(PyExc_ValueError,
                     "moved must be (steps, F) and arrivals (steps, S) for occupancy of shape "
                     "(%zd, %zd)", (Py_ssize_t)(steps + 1), (Py_ssize_t)S);
        goto fail;
    }
    if (check_finite(occ, "occupancy") < 0 || check_finite(moved, "moved") < 0 ||
        check_finite(arrivals, "arrivals") < 0)
        goto fail;
    size_t per_year_stride = 0, per_flow_stride = 0, per_arrival_stride = 0;
    if (convert_optional(per_year_obj, "per_year", NPY_DOUBLE, 1, 2, &per_year) < 0) goto fail;
    if (per_year && check_per_step(per_year, "per_year", steps, S, "S", &per_year_stride) < 0)
        goto fail;
    if (convert_optional(per_flow_obj, "per_flow", NPY_DOUBLE, 1, 2, &per_flow) < 0) goto fail;
    if (per_flow && check_per_step(per_flow, "per_flow", steps, F, "F", &per_flow_stride) < 0)
        goto fail;
    if (convert_optional(per_arrival_obj, "per_arrival", NPY_DOUBLE, 1, 2, &per_arrival) < 0)
        goto fail;
    if (per_arrival &&
        check_per_step(per_arrival, "per_arrival", steps, S, "S", &per_arrival_stride) < 0)
        goto fail;
    if (rule == CC_OCC_WEIGHTS) {
        weights = convert(weights_obj, "occupancy weights", NPY_DOUBLE, 2, 2);
        if (weights == NULL) goto fail;
        if (PyArray_DIM(weights, 0) != steps || PyArray_DIM(weights, 1) != 2) {
            char shape[128];
            format_shape(weights, shape, sizeof shape);
            PyErr_Format(PyExc_ValueError,
                         "occupancy weights must have shape (steps, 2) = (%zd, 2), got %s",
                         (Py_ssize_t)steps, shape);
            goto fail;
        }
        if (check_finite(weights, "occupancy weights") < 0) goto fail;
    }
    if (convert_optional(price_obj, "price_index", NPY_DOUBLE, 1, 1, &price) < 0) goto fail;
    if (price != NULL) {
        if (PyArray_DIM(price, 0) != steps) {
            PyErr_Format(PyExc_ValueError, "price_index must have one entry per step (%zd), got %zd",
                         (Py_ssize_t)steps, (Py_ssize_t)PyArray_DIM(price, 0));
            goto fail;
        }
        if (check_finite(price, "price_index") < 0) goto fail;
    }
    npy_intp dims_s[2] = {steps, S}, dims_f[2] = {steps, F}, dims_t[1] = {steps};
    PyObject *previous_handler = cc_buffer_cache_enter(get_state(module)->buffers);
    if (previous_handler == NULL) goto fail;
    by_state = new_array(2, dims_s);
    by_flow = by_state ? new_array(2, dims_f) : NULL;
    by_arrival = by_flow ? new_array(2, dims_s) : NULL;
    total = by_arrival ? new_array(1, dims_t) : NULL;
    cc_buffer_cache_leave(previous_handler);
    if (total == NULL) goto fail;
    ptrdiff_t bad = -1;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = cc_accrue((size_t)S, (size_t)F, (size_t)steps, dt, PyArray_DATA(occ),
                       PyArray_DATA(moved), PyArray_DATA(arrivals),
                       per_year ? PyArray_DATA(per_year) : NULL, per_year_stride,
                       per_flow ? PyArray_DATA(per_flow) : NULL, per_flow_stride,
                       per_arrival ? PyArray_DATA(per_arrival) : NULL, per_arrival_stride, rule,
                       weights ? PyArray_DATA(weights) : NULL,
                       price ? PyArray_DATA(price) : NULL, PyArray_DATA(by_state),
                       PyArray_DATA(by_flow), PyArray_DATA(by_arrival), PyArray_DATA(total),
                       &bad);
    Py_END_ALLOW_THREADS
    if (status == CC_EOVERFLOW) {
        raise_accrue_overflow(bad, by_state, by_flow, by_arrival, S, F);
        goto fail;
    }
    if (status != CC_OK) {
        raise_status(module, status, "accrue", NULL);
        goto fail;
    }
    result = PyTuple_Pack(4, by_state, by_flow, by_arrival, total);
fail:
    Py_XDECREF(occ);
    Py_XDECREF(moved);
    Py_XDECREF(arrivals);
    Py_XDECREF(per_year);
    Py_XDECREF(per_flow);
    Py_XDECREF(per_arrival);
    Py_XDECREF(weights);
    Py_XDECREF(price);
    Py_XDECREF(by_state);
    Py_XDECREF(by_flow);
    Py_XDECREF(by_arrival);
    Py_XDECREF(total);
    return result;
}

/* ------------------------------------------------------------------------
 * Discounting, prices, present value, payback
 * ------------------------------------------------------------------------ */

/* Converts a schedule given as (starts, rates) sequences; the arrays are
 * returned for the caller to release. */
static int convert_schedule(PyObject *module, PyObject *starts_obj, PyObject *rates_obj,
                            PyArrayObject **starts, PyArrayObject **rates, cc_schedule *out)
{
    *starts = convert(starts_obj, "schedule starts", NPY_DOUBLE, 1, 1);
    if (*starts == NULL) return -1;
    *rates = convert(rates_obj, "schedule rates", NPY_DOUBLE, 1, 1);
    if (*rates == NULL) return -1;
    if (PyArray_DIM(*starts, 0) == 0 || PyArray_DIM(*starts, 0) != PyArray_DIM(*rates, 0)) {
        PyErr_SetString(PyExc_ValueError,
                        "schedule: starts and rates must be non-empty and of the same length");
        return -1;
    }
    out->n = (size_t)PyArray_DIM(*starts, 0);
    out->starts = PyArray_DATA(*starts);
    out->rates = PyArray_DATA(*rates);
    ptrdiff_t bad = -1;
    int status = cc_check_schedule(out, &bad);
    if (status != CC_OK) {
        char start[40], rate[40];
        repr_double(out->starts[bad], start, sizeof start);
        repr_double(out->rates[bad], rate, sizeof rate);
        PyErr_Format(PyExc_ValueError,
                     "schedule: piece %zd (start %s, rate %s) is malformed: starts must begin at 0 "
                     "and increase, rates must be finite and above -1",
                     (Py_ssize_t)bad, start, rate);
        (void)module;
        return -1;
    }
    return 0;
}

static int check_timing(double timing)
{
    if (!(timing >= 0.0 && timing <= 1.0)) {
        char number[40];
        repr_double(timing, number, sizeof number);
        PyErr_Format(PyExc_ValueError,
                     "timing must be 'start', 'mid', 'end' or a fraction of a step in [0, 1], "
                     "got %s", number);
        return -1;
    }
    return 0;
}

/* A (steps,) output for a series with one value per step; a MemoryError
 * names steps and the size in readable units. */
static PyArrayObject *new_series(Py_ssize_t steps)
{
    npy_intp n = steps;
    PyArrayObject *out = new_array(1, &n);
    if (out == NULL && PyErr_ExceptionMatches(PyExc_MemoryError)) {
        char size[32];
        format_bytes(8.0 * (double)steps, size, sizeof size);
        PyErr_Clear();
        PyErr_Format(PyExc_MemoryError,
                     "steps = %zd: one value per step would need %s: too large to allocate",
                     steps, size);
    }
    return out;
}

PyDoc_STRVAR(discount_factors_doc,
"discount_factors(times, starts, rates)\n--\n\n"
"Discount factors at times in years (1-D) under a piecewise schedule.");

static PyObject *core_discount_factors(PyObject *module, PyObject *args)
{
    PyObject *times_obj, *starts_obj, *rates_obj;
    PyArrayObject *times = NULL, *starts = NULL, *rates = NULL, *out = NULL;
    cc_schedule sched;
    if (!PyArg_ParseTuple(args, "OOO:discount_factors", &times_obj, &starts_obj, &rates_obj)) {
        return NULL;
    }
    if (convert_schedule(module, starts_obj, rates_obj, &starts, &rates, &sched) < 0) goto fail;
    times = convert(times_obj, "times", NPY_DOUBLE, 1, 1);
    if (times == NULL) goto fail;
    if (check_nonnegative(module, times, "times") < 0) goto fail;
    npy_intp n = PyArray_DIM(times, 0);
    out = new_array(1, &n);
    if (out == NULL) goto fail;
    ptrdiff_t bad = -1;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = cc_discount_factors((size_t)n, PyArray_DATA(times), &sched, PyArray_DATA(out), &bad);
    Py_END_ALLOW_THREADS
    if (status == CC_EOVERFLOW) {
        char number[40];
        repr_double(((const double *)PyArray_DATA(times))[bad], number, sizeof number);
        PyErr_Format(PyExc_ValueError,
                     "times[%zd] = %s: the discount factor overflows (a rate near -1 over a "
                     "long time grows without bound); check the schedule's rates",
                     (Py_ssize_t)bad, number);
        Py_CLEAR(out);
    } else if (status != CC_OK) {
        raise_status(module, status, "discount_factors", NULL);
        Py_CLEAR(out);
    }
fail:
    Py_XDECREF(times);
    Py_XDECREF(starts);
    Py_XDECREF(rates);
    return (PyObject *)out;
}

PyDoc_STRVAR(step_discount_factors_doc,
"step_discount_factors(steps, dt, timing, starts, rates)\n--\n\n"
"Discount factor of each step at (t + timing) * dt years.");

static PyObject *core_step_discount_factors(PyObject *module, PyObject *args)
{
    Py_ssize_t steps;
    double dt, timing;
    PyObject *starts_obj, *rates_obj;
    PyArrayObject *starts = NULL, *rates = NULL, *out = NULL;
    cc_schedule sched;
    if (!PyArg_ParseTuple(args, "nddOO:step_discount_factors", &steps, &dt, &timing,
                          &starts_obj, &rates_obj)) {
        return NULL;
    }
    if (check_steps(steps) < 0 || check_dt(dt) < 0 || check_timing(timing) < 0) return NULL;
    if (convert_schedule(module, starts_obj, rates_obj, &starts, &rates, &sched) < 0) goto fail;
    out = new_series(steps);
    if (out == NULL) goto fail;
    int status;
    ptrdiff_t bad = -1;
    Py_BEGIN_ALLOW_THREADS
    status = cc_step_discount_factors((size_t)steps, dt, timing, &sched, PyArray_DATA(out), &bad);
    Py_END_ALLOW_THREADS
    if (status == CC_EOVERFLOW) {
        PyErr_Format(PyExc_ValueError,
                     "steps: the discount factor of step %zd overflows (a rate near -1 over a "
                     "long time grows without bound); check the schedule's rates or project "
                     "fewer steps", (Py_ssize_t)bad);
        Py_CLEAR(out);
    } else if (status != CC_OK) {
        raise_status(module, status, "step_discount_factors", NULL);
        Py_CLEAR(out);
    }
fail:
    Py_XDECREF(starts);
    Py_XDECREF(rates);
    return (PyObject *)out;
}

PyDoc_STRVAR(present_value_doc,
"present_value(values, dt, timing, starts, rates)\n--\n\n"
"values (R, steps) -> (pv (R,), discounted cumulative (R, steps)).");

static PyObject *core_present_value(PyObject *module, PyObject *args)
{
    PyObject *values_obj, *starts_obj, *rates_obj;
    double dt, timing;
    PyArrayObject *values = NULL, *starts = NULL, *rates = NULL, *pv = NULL, *cum = NULL;
    PyObject *result = NULL;
    cc_schedule sched;
    if (!PyArg_ParseTuple(args, "OddOO:present_value", &values_obj, &dt, &timing, &starts_obj,
                          &rates_obj)) {
        return NULL;
    }
    if (check_dt(dt) < 0 || check_timing(timing) < 0) return NULL;
    if (convert_schedule(module, starts_obj, rates_obj, &starts, &rates, &sched) < 0) goto fail;
    values = convert(values_obj, "values", NPY_DOUBLE, 2, 2);
    if (values == NULL) goto fail;
    if (check_finite(values, "values") < 0) goto fail;
    npy_intp R = PyArray_DIM(values, 0), steps = PyArray_DIM(values, 1);
    pv = new_array(1, &R);
    if (pv == NULL) goto fail;
    cum = new_array(2, PyArray_DIMS(values));
    if (cum == NULL) goto fail;
    int status = CC_OK;
    ptrdiff_t bad = -1;
    npy_intp r_failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (npy_intp r = 0; r < R && status == CC_OK; r++) {
        status = cc_present_value((size_t)steps, (const double *)PyArray_DATA(values) + r * steps,
                                  dt, timing, &sched, (double *)PyArray_DATA(pv) + r,
                                  (double *)PyArray_DATA(cum) + r * steps, &bad);
        r_failed = r;
    }
    Py_END_ALLOW_THREADS
    if (status == CC_EOVERFLOW) {
        char where[32] = "";
        if (R > 1) snprintf(where, sizeof where, " (series %zd)", (Py_ssize_t)(r_failed));
        PyErr_Format(PyExc_ValueError,
                     "values: the discounted sum overflows (is beyond +-1.8e308) at step %zd%s "
                     "although every value is finite; check the units of the values",
                     (Py_ssize_t)bad, where);
        goto fail;
    }
    if (status != CC_OK) {
        raise_status(module, status, "present_value", NULL);
        goto fail;
    }
    result = PyTuple_Pack(2, pv, cum);
fail:
    Py_XDECREF(values);
    Py_XDECREF(starts);
    Py_XDECREF(rates);
    Py_XDECREF(pv);
    Py_XDECREF(cum);
    return result;
}

PyDoc_STRVAR(price_index_doc,
"price_index(steps, dt, timing, offset_years, annual_rate)\n--\n\n"
"(1 + annual_rate) ** (offset_years + (t + timing) * dt) for each step.");

static PyObject *core_price_index(PyObject *module, PyObject *args)
{
    Py_ssize_t steps;
    double dt, timing, offset, rate;
    if (!PyArg_ParseTuple(args, "ndddd:price_index", &steps, &dt, &timing, &offset, &rate)) {
        return NULL;
    }
    if (check_steps(steps) < 0 || check_dt(dt) < 0 || check_timing(timing) < 0) return NULL;
    if (!isfinite(offset)) {
        PyErr_SetString(PyExc_ValueError, "years_from_base must be finite");
        return NULL;
    }
    if (!isfinite(rate) || !(rate > -1.0)) {
        char number[40];
        repr_double(rate, number, sizeof number);
        PyErr_Format(PyExc_ValueError, "annual_rate must be finite and above -1, got %s", number);
        return NULL;
    }
    PyArrayObject *out = new_series(steps);
    if (out == NULL) return NULL;
    int status;
    ptrdiff_t bad = -1;
    Py_BEGIN_ALLOW_THREADS
    status = cc_price_index((size_t)steps, dt, timing, offset, rate, PyArray_DATA(out), &bad);
    Py_END_ALLOW_THREADS
    if (status == CC_EOVERFLOW) {
        char number[40];
        repr_double(rate, number, sizeof number);
        Py_DECREF(out);
        PyErr_Format(PyExc_ValueError,
                     "annual_rate = %s: the price index of step %zd overflows (is beyond "
                     "1.8e308); check the rate, years_from_base and the number of steps",
                     number, (Py_ssize_t)bad);
        return NULL;
    }
    if (status != CC_OK) {
        Py_DECREF(out);
        return raise_status(module, status, "price_index", NULL);
    }
    return (PyObject *)out;
}

PyDoc_STRVAR(payback_doc,
"payback(net, dt)\n--\n\n"
"Years until the cumulative net benefit first reaches >= 0 after being\n"
"negative (interpolated); 0.0 if never negative; inf if not reached.");

static PyObject *core_payback(PyObject *module, PyObject *args)
{
    PyObject *net_obj;
    double dt;
    if (!PyArg_ParseTuple(args, "Od:payback", &net_obj, &dt)) {
        return NULL;
    }
    if (check_dt(dt) < 0) return NULL;
    PyArrayObject *net = convert(net_obj, "net_benefit", NPY_DOUBLE, 1, 1);
    if (net == NULL) return NULL;
    if (check_finite(net, "net_benefit") < 0) {
        Py_DECREF(net);
        return NULL;
    }
    double years = 0.0;
    int reached = 0, status;
    ptrdiff_t bad = -1;
    Py_BEGIN_ALLOW_THREADS
    status = cc_payback((size_t)PyArray_DIM(net, 0), PyArray_DATA(net), dt, &years, &reached,
                        &bad);
    Py_END_ALLOW_THREADS
    Py_DECREF(net);
    if (status == CC_EOVERFLOW) {
        PyErr_Format(PyExc_ValueError,
                     "net_benefit: the cumulative net benefit overflows (is beyond +-1.8e308) at "
                     "step %zd although every value is finite; check the units",
                     (Py_ssize_t)bad);
        return NULL;
    }
    if (status != CC_OK) {
        return raise_status(module, status, "payback", NULL);
    }
    return PyFloat_FromDouble(years);
}

/* ------------------------------------------------------------------------
 * Root finding
 * ------------------------------------------------------------------------ */

typedef struct brent_context {
    PyObject *function;
    PyObject *exc_type, *exc_value, *exc_tb; /* an exception raised by function */
    double last_x, last_fx;                  /* the latest evaluation */
} brent_context;

/* f's result as a double, or -1 with a TypeError naming f: booleans,
 * strings, complex numbers and other non-numbers are refused rather than
 * read as 0/1 or raising a message that does not say where it came from. */
static int read_f_value(PyObject *value, double x, double *fx)
{
    char where[40];
    repr_double(x, where, sizeof where);
    if (PyBool_Check(value) || PyComplex_Check(value) || PyUnicode_Check(value) ||
        PyBytes_Check(value) || !PyNumber_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "f(%s) returned %.80s, not a real number: the function given to "
                     "find_root must return a float", where, Py_TYPE(value)->tp_name);
        return -1;
    }
    *fx = PyFloat_AsDouble(value);
    if (*fx == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "f(%s) returned %.80s, which cannot be read as one real number: the "
                     "function given to find_root must return a float",
                     where, Py_TYPE(value)->tp_name);
        return -1;
    }
    return 0;
}

/* Called by cc_brent with the GIL released: take it, call Python, give it
 * back.  A Python exception is stored in the context and restored by the
 * caller once it holds the GIL again. */
static int call_python(double x, void *context, double *fx)
{
    brent_context *ctx = context;
    int failed = 0;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *value = PyObject_CallFunction(ctx->function, "d", x);
    ctx->last_x = x;
    if (value != NULL) {
        if (read_f_value(value, x, fx) == 0) {
            ctx->last_fx = *fx;
        }
        Py_DECREF(value);
    }
    if (PyErr_Occurred()) {
        PyErr_Fetch(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
        failed = 1;
    }
    PyGILState_Release(gil);
    return failed;
}

PyDoc_STRVAR(brent_doc,
"brent(f, a, b, xtol, rtol, maxiter)\n--\n\n"
"Brent's root finder in C; returns (root, f(root), evaluations).");

static PyObject *core_brent(PyObject *module, PyObject *args)
{
    brent_context ctx = {NULL, NULL, NULL, NULL, (double)NAN, (double)NAN};
    double a, b, xtol, rtol, root = (double)NAN, f_root = (double)NAN;
    Py_ssize_t maxiter;
    size_t evaluations = 0;
    if (!PyArg_ParseTuple(args, "Oddddn:brent", &ctx.function, &a, &b, &xtol, &rtol,
                          &maxiter)) {
        return NULL;
    }
    if (!PyCallable_Check(ctx.function)) {
        PyErr_SetString(PyExc_TypeError, "f must be callable");
        return NULL;
    }
    char a_text[40], b_text[40];
    repr_double(a, a_text, sizeof a_text);
    repr_double(b, b_text, sizeof b_text);
    if (!isfinite(a) || !isfinite(b) || a == b) {
        PyErr_Format(PyExc_ValueError, "a and b must be finite and different, got %s and %s",
                     a_text, b_text);
        return NULL;
    }
    if (!(xtol >= 0.0) || !(rtol >= 0.0) || !isfinite(xtol) || !isfinite(rtol) ||
        (xtol == 0.0 && rtol == 0.0)) {
        PyErr_SetString(PyExc_ValueError,
                        "xtol and rtol must be finite and >= 0, and not both 0");
        return NULL;
    }
    if (maxiter < 1) {
        PyErr_Format(PyExc_ValueError, "maxiter must be >= 1, got %zd", maxiter);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = cc_brent(call_python, &ctx, a, b, xtol, rtol, (size_t)maxiter, &root, &f_root,
                      &evaluations);
    Py_END_ALLOW_THREADS
    if (ctx.exc_type != NULL) {
        PyErr_Restore(ctx.exc_type, ctx.exc_value, ctx.exc_tb);
        return NULL;
    }
    if (status == CC_ENOTBRACKETED) {
        PyErr_Format(get_state(module)->not_bracketed,
                     "f(a) and f(b) have the same sign (a = %s, b = %s): the interval does not "
                     "bracket a root; widen it or check that the target can be reached",
                     a_text, b_text);
        return NULL;
    }
    if (status == CC_ENONFINITE) {
        char x_text[40], fx_text[40];
        repr_double(ctx.last_x, x_text, sizeof x_text);
        repr_double(ctx.last_fx, fx_text, sizeof fx_text);
        PyErr_Format(PyExc_ValueError,
                     "f(%s) = %s is not finite: the root search needs finite values of f "
                     "on [a, b]", x_text, fx_text);
        return NULL;
    }
    if (status == CC_ENOCONVERGE) {
        char last[40];
        repr_double(root, last, sizeof last);
        PyErr_Format(get_state(module)->convergence_error,
                     "no root to the requested tolerance after %zd evaluations (last x = %s)",
                     (Py_ssize_t)evaluations, last);
        return NULL;
    }
    if (status != CC_OK) {
        return raise_status(module, status, "brent", NULL);
    }
    return Py_BuildValue("ddn", root, f_root, (Py_ssize_t)evaluations);
}

PyDoc_STRVAR(philox_doc,
"philox4x64(counter, key)\n--\n\n"
"One Philox4x64-10 block (four ints) for counter (four ints) and key (two\n"
"ints), each in [0, 2**64): exposes the generator behind simulate so that\n"
"it can be checked against other implementations.");

static PyObject *core_philox(PyObject *module, PyObject *args)
{
    (void)module;
    unsigned long long c[4], k[2];
    if (!PyArg_ParseTuple(args, "(KKKK)(KK):philox4x64", &c[0], &c[1], &c[2], &c[3], &k[0],
                          &k[1])) {
        return NULL;
    }
    const uint64_t counter[4] = {c[0], c[1], c[2], c[3]};
    const uint64_t key[2] = {k[0], k[1]};
    uint64_t out[4];
    cc_philox4x64(counter, key, out);
    return Py_BuildValue("(KKKK)", (unsigned long long)out[0], (unsigned long long)out[1],
                         (unsigned long long)out[2], (unsigned long long)out[3]);
}

/* ------------------------------------------------------------------------
 * Module
 * ------------------------------------------------------------------------ */

static PyObject *core_strerror(PyObject *module, PyObject *arg)
{
    (void)module;
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(cc_strerror((int)code));
}

static PyObject *core_version(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyLong_FromLong(cc_version());
}

static PyMethodDef core_methods[] = {
    {"project", (PyCFunction)(void (*)(void))core_project, METH_VARARGS | METH_KEYWORDS,
     project_doc},
    {"project_batch", (PyCFunction)(void (*)(void))core_project_batch,
     METH_VARARGS | METH_KEYWORDS, project_batch_doc},
    {"simulate", (PyCFunction)(void (*)(void))core_simulate, METH_VARARGS | METH_KEYWORDS,
     simulate_doc},
    {"accrue", (PyCFunction)(void (*)(void))core_accrue, METH_VARARGS | METH_KEYWORDS,
     accrue_doc},
    {"discount_factors", core_discount_factors, METH_VARARGS, discount_factors_doc},
    {"step_discount_factors", core_step_discount_factors, METH_VARARGS,
     step_discount_factors_doc},
    {"present_value", core_present_value, METH_VARARGS, present_value_doc},
    {"price_index", core_price_index, METH_VARARGS, price_index_doc},
    {"payback", core_payback, METH_VARARGS, payback_doc},
    {"brent", core_brent, METH_VARARGS, brent_doc},
    {"philox4x64", core_philox, METH_VARARGS, philox_doc},
    {"strerror", core_strerror, METH_O, "strerror(code) -> the C library's message."},
    {"version", core_version, METH_NOARGS, "version() -> the C library's version number."},
    {NULL, NULL, 0, NULL},
};

static int core_exec(PyObject *module)
{
    import_array1(-1);
    core_state *st = get_state(module);
    st->carecast_error = PyErr_NewExceptionWithDoc(
        "carecast.CarecastError", "A numerical failure in carecast's engine.", NULL, NULL);
    if (st->carecast_error == NULL) return -1;
    st->not_bracketed = PyErr_NewExceptionWithDoc(
        "carecast.NotBracketedError",
        "The root finder's interval does not bracket a root.", st->carecast_error, NULL);
    if (st->not_bracketed == NULL) return -1;
    st->convergence_error = PyErr_NewExceptionWithDoc(
        "carecast.ConvergenceError", "An iteration did not converge.", st->carecast_error, NULL);
    if (st->convergence_error == NULL) return -1;
    if (PyModule_AddObjectRef(module, "CarecastError", st->carecast_error) < 0 ||
        PyModule_AddObjectRef(module, "NotBracketedError", st->not_bracketed) < 0 ||
        PyModule_AddObjectRef(module, "ConvergenceError", st->convergence_error) < 0) {
        return -1;
    }
    st->buffers = cc_buffer_cache_new();
    if (st->buffers == NULL) return -1;
    if (PyModule_AddStringConstant(module, "C_VERSION", CC_VERSION_STRING) < 0) return -1;
    return 0;
}

static int core_traverse(PyObject *module, visitproc visit, void *arg)
{
    core_state *st = get_state(module);
    Py_VISIT(st->carecast_error);
    Py_VISIT(st->not_bracketed);
    Py_VISIT(st->convergence_error);
    Py_VISIT(st->buffers);
    return 0;
}

static int core_clear(PyObject *module)
{
    core_state *st = get_state(module);
    Py_CLEAR(st->carecast_error);
    Py_CLEAR(st->not_bracketed);
    Py_CLEAR(st->convergence_error);
    Py_CLEAR(st->buffers);
    return 0;
}

static void core_free(void *module)
{
    core_clear((PyObject *)module);
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    "carecast._core",
    "The C engine of carecast (private; use the carecast package).",
    sizeof(core_state),
    core_methods,
    core_slots,
    core_traverse,
    core_clear,
    core_free,
};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
