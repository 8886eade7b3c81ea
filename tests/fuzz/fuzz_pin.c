/*
 * mailout-version, the pin a content repository brings: init_pin_parse()
 * on any bytes.  A pin read has a source and a ref of one word each, never
 * starting with '-' (they reach git's command line); the pin written back
 * into the template reads the same again.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fuzz.h"
#include "initfiles.h"

static void check_word(const char *s)
{
	const char *p;

	if (!s || !*s || *s == '-')
		abort();
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = DIAG_LIST_INIT, again_diags = DIAG_LIST_INIT;
	struct init_pin pin, again;
	const struct init_file *f;
	struct buf text = BUF_INIT;

	memset(&again, 0, sizeof(again));
	if (init_pin_parse(&pin, (const char *)data, size, "mailout-version", &diags) == 0) {
		if (diags.errors)
			abort();
		check_word(pin.source);
		check_word(pin.ref);
		for (f = init_files; f->path && strcmp(f->path, INIT_PIN_FILE); f++)
			;
		if (!f->path)
			abort();
		init_render(&text, f->text, NULL, &pin, NULL);
		if (init_pin_parse(&again, text.ptr, text.len, INIT_PIN_FILE, &again_diags) < 0 ||
		    strcmp(again.source, pin.source) || strcmp(again.ref, pin.ref))
			abort();
	} else if (!diags.errors) {
		abort();
	}
	init_pin_release(&pin);
	init_pin_release(&again);
	buf_release(&text);
	diag_release(&diags);
	diag_release(&again_diags);
	return 0;
}
