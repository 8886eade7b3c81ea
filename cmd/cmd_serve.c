/*
 * mailout serve: the one-click unsubscribe endpoint (src/serve.h), run
 * from mailout.yaml alone until SIGTERM or SIGINT.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "serve.h"
#include "serve_page.h"
#include "token.h"
#include "xalloc.h"
#include "yamlfile.h"

static const char *listen_arg, *spool_arg, *config_arg, *rate_arg, *proxy_arg, *journal_arg, *theme_arg;

static const struct opt_spec opts[] = {
	OPT_VALUE("listen", &listen_arg, "ADDR:PORT", "where to listen (default 127.0.0.1:8025)"),
	OPT_VALUE("spool", &spool_arg, "DIR", "the journal of answered requests (default spool)"),
	OPT_VALUE("config", &config_arg, "FILE", "the configuration (default ./mailout.yaml)"),
	OPT_VALUE("rate-limit", &rate_arg, "N", "requests per client address and minute\n"
						 "(default 60; 0: no limit)"),
	OPT_VALUE("trusted-proxy", &proxy_arg, "ADDR", "believe X-Forwarded-For from this peer"),
	OPT_VALUE("journal-max", &journal_arg, "N", "entries that may wait for the mailbox\n"
						 "(default 100000; then 503)"),
	OPT_VALUE("theme", &theme_arg, "DIR", "the pages from DIR instead of the built-in ones"),
	OPT_END
};

/* The path of one_click_url, "/" when it has none. */
static char *url_path(const char *url)
{
	CURLU *u = curl_url();
	char *path = NULL, *out = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
		out = xstrdup(*path ? path : "/");
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

/* Loads FILE (its directory is where a relative ca_file lies). */
static int load_config(struct config *cfg, const char *file)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	const char *slash = strrchr(file, '/');
	char *dir = slash ? xstrndup(file, (size_t)(slash - file + 1)) : xstrdup(".");
	int ret = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (ydoc_load_file(&doc, dir, slash ? slash + 1 : file, &diags) == 0)
		config_load_doc(cfg, doc, &diags);
	if (diags.errors || !doc) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("'%s' has errors", file);
		goto done;
	}
	if (!cfg->one_click_url || !cfg->unsubscribe_mailbox) {
		cmd_error("'%s' needs 'unsubscribe.one_click_url' and 'unsubscribe.mailbox'", file);
		goto done;
	}
	ret = 0;
done:
	free(dir);
	ydoc_free(doc);
	diag_release(&diags);
	return ret;
}

/* The number of option name, value (NULL: fallback): 0, or -1 (printed). */
static int count_arg(long *out, const char *name, const char *value, long fallback, long min)
{
	char *end = NULL;

	*out = fallback;
	if (!value)
		return 0;
	*out = strtol(value, &end, 10);
	if (!*value || *end || *out < min || *out > 1000000000L) {
		cmd_error("invalid --%s '%s': a number from %ld", name, value, min);
		return -1;
	}
	return 0;
}

/* Fills o from the configuration and the options: 0, or an exit code
 * (printed).  *path_out is the caller's to free. */
static int make_options(struct serve_options *o, char **path_out, const struct config *cfg)
{
	const char *pw = cfg->unsubscribe_password_env ? getenv(cfg->unsubscribe_password_env) : NULL;
	long rate, journal;

	if (count_arg(&rate, "rate-limit", rate_arg, SERVE_RATE_LIMIT_DEFAULT, 0) < 0 ||
	    count_arg(&journal, "journal-max", journal_arg, SERVE_JOURNAL_DEFAULT, 1) < 0)
		return EXIT_USAGE;
	if (!pw || !*pw) {
		cmd_error("%s is not set: it holds the password of the unsubscribe mailbox",
			  cfg->unsubscribe_password_env ? cfg->unsubscribe_password_env : "password_env");
		return 1;
	}
	*path_out = url_path(cfg->one_click_url);
	if (!*path_out) {
		cmd_error("invalid 'unsubscribe.one_click_url' '%s'", cfg->one_click_url);
		return 1;
	}
	memset(o, 0, sizeof(*o));
	o->listen = listen_arg ? listen_arg : "127.0.0.1:8025";
	o->spool = spool_arg ? spool_arg : "spool";
	o->path = *path_out;
	o->org_name = cfg->org_name;
	o->language = cfg->language;
	o->mailto = cfg->unsubscribe_address;
	o->mailbox = cfg->unsubscribe_mailbox;
	o->username = cfg->unsubscribe_username;
	o->password = pw;
	o->tls = cfg->unsubscribe_tls.mode;
	o->ca_file = cfg->unsubscribe_tls.ca_file;
	o->trusted_proxy = proxy_arg;
	o->rate_limit = rate;
	o->journal_max = (size_t)journal;
	return 0;
}

/* The pages of --theme, or the built-in ones: 0, or -1 (printed). */
static int load_pages(struct serve_pages **out)
{
	struct diag_list diags = DIAG_LIST_INIT;
	int ret = serve_pages_load(out, theme_arg, &diags);

	if (ret < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("the theme '%s' cannot be used", theme_arg ? theme_arg : "(built-in)");
	}
	diag_release(&diags);
	return ret;
}

/* What the start found in the spool, when there is anything to say. */
static void print_recovery(const struct serve_recovery *r)
{
	if (r->waiting || r->delivered)
		cmd_printf("serve: spool: %zu waiting for the mailbox, %zu delivered remembered\n", r->waiting,
			   r->delivered);
	if (r->cut_bytes)
		cmd_printf("serve: spool: the journal's last line was cut short (%zu bytes, never answered): "
			   "left out\n", r->cut_bytes);
	if (r->bad_lines)
		cmd_printf("serve: spool: %zu damaged line%s left out\n", r->bad_lines,
			   r->bad_lines == 1 ? "" : "s");
}

static int run(struct cmd_ctx *ctx)
{
	struct config cfg;
	struct serve_options o;
	struct token_keys *keys = NULL;
	struct serve *s = NULL;
	struct serve_pages *pages = NULL;
	char *path = NULL;
	sigset_t stop;
	int code = 1, sig = 0;

	(void)ctx;
	memset(&cfg, 0, sizeof(cfg));
	if (load_config(&cfg, config_arg ? config_arg : CONFIG_FILE) < 0)
		goto done;
	code = make_options(&o, &path, &cfg);
	if (code)
		goto done;
	code = 1;
	if (token_keys_from_env(&keys) < 0) {
		cmd_error("cannot verify unsubscribe tokens: %s", error_last());
		goto done;
	}
	o.keys = keys;
	if (load_pages(&pages) < 0)
		goto done;
	o.pages = pages;
	/* the threads inherit the mask: only sigwait() below sees these */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file size limit is a failed write: 503 */
	if (serve_start(&s, &o) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	print_recovery(serve_recovered(s));
	cmd_printf("serve: listening on port %u, answering %s\n", serve_port(s), path);
	fflush(stdout);
	sigwait(&stop, &sig);
	serve_stop(s);
	s = NULL;
	cmd_printf("serve: stopped\n");
	code = 0;
done:
	serve_stop(s);
	token_keys_free(keys);
	serve_pages_free(pages);
	free(path);
	config_release(&cfg);
	return code;
}

const struct command cmd_serve_entry = {
	.name = "serve",
	.summary = "answer one-click unsubscribes (RFC 8058) over HTTP",
	.description = "The endpoint behind unsubscribe.one_click_url (RFC 8058).  A POST with a\n"
		       "valid token is appended to the journal and synced to disk before it is\n"
		       "answered, then delivered into the unsubscribe mailbox by IMAP APPEND, where\n"
		       "unsubscribes sync reads it.  GET and HEAD show a page with a button and\n"
		       "record nothing.\n",
	.opts = opts,
	.help_column = 26,
	.notes = "Needs MAILOUT_SECRET and the unsubscribe mailbox's password; runs until\n"
		 "SIGTERM.  Answered requests wait in DIR/journal until the mailbox took them.\n"
		 "Pages are in organization.language; a --theme DIR holds confirm.html,\n"
		 "done.html, invalid.html and message.html with the placeholders {{lang}},\n"
		 "{{organization}}, {{title}}, {{text}}, {{button}}, {{action}}, {{token}},\n"
		 "{{address}}, {{mailto_text}} and {{status}} (always HTML-escaped).\n",
	.run = run,
};
