/* store_lmdb.c: to be written */
