#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "util.h"
#include "xalloc.h"

void cmd_vfprintf(FILE *out, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	buf_vaddf_visible(&b, fmt, ap);
	fwrite(b.ptr, 1, b.len, out);
	buf_release(&b);
}

void cmd_fprintf(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vfprintf(out, fmt, ap);
	va_end(ap);
}

void cmd_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vfprintf(stdout, fmt, ap);
	va_end(ap);
}

/* The whole message made visible: messages are one line. */
static void print_message(const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT, line = BUF_INIT;

	buf_vaddf(&msg, fmt, ap);
	buf_adds(&line, "mailout: ");
	buf_add_visible(&line, msg.ptr, msg.len);
	buf_addc(&line, '\n');
	fwrite(line.ptr, 1, line.len, stderr);
	buf_release(&msg);
	buf_release(&line);
}

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
}

void cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	if (ctx && ctx->command)
		fprintf(stderr, "usage: mailout %s\n", ctx->command->usage);
}

void cmd_print_help(const struct command *c)
{
	printf("usage: mailout %s\n\n%s\n", c->usage, c->summary);
	if (c->help && *c->help)
		printf("\n%s", c->help);
	printf("\n    --repo DIR   the content repository (default: the one around the current directory)\n");
}

struct opt *opts_get(struct opt *opts, const char *name)
{
	for (; opts->name; opts++) {
		if (!strcmp(opts->name, name))
			return opts;
	}
	return NULL;
}

static void unknown_option(struct cmd_ctx *ctx, const char *arg, struct opt *opts)
{
	const char *names[64];
	size_t n = 0;
	const char *hint;
	char *name = xstrdup(arg + 2);
	char *eq = strchr(name, '=');

	if (eq)
		*eq = '\0';
	for (; opts->name && n < 63; opts++)
		names[n++] = opts->name;
	names[n++] = "help";
	hint = suggest_closest(name, names, n);
	if (hint)
		cmd_usage_error(ctx, "unknown option '%s' (did you mean '--%s'?)", arg, hint);
	else
		cmd_usage_error(ctx, "unknown option '%s'", arg);
	free(name);
}

int opts_parse(struct cmd_ctx *ctx, int argc, char **argv, struct opt *opts, char ***args,
	       size_t *nargs)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t npos = 0;
	int i, only_args = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		const char *eq;
		struct opt *o;
		size_t len;

		if (only_args || a[0] != '-' || !a[1]) {
			pos[npos++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cmd_print_help(ctx->command);
			free(pos);
			return 1;
		}
		if (a[1] != '-') {
			unknown_option(ctx, a, opts);
			goto fail;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (o = opts; o->name; o++) {
			if (strlen(o->name) == len && !strncmp(o->name, a + 2, len))
				break;
		}
		if (!o->name) {
			unknown_option(ctx, a, opts);
			goto fail;
		}
		if (o->kind == 0) {
			if (eq) {
				cmd_usage_error(ctx, "option '--%s' takes no value", o->name);
				goto fail;
			}
			o->seen++;
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			cmd_usage_error(ctx, "option '--%s' needs a value", o->name);
			goto fail;
		}
		if (o->kind == 1 && o->seen) {
			cmd_usage_error(ctx, "option '--%s' given twice", o->name);
			goto fail;
		}
		o->seen++;
		o->value = value;
		o->values = xrealloc(o->values, (o->nvalues + 1) * sizeof(*o->values));
		o->values[o->nvalues++] = value;
	}
	*args = pos;
	*nargs = npos;
	return 0;
fail:
	free(pos);
	*args = NULL;
	*nargs = 0;
	return -1;
}

void opts_release(struct opt *opts, char **args)
{
	for (; opts && opts->name; opts++) {
		free(opts->values);
		opts->values = NULL;
	}
	free(args);
}

int cmd_run_sync(struct cmd_ctx *ctx, int argc, char **argv,
		 int (*sync)(struct cmd_ctx *ctx, int commit, const char *remote))
{
	struct opt opts[] = { { "commit", 0, 0, NULL, NULL, 0 }, { "push", 1, 0, NULL, NULL, 0 },
			      { NULL, 0, 0, NULL, NULL, 0 } };
	char **args = NULL;
	size_t nargs = 0;
	int r, code = EXIT_USAGE;

	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs == 0)
		cmd_usage_error(ctx, "missing the action: 'sync'");
	else if (strcmp(args[0], "sync"))
		cmd_usage_error(ctx, "unknown action '%s': the only one is 'sync'", args[0]);
	else if (nargs > 1)
		cmd_usage_error(ctx, "unexpected argument '%s'", args[1]);
	else
		code = sync(ctx, opts[0].seen, opts[1].value);
	opts_release(opts, args);
	return code;
}
