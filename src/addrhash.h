#ifndef MAILOUT_ADDRHASH_H
#define MAILOUT_ADDRHASH_H

/*
 * An address's hash, "sha256:" and the 64 lower-case hex digits of the
 * SHA-256 of the address in lower case (the usual "subscriber hash").  It
 * stands for an address where mailout must still recognise a person but
 * need not hold the address: hashed suppressions, claim lines, erasure.
 * It is pseudonymisation, not anonymisation: anyone holding the address can
 * compute it.
 */

#define ADDR_HASH_PREFIX "sha256:"
#define ADDR_HASH_LEN 71 /* the prefix and 64 hex digits */

/* Writes the hash of address (NUL-terminated) into out. */
void addr_hash(const char *address, char out[ADDR_HASH_LEN + 1]);
/* Whether s is a well-formed hash: the prefix and exactly 64 lower-case hex
 * digits, nothing after them. */
int addr_is_hash(const char *s);

#endif
