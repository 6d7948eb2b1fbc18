/* tx_void.c: to be written */
