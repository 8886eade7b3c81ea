/*
 * The IMAP server's responses, literals included, through the parsers
 * behind EXAMINE, UID SEARCH, UID FETCH and LIST (the Sent folder) and
 * the quoting of a NO answer.  The message asked for is FUZZ_UID.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "imap.h"

#define FUZZ_UID 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *resp = (const char *)data;
	unsigned long uidvalidity, uidnext, exists, *uids = NULL;
	size_t n = 0, cap = 0, i;
	struct buf out = BUF_INIT;
	char reply[201], *sent;
	int r;

	imap_parse_examine(&uidvalidity, &uidnext, &exists, resp, size);
	if (imap_parse_search(&uids, &n, &cap, resp, size, 1, 0) == 0) {
		for (i = 0; i < n; i++)
			if (!uids[i])
				abort();
	}
	n = 0;
	if (imap_parse_search(&uids, &n, &cap, resp, size, 5, 100) == 0) {
		for (i = 0; i < n; i++)
			if (uids[i] < 5 || uids[i] > 100)
				abort();
	}
	free(uids);
	r = imap_parse_fetch(&out, resp, size, FUZZ_UID);
	if (r != IMAP_FETCHED && r != IMAP_DAMAGED && r != IMAP_GONE)
		abort();
	if (r == IMAP_GONE && out.len)
		abort();
	if (out.len > size)
		abort();
	buf_release(&out);
	sent = imap_parse_list_sent(resp, size);
	if (sent && (!*sent || strlen(sent) > size))
		abort();
	free(sent);
	imap_parse_tagged(reply, sizeof(reply), resp, size);
	if (strlen(reply) >= sizeof(reply))
		abort();
	return 0;
}
