/*
 * The two tab-separated files a pull request can bring, over any bytes:
 *
 * - recipients/suppressions.tsv (suppressions_parse()): every suppression
 *   is found again by its hash, and when the text has no error,
 *   suppressions_hash_text() keeps every suppression (same hashes, same
 *   reasons and lines), leaves no plain line, and changes nothing when run
 *   again;
 * - a campaign log (log_read()): each event is a known one with at most
 *   LOG_MAX_FIELDS fields free of tabs and newlines (other control bytes
 *   are the readers' to handle: the site escapes them, IMAP refuses a
 *   Message-ID that is not printable ASCII), lines counted
 *   from 1 in order, the bytes read end after a line break, and reading
 *   on from there finds no event.
 */
#include <stdlib.h>
#include <string.h>

#include "addrhash.h"
#include "buf.h"
#include "diag.h"
#include "fuzz.h"
#include "log.h"
#include "suppressions.h"
#include "util.h"
#include "xalloc.h"

#define LOG_REL "campaigns/c/log/a.tsv"

/* Every suppression of a is in b, with the same reason and line. */
static void same_suppressions(const struct suppressions *a, const struct suppressions *b)
{
	const struct suppression *x, *y;
	size_t i;

	if (a->by_hash.count != b->by_hash.count)
		abort();
	for (i = 0; i < a->by_hash.cap; i++) {
		if (!a->by_hash.slots[i].key)
			continue;
		x = a->by_hash.slots[i].value;
		y = suppressions_find(b, a->by_hash.slots[i].key);
		if (!y || strcmp(x->reason, y->reason) || x->line != y->line)
			abort();
	}
}

static void suppressions(const uint8_t *data, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT, again_diags = DIAG_LIST_INIT;
	struct suppressions s, hashed;
	struct buf once = BUF_INIT, twice = BUF_INIT;
	size_t i, converted = 0, more = 0;

	suppressions_parse(&s, (const char *)data, size, &diags);
	for (i = 0; i < s.by_hash.cap; i++) {
		const char *key = s.by_hash.slots[i].key;

		if (key && (!addr_is_hash(key) || suppressions_find(&s, key) != s.by_hash.slots[i].value))
			abort();
	}
	if (!diags.errors) {
		suppressions_hash_text(&once, (const char *)data, size, &converted);
		suppressions_parse(&hashed, once.ptr, once.len, &again_diags);
		if (again_diags.errors || hashed.plain || converted != s.plain)
			abort();
		same_suppressions(&s, &hashed);
		suppressions_hash_text(&twice, once.ptr, once.len, &more);
		if (more || twice.len != once.len || memcmp(twice.ptr, once.ptr, once.len))
			abort();
		suppressions_release(&hashed);
	}
	suppressions_release(&s);
	buf_release(&once);
	buf_release(&twice);
	diag_release(&diags);
	diag_release(&again_diags);
}

struct seen {
	int last_line;
	size_t events;
};

static int check_entry(const struct log_entry *e, void *payload)
{
	struct seen *seen = payload;
	size_t i;

	if ((unsigned)e->event >= LOG_EVENT_COUNT || e->nfields > LOG_MAX_FIELDS ||
	    e->line <= seen->last_line || (e->version != 1 && e->version != 2))
		abort();
	for (i = 0; i < e->nfields; i++) {
		if (!e->field[i] || strpbrk(e->field[i], "\t\n"))
			abort();
	}
	seen->last_line = e->line;
	seen->events++;
	return 0;
}

static void log_file(const uint8_t *data, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct seen seen = { 0, 0 }, after = { 0, 0 };
	size_t consumed = 0, again = 0;

	fuzz_write(LOG_REL, data, size);
	if (log_read(fuzz_root(), LOG_REL, 0, check_entry, &seen, &consumed, &diags) == 0) {
		if (consumed > size || (consumed && data[consumed - 1] != '\n'))
			abort();
		if (log_read(fuzz_root(), LOG_REL, consumed, check_entry, &after, &again, &diags) != 0 ||
		    after.events || again != consumed)
			abort();
	}
	diag_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir;

	if (!dir) {
		dir = xasprintf("%s/campaigns/c/log", fuzz_root());
		if (mkdir_p(dir) < 0)
			abort();
	}
	suppressions(data, size);
	log_file(data, size);
	return 0;
}
