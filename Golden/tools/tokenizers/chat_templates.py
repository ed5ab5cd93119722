"""Chat templates as written in the real tokenizer_config.json files (Jinja), rendered the way
transformers renders them (jinja2 sandbox, trim_blocks, lstrip_blocks)."""

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

VICUNA_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                 "The assistant gives helpful, detailed, and polite answers to the user's "
                 "questions.")

# FastChat's vicuna_v1.1 conversation (SeparatorStyle.ADD_COLON_TWO, sep " ", sep2 "</s>").
VICUNA = (
    "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set system_message = '" + VICUNA_SYSTEM
    .replace("'", "\\'") + "' %}{% set loop_messages = messages %}{% endif %}"
    "{{ system_message + ' ' }}{% for message in loop_messages %}"
    "{% if message['role'] == 'user' %}{{ 'USER: ' + message['content'] + ' ' }}"
    "{% elif message['role'] == 'assistant' %}{{ 'ASSISTANT: ' + message['content'] + eos_token }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}")

# HuggingFaceH4/zephyr-7b-beta
ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

# meta-llama/Llama-2-7b-chat-hf
LLAMA2 = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}"
    "{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
    "{% endif %}{% endfor %}")

# ChatML (Qwen2 / SmolLM-Instruct style, without a default system prompt)
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

TEMPLATES = {"vicuna": VICUNA, "zephyr": ZEPHYR, "llama2": LLAMA2, "chatml": CHATML}

CONVERSATIONS = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4."},
     {"role": "user", "content": "And 3+3?"}],
    [{"role": "system", "content": "Be kind.\nAlways."},
     {"role": "user", "content": "  padded question  "},
     {"role": "assistant", "content": "\tpadded answer\n"},
     {"role": "user", "content": "Unicode: café 😀 中文 e\u0301"}],
    [{"role": "user", "content": ""}],
    [{"role": "user", "content": "Line one\nLine two\n\nLine four"},
     {"role": "assistant", "content": "Sure: <s> and </s> are just text here."}],
    [{"role": "system", "content": ""}, {"role": "user", "content": "empty system"}],
    [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
     {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}],
]

TOKENS = [("<s>", "</s>"), ("<|begin_of_text|>", "<|im_end|>")]


def raise_exception(message):
    raise TemplateError(message)


def render(name, messages, add_generation_prompt, bos, eos):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(TEMPLATES[name]).render(
        messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos,
        eos_token=eos)


def rendered():
    """Every template on every conversation, with and without a generation prompt."""
    out = []
    for name in TEMPLATES:
        for index, messages in enumerate(CONVERSATIONS):
            for add in (False, True):
                for bos, eos in TOKENS:
                    out.append({"template": name, "conversation": index, "messages": messages,
                                "add_generation_prompt": add, "bos_token": bos,
                                "eos_token": eos,
                                "rendered": render(name, messages, add, bos, eos)})
    return {"templates": TEMPLATES, "cases": out}


def tokenizer_config(hint, tokenizer_json):
    """A tokenizer_config.json like the real ones: bos/eos and, when given, a chat template."""
    contents = {t["content"] for t in tokenizer_json.get("added_tokens", [])}
    config = {"clean_up_tokenization_spaces": False}
    for key, candidates in [("bos_token", ["<s>", "<|begin_of_text|>"]),
                            ("eos_token", ["</s>", "<|endoftext|>", "<|end_of_text|>"])]:
        for candidate in candidates:
            if candidate in contents:
                config[key] = candidate
                break
    if hint:
        config["chat_template"] = TEMPLATES[hint]
    return config
