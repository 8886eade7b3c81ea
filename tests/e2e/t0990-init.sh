#!/bin/sh
# mailout init: a new content repository validates and builds, a non-empty
# directory is refused and left as it was, `init --check` passes after init
# and names what differs after an edit, on a whole copy of the mailout
# repository and before the pin's placeholder is replaced; --update mends
# and keeps the lines marked "# yours"; the systemd units verify.  Then the
# scheduled workflow runs as a runner would, in a fresh clone of a local
# content remote: the fetch of the pinned source (a tag of a bare clone of
# this checkout), action.yml building it with deploy/install-mailout.sh
# (and a second run restoring it, the cache-hit path), the syncs, `send
# --drain --push origin` into the capture SMTP server, and pages.yml's
# build of the site.  The content repository holds no C source.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"
export MAILOUT_SECRET=e2e-secret-0123456789-0123456789-abcdef
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "PyYAML is not installed (tests/deps.sh)"

# the pinned source: this checkout's commit as tag v-test of a bare clone
git clone -q --bare --no-local "$SRC" "$TMPDIR/src.git" &&
	git -C "$TMPDIR/src.git" tag v-test "$(git -C "$SRC" rev-parse HEAD)" || fail "source remote"
PIN="--source $TMPDIR/src.git --ref v-test"

# --- a new repository ------------------------------------------------------
cd "$TMPDIR" || exit 1
# shellcheck disable=SC2086
run_mailout init new $PIN
expect_rc "init" 0
expect_output "init names what it wrote" "created new: a content repository for mailout 0.1.0, committed on branch main
  .gitignore
  campaigns/welcome/campaign.yaml
  mailout-version
  mailout.yaml
  recipients/contacts/customers.yaml
  recipients/segments.yaml
  recipients/suppressions.tsv
  templates/signatures/alice.md
  templates/welcome.md
  .github/workflows/ci.yml
  .github/workflows/pages.yml
  .github/workflows/send.yml
  .github/workflows/validate.yml
next: replace the example content, add a remote and push"
git -C new status --porcelain >"$TMPDIR/porcelain"
expect_output "everything committed" "" "$TMPDIR/porcelain"
git -C new log --format='%an <%ae>|%s' >"$TMPDIR/log"
expect_output "one commit, by git.author" "mailout <mailout@example.com>|A content repository for mailout 0.1.0, written by mailout init" "$TMPDIR/log"
printf 'source: %s\nref: v-test\n' "$TMPDIR/src.git" >"$TMPDIR/pin"
grep -v '^#' new/mailout-version >"$TMPDIR/pin.actual"
expect_file "the pin" "$TMPDIR/pin" "$TMPDIR/pin.actual"
MAILOUT_NOW=2026-12-07T08:07:00Z run_mailout --repo new validate
expect_rc "validate" 0
expect_contains "validate: no problem" "1 campaign, 3 recipient records: 0 errors, 0 warnings"
run_mailout --repo new build
expect_rc "build" 0
[ -f new/build/site/index.html ] || fail "build wrote no site"
run_mailout --repo new init --check
expect_rc "check after init" 0
expect_output "check after init" "6 files are current for mailout 0.1.0"

# the placeholder until a source is given
run_mailout init placeholder
expect_rc "init without --source" 0
run_mailout --repo placeholder init --check
expect_rc "check: the placeholder" 1
expect_output "check: the placeholder" "mailout-version: 'source' is the placeholder https://git.example.com/mailout/mailout.git; set it to the git URL of your mailout"

# --- refused, nothing changed ----------------------------------------------
mkdir full && echo keep >full/notes.txt
run_mailout init full
expect_rc "non-empty directory" 1
expect_stderr "non-empty directory" "mailout: 'full' is not empty: init writes a new repository into an empty or new directory ('mailout init --update' mends an existing one)"
ls -A full >"$TMPDIR/ls"
expect_output "non-empty directory unchanged" "notes.txt" "$TMPDIR/ls"
ls -d "$TMPDIR"/*.init-* >"$TMPDIR/stray" 2>/dev/null
expect_output "no temporary folder left" "" "$TMPDIR/stray"

# --- stale files and --update --------------------------------------------------
sed -i 's/timeout-minutes: 15/timeout-minutes: 90/' new/.github/workflows/validate.yml
sed -i 's/- cron: "7,37 6-16 \* \* 1-4" # yours.*/- cron: "17,47 7-15 * * 1-3" # yours: our hours/' new/.github/workflows/send.yml
run_mailout --repo new init --check
expect_rc "check after an edit" 1
expect_output "check after an edit" "$(printf '%s' ".github/workflows/validate.yml: line 23 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/validate.yml'")"
# an account more: send.yml must pass its secret
sed -i 's/^    daily_limit: 120 .*/&\n  - { id: alice-two, owner: alice, from: "Alice Adams <alice@example.net>", smtp: "smtps:\/\/smtp.example.net:465", username: alice@example.net, password_env: MAILOUT_PASSWORD_ALICE_TWO, daily_limit: 50 }/' new/mailout.yaml
run_mailout --repo new init --check
expect_rc "check after a new account" 1
expect_output "check after a new account" ".github/workflows/send.yml: line 91 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/send.yml'
.github/workflows/validate.yml: line 23 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/validate.yml'"
run_mailout --repo new init --update
expect_rc "update" 0
expect_output "update" "updated .github/workflows/send.yml
updated .github/workflows/validate.yml"
grep -c 'cron: "17,47 7-15 \* \* 1-3" # yours: our hours' new/.github/workflows/send.yml >"$TMPDIR/n"
expect_output "update keeps the schedule" "1" "$TMPDIR/n"
grep -c '^          MAILOUT_PASSWORD_ALICE_TWO: \${{ secrets.MAILOUT_PASSWORD_ALICE_TWO }}$' new/.github/workflows/send.yml >"$TMPDIR/n"
expect_output "update passes the new secret to the send step" "1" "$TMPDIR/n"
run_mailout --repo new init --check
expect_rc "check after update" 0
run_mailout --repo new init --update README.md
expect_rc "update of a file init does not keep" 1
expect_stderr "update of a file init does not keep" "mailout: 'README.md' is not a file mailout init keeps current (those are mailout-version, .gitignore, .github/workflows/*.yml, .gitlab-ci.yml and deploy/mailout-send.*)"

# --- a whole copy of the mailout repository, and its move --------------------------
mkdir copy && (cd "$SRC" && cp -R mailout.yaml recipients templates campaigns Makefile src .gitignore "$TMPDIR/copy/") &&
	mkdir -p copy/.github && cp -R "$SRC/.github/workflows" copy/.github/ &&
	git -C copy init -q -b main && git -C copy add -A && git -C copy commit -qm "whole copy" || fail "whole copy"
run_mailout --repo copy init --check
expect_rc "check on a whole copy" 1
expect_output "check on a whole copy" "src/, Makefile: this repository holds a copy of mailout's source; move to a pinned mailout (README, \"Moving an existing copy\"): git rm -r src cmd tests site docs deploy .ci Makefile, then mailout init --update --source URL --ref REF and mailout init --check
.github/workflows/ci.yml: line 1 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/ci.yml'
.github/workflows/pages.yml: line 1 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/pages.yml'
.github/workflows/send.yml: line 1 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/send.yml'
.github/workflows/validate.yml: line 1 is not what mailout 0.1.0 writes; run 'mailout init --update .github/workflows/validate.yml'
.gitignore: lacks the line '/.mailout/'; run 'mailout init --update .gitignore'
mailout-version: missing; run 'mailout init --update mailout-version --source URL --ref REF'"
# the README's move: the tool goes, content and history stay
git -C copy rm -r -q src Makefile || fail "git rm"
# shellcheck disable=SC2086
run_mailout --repo copy init --update $PIN
expect_rc "update of the copy" 0
run_mailout --repo copy init --check
expect_rc "check after the move" 0
expect_output "check after the move" "6 files are current for mailout 0.1.0"
MAILOUT_NOW=2026-12-07T08:07:00Z run_mailout --repo copy validate
expect_rc "the moved copy validates" 0

# --- the options' files -----------------------------------------------------
# shellcheck disable=SC2086
run_mailout init --gitlab --systemd $PIN options
expect_rc "init --gitlab --systemd" 0
for f in .gitlab-ci.yml deploy/mailout-send.service deploy/mailout-send.timer; do
	grep -qxF "  $f" "$TMPDIR/stdout" || fail "init --gitlab --systemd did not write $f"
done
/usr/bin/python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(sorted(d), d["send"]["resource_group"], d["pages"]["artifacts"]["paths"])' \
	options/.gitlab-ci.yml >"$TMPDIR/gitlab" 2>&1
expect_output ".gitlab-ci.yml: jobs, one sender, pages" "['default', 'pages', 'send', 'stages', 'validate', 'variables'] send ['public/']" "$TMPDIR/gitlab"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify options/deploy/mailout-send.service options/deploy/mailout-send.timer \
		>"$TMPDIR/verify" 2>&1 || fail "systemd-analyze verify" "$TMPDIR/verify"
	expect_output "systemd-analyze verify says nothing" "" "$TMPDIR/verify"
else
	fail "systemd-analyze is not installed (tests/deps.sh installs systemd)"
fi
run_mailout --repo options init --check
expect_rc "check with the options' files" 0
expect_output "check with the options' files" "9 files are current for mailout 0.1.0"

# --- init's example and the product's: the same keys ----------------------------
# Every key init's example content uses, the product's example uses too (the
# example the rest of the tests exercise); a key renamed in one shows here.
/usr/bin/python3 - "$SRC" >"$TMPDIR/keys" 2>&1 <<'P' || fail "init's example keys" "$TMPDIR/keys"
import glob, os, re, sys
import yaml
src = sys.argv[1]


def paths(node, prefix=""):
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(prefix + str(k))
            out |= paths(v, prefix + str(k) + ".")
    elif isinstance(node, list):
        for v in node:
            out |= paths(v, prefix + "[].")
    return out


def keys(pattern):
    out = set()
    for f in glob.glob(os.path.join(src, pattern)):
        out |= paths(yaml.safe_load(open(f)))
    return out


def front(pattern):
    out = set()
    for f in glob.glob(os.path.join(src, pattern)):
        m = re.match(r"---\n(.*?)\n---\n", open(f).read(), re.S)
        out |= set(yaml.safe_load(m.group(1)))
    return out


checks = [("mailout.yaml", keys), ("campaigns/*/campaign.yaml", keys),
          ("recipients/contacts/*.yaml", keys), ("recipients/segments.yaml", keys),
          ("templates/*.md", front)]
for pattern, read in checks:
    mine, product = read(os.path.join("init", pattern)), read(pattern)
    assert mine, pattern
    extra = sorted(mine - product)
    if pattern == "recipients/segments.yaml":  # names, not keys: the filter fields count
        mine = {k.split(".", 1)[1] for k in mine if "." in k}
        product = {k.split(".", 1)[1] for k in product if "." in k}
        extra = sorted(mine - product)
    assert not extra, (pattern, "keys the product's example lacks", extra)
    print(pattern, len(mine))
P

# --- the workflow linters on what init writes ------------------------------------
# tests/tools/check_workflows.py (the hardening rules) and lint-workflows.sh
# (actionlint, action-validator) come with the hardening of the product's
# own workflows; until a tree has them, t0800 and this script's checks stand
if [ -f "$SRC/tests/tools/check_workflows.py" ]; then
	/usr/bin/python3 "$SRC/tests/tools/check_workflows.py" options/.github/workflows/*.yml "$SRC/action.yml" \
		>"$TMPDIR/hardening" 2>&1 || fail "check_workflows.py" "$TMPDIR/hardening"
	expect_output "check_workflows.py finds nothing" "" "$TMPDIR/hardening"
fi
if [ -f "$SRC/tests/tools/lint-workflows.sh" ]; then
	sh "$SRC/tests/tools/lint-workflows.sh" options/.github/workflows/*.yml "$SRC/action.yml" \
		>"$TMPDIR/lint" 2>&1 || fail "lint-workflows.sh" "$TMPDIR/lint"
fi

# --- the workflows, run as a runner would ------------------------------------------
# the campaign ships paused: resume it, as a person would, and publish
run_mailout --repo new resume welcome
expect_rc "resume" 0
git -C new add -A && git -C new commit -qm "resume welcome, another account" &&
	git init -q --bare -b main "$TMPDIR/content.git" && git -C new push -q "$TMPDIR/content.git" main ||
	fail "content remote"
start_smtpd "$TMPDIR/spool" || finish
/usr/bin/python3 - "$SRC" "$TMPDIR" "$SMTPD_PORT" >"$TMPDIR/workflow.out" 2>&1 <<'P' || fail "the workflows" "$TMPDIR/workflow.out"
import os, subprocess, sys
src, tmp, port = sys.argv[1:]
sys.path.insert(0, os.path.join(src, "tests", "tools"))
import workflow

NOW = "2026-12-07T08:07:00Z"  # a Monday, 09:07 in Berlin
ctx = {"secrets": {"MAILOUT_SECRET": os.environ["MAILOUT_SECRET"],
                   "MAILOUT_PASSWORD_ALICE_NEWS": "unused-with-a-sink"},
       "github": {"token": "", "ref": "refs/heads/main", "base_ref": "main",
                  "action_repository": "", "server_url": "https://github.com"}}
cached = None  # the prefix the cache would restore


def rewrite(script):
    # the container's set-up (this machine has git, and its git
    # configuration stays untouched) is skipped; the sink and the virtual
    # clock for the one step that sends
    if script.startswith("apt-get update") or script.startswith("git config --global"):
        return "true"
    return script.replace("mailout send --drain --push origin",
                          "mailout send --drain --push origin --now %s --sink smtp://127.0.0.1:%s"
                          % (NOW, port))


def run(doc, job, name, env):
    """job's steps in a fresh clone, the pinned mailout installed where the
    workflow says uses: ./.mailout (action.yml's steps, run the same way)."""
    repo = os.path.join(tmp, name)
    subprocess.run(["git", "clone", "-q", os.path.join(tmp, "content.git"), repo], check=True)
    if cached:  # what actions/cache restores
        subprocess.run(["cp", "-R", cached, os.path.join(repo, ".mailout-prefix")], check=True)
    steps = job["steps"]
    at = [i for i, s in enumerate(steps) if s.get("uses") == "./.mailout"]
    assert len(at) == 1, (name, "uses ./.mailout", at)
    log = open(repo + ".log", "w")
    status, _ = workflow.run_job(doc, {"steps": steps[:at[0]]}, ctx, repo, rewrite, log, env, 120)
    assert status == "success", (name, "fetch", open(repo + ".log").read())
    action = workflow.load(os.path.join(repo, ".mailout", "action.yml"))
    path_file = repo + ".path"
    open(path_file, "w").close()
    aenv = dict(env, GITHUB_ACTION_PATH=os.path.join(repo, ".mailout"), GITHUB_PATH=path_file,
                GITHUB_WORKSPACE=repo)
    actx = dict(ctx, inputs={k: v.get("default", "") for k, v in action["inputs"].items()})
    status, _ = workflow.run_job(action, {"steps": action["runs"]["steps"]}, actx, repo, rewrite,
                                 log, aenv, 300)
    assert status == "success", (name, "action", open(repo + ".log").read())
    env = dict(env, PATH=":".join(open(path_file).read().split() + [env["PATH"]]))
    status, _ = workflow.run_job(doc, {"steps": steps[at[0] + 1:]}, ctx, repo, rewrite, log, env, 120)
    log.close()
    print(name, status)
    print(open(repo + ".log").read())
    return repo, status


base = dict(os.environ, MAILOUT_NOW=NOW)
base["PATH"] = "/usr/bin:/bin"  # only the installed mailout
send = workflow.load(os.path.join(tmp, "new", ".github", "workflows", "send.yml"))
repo, status = run(send, send["jobs"]["send"], "runner", base)
assert status == "success", status
cached = os.path.join(repo, ".mailout-prefix")
assert send["jobs"]["site"]["uses"] == "./.github/workflows/pages.yml", send["jobs"]["site"]
pages = workflow.load(os.path.join(tmp, "new", ".github", "workflows", "pages.yml"))
repo, status = run(pages, pages["jobs"]["deploy"], "pages", base)
assert status == "success", status
assert os.path.isfile(os.path.join(repo, "build", "site", "index.html")), "no site"
P
stop_smtpd
grep '^install-mailout: ' "$TMPDIR/workflow.out" | sed "s|$TMPDIR|TMP|g; s/[0-9a-f]\{40\}/COMMIT/" >"$TMPDIR/installs"
expect_output "the send job builds the tag, the pages job restores it" "install-mailout: built mailout COMMIT from TMP/src.git into TMP/runner/.mailout-prefix
install-mailout: mailout COMMIT is in TMP/pages/.mailout-prefix already (cache hit)" "$TMPDIR/installs"
expect_contains "unsubscribes: nothing to read" \
	"unsubscribes: no 'unsubscribe.mailbox' in mailout.yaml: nothing to read" "$TMPDIR/workflow.out"
expect_contains "bounces: nothing to read" \
	"bounces: no account has an 'imap' mailbox in mailout.yaml: nothing to read" "$TMPDIR/workflow.out"
grep -h '^To: ' "$TMPDIR/spool"/*.eml 2>/dev/null | tr -d '\r' | LC_ALL=C sort >"$TMPDIR/to"
expect_output "the newsletter segment mailed once each" "To: =?UTF-8?Q?Lukas_M=C3=BCller?= <lukas.mueller@example.net>
To: Jana Novak <jana.novak@example.net>" "$TMPDIR/to"
# the results are on the content remote, which holds no C source
git clone -q "$TMPDIR/content.git" "$TMPDIR/check" || fail "clone"
cut -f2,3 "$TMPDIR/check/campaigns/welcome/log/alice-news.tsv" "$TMPDIR/check/campaigns/welcome/log/alice-two.tsv" |
	grep '^sent' | LC_ALL=C sort >"$TMPDIR/sent" 2>&1
expect_output "outcomes pushed, one account each" "$(printf 'sent\tc-1001\nsent\tc-1002')" "$TMPDIR/sent"
git -C "$TMPDIR/check" ls-files | grep -E '\.[ch]$|(^|/)Makefile$' >"$TMPDIR/csrc"
expect_output "no C source in the content repository" "" "$TMPDIR/csrc"
finish
