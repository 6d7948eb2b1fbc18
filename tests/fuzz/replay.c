/*
 * replay.c: runs a libFuzzer target over every file of its corpus
 * (tests/fuzz/corpus/<target>/), in any build: what fuzzing found stays a
 * test between campaigns. Prints "N inputs" and exits 0, or aborts on the
 * input that breaks the target.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_BYTES_MAX (1U << 20)

int main(int argc, char **argv)
{
	static uint8_t buf[INPUT_BYTES_MAX];
	unsigned count = 0;
	DIR *dir;
	struct dirent *e;

	if (argc != 2 || (dir = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	while ((e = readdir(dir)) != NULL) {
		char path[4096];
		FILE *f;
		size_t n;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		fprintf(stderr, "%s\n", e->d_name);
		/* A copy of exactly n bytes, so that a read past the input is caught. */
		uint8_t *input = malloc(n > 0 ? n : 1);
		if (input == NULL)
			return 1;
		memcpy(input, buf, n);
		LLVMFuzzerTestOneInput(input, n);
		free(input);
		count++;
	}
	closedir(dir);
	printf("%u inputs\n", count);
	return count > 0 ? 0 : 1;
}
