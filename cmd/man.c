/*
 * The overview of `mailout --help` and the man pages.  A man page is made
 * from the command's entry, the same text its help prints, so the two
 * cannot disagree: the Makefile writes build/man/ with `mailout help
 * --man [COMMAND]`.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"

static const char synopsis[] = "mailout [--repo DIR] COMMAND [OPTIONS]";
static const char name_line[] = "mass mailing from a git repository";
static const char about[] =
	"Mass mailing from a git repository: campaigns, recipients, templates and\n"
	"accounts as YAML and Markdown; a send plan and a status site built from them.\n";
static const char clock_help[] =
	"sets the clock of any command: an RFC 3339 time, or a local date-time in the\n"
	"organisation's zone (2026-12-07T08:00:00)\n";

void cmd_print_overview(FILE *out, const struct command *const *commands)
{
	const struct command *const *c;

	fprintf(out, "usage: %s\n\n%s\nCommands:\n", synopsis, about);
	for (c = commands; *c; c++)
		fprintf(out, "  %-13s %s\n", (*c)->name, (*c)->summary);
	fprintf(out, "\nmailout help COMMAND or mailout COMMAND --help shows a command's options.\n"
		     "--repo DIR works with every command; MAILOUT_NOW sets the clock (RFC 3339).\n");
}

/* Text as roff sees it: backslashes, hyphens, quotes and a leading dot or
 * apostrophe escaped, so that it prints as the help prints it. */
static void add_roff(struct buf *b, const char *s, size_t len)
{
	size_t i;

	if (len && s[0] == '.')
		buf_adds(b, "\\&");
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\\':
			buf_adds(b, "\\e");
			break;
		case '-':
			buf_adds(b, "\\-");
			break;
		case '\'':
			buf_adds(b, "\\(aq");
			break;
		case '`':
			buf_adds(b, "\\(ga");
			break;
		default:
			buf_addc(b, s[i]);
		}
	}
}

static void add_roffs(struct buf *b, const char *s)
{
	add_roff(b, s, strlen(s));
}

/* A synopsis: "\\%" before each word, so that no option is hyphenated
 * where a line breaks. */
static void add_roff_synopsis(struct buf *b, const char *s)
{
	size_t len;

	while (*s) {
		len = strcspn(s, " ");
		if (len) {
			buf_adds(b, "\\%");
			add_roff(b, s, len);
		}
		s += len;
		if (*s)
			buf_addc(b, *s++);
	}
}

/* Lines of the help as filled text: an empty line starts a paragraph, an
 * indented line (a list in the notes) stands on its own. */
static void add_roff_lines(struct buf *b, const char *text)
{
	const char *p = text;
	size_t len;

	while (*p) {
		len = strcspn(p, "\n");
		if (len == 0) {
			buf_adds(b, ".PP\n");
		} else {
			add_roff(b, p, len);
			buf_addc(b, '\n');
			if (p[0] == ' ')
				buf_adds(b, ".br\n");
		}
		p += len + !!p[len];
	}
}

/* The title and NAME.  The date is left empty: a page says the version
 * it belongs to, and is the same whenever it is built (reproducible
 * packages). */
static void add_header(struct buf *b, const char *name, const char *summary)
{
	const char *p;

	buf_adds(b, ".TH ");
	for (p = name; *p; p++)
		buf_addc(b, (char)toupper((unsigned char)*p));
	buf_adds(b, " 1 \"\" \"mailout " MAILOUT_VERSION "\" \"mailout manual\"\n.SH NAME\n");
	add_roffs(b, name);
	buf_adds(b, " \\- ");
	add_roffs(b, summary);
	buf_addc(b, '\n');
}

/* ".TP" with the term in bold up to its first space, the rest (the
 * value's name) in italics; an argument all in italics. */
static void add_item(struct buf *b, const char *term, int argument, const char *text)
{
	size_t word = argument ? 0 : strcspn(term, " ");

	buf_adds(b, ".TP\n");
	if (word) {
		buf_adds(b, "\\fB");
		add_roff(b, term, word);
		buf_adds(b, "\\fR");
	}
	if (term[word]) {
		if (word)
			buf_addc(b, ' ');
		buf_adds(b, "\\fI");
		add_roffs(b, term + word + (word > 0));
		buf_adds(b, "\\fR");
	}
	buf_addc(b, '\n');
	add_roff_lines(b, text);
}

static void add_exit_status(struct buf *b, const char *codes)
{
	const char *p = codes;
	size_t len, code;

	buf_adds(b, ".SH \"EXIT STATUS\"\n");
	while (*p) {
		len = strcspn(p, "\n");
		code = strcspn(p, " ");
		if (code > len)
			code = len;
		buf_adds(b, ".TP\n.B ");
		add_roff(b, p, code);
		buf_addc(b, '\n');
		add_roff(b, p + code + (code < len), len - code - (code < len));
		buf_addc(b, '\n');
		p += len + !!p[len];
	}
}

static void add_environment(struct buf *b)
{
	buf_adds(b, ".SH ENVIRONMENT\n");
	add_item(b, "MAILOUT_NOW", 0, clock_help);
}

static void print_page(struct buf *b)
{
	fwrite(b->ptr, 1, b->len, stdout);
	buf_release(b);
}

/* The summary as a sentence: "Send what is due, ... accounts." */
static void add_sentence(struct buf *b, const char *summary)
{
	if (!*summary)
		return;
	buf_addc(b, (char)toupper((unsigned char)summary[0]));
	add_roffs(b, summary + 1);
	buf_adds(b, ".\n");
}

static void add_options(struct buf *b, const struct command *c)
{
	const struct opt_spec *o;
	struct buf term = BUF_INIT;

	buf_adds(b, ".SH OPTIONS\n");
	for (o = c->opts; o->type != OPT_TYPE_END; o++) {
		if (!o->help)
			continue;
		buf_reset(&term);
		cmd_add_option_term(&term, o);
		add_item(b, term.ptr, o->type == OPT_TYPE_ARG, o->help);
	}
	add_item(b, "--repo DIR", 0, cmd_repo_help);
	add_item(b, "--help", 0, "print this text as the command's help, and exit");
	buf_release(&term);
}

/* The page's notes: the lines the help prints after the options. */
static void add_notes(struct buf *b, const struct command *c)
{
	struct buf notes = BUF_INIT;

	if (c->notes)
		buf_adds(&notes, c->notes);
	if (c->notes_add)
		c->notes_add(&notes);
	if (notes.len) {
		buf_adds(b, ".PP\n");
		add_roff_lines(b, notes.ptr);
	}
	buf_release(&notes);
}

void cmd_print_man(const struct command *c)
{
	struct buf b = BUF_INIT, s = BUF_INIT;
	size_t len = strlen(c->name);

	buf_addf(&b, ".\\\" The help of `mailout %s`, as `mailout help --man %s` prints it.\n",
		 c->name, c->name);
	buf_addf(&s, "mailout-%s", c->name);
	add_header(&b, s.ptr, c->summary);
	buf_reset(&s);
	cmd_add_synopsis(&s, c);
	buf_adds(&b, ".SH SYNOPSIS\n.ad l\n\\fBmailout ");
	add_roff(&b, c->name, len);
	buf_adds(&b, "\\fR");
	add_roff_synopsis(&b, s.ptr + len);
	buf_adds(&b, "\n.ad\n.SH DESCRIPTION\n");
	if (c->description)
		add_roff_lines(&b, c->description);
	else
		add_sentence(&b, c->summary);
	add_notes(&b, c);
	add_options(&b, c);
	add_environment(&b);
	add_exit_status(&b, c->exit_status ? c->exit_status : cmd_exit_status_default);
	buf_adds(&b, ".SH \"SEE ALSO\"\n.BR mailout (1)\n");
	buf_release(&s);
	print_page(&b);
}

void cmd_print_man_overview(const struct command *const *commands)
{
	const struct command *const *c;
	struct buf b = BUF_INIT;

	buf_adds(&b, ".\\\" The help of `mailout`, as `mailout help --man` prints it.\n");
	add_header(&b, "mailout", name_line);
	buf_adds(&b, ".SH SYNOPSIS\n.ad l\n\\fBmailout\\fR");
	add_roff_synopsis(&b, synopsis + strlen("mailout"));
	buf_adds(&b, "\n.br\n\\fBmailout help\\fR [\\-\\-man] [COMMAND]\n"
		     ".br\n\\fBmailout \\-\\-version\\fR\n.ad\n.SH DESCRIPTION\n");
	add_roff_lines(&b, about);
	buf_adds(&b, ".PP\nEach command has its own page, \\fBmailout\\-\\fR\\fICOMMAND\\fR(1), "
		     "made from the text that \\fBmailout help\\fR \\fICOMMAND\\fR prints.\n"
		     ".SH COMMANDS\n");
	for (c = commands; *c; c++) {
		buf_adds(&b, ".TP\n.BR mailout\\-");
		add_roffs(&b, (*c)->name);
		buf_adds(&b, " (1)\n");
		add_roffs(&b, (*c)->summary);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, ".SH OPTIONS\n");
	add_item(&b, "--repo DIR", 0, "the content repository, for every command (default: the one\n"
				      "around the current directory, found by walking up to mailout.yaml)\n");
	add_item(&b, "--help", 0, "list the commands, and exit");
	add_item(&b, "--version", 0, "print the version, and exit");
	add_item(&b, "--man", 0, "after help: print this page, or a command's, as roff");
	add_environment(&b);
	add_exit_status(&b, cmd_exit_status_default);
	buf_adds(&b, ".SH \"SEE ALSO\"\n");
	for (c = commands; *c; c++) {
		buf_adds(&b, ".BR mailout\\-");
		add_roffs(&b, (*c)->name);
		buf_adds(&b, c[1] ? " (1),\n" : " (1)\n");
	}
	print_page(&b);
}
