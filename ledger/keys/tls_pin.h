/*
 * tls_pin.h: the pin of a TLS certificate (SPEC §6): the SHA-256 of its
 * public key (the DER SubjectPublicKeyInfo), so that a certificate renewed
 * with the same key keeps its pin. Written "SHA256:" and 44 characters of
 * standard base64, or as 64 hex characters; both are read. The daemon logs
 * the pin of its certificate, `manne tls-pin` prints it, and libmanne
 * refuses a server whose certificate does not match it. Also the label of
 * the keying material that binds an authentication to its TLS session.
 */
#ifndef MANNE_TLS_PIN_H
#define MANNE_TLS_PIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* The keying material (RFC 8446 §7.5) that an authentication signs on a
 * TLS connection, so that a proof made in one session is refused in any
 * other (SPEC §6). */
#define TLS_BINDING_LABEL "EXPORTER-manne-auth-v1"
#define TLS_BINDING_BYTES 32U

#define TLS_PIN_BYTES 32U
#define TLS_PIN_TEXT_BYTES 52U /* "SHA256:" + 44 base64 + NUL */

/* 0, or -1 when the certificate has no public key that encodes. */
int tls_pin_of_cert(X509 *cert, uint8_t out[TLS_PIN_BYTES]);
/* 0, or -1 when the file holds no PEM certificate. */
int tls_pin_of_cert_file(const char *path, uint8_t out[TLS_PIN_BYTES]);
void tls_pin_format(const uint8_t pin[TLS_PIN_BYTES], char out[TLS_PIN_TEXT_BYTES]);
/* 0, or -1 when text is neither form. */
int tls_pin_parse(const char *text, uint8_t out[TLS_PIN_BYTES]);

#endif
