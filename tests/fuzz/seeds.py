#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright 2026 The blobby-c authors
#
# tests/fuzz/seeds.py -- writes the seed corpus of every fuzz target into
# tests/fuzz/corpus/<target>/ (committed; run again after changing it):
# a few valid inputs and edge cases each.  The protobuf messages are
# encoded by hand (a few lines), so nothing but Python is needed.
import base64
import hashlib
import hmac
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


ID_KEY = bytes(range(16))  # tests/fuzz/id.c's key (ID_KEY)


def signed(ns, raw):
    """The signed text of the id bytes raw in namespace ns (idsign.c)."""
    mac = hmac.new(ID_KEY, b"blobby-id-v1\0" + ns + b"\0" + raw,
                   hashlib.sha256).digest()
    return b64(raw + mac[:12])


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, value):
    """A protobuf field: int -> varint, bytes/str -> length-delimited."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def msg(*fields):
    return b"".join(field(n, v) for n, v in fields)


FID = struct.pack(">IHI", 1582164122, 1, 2)  # a fid of machine 2
PRIMARY = b"@PRIMARY@@"  # rpc_dispatch puts the primary's fid here
INITIALIZE, REPLICATE, HEARTBEAT, DELETE, READ, NODE_STATUS = range(6)
REHASH = 4  # rpc_dispatch: pack a Replicate again with its data's XXH3


def call(method, body, who=1):
    req = struct.pack(">I", method) + body
    return bytes([who]) + struct.pack(">H", len(req)) + req


def seeds():
    s = {}
    fid = FID
    short = fid + struct.pack(">II", 4096, 100)
    long_ = fid + struct.pack(">QI", 1 << 33, 7)
    s["id"] = {
        "short": b64(short), "long": b64(long_), "fid": b64(fid),
        "long_small_start": b64(fid + struct.pack(">QI", 5, 7)),
        "bad_char": b64(short)[:-1] + b"*",
        "trailing_bits": b64(short)[:-1] + b"B",
        "length_25": b64(short) + b"A",
        "signed_short": signed(b"test", short),
        "signed_long": signed(b"test", long_),
        # the short id's tag after its bytes in the long form
        "signed_long_small_start": b64(fid + struct.pack(">QI", 4096, 100) +
                                       base64.urlsafe_b64decode(
                                           signed(b"test", short) + b"==")[-12:]),
        "signed_other_ns": signed(b"other", short),
    }
    s["b64"] = {
        "empty": b"", "one": b"AA", "two": b"AAA", "alphabet": b"_-09azAZ",
        "len_mod_4_is_1": b"AAAAA", "trailing_bits": b"AB",
        "padding": b"AA==",
    }
    s["units"] = {
        "size_m": b"100m", "size_gib": b"1gib", "size_commas": b"1,024",
        "size_max": b"18446744073709551615", "size_over": b"18446744073709551616",
        "dur_frac": b"1.5h", "dur_multi": b"1h30m0.5s", "dur_micro": "1µs".encode(),
        "dur_min": b"-2562047h47m16.854775808s",
        "dur_max": b"2562047h47m16.854775807s", "bool": b"yes",
    }
    # gateway/range.c: the blob length (8 bytes, little endian), then
    # the header text.
    def rng(total, text):
        return struct.pack("<Q", total) + text
    s["range"] = {
        "first_last": rng(10, b"bytes=0-4"), "open": rng(10, b"bytes=3-"),
        "suffix": rng(10, b"bytes=-3"), "past_end": rng(10, b"bytes=10-"),
        "empty_blob": rng(0, b"bytes=-5"), "several": rng(10, b"bytes=0-1,3-4"),
        "overflow": rng(1 << 63, b"bytes=18446744073709551616-"),
        "etags": rng(5, b'"a", W/"axR-RQABAAAAAQAAAAAAAAAW", *'),
    }
    with open(os.path.join(HERE, "..", "..", "tools", "dist",
                           "blobbyd.example.conf"), "rb") as f:
        example = f.read()
    s["conf"] = {
        "example": example,
        "minimal": b"machine_id = 1\n[namespace.a]\ndirectory = /tmp/a\n"
                   b"archive = dir\narchive_directory = /tmp/b\n",
        "acl": b"[server.status_acl]\nwhite_list_cidrs = 10.0.0.0/8, ::1/128\n"
               b"allow_x_forwarded_from_cidrs = 127.0.0.1/32\n"
               b"basic_auth_realm = x\n",
        "remote": b"[remote.2]\nhost = ::1\nport = 1091\nrpc_port = 1092\n",
        "bad": b"[server\nport = 70000\n",
    }
    s["htpasswd"] = {
        "users": b"# users\nbob:$apr1$aAFxApSd$/w2gHwsUCMfNRh1pMiRXX0:read\n"
                 b"\ncarol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw=:read:write\r\n"
                 b"hank:$2b$04$abcdefghijklmnopqrstuuMoZelgDFF7QOZ7pfo0joXp."
                 b"etjpF1Xa\n",
        "dup_user": b"frank:$apr1$6JAH6e8x$s/0.ZkYhpydP/yJbs3Ndg.\n"
                    b"frank:dAhYpRAG82ifA\n",
        # issue 12 finding 1: a bad line after a good one
        "nul_after_good": b"carol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw=\nx\0y:z\n",
        "plain_text": b"paul:secret\n",
        "empty": b"",
    }
    s["ipset"] = {
        "v4_chain": b"10.0.0.0/8 192.168.0.0/16\n10.1.2.3\n1.2.3.4, 10.0.0.1\n",
        "v6": b"::1/128 fe80::/10\n::1\nfe80::1,2001:db8::1\n",
        "mapped": b"::ffff:0:0/96\n::ffff:10.0.0.1\n10.0.0.2\n",
        "all_proxies": b"0.0.0.0/0\n127.0.0.1\n10.0.0.1, 10.0.0.2\n",
        "bad_entry": b"127.0.0.0/8\n127.0.0.1\n1.2.3.4,,x\n",
        "bad_cidr": b"10.0.0.0/33\n10.0.0.1\n",
        # the fourth line is an Authorization header (carol:carol-pw)
        "basic_ok": b"\n127.0.0.1\n\nBasic " +
                    base64.b64encode(b"carol:carol-pw") + b"\n",
        "basic_bad": b"\n::1\n\n  basic   " +
                     base64.b64encode(b"carol:x\0y") + b"  \n",
    }
    rest = FID + b"base/path/../x"
    s["keyfmt"] = {
        "default": b"\0" + rest,
        "example": b"%y/%m/%d/%H%M%S-%K-%L\0" + rest,
        "modifiers": b"%-d%_H%-j%_Y %F/%T %p %a %B\0" + rest,
        "padded": b"%05u/%u\0" + rest,
        "unterminated": b"abc%\0" + rest,
        "unknown": b"%Q\0" + rest,
        "bad_utf8": b"\xff%\xff\0" + rest,
    }
    s["s3"] = {
        "range_206": b"HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n"
                     b"Content-Range: bytes 5-14/100\r\nETag: \"abc\"\r\n\r\n\n",
        "whole_200": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                     b"Content-Length: 1\r\n\r\n\n",
        "unknown_total": b"HTTP/1.1 206 x\r\nContent-Length: 1\r\n"
                         b"Content-Range: bytes 0-0/*\r\n\r\n\nbytes 0-0/*",
        "error_xml": b"HTTP/1.1 404 Not Found\r\n\r\n\n<?xml version=\"1.0\"?>"
                     b"<Error><Code>NoSuchKey</Code><Message>a &amp; b &lt;"
                     b"&#65;&#x42;</Message></Error>",
        "bad_entity": b"HTTP/1.1 403 x\r\n\r\n\n<Error><Code>A&bogus;</Code>"
                      b"<Message>unterminated",
        "long_etag": b"HTTP/1.1 200 OK\r\nETag: \"" + b"a" * 200 + b"\"\r\n\r\n\n"
                     b"<CompleteMultipartUploadResult><ETag>&quot;" +
                     b"b" * 200 + b"&quot;</ETag></CompleteMultipartUploadResult>",
        # tests/fuzz/s3.c checks completions against "hello" in one part
        "complete_ok": b"HTTP/1.1 200 OK\r\n\r\n\n<CompleteMultipartUploadResult>"
                       b"<ETag>&quot;" + hashlib.md5(hashlib.md5(b"hello").digest())
                       .hexdigest().encode() + b"-1&quot;</ETag>"
                       b"</CompleteMultipartUploadResult>",
        "complete_md5": b"HTTP/1.1 200 OK\r\n\r\n\n<ETag>\"" +
                        hashlib.md5(b"hello").hexdigest().encode() + b"\"</ETag>",
        "upload_id": b"HTTP/1.1 200 OK\r\n\r\n\n<InitiateMultipartUploadResult>"
                     b"<UploadId> xyz </UploadId></InitiateMultipartUploadResult>",
    }
    status = msg((1, 3), (2, "no such file"), (3, 1))
    s["rpc_unpack"] = {
        "status": status,
        "initialize": msg((1, "test"), (2, FID)),
        "replicate": msg((1, "test"), (2, FID), (3, 0), (4, b"hello"),
                         (5, 0x1234), (6, 1)),
        "replicate_response": msg((1, status), (2, 5)),
        "read": msg((1, "test"), (2, FID), (3, 4096), (4, 100)),
        "read_response": msg((1, msg((1, 0))), (2, b"data")),
        "read_more": msg((1, "test"), (2, FID), (3, 0), (4, 1),
                         (5, msg((2, FID), (3, 1), (4, 1))),
                         (5, msg((2, FID), (3, 2), (4, 1)))),
        "read_response_more": msg((1, msg()), (2, b"a"),
                                  (3, msg((1, msg((1, 5))), (2, b""))),
                                  (3, msg((2, b"c")))),
        "node_status_response": msg((1, msg()), (2, 1), (3, "0.1.0"),
                                    (4, 1 << 20), (5, "a"), (5, "b")),
        "nul_in_string": msg((1, b"te\0st"), (2, FID)),
        "truncated": msg((1, "test"), (2, FID))[:-3],
    }
    init = msg((1, "test"), (2, FID))
    s["rpc_dispatch"] = {
        "replica_life": call(INITIALIZE, init) +
        call(REPLICATE, msg((1, "test"), (2, FID), (3, 0), (4, b"hello"),
                            (5, 0), (6, 1)), who=REHASH | 1) +
        call(REPLICATE, msg((1, "test"), (2, FID), (3, 5), (4, b"world")),
             who=REHASH | 1) +
        call(HEARTBEAT, init) +
        call(READ, msg((1, "test"), (2, FID), (3, 0), (4, 5))) +
        call(DELETE, init) + call(NODE_STATUS, b""),
        "primary_shadow": call(INITIALIZE, msg((1, "test"), (2, PRIMARY))) +
        call(REPLICATE, msg((1, "test"), (2, PRIMARY), (3, 0),
                            (4, b"X" * 64), (6, 1)), who=REHASH | 1) +
        call(DELETE, msg((1, "test"), (2, PRIMARY))),
        "primary_read": call(READ, msg((1, "test"), (2, PRIMARY), (3, 0),
                                       (4, 101)), who=0) +
        call(READ, msg((1, "other"), (2, PRIMARY), (3, 0), (4, 1)), who=3),
        "primary_read_more": call(READ, msg((1, "test"), (2, PRIMARY), (3, 0),
                                            (4, 1),
                                            (5, msg((2, PRIMARY), (3, 1),
                                                    (4, 100))),
                                            (5, msg((2, PRIMARY), (3, 0),
                                                    (4, 1 << 31))))),
        "bad_frames": call(9, b"") + b"\x01\x00\x02\x00\x00" +
        call(REPLICATE, b"\x0a\xff") +
        call(INITIALIZE, msg((1, b"te\0st"), (2, FID))),
        "strangers": call(INITIALIZE, init, who=3) +
        call(DELETE, msg((1, "test"), (2, PRIMARY)), who=2),
    }
    return s


def main():
    for target, files in seeds().items():
        d = os.path.join(CORPUS, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
