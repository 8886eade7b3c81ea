#include "mailsync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addrhash.h"
#include "diag.h"
#include "oauth.h"
#include "recipients.h"
#include "safefile.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

#define STATE_MAX (1u << 20)
#define SUPPRESSIONS_MAX (256u << 20)
#define BOUNCE_TEXT_MAX 300

/* ---- state files ---- */

static int parse_uid(const char *s, unsigned long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > 0xffffffffull)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

int mailsync_state_load(struct mailsync_state *out, const char *root, const char *rel)
{
	struct buf text = BUF_INIT;
	char *line, *next, *f[4], *tab;
	unsigned long uidvalidity, last_uid;
	int lineno = 0, ret = -1, r;
	size_t nf;

	memset(out, 0, sizeof(*out));
	if ((r = content_read(&text, root, rel, STATE_MAX, NULL)) < 0) {
		if (r == CONTENT_REFUSED)
			;
		else if (errno == ENOENT)
			ret = 0;
		else
			error_set("cannot read '%s': %s", rel, strerror(errno));
		goto done;
	}
	for (line = text.ptr; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		lineno++;
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (!*line || *line == '#')
			continue;
		if (lineno == 1 && !strcmp(line, MAILSYNC_STATE_HEADER))
			continue;
		for (nf = 0, f[0] = line; nf < 4;) {
			tab = strchr(f[nf], '\t');
			nf++;
			if (!tab)
				break;
			*tab = '\0';
			if (nf < 4)
				f[nf] = tab + 1;
			else
				nf = 5; /* a fifth field */
		}
		if (nf != 4 || !*f[0] || !*f[1] || parse_uid(f[2], &uidvalidity) < 0 ||
		    parse_uid(f[3], &last_uid) < 0) {
			error_set("%s:%d: expected 'key<TAB>mailbox<TAB>uidvalidity<TAB>last_uid'", rel,
				  lineno);
			goto done;
		}
		mailsync_state_set(out, f[0], f[1], uidvalidity, last_uid);
	}
	ret = 0;
done:
	buf_release(&text);
	return ret;
}

const struct mailsync_mark *mailsync_state_get(const struct mailsync_state *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		if (!strcmp(s->items[i].key, key))
			return &s->items[i];
	}
	return NULL;
}

unsigned long mailsync_state_after(const struct mailsync_state *s, const char *key,
				   const char *mailbox, unsigned long uidvalidity)
{
	const struct mailsync_mark *m = mailsync_state_get(s, key);

	if (!m || strcmp(m->mailbox, mailbox) || m->uidvalidity != uidvalidity)
		return 0;
	return m->last_uid;
}

void mailsync_state_set(struct mailsync_state *s, const char *key, const char *mailbox,
			unsigned long uidvalidity, unsigned long last_uid)
{
	struct mailsync_mark *m = (struct mailsync_mark *)mailsync_state_get(s, key);

	if (!m) {
		XGROW(s->items, s->cap, s->count + 1);
		m = &s->items[s->count++];
		m->key = xstrdup(key);
		m->mailbox = NULL;
	}
	if (!m->mailbox || strcmp(m->mailbox, mailbox)) {
		free(m->mailbox);
		m->mailbox = xstrdup(mailbox);
	}
	m->uidvalidity = uidvalidity;
	m->last_uid = last_uid;
}

static int compare_marks(const void *a, const void *b)
{
	return strcmp(((const struct mailsync_mark *)a)->key, ((const struct mailsync_mark *)b)->key);
}

/* No tab, line break or other control character. */
static int clean_field(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	}
	return 1;
}

int mailsync_state_save(const struct mailsync_state *s, const char *root, const char *rel)
{
	struct mailsync_mark *sorted = NULL;
	struct buf text = BUF_INIT;
	size_t i;
	int ret = -1;

	if (s->count) {
		sorted = xmalloc(s->count * sizeof(*sorted));
		memcpy(sorted, s->items, s->count * sizeof(*sorted));
		qsort(sorted, s->count, sizeof(*sorted), compare_marks);
	}
	buf_adds(&text, MAILSYNC_STATE_HEADER "\n");
	for (i = 0; i < s->count; i++) {
		if (!clean_field(sorted[i].key) || !clean_field(sorted[i].mailbox)) {
			error_set("cannot write '%s': a control character in '%s'", rel, sorted[i].key);
			goto done;
		}
		buf_addf(&text, "%s\t%s\t%lu\t%lu\n", sorted[i].key, sorted[i].mailbox,
			 sorted[i].uidvalidity, sorted[i].last_uid);
	}
	if (content_mkdir_parents(root, rel) < 0 || content_write_atomic(root, rel, text.ptr, text.len) < 0)
		goto done;
	ret = 0;
done:
	free(sorted);
	buf_release(&text);
	return ret;
}

void mailsync_state_release(struct mailsync_state *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		free(s->items[i].key);
		free(s->items[i].mailbox);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

int mailsync_state_advance(struct mailsync_state *s, const char *root, const char *rel,
			   const char *key, const char *mailbox, unsigned long uidvalidity,
			   unsigned long last_uid)
{
	const struct mailsync_mark *m = mailsync_state_get(s, key);

	if (m && m->last_uid == last_uid && m->uidvalidity == uidvalidity && !strcmp(m->mailbox, mailbox))
		return 0;
	mailsync_state_set(s, key, mailbox, uidvalidity, last_uid);
	return mailsync_state_save(s, root, rel) < 0 ? -1 : 1;
}

/* ---- suppressions ---- */

/* Marks the person of field (an address or a hash) seen; 1 when new. */
static int see(struct strmap *seen, const char *field)
{
	char hash[ADDR_HASH_LEN + 1];
	int is_new;

	if (addr_is_hash(field))
		strmap_put(seen, field, &is_new);
	else {
		addr_hash(field, hash);
		strmap_put(seen, hash, &is_new);
	}
	return is_new;
}

int mailsync_suppress(const char *root, struct mailsync_suppression *lines, size_t n, int hash,
		      size_t *added_out)
{
	struct strmap seen = STRMAP_INIT;
	struct buf text = BUF_INIT;
	char when[32], *addr = NULL;
	const char *line, *nl;
	size_t i, added = 0, len;
	int r, ret = -1;

	if (added_out)
		*added_out = 0;
	r = content_read(&text, root, SUPPRESSIONS_FILE, SUPPRESSIONS_MAX, NULL);
	if (r == CONTENT_REFUSED)
		goto done;
	if (r < 0 && errno != ENOENT) {
		error_set("cannot read '%s': %s", SUPPRESSIONS_FILE, strerror(errno));
		goto done;
	}
	/* the addresses there already: the first field of every line */
	for (line = text.ptr; *line; line = nl ? nl + 1 : line + len) {
		nl = strchr(line, '\n');
		len = strcspn(line, "\t\r\n");
		if (len && *line != '#') {
			addr = xstrndup(line, len);
			see(&seen, addr);
			free(addr);
			addr = NULL;
		}
		if (!nl)
			break;
	}
	if (!text.len)
		buf_adds(&text, "address\treason\ttime\tsource\n");
	else if (text.ptr[text.len - 1] != '\n')
		buf_addc(&text, '\n');
	for (i = 0; i < n; i++) {
		lines[i].added = 0;
		if (!clean_field(lines[i].address) || !clean_field(lines[i].reason) ||
		    !clean_field(lines[i].source)) {
			error_set("cannot add '%s' to %s: a control character in a field",
				  lines[i].address, SUPPRESSIONS_FILE);
			goto done;
		}
		addr = suppression_field(lines[i].address, hash);
		if (see(&seen, addr)) {
			time_format_rfc3339(when, lines[i].time);
			buf_addf(&text, "%s\t%s\t%s\t%s\n", addr, lines[i].reason, when, lines[i].source);
			lines[i].added = 1;
			added++;
		}
		free(addr);
		addr = NULL;
	}
	if (added && (content_mkdir_parents(root, SUPPRESSIONS_FILE) < 0 ||
		      content_write_atomic(root, SUPPRESSIONS_FILE, text.ptr, text.len) < 0))
		goto done;
	if (added_out)
		*added_out = added;
	ret = 0;
done:
	if (ret < 0) {
		for (i = 0; i < n; i++)
			lines[i].added = 0;
	}
	free(addr);
	strmap_release(&seen, NULL);
	buf_release(&text);
	return ret;
}

/* ---- logging in ---- */

static const char *env_secret(const char *name, const char *what)
{
	const char *v = name ? getenv(name) : NULL;

	if (!name) {
		error_set("%s: no environment variable is named for the secret", what);
		return NULL;
	}
	if (!v || !*v) {
		error_set("%s: %s is not set", what, name);
		return NULL;
	}
	return v;
}

/* The TLS settings of the configuration as imap_open() takes them. */
void mailsync_tls_options(struct imap_options *o, const struct tls_config *tls)
{
	if (!tls)
		return;
	o->tls = tls->mode;
	o->ca_pem = tls->ca_pem;
	o->ca_pem_len = tls->ca_pem_len;
	o->ca_file = tls->ca_pem ? NULL : tls->ca_file;
}

int mailsync_open(struct imap **out, const char *url, const char *username,
		  const char *password_env, const struct tls_config *tls)
{
	struct imap_options o;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	mailsync_tls_options(&o, tls);
	o.url = url;
	o.username = username;
	o.password = env_secret(password_env, url);
	if (!o.password)
		return -1;
	return imap_open(out, &o);
}

int mailsync_open_account(struct imap **out, const struct account *a)
{
	struct imap_options o;
	char *token = NULL, *why = NULL;
	int ret = -1;

	*out = NULL;
	if (a->auth != AUTH_OAUTH2)
		return mailsync_open(out, a->imap, a->username, a->password_env, &a->tls);
	memset(&o, 0, sizeof(o));
	mailsync_tls_options(&o, &a->tls);
	if (oauth_account_token(&token, a) < 0) {
		why = xstrdup(error_last());
		error_set("%s: cannot get an access token: %s", a->imap, why);
		goto done;
	}
	o.url = a->imap;
	o.username = a->username;
	o.bearer = token;
	ret = imap_open(out, &o);
done:
	secret_free(token);
	free(why);
	return ret;
}

/* ---- delivery reports ---- */

static int hard_code(const char *status)
{
	return status && (!strncmp(status, "5.1.", 4) || !strcmp(status, "5.2.1"));
}

enum bounce_kind mailsync_bounce_kind(const char *action, const char *status)
{
	if (action && (!strcmp(action, "delivered") || !strcmp(action, "relayed") ||
		       !strcmp(action, "expanded")))
		return BOUNCE_NONE;
	if (action && strcmp(action, "failed") && strcmp(action, "delayed"))
		return BOUNCE_NONE;
	if (!action && !status)
		return BOUNCE_NONE;
	if (status && !strncmp(status, "5.7.", 4))
		return BOUNCE_POLICY;
	if ((action && !strcmp(action, "delayed")) || (status && status[0] == '4') ||
	    (status && !strcmp(status, "5.2.2")))
		return BOUNCE_TEMPORARY;
	if (hard_code(status))
		return BOUNCE_HARD;
	return BOUNCE_OTHER;
}

const char *mailsync_bounce_kind_name(enum bounce_kind k)
{
	switch (k) {
	case BOUNCE_NONE:
		return "no failure";
	case BOUNCE_HARD:
		return "hard bounce";
	case BOUNCE_TEMPORARY:
		return "temporary";
	case BOUNCE_POLICY:
		return "policy";
	case BOUNCE_OTHER:
		return "other failure";
	}
	return "?";
}

/* Printable ASCII and UTF-8 kept; control characters become spaces. */
static void add_printable(struct buf *b, const char *s, size_t max)
{
	size_t start = b->len;

	for (; *s && b->len - start < max; s++) {
		unsigned char c = (unsigned char)*s;

		buf_addc(b, c < 32 || c == 127 ? ' ' : (char)c);
	}
	/* do not end inside a UTF-8 sequence */
	if (*s) {
		while (b->len > start && ((unsigned char)b->ptr[b->len - 1] & 0xc0) == 0x80)
			buf_truncate(b, b->len - 1);
		if (b->len > start && (unsigned char)b->ptr[b->len - 1] >= 0xc0)
			buf_truncate(b, b->len - 1);
	}
}

/* What a bounce text may still take. */
static size_t room(const struct buf *text)
{
	return text->len < BOUNCE_TEXT_MAX ? BOUNCE_TEXT_MAX - text->len : 0;
}

void mailsync_bounce_describe(struct mailsync_bounce *out, const struct dsn_recipient *r)
{
	struct buf text = BUF_INIT;
	const char *d = r->diagnostic;

	memset(out, 0, sizeof(*out));
	out->kind = mailsync_bounce_kind(r->action, r->status);
	memcpy(out->code, "-", 2);
	if (d && d[0] >= '2' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' && d[2] >= '0' &&
	    d[2] <= '9' && (d[3] == ' ' || d[3] == '-' || d[3] == '\0')) {
		memcpy(out->code, d, 3);
		out->code[3] = '\0';
	}
	/* the plan reads 5.1.x and 5.2.1 as a hard bounce: only for one */
	if (r->status && strlen(r->status) < sizeof(out->enhanced) &&
	    (out->kind == BOUNCE_HARD || !hard_code(r->status)))
		memcpy(out->enhanced, r->status, strlen(r->status) + 1);
	else
		memcpy(out->enhanced, "-", 2);
	/* each piece within what is left of BOUNCE_TEXT_MAX */
	add_printable(&text, "delivery report: ", room(&text));
	add_printable(&text, r->action ? r->action : "failed", room(&text));
	if (r->status && strcmp(out->enhanced, r->status)) {
		add_printable(&text, " (", room(&text));
		add_printable(&text, r->status, room(&text));
		add_printable(&text, ")", room(&text));
	}
	if (d) {
		add_printable(&text, ": ", room(&text));
		add_printable(&text, d, room(&text));
	}
	out->text = buf_detach(&text, NULL);
}

void mailsync_bounce_release(struct mailsync_bounce *b)
{
	if (!b)
		return;
	free(b->text);
	b->text = NULL;
}
