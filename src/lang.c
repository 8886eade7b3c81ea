#include "lang.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct lang_entry {
	const char *key;
	const char *en, *de;
};

/* Grouped by the part that writes them; a NULL translation falls back to
 * English. */
static const struct lang_entry entries[] = {
	{ "lang.name", "English", "Deutsch" },
	/* message: footers and the parts of a message mailout writes; the
	 * reasons are mustache texts with owner.*, organization.*, campaign.* */
	{ "message.why.contacts",
	  "You receive this because you are a contact of {{owner.name}} at {{organization.name}}.",
	  "Sie erhalten diese Nachricht, weil Sie ein Kontakt von {{owner.name}} bei "
	  "{{organization.name}} sind." },
	{ "message.why.companies",
	  "You receive this because your company is a customer of {{organization.name}} "
	  "(your contact: {{owner.name}}).",
	  "Sie erhalten diese Nachricht, weil Ihr Unternehmen Kunde von {{organization.name}} ist "
	  "(Ihr Kontakt: {{owner.name}})." },
	{ "message.why.leads",
	  "You receive this because you asked {{owner.name}} at {{organization.name}} about our "
	  "products.",
	  "Sie erhalten diese Nachricht, weil Sie sich bei {{owner.name}} von {{organization.name}} "
	  "nach unseren Produkten erkundigt haben." },
	{ "message.unsubscribe", "Unsubscribe", "Abmelden" },
	/* serve: the pages of the one-click endpoint; %s is the organisation */
	{ "serve.confirm.title", "Unsubscribe?", "Abmelden?" },
	{ "serve.confirm.text", "Press the button and you will get no more newsletters from %s.",
	  "Drücken Sie den Knopf, und Sie erhalten keine Newsletter mehr von %s." },
	{ "serve.confirm.button", "Unsubscribe", "Abmelden" },
	{ "serve.done.title", "You are unsubscribed", "Sie sind abgemeldet" },
	{ "serve.done.text", "You will get no more newsletters from %s.",
	  "Sie erhalten keine Newsletter mehr von %s." },
	{ "serve.invalid.title", "This unsubscribe link does not work",
	  "Dieser Abmeldelink funktioniert nicht" },
	{ "serve.invalid.text", "The link is incomplete or was changed on its way, so nothing has happened.",
	  "Der Link ist unvollständig oder wurde unterwegs verändert; es ist nichts geschehen." },
	{ "serve.invalid.mailto",
	  "To unsubscribe, send an e-mail with the subject \"unsubscribe\" from the address that gets "
	  "the newsletters to",
	  "Um sich abzumelden, senden Sie von der Adresse, die die Newsletter erhält, eine E-Mail mit dem "
	  "Betreff „unsubscribe“ an" },
	{ "serve.later.title", "Please try again later", "Bitte versuchen Sie es später noch einmal" },
	{ "serve.full.text", "Too many requests are waiting; nothing has happened yet.",
	  "Zu viele Anfragen warten; es ist noch nichts geschehen." },
	{ "serve.failed.text", "Your request could not be recorded; nothing has happened yet.",
	  "Ihre Anfrage konnte nicht gespeichert werden; es ist noch nichts geschehen." },
	{ "serve.rate.title", "Too many requests", "Zu viele Anfragen" },
	{ "serve.rate.text", "Please wait a minute and try again.",
	  "Bitte warten Sie eine Minute und versuchen Sie es dann noch einmal." },
	{ "serve.large.title", "Too large", "Zu groß" },
	{ "serve.large.text", "The request is too large.", "Die Anfrage ist zu groß." },
	{ "serve.headers.text", "The request's headers are too large.",
	  "Die Kopfzeilen der Anfrage sind zu groß." },
	{ "serve.method.title", "Not allowed", "Nicht erlaubt" },
	{ "serve.method.text", "This address takes GET, HEAD and POST only.",
	  "Diese Adresse nimmt nur GET, HEAD und POST an." },
	{ "serve.missing.title", "Not found", "Nicht gefunden" },
	{ "serve.missing.text", "There is nothing here.", "Hier gibt es nichts." },
	/* site: the status site and its unsubscribe page */
};

static const char *const languages[] = { "en", "de", NULL };

/* The index of LANGUAGE's primary subtag in languages[], 0 when unknown. */
static size_t language_index(const char *language)
{
	size_t n, i;

	if (!language)
		return 0;
	n = strcspn(language, "-");
	for (i = 0; languages[i]; i++)
		if (strlen(languages[i]) == n && !strncasecmp(languages[i], language, n))
			return i;
	return 0;
}

int lang_supported(const char *language)
{
	return language && (language_index(language) > 0 ||
			    !strncasecmp(language, "en", strcspn(language, "-")));
}

const char *lang_text(const char *language, const char *key)
{
	size_t i, which = language_index(language);

	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const struct lang_entry *e = &entries[i];
		if (strcmp(e->key, key))
			continue;
		if (which == 1 && e->de)
			return e->de;
		return e->en;
	}
	return NULL;
}
