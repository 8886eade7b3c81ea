/*
 * Transport security of the SMTP and IMAP connections, as users configure
 * it per account (`tls:`, `ca_file:`) and as the URL says.
 *
 *   smtps://, imaps://   TLS from the first byte, whatever the mode says;
 *   smtp://, imap://     TLS_DEFAULT: STARTTLS required (no TLS, no mail,
 *                        never a fall-back to plain text), except to a
 *                        loopback host (127.0.0.0/8, ::1, "localhost"),
 *                        where the connection stays plain;
 *                        TLS_STARTTLS: STARTTLS required, loopback too;
 *                        TLS_NONE: plain text, to a loopback host only.
 *
 * The certificate and its host name are always verified, against the
 * first of: the CA certificates given in memory (a ca_file read from the
 * repository), the ca_file path (absolute), $CURL_CA_BUNDLE,
 * $SSL_CERT_FILE, the system's trust store.  libcurl itself reads none of
 * those variables.
 */
#ifndef MAILOUT_TLS_H
#define MAILOUT_TLS_H

#include <stddef.h>

enum tls_mode {
	TLS_DEFAULT = 0, /* STARTTLS, or plain to loopback */
	TLS_STARTTLS,    /* STARTTLS, loopback too */
	TLS_NONE         /* plain text: loopback only */
};

/* Reads `tls:` "starttls" or "none": 0, or -1 for anything else. */
int tls_mode_parse(enum tls_mode *out, const char *s);

/*
 * Whether a connection to scheme://host goes out in plain text: *plain_out
 * 1 for plain, 0 for TLS (implicit for the scheme that ends in 's',
 * STARTTLS otherwise).  plain_scheme is "smtp" or "imap".  redirected
 * (a connect-to for tests) means the host is not where the connection
 * goes, so it counts as not loopback.  -1 with error_set() for
 * TLS_NONE to a host that is not loopback.
 */
int tls_plain(int *plain_out, const char *plain_scheme, const char *scheme, const char *host,
	      enum tls_mode mode, int redirected);

/*
 * Where the CA certificates come from (see the top of this file): sets
 * *pem_out and *pem_len_out (in memory) or *file_out (a path), or leaves all
 * NULL for the system's trust store.  The pointers are borrowed.
 */
void tls_ca_source(const char **pem_out, size_t *pem_len_out, const char **file_out,
		   const char *ca_pem, size_t ca_pem_len, const char *ca_file);

/*
 * Sets the TLS options of a libcurl easy handle (void * so that callers
 * without TLS need not include curl): USE_SSL for plain, peer and host
 * verification, TLS 1.2 at least, and the CA source above (a blob is
 * copied by libcurl).  Returns NULL, or the name of the option libcurl
 * refused.
 */
const char *tls_curl_setup(void *curl, int plain, const char *ca_pem, size_t ca_pem_len,
			   const char *ca_file);

#endif
