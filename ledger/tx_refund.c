/* tx_refund.c: to be written */
