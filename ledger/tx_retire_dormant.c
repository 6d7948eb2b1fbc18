/* tx_retire_dormant.c: to be written */
