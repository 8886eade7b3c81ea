/*
 * The counts table: deliveries by campaign, account and state, kept exact
 * by triggers on deliveries, so that every writer (derivation, replay,
 * the sender's applier, settling) updates them in its own transaction and
 * status, the site and the no-op build read counts instead of scanning
 * millions of deliveries.  Bulk derivation drops the triggers and adds
 * what it counted itself: a trigger per inserted row would cost more than
 * the insert.
 */
#include "plan_private.h"

static const char counts_triggers_sql[] =
	"CREATE TRIGGER IF NOT EXISTS counts_insert AFTER INSERT ON deliveries BEGIN "
	"INSERT INTO counts (campaign, account, state, n) "
	"VALUES (NEW.campaign, COALESCE(NEW.account, ''), NEW.state, 1) "
	"ON CONFLICT (campaign, account, state) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER IF NOT EXISTS counts_delete AFTER DELETE ON deliveries BEGIN "
	"UPDATE counts SET n = n - 1 WHERE campaign = OLD.campaign "
	"AND account = COALESCE(OLD.account, '') AND state = OLD.state; END;"
	"CREATE TRIGGER IF NOT EXISTS counts_update AFTER UPDATE OF campaign, account, state "
	"ON deliveries WHEN OLD.state IS NOT NEW.state OR OLD.account IS NOT NEW.account "
	"OR OLD.campaign IS NOT NEW.campaign BEGIN "
	"UPDATE counts SET n = n - 1 WHERE campaign = OLD.campaign "
	"AND account = COALESCE(OLD.account, '') AND state = OLD.state; "
	"INSERT INTO counts (campaign, account, state, n) "
	"VALUES (NEW.campaign, COALESCE(NEW.account, ''), NEW.state, 1) "
	"ON CONFLICT (campaign, account, state) DO UPDATE SET n = n + 1; END;";

int plan_counts_attach(struct plan *p)
{
	return plan_exec(p, counts_triggers_sql);
}

int plan_counts_detach(struct plan *p)
{
	return plan_exec(p, "DROP TRIGGER IF EXISTS counts_insert;"
			    "DROP TRIGGER IF EXISTS counts_delete;"
			    "DROP TRIGGER IF EXISTS counts_update;");
}

int plan_counts_add(struct plan *p, sqlite3_stmt **st, const char *campaign, const char *account,
		    const char *state, long n)
{
	if (!*st && plan_prepare(p, st,
				 "INSERT INTO counts (campaign, account, state, n) VALUES (?, ?, ?, ?) "
				 "ON CONFLICT (campaign, account, state) DO UPDATE SET n = n + excluded.n") < 0)
		return -1;
	plan_bind_static(*st, 1, campaign);
	plan_bind_static(*st, 2, account ? account : "");
	plan_bind_static(*st, 3, state);
	sqlite3_bind_int64(*st, 4, n);
	return plan_step_done(p, *st);
}
