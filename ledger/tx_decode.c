/* tx_decode.c: to be written */
