/*
 * Diagnostics and error messages.
 *
 * Content problems are diagnostics with a place, like a compiler's:
 *   campaigns/x/campaign.yaml:4:10: error: unknown template 'decmber-update'
 * They are collected in a diag_list, then sorted and printed by cmd/.
 *
 * Library functions that fail for other reasons (I/O, SQLite, network)
 * return a negative code after error_set(); cmd/ prints error_last().
 */
#ifndef MAILOUT_DIAG_H
#define MAILOUT_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_WARNING, DIAG_ERROR };

struct diag {
	char *path; /* relative to the repository root */
	int line, col; /* 1-based; 0 when the whole file is meant */
	enum diag_severity severity;
	char *message;
	int changed; /* set by validate --changed-since */
};

struct diag_list {
	struct diag *items;
	size_t count, cap;
	size_t errors, warnings;
};

#define DIAG_LIST_INIT { NULL, 0, 0, 0, 0 }

void diag_add(struct diag_list *l, enum diag_severity sev, const char *path,
	      int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void diag_vadd(struct diag_list *l, enum diag_severity sev, const char *path,
	       int line, int col, const char *fmt, va_list ap);
/* Moves the diagnostics from[begin..end) to the end of l, in order; they
 * stay counted in from, whose slots are left empty (for diag_release). */
void diag_move(struct diag_list *l, struct diag_list *from, size_t begin, size_t end);
/* Sorts by path, line, column, then message, dropping exact duplicates. */
void diag_sort(struct diag_list *l);
void diag_print(FILE *out, const struct diag_list *l);
void diag_release(struct diag_list *l);

/* The last error of this process, for cmd/ to print. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *error_last(void);
void error_clear(void);

#endif
