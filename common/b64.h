// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// common/b64.h -- base64 with the URL alphabet and no padding (Go's
// RawURLEncoding), the text form of file ids, object ids and hashes.
#ifndef COMMON_B64_H
#define COMMON_B64_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

// BB_B64_ENCLEN is the encoded length of n bytes, without a terminator.
#define BB_B64_ENCLEN(n) (((n) *4 + 2) / 3)

// bb_b64url_encode writes the encoding of src[0..n) and a NUL into dst,
// which must hold BB_B64_ENCLEN(n) + 1 bytes.  Returns the length written
// (without the NUL).
size_t bb_b64url_encode(const uint8_t *src, size_t n, char *dst);

// bb_b64url_decode decodes src[0..n) into dst (capacity cap).  On BB_OK
// *outlen is the number of bytes written.  Errors: BB_EINVAL for a
// character outside the alphabet, '=' padding, an impossible length
// (n % 4 == 1) or non-zero unused trailing bits (so every value has
// exactly one spelling); BB_ETOOBIG when the result would exceed cap.
// On error the contents of dst are unspecified.
bb_err bb_b64url_decode(const char *src, size_t n, uint8_t *dst, size_t cap,
                        size_t *outlen);

#endif // COMMON_B64_H
