/*
 * The YAML files people write, through the loader and every content
 * check: the input is read as mailout.yaml, as a recipient file of each
 * type (records handed on as the plan takes them: fields encoded and
 * decoded, filters matched, template contexts made), as the segments
 * file and as a campaign.yaml, and the diagnostics are sorted and
 * printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "fuzz.h"
#include "recipients.h"
#include "template.h"
#include "xalloc.h"
#include "yamlfile.h"

static FILE *devnull;
static struct segments segments;

static void release(void)
{
	segments_release(&segments);
	if (devnull)
		fclose(devnull);
}

static void setup(void)
{
	static const char text[] = "german: { country: DE }\nvips: { vip: true, tags: [a, b] }\n";
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;

	devnull = fopen("/dev/null", "w");
	if (!devnull || ydoc_parse(&doc, SEGMENTS_FILE, text, sizeof(text) - 1, 0, &diags) < 0)
		abort();
	segments_load_doc(&segments, doc, &diags);
	if (diags.errors || segments.count != 2)
		abort();
	ydoc_free(doc);
	diag_release(&diags);
	atexit(release);
}

static void on_record(const struct recipient *r, void *payload)
{
	struct recipient_fields f;
	struct recipient copy = *r;
	struct tvalue *ctx = tvalue_map();
	struct buf blob = BUF_INIT;
	size_t i;

	(void)payload;
	if (!r->id || !r->email || !r->address || !r->owner)
		abort();
	for (i = 0; i < segments.count; i++)
		filter_match(&segments.items[i].filter, r);
	recipient_context(ctx, r);
	recipient_encode_fields(&blob, r->node);
	memset(&f, 0, sizeof(f));
	copy.node = recipient_decode_fields(&f, blob.ptr, blob.len);
	if (!copy.node)
		abort();
	for (i = 0; i < segments.count; i++)
		if (filter_match(&segments.items[i].filter, r) !=
		    filter_match(&segments.items[i].filter, &copy))
			abort();
	recipient_context(ctx, &copy);
	recipient_fields_release(&f);
	buf_release(&blob);
	tvalue_free(ctx);
}

static void as_campaign(const struct ydoc *doc, struct diag_list *diags)
{
	struct campaigns cs;

	cs.items = xcalloc(1, sizeof(*cs.items));
	cs.count = 1;
	cs.items[0].id = xstrdup("fuzz");
	cs.items[0].path = xstrdup(doc->path);
	campaign_load_doc(&cs.items[0], doc, fuzz_root(), fuzz_config(), &segments, diags);
	campaigns_release(&cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct recipient_scan scan;
	struct segments segs;
	struct config cfg;
	struct ydoc *doc = NULL;
	int t;

	if (!devnull)
		setup();
	if (ydoc_parse(&doc, "fuzz.yaml", (const char *)data, size, 0, &diags) < 0) {
		if (doc || !diags.errors)
			abort();
		goto done;
	}
	config_load_doc(&cfg, doc, &diags);
	config_release(&cfg);
	for (t = 0; t < RTYPE_COUNT; t++) {
		recipient_scan_init(&scan);
		recipients_scan_doc(&scan, doc, (enum recipient_type)t, fuzz_config(), on_record, NULL,
				    &diags);
		recipient_scan_release(&scan);
	}
	segments_load_doc(&segs, doc, &diags);
	segments_release(&segs);
	as_campaign(doc, &diags);
	ydoc_check_secrets(doc, &diags);
done:
	diag_sort(&diags);
	diag_print(devnull, &diags);
	ydoc_free(doc);
	diag_release(&diags);
	return 0;
}
