/*
 * mailout: the command table and the dispatcher.
 */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

static const struct command commands[] = {
	{ "validate", cmd_validate, "check everything; exit 1 on any error",
	  "validate [--changed-since REV]",
	  "    --changed-since REV   mark the problems in files changed since REV\n", NEEDS_REPO },
	{ "build", cmd_build, "build the send plan and the status site", "build [--out DIR] [--rebuild]",
	  "    --out DIR     write plan.db and site/ to DIR (default: <repo>/build)\n"
	  "    --rebuild     start from scratch instead of refreshing\n"
	  "Needs no secret.\n", NEEDS_REPO },
	{ "status", cmd_status, "show every campaign's progress", "status [CAMPAIGN] [--json] [--check]",
	  "    CAMPAIGN      one campaign in detail: every count, its accounts, notifications\n"
	  "    --json        the plan's stamp and every campaign's counts as JSON\n"
	  "    --check       exit 1 when a campaign is interrupted or an account has a critical error\n",
	  NEEDS_REPO },
	{ "preview", cmd_preview, "print the message a recipient would get",
	  "preview CAMPAIGN [--recipient ID] [--format eml|html|text]",
	  "    --recipient ID   this recipient (default: the first pending one in send order)\n"
	  "    --format FMT     eml: the whole message as sent (default); html or text: one part\n"
	  "Needs MAILOUT_SECRET (the unsubscribe link is signed).\n", NEEDS_REPO },
	{ "proof", cmd_proof, "send a proof of a campaign's message to a test address",
	  "proof CAMPAIGN --to ADDRESS [--recipient ID] [--sink URL]",
	  "    --to ADDRESS     the test address (envelope and To)\n"
	  "    --recipient ID   the message of this recipient (default: as preview)\n"
	  "    --sink URL       send through this SMTP server instead of the recipient's account\n"
	  "Needs MAILOUT_SECRET and the account's secret; nothing is recorded.\n", NEEDS_REPO },
	{ "send", cmd_send, "send what is due, throttled, through the owners' accounts",
	  "send [--for DURATION] [--now TIME] [--account ID]... [--dry-run] [--sink SMTP_URL] [--commit] [--push REMOTE] [--batch DURATION]",
	  "    --for DURATION   run this long on the real clock, sleeping between due moments\n"
	  "                     (30s, 9m, 2h, 7d; default 0: what is due now)\n"
	  "    --now TIME       a virtual clock from TIME that jumps to each due moment\n"
	  "                     (needs --sink or --dry-run)\n"
	  "    --account ID     only this account (repeatable): one job per account in CI\n"
	  "    --dry-run        print what would be sent when, and the forecast; change nothing\n"
	  "    --sink URL       deliver everything to this SMTP server (credentials in the URL)\n"
	  "    --commit         commit the logs this run writes (at the end)\n"
	  "    --push REMOTE    commit and push: claims before each batch goes out, outcomes after\n"
	  "    --batch DURATION the messages claimed and pushed at once (default 10m)\n"
	  "Needs MAILOUT_SECRET and the accounts' secrets.\n", NEEDS_REPO },
	{ "retry", cmd_retry, "make a campaign's unsuccessful recipients pending again",
	  "retry CAMPAIGN [--unconfirmed]",
	  "    --unconfirmed   also the recipients whose message may or may not have gone out\n", NEEDS_REPO },
	{ "pause", cmd_pause, "pause a campaign", "pause CAMPAIGN", NULL, NEEDS_REPO },
	{ "resume", cmd_resume, "resume a paused or interrupted campaign", "resume CAMPAIGN", NULL,
	  NEEDS_REPO },
	{ "merge", cmd_merge, "merge campaigns that share template, type and owner",
	  "merge CAMPAIGN CAMPAIGN... --into ID [--name NAME]",
	  "    --into ID     the new campaign: the union of theirs, with their history\n"
	  "    --name NAME   its name (default: the first one's name and \"(merged)\")\n"
	  "The campaigns merged get status merged and send nothing more.\n", NEEDS_REPO },
	{ "new", cmd_new, "create a campaign",
	  "new --type TYPE[,TYPE...] --template NAME --owner PERSON [--segment NAME | --filter '{...}'] [--id ID] [--name NAME] [--start DATE] [--end DATE] [--paused] [--vip-only]",
	  "    --type TYPES        contacts, companies or leads; several: one campaign each\n"
	  "    --template NAME     templates/NAME.md\n"
	  "    --owner PERSON      only this person's recipients, sent through their accounts\n"
	  "    --segment NAME      a segment of recipients/segments.yaml\n"
	  "    --filter '{...}'    an inline filter, e.g. '{country: [DE, AT], tags: newsletter}'\n"
	  "    --id ID             the campaign id (default: TEMPLATE-START; with several types\n"
	  "                        the type is added: ID-contacts)\n"
	  "    --name NAME         the campaign's name\n"
	  "    --start DATE        nothing is sent before (default: today)\n"
	  "    --end DATE          nothing is sent after\n"
	  "    --paused            create it paused\n"
	  "    --vip-only          VIP recipients only\n"
	  "Refuses what would not validate; prints each campaign's recipients and when the\n"
	  "forecast sees it finished.\n",
	  NEEDS_REPO },
	{ "import", cmd_import, "import recipients from a CSV export",
	  "import TYPE FILE.csv [--owner PERSON] [--map COLUMN=FIELD]... [--into NAME] [--replace] [--skip-invalid]",
	  "    --owner PERSON       the owner of rows whose owner cell is empty or missing\n"
	  "    --map COLUMN=FIELD   store COLUMN as FIELD (repeatable); FIELD '-' drops the column\n"
	  "    --into NAME          write recipients/TYPE/NAME.yaml (default: from the CSV's name)\n"
	  "    --replace            replace that file: it then mirrors the CSV (a fresh CRM export)\n"
	  "    --skip-invalid       import the valid rows and list the others (default: all or nothing)\n",
	  NEEDS_REPO },
	{ "export", cmd_export, "export a campaign's deliveries as CSV", "export CAMPAIGN [--format csv]",
	  "    --format csv   the output format: CSV (RFC 4180), one row per recipient in send order\n",
	  NEEDS_REPO },
	{ "unsubscribes", cmd_unsubscribes, "read unsubscribe requests from the unsubscribe mailbox",
	  "unsubscribes sync [--commit] [--push REMOTE]",
	  "    --commit         commit what the sync wrote\n"
	  "    --push REMOTE    commit and push (the results first, then the state)\n", NEEDS_REPO },
	{ "bounces", cmd_bounces, "read delivery reports from the sending mailboxes",
	  "bounces sync [--commit] [--push REMOTE]",
	  "    --commit         commit what the sync wrote\n"
	  "    --push REMOTE    commit and push (the results first, then the state)\n", NEEDS_REPO },
	{ "accounts", cmd_accounts, "log in to every sending account and say which work", "accounts check",
	  NULL, NEEDS_REPO },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static void print_overview(FILE *out)
{
	const struct command *c;

	fprintf(out, "usage: mailout [--repo DIR] COMMAND [OPTIONS]\n\n"
		     "Mass mailing from a git repository: campaigns, recipients, templates and\n"
		     "accounts as YAML and Markdown; a send plan and a status site built from them.\n\n"
		     "Commands:\n");
	for (c = commands; c->name; c++)
		fprintf(out, "  %-13s %s\n", c->name, c->summary);
	fprintf(out, "\nmailout help COMMAND or mailout COMMAND --help shows a command's options.\n"
		     "--repo DIR works with every command; MAILOUT_NOW sets the clock (RFC 3339).\n");
}

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
	}
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[32];
	const char *hint;
	size_t n = 0;
	const struct command *c;

	for (c = commands; c->name && n < 31; c++)
		names[n++] = c->name;
	names[n++] = "help";
	hint = suggest_closest(name, names, n);
	if (hint)
		cmd_error("unknown command '%s' (did you mean '%s'?)", name, hint);
	else
		cmd_error("unknown command '%s'; 'mailout --help' lists the commands", name);
	return EXIT_USAGE;
}

/* The directory holding mailout.yaml: dir itself, or the first parent of
 * the current directory that has one. */
static char *find_repo(const char *dir)
{
	char cwd[PATH_MAX];
	struct stat st;
	char *path;
	size_t len;

	if (dir) {
		path = xasprintf("%s/%s", dir, CONFIG_FILE);
		if (lstat(path, &st) < 0) {
			cmd_error("no %s in '%s'", CONFIG_FILE, dir);
			free(path);
			return NULL;
		}
		free(path);
		return xstrdup(dir);
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		cmd_error("cannot read the current directory: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		path = xasprintf("%s/%s", *cwd ? cwd : "/", CONFIG_FILE);
		if (lstat(path, &st) == 0) {
			free(path);
			return xstrdup(*cwd ? cwd : "/");
		}
		free(path);
		len = strlen(cwd);
		while (len > 0 && cwd[len - 1] != '/')
			len--;
		if (len <= 1 && !*cwd)
			break;
		if (len == 0)
			break;
		cwd[len - 1] = '\0';
		if (len == 1) {
			/* reached "/": try it once more, then stop */
			path = xasprintf("/%s", CONFIG_FILE);
			if (lstat(path, &st) == 0) {
				free(path);
				return xstrdup("/");
			}
			free(path);
			break;
		}
	}
	cmd_error("not in a mailout repository (no %s here or in any parent); use --repo DIR",
		  CONFIG_FILE);
	return NULL;
}

/* MAILOUT_NOW must be a time mailout can use (its zone comes later, with
 * the repository: here only the form and the range are checked). */
static int check_clock(void)
{
	const char *now = getenv("MAILOUT_NOW");
	time_t t;

	if (time_parse_local(now, NULL, &t) < 0) {
		cmd_error("invalid MAILOUT_NOW '%s': %s", now, error_last());
		return -1;
	}
	if (t < 0 || t > (time_t)253402300799LL) {
		cmd_error("invalid MAILOUT_NOW '%s': a time from 1970 to 9999", now);
		return -1;
	}
	return 0;
}

static int finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, "mailout: cannot write the output: %s\n", strerror(errno));
		return 1;
	}
	return code;
}

int main(int argc, char **argv)
{
	const char *repo_arg = NULL;
	const struct command *c;
	struct cmd_ctx ctx;
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	char *repo = NULL;
	int i, n = 0, code;

	/* --repo DIR is global: take it out wherever it stands. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			for (; i < argc; i++)
				args[n++] = argv[i];
			break;
		}
		if (!strcmp(argv[i], "--repo")) {
			if (i + 1 >= argc) {
				cmd_error("option '--repo' needs a value");
				free(args);
				return EXIT_USAGE;
			}
			repo_arg = argv[++i];
		} else if (!strncmp(argv[i], "--repo=", 7)) {
			repo_arg = argv[i] + 7;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n == 0) {
		print_overview(stderr);
		free(args);
		return EXIT_USAGE;
	}
	if (!strcmp(args[0], "--help") || !strcmp(args[0], "-h")) {
		print_overview(stdout);
		free(args);
		return finish(0);
	}
	if (!strcmp(args[0], "--version")) {
		printf("mailout %s\n", MAILOUT_VERSION);
		free(args);
		return finish(0);
	}
	if (!strcmp(args[0], "help")) {
		code = 0;
		if (n < 2)
			print_overview(stdout);
		else if ((c = find_command(args[1])))
			cmd_print_help(c);
		else
			code = unknown_command(args[1]);
		free(args);
		return finish(code);
	}
	if (args[0][0] == '-') {
		cmd_error("unknown option '%s'; 'mailout --help' lists the commands and options",
			  args[0]);
		free(args);
		return EXIT_USAGE;
	}
	c = find_command(args[0]);
	if (!c) {
		code = unknown_command(args[0]);
		free(args);
		return code;
	}
	if (getenv("MAILOUT_NOW") && check_clock() < 0) {
		free(args);
		return EXIT_USAGE;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.name = c->name;
	ctx.command = c;
	if (c->flags & NEEDS_REPO) {
		int wants_help = 0;
		for (i = 1; i < n; i++)
			wants_help |= !strcmp(args[i], "--help") || !strcmp(args[i], "-h");
		if (!wants_help) {
			repo = find_repo(repo_arg);
			if (!repo) {
				free(args);
				return 1;
			}
		}
		ctx.repo = repo;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	code = c->fn(&ctx, n - 1, args + 1);
	curl_global_cleanup();
	free(repo);
	free(args);
	return finish(code);
}
