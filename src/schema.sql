-- The send plan (build/plan.db): derived from the repository, never
-- committed, always rebuildable.  PRAGMA user_version is the schema
-- version; a plan of another version is rebuilt from scratch.
PRAGMA user_version = 6;

CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Every source file read, as git's index keeps it: unchanged size and
-- mtime mean unchanged content; an unchanged blob id means nothing to parse.
-- For logs, `consumed` is the offset replayed so far and `blob` the id of
-- that prefix.
CREATE TABLE files (
	path TEXT PRIMARY KEY,
	size INTEGER NOT NULL,
	mtime INTEGER NOT NULL,
	blob TEXT NOT NULL,
	consumed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- unit: the file's place among the files of its type, sparse so that a
-- new file fits between two others; a delivery's ord is (unit << 32) + line.
CREATE TABLE recipient_files (
	id INTEGER PRIMARY KEY,
	path TEXT NOT NULL UNIQUE,
	type INTEGER NOT NULL,
	unit INTEGER NOT NULL DEFAULT 0
);

-- type: 0 contacts, 1 companies, 2 leads.  fields: every other field,
-- encoded by recipients.c.
CREATE TABLE recipients (
	type INTEGER NOT NULL,
	id TEXT NOT NULL,
	file INTEGER NOT NULL,
	line INTEGER NOT NULL,
	email TEXT NOT NULL,
	address TEXT NOT NULL,
	owner TEXT NOT NULL,
	vip INTEGER NOT NULL,
	fields BLOB NOT NULL,
	PRIMARY KEY (type, id)
) WITHOUT ROWID;

CREATE TABLE accounts (
	id TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	main INTEGER NOT NULL,
	daily_limit INTEGER NOT NULL,
	enabled INTEGER NOT NULL,
	red_since INTEGER NOT NULL DEFAULT 0,   -- a critical error, until resume
	red_reason TEXT,
	resumed_at INTEGER NOT NULL DEFAULT 0,  -- red only when red_since > resumed_at
	rest_until INTEGER NOT NULL DEFAULT 0,  -- quota or throttling
	rest_reason TEXT,
	last_attempt INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE campaigns (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	template TEXT NOT NULL,
	recipient_type TEXT NOT NULL,
	owner TEXT NOT NULL,
	department TEXT,
	status TEXT NOT NULL,                   -- as written: active, paused, merged
	segment TEXT,
	filter TEXT,
	vip_only INTEGER NOT NULL,
	start INTEGER NOT NULL,
	end INTEGER NOT NULL,
	start_text TEXT,
	end_text TEXT,
	merged_into TEXT,
	last_error INTEGER NOT NULL DEFAULT 0,  -- time of the latest error
	last_reset INTEGER NOT NULL DEFAULT 0   -- time of the latest retry or resume
) WITHOUT ROWID;

-- One row per (campaign, recipient).  state: pending, claimed, sent,
-- failed, retrying, suppressed, skipped, unconfirmed.  ord: send order.
CREATE TABLE deliveries (
	campaign TEXT NOT NULL,
	recipient TEXT NOT NULL,
	ord INTEGER NOT NULL,
	address TEXT NOT NULL,
	address_hash TEXT NOT NULL,             -- addr_hash(address): how suppressions name a person
	vip INTEGER NOT NULL,
	account TEXT,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL DEFAULT 0,
	code INTEGER,
	enhanced TEXT,
	reply TEXT,
	first_at INTEGER,                       -- the first attempt, for giving up on retries
	claimed_at INTEGER,
	sent_at INTEGER,
	message_id TEXT,
	claim_hash TEXT,                        -- the hash of the latest claim's address: the one mailed
	skipped_by TEXT,
	last_event INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign, recipient)
) WITHOUT ROWID;

-- Deliveries by campaign, account ('' for none) and state: kept by
-- triggers on deliveries (plan_counts.c) in the transaction of every
-- change, so that counts never need a scan.  Rows may hold n = 0.
CREATE TABLE counts (
	campaign TEXT NOT NULL,
	account TEXT NOT NULL,
	state TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (campaign, account, state)
) WITHOUT ROWID;

-- Attempts per account and calendar day in the account's time zone.
CREATE TABLE daily (
	account TEXT NOT NULL,
	day INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account, day)
) WITHOUT ROWID;

-- Messages sent per campaign, account and day in the organisation's zone.
CREATE TABLE progress (
	campaign TEXT NOT NULL,
	account TEXT NOT NULL,
	day INTEGER NOT NULL,
	sent INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign, account, day)
) WITHOUT ROWID;

CREATE TABLE notifications (
	id INTEGER PRIMARY KEY,
	campaign TEXT NOT NULL,
	time INTEGER NOT NULL,
	account TEXT,
	recipient TEXT,
	message TEXT NOT NULL
);
CREATE INDEX notifications_by_campaign ON notifications (campaign, time);

-- Addresses that bounced hard (5.1.x, 5.2.1) in any log, by their hash:
-- suppressed like the lines of recipients/suppressions.tsv.  The address is
-- the one the message went to (its claim's), not the recipient's current
-- one, so a corrected address in the recipient file is mailed again.  The
-- first bounce of an address is kept: where, for whom, and the reply.
CREATE TABLE bounces (
	hash TEXT PRIMARY KEY,
	time INTEGER NOT NULL,
	campaign TEXT NOT NULL,
	recipient TEXT NOT NULL,
	code INTEGER,
	enhanced TEXT,
	reply TEXT
) WITHOUT ROWID;

-- mailout: bulk indexes
-- The indexes of the two big tables.  A full build makes them after it
-- has inserted every recipient and delivery (plan.c: sorting the rows once
-- is cheaper than keeping the indexes through millions of inserts); the
-- schema's text before the line above makes the tables.
CREATE INDEX recipients_by_file ON recipients (file, line);
CREATE INDEX recipients_by_address ON recipients (address);
CREATE INDEX deliveries_by_account ON deliveries (campaign, account, state, ord);
-- The few deliveries the site and status list by state, without reading
-- the many pending, sent and skipped ones; it holds what the list of the
-- suppressed shows.  A query uses it when its WHERE holds the IN term as
-- written here (and says INDEXED BY, so that a change that would not
-- fails loudly).
CREATE INDEX deliveries_listed ON deliveries (campaign, state, ord, address, address_hash)
	WHERE state IN ('failed', 'retrying', 'claimed', 'unconfirmed', 'suppressed');
