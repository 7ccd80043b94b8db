"""Pure metric code of the quality harness: no I/O, no subprocess (selftest.py drives it directly).

Contracts:
- parse_result() turns one `sakchy classify` output object into a Result; unknown severities rank
  as info (and are reported in report["warnings"]), unknown categories are just strings.
- evaluate() computes every figure of a run from (samples, results) with results[i] belonging to
  samples[i]. Rates and recall/precision/F1 are fractions in [0, 1]; None when undefined (0/0).
- tracked_figures() flattens a report into the gate's figures, in percentage points, each with
  the direction that is better; compare() applies the tolerance.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Optional

from sets import SEVERITIES, Detector

LANGS = ("ky", "ru", "uz", "en", "unknown", "n/a")


@dataclass
class Result:
    severity: str = "info"
    categories: frozenset = frozenset()
    rule_ids: tuple = ()             # distinct, first-seen order
    matches: list = field(default_factory=list)  # (rule_id, begin, end) UTF-8 byte offsets
    language: str = "n/a"            # "n/a" when the binary does not report it
    score: float = 0.0
    error: Optional[str] = None


def parse_result(obj: dict) -> Result:
    if "error" in obj:
        return Result(error=str(obj["error"]))
    matches = [(str(m.get("rule_id", "")), int(m.get("begin", 0)), int(m.get("end", 0)))
               for m in obj.get("matches") or []]
    rule_ids = tuple(dict.fromkeys(m[0] for m in matches))
    return Result(severity=str(obj.get("severity", "info")),
                  categories=frozenset(str(c) for c in obj.get("categories") or []),
                  rule_ids=rule_ids, matches=matches,
                  language=str(obj.get("language", "n/a")), score=float(obj.get("score", 0)))


def severity_rank(name: str) -> int:
    """0 (info) .. 4 (critical); an unknown name ranks as info."""
    try:
        return SEVERITIES.index(name)
    except ValueError:
        return 0


def reaches(result: Result, min_severity: str) -> bool:
    return severity_rank(result.severity) >= severity_rank(min_severity)


def detected(det: Detector, result: Result) -> bool:
    if result.error is not None:
        return False
    if det.min_severity is not None and reaches(result, det.min_severity):
        return True
    return bool(det.categories & result.categories)


def ratio(num: int, den: int) -> Optional[float]:
    return num / den if den else None


def prf(tp: int, fp: int, fn: int) -> tuple:
    """(precision, recall, F1); each None when its denominator is 0."""
    p = ratio(tp, tp + fp)
    r = ratio(tp, tp + fn)
    f1 = None
    if p is not None and r is not None:
        f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f1


def _rates(results: list, alert: str) -> dict:
    n = len(results)
    return {
        "n": n,
        "any_rule": ratio(sum(1 for r in results if r.rule_ids), n),
        "low_plus": ratio(sum(1 for r in results if reaches(r, "low")), n),
        "medium_plus": ratio(sum(1 for r in results if reaches(r, "medium")), n),
        "alert": ratio(sum(1 for r in results if reaches(r, alert)), n),
    }


def _set_detectors(spec) -> list:
    seen = {}
    for label in spec.labels.values():
        for det in label.detectors:
            seen.setdefault(det.name, det)
    return list(seen.values())


def _evaluate_set(spec, pairs: list, alert: str) -> dict:
    neg = [r for s, r in pairs if not s.labels]
    out = {
        "lang": spec.lang, "note": spec.note, "negatives_name": spec.negatives,
        "group_title": spec.group_title,
        "n": len(pairs), "n_pos": sum(1 for s, _ in pairs if s.labels), "n_neg": len(neg),
        "errors": sum(1 for _, r in pairs if r.error is not None),
        "severities": dict(Counter(r.severity for _, r in pairs)),
        "negatives": _rates(neg, alert),
        "labels": {},
        "groups": {},
        "languages": dict(Counter(r.language for _, r in pairs)),
        "categories": {"positives": dict(Counter(c for s, r in pairs if s.labels
                                                 for c in r.categories)),
                       "negatives": dict(Counter(c for r in neg for c in r.categories))},
    }
    dets = _set_detectors(spec)
    out["negatives"]["detectors"] = {
        d.name: ratio(sum(1 for r in neg if detected(d, r)), len(neg)) for d in dets}
    for label, lspec in spec.labels.items():
        pos = [r for s, r in pairs if label in s.labels]
        entry = dict(_rates(pos, alert))
        entry["tracked"] = lspec.tracked
        entry["detectors"] = {}
        for d in lspec.detectors:
            tp = sum(1 for r in pos if detected(d, r))
            fp = sum(1 for r in neg if detected(d, r))
            p, rc, f1 = prf(tp, fp, len(pos) - tp)
            entry["detectors"][d.name] = {"tp": tp, "fn": len(pos) - tp, "fp": fp,
                                          "tn": len(neg) - fp, "precision": p, "recall": rc,
                                          "f1": f1, "rule": d.note}
        out["labels"][label] = entry
    by_group = defaultdict(list)
    for s, r in pairs:
        for g in s.groups:
            by_group[g].append((s, r))
    for g, gp in sorted(by_group.items()):
        rates = _rates([r for _, r in gp], alert)
        gpos = [r for s, r in gp if s.labels]
        rates["n_pos"] = len(gpos)
        rates["pos_medium_plus"] = ratio(sum(1 for r in gpos if reaches(r, "medium")), len(gpos))
        out["groups"][g] = rates
    return out


def _by_language(samples: list, results: list, alert: str) -> dict:
    groups = defaultdict(list)
    for s, r in zip(samples, results):
        groups[s.lang].append((s, r))
    out = {}
    for lang, pairs in sorted(groups.items()):
        pos = [r for s, r in pairs if s.labels]
        neg = [r for s, r in pairs if not s.labels]
        detected_as = Counter(r.language for _, r in pairs)
        out[lang] = {
            "n": len(pairs), "n_pos": len(pos), "n_neg": len(neg),
            "pos_medium_plus": ratio(sum(1 for r in pos if reaches(r, "medium")), len(pos)),
            "neg_medium_plus": ratio(sum(1 for r in neg if reaches(r, "medium")), len(neg)),
            "neg_alert": ratio(sum(1 for r in neg if reaches(r, alert)), len(neg)),
            "detected_as": dict(detected_as),
            "language_accuracy": ratio(detected_as.get(lang, 0), len(pairs))
            if "n/a" not in detected_as else None,
        }
    return out


def false_alarm_rules(samples: list, results: list, top: int, examples: int) -> tuple:
    """Rules firing on negatives that reach medium+: ([{rule_id, count, by_set}], {rule: [ex]}).
    An example is (sample, result, match) for the terminal only; figures never carry text."""
    count = Counter()
    by_set = defaultdict(Counter)
    ex = defaultdict(list)
    for s, r in zip(samples, results):
        if s.labels or not reaches(r, "medium"):
            continue
        for rid in r.rule_ids:
            count[rid] += 1
            by_set[rid][s.set] += 1
            if len(ex[rid]) < examples:
                m = next(m for m in r.matches if m[0] == rid)
                ex[rid].append((s, m))
    rows = [{"rule_id": rid, "count": c, "by_set": dict(by_set[rid])}
            for rid, c in count.most_common(top)]
    return rows, {row["rule_id"]: ex[row["rule_id"]] for row in rows}


def evaluate(samples: list, results: list, specs: list, alert: str = "high",
             top: int = 10, examples: int = 2) -> tuple:
    """-> (report, examples). report holds figures only (no texts)."""
    if len(samples) != len(results):
        raise ValueError(f"{len(samples)} samples but {len(results)} results")
    if alert not in SEVERITIES:
        raise ValueError(f"alert threshold '{alert}' is not one of {', '.join(SEVERITIES)}")
    by_set = defaultdict(list)
    for s, r in zip(samples, results):
        by_set[s.set].append((s, r))
    report = {"alert_threshold": alert, "n": len(samples), "sets": {}, "warnings": []}
    for spec in specs:
        if spec.name in by_set:
            report["sets"][spec.name] = _evaluate_set(spec, by_set[spec.name], alert)
    report["languages"] = _by_language(samples, results, alert)
    fa_rows, fa_examples = false_alarm_rules(samples, results, top, examples)
    report["false_alarm_rules"] = fa_rows
    unknown = sorted({r.severity for r in results if r.error is None} - set(SEVERITIES))
    if unknown:
        report["warnings"].append(f"unknown severities ranked as info: {', '.join(unknown)}")
    errors = sum(1 for r in results if r.error is not None)
    if errors:
        report["warnings"].append(f"{errors} texts could not be classified (counted as missed)")
    return report, fa_examples


# --- Targets (issue 25) --------------------------------------------------------------------------

def _get(report: dict, *path):
    node = report
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _check(value: Optional[float], op: str, threshold: float) -> Optional[bool]:
    if value is None:
        return None
    return value >= threshold if op == ">=" else value <= threshold


def targets(report: dict, model: Optional[dict] = None) -> list:
    """Each target: {name, parts: [{what, value, op, threshold, ok}], status}. status is PASS,
    FAIL or "not measured" (a figure is missing: set absent, or no --model-cmd)."""
    sens = ("sets", "ru-sensitive-topics")
    news = ("sets", "ky-24kg-news", "negatives")
    tox = ("sets", "ru-toxic-2ch-pikabu", "labels", "toxic", "detectors", "hate/insult/threat")
    spec = [
        ("Sensitive topics: medium+ recall >= 60% with not-sensitive <= 5% medium+", [
            ("recall medium+ (terrorism/weapons/offline_crime/racism)",
             _get(report, *sens, "labels", "sensitive", "detectors", "medium+", "recall"),
             ">=", 0.60),
            ("no-topic rows medium+", _get(report, *sens, "negatives", "medium_plus"), "<=", 0.05),
        ]),
        ("Kyrgyz news: alerts <= 1%, medium+ <= 10%", [
            ("alert rate", _get(report, *news, "alert"), "<=", 0.01),
            ("medium+ rate", _get(report, *news, "medium_plus"), "<=", 0.10),
        ]),
        ("Russian toxic: hate/insult/threat recall >= 50% at precision >= 0.8", [
            ("recall", _get(report, *tox, "recall"), ">=", 0.50),
            ("precision", _get(report, *tox, "precision"), ">=", 0.80),
        ]),
        ("PHEME leave-one-event-out: learned scorer macro-F1 >= 0.65", [
            ("macro-F1", model_macro_f1(model), ">=", 0.65),
        ]),
    ]
    out = []
    for name, parts in spec:
        checked = [{"what": w, "value": v, "op": op, "threshold": t, "ok": _check(v, op, t)}
                   for w, v, op, t in parts]
        oks = [p["ok"] for p in checked]
        status = "not measured" if None in oks else ("PASS" if all(oks) else "FAIL")
        out.append({"name": name, "parts": checked, "status": status})
    return out


def model_macro_f1(model: Optional[dict]) -> Optional[float]:
    """The macro-F1 in the learned scorer's JSON, first found of: top-level "macro_f1"; under
    "pheme" or "leave_one_event_out"; "overall" (`sakchy model eval --json`); "cross_validation"
    -> "pooled" (a model's card.json). None when absent or not a number in [0, 1]."""
    if not isinstance(model, dict):
        return None
    cv = model.get("cross_validation")
    nodes = (model, model.get("pheme"), model.get("leave_one_event_out"), model.get("overall"),
             cv.get("pooled") if isinstance(cv, dict) else None)
    for node in nodes:
        if isinstance(node, dict):
            v = node.get("macro_f1")
            if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1:
                return float(v)
    return None


# --- Regression gate -----------------------------------------------------------------------------

def tracked_figures(report: dict, min_n: int) -> dict:
    """{key: {"value": points, "better": "higher"|"lower", "n": samples}} for the gate: the recall
    of every tracked label/detector with >= min_n positives, and the medium+, alert and detector
    rates on each set's negatives (>= min_n of them)."""
    figs = {}
    for name, s in report.get("sets", {}).items():
        for label, entry in s["labels"].items():
            if not entry["tracked"] or entry["n"] < min_n:
                continue
            for det, d in entry["detectors"].items():
                if d["recall"] is not None:
                    figs[f"{name}/{label}/{det}/recall"] = {
                        "value": round(100 * d["recall"], 3), "better": "higher", "n": entry["n"]}
        neg = s["negatives"]
        if neg["n"] < min_n:
            continue
        rates = [("medium+", neg["medium_plus"]), ("alert", neg["alert"])]
        rates += [(f"detected:{k}", v) for k, v in neg["detectors"].items() if k != "medium+"]
        for what, v in rates:
            if v is not None:
                figs[f"{name}/negatives/{what}"] = {"value": round(100 * v, 3), "better": "lower",
                                                    "n": neg["n"]}
    return figs


def compare(baseline: dict, current: dict, tolerance: float, skip_sets=(),
            overrides=None) -> dict:
    """Gate decision. baseline/current: tracked_figures() maps. A figure fails when it moved the
    wrong way by MORE than its tolerance (overrides[key], else `tolerance`, in points), or when it
    is absent from the current run (unless its set is in skip_sets). -> {"failures": [...],
    "improvements": [...], "new": [...], "skipped": [...]} of human-readable lines; no failures
    = pass."""
    out = {"failures": [], "improvements": [], "new": [], "skipped": []}
    overrides = overrides or {}
    for key, b in sorted(baseline.items()):
        if key.split("/", 1)[0] in skip_sets:
            out["skipped"].append(key)
            continue
        c = current.get(key)
        if c is None:
            out["failures"].append(f"{key}: in the baseline ({b['value']:.2f}) but not measured")
            continue
        tol = float(overrides.get(key, tolerance))
        delta = c["value"] - b["value"]
        worse = -delta if b["better"] == "higher" else delta
        line = (f"{key}: {b['value']:.2f} -> {c['value']:.2f} ({delta:+.2f} points; "
                f"{b['better']} is better, tolerance {tol:.2f})")
        if worse > tol + 1e-9:
            out["failures"].append(line)
        elif -worse > tol + 1e-9:
            out["improvements"].append(line)
    for key in sorted(set(current) - set(baseline)):
        out["new"].append(f"{key}: {current[key]['value']:.2f} (not in the baseline)")
    return out
