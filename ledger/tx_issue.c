/* tx_issue.c: to be written */
