/*
 * request_check.h: what fuzz_frame.c and fuzz_request.c hold a decoded
 * Request to, so that both targets check the same promises.
 */
#ifndef MANNE_FUZZ_REQUEST_CHECK_H
#define MANNE_FUZZ_REQUEST_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Decodes bytes as the daemon does (request_decode) and aborts if what it
 * accepts breaks a promise the handlers rely on. 0 if accepted, -1 if not. */
int request_check(const uint8_t *bytes, size_t len);

#endif
