// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// tests/gateway/acl/acl_fixture.h -- what the ACL and htpasswd tests share:
// an htpasswd file with one user per hash format in a temporary
// directory, and Basic credentials.  Needs _XOPEN_SOURCE 700 (nftw) and
// cmocka included first.
#ifndef TESTS_GATEWAY_ACL_FIXTURE_H
#define TESTS_GATEWAY_ACL_FIXTURE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/tmpdir.h"

// Made with apache2-utils' htpasswd (-nbB -C 5 / -nbm / -nbs / -nbd),
// openssl passwd -6 / -1 and Python's crypt ($2b$); the password of each
// user is "<user>-pw".  "test" is the original's example (password
// "test").  frank has two lines: frank-old (read), frank-new (read,
// write).
#define U_ALICE                                                       \
	"alice:$2y$05$lVM.28J0IpsrJFnHZ3X44uwezKw6y0MgElaetC6gQapcMu" \
	"4vqpNjq"
#define U_BOB   "bob:$apr1$aAFxApSd$/w2gHwsUCMfNRh1pMiRXX0"
#define U_CAROL "carol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw="
#define U_DAVE  "dave:AhYpRAG82ifAI"
#define U_ERIN                                                              \
	"erin:$6$saltsalt$i9IRe0tUvItnSeD5kzVfTrW5fpzXKjGvfqqC.4WnQgM.nY8." \
	"0vhQ3r5vKlML5b9nWh3KM5po5qZHfDHGCELF/0"
#define U_GINA "gina:$1$abcdefgh$8H0JkODq3AYkwQ7fOwhWp1"
#define U_HANK                                                      \
	"hank:$2b$04$abcdefghijklmnopqrstuuMoZelgDFF7QOZ7pfo0joXp." \
	"etjpF1Xa"
#define U_TEST "test:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M="
#define U_FRANK_OLD \
	"frank:$2y$04$7VOkdyo26vw23iJsYXnkWuVus2gVXGW53KOHAlQ7Sx2vPGtZgEE8G"
#define U_FRANK_NEW "frank:$apr1$6JAH6e8x$s/0.ZkYhpydP/yJbs3Ndg."

// Comments, a blank line, a line of blanks and a CR LF line included.
static const char all_users[] =
    "# users of the tests\n\n" U_ALICE ":read:write\n" U_BOB ":read\n" U_CAROL
    "\n" U_DAVE ":read\r\n   \n" U_ERIN ":write:read\n" U_GINA "\n" U_HANK
    "\n" U_TEST "\n" U_FRANK_OLD ":read\n" U_FRANK_NEW ":read:write";

static char dir[64];      // the test's temporary directory
static char pw_path[128]; // dir/htpasswd

// write_file_n replaces path with the len bytes of text (NUL bytes
// included): written aside and renamed in, so readers see one version or
// the other, as an administrator's tools do.
static inline void
write_file_n(const char *path, const char *text, size_t len)
{
	char  tmp[200];
	FILE *f;

	(void) snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

// write_file replaces path with the string text.
static inline void
write_file(const char *path, const char *text)
{
	write_file_n(path, text, strlen(text));
}

// rewrite_in_place overwrites path (same inode) with text and moves its
// mtime by secs, so a change of the same size is seen too.
static inline void
rewrite_in_place(const char *path, const char *text, int secs)
{
	struct timespec ts[2];
	struct stat     st;
	FILE           *f;

	assert_int_equal(stat(path, &st), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	ts[0]        = st.st_atim;
	ts[1]        = st.st_mtim;
	ts[1].tv_sec = ts[1].tv_sec + secs;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

// basic_n returns "Basic <base64(cred[0..n))>" (standard alphabet,
// padded) in a static buffer.
static inline const char *
basic_n(const char *cred, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                        "abcdefghijklmnopqrstuvwxyz0123456789+/";
	static char       out[4096];
	char             *o = out + sprintf(out, "Basic ");
	const uint8_t    *s = (const uint8_t *) cred;
	size_t            i;
	uint32_t          v;

	assert_true(n <= 3000);
	for (i = 0; i < n; i += 3) {
		v = (uint32_t) s[i] << 16 |
		    (i + 1 < n ? (uint32_t) s[i + 1] << 8 : 0) |
		    (i + 2 < n ? s[i + 2] : 0);
		*o++ = a[v >> 18];
		*o++ = a[(v >> 12) & 63];
		*o++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? a[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static inline const char *
basic(const char *cred)
{
	return basic_n(cred, strlen(cred));
}

static inline int
fixture_setup(void **state)
{
	(void) state;
	(void) snprintf(dir, sizeof(dir), "/tmp/bb-acl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	(void) snprintf(pw_path, sizeof(pw_path), "%s/htpasswd", dir);
	write_file(pw_path, all_users);
	return 0;
}

static inline int
fixture_teardown(void **state)
{
	(void) state;
	bbt_rmtree(dir);
	return 0;
}

#endif // TESTS_GATEWAY_ACL_FIXTURE_H
