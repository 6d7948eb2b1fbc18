/* tx_set_board.c: to be written */
