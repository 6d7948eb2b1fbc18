/* tx_reverse_issue.c: to be written */
