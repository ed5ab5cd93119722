"""Writes the prompt files for the default model's heads (`medusa distill --prompts`): 768
greedy, 768 sampled and 128 held-out text prompts of 3-8 words cut from KJV and Shakespeare
lines (verse numbers dropped), seed 7.

    python Golden/tools/default_model/make_head_prompts.py WORK OUT

WORK is train.py's --work folder (kjv_raw.txt, shk/); OUT receives greedy.jsonl, sampled.jsonl
and held.jsonl.
"""

import json
import os
import random
import sys


def lines(path):
    with open(path, encoding="utf-8", errors="ignore") as f:
        return [line.strip() for line in f if len(line.split()) >= 6]


def main():
    work, out = sys.argv[1], sys.argv[2]
    pool = lines(os.path.join(work, "kjv_raw.txt"))
    for root, _, files in os.walk(os.path.join(work, "shk")):
        for name in files:
            pool += lines(os.path.join(root, name))
    rng = random.Random(7)

    def prompt():
        words = [w for w in rng.choice(pool).split() if not any(c.isdigit() for c in w)]
        return " ".join(words[: rng.randint(3, 8)])

    prompts = [prompt() for _ in range(1536 + 128)]
    os.makedirs(out, exist_ok=True)
    for name, part in (("greedy", prompts[:768]), ("sampled", prompts[768:1536]),
                       ("held", prompts[1536:])):
        with open(os.path.join(out, name + ".jsonl"), "w") as f:
            for text in part:
                f.write(json.dumps({"text": text}) + "\n")


if __name__ == "__main__":
    main()
