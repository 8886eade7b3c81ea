/* The hash that stands for an address (see addrhash.h). */
#include "addrhash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"

void addr_hash(const char *address, char out[ADDR_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *lower = xstrdup(address);

	str_lower(lower); /* ASCII, as the plan compares addresses */
	if (!EVP_Digest(lower, strlen(lower), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		abort();
	free(lower);
	memcpy(out, ADDR_HASH_PREFIX, sizeof(ADDR_HASH_PREFIX) - 1);
	for (i = 0; i < mdlen; i++) {
		out[sizeof(ADDR_HASH_PREFIX) - 1 + 2 * i] = hex[md[i] >> 4];
		out[sizeof(ADDR_HASH_PREFIX) + 2 * i] = hex[md[i] & 15];
	}
	out[ADDR_HASH_LEN] = '\0';
}

int addr_is_hash(const char *s)
{
	size_t i, p = sizeof(ADDR_HASH_PREFIX) - 1;

	if (strncmp(s, ADDR_HASH_PREFIX, p) != 0)
		return 0;
	for (i = p; i < ADDR_HASH_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[ADDR_HASH_LEN] == '\0';
}
