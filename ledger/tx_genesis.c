/* tx_genesis.c: to be written */
