/*
 * Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput(), run
 * by libFuzzer (make fuzz) or by replay.c over the seed corpus (make
 * fuzz-replay).  What a target needs once (a configuration, a scratch
 * repository) is made on its first input.
 */
#ifndef MAILOUT_FUZZ_H
#define MAILOUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The address the targets ask about, and the owner the configuration
 * knows. */
#define FUZZ_ADDRESS "jana@example.net"
#define FUZZ_OWNER "alice"
/* The key the targets verify tokens with (at least TOKEN_SECRET_MIN). */
#define FUZZ_SECRET "fuzz-secret-fuzz-secret-fuzz-secret-0123456789"

/* A configuration with person FUZZ_OWNER and an account of hers, parsed
 * once; valid until exit. */
const struct config *fuzz_config(void);

/* A scratch repository holding mailout.yaml of fuzz_config(), made once
 * and removed at exit; the path is valid until then. */
const char *fuzz_root(void);

/* Writes data to fuzz_root()/rel (its folder must exist); aborts when it
 * cannot, as no input can be tried then. */
void fuzz_write(const char *rel, const void *data, size_t len);

#endif
