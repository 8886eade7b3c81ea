/*
 * Erasure over any bytes: forget_remove_records() of FUZZ_ADDRESS from the
 * input as a recipient file (what is kept must parse again, hold exactly
 * the other records, and nothing at all must change when no record was
 * removed), forget_replace() of it (no occurrence may be left, and a
 * second pass replaces nothing), and the input as recipients/suppressions.tsv
 * for erasures_load().
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "diag.h"
#include "forget.h"
#include "fuzz.h"
#include "util.h"
#include "xalloc.h"
#include "yamlfile.h"

static const char *const who[] = { FUZZ_ADDRESS };

/* The records of text (a parsed list), and how many are FUZZ_ADDRESS's;
 * -1 when it does not parse as a list. */
static long count_records(const char *text, size_t len, long *matching)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	const struct ynode *email;
	long n = -1;
	size_t i;

	*matching = 0;
	if (ydoc_parse(&doc, "fuzz.yaml", text, len, 0, &diags) == 0) {
		n = 0;
		if (doc->root && doc->root->kind == YNODE_SEQ) {
			n = (long)doc->root->count;
			for (i = 0; i < doc->root->count; i++) {
				email = ynode_get(doc->root->items[i], "email");
				if (email && email->kind == YNODE_SCALAR && !strcasecmp(email->value, who[0]))
					(*matching)++;
			}
		} else if (doc->root) {
			n = -1;
		}
	}
	ydoc_free(doc);
	diag_release(&diags);
	return n;
}

static void remove_records(const uint8_t *data, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct buf out = BUF_INIT;
	size_t removed;
	long before, after, matching, left;

	if (forget_remove_records(&out, &removed, "fuzz.yaml", (const char *)data, size, who, 1,
				  &diags) < 0)
		goto done;
	if (out.len > size || (!removed && (out.len != size || memcmp(out.ptr, data, size))))
		abort();
	if (removed) {
		before = count_records((const char *)data, size, &matching);
		after = count_records(out.ptr, out.len, &left);
		if (after < 0 || left || after != before - (long)removed || matching != (long)removed)
			abort();
	}
done:
	buf_release(&out);
	diag_release(&diags);
}

static void replace(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT, again = BUF_INIT;

	forget_replace(&out, (const char *)data, size, who, 1);
	if (forget_find(out.ptr, out.len, who[0]))
		abort();
	if (forget_replace(&again, out.ptr, out.len, who, 1) != 0 || again.len != out.len)
		abort();
	buf_release(&out);
	buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir;
	struct erasures e;

	if (!dir) {
		dir = xasprintf("%s/recipients", fuzz_root());
		if (mkdir_p(dir) < 0)
			abort();
	}
	remove_records(data, size);
	replace(data, size);
	fuzz_write("recipients/suppressions.tsv", data, size);
	if (erasures_load(&e, fuzz_root()) == 0)
		erasures_line(&e, FUZZ_ADDRESS);
	erasures_release(&e);
	return 0;
}
