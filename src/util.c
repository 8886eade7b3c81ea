#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "diag.h"
#include "xalloc.h"

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best;
	size_t *prev, *cur, *tmp;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	prev = xcalloc(lb + 1, sizeof(*prev));
	cur = xcalloc(lb + 1, sizeof(*cur));
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	best = prev[lb];
	free(prev);
	free(cur);
	return best;
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t i, d, best_d = (size_t)-1, limit;

	limit = strlen(word) / 3 + 1;
	for (i = 0; i < n; i++) {
		d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t hash64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t w;

	h ^= (uint64_t)len * 0x9e3779b97f4a7c15ULL;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

uint64_t hash_bytes(const void *data, size_t len)
{
	uint64_t h = fnv1a(FNV1A_INIT, data, len);

	return h ^ (h >> 32);
}

/*
 * The keys of a map are copied into chunks that hang off a header kept
 * just before the slots: adding a key allocates nothing of its own, and
 * releasing the map frees a few chunks instead of every key.
 */
struct strmap_chunk {
	struct strmap_chunk *next;
	size_t used, size;
	char data[];
};

union strmap_header {
	struct strmap_chunk *chunks;
	uint64_t align; /* the slots that follow stay aligned */
};

static union strmap_header *strmap_header(const struct strmap *m)
{
	return (union strmap_header *)(void *)m->slots - 1;
}

static char *strmap_key_copy(struct strmap *m, const char *key, size_t len)
{
	union strmap_header *h = strmap_header(m);
	struct strmap_chunk *c = h->chunks;

	if (!c || c->size - c->used < len + 1) {
		/* chunks grow with the map, up to 256 KiB */
		size_t size = c && c->size < ((size_t)256 << 10) ? c->size * 2 : c ? c->size : 256;

		if (size < len + 1)
			size = len + 1;
		c = xmalloc(sizeof(*c) + size);
		c->used = 0;
		c->size = size;
		c->next = h->chunks;
		h->chunks = c;
	}
	memcpy(c->data + c->used, key, len + 1);
	c->used += len + 1;
	return c->data + c->used - len - 1;
}

static struct strmap_entry *strmap_find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;;) {
		struct strmap_entry *e = &m->slots[i];
		if (!e->key || (e->hash == h && !strcmp(e->key, key)))
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

struct strmap_entry *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_entry *e;

	if (!m->cap)
		return NULL;
	e = strmap_find(m, key, hash_bytes(key, strlen(key)));
	return e->key ? e : NULL;
}

struct strmap_entry *strmap_put(struct strmap *m, const char *key, int *added)
{
	size_t len = strlen(key);
	uint64_t h = hash_bytes(key, len);
	struct strmap_entry *e;

	if ((m->count + 1) * 4 >= m->cap * 3) {
		union strmap_header *old = m->slots ? strmap_header(m) : NULL, *hdr;
		struct strmap_entry *old_slots = m->slots;
		size_t i, oldcap = m->cap;

		m->cap = oldcap ? oldcap * 2 : 16;
		hdr = xcalloc(1, sizeof(*hdr) + m->cap * sizeof(*m->slots));
		hdr->chunks = old ? old->chunks : NULL;
		m->slots = (struct strmap_entry *)(void *)(hdr + 1);
		for (i = 0; i < oldcap; i++) {
			if (old_slots[i].key)
				*strmap_find(m, old_slots[i].key, old_slots[i].hash) = old_slots[i];
		}
		free(old);
	}
	e = strmap_find(m, key, h);
	if (e->key) {
		if (added)
			*added = 0;
		return e;
	}
	e->key = strmap_key_copy(m, key, len);
	e->hash = h;
	e->value = NULL;
	m->count++;
	if (added)
		*added = 1;
	return e;
}

void strmap_release(struct strmap *m, void (*free_value)(void *))
{
	struct strmap_chunk *c, *next;
	size_t i;

	if (!m->slots)
		return;
	for (i = 0; free_value && i < m->cap; i++) {
		if (m->slots[i].key)
			free_value(m->slots[i].value);
	}
	for (c = strmap_header(m)->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(strmap_header(m));
	m->slots = NULL;
	m->cap = m->count = 0;
}

void secret_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void secret_free(char *s)
{
	if (!s)
		return;
	secret_wipe(s, strlen(s));
	free(s);
}

void str_lower(char *s)
{
	for (; *s; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

int str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int mkdir_parents(const char *path)
{
	char *dir = xstrdup(path), *slash;
	int ret = 0;

	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = error_set("cannot create '%s': %s", dir, strerror(errno));
			break;
		}
		*slash = '/';
	}
	free(dir);
	return ret;
}

int mkdir_p(const char *dir)
{
	char *path = xasprintf("%s/", dir);
	int ret = mkdir_parents(path);

	free(path);
	return ret;
}

int url_scheme_host(char **scheme_out, char **host_out, int *has_user_out, const char *url)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char *scheme = NULL, *host = NULL, *user = NULL;
	int ret = -1;

	*scheme_out = *host_out = NULL;
	if (!u)
		goto done;
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		error_set("%s", curl_url_strerror(rc));
		goto done;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		error_set("no host");
		goto done;
	}
	if (has_user_out)
		*has_user_out = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
	*scheme_out = xstrdup(scheme);
	*host_out = xstrdup(host);
	ret = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ret;
}

int host_is_loopback(const char *host)
{
	unsigned char a4[4];
	struct in6_addr a6;
	char bare[64];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, a4) == 1)
		return a4[0] == 127;
	if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(bare))
		return 0;
	memcpy(bare, host + 1, n - 2);
	bare[n - 2] = '\0';
	if (inet_pton(AF_INET6, bare, &a6) != 1)
		return 0;
	return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
