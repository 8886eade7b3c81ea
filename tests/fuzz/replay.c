/*
 * Runs a fuzz target's LLVMFuzzerTestOneInput() over the files given, one
 * after the other, without libFuzzer: the seed corpus replayed by `make
 * fuzz-replay` under the sanitizers, with any C compiler.
 *
 *   replay_NAME FILE...
 *
 * A crash, a sanitizer report or a leak ends the process with an error;
 * otherwise it exits 0 after the last file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"

int main(int argc, char **argv)
{
	struct buf input = BUF_INIT;
	unsigned char *copy;
	int i;

	for (i = 1; i < argc; i++) {
		buf_reset(&input);
		if (buf_read_file(&input, argv[i], (size_t)64 << 20) < 0) {
			fprintf(stderr, "replay: cannot read '%s': %s\n", argv[i], strerror(errno));
			buf_release(&input);
			return 2;
		}
		/* a copy of exactly the input's size, so reads past it are caught */
		copy = malloc(input.len ? input.len : 1);
		if (!copy)
			abort();
		memcpy(copy, input.ptr, input.len);
		LLVMFuzzerTestOneInput(copy, input.len);
		free(copy);
	}
	buf_release(&input);
	return 0;
}
