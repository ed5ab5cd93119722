"""Training text and the agreement corpus for the tokenizer golden files.

Everything here is deterministic: fixed file lists, fixed seeds.
"""

import random
import sysconfig
from pathlib import Path

LICENSES = Path("/usr/share/common-licenses")
LICENSE_FILES = ["GPL-3", "GPL-2", "LGPL-3", "Apache-2.0", "GFDL-1.3", "Artistic", "MPL-2.0"]
STDLIB_FILES = ["textwrap.py", "argparse.py", "json/decoder.py", "string.py", "difflib.py",
                "calendar.py", "fractions.py", "statistics.py", "heapq.py", "shlex.py"]

# Short sentences in several scripts, so the trained vocabularies have merges beyond ASCII.
MULTILINGUAL = [
    "Le cœur a ses raisons que la raison ne connaît point.",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein.",
    "¿Dónde está la biblioteca? Está allí, señora.",
    "Η γλώσσα μου έδωσαν ελληνική, το σπίτι φτωχικό.",
    "Я помню чудное мгновенье: передо мной явилась ты.",
    "В начале было Слово, и Слово было у Бога.",
    "السلام عليكم ورحمة الله وبركاته",
    "שלום עולם, מה שלומך היום?",
    "नमस्ते दुनिया, आप कैसे हैं?",
    "你好，世界！今天天气很好。我们一起去公园吧。",
    "日本語のテキストです。ひらがなとカタカナと漢字。",
    "안녕하세요 세계! 오늘 날씨가 좋네요.",
    "สวัสดีครับ ยินดีที่ได้รู้จัก",
    "Tiếng Việt có dấu: người, được, những, chúng tôi.",
    "Zażółć gęślą jaźń, źdźbło żyta.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Türkçe: Çok güzel bir gün, ağaçlar yeşil.",
    "ქართული ენა ძალიან ლამაზია",
    "Հայերեն լեզուն հին է",
    "தமிழ் ஒரு செம்மொழி",
]

# Hand-written edge cases: scripts, emoji, ZWJ, combining marks, whitespace, digits, code,
# special tokens inside text, characters outside every vocabulary.
EDGE = [
    "", " ", "  ", "\t", "\n", "\r\n", " \n ", "\n\n\n", "a\n\nb", "a \n b", "x\r\ny",
    "Hello world", " Hello world", "Hello  world", "Hello   world   ", "   leading", "trailing   ",
    "tab\tseparated\tvalues", "\t\tindented", "line1\nline2\n", "mixed \t\n whitespace",
    "\u00a0nbsp\u00a0here", "ideographic\u3000space", "en\u2002em\u2003thin\u2009", "nel\u0085x",
    "line\u2028sep\u2029para", "zero\u200bwidth", "\u180emongolian", "\u000bvt\u000cff",
    "I'm you're we've they'll he'd it's can't", "I'M YOU'RE WE'VE THEY'LL HE'D IT'S",
    "O'Neil's 'quoted' 'S 'T 'Re 'vE", "l'ſ 'ſ", "rock'n'roll", "''''", "' s",
    "1 12 123 1234 12345 123456", "3.14159 2.71828", "1,000,000", "٠١٢٣٤٥٦٧٨٩ ۰۱۲", "१२३",
    "１２３ full-width", "x² y³ ½ ¾ ⅓", "Ⅻ Ⅳ ⅷ roman", "①②③", "𝟘𝟙𝟚", "2024-01-31T12:00:00Z",
    "def f(x):\n    return x ** 2\n", "for (int i = 0; i < n; i++) { sum += a[i]; }",
    "if x != None and y >= 3:\n\tpass", "print(\"hello\\n\")", "SELECT * FROM t WHERE id=42;",
    "<html><body class=\"main\">Hi</body></html>", "{\"key\": [1, 2, 3], \"ok\": true}",
    "https://example.com/path?q=1&r=2#frag", "user@example.org", "~/.bashrc && ls -la | grep x",
    "😀", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷🇯🇵", "❤️", "🧑🏾‍💻 coding", "a😀b", "emoji 🎉 party 🎊!",
    "é", "e\u0301", "cafe\u0301 café", "n\u0303 ñ", "Z\u0351\u0352\u0353a\u0354\u0355l\u0356g\u0357o",
    "\u0915\u094d\u0937", "Å Å Å", "ﬁ ﬂ ﬀ ligatures", "Ǆ ǅ ǆ", "İstanbul ıi", "ΣΑΣ σας ς",
    "ß ẞ straße", "ǰ", "ＡＢＣ ｱｲｳ", "㍿ ㌀", "\u2126 \u212b \u212a", "ℌ ℍ ℎ",
    "<s>", "</s>", "<unk>", "<s>Hello</s>", "Hello <s> world", "Hello<s>world", " <s> ",
    "a</s>b</s>", "<s><s><s>", "<|endoftext|>", "text<|endoftext|>more", "<|endoftext|> spaced",
    "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|>assistant\n", "<|begin_of_text|>Hi",
    "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>", "<|reserved_special_token_0|>",
    "[MASK] token", "a [MASK] b", "a   [MASK]   b", "<|user|>hi", "x  <|user|>  y", "<|bot|>  z",
    "hello world", "HELLO WORLD", "say hello world now", "foo", "foo bar", "foobar", "a foo.",
    "xfoo foox", "(foo)", "<s", "s>", "<|endoftext", "|>", "<0x41>", "<0xZZ>",
    "\u0000null", "\u0001\u0002\u0003", "\u007fdel", "\ue000 private", "\U0010fffd", "\ufffd",
    "\uffff", "\U0001f9ff", "\U00020000 ext B", "\U000323af", "𓀀 hieroglyph", "ᚠᛇᚻ runes",
    "ꦲꦏ꧀ꦱꦫ", "𐌰𐌱 gothic", "☃ ★ ♫ ☂", "→ ⇒ ∀ ∃ ∑ ∫ ≠ ≤", "© ® ™ § ¶ † ‡", "€ £ ¥ ₹ ₿ $",
    "…", "— – -", "«guillemets» „quotes“", "¡¿", "‹›", "\u00ad soft hyphen", "\u200d\u200c",
    "\u200e\u200f bidi", "\u202e reversed", "\ufeffBOM", "a\u0300\u0301\u0302\u0303\u0304",
    "ＨＥＬＬＯ", "Ⓐⓑ", "🄰", "𝐀𝐁𝐂 bold", "𝓗𝓮𝓵𝓵𝓸",
]


def read_training_text():
    """Returns the training lines: licences, some stdlib modules and multilingual samples."""
    lines = []
    for name in LICENSE_FILES:
        path = LICENSES / name
        if path.exists():
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in STDLIB_FILES:
        lines += (stdlib / name).read_text(encoding="utf-8").splitlines()
    lines += MULTILINGUAL * 30
    lines += EDGE * 3
    return lines


def random_strings(rng, count):
    """Random strings mixing characters of many categories and scripts."""
    pools = [
        " ", "  ", "\t", "\n", "\r", "\u00a0", "\u3000", "'", "'s", "'LL", ".", ",", "!", "?",
        "0", "7", "42", "٣", "²", "½", "a", "Z", "é", "e\u0301", "ß", "ø", "Ω", "ж", "ש", "ع",
        "क", "中", "語", "ア", "한", "ก", "😀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "\u0301", "\u200d",
        "\ue000", "\U0001f9ff", "\U00020000", "<s>", "</s>", "<|endoftext|>", "<|im_end|>",
        "[MASK]", "foo", "hello world", "the", " the", "ing", "tion", "_", "-", "(", ")", "{",
        "\\", "\"", "#", "@", "~", "\u0000", "\u007f", "\U000e0001", "\u2028", "\u0085",
    ]
    out = []
    for _ in range(count):
        n = rng.randint(1, 12)
        out.append("".join(rng.choice(pools) for _ in range(n)))
    return out


def build_corpus():
    """The agreement corpus: edge cases, multilingual lines, prose, code and random mixes."""
    rng = random.Random(1234)
    training = read_training_text()
    prose = [line for line in training[: len(training) // 2] if line.strip()]
    code = [line for line in training[len(training) // 2:] if line.strip()]
    corpus = list(EDGE) + list(MULTILINGUAL)
    corpus += rng.sample(prose, min(620, len(prose)))
    corpus += rng.sample(code, min(420, len(code)))
    # Multi-line chunks and mixtures of the above.
    for _ in range(150):
        k = rng.randint(2, 3)
        corpus.append(rng.choice(["\n", " ", "\n\n", "\t", ""]).join(rng.sample(prose + code, k)))
    for _ in range(150):
        corpus.append(rng.choice(MULTILINGUAL) + " " + rng.choice(EDGE) + rng.choice(prose))
    corpus += random_strings(rng, 500)
    return corpus
