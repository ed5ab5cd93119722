#!/usr/bin/env python3
"""smollm2_chat_prompts.py -- writes the chat prompts the SmolLM2 Medusa heads are distilled from.

Every instruction below was written for this project (no copied text, public domain). Templates
are filled from small word lists with a seeded generator, de-duplicated and shuffled, then split
into a training set and a held-out set whose *templates and topics* are disjoint from training
where it matters: held-out prompts use fillers that no training prompt uses (the last filler of
every list is reserved), so head accuracy is measured on unseen requests.

Each line is {"text": "..."}: the user's message only. `medusa distill --chat model` renders it
with the model's own chat template (SmolLM2: ChatML with its default system prompt).

    python3 Golden/tools/smollm2_chat_prompts.py OUT_DIR      # writes OUT_DIR/train.jsonl, OUT_DIR/held.jsonl

Standard library only; deterministic (same files on every run).
"""

import json
import random
import sys
from pathlib import Path

SEED = 20241202
TRAIN_COUNT = 1200
HELD_COUNT = 160

CONCEPTS = """photosynthesis; gravity; how a rainbow forms; compound interest; the water cycle;
how vaccines work; why the sea is salty; how airplanes stay in the air; the seasons; inflation;
how a refrigerator keeps food cold; the difference between weather and climate; what a black hole is;
how the heart pumps blood; why leaves change colour in autumn; how batteries store energy;
what DNA does; how the internet sends messages; the greenhouse effect; supply and demand;
how a bicycle stays upright; why we dream; how bees make honey; what an atom is; erosion;
how tides work; how a compass works; why the sky is blue; how plants drink water; fermentation;
what a volcano is; how sound travels; the phases of the moon; recycling; how muscles grow;
what a budget is; how a thermometer works; electricity in a house; the food chain; friction;
how fish breathe underwater; what an earthquake is; how glasses help people see; evaporation;
what a democracy is; how bread rises; how a camera takes a picture; what a computer program is;
how clouds form; magnetism; how birds migrate; what a calorie is; the solar system; how soap cleans;
why ice floats; how a lighthouse guides ships; what a fraction is; how a library organizes books""".split(
    ";"
)

TASKS = """boil an egg; plant a tomato seed; make a paper airplane; start a journal; learn to juggle;
clean a cast iron pan; fall asleep faster; tie a bowline knot; prepare for a job interview;
save money on groceries; keep houseplants alive; write a thank-you note; stretch before running;
organize a small closet; memorize a short poem; make a cup of tea; fix a squeaky door;
take better photos with a phone; learn a new language; study for an exam; brew coffee without a machine;
make friends in a new city; care for a goldfish; set up a weekly meal plan; clean a laptop keyboard;
sharpen a kitchen knife; start running as a beginner; remove a coffee stain; build a birdhouse;
plan a birthday party; back up my photos; make a simple budget; calm down before a speech;
teach a dog to sit; wash a wool sweater; change a flat bicycle tire; practice mindfulness;
write a good email subject line; pack for a weekend trip; keep a conversation going""".split(";")

THINGS = """fruits that are high in vitamin C; board games for a family evening; ways to reduce plastic waste;
hobbies that cost little money; animals that live in the desert; healthy breakfast ideas;
reasons to learn to cook; indoor activities for a rainy day; famous kinds of bridges; ways to stay focused;
vegetables that grow quickly; questions to ask a new coworker; things to bring on a hike;
ways to be kind to a neighbor; easy exercises to do at a desk; names for a pet turtle;
uses for a glass jar; snacks for a long car ride; ways to improve handwriting; birds you can see in a city;
benefits of walking every day; musical instruments for beginners; ways to save electricity at home;
facts about the ocean; tips for a tidy kitchen; topics for a short speech; ideas for a picnic""".split(";")

SUBJECTS = """the ocean at night; a cat asleep in the sun; the first snow of winter; a busy train station;
an old oak tree; a cup of hot soup; the moon over a quiet town; a lost umbrella; autumn leaves;
a lighthouse in a storm; a morning bird song; a garden after rain; a grandmother's kitchen;
a paper boat; the smell of fresh bread; a city at dawn; a sleepy dog; a mountain lake; a kite in the wind;
a candle in the dark; summer thunder; a quiet library; a river stone; a field of sunflowers""".split(";")

PAIRS = """a virus and bacteria; weather and climate; a frog and a toad; speed and velocity; a lake and a pond;
baking soda and baking powder; a comet and an asteroid; an ocean and a sea; a crocodile and an alligator;
a credit card and a debit card; RAM and storage; a hurricane and a tornado; an herb and a spice;
a simile and a metaphor; a mountain and a hill; a noun and a verb; a rabbit and a hare; mass and weight;
a city and a town; a novel and a short story; a moth and a butterfly; a sweater and a jacket;
a planet and a star; a list and a set in Python""".split(";")

ACTIVITIES = """learning to swim; writing a short story; running a first 5k; starting a vegetable garden;
keeping a tidy desk; speaking in public; reading more books; drawing with pencils; cooking rice;
taking care of a puppy; working from home; learning to play the guitar; riding a bike in traffic;
staying hydrated; getting up early; making new friends; playing chess; camping in the rain;
studying math; taking notes in class; baking cookies; saving for a holiday; learning to type faster""".split(";")

CODE = """reverses a string; checks whether a number is prime; counts the vowels in a word;
returns the largest number in a list; converts Celsius to Fahrenheit; removes duplicates from a list;
checks whether a word is a palindrome; sums the even numbers in a list; returns the factorial of n;
finds the average of a list of numbers; counts how often each word appears in a sentence;
returns the n-th Fibonacci number; capitalizes the first letter of every word; merges two sorted lists;
checks whether a year is a leap year; flattens a list of lists; returns the second smallest number;
converts a number of minutes into hours and minutes; checks whether two words are anagrams;
returns the length of the longest word in a sentence; rounds a price to two decimals""".split(";")

RECIPIENTS = """my manager; a teacher; my landlord; a friend I have not seen in years; a new neighbor;
the school principal; a customer; my team; a local library; my cousin""".split(";")

EMAIL_TOPICS = """a meeting that has to move to Friday; a broken heater; thanks for a birthday gift;
a request for a day off; an invitation to a barbecue; a question about a homework deadline;
a late delivery; a new project starting next week; a lost library book; a reminder about a shared bill""".split(
    ";"
)

WORDS = """curious; resilient; generous; brief; ancient; fragile; humble; vivid; patient; enormous;
gentle; reluctant; clever; honest; ordinary; rapid; silent; tidy; eager; bold; calm; rare""".split(";")

SENTENCES = """hey can u send me the file asap; the food was ok i guess but kinda cold; we gotta finish this by tmrw;
thanks a ton for the help yesterday; i wanna know when the store opens; the meeting is moved cause the boss is sick;
my phone broke so i cant call u; pls tell me if the plan changed; this report is super long and boring;
i think we should maybe try again later""".split(";")

CHARACTERS = """a shy robot; a brave mouse; an old fisherman; a curious girl; a lazy dragon; a lost puppy;
a retired astronaut; a talking tree; a young baker; a forgetful wizard; a clever fox; a lonely penguin""".split(";")

EVENTS = """finds a map in a bottle; learns to whistle; gets lost in a big city; wins a baking contest;
meets a new friend; discovers a hidden door; misses the last train; plants a magic seed;
finds a key that opens nothing; sees snow for the first time""".split(";")

QUESTIONS = """Why do cats purr?; Why do we have fingerprints?; How long does it take light from the sun to reach Earth?;
Why do onions make people cry?; What makes popcorn pop?; Why do we yawn?; How do chameleons change colour?;
Why is the ocean blue?; How many bones are in the human body?; Why do stars twinkle?; What causes hiccups?;
Why do apples turn brown after being cut?; How do airplanes fly through clouds?; Why do we need sleep?;
What is the tallest animal in the world?; How do spiders make webs?; Why does bread go stale?;
Why do some birds not fly?; How does a seed know which way is up?; Why do we get goosebumps?""".split(";")

TEMPLATES = [
    ("Explain {c} in simple terms.", {"c": CONCEPTS}),
    ("Can you explain {c} to a ten-year-old?", {"c": CONCEPTS}),
    ("Give me a short summary of {c}.", {"c": CONCEPTS}),
    ("What should everyone know about {c}?", {"c": CONCEPTS}),
    ("How do I {t}?", {"t": TASKS}),
    ("What is the easiest way to {t}?", {"t": TASKS}),
    ("Give me step-by-step instructions to {t}.", {"t": TASKS}),
    ("List {n} {x}.", {"n": ["three", "four", "five"], "x": THINGS}),
    ("What are some {x}?", {"x": THINGS}),
    ("Write a short poem about {s}.", {"s": SUBJECTS}),
    ("Write a haiku about {s}.", {"s": SUBJECTS}),
    ("Describe {s} in three sentences.", {"s": SUBJECTS}),
    ("What is the difference between {p}?", {"p": PAIRS}),
    ("Compare {p} in a few sentences.", {"p": PAIRS}),
    ("What are some tips for {a}?", {"a": ACTIVITIES}),
    ("I am new to {a}. Where should I start?", {"a": ACTIVITIES}),
    ("What mistakes do beginners make when {a}?", {"a": ACTIVITIES}),
    ("Write a Python function that {f}.", {"f": CODE}),
    ("How would you write a function in Python that {f}? Explain the code.", {"f": CODE}),
    ("Write a short email to {r} about {e}.", {"r": RECIPIENTS, "e": EMAIL_TOPICS}),
    ("Define the word '{w}' and use it in a sentence.", {"w": WORDS}),
    ("Give me two synonyms and one antonym for '{w}'.", {"w": WORDS}),
    ("Rewrite this sentence to sound more formal: \"{q}\"", {"q": SENTENCES}),
    ("Fix the grammar and spelling in this message: \"{q}\"", {"q": SENTENCES}),
    ("Write a two-sentence story about {h} who {v}.", {"h": CHARACTERS, "v": EVENTS}),
    ("Tell me a very short bedtime story about {h} who {v}.", {"h": CHARACTERS, "v": EVENTS}),
    ("{question}", {"question": QUESTIONS}),
]

ARITHMETIC = [
    "If I have {a} apples and give away {b}, how many apples are left?",
    "A train travels {a} kilometres in {b} hours. What is its average speed?",
    "What is {a} plus {b}?",
    "What is {a} times {b}?",
    "A book costs {a} dollars and a pen costs {b} dollars. How much do both cost together?",
    "Tom is {a} years old. His sister is {b} years younger. How old is his sister?",
]


def clean(items):
    return [" ".join(item.split()) for item in items if item.strip()]


def fill(rng, template, slots, held):
    """One prompt; `held` picks fillers from the reserved last item of each list."""
    values = {}
    for name, items in slots.items():
        items = clean(items)
        if len(items) < 3:  # tiny lists (counts) are shared
            values[name] = rng.choice(items)
        elif held:
            values[name] = rng.choice(items[-2:])
        else:
            values[name] = rng.choice(items[:-2])
    return template.format(**values)


def arithmetic(rng, held):
    template = rng.choice(ARITHMETIC)
    low, high = (50, 99) if held else (2, 49)
    a, b = rng.randint(low, high), rng.randint(2, 40)
    if "give away" in template or "younger" in template:
        a, b = max(a, b) + 1, min(a, b)
    return template.format(a=a, b=b)


def prompts(rng, count, held, exclude):
    out, seen = [], set(exclude)
    attempts = 0
    while len(out) < count and attempts < 200 * count:
        attempts += 1
        if rng.random() < 0.08:
            text = arithmetic(rng, held)
        else:
            template, slots = rng.choice(TEMPLATES)
            text = fill(rng, template, slots, held)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: smollm2_chat_prompts.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    train = prompts(rng, TRAIN_COUNT, held=False, exclude=[])
    held = prompts(rng, HELD_COUNT, held=True, exclude=train)
    for name, items in (("train.jsonl", train), ("held.jsonl", held)):
        with open(out / name, "w", encoding="utf-8") as f:
            for text in items:
                f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
        print(f"{out / name}: {len(items)} prompts")


if __name__ == "__main__":
    main()
