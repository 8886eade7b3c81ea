/*
 * The words mailout itself writes to recipients and readers (pages of
 * `mailout serve`, the status site, message footers), in the organisation's
 * language (`organization.language`, a BCP 47 tag).
 *
 * Each text has a key ("serve.done.title") and one translation per
 * supported language; a tag is matched on its primary subtag ("de-AT" takes
 * "de"), and a language or key without a translation falls back to English.
 * Texts may hold printf conversions documented beside their key; they are
 * plain text, to be escaped by the caller for the kind of output.
 */
#ifndef MAILOUT_LANG_H
#define MAILOUT_LANG_H

/* The text of KEY in LANGUAGE (NULL: English).  Never NULL for a key that
 * exists; NULL for an unknown key.  The string is static. */
const char *lang_text(const char *language, const char *key);

/* Whether LANGUAGE's primary subtag has translations of its own. */
int lang_supported(const char *language);

#endif
