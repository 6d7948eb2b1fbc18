/* tx_set_account.c: to be written */
