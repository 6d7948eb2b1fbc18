/* tx_set_checkpoint_key.c: to be written */
