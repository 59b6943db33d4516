/* SPDX-License-Identifier: MIT */
/*
 * Comparing two engines' warnings (tests/unit/test_jit.c,
 * tests/jit/jit_diff.c): a log line with its hexadecimal numbers
 * (addresses: the stack's differ by engine) folded to "0x?".
 */
#ifndef UEBPF_TESTS_LOG_MASK_H
#define UEBPF_TESTS_LOG_MASK_H

#include <stdbool.h>
#include <string.h>

static inline void mask_addrs(char *dst, size_t size, const char *src)
{
	size_t j = 0;

	while (*src && j + 4 < size) {
		if (src[0] == '0' && src[1] == 'x') {
			memcpy(dst + j, "0x?", 3);
			j += 3;
			src += 2;
			while ((*src >= '0' && *src <= '9') ||
			       (*src >= 'a' && *src <= 'f'))
				src++;
		} else {
			dst[j++] = *src++;
		}
	}
	dst[j] = '\0';
}

static inline bool same_logs(const char *a, const char *b)
{
	char ma[512], mb[512];

	mask_addrs(ma, sizeof(ma), a);
	mask_addrs(mb, sizeof(mb), b);
	return !strcmp(ma, mb);
}

#endif /* UEBPF_TESTS_LOG_MASK_H */
