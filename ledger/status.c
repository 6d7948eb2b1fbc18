/* status.c: to be written */
