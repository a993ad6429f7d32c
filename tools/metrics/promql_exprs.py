#!/usr/bin/env python3
"""Print every PromQL expression of the SBC dashboard and rules, one JSON object a line.

    promql_exprs.py [--dashboard FILE] [--rules FILE]

Defaults: metrics/grafana/sbc.json and metrics/prometheus/sbc.rules.yml of this repository,
wherever it is run from. Each line is

    {"source": "<file>:<panel title, variable or rule name>", "kind": "...", "expr": "..."}

kind is "panel", "variable", "record" or "alert". Exprs are made runnable in plain
Prometheus, so a test can run every one of them against a live SBC and expect data:

  * Grafana variables are replaced by ".*" ($realm, ${realm}, [[realm]]; so realm=~"$realm"
    becomes realm=~".*"). A label_values(metric, label) variable query yields just metric.
  * An alert only returns data while it fires, so alerts also get "data_expr": the
    left-hand side of the expr. The convention (kept by sbc.rules.yml) is that every alert
    expr is "<lhs> <op> <number>" with the comparison at the top level; the split is on the
    last top-level comparison operator (==, !=, >=, <=, >, <), outside brackets and strings.
    An alert that does not follow the convention is an error (exit 1).

The rules file is read by a small parser rather than a YAML library, so this runs on a bare
python3. It understands what sbc.rules.yml uses: rules starting "- record: NAME" or
"- alert: NAME", and "expr:" as a one-line (plain or quoted) scalar or a "|"/">" block.
tests/metrics/promtool_test.sh compares its result with a real YAML parser when one exists.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = "metrics/grafana/sbc.json"
RULES = "metrics/prometheus/sbc.rules.yml"


class Error(Exception):
    pass


def substitute_variables(expr):
    # "$__interval"-style built-ins are not used by the dashboard; any variable becomes .*
    expr = re.sub(r'=~\s*"\$\{?\w+\}?"', '=~".*"', expr)
    expr = re.sub(r"\$\{\w+(:\w+)?\}|\[\[\w+\]\]|\$\w+", ".*", expr)
    return expr


def variable_expr(query):
    """The PromQL in a Grafana variable query, or None if it is not PromQL."""
    if isinstance(query, dict):  # Grafana 10 stores {"query": "...", "refId": ...}
        query = query.get("query", "")
    query = (query or "").strip()
    m = re.fullmatch(r"label_values\(\s*(.+?)\s*,\s*\w+\s*\)", query, re.S)
    if m:
        return m.group(1)
    if re.fullmatch(r"label_values\(\s*\w+\s*\)", query) or re.fullmatch(r"(label_names|metrics)\(.*\)", query, re.S):
        return None  # label-only helpers have no expression to run
    m = re.fullmatch(r"query_result\((.+)\)", query, re.S)
    if m:
        return m.group(1)
    return None


def walk_panels(panels):
    for panel in panels or []:
        yield panel
        # Collapsed rows keep their panels inside the row.
        yield from walk_panels(panel.get("panels"))


def dashboard_exprs(path, name):
    with open(path) as f:
        dash = json.load(f)
    out = []
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        expr = variable_expr(var.get("query")) or variable_expr(var.get("definition"))
        if expr:
            out.append({"source": "%s:variable %s" % (name, var.get("name")), "kind": "variable",
                        "expr": substitute_variables(expr)})
    for panel in walk_panels(dash.get("panels")):
        targets = [t for t in panel.get("targets", []) if t.get("expr")]
        for t in targets:
            title = panel.get("title", "panel %s" % panel.get("id"))
            if len(targets) > 1:
                title += " [%s]" % t.get("refId", "?")
            out.append({"source": "%s:%s" % (name, title), "kind": "panel",
                        "expr": substitute_variables(t["expr"])})
    return out


def unquote(value, path, lineno):
    value = value.strip()
    if value.startswith('"'):
        m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"\s*(#.*)?', value)
        if not m:
            raise Error("%s:%d: unterminated double-quoted expr" % (path, lineno))
        return json.loads('"%s"' % m.group(1))
    if value.startswith("'"):
        m = re.fullmatch(r"'((?:[^']|'')*)'\s*(#.*)?", value)
        if not m:
            raise Error("%s:%d: unterminated single-quoted expr" % (path, lineno))
        return m.group(1).replace("''", "'")
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()  # plain scalar: " #" starts a comment


def rule_exprs(path):
    """[(kind, name, expr)] from a rules file in the simple form described above."""
    with open(path) as f:
        lines = f.read().splitlines()
    rules = []
    current = None  # [kind, name, expr]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = re.match(r"^\s*-\s+(record|alert):\s*(.+?)\s*$", line)
        if m:
            current = [m.group(1), unquote(m.group(2), path, i), None]
            rules.append(current)
            continue
        m = re.match(r"^(\s*)expr:\s*(.*?)\s*$", line)
        if not m:
            continue
        if current is None or current[2] is not None:
            raise Error("%s:%d: expr outside a rule or a second expr in one rule" % (path, i))
        indent, value = len(m.group(1)), m.group(2)
        if re.fullmatch(r"[|>][+-]?", value):
            block = []
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            # Newlines and spaces are the same to PromQL; folded or literal, join with spaces.
            current[2] = " ".join(part for part in block if part)
        else:
            current[2] = unquote(value, path, i)
        if not current[2]:
            raise Error("%s:%d: empty expr" % (path, i))
    for kind, name, expr in rules:
        if expr is None:
            raise Error("%s: %s %s has no expr" % (path, kind, name))
    return rules


COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")


def split_comparison(expr):
    """(lhs, op, rhs) at the last top-level comparison operator, or None."""
    depth, quote, last = 0, None, None
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            for op in COMPARISONS:
                if expr.startswith(op, i):
                    last = (i, op)
                    i += len(op) - 1
                    break
        i += 1
    if last is None:
        return None
    pos, op = last
    return expr[:pos].strip(), op, expr[pos + len(op):].strip()


def rules_entries(path, name):
    out = []
    for kind, rule, expr in rule_exprs(path):
        entry = {"source": "%s:%s" % (name, rule), "kind": kind, "expr": expr}
        if kind == "alert":
            split = split_comparison(expr)
            if split is None or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", split[2]):
                raise Error("%s: alert %s: expr must be '<lhs> <op> <number>' (see %s)"
                            % (path, rule, os.path.basename(__file__)))
            entry["data_expr"] = split[0]
        out.append(entry)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dashboard", default=os.path.join(ROOT, DASHBOARD))
    parser.add_argument("--rules", default=os.path.join(ROOT, RULES))
    args = parser.parse_args()

    def shown(path):  # repository-relative names in "source" when the file is ours
        rel = os.path.relpath(os.path.abspath(path), ROOT)
        return path if rel.startswith("..") else rel

    try:
        entries = dashboard_exprs(args.dashboard, shown(args.dashboard))
        entries += rules_entries(args.rules, shown(args.rules))
    except (OSError, ValueError, Error) as e:
        print("promql_exprs.py: %s" % e, file=sys.stderr)
        return 1
    for entry in entries:
        print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
