/*
 * keyfile.h: Ed25519 keys at rest. A key file holds the 32-byte seed in hex
 * and a newline, is created with mode 0600 and never overwritten. libmanne
 * (manne.h) also reads sealed key files; these two read and write plain ones.
 */
#ifndef MANNE_KEYFILE_H
#define MANNE_KEYFILE_H

#include "tx_sign.h"

/* Makes a new random key and writes it to path (which must not exist). */
int keyfile_create(const char *path, struct manne_keypair *out) __attribute__((warn_unused_result));
/* Reads a key; refuses a file that others may read. */
int keyfile_read(const char *path, struct manne_keypair *out) __attribute__((warn_unused_result));

#endif
