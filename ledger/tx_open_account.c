/* tx_open_account.c: to be written */
