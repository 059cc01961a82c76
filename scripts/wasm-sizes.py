#!/usr/bin/env python3
"""Where a .wasm's code bytes go, by crate: reads the code section and the function-name section
(build with the `web-names` profile, which keeps names). Usage: wasm-sizes.py FILE.wasm [TOP]"""
import re
import sys
from collections import Counter


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(data):
    pos = 8
    while pos < len(data):
        kind = data[pos]
        size, pos = leb(data, pos + 1)
        yield kind, data[pos:pos + size]
        pos += size


def main():
    data = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    imported = 0
    bodies = []
    names = {}
    section_sizes = Counter()
    for kind, body in sections(data):
        if kind == 2:  # imports: count imported functions (kind byte 0)
            count, p = leb(body, 0)
            for _ in range(count):
                for _ in range(2):
                    n, p = leb(body, p)
                    p += n
                ikind = body[p]
                p += 1
                if ikind == 0:
                    _, p = leb(body, p)
                    imported += 1
                elif ikind == 1:
                    p += 1
                    flags, p = leb(body, p)
                    _, p = leb(body, p)
                    if flags & 1:
                        _, p = leb(body, p)
                elif ikind == 2:
                    flags, p = leb(body, p)
                    _, p = leb(body, p)
                    if flags & 1:
                        _, p = leb(body, p)
                elif ikind == 3:
                    p += 2
                else:
                    _, p = leb(body, p)
        elif kind == 10:
            count, p = leb(body, 0)
            for _ in range(count):
                size, p = leb(body, p)
                bodies.append(size)
                p += size
        elif kind == 0:
            n, p = leb(body, 0)
            name = body[p:p + n].decode()
            p += n
            section_sizes[f"custom:{name}"] += len(body)
            if name == "name":
                while p < len(body):
                    sub = body[p]
                    size, p = leb(body, p + 1)
                    end = p + size
                    if sub == 1:
                        count, q = leb(body, p)
                        for _ in range(count):
                            index, q = leb(body, q)
                            length, q = leb(body, q)
                            names[index] = body[q:q + length].decode(errors="replace")
                            q += length
                    p = end
            continue
        section_sizes[{1: "type", 2: "import", 3: "function", 5: "memory", 7: "export", 10: "code", 11: "data"}.get(kind, str(kind))] += len(body)
    by_crate = Counter()
    for i, size in enumerate(bodies):
        name = names.get(i + imported, "?")
        match = re.search(r"([a-z_][a-z0-9_]*)::", name.lstrip("<&*( "))
        by_crate[match.group(1) if match else "(other)"] += size
    total = sum(section_sizes.values())
    print(f"{sys.argv[1]}: {len(data):,} bytes; sections:")
    for kind, size in section_sizes.most_common():
        print(f"  {kind:<24} {size:>12,} {100 * size / total:5.1f}%")
    code = sum(bodies)
    print(f"code by crate ({len(bodies):,} functions, {code:,} bytes):")
    for crate, size in by_crate.most_common(top):
        print(f"  {crate:<24} {size:>12,} {100 * size / code:5.1f}%")


main()
