#!/bin/sh
# The GitHub Actions workflows in .github/workflows/: each file parses, has
# the expected triggers, never cancels a running send, checks out full
# history where mailout fetches or compares, runs every job that runs
# commands in Debian 12 (the tests' system), passes every secret of
# mailout.yaml to the mailout steps that need it and to no other step (the
# push token only to the steps that push), deploys Pages only through
# pages.yml, runs only make targets, ./mailout commands, echo/cat/sed into
# the job summary (escaped: a crafted report stays text) and the container's
# git set-up, and every mailout command it runs is one a test under tests/
# runs too; the send step runs when only the bounces could not be read,
# never when the unsubscribes could not, and the job then fails.  The same
# for deploy/github/send-sharded.yml (one send job per account), whose send
# jobs each get their own account's secrets only.
# tests/e2e/t0805-workflow-lint.sh checks the general hardening rules
# (tests/tools/check_workflows.py) and runs the linters.
. "$SRC/tests/e2e/lib.sh"

python=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import yaml' >/dev/null 2>&1; then
		python=$p
		break
	fi
done
[ -n "$python" ] || skip "PyYAML is not installed (tests/deps.sh installs python3-yaml)"

"$python" - "$SRC" >"$TMPDIR/report" 2>&1 <<'PY'
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "tests", "tools"))
import workflow  # noqa: E402 (tests/tools/workflow.py reads the if:s)

wf_dir = os.path.join(src, ".github", "workflows")
problems = []


def bad(msg):
    problems.append(msg)


def load(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        raise ValueError("not a mapping")
    if True in doc:  # YAML 1.1 reads the key "on" as true
        doc["on"] = doc.pop(True)
    return doc


def all_steps(doc):
    for job_id, job in (doc.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, job, step


def action(step):
    return step.get("uses", "").split("@")[0]


def logical_lines(text):
    """Lines with backslash continuations joined."""
    return text.replace("\\\n", " ").split("\n")


# --- every file parses and has the usual shape --------------------------------
names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(wf_dir, "*.y*ml")))
if names != ["ci.yml", "pages.yml", "send.yml", "validate.yml"]:
    bad("workflow files: %s" % names)
docs = {}
for name in names:
    try:
        docs[name] = load(os.path.join(wf_dir, name))
    except Exception as e:  # a parse error is the finding
        bad("%s: does not parse: %s" % (name, e))
# the sharded variant, shipped as an example (README: "One send job per account")
SHARDED = "deploy/github/send-sharded.yml"
try:
    docs[SHARDED] = load(os.path.join(src, SHARDED))
except Exception as e:
    bad("%s: does not parse: %s" % (SHARDED, e))
for name, doc in docs.items():
    for key in ("name", "on", "jobs"):
        if key not in doc:
            bad("%s: no '%s'" % (name, key))
    for job_id, job in (doc.get("jobs") or {}).items():
        if "uses" in job:  # a call of a reusable workflow: pages.yml only
            if job["uses"] != "./.github/workflows/pages.yml" or "steps" in job:
                bad("%s: job %s calls %r; only ./.github/workflows/pages.yml" % (name, job_id, job["uses"]))
        elif "runs-on" not in job or not job.get("steps"):
            bad("%s: job %s needs runs-on and steps" % (name, job_id))
    for job_id, job, step in all_steps(doc):
        if ("run" in step) == ("uses" in step):
            bad("%s: a step of %s needs exactly one of run and uses: %r" % (name, job_id, step))
        if "uses" in step and "@" not in step["uses"]:
            bad("%s: %s is not pinned to a version" % (name, step["uses"]))


def triggers(name):
    on = docs.get(name, {}).get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {k: None for k in on}
    return on or {}


# --- triggers -------------------------------------------------------------------
if set(triggers("ci.yml")) != {"push", "pull_request"}:
    bad("ci.yml: triggers %s, expected push and pull_request" % sorted(triggers("ci.yml")))
if set(triggers("validate.yml")) != {"pull_request"}:
    bad("validate.yml: triggers %s, expected pull_request" % sorted(triggers("validate.yml")))
if set(triggers("send.yml")) != {"schedule", "workflow_dispatch"}:
    bad("send.yml: triggers %s, expected schedule and workflow_dispatch"
        % sorted(triggers("send.yml")))
if set(triggers("pages.yml")) != {"push", "workflow_dispatch", "workflow_call"}:
    bad("pages.yml: triggers %s, expected push, workflow_dispatch and workflow_call"
        % sorted(triggers("pages.yml")))
pages_push = triggers("pages.yml").get("push") or {}
if pages_push.get("branches") != ["main"]:
    bad("pages.yml: expected to run on pushes to main, not %r" % pages_push)


# --- the schedule ----------------------------------------------------------------
def expand(field, low, high):
    values = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step = part.split("/")
            step = int(step)
        if part == "*":
            a, b = low, high
        elif "-" in part:
            a, b = (int(x) for x in part.split("-"))
        else:
            a = b = int(part)
        values.update(range(a, b + 1, step))
    return sorted(values)


schedule = triggers("send.yml").get("schedule") or []
period = None
if len(schedule) != 1 or "cron" not in schedule[0]:
    bad("send.yml: expected one cron schedule, got %r" % schedule)
else:
    fields = schedule[0]["cron"].split()
    if len(fields) != 5 or fields[2:4] != ["*", "*"]:
        bad("send.yml: unexpected cron %r" % schedule[0]["cron"])
    else:
        minutes = expand(fields[0], 0, 59)
        hours = expand(fields[1], 0, 23)
        days = expand(fields[4], 0, 6)
        if not set(days) <= {1, 2, 3, 4}:
            bad("send.yml: runs on days %s; Friday to Sunday are suspended" % days)
        if not set(hours) <= set(range(5, 18)):
            bad("send.yml: runs at %s UTC, outside the working day in Berlin" % hours)
        times = [h * 60 + m for h in hours for m in minutes]
        gaps = {b - a for a, b in zip(times, times[1:])}
        if len(gaps) != 1:
            bad("send.yml: runs are not evenly spaced: %s" % times)
        else:
            period = gaps.pop()

# --- concurrency and permissions --------------------------------------------------
for name, doc in docs.items():
    groups = [doc.get("concurrency")] + [j.get("concurrency") for j in doc["jobs"].values()]
    for c in groups:
        if isinstance(c, dict) and c.get("group") == "send" and c.get("cancel-in-progress") is not False:
            bad("%s: the send group must never cancel a run in progress" % name)
        if isinstance(c, str) and c == "send":
            bad("%s: concurrency 'send' without cancel-in-progress: false" % name)
send = docs.get("send.yml", {})
conc = send.get("concurrency")
if not (isinstance(conc, dict) and conc.get("group") == "send"
        and conc.get("cancel-in-progress") is False):
    bad("send.yml: needs concurrency {group: send, cancel-in-progress: false}, not %r" % conc)
# each job asks for what it needs: the sender pushes, only pages.yml's
# deploy job (called by send.yml's pages job) deploys
if send.get("permissions") != {"contents": "read"}:
    bad("send.yml: workflow permissions %r, expected contents: read" % send.get("permissions"))
send_jobs = send.get("jobs") or {}
if sorted(send_jobs) != ["pages", "send"]:
    bad("send.yml: jobs %s, expected send and pages" % sorted(send_jobs))
if (send_jobs.get("send") or {}).get("permissions") != {"contents": "write"}:
    bad("send.yml: the send job needs permissions contents: write, and nothing more")
for name, doc in docs.items():
    for job_id, job in (doc.get("jobs") or {}).items():
        if "uses" in job and job.get("permissions") != {"contents": "read", "pages": "write", "id-token": "write"}:
            bad("%s: job %s (pages.yml) needs permissions contents: read, pages: write, id-token: write" % (name, job_id))

# --- one system: every job that runs commands runs in Debian 12 ---------------
GIT_INSTALL = "apt-get update -q && apt-get install -y -q --no-install-recommends git ca-certificates"
TRUST = 'git config --global --add safe.directory "$GITHUB_WORKSPACE"'
for name, doc in docs.items():
    for job_id, job in (doc.get("jobs") or {}).items():
        steps = job.get("steps") or []
        if not any("run" in st for st in steps):
            continue
        image = (job.get("container") or {}).get("image") if isinstance(job.get("container"), dict) else job.get("container")
        if job.get("runs-on") != "ubuntu-24.04" or image != "debian:12":
            bad("%s: job %s runs on %r in %r, expected ubuntu-24.04 with the container debian:12"
                % (name, job_id, job.get("runs-on"), image))
        # git before the checkout (else it is a tarball, not a repository),
        # the checkout marked safe right after it (it is not root's)
        runs = [st.get("run", "").strip() or action(st) for st in steps]
        if runs[:3] != [GIT_INSTALL, "actions/checkout", TRUST]:
            bad("%s: job %s must start with git, the checkout and marking it safe: %r" % (name, job_id, runs[:3]))

# --- checkouts -----------------------------------------------------------------
for name in ("validate.yml", "send.yml"):
    checkouts = [s for _, _, s in all_steps(docs.get(name, {})) if action(s) == "actions/checkout"]
    if not checkouts:
        bad("%s: no checkout" % name)
    for s in checkouts:
        if (s.get("with") or {}).get("fetch-depth") != 0:
            bad("%s: checkout without fetch-depth: 0 (libgit2 1.5 cannot fetch into a shallow clone)" % name)
# mailout pushes with MAILOUT_GIT_TOKEN: the checkout needs no token of its own
for name, doc in docs.items():
    for job_id, job, st in all_steps(doc):
        if action(st) == "actions/checkout":
            if (st.get("with") or {}).get("persist-credentials") is not False:
                bad("%s: a checkout of %s keeps its token in .git/config" % (name, job_id))
            if "token" in (st.get("with") or {}):
                bad("%s: a checkout of %s is given a token" % (name, job_id))

def substitutions(line):
    """The commands inside $( ) of line (parentheses in quotes skipped)."""
    out, i = [], line.find("$(")
    while i >= 0:
        depth, j, quote = 1, i + 2, None
        while j < len(line) and depth:
            c = line[j]
            if quote:
                quote = None if c == quote else quote
            elif c in "'\"":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            j += 1
        out.append(line[i + 2:j - 1])
        i = line.find("$(", j)
    return out


# --- run steps: make, ./mailout, echo and cat into the job summary ---------------
ALLOWED = {"make", "./mailout", "echo", "cat", "sed", "exit"}
OPERATORS = {"&&", "||", ";", "|", "{", "}", "(", ")"}
mailout_commands = []  # (workflow, words)
for name, doc in docs.items():
    for job_id, job, step in all_steps(doc):
        script = step.get("run")
        if script is None or script.strip() in (GIT_INSTALL, TRUST):
            continue
        if "${{" in script:
            bad("%s: a run script expands ${{ }} itself (pass values through env): %r" % (name, script))
        for line in logical_lines(script):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            try:
                tokens = list(lexer)
            except ValueError as e:
                bad("%s: cannot read %r: %s" % (name, line, e))
                continue
            # a command substitution: ./mailout piped into jq at most
            for sub in substitutions(line):
                parts = [shlex.split(part) for part in re.split(r"\|(?=(?:[^']*'[^']*')*[^']*$)", sub)]
                if not parts[0] or parts[0][0] != "./mailout" or any(
                        not words or words[0] != "jq" for words in parts[1:]):
                    bad("%s: %r: only $(./mailout ... | jq ...)" % (name, sub))
                else:
                    mailout_commands.append((name, parts[0][1:]))
            command = []
            for tok in tokens + [";"]:
                if tok not in OPERATORS:
                    command.append(tok)
                    continue
                words, i = [], 0
                while i < len(command):
                    if command[i] in (">", ">>"):
                        target = command[i + 1] if i + 1 < len(command) else ""
                        if target not in ("$GITHUB_STEP_SUMMARY", "$GITHUB_OUTPUT") and \
                                not re.fullmatch(r"[\w.-]+", target):
                            bad("%s: redirection to %r in %r" % (name, target, line))
                        i += 2
                        continue
                    words.append(command[i])
                    i += 1
                while words and re.match(r"[A-Za-z_]\w*=", words[0]):
                    words.pop(0)  # an assignment such as status=$?
                if words:
                    if words[0] not in ALLOWED:
                        bad("%s: %r runs %r: only make, ./mailout, echo, cat, sed and exit"
                            % (name, line, words[0]))
                    if words[0] == "./mailout":
                        mailout_commands.append((name, words[1:]))
                command = []

# --- each mailout command is run by a test ----------------------------------------
test_lines = []
here = os.path.join(src, "tests", "e2e", "t0800-workflows.sh")
for root, dirs, files in os.walk(os.path.join(src, "tests")):
    dirs[:] = [d for d in dirs if d != "node_modules"]
    for f in files:
        path = os.path.join(root, f)
        if path == here or not f.endswith((".sh", ".py", ".js", ".c")):
            continue
        with open(path, errors="replace") as fh:
            test_lines += [(path, l) for l in logical_lines(fh.read()) if "mailout" in l.lower()]


def covered(words, options):
    pattern = r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b"
    for path, line in test_lines:
        if re.search(pattern, line) and all(re.search(re.escape(o) + r"(?![\w-])", line) for o in options):
            return True
    return False


for name, args in mailout_commands:
    words = [a for a in args if not a.startswith("-")][:1]
    if words and words[0] in ("unsubscribes", "bounces"):
        words = [a for a in args if not a.startswith("-")][:2]
    options = [a.split("=")[0] for a in args if a.startswith("--")]
    if not words:
        bad("%s: './mailout %s' has no command" % (name, " ".join(args)))
    elif not covered(words, options):
        bad("%s: './mailout %s': no test under tests/ runs '%s' with %s"
            % (name, " ".join(args), " ".join(words), " ".join(options) or "no options"))

# --- the sender's steps, in order ----------------------------------------------------
sequence = []
for job_id, job, step in all_steps(send):
    if step.get("run", "").strip() in (GIT_INSTALL, TRUST):
        continue
    if "run" in step:
        sequence.append((step["run"].strip(), step))
    else:
        sequence.append((action(step), step))
wanted = ["make", "./mailout build", "./mailout unsubscribes sync --push origin",
          "./mailout bounces sync --push origin", "./mailout send --drain", "./mailout build",
          "actions/upload-pages-artifact", "./mailout status --check"]
pos = 0
for what, step in sequence:
    if pos < len(wanted) and what.startswith(wanted[pos]):
        pos += 1
if pos < len(wanted):
    bad("send.yml: steps out of order or missing from %r on: %s" % (wanted[pos], [w for w, _ in sequence]))
if sequence and not sequence[-1][0].startswith("./mailout status --check"):
    bad("send.yml: the last step must be ./mailout status --check")
after_send = False
for what, step in sequence:
    if after_send and "!cancelled()" not in str(step.get("if", "")):
        bad("send.yml: %r after the send must run even when the send failed (if: !cancelled())" % what)
    if what.startswith("./mailout send"):
        after_send = True
        # a scheduled run sends the accounts' bursts and stops: it never
        # waits out the period (schedule.burst is sized for it)
        if "--drain" not in what.split() or "--for" in what.split():
            bad("send.yml: the send step should be 'send --drain', not %r" % what)
for _, _, step in all_steps(send):
    if action(step) == "actions/upload-pages-artifact" and (step.get("with") or {}).get("path") != "build/site":
        bad("send.yml: the pages artifact must be build/site")
    if action(step) == "actions/deploy-pages":
        bad("send.yml: deploys Pages itself; pages.yml deploys")


def check_pages_call(name, doc, after):
    """The job that has pages.yml deploy the site the job after uploaded."""
    jobs = doc.get("jobs") or {}
    built = jobs.get(after) or {}
    uploads = [st for st in built.get("steps") or [] if action(st) == "actions/upload-pages-artifact"]
    if len(uploads) != 1 or uploads[0].get("id") != "site" or \
            (built.get("outputs") or {}).get("site") != "${{ steps.site.outcome }}":
        bad("%s: job %s must upload the site in a step with id site and output its outcome as site" % (name, after))
    call = jobs.get("pages") or {}
    if call.get("uses") != "./.github/workflows/pages.yml" or call.get("with") != {"built": True} \
            or call.get("needs") not in (after, [after]):
        bad("%s: job pages must call ./.github/workflows/pages.yml with built: true after %s" % (name, after))
    for result, site, runs in (("success", "success", True), ("failure", "success", True),
                               ("failure", "skipped", False), ("failure", "failure", False)):
        ctx = {"needs": {after: {"result": result, "outputs": {"site": site}}}, "status": result}
        if workflow.truthy(workflow.evaluate(call.get("if", "success()"), ctx)) != runs:
            bad("%s: with %s %s and the site's upload %s the deploy %s"
                % (name, after, result, site, "does not run" if runs else "runs"))

# --- every secret of mailout.yaml reaches the sender --------------------------------
with open(os.path.join(src, "mailout.yaml")) as f:
    config = yaml.safe_load(f)


def env_names(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and k.endswith("_env") and isinstance(v, str):
                yield v
            else:
                yield from env_names(v)
    elif isinstance(node, list):
        for v in node:
            yield from env_names(v)


# ... each to the mailout steps that use it, and to no other step
GIT_TOKEN = "${{ secrets.MAILOUT_BOT_TOKEN || github.token }}"


def step_of(job, start):
    return next((st for st in job.get("steps") or [] if st.get("run", "").strip().startswith(start)), {})


def secret_steps(name, doc):
    """Every step holding a secret is a ./mailout step; each step that
    pushes has the push token, and no other step has it."""
    for job_id, job, st in all_steps(doc):
        script = st.get("run", "").strip()
        holds = "secrets." in json.dumps(st.get("env") or {}) + json.dumps(st.get("with") or {})
        if holds and not script.startswith("./mailout "):
            bad("%s: step %r of %s holds a secret" % (name, script or action(st), job_id))
        pushes = "--push" in script.split()
        if pushes != ("MAILOUT_GIT_TOKEN" in (st.get("env") or {})):
            bad("%s: step %r of %s %s" % (name, script, job_id,
                                           "pushes without MAILOUT_GIT_TOKEN" if pushes else "has MAILOUT_GIT_TOKEN and does not push"))
        elif pushes and st["env"]["MAILOUT_GIT_TOKEN"] != GIT_TOKEN:
            bad("%s: step %r of %s: MAILOUT_GIT_TOKEN must be %s" % (name, script, job_id, GIT_TOKEN))


def expect_secrets(name, step, wanted):
    env = step.get("env") or {}
    given = {k for k, v in env.items() if "secrets." in str(v) and k != "MAILOUT_GIT_TOKEN"}
    if given != set(wanted):
        bad("%s: %r gets the secrets %s, expected %s" % (name, step.get("run", "").strip(), sorted(given), sorted(wanted)))
    return env


for name, doc in docs.items():
    secret_steps(name, doc)
imap_envs = [v for acc in config.get("accounts") or [] if acc.get("imap") for v in env_names(acc)]
send_job = (send.get("jobs") or {}).get("send") or {}
LINKS = ["MAILOUT_SECRET", "MAILOUT_SECRET_PREVIOUS"]
for start, wanted in (("./mailout unsubscribes sync", LINKS + [config["unsubscribe"]["password_env"]]),
                      ("./mailout bounces sync", imap_envs),
                      ("./mailout send", LINKS + list(env_names(config.get("accounts") or [])))):
    env = expect_secrets("send.yml", step_of(send_job, start), wanted)
    for var in wanted:
        if env.get(var) != "${{ secrets.%s }}" % var:
            bad("send.yml: %s should come from secrets.%s, not %r" % (var, var, env.get(var)))
check_pages_call("send.yml", send, "send")

# --- pages.yml: the one deploy ------------------------------------------------------
pages = docs.get("pages.yml", {})
pjobs = pages.get("jobs") or {}
if sorted(pjobs) != ["build", "deploy"]:
    bad("pages.yml: jobs %s, expected build and deploy" % sorted(pjobs))
else:
    build, deploy = pjobs["build"], pjobs["deploy"]
    inputs = (triggers("pages.yml").get("workflow_call") or {}).get("inputs") or {}
    if (inputs.get("built") or {}).get("type") != "boolean" or inputs["built"].get("default") is not False:
        bad("pages.yml: workflow_call needs the boolean input built, default false")
    # built by the caller: only the deploy runs; else build, then deploy
    for given, builds in (({"built": True}, False), ({"built": False}, True), ({}, True)):
        if workflow.truthy(workflow.evaluate(build.get("if", "success()"), {"inputs": given})) != builds:
            bad("pages.yml: with the inputs %r the build job %s" % (given, "does not run" if builds else "runs"))
    for result, deploys in (("success", True), ("skipped", True), ("failure", False)):
        # success() is false after a skipped job too
        ctx = {"needs": {"build": {"result": result}}, "status": result}
        if deploy.get("needs") not in ("build", ["build"]) or \
                workflow.truthy(workflow.evaluate(deploy.get("if", "success()"), ctx)) != deploys:
            bad("pages.yml: after a build that ended %s the deploy %s" % (result, "does not run" if deploys else "runs"))
    if deploy.get("concurrency") != {"group": "pages", "cancel-in-progress": False}:
        bad("pages.yml: the deploy job needs concurrency {group: pages, cancel-in-progress: false}")
    if deploy.get("permissions") != {"pages": "write", "id-token": "write"} or \
            (deploy.get("environment") or {}).get("name") != "github-pages":
        bad("pages.yml: the deploy job needs pages and id-token write, in the environment github-pages")
    if [action(st) for st in deploy.get("steps") or []] != ["actions/deploy-pages"]:
        bad("pages.yml: the deploy job only deploys")
    ups = [st for st in build.get("steps") or [] if action(st) == "actions/upload-pages-artifact"]
    if len(ups) != 1 or (ups[0].get("with") or {}).get("path") != "build/site":
        bad("pages.yml: the build job uploads build/site")
if pages.get("permissions") != {"contents": "read"}:
    bad("pages.yml: workflow permissions must be contents: read")

# --- the pull request's report ---------------------------------------------------------
validate = docs.get("validate.yml", {})
scripts = "\n".join(s.get("run", "") for _, _, s in all_steps(validate))
if not re.search(r'\./mailout validate --changed-since "origin/\$BASE_REF"', scripts):
    bad("validate.yml: no ./mailout validate --changed-since \"origin/$BASE_REF\"")
if "$GITHUB_STEP_SUMMARY" not in scripts:
    bad("validate.yml: nothing goes to the job summary")
venv = {}
for job in validate.get("jobs", {}).values():
    venv.update(job.get("env") or {})
if venv.get("BASE_REF") != "${{ github.base_ref }}":
    bad("validate.yml: BASE_REF must be ${{ github.base_ref }}")
if not any(action(s) == "actions/upload-artifact" and (s.get("with") or {}).get("path") == "build/site"
           for _, _, s in all_steps(validate)):
    bad("validate.yml: the built site is not uploaded")
if "./mailout build" not in scripts:
    bad("validate.yml: the site is not built")
# It runs the pull request's content and code (README, "What the workflows
# trust"): pull_request only, reading only, no secret, nothing cached or
# deployed.
if validate.get("permissions") != {"contents": "read"} or any(
        "permissions" in job for job in (validate.get("jobs") or {}).values()):
    bad("validate.yml: permissions must be contents: read, for the whole workflow only")
with open(os.path.join(wf_dir, "validate.yml")) as f:
    if "secrets." in f.read():
        bad("validate.yml: names a secret")
for _, _, st in all_steps(validate):
    if action(st) not in ("", "actions/checkout", "actions/upload-artifact"):
        bad("validate.yml: uses %s; only checkout and upload-artifact" % action(st))


def summary_of(script, report, fails):
    """The job summary the validate step writes when mailout's report is
    the text report (and mailout fails when fails), and the step's exit."""
    line = './mailout validate --changed-since "origin/$BASE_REF"'
    if line not in script:
        return None, None
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "report"), "w") as f:
            f.write(report)
        fake = "sh -c 'cat report; exit %d'" % (1 if fails else 0)
        env = dict(os.environ, BASE_REF="main", GITHUB_STEP_SUMMARY=os.path.join(d, "summary.md"))
        r = subprocess.run(["bash", "-eo", "pipefail", "-c", script.replace(line, fake)], cwd=d, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(env["GITHUB_STEP_SUMMARY"]) as f:
            return f.read(), r.returncode


# a report whose paths and names try to end the block and bring their own HTML
crafted = ("campaigns/x/campaign.yaml:1:1: error: unknown template '````' (changed since origin/main)\n"
           "````\n"
           "</pre><script>alert(1)</script> & <b>\n")
escaped = ("## mailout validate --changed-since origin/main\n<pre>\n"
           "campaigns/x/campaign.yaml:1:1: error: unknown template '````' (changed since origin/main)\n"
           "````\n"
           "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;\n"
           "</pre>\n")
for _, _, st in all_steps(validate):
    for fails in (False, True):
        got, status = summary_of(st.get("run", ""), crafted, fails)
        if got is not None and (got, status) != (escaped, 1 if fails else 0):
            bad("validate.yml: with a crafted report (mailout %s) the summary is %r and the step exits %s"
                % ("failing" if fails else "succeeding", got, status))

# the problem matcher reads mailout's diagnostics
matcher_path = os.path.join(src, ".github", "mailout-matcher.json")
if "::add-matcher::.github/mailout-matcher.json" in scripts:
    with open(matcher_path) as f:
        matchers = json.load(f)["problemMatcher"]
    samples = {
        "campaigns/x/campaign.yaml:4:10: error: unknown template 'x' (changed since origin/main)":
            ("campaigns/x/campaign.yaml", "4", "10", "error"),
        "templates/signatures: warning: no signature for 'alice'":
            ("templates/signatures", None, None, "warning"),
    }
    for line, (path, lno, col, sev) in samples.items():
        hits = []
        for m in matchers:
            p = m["pattern"][0]
            g = re.match(p["regexp"], line)
            if g:
                hits.append((g.group(p["file"]), g.group(p["line"]) if "line" in p else None,
                             g.group(p["column"]) if "column" in p else None, g.group(p["severity"])))
        if hits != [(path, lno, col, sev)]:
            bad("mailout-matcher.json: %r gives %r" % (line, hits))
    if re.match(matchers[0]["pattern"][0]["regexp"], "3 campaigns, 60 recipient records: 0 errors, 0 warnings"):
        bad("mailout-matcher.json: the summary line is taken for a problem")

# --- which steps run when a sync fails (tests/tools/workflow.py reads the if:s) --
send_job = next(iter((send.get("jobs") or {}).values()), {})
UNSUB, BOUNCES, SEND = ("./mailout unsubscribes sync", "./mailout bounces sync", "./mailout send")
for failed, sends, job_status in ((None, True, "success"),
                                  (BOUNCES, True, "failure"),
                                  (UNSUB, False, "failure"),
                                  ("./mailout build", False, "failure"),
                                  ("make", False, "failure")):
    try:
        ran, status = workflow.simulate(send_job, {failed: "failure"} if failed else {})
    except (ValueError, KeyError, IndexError) as e:
        bad("send.yml: cannot evaluate the steps' if: %s" % e)
        break
    runs = [s.get("run", "").strip() for s in ran]
    what = "%s failing" % failed if failed else "every step succeeding"
    if any(r.startswith(SEND) for r in runs) != sends:
        bad("send.yml: with %s the send step %s" % (what, "is skipped" if sends else "runs"))
    if not runs or not runs[-1].startswith("./mailout status --check"):
        bad("send.yml: with %s ./mailout status --check does not run last" % what)
    if status != job_status:
        bad("send.yml: with %s the job ends %s, not %s" % (what, status, job_status))

# --- the sharded variant: sync, one send job per account, site -----------------------
sharded = docs.get(SHARDED, {})
sjobs = sharded.get("jobs") or {}
if sorted(sjobs) != ["pages", "send", "site", "sync"]:
    bad("%s: jobs %s, expected sync, send, site and pages" % (SHARDED, sorted(sjobs)))
else:
    if triggers(SHARDED) != triggers("send.yml"):
        bad("%s: not the triggers of send.yml" % SHARDED)
    sync_job, shard_job, site_job = sjobs["sync"], sjobs["send"], sjobs["site"]
    if shard_job.get("needs") not in ("sync", ["sync"]) or set(site_job.get("needs") or []) != {"sync", "send"}:
        bad("%s: send needs sync, site needs sync and send" % SHARDED)
    if "!cancelled()" not in str(site_job.get("if", "")):
        bad("%s: the site job must run when a send job failed" % SHARDED)
    strategy = shard_job.get("strategy") or {}
    if (strategy.get("matrix") or {}).get("account") != "${{ fromJSON(needs.sync.outputs.accounts) }}" \
            or strategy.get("fail-fast") is not False:
        bad("%s: the send matrix must be fromJSON(needs.sync.outputs.accounts), fail-fast: false" % SHARDED)
    conc = shard_job.get("concurrency") or {}
    if "matrix.account" not in str(conc.get("group")) or conc.get("cancel-in-progress") is not False:
        bad("%s: the send job needs a concurrency group per account that never cancels" % SHARDED)
    if (sync_job.get("outputs") or {}).get("accounts") != "${{ steps.accounts.outputs.accounts }}":
        bad("%s: the sync job must output the accounts list" % SHARDED)
    scripts = [st.get("run", "").strip() for st in shard_job.get("steps") or []]
    sends = [st for st in shard_job.get("steps") or [] if st.get("run", "").startswith("./mailout send")]
    if len(sends) != 1 or not re.fullmatch(r'\./mailout send --for 25m --account "\$ACCOUNT" --push origin',
                                            sends[0]["run"].strip()) \
            or (sends[0].get("env") or {}).get("ACCOUNT") != "${{ matrix.account }}":
        bad("%s: the send job runs ./mailout send --for 25m --account \"$ACCOUNT\" --push origin with ACCOUNT from the matrix: %r"
            % (SHARDED, scripts))
    # each send job holds its own account's secrets and no other's (in the
    # send step: the only step holding any)
    send_step = sends[0] if sends else {}
    common = {"MAILOUT_GIT_TOKEN", "MAILOUT_SECRET", "MAILOUT_SECRET_PREVIOUS", "ACCOUNT"}
    every = set(env_names(config)) | common | {"MAILOUT_BOT_TOKEN"}
    secrets = {n: "value of " + n for n in every}
    for acc in config.get("accounts") or []:
        own = set(env_names(acc))
        ctx = {"matrix": {"account": acc["id"]}, "secrets": secrets, "github": {"token": "token"}}
        try:
            env = workflow.job_env(sharded, shard_job, send_step, ctx)
        except (ValueError, KeyError, IndexError) as e:
            bad("%s: the send job's env does not evaluate: %s" % (SHARDED, e))
            break
        given = {k for k, v in env.items() if v}
        if given != own | common:
            bad("%s: the job of %s gets %s, expected %s" % (SHARDED, acc["id"], sorted(given), sorted(own | common)))
        for k in own:
            if env.get(k) != "value of " + k:
                bad("%s: the job of %s gets %s from the wrong secret" % (SHARDED, acc["id"], k))
    expect_secrets(SHARDED, step_of(sync_job, UNSUB), LINKS + [config["unsubscribe"]["password_env"]])
    expect_secrets(SHARDED, step_of(sync_job, BOUNCES), imap_envs)
    check_pages_call(SHARDED, sharded, "site")
    # nothing is listed (so nothing sent) when the unsubscribes could not be read
    for failed, lists, job_status in ((None, True, "success"), (BOUNCES, True, "failure"),
                                      (UNSUB, False, "failure")):
        ran, status = workflow.simulate(sync_job, {failed: "failure"} if failed else {})
        listed = any(st.get("id") == "accounts" for st in ran)
        what = "%s failing" % failed if failed else "every step succeeding"
        if listed != lists or status != job_status:
            bad("%s: with %s the accounts are %slisted and the sync job ends %s"
                % (SHARDED, what, "" if listed else "not ", status))
    for outputs, starts in (({"accounts": '["alice-main"]'}, True), ({"accounts": "[]"}, False),
                            ({"accounts": ""}, False)):
        ctx = {"needs": {"sync": {"outputs": outputs, "result": "failure"}}, "status": "failure"}
        if workflow.truthy(workflow.evaluate(shard_job.get("if", "success()"), ctx)) != starts:
            bad("%s: with the sync's accounts %r the send jobs %s" % (SHARDED, outputs, "do not start" if starts else "start"))
    site_runs = [st.get("run", "").strip() for st in site_job.get("steps") or []]
    if not site_runs or site_runs[-1] != "./mailout status --check":
        bad("%s: the site job ends with ./mailout status --check" % SHARDED)
    for st in site_job.get("steps") or []:
        if action(st) == "actions/upload-pages-artifact" and (st.get("with") or {}).get("path") != "build/site":
            bad("%s: the pages artifact must be build/site" % SHARDED)
    for job in sjobs.values():
        for st in job.get("steps") or []:
            if action(st) == "actions/checkout" and (st.get("with") or {}).get("fetch-depth") != 0:
                bad("%s: checkout without fetch-depth: 0" % SHARDED)

for p in problems:
    print(p)
print("%d workflow(s), %d mailout command(s) checked, %d problem(s)"
      % (len(docs), len(mailout_commands), len(problems)))
sys.exit(1 if problems else 0)
PY
status=$?
if [ "$status" -ne 0 ]; then
	fail "the workflows" "$TMPDIR/report"
else
	cat "$TMPDIR/report"
fi
finish
