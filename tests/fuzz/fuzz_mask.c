/*
 * Masking of addresses in text from outside (servers' replies shown on the
 * status site): site_mask_text() on any bytes, encoded-words and encoded
 * at-signs included, under the sanitizers.  Text without anything that
 * could be an at-sign or an encoded-word comes out unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "site.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct buf out = BUF_INIT;
	site_mask_text(&out, text);
	if (!strchr(text, '@') && !strstr(text, "40") && !strstr(text, "=?") && strcmp(out.ptr, text))
		abort();
	buf_release(&out);
	free(text);
	return 0;
}
