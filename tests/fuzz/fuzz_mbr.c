/* fuzz_mbr.c - libFuzzer target for the disk-image reader's untrusted
 * input: the MBR of a downloaded .img (mbr_parse, then mbr_pick against
 * image sizes taken from the input). Every accepted pick must lie inside
 * the image. Seeds in tests/fuzz/corpus/fuzz_mbr/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provision/prov_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbr_part p[4];
	int n = mbr_parse(data, size, p);
	CHECK(n <= 4);
	if (n < 0)
		return 0;
	CHECK(size >= 512);
	uint64_t sizes[3] = { (uint64_t)size * 1048576, UINT64_MAX, 0 };
	if (size >= 520)
		memcpy(&sizes[2], data + 512, 8);
	for (int k = 0; k < 3; k++) {
		int b = -1, r = -1;
		if (mbr_pick(p, n, sizes[k], &b, &r) != 0)
			continue;
		CHECK(b >= 0 && b < n && r >= 0 && r < n && b != r);
		CHECK(mbr_type_is_fat(p[b].type) && p[r].type == 0x83);
		CHECK(p[b].start <= sizes[k] && p[b].size <= sizes[k] - p[b].start);
		CHECK(p[r].start <= sizes[k] && p[r].size <= sizes[k] - p[r].start);
	}
	return 0;
}
