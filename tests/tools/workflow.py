#!/usr/bin/python3
"""GitHub Actions workflows as the tests read and run them.

load(path)                      the workflow as a dict ("on" restored)
evaluate(text, ctx)             a ${{ }} expression (or a string holding
                                some) in a context: {"steps": {id: {...}},
                                "matrix": {...}, "secrets": {...},
                                "needs": {...}, "github": {...},
                                "status": "success" | "failure"}
simulate(job, outcomes)         which steps of a job run when the steps
                                named in outcomes (by id, else by the start
                                of their run script) end that way: the list
                                of steps run, and the job's status
run_job(job, ctx, cwd, ...)     runs a job's run steps with bash, as a
                                runner would (uses: steps are skipped),
                                and returns its outputs

Expressions: literals, contexts with . and [], ==, !=, !, &&, || (which
yield an operand, as on GitHub), parentheses, and the functions
success(), failure(), cancelled(), always(), fromJSON(), toJSON().
"""
import json
import os
import re
import subprocess
import tempfile

import yaml


def load(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        raise ValueError("%s: not a mapping" % path)
    if True in doc:  # YAML 1.1 reads the key "on" as true
        doc["on"] = doc.pop(True)
    return doc


TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|(&&|\|\||==|!=|[!().\[\],])|([A-Za-z_][\w-]*))")


def tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError("cannot read expression at %r" % text[pos:])
        pos = m.end()
        number, string, op, name = m.groups()
        if number is not None:
            out.append(("lit", float(number)))
        elif string is not None:
            out.append(("lit", string.replace("''", "'")))
        elif op is not None:
            out.append(("op", op))
        else:
            out.append(("name", name))
    return out


def truthy(v):
    return v not in (None, False, 0, "")


class Parser:
    def __init__(self, text, ctx):
        self.t = tokens(text)
        self.i = 0
        self.ctx = ctx

    def peek(self, value=None):
        if self.i >= len(self.t):
            return None
        kind, v = self.t[self.i]
        if value is None or (kind == "op" and v == value):
            return self.t[self.i]
        return None

    def take(self, value):
        if not self.peek(value):
            raise ValueError("expected %r" % value)
        self.i += 1

    def parse(self):
        v = self.disjunction()
        if self.i != len(self.t):
            raise ValueError("unexpected %r" % (self.t[self.i],))
        return v

    def disjunction(self):
        v = self.conjunction()
        while self.peek("||"):
            self.take("||")
            right = self.conjunction()
            v = v if truthy(v) else right
        return v

    def conjunction(self):
        v = self.unary()
        while self.peek("&&"):
            self.take("&&")
            right = self.unary()
            v = right if truthy(v) else v
        return v

    def unary(self):
        if self.peek("!"):
            self.take("!")
            return not truthy(self.unary())
        v = self.primary()
        for op in ("==", "!="):
            if self.peek(op):
                self.take(op)
                right = self.primary()
                same = (v.lower() == right.lower() if isinstance(v, str) and isinstance(right, str)
                        else v == right)
                return same if op == "==" else not same
        return v

    def call(self, name):
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.disjunction())
            if self.peek(","):
                self.take(",")
        self.take(")")
        status = self.ctx.get("status", "success")
        functions = {
            "success": lambda: status == "success",
            "failure": lambda: status == "failure",
            "cancelled": lambda: False,
            "always": lambda: True,
            "fromjson": lambda s: json.loads(s),
            "tojson": lambda v: json.dumps(v),
        }
        return functions[name.lower()](*args)

    def primary(self):
        kind, v = self.t[self.i]
        self.i += 1
        if kind == "lit":
            return v
        if kind == "op" and v == "(":
            v = self.disjunction()
            self.take(")")
            return v
        if kind != "name":
            raise ValueError("unexpected %r" % v)
        if v in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[v]
        if self.peek("("):
            return self.call(v)
        value = self.ctx.get(v)
        while self.peek(".") or self.peek("["):
            if self.peek("."):
                self.take(".")
                key = self.t[self.i][1]
                self.i += 1
            else:
                self.take("[")
                key = self.disjunction()
                self.take("]")
            value = value.get(key) if isinstance(value, dict) else None
        return value


def evaluate(text, ctx):
    """A whole "${{ e }}" gives e's value; other text gets each ${{ }}
    replaced by its value as a string; bare text (an if:) is an expression."""
    text = str(text).strip()
    whole = re.fullmatch(r"\$\{\{(.*?)\}\}", text, re.S)
    if whole:
        return Parser(whole.group(1), ctx).parse()
    if "${{" in text:
        def one(m):
            v = Parser(m.group(1), ctx).parse()
            return "" if v is None else str(v)
        return re.sub(r"\$\{\{(.*?)\}\}", one, text, flags=re.S)
    return Parser(text, ctx).parse()


def step_label(step):
    return step.get("id") or step.get("name") or step.get("uses") or step.get("run", "").strip()


def find_outcome(step, outcomes):
    if step.get("id") in outcomes:
        return outcomes[step["id"]]
    for key, outcome in outcomes.items():
        if step.get("run", "").strip().startswith(key):
            return outcome
    return "success"


def simulate(job, outcomes, ctx=None):
    ctx = dict(ctx or {})
    ctx["steps"] = {}
    status, ran = "success", []
    for step in job.get("steps") or []:
        ctx["status"] = status
        runs = truthy(evaluate(step.get("if", "success()"), ctx))
        outcome = find_outcome(step, outcomes) if runs else "skipped"
        if runs:
            ran.append(step)
            if outcome == "failure" and not step.get("continue-on-error"):
                status = "failure"
        if step.get("id"):
            ctx["steps"][step["id"]] = {"outcome": outcome, "conclusion": outcome, "outputs": {}}
    return ran, status


def job_env(doc, job, step, ctx):
    env = {}
    for scope in (doc.get("env") or {}, job.get("env") or {}, step.get("env") or {}):
        for k, v in scope.items():
            value = evaluate(v, ctx)
            env[k] = "" if value is None else str(value)
    return env


def run_job(doc, job, ctx, cwd, rewrite=lambda script: script, log=None, base_env=None,
            timeout=None):
    """Runs the run: steps of job in cwd with bash -eo pipefail (uses: steps
    and those whose if: is false are skipped), each cut off after timeout
    seconds; rewrite(script) adapts a script to the test (the binary, the
    clock, the sink).  Returns (status, outputs of the job)."""
    ctx = dict(ctx)
    ctx["steps"] = {}
    status = "success"
    for step in job.get("steps") or []:
        ctx["status"] = status
        if not truthy(evaluate(step.get("if", "success()"), ctx)) or "run" not in step:
            continue
        with tempfile.NamedTemporaryFile("r", delete=False) as out:
            path = out.name
        env = dict(base_env if base_env is not None else os.environ)
        env.update(job_env(doc, job, step, ctx))
        env["GITHUB_OUTPUT"] = path
        env["GITHUB_STEP_SUMMARY"] = os.devnull
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                            rewrite(step["run"])], cwd=cwd, env=env, stdout=log, stderr=log,
                           timeout=timeout)
        outputs = {}
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    outputs[k] = v
        os.unlink(path)
        outcome = "success" if r.returncode == 0 else "failure"
        if outcome == "failure" and not step.get("continue-on-error"):
            status = "failure"
        if step.get("id"):
            ctx["steps"][step["id"]] = {"outcome": outcome, "outputs": outputs}
    ctx["status"] = status
    outputs = {k: evaluate(v, ctx) for k, v in (job.get("outputs") or {}).items()}
    return status, outputs
