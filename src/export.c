#include "export.h"

#include <string.h>

#include "buf.h"
#include "csv.h"
#include "diag.h"
#include "schedule.h"

/* A column as text; "" for NULL. */
static const char *column(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

int export_campaign_csv(FILE *out, struct plan *p, const char *campaign)
{
	const struct campaign *c = campaigns_find(&p->campaigns, campaign);
	sqlite3_stmt *st = NULL;
	struct buf row = BUF_INIT;
	char when[32];
	int i, r, ret = -1;

	if (!c)
		return error_set("unknown campaign '%s'", campaign);
	if (plan_prepare(p, &st,
			 "SELECT d.recipient, COALESCE(r.email, d.address), d.state, d.account, "
			 "COALESCE(d.sent_at, d.claimed_at, NULLIF(d.last_event, 0)), d.attempts, "
			 "d.code, d.enhanced, d.reply "
			 "FROM deliveries d LEFT JOIN recipients r ON r.type = ?2 AND r.id = d.recipient "
			 "WHERE d.campaign = ?1 ORDER BY d.ord") < 0)
		goto done;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, c->type);
	buf_adds(&row, EXPORT_CSV_HEADER "\r\n");
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 9; i++) {
			if (i)
				buf_addc(&row, ',');
			if (i == 2 && !strcmp(column(st, i), "claimed")) {
				buf_adds(&row, "unconfirmed");
			} else if (i == 4 && sqlite3_column_type(st, i) != SQLITE_NULL) {
				time_format_rfc3339(when, (time_t)sqlite3_column_int64(st, i));
				buf_adds(&row, when);
			} else {
				csv_add_field(&row, column(st, i));
			}
		}
		buf_adds(&row, "\r\n");
		if (row.len >= 65536) {
			fwrite(row.ptr, 1, row.len, out);
			buf_reset(&row);
		}
	}
	if (r != SQLITE_DONE) {
		error_set("cannot read the deliveries of '%s': %s", c->id, sqlite3_errmsg(p->db));
		goto done;
	}
	fwrite(row.ptr, 1, row.len, out);
	ret = 0;
done:
	sqlite3_finalize(st);
	buf_release(&row);
	return ret;
}
