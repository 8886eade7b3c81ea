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
/* The capacity an array of cap elements of elsize bytes grows to so that
 * it holds at least need (more than cap): doubled from 8; aborts when the
 * size in bytes would not fit a size_t. */
size_t xgrow_cap(size_t cap, size_t need, size_t elsize);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows the array ptr of cap elements to hold at least need, updating
 * cap (git's ALLOC_GROW).  ptr and cap are evaluated more than once. */
#define XGROW(ptr, cap, need) \
	do { \
		size_t xgrow_need_ = (need); \
		if (xgrow_need_ > (cap)) { \
			(cap) = xgrow_cap((cap), xgrow_need_, sizeof(*(ptr))); \
			(ptr) = xrealloc((ptr), (cap) * sizeof(*(ptr))); \
		} \
	} while (0)

#endif
