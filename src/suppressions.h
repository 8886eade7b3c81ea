/*
 * recipients/suppressions.tsv: the addresses nobody mails again.
 *
 * Tab-separated, the header `address reason time source`, one line per
 * suppression.  The first field is the address or its hash, `sha256:` and
 * 64 lower-case hex digits (addr_hash()): a hashed line keeps the opt-out
 * without keeping the address.  Both forms are held by the hash, so every
 * check is one lookup whichever form a line has.
 */
#ifndef MAILOUT_SUPPRESSIONS_H
#define MAILOUT_SUPPRESSIONS_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "util.h"

#define SUPPRESSIONS_FILE "recipients/suppressions.tsv"

/* One suppressed person: the first line that names them. */
struct suppression {
	char *reason; /* "unsubscribed", "bounced", "manual" or "erased" */
	int line;     /* of recipients/suppressions.tsv, from 1 */
	int hashed;   /* that line holds the hash, not the address */
};

struct suppressions {
	struct strmap by_hash; /* addr_hash() -> struct suppression * */
	size_t plain;          /* lines holding an address rather than its hash */
	int first_plain;       /* the line of the first of them; 0 when none */
};

/*
 * Parses the text of recipients/suppressions.tsv (any bytes, len of
 * them) into *out, adding a diagnostic at line and column for every bad
 * line (which is left out).  Returns 0; release *out in every case.
 */
int suppressions_parse(struct suppressions *out, const char *text, size_t len,
		       struct diag_list *diags);
/* The same for <root>/recipients/suppressions.tsv (absent: empty).
 * Returns 0, or -1 when the file exists but cannot be read. */
int suppressions_load(struct suppressions *out, const char *root, struct diag_list *diags);
/* The suppression of key, an address (any case) or a hash; NULL when
 * there is none. */
const struct suppression *suppressions_find(const struct suppressions *s, const char *key);
void suppressions_release(struct suppressions *s);

/*
 * The first field of a suppression line for address (an address or a
 * hash): its hash when hash is set or it is a hash already, else the
 * address lower-cased.  The caller frees it.
 */
char *suppression_field(const char *address, int hash);

/*
 * `mailout suppressions hash`: the text with the address of every line
 * replaced by its hash, every other byte (order, reasons, times, sources,
 * comments, line ends) as it was.  *converted gets the number of lines
 * changed.  The text must parse without errors (suppressions_parse()).
 */
void suppressions_hash_text(struct buf *out, const char *text, size_t len, size_t *converted);

#endif
