#!/usr/bin/python3
"""The import benchmark's baseline: Python's csv module reading the export
of gen_import_csv.py and writing the YAML mailout import writes for it
(flow mappings, one per line, the same field order and quoting for these
values), without mailout's checks: import_baseline.py FILE.csv OUT.yaml."""
import csv
import json
import os
import sys

FIELDS = {"ID": "id", "Email": "email", "First Name": "first_name", "Last Name": "last_name",
          "Company": "company", "Owner": "owner", "VIP": "vip", "Country": "country",
          "Tags": "tags", "Notes": "notes"}
INSIDE = set(",[]{}#\"")
FIRST = set("@`!&*|>%'-?:")
WORDS = ("yes", "no", "true", "false", "null", "y", "n", "on", "off")


def value(s):
    if any(c in INSIDE for c in s) or ": " in s or s[0] in FIRST or s.lower() in WORDS or s[0].isdigit():
        return json.dumps(s, ensure_ascii=False)
    return s


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, newline="", encoding="utf-8-sig") as f, open(out, "w", encoding="utf-8") as o:
        o.write(f"# Imported from {os.path.basename(src)} with mailout import.\n")
        r = csv.reader(f)
        names = [FIELDS[h] for h in next(r)]
        for row in r:
            rec = dict(zip(names, row))
            parts = []
            for k in ("id", "email", "first_name", "last_name", "company", "owner"):
                if rec[k]:
                    parts.append(f"{k}: {value(rec[k])}")
            parts.append("vip: " + ("true" if rec["vip"].lower() in ("yes", "true", "1", "x") else "false"))
            if rec["country"]:
                parts.append(f"country: {value(rec['country'])}")
            tags = [t.strip() for t in rec["tags"].split(";") if t.strip()]
            if tags:
                parts.append("tags: [" + ", ".join(value(t) for t in tags) + "]")
            if rec["notes"]:
                parts.append(f"notes: {value(rec['notes'])}")
            o.write("- { " + ", ".join(parts) + " }\n")


main()
