/*
 * Small shared helpers: closest-word suggestions, a string hash set,
 * wiping secrets, and folders made for paths a person gives (content
 * files: safefile.h).
 */
#ifndef MAILOUT_UTIL_H
#define MAILOUT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The candidate closest to word by edit distance, or NULL when none is
 * close enough to be a plausible typo. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);

uint64_t hash_bytes(const void *data, size_t len);
/* FNV-1a, which can be continued: fnv1a(fnv1a(FNV1A_INIT, a), b) is the
 * hash of a followed by b. */
#define FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a(uint64_t h, const void *data, size_t len);
/* h with data mixed in, 8 bytes a step: for long texts (the site's pages),
 * several times faster than fnv1a().  It cannot be continued like FNV-1a
 * (hash64(hash64(h, a), b) is not the hash of a followed by b) and its
 * values depend on the machine's byte order: for telling changes apart on
 * one machine, not for anything kept elsewhere. */
uint64_t hash64(uint64_t h, const void *data, size_t len);

/*
 * A set of strings, each mapped to a caller's value.  Keys are copied.
 */
struct strmap {
	struct strmap_entry *slots;
	size_t cap, count;
};
struct strmap_entry {
	char *key; /* NULL: empty slot */
	uint64_t hash;
	void *value;
};
#define STRMAP_INIT { NULL, 0, 0 }

/* Returns the entry for key, adding it (value NULL) when absent; *added
 * tells which. */
struct strmap_entry *strmap_put(struct strmap *m, const char *key, int *added);
struct strmap_entry *strmap_get(const struct strmap *m, const char *key);
/* Frees keys and slots; free_value (may be NULL) is called on each value. */
void strmap_release(struct strmap *m, void (*free_value)(void *));

/* Creates dir and its missing parents (mkdir -p); error_set on failure. */
int mkdir_p(const char *dir);
/* Creates the missing directories above the file path. */
int mkdir_parents(const char *path);

/* Splits url into its scheme and host (both allocated, free() them);
 * *has_user_out (may be NULL) tells whether it holds a user name.  -1
 * with error_set() for a URL libcurl cannot read or one without a host. */
int url_scheme_host(char **scheme_out, char **host_out, int *has_user_out, const char *url);

/* 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x, in brackets) or "localhost":
 * where plain-text SMTP or IMAP is allowed. */
int host_is_loopback(const char *host);

/* Overwrites n bytes at p with zeros in a way the compiler cannot leave
 * out (OPENSSL_cleanse): every password, token and key is wiped before
 * its memory is given back. */
void secret_wipe(void *p, size_t n);
/* Wipes the string s up to its NUL and frees it; NULL is fine. */
void secret_free(char *s);

/* Lower-cases ASCII letters in place. */
void str_lower(char *s);
int str_has_suffix(const char *s, const char *suffix);

/* Frees the n strings of list (from content_list(), say) and list. */
void free_list(char **list, size_t n);

/* Writes all len bytes to fd, going on after EINTR: 0, or -1 with errno. */
int fd_write_all(int fd, const void *data, size_t len);

#endif
