/* Everything held about one address (see person.h). */
#include "person.h"

#include <errno.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addrhash.h"
#include "diag.h"
#include "log.h"
#include "plan.h"
#include "recipients.h"
#include "safefile.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"
#include "yamlfile.h"

struct access {
	struct plan *p;
	const char *root;
	char *address; /* lower-cased */
	char hash[ADDR_HASH_LEN + 1];
	json_object *records, *deliveries, *suppressions;
};

static json_object *json_time(time_t t)
{
	char s[32];

	if (!t)
		return NULL;
	time_format_rfc3339(s, t);
	return json_object_new_string(s);
}

static json_object *json_text(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* A record's value as written: true/false as booleans, lists as arrays. */
static json_object *json_node(const struct ynode *n)
{
	json_object *o;
	size_t i;

	if (n->kind == YNODE_SEQ) {
		o = json_object_new_array();
		for (i = 0; i < n->count; i++)
			json_object_array_add(o, json_node(n->items[i]));
		return o;
	}
	if (n->kind == YNODE_MAP) {
		o = json_object_new_object();
		for (i = 0; i < n->count; i++)
			json_object_object_add(o, n->items[2 * i]->value, json_node(n->items[2 * i + 1]));
		return o;
	}
	if (n->plain && (!strcmp(n->value, "true") || !strcmp(n->value, "false")))
		return json_object_new_boolean(!strcmp(n->value, "true"));
	return json_object_new_string_len(n->value, (int)n->len);
}

static void add_records_of(struct access *pe, const struct ydoc *doc, enum recipient_type t)
{
	const struct ynode *root = doc->root, *email, *id;
	size_t i;

	if (!root || root->kind != YNODE_SEQ)
		return;
	for (i = 0; i < root->count; i++) {
		const struct ynode *m = root->items[i];
		json_object *r;

		email = ynode_get(m, "email");
		if (!email || email->kind != YNODE_SCALAR || strcasecmp(email->value, pe->address))
			continue;
		id = ynode_get(m, "id");
		r = json_object_new_object();
		json_object_object_add(r, "type", json_object_new_string(recipient_type_name(t)));
		json_object_object_add(r, "file", json_object_new_string(doc->path));
		json_object_object_add(r, "line", json_object_new_int(m->line));
		json_object_object_add(r, "id", id && id->kind == YNODE_SCALAR
							? json_object_new_string(id->value)
							: NULL);
		json_object_object_add(r, "fields", json_node(m));
		json_object_array_add(pe->records, r);
	}
}

/* Every record file is read as it is, also one the plan refuses: an
 * access request covers records with problems too. */
static int add_records(struct access *pe)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char **files = NULL;
	int t, i, n;

	for (t = 0; t < RTYPE_COUNT; t++) {
		n = recipients_files(&files, pe->root, (enum recipient_type)t);
		if (n < 0)
			return error_set("cannot list the %s files: %s",
					 recipient_type_name((enum recipient_type)t), error_last());
		for (i = 0; i < n; i++) {
			struct ydoc *doc = NULL;

			if (ydoc_load_file(&doc, pe->root, files[i], &diags) == 0)
				add_records_of(pe, doc, (enum recipient_type)t);
			ydoc_free(doc);
		}
		free_list(files, (size_t)n);
	}
	diag_release(&diags);
	return 0;
}

/* The names of each event's fields after time and event (log.h). */
static const char *const *event_fields(enum log_event e)
{
	static const char *const claim[] = { "recipient", "address", "message_id", NULL };
	static const char *const reply[] = { "recipient", "code", "enhanced", "text", NULL };
	static const char *const retry[] = { "recipient", "code", "enhanced", "text", "next", NULL };
	static const char *const rest[] = { "recipient", "code", "enhanced", "text", "until", NULL };
	static const char *const mailbox[] = { "recipient", "mailbox", "message_id", NULL };
	static const char *const one[] = { "recipient", NULL };
	static const char *const merged[] = { "campaign", NULL };

	switch (e) {
	case LOG_CLAIM:
		return claim;
	case LOG_RETRY:
		return retry;
	case LOG_DEFERRED:
		return rest;
	case LOG_CONFIRMED:
	case LOG_NOT_SENT:
		return mailbox;
	case LOG_RELEASE:
	case LOG_RETRY_CMD:
		return one;
	case LOG_MERGED:
		return merged;
	case LOG_RESUME:
	case LOG_EVENT_COUNT:
		break;
	default:
		return reply;
	}
	return one + 1;
}

struct event_scan {
	const char *recipient, *file;
	json_object *events;
};

static int on_event(const struct log_entry *e, void *payload)
{
	struct event_scan *s = payload;
	const char *const *names = event_fields(e->event);
	json_object *o;
	size_t i;

	if (!e->nfields || !names[0] || strcmp(names[0], "recipient") ||
	    strcmp(e->field[0], s->recipient))
		return 0;
	o = json_object_new_object();
	json_object_object_add(o, "time", json_time(e->time));
	json_object_object_add(o, "event", json_object_new_string(log_event_name(e->event)));
	json_object_object_add(o, "file", json_object_new_string(s->file));
	json_object_object_add(o, "line", json_object_new_int(e->line));
	for (i = 1; i < e->nfields && names[i]; i++)
		json_object_object_add(o, names[i], json_object_new_string(e->field[i]));
	json_object_array_add(s->events, o);
	return 0;
}

static void read_events(struct access *pe, const char *rel, struct event_scan *s)
{
	struct diag_list diags = DIAG_LIST_INIT;
	size_t consumed;

	s->file = rel;
	/* a damaged line is the plan's to report; the others count */
	log_read(pe->root, rel, 0, on_event, s, &consumed, &diags);
	error_clear();
	diag_release(&diags);
}

/* The campaign's logs, by account, then its commands. */
static json_object *delivery_events(struct access *pe, const char *campaign, const char *recipient)
{
	struct event_scan s = { recipient, NULL, json_object_new_array() };
	char **logs = NULL, *dir = xasprintf("campaigns/%s/log", campaign), *rel;
	int n = content_list(&logs, pe->root, dir, ".tsv", 0), i;

	for (i = 0; i < n; i++) {
		rel = xasprintf("%s/%s", dir, logs[i]);
		read_events(pe, rel, &s);
		free(rel);
	}
	if (n > 0)
		free_list(logs, (size_t)n);
	error_clear();
	rel = xasprintf("campaigns/%s/commands.tsv", campaign);
	read_events(pe, rel, &s);
	free(rel);
	free(dir);
	return s.events;
}

static int on_delivery(const struct plan_person_delivery *d, void *payload)
{
	struct access *pe = payload;
	json_object *o = json_object_new_object(), *reply = NULL;

	json_object_object_add(o, "campaign", json_object_new_string(d->campaign));
	json_object_object_add(o, "recipient", json_object_new_string(d->recipient));
	json_object_object_add(o, "address", json_object_new_string(d->address));
	json_object_object_add(o, "state", json_object_new_string(d->state));
	json_object_object_add(o, "account", json_text(d->account));
	json_object_object_add(o, "attempts", json_object_new_int64(d->attempts));
	json_object_object_add(o, "message_id", json_text(d->message_id));
	json_object_object_add(o, "first_at", json_time(d->first_at));
	json_object_object_add(o, "claimed_at", json_time(d->claimed_at));
	json_object_object_add(o, "sent_at", json_time(d->sent_at));
	json_object_object_add(o, "next_at", json_time(d->next_at));
	json_object_object_add(o, "last_event", json_time(d->last_event));
	if (d->code || d->reply) {
		reply = json_object_new_object();
		json_object_object_add(reply, "code", d->code ? json_object_new_int(d->code) : NULL);
		/* "-": the server gave no enhanced code */
		json_object_object_add(reply, "enhanced", d->enhanced && strcmp(d->enhanced, "-")
								  ? json_object_new_string(d->enhanced)
								  : NULL);
		json_object_object_add(reply, "text", json_text(d->reply));
	}
	json_object_object_add(o, "reply", reply);
	json_object_object_add(o, "events", delivery_events(pe, d->campaign, d->recipient));
	json_object_array_add(pe->deliveries, o);
	return 0;
}

static void add_suppression(struct access *pe, char **field, size_t nf, int line, int hashed)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "form", json_object_new_string(hashed ? "hashed" : "plain"));
	json_object_object_add(o, "reason", nf > 1 ? json_object_new_string(field[1]) : NULL);
	json_object_object_add(o, "time", nf > 2 ? json_object_new_string(field[2]) : NULL);
	json_object_object_add(o, "source", nf > 3 ? json_object_new_string(field[3]) : NULL);
	json_object_object_add(o, "line", json_object_new_int(line));
	json_object_array_add(pe->suppressions, o);
}

static int add_suppressions(struct access *pe)
{
	struct buf text = BUF_INIT;
	char *line, *next, *field[4], *tab;
	size_t nf;
	int lineno = 0, r, ret = 0;

	r = content_read(&text, pe->root, SUPPRESSIONS_FILE, YAMLFILE_MAX_SIZE, NULL);
	if (r < 0) {
		if (r == CONTENT_REFUSED || errno != ENOENT)
			ret = error_set("cannot read '%s': %s", SUPPRESSIONS_FILE,
					r == CONTENT_REFUSED ? error_last() : strerror(errno));
		goto done;
	}
	for (line = text.ptr; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (++lineno == 1 || *line == '#')
			continue;
		for (nf = 1, field[0] = line; nf < 4 && (tab = strchr(field[nf - 1], '\t')); nf++) {
			*tab = '\0';
			field[nf] = tab + 1;
		}
		if (!strcasecmp(field[0], pe->address))
			add_suppression(pe, field, nf, lineno, 0);
		else if (!strcmp(field[0], pe->hash))
			add_suppression(pe, field, nf, lineno, 1);
	}
done:
	buf_release(&text);
	return ret;
}

int person_export_json(struct buf *out, struct plan *p, const char *address)
{
	struct access pe;
	json_object *doc = json_object_new_object();
	int ret = -1;

	memset(&pe, 0, sizeof(pe));
	pe.p = p;
	pe.root = plan_root(p);
	pe.address = xstrdup(address);
	str_lower(pe.address);
	addr_hash(pe.address, pe.hash);
	pe.records = json_object_new_array();
	pe.deliveries = json_object_new_array();
	pe.suppressions = json_object_new_array();
	json_object_object_add(doc, "address", json_object_new_string(pe.address));
	json_object_object_add(doc, "hash", json_object_new_string(pe.hash));
	json_object_object_add(doc, "records", pe.records);
	json_object_object_add(doc, "deliveries", pe.deliveries);
	json_object_object_add(doc, "suppressions", pe.suppressions);
	if (add_records(&pe) < 0 ||
	    plan_person_deliveries(p, pe.address, pe.hash, on_delivery, &pe) < 0 ||
	    add_suppressions(&pe) < 0)
		goto done;
	buf_adds(out, json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_addc(out, '\n');
	ret = 0;
done:
	json_object_put(doc);
	free(pe.address);
	return ret;
}
