/*
 * The form bodies `mailout serve` reads (serve_form_value()) on any bytes:
 * the first byte is the cap on the value, the rest the body.  A value
 * found is never longer than the cap nor than the body; none found leaves
 * the buffer empty.
 */
#include <stdlib.h>

#include "buf.h"
#include "fuzz.h"
#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf v = BUF_INIT;
	size_t max;
	int r;

	if (size < 1)
		return 0;
	max = data[0];
	r = serve_form_value(&v, (const char *)data + 1, size - 1, "t", max);
	if ((r == 0 && v.len) || v.len > max || v.len > size || (r < 0 && v.len != max))
		abort();
	r = serve_form_value(&v, (const char *)data + 1, size - 1, "List-Unsubscribe", SERVE_BODY_MAX);
	if (r < 0 || v.len > size)
		abort();
	buf_release(&v);
	return 0;
}
