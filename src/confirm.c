#include "confirm.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "imap.h"
#include "log.h"
#include "mailsync.h"
#include "xalloc.h"

enum confirm_verdict confirm_decide(int found, time_t claimed_at, time_t now, int receives_copies)
{
	if (found)
		return CONFIRM_FOUND;
	if (now - claimed_at < CONFIRM_MIN_AGE)
		return CONFIRM_TOO_RECENT;
	return receives_copies ? CONFIRM_NOT_SENT : CONFIRM_UNPROVEN;
}

/* One unconfirmed claim, copied out of the plan. */
struct claim {
	char *campaign, *recipient, *account, *message_id;
	time_t claimed_at;
	int found;
};

static void claims_free(struct claim *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].campaign);
		free(c[i].recipient);
		free(c[i].account);
		free(c[i].message_id);
	}
	free(c);
}

static int wanted(const char *account, const char *const *accounts, size_t naccounts)
{
	size_t i;

	if (!accounts)
		return 1;
	for (i = 0; i < naccounts; i++) {
		if (!strcmp(accounts[i], account))
			return 1;
	}
	return 0;
}

/* The plan's unconfirmed claims of the wanted accounts, by account. */
static int claims_load(struct claim **out, size_t *n_out, struct plan *p,
		       const char *const *accounts, size_t naccounts)
{
	struct plan_iter *it = NULL;
	struct plan_claim pc;
	struct claim *c = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	if (plan_open_claims_open(&it, p) < 0)
		goto done;
	while ((rc = plan_open_claims_next(it, &pc)) == PLAN_ROW) {
		if (!wanted(pc.account, accounts, naccounts))
			continue;
		XGROW(c, cap, n + 1);
		c[n].campaign = xstrdup(pc.campaign);
		c[n].recipient = xstrdup(pc.recipient);
		c[n].account = xstrdup(pc.account);
		c[n].message_id = xstrdup(pc.message_id);
		c[n].claimed_at = pc.claimed_at;
		c[n].found = 0;
		n++;
	}
done:
	plan_iter_free(it);
	if (rc < 0) {
		claims_free(c, n);
		return error_set("cannot read the claims from the plan: %s", plan_error(p));
	}
	*out = c;
	*n_out = n;
	return 0;
}

/* Appends one line to the buffer of its log. */
static void add_line(struct confirm_result *r, const struct claim *c, enum log_event ev,
		     const char *mailbox)
{
	const char *fields[3] = { c->recipient, mailbox, c->message_id };
	char *path = log_path(c->campaign, c->account);
	size_t i;

	for (i = 0; i < r->nlogs && strcmp(r->logs[i].path, path); i++)
		;
	if (i == r->nlogs) {
		r->logs = xrealloc(r->logs, (r->nlogs + 1) * sizeof(*r->logs));
		r->logs[i].path = path;
		buf_init(&r->logs[i].text, 256);
		r->nlogs++;
	} else {
		free(path);
	}
	log_format(&r->logs[i].text, r->now, ev, fields, 3);
}

/* Connects to the account's server and EXAMINEs its Sent folder; 0, or
 * -1 with ca->why set. */
static int open_sent(struct imap **out, struct confirm_account *ca)
{
	const struct account *a = ca->account;
	char *mailbox = NULL;
	int rc;

	if (mailsync_open_account(out, a) < 0)
		goto failed;
	if (a->sent_mailbox) {
		mailbox = xstrdup(a->sent_mailbox);
	} else {
		rc = imap_find_sent(*out, &mailbox);
		if (rc < 0)
			goto failed;
		if (rc == 0) {
			ca->why = xasprintf("%s: no mailbox is marked \\Sent: name it as 'sent_mailbox' in %s",
					    a->imap, CONFIG_FILE);
			return -1;
		}
	}
	if (imap_examine_mailbox(*out, mailbox) < 0)
		goto failed;
	ca->mailbox = mailbox;
	return 0;
failed:
	free(mailbox);
	ca->why = xstrdup(error_last());
	return -1;
}

/* Whether the folder holds the account's latest accepted messages:
 * ca->evidence_known and evidence_found set; 0, -1 when IMAP failed
 * (error_last()), -2 when the plan could not be read. */
static int evidence(struct plan *p, struct imap *s, struct confirm_account *ca)
{
	struct plan_iter *it = NULL;
	const char *id;
	char *ids[CONFIRM_EVIDENCE];
	int n = 0, i, rc = 0, ret = -2;

	if (plan_account_accepted_open(&it, p, ca->id, CONFIRM_EVIDENCE) < 0)
		goto done;
	while (n < CONFIRM_EVIDENCE && (rc = plan_account_accepted_next(it, &id)) == PLAN_ROW)
		ids[n++] = xstrdup(id);
	if (n < CONFIRM_EVIDENCE && rc < 0)
		goto done;
	ca->evidence_known = n;
	ca->evidence_found = 0;
	ret = 0;
	for (i = 0; i < n && ret == 0; i++) {
		rc = imap_has_message_id(s, ids[i]);
		if (rc < 0)
			ret = -1;
		else
			ca->evidence_found += rc;
	}
done:
	if (ret == -2)
		error_set("cannot read the accepted messages from the plan: %s", plan_error(p));
	for (i = 0; i < n; i++)
		free(ids[i]);
	plan_iter_free(it);
	return ret;
}

static int receives_copies(const struct confirm_account *ca)
{
	return ca->evidence_known == CONFIRM_EVIDENCE && ca->evidence_found == CONFIRM_EVIDENCE;
}

/* Searches the Sent folder for claims c[0..n) of one account and collects
 * the lines; an account that cannot be read has why set (0).  -1 when
 * the plan could not be read. */
static int resolve_account(struct confirm_result *r, struct plan *p, struct confirm_account *ca,
			   struct claim *c, size_t n)
{
	static const enum log_event events[] = { [CONFIRM_FOUND] = LOG_CONFIRMED,
						 [CONFIRM_NOT_SENT] = LOG_NOT_SENT };
	struct imap *s = NULL;
	enum confirm_verdict v;
	size_t i;
	int rc, ret = 0;

	if (!ca->account) {
		ca->why = xasprintf("the account is not in %s", CONFIG_FILE);
		goto done;
	}
	if (!ca->account->imap) {
		ca->why = xasprintf("no 'imap' in %s: its Sent folder cannot be searched", CONFIG_FILE);
		goto done;
	}
	if (open_sent(&s, ca) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		rc = imap_has_message_id(s, c[i].message_id);
		if (rc < 0)
			goto imap_failed;
		c[i].found = rc;
		if (!rc && r->now - c[i].claimed_at >= CONFIRM_MIN_AGE && ca->evidence_known < 0) {
			rc = evidence(p, s, ca);
			if (rc == -2) {
				ret = -1;
				goto done;
			}
			if (rc < 0)
				goto imap_failed;
		}
	}
	for (i = 0; i < n; i++) {
		v = confirm_decide(c[i].found, c[i].claimed_at, r->now, receives_copies(ca));
		ca->count[v]++;
		if (v == CONFIRM_FOUND || v == CONFIRM_NOT_SENT)
			add_line(r, &c[i], events[v], ca->mailbox);
	}
	goto done;
imap_failed:
	ca->why = xstrdup(error_last());
done:
	imap_close(s);
	return ret;
}

int confirm_claims(struct confirm_result *out, struct plan *p, time_t now,
		   const char *const *accounts, size_t naccounts)
{
	struct claim *c = NULL;
	struct confirm_account *ca;
	size_t n = 0, i, j;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->now = now;
	if (claims_load(&c, &n, p, accounts, naccounts) < 0)
		goto done;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && !strcmp(c[j].account, c[i].account); j++)
			;
		out->accounts = xrealloc(out->accounts, (out->naccounts + 1) * sizeof(*out->accounts));
		ca = &out->accounts[out->naccounts++];
		memset(ca, 0, sizeof(*ca));
		ca->id = xstrdup(c[i].account);
		ca->account = config_account(plan_config(p), ca->id);
		ca->claims = (long)(j - i);
		ca->evidence_known = ca->evidence_found = -1;
		if (resolve_account(out, p, ca, c + i, j - i) < 0)
			goto done;
	}
	ret = 0;
done:
	claims_free(c, n);
	return ret;
}

int confirm_write(const struct confirm_result *r, const char *root, size_t *written)
{
	size_t i;

	*written = 0;
	for (i = 0; i < r->nlogs; i++) {
		if (log_append(root, r->logs[i].path, r->logs[i].text.ptr, r->logs[i].text.len, 1) < 0)
			return -1;
		(*written)++;
	}
	return 0;
}

void confirm_result_release(struct confirm_result *r)
{
	size_t i;

	for (i = 0; i < r->naccounts; i++) {
		free(r->accounts[i].id);
		free(r->accounts[i].mailbox);
		free(r->accounts[i].why);
	}
	free(r->accounts);
	for (i = 0; i < r->nlogs; i++) {
		free(r->logs[i].path);
		buf_release(&r->logs[i].text);
	}
	free(r->logs);
	memset(r, 0, sizeof(*r));
}
