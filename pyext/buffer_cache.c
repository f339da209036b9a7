/*
 * buffer_cache.c - a NumPy memory handler that recycles the data buffers of
 * the engine's output arrays.
 *
 * Why: the typical use is a loop of thousands of projections of one model
 * (a root search, a sensitivity analysis).  Each result's arrays are a few
 * hundred KiB, which glibc serves with fresh mmap'ed pages and returns to
 * the kernel when freed, so every run paid one page fault per 4 KiB page of
 * output - on virtual machines more than the projection itself.  Buffers
 * freed by arrays made here go into a small cache keyed by exact size and
 * are handed to the next array of that size.
 *
 * The cache is bounded (CACHE_SLOTS buffers, CACHE_BYTES in all); buffers
 * outside [MIN_CACHED, MAX_CACHED] bytes are never cached.  Cached buffers
 * of 4 MiB and more are advised to use transparent huge pages, as NumPy's
 * own handler does: they are faulted in once and then recycled.  Larger
 * buffers (a batch's full occupancy: 1.5 GB for 10,000 sets of case (b) of
 * tests/benchmarks/bench_batch.py) are not advised and get the system's
 * default pages (4 KiB where transparent huge pages are "madvise" or
 * "never"), because they are fresh memory every call and a huge-page fault
 * can cost far more than 512 small ones: on the development VM (free page
 * reporting to the host) faulting 3.1 GB took 4 to 7 s of system time with
 * MADV_HUGEPAGE once the memory had been idle a few seconds (the host
 * backs every 2 MiB page anew while the guest zeroes it), 0.9 to 1.8 s
 * with 4 KiB pages, and 0.15 to 1.4 s with huge pages right after a
 * buffer of that size was freed.  The small pages are the steadier choice;
 * a caller that repeats one large batch avoids the faults altogether with
 * project_batch's out= (the binding's).  Every buffer comes from the C
 * library's malloc, so realloc
 * (ndarray.resize) and free work on any of them.  The handler is set only
 * around the allocation of the engine's outputs; arrays keep a reference to
 * it, so the cache lives until the last such array is gone.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define NO_IMPORT_ARRAY
#define PY_ARRAY_UNIQUE_SYMBOL carecast_ARRAY_API
#include <numpy/arrayobject.h>

#include "buffer_cache.h"

#define CACHE_SLOTS 16
#define CACHE_BYTES ((size_t)128 << 20)
#define MIN_CACHED ((size_t)64 << 10)
#define MAX_CACHED ((size_t)64 << 20)
#define HUGE_PAGE_FROM ((size_t)4 << 20)

typedef struct buffer_cache {
    PyDataMem_Handler handler; /* first, so the handler's address is the cache's */
    PyThread_type_lock lock;
    size_t count;
    size_t bytes;
    void *buffers[CACHE_SLOTS];
    size_t sizes[CACHE_SLOTS];
} buffer_cache;

static void advise_huge_pages(void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p != NULL && size >= HUGE_PAGE_FROM && size <= MAX_CACHED) {
        const size_t page = 4096;
        const size_t offset = (page - ((size_t)p % page)) % page;
        madvise((char *)p + offset, size - offset, MADV_HUGEPAGE);
    }
#else
    (void)p;
    (void)size;
#endif
}

static void *take_cached(buffer_cache *cache, size_t size)
{
    void *p = NULL;
    if (size < MIN_CACHED || size > MAX_CACHED) {
        return NULL;
    }
    PyThread_acquire_lock(cache->lock, WAIT_LOCK);
    for (size_t i = 0; i < cache->count; i++) {
        if (cache->sizes[i] == size) {
            p = cache->buffers[i];
            cache->count--;
            cache->buffers[i] = cache->buffers[cache->count];
            cache->sizes[i] = cache->sizes[cache->count];
            cache->bytes -= size;
            break;
        }
    }
    PyThread_release_lock(cache->lock);
    return p;
}

static void *cache_malloc(void *ctx, size_t size)
{
    void *p = take_cached(ctx, size);
    if (p == NULL) {
        p = malloc(size > 0 ? size : 1);
        advise_huge_pages(p, size);
    }
    return p;
}

static void *cache_calloc(void *ctx, size_t nelem, size_t elsize)
{
    if (elsize != 0 && nelem > (size_t)-1 / elsize) {
        return NULL;
    }
    const size_t size = nelem * elsize;
    void *p = take_cached(ctx, size);
    if (p != NULL) {
        memset(p, 0, size);
        return p;
    }
    p = calloc(nelem > 0 ? nelem : 1, elsize > 0 ? elsize : 1);
    advise_huge_pages(p, size);
    return p;
}

static void *cache_realloc(void *ctx, void *ptr, size_t new_size)
{
    (void)ctx;
    return realloc(ptr, new_size > 0 ? new_size : 1);
}

static void cache_free(void *ctx, void *ptr, size_t size)
{
    buffer_cache *cache = ctx;
    if (ptr == NULL) {
        return;
    }
    if (size >= MIN_CACHED && size <= MAX_CACHED) {
        int kept = 0;
        PyThread_acquire_lock(cache->lock, WAIT_LOCK);
        if (cache->count < CACHE_SLOTS && cache->bytes + size <= CACHE_BYTES) {
            cache->buffers[cache->count] = ptr;
            cache->sizes[cache->count] = size;
            cache->count++;
            cache->bytes += size;
            kept = 1;
        }
        PyThread_release_lock(cache->lock);
        if (kept) {
            return;
        }
    }
    free(ptr);
}

static void destroy_cache(PyObject *capsule)
{
    buffer_cache *cache = PyCapsule_GetPointer(capsule, "mem_handler");
    if (cache == NULL) {
        PyErr_Clear();
        return;
    }
    for (size_t i = 0; i < cache->count; i++) {
        free(cache->buffers[i]);
    }
    PyThread_free_lock(cache->lock);
    free(cache);
}

PyObject *cc_buffer_cache_new(void)
{
    buffer_cache *cache = calloc(1, sizeof *cache);
    if (cache == NULL) {
        return PyErr_NoMemory();
    }
    cache->lock = PyThread_allocate_lock();
    if (cache->lock == NULL) {
        free(cache);
        return PyErr_NoMemory();
    }
    strncpy(cache->handler.name, "carecast_buffer_cache", sizeof cache->handler.name - 1);
    cache->handler.version = 1;
    cache->handler.allocator.ctx = cache;
    cache->handler.allocator.malloc = cache_malloc;
    cache->handler.allocator.calloc = cache_calloc;
    cache->handler.allocator.realloc = cache_realloc;
    cache->handler.allocator.free = cache_free;
    PyObject *capsule = PyCapsule_New(&cache->handler, "mem_handler", destroy_cache);
    if (capsule == NULL) {
        PyThread_free_lock(cache->lock);
        free(cache);
    }
    return capsule;
}

PyObject *cc_buffer_cache_enter(PyObject *capsule)
{
    return PyDataMem_SetHandler(capsule);
}

void cc_buffer_cache_leave(PyObject *previous)
{
    if (previous == NULL) {
        return;
    }
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *ours = PyDataMem_SetHandler(previous);
    if (ours == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(ours);
    Py_DECREF(previous);
    PyErr_Restore(type, value, traceback);
}
