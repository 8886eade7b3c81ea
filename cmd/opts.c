#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "util.h"
#include "xalloc.h"

/* One option or argument as the synopsis shows it, without brackets. */
static void add_synopsis_term(struct buf *b, const struct opt_spec *o)
{
	if (o->type == OPT_TYPE_ARG) {
		buf_adds(b, o->name);
		return;
	}
	buf_addf(b, "--%s", o->name);
	if (o->type != OPT_TYPE_SWITCH)
		buf_addf(b, " %s", o->usage_value ? o->usage_value : o->value_name);
}

const char cmd_repo_help[] = "the content repository (default: the one around the current directory)";

const char cmd_exit_status_default[] = "0 done\n"
				      "1 failure or invalid content\n"
				      "2 usage: an unknown option, a missing or extra argument\n";

/* "send [--for DURATION] ... [--account ID]... [--segment NAME | --filter X]" */
void cmd_add_synopsis(struct buf *b, const struct command *c)
{
	const struct opt_spec *o;

	buf_adds(b, c->name);
	for (o = c->opts; o->type != OPT_TYPE_END; o++) {
		int bracket = o->type == OPT_TYPE_ARG ? (o->usage & USAGE_OPTIONAL) != 0
						      : !(o->usage & USAGE_REQUIRED);
		int closes = !(o[1].type != OPT_TYPE_END && (o[1].usage & USAGE_CHOICE));

		if (o->usage & USAGE_CHOICE)
			buf_adds(b, " | ");
		else
			buf_adds(b, bracket ? " [" : " ");
		add_synopsis_term(b, o);
		if (closes && (bracket || (o->usage & USAGE_CHOICE)))
			buf_addc(b, ']');
		if (o->type == OPT_TYPE_LIST)
			buf_adds(b, "...");
	}
}

static void print_usage(FILE *out, const struct command *c)
{
	struct buf b = BUF_INIT;

	cmd_add_synopsis(&b, c);
	fprintf(out, "usage: mailout %s\n", b.ptr);
	buf_release(&b);
}

void cmd_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_verror(fmt, ap);
	va_end(ap);
	if (ctx && ctx->command)
		print_usage(stderr, ctx->command);
}

void cmd_add_option_term(struct buf *b, const struct opt_spec *o)
{
	if (o->type == OPT_TYPE_ARG)
		buf_adds(b, o->name);
	else if (o->type == OPT_TYPE_SWITCH)
		buf_addf(b, "--%s", o->name);
	else
		buf_addf(b, "--%s %s", o->name, o->value_name);
}

/* "    --for DURATION   run this long ...", continuation lines aligned. */
static void add_help_line(struct buf *b, const struct opt_spec *o, int column)
{
	size_t start = b->len, width = column > 0 ? (size_t)column : 0;
	const char *p = o->help, *nl;

	buf_adds(b, "    ");
	cmd_add_option_term(b, o);
	do {
		buf_addc(b, ' ');
	} while (b->len - start < width);
	for (;;) {
		nl = strchr(p, '\n');
		if (!nl) {
			buf_addf(b, "%s\n", p);
			break;
		}
		buf_add(b, p, (size_t)(nl - p) + 1);
		for (start = 0; start < width; start++)
			buf_addc(b, ' ');
		p = nl + 1;
	}
}

void cmd_print_help(const struct command *c)
{
	struct buf b = BUF_INIT;
	const struct opt_spec *o;
	const char *p;
	size_t len;

	print_usage(stdout, c);
	printf("\n%s\n", c->summary);
	if (c->description)
		printf("\n%s", c->description);
	for (o = c->opts; o->type != OPT_TYPE_END; o++) {
		if (o->help)
			add_help_line(&b, o, c->help_column);
	}
	if (c->notes)
		buf_adds(&b, c->notes);
	if (c->notes_add)
		c->notes_add(&b);
	if (b.len)
		printf("\n%s", b.ptr);
	printf("\n    --repo DIR   %s\n", cmd_repo_help);
	printf("\nExit status:\n");
	for (p = c->exit_status ? c->exit_status : cmd_exit_status_default; *p; p += len + !!p[len]) {
		len = strcspn(p, "\n");
		printf("    %.*s\n", (int)len, p);
	}
	buf_release(&b);
}

static void unknown_option(struct cmd_ctx *ctx, const char *arg)
{
	const char *names[64];
	const struct opt_spec *o;
	size_t n = 0;
	const char *hint;
	char *name = xstrdup(arg + 2);
	char *eq = strchr(name, '=');

	if (eq)
		*eq = '\0';
	for (o = ctx->command->opts; o->type != OPT_TYPE_END && n < 63; o++) {
		if (o->type != OPT_TYPE_ARG)
			names[n++] = o->name;
	}
	names[n++] = "help";
	hint = suggest_closest(name, names, n);
	if (hint)
		cmd_usage_error(ctx, "unknown option '%s' (did you mean '--%s'?)", arg, hint);
	else
		cmd_usage_error(ctx, "unknown option '%s'", arg);
	free(name);
}

int opts_parse(struct cmd_ctx *ctx, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof(char *));
	unsigned char *given; /* per spec: whether a value was given */
	size_t npos = 0, nspecs = 0;
	int i, only_args = 0, ret = -1;

	ctx->args = NULL;
	ctx->nargs = 0;
	while (ctx->command->opts[nspecs].type != OPT_TYPE_END)
		nspecs++;
	given = xcalloc(nspecs + 1, 1);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		const char *eq;
		const struct opt_spec *o;
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
			ret = 1;
			goto done;
		}
		if (a[1] != '-') {
			unknown_option(ctx, a);
			goto done;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (o = ctx->command->opts; o->type != OPT_TYPE_END; o++) {
			if (o->type != OPT_TYPE_ARG && strlen(o->name) == len &&
			    !strncmp(o->name, a + 2, len))
				break;
		}
		if (o->type == OPT_TYPE_END) {
			unknown_option(ctx, a);
			goto done;
		}
		if (o->type == OPT_TYPE_SWITCH) {
			if (eq) {
				cmd_usage_error(ctx, "option '--%s' takes no value", o->name);
				goto done;
			}
			(*o->flag)++;
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			cmd_usage_error(ctx, "option '--%s' needs a value", o->name);
			goto done;
		}
		if (o->type == OPT_TYPE_VALUE) {
			if (given[o - ctx->command->opts]++) {
				cmd_usage_error(ctx, "option '--%s' given twice", o->name);
				goto done;
			}
			*o->value = value;
			continue;
		}
		o->list->items = xrealloc(o->list->items, (o->list->count + 1) * sizeof(*o->list->items));
		o->list->items[o->list->count++] = value;
	}
	ctx->args = pos;
	ctx->nargs = npos;
	pos = NULL;
	ret = 0;
done:
	free(given);
	free(pos);
	return ret;
}

void opts_release(const struct opt_spec *specs, char **args)
{
	for (; specs && specs->type != OPT_TYPE_END; specs++) {
		if (specs->type == OPT_TYPE_LIST) {
			free(specs->list->items);
			specs->list->items = NULL;
			specs->list->count = 0;
		}
	}
	free(args);
}
