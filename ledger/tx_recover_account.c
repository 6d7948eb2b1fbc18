/* tx_recover_account.c: to be written */
