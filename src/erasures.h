/*
 * Erased persons: the lines of recipients/suppressions.tsv whose reason is
 * "erased", written by `mailout forget`.  Such a person's records should
 * be gone (validate warns at one that is back) and no import writes them
 * again.  Any other reason of the same person's lines does not matter here.
 */
#ifndef MAILOUT_ERASURES_H
#define MAILOUT_ERASURES_H

#include "util.h"

#define ERASED_REASON "erased"

/* Plain or hashed, by the address's hash; lines the format refuses are
 * left to suppressions_load() to report. */
struct erasures {
	struct strmap by_hash; /* hash -> the line number, as (void *)(intptr_t) */
};
/* 0 (also when the file is absent), or -1 after error_set(). */
int erasures_load(struct erasures *out, const char *root);
/* The line of address's erased suppression (address plain or a hash), 0
 * when it is not erased. */
int erasures_line(const struct erasures *e, const char *address);
void erasures_release(struct erasures *e);

/* The erased lines of a suppressions file's text, into an empty *out
 * (text is modified: fields are cut at their tabs). */
void erasures_parse(struct erasures *out, char *text);

#endif
