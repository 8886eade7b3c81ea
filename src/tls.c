#include "tls.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

int tls_mode_parse(enum tls_mode *out, const char *s)
{
	if (!strcmp(s, "starttls"))
		*out = TLS_STARTTLS;
	else if (!strcmp(s, "none"))
		*out = TLS_NONE;
	else
		return -1;
	return 0;
}

int tls_plain(int *plain_out, const char *plain_scheme, const char *scheme, const char *host,
	      enum tls_mode mode, int redirected)
{
	int loopback = !redirected && host_is_loopback(host);

	*plain_out = 0;
	if (strcmp(scheme, plain_scheme))
		return 0; /* implicit TLS */
	if (mode == TLS_NONE && !loopback)
		return error_set("tls: none is allowed only to a loopback address, not to '%s'", host);
	*plain_out = mode == TLS_NONE || (mode == TLS_DEFAULT && loopback);
	return 0;
}

void tls_ca_source(const char **pem_out, size_t *pem_len_out, const char **file_out,
		   const char *ca_pem, size_t ca_pem_len, const char *ca_file)
{
	const char *env;

	*pem_out = NULL;
	*pem_len_out = 0;
	*file_out = NULL;
	if (ca_pem) {
		*pem_out = ca_pem;
		*pem_len_out = ca_pem_len;
	} else if (ca_file) {
		*file_out = ca_file;
	} else if ((env = getenv("CURL_CA_BUNDLE")) && *env) {
		*file_out = env;
	} else if ((env = getenv("SSL_CERT_FILE")) && *env) {
		*file_out = env;
	}
}

#define SETOPT(opt, val) \
	do { \
		if (curl_easy_setopt(c, (opt), (val)) != CURLE_OK) \
			failed = #opt; \
	} while (0)

const char *tls_curl_setup(void *curl, int plain, const char *ca_pem, size_t ca_pem_len,
			   const char *ca_file)
{
	CURL *c = curl;
	const char *failed = NULL, *pem, *file;
	struct curl_blob blob;
	size_t len;

	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(CURLOPT_USE_SSL, plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (plain)
		SETOPT(CURLOPT_PROXY, ""); /* plain text never leaves the machine */
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	tls_ca_source(&pem, &len, &file, ca_pem, ca_pem_len, ca_file);
	if (pem) {
		blob.data = (void *)pem;
		blob.len = len;
		blob.flags = CURL_BLOB_COPY;
		SETOPT(CURLOPT_CAINFO_BLOB, &blob);
	} else if (file) {
		SETOPT(CURLOPT_CAINFO, file);
	}
	return failed;
}
