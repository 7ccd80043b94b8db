#!/usr/bin/env python3
"""Sakchy detection quality on the labelled development sets (docs/QUALITY.md).

Runs `sakchy classify` once over every sample of every selected set and prints, per set and gold
label, precision/recall/F1 of "detected" (bench/quality/sets.py says what that means per label),
alert and medium+ rates, false-alarm rates on the negatives, the rules behind the false alarms,
language confusion and the issue-25 targets with PASS/FAIL. Python 3 standard library only.

  bench/quality/quality.py [--sakchy BIN] [--rules DIR] [--data DIR] [--json FILE] [--markdown]
  bench/quality/quality.py --gate            # regression gate against bench/quality/baseline.json
  bench/quality/quality.py --write-baseline  # record today's figures as the baseline

Exit codes: 0 done (gate passed); 1 gate failed; 2 usage or run error; 77 no data dir (skip).
The texts are development-only data: they go to a temporary file for the classifier and, as two
truncated examples per false-alarm rule, to the terminal; never into --json or --markdown.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import metrics  # noqa: E402
import sets as setsmod  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BASELINE = os.path.join(HERE, "baseline.json")
SKIP = 77
# Tighter than the default tolerance where the target is itself about 1 point: any alert
# on ordinary Kyrgyz news or on not-sensitive rows fails the gate.
DEFAULT_OVERRIDES = {"ky-24kg-news/negatives/alert": 0.0,
                     "ru-sensitive-topics/negatives/alert": 0.0}


def find_data_dir(arg):
    """--data, else $SAKCHY_SHARED_DATA, else <repo>/../shared/data, else /work/shared/data."""
    if arg:
        return arg
    candidates = [os.environ.get("SAKCHY_SHARED_DATA", ""),
                  os.path.join(REPO, "..", "shared", "data"), "/work/shared/data"]
    for c in candidates:
        if c and os.path.isdir(c):
            return os.path.normpath(c)
    return None


# --- Running the classifier ----------------------------------------------------------------------

def classify(sakchy, rules, areas, samples):
    """One `sakchy classify` process over all samples. -> list of metrics.Result, in order."""
    with tempfile.TemporaryDirectory(prefix="sakchy-quality-") as tmp:
        inp = os.path.join(tmp, "in.ndjson")
        with open(inp, "w", encoding="utf-8") as f:
            for s in samples:
                f.write(json.dumps({"text": s.text}, ensure_ascii=False))
                f.write("\n")
        cmd = [sakchy, "classify", "--rules", rules] + (["--areas", areas] if areas else [])
        with open(inp, "rb") as stdin:
            proc = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode}: "
                           f"{proc.stderr.decode('utf-8', 'replace').strip()[:2000]}")
    results = [None] * len(samples)
    # Split on "\n" only: str.splitlines() would also split on U+2028 inside a JSON string.
    for raw in proc.stdout.split(b"\n"):
        if not raw.strip():
            continue
        obj = json.loads(raw)
        line = int(obj["line"])
        if not 1 <= line <= len(samples):
            raise RuntimeError(f"classify reported line {line} of {len(samples)}")
        results[line - 1] = metrics.parse_result(obj)
    missing = sum(1 for r in results if r is None)
    if missing:
        raise RuntimeError(f"classify returned no result for {missing} of {len(samples)} texts")
    return results


def run_model_cmd(cmd, data_dir):
    """The hook for the learned scorer (`sakchy model eval ...`): runs CMD through the shell with
    SAKCHY_SHARED_DATA set and reads one JSON object from its stdout (the whole output, or else
    its last line that parses). metrics.model_macro_f1() reads "macro_f1" from it.
    -> (dict or None, error message or None)."""
    env = dict(os.environ, SAKCHY_SHARED_DATA=data_dir)
    try:
        proc = subprocess.run(cmd, shell=True, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=1800, check=False)
    except subprocess.TimeoutExpired:
        return None, f"'{cmd}' timed out"
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        return None, (f"'{cmd}' exited {proc.returncode}: "
                      f"{proc.stderr.decode('utf-8', 'replace').strip()[-500:]}")
    for text in [out] + out.strip().split("\n")[::-1]:
        try:
            obj = json.loads(text)
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj, None
    return None, f"'{cmd}' printed no JSON object"


# --- Formatting ----------------------------------------------------------------------------------

def pct(x):
    return "—" if x is None else f"{100 * x:.1f}%"


def frac(x):
    return "—" if x is None else f"{x:.2f}"


def fmt_target(part, x):
    """Precision and F1 as fractions (0.80), rates and recall as percentages (60.0%)."""
    return frac(x) if part["what"] in ("precision", "macro-F1") else pct(x)


def table(headers, rows, markdown):
    rows = [[str(c) for c in r] for r in rows]
    if markdown:
        rows = [[c.replace("|", "\\|") for c in r] for r in rows]
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def snippet(text, begin, end, width=90):
    """The match with some context, on one line, at most ~width characters."""
    raw = text.encode("utf-8")
    b = len(raw[:begin].decode("utf-8", "ignore"))
    e = len(raw[:end].decode("utf-8", "ignore"))
    side = max(10, (width - (e - b)) // 2)
    lo, hi = max(0, b - side), min(len(text), e + side)
    s = text[lo:b] + "[" + text[b:e] + "]" + text[e:hi]
    s = " ".join(s.split())
    return ("…" if lo > 0 else "") + s[:width + 2] + ("…" if hi < len(text) else "")


def render(report, model_note, markdown, fa_examples=None):
    """The tables, as terminal text or as Markdown (docs/QUALITY.md). Examples only on terminal."""
    h = (lambda t: f"\n### {t}\n") if markdown else (lambda t: f"\n== {t}")
    out = []
    alert = report["alert_threshold"]
    out.append(h("Targets (issue 25)"))
    rows = []
    for t in report["targets"]:
        figs = "; ".join(f"{p['what']} {fmt_target(p, p['value'])} "
                         f"(target {p['op']} {fmt_target(p, p['threshold'])})"
                         for p in t["parts"])
        rows.append([t["status"], t["name"], figs])
    out.append(table(["status", "target", "figures"], rows, markdown))
    if model_note:
        out.append(("\n" if markdown else "") + model_note)

    out.append(h(f"Positives: per set, gold label and detector (alert = severity >= {alert})"))
    rows = []
    for name, s in report["sets"].items():
        for label, e in s["labels"].items():
            for det, d in e["detectors"].items():
                rows.append([name, label + ("" if e["tracked"] else " (info)"), det, e["n"],
                             pct(d["recall"]), frac(d["precision"]), frac(d["f1"]),
                             pct(s["negatives"]["detectors"].get(det)), pct(e["any_rule"]),
                             pct(e["medium_plus"]), pct(e["alert"])])
    out.append(table(["set", "label", "detected =", "n", "recall", "precision", "F1",
                      "on negatives", "any rule", "medium+", "alert"], rows, markdown))

    out.append(h("Negatives: false-alarm rates on ordinary text"))
    rows = [[name, s["negatives_name"], s["negatives"]["n"], pct(s["negatives"]["any_rule"]),
             pct(s["negatives"]["low_plus"]), pct(s["negatives"]["medium_plus"]),
             pct(s["negatives"]["alert"])]
            for name, s in report["sets"].items() if s["negatives"]["n"]]
    out.append(table(["set", "negatives", "n", "any rule", "low+", "medium+", "alert"], rows,
                     markdown))

    out.append(h("Severities (texts per severity)"))
    rows, total = [], {k: 0 for k in setsmod.SEVERITIES}
    for name, s in report["sets"].items():
        counts = [s["severities"].get(k, 0) for k in setsmod.SEVERITIES]
        for k, c in zip(setsmod.SEVERITIES, counts):
            total[k] += c
        rows.append([name, s["n"]] + counts)
    rows.append(["all", sum(total.values())] + [total[k] for k in setsmod.SEVERITIES])
    out.append(table(["set", "n"] + list(setsmod.SEVERITIES), rows, markdown))

    out.append(h("Categories (share of positives / negatives carrying each)"))
    rows = []
    for name, s in report["sets"].items():
        cats = s["categories"]
        for c in sorted(set(cats["positives"]) | set(cats["negatives"])):
            rows.append([name, c,
                         pct(metrics.ratio(cats["positives"].get(c, 0), s["n_pos"])),
                         pct(metrics.ratio(cats["negatives"].get(c, 0), s["n_neg"]))])
    out.append(table(["set", "category", "positives", "negatives"], rows, markdown))

    out.append(h("By dataset language (detected = the classifier's `language`)"))
    rows = []
    for lang, l in report["languages"].items():
        n = l["n"]
        conf = ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in
                         sorted(l["detected_as"].items(), key=lambda kv: -kv[1]))
        rows.append([lang, n, l["n_pos"], pct(l["pos_medium_plus"]), l["n_neg"],
                     pct(l["neg_medium_plus"]), pct(l["neg_alert"]), conf])
    out.append(table(["lang", "n", "positives", "pos medium+", "negatives", "neg medium+",
                      "neg alert", "detected as"], rows, markdown))

    for name, s in report["sets"].items():
        if not s["groups"]:
            continue
        out.append(h(f"{name}: by {s['group_title'] or 'group'}"))
        rows = [[g, v["n"], v["n_pos"], pct(v["pos_medium_plus"]), pct(v["any_rule"]),
                 pct(v["medium_plus"]), pct(v["alert"])]
                for g, v in sorted(s["groups"].items(), key=lambda kv: -kv[1]["n"])]
        out.append(table([s["group_title"] or "group", "n", "positives", "pos medium+",
                          "any rule", "medium+", "alert"], rows, markdown))

    out.append(h("Top false-alarm rules (negatives reaching medium+)"))
    rows = [[r["rule_id"], r["count"],
             ", ".join(f"{k} {v}" for k, v in sorted(r["by_set"].items(), key=lambda kv: -kv[1]))]
            for r in report["false_alarm_rules"]]
    out.append(table(["rule", "texts", "by set"], rows, markdown) if rows else "none")
    if fa_examples and not markdown:
        out.append("\nExamples (development data: terminal only, never in the repository):")
        for r in report["false_alarm_rules"]:
            for s, m in fa_examples.get(r["rule_id"], []):
                out.append(f"  {r['rule_id']:<22} {s.set}#{s.id}: {snippet(s.text, m[1], m[2])}")
    for w in report["warnings"]:
        out.append(f"\nwarning: {w}")
    return "\n".join(out)


# --- Baseline and gate ---------------------------------------------------------------------------

def load_baseline(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_baseline(path, report, sets_run, old):
    tol = (old or {}).get("tolerance_points", 1.0)
    min_n = (old or {}).get("min_n", 30)
    overrides = (old or {}).get("tolerance_overrides", DEFAULT_OVERRIDES)
    doc = {
        "comment": "Regression gate of bench/quality/quality.py --gate (docs/QUALITY.md). "
                   "Figures in percentage points. A tracked figure may move the wrong way by at "
                   "most tolerance_points (tolerance_overrides: per figure); regenerate with "
                   "--write-baseline after an intended change and record it in docs/QUALITY.md. "
                   "--write-baseline keeps tolerance_points, tolerance_overrides and min_n.",
        "tolerance_points": tol,
        "tolerance_overrides": overrides,
        "min_n": min_n,
        "alert_threshold": report["alert_threshold"],
        "sets": sets_run,
        "rules": report["meta"]["rules_rel"],
        "figures": metrics.tracked_figures(report, min_n),
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False, sort_keys=False)
        f.write("\n")
    return doc


def gate(baseline, report, skip_sets):
    """Prints the verdict; -> exit status. skip_sets: sets absent from the data dir or not
    selected with --sets (their baseline figures are not compared)."""
    if baseline.get("alert_threshold") != report["alert_threshold"]:
        print(f"gate: the baseline was measured with alert threshold "
              f"{baseline.get('alert_threshold')}, this run with {report['alert_threshold']}")
        return 1
    current = metrics.tracked_figures(report, int(baseline.get("min_n", 30)))
    tol = float(baseline.get("tolerance_points", 1.0))
    res = metrics.compare(baseline["figures"], current, tol, skip_sets=skip_sets,
                          overrides=baseline.get("tolerance_overrides"))
    if res["skipped"]:
        print(f"gate: {len(res['skipped'])} baseline figures not compared (sets absent or not "
              f"selected: {', '.join(sorted(skip_sets))})")
    for line in res["improvements"]:
        print(f"gate: improved: {line}")
    for line in res["new"]:
        print(f"gate: new figure: {line}")
    if res["failures"]:
        print(f"\ngate: FAILED — {len(res['failures'])} figure(s) moved the wrong way by more "
              f"than {tol:g} point(s):")
        for line in res["failures"]:
            print(f"  {line}")
        print("If the change is intended, run bench/quality/quality.py --write-baseline and add "
              "a History row to docs/QUALITY.md.")
        return 1
    print(f"\ngate: passed ({len(baseline['figures']) - len(res['skipped'])} figures within "
          f"{tol:g} point(s) of the baseline; {len(res['improvements'])} improved)")
    return 0


# --- Main ----------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sakchy", default=os.path.join(REPO, "build", "service", "sakchy"),
                   help="the sakchy binary (default: build/service/sakchy of this repository)")
    p.add_argument("--rules", default=os.path.join(REPO, "config", "defaults", "rules"),
                   help="rules directory (default: config/defaults/rules)")
    p.add_argument("--areas", help="areas file (default: the binary's bundled Kyrgyz areas)")
    p.add_argument("--data", help="data dir (default: $SAKCHY_SHARED_DATA, <repo>/../shared/data, "
                                  "/work/shared/data)")
    p.add_argument("--sets", help="comma-separated set names, or 'all' (default: every "
                                  "non-optional set; with --gate: the baseline's sets)")
    p.add_argument("--alert-threshold", default="high", choices=setsmod.SEVERITIES,
                   help="severity that counts as an alert (default: high)")
    p.add_argument("--json", metavar="FILE", help="write every figure to FILE")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--gate", action="store_true", help="compare with the baseline; exit 1 when a "
                                                       "tracked figure regressed")
    p.add_argument("--baseline", default=DEFAULT_BASELINE, help="baseline file for --gate and "
                                                                "--write-baseline")
    p.add_argument("--write-baseline", action="store_true",
                   help="write this run's tracked figures to the baseline file")
    p.add_argument("--model-cmd", metavar="CMD",
                   help="command printing the learned scorer's JSON (e.g. 'sakchy model eval "
                        "...'); its macro_f1 is the PHEME target")
    p.add_argument("--top", type=int, default=10, help="false-alarm rules listed (default 10)")
    p.add_argument("--examples", type=int, default=2, help="examples per false-alarm rule")
    p.add_argument("--quiet", action="store_true", help="no tables (with --gate: only the verdict)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.monotonic()
    data_dir = find_data_dir(args.data)
    if not data_dir or not os.path.isdir(data_dir):
        where = args.data or "SAKCHY_SHARED_DATA, ../shared/data, /work/shared/data"
        print(f"quality: no data dir ({where}): skipped")
        return SKIP
    baseline = None
    if args.gate or args.write_baseline:
        if os.path.exists(args.baseline):
            baseline = load_baseline(args.baseline)
        elif args.gate:
            print(f"quality: no baseline {args.baseline}: run with --write-baseline first")
            return 2
    names = args.sets.split(",") if args.sets else None
    if names is None and args.gate and baseline:
        names = baseline.get("sets")
    try:
        specs = setsmod.select_sets(names)
    except ValueError as e:
        print(f"quality: {e}")
        return 2
    samples, missing = setsmod.load_samples(data_dir, specs)
    for m in missing:
        print(f"quality: set {m} is absent from {data_dir}: not measured")
    if not samples:
        print(f"quality: none of the selected sets is in {data_dir}: skipped")
        return SKIP
    if not os.access(args.sakchy, os.X_OK):
        print(f"quality: no sakchy binary at {args.sakchy} (build it, or pass --sakchy PATH)")
        return 2
    t1 = time.monotonic()
    try:
        results = classify(args.sakchy, args.rules, args.areas, samples)
    except (RuntimeError, ValueError, OSError) as e:
        print(f"quality: {e}")
        return 2
    t2 = time.monotonic()
    report, fa_examples = metrics.evaluate(samples, results, specs, args.alert_threshold,
                                           args.top, args.examples)
    model, model_note = None, "PHEME learned scorer: not measured (no --model-cmd)."
    if args.model_cmd:
        model, err = run_model_cmd(args.model_cmd, data_dir)
        model_note = (f"PHEME learned scorer: {err}" if err else
                      f"PHEME learned scorer (`{args.model_cmd}`): macro-F1 "
                      f"{frac(metrics.model_macro_f1(model))}")
    report["targets"] = metrics.targets(report, model)
    report["model"] = model
    rules_rel = os.path.relpath(os.path.abspath(args.rules), REPO)
    report["meta"] = {
        "rules": os.path.abspath(args.rules), "rules_rel": rules_rel,
        "sakchy": os.path.abspath(args.sakchy), "data_dir": data_dir,
        "sets": [s.name for s in specs if s.name not in missing], "missing_sets": missing,
        "load_seconds": round(t1 - t0, 2), "classify_seconds": round(t2 - t1, 2),
        "total_seconds": round(time.monotonic() - t0, 2),
        "texts_per_second": round(len(samples) / max(t2 - t1, 1e-9)),
    }
    if not (args.quiet or args.markdown):
        print(f"Sakchy detection quality: {len(samples)} texts from {len(report['sets'])} sets "
              f"in {data_dir}; rules {rules_rel}; classify {t2 - t1:.1f} s "
              f"({report['meta']['texts_per_second']} texts/s), total "
              f"{report['meta']['total_seconds']:.1f} s")
        print(render(report, model_note, False, fa_examples))
    if args.markdown:
        print(render(report, model_note, True))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
            f.write("\n")
    status = 0
    if args.gate:
        ran = set(report["meta"]["sets"])
        status = gate(baseline, report, {k.split("/", 1)[0] for k in baseline["figures"]} - ran)
    if args.write_baseline:
        doc = write_baseline(args.baseline, report, report["meta"]["sets"], baseline)
        print(f"quality: wrote {len(doc['figures'])} tracked figures to {args.baseline}")
    return status


if __name__ == "__main__":
    sys.exit(main())
