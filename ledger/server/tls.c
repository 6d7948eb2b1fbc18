/*
 * tls.c: TLS 1.3 for the listener between machines (SPEC §6), through
 * OpenSSL and libevent's OpenSSL bufferevents: the server context, a
 * self-signed certificate for first use, and the keying material that binds
 * an authentication to its TLS session (RFC 8446 §7.5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ledger/keys/tls_pin.h"
#include "server.h"

#define CERT_DAYS 3650  /* the pin, not the date, is what clients check */

/* `what` is a msgid (N_() at the call), OpenSSL's detail follows it. */
static void ssl_why(char *why, size_t size, const char *what)
{
	char detail[160];
	ERR_error_string_n(ERR_get_error(), detail, sizeof(detail));
	snprintf(why, size, "%s (%s)", _(what), detail);
	ERR_clear_error();
}

void *tls_server_context(const char *cert_file, const char *key_file, char *pin_text, char *why, size_t why_size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	uint8_t pin[TLS_PIN_BYTES];

	if (ctx == NULL) {
		ssl_why(why, why_size, N_("OpenSSL cannot make a TLS context"));
		return NULL;
	}
	/* TLS 1.3 only: no renegotiation, no downgrade, forward secrecy always. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		ssl_why(why, why_size, N_("OpenSSL cannot restrict the context to TLS 1.3"));
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* A client that closes without close_notify (a FIN) is a half-close,
	 * not an error: the replies it is owed still go out. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
	    tls_pin_of_cert(SSL_CTX_get0_certificate(ctx), pin) != 0) {
		ssl_why(why, why_size, N_("cannot use tls-cert and tls-key (PEM files, the key matching the certificate)"));
		SSL_CTX_free(ctx);
		return NULL;
	}
	tls_pin_format(pin, pin_text);
	return ctx;
}

void tls_context_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

struct bufferevent *tls_accept(void *ctx, struct event_base *base, int fd)
{
	SSL *ssl = SSL_new(ctx);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* The same for libevent (with SSL_OP_IGNORE_UNEXPECTED_EOF above). */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

bool tls_binding(struct bufferevent *bev, uint8_t out[TLS_BINDING_BYTES])
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	return ssl != NULL && SSL_export_keying_material(ssl, out, TLS_BINDING_BYTES, TLS_BINDING_LABEL,
							  strlen(TLS_BINDING_LABEL), NULL, 0, 0) == 1;
}

/* Writes text to a new file of this mode; refuses an existing file. */
static int write_new(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

/* PEM of a key or a certificate, in memory. */
static int pem_of(int (*write)(BIO *, const void *), const void *object, char **text, long *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	if (bio == NULL || write(bio, object) != 1) {
		BIO_free(bio);
		return -1;
	}
	*len = BIO_get_mem_data(bio, &data);
	*text = OPENSSL_malloc((size_t)*len);
	if (*text != NULL)
		memcpy(*text, data, (size_t)*len);
	BIO_free(bio);
	return *text != NULL ? 0 : -1;
}

static int write_key(BIO *bio, const void *key)
{
	return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)key, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(BIO *bio, const void *cert)
{
	return PEM_write_bio_X509(bio, (X509 *)cert);
}

int tls_make_cert(const char *dir, char *pin_text, char *why, size_t why_size)
{
	char cert_path[DATA_DIR_BYTES + 16], key_path[DATA_DIR_BYTES + 16], *key_pem = NULL, *cert_pem = NULL;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *cert = X509_new();
	X509_NAME *name;
	uint8_t serial[16], pin[TLS_PIN_BYTES];
	BIGNUM *bn = NULL;
	long key_len = 0, cert_len = 0;
	int rc = -1;

	snprintf(cert_path, sizeof(cert_path), "%.255s/tls.crt", dir);
	snprintf(key_path, sizeof(key_path), "%.255s/tls.key", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, why_size, _("cannot create %s"), dir);
		goto out;
	}
	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f;  /* a positive serial number */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = cert != NULL ? X509_get_subject_name(cert) : NULL;
	if (key == NULL || cert == NULL || bn == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), (long)CERT_DAYS * 24 * 3600) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"manne-ledger", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 || X509_set_pubkey(cert, key) != 1 ||
	    X509_sign(cert, key, NULL) <= 0 || pem_of(write_key, key, &key_pem, &key_len) != 0 ||
	    pem_of(write_cert, cert, &cert_pem, &cert_len) != 0 || tls_pin_of_cert(cert, pin) != 0) {
		ssl_why(why, why_size, N_("OpenSSL cannot make the certificate"));
		goto out;
	}
	if (write_new(key_path, key_pem, (size_t)key_len, 0600) != 0) {
		snprintf(why, why_size, _("cannot create %s (it must not exist)"), key_path);
		goto out;
	}
	if (write_new(cert_path, cert_pem, (size_t)cert_len, 0644) != 0) {
		unlink(key_path);
		snprintf(why, why_size, _("cannot create %s (it must not exist)"), cert_path);
		goto out;
	}
	tls_pin_format(pin, pin_text);
	rc = 0;
out:
	if (key_pem != NULL)
		OPENSSL_cleanse(key_pem, (size_t)key_len);
	OPENSSL_free(key_pem);
	OPENSSL_free(cert_pem);
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
