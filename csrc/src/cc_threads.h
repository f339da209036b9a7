/*
 * cc_threads.h - the library's only contact with a threads API: start a
 * thread, wait for it, and a mutex.  Private; never installed.
 *
 * Chosen by the preprocessor: Win32 threads on Windows (MSVC and MinGW),
 * POSIX threads on Unix-like systems, C11 <threads.h> elsewhere when the
 * compiler has it.  A cc_thread must stay at the same address from
 * cc_thread_start until cc_thread_join returns (the started thread reads
 * it).
 *
 * Named cc_threads.h, not threads.h: with -Isrc on the include path,
 * <threads.h> would find this file instead of C11's.
 */
#ifndef CARECAST_THREADS_H
#define CARECAST_THREADS_H

#if defined(CC_THREADS_USE_C11)
#define CC_THREADS_C11 1 /* forced, to test that branch where POSIX threads exist */
#elif defined(_WIN32)
#define CC_THREADS_WIN32 1
#elif defined(__unix__) || defined(__APPLE__)
#define CC_THREADS_POSIX 1
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_THREADS__)
#define CC_THREADS_C11 1
#else
#error "carecast needs Win32 threads, POSIX threads or C11 <threads.h>"
#endif

#if defined(CC_THREADS_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <stdint.h>
typedef uintptr_t cc_thread_handle; /* as _beginthreadex returns it */
typedef SRWLOCK cc_mutex_impl;
#elif defined(CC_THREADS_POSIX)
#include <pthread.h>
typedef pthread_t cc_thread_handle;
typedef pthread_mutex_t cc_mutex_impl;
#else
#include <threads.h>
typedef thrd_t cc_thread_handle;
typedef mtx_t cc_mutex_impl;
#endif

typedef void (*cc_thread_fn)(void *arg);

typedef struct cc_thread {
    cc_thread_handle handle;
    cc_thread_fn fn;
    void *arg;
    unsigned int mxcsr;         /* Win32: the creator's floating-point */
    unsigned short x87_control; /* environment, given to the new thread */
} cc_thread;

/* Runs fn(arg) on a new thread.  Returns 0 on success, -1 if no thread
 * could be started (then fn has not run and t must not be joined).
 * The new thread starts with the floating-point environment (rounding,
 * precision, denormal handling) of the thread that calls cc_thread_start,
 * as C11 requires of thrd_create and POSIX threads do.  Win32 threads
 * start with the system's default instead; with MinGW, whose start-up code
 * sets the x87 unit to 64-bit precision and whose libm uses it (expm1,
 * log1p, exp), that made results differ in the last bit between the main
 * thread and the others, so the Win32 branch copies the environment. */
int cc_thread_start(cc_thread *t, cc_thread_fn fn, void *arg);

/* Waits for a started thread to finish and releases it. */
void cc_thread_join(cc_thread *t);

/* A plain (non-recursive) mutex. */
typedef struct cc_mutex {
    cc_mutex_impl impl;
} cc_mutex;

/* 0 on success, -1 if the mutex could not be made (then do not use or
 * destroy it). */
int cc_mutex_init(cc_mutex *mu);
void cc_mutex_lock(cc_mutex *mu);
void cc_mutex_unlock(cc_mutex *mu);
void cc_mutex_destroy(cc_mutex *mu);

#endif /* CARECAST_THREADS_H */
