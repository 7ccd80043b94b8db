#!/usr/bin/env python3
"""Derives config/defaults/rules/31-ru-lexicon.yaml (Russian insult and profanity word forms) from the
Russian offensive-word lexicons in the shared data.

Usage: scripts/derive_lexicons.py [--check] [SHARED_DATA_DIR]
  SHARED_DATA_DIR defaults to $SAKCHY_SHARED_DATA, else ../shared/data next to the repository,
  else /work/shared/data.
  --check   exit 1 (and say why) when the committed file differs from what would be written;
            exit 77 (CTest: skipped) when the shared data is absent.

Inputs (SHARED_DATA_DIR/ru-offensive-lexicons, see its NOTES.md):
  sariellee_offensive_words.csv, sariellee_final_offensive_words_list.csv
      Sariellee/Russan-Hate-speech-Recognition, CC BY 4.0
  alla-g_bad_wordlist.txt
      alla-g/toxicity-detection-thesis, MIT

Every word is lower-cased and sorted into one of: insult (aimed at a person), profanity (obscene
swearing), or left out. The sorting is the hand-written table below (reviewed word by word):
  - slurs are left out here: the identity-based ones are written by hand in 30-hate.yaml;
  - political and ordinary words of these lists (путин, россия, рашка, зад, яйцо, бред, убить ...)
    are left out (EXCLUDE);
  - obfuscated spellings (6ля, xyй, пи3д) are left out: the normaliser already reads them as the
    plain word;
  - words already matched by a hand-written term of 30-hate.yaml (a whole word or a prefix) are
    left out, so the generated lists only add what the hand-written ones miss.
Output is deterministic: same inputs, same bytes. Python 3 standard library only.
"""

import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO_ROOT, "config", "defaults", "rules", "31-ru-lexicon.yaml")
HAND = os.path.join(REPO_ROOT, "config", "defaults", "rules", "30-hate.yaml")

SOURCES = [
    ("sariellee_offensive_words.csv",
     "Sariellee/Russan-Hate-speech-Recognition a906e3058e46db1f558de8d92a6203e8444a83eb, CC BY 4.0"),
    ("sariellee_final_offensive_words_list.csv",
     "Sariellee/Russan-Hate-speech-Recognition a906e3058e46db1f558de8d92a6203e8444a83eb, CC BY 4.0"),
    ("alla-g_bad_wordlist.txt",
     "alla-g/toxicity-detection-thesis 651159350f42fef6187c87af732835d46b1ccf60, MIT"),
]

# Ordinary, political or medical words of the lexicons, and words too ambiguous to list
# (reviewed by hand). Slurs are excluded too: 30-hate.yaml lists them by the group they target.
EXCLUDE = set("""
зад задница яйцо бред черт чертов чертовщина проклятый мерзкий жирный разбить надрать трахаться
дурь завалить сдохнуть дохнуть передохнуть отвалить гопник сосунок опухоль головка сосать
анал анальный анус минет минетчик минетчица член конча кончать целка очко шкура баран пипец фига
фиг нафиг хрен хреновый хрень хреново херотень херота хератень умирать сдыхать школота петух
стерва дилдо писька писюн писун писюшка путин россия рашка расист рассист лжец какашка убить
стебаться стебать спидозный хлеборезка жиртрест жирдяй секель сикель серька писько писбшки
сирать сирывать срака сраку сранье ссака ссышь срун серун засеря засерун засирать засерать
пердь пердеть пердеж пердение пердун пердунец пердунина пердунья пердуха пердильник пердануть
перднуть пёрднуть пернуть пёрнуть выпердеть бздение бздеть бздех бздецы бздит бздицы бздло
бзднуть бздун бздунья бздюха бздюшка бздюшко набздел набздеть пробзделся дрисня дрист
дристануть дристать дристун дристуха обдристаться задристать надристать высраться выссаться
усраться обосцать обосцаться моча тупизм лоховский лоховской лохануться однохуйственный
однохуйственно нехуйственно отпороть очкун сыкун сцыкун засранец хамло вафел вафлёр курва
курвятник лярва шалава шалавой шлюхина бляха сила лахтодырка писькострадатель распроеть
ябывает какдвапальцаобоссать
пидорка пидорок пидоры пидорасы пидарасы пидарaс пидарас пидар пидары пидрас пидрила пидор
пидора пидорас педерас педик педрик педрила педрилло педрило педрилы гомосек гомосекам
нигер ниггер нигг ниг пиндос пендос урюк жид жиды жидов хохол хохлы чурка чурки хач хачи
""".split())

# Roots of insults aimed at a person (the word starts with one of them).
INSULT_ROOTS = (
    "дебил", "идиот", "урод", "ублюд", "мраз", "тварь", "твар", "гнид", "сволоч", "сволот",
    "падл", "паскуд", "поскуд", "подон", "падон", "выблядок", "выблядыш", "говнюк", "гавнюк",
    "гандон", "гондон", "мудак", "мудaк", "мудаг", "мудил", "мудоеб", "мудозвон", "мудоклюй",
    "долбо", "еблан", "уебок", "уёбок", "уебк", "уебки", "уёбки", "уебищ", "уёбищ", "уебан",
    "хуесос", "хуеплет", "хуеплёт", "хуйло", "хуерыло", "пиздабол", "пиздобол", "пиздун",
    "пиздюк", "пиздорван", "пиздострадатель", "чмо", "чмош", "чмыр", "лох", "лошар", "лошок",
    "шлюх", "шлюш", "потаскух", "потаскуш", "проблядь", "блядина", "блядище", "блядун",
    "блядюга", "сучар", "сучонок", "сучка", "засранец", "засрун", "обосранец", "ушлепок",
    "придурок", "дегенерат", "жополиз", "ничтожество", "мерзавец", "дрочила", "дрочун",
    "заебанец", "разъебай", "распиздяй", "распиздай", "раздолбай", "пиздолиз", "сестроеб",
    "хуесоска", "ебанат", "ебанько", "скотина", "ебарь", "ебырь", "трахаеб", "трахаёб",
    "злоеб", "долбаёб", "долбоящер", "пиздёныш", "пизденыш", "хуеныш", "дурак", "задрот",
    "конченый", "соси", "отсос",
)

# Roots of obscene swearing (the word contains one of them).
PROFANITY_ROOTS = (
    "хуй", "хуе", "хуё", "хуя", "хую", "хуи", "пизд", "пезд", "пи3д", "еб", "ёб", "бля",
    "млять", "говн", "гавн", "гамн", "дерьм", "жоп", "залуп", "манд", "муд", "дроч", "елд",
    "малаф", "хер", "срать", "сран", "срат", "сра", "засир", "обсир", "сук", "суч", "ссы",
    "ипать", "ипаться", "ипаццо", "ибан", "ибонех", "ниибацо", "ниипацца", "ниипаццо",
    "ниипет", "никуя", "нихера", "нехира", "нехрен", "похрен", "похер", "нахер", "нахрен",
    "охуя", "мокрощ", "трах", "ебт", "заябест", "елдак", "ёпт", "говен", "говеш", "долбан",
    "задроч", "сцу", "сца", "сцы", "зассан", "хули", "хуля", "жепа", "твою мать",
)

LANGUAGES = ("ru", "ky")

LIST_ITEM = re.compile(r"^\s+-\s+(\S.*?)\s*$")
LIST_HEAD = re.compile(r"^  ([a-z_]+):\s*$")


def hand_terms():
    """The terms of the hand-written insult and profanity lists of 30-hate.yaml (whole words and
    prefixes), read with a line parser (the file's lists are plain '- term' lines)."""
    words, prefixes = set(), []
    current = None
    with open(HAND, encoding="utf-8") as f:
        for line in f:
            head = LIST_HEAD.match(line)
            if head:
                current = head.group(1)
                continue
            if line.strip() == "rules:":
                break
            item = LIST_ITEM.match(line)
            if item and current in ("insults", "profanity", "hate_slurs"):
                term = item.group(1).strip('"')
                if term.endswith("*"):
                    prefixes.append(term[:-1])
                else:
                    words.add(term)
            inline = re.match(r"^\s+(ru|ky|uz): \[(.*)\]\s*$", line)
            if inline and current == "profanity_scoped":
                for term in inline.group(2).split(","):
                    term = term.strip()
                    (prefixes.append(term[:-1]) if term.endswith("*") else words.add(term))
    return words, prefixes


def read_words(data_dir):
    words = {}
    for name, source in SOURCES:
        path = os.path.join(data_dir, "ru-offensive-lexicons", name)
        with open(path, encoding="utf-8") as f:
            for line in f:
                w = line.strip().lower()
                if w:
                    words.setdefault(w, source)
    return words


def classify(word):
    if word in EXCLUDE:
        return None
    if not re.fullmatch(r"[а-яё]+(?:[ -][а-яё]+)*", word):
        return None  # obfuscated (digits, Latin look-alikes) or English: the normaliser's job
    if word.startswith(INSULT_ROOTS):
        return "insult"
    if any(root in word for root in PROFANITY_ROOTS):
        return "profanity"
    return None


def covered(word, hand_words, hand_prefixes):
    return word in hand_words or any(word.startswith(p) for p in hand_prefixes)


def render(data_dir):
    hand_words, hand_prefixes = hand_terms()
    lists = {"insult": [], "profanity": []}
    for word in sorted(read_words(data_dir)):
        kind = classify(word)
        if kind and not covered(word, hand_words, hand_prefixes):
            lists[kind].append(word)
    out = [
        "# GENERATED by scripts/derive_lexicons.py from shared/data/ru-offensive-lexicons - do not edit;",
        "# change the script's tables and run it again. Sources (see config/defaults/NOTICE.md):",
    ]
    for _, source in SOURCES:
        line = "#   " + source
        if line not in out:
            out.append(line)
    out += [
        "# Only word forms that the hand-written lists of 30-hate.yaml do not already match, scoped to",
        "# Russian and Kyrgyz texts (docs/RULES.md, \"Terms by language\"); the rules",
        "# \"insult\" and \"profanity\" of 30-hate.yaml use these lists (their examples test them).",
        "version: 1",
        "lists:",
    ]
    # Scoped to the languages where these words are Russian obscenities: after transliteration
    # some collide with Uzbek or English words ("elda" = "abroad", "manda" = "to me").
    for kind, name in (("insult", "ru_lexicon_insults"), ("profanity", "ru_lexicon_profanity")):
        out.append(f"  {name}:")
        for lang in LANGUAGES:
            out.append(f"    {lang}:")
            out += [f"      - {w}" for w in lists[kind]]
    return "\n".join(out) + "\n"


def find_data_dir(args):
    candidates = args[:1] or [os.environ.get("SAKCHY_SHARED_DATA", ""),
                              os.path.join(REPO_ROOT, "..", "shared", "data"), "/work/shared/data"]
    for c in candidates:
        if c and os.path.isdir(os.path.join(c, "ru-offensive-lexicons")):
            return c
    return None


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    data_dir = find_data_dir(args)
    if data_dir is None:
        print("derive_lexicons: no shared data dir with ru-offensive-lexicons/", file=sys.stderr)
        return 77 if check else 2
    text = render(data_dir)
    if check:
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current != text:
            print(f"{OUT} is out of date: run scripts/derive_lexicons.py", file=sys.stderr)
            return 1
        print(f"{OUT}: up to date")
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
