/*
 * cc_threads.c - cc_thread_start and cc_thread_join on Win32, POSIX or C11
 * threads (see cc_threads.h for the choice).
 */
#include "cc_threads.h"

#if defined(CC_THREADS_WIN32)
#include <process.h>

#if defined(_M_X64) || defined(__x86_64__) || defined(_M_IX86) || defined(__i386__)
#include <xmmintrin.h>
#define CC_HAVE_MXCSR 1
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CC_HAVE_X87 1
static unsigned short get_x87_control(void)
{
    unsigned short cw;
    __asm__ __volatile__("fnstcw %0" : "=m"(cw));
    return cw;
}

static void set_x87_control(unsigned short cw)
{
    __asm__ __volatile__("fldcw %0" : : "m"(cw));
}
#endif

/* _beginthreadex rather than CreateThread: the thread calls the C runtime
 * (libm), whose per-thread state _beginthreadex sets up. */
static unsigned __stdcall trampoline(void *arg)
{
    cc_thread *t = arg;
#if defined(CC_HAVE_MXCSR)
    _mm_setcsr(t->mxcsr);
#endif
#if defined(CC_HAVE_X87)
    set_x87_control(t->x87_control);
#endif
    t->fn(t->arg);
    return 0;
}

int cc_thread_start(cc_thread *t, cc_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->mxcsr = 0;
    t->x87_control = 0;
#if defined(CC_HAVE_MXCSR)
    t->mxcsr = _mm_getcsr();
#endif
#if defined(CC_HAVE_X87)
    t->x87_control = get_x87_control();
#endif
    t->handle = _beginthreadex(NULL, 0, trampoline, t, 0, NULL);
    return t->handle == 0 ? -1 : 0;
}

void cc_thread_join(cc_thread *t)
{
    WaitForSingleObject((HANDLE)t->handle, INFINITE);
    CloseHandle((HANDLE)t->handle);
}

/* Slim reader/writer locks (Windows Vista and later) need no clean-up. */
int cc_mutex_init(cc_mutex *mu)
{
    InitializeSRWLock(&mu->impl);
    return 0;
}

void cc_mutex_lock(cc_mutex *mu)
{
    AcquireSRWLockExclusive(&mu->impl);
}

void cc_mutex_unlock(cc_mutex *mu)
{
    ReleaseSRWLockExclusive(&mu->impl);
}

void cc_mutex_destroy(cc_mutex *mu)
{
    (void)mu;
}

#elif defined(CC_THREADS_POSIX)

static void *trampoline(void *arg)
{
    cc_thread *t = arg;
    t->fn(t->arg);
    return NULL;
}

int cc_thread_start(cc_thread *t, cc_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    return pthread_create(&t->handle, NULL, trampoline, t) == 0 ? 0 : -1;
}

void cc_thread_join(cc_thread *t)
{
    pthread_join(t->handle, NULL);
}

int cc_mutex_init(cc_mutex *mu)
{
    return pthread_mutex_init(&mu->impl, NULL) == 0 ? 0 : -1;
}

void cc_mutex_lock(cc_mutex *mu)
{
    pthread_mutex_lock(&mu->impl);
}

void cc_mutex_unlock(cc_mutex *mu)
{
    pthread_mutex_unlock(&mu->impl);
}

void cc_mutex_destroy(cc_mutex *mu)
{
    pthread_mutex_destroy(&mu->impl);
}

#else

static int trampoline(void *arg)
{
    cc_thread *t = arg;
    t->fn(t->arg);
    return 0;
}

int cc_thread_start(cc_thread *t, cc_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    return thrd_create(&t->handle, trampoline, t) == thrd_success ? 0 : -1;
}

void cc_thread_join(cc_thread *t)
{
    thrd_join(t->handle, NULL);
}

int cc_mutex_init(cc_mutex *mu)
{
    return mtx_init(&mu->impl, mtx_plain) == thrd_success ? 0 : -1;
}

void cc_mutex_lock(cc_mutex *mu)
{
    mtx_lock(&mu->impl);
}

void cc_mutex_unlock(cc_mutex *mu)
{
    mtx_unlock(&mu->impl);
}

void cc_mutex_destroy(cc_mutex *mu)
{
    mtx_destroy(&mu->impl);
}

#endif
