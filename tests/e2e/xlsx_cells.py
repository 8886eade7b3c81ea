#!/usr/bin/python3
"""Prints the cells of the first sheet of an .xlsx file, one per line:
REF TYPE VALUE, TYPE 's' for text, 'n' for a number (a date is one), 'f'
for a formula cell; VALUE with backslash escapes for control characters.
Used by the e2e tests to see what a spreadsheet made of a CSV file."""
import sys
import xml.etree.ElementTree as ET
import zipfile

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def text_of(si):
    return "".join(t.text or "" for t in si.iter("{%s}t" % NS["m"]))


def main():
    z = zipfile.ZipFile(sys.argv[1])
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
        shared = [text_of(si) for si in root.findall("m:si", NS)]
    sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    for c in sheet.iter("{%s}c" % NS["m"]):
        v = c.find("m:v", NS)
        if c.find("m:f", NS) is not None:
            kind, value = "f", c.find("m:f", NS).text or ""
        elif c.get("t") == "s":
            kind, value = "s", shared[int(v.text)]
        elif c.get("t") == "inlineStr":
            kind, value = "s", text_of(c.find("m:is", NS))
        elif v is not None:
            kind, value = "n", v.text
        else:
            continue
        value = value.encode("unicode_escape").decode("ascii")
        print(c.get("r"), kind, value)


main()
