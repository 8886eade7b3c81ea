#include "export.h"

#include <string.h>

#include "buf.h"
#include "csv.h"
#include "diag.h"
#include "schedule.h"

int export_campaign_csv(FILE *out, struct plan *p, const char *campaign,
			const struct export_options *o)
{
	char sep = o && o->delimiter ? o->delimiter : ',';
	const struct campaign *c = campaigns_find(plan_campaigns(p), campaign);
	struct plan_iter *it = NULL;
	struct plan_export_row d;
	struct buf row = BUF_INIT;
	char when[32];
	int i, r, ret = -1;

	if (!c)
		return error_set("unknown campaign '%s'", campaign);
	if (plan_export_open(&it, p, c) < 0)
		goto done;
	if (o && o->bom)
		buf_adds(&row, "\xef\xbb\xbf");
	for (i = 0; EXPORT_CSV_HEADER[i]; i++)
		buf_addc(&row, EXPORT_CSV_HEADER[i] == ',' ? sep : EXPORT_CSV_HEADER[i]);
	buf_adds(&row, "\r\n");
	while ((r = plan_export_next(it, &d)) == PLAN_ROW) {
		const char *fields[9] = { d.recipient, d.email, d.state, d.account, "", d.attempts,
					  d.code, d.enhanced, d.reply };

		for (i = 0; i < 9; i++) {
			if (i)
				buf_addc(&row, sep);
			if (i == 2 && !strcmp(fields[i], "claimed")) {
				buf_adds(&row, "unconfirmed");
			} else if (i == 4 && d.has_time) {
				time_format_rfc3339(when, d.time);
				buf_adds(&row, when);
			} else {
				csv_add_cell(&row, fields[i], sep);
			}
		}
		buf_adds(&row, "\r\n");
		if (row.len >= 65536) {
			fwrite(row.ptr, 1, row.len, out);
			buf_reset(&row);
		}
	}
	if (r < 0) {
		error_set("cannot read the deliveries of '%s': %s", c->id, plan_error(p));
		goto done;
	}
	fwrite(row.ptr, 1, row.len, out);
	ret = 0;
done:
	plan_iter_free(it);
	buf_release(&row);
	return ret;
}
