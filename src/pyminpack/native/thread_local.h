/*
 * PYMINPACK_THREAD_LOCAL: a variable of which each thread has its own copy.
 * native.c and pycallback.c (through fcn_common.h) find their active solve
 * through one; builtin_models.c keeps its per-thread cache of exponentials
 * in one.  A header of its own so that builtin_models.c, which needs none of
 * fcn_common.h, does not include that header's static functions.
 */
#ifndef PYMINPACK_THREAD_LOCAL_H
#define PYMINPACK_THREAD_LOCAL_H

/* MSVC (and clang-cl) spell it __declspec(thread); C11 compilers
 * _Thread_local; gcc, clang and icx in C99 mode (the build's c_std) __thread,
 * their extension.  MinGW-w64's gcc emulates it in libgcc (emutls), which
 * meson.build links statically. */
#if defined(_MSC_VER)
#define PYMINPACK_THREAD_LOCAL __declspec(thread)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PYMINPACK_THREAD_LOCAL _Thread_local
#else
#define PYMINPACK_THREAD_LOCAL __thread
#endif

#endif /* PYMINPACK_THREAD_LOCAL_H */
