/*
 * The command line: a table of commands in main.c, one cmd_<verb>.c per
 * command.  Commands parse their own options with opts_parse() and return
 * an exit code: 0 done, 1 failure or invalid content, 2 usage.
 */
#ifndef MAILOUT_CMD_H
#define MAILOUT_CMD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define EXIT_USAGE 2

/* Shared setup done by the dispatcher, as flags in the command table. */
#define NEEDS_REPO 1u

struct cmd_ctx {
	const char *repo; /* the repository root (with NEEDS_REPO) */
	const char *name; /* the command's name, for messages */
	const struct command *command;
};

struct command {
	const char *name;
	int (*fn)(struct cmd_ctx *ctx, int argc, char **argv);
	const char *summary;
	const char *usage; /* the synopsis after "mailout " */
	const char *help; /* option descriptions, one per line */
	unsigned flags;
};

/* Options of one command.  kind: 0 a flag, 1 takes a value, 2 repeatable value. */
struct opt {
	const char *name; /* without "--" */
	int kind;
	int seen;
	const char *value; /* the last value */
	const char **values; /* every value, for repeatable options */
	size_t nvalues;
};

/* Parses argv (after the verb) into opts (ended by a { NULL } entry) and
 * positional arguments (*args, *nargs; the array is malloc'd).  Prints a
 * usage error with the closest option and returns -1 on an unknown option
 * or a missing value; returns 1 when --help was given (help printed). */
int opts_parse(struct cmd_ctx *ctx, int argc, char **argv, struct opt *opts, char ***args,
	       size_t *nargs);
struct opt *opts_get(struct opt *opts, const char *name);
void opts_release(struct opt *opts, char **args);

void cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Errors, "mailout: " and the message with its control characters made
 * visible (buf_add_visible). */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* printf with each %s argument's control characters made visible: for
 * lines that show content (names, subjects, server replies). */
void cmd_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_fprintf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cmd_vfprintf(FILE *out, const char *fmt, va_list ap);
void cmd_print_help(const struct command *c);
/* `unsubscribes sync` and `bounces sync`: the action and --commit / --push. */
int cmd_run_sync(struct cmd_ctx *ctx, int argc, char **argv,
		 int (*sync)(struct cmd_ctx *ctx, int commit, const char *remote));

int cmd_validate(struct cmd_ctx *ctx, int argc, char **argv);


struct plan;
/* Opens and refreshes the plan, printing content problems; NULL on failure
 * (the message is printed). */
struct plan *cmd_open_plan(struct cmd_ctx *ctx, const char *build_dir, unsigned flags);

/* Those that append to the campaigns' logs (send, bounces sync) run one at
 * a time per checkout: an exclusive lock on DIR/send.lock, which says who
 * holds it.  0 with *fd_out to close at the end, or -1 (printed). */
int cmd_lock_logs(const char *dir, int *fd_out);

int cmd_build(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_status(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_preview(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_proof(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_send(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_retry(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_accounts(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_pause(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_merge(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_new(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_import(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_export(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_unsubscribes(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_bounces(struct cmd_ctx *ctx, int argc, char **argv);

struct campaign;
/* Parses the single CAMPAIGN argument of pause/resume and opens the plan:
 * 0 with *plan_out and *out set, -1 after --help, else an exit code. */
int cmd_campaign_arg(struct cmd_ctx *ctx, int argc, char **argv, struct plan **plan_out,
		     const struct campaign **out);

#endif
