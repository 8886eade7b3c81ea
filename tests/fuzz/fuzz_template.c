/*
 * Mustache templates (the subject, preheader, body and layout of a
 * newsletter are written by people, recipients' fields fill them):
 * template_parse(), the references validation walks, and the rendering
 * with text and HTML escaping over a context like a recipient's.
 */
#include <stdlib.h>

#include "buf.h"
#include "diag.h"
#include "fuzz.h"
#include "template.h"

static struct tvalue *context;

static void context_free(void)
{
	tvalue_free(context);
}

/* Lists of one item: a template's own nesting then decides the work. */
static struct tvalue *make_context(void)
{
	struct tvalue *ctx = tvalue_map(), *owner = tvalue_map(), *tags = tvalue_list(),
		      *item = tvalue_map(), *items = tvalue_list();

	tvalue_map_set(ctx, "first_name", tvalue_string("Jana"));
	tvalue_map_set(ctx, "company", tvalue_string("<Example & Co>"));
	tvalue_map_set(ctx, "vip", tvalue_bool(1));
	tvalue_map_set(ctx, "empty", tvalue_string(""));
	tvalue_map_set(ctx, "none", tvalue_null());
	tvalue_map_set(owner, "name", tvalue_string("Alice Adams"));
	tvalue_map_set(ctx, "owner", owner);
	tvalue_list_push(tags, tvalue_string("vip"));
	tvalue_map_set(ctx, "tags", tags);
	tvalue_map_set(item, "name", tvalue_stringn("a\0b", 3));
	tvalue_list_push(items, item);
	tvalue_map_set(ctx, "items", items);
	return ctx;
}

static int count_ref(const struct template_ref *ref, void *payload)
{
	size_t *n = payload;

	if (!ref->name || ref->line < 1 || ref->col < 1 || ref->depth < 0)
		abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct template *t = NULL;
	struct buf out = BUF_INIT;
	size_t refs = 0;

	if (!context) {
		context = make_context();
		atexit(context_free);
	}
	if (template_parse(&t, (const char *)data, size, "templates/fuzz.md", 3, 1, &diags) == 0) {
		if (diags.errors)
			abort();
		template_foreach_ref(t, count_ref, &refs);
		template_render(&out, t, context, TEMPLATE_TEXT);
		buf_reset(&out);
		template_render(&out, t, context, TEMPLATE_HTML);
		buf_reset(&out);
		template_render(&out, t, NULL, TEMPLATE_HTML);
	} else if (t || !diags.errors) {
		abort();
	}
	template_free(t);
	buf_release(&out);
	diag_release(&diags);
	return 0;
}
