#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "safefile.h"
#include "util.h"
#include "mime.h"
#include "xalloc.h"
#include "yamlfile.h"

int header_safe(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 0;
	}
	return 1;
}

int id_check(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 64)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return -1;
	}
	return 0;
}

static int atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

int address_check(const char *s, const char **why)
{
	const char *at = strrchr(s, '@'), *p, *label;
	size_t n = strlen(s);

	if (!n || !at) {
		*why = n ? "no '@'" : "it is empty";
		return -1;
	}
	if (n > 254) {
		*why = "longer than 254 characters";
		return -1;
	}
	if (at == s || at - s > 64) {
		*why = at == s ? "empty local part" : "local part longer than 64 characters";
		return -1;
	}
	for (p = s; p < at; p++) {
		if (*p == '.') {
			if (p == s || p + 1 == at || p[1] == '.') {
				*why = "misplaced '.' in the local part";
				return -1;
			}
		} else if (!atext(*p)) {
			*why = "invalid character in the local part";
			return -1;
		}
	}
	label = at + 1;
	if (!*label || !strchr(label, '.')) {
		*why = "the domain needs at least two labels";
		return -1;
	}
	for (p = label;; p++) {
		if (*p == '.' || !*p) {
			if (p == label || p - label > 63 || label[0] == '-' || p[-1] == '-') {
				*why = "invalid domain label";
				return -1;
			}
			if (!*p)
				break;
			label = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-')) {
			*why = "invalid character in the domain";
			return -1;
		}
	}
	return 0;
}

/* Reading values: each reports its own problem and returns NULL. */
enum {
	V_HEADER = 1, /* reaches a mail header: no CR, LF, NUL */
	V_ENV = 2, /* names an environment variable */
	V_ADDRESS = 4, /* an e-mail address */
	V_ID = 8,
	V_URL = 16, /* http(s) */
};

static char *get_string(const struct ydoc *doc, const struct ynode *map, const char *key,
			unsigned flags, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(map, key);
	const char *why;
	char *s;

	if (ynode_is_null(n))
		return NULL;
	if (n->kind != YNODE_SCALAR) {
		ydiag(diags, doc, n, DIAG_ERROR, "'%s' must be a value, not %s", key,
		      ynode_kind_name(n->kind));
		return NULL;
	}
	if (!header_safe(n->value, n->len)) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "'%s' contains a line break or NUL, which could inject mail headers", key);
		return NULL;
	}
	s = xstrdup(n->value);
	if ((flags & V_ENV)) {
		const char *p;
		int ok = (*s >= 'A' && *s <= 'Z') || *s == '_';
		for (p = s; *p && ok; p++)
			ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
		if (!ok) {
			ydiag(diags, doc, n, DIAG_ERROR,
			      "'%s' must name an environment variable (like MAILOUT_PASSWORD_X), not '%s'",
			      key, s);
			goto fail;
		}
	}
	if ((flags & V_ADDRESS) && address_check(s, &why) < 0) {
		ydiag(diags, doc, n, DIAG_ERROR, "invalid address '%s' in '%s': %s", s, key, why);
		goto fail;
	}
	if ((flags & V_ID) && id_check(s) < 0) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid id '%s': use letters, digits, '.', '_' and '-' (at most 64)", s);
		goto fail;
	}
	if ((flags & V_URL) && strncmp(s, "https://", 8) && strncmp(s, "http://", 7)) {
		ydiag(diags, doc, n, DIAG_ERROR, "'%s' must be an http(s) URL, not '%s'", key, s);
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

static void set_pos(struct pos *p, const struct ynode *n)
{
	p->line = n ? n->line : 0;
	p->col = n ? n->col : 0;
}

/* The position of the key node of map's key (0:0 when it has none). */
static void key_pos(struct pos *p, const struct ynode *map, const char *key)
{
	size_t i;

	set_pos(p, NULL);
	for (i = 0; map && map->kind == YNODE_MAP && i < map->count; i++) {
		const struct ynode *k = map->items[2 * i];
		if (k->kind == YNODE_SCALAR && !strcmp(k->value, key)) {
			set_pos(p, k);
			return;
		}
	}
}

static const struct ykey top_keys[] = {
	{ "organization", YKEY_REQUIRED }, { "schedule", 0 }, { "unsubscribe", YKEY_REQUIRED },
	{ "git", 0 }, { "privacy", 0 }, { "departments", 0 }, { "people", YKEY_REQUIRED },
	{ "accounts", YKEY_REQUIRED }, { NULL, 0 }
};
static const struct ykey org_keys[] = {
	{ "name", YKEY_REQUIRED }, { "postal_address", YKEY_REQUIRED }, { "language", 0 },
	{ "site_url", YKEY_REQUIRED }, { "timezone", YKEY_REQUIRED }, { NULL, 0 }
};
static const struct ykey schedule_keys[] = {
	{ "working_hours", 0 }, { "suspended_days", 0 }, { "holidays", 0 }, { "burst", 0 },
	{ "burst_gap", 0 }, { NULL, 0 }
};
static const struct ykey unsub_keys[] = {
	{ "address", YKEY_REQUIRED }, { "mailbox", 0 }, { "username", 0 }, { "password_env", 0 },
	{ "one_click_url", 0 }, { "tls", 0 }, { "ca_file", 0 }, { NULL, 0 }
};
static const struct ykey git_keys[] = { { "author", 0 }, { NULL, 0 } };
static const struct ykey privacy_keys[] = { { "hash_suppressions", 0 }, { NULL, 0 } };
static const struct ykey department_keys[] = {
	{ "id", YKEY_REQUIRED }, { "name", YKEY_REQUIRED }, { NULL, 0 }
};
static const struct ykey person_keys[] = {
	{ "id", YKEY_REQUIRED }, { "name", YKEY_REQUIRED }, { "email", YKEY_REQUIRED },
	{ "department", 0 }, { "role", YKEY_REQUIRED }, { NULL, 0 }
};
static const struct ykey account_keys[] = {
	{ "id", YKEY_REQUIRED }, { "owner", YKEY_REQUIRED }, { "from", YKEY_REQUIRED },
	{ "smtp", YKEY_REQUIRED }, { "username", 0 }, { "auth", 0 }, { "password_env", 0 },
	{ "token_url", 0 }, { "client_id", 0 }, { "client_secret_env", 0 },
	{ "refresh_token_env", 0 }, { "imap", 0 }, { "daily_limit", YKEY_REQUIRED },
	{ "main", 0 }, { "working_hours", 0 }, { "timezone", 0 }, { "enabled", 0 },
	{ "tls", 0 }, { "ca_file", 0 }, { "helo", 0 }, { "burst", 0 }, { "burst_gap", 0 },
	{ "sent_mailbox", 0 }, { "smtp_timeout", 0 },
	{ NULL, 0 }
};

static int check_url_scheme(const struct ydoc *doc, const struct ynode *map, const char *key,
			    const char *const *schemes, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(map, key);
	size_t i;

	if (ynode_is_null(n) || n->kind != YNODE_SCALAR)
		return 0;
	for (i = 0; schemes[i]; i++) {
		size_t l = strlen(schemes[i]);
		if (!strncmp(n->value, schemes[i], l) && n->value[l])
			return 0;
	}
	ydiag(diags, doc, n, DIAG_ERROR, "'%s' must be a URL starting with %s%s%s, not '%s'", key,
	      schemes[0], schemes[1] ? " or " : "", schemes[1] ? schemes[1] : "", n->value);
	return -1;
}

/* `tls:` and `ca_file:` of map, for the URLs under the keys url_keys. */
static void load_tls(struct tls_config *t, const struct ydoc *doc, const struct ynode *map,
		     const char *const *url_keys, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(map, "tls");
	char *scheme = NULL, *host = NULL;
	size_t i;

	t->ca_file = get_string(doc, map, "ca_file", 0, diags);
	set_pos(&t->ca_pos, ynode_get(map, "ca_file"));
	if (t->ca_file && !*t->ca_file) {
		free(t->ca_file);
		t->ca_file = NULL;
	}
	if (ynode_is_null(n))
		return;
	if (n->kind != YNODE_SCALAR || tls_mode_parse(&t->mode, n->value) < 0) {
		ydiag(diags, doc, n, DIAG_ERROR, "invalid tls '%s': expected starttls or none",
		      n->kind == YNODE_SCALAR ? n->value : "");
		return;
	}
	for (i = 0; t->mode == TLS_NONE && url_keys[i]; i++) {
		const struct ynode *u = ynode_get(map, url_keys[i]);
		if (ynode_is_null(u) || u->kind != YNODE_SCALAR ||
		    url_scheme_host(&scheme, &host, NULL, u->value) < 0) {
			error_clear();
			continue;
		}
		if ((!strcmp(scheme, "smtp") || !strcmp(scheme, "imap")) && !host_is_loopback(host))
			ydiag(diags, doc, n, DIAG_ERROR,
			      "tls: none sends in plain text, which is allowed only to a loopback address, not to '%s' ('%s')",
			      host, url_keys[i]);
		free(scheme);
		free(host);
		scheme = host = NULL;
	}
}

/* Reads a ca_file given as a path in the repository. */
static void read_ca_file(struct tls_config *t, const char *root, struct diag_list *diags)
{
	struct buf b = BUF_INIT;
	int k;

	if (!t->ca_file || t->ca_file[0] == '/')
		return;
	k = content_read(&b, root, t->ca_file, (size_t)1 << 20, diags);
	if (k == CONTENT_REFUSED)
		goto done;
	if (k < 0 && errno == ENOENT) {
		diag_add(diags, DIAG_ERROR, CONFIG_FILE, t->ca_pos.line, t->ca_pos.col,
			 "ca_file '%s' is not in the repository", t->ca_file);
		goto done;
	}
	if (k < 0) {
		diag_add(diags, DIAG_ERROR, CONFIG_FILE, t->ca_pos.line, t->ca_pos.col,
			 "cannot read ca_file '%s': %s", t->ca_file, strerror(errno));
		goto done;
	}
	if (!strstr(b.ptr, "-----BEGIN CERTIFICATE-----")) {
		diag_add(diags, DIAG_ERROR, CONFIG_FILE, t->ca_pos.line, t->ca_pos.col,
			 "ca_file '%s' holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
			 t->ca_file);
		goto done;
	}
	t->ca_pem_len = b.len;
	t->ca_pem = buf_detach(&b, NULL);
done:
	buf_release(&b);
}

static void tls_config_release(struct tls_config *t)
{
	free(t->ca_file);
	free(t->ca_pem);
}

static const struct tz *load_zone(const struct ydoc *doc, const struct ynode *n,
				  struct diag_list *diags)
{
	const struct tz *z;

	if (ynode_is_null(n) || n->kind != YNODE_SCALAR)
		return NULL;
	z = tz_get(n->value);
	if (!z)
		ydiag(diags, doc, n, DIAG_ERROR, "unknown time zone '%s' (use an IANA name like Europe/Berlin)",
		      n->value);
	return z;
}

static void load_hours(const struct ydoc *doc, const struct ynode *n, struct schedule *s,
		       struct diag_list *diags)
{
	if (ynode_is_null(n))
		return;
	if (n->kind != YNODE_SCALAR || hours_parse(n->value, &s->start_min, &s->end_min) < 0)
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid working hours '%s': expected HH:MM-HH:MM with the start before the end (end exclusive, 24:00 allowed)",
		      n->kind == YNODE_SCALAR ? n->value : "");
}

/* burst: N (attempts a full bucket holds) and burst_gap: a duration. */
static void load_burst(const struct ydoc *doc, const struct ynode *map, struct schedule *s,
		       struct diag_list *diags)
{
	const struct ynode *n = ynode_get(map, "burst");
	long v;

	if (n && !ynode_is_null(n) && ynode_int(doc, n, 1, 1000, &v, diags) == 0)
		s->burst = (int)v;
	n = ynode_get(map, "burst_gap");
	if (!n || ynode_is_null(n))
		return;
	if (n->kind != YNODE_SCALAR || duration_parse(n->value, &v) < 0 || v < 1 || v > 3600) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid burst_gap '%s': expected a duration from 1s to 1h, such as 20s",
		      n->kind == YNODE_SCALAR ? n->value : "");
		error_clear();
		return;
	}
	s->burst_gap = v;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

static void load_schedule(struct config *c, const struct ydoc *doc, const struct ynode *map,
			  struct diag_list *diags)
{
	const struct ynode *n;
	size_t i, cap = 0;

	c->schedule.start_min = 8 * 60 + 30;
	c->schedule.end_min = 17 * 60 + 30;
	c->schedule.suspended = (1u << 5) | (1u << 6) | (1u << 0);
	c->schedule.burst = 1;
	c->schedule.burst_gap = SCHEDULE_BURST_GAP_DEFAULT;
	if (!map)
		goto out;
	if (ymap_check(doc, map, "schedule", schedule_keys, diags) && map->kind != YNODE_MAP)
		goto out;
	load_hours(doc, ynode_get(map, "working_hours"), &c->schedule, diags);
	load_burst(doc, map, &c->schedule, diags);
	n = ynode_get(map, "suspended_days");
	if (n && !ynode_is_null(n) && ynode_expect(doc, n, YNODE_SEQ, "suspended_days", diags) == 0) {
		c->schedule.suspended = 0;
		for (i = 0; i < n->count; i++) {
			const struct ynode *d = n->items[i];
			int wd = d->kind == YNODE_SCALAR ? weekday_parse(d->value) : -1;
			if (wd < 0)
				ydiag(diags, doc, d, DIAG_ERROR,
				      "invalid weekday '%s': expected mon, tue, wed, thu, fri, sat or sun",
				      d->kind == YNODE_SCALAR ? d->value : "");
			else
				c->schedule.suspended |= 1u << wd;
		}
	} else if (n && ynode_is_null(n)) {
		c->schedule.suspended = 0;
	}
	n = ynode_get(map, "holidays");
	if (n && !ynode_is_null(n) && ynode_expect(doc, n, YNODE_SEQ, "holidays", diags) == 0) {
		for (i = 0; i < n->count; i++) {
			const struct ynode *d = n->items[i];
			int ymd;
			if (d->kind != YNODE_SCALAR || date_parse(d->value, &ymd) < 0) {
				ydiag(diags, doc, d, DIAG_ERROR,
				      "invalid date '%s': expected an existing date as YYYY-MM-DD",
				      d->kind == YNODE_SCALAR ? d->value : "");
				continue;
			}
			XGROW(c->holidays, cap, c->nholidays + 1);
			c->holidays[c->nholidays++] = ymd;
		}
		if (c->nholidays)
			qsort(c->holidays, c->nholidays, sizeof(int), cmp_int);
	}
out:
	c->schedule.holidays = c->holidays;
	c->schedule.nholidays = c->nholidays;
	c->schedule.zone = c->zone;
}

/* What a list item is called in messages: "account 'alice-main'", or just
 * "account" while it has no usable id. */
static char *item_name(const char *kind, const struct ynode *m)
{
	const struct ynode *id = ynode_get(m, "id");

	if (id && id->kind == YNODE_SCALAR && !ynode_is_null(id) && id_check(id->value) == 0)
		return xasprintf("%s '%s'", kind, id->value);
	return xstrdup(kind);
}

/* Reports a duplicate id at the second occurrence; returns 1 if dup. */
static int check_duplicate(struct strmap *seen, const struct ydoc *doc, const struct ynode *n,
			   const char *what, struct diag_list *diags)
{
	struct strmap_entry *e;
	int added;

	if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n))
		return 0;
	e = strmap_put(seen, n->value, &added);
	if (added) {
		e->value = (void *)(size_t)n->line;
		return 0;
	}
	ydiag(diags, doc, n, DIAG_ERROR, "duplicate %s id '%s' (first at line %zu)", what, n->value,
	      (size_t)e->value);
	return 1;
}

static const struct ynode *list_of_maps(const struct ydoc *doc, const struct ynode *top,
					const char *key, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(top, key);

	if (ynode_is_null(n))
		return NULL;
	if (ynode_expect(doc, n, YNODE_SEQ, key, diags) < 0)
		return NULL;
	return n;
}

static void load_departments(struct config *c, const struct ydoc *doc, const struct ynode *top,
			     struct diag_list *diags)
{
	const struct ynode *list = list_of_maps(doc, top, "departments", diags);
	struct strmap seen = STRMAP_INIT;
	size_t i;

	if (!list)
		return;
	c->departments = xcalloc(list->count, sizeof(*c->departments));
	for (i = 0; i < list->count; i++) {
		const struct ynode *m = list->items[i];
		struct department *d;
		char *what;
		int problems;

		what = item_name("department", m);
		problems = ymap_check(doc, m, what, department_keys, diags);
		free(what);
		if (problems && m->kind != YNODE_MAP)
			continue;
		if (check_duplicate(&seen, doc, ynode_get(m, "id"), "department", diags))
			continue;
		d = &c->departments[c->ndepartments++];
		d->id = get_string(doc, m, "id", V_ID, diags);
		d->name = get_string(doc, m, "name", V_HEADER, diags);
		set_pos(&d->pos, m);
	}
	strmap_release(&seen, NULL);
}

static void load_people(struct config *c, const struct ydoc *doc, const struct ynode *top,
			struct diag_list *diags)
{
	const struct ynode *list = list_of_maps(doc, top, "people", diags);
	struct strmap seen = STRMAP_INIT;
	size_t i;

	if (!list)
		return;
	c->people = xcalloc(list->count, sizeof(*c->people));
	for (i = 0; i < list->count; i++) {
		const struct ynode *m = list->items[i], *n;
		struct person *p;
		char *what;
		int problems;

		what = item_name("person", m);
		problems = ymap_check(doc, m, what, person_keys, diags);
		free(what);
		if (problems && m->kind != YNODE_MAP)
			continue;
		if (check_duplicate(&seen, doc, ynode_get(m, "id"), "person", diags))
			continue;
		p = &c->people[c->npeople++];
		p->id = get_string(doc, m, "id", V_ID, diags);
		p->name = get_string(doc, m, "name", V_HEADER, diags);
		p->email = get_string(doc, m, "email", V_HEADER | V_ADDRESS, diags);
		p->department = get_string(doc, m, "department", V_ID, diags);
		set_pos(&p->pos, m);
		n = ynode_get(m, "role");
		if (n && n->kind == YNODE_SCALAR && !ynode_is_null(n)) {
			if (!strcmp(n->value, "sales_manager"))
				p->role = ROLE_SALES_MANAGER;
			else if (!strcmp(n->value, "company_manager"))
				p->role = ROLE_COMPANY_MANAGER;
			else
				ydiag(diags, doc, n, DIAG_ERROR,
				      "invalid role '%s': expected sales_manager or company_manager",
				      n->value);
		}
		n = ynode_get(m, "department");
		if (p->department && !config_department(c, p->department))
			ydiag(diags, doc, n, DIAG_ERROR, "unknown department '%s'", p->department);
		else if (!p->department && p->role == ROLE_SALES_MANAGER && !ynode_get(m, "department"))
			ydiag(diags, doc, m, DIAG_ERROR,
			      "sales manager '%s' needs a department", p->id ? p->id : "");
	}
	strmap_release(&seen, NULL);
}

/* `helo:` is a fully qualified domain name. */
static void check_helo(const struct ydoc *doc, const struct ynode *m, struct diag_list *diags)
{
	const struct ynode *n = ynode_get(m, "helo");
	const char *why;
	char *probe;

	if (ynode_is_null(n) || n->kind != YNODE_SCALAR)
		return;
	probe = xasprintf("postmaster@%s", n->value);
	if (address_check(probe, &why) < 0)
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid helo '%s': expected a fully qualified domain name such as mail.example.com",
		      n->value);
	free(probe);
}

/* `sent_mailbox:` a mailbox name as IMAP takes it (printable ASCII), and
 * only for an account with `imap:`. */
static void load_sent_mailbox(struct account *a, const struct ydoc *doc, const struct ynode *m,
			      struct diag_list *diags)
{
	const unsigned char *p;

	a->sent_mailbox = get_string(doc, m, "sent_mailbox", V_HEADER, diags);
	if (!a->sent_mailbox)
		return;
	for (p = (const unsigned char *)a->sent_mailbox; *p && *p >= 32 && *p < 127; p++)
		;
	if (*p || !*a->sent_mailbox) {
		ydiag(diags, doc, ynode_get(m, "sent_mailbox"), DIAG_ERROR,
		      "invalid 'sent_mailbox': a mailbox name in printable ASCII (IMAP's modified UTF-7 for others), such as Sent");
		free(a->sent_mailbox);
		a->sent_mailbox = NULL;
	} else if (!ynode_get(m, "imap")) {
		ydiag(diags, doc, ynode_get(m, "sent_mailbox"), DIAG_WARNING,
		      "'sent_mailbox' is read on the 'imap' server, and this account has none");
	}
}

/* `smtp_timeout:`, the wait for the reply to the final '.' (a duration). */
static void load_smtp_timeout(struct account *a, const struct ydoc *doc, const struct ynode *m,
			      struct diag_list *diags)
{
	const struct ynode *n = ynode_get(m, "smtp_timeout");
	long seconds = 0;

	a->smtp_timeout = 0;
	if (ynode_is_null(n))
		return;
	if (n->kind != YNODE_SCALAR || duration_parse(n->value, &seconds) < 0 ||
	    seconds < SMTP_TIMEOUT_MIN || seconds > SMTP_TIMEOUT_MAX) {
		ydiag(diags, doc, n, DIAG_ERROR,
		      "invalid smtp_timeout '%s': expected a duration from 1s to 1h, such as 10m",
		      n->kind == YNODE_SCALAR ? n->value : "");
		error_clear();
		return;
	}
	a->smtp_timeout = seconds;
}

static void load_account(struct config *c, struct account *a, const struct ydoc *doc,
			 const struct ynode *m, struct diag_list *diags)
{
	static const char *const smtp_schemes[] = { "smtps://", "smtp://", NULL };
	static const char *const imap_schemes[] = { "imaps://", "imap://", NULL };
	static const char *const account_url_keys[] = { "smtp", "imap", NULL };
	const struct ynode *n;
	long limit;
	const char *what;

	a->id = get_string(doc, m, "id", V_ID, diags);
	what = a->id ? a->id : "";
	a->owner = get_string(doc, m, "owner", V_ID, diags);
	a->from = get_string(doc, m, "from", V_HEADER, diags);
	a->smtp = get_string(doc, m, "smtp", V_HEADER, diags);
	a->username = get_string(doc, m, "username", V_HEADER, diags);
	a->password_env = get_string(doc, m, "password_env", V_ENV, diags);
	a->token_url = get_string(doc, m, "token_url", V_URL, diags);
	a->client_id = get_string(doc, m, "client_id", V_HEADER, diags);
	a->client_secret_env = get_string(doc, m, "client_secret_env", V_ENV, diags);
	a->refresh_token_env = get_string(doc, m, "refresh_token_env", V_ENV, diags);
	a->imap = get_string(doc, m, "imap", V_HEADER, diags);
	a->timezone = get_string(doc, m, "timezone", 0, diags);
	a->helo = get_string(doc, m, "helo", V_HEADER, diags);
	load_sent_mailbox(a, doc, m, diags);
	load_tls(&a->tls, doc, m, account_url_keys, diags);
	a->enabled = 1;
	set_pos(&a->pos, m);
	check_url_scheme(doc, m, "smtp", smtp_schemes, diags);
	check_url_scheme(doc, m, "imap", imap_schemes, diags);

	if (a->owner && !config_person(c, a->owner))
		ydiag(diags, doc, ynode_get(m, "owner"), DIAG_ERROR, "unknown person '%s' as owner of account '%s'",
		      a->owner, what);
	if (a->from) {
		struct mime_address addr;
		const char *why;
		memset(&addr, 0, sizeof(addr));
		if (mime_parse_address(&addr, a->from) < 0 || address_check(addr.address, &why) < 0)
			ydiag(diags, doc, ynode_get(m, "from"), DIAG_ERROR,
			      "invalid 'from' '%s': expected \"Name <address@example.com>\"", a->from);
		else if (!a->helo)
			a->helo = xstrdup(strrchr(addr.address, '@') + 1);
		if (addr.address)
			mime_address_release(&addr);
		error_clear();
	}
	check_helo(doc, m, diags);
	load_smtp_timeout(a, doc, m, diags);
	n = ynode_get(m, "daily_limit");
	if (n && ynode_int(doc, n, 1, 1000000, &limit, diags) == 0)
		a->daily_limit = limit;
	n = ynode_get(m, "main");
	if (n)
		ynode_bool(doc, n, &a->main, diags);
	n = ynode_get(m, "enabled");
	if (n)
		ynode_bool(doc, n, &a->enabled, diags);

	n = ynode_get(m, "auth");
	if (n && !ynode_is_null(n)) {
		if (n->kind == YNODE_SCALAR && !strcmp(n->value, "oauth2"))
			a->auth = AUTH_OAUTH2;
		else if (n->kind != YNODE_SCALAR || strcmp(n->value, "password"))
			ydiag(diags, doc, n, DIAG_ERROR, "invalid auth '%s': expected password or oauth2",
			      n->kind == YNODE_SCALAR ? n->value : "");
	}
	if (a->auth == AUTH_OAUTH2) {
		static const char *const need[] = { "token_url", "client_id", "refresh_token_env", "username" };
		size_t i;
		for (i = 0; i < 4; i++) {
			if (ynode_is_null(ynode_get(m, need[i])))
				ydiag(diags, doc, m, DIAG_ERROR, "account '%s' with auth: oauth2 needs '%s'",
				      what, need[i]);
		}
		if (ynode_get(m, "password_env"))
			ydiag(diags, doc, ynode_get(m, "password_env"), DIAG_ERROR,
			      "account '%s' uses oauth2: 'password_env' does not apply", what);
	} else {
		static const char *const oauth_only[] = { "token_url", "client_id", "client_secret_env", "refresh_token_env" };
		size_t i;
		for (i = 0; i < 4; i++) {
			if (ynode_get(m, oauth_only[i]))
				ydiag(diags, doc, ynode_get(m, oauth_only[i]), DIAG_ERROR,
				      "'%s' applies only to auth: oauth2", oauth_only[i]);
		}
		if (!ynode_is_null(ynode_get(m, "username")) && ynode_is_null(ynode_get(m, "password_env")))
			ydiag(diags, doc, m, DIAG_ERROR,
			      "account '%s' has a username but no 'password_env' naming the variable that holds its password",
			      what);
	}

	a->schedule = c->schedule;
	n = ynode_get(m, "timezone");
	if (n && !ynode_is_null(n)) {
		const struct tz *z = load_zone(doc, n, diags);
		if (z)
			a->schedule.zone = z;
	}
	load_hours(doc, ynode_get(m, "working_hours"), &a->schedule, diags);
	load_burst(doc, m, &a->schedule, diags);
}

static void load_accounts(struct config *c, const struct ydoc *doc, const struct ynode *top,
			  struct diag_list *diags)
{
	const struct ynode *list = list_of_maps(doc, top, "accounts", diags);
	struct strmap seen = STRMAP_INIT;
	size_t i;

	if (!list)
		return;
	c->accounts = xcalloc(list->count, sizeof(*c->accounts));
	for (i = 0; i < list->count; i++) {
		const struct ynode *m = list->items[i];
		char *what;
		int problems;

		what = item_name("account", m);
		problems = ymap_check(doc, m, what, account_keys, diags);
		free(what);
		if (problems && m->kind != YNODE_MAP)
			continue;
		if (check_duplicate(&seen, doc, ynode_get(m, "id"), "account", diags))
			continue;
		load_account(c, &c->accounts[c->naccounts++], doc, m, diags);
	}
	strmap_release(&seen, NULL);
}

/* A BCP 47 tag in its common shape: a 2-3 letter language, then subtags. */
static int language_tag_valid(const char *t)
{
	size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

	if (n < 2 || n > 3)
		return 0;
	for (t += n; *t; t += n) {
		if (*t++ != '-')
			return 0;
		n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		if (n < 1 || n > 8)
			return 0;
	}
	return 1;
}

static void load_language(struct config *c, const struct ydoc *doc, const struct ynode *m,
			  struct diag_list *diags)
{
	c->language = get_string(doc, m, "language", V_HEADER, diags);
	if (c->language && !language_tag_valid(c->language)) {
		ydiag(diags, doc, ynode_get(m, "language"), DIAG_ERROR,
		      "invalid language '%s': expected a language tag such as 'en' or 'de-AT'",
		      c->language);
		free(c->language);
		c->language = NULL;
	}
}

static void load_organization(struct config *c, const struct ydoc *doc, const struct ynode *m,
			      struct diag_list *diags)
{
	if (!m || (ymap_check(doc, m, "organization", org_keys, diags) && m->kind != YNODE_MAP))
		return;
	c->org_name = get_string(doc, m, "name", V_HEADER, diags);
	c->postal_address = get_string(doc, m, "postal_address", 0, diags);
	c->site_url = get_string(doc, m, "site_url", V_URL | V_HEADER, diags);
	c->timezone = get_string(doc, m, "timezone", 0, diags);
	c->zone = load_zone(doc, ynode_get(m, "timezone"), diags);
	load_language(c, doc, m, diags);
	if (c->site_url) {
		size_t n = strlen(c->site_url);
		while (n > 8 && c->site_url[n - 1] == '/')
			c->site_url[--n] = '\0';
	}
}

static void load_unsubscribe(struct config *c, const struct ydoc *doc, const struct ynode *m,
			     struct diag_list *diags)
{
	static const char *const imap_schemes[] = { "imaps://", "imap://", NULL };
	static const char *const mailbox_keys[] = { "mailbox", NULL };

	if (!m || (ymap_check(doc, m, "unsubscribe", unsub_keys, diags) && m->kind != YNODE_MAP))
		return;
	c->unsubscribe_address = get_string(doc, m, "address", V_HEADER | V_ADDRESS, diags);
	c->unsubscribe_mailbox = get_string(doc, m, "mailbox", V_HEADER, diags);
	c->unsubscribe_username = get_string(doc, m, "username", V_HEADER, diags);
	c->unsubscribe_password_env = get_string(doc, m, "password_env", V_ENV, diags);
	c->one_click_url = get_string(doc, m, "one_click_url", V_URL | V_HEADER, diags);
	check_url_scheme(doc, m, "mailbox", imap_schemes, diags);
	load_tls(&c->unsubscribe_tls, doc, m, mailbox_keys, diags);
	if (c->one_click_url && strncmp(c->one_click_url, "https://", 8))
		ydiag(diags, doc, ynode_get(m, "one_click_url"), DIAG_ERROR,
		      "'one_click_url' must be an https URL (RFC 8058)");
	if (c->unsubscribe_mailbox && (!c->unsubscribe_username || !c->unsubscribe_password_env))
		ydiag(diags, doc, ynode_get(m, "mailbox"), DIAG_ERROR,
		      "'mailbox' needs 'username' and 'password_env'");
}

static void load_git(struct config *c, const struct ydoc *doc, const struct ynode *m,
		     struct diag_list *diags)
{
	if (!m || ynode_is_null(m) ||
	    (ymap_check(doc, m, "git", git_keys, diags) && m->kind != YNODE_MAP))
		return;
	c->git_author = get_string(doc, m, "author", V_HEADER, diags);
	if (c->git_author) {
		struct mime_address addr = { NULL, NULL };
		if (mime_parse_address(&addr, c->git_author) < 0 || !addr.name)
			ydiag(diags, doc, ynode_get(m, "author"), DIAG_ERROR,
			      "invalid git author '%s': expected \"Name <address>\"", c->git_author);
		if (addr.address)
			mime_address_release(&addr);
		error_clear();
	}
}

static void load_privacy(struct config *c, const struct ydoc *doc, const struct ynode *m,
			 struct diag_list *diags)
{
	const struct ynode *n;

	if (!m || ynode_is_null(m) ||
	    (ymap_check(doc, m, "privacy", privacy_keys, diags) && m->kind != YNODE_MAP))
		return;
	n = ynode_get(m, "hash_suppressions");
	if (n && !ynode_is_null(n))
		ynode_bool(doc, n, &c->hash_suppressions, diags);
}

int config_load(struct config *out, const char *root, struct diag_list *diags)
{
	struct ydoc *doc = NULL;
	size_t i;
	int ret;

	if (ydoc_load_file(&doc, root, CONFIG_FILE, diags) < 0) {
		memset(out, 0, sizeof(*out));
		load_schedule(out, NULL, NULL, diags);
		return -1;
	}
	ret = config_load_doc(out, doc, diags);
	ydoc_free(doc);
	read_ca_file(&out->unsubscribe_tls, root, diags);
	for (i = 0; i < out->naccounts; i++)
		read_ca_file(&out->accounts[i].tls, root, diags);
	return ret;
}

int config_load_doc(struct config *out, const struct ydoc *doc, struct diag_list *diags)
{
	const struct ynode *top;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	load_schedule(out, NULL, NULL, diags);
	top = doc->root;
	ydoc_check_secrets(doc, diags);
	if (!top) {
		diag_add(diags, DIAG_ERROR, CONFIG_FILE, 0, 0, "file is empty");
		goto done;
	}
	if (ymap_check(doc, top, CONFIG_FILE, top_keys, diags) && top->kind != YNODE_MAP)
		goto done;
	load_organization(out, doc, ynode_get(top, "organization"), diags);
	if (!out->language)
		out->language = xstrdup("en");
	load_schedule(out, doc, ynode_get(top, "schedule"), diags);
	load_unsubscribe(out, doc, ynode_get(top, "unsubscribe"), diags);
	key_pos(&out->unsubscribe_pos, top, "unsubscribe");
	load_git(out, doc, ynode_get(top, "git"), diags);
	load_privacy(out, doc, ynode_get(top, "privacy"), diags);
	load_departments(out, doc, top, diags);
	load_people(out, doc, top, diags);
	load_accounts(out, doc, top, diags);
	ret = 0;
done:
	return ret;
}

void config_release(struct config *c)
{
	size_t i;

	free(c->org_name);
	free(c->postal_address);
	free(c->language);
	free(c->site_url);
	free(c->timezone);
	free(c->holidays);
	free(c->unsubscribe_address);
	free(c->unsubscribe_mailbox);
	free(c->unsubscribe_username);
	free(c->unsubscribe_password_env);
	free(c->one_click_url);
	tls_config_release(&c->unsubscribe_tls);
	free(c->git_author);
	for (i = 0; i < c->ndepartments; i++) {
		free(c->departments[i].id);
		free(c->departments[i].name);
	}
	free(c->departments);
	for (i = 0; i < c->npeople; i++) {
		free(c->people[i].id);
		free(c->people[i].name);
		free(c->people[i].email);
		free(c->people[i].department);
	}
	free(c->people);
	for (i = 0; i < c->naccounts; i++) {
		struct account *a = &c->accounts[i];
		free(a->id);
		free(a->owner);
		free(a->from);
		free(a->smtp);
		free(a->username);
		free(a->password_env);
		free(a->token_url);
		free(a->client_id);
		free(a->client_secret_env);
		free(a->refresh_token_env);
		free(a->imap);
		free(a->sent_mailbox);
		tls_config_release(&a->tls);
		free(a->helo);
		free(a->timezone);
	}
	free(c->accounts);
	memset(c, 0, sizeof(*c));
}

const struct person *config_person(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; id && i < c->npeople; i++) {
		if (c->people[i].id && !strcmp(c->people[i].id, id))
			return &c->people[i];
	}
	return NULL;
}

const struct account *config_account(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; id && i < c->naccounts; i++) {
		if (c->accounts[i].id && !strcmp(c->accounts[i].id, id))
			return &c->accounts[i];
	}
	return NULL;
}

const struct department *config_department(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; id && i < c->ndepartments; i++) {
		if (c->departments[i].id && !strcmp(c->departments[i].id, id))
			return &c->departments[i];
	}
	return NULL;
}
