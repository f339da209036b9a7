/*
 * buffer_cache.h - recycling of output buffers (see buffer_cache.c).
 */
#ifndef CARECAST_BUFFER_CACHE_H
#define CARECAST_BUFFER_CACHE_H

#include <Python.h>

/* A new NumPy memory handler capsule with an empty cache, or NULL with an
 * exception set. */
PyObject *cc_buffer_cache_new(void);

/* Makes `capsule` the current NumPy memory handler; returns the previous
 * one (a new reference) or NULL with an exception set. */
PyObject *cc_buffer_cache_enter(PyObject *capsule);

/* Restores (and releases) the handler returned by cc_buffer_cache_enter;
 * any exception already set is kept. */
void cc_buffer_cache_leave(PyObject *previous);

#endif
