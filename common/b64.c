// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/b64.c -- base64url without padding, strict on decode.
#include "common/b64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// b64_value returns the 6-bit value of c, or -1 outside the alphabet.
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '-') {
		return 62;
	}
	if (c == '_') {
		return 63;
	}
	return -1;
}

size_t
bb_b64url_encode(const uint8_t *src, size_t n, char *dst)
{
	size_t   o = 0;
	size_t   i;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8) |
		    src[i + 2];
		dst[o++] = b64_alphabet[(v >> 18) & 63];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
		dst[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		v        = (uint32_t) src[i] << 16;
		dst[o++] = b64_alphabet[(v >> 18) & 63];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8);
		dst[o++] = b64_alphabet[(v >> 18) & 63];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
	}
	dst[o] = '\0';
	return o;
}

bb_err
bb_b64url_decode(const char *src, size_t n, uint8_t *dst, size_t cap,
                 size_t *outlen)
{
	size_t   need;
	size_t   o    = 0;
	uint32_t acc  = 0;
	unsigned bits = 0;
	size_t   i;
	int      v;

	if (n % 4 == 1) {
		return BB_EINVAL;
	}
	need = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (need > cap) {
		return BB_ETOOBIG;
	}
	for (i = 0; i < n; i++) {
		v = b64_value((unsigned char) src[i]);
		if (v < 0) {
			return BB_EINVAL;
		}
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (uint8_t) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	// Leftover bits must be zero: otherwise two strings would name the
	// same bytes, and an ID would have more than one spelling.
	if (acc != 0) {
		return BB_EINVAL;
	}
	*outlen = o;
	return BB_OK;
}
