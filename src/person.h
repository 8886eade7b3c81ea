/*
 * Access requests: everything mailout holds about one address, as one JSON
 * document (json-c), for `mailout export --person ADDRESS`.
 *
 *   address       the address asked about, lower-cased
 *   hash          its hash (addrhash.h), as hashed suppressions and
 *                 scrubbed logs hold it
 *   records       every record whose email is the address, in file order:
 *                 type, file, line, id and fields (every field as written:
 *                 strings, true/false as booleans, lists as arrays)
 *   deliveries    every delivery of the plan to the address (or whose
 *                 latest claim mailed it), by campaign and recipient:
 *                 campaign, recipient, address, state, account, attempts,
 *                 message_id, first_at, claimed_at, sent_at, next_at,
 *                 last_event (RFC 3339 UTC or null), reply (the latest
 *                 server reply the plan holds: code, enhanced, text; or
 *                 null) and events: every line of the campaign's logs for
 *                 the recipient, in file order (time, event, file, line and
 *                 the event's fields by name, as log.h lists them)
 *   suppressions  every line of recipients/suppressions.tsv for the
 *                 address: form ("plain" or "hashed"), reason, time,
 *                 source, line
 *
 * Nothing held gives empty arrays, not an error.
 */
#ifndef MAILOUT_PERSON_H
#define MAILOUT_PERSON_H

#include "buf.h"

struct plan;

/* Appends the document for address (a valid address, any case) to out,
 * indented by two spaces, with a final newline.  0, or -1 after
 * error_set(). */
int person_export_json(struct buf *out, struct plan *p, const char *address);

#endif
