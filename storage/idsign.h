// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/idsign.h -- signed object ids.  An id is a locator: editing its
// offset or length reads the neighbouring blob, and fids are guessable.
// A namespace with id_key_file gives out ids that carry a tag: the first
// STORE_ID_TAG_LEN bytes of HMAC-SHA256, under a key of that file, over
// the namespace name and the id's bytes.  Only an id whose tag verifies
// under one of the keys is taken; the first key signs, the others only
// verify (rotation).  Nothing is stored per object: checking costs one
// HMAC.  The text is base64url of the id's bytes followed by the tag:
// 40 characters (a short id), or 46 (start past 4 GiB).
#ifndef STORAGE_IDSIGN_H
#define STORAGE_IDSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "storage/id.h"

#define STORE_ID_TAG_LEN          12 // bytes of HMAC-SHA256 kept
#define STORE_ID_SIGNED_SHORT_LEN 40 // characters
#define STORE_ID_SIGNED_LONG_LEN  46
#define STORE_ID_TEXT_MAX         46 // the longest id text of any kind
#define STORE_IDKEYS_MAX          8  // keys in one file

// The keys of one namespace.  Opaque; read-only once loaded, so any
// thread may sign and verify with it.
typedef struct store_idkeys store_idkeys;

// store_idkeys_load reads the key file path: one key per line, 32 to 128
// hexadecimal digits (16 to 64 bytes); blank lines and lines starting
// with '#' are skipped; 1 to STORE_IDKEYS_MAX keys.  The file must not
// be readable by others (its keys forge ids).  On BB_OK the caller owns
// *kp (store_idkeys_free).  Errors: BB_ECONFIG with "<path>:<line>:
// ..." or "<path>: ..." in why, file errors as bb_file_read's, BB_ENOMEM.
bb_err store_idkeys_load(const char *path, store_idkeys **kp, char *why,
                         size_t whylen);

// store_idkeys_free frees k.  NULL is a no-op.
void store_idkeys_free(store_idkeys *k);

// store_idkeys_count returns how many keys k holds.
size_t store_idkeys_count(const store_idkeys *k);

// store_id_sign writes the signed text of id in namespace ns (its name)
// with the first key of k, and a NUL, into buf (STORE_ID_TEXT_MAX + 1
// bytes).  Returns the number of characters, 0 if OpenSSL failed.
size_t store_id_sign(const store_idkeys *k, const char *ns, const store_id *id,
                     char *buf);

// store_id_verify parses the signed id s[0..n) of namespace ns: BB_OK
// with *id set when its tag verifies under one of the keys of k;
// BB_ENOENT when s has the form of an id (signed or not) but no valid
// tag for ns (the caller answers as for an id that names nothing);
// BB_EINVAL when it is no id at all.
bb_err store_id_verify(const store_idkeys *k, const char *ns, const char *s,
                       size_t n, store_id *id);

// store_id_decode parses an id of any form without checking a tag (for
// tools that show what an id names): BB_OK with *id set, and *signed_
// and tag (STORE_ID_TAG_LEN bytes, set only when signed) for a signed
// one; BB_EINVAL otherwise.
bb_err store_id_decode(const char *s, size_t n, store_id *id, bool *signed_,
                       uint8_t *tag);

#endif // STORAGE_IDSIGN_H
