#!/usr/bin/env python3
"""Writes NDJSON report batches for the bulk-intake benchmark.

Texts: the English tweets of ../shared/data/pheme-dev/pheme_dev.csv (PHEME, CC BY 4.0 annotations;
tweet texts belong to their authors: used here only as load, never shipped) mixed with Russian and
Kyrgyz texts of our own. Usage:
  make_ndjson.py OUT_DIR BATCHES [LINES_PER_BATCH=10000]   batches for POST /v1/reports:batch
  make_ndjson.py --texts OUT_FILE                          one JSON string per line (post_load)
"""
import csv
import json
import os
import sys

OWN = [
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!",
    "В Бишкеке прошло заседание городского кенеша по бюджету на следующий год.",
    "Жалал-Абадда базарда мушташ болуптур деп айтышат, баарына жеткиргиле",
    "Срочно! На границе в Баткенском районе стрельба, говорят есть раненые",
    "Нарында жаңы мектеп ачылды, айыл өкмөтү куттуктады",
    "Передайте всем: завтра в Караколе собираемся у акимиата в 10 утра",
]


def load_texts():
    # ../shared/data next to the repository (also from a worktree one level deeper), or
    # $SAKCHY_SHARED_DATA.
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.environ.get("SAKCHY_SHARED_DATA", "")]
    d = os.path.join(here, "..", "..")
    for _ in range(3):
        d = os.path.join(d, "..")
        roots.append(os.path.join(d, "shared", "data"))
    pheme = next((os.path.join(r, "pheme-dev", "pheme_dev.csv") for r in roots
                  if r and os.path.exists(os.path.join(r, "pheme-dev", "pheme_dev.csv"))), "")
    texts = list(OWN)
    if pheme:
        with open(pheme, newline="", encoding="utf-8") as f:
            pheme_texts = [row["text"] for row in csv.DictReader(f) if row.get("text")]
        # Interleave: one of ours (Cyrillic) after every three PHEME tweets.
        mixed = []
        for i, t in enumerate(pheme_texts):
            mixed.append(t)
            if i % 3 == 2:
                mixed.append(OWN[(i // 3) % len(OWN)])
        texts = mixed
    return texts


def main():
    if sys.argv[1] == "--texts":
        texts = load_texts()
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps(t, ensure_ascii=False) + "\n")
        print(f"{len(texts)} texts in {sys.argv[2]}")
        return
    out_dir, batches = sys.argv[1], int(sys.argv[2])
    per = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    texts = load_texts()
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for b in range(batches):
        with open(os.path.join(out_dir, f"batch-{b}.ndjson"), "w", encoding="utf-8") as f:
            for _ in range(per):
                f.write(json.dumps({"text": texts[n % len(texts)], "source_ref": f"bulk-{n}"},
                                   ensure_ascii=False) + "\n")
                n += 1
    print(f"{batches} batches x {per} lines from {len(texts)} distinct texts in {out_dir}")


if __name__ == "__main__":
    main()
