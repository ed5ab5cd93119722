"""Writes Golden/tokenizers/unicode_normalization.json: NFC, NFD, NFKC and NFKD of every
assigned code point, and of every canonical or compatibility decomposition pair, according to
Python's unicodedata, so the Swift normalizers (NormalizationGoldenTests) are checked
exhaustively and the next Foundation defect class (like the Hangul LV + T one) is found here.

    python3.13 Golden/tools/tokenizers/make_normalization_refs.py

Python 3.13 carries Unicode 15.1 (`unicodedata.unidata_version`, recorded in the file); the
Swift test compares only the code points assigned in that version. With the tokenizers library
installed (Golden/tools/tokenizers/requirements.txt), the inputs where its normalizers differ
from unicodedata are recorded too (its tables are older: characters added since Unicode 12).

Format (hex code points, space-separated within a field):
- `assigned`: "FIRST-LAST" ranges of the code points assigned in that version (no surrogates).
- `code_points`: "CP;NFC;NFD;NFKC;NFKD" for each assigned code point that some form changes,
  Hangul syllables excepted. An empty NFC or NFD field means the code point itself; an empty
  NFKC field means the NFC value, an empty NFKD field the NFD value. Unlisted code points are
  left unchanged by all four forms.
- `hangul`: the syllables U+AC00...U+D7A3, omitted from `code_points` because they follow the
  Hangul algorithm (verified here for every syllable): NFD = NFKD = L V (T), NFC = NFKC = itself.
- `sequences`: "INPUT;NFC;NFD;NFKC;NFKD" (every field explicit) for the one-level
  decomposition (UnicodeData field 5, tag removed) of every assigned code point that has one
  of two or more scalars: the composition pairs, such as "CCA CD5" -> CCB (a composite starter
  followed by a starter it composes with).
- `hangul_pairs`: verified here: every LV syllable + every trailing jamo T composes to its LVT
  syllable, every L + V to its LV syllable, every L + V + T to its LVT syllable (all forms
  composing; NFD/NFKD give the jamo). The Swift test generates the same inputs.
- `tokenizers_differences`: "FORM;INPUT;LIBRARY OUTPUT" where the tokenizers library's
  normalizer gives something else than unicodedata (absent when the library is not installed).
"""
import json
import os
import sys
import unicodedata

FORMS = ("NFC", "NFD", "NFKC", "NFKD")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tokenizers", "unicode_normalization.json")
S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
N_COUNT = V_COUNT * T_COUNT


def hexes(text):
    return " ".join("%X" % ord(c) for c in text)


def assigned(cp):
    return not 0xD800 <= cp < 0xE000 and unicodedata.category(chr(cp)) != "Cn"


def ranges(cps):
    out, start, prev = [], None, None
    for cp in cps:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            out.append("%X-%X" % (start, prev))
            start = prev = cp
    if start is not None:
        out.append("%X-%X" % (start, prev))
    return out


def jamo(syllable):
    index = syllable - S_BASE
    l, v, t = index // N_COUNT, (index % N_COUNT) // T_COUNT, index % T_COUNT
    return chr(L_BASE + l) + chr(V_BASE + v) + (chr(T_BASE + t) if t else "")


def check_hangul():
    for s in range(S_BASE, S_BASE + L_COUNT * N_COUNT):
        c = chr(s)
        d = jamo(s)
        assert unicodedata.normalize("NFD", c) == d and unicodedata.normalize("NFKD", c) == d
        assert unicodedata.normalize("NFC", c) == c and unicodedata.normalize("NFKC", c) == c
        for form in ("NFC", "NFKC"):
            assert unicodedata.normalize(form, d) == c
    for lv in range(S_BASE, S_BASE + L_COUNT * N_COUNT, T_COUNT):
        for t in range(1, T_COUNT):
            for form in ("NFC", "NFKC"):
                assert unicodedata.normalize(form, chr(lv) + chr(T_BASE + t)) == chr(lv + t)
            assert unicodedata.normalize("NFD", chr(lv) + chr(T_BASE + t)) == jamo(lv + t)


def library_normalizers():
    try:
        from tokenizers import normalizers
    except ImportError:
        return None
    return {form: getattr(normalizers, form)() for form in FORMS}


def main():
    cps = [cp for cp in range(0x110000) if assigned(cp)]
    check_hangul()
    hangul = range(S_BASE, S_BASE + L_COUNT * N_COUNT)
    library = library_normalizers()
    differences = []

    def compare_library(text, row):
        if library is None:
            return
        for form, expected in zip(FORMS, row):
            got = library[form].normalize_str(text)
            if got != expected:
                differences.append("%s;%s;%s" % (form, hexes(text), hexes(got)))

    lines = []
    for cp in cps:
        c = chr(cp)
        nfc, nfd, nfkc, nfkd = (unicodedata.normalize(form, c) for form in FORMS)
        compare_library(c, (nfc, nfd, nfkc, nfkd))
        if cp in hangul or (nfc == c and nfd == c and nfkc == c and nfkd == c):
            continue
        lines.append(";".join([
            "%X" % cp,
            "" if nfc == c else hexes(nfc),
            "" if nfd == c else hexes(nfd),
            "" if nfkc == nfc else hexes(nfkc),
            "" if nfkd == nfd else hexes(nfkd),
        ]))
    sequences = []
    for cp in cps:
        mapping = unicodedata.decomposition(chr(cp)).split()
        if mapping and mapping[0].startswith("<"):
            mapping = mapping[1:]
        if len(mapping) < 2:
            continue
        text = "".join(chr(int(h, 16)) for h in mapping)
        row = [unicodedata.normalize(form, text) for form in FORMS]
        compare_library(text, row)
        sequences.append(";".join([hexes(text)] + [hexes(r) for r in row]))
    document = {
        "description": "Unicode normalization forms of every assigned code point and of every "
        "decomposition pair, by Python's unicodedata; see the generator's docstring for the format.",
        "generator": "Golden/tools/tokenizers/make_normalization_refs.py",
        "python": sys.version.split()[0],
        "unidata_version": unicodedata.unidata_version,
        "assigned_count": len(cps),
        "assigned": ranges(cps),
        "hangul": {"first": "%X" % S_BASE, "last": "%X" % (S_BASE + L_COUNT * N_COUNT - 1)},
        "hangul_pairs": "verified: LV + T, L + V and L + V + T compose (NFC, NFKC)",
        "code_points": lines,
        "sequences": sequences,
    }
    if library is not None:
        import tokenizers
        document["tokenizers"] = tokenizers.__version__
        document["tokenizers_differences"] = differences
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=0, ensure_ascii=True)
        f.write("\n")
    print("%d code points, %d listed, %d sequences, %d library differences -> %s" % (
        len(cps), len(lines), len(sequences), len(differences), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
