/* tx_set_ledger.c: to be written */
