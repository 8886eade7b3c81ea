/*
 * mailout export: a campaign's deliveries as CSV for the CRM or a
 * spreadsheet, one row per recipient in send order, with the columns of
 * EXPORT_CSV_HEADER:
 *
 *   recipient  the record's id
 *   email      its address as written in the record
 *   state      pending, sent, failed, retrying, suppressed, skipped or
 *              unconfirmed (the plan's states)
 *   account    the sending account (assigned, or used)
 *   time       when it was sent, else claimed, else its last event
 *              (RFC 3339 UTC); empty when nothing happened yet
 *   attempts   claims since the last retry
 *   code, enhanced, reply   the server's last reply, if any
 *
 * RFC 4180 quoting, CRLF line ends, cells neutralised against formula
 * injection (csv_add_cell(): a leading "'" before = + - @ TAB CR).  Unlike
 * the status site, the export holds full addresses: it is for the people
 * who own the data.
 */
#ifndef MAILOUT_EXPORT_H
#define MAILOUT_EXPORT_H

#include <stdio.h>

#include "plan.h"

#define EXPORT_CSV_HEADER "recipient,email,state,account,time,attempts,code,enhanced,reply"

struct export_options {
	char delimiter; /* ',' (also for 0), ';' or '\t' */
	int bom; /* start with a UTF-8 byte-order mark (Excel reads UTF-8 then) */
};

/* Writes the CSV of campaign to out; o may be NULL (commas, no BOM).
 * Returns 0, or -1 after error_set() for an unknown campaign (nothing
 * written) or a failing query. */
int export_campaign_csv(FILE *out, struct plan *p, const char *campaign,
			const struct export_options *o);

#endif
