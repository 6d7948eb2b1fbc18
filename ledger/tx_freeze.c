/* tx_freeze.c: to be written */
