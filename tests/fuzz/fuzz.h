// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/fuzz/fuzz.h -- what the libFuzzer targets of tests/fuzz/ share:
// the entry point's prototype, an oracle check that stops the run like a
// crash, and a NUL-terminated copy of the input.  Header only.
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The entry point libFuzzer calls with each input (data is borrowed).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// FUZZ_CHECK stops the run when an oracle fails: libFuzzer keeps the input
// as crash-<sha1>, which becomes a unit test.
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			(void) fprintf(stderr, "%s:%d: oracle failed: %s\n", \
			               __FILE__, __LINE__, #cond);           \
			abort();                                             \
		}                                                            \
	} while (0)

// fuzz_str returns data[0..size) as a NUL-terminated string (cut at the
// first NUL byte, as C code sees it).  The caller frees it; NULL when
// out of memory.
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif // TESTS_FUZZ_FUZZ_H
