/*
 * fuzz_export.c: libFuzzer target for export files (docs/export.md): what
 * an auditor reads offline. Opening and reading every leaf never crashes,
 * and never reads past the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "manne.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct manne_export_reader *r = NULL;
	const uint8_t *leaf;
	size_t len;
	int fd = memfd_create("export", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (manne_export_open(path, &r) == MANNE_OK) {
		size_t n = 0;
		while (n++ < 100000 && manne_export_next(r, &leaf, &len) == MANNE_OK && leaf != NULL)
			;
		(void)manne_export_note(r, &len);
	}
	manne_export_close(r);
	close(fd);
	return 0;
}
