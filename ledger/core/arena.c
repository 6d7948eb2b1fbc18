/*
 * arena.c: the bump allocator of wire_strict.h.
 *
 * A hostile message decides how much protobuf-c allocates; over a fixed
 * buffer the worst it can do is make its own decoding fail.
 */
#include "wire_strict.h"

#include <stddef.h>

/* protobuf-c stores pointers, uint64_t and doubles in what it allocates; 16
 * also covers max_align_t, as malloc would. */
#define ARENA_ALIGN ((size_t)16)

_Static_assert(ARENA_ALIGN >= _Alignof(max_align_t), "arena alignment below max_align_t");
_Static_assert((ARENA_ALIGN & (ARENA_ALIGN - 1)) == 0, "arena alignment not a power of two");

static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t room, pad;
	uint8_t *p;

	if (a == NULL || a->base == NULL || a->used > a->size)
		return NULL;
	room = a->size - a->used;
	/* The caller's buffer need not be aligned: align the address, not the offset. */
	pad = (ARENA_ALIGN - ((uintptr_t)(a->base + a->used) & (ARENA_ALIGN - 1))) & (ARENA_ALIGN - 1);
	/* Each allocation gets its own address, as from malloc(0) on glibc. */
	if (size == 0)
		size = 1;
	if (pad > room || size > room - pad)
		return NULL;
	p = a->base + a->used + pad;
	a->used += pad + size;
	return p;
}

/* Everything goes at once with arena_reset(). */
static void arena_free(void *data, void *pointer)
{
	(void)data;
	(void)pointer;
}

void arena_init(struct arena *a, void *buf, size_t size)
{
	a->base = buf;
	a->size = buf != NULL ? size : 0;
	a->used = 0;
}

void arena_reset(struct arena *a)
{
	a->used = 0;
}

ProtobufCAllocator arena_allocator(struct arena *a)
{
	ProtobufCAllocator allocator = {
		.alloc = arena_alloc,
		.free = arena_free,
		.allocator_data = a,
	};

	return allocator;
}
