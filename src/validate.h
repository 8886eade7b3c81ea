/*
 * Every rule of the content, reported as diagnostics: the files one by
 * one (syntax, keys, types, secrets, header safety) and across files
 * (references, duplicates, accounts of campaign owners, template variables
 * against the recipients each campaign selects).
 */
#ifndef MAILOUT_VALIDATE_H
#define MAILOUT_VALIDATE_H

#include <stddef.h>

#include "diag.h"

struct validate_summary {
	size_t campaigns;
	size_t recipients; /* records read, all types */
};

/* Validates the repository at root; never needs a secret.  Returns 0 when
 * the content could be read at all (problems are in diags), -1 otherwise. */
int validate_repo(const char *root, struct diag_list *diags, struct validate_summary *summary);

#endif
