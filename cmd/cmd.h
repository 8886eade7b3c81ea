/*
 * The command line: one cmd_<verb>.c per command, each exporting its entry
 * (struct command: name, help, option specs bound to its variables, flags
 * for the setup the dispatcher does, and its run), and the table of
 * entries in main.c.  A command returns an exit code: 0 done, 1 failure or
 * invalid content, 2 usage.
 */
#ifndef MAILOUT_CMD_H
#define MAILOUT_CMD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define EXIT_USAGE 2

/*
 * Shared setup done by the dispatcher, as flags of a command's entry, in
 * this order: NEEDS_REPO finds the repository (ctx->repo); the options are
 * parsed and the entry's check() runs; NEEDS_PLAN opens and refreshes the
 * plan (ctx->plan), printing content problems as cmd_open_plan() does;
 * CAMPAIGN_ARG resolves the first argument, when there is one, to a
 * campaign of the plan (ctx->campaign), CAMPAIGN_ARGS every argument
 * (ctx->campaigns): an unknown id is "mailout: unknown campaign 'ID' (did
 * you mean 'CLOSEST'?)" and exit 1.  Both imply NEEDS_PLAN.
 */
#define NEEDS_REPO 1u
#define NEEDS_PLAN 2u
#define CAMPAIGN_ARG 4u
#define CAMPAIGN_ARGS 8u

/* What an option spec is. */
enum opt_type {
	OPT_TYPE_END, /* ends a spec list */
	OPT_TYPE_SWITCH, /* --name: *flag counts how often it was given */
	OPT_TYPE_VALUE, /* --name VALUE or --name=VALUE, at most once: *value */
	OPT_TYPE_LIST, /* --name VALUE, repeatable: every value in *list */
	OPT_TYPE_ARG /* a positional argument: shown in the synopsis and the help */
};

/* How the synopsis shows an option or argument. */
#define USAGE_REQUIRED 1u /* an option without brackets (the command checks it) */
#define USAGE_CHOICE 2u /* the alternative to the one before: [--a X | --b Y] */
#define USAGE_OPTIONAL 4u /* an argument in brackets */

/* The values of a repeatable option, in the order given (the dispatcher
 * frees items after the command ran). */
struct opt_list {
	const char **items;
	size_t count;
};

struct opt_spec {
	enum opt_type type;
	const char *name; /* without "--"; an argument's name as shown */
	int *flag; /* OPT_TYPE_SWITCH */
	const char **value; /* OPT_TYPE_VALUE; stays NULL when not given */
	struct opt_list *list; /* OPT_TYPE_LIST */
	const char *value_name; /* in the help: --for DURATION */
	const char *usage_value; /* in the synopsis, when not value_name */
	unsigned usage; /* USAGE_* */
	const char *help; /* the description; '\n' starts a continuation line;
			   * NULL: no line in the help */
};

/* The specs, bound to the command's variables (static, so NULL or 0 until
 * given). */
#define OPT_SWITCH(name_, flag_, help_) \
	{ .type = OPT_TYPE_SWITCH, .name = (name_), .flag = (flag_), .help = (help_) }
#define OPT_VALUE(name_, value_, value_name_, help_) \
	{ .type = OPT_TYPE_VALUE, .name = (name_), .value = (value_), \
	  .value_name = (value_name_), .help = (help_) }
/* A value with USAGE_* flags and, when not NULL, another name in the synopsis. */
#define OPT_VALUE_USAGE(name_, value_, value_name_, usage_, usage_value_, help_) \
	{ .type = OPT_TYPE_VALUE, .name = (name_), .value = (value_), \
	  .value_name = (value_name_), .usage = (usage_), .usage_value = (usage_value_), \
	  .help = (help_) }
#define OPT_LIST(name_, list_, value_name_, help_) \
	{ .type = OPT_TYPE_LIST, .name = (name_), .list = (list_), \
	  .value_name = (value_name_), .help = (help_) }
/* The arguments are in ctx->args; the command checks how many it got. */
#define OPT_ARG(name_, usage_, help_) \
	{ .type = OPT_TYPE_ARG, .name = (name_), .usage = (usage_), .help = (help_) }
#define OPT_END { .type = OPT_TYPE_END }

struct plan;
struct campaign;
struct buf;

struct cmd_ctx {
	const char *repo; /* the repository root (with NEEDS_REPO) */
	const char *repo_arg; /* without NEEDS_REPO: --repo as given, NULL without */
	const char *name; /* the command's name, for messages */
	const struct command *command;
	char **args; /* the positional arguments, after the options are taken out */
	size_t nargs;
	/* NEEDS_PLAN: the refreshed plan, closed by the dispatcher after
	 * run(); a command that reopens it stores the new one here (the
	 * campaigns below then point into the closed one: use args). */
	struct plan *plan;
	const struct campaign *campaign; /* CAMPAIGN_ARG: args[0]'s; NULL without arguments */
	const struct campaign **campaigns; /* CAMPAIGN_ARGS: args[i]'s */
};

/*
 * One command, as cmd_<verb>.c exports it (cmd_<verb>_entry) and main.c
 * lists it.  Its help is made from its specs: "usage: mailout " and the
 * synopsis (the name, then each spec in order), the summary, one line per
 * spec with help (the description from column help_column on), the notes,
 * and the --repo line.
 */
struct command {
	const char *name;
	const char *summary; /* one line, in the overview and the help */
	/* What the command does, after the summary in the help and as the man
	 * page's DESCRIPTION: lines wrapped for 80 columns, an empty line
	 * between paragraphs; NULL: the summary says it all. */
	const char *description;
	const struct opt_spec *opts; /* arguments and options in synopsis order, ended by OPT_END */
	int help_column;
	const char *notes; /* lines after the options' ("Needs MAILOUT_SECRET ...\n"); NULL: none */
	void (*notes_add)(struct buf *b); /* more such lines, made when shown; NULL: none */
	/* The exit codes, one line each, "N what it means\n"; NULL:
	 * cmd_exit_status_default. */
	const char *exit_status;
	unsigned flags; /* NEEDS_REPO, NEEDS_PLAN, CAMPAIGN_ARG, CAMPAIGN_ARGS */
	/* The arguments' own rules, before the plan is opened (NULL: none):
	 * 0, or an exit code after printing what is wrong. */
	int (*check)(struct cmd_ctx *ctx);
	int (*run)(struct cmd_ctx *ctx); /* the exit code */
};

/* Parses argv (after the verb) by ctx->command's specs, setting their
 * variables, with the positional arguments in ctx->args (malloc'd) and
 * ctx->nargs.  Prints a usage error with the closest option and returns -1
 * on an unknown option or a missing value; returns 1 when --help was given
 * (help printed). */
int opts_parse(struct cmd_ctx *ctx, int argc, char **argv);
/* Frees the lists of specs and args. */
void opts_release(const struct opt_spec *specs, char **args);

void cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Errors, "mailout: " and the message with its control characters made
 * visible (buf_add_visible). */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_verror(const char *fmt, va_list ap);
/* printf with each %s argument's control characters made visible: for
 * lines that show content (names, subjects, server replies). */
void cmd_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_fprintf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cmd_vfprintf(FILE *out, const char *fmt, va_list ap);
void cmd_print_help(const struct command *c);
/* The synopsis of the help's usage line, without "usage: mailout ". */
void cmd_add_synopsis(struct buf *b, const struct command *c);
/* An option or argument as its help line starts: "--for DURATION". */
void cmd_add_option_term(struct buf *b, const struct opt_spec *o);
/* The --repo line of every command's help. */
extern const char cmd_repo_help[];
/* The exit codes of a command whose entry names none. */
extern const char cmd_exit_status_default[];

/* The overview of `mailout --help` on out, listing commands (ended by
 * NULL). */
void cmd_print_overview(FILE *out, const struct command *const *commands);
/* `mailout help --man`: the man page mailout(1), with every command of
 * commands, and `mailout help --man COMMAND`, mailout-COMMAND(1), as roff
 * on stdout, made from the same text as the help. */
void cmd_print_man_overview(const struct command *const *commands);
void cmd_print_man(const struct command *c);
/* `unsubscribes sync` and `bounces sync`: their options (--commit,
 * --push), their help column, and the run that checks the action. */
extern const struct opt_spec cmd_sync_opts[];
#define CMD_SYNC_HELP_COLUMN 21
int cmd_run_sync(struct cmd_ctx *ctx, int (*sync)(struct cmd_ctx *ctx, int commit, const char *remote));

/* Opens and refreshes the plan, printing content problems; NULL on failure
 * (the message is printed). */
struct plan *cmd_open_plan(struct cmd_ctx *ctx, const char *build_dir, unsigned flags);

/* Those that append to the campaigns' logs (send, bounces sync) run one at
 * a time per checkout: an exclusive lock on build/send.lock below the
 * repository root, which says who holds it.  0 with *fd_out to close at
 * the end, or -1 (printed). */
int cmd_lock_logs(const char *root, int *fd_out);

/* The one CAMPAIGN argument of preview, proof, retry, pause and resume:
 * 0, or EXIT_USAGE after "which campaign?" or an extra argument. */
int cmd_check_campaign_arg(struct cmd_ctx *ctx);
/* The campaign id of the plan (did you mean ... printed when it is none). */
const struct campaign *cmd_find_campaign(struct plan *p, const char *id);

extern const struct command cmd_validate_entry, cmd_build_entry, cmd_status_entry,
	cmd_preview_entry, cmd_proof_entry, cmd_send_entry, cmd_retry_entry, cmd_pause_entry,
	cmd_resume_entry, cmd_merge_entry, cmd_new_entry, cmd_import_entry, cmd_export_entry,
	cmd_unsubscribes_entry, cmd_bounces_entry, cmd_accounts_entry, cmd_serve_entry,
	cmd_confirm_entry, cmd_init_entry,
	cmd_suppressions_entry, cmd_forget_entry;

/* The directory holding mailout.yaml: dir itself, or the first parent of
 * the current directory that has one (dir NULL); NULL after printing why
 * there is none.  Free it. */
char *cmd_find_repo(const char *dir);

/*
 * `mailout confirm`, and `mailout send` at its start (in_send: an account
 * whose mailbox cannot be read is a warning): resolves the unconfirmed
 * claims of the plan's accounts (accounts[0..naccounts), or all with NULL)
 * on the clock now (never before the latest event), appends the events to
 * the logs under root and prints what each account came to.  With
 * files_out, the logs written (free_list).  0; 1 when the mailbox of an
 * account with `imap:` could not be read; -1 on failure (printed).
 */
int cmd_confirm_claims(struct plan *p, const char *root, time_t now, const char *const *accounts,
		       size_t naccounts, int in_send, char ***files_out, size_t *nfiles_out);

#endif
