/* tx_reserve.c: to be written */
