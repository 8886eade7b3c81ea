#!/usr/bin/python3
"""Writes a CRM export of N contacts for the import benchmark:
gen_import_csv.py N FILE.  Commas and colons in some values (quoted in the
YAML), a tags column, every tenth row VIP, two owners."""
import csv
import sys


def main():
    n, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Email", "First Name", "Last Name", "Company", "Owner", "VIP",
                    "Country", "Tags", "Notes"])
        for i in range(n):
            w.writerow([f"c-{i:07d}", f"person{i}@example.com", f"First{i}", f"Last{i}",
                        f"Company {i % 5000}, Ltd", "alice" if i % 2 else "bruno",
                        "yes" if i % 10 == 0 else "", "DE",
                        "newsletter;events" if i % 3 == 0 else "",
                        f"Note {i}: met at the fair"])


main()
