#!/usr/bin/env python3
"""Doxygen input filter: reads engram's public headers as documented.

The headers use plain // comments. This filter hands Doxygen the same file
with each comment line above a declaration as ///, each comment after a
member as ///<, and the file's opening comment as its \\file block, with the
characters Doxygen would read as commands or HTML escaped. Line numbers are
kept, so warnings point at the real lines.
"""
import re
import sys

ESCAPES = {"\\": "\\\\", "@": "\\@", "&": "\\&", "<": "\\<", ">": "\\>", "#": "\\#", "%": "\\%"}


def escape(text):
    return "".join(ESCAPES.get(c, c) for c in text)


def comment_start(line):
    """Index of a // that starts a comment (not inside a string), or -1."""
    in_string = None
    i = 0
    while i < len(line) - 1:
        c = line[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == in_string:
                in_string = None
        elif c in "\"'":
            in_string = c
        elif line.startswith("//", i):
            return i
        i += 1
    return -1


def main(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    opening = True  # still in the file's opening comment block
    for n, line in enumerate(lines):
        at = comment_start(line)
        if at < 0:
            if line.strip():
                opening = False
            out.append(line)
            continue
        code, text = line[:at], line[at + 2:]
        if text.startswith("/") or text.startswith("!"):
            out.append(line)  # already a Doxygen comment
            continue
        if code.strip():
            out.append(code + "///<" + escape(text))
            opening = False
        elif opening and n == 0:
            out.append(code + "///" + escape(text) + " \\file")
        else:
            out.append(code + "///" + escape(text))
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
