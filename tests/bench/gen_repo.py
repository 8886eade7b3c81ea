#!/usr/bin/env python3
"""Writes a synthetic mailout content repository for benchmarks.

    gen_repo.py --recipients 1000000 --out DIR [--campaigns 30] [--seed 1]

The repository holds N recipients over files of --per-file records (the
three types mixed 60/15/25), --owners sales managers with 2 to 4 sending
accounts each (one main), segments, --campaigns campaigns (segments, inline
filters, a few vip_only and paused), templates and a signature per owner,
suppressions, and logs with claims, sent messages, failures and retries for
every tenth campaign (the status site uses mailout's built-in theme).  Only
reserved domains are used.  The same arguments always give the same files,
byte for byte, with the same mtimes.

Next to the repository (DIR.select) goes what the bare baseline needs to
insert the same rows as the plan without reading the campaign files: the
accounts and every campaign's selection (type, owner, vip_only, filter).
"""

import argparse
import os
import random
import shutil
import sys
import time
import unicodedata

TYPES = ("contacts", "companies", "leads")
TYPE_SHARE = (0.60, 0.15, 0.25)
PREFIX = {"contacts": "c", "companies": "co", "leads": "l"}
MTIME = 1704067200  # 2024-01-01T00:00:00Z: older than any plan

FIRST = ("Jana", "Lukas", "Sophie", "Matthias", "Chloé", "Reto", "Anna", "Jürgen", "Émilie",
         "Giulia", "Pieter", "Zofia", "Felix", "Lea", "Thomas", "Élodie", "Oliver", "Søren",
         "Emily", "Michael", "Sarah", "Daniel", "Geneviève", "Liam", "Sofía", "Jessica",
         "Robert", "Hannah", "James", "Ana", "Ines", "Noah", "Olivia", "Lucas", "Megan")
LAST = ("Novak", "Müller", "Gruber", "Huber", "Favre", "Brunner", "Schäfer", "Weiß",
        "Laurent", "Rossi", "de Vries", "Kowalska", "Bauer", "Meier", "Berger", "Mercier",
        "Hughes", "Nielsen", "Carter", "O'Brien", "Kim", "Wright", "Tremblay", "MacDonald",
        "Hernández", "Lee", "Johnson", "Fischer", "Taylor", "Sousa", "Wagner", "Martin")
TITLES = ("Head of Purchasing", "Managing Director", "Office Manager", "IT Lead", "CEO",
          "Procurement Manager", "Marketing Lead", "CFO", "Operations Manager", "Buyer")
COMPANY_WORDS = ("Acme", "Alpenblick", "Nordlicht", "Berger", "Donau", "Maple Ridge",
                 "Harbor Point", "Carter", "Léman", "Wisła", "Bayside", "Northwind")
COMPANY_KINDS = ("GmbH", "AG", "SA", "Ltd", "Inc.", "KG", "SARL", "LLC", "ApS", "S.A.")
COUNTRIES = ("DE", "AT", "CH", "FR", "IT", "NL", "PL", "GB", "DK", "US", "CA", "MX")
TAGS = ("newsletter", "events", "webinar", "customer", "prospect", "trade-fair")
DOMAINS = ("example.com", "example.net", "example.org")
DEPARTMENTS = (("emea", "Sales EMEA"), ("dach", "Sales DACH"), ("americas", "Sales Americas"),
               ("apac", "Sales APAC"))
# Named filters: name -> [(field, [values])]
SEGMENTS = {
    "dach-newsletter": [("country", ["DE", "AT", "CH"]), ("tags", ["newsletter"])],
    "dach": [("country", ["DE", "AT", "CH"])],
    "north-america": [("country", ["US", "CA", "MX"])],
    "western-europe": [("country", ["FR", "IT", "NL", "GB"])],
    "newsletter": [("tags", ["newsletter"])],
    "events": [("tags", ["events", "webinar"])],
    "customers": [("tags", ["customer"])],
    "vip": [("vip", ["true"])],
}
# Per type: the fields its templates use (every record has them).
TEMPLATE_FIELDS = {
    "contacts": ("first_name", "company"),
    "companies": ("full_name", "country"),
    "leads": ("first_name", "company_name"),
}


def yaml_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ascii_name(s):
    """A name as it appears in an address: lower case, ASCII letters only."""
    s = s.lower().replace("ß", "ss").replace("ø", "o")
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if "a" <= ch <= "z")


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


class Repo:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.out = args.out
        self.owners = []  # (id, name, department)
        self.accounts = []  # (id, owner, main, daily_limit)
        self.campaigns = []  # dicts
        self.by_owner_type = {}  # (owner, type) -> [campaign]
        self.deliveries = 0
        self.log_lines = 0

    # ---- configuration ----

    def people(self):
        rng = self.rng
        for i in range(self.args.owners):
            first = FIRST[i % len(FIRST)]
            last = LAST[(i * 7) % len(LAST)]
            pid = "%s-%02d" % (ascii_name(first), i + 1)
            dept = DEPARTMENTS[i % len(DEPARTMENTS)][0]
            self.owners.append((pid, "%s %s" % (first, last), dept))
            naccounts = 2 + rng.randrange(3)
            for j in range(naccounts):
                main = j == 0
                aid = "%s-%s" % (pid, "main" if main else "news%d" % j)
                limit = 40 + rng.randrange(41) if main else 80 + rng.randrange(121)
                self.accounts.append((aid, pid, main, limit))

    def config(self):
        lines = [
            "# Synthetic content for benchmarks (tests/bench/gen_repo.py).",
            "organization:",
            "  name: Example GmbH",
            '  postal_address: "Beispielstrasse 1, 10115 Berlin, Germany"',
            "  site_url: https://status.example.com",
            "  timezone: Europe/Berlin",
            "schedule:",
            '  working_hours: "08:30-17:30"',
            "  suspended_days: [fri, sat, sun]",
            "  holidays: [2026-12-24, 2026-12-25, 2026-12-31, 2027-01-01]",
            "unsubscribe:",
            "  address: unsubscribe@example.com",
            "git:",
            '  author: "mailout <mailout@example.com>"',
            "departments:",
        ]
        for did, name in DEPARTMENTS:
            lines.append("  - { id: %s, name: %s }" % (did, name))
        lines.append("people:")
        for pid, name, dept in self.owners:
            lines.append("  - { id: %s, name: %s, email: %s@example.com, department: %s, "
                         "role: sales_manager }" % (pid, yaml_quote(name), pid, dept))
        lines.append("  - { id: head-office, name: Carol Chen, email: carol@example.com, "
                     "department: emea, role: company_manager }")
        lines.append("accounts:")
        names = {o[0]: o[1] for o in self.owners}
        for aid, owner, main, limit in self.accounts:
            lines += [
                "  - id: %s" % aid,
                "    owner: %s" % owner,
                "    from: %s" % yaml_quote("%s <%s@%s>" % (names[owner], aid, DOMAINS[0])),
                "    smtp: smtps://smtp.example.com:465",
                "    username: %s@example.com" % aid,
                "    password_env: MAILOUT_PASSWORD_%s" % aid.upper().replace("-", "_"),
                "    daily_limit: %d" % limit,
            ]
            if main:
                lines.append("    main: true")
        write(os.path.join(self.out, "mailout.yaml"), "\n".join(lines) + "\n")

    def segments(self):
        lines = ["# Named filters."]
        for name, terms in SEGMENTS.items():
            lines.append("%s: { %s }" % (name, ", ".join(
                "%s: [%s]" % (f, ", ".join(v)) if len(v) > 1 else "%s: %s" % (f, v[0])
                for f, v in terms)))
        write(os.path.join(self.out, "recipients", "segments.yaml"), "\n".join(lines) + "\n")

    def templates(self):
        per_type = max(2, self.args.campaigns // 30)
        self.template_names = {}
        for t in TYPES:
            names = []
            f1, f2 = TEMPLATE_FIELDS[t]
            for k in range(per_type):
                name = "%s-news-%02d" % (t, k + 1)
                names.append(name)
                body = (
                    "---\n"
                    'subject: "News for {{%s}} (%d)"\n'
                    "preheader: What changed this quarter\n"
                    "---\n"
                    "Hello {{%s}},\n\n"
                    "here is what is new at {{organization.name}}.\n\n"
                    "## What is new\n\n"
                    "- **Faster delivery:** orders before 14:00 leave the same day.\n"
                    "- **One portal:** invoices and support in one place.\n\n"
                    "{{#vip}}\n### An invitation for {{%s}}\n\n"
                    "Reply and {{owner.name}} reserves your seats.\n{{/vip}}\n"
                    "{{^vip}}\n### Talk to us\n\n"
                    "Reply and {{owner.name}} suggests a time.\n{{/vip}}\n"
                    % (f2, k + 1, f1, f2))
                write(os.path.join(self.out, "templates", name + ".md"), body)
            self.template_names[t] = names
        for pid, name, dept in self.owners:
            write(os.path.join(self.out, "templates", "signatures", pid + ".md"),
                  "**%s**\\\nSales, Example GmbH\\\n[%s@example.com](mailto:%s@example.com)\n"
                  % (name, pid, pid))

    def make_campaigns(self):
        rng = self.rng
        segment_names = list(SEGMENTS)
        for i in range(self.args.campaigns):
            owner = self.owners[i % len(self.owners)][0]
            x = rng.random()
            t = 0 if x < 0.5 else 1 if x < 0.7 else 2
            tname = TYPES[t]
            template = rng.choice(self.template_names[tname])
            c = {"id": "c%04d-%s" % (i + 1, tname), "owner": owner, "type": t,
                 "template": template, "vip_only": i % 10 == 7,
                 "status": "paused" if i % 15 == 14 else "active",
                 "segment": None, "filter": None, "log": i % 10 == 3}
            x = rng.random()
            if x < 0.45:
                c["segment"] = rng.choice(segment_names)
                c["terms"] = SEGMENTS[c["segment"]]
            elif x < 0.85:
                countries = sorted(rng.sample(COUNTRIES, 2 + rng.randrange(4)))
                terms = [("country", countries)]
                if rng.random() < 0.3:
                    terms.append(("tags", [rng.choice(TAGS)]))
                c["filter"] = terms
                c["terms"] = terms
            else:
                c["terms"] = []
            day = 1 + i % 20
            lines = [
                "name: %s" % yaml_quote("Campaign %d for %s (%s)" % (i + 1, owner, tname)),
                "template: %s" % template,
                "recipient_type: %s" % tname,
            ]
            if c["segment"]:
                lines.append("segment: %s" % c["segment"])
            elif c["filter"]:
                lines.append("filter: { %s }" % ", ".join(
                    "%s: [%s]" % (f, ", ".join(v)) for f, v in c["filter"]))
            lines += [
                "owner: %s" % owner,
                "status: %s" % c["status"],
                "start: 2026-12-%02d" % day,
                "end: 2027-02-%02d" % day,
                "vip_only: %s" % ("true" if c["vip_only"] else "false"),
            ]
            write(os.path.join(self.out, "campaigns", c["id"], "campaign.yaml"),
                  "\n".join(lines) + "\n")
            c["selected"] = 0
            c["log_lines"] = []
            self.campaigns.append(c)
            self.by_owner_type.setdefault((owner, t), []).append(c)

    # ---- recipients ----

    def record(self, t, n, owner):
        """One record: its YAML text (flow or block) and what selection needs."""
        rng = self.rng
        first = rng.choice(FIRST)
        last = rng.choice(LAST)
        country = COUNTRIES[rng.randrange(len(COUNTRIES))]
        tags = sorted(rng.sample(TAGS, 1 + rng.randrange(3)))
        vip = rng.random() < 0.1
        domain = DOMAINS[n % 3] if n % 5 else "co%d.test" % (n % 9973)
        tname = TYPES[t]
        rid = "%s-%07d" % (PREFIX[tname], n)
        company = "%s %s" % (rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS))
        if t == 1:
            local = "info.%d" % n
            fields = [("full_name", yaml_quote("%s %d" % (company, n)))]
        else:
            local = "%s.%s.%d" % (ascii_name(first), ascii_name(last), n)
            fields = [("first_name", first), ("last_name", yaml_quote(last))]
            if t == 0:
                fields += [("title", rng.choice(TITLES)), ("company", yaml_quote(company))]
            else:
                fields.append(("company_name", yaml_quote(company)))
        email = "%s@%s" % (local, domain)
        if n % 20 == 7:
            email = email.capitalize()  # addresses compare lower-cased
        head = [("id", rid), ("email", email)]
        tail = [("owner", owner), ("vip", "true" if vip else "false"), ("country", country)]
        rec = {"id": rid, "address": email.lower(), "owner": owner, "vip": vip,
               "country": country, "tags": tags}
        return head + fields + tail, tags, rec

    @staticmethod
    def flow(items, tags):
        return "- { %s, tags: [%s] }\n" % (", ".join("%s: %s" % kv for kv in items),
                                            ", ".join(tags))

    @staticmethod
    def block(items, tags):
        out = ["- %s: %s\n" % items[0]]
        out += ["  %s: %s\n" % kv for kv in items[1:]]
        out.append("  tags:\n")
        out += ["    - %s\n" % tag for tag in tags]
        return "".join(out)

    def selects(self, c, rec):
        if c["vip_only"] and not rec["vip"]:
            return False
        for field, values in c["terms"]:
            if field == "vip":
                if ("true" if rec["vip"] else "false") not in values:
                    return False
            elif field == "tags":
                if not any(tag in values for tag in rec["tags"]):
                    return False
            elif rec[field] not in values:
                return False
        return True

    def recipients(self):
        n_total = self.args.recipients
        per_file = self.args.per_file
        counts = [int(n_total * s) for s in TYPE_SHARE]
        counts[0] += n_total - sum(counts)
        owners = [o[0] for o in self.owners]
        serial = 0
        self.files = []
        for t, tname in enumerate(TYPES):
            nfiles = max(1, -(-counts[t] // per_file))
            left = counts[t]
            for k in range(nfiles):
                chunk = min(per_file, left)
                left -= chunk
                rel = os.path.join("recipients", tname, "part-%04d.yaml" % (k + 1))
                block = k % 4 == 3
                parts = ["# %s, part %d (synthetic)\n" % (tname, k + 1)]
                for _ in range(chunk):
                    serial += 1
                    owner = owners[self.rng.randrange(len(owners))]
                    items, tags, rec = self.record(t, serial, owner)
                    parts.append(self.block(items, tags) if block else self.flow(items, tags))
                    for c in self.by_owner_type.get((owner, t), ()):
                        if self.selects(c, rec):
                            c["selected"] += 1
                            self.deliveries += 1
                            if c["log"] and c["selected"] % 50 == 1:
                                c["log_lines"].append(rec)
                    if self.rng.random() < 0.001:
                        self.suppressed.append(rec["address"])
                write(os.path.join(self.out, rel), "".join(parts))
                self.files.append(rel)

    # ---- suppressions and logs ----

    def suppressions(self):
        lines = ["address\treason\ttime\tsource"]
        reasons = ("unsubscribed", "bounced", "manual")
        for i, address in enumerate(self.suppressed):
            lines.append("%s\t%s\t2026-11-%02dT09:%02d:00Z\tsynthetic"
                         % (address, reasons[i % 3], 1 + i % 28, i % 60))
        write(os.path.join(self.out, "recipients", "suppressions.tsv"), "\n".join(lines) + "\n")

    def logs(self):
        """Sender logs of every tenth campaign: one in 50 selected recipients
        claimed, then mostly sent, some failed (hard bounce) or retrying."""
        base = 1796112000  # 2026-12-01T08:00:00Z
        for c in self.campaigns:
            if not c["log_lines"]:
                continue
            mine = [a for a in self.accounts if a[1] == c["owner"]]
            main = [a[0] for a in mine if a[2]]
            other = [a[0] for a in mine if not a[2]]
            files = {}
            for k, rec in enumerate(c["log_lines"]):
                pool = main if rec["vip"] else other
                account = pool[k % len(pool)]
                t = base + 60 * k
                mid = "<%s.%s@mailout.example.com>" % (c["id"], rec["id"])
                out = files.setdefault(account, ["#mailout-log v1"])
                out.append("%s\tclaim\t%s\t%s\t%s" % (stamp(t), rec["id"], rec["address"], mid))
                if k % 40 == 39:
                    out.append("%s\tfailed\t%s\t550\t5.1.1\tmailbox unknown"
                               % (stamp(t + 5), rec["id"]))
                elif k % 25 == 24:
                    out.append("%s\tretry\t%s\t451\t4.3.0\ttry again later\t%s"
                               % (stamp(t + 5), rec["id"], stamp(t + 1805)))
                else:
                    out.append("%s\tsent\t%s\t250\t2.0.0\tqueued as %x"
                               % (stamp(t + 5), rec["id"], k * 7919 + 1))
                self.log_lines += 2
            for account, lines in sorted(files.items()):
                write(os.path.join(self.out, "campaigns", c["id"], "log", account + ".tsv"),
                      "\n".join(lines) + "\n")

    # ---- the whole ----

    def selection(self):
        """What the baseline needs: accounts and campaign selections."""
        lines = ["# accounts: account ID OWNER MAIN; campaigns: campaign ID TYPE OWNER "
                 "VIP_ONLY FILTER (field=v1,v2;... or -)"]
        for aid, owner, main, limit in self.accounts:
            lines.append("account\t%s\t%s\t%d" % (aid, owner, 1 if main else 0))
        for c in sorted(self.campaigns, key=lambda c: c["id"]):
            terms = ";".join("%s=%s" % (f, ",".join(v)) for f, v in c["terms"]) or "-"
            lines.append("campaign\t%s\t%d\t%s\t%d\t%s"
                         % (c["id"], c["type"], c["owner"], 1 if c["vip_only"] else 0, terms))
        lines.append("expect\t%d\t%d" % (self.args.recipients, self.deliveries))
        return "\n".join(lines) + "\n"

    def generate(self):
        self.suppressed = []
        write(os.path.join(self.out, ".gitignore"), "/build/\n")
        self.people()
        self.config()
        self.segments()
        self.templates()
        self.make_campaigns()
        self.recipients()
        self.suppressions()
        self.logs()
        for top, dirs, files in os.walk(self.out):
            for name in files:
                os.utime(os.path.join(top, name), (MTIME, MTIME))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipients", type=int, required=True)
    ap.add_argument("--out", required=True, help="the repository to write (replaced)")
    ap.add_argument("--campaigns", type=int, default=30)
    ap.add_argument("--owners", type=int, default=20)
    ap.add_argument("--per-file", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.recipients < 1 or args.campaigns < 1 or args.owners < 1 or args.per_file < 1:
        ap.error("counts must be positive")
    out = args.out.rstrip("/")
    if os.path.exists(out):
        shutil.rmtree(out)
    repo = Repo(args)
    repo.generate()
    write(out + ".select", repo.selection())
    print("%s: %d recipients in %d files, %d campaigns, %d deliveries, %d log lines, "
          "%d suppressions" % (out, args.recipients, len(repo.files), len(repo.campaigns),
                               repo.deliveries, repo.log_lines, len(repo.suppressed)))


if __name__ == "__main__":
    sys.exit(main())
