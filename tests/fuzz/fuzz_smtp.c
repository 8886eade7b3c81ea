/*
 * SMTP replies as the server sends them, and what the sender makes of
 * them.  The input's first line is the command sent (empty: the
 * greeting), the rest the server's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "smtp.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(text, '\n', size);
	struct smtp_reply r = SMTP_REPLY_INIT;
	char *command = NULL;
	size_t k = 0;
	int code;

	if (nl) {
		k = (size_t)(nl - text) + 1;
		command = xstrndup(text, k - 1);
	}
	code = smtp_reply_parse(&r, command && *command ? command : NULL, text + k, size - k);
	if (!r.text || memchr(r.enhanced, '\0', sizeof(r.enhanced)) == NULL ||
	    memchr(r.command, '\0', sizeof(r.command)) == NULL || strlen(r.text) > 8192)
		abort();
	if (code == 0 && (r.code < 100 || r.code > 599))
		abort();
	if (r.enhanced[0] && (r.enhanced[0] - '0' != r.code / 100 || r.enhanced[1] != '.'))
		abort();
	smtp_class_name(smtp_classify(&r, 0));
	smtp_class_name(smtp_classify(&r, 28));
	smtp_reply_release(&r);
	free(command);
	return 0;
}
