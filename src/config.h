/*
 * mailout.yaml: organisation, schedule rules, departments, people and
 * sending accounts.  config_load() checks every key and reports problems as
 * diagnostics; what loads is usable even when some values were wrong (they
 * are left empty), so validation can go on and report everything.
 */
#ifndef MAILOUT_CONFIG_H
#define MAILOUT_CONFIG_H

#include <stddef.h>

#include "diag.h"
#include "schedule.h"
#include "tls.h"

#define CONFIG_FILE "mailout.yaml"

struct pos {
	int line, col;
};

struct department {
	char *id, *name;
	struct pos pos;
};

enum person_role { ROLE_SALES_MANAGER, ROLE_COMPANY_MANAGER };

struct person {
	char *id, *name, *email, *department;
	enum person_role role;
	struct pos pos;
};

enum account_auth { AUTH_PASSWORD, AUTH_OAUTH2 };

/*
 * `tls:` and `ca_file:` of an account or of the unsubscribe mailbox
 * (src/tls.h).  ca_file is as written: an absolute path, or a path in the
 * repository, whose content config_load() reads (content_open rules: no
 * symbolic links) into ca_pem[0..ca_pem_len); ca_pem is NULL for an
 * absolute path, which libcurl reads itself.
 */
struct tls_config {
	enum tls_mode mode;
	char *ca_file;
	char *ca_pem;
	size_t ca_pem_len;
	struct pos ca_pos; /* of the ca_file value */
};

#define SMTP_TIMEOUT_MIN 1L
#define SMTP_TIMEOUT_MAX 3600L

struct account {
	char *id, *owner, *from, *smtp, *username, *password_env;
	enum account_auth auth;
	char *token_url, *client_id, *client_secret_env, *refresh_token_env;
	char *imap;
	char *sent_mailbox; /* `sent_mailbox:`; NULL: the \Sent special-use mailbox */
	struct tls_config tls; /* for smtp and imap */
	char *helo; /* `helo:`, else the domain of the From address; NULL when from is invalid */
	long smtp_timeout; /* `smtp_timeout:`, seconds to wait for the reply to the final
			    * '.' (SMTP_TIMEOUT_MIN..MAX); 0: RFC 5321's 10 minutes */
	long daily_limit;
	int main, enabled;
	struct schedule schedule; /* the organisation's rules with this account's overrides */
	char *timezone; /* NULL: the organisation's */
	struct pos pos;
};

struct config {
	char *org_name, *postal_address, *site_url, *timezone;
	char *language; /* `organization.language`, a BCP 47 tag; "en" when not given */
	const struct tz *zone;
	struct schedule schedule; /* organisation-wide rules */
	int *holidays;
	size_t nholidays;
	char *unsubscribe_address, *unsubscribe_mailbox, *unsubscribe_username,
		*unsubscribe_password_env, *one_click_url;
	struct tls_config unsubscribe_tls; /* for unsubscribe_mailbox */
	struct pos unsubscribe_pos; /* of the 'unsubscribe' key */
	char *git_author;
	/* `privacy.hash_suppressions`: the syncs and import write the hash of
	 * an address to recipients/suppressions.tsv, never the address */
	int hash_suppressions;
	struct department *departments;
	size_t ndepartments;
	struct person *people;
	size_t npeople;
	struct account *accounts;
	size_t naccounts;
};

/* Loads <root>/mailout.yaml.  Returns 0, or -1 when the file is missing or
 * is not YAML at all (diagnostics added either way).  Release with
 * config_release() in every case. */
int config_load(struct config *out, const char *root, struct diag_list *diags);
/* The same for mailout.yaml already parsed into doc (what the
 * configuration keeps is copied).  Returns 0, or -1 when doc is empty or
 * not a mapping. */
struct ydoc;
int config_load_doc(struct config *out, const struct ydoc *doc, struct diag_list *diags);
void config_release(struct config *c);

const struct person *config_person(const struct config *c, const char *id);
const struct account *config_account(const struct config *c, const char *id);
const struct department *config_department(const struct config *c, const char *id);

/* Checks shared by every file. */
/* 0 when s is a valid address (dot-atom local part <= 64, domain labels,
 * total <= 254); otherwise -1 with *why set to a static explanation. */
int address_check(const char *s, const char **why);
int id_check(const char *s); /* [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 */
int header_safe(const char *s, size_t len); /* no CR, LF or NUL */

#endif
