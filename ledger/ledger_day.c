/* ledger_day.c: to be written */
