/*
 * Recipient files parsed on worker threads and scanned in file order (the
 * pipeline of a build or a validation: the workers parse the files after
 * the one the caller is inserting or checking).
 */
#include "recipients.h"

#include <stdlib.h>
#include <string.h>

#include "workpool.h"
#include "xalloc.h"

struct recipient_reader {
	const char *root;
	const struct config *cfg;
	const struct recipient_source *files;
	struct recipient_file *parsed; /* slot i: file i, zeroed until parsed */
	char (*blobs)[41]; /* what the scan of file i kept of it */
	size_t n;
	unsigned flags;
	struct workpool *pool;
};

/* A job of the pool: reads only its own slot and what no one writes. */
static void parse_one(void *ctx, size_t i)
{
	struct recipient_reader *rd = ctx;

	recipient_file_parse(&rd->parsed[i], rd->root, rd->files[i].path, rd->files[i].type, rd->cfg,
			     rd->flags);
}

struct recipient_reader *recipient_reader_start(const char *root, const struct config *cfg,
						const struct recipient_source *files, size_t n,
						unsigned flags)
{
	struct recipient_reader *rd = xcalloc(1, sizeof(*rd));
	unsigned threads = workpool_threads();

	rd->root = root;
	rd->cfg = cfg;
	rd->files = files;
	rd->n = n;
	rd->flags = flags;
	rd->parsed = xcalloc(n ? n : 1, sizeof(*rd->parsed));
	rd->blobs = xcalloc(n ? n : 1, sizeof(*rd->blobs));
	/* two files parsed ahead per thread keep every thread busy while the
	 * caller takes one; each holds one file's document */
	rd->pool = workpool_start(n, threads, 2 * (size_t)threads, parse_one, rd);
	return rd;
}

int recipient_reader_scan(struct recipient_reader *rd, size_t i, struct recipient_scan *s,
			  recipient_fn fn, void *payload, struct diag_list *diags)
{
	int ret;

	workpool_wait(rd->pool, i);
	ret = recipients_scan_parsed(s, &rd->parsed[i], fn, payload, diags);
	memcpy(rd->blobs[i], rd->parsed[i].blob, sizeof(rd->blobs[i]));
	recipient_file_release(&rd->parsed[i]);
	return ret;
}

const char *recipient_reader_blob(const struct recipient_reader *rd, size_t i)
{
	return rd->blobs[i];
}

void recipient_reader_free(struct recipient_reader *rd)
{
	size_t i;

	if (!rd)
		return;
	workpool_free(rd->pool);
	for (i = 0; i < rd->n; i++)
		recipient_file_release(&rd->parsed[i]);
	free(rd->parsed);
	free(rd->blobs);
	free(rd);
}
