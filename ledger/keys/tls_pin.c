/*
 * tls_pin.c: see tls_pin.h. OpenSSL gives the DER encoding of the public
 * key; libsodium hashes it and writes it out.
 */
#include "tls_pin.h"

#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <sodium.h>

#include "ledger/log/note.h"

#define PIN_PREFIX "SHA256:"

int tls_pin_of_cert(X509 *cert, uint8_t out[TLS_PIN_BYTES])
{
	unsigned char *der = NULL;
	int len = cert != NULL ? i2d_PUBKEY(X509_get0_pubkey(cert), &der) : -1;

	if (len <= 0)
		return -1;
	crypto_hash_sha256(out, der, (unsigned long long)len);
	OPENSSL_free(der);
	return 0;
}

int tls_pin_of_cert_file(const char *path, uint8_t out[TLS_PIN_BYTES])
{
	FILE *f = fopen(path, "re");
	X509 *cert;
	int rc;

	if (f == NULL)
		return -1;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	rc = tls_pin_of_cert(cert, out);
	X509_free(cert);
	return rc;
}

void tls_pin_format(const uint8_t pin[TLS_PIN_BYTES], char out[TLS_PIN_TEXT_BYTES])
{
	memcpy(out, PIN_PREFIX, strlen(PIN_PREFIX));
	sodium_bin2base64(out + strlen(PIN_PREFIX), TLS_PIN_TEXT_BYTES - strlen(PIN_PREFIX), pin, TLS_PIN_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
}

int tls_pin_parse(const char *text, uint8_t out[TLS_PIN_BYTES])
{
	size_t len = text != NULL ? strlen(text) : 0, got = 0;

	if (len == strlen(PIN_PREFIX) + 44 && strncmp(text, PIN_PREFIX, strlen(PIN_PREFIX)) == 0)
		return note_base64_decode(text + strlen(PIN_PREFIX), 44, out, TLS_PIN_BYTES, &got) == 0 &&
				       got == TLS_PIN_BYTES
			       ? 0
			       : -1;
	if (len == 2 * TLS_PIN_BYTES)
		return sodium_hex2bin(out, TLS_PIN_BYTES, text, len, NULL, &got, NULL) == 0 && got == TLS_PIN_BYTES
			       ? 0
			       : -1;
	return -1;
}
