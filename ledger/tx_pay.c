/* tx_pay.c: to be written */
