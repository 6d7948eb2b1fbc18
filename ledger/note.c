/* note.c: to be written */
