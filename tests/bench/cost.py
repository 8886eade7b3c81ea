#!/usr/bin/python3
"""What the scheduled sender costs in GitHub runner minutes: a month of the
shipped cron schedule (.github/workflows/send.yml) on the virtual clock
against the capture server (tests/tools/fault_smtpd.py).

usage: cost.py MAILOUT WORKDIR [--days 30] [--from 2027-01-04] [--only KIND-MODE]

Two repositories: the example (this repository's content) and a team of 20
accounts at 100 a day (Europe/Berlin 08:30-17:30, Friday to Sunday off),
each run two ways: strict pacing (burst 1, the old send step `send --for
25m`) and bursts (the shipped `burst:` and `send --drain --push origin`, to
a local bare remote).  A run is billed as GitHub bills a job: rounded up to
whole minutes, of
  - 30 s for the runner's own start (not measurable here);
  - the steps measured here once per repository: the checkout (a clone),
    `mailout build`, the site rebuilt and `mailout status --check`, plus the
    cache restore of the binary and the installation of its cached
    packages on GitHub's runner, counted as COST_CACHE_SECONDS (default
    30; not measurable here);
  - starting the Debian 12 container and installing git in it before the
    checkout, counted as COST_CONTAINER_SECONDS (default 20; not
    measurable here);
  - the send: its wall time here plus the virtual time it spans (the waits
    a real run sleeps through; `--for 25m` stays 25 minutes);
and, as a job of its own, the deploy of the site (pages.yml's deploy job:
the runner's start and actions/deploy-pages), counted as
COST_DEPLOY_SECONDS (default 30; not measurable here), at least a minute.
Prints a Markdown table; the attainment column is the least share of its
daily limit any account reached on a full working day (one with work left
for later days).  With --days shorter than 30 the minutes are also given
for 30 days (the schedule repeats weekly: --days 7 or 14 projects
exactly, up to where the month's weekdays fall).  WORKDIR/KIND-MODE.runs
gets one line per run: its moment, wall seconds, virtual seconds, minutes.
"""
import argparse, glob, os, re, shutil, subprocess, sys, time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CACHE_SECONDS = int(os.environ.get("COST_CACHE_SECONDS", "30"))
CONTAINER_SECONDS = int(os.environ.get("COST_CONTAINER_SECONDS", "20"))
DEPLOY_SECONDS = int(os.environ.get("COST_DEPLOY_SECONDS", "30"))
RUNNER_START = 30
UTC = timezone.utc

ap = argparse.ArgumentParser()
ap.add_argument("mailout")
ap.add_argument("workdir")
ap.add_argument("--days", type=int, default=30)
ap.add_argument("--from", dest="first", default="2027-01-04")
ap.add_argument("--only", default="")
args = ap.parse_args()
src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
env = dict(os.environ, MAILOUT_SECRET="bench-secret-0123456789-0123456789-abcdef",
           GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")


def cron_ticks():
    """The send.yml schedule's moments (minute, hour and weekday fields)."""
    text = open(os.path.join(src, ".github/workflows/send.yml")).read()
    cron = re.search(r'cron: "([^"]+)"', text).group(1).split()

    def expand(field, lo, hi):
        out = set()
        for part in field.split(","):
            step = 1
            if "/" in part:
                part, step = part.split("/")
                step = int(step)
            if part == "*":
                a, b = lo, hi
            elif "-" in part:
                a, b = map(int, part.split("-"))
            else:
                a = b = int(part)
            out.update(range(a, b + 1, step))
        return out
    minutes, hours, wdays = expand(cron[0], 0, 59), expand(cron[1], 0, 23), expand(cron[4], 0, 6)
    t = datetime.fromisoformat(args.first).replace(tzinfo=UTC)
    end = t + timedelta(days=args.days)
    while t < end:
        if t.minute in minutes and t.hour in hours and (t.weekday() + 1) % 7 in wdays:
            yield t
        t += timedelta(minutes=1)


def sh(argv, cwd=None):
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"cost: {' '.join(argv)} failed: {p.stdout[-2000:]}")
    return p.stdout


def team_repo(path, burst):
    os.makedirs(path)
    people = "".join(f"  - {{ id: p{i:02d}, name: Person {i}, email: p{i:02d}@example.com, department: sales, role: sales_manager }}\n"
                     for i in range(20))
    accounts = "".join(f'  - {{ id: p{i:02d}-out, owner: p00, from: "Person 0 <p00.{i:02d}@example.com>", '
                       f'smtp: "smtps://smtp.example.com:465", daily_limit: 100 }}\n' for i in range(20))
    files = {
        "mailout.yaml": f"""organization:
  name: Team GmbH
  postal_address: "Teststrasse 1, 10115 Berlin"
  site_url: https://status.example.com
  timezone: Europe/Berlin
schedule:
  working_hours: "08:30-17:30"
  suspended_days: [fri, sat, sun]
  burst: {burst}
  burst_gap: 20s
unsubscribe:
  address: unsubscribe@example.com
departments:
  - {{ id: sales, name: Sales }}
people:
{people}accounts:
{accounts}""",
        "recipients/contacts/all.yaml": "".join(
            f"- {{ id: r-{n}, email: r{n}@example.net, first_name: R{n}, owner: p00 }}\n"
            for n in range(20 * 100 * 25)),
        "templates/news.md": "---\nsubject: \"News for {{first_name}}\"\n---\nHello {{first_name}},\n\nour news.\n",
        "campaigns/news/campaign.yaml": "name: News\ntemplate: news\nrecipient_type: contacts\nowner: p00\nstart: 2027-01-04\n",
    }
    for i in range(20):
        files[f"templates/signatures/p{i:02d}.md"] = f"Person {i}\n"
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(path, rel)) or path, exist_ok=True)
        with open(os.path.join(path, rel), "w") as f:
            f.write(text)


def example_repo(path, burst):
    for name in ("mailout.yaml", "campaigns", "recipients", "templates", "site"):
        s = os.path.join(src, name)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(path, name), ignore=shutil.ignore_patterns("log"))
        elif os.path.exists(s):
            shutil.copy(s, path)
    cfg = os.path.join(path, "mailout.yaml")
    text = open(cfg).read()
    text = re.sub(r"^  burst: \d+.*$", f"  burst: {burst}", text, flags=re.M)
    open(cfg, "w").write(text)


def git_repo(path):
    origin = path + ".git"
    sh(["git", "init", "-q", "-b", "main", path])
    sh(["git", "add", "-A"], cwd=path)
    sh(["git", "commit", "-qm", "content"], cwd=path)
    sh(["git", "init", "-q", "--bare", "-b", "main", origin])
    sh(["git", "remote", "add", "origin", origin], cwd=path)
    sh(["git", "push", "-q", "origin", "main"], cwd=path)
    sh(["git", "branch", "-u", "origin/main"], cwd=path)
    return origin


def timed(argv, cwd=None, runs=3):
    best = None
    for _ in range(runs):
        t = time.monotonic()
        sh(argv, cwd)
        d = time.monotonic() - t
        best = d if best is None or d < best else best
    return best


def setup_seconds(path, origin):
    clone = path + ".clone"
    shutil.rmtree(clone, ignore_errors=True)
    checkout = timed(["git", "clone", "-q", "--no-local", origin, clone], runs=1)
    shutil.rmtree(clone, ignore_errors=True)
    build = timed([args.mailout, "--repo", path, "build"])
    status = timed([args.mailout, "--repo", path, "status", "--check"])
    return checkout + 2 * build + status + CACHE_SECONDS + CONTAINER_SECONDS


def attainment(path, limits, zone):
    """The least share of its limit an account made on a full working day."""
    per = {}
    for log in glob.glob(os.path.join(path, "campaigns/*/log/*.tsv")):
        account = os.path.basename(log)[:-4]
        for line in open(log):
            f = line.split("\t")
            if len(f) > 2 and f[1] == "claim":
                t = datetime.strptime(f[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                d = t.astimezone(zone[account]).date()
                per.setdefault(account, {}).setdefault(d, 0)
                per[account][d] += 1
    low = None
    for account, days in per.items():
        last = max(days)
        for d, n in days.items():
            if d < last:  # work was left for a later day
                share = n / limits[account]
                low = share if low is None or share < low else low
    return low, sum(sum(d.values()) for d in per.values())


def simulate(kind, mode):
    path = os.path.join(args.workdir, f"{kind}-{mode}")
    shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(path + ".git", ignore_errors=True)
    burst = 1 if mode == "strict" else (7 if kind == "example" else 6)
    if kind == "team":
        team_repo(path, burst)
    else:
        os.makedirs(path)
        example_repo(path, burst)
    origin = git_repo(path)
    setup = setup_seconds(path, origin)
    sink = f"smtp://127.0.0.1:{port}"
    billed = runs = 0
    send_total = 0.0
    runlog = open(path + ".runs", "w")
    for tick in cron_ticks():
        now = tick.strftime("%Y-%m-%dT%H:%M:%SZ")
        argv = [args.mailout, "--repo", path, "send", "--now", now, "--sink", sink]
        argv += ["--for", "25m"] if mode == "strict" else ["--drain", "--push", "origin"]
        t = time.monotonic()
        out = sh(argv)
        wall = time.monotonic() - t
        m = re.search(r"\((\S+) to (\S+)\)\s*$", out.strip())
        a, b = (datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ") for x in m.groups())
        span = 25 * 60 if mode == "strict" else (b - a).total_seconds()
        send = wall + span
        send_total += send
        minutes = -(-(RUNNER_START + setup + send) // 60) + -(-DEPLOY_SECONDS // 60)
        billed += minutes
        runs += 1
        print(f"{now}\t{wall:.2f}\t{span:.0f}\t{minutes:.0f}", file=runlog, flush=True)
    limits, zone = {}, {}
    cfg = open(os.path.join(path, "mailout.yaml")).read()
    org = ZoneInfo(re.search(r"^  timezone: (\S+)", cfg, re.M).group(1))
    for block in re.split(r"\n  - ", cfg.split("\naccounts:")[1]):
        i = re.search(r"id: ([\w.-]+)", block)
        l = re.search(r"daily_limit: (\d+)", block)
        z = re.search(r"timezone: (\S+)", block)
        if i and l:
            limits[i.group(1)] = int(l.group(1))
            zone[i.group(1)] = ZoneInfo(z.group(1)) if z else org
    low, sent = attainment(path, limits, zone)
    return dict(kind=kind, mode=mode, runs=runs, setup=setup, send=send_total / max(runs, 1),
                billed=int(billed), low=low, sent=sent)


spool = os.path.join(args.workdir, "spool")
os.makedirs(spool, exist_ok=True)
server = subprocess.Popen(["/usr/bin/python3", os.path.join(src, "tests/tools/fault_smtpd.py"), "--port", "0",
                           "--spool", spool, "--quiet"], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline().split()[1])
rows = []
try:
    for kind in ("example", "team"):
        for mode in ("strict", "burst"):
            if args.only and args.only != f"{kind}-{mode}":
                continue
            rows.append(simulate(kind, mode))
            r = rows[-1]
            print(f"cost: {kind} {mode}: {r['runs']} runs, {r['billed']} minutes", file=sys.stderr)
finally:
    server.terminate()
print(f"| repository | pacing | runs in {args.days} days "
      f"| setup s (with {CACHE_SECONDS} s for the cache, {CONTAINER_SECONDS} s for the container) "
      f"| send s per run | billed minutes | minutes in 30 days | sent | least share of the limit on a full day |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    low = "-" if r["low"] is None else f"{100 * r['low']:.0f} %"
    pacing = "strict, send --for 25m" if r["mode"] == "strict" else \
        f"burst {7 if r['kind'] == 'example' else 6}, send --drain"
    what = "example" if r["kind"] == "example" else "20 accounts x 100/day"
    month = round(r["billed"] * 30 / args.days)
    print(f"| {what} | {pacing} | {r['runs']} | {r['setup']:.1f} | {r['send']:.1f} | {r['billed']} | {month} "
          f"| {r['sent']} | {low} |")
