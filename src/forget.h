/*
 * Erasure requests: `mailout forget` takes a person's address out of the
 * working tree, keeping only its hash (addrhash.h) where mailout must still
 * recognise the person.
 *
 *   recipients/TYPE/NAME.yaml   every record whose email is the address is
 *                              removed; the rest of the file stays byte for
 *                              byte (comments, other records, styles)
 *   campaigns/ID/log/ACCOUNT.tsv every occurrence of the address (the claim's
 *                              address field, a server reply quoting it)
 *                              becomes its hash: the log replays as before
 *   recipients/suppressions.tsv  a plain line of the address becomes hashed,
 *                              keeping its reason (the opt-out stays), and a
 *                              hashed line with reason "erased" is added
 *
 * Addresses match as a whole and in any case: "jana@example.net" is found
 * in "<JANA@example.net>" but not in "xjana@example.net".  Other files of
 * the git index that still hold the address are reported, not changed.
 */
#ifndef MAILOUT_FORGET_H
#define MAILOUT_FORGET_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "erasures.h"
#include "util.h"

#define FORGET_REASON ERASED_REASON
#define FORGET_SOURCE "forget"

/* The first whole-address occurrence of address in text[0..len), in any
 * case; NULL when none. */
const char *forget_find(const char *text, size_t len, const char *address);

/*
 * Removes from the recipient file text[0..len) (a block sequence of
 * records; path names it in diagnostics) every record whose email field is
 * one of addresses[0..n), appending the rest to out exactly as it was: a
 * record goes with its lines from its '-' up to the next record, less the
 * comment and blank lines just before that record (they introduce it).
 * *removed_out counts the records removed.  A file of records written as
 * one flow sequence ("[{...}, {...}]") cannot be edited line by line: an
 * error diagnostic at the sequence.  0, or -1 after diagnostics.
 */
int forget_remove_records(struct buf *out, size_t *removed_out, const char *path, const char *text,
			  size_t len, const char *const *addresses, size_t n,
			  struct diag_list *diags);

/* Appends text[0..len) to out with every whole-address occurrence of
 * addresses[0..n) replaced by its hash; the count of replacements. */
size_t forget_replace(struct buf *out, const char *text, size_t len, const char *const *addresses,
		      size_t n);

/* What forget does to one file. */
struct forget_file {
	char *path; /* relative to the root */
	struct buf content; /* the new content, until applied */
	size_t records; /* records removed */
	size_t replaced; /* occurrences replaced by the hash */
	size_t hashed; /* suppression lines converted */
	size_t added; /* suppression lines added */
};

/* A place where an address is still held. */
struct forget_leftover {
	char *path;
	int line, col;
	size_t address; /* the index of the address found */
};

struct forget_result {
	struct forget_file *files; /* only those that change */
	size_t nfiles, files_cap;
	struct forget_leftover *leftovers;
	size_t nleftovers, leftovers_cap;
	int tracked_checked; /* the git index was searched for leftovers */
};

/*
 * Works out the erasure of addresses[0..n) (valid addresses) under root on
 * the clock now: the files that change and their new content, nothing
 * written.  Bad content (a record file that does not parse) is reported in
 * diags.  0, or -1 after error_set() or diagnostics.  Release *out in
 * every case.
 */
int forget_prepare(struct forget_result *out, const char *root, const char *const *addresses,
		   size_t n, time_t now, struct diag_list *diags);
/* Replaces each file of r with its new content, atomically one by one. */
int forget_apply(struct forget_result *r, const char *root);
/* Searches the files of the git index below root (and, outside a git
 * repository, nothing) for what remains of addresses[0..n), filling
 * r->leftovers.  0, or -1 after error_set(). */
int forget_find_leftovers(struct forget_result *r, const char *root, const char *const *addresses,
			  size_t n);
void forget_result_release(struct forget_result *r);

#endif
