import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputError } from "../lib/errors.ts";
import { normalizeTools, prepareTools, restoreToolNames, toSnakeCase } from "../lib/tools.ts";
import { readFixtureJson, rng } from "./helpers.ts";
import { runPython } from "./python.ts";

interface SnakeCase { input: string; output: string }
interface NormalizeCase { input: string; output?: string; name_map?: Record<string, string>; error?: string; message?: string }
interface RestoreCase { input: string; name_map: Record<string, string>; output: string }
interface ModelCase { id: string; tools: string; normalized_tools: string; name_map: Record<string, string> }

const goldens = readFixtureJson<{ to_snake_case: SnakeCase[]; normalize_tools: NormalizeCase[]; restore_tool_names: RestoreCase[] }>("text_goldens.json");
const modelCases = [
  ...readFixtureJson<{ cases: ModelCase[] }>("tiny/model_goldens.json").cases,
  ...readFixtureJson<{ cases: ModelCase[] }>("ffn/model_goldens.json").cases,
];
const conformance = readFixtureJson<{ examples: { tools: string }[] }>("../conformance/real-weights-e2e.json").examples;

const hasCode = (code: string) => (e: unknown) => e instanceof InputError && e.code === code;

test("to_snake_case: every text_goldens entry", () => {
  for (const { input, output } of goldens.to_snake_case) assert.is(toSnakeCase(input), output, JSON.stringify(input));
});

test("to_snake_case: 2000 random names agree with the documented rules run by Python's re", () => {
  const next = rng(4242);
  const alphabet = ["a", "b", "z", "A", "B", "Q", "Z", "0", "7", "_", "-", ".", " ", "$", "é", "Ü", "中", "😀", "\u0301", "HTTP", "Id", "xML"];
  const names = Array.from({ length: 2000 }, () =>
    Array.from({ length: Math.floor(next() * 10) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""));
  // Non-[A-Za-z0-9_] runs → "_", aB → a_B, ABc → A_Bc, collapse "_", lower, strip "_" (NEEDLE.md).
  const expected = runPython<string[]>(`import re
def snake(s):
    s = re.sub(r"[^a-zA-Z0-9_]+", "_", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\\1_\\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\\1_\\2", s)
    return re.sub(r"_+", "_", s).lower().strip("_")
emit([snake(s) for s in data])`, names);
  names.forEach((name, i) => assert.is(toSnakeCase(name), expected[i], JSON.stringify(name)));
});

test("normalize_tools: every text_goldens entry, TypeErrors as InputError", () => {
  for (const c of goldens.normalize_tools) {
    if (c.error) {
      assert.throws(() => normalizeTools(c.input), (e: unknown) => e instanceof InputError && e.message.includes(c.message!), c.input);
    } else {
      const { json, nameMap } = normalizeTools(c.input);
      assert.is(json, c.output, c.input);
      assert.equal(nameMap, c.name_map, c.input);
    }
  }
});

test("normalize_tools: normalized_tools and name_map of every model_goldens case", () => {
  for (const c of modelCases) {
    const { json, nameMap } = normalizeTools(c.tools);
    assert.is(json, c.normalized_tools, c.id);
    assert.equal(nameMap, c.name_map, c.id);
  }
});

test("normalize_tools: non-string names and non-iterable lists raise with Python's TypeError text", () => {
  assert.throws(() => normalizeTools('[{"name":5}]'), (e: unknown) => hasCode("TOOL_NAME_NOT_STRING")(e) && String(e).includes("got 'int'"));
  assert.throws(() => normalizeTools('[{"name":null}]'), (e: unknown) => hasCode("TOOL_NAME_NOT_STRING")(e) && String(e).includes("got 'NoneType'"));
  assert.throws(() => normalizeTools("true"), (e: unknown) => hasCode("TOOLS_NOT_ITERABLE")(e) && String(e).includes("'bool' object is not iterable"));
  assert.throws(() => normalizeTools("1.5"), (e: unknown) => hasCode("TOOLS_NOT_ITERABLE")(e) && String(e).includes("'float' object is not iterable"));
});

test("normalize_tools and restore_tool_names: 500 random inputs agree with Python", () => {
  const next = rng(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const names = ["getWeather", "get_weather", "SendMessage", "calendar.createEvent", "HTTPGet", "x", "", "天気", "a-b", "XMLParser2"];
  const toolTexts: string[] = [];
  for (let i = 0; i < 300; i++) {
    const tools = Array.from({ length: Math.floor(next() * 4) }, () =>
      pick([
        () => `{"name":${JSON.stringify(pick(names))},"description":"d é","parameters":{"k":{"type":"number","default":${pick(["1.0", "1e16", "-0", "2"])}}}}`,
        () => `{"description":"no name"}`,
        () => `{"name":${JSON.stringify(pick(names))},"name":${JSON.stringify(pick(names))}}`,
        () => pick(["1", '"s"', "null", "[]", '[{"name":"Nested"}]']),
      ])());
    toolTexts.push(next() < 0.1 ? pick(["not json", '{"name":"X"}', '"x"', "", "[1,"]) : `[${tools.join(", ")}]`);
  }
  const outputs = ['[{"name":"get_weather","arguments":{"v":1.0}}]', '{"name":"send_message","arguments":{}}', "get_weather and x",
    '[{"name":"x"},{"name":["x"]},3]', '[{"name":"http_get"}', "", "xml_parser2 x", '"x"', "NaN", '[{"name":"a_b","arguments":{"s":"é"}}]'];
  const restoreInputs = Array.from({ length: 200 }, () => {
    const map: Record<string, string> = {};
    for (let j = Math.floor(next() * 4); j > 0; j--) {
      const name = pick(names);
      map[toSnakeCase(name)] = name;
    }
    return [pick(outputs), map] as const;
  });
  const expected = runPython<{ normalized: unknown[]; restored: unknown[] }>(`import re
def snake(s):
    s = re.sub(r"[^a-zA-Z0-9_]+", "_", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\\1_\\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\\1_\\2", s)
    return re.sub(r"_+", "_", s).lower().strip("_")
def normalize(text):
    try:
        tools = json.loads(text)
    except json.JSONDecodeError:
        return [text, {}]
    names = {}
    for tool in tools:
        if isinstance(tool, dict) and "name" in tool:
            names[snake(tool["name"])] = tool["name"]
            tool["name"] = snake(tool["name"])
    return [json.dumps(tools, separators=(",", ":")), names]
def restore(text, names):
    if not names:
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        for snake_name, name in sorted(names.items(), key=lambda kv: len(kv[0]), reverse=True):
            text = text.replace(snake_name, name)
        return text
    calls = value if isinstance(value, list) else [value]
    for call in calls:
        if isinstance(call, dict) and "name" in call:
            call["name"] = names.get(call["name"], call["name"])
    return json.dumps(value, separators=(",", ":"))
def attempt(f, *args):
    try:
        return f(*args)
    except TypeError as e:
        return "TypeError"
emit({"normalized": [attempt(normalize, t) for t in data["tools"]],
      "restored": [attempt(restore, t, m) for t, m in data["restore"]]})`, { tools: toolTexts, restore: restoreInputs });
  toolTexts.forEach((text, i) => {
    const want = expected.normalized[i];
    if (want === "TypeError") assert.throws(() => normalizeTools(text), (e: unknown) => e instanceof InputError, text);
    else assert.equal(Object.values(normalizeTools(text)), want, text);
  });
  restoreInputs.forEach(([text, map], i) => {
    const want = expected.restored[i];
    if (want === "TypeError") assert.throws(() => restoreToolNames(text, map), hasCode("UNHASHABLE_TOOL_NAME"), text);
    else assert.is(restoreToolNames(text, map), want, `${text} ${JSON.stringify(map)}`);
  });
});

test("restore_tool_names: every text_goldens entry", () => {
  for (const c of goldens.restore_tool_names) assert.is(restoreToolNames(c.input, c.name_map), c.output, `${c.input} ${JSON.stringify(c.name_map)}`);
});

test("restore_tool_names: an empty snake name is inserted between code points, not UTF-16 units", () => {
  assert.is(restoreToolNames("a😀", { "": "-" }), "-a-😀-");
});

test("restore_tool_names: map keys that are Object.prototype names are looked up as own keys only", () => {
  assert.is(restoreToolNames('[{"name":"constructor"},{"name":"to_string"}]', { to_string: "toString" }), '[{"name":"constructor"},{"name":"toString"}]');
});

// ---------------------------------------------------------------- prepareTools

test("prepareTools: a flat tools string gives exactly normalizeTools' json and name map", () => {
  const flat = [...modelCases.map((c) => c.tools), ...conformance.map((c) => c.tools)];
  // Golden inputs that are valid public input too: objects with distinct, usable names.
  const usable = (text: string) => {
    try {
      const list = JSON.parse(text) as { name?: unknown }[];
      const snakes = list.map((t) => (typeof t?.name === "string" ? toSnakeCase(t.name) : ""));
      return Array.isArray(list) && list.length > 0 && snakes.every((n) => n !== "") && new Set(snakes).size === snakes.length;
    } catch {
      return false;
    }
  };
  flat.push(...goldens.normalize_tools.filter((c) => !c.error && usable(c.input)).map((c) => c.input));
  for (const tools of flat) {
    const prepared = prepareTools(tools);
    const reference = normalizeTools(tools);
    assert.is(prepared.json, reference.json, tools);
    assert.equal(prepared.nameMap, reference.nameMap, tools);
  }
});

test("prepareTools: keeps the caller's list and names", () => {
  const tools = [{ name: "getWeather", description: "Weather.", parameters: { city: { type: "string", required: true } } }];
  const prepared = prepareTools(tools);
  assert.is(prepared.original[0], tools[0]);
  assert.equal(prepared.names, ["getWeather"]);
  assert.equal(prepared.nameMap, { get_weather: "getWeather" });
  assert.is(prepared.json, '[{"name":"get_weather","description":"Weather.","parameters":{"city":{"type":"string","required":true}}}]');
  assert.equal(prepareTools(JSON.stringify(tools)).original, tools);
});

test("prepareTools: OpenAI tools become flat tools (type, description, other keywords, required)", () => {
  const prepared = prepareTools([{
    type: "function",
    function: {
      name: "getWeather",
      description: "Get current weather for a city.",
      parameters: {
        type: "object",
        properties: {
          location: { type: "string", description: "City name.", title: "Location" },
          unit: { description: "Unit.", type: ["string", "null"], enum: ["celsius", "fahrenheit"], default: "celsius" },
          days: { type: "integer", minimum: 1, maximum: 7 },
        },
        required: ["location"],
        additionalProperties: false,
      },
      strict: true,
    },
  }]);
  assert.is(prepared.json, '[{"name":"get_weather","description":"Get current weather for a city.","parameters":{'
    + '"location":{"type":"string","description":"City name.","required":true},'
    + '"unit":{"type":"string","description":"Unit.","enum":["celsius","fahrenheit"],"default":"celsius","required":false},'
    + '"days":{"type":"integer","minimum":1,"maximum":7,"required":false}}}]');
  assert.equal(prepared.nameMap, { get_weather: "getWeather" });
});

test("prepareTools: the Responses API's flat {type:'function', name, ...} is accepted", () => {
  const prepared = prepareTools([{ type: "function", name: "ping", parameters: { type: "object", properties: {} }, strict: true }]);
  assert.is(prepared.json, '[{"name":"ping","parameters":{}}]');
});

test("prepareTools: nested objects, array items, $ref and Optional[...] are flattened", () => {
  const prepared = prepareTools(JSON.stringify([{
    name: "create_event",
    description: "Create an event.",
    parameters: {
      $defs: { Person: { title: "Person", type: "object", properties: { email: { type: "string" }, name: { type: "string" } }, required: ["email"] } },
      type: "object",
      properties: {
        when: { type: "object", properties: { start: { type: "string", format: "date-time" }, end: { type: "string" } }, required: ["start"] },
        attendees: { type: "array", items: { $ref: "#/$defs/Person" }, description: "People." },
        organizer: { anyOf: [{ $ref: "#/$defs/Person" }, { type: "null" }], default: null, description: "Who." },
        priority: { type: "number", default: 1.0 },
        flag: { type: "boolean", required: true },
      },
      required: ["when"],
    },
  }]).replace('"default":1', '"default":1.0'));
  const personProperties = '"properties":{"email":{"type":"string","required":true},"name":{"type":"string","required":false}}';
  assert.is(prepared.json, '[{"name":"create_event","description":"Create an event.","parameters":{'
    + '"when":{"type":"object","properties":{"start":{"type":"string","format":"date-time","required":true},"end":{"type":"string","required":false}},"required":true},'
    + `"attendees":{"type":"array","description":"People.","items":{"type":"object",${personProperties}},"required":false},`
    + `"organizer":{"type":"object","description":"Who.",${personProperties},"default":null,"required":false},`
    + '"priority":{"type":"number","default":1.0,"required":false},'
    + '"flag":{"type":"boolean","required":true}}}]');
});

test("prepareTools: a recursive or non-local $ref is an error", () => {
  const recursive = { name: "t", parameters: { type: "object", properties: { node: { $ref: "#/$defs/Node" } }, $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } } } } } };
  assert.throws(() => prepareTools([recursive]), hasCode("BAD_PARAMETERS"));
  const remote = { name: "t", parameters: { type: "object", properties: { a: { $ref: "https://example.com/s.json" } } } };
  assert.throws(() => prepareTools([remote]), hasCode("BAD_PARAMETERS"));
});

test("prepareTools: invalid tool lists fail with typed codes", () => {
  assert.throws(() => prepareTools("[{"), (e: unknown) => hasCode("BAD_TOOLS_JSON")(e) && String(e).includes("line 1 column 3 (char 2)"));
  assert.throws(() => prepareTools('{"name":"x"}'), hasCode("TOOLS_NOT_LIST"));
  assert.throws(() => prepareTools("[1]"), hasCode("TOOL_NOT_OBJECT"));
  assert.throws(() => prepareTools('[{"type":"function","function":"x"}]'), hasCode("TOOL_NOT_OBJECT"));
  assert.throws(() => prepareTools('[{"description":"no name"}]'), hasCode("BAD_TOOL_NAME"));
  assert.throws(() => prepareTools('[{"name":""}]'), hasCode("BAD_TOOL_NAME"));
  assert.throws(() => prepareTools('[{"name":7}]'), hasCode("BAD_TOOL_NAME"));
  assert.throws(() => prepareTools('[{"name":"天気"}]'), hasCode("BAD_TOOL_NAME"));
  assert.throws(() => prepareTools('[{"name":"sameName"},{"name":"same_name"}]'), (e: unknown) => hasCode("DUPLICATE_TOOL_NAME")(e) && String(e).includes('"same_name"'));
  assert.throws(() => prepareTools('[{"name":"x","description":5}]'), hasCode("BAD_TOOL_DESCRIPTION"));
  assert.throws(() => prepareTools('[{"name":"x","parameters":[]}]'), hasCode("BAD_PARAMETERS"));
  assert.throws(() => prepareTools('[{"name":"x","parameters":{"type":"string"}}]'), hasCode("BAD_PARAMETERS"));
  assert.throws(() => prepareTools('[{"name":"x","parameters":{"location":"string"}}]'), hasCode("BAD_PARAMETER"));
  assert.throws(() => prepareTools('[{"name":"x","parameters":{"type":"object","properties":{"a":"string"}}}]'), hasCode("BAD_PARAMETER"));
});

test("prepareTools: a flat parameter named like a schema keyword stays flat", () => {
  const tools = '[{"name":"x","parameters":{"properties":{"type":"string"},"type":{"type":"string"}}}]';
  assert.is(prepareTools(tools).json, tools);
});

test.run();
