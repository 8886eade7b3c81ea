/*
 * Newsletters: the input is templates/fuzz.md (front matter, Markdown
 * with mustache tags) of a scratch repository.  Its Markdown goes through
 * cmark (render_markdown_html, plain and styled, parsed back as a
 * template), and the campaign using it is compiled and its sample
 * message rendered, as `mailout build` does for the status site.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "diag.h"
#include "fuzz.h"
#include "render.h"
#include "template.h"
#include "util.h"
#include "xalloc.h"
#include "yamlfile.h"

#define CAMPAIGN_YAML "name: Fuzz\ntemplate: fuzz\nrecipient_type: contacts\nowner: " FUZZ_OWNER "\n"

static struct campaigns campaigns;

static void campaigns_free(void)
{
	campaigns_release(&campaigns);
}

static void setup(void)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	struct segments none = { NULL, 0 };
	const char *root = fuzz_root();
	struct campaign *c;
	char *dir = xasprintf("%s/templates", root);

	if (mkdir_p(dir) < 0)
		abort();
	free(dir);
	fuzz_write("templates/fuzz.md", "---\nsubject: x\n---\n", 19);
	campaigns.items = c = xcalloc(1, sizeof(*c));
	campaigns.count = 1;
	c->id = xstrdup("fuzz");
	c->path = xstrdup("campaigns/fuzz/campaign.yaml");
	if (ydoc_parse(&doc, c->path, CAMPAIGN_YAML, strlen(CAMPAIGN_YAML), 0, &diags) < 0)
		abort();
	campaign_load_doc(c, doc, root, fuzz_config(), &none, &diags);
	if (!c->valid || diags.errors) {
		diag_print(stderr, &diags);
		abort();
	}
	ydoc_free(doc);
	diag_release(&diags);
	atexit(campaigns_free);
}

static void markdown(const char *src, size_t len, int styled)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct template *t = NULL;
	struct buf html = BUF_INIT;

	render_markdown_html(&html, src, len, styled);
	if (template_parse(&t, html.ptr, html.len, "templates/fuzz.md", 1, 1, &diags) == 0)
		template_free(t);
	buf_release(&html);
	diag_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct diag_list diags = DIAG_LIST_INIT;
	struct render *r = NULL;
	struct rendered m;

	if (!ready) {
		setup();
		ready = 1;
	}
	markdown((const char *)data, size, 0);
	markdown((const char *)data, size, 1);
	fuzz_write("templates/fuzz.md", data, size);
	if (render_open(&r, fuzz_root(), fuzz_config(), &campaigns.items[0], &diags) == 0) {
		memset(&m, 0, sizeof(m));
		if (render_sample(&m, r) == 0 && (!m.subject || !m.text || !m.html))
			abort();
		rendered_release(&m);
		render_free(r);
	} else if (r) {
		abort();
	}
	diag_release(&diags);
	return 0;
}
