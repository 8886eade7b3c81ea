/*
 * The bare baseline of the plan benchmark: what any program must at least
 * do to turn the recipient files into the plan's rows.
 *
 *   bench_baseline SCHEMA REPO SELECTION DB
 *
 * Creates DB from SCHEMA (the plan's own schema.sql), parses the YAML
 * files of REPO/recipients/TYPE/ with libyaml's event API alone, and
 * inserts one recipients row per record and one deliveries row per (campaign,
 * recipient) the campaign selects (with the SHA-256 of the address, as the
 * plan keeps it), in one transaction with one prepared
 * statement per table.  SELECTION (written by gen_repo.py) holds the
 * accounts and each campaign's type, owner, vip_only and filter, so no
 * campaign file is read.  Prints the row counts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>
#include <yaml.h>

static const char *const type_names[] = { "contacts", "companies", "leads" };
#define NTYPES 3
#define MAX_FIELDS 64
#define MAX_VALUES 32

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_baseline: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *grow(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *dup_str(const char *s, size_t len)
{
	char *d = grow(NULL, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* ---- a growable byte buffer ---- */

struct bytes {
	char *ptr;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->ptr = grow(b->ptr, b->cap);
	}
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

static char *read_file(const char *path, size_t *len)
{
	struct bytes b = { NULL, 0, 0 };
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		die("cannot read '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		bytes_add(&b, chunk, n);
	if (ferror(f))
		die("cannot read '%s': %s", path, strerror(errno));
	fclose(f);
	*len = b.len;
	if (!b.ptr)
		b.ptr = dup_str("", 0);
	return b.ptr;
}

/* ---- the selection file ---- */

struct term {
	char *field;
	char *values[MAX_VALUES];
	size_t nvalues;
};

struct campaign {
	char *id, *owner;
	int type, vip_only;
	struct term terms[8];
	size_t nterms;
};

struct account {
	char *id, *owner;
	int main;
};

struct selection {
	struct campaign *campaigns;
	size_t ncampaigns;
	struct account *accounts;
	size_t naccounts;
};

/* Splits s in place at sep into at most max parts; returns the count. */
static size_t split(char *s, char sep, char **parts, size_t max)
{
	size_t n = 0;

	parts[n++] = s;
	for (; *s && n < max; s++) {
		if (*s == sep) {
			*s = '\0';
			parts[n++] = s + 1;
		}
	}
	return n;
}

static void parse_filter(struct campaign *c, char *text)
{
	char *terms[8], *kv[2];
	size_t n, i;

	if (!strcmp(text, "-"))
		return;
	n = split(text, ';', terms, 8);
	for (i = 0; i < n; i++) {
		struct term *t = &c->terms[c->nterms++];

		if (split(terms[i], '=', kv, 2) != 2)
			die("bad filter term '%s'", terms[i]);
		t->field = dup_str(kv[0], strlen(kv[0]));
		t->nvalues = split(kv[1], ',', t->values, MAX_VALUES);
		{
			size_t j;
			for (j = 0; j < t->nvalues; j++)
				t->values[j] = dup_str(t->values[j], strlen(t->values[j]));
		}
	}
}

static void load_selection(struct selection *sel, const char *path)
{
	size_t len, nf;
	char *text = read_file(path, &len), *line, *next, *f[8];

	memset(sel, 0, sizeof(*sel));
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '#' || !*line)
			continue;
		nf = split(line, '\t', f, 8);
		if (!strcmp(f[0], "account") && nf == 4) {
			struct account *a;

			sel->accounts = grow(sel->accounts, (sel->naccounts + 1) * sizeof(*a));
			a = &sel->accounts[sel->naccounts++];
			a->id = dup_str(f[1], strlen(f[1]));
			a->owner = dup_str(f[2], strlen(f[2]));
			a->main = f[3][0] == '1';
		} else if (!strcmp(f[0], "campaign") && nf == 6) {
			struct campaign *c;

			sel->campaigns = grow(sel->campaigns, (sel->ncampaigns + 1) * sizeof(*c));
			c = &sel->campaigns[sel->ncampaigns++];
			memset(c, 0, sizeof(*c));
			c->id = dup_str(f[1], strlen(f[1]));
			c->type = (int)strtol(f[2], NULL, 10);
			c->owner = dup_str(f[3], strlen(f[3]));
			c->vip_only = f[4][0] == '1';
			parse_filter(c, f[5]);
		}
	}
	free(text);
}

/* ---- one record, as its events arrive ---- */

struct field {
	size_t key; /* offset into text */
	size_t values[MAX_VALUES];
	size_t nvalues;
	int list, plain;
};

struct record {
	struct bytes text; /* NUL-terminated keys and values */
	struct field fields[MAX_FIELDS];
	size_t nfields;
	int line;
	struct bytes blob; /* the fields other than id, email, owner, vip */
};

static const char *rec_str(const struct record *r, size_t off)
{
	return r->text.ptr + off;
}

static size_t rec_add(struct record *r, const char *s, size_t len)
{
	size_t off = r->text.len;

	bytes_add(&r->text, s, len);
	r->text.len++; /* keep the NUL that bytes_add() wrote */
	return off;
}

static const struct field *rec_field(const struct record *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		if (!strcmp(rec_str(r, r->fields[i].key), key))
			return &r->fields[i];
	}
	return NULL;
}

static const char *rec_value(const struct record *r, const char *key)
{
	const struct field *f = rec_field(r, key);

	return f && !f->list && f->nvalues ? rec_str(r, f->values[0]) : NULL;
}

static int core_field(const char *k)
{
	return !strcmp(k, "id") || !strcmp(k, "email") || !strcmp(k, "owner") || !strcmp(k, "vip");
}

/* The same kind of blob as the plan stores: key, kind and value(s). */
static void encode_blob(struct record *r)
{
	char count[32];
	size_t i, j;

	r->blob.len = 0;
	for (i = 0; i < r->nfields; i++) {
		const struct field *f = &r->fields[i];
		const char *k = rec_str(r, f->key);

		if (core_field(k))
			continue;
		bytes_add(&r->blob, k, strlen(k) + 1);
		if (f->list) {
			int n = snprintf(count, sizeof(count), "l%zu", f->nvalues);
			bytes_add(&r->blob, count, (size_t)n + 1);
			for (j = 0; j < f->nvalues; j++)
				bytes_add(&r->blob, rec_str(r, f->values[j]),
					  strlen(rec_str(r, f->values[j])) + 1);
		} else if (f->nvalues) {
			const char *v = rec_str(r, f->values[0]);
			int b = f->plain && (!strcmp(v, "true") || !strcmp(v, "false"));
			bytes_add(&r->blob, b ? "b" : "s", 1);
			bytes_add(&r->blob, v, strlen(v) + 1);
		}
	}
}

static int term_has(const struct term *t, const char *v)
{
	size_t i;

	for (i = 0; i < t->nvalues; i++) {
		if (!strcmp(t->values[i], v))
			return 1;
	}
	return 0;
}

static int selects(const struct campaign *c, const struct record *r, const char *owner, int vip)
{
	size_t i, j;

	if (strcmp(c->owner, owner) || (c->vip_only && !vip))
		return 0;
	for (i = 0; i < c->nterms; i++) {
		const struct term *t = &c->terms[i];
		const struct field *f;
		int hit = 0;

		if (!strcmp(t->field, "vip")) {
			hit = term_has(t, vip ? "true" : "false");
		} else if ((f = rec_field(r, t->field))) {
			for (j = 0; j < f->nvalues && !hit; j++)
				hit = term_has(t, rec_str(r, f->values[j]));
		}
		if (!hit)
			return 0;
	}
	return 1;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The account: the owner's main ones for VIP recipients, else the others,
 * picked by a hash of the recipient id. */
static const char *pick_account(const struct selection *sel, const char *owner, int vip,
				const char *id)
{
	const struct account *pool[64];
	size_t i, n = 0, pass;

	for (pass = vip ? 0 : 1; pass < 2 && !n; pass++) {
		for (i = 0; i < sel->naccounts && n < 64; i++) {
			if (!strcmp(sel->accounts[i].owner, owner) && sel->accounts[i].main == !pass)
				pool[n++] = &sel->accounts[i];
		}
	}
	return n ? pool[hash_str(id) % n]->id : NULL;
}

/* ---- the run ---- */

struct run {
	sqlite3 *db;
	sqlite3_stmt *add_recipient, *add_delivery;
	const struct selection *sel;
	const struct campaign **by_type; /* campaigns of the current type */
	size_t ntype;
	long long ord, recipients, deliveries, file;
	int type;
};

static void step(struct run *run, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert: %s", sqlite3_errmsg(run->db));
	sqlite3_reset(st);
}

/* "sha256:" and the hex SHA-256 of the lower-cased address. */
static void hash_address(const char *address, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (!EVP_Digest(address, strlen(address), md, &len, EVP_sha256(), NULL) || len != 32)
		die("sha256 failed");
	memcpy(out, "sha256:", 7);
	for (i = 0; i < len; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
}

static void finish_record(struct run *run, struct record *r)
{
	const char *id = rec_value(r, "id"), *email = rec_value(r, "email"),
		   *owner = rec_value(r, "owner"), *vip_text = rec_value(r, "vip");
	int vip = vip_text && !strcmp(vip_text, "true");
	char *address, hash[72];
	size_t i;

	if (!id || !email || !owner)
		die("record at line %d lacks id, email or owner", r->line);
	address = dup_str(email, strlen(email));
	for (i = 0; address[i]; i++) {
		if (address[i] >= 'A' && address[i] <= 'Z')
			address[i] = (char)(address[i] - 'A' + 'a');
	}
	hash_address(address, hash);
	encode_blob(r);
	sqlite3_bind_int(run->add_recipient, 1, run->type);
	sqlite3_bind_text(run->add_recipient, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(run->add_recipient, 3, run->file);
	sqlite3_bind_int(run->add_recipient, 4, r->line);
	sqlite3_bind_text(run->add_recipient, 5, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(run->add_recipient, 6, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(run->add_recipient, 7, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(run->add_recipient, 8, vip);
	sqlite3_bind_blob(run->add_recipient, 9, r->blob.ptr ? r->blob.ptr : "", (int)r->blob.len,
			  SQLITE_STATIC);
	step(run, run->add_recipient);
	run->recipients++;
	for (i = 0; i < run->ntype; i++) {
		const struct campaign *c = run->by_type[i];

		if (!selects(c, r, owner, vip))
			continue;
		sqlite3_bind_text(run->add_delivery, 1, c->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(run->add_delivery, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(run->add_delivery, 3, run->ord++);
		sqlite3_bind_text(run->add_delivery, 4, address, -1, SQLITE_STATIC);
		sqlite3_bind_int(run->add_delivery, 5, vip);
		sqlite3_bind_text(run->add_delivery, 6, pick_account(run->sel, owner, vip, id), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(run->add_delivery, 7, hash, -1, SQLITE_STATIC);
		step(run, run->add_delivery);
		run->deliveries++;
	}
	free(address);
}

/* Parses one file with libyaml events: a sequence of flat mappings whose
 * values are scalars or sequences of scalars. */
static void parse_file(struct run *run, const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct record r;
	struct field *f = NULL;
	size_t len;
	char *text = read_file(path, &len);
	int depth = 0, done = 0, want_key = 1;

	memset(&r, 0, sizeof(r));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev))
			die("%s:%zu: %s", path, parser.problem_mark.line + 1,
			    parser.problem ? parser.problem : "YAML error");
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SEQUENCE_START_EVENT:
			depth++;
			if (depth == 3) {
				f->list = 1;
				want_key = 0;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
			if (depth == 3)
				want_key = 1;
			depth--;
			break;
		case YAML_MAPPING_START_EVENT:
			depth++;
			r.nfields = 0;
			r.text.len = 0;
			r.line = (int)ev.start_mark.line + 1;
			want_key = 1;
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			finish_record(run, &r);
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 2 && want_key) {
				if (r.nfields == MAX_FIELDS)
					die("%s: too many fields", path);
				f = &r.fields[r.nfields++];
				memset(f, 0, sizeof(*f));
				f->key = rec_add(&r, (const char *)ev.data.scalar.value,
						 ev.data.scalar.length);
				want_key = 0;
			} else if (f && f->nvalues < MAX_VALUES) {
				f->values[f->nvalues++] = rec_add(&r, (const char *)ev.data.scalar.value,
								  ev.data.scalar.length);
				f->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if (depth == 2)
					want_key = 1;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	free(r.text.ptr);
	free(r.blob.ptr);
	free(text);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_yaml(char ***out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, len;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		names = grow(names, (n + 1) * sizeof(*names));
		names[n++] = dup_str(e->d_name, len);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	*out = names;
	return n;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s", msg ? msg : sqlite3_errmsg(db));
}

int main(int argc, char **argv)
{
	struct selection sel;
	struct run run;
	char path[4096], **names = NULL, *schema;
	size_t len, n, i;
	int t;

	if (argc != 5)
		die("usage: bench_baseline SCHEMA REPO SELECTION DB");
	load_selection(&sel, argv[3]);
	memset(&run, 0, sizeof(run));
	run.sel = &sel;
	run.by_type = grow(NULL, (sel.ncampaigns + 1) * sizeof(*run.by_type));
	unlink(argv[4]);
	if (sqlite3_open(argv[4], &run.db) != SQLITE_OK)
		die("cannot open '%s'", argv[4]);
	exec_sql(run.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;");
	schema = read_file(argv[1], &len);
	exec_sql(run.db, schema);
	free(schema);
	exec_sql(run.db, "BEGIN");
	if (sqlite3_prepare_v2(run.db,
			       "INSERT INTO recipients (type, id, file, line, email, address, owner, vip, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &run.add_recipient, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(run.db,
			       "INSERT INTO deliveries (campaign, recipient, ord, address, vip, account, address_hash, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
			       -1, &run.add_delivery, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(run.db));
	for (t = 0; t < NTYPES; t++) {
		run.type = t;
		run.ntype = 0;
		for (i = 0; i < sel.ncampaigns; i++) {
			if (sel.campaigns[i].type == t)
				run.by_type[run.ntype++] = &sel.campaigns[i];
		}
		snprintf(path, sizeof(path), "%s/recipients/%s", argv[2], type_names[t]);
		n = list_yaml(&names, path);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/recipients/%s/%s", argv[2], type_names[t],
				 names[i]);
			run.file++;
			parse_file(&run, path);
			free(names[i]);
		}
		free(names);
		names = NULL;
	}
	sqlite3_finalize(run.add_recipient);
	sqlite3_finalize(run.add_delivery);
	exec_sql(run.db, "COMMIT");
	if (sqlite3_close(run.db) != SQLITE_OK)
		die("cannot close the database");
	printf("baseline: %lld recipients, %lld deliveries\n", run.recipients, run.deliveries);
	return 0;
}
