"""The labelled development sets and what counts as "detected" for each of their labels.

This is the one file a rule author edits when categories change. Everything here is plain data:
- a Detector says when one classifier result counts as "detected" (severity reached OR category
  present); categories are plain strings, so a category that no rule emits yet (weapons,
  terrorism, profanity, narrative, known_false ...) simply never matches, and a category the
  harness has never heard of is counted in the category tables and otherwise ignored;
- a SetSpec says where a set lives under the data dir, its language, how to read it into Samples,
  which gold labels it has and which detectors are measured for each label.

Gold-label semantics (docs/QUALITY.md): a sample's `labels` is a set of strings; an EMPTY set means
"negative" (ordinary text: not sensitive, not toxic, not a rumour). For a label L of a set, the
positives are the samples carrying L and the negatives are the set's samples with no label at all;
samples with only other labels (e.g. a sensitive-topics row about politics only) are neither.
So precision is measured against the set's own negatives, at the set's own class balance.

The texts are development-only data (see each NOTES.md): they are read at run time and never
written anywhere except the temporary classifier input.
"""

import csv
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

csv.field_size_limit(1 << 30)

SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Detector:
    """A result is detected when severity >= min_severity (if set) OR it has any of `categories`."""
    name: str
    min_severity: Optional[str] = None
    categories: frozenset = frozenset()
    note: str = ""


# --- Detectors -----------------------------------------------------------------------------------
# The classifier's categories today (docs/RULES.md): rumour_marker, call_to_action, violence, threat,
# group_reference, hate, insult, tension, place. Announced by other work: weapons, terrorism,
# profanity, narrative, known_false, dehumanisation. List both old and new names where a category
# may be renamed; names that never occur cost nothing.

MEDIUM_PLUS = Detector("medium+", min_severity="medium", note="severity >= medium")

# Russian toxicity target: hate/insult/threat. Profanity is measured on its own line: it may stay
# out of alerts but must be recognised.
HATE_INSULT_THREAT = Detector(
    "hate/insult/threat",
    categories=frozenset({"hate", "insult", "threat", "dehumanisation", "dehumanising"}),
    note="category hate, insult, threat or dehumanisation")
PROFANITY = Detector("profanity", categories=frozenset({"profanity", "obscenity"}),
                     note="category profanity")

# Topic detectors for the sensitive-topics set (topic != hateful: these are "the rules noticed the
# topic", reported beside the medium+ target).
TERRORISM_CATS = Detector("topic:terrorism",
                          categories=frozenset({"terrorism", "violence", "threat", "weapons"}),
                          note="category terrorism, violence, threat or weapons")
WEAPONS_CATS = Detector("topic:weapons", categories=frozenset({"weapons", "violence", "threat"}),
                        note="category weapons, violence or threat")
CRIME_CATS = Detector("topic:crime", categories=frozenset({"crime", "violence", "threat"}),
                      note="category crime, violence or threat")
RACISM_CATS = Detector("topic:racism",
                       categories=frozenset({"hate", "dehumanisation", "dehumanising"}),
                       note="category hate or dehumanisation")

# Rumours: the rules' rumour wrappers and narratives (the learned scorer is measured separately,
# through --model-cmd).
RUMOUR_CATS = Detector("rumour",
                       categories=frozenset({"rumour_marker", "narrative", "known_false"}),
                       note="category rumour_marker, narrative or known_false")


@dataclass(frozen=True)
class LabelSpec:
    detectors: tuple
    tracked: bool = True  # recall enters the regression gate (when the label has >= min_n samples)


@dataclass
class Sample:
    set: str
    id: str
    lang: str          # the dataset's language: ru, ky, uz, en
    text: str
    labels: frozenset  # empty = negative
    groups: tuple = ()  # breakdown keys (event, topic, split ...)


@dataclass
class SetSpec:
    name: str
    lang: str
    path: str                      # relative to the data dir
    loader: Callable[["SetSpec", str], Iterator[Sample]]
    negatives: str                 # what the negatives are called in tables
    labels: dict = field(default_factory=dict)  # label -> LabelSpec
    group_title: str = ""          # what the breakdown groups are (topic, event ...)
    optional: bool = False         # only with --sets all / by name
    note: str = ""


def _rows(path: str) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


# --- Loaders -------------------------------------------------------------------------------------

SENSITIVE_TARGETS = ("terrorism", "weapons", "offline_crime", "racism")
SENSITIVE_TOPICS = ("offline_crime", "online_crime", "drugs", "gambling", "pornography",
                    "prostitution", "slavery", "suicide", "terrorism", "weapons", "body_shaming",
                    "health_shaming", "politics", "racism", "religion", "sexual_minorities",
                    "sexism", "social_injustice")


def _topics(row: dict) -> set:
    return {t for t in SENSITIVE_TOPICS if row.get(t, "0").strip() in ("1", "1.0")}


def load_sensitive(spec: SetSpec, path: str) -> Iterator[Sample]:
    for i, row in enumerate(_rows(path)):
        topics = _topics(row)
        if topics & set(SENSITIVE_TARGETS):
            topics.add("sensitive")  # any of the four target topics
        # No breakdown groups: the label table already has one row per topic.
        yield Sample(spec.name, str(i), spec.lang, row["text"], frozenset(topics), ())


def load_appropriateness(spec: SetSpec, path: str) -> Iterator[Sample]:
    for i, row in enumerate(_rows(path)):
        score = float(row.get("inappropriate") or 0)
        labels = {"inappropriate"} if score >= 0.5 else ({"borderline"} if score > 0 else set())
        src = "human topics" if row.get("human_labeled") == "1" else "predicted topics"
        yield Sample(spec.name, str(i), spec.lang, row["text"], frozenset(labels), (src,))


def load_ky_news(spec: SetSpec, path: str) -> Iterator[Sample]:
    for row in _rows(path):
        topics = tuple(t.strip() for t in row["labels_set"].split(",") if t.strip())
        yield Sample(spec.name, row["id"], spec.lang, row["text"], frozenset(), topics)


def load_toxic_2ch(spec: SetSpec, path: str) -> Iterator[Sample]:
    for row in _rows(path):
        toxic = float(row["toxic"]) >= 0.5
        text = row["comment"].rstrip("\n")  # 13,393 comments end with an upstream "\n"
        yield Sample(spec.name, row["row"], spec.lang, text,
                     frozenset({"toxic"}) if toxic else frozenset(), ())


def load_paradetox(spec: SetSpec, path: str) -> Iterator[Sample]:
    for i, row in enumerate(_rows(path)):
        split = row["split"]
        yield Sample(spec.name, f"{i}:toxic", spec.lang, row["toxic_comment"],
                     frozenset({"toxic"}), (split,))
        for k in (1, 2, 3):  # the test split has no rewrites
            text = row.get(f"neutral_comment{k}", "")
            if text.strip():
                yield Sample(spec.name, f"{i}:neutral{k}", spec.lang, text, frozenset(), (split,))


def load_pheme(spec: SetSpec, path: str) -> Iterator[Sample]:
    for row in _rows(path):
        rumour = row["is_rumour"].strip() == "1"
        yield Sample(spec.name, row["tweet_id"], row.get("lang") or spec.lang, row["text"],
                     frozenset({"rumour"}) if rumour else frozenset(), (row["event"],))


def pheme_ids(data_dir: str) -> set:
    path = os.path.join(data_dir, PHEME.path)
    if not os.path.exists(path):
        return set()
    return {row["tweet_id"] for row in _rows(path)}


def load_twitter1516(spec: SetSpec, path: str) -> Iterator[Sample]:
    # 179 tweets are also in pheme-dev: keep them only there (dedupe by tweet_id).
    data_dir = os.path.dirname(os.path.dirname(path))
    seen = pheme_ids(data_dir)
    for row in _rows(path):
        if row["tweet_id"] in seen:
            continue
        label = row["label"].strip()
        rumour = label in ("false", "true", "unverified")
        yield Sample(spec.name, row["tweet_id"], spec.lang, row["text"],
                     frozenset({"rumour"}) if rumour else frozenset(), (label,))


def load_uz_reviews(spec: SetSpec, path: str) -> Iterator[Sample]:
    for i, row in enumerate(_rows(path)):
        yield Sample(spec.name, str(i), spec.lang, row["text"], frozenset(),
                     (row["label"] + " review",))


def load_ky_social(spec: SetSpec, path: str) -> Iterator[Sample]:
    for row in _rows(path):
        yield Sample(spec.name, row["id"], spec.lang, row["input"], frozenset(), ())


# --- The sets ------------------------------------------------------------------------------------

_SENSITIVE_LABELS = {
    "sensitive": LabelSpec((MEDIUM_PLUS,)),
    "terrorism": LabelSpec((MEDIUM_PLUS, TERRORISM_CATS)),
    "weapons": LabelSpec((MEDIUM_PLUS, WEAPONS_CATS)),
    "offline_crime": LabelSpec((MEDIUM_PLUS, CRIME_CATS)),
    "racism": LabelSpec((MEDIUM_PLUS, RACISM_CATS)),
}
# The other 14 topics are reported (medium+ only) but are not targets and not gated.
for _t in SENSITIVE_TOPICS:
    _SENSITIVE_LABELS.setdefault(_t, LabelSpec((MEDIUM_PLUS,), tracked=False))

SENSITIVE = SetSpec(
    "ru-sensitive-topics", "ru", "ru-sensitive-topics-dev/sensitive_topics_dev.csv",
    load_sensitive, "no topic", _SENSITIVE_LABELS,
    note="s-nlp sensitive topics (dev rows); \"sensitive\" = any of terrorism, weapons, "
         "offline_crime, racism")

APPROPRIATENESS = SetSpec(
    "ru-appropriateness", "ru", "ru-sensitive-topics-dev/appropriateness_v1_dev.csv",
    load_appropriateness, "appropriate (score 0)",
    {"inappropriate": LabelSpec((MEDIUM_PLUS, HATE_INSULT_THREAT), tracked=False),
     "borderline": LabelSpec((MEDIUM_PLUS,), tracked=False)},
    "labels", optional=True,
    note="s-nlp appropriateness V1 (reputation-harming for a chatbot, not toxic); optional")

KY_NEWS = SetSpec(
    "ky-24kg-news", "ky", "ky-24kg-topics-train/qad_train_dev.csv", load_ky_news,
    "ordinary news", {}, "topic", note="ordinary Kyrgyz news, 20 topics; false alarms only")

TOXIC_2CH = SetSpec(
    "ru-toxic-2ch-pikabu", "ru", "ru-toxic-2ch-pikabu/labeled_2ch_pikabu.csv", load_toxic_2ch,
    "non-toxic", {"toxic": LabelSpec((HATE_INSULT_THREAT, PROFANITY, MEDIUM_PLUS))},
    note="2ch/Pikabu comments, toxic 1/0")

PARADETOX = SetSpec(
    "ru-paradetox", "ru", "ru-paradetox/ru_paradetox.csv", load_paradetox,
    "neutral rewrites", {"toxic": LabelSpec((HATE_INSULT_THREAT, PROFANITY, MEDIUM_PLUS))},
    "split", note="toxic sentences and their crowd-written neutral rewrites (minimal pairs)")

PHEME = SetSpec(
    "pheme-dev", "en", "pheme-dev/pheme_dev.csv", load_pheme, "non-rumour",
    {"rumour": LabelSpec((RUMOUR_CATS, MEDIUM_PLUS))}, "event",
    note="English breaking-news tweets, is_rumour per event")

TWITTER1516 = SetSpec(
    "en-twitter15-16", "en", "en-twitter15-16-rumours/twitter15_16_dev.csv", load_twitter1516,
    "non-rumor", {"rumour": LabelSpec((RUMOUR_CATS, MEDIUM_PLUS))}, "veracity",
    note="English rumour tweets (false/true/unverified = rumour); pheme-dev ids removed")

UZ_REVIEWS = SetSpec(
    "uz-app-reviews", "uz", "uz-app-review-sentiment/uz_app_reviews_manual.csv", load_uz_reviews,
    "ordinary reviews", {}, "sentiment", note="Uzbek (Latin) app reviews; false alarms only")

KY_SOCIAL = SetSpec(
    "ky-social", "ky", "ky-social-normalization/kyrgyz_social_normalization_eval200.csv",
    load_ky_social, "ordinary comments", {}, note="raw Kyrgyz social-media comments; false alarms only")

ALL_SETS = (SENSITIVE, KY_NEWS, TOXIC_2CH, PARADETOX, PHEME, TWITTER1516, UZ_REVIEWS, KY_SOCIAL,
            APPROPRIATENESS)


def select_sets(names: Optional[Iterable[str]]) -> list:
    """None -> every non-optional set; "all" -> every set; else the named ones (unknown -> error)."""
    if not names:
        return [s for s in ALL_SETS if not s.optional]
    names = list(names)
    if names == ["all"]:
        return list(ALL_SETS)
    by_name = {s.name: s for s in ALL_SETS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def load_samples(data_dir: str, sets: list) -> tuple:
    """Returns (samples, missing) where missing lists the sets whose file is absent."""
    samples, missing = [], []
    for spec in sets:
        path = os.path.join(data_dir, spec.path)
        if not os.path.exists(path):
            missing.append(spec.name)
            continue
        samples.extend(s for s in spec.loader(spec, path) if s.text.strip())
    return samples, missing
