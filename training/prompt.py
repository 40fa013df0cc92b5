"""Needle's prompt and target rendering (NEEDLE.md "Prompt and decoding").

Reproduces the reference's generate() input side (tool names snake_cased,
tools re-serialised as compact ASCII-escaped JSON, encoder ids =
query[:1022] + <tools> + tools, total <= 1024) and its training pairs
(needle/dataset/dataset.py prepare_tool_call_pairs: the answer JSON is
encoded on its own, so it carries SentencePiece's dummy-prefix "▁";
decoder input = [EOS, <tool_call>] + answer ids, target = [<tool_call>] +
answer ids + [EOS]).
"""

import json
import re

from token_ids import EOS_ID, TOOL_CALL_ID, TOOLS_ID

MAX_ENC_LEN = 1024


def to_snake_case(name):
    """Needle's tool-name normalisation: non-alphanumeric runs -> "_",
    "aB" -> "a_B", "ABc" -> "A_Bc", collapse "_", lower-case, strip "_"."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"_+", "_", s)
    return s.lower().strip("_")


def compact_json(value):
    """Python's json.dumps(value, separators=(",", ":")) (ASCII-escaped)."""
    return json.dumps(value, separators=(",", ":"))


def normalize_tools(tools_json):
    """(compact tools JSON with snake_case names, {snake name: original name}).

    Text that is not JSON is returned unchanged; list items that are dicts
    with a string "name" get their name rewritten (last duplicate wins in the map)."""
    try:
        tools = json.loads(tools_json)
    except ValueError:
        return tools_json, {}
    name_map = {}
    if isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                snake = to_snake_case(tool["name"])
                name_map[snake] = tool["name"]
                tool["name"] = snake
    return compact_json(tools), name_map


def restore_tool_names(calls, name_map):
    """Map snake_case call names back to the user's original tool names."""
    return [{**call, "name": name_map.get(call.get("name"), call.get("name"))}
            if isinstance(call, dict) else call for call in calls]


def encoder_ids(sp, query, tools_json):
    """Encoder input: ids(query)[:1022] + [<tools>] + ids(normalised tools), <= 1024."""
    normalized, _ = normalize_tools(tools_json)
    query_ids = sp.encode(query)[:MAX_ENC_LEN - 2]
    room = MAX_ENC_LEN - len(query_ids) - 1
    return query_ids + [TOOLS_ID] + sp.encode(normalized)[:room]


def snake_answer(answer_json, name_map):
    """The training answer: the user-facing answer with names snake_cased, compact JSON."""
    reverse = {original: snake for snake, original in name_map.items()}
    calls = json.loads(answer_json)
    return compact_json([{**c, "name": reverse.get(c["name"], to_snake_case(c["name"]))} for c in calls])


def decoder_pair(sp, answer_text):
    """(decoder input, target): [EOS, <tool_call>] + a and [<tool_call>] + a + [EOS], a = ids(answer)."""
    ids = sp.encode(answer_text)
    return [EOS_ID, TOOL_CALL_ID] + ids, [TOOL_CALL_ID] + ids + [EOS_ID]


def parse_output(sp, ids, name_map):
    """Generated ids -> list of calls with original names, or None if not a JSON list.

    Follows the reference: decode, drop a leading <tool_call>, parse, restore names."""
    if ids and ids[0] == TOOL_CALL_ID:
        ids = ids[1:]
    text = sp.decode(ids)
    try:
        calls = json.loads(text)
    except ValueError:
        return None
    if not isinstance(calls, list):
        return None
    return restore_tool_names(calls, name_map)
