/* tx_settle_redemption.c: to be written */
