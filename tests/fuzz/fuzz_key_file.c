/*
 * fuzz_key_file.c: libFuzzer target for key files, plain and sealed
 * (docs/keys.md): a file a till or a board member is handed. Reading it
 * never crashes. (A sealed one is not opened here: its Argon2id work, up
 * to the 1 GiB cap the reader allows, would make each run seconds long.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/keys/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pk[32], sk[64];
	char path[64];
	int fd = memfd_create("key", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || fchmod(fd, 0600) != 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	(void)!keyfile_read_keypair(path, NULL, pk, sk);
	(void)keyfile_is_sealed(path);
	close(fd);
	return 0;
}
