#!/usr/bin/env python3
"""Check a Prometheus text exposition (format 0.0.4) read from stdin and
print one "name{labels} value" line per sample, sorted.

Checks: every line is a comment (# HELP / # TYPE with a known type), blank,
or a sample "name[{label="value",...}] value"; names and label names are
valid; every sample belongs to a family declared by # TYPE before it (a
histogram's _bucket/_sum/_count); counters are not negative; a histogram's
buckets are cumulative, end with le="+Inf" and equal its _count."""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(
    r"^(" + NAME + r")(\{(?:" + LABEL + r")(?:," + LABEL + r")*\})?"
    r" ([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def fail(n, line, why):
    sys.exit("line %d: %s: %r" % (n, why, line))


def main():
    types, out, buckets, counts = {}, [], {}, {}
    for n, line in enumerate(sys.stdin.read().split("\n"), 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                if parts[2] in types:
                    fail(n, line, "family declared twice")
                if len(parts) != 4 or parts[3] not in TYPES:
                    fail(n, line, "bad TYPE")
                types[parts[2]] = parts[3]
            elif len(parts) >= 3 and parts[1] == "HELP":
                if not re.fullmatch(NAME, parts[2]):
                    fail(n, line, "bad HELP name")
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(n, line, "not a sample")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and types.get(base) == "histogram":
                family = base
        if family not in types:
            fail(n, line, "sample before its # TYPE")
        v = float(value)
        if types[family] == "counter" and v < 0:
            fail(n, line, "negative counter")
        if types[family] == "histogram":
            key = re.sub(r',?le="[^"]*"', "", labels).replace("{,", "{")
            if name.endswith("_bucket"):
                prev = buckets.get(key, [])
                if prev and v < prev[-1][1]:
                    fail(n, line, "buckets not cumulative")
                le = re.search(r'le="([^"]*)"', labels).group(1)
                buckets.setdefault(key, []).append((le, v))
            elif name.endswith("_count"):
                counts[key] = v
        out.append("%s%s %s" % (name, labels, value))
    for key, bl in buckets.items():
        if bl[-1][0] != "+Inf":
            sys.exit("histogram %s: last bucket is not +Inf" % key)
        if counts.get(key) != bl[-1][1]:
            sys.exit("histogram %s: +Inf bucket %s != count %s"
                     % (key, bl[-1][1], counts.get(key)))
    print("\n".join(sorted(out)))


main()
