/*
 * status.h: ledger outcomes. The numbers are those of enum Status in
 * proto/manne.proto, fixed for ever; the _Static_asserts in status.c keep the
 * two in step. docs/errors.md lists them in precedence order. Codes from 100
 * are the client library's own and never travel on the wire.
 */
#ifndef MANNE_STATUS_H
#define MANNE_STATUS_H

/* The enum lives in the client library's public header, so that tills and
 * the ledger share one definition; status.c checks it against the proto. */
#include "../client/manne.h"  /* also declares manne_status_name and manne_status_message */

#endif
