/* wire_strict.c: to be written */
