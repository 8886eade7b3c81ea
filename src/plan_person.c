/* The deliveries of one person, for access requests (plan.h). */
#include <string.h>

#include "plan_private.h"

static time_t column_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : (time_t)sqlite3_column_int64(st, i);
}

int plan_person_deliveries(struct plan *p, const char *address, const char *hash,
			   plan_person_fn fn, void *payload)
{
	sqlite3_stmt *st = NULL;
	struct plan_person_delivery d;
	int rc, ret = -1;

	if (plan_prepare(p, &st,
			 "SELECT campaign, recipient, address, state, account, claim_hash, "
			 "message_id, enhanced, reply, attempts, code, first_at, claimed_at, sent_at, "
			 "next_at, last_event FROM deliveries "
			 "WHERE address = ?1 OR address_hash = ?2 OR claim_hash = ?2 "
			 "ORDER BY campaign, recipient") < 0)
		return -1;
	plan_bind_text(st, 1, address);
	plan_bind_text(st, 2, hash);
	while ((rc = plan_step(p, st)) == PLAN_ROW) {
		memset(&d, 0, sizeof(d));
		d.campaign = plan_column_text(st, 0);
		d.recipient = plan_column_text(st, 1);
		d.address = plan_column_text(st, 2);
		d.state = plan_column_text(st, 3);
		d.account = plan_column_text(st, 4);
		d.claim_hash = plan_column_text(st, 5);
		d.message_id = plan_column_text(st, 6);
		d.enhanced = plan_column_text(st, 7);
		d.reply = plan_column_text(st, 8);
		d.attempts = (long)sqlite3_column_int64(st, 9);
		d.code = sqlite3_column_int(st, 10);
		d.first_at = column_time(st, 11);
		d.claimed_at = column_time(st, 12);
		d.sent_at = column_time(st, 13);
		d.next_at = column_time(st, 14);
		d.last_event = column_time(st, 15);
		rc = fn(&d, payload);
		if (rc) {
			ret = rc;
			goto done;
		}
	}
	ret = rc < 0 ? -1 : 0;
done:
	sqlite3_finalize(st);
	return ret;
}
