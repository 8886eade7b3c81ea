/*
 * Allocation wrappers that abort on out-of-memory, so callers never check
 * for NULL.  Every pointer they return is freed with free().
 */
#ifndef MAILOUT_XALLOC_H
#define MAILOUT_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows *ptr (of *cap elements of elsize bytes) to hold at least need. */
void xgrow(void **ptr, size_t *cap, size_t need, size_t elsize);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define XGROW(ptr, cap, need) xgrow((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))

#endif
