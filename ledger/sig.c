/* sig.c: to be written */
