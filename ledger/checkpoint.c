/* checkpoint.c: to be written */
