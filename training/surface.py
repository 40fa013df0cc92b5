"""Training data that can only be solved by reading the tools (fixed seed, stdlib only).

Every example draws its tool surface afresh:
- composed tools: a verb group (create, delete, book, renew-like "extend", ...
  lexicon.VERBS) or a made-up verb, times a noun (lexicon.NOUNS) or a made-up
  noun, with parameters of typed roles (city, person, time, date, count,
  money, quoted text, IDs, enums, booleans, ...) whose names are drawn from
  synonyms (location / city / place / where ...); names in snake, camel,
  Pascal, dotted and kebab styles, with and without the verb, in either word
  order; descriptions of different lengths and wording, sometimes with an
  example request, sometimes none. The request says a verb of the group and
  the noun, and copies the argument values (digits or words, times, dates,
  emails, IDs, quoted text, multi-word names, casing kept). Distractors share
  the noun (another verb) or the verb (another noun) of the target, so
  choosing means matching both words against names and descriptions;
- catalog tools: data.py's examples (its training frames, phrasings and
  values), re-surfaced: tool names rewritten (verb synonyms, "get" dropped,
  word order, style), parameters renamed by synonyms (answers follow),
  descriptions rewritten or dropped, a quarter of the string values
  replaced by made-up words in the query and the answer alike;
- multi-call requests, and no-call requests measured apart: a request for a
  (verb, noun) pair no tool has, among look-alikes; small talk; no tools.

No query of the hand-written evaluation set (training/eval/handwritten.jsonl)
is ever emitted; no noun names a kind of its "unseen" cases; the frame
pieces are data.py's training ones (held_out_words_absent()).

Writes train.jsonl, val.jsonl (train.py's validation loss) and
test_composed.jsonl (composed tools on nouns held out of training, data.py's
test frames) to --out, each line {query, tools, answer, split, family, template}.

Usage: /usr/bin/python3 training/surface.py [--train N] [--eval N] [--seed S] [--out DIR] [--catalog-share F] [--no-call-share F]
"""

import argparse
import json
import os
import random
import re

import data
import lexicon
from chitchat import chitchat
from prompt import compact_json, to_snake_case
from values import BOOKS, EVENTS, KINDS, MOVIES, PLAYLISTS, RELATIVE_DATES, SONGS, SUBJECTS, TASKS, number_words

HERE = os.path.dirname(os.path.abspath(__file__))
HANDWRITTEN = os.path.join(HERE, "eval", "handwritten.jsonl")
MADE_UP_VALUES = 0.25      # share of string values made of made-up words
DROP_NAME_WORD = 0.3       # share of re-surfaced names of 3+ words that lose an inner word
HELD_OUT_NOUN_EVERY = 10   # every 10th noun of lexicon.NOUNS appears only in test_composed
TITLES = EVENTS + TASKS + SONGS + PLAYLISTS + SUBJECTS + BOOKS + MOVIES


def normal(query):
    """Lower case, runs of non-alphanumerics as one space (as tests/handwritten-eval.test.ts compares)."""
    return re.sub(r"[^a-z0-9]+", " ", query.lower()).strip()


def handwritten_queries(path=HANDWRITTEN):
    with open(path) as f:
        return {normal(json.loads(line)["query"]) for line in f if line.strip()}


def eval_kinds_absent(path=HANDWRITTEN):
    """No noun of the lexicon is a word of the tool_kind of an unseen hand-written case."""
    with open(path) as f:
        kinds = {json.loads(line)["tool_kind"] for line in f if line.strip() and json.loads(line)["kind"] == "unseen"}
    # words of the labels that name no kind by themselves ("coffee_order": "order"), or a kind the catalog has
    generic = {"up", "made", "order", "log", "find", "time", "number", "count", "id", "code", "unit", "device",
               "color", "split", "random", "recipe", "age", "zone", "word"}
    words = {w for k in kinds for w in k.split("_")} - generic
    for names, says in lexicon.NOUNS:
        for noun in names + says:
            for w in re.split(r"[_ \-]", noun.lower()):
                assert w not in words, (noun, w)


def held_out_words_absent():
    """data.py's check, extended to the lexicon's phrases and descriptions."""
    data.held_out_words_absent()
    pieces = [p for _, _, says, _ in lexicon.VERBS for p in says] + lexicon.DESCRIPTIONS + lexicon.ENUM_SAY
    pieces += [p for role in lexicon.ROLES.values() for p in role[3] + role[4]]
    pieces += [p for pair in lexicon.TOGGLE_SAY for p in pair]
    for word in data.HELD_OUT_WORDS:
        for piece in pieces:
            assert word not in piece.lower(), (word, piece)


# ---- values ------------------------------------------------------------------------

def draw_role_value(role, rng):
    """(text in the request, JSON value) for a parameter role; a quarter of
    the strings get their words replaced by made-up ones, so that values are
    copied from the request rather than recalled from a closed list."""
    surface, value = pool_value(role, rng)
    if isinstance(value, str) and rng.random() < MADE_UP_VALUES:
        value = made_up_like(value, rng)
        return value, value
    return surface, value


def made_up_like(value, rng):
    """The value with each alphabetic word replaced by a made-up word of the same casing."""
    words = []
    for word in value.split(" "):
        if word.isalpha() and len(word) > 1:
            new = made_up_word(rng)
            word = new.upper() if word.isupper() else new.capitalize() if word[0].isupper() else new
        words.append(word)
    return " ".join(words)


def pool_value(role, rng):
    kind = lexicon.ROLES[role][2]
    if kind == "title":
        s = rng.choice(TITLES)
        return s, s
    if kind == "ref":
        s = rng.choice([f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXZ')}-{rng.randrange(100, 99999)}",
                        f"{rng.randrange(10000, 9999999)}", f"{rng.choice(['ZX', 'QK', 'TR', 'MB'])}{rng.randrange(10, 99)}-{rng.randrange(10, 99)}",
                        f"{rng.choice(['inv', 'res', 'tk', 'ord'])}_{rng.randrange(1000, 9999)}"])
        return s, s
    if kind == "count":
        n = rng.randint(1, 20)
        return (number_words(n) if rng.random() < 0.35 else str(n)), n
    return KINDS[kind](rng)


REAL_WORDS = {w for names, says in lexicon.NOUNS for n in names + says for w in re.split(r"[_ \-]", n.lower())} | \
    {w for _, names, says, _ in lexicon.VERBS for n in names + says for w in re.split(r"[_ ]", n)}


def made_up_word(rng):
    """A pronounceable word that is none of the lexicon's words, nor contains one of five letters or more."""
    while True:
        word = "".join(rng.choice(lexicon.ONSETS) + rng.choice(lexicon.VOWELS) for _ in range(rng.choice([1, 2, 2, 3]))) \
            + rng.choice(lexicon.CODAS)
        if word not in REAL_WORDS and not any(len(w) >= 5 and w in word for w in REAL_WORDS):
            return word


def article(noun):
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def plural(noun):
    return noun if noun.endswith("s") else noun + "s"


# ---- composed tools ----------------------------------------------------------------

# Verb groups close enough that one request could mean either: never target and distractor on one noun.
CLOSE_VERBS = [{"get", "list", "search", "scan"}, {"start", "resume"}, {"stop", "pause"}, {"delete", "reset"},
               {"create", "schedule", "book"}, {"send", "invite"}, {"close", "hide"}, {"order", "book"}]


class Composed:
    """A tool of a composed kind: verb (group, name word, request phrases,
    description verbs), noun (name word, request words), parameters."""

    def __init__(self, verb, noun, params, toggle=False):
        self.verb, self.noun, self.params, self.toggle = verb, noun, params, toggle
        self.key = (verb[0], noun[0])

    def conflicts(self, other):
        """Whether a request for one could be read as a request for the other."""
        if self.noun[0] != other.noun[0]:
            return False
        pair = {self.verb[0], other.verb[0]}
        return len(pair) == 1 or any(pair <= close for close in CLOSE_VERBS) or self.toggle or other.toggle


class ComposedKinds:
    """Draws composed tools from a noun pool (train or held-out nouns)."""

    def __init__(self, nouns, rng):
        self.nouns, self.rng = nouns, rng

    def verb(self):
        rng = self.rng
        if rng.random() < 0.12:
            w = made_up_word(rng)
            return ("made:" + w, [w], [w], [w.capitalize() + "s"])
        return rng.choice(lexicon.VERBS)

    def noun(self):
        rng = self.rng
        if rng.random() < 0.12:
            w = made_up_word(rng)
            return (w, [w])
        names, says = rng.choice(self.nouns)
        return (rng.choice(names), says)

    def params(self, n_max=3):
        rng = self.rng
        roles = rng.sample(sorted(lexicon.ROLES), rng.choice([0, 1, 1, 2, 2, 3][:n_max + 3]))
        out, used = [], set()
        for role in roles:
            names, ptype = lexicon.ROLES[role][0], lexicon.ROLES[role][1]
            name = rng.choice([n for n in names if n not in used] or [role])
            used.add(name)
            out.append({"name": name, "role": role, "type": ptype, "required": rng.random() < 0.6})
        if rng.random() < 0.2:
            name = rng.choice([n for n in lexicon.ENUM_NAMES if n not in used] or ["choice"])
            used.add(name)
            out.append({"name": name, "role": "enum", "type": "string", "enum": rng.choice(lexicon.ENUM_VALUES),
                        "required": rng.random() < 0.4})
        if out and not any(p["required"] for p in out) and rng.random() < 0.7:
            out[0]["required"] = True
        rng.shuffle(out)
        return out

    def tool(self, verb=None, noun=None):
        rng = self.rng
        if rng.random() < 0.08 and verb is None:
            noun = noun or self.noun()
            extra = [p for p in self.params(1) if p["role"] in ("room", "city")][:1]
            state = {"name": rng.choice(["on", "enabled", "state", "active", "power", "turn_on"]), "role": "bool",
                     "type": "boolean", "required": True}
            return Composed(("toggle", lexicon.TOGGLE_NAMES, [], ["Turns on or off"]), noun, [state] + extra, toggle=True)
        return Composed(verb or self.verb(), noun or self.noun(), self.params())


def name_of(tool, rng):
    """The tool's name in a random style and word order."""
    verb_words = re.split(r"[_ ]", rng.choice(tool.verb[1]))
    noun_words = re.split(r"[_ \-]", tool.noun[0].lower())
    if tool.verb[0] == "get" and rng.random() < 0.15:
        words = noun_words
    elif rng.random() < 0.12:
        words = noun_words + verb_words
    else:
        words = verb_words + noun_words
    style = rng.choices(["snake", "camel", "pascal", "dot", "kebab", "upper_snake"], [40, 25, 14, 12, 6, 3])[0]
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "camel":
        return camel
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    if style == "dot":
        space = rng.choice([noun_words[0] + "s", noun_words[0], "app", "api", "home", "svc"])
        rest = [w for w in words if w != noun_words[0]] or words
        return space + "." + rest[0] + "".join(w.capitalize() for w in rest[1:])
    if style == "kebab":
        return "-".join(words)
    if style == "upper_snake":
        return "_".join(words).upper()
    return "_".join(words)


def describe(tool, example, rng):
    """A description of the tool (or None)."""
    if rng.random() < 0.1:
        return None
    noun = rng.choice(tool.noun[1])
    if tool.toggle:
        return rng.choice([f"Turn the {noun} on or off.", f"Switches the {noun}.", f"Power control for the {noun}.",
                           f"{noun} on/off"])
    template = rng.choice(lexicon.DESCRIPTIONS)
    if "{x}" in template and not example:
        template = "{V} {a}."
    names = ", ".join(p["name"] for p in tool.params) or "nothing"
    return template.format(V=rng.choice(tool.verb[3]), v=rng.choice(tool.verb[2]), n=noun, a=article(noun),
                           p=names, x=example)


def param_spec(p, rng):
    """The flat parameter (type, description, enum, required; keys sometimes left out)."""
    spec = {"type": p["type"]}
    if rng.random() < 0.65:
        if p["role"] == "bool":
            spec["description"] = rng.choice(["true to turn on", "On or off", "Enabled"])
        elif p["role"] == "enum":
            spec["description"] = rng.choice(["Which one", "Option", p["name"].capitalize()])
        else:
            desc = rng.choice(lexicon.ROLES[p["role"]][4])
            if rng.random() < 0.25:
                desc += ", e.g. " + str(draw_role_value(p["role"], rng)[0])
            spec["description"] = desc
    if "enum" in p:
        spec["enum"] = list(p["enum"])
    if p["required"] or rng.random() < 0.6:
        spec["required"] = p["required"]
    return spec


def schema(tool, name, example, rng):
    desc = describe(tool, example, rng)
    out = {"name": name}
    if desc is not None:
        out["description"] = desc
    out["parameters"] = {p["name"]: param_spec(p, rng) for p in tool.params}
    return out


def mention(p, rng):
    """(segments, JSON value) for a parameter mentioned in the request."""
    if p["role"] == "enum":
        value = rng.choice(p["enum"])
        surface = value if rng.random() < 0.8 else value.capitalize()
        before, after = rng.choice(lexicon.ENUM_SAY).split("{}")
        return [(before, False), (surface, True), (after, False)], value
    surface, value = draw_role_value(p["role"], rng)
    before, after = rng.choice(lexicon.ROLES[p["role"]][3]).split("{}")
    if p["role"] == "date" and before.strip() == "on" and surface in RELATIVE_DATES:
        before = ""
    if p["role"] in ("message", "title", "query") and '"' not in before and rng.random() < 0.2:
        before, after = before + '"', '"' + after
    return [(before, False), (surface, True), (after, False)], value


def composed_clause(tool, rng, allow_ask=True):
    """(segments, kind, arguments) of a request for one call to a composed tool."""
    noun = rng.choice(tool.noun[1])
    args, extra = {}, []
    params = {p["name"]: p for p in tool.params}
    if tool.toggle:
        state = tool.params[0]
        on = rng.random() < 0.5
        phrase = rng.choice(lexicon.TOGGLE_SAY)[0 if on else 1]
        before, after = phrase.split("{}")
        segments = [(before, False), (noun, False), (after, False)]
        args[state["name"]] = on
    else:
        ask = allow_ask and tool.verb[0] in ("get", "list") and rng.random() < 0.4
        det = rng.choice(["the ", "my ", "a ", "", "the "]) if not ask else rng.choice(["the ", "my "])
        segments = [] if ask else [(rng.choice(tool.verb[2]) + " ", False)]
        segments.append((det + (plural(noun) if tool.verb[0] == "list" else noun), False))
        kind = "ask" if ask else "act"
    for p in tool.params:
        if p["role"] == "bool":
            continue
        if p["required"] or rng.random() < 0.4:
            segs, value = mention(p, rng)
            args[p["name"]] = value
            extra.append(segs)
    rng.shuffle(extra)
    for segs in extra:
        segments.append((" ", False))
        segments.extend(segs)
    ordered = {name: args[name] for name in params if name in args}
    return segments, ("act" if tool.toggle else kind), ordered


def plain(segments):
    return re.sub(r" +", " ", "".join(t for t, _ in segments)).strip()


# ---- catalog tools, re-surfaced ---------------------------------------------------

VERB_GROUP = {w: g for g, names, _, _ in lexicon.VERBS for w in names}
VERB_WORDS = {g: names for g, names, _, _ in lexicon.VERBS}
PARAM_SYNONYMS = {
    "location": ["city", "place", "where", "town", "loc"], "city": ["location", "town", "place", "city_name"],
    "contact": ["person", "name", "who", "recipient"], "recipient": ["to", "contact", "person", "who"],
    "to": ["recipient", "address", "email_to"], "message": ["text", "body", "content", "msg"],
    "text": ["message", "content", "words"], "body": ["message", "text", "content"], "time": ["at", "when", "time_of_day"],
    "date": ["day", "when", "on"], "title": ["name", "label", "called"], "query": ["q", "search", "keywords", "terms"],
    "minutes": ["duration", "mins", "length_minutes"], "duration_minutes": ["minutes", "duration", "length"],
    "count": ["number", "n", "quantity"], "limit": ["max", "max_results", "count"], "amount": ["value", "sum", "total"],
    "level": ["value", "percent", "setting"], "room": ["area", "space", "zone"], "device": ["appliance", "device_name"],
    "task": ["text", "todo", "what"], "item": ["name", "product", "thing"], "subject": ["topic", "title"],
    "sender": ["from", "from_address"], "destination": ["to", "where", "dropoff"], "temperature": ["degrees", "temp", "target"],
    "unit": ["units", "scale"], "song": ["track", "title"], "artist": ["band", "musician"], "days": ["num_days", "horizon"],
}


def resurface(example, rng):
    """data.py's example with new tool names, parameter names and descriptions (answer rewritten to match)."""
    tools = json.loads(example["tools"])
    answer = json.loads(example["answer"])
    names, keys, used = {}, {}, set()
    for t in tools:
        words = to_snake_case(t["name"]).split("_")
        if words[0] in VERB_GROUP and rng.random() < 0.5:
            words[0] = rng.choice(VERB_WORDS[VERB_GROUP[words[0]]])
        if words[0] == "get" and len(words) > 1 and rng.random() < 0.3:
            words = words[1:]
        if len(words) > 2 and rng.random() < DROP_NAME_WORD:
            del words[rng.randrange(1, len(words) - 1)]   # get_current_weather → get_weather
        if len(words) > 1 and rng.random() < 0.1:
            words = words[1:] + words[:1]
        words = [w for part in words for w in part.split("_")]
        style = rng.choices(["snake", "camel", "pascal", "dot", "kebab"], [40, 26, 16, 12, 6])[0]
        if style == "camel":
            name = words[0] + "".join(w.capitalize() for w in words[1:])
        elif style == "pascal":
            name = "".join(w.capitalize() for w in words)
        elif style == "dot" and len(words) > 1:
            name = words[-1] + "." + words[0] + "".join(w.capitalize() for w in words[1:-1])
        elif style == "kebab":
            name = "-".join(words)
        else:
            name = "_".join(words)
        if to_snake_case(name) in used:
            name = t["name"] if to_snake_case(t["name"]) not in used else name + "_" + str(len(used))
        used.add(to_snake_case(name))
        names[t["name"]] = name
        renamed, params = {}, {}
        for pname, spec in t.get("parameters", {}).items():
            new = pname
            if pname in PARAM_SYNONYMS and rng.random() < 0.5:
                choices = [s for s in PARAM_SYNONYMS[pname] if s not in t["parameters"] and s not in params]
                new = rng.choice(choices) if choices else pname
            spec = dict(spec)
            if "description" in spec and rng.random() < 0.3:
                del spec["description"]
            params[new] = spec
            renamed[pname] = new
        keys[t["name"]] = renamed
        t["name"] = name
        t["parameters"] = params
        roll = rng.random()
        readable = " ".join(words)
        if roll < 0.15:
            t.pop("description", None)
        elif roll < 0.45:
            t["description"] = rng.choice([f"{readable.capitalize()}.", f"Tool to {readable}.", f"{readable}",
                                           f"Use this to {readable}."])
        t_order = ["name", "description", "parameters"]
        t.update({k: t.pop(k) for k in t_order if k in t})
    query = example["query"]
    enums = {(t_name, p) for t_name, spec in ((t["name"], t["parameters"]) for t in tools) for p, v in spec.items() if "enum" in v}
    values = [v for c in answer for v in c["arguments"].values() if isinstance(v, str)]
    swapped = {}
    for c in answer:
        for k, v in c["arguments"].items():
            if (isinstance(v, str) and len(v) > 2 and (names[c["name"]], keys[c["name"]][k]) not in enums
                    and query.count(v) == 1 and sum(v in w for w in values) == 1 and rng.random() < MADE_UP_VALUES):
                swapped[v] = made_up_like(v, rng)
    for old, new in swapped.items():
        query = query.replace(old, new)
    new_answer = [{"name": names[c["name"]], "arguments": {keys[c["name"]][k]: swapped.get(v, v) if isinstance(v, str) else v
                                                           for k, v in c["arguments"].items()}} for c in answer]
    return dict(example, query=query, tools=compact_json(tools), answer=compact_json(new_answer),
                family="catalog:" + example["family"])


# ---- examples ----------------------------------------------------------------------

class SurfaceGenerator:
    """Draws examples of one split (train | val | test_composed)."""

    def __init__(self, split, seed, catalog_share=0.4, augment=True, no_call_share=0.25):
        self.split = split
        self.no_call_share = no_call_share
        self.rng = random.Random(f"surface:{seed}:{split}")
        held = [n for i, n in enumerate(lexicon.NOUNS) if i % HELD_OUT_NOUN_EVERY == HELD_OUT_NOUN_EVERY - 1]
        seen = [n for i, n in enumerate(lexicon.NOUNS) if i % HELD_OUT_NOUN_EVERY != HELD_OUT_NOUN_EVERY - 1]
        self.kinds = ComposedKinds(held if split == "test_composed" else seen, self.rng)
        self.frame_split = {"train": "train", "val": "val", "test_composed": "test"}[split]
        self.catalog_share = 0.0 if split == "test_composed" else catalog_share
        self.catalog = data.Generator("train" if split == "train" else "val", seed, augment and split == "train") \
            if self.catalog_share else None

    def frame(self, segments, kind):
        if self.split == "train" and self.rng.random() < 0.5:
            return data.composed_frame(segments, kind, self.rng)
        return data.frame(segments, kind, self.frame_split, self.rng)

    def distractors(self, targets, n):
        """Tools that share the noun or the verb of a target, and random ones; none conflicts with a target."""
        rng, out = self.rng, []
        for _ in range(n * 6):
            if len(out) >= n:
                break
            base = rng.choice(targets)
            roll = rng.random()
            if roll < 0.4:
                t = self.kinds.tool(noun=base.noun)
            elif roll < 0.7 and not base.toggle:
                t = self.kinds.tool(verb=base.verb)
            else:
                t = self.kinds.tool()
            if any(t.conflicts(x) or t.key == x.key for x in targets + out):
                continue
            out.append(t)
        return out

    def render_tools(self, tools):
        """(tools JSON, {tool: name}) with distinct snake_case names."""
        rng = self.rng
        names, schemas, used = {}, [], set()
        for t in tools:
            for _ in range(5):
                name = name_of(t, rng)
                if to_snake_case(name) and to_snake_case(name) not in used:
                    break
            else:
                return None
            used.add(to_snake_case(name))
            names[t] = name
            example = plain(composed_clause(t, rng)[0]) if rng.random() < 0.5 else ""
            schemas.append(schema(t, name, example, rng))
        return compact_json(schemas), names

    def example(self, query, tools_json, answer, family, template):
        return {"query": query, "tools": tools_json, "answer": compact_json(answer), "split": self.split,
                "family": family, "template": template}

    def positive(self):
        rng = self.rng
        n_calls = rng.choices([1, 2, 3], [75, 20, 5])[0]
        targets = []
        for i in range(n_calls):
            if i and rng.random() < 0.2:
                targets.append(targets[0])
                continue
            t = self.kinds.tool()
            if any(t.conflicts(x) for x in targets if x is not t):
                return None
            targets.append(t)
        clauses = [composed_clause(t, rng, allow_ask=(n_calls == 1)) for t in targets]
        if n_calls > 1 and len({compact_json(c[2]) + str(id(t)) for c, t in zip(clauses, targets)}) < n_calls:
            return None
        segments, kind = clauses[0][0], clauses[0][1]
        for c in clauses[1:]:
            segments = segments + [(rng.choice(data.JOINERS), False)] + c[0]
        segments, template = self.frame(segments, kind)
        unique = list(dict.fromkeys(targets))
        size = max(len(unique), rng.choices(range(1, 9), data.N_TOOLS_WEIGHTS)[0])
        tools = unique + self.distractors(unique, size - len(unique))
        rng.shuffle(tools)
        rendered = self.render_tools(tools)
        if rendered is None:
            return None
        tools_json, names = rendered
        answer = [{"name": names[t], "arguments": c[2]} for t, c in zip(targets, clauses)]
        return self.example(data.render(segments, rng), tools_json, answer, "composed", f"{kind}:{template}")

    def negative(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            text, template = chitchat(self.frame_split, rng)
            tools = [self.kinds.tool() for _ in range(rng.choice([1, 2, 3, 4, 5]))]
            query = data.render([(text, False)], rng)
        elif roll < 0.92:
            wanted = self.kinds.tool()
            segments, kind, _ = composed_clause(wanted, rng)
            segments, template = self.frame(segments, kind)
            query = data.render(segments, rng)
            tools = self.distractors([wanted], rng.choice([1, 2, 3, 4, 5, 6]))
            template = "missing:" + template
        else:
            segments, kind, _ = composed_clause(self.kinds.tool(), rng)
            query = data.render(self.frame(segments, kind)[0], rng)
            tools, template = [], "no_tools"
        keys = set()
        tools = [t for t in tools if not (t.key in keys or keys.add(t.key))]
        rendered = self.render_tools(tools)
        if rendered is None:
            return None
        return self.example(query, rendered[0], [], "none", template)

    def draw(self):
        rng = self.rng
        while True:
            if self.catalog is not None and rng.random() < self.catalog_share:
                ex = resurface(self.catalog.draw(), rng)
                return dict(ex, split=self.split)
            ex = self.negative() if rng.random() < self.no_call_share else self.positive()
            if ex is not None:
                return ex


def generate(split, n, seed=11, catalog_share=0.4, augment=True, exclude=None, no_call_share=0.25):
    """n unique examples of a split, none with a hand-written query."""
    exclude = handwritten_queries() if exclude is None else exclude
    gen = SurfaceGenerator(split, seed, catalog_share, augment, no_call_share)
    seen, out = set(), []
    while len(out) < n:
        ex = gen.draw()
        key = (ex["query"], ex["tools"])
        if key in seen or normal(ex["query"]) in exclude:
            continue
        seen.add(key)
        out.append(ex)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=150000)
    ap.add_argument("--eval", type=int, default=1000, help="examples in val and test_composed")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--catalog-share", type=float, default=0.4, help="share of re-surfaced data.py examples")
    ap.add_argument("--no-call-share", type=float, default=0.25,
                    help="share of no-call requests among the composed-tool examples")
    ap.add_argument("--out", default=os.path.join(HERE, "data_surface"))
    args = ap.parse_args()
    held_out_words_absent()
    eval_kinds_absent()
    os.makedirs(args.out, exist_ok=True)
    for split, n in (("train", args.train), ("val", args.eval), ("test_composed", args.eval)):
        rows = generate(split, n, args.seed, args.catalog_share, no_call_share=args.no_call_share)
        data.write_jsonl(os.path.join(args.out, f"{split}.jsonl"), rows)
        print(f"{split:14} {len(rows):7} examples")


if __name__ == "__main__":
    main()
