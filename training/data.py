"""Synthetic single-shot function-calling data in Needle's format (fixed seed).

Writes training/data/{train,val,test_id,test_unseen}.jsonl (and the first 25
cases of each test split to training/heldout_sample.jsonl) with fields
query, tools (compact JSON, original tool names), answer (compact JSON list of
{"name","arguments"} with the original names), split, family, template.

Splits: whole tool families are held out for `test_unseen` (they never appear
in other splits, not even as distractors); the phrasing frames are split
train / val / test, and the last phrasing of every tool with three or more is
kept out of training, so `val` and `test_id` are seen tools asked in new ways.

Usage: /usr/bin/python3 training/data.py [--train N] [--eval N] [--seed S] [--augment]
"""

import argparse
import json
import os
import random
import re

from catalog import CLUSTER_OF, CLUSTERS, FAMILIES, all_tools
from chitchat import FIXED, chitchat
from prompt import compact_json, to_snake_case
from values import KINDS, RELATIVE_DATES

UNSEEN_FAMILIES = {"pets", "garden", "car", "parking", "devops", "education", "tickets", "reading"}
HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")
SAMPLE = os.path.join(HERE, "heldout_sample.jsonl")
SAMPLE_PER_SPLIT = 25

# Frames wrap a request clause "{}". Each frame belongs to one split. Act frames
# take imperative phrases; those marked "verb" also need the phrase to start
# with a verb ("can you {}" does not fit "I drank 3 glasses of water"). Ask
# frames take noun phrases; those marked "np" do not fit embedded questions
# ("how I slept").
ACT_FRAMES = {
    "train": [("{}", ""), ("{}.", ""), ("hey, {}", ""), ("{}, thanks", ""), ("quick, {}", ""), ("ok {}", ""),
              ("yo {}", ""), ("hi! {}", ""), ("Assistant, {}", ""), ("{} thank you", ""), ("{}!", ""),
              ("please {}", "verb"), ("{} please", "verb"), ("can you {}?", "verb"), ("could you {}?", "verb"),
              ("I need you to {}", "verb"), ("go ahead and {}", "verb"), ("would you {}?", "verb"),
              ("{} now", "verb"), ("can you please {}", "verb"), ("I'd like you to {}", "verb"),
              ("{} asap", "verb"), ("{} if you can", "verb"), ("pls {}", "verb"), ("hey can u {}", "verb"),
              ("right now, {}", "verb")],
    "val": [("hey there, {}", ""), ("would you please {}?", "verb"), ("{} for me please", "verb"),
            ("I'd love it if you could {}", "verb")],
    "test": [("hello! {}", ""), ("{}, cheers", ""), ("could you please {}?", "verb"),
             ("when you get a chance, {}", "verb"), ("I'd appreciate it if you could {}", "verb"),
             ("do me a favor and {}", "verb"), ("{}, would you?", "verb"), ("hello, please {}", "verb"),
             ("can I get you to {}?", "verb"), ("kindly {}", "verb")],
}
ASK_FRAMES = {
    "train": [("what's {}?", "np"), ("what is {}", "np"), ("show me {}", "np"), ("{}?", "np"), ("give me {}", "np"),
              ("pull up {}", "np"), ("how's {}?", "np"), ("tell me {}", ""), ("can you tell me {}?", ""),
              ("I want to know {}", ""), ("check {}", ""), ("find out {}", ""), ("let me know {}", "")],
    "val": [("could you show me {}?", "np"), ("do you know {}?", "")],
    "test": [("what does {} look like?", "np"), ("I'm curious about {}", "np"), ("any idea {}?", ""),
             ("I'd like to know {}", "")],
}
# Training-only frame augmentation: frames composed from an opener, a core and a
# closer, so the model learns to read through polite chatter rather than
# memorise a closed set of frames. None of the pieces uses a word of the val
# or test frames (checked by held_out_words_absent()), so those stay unseen.
OPENERS = ["", "", "", "hey", "hi", "hi there", "ok", "okay", "alright", "so", "um", "yo", "good morning",
           "good evening", "morning", "hey buddy", "listen", "quick one", "question", "excuse me", "sorry",
           "oh", "assistant", "hey assistant", "greetings", "howdy", "ok so", "right", "hmm", "well",
           "hey hey", "hiya", "sup", "oh and", "one more thing", "real quick", "heads up", "by the way"]
ACT_CORES = [("{}", ""), ("please {}", "verb"), ("{} please", "verb"), ("can you {}", "verb"),
             ("could you {}", "verb"), ("would you {}", "verb"), ("will you {}", "verb"),
             ("I need you to {}", "verb"), ("I want you to {}", "verb"), ("I'd like you to {}", "verb"),
             ("be a dear and {}", "verb"), ("be a pal and {}", "verb"), ("help me out and {}", "verb"),
             ("go ahead and {}", "verb"), ("just {}", "verb"), ("try to {}", "verb"),
             ("I was wondering if you could {}", "verb"), ("is it possible to {}", "verb"),
             ("could you possibly {}", "verb"), ("would it be possible to {}", "verb"),
             ("are you able to {}", "verb"), ("I'd really like you to {}", "verb"), ("let's {}", "verb"),
             ("time to {}", "verb"), ("I need to {}", "verb"), ("can u {}", "verb"), ("pls {}", "verb"),
             ("mind if I ask you to {}", "verb"), ("think you could {}", "verb"), ("you should {}", "verb"),
             ("I want to {}", "verb"), ("help me {}", "verb"), ("quickly {}", "verb"),
             ("need you to {} for a sec", "verb"), ("{} real quick", "verb"),
             ("be an angel and {}", "verb"), ("help a guy out and {}", "verb"), ("go on and {}", "verb"),
             ("make yourself useful and {}", "verb"), ("take a sec and {}", "verb"), ("try and {}", "verb"),
             ("hurry up and {}", "verb"), ("do your thing and {}", "verb"), ("be a star and {}", "verb"),
             ("come on, {}", "verb"), ("if you don't mind, {}", "verb"), ("when you're free, {}", "verb"),
             ("I'd be grateful if you could {}", "verb"), ("it'd be great if you could {}", "verb")]
ASK_CORES = [("what's {}?", "np"), ("what is {}", "np"), ("show me {}", "np"), ("{}?", "np"),
             ("give me {}", "np"), ("tell me {}", ""), ("can you tell me {}", ""), ("I want to know {}", ""),
             ("I need to know {}", ""), ("wanna know {}", ""), ("get me {}", "np"), ("fetch {}", "np"),
             ("display {}", "np"), ("let me see {}", "np"), ("lemme see {}", "np"), ("how about {}?", "np"),
             ("what about {}?", "np"), ("could you tell me {}", ""), ("please tell me {}", ""),
             ("I wonder {}", ""), ("remind me what {} is", "np"), ("what's the deal with {}?", "np"),
             ("got {}?", "np"), ("need {}", "np"), ("check on {}", "np"), ("tell me about {}", "np"),
             ("what's {} like?", "np"), ("how's {} looking?", "np"), ("I'm interested in {}", "np"),
             ("I'm wondering about {}", "np"), ("fill me in on {}", "np"), ("what do we have for {}?", "np"),
             ("any word on {}?", "np"), ("what can you tell me about {}?", "np")]
CLOSERS = ["", "", "", "thanks", "thank you", "thx", "ty", "please", "now", "asap", "right away", "if you can",
           "if possible", "when you can", "real quick", "quickly", "whenever", "no rush", "thanks a lot",
           "ok?", "alright?", "yeah", "please and thank you", "thanks in advance", "great", "cool", "k",
           "thanks so much", "much obliged", "that's all", "ta", "lol", "if that's ok"]
OPENER_MARKS = [", ", " ", "! ", ". ", " - ", "... "]
CLOSER_MARKS = [", ", " ", ". ", "! ", " - "]
HELD_OUT_WORDS = {"hello", "cheers", "chance", "appreciate", "favor", "kindly", "get you", "would you?",
                  "for me", "love", "hey there", "would you please", "could you please", "look like",
                  "curious", "any idea", "like to know", "could you show", "do you know"}


def chatter_lines():
    """Training small talk without a held-out word: the chatter mixed into requests."""
    lines = set(FIXED["train"])
    rng = random.Random(0)
    for _ in range(400):
        lines.add(chitchat("train", rng)[0])
    return sorted(line for line in lines if not any(word in line.lower() for word in HELD_OUT_WORDS))


def held_out_words_absent():
    pieces = OPENERS + CLOSERS + [c for c, _ in ACT_CORES + ASK_CORES]
    for word in HELD_OUT_WORDS:
        for piece in pieces:
            assert word not in piece.lower(), (word, piece)


def composed_frame(segments, kind, rng):
    """A training frame: opener + core + closer (the core fits the clause as in frame())."""
    first = segments[0][0].strip().split(" ")[0].lower() if segments else ""
    if kind == "ask":
        cores = [c for c, flag in ASK_CORES if not (first in EMBEDDED and flag == "np")]
    else:
        cores = [c for c, flag in ACT_CORES if not (first in NOT_VERBS and flag == "verb")]
    core = rng.choice(cores)
    opener, closer = rng.choice(OPENERS), rng.choice(CLOSERS)
    before, after = core.split("{}")
    if opener:
        before = opener + rng.choice(OPENER_MARKS) + before
    if closer:
        after = after.rstrip("?") + rng.choice(CLOSER_MARKS) + closer + ("?" if after.endswith("?") and rng.random() < 0.5 else "")
    template = "aug:" + before + "{}" + after
    return [(before, False)] + segments + [(after, False)], template


# First words of phrases that are not imperatives ("I drank ...", "lights on ...").
NOT_VERBS = {"i", "we", "lights", "next", "new", "how", "what", "where", "is", "my"}
EMBEDDED = {"how", "whether", "what", "who", "when", "where", "if"}
QUOTABLE = {"message", "text", "note", "post", "status", "issue", "subject", "search"}
JOINERS = [" and ", " and then ", ", then ", ". Also ", ", and also ", " and after that "]
N_TOOLS_WEIGHTS = [10, 16, 18, 16, 14, 11, 8, 7]   # tool list sizes 1..8
SLOT = re.compile(r"\{(\w+)(?:\|([^|}]*)\|([^|}]*))?\}")


# ---- tool rendering --------------------------------------------------------------

def style_name(tool, namespace, style):
    """The tool's name in one of the naming styles; normalises back to snake words."""
    words = tool.name.split("_")
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "camel":
        return camel
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    if style == "dot":
        return namespace + "." + camel
    if style == "dot_snake":
        return namespace + "." + tool.name
    return tool.name


def tool_schema(tool, name, rng):
    """The tool in Needle's flat format; optional params say required:false or omit it."""
    params = {}
    for p in tool.params:
        spec = {"type": p.type, "description": p.description}
        if p.enum:
            spec["enum"] = list(p.enum)
        if p.required or rng.random() < 0.7:
            spec["required"] = p.required
        params[p.name] = spec
    return {"name": name, "description": tool.description, "parameters": params}


# ---- values and phrasing -----------------------------------------------------------

def draw_value(param, rng):
    """(text shown in the query, JSON value) for one parameter."""
    if param.enum:
        value = rng.choice(param.enum)
        surface = value if rng.random() < 0.75 else value.capitalize()
        return surface, value
    if param.type == "boolean":
        return None, rng.random() < 0.5
    return KINDS[param.kind](rng)


def phrase_slots(phrase):
    return {m.group(1) for m in SLOT.finditer(phrase)}


def usable_phrases(tool, phrases, args, split):
    """Phrases whose slots are all filled, and which name every required value
    without a mention phrase; the last of three or more is held out of train."""
    if split == "train" and len(phrases) >= 3:
        phrases = phrases[:-1]
    out = []
    by_name = {p.name: p for p in tool.params}
    for index, phrase in enumerate(phrases):
        slots = phrase_slots(phrase)
        if not slots <= set(args):
            continue
        if any(name not in slots and not (by_name[name].say or by_name[name].yes) for name in args):
            continue
        out.append((index, phrase))
    return out


def value_segments(param, surface, rng):
    """The value's text as segments; free text is sometimes quoted."""
    if param.kind in QUOTABLE and rng.random() < 0.25:
        return [('"', False), (surface, True), ('"', False)]
    return [(surface, True)]


def fill(tool, phrase, surfaces, args, rng):
    """Segments [(text, is_value)] of a phrase with its slots filled."""
    by_name = {p.name: p for p in tool.params}
    segments, pos = [], 0
    for m in SLOT.finditer(phrase):
        segments.append((phrase[pos:m.start()], False))
        name, yes, no = m.groups()
        if yes is not None:
            segments.append((yes if args[name] else no, False))
        else:
            segments.extend(value_segments(by_name[name], surfaces[name], rng))
        pos = m.end()
    segments.append((phrase[pos:], False))
    return segments


def mention(param, surface, value, rng):
    """Segments naming one parameter value outside the main phrase
    ("on Friday", but "tomorrow" rather than "on tomorrow")."""
    if param.type == "boolean":
        return [(rng.choice(param.yes if value else param.no), False)]
    before, after = rng.choice(param.say).split("{}")
    if param.kind == "date" and before.strip() == "on" and surface in RELATIVE_DATES:
        before = ""
    return [(before, False)] + value_segments(param, surface, rng) + [(after, False)]


def choose_args(tool, rng):
    """Required params always, optional ones about a third of the time."""
    args, surfaces = {}, {}
    for p in tool.params:
        if p.required or rng.random() < 0.35:
            surface, value = draw_value(p, rng)
            args[p.name], surfaces[p.name] = value, surface
    return args, surfaces


def build_clause(tool, split, rng, allow_ask=True):
    """(segments, kind, phrase index, call) for one call to `tool`, or None."""
    for _ in range(20):
        args, surfaces = choose_args(tool, rng)
        kind = "ask" if allow_ask and tool.ask and rng.random() < 0.4 else "act"
        options = usable_phrases(tool, tool.ask if kind == "ask" else tool.act, args, split)
        if options:
            break
    else:
        return None
    index, phrase = rng.choice(options)
    segments = fill(tool, phrase, surfaces, args, rng)
    by_name = {p.name: p for p in tool.params}
    extra = [name for name in args if name not in phrase_slots(phrase)]
    rng.shuffle(extra)
    for name in extra:
        segments.append((" ", False))
        segments.extend(mention(by_name[name], surfaces[name], args[name], rng))
    ordered = {p.name: args[p.name] for p in tool.params if p.name in args}
    return segments, kind, index, {"tool": tool, "arguments": ordered}


def frame(segments, kind, split, rng):
    """Wrap a clause in a frame of the split that fits it; returns (segments, frame)."""
    first = segments[0][0].strip().split(" ")[0].lower() if segments else ""
    if kind == "ask":
        frames = [f for f, flag in ASK_FRAMES[split] if not (first in EMBEDDED and flag == "np")]
    else:
        frames = [f for f, flag in ACT_FRAMES[split] if not (first in NOT_VERBS and flag == "verb")]
    template = rng.choice(frames)
    before, after = template.split("{}")
    return [(before, False)] + segments + [(after, False)], template


# ---- surface noise -------------------------------------------------------------

def typo(word, rng):
    """One keyboard slip: swap, drop or double a letter."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(3)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def render(segments, rng):
    """Join segments into the query, adding casing and typos to non-value text only."""
    lower = rng.random() < 0.25
    typo_rate = 0.08 if rng.random() < 0.2 else 0.0
    parts = []
    for text, is_value in segments:
        if not is_value:
            if lower:
                text = text.lower()
            if typo_rate:
                text = " ".join(typo(w, rng) if rng.random() < typo_rate else w for w in text.split(" "))
        parts.append(text)
    query = re.sub(r" +", " ", "".join(parts)).strip()
    query = re.sub(r" ([,.?!:])", r"\1", query)
    first = next((is_value for text, is_value in segments if text.strip()), True)
    if not lower and query and not first and rng.random() < 0.7:
        query = query[0].upper() + query[1:]
    if rng.random() < 0.2:
        query = query.rstrip(".!?")
    return query


# ---- examples --------------------------------------------------------------------

class Generator:
    """Draws examples for one split from its tool pool."""

    def __init__(self, split, seed, augment=False):
        self.split = split
        self.rng = random.Random(f"{seed}:{split}")
        frame_split = {"train": "train", "val": "val", "test_id": "test", "test_unseen": "train"}[split]
        self.frame_split = frame_split
        self.augment = augment and split == "train"
        self.chatter_lines = chatter_lines() if self.augment else []
        phrase_split = "train" if split == "train" else "eval"
        self.phrase_split = phrase_split
        tools = all_tools()
        self.seen = [t for t in tools if t.family not in UNSEEN_FAMILIES]
        self.unseen = [t for t in tools if t.family in UNSEEN_FAMILIES]
        self.targets = self.unseen if split == "test_unseen" else self.seen
        self.pool = self.seen + self.unseen if split == "test_unseen" else self.seen
        self.namespace = {t.name: f.namespace for f in FAMILIES for t in f.tools}

    def frame(self, segments, kind):
        """frame() for the split; half of the training examples get a composed frame."""
        if self.augment and self.rng.random() < 0.5:
            return composed_frame(segments, kind, self.rng)
        return frame(segments, kind, self.frame_split, self.rng)

    def chatter(self, segments):
        """Training only: 15 % of requests get a line of small talk before or
        after them, so that small talk alone is what means "no call"."""
        rng = self.rng
        if not self.augment or rng.random() >= 0.15:
            return segments
        line = rng.choice(self.chatter_lines)
        line = line if line[-1] in ".?!" else line + rng.choice([".", "!", ""])
        if rng.random() < 0.7:
            return [(line + " ", False)] + segments
        return segments + [(rng.choice([". ", "! ", " - ", ", "]) + line, False)]

    def tool_list(self, required, exclude_families=(), exclude_group=None, near=None):
        """required tools plus distractors (half from near, by default the required
        tools' clusters; none from exclude_families or exclude_group), shuffled,
        with at most one tool per group."""
        rng = self.rng
        size = max(len(required), rng.choices(range(1, 9), N_TOOLS_WEIGHTS)[0])
        chosen = list(dict.fromkeys(required))
        groups = {t.group for t in chosen if t.group} | ({exclude_group} if exclude_group else set())
        clusters = {CLUSTER_OF[t.family] for t in required}
        if near is None:
            near = [t for t in self.pool if CLUSTER_OF[t.family] in clusters]
        for _ in range(200):
            if len(chosen) >= size:
                break
            source = near if near and rng.random() < 0.5 else self.pool
            t = rng.choice(source)
            if t in chosen or (t.group and t.group in groups) or t.family in exclude_families:
                continue
            chosen.append(t)
            if t.group:
                groups.add(t.group)
        rng.shuffle(chosen)
        return chosen

    def look_alikes(self, tool, cluster):
        """Training only: tools outside the request's cluster that look like it
        (the same leading verb, or a parameter of the same name), the hard
        distractors of a "no tool fits" example. tool_list() would also reject a
        tool of the request's group; leaving them out here keeps its random draws,
        and so stage 3's training data, as they were."""
        verb = tool.name.split("_")[0]
        params = {p.name for p in tool.params}
        alike = [t for t in self.pool if t.family not in cluster and (not tool.group or t.group != tool.group)
                 and (t.name.split("_")[0] == verb or params & {p.name for p in t.params})]
        return alike or None

    def render_tools(self, tools):
        """(tools JSON string, {tool: original name}) with one naming style mostly shared."""
        rng = self.rng
        styles = ["snake", "camel", "pascal", "dot", "dot_snake"]
        weights = [40, 25, 15, 12, 8]
        main = rng.choices(styles, weights)[0]
        names, schemas, used = {}, [], set()
        for t in tools:
            style = main if rng.random() < 0.85 else rng.choices(styles, weights)[0]
            name = style_name(t, self.namespace[t.name], style)
            if to_snake_case(name) in used:
                name = t.name
            used.add(to_snake_case(name))
            names[t] = name
            schemas.append(tool_schema(t, name, rng))
        return compact_json(schemas), names

    def positive(self):
        """A query answered by one to three calls."""
        rng = self.rng
        n_calls = rng.choices([1, 2, 3], [82, 15, 3])[0]
        clauses = []
        for i in range(n_calls):
            tool = rng.choice(self.targets)
            if i and rng.random() < 0.15:
                tool = clauses[0][3]["tool"]
            clause = build_clause(tool, self.phrase_split, rng, allow_ask=(n_calls == 1))
            if clause is None:
                return None
            clauses.append(clause)
        segments, kind, index, _ = clauses[0]
        for extra in clauses[1:]:
            segments = segments + [(rng.choice(JOINERS), False)] + extra[0]
        segments, template = self.frame(segments, kind)
        segments = self.chatter(segments)
        tools = self.tool_list([c[3]["tool"] for c in clauses])
        tools_json, names = self.render_tools(tools)
        answer = [{"name": names[c[3]["tool"]], "arguments": c[3]["arguments"]} for c in clauses]
        family = "+".join(dict.fromkeys(c[3]["tool"].family for c in clauses))
        return self.example(render(segments, rng), tools_json, answer, family, f"{kind}:{template}|{index}")

    def negative(self):
        """A query no listed tool can serve: chit-chat (no web search offered),
        a request for a missing tool (no tools of its cluster or group offered;
        in training, 60 % of these lists are drawn half from look-alikes), or
        an empty tool list."""
        rng = self.rng
        roll = rng.random()
        if roll < (0.3 if self.augment else 0.4):
            text, template = chitchat(self.frame_split, rng)
            if self.augment and rng.random() < 0.3:
                text = rng.choice(OPENERS[3:]) + rng.choice(OPENER_MARKS) + text
            if self.augment and rng.random() < 0.15:
                text = rng.choice(self.chatter_lines) + rng.choice([". ", "! ", " "]) + text
            query = render([(text, False)], rng)
            tools = self.tool_list([], exclude_families={"web_search"})
        elif roll < 0.9:
            tool = rng.choice(self.targets)
            clause = build_clause(tool, self.phrase_split, rng)
            if clause is None:
                return None
            segments, template = self.frame(clause[0], clause[1])
            query = render(self.chatter(segments), rng)
            cluster = CLUSTERS[CLUSTER_OF[tool.family]]
            near = self.look_alikes(tool, cluster) if self.augment and rng.random() < 0.6 else None
            tools = self.tool_list([], exclude_families=cluster, exclude_group=tool.group, near=near)
            template = f"missing:{clause[1]}:{template}|{clause[2]}"
        else:
            clause = build_clause(rng.choice(self.targets), self.phrase_split, rng)
            if clause is None:
                return None
            query = render(self.frame(clause[0], clause[1])[0], rng)
            tools = []
            template = "no_tools"
        tools_json, _ = self.render_tools(tools)
        return self.example(query, tools_json, [], "none", template)

    def example(self, query, tools_json, answer, family, template):
        return {"query": query, "tools": tools_json, "answer": compact_json(answer),
                "split": self.split, "family": family, "template": template}

    def draw(self):
        while True:
            ex = self.negative() if self.rng.random() < (0.28 if self.augment else 0.14) else self.positive()
            if ex is not None:
                return ex


def generate(split, n, seed, augment=False):
    """n unique examples of a split (unique by query + tools)."""
    gen = Generator(split, seed, augment)
    seen, out = set(), []
    while len(out) < n:
        ex = gen.draw()
        key = (ex["query"], ex["tools"])
        if key not in seen:
            seen.add(key)
            out.append(ex)
    return out


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=150000)
    ap.add_argument("--eval", type=int, default=1000, help="examples per evaluation split")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=DATA_DIR)
    ap.add_argument("--augment", action="store_true",
                    help="training-only augmentation (composed frames, small talk mixed in, more no-call "
                         "examples, look-alike distractors around missing tools): stage 3's training data "
                         "(stage 2 used an earlier version), see training/README.md")
    args = ap.parse_args()
    held_out_words_absent()
    os.makedirs(args.out, exist_ok=True)
    sizes = {"train": args.train, "val": args.eval, "test_id": args.eval, "test_unseen": args.eval}
    sample = []
    for split, n in sizes.items():
        rows = generate(split, n, args.seed, args.augment)
        write_jsonl(os.path.join(args.out, f"{split}.jsonl"), rows)
        print(f"{split:12} {len(rows):7} examples")
        if split.startswith("test"):
            sample += rows[:SAMPLE_PER_SPLIT]
    write_jsonl(SAMPLE, sample)
    print(f"{os.path.relpath(SAMPLE)}: {len(sample)} held-out cases for CI")


if __name__ == "__main__":
    main()
