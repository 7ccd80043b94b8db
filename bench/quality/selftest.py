#!/usr/bin/env python3
"""Self-test of the quality harness: metric arithmetic, thresholds, target and gate logic on
synthetic classifier output, the loaders on tiny CSVs written here, and the whole command with a
fake `sakchy` (a Python script) so the gate is shown to fail when a figure regresses.
Needs no data dir and no build. Run: python3 bench/quality/selftest.py (CTest: quality_selftest).
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import metrics  # noqa: E402
import sets as setsmod  # noqa: E402
from metrics import Result  # noqa: E402
from sets import Detector, LabelSpec, Sample, SetSpec  # noqa: E402

HATE = Detector("hate", categories=frozenset({"hate"}))
SPEC = SetSpec("toy", "ru", "toy.csv", None, "clean",
               {"bad": LabelSpec((HATE, setsmod.MEDIUM_PLUS)),
                "rare": LabelSpec((setsmod.MEDIUM_PLUS,), tracked=False)}, "group")


def sample(i, labels=(), groups=(), lang="ru", text="текст"):
    return Sample("toy", str(i), lang, text, frozenset(labels), tuple(groups))


def result(sev="info", cats=(), rules=(), lang="ru"):
    return Result(severity=sev, categories=frozenset(cats), rule_ids=tuple(rules),
                  matches=[(r, 0, 2) for r in rules], language=lang)


class Arithmetic(unittest.TestCase):
    def test_prf(self):
        p, r, f1 = metrics.prf(tp=8, fp=2, fn=8)
        self.assertAlmostEqual(p, 0.8)
        self.assertAlmostEqual(r, 0.5)
        self.assertAlmostEqual(f1, 2 * 0.8 * 0.5 / 1.3)

    def test_prf_undefined(self):
        self.assertEqual(metrics.prf(0, 0, 0), (None, None, None))
        self.assertEqual(metrics.prf(0, 0, 5), (None, 0.0, None))
        self.assertEqual(metrics.prf(0, 3, 5), (0.0, 0.0, 0.0))

    def test_severity_threshold_is_inclusive(self):
        self.assertTrue(metrics.detected(setsmod.MEDIUM_PLUS, result("medium")))
        self.assertTrue(metrics.detected(setsmod.MEDIUM_PLUS, result("critical")))
        self.assertFalse(metrics.detected(setsmod.MEDIUM_PLUS, result("low")))
        self.assertFalse(metrics.reaches(result("medium"), "high"))
        self.assertTrue(metrics.reaches(result("high"), "high"))

    def test_categories_unknown_and_errors(self):
        self.assertTrue(metrics.detected(HATE, result("info", ["hate", "brand_new_category"])))
        self.assertFalse(metrics.detected(HATE, result("critical", ["violence"])))
        self.assertFalse(metrics.detected(setsmod.MEDIUM_PLUS, Result(error="bad line")))
        self.assertEqual(metrics.severity_rank("apocalyptic"), 0)

    def test_parse_result(self):
        r = metrics.parse_result({"line": 1, "score": 3.5, "severity": "medium",
                                  "categories": ["violence", "zzz"], "language": "ky",
                                  "matches": [{"rule_id": "a", "begin": 0, "end": 3},
                                              {"rule_id": "b", "begin": 4, "end": 5},
                                              {"rule_id": "a", "begin": 6, "end": 9}]})
        self.assertEqual(r.rule_ids, ("a", "b"))
        self.assertEqual(r.categories, frozenset({"violence", "zzz"}))
        self.assertEqual(r.language, "ky")
        self.assertEqual(metrics.parse_result({"line": 2}).language, "n/a")
        self.assertEqual(metrics.parse_result({"line": 3, "error": "x"}).error, "x")


class Evaluate(unittest.TestCase):
    def setUp(self):
        # 4 positives of "bad": 2 hate (one high), 1 medium without hate, 1 missed.
        # 6 negatives: 1 hate at low (FA of the hate detector), 1 medium (rule r1), 1 high (r1, r2).
        self.samples = [sample(0, ["bad"], ["g1"]), sample(1, ["bad"], ["g1"]),
                        sample(2, ["bad"]), sample(3, ["bad"], lang="ky"),
                        sample(4, [], ["g1"]), sample(5), sample(6), sample(7), sample(8),
                        sample(9, ["other"])]
        self.results = [result("high", ["hate"], ["h"]), result("low", ["hate"], ["h"]),
                        result("medium", ["violence"], ["v"]), result("info", lang="ru"),
                        result("low", ["hate"], ["h"]), result("medium", [], ["r1"]),
                        result("high", [], ["r1", "r2"]), result(), result(lang="en"),
                        result("critical", ["hate"], ["h"])]

    def run_eval(self, alert="high"):
        return metrics.evaluate(self.samples, self.results, [SPEC], alert, top=5, examples=1)

    def test_label_figures(self):
        rep, _ = self.run_eval()
        s = rep["sets"]["toy"]
        self.assertEqual((s["n"], s["n_pos"], s["n_neg"]), (10, 5, 5))
        hate = s["labels"]["bad"]["detectors"]["hate"]
        self.assertEqual((hate["tp"], hate["fn"], hate["fp"], hate["tn"]), (2, 2, 1, 4))
        self.assertAlmostEqual(hate["recall"], 0.5)
        self.assertAlmostEqual(hate["precision"], 2 / 3)
        med = s["labels"]["bad"]["detectors"]["medium+"]
        self.assertEqual((med["tp"], med["fp"]), (2, 2))
        self.assertAlmostEqual(s["labels"]["bad"]["alert"], 0.25)
        self.assertEqual(s["labels"]["rare"]["n"], 0)
        self.assertIsNone(s["labels"]["rare"]["detectors"]["medium+"]["recall"])
        # The row labelled only "other" is neither positive for "bad" nor a negative.
        self.assertAlmostEqual(s["negatives"]["medium_plus"], 2 / 5)
        self.assertAlmostEqual(s["negatives"]["alert"], 1 / 5)
        self.assertAlmostEqual(s["negatives"]["detectors"]["hate"], 1 / 5)

    def test_alert_threshold(self):
        rep, _ = self.run_eval("medium")
        self.assertAlmostEqual(rep["sets"]["toy"]["negatives"]["alert"], 2 / 5)
        rep, _ = self.run_eval("critical")
        self.assertAlmostEqual(rep["sets"]["toy"]["negatives"]["alert"], 0.0)
        with self.assertRaises(ValueError):
            self.run_eval("severe")

    def test_groups_languages_false_alarms(self):
        rep, ex = self.run_eval()
        g1 = rep["sets"]["toy"]["groups"]["g1"]
        self.assertEqual((g1["n"], g1["n_pos"]), (3, 2))
        self.assertAlmostEqual(g1["pos_medium_plus"], 0.5)
        self.assertEqual(rep["languages"]["ru"]["detected_as"], {"ru": 8, "en": 1})
        self.assertAlmostEqual(rep["languages"]["ky"]["language_accuracy"], 0.0)
        fa = rep["false_alarm_rules"]
        self.assertEqual([(r["rule_id"], r["count"]) for r in fa], [("r1", 2), ("r2", 1)])
        self.assertEqual(len(ex["r1"]), 1)
        self.assertNotIn("текст", json.dumps(rep, ensure_ascii=False))

    def test_length_mismatch(self):
        with self.assertRaises(ValueError):
            metrics.evaluate(self.samples, self.results[:-1], [SPEC])


def fake_report(recall, neg_medium, precision=0.9, news_alert=0.0, news_medium=0.0):
    det = lambda r, p: {"recall": r, "precision": p, "f1": None}  # noqa: E731
    return {"sets": {
        "ru-sensitive-topics": {"labels": {"sensitive": {"detectors": {"medium+": det(recall, None)}}},
                                "negatives": {"medium_plus": neg_medium}},
        "ky-24kg-news": {"negatives": {"alert": news_alert, "medium_plus": news_medium}},
        "ru-toxic-2ch-pikabu": {"labels": {"toxic": {"detectors": {
            "hate/insult/threat": det(recall, precision)}}}}}}


class Targets(unittest.TestCase):
    def status(self, report, model=None):
        return [t["status"] for t in metrics.targets(report, model)]

    def test_pass_fail_not_measured(self):
        self.assertEqual(self.status(fake_report(0.6, 0.05), {"macro_f1": 0.65}),
                         ["PASS", "PASS", "PASS", "PASS"])
        self.assertEqual(self.status(fake_report(0.59, 0.05, precision=0.79, news_alert=0.011)),
                         ["FAIL", "FAIL", "FAIL", "not measured"])
        self.assertEqual(self.status(fake_report(0.9, 0.051)), ["FAIL", "PASS", "PASS",
                                                                "not measured"])
        self.assertEqual(self.status({"sets": {}})[:3], ["not measured"] * 3)

    def test_model_json(self):
        self.assertEqual(metrics.model_macro_f1({"pheme": {"macro_f1": 0.7}}), 0.7)
        self.assertEqual(metrics.model_macro_f1({"leave_one_event_out": {"macro_f1": 1}}), 1.0)
        self.assertEqual(metrics.model_macro_f1({"overall": {"macro_f1": 0.5}}), 0.5)
        self.assertEqual(metrics.model_macro_f1(
            {"cross_validation": {"scheme": "group", "pooled": {"macro_f1": 0.66}}}), 0.66)
        self.assertIsNone(metrics.model_macro_f1({"macro_f1": "0.7"}))
        self.assertIsNone(metrics.model_macro_f1({"macro_f1": 70}))
        self.assertIsNone(metrics.model_macro_f1(None))


class Gate(unittest.TestCase):
    BASE = {"s/l/d/recall": {"value": 50.0, "better": "higher"},
            "s/negatives/medium+": {"value": 4.0, "better": "lower"},
            "t/negatives/alert": {"value": 0.0, "better": "lower"}}

    def cur(self, recall, medium, alert=0.0):
        return {"s/l/d/recall": {"value": recall, "better": "higher"},
                "s/negatives/medium+": {"value": medium, "better": "lower"},
                "t/negatives/alert": {"value": alert, "better": "lower"}}

    def test_within_tolerance_passes(self):
        res = metrics.compare(self.BASE, self.cur(49.0, 5.0, 1.0), 1.0)
        self.assertEqual(res["failures"], [])

    def test_recall_drop_fails_and_names_the_figure(self):
        res = metrics.compare(self.BASE, self.cur(48.9, 4.0), 1.0)
        self.assertEqual(len(res["failures"]), 1)
        self.assertTrue(res["failures"][0].startswith("s/l/d/recall: 50.00 -> 48.90"))

    def test_false_alarm_rise_fails(self):
        res = metrics.compare(self.BASE, self.cur(50.0, 5.2, 1.5), 1.0)
        self.assertEqual([f.split(":")[0] for f in res["failures"]],
                         ["s/negatives/medium+", "t/negatives/alert"])

    def test_per_figure_override(self):
        res = metrics.compare(self.BASE, self.cur(50.0, 4.0, 0.1), 1.0,
                              overrides={"t/negatives/alert": 0.0})
        self.assertEqual([f.split(":")[0] for f in res["failures"]], ["t/negatives/alert"])

    def test_improvements_and_missing(self):
        cur = self.cur(70.0, 0.0)
        del cur["t/negatives/alert"]
        cur["new/x"] = {"value": 1.0, "better": "lower"}
        res = metrics.compare(self.BASE, cur, 1.0)
        self.assertEqual(len(res["improvements"]), 2)
        self.assertEqual(res["failures"], ["t/negatives/alert: in the baseline (0.00) but not "
                                           "measured"])
        self.assertEqual(len(res["new"]), 1)
        res = metrics.compare(self.BASE, cur, 1.0, skip_sets=("t",))
        self.assertEqual(res["failures"], [])

    def test_tracked_figures(self):
        samples = [sample(i, ["bad"]) for i in range(40)] + [sample(40 + i) for i in range(40)]
        results = [result("medium", ["hate"]) for _ in range(10)] + [result()] * 70
        rep, _ = metrics.evaluate(samples, results, [SPEC])
        figs = metrics.tracked_figures(rep, min_n=30)
        self.assertEqual(figs["toy/bad/hate/recall"]["value"], 25.0)
        self.assertEqual(figs["toy/bad/hate/recall"]["better"], "higher")
        self.assertEqual(figs["toy/negatives/medium+"]["value"], 0.0)
        self.assertIn("toy/negatives/detected:hate", figs)
        self.assertNotIn("toy/rare/medium+/recall", figs)  # untracked and empty
        self.assertEqual(metrics.tracked_figures(rep, min_n=41), {})


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


class Loaders(unittest.TestCase):
    def test_loaders(self):
        with tempfile.TemporaryDirectory() as d:
            write_csv(os.path.join(d, setsmod.TOXIC_2CH.path), ["row", "comment", "toxic"],
                      [["0", "плохой\n", "1.0"], ["1", "хороший\n", "0.0"], ["2", "  ", "0.0"]])
            write_csv(os.path.join(d, setsmod.PARADETOX.path),
                      ["split", "index", "toxic_comment", "neutral_comment1", "neutral_comment2",
                       "neutral_comment3"], [["train", "0", "т", "н1", "н2", ""],
                                             ["test", "", "т2", "", "", ""]])
            write_csv(os.path.join(d, setsmod.PHEME.path),
                      ["tweet_id", "event", "is_rumour", "lang", "text"],
                      [["1", "ferguson", "1", "en", "a"], ["2", "gurlitt", "0", "en", "b"]])
            write_csv(os.path.join(d, setsmod.TWITTER1516.path),
                      ["tweet_id", "dataset", "label", "created_at", "text"],
                      [["1", "twitter15", "false", "", "dup"], ["3", "twitter16", "true", "", "c"],
                       ["4", "twitter16", "non-rumor", "", "d"]])
            write_csv(os.path.join(d, setsmod.SENSITIVE.path),
                      ["text"] + list(setsmod.SENSITIVE_TOPICS),
                      [["x"] + ["1" if t == "weapons" else "0" for t in setsmod.SENSITIVE_TOPICS],
                       ["y"] + ["1" if t == "politics" else "0" for t in setsmod.SENSITIVE_TOPICS],
                       ["z"] + ["0"] * len(setsmod.SENSITIVE_TOPICS)])
            specs = [setsmod.TOXIC_2CH, setsmod.PARADETOX, setsmod.PHEME, setsmod.TWITTER1516,
                     setsmod.SENSITIVE, setsmod.KY_NEWS]
            got, missing = setsmod.load_samples(d, specs)
        self.assertEqual(missing, ["ky-24kg-news"])
        by = {(s.set, s.id): s for s in got}
        self.assertEqual(by[("ru-toxic-2ch-pikabu", "0")].text, "плохой")
        self.assertNotIn(("ru-toxic-2ch-pikabu", "2"), by)  # empty text dropped
        self.assertEqual(sorted(k[1] for k in by if k[0] == "ru-paradetox"),
                         ["0:neutral1", "0:neutral2", "0:toxic", "1:toxic"])
        self.assertEqual(sorted(k[1] for k in by if k[0] == "en-twitter15-16"), ["3", "4"])
        self.assertEqual(by[("en-twitter15-16", "3")].labels, frozenset({"rumour"}))
        self.assertEqual(by[("ru-sensitive-topics", "0")].labels,
                         frozenset({"weapons", "sensitive"}))
        self.assertEqual(by[("ru-sensitive-topics", "1")].labels, frozenset({"politics"}))
        self.assertEqual(by[("ru-sensitive-topics", "2")].labels, frozenset())

    def test_select_sets(self):
        self.assertNotIn(setsmod.APPROPRIATENESS, setsmod.select_sets(None))
        self.assertIn(setsmod.APPROPRIATENESS, setsmod.select_sets(["all"]))
        with self.assertRaises(ValueError):
            setsmod.select_sets(["nope"])


FAKE_SAKCHY = r'''#!/usr/bin/env python3
# A stand-in for `sakchy classify`: "плох" -> insult (high, rule r-insult), unless FAKE_BLIND is
# set; "шум" -> medium via rule r-noise on any text, more often when FAKE_NOISY is set.
import json, os, sys
assert sys.argv[1] == "classify" and sys.argv[2] == "--rules"
for n, line in enumerate(sys.stdin, 1):
    text = json.loads(line)["text"]
    out = {"line": n, "score": 0, "severity": "info", "categories": [], "matches": [],
           "places": [], "area": None, "language": "ru"}
    if "плох" in text and not os.environ.get("FAKE_BLIND"):
        out.update(severity="high", categories=["insult"],
                   matches=[{"rule_id": "r-insult", "begin": 0, "end": 2}])
    if "шум" in text or (os.environ.get("FAKE_NOISY") and "хорош" in text):
        out.update(severity="medium", matches=[{"rule_id": "r-noise", "begin": 0, "end": 2}])
    print(json.dumps(out, ensure_ascii=False))
'''


class Command(unittest.TestCase):
    """The whole command, with a fake binary: skip, baseline, pass, and fail naming the figure."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.data = os.path.join(d, "data")
        rows = [[str(i), f"плохой человек {i}\n", "1.0"] for i in range(40)]
        rows += [[str(40 + i), f"хороший день {i}\n", "0.0"] for i in range(36)]
        rows += [[str(80 + i), f"шум {i}\n", "0.0"] for i in range(4)]
        write_csv(os.path.join(self.data, setsmod.TOXIC_2CH.path), ["row", "comment", "toxic"],
                  rows)
        self.fake = os.path.join(d, "sakchy")
        with open(self.fake, "w", encoding="utf-8") as f:
            f.write(FAKE_SAKCHY)
        os.chmod(self.fake, 0o755)
        self.baseline = os.path.join(d, "baseline.json")

    def tearDown(self):
        self.tmp.cleanup()

    def run_cmd(self, *extra, env=None):
        cmd = [sys.executable, os.path.join(HERE, "quality.py"), "--sakchy", self.fake,
               "--data", self.data, "--baseline", self.baseline, "--rules", self.tmp.name,
               "--sets", "ru-toxic-2ch-pikabu"] + list(extra)
        e = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_")}
        e.update(env or {})
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e,
                           check=False, timeout=120)
        return p.returncode, p.stdout.decode("utf-8")

    def test_skip_without_data(self):
        code, out = self.run_cmd("--data", os.path.join(self.tmp.name, "absent"))
        self.assertEqual(code, 77, out)

    def test_gate(self):
        code, out = self.run_cmd("--write-baseline", "--quiet")
        self.assertEqual(code, 0, out)
        with open(self.baseline, encoding="utf-8") as f:
            base = json.load(f)
        self.assertEqual(base["figures"]["ru-toxic-2ch-pikabu/toxic/hate/insult/threat/recall"]
                         ["value"], 100.0)
        self.assertEqual(base["figures"]["ru-toxic-2ch-pikabu/negatives/medium+"]["value"], 10.0)
        code, out = self.run_cmd("--gate", "--quiet")
        self.assertEqual(code, 0, out)
        self.assertIn("gate: passed", out)
        code, out = self.run_cmd("--gate", "--quiet", env={"FAKE_BLIND": "1"})
        self.assertEqual(code, 1, out)
        self.assertIn("ru-toxic-2ch-pikabu/toxic/hate/insult/threat/recall: 100.00 -> 0.00", out)
        # Figures of a set this run does not measure are not compared (sets absent or filtered).
        with open(self.baseline, encoding="utf-8") as f:
            base = json.load(f)
        base["figures"]["ky-24kg-news/negatives/alert"] = {"value": 0.0, "better": "lower"}
        with open(self.baseline, "w", encoding="utf-8") as f:
            json.dump(base, f)
        code, out = self.run_cmd("--gate", "--quiet")
        self.assertEqual(code, 0, out)
        self.assertIn("1 baseline figures not compared", out)
        code, out = self.run_cmd("--gate", "--quiet", env={"FAKE_NOISY": "1"})
        self.assertEqual(code, 1, out)
        self.assertIn("ru-toxic-2ch-pikabu/negatives/medium+: 10.00 -> 100.00", out)

    def test_report_json_has_figures_not_texts(self):
        j = os.path.join(self.tmp.name, "out.json")
        code, out = self.run_cmd("--json", j)
        self.assertEqual(code, 0, out)
        self.assertIn("Targets (issue 25)", out)
        self.assertIn("r-noise", out)  # the false-alarm rule, with examples on the terminal
        with open(j, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("хороший", text)
        rep = json.loads(text)
        tox = rep["sets"]["ru-toxic-2ch-pikabu"]["labels"]["toxic"]["detectors"]
        self.assertEqual(tox["hate/insult/threat"]["recall"], 1.0)
        self.assertEqual(rep["targets"][2]["status"], "PASS")
        self.assertEqual(rep["targets"][3]["status"], "not measured")
        code, out = self.run_cmd("--markdown")
        self.assertIn("| status | target | figures |", out)
        self.assertNotIn("хороший", out)

    def test_model_cmd(self):
        cmd = (f"{sys.executable} -c \"import json; print('log'); "
               f"print(json.dumps({{'pheme': {{'macro_f1': 0.7}}}}))\"")
        j = os.path.join(self.tmp.name, "m.json")
        code, out = self.run_cmd("--quiet", "--json", j, "--model-cmd", cmd)
        self.assertEqual(code, 0, out)
        with open(j, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["targets"][3]["status"], "PASS")


if __name__ == "__main__":
    unittest.main(verbosity=1)
