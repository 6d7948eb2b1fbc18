/* tx_redeem.c: to be written */
