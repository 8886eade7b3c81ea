#!/usr/bin/python3
"""The hardening rules of mailout's GitHub workflows, checked.

check_workflows.py FILE...        every workflow (or composite action.yml)
                                  named; one line per violation,
                                  FILE:LINE: message, and exit 1; exit 0
                                  and no output when there is none
check_workflows.py --source DIR   the bot-written files below against the
                                  C sources under DIR (src/, cmd/): the
                                  list must name every file that send,
                                  confirm and the syncs commit

The rules, for each file:
- no secret (a `secrets.` expression) in the workflow's or a job's env:,
  where every step, `make deps` (apt as root) and every action would see it;
  only in the env: of the steps that need it;
- every `uses:` pinned to a commit (40 hex digits) with a `# vX.Y.Z`
  comment naming its release (local ./ actions and workflows excepted;
  docker:// images by sha256 digest);
- no cron minute 0 or 30 (GitHub delays scheduled runs most then);
- a push trigger ignores the bot-written files (paths-ignore, or '!' lines
  in paths), so that the bot's commits start neither tests nor deploys;
- actions/checkout with persist-credentials: false (else the token stays
  in .git/config for every later step);
- of all the files named, at most one deploys Pages, and its deploying job
  runs in the concurrency group "pages";
- no file's text goes into $GITHUB_STEP_SUMMARY inside a ``` fence (a
  heuristic: a fence and a cat of a file into the summary in one script):
  a line of backticks in the file would end the fence.

Uses PyYAML's node tree, which keeps the line of every value.
"""
import glob
import os
import re
import sys

import yaml

# The files mailout's own commands commit to the content repository (send,
# confirm, unsubscribes sync, bounces sync), as GitHub path patterns.  The
# one list: --source checks it against the C sources.
BOT_FILES = (
    "campaigns/*/log/**",  # log_path() in src/log.c: send, confirm, bounces sync
    "recipients/suppressions.tsv",  # SUPPRESSIONS_FILE: the syncs
    "recipients/unsubscribes-sync.tsv",  # UNSUBSCRIBE_STATE_FILE: unsubscribes sync
    "recipients/bounces-sync.tsv",  # BOUNCE_STATE_FILE: bounces sync
)

SHA = re.compile(r"[^@\s]+@[0-9a-f]{40}")
RELEASE_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
SECRET = re.compile(r"\bsecrets\s*(?:\.|\[)")
FENCE = re.compile(r"```|~~~")


class Checker:
    def __init__(self):
        self.violations = []  # (file, line, message)
        self.pages = []  # (file, line) of each file that deploys Pages

    def bad(self, path, line, message):
        self.violations.append((path, line, message))


# --- the node tree ---------------------------------------------------------------
def line_of(node):
    return node.start_mark.line + 1


def get(node, key):
    """The value node of key in a mapping node (None when absent)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def key_node(node, key):
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k
    return None


def items(node):
    return node.value if isinstance(node, yaml.MappingNode) else []


def seq(node):
    return node.value if isinstance(node, yaml.SequenceNode) else []


def text(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


def is_false(node):
    return isinstance(node, yaml.ScalarNode) and node.value.lower() == "false"


def scalars(node):
    """Every scalar node below node."""
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from scalars(v)
    elif isinstance(node, yaml.MappingNode):
        for _, v in node.value:
            yield from scalars(v)


def script_lines(node):
    """(line number, text) of each line of a run: script."""
    first = line_of(node) + (1 if node.style in ("|", ">") else 0)
    return [(first + i, l) for i, l in enumerate(node.value.split("\n"))]


def jobs(doc):
    """(job id, job node) of a workflow, or the steps of a composite action
    as one job."""
    runs = get(doc, "runs")
    if runs is not None:
        return [("(action)", runs)]
    return [(text(k), v) for k, v in items(get(doc, "jobs"))]


# --- the rules ---------------------------------------------------------------------
def check_env(c, path, env, where):
    for k, v in items(env):
        if any(SECRET.search(s.value) for s in scalars(v)):
            c.bad(path, line_of(v), "secret in the env of %s: %s (give it only to the steps that use it)"
                  % (where, text(k)))
    if isinstance(env, yaml.ScalarNode) and SECRET.search(env.value):
        c.bad(path, line_of(env), "secret in the env of %s (give it only to the steps that use it)" % where)


def check_uses(c, path, node, raw_lines):
    uses = text(node)
    if uses is None or uses.startswith("./"):
        return
    if uses.startswith("docker://"):
        if not re.search(r"@sha256:[0-9a-f]{64}$", uses):
            c.bad(path, line_of(node), "'%s' is not pinned to a digest (@sha256:...)" % uses)
        return
    if not SHA.fullmatch(uses):
        c.bad(path, line_of(node), "'%s' is not pinned to a commit (40 hex digits and a '# vX.Y.Z' comment)"
              % uses)
    elif not RELEASE_COMMENT.search(raw_lines[node.start_mark.line]):
        c.bad(path, line_of(node), "'%s' has no '# vX.Y.Z' comment naming its release" % uses)


def cron_minutes(field):
    values = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step = part.split("/", 1)
            step = int(step)
        if part == "*":
            low, high = 0, 59
        elif "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
        else:
            low = int(part)
            high = 59 if step != 1 else low
        values.update(range(low, high + 1, step))
    return values


def check_schedule(c, path, on):
    for entry in seq(get(on, "schedule")):
        cron = get(entry, "cron")
        value = text(cron)
        if value is None:
            continue
        try:
            minutes = cron_minutes(value.split()[0])
        except (ValueError, IndexError):
            c.bad(path, line_of(cron), "cannot read the cron '%s'" % value)
            continue
        hits = sorted(minutes & {0, 30})
        if hits:
            c.bad(path, line_of(cron), "cron '%s' runs at minute%s %s (GitHub delays scheduled runs most at :00 and :30)"
                  % (value, "s" if len(hits) > 1 else "", " and ".join(str(m) for m in hits)))


def triggers(on):
    """{event: (key node or None, value node or None)} of an on: node."""
    if isinstance(on, yaml.ScalarNode):
        return {on.value: (on, None)}
    if isinstance(on, yaml.SequenceNode):
        return {text(v): (v, None) for v in on.value}
    return {text(k): (k, v) for k, v in items(on)}


def check_push(c, path, on):
    where, push = triggers(on).get("push", (None, None))
    if where is None:
        return
    if get(push, "tags") is not None and get(push, "branches") is None and get(push, "branches-ignore") is None:
        return  # tags only: the bot pushes no tags
    ignored = {text(v) for v in seq(get(push, "paths-ignore"))}
    ignored |= {text(v)[1:] for v in seq(get(push, "paths")) if (text(v) or "").startswith("!")}
    missing = [f for f in BOT_FILES if f not in ignored]
    if missing:
        c.bad(path, line_of(where), "a push of the bot-written %s starts this workflow "
              "(list %s in paths-ignore, or as '!' lines in paths)"
              % (", ".join(missing), "it" if len(missing) == 1 else "them"))


def check_summary(c, path, run):
    lines = script_lines(run)
    summary = [(n, l) for n, l in lines if "GITHUB_STEP_SUMMARY" in l]
    if not any(FENCE.search(l) for _, l in summary):
        return
    for n, l in summary:
        m = re.search(r"\bcat\s+(\"[^\"]*\"|'[^']*'|[^\s|;&<>]+)", l)
        if m:
            c.bad(path, n, "%s goes into $GITHUB_STEP_SUMMARY inside a ``` fence, which a line of its own can end "
                  "(HTML-escape it inside <pre>)" % m.group(1))


def check_steps(c, path, job_id, job, raw_lines):
    deploys = None
    for step in seq(get(job, "steps")):
        uses = get(step, "uses")
        if uses is not None:
            check_uses(c, path, uses, raw_lines)
            name = (text(uses) or "").split("@")[0]
            if name == "actions/checkout" and not is_false(get(get(step, "with"), "persist-credentials")):
                c.bad(path, line_of(uses), "actions/checkout without persist-credentials: false "
                      "leaves the token in .git/config")
            if name == "actions/deploy-pages":
                deploys = deploys or uses
        run = get(step, "run")
        if isinstance(run, yaml.ScalarNode):
            check_summary(c, path, run)
    return deploys


def group_of(node):
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return text(get(node, "group"))


def check_file(c, path):
    try:
        with open(path, encoding="utf-8") as f:
            raw = f.read()
        doc = yaml.compose(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        c.bad(path, mark.line + 1 if mark else 1, "cannot parse: %s" % (getattr(e, "problem", None) or e))
        return
    except (OSError, UnicodeDecodeError) as e:
        c.bad(path, 1, "cannot read: %s" % e)
        return
    if not isinstance(doc, yaml.MappingNode) or (get(doc, "jobs") is None and get(doc, "runs") is None):
        c.bad(path, 1, "not a workflow (jobs:) or an action (runs:)")
        return
    raw_lines = raw.split("\n")
    check_env(c, path, get(doc, "env"), "the workflow")
    on = get(doc, "on")
    check_schedule(c, path, on)
    check_push(c, path, on)
    deployed = False
    for job_id, job in jobs(doc):
        check_env(c, path, get(job, "env"), "job '%s'" % job_id)
        if get(job, "uses") is not None:
            check_uses(c, path, get(job, "uses"), raw_lines)
        deploys = check_steps(c, path, job_id, job, raw_lines)
        if deploys is None:
            continue
        if not deployed:
            c.pages.append((path, line_of(deploys)))
            deployed = True
        if "pages" not in (group_of(get(job, "concurrency")), group_of(get(doc, "concurrency"))):
            c.bad(path, line_of(deploys), "job '%s' deploys Pages outside the concurrency group 'pages'" % job_id)


def check_pages(c):
    if len(c.pages) < 2:
        return
    names = ", ".join(p for p, _ in c.pages)
    for path, line in c.pages:
        c.bad(path, line, "Pages is deployed by %d workflows (%s): keep one" % (len(c.pages), names))


# --- the list against the sources ------------------------------------------------
def glob_match(pattern, path):
    """GitHub's path patterns: ** any characters, * any but '/'."""
    rx = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
                 for part in re.split(r"(\*\*|\*)", pattern))
    return re.fullmatch(rx, path) is not None


def source_files(src):
    """(file, line, path written) of each bot-written file the C sources
    name: the #defines of the sync state files and the suppressions, and
    the log files' format."""
    found = []
    for name in sorted(glob.glob(os.path.join(src, "src", "*.h"))):
        with open(name, encoding="utf-8") as f:
            for n, l in enumerate(f, 1):
                m = re.match(r'#define\s+(\w*STATE_FILE|SUPPRESSIONS_FILE)\s+"([^"]+)"', l)
                if m:
                    found.append((name, n, m.group(2)))
    for name in sorted(glob.glob(os.path.join(src, "src", "*.c")) + glob.glob(os.path.join(src, "cmd", "*.c"))):
        with open(name, encoding="utf-8") as f:
            for n, l in enumerate(f, 1):
                for m in re.finditer(r'"(campaigns/%s/log/[^"]*)"', l):
                    found.append((name, n, m.group(1).replace("%s", "x")))
    return found


def check_source(c, src):
    found = source_files(src)
    if not found:
        c.bad(os.path.join(src, "src"), 0, "no bot-written file found in the sources")
    for name, n, path in found:
        if not any(glob_match(p, path) for p in BOT_FILES):
            c.bad(name, n, "'%s' is written by mailout and missing from BOT_FILES of check_workflows.py" % path)
    for p in BOT_FILES:
        if not any(glob_match(p, path) for _, _, path in found):
            c.bad(__file__, 0, "BOT_FILES names '%s', which no C source writes" % p)


def main(argv):
    c = Checker()
    if len(argv) == 3 and argv[1] == "--source":
        check_source(c, argv[2])
    elif len(argv) > 1 and not argv[1].startswith("-"):
        for path in argv[1:]:
            check_file(c, path)
        check_pages(c)
    else:
        sys.stderr.write("usage: check_workflows.py FILE... | --source DIR\n")
        return 2
    for path, line, message in sorted(c.violations, key=lambda v: (v[0], v[1])):
        print("%s:%d: %s" % (path, line, message))
    return 1 if c.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
