"""tokenizer.json builders: one small trained vocabulary per model family, with that family's
exact pipeline (normalizer, pre-tokenizer, model flags, decoder, post-processor, added tokens)
as found in the real files on the Hugging Face hub."""

import json
from collections import Counter

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

GPT2_REGEX = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def added(id_, content, special=True, lstrip=False, rstrip=False, single_word=False,
          normalized=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def template(bos=None, eos=None):
    single, specials = [], {}
    if bos:
        single.append({"SpecialToken": {"id": bos[0], "type_id": 0}})
        specials[bos[0]] = {"id": bos[0], "ids": [bos[1]], "tokens": [bos[0]]}
    single.append({"Sequence": {"id": "A", "type_id": 0}})
    if eos:
        single.append({"SpecialToken": {"id": eos[0], "type_id": 0}})
        specials[eos[0]] = {"id": eos[0], "ids": [eos[1]], "tokens": [eos[0]]}
    pair = single + [{"Sequence": {"id": "B", "type_id": 1}}]
    return {"type": "TemplateProcessing", "single": single, "pair": pair,
            "special_tokens": specials}


def byte_level(add_prefix_space=False, use_regex=True):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True,
            "use_regex": use_regex}


def split(regex):
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


def llama_decoder():
    return {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def train_sentencepiece_style(lines, vocab_size):
    """A Llama-2-like vocabulary: <unk> <s> </s>, then the 256 byte tokens, then merges."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    # The library breaks ties at the alphabet limit in hash order; choosing the alphabet here
    # (most frequent first, then by code point) keeps regeneration byte-for-byte stable.
    counts = Counter(c for line in lines for c in line.replace(" ", "▁"))
    alphabet = sorted(counts, key=lambda c: (-counts[c], ord(c)))[:160]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=alphabet, limit_alphabet=160,
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    j = json.loads(tok.to_str())
    j["added_tokens"] = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")]
    return j


def train_byte_level(lines, vocab_size, pre_tokenizer, specials):
    """A byte-level vocabulary trained with the family's own pre-tokenizer."""
    j = json.loads(Tokenizer(models.BPE()).to_str())
    j["pre_tokenizer"] = pre_tokenizer
    tok = Tokenizer.from_str(json.dumps(j))
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    return json.loads(tok.to_str())


def llama2(lines):
    j = train_sentencepiece_style(lines, 3000)
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    j["pre_tokenizer"] = None
    j["post_processor"] = template(bos=("<s>", 1))
    j["decoder"] = llama_decoder()
    # The real Llama-2 files keep merges in the "a b" string form.
    j["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m
                            for m in j["model"]["merges"]]
    return j


def tinyllama(lines):
    j = train_sentencepiece_style(lines, 2500)
    j["normalizer"] = None
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first",
                          "split": False}
    j["post_processor"] = template(bos=("<s>", 1))
    j["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first",
                    "split": False}
    return j


def gpt2(lines):
    j = train_byte_level(lines, 2000, byte_level(), ["<|endoftext|>"])
    j["added_tokens"] = [added(0, "<|endoftext|>")]
    j["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m
                            for m in j["model"]["merges"]]
    j["post_processor"] = byte_level()
    j["decoder"] = byte_level()
    return j


def smollm(lines):
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, byte_level()]}
    j = train_byte_level(lines, 2000, pre, specials)
    j["added_tokens"] = [added(i, t) for i, t in enumerate(specials)]
    j["post_processor"] = byte_level()
    j["decoder"] = byte_level()
    return j


def llama3(lines):
    pre = {"type": "Sequence", "pretokenizers": [split(LLAMA3_REGEX),
                                                 byte_level(use_regex=False)]}
    j = train_byte_level(lines, 3000, pre, [])
    n = len(j["model"]["vocab"])
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|start_header_id|>", "<|end_header_id|>",
             "<|eot_id|>"]
    j["added_tokens"] = [added(n + i, t) for i, t in enumerate(names)]
    j["model"]["ignore_merges"] = True
    j["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        template(bos=("<|begin_of_text|>", n))]}
    j["decoder"] = byte_level(add_prefix_space=True)
    return j


def qwen2(lines):
    pre = {"type": "Sequence", "pretokenizers": [split(QWEN2_REGEX), byte_level(use_regex=False)]}
    j = train_byte_level(lines, 2500, pre, [])
    n = len(j["model"]["vocab"])
    j["added_tokens"] = [added(n + i, t) for i, t in
                         enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])]
    j["normalizer"] = {"type": "NFC"}
    j["post_processor"] = None
    j["decoder"] = byte_level()
    return j


def misc(lines):
    """Not a real family: the remaining components and every added-token flag."""
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"String": ","}, "behavior": "MergedWithPrevious",
         "invert": False},
        {"type": "Digits", "individual_digits": False},
        byte_level(add_prefix_space=True, use_regex=True)]}
    j = train_byte_level(lines, 1500, pre, ["<s>", "</s>"])
    n = len(j["model"]["vocab"])
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Lowercase"},
        {"type": "Strip", "strip_left": True, "strip_right": True}]}
    j["added_tokens"] = [
        added(0, "<s>"), added(1, "</s>"),
        added(n, "<|user|>", lstrip=True), added(n + 1, "<|bot|>", rstrip=True),
        added(n + 2, "[MASK]", special=False, lstrip=True, rstrip=True),
        added(n + 3, "hello world", special=False, normalized=True),
        added(n + 4, "foo", special=False, single_word=True),
        added(n + 5, "<|im_end|>", special=True, normalized=True)]
    j["post_processor"] = template(bos=("<s>", 0), eos=("</s>", 1))
    j["decoder"] = {"type": "Sequence", "decoders": [byte_level(), {
        "type": "Replace", "pattern": {"String": "  "}, "content": " "}]}
    return j


def variants(lines):
    """Not a real family: the unknown token without byte fallback (fuse_unk off), NFD,
    Metaspace with prepend_scheme "always" and split, and the Split behaviors not used above."""
    j = train_sentencepiece_style(lines, 1200)
    j["model"]["byte_fallback"] = False
    j["model"]["fuse_unk"] = False
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFD"}, {"type": "Replace", "pattern": {"String": "\t"}, "content": " "}]}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"String": "--"}, "behavior": "Removed", "invert": False},
        {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext",
         "invert": False},
        {"type": "Split", "pattern": {"String": "::"}, "behavior": "Contiguous", "invert": False},
        {"type": "Split", "pattern": {"Regex": GPT2_REGEX}, "behavior": "Removed",
         "invert": True},
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}]}
    j["post_processor"] = template(eos=("</s>", 2))
    j["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁▁"}, "content": "▁"},
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}]}
    return j


# Families checked on only the first N corpus strings (the hand-written edge cases), to keep
# the committed files small.
CORPUS_SUBSET = {"variants": 400}

FAMILIES = {"llama2": llama2, "tinyllama": tinyllama, "gpt2": gpt2, "smollm": smollm,
            "llama3": llama3, "qwen2": qwen2, "misc": misc, "variants": variants}
