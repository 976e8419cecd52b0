#!/usr/bin/env python3
"""Writes the VigilZip test fixtures (run from this folder: python3 make-fixtures.py).

Everything here is made by Python's zipfile and zlib (and Info-ZIP's `zip` where installed), or built
byte by byte and then checked against Python's zlib/zipfile, so the tests compare Vigil with an
independent implementation. Seeded: the same files come out on every run (except `zip` timestamps).
"""
import heapq
import io
import json
import os
import random
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
STAMP = (2024, 1, 2, 3, 4, 6)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def info(name, method=zipfile.ZIP_DEFLATED):
    i = zipfile.ZipInfo(name, STAMP)
    i.compress_type = method
    return i


def osv(ident, package, fixed, ecosystem="Debian:12"):
    return json.dumps({
        "schema_version": "1.6.0", "id": ident, "modified": "2024-01-02T03:04:05Z", "aliases": ["CVE-" + ident[4:]],
        "affected": [{"package": {"ecosystem": ecosystem, "name": package},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
    }, indent=1).encode()


# --- Sample text: JSON records and mixed content -------------------------------------------------------------
rng = random.Random(7)
records = b"".join(osv("DSA-%04d-1" % n, "pkg%d" % (n % 17), "1.%d-1" % n) for n in range(12))
noise = bytes(rng.getrandbits(8) for _ in range(1000))
text = (b"The quick brown fox jumps over the lazy dog. " * 30) + noise + records


# --- levels.zip: DEFLATE levels 0-9, stored entries, empty files, a directory ---------------------------------
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    for level in range(10):
        z.writestr(info("deflate-%d.txt" % level), text, compresslevel=level)
    z.writestr(info("stored.txt", zipfile.ZIP_STORED), text)
    z.writestr(info("empty-stored.txt", zipfile.ZIP_STORED), b"")
    z.writestr(info("empty-deflated.txt"), b"")
    z.writestr(info("dir/", zipfile.ZIP_STORED), b"")
write("levels.zip", buf.getvalue())
write("levels-content.txt", text)


# --- zip64.zip: every size and offset through the ZIP64 extra field and end record ---------------------------
def zip64_archive(entries):
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        raw = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = raw.compress(data) + raw.flush()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(packed))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(name), len(local_extra)) + name + local_extra + packed
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(packed), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + name + extra
    cd_offset = len(out)
    out += central
    z64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central),
                       cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


zip64 = zip64_archive([(b"a.json", osv("DSA-0001-1", "openssl", "3.0.11-1~deb12u1")), (b"b.txt", text)])
with zipfile.ZipFile(io.BytesIO(zip64)) as z:  # Python reads what we built
    assert z.read("b.txt") == text and z.testzip() is None
write("zip64.zip", zip64)


# --- Info-ZIP: `zip -9`, and a stream from stdin (ZIP64 and a data descriptor) --------------------------------
if shutil.which("zip"):
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "content.txt"), "wb") as f:
            f.write(text)
        with open(os.path.join(tmp, "empty.txt"), "wb") as f:
            pass
        for name in ("content.txt", "empty.txt"):
            os.utime(os.path.join(tmp, name), (1704164646, 1704164646))
        subprocess.run(["zip", "-q", "-X", "-9", "infozip.zip", "content.txt", "empty.txt"], cwd=tmp, check=True)
        shutil.copy(os.path.join(tmp, "infozip.zip"), os.path.join(HERE, "infozip.zip"))
        stream = subprocess.run(["zip", "-q", "-X", "-", "-"], input=text, capture_output=True, check=True).stdout
        write("infozip-stream.zip", stream)
        subprocess.run(["zip", "-q", "-X", "-P", "secret", "encrypted.zip", "content.txt"], cwd=tmp, check=True)
        shutil.copy(os.path.join(tmp, "encrypted.zip"), os.path.join(HERE, "encrypted.zip"))


# --- Other methods, names, duplicates --------------------------------------------------------------------------
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(info("bzip2.txt", zipfile.ZIP_BZIP2), text)
    z.writestr(info("lzma.txt", zipfile.ZIP_LZMA), text)
    z.writestr(info("plain.txt"), b"plain")
write("methods.zip", buf.getvalue())

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(info("../../etc/passwd.json"), osv("DSA-0002-1", "bash", "5.2.15-2+b2"))
    z.writestr(info("/abs/record.json"), osv("DSA-0003-1", "curl", "7.88.1-10+deb12u1"))
    z.writestr(info("evil-\x1b[31m-name.json"), b"{}")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z.writestr(info("twice.json"), osv("DSA-0004-1", "sudo", "1.9.13p3-1+deb12u1"))
        z.writestr(info("twice.json"), osv("DSA-0004-1", "sudo", "9.9-1"))
write("names.zip", buf.getvalue())


# --- An OSV archive as OSV publishes it, with a bad record, a non-JSON entry and a directory ------------------
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(info("DSA-5000-1.json"), osv("DSA-5000-1", "openssl", "3.0.9-1"))
    z.writestr(info("DSA-5001-1.json"), osv("DSA-5001-1", "util-linux", "2.38.1-5+deb12u4"))
    z.writestr(info("DSA-5002-1.json"), osv("DSA-5002-1", "postgresql-common", "249"))
    z.writestr(info("bomb.json"), b"[" + b" " * (2 << 20) + b"]", compresslevel=9)
    z.writestr(info("BROKEN-1.json"), b'{"id": "BROKEN-1", "affected": [')
    z.writestr(info("GO-2024-0001.json"), osv("GO-2024-0001", "golang.org/x/net", "0.17.0", ecosystem="Go"))
    z.writestr(info("README.txt"), b"not a record")
    z.writestr(info("nested/", zipfile.ZIP_STORED), b"")
# Beside the OSV loader's tests, which read it.
with open(os.path.join(HERE, "..", "..", "VigilVulnTests", "Fixtures", "osv-debian.zip"), "wb") as f:
    f.write(buf.getvalue())


# --- Bombs -----------------------------------------------------------------------------------------------------
zeros = bytes(2 << 20)
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(info("bomb.json", zipfile.ZIP_DEFLATED), zeros, compresslevel=9)
    z.writestr(info("fine.json"), osv("DSA-0005-1", "zlib", "1:1.2.13.dfsg-1"))
ratio_bomb = buf.getvalue()
write("bomb-ratio.zip", ratio_bomb)

# 42.zip-style nesting: archives of archives of a ratio bomb.
layer = ratio_bomb
for depth in range(2):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in range(4):
            z.writestr(info("layer%d-%d.zip" % (depth, n)), layer, compresslevel=9)
    layer = buf.getvalue()
write("bomb-nested.zip", layer)

# An entry whose headers declare 100 bytes while its stream inflates to 2 MiB.
packer = zlib.compressobj(9, zlib.DEFLATED, -15)
packed = packer.compress(zeros) + packer.flush()
name = b"liar.json"
crc = zlib.crc32(zeros[:100])
local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), 100, len(name), 0) + name
central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(packed), 100, len(name), 0,
                      0, 0, 0, 0, 0) + name
body = local + packed
write("bomb-liar.zip", body + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(body), 0))

# Overlapping entries (a non-recursive bomb): entry A's stored data holds entry B's local header and data.
inner_name, outer_name = b"b.json", b"a.json"
inner_data = b"{}"
inner = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, zlib.crc32(inner_data), 2, 2,
                    len(inner_name), 0) + inner_name + inner_data
outer = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, zlib.crc32(inner), len(inner), len(inner),
                    len(outer_name), 0) + outer_name
body = outer + inner
cd = b""
for name, data, offset in ((outer_name, inner, 0), (inner_name, inner_data, len(outer))):
    cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, zlib.crc32(data), len(data),
                      len(data), len(name), 0, 0, 0, 0, 0, offset) + name
write("overlap.zip", body + cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(cd), len(body), 0))


# --- Raw DEFLATE streams: a bit writer for hand-built blocks, each checked with Python's zlib --------------------
class Bits:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, count):
        self.acc |= value << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, code, length):  # Huffman codes go most significant bit first
        self.put(int(format(code, "0%db" % length)[::-1], 2), length)

    def align(self):
        if self.n:
            self.put(0, 8 - self.n)

    def bytes(self):
        self.align()
        return bytes(self.out)


def canonical(lengths):
    codes, code, counts = {}, 0, [0] * 16
    for length in lengths:
        counts[length] += 1
    counts[0] = 0
    next_code = [0] * 16
    for bits in range(1, 16):
        code = (code + counts[bits - 1]) << 1
        next_code[bits] = code
    for symbol, length in enumerate(lengths):
        if length:
            codes[symbol] = (next_code[length], length)
            next_code[length] += 1
    return codes


def huffman_lengths(freqs, limit):
    heap = [(f, [s]) for s, f in freqs.items() if f]
    lengths = {s: 0 for s in freqs}
    if len(heap) == 1:
        lengths[heap[0][1][0]] = 1
        return lengths
    heapq.heapify(heap)
    while len(heap) > 1:
        f1, s1 = heapq.heappop(heap)
        f2, s2 = heapq.heappop(heap)
        for s in s1 + s2:
            lengths[s] += 1
        heapq.heappush(heap, (f1 + f2, s1 + s2))
    assert max(lengths.values()) <= limit
    return lengths


LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
         227, 258]
LEXT = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [0]
DBASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
         4097, 6145, 8193, 12289, 16385, 24577]
DEXT = [0, 0, 0, 0] + [n // 2 for n in range(2, 28)]


def emit_items(bits, items, lit, dist):
    """items: ints (literal bytes), ("len", symbol, extra, dsymbol, dextra), or "end"."""
    for item in items:
        if item == "end":
            bits.code(*lit[256])
        elif isinstance(item, int):
            bits.code(*lit[item])
        else:
            _, symbol, extra, dsymbol, dextra = item
            bits.code(*lit[symbol])
            bits.put(extra, LEXT[symbol - 257])
            bits.code(*dist[dsymbol])
            bits.put(dextra, DEXT[dsymbol])


def dynamic_header(bits, lit_lengths, dist_lengths, final):
    """Writes a dynamic block header with run-length coded lengths (16/17/18)."""
    bits.put(final, 1)
    bits.put(2, 2)
    all_lengths = lit_lengths + dist_lengths
    runs, i = [], 0
    while i < len(all_lengths):
        value, run = all_lengths[i], 1
        while i + run < len(all_lengths) and all_lengths[i + run] == value:
            run += 1
        if value == 0 and run >= 11:
            take = min(run, 138)
            runs.append((18, take - 11))
        elif value == 0 and run >= 3:
            take = min(run, 10)
            runs.append((17, take - 3))
        elif run >= 4:
            runs.append((value, None))
            take = 1 + min(run - 1, 6)
            runs.append((16, take - 1 - 3))
        else:
            take = 1
            runs.append((value, None))
        i += take
    freqs = {s: 0 for s in range(19)}
    for symbol, _ in runs:
        freqs[symbol] += 1
    cl = huffman_lengths(freqs, 7)
    order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    hclen = 19
    while hclen > 4 and cl[order[hclen - 1]] == 0:
        hclen -= 1
    bits.put(len(lit_lengths) - 257, 5)
    bits.put(len(dist_lengths) - 1, 5)
    bits.put(hclen - 4, 4)
    for symbol in order[:hclen]:
        bits.put(cl[symbol], 3)
    clc = canonical([cl[s] for s in range(19)])
    for symbol, extra in runs:
        bits.code(*clc[symbol])
        if symbol == 16:
            bits.put(extra, 2)
        elif symbol == 17:
            bits.put(extra, 3)
        elif symbol == 18:
            bits.put(extra, 7)


def fixed_codes():
    lit = [8] * 144 + [9] * 112 + [7] * 24 + [8] * 8
    return canonical(lit), canonical([5] * 30)


cases = []  # (name, stream, expected output or None, zlib accepts)


def case(name, stream, expected=None):
    try:
        got = zlib.decompress(stream, -15)
        ok = True
    except zlib.error:
        got, ok = None, False
    if expected is not None:
        assert ok and got == expected, name
    cases.append((name, stream, got if ok else None))


# Edge cases of dynamic Huffman: a one-symbol distance tree, length 258 (symbol 285 and 284 + 31), distance 32768.
window = bytes(rng.getrandbits(8) for _ in range(32768))
lit_lengths = [8] * 253 + [9] * 3 + [9] + [0] * 27 + [9, 9]  # 0..252: 8 bits; 253..256, 284, 285: 9 bits
dist_lengths = [0] * 29 + [1]  # only distance symbol 29 (24577 + 13 extra bits), one 1-bit code
lit, dist = canonical(lit_lengths), canonical(dist_lengths)
bits = Bits()
dynamic_header(bits, lit_lengths, dist_lengths, 1)
expected = bytearray(window)
items = list(window)
for symbol, extra, length in ((285, 0, 258), (284, 31, 258), (285, 0, 258)):
    items.append(("len", symbol, extra, 29, 8191))
    for _ in range(length):
        expected.append(expected[-32768])
items.append("end")
emit_items(bits, items, lit, dist)
case("dynamic-edges", bits.bytes(), bytes(expected))

# A dynamic block holding only the end-of-block code (a single one-bit code) and no distance codes at all.
bits = Bits()
dynamic_header(bits, [0] * 256 + [1], [0], 1)
bits.code(0, 1)
case("dynamic-only-end", bits.bytes(), b"")

# Every block type in one stream: stored (empty and 65535 bytes), fixed with matches, dynamic.
lit_f, dist_f = fixed_codes()
bits = Bits()
bits.put(0, 1), bits.put(0, 2), bits.align()
bits.out += struct.pack("<HH", 0, 0xFFFF)
big = bytes(rng.getrandbits(8) for _ in range(65535))
bits.put(0, 1), bits.put(0, 2), bits.align()
bits.out += struct.pack("<HH", 65535, 0) + big
bits.put(0, 1), bits.put(1, 2)
emit_items(bits, [ord("a"), ord("b"), ord("c"), ("len", 265, 1, 2, 0), ("len", 285, 0, 0, 0), "end"], lit_f, dist_f)
tail = bytearray(big + b"abc")
for _ in range(12):
    tail.append(tail[-3])
for _ in range(258):
    tail.append(tail[-1])
dynamic_header(bits, [8] * 255 + [9, 9] + [0] * 29, [1, 1], 1)
lit_d = canonical([8] * 255 + [9, 9] + [0] * 29)
emit_items(bits, [ord("x"), ord("y"), "end"], lit_d, canonical([1, 1]))
case("all-block-types", bits.bytes(), bytes(tail) + b"xy")

# Refused streams (Python's zlib must refuse them too).
def bad(name, build):
    b = Bits()
    build(b)
    stream = b.bytes()
    try:
        zlib.decompress(stream, -15)
        raise AssertionError("zlib accepted " + name)
    except zlib.error:
        pass
    cases.append((name, stream, None))


bad("bad-block-type", lambda b: (b.put(1, 1), b.put(3, 2), b.put(0, 16)))
bad("bad-stored-length", lambda b: (b.put(1, 1), b.put(0, 2), b.align(), b.out.extend(struct.pack("<HH", 5, 5)),
                                    b.out.extend(b"hello")))


def oversubscribed_code_lengths(b):
    b.put(1, 1), b.put(2, 2), b.put(0, 5), b.put(0, 5), b.put(15, 4)
    for _ in range(19):
        b.put(1, 3)  # 19 one-bit codes
    b.put(0, 32)


bad("bad-code-lengths-oversubscribed", oversubscribed_code_lengths)


def incomplete_literals(b):
    dynamic_header(b, [9] * 256 + [9], [1, 1], 1)  # 257 nine-bit codes leave most patterns unused
    b.put(0, 32)


bad("bad-literals-incomplete", incomplete_literals)


def no_end_of_block(b):
    dynamic_header(b, [8] * 256 + [0] + [8] * 29, [1, 1], 1)
    b.put(0, 32)


def repeat_first(b):
    b.put(1, 1), b.put(2, 2), b.put(0, 5), b.put(0, 5), b.put(0, 4)
    for length in (1, 1, 0, 0):  # symbols 16 and 17 one bit each, 18 and 0 unused
        b.put(length, 3)
    b.code(0, 1), b.put(0, 2)  # 16 (repeat previous) before any length
    b.put(0, 32)


bad("bad-repeat-first", repeat_first)
bad("bad-no-end-of-block", no_end_of_block)


def distance_too_far(b):
    b.put(1, 1), b.put(1, 2)
    emit_items(b, [ord("a"), ("len", 257, 0, 4, 1), "end"], lit_f, dist_f)  # distance 6 after 1 byte


bad("bad-distance-too-far", distance_too_far)
bad("bad-truncated", lambda b: (b.put(1, 1), b.put(1, 2), b.code(*lit_f[ord("a")])))

# Differential: seeded data of several kinds through zlib's levels and strategies.
kinds = {
    "random": bytes(rng.getrandbits(8) for _ in range(3000)),
    "alphabet": bytes(rng.choice(b"ACGT") for _ in range(6000)),
    "text": (records * 2)[:12000],
    "runs": b"".join(bytes([rng.getrandbits(8)]) * rng.randint(1, 300) for _ in range(60)),
}
for kind, data in kinds.items():
    for level, strategy, label in ((0, zlib.Z_DEFAULT_STRATEGY, "0"), (1, zlib.Z_DEFAULT_STRATEGY, "1"),
                                   (6, zlib.Z_DEFAULT_STRATEGY, "6"), (9, zlib.Z_DEFAULT_STRATEGY, "9"),
                                   (6, zlib.Z_HUFFMAN_ONLY, "huffman"), (6, zlib.Z_RLE, "rle"),
                                   (6, zlib.Z_FIXED, "fixed")):
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
        case("zlib-%s-%s" % (kind, label), c.compress(data) + c.flush(), data)

os.makedirs(os.path.join(HERE, "inflate"), exist_ok=True)
with open(os.path.join(HERE, "inflate", "cases.tsv"), "w") as manifest:
    manifest.write("# name\tsize\tcrc32 (of Python zlib's output; '-' where zlib refuses the stream)\n")
    for name, stream, out in cases:
        write(os.path.join("inflate", name + ".deflate"), stream)
        if out is None:
            manifest.write("%s\t-\t-\n" % name)
        else:
            manifest.write("%s\t%d\t%08x\n" % (name, len(out), zlib.crc32(out)))
for name, data in kinds.items():
    write(os.path.join("inflate", name + ".out"), data)
print("wrote", len(cases), "streams")
