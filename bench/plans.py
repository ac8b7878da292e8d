#!/usr/bin/env python3
"""Statement table from a PostgreSQL log written by auto_explain (log_format=json, log_analyze, log_buffers):
one row per distinct statement with its plan (node types and indexes, outermost first), the sampled calls,
milliseconds and shared buffers (hit + read) per call. Usage: bench/plans.py PG_LOG [LABEL]
Prints markdown rows: | label | statement | plan | sampled | ms/call | buffers/call |"""
import json
import re
import sys


def samples(path):
    """Yields (duration_ms, plan_json) for each auto_explain entry of the log."""
    head = re.compile(r"LOG:  duration: ([0-9.]+) ms  plan:$")
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = head.search(lines[i])
        i += 1
        if not m:
            continue
        body = []
        while i < len(lines) and lines[i].startswith("\t"):
            body.append(lines[i][1:])
            i += 1
        try:
            yield float(m.group(1)), json.loads("\n".join(body))
        except json.JSONDecodeError:
            continue


def node_text(node):
    name = node["Node Type"]
    if node.get("Index Name"):
        name += f" {node['Index Name']}"
    elif node.get("Relation Name") and node["Node Type"] != "ModifyTable":
        name += f" {node['Relation Name']}"
    if node["Node Type"] == "ModifyTable":
        name = f"{node.get('Operation', 'Modify')} {node.get('Relation Name', '')}"
    if node.get("Subplan Name"):
        name = f"{node['Subplan Name']}: {name}"
    loops = node.get("Actual Loops", 1)
    if loops and loops > 1:
        name += f" x{loops}"
    return name


def plan_text(node):
    """Outermost first; children in brackets when there are several."""
    kids = node.get("Plans", [])
    text = node_text(node)
    if len(kids) == 1:
        return f"{text} > {plan_text(kids[0])}"
    if kids:
        return f"{text} [{'; '.join(plan_text(k) for k in kids)}]"
    return text


def main():
    path = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else ""
    stats = {}
    for ms, doc in samples(path):
        query = re.sub(r"\s+", " ", doc.get("Query Text", "")).strip()
        if not query or "pg_stat_statements" in query or "auto_explain" in query:
            continue
        plan = doc["Plan"]
        blocks = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
        s = stats.setdefault(query, {"n": 0, "ms": 0.0, "blocks": 0, "plan": plan_text(plan)})
        s["n"] += 1
        s["ms"] += ms
        s["blocks"] += blocks
    for query, s in sorted(stats.items(), key=lambda kv: -kv[1]["ms"]):
        short = query[:90].replace("|", "\\|")
        plan = s["plan"][:300].replace("|", "\\|")
        print(f"| {label} | `{short}` | {plan} | {s['n']} | {s['ms'] / s['n']:.3f} | "
              f"{s['blocks'] / s['n']:.0f} |")


if __name__ == "__main__":
    main()
