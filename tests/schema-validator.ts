// An answer checker for schema-constrained decoding, written from the
// contract (Needle's answer format and its flat parameter schema), not from
// the grammar: JSON.parse for the value, a small scanner of its own for
// duplicate keys and raw control characters, then the schema rules.
//
//   answer    = [ {"name": <declared tool>, "arguments": {…}} , … ]
//   arguments = an object whose keys are the tool's parameters, each at most
//               once, every required one present, each value of its type.

export interface ValidateOptions {
  /** At least one call. */
  requireCall?: boolean;
  /** At most one call, and only of this tool. */
  only?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Spec = { [key: string]: Json };

/** The problems with `text` (the answer, without `<tool_call>`) under `toolsJson` (normalised flat tools); empty when valid. */
export function validateAnswer(text: string, toolsJson: string, options: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (err) {
    return [`not JSON: ${(err as Error).message}`];
  }
  scanJson(text, problems);
  if (!Array.isArray(value)) return [...problems, "not a list"];
  const tools = new Map<string, Spec>();
  for (const tool of JSON.parse(toolsJson) as Spec[]) tools.set(tool.name as string, (tool.parameters ?? {}) as Spec);
  if (options.requireCall && value.length === 0) problems.push("a call is required");
  if (options.only !== undefined && value.length > 1) problems.push("only one call is allowed");
  value.forEach((call, i) => {
    if (!isObject(call)) return problems.push(`call ${i} is not an object`);
    const keys = Object.keys(call);
    if (keys.length !== 2 || keys[0] !== "name" || keys[1] !== "arguments") problems.push(`call ${i} keys are ${JSON.stringify(keys)}`);
    const name = call.name;
    if (typeof name !== "string" || !tools.has(name)) return problems.push(`call ${i} names an undeclared tool ${JSON.stringify(name)}`);
    if (options.only !== undefined && name !== options.only) problems.push(`call ${i} is ${name}, not ${options.only}`);
    checkProperties(call.arguments as Json, tools.get(name)!, undefined, `${name}.arguments`, problems);
  });
  return problems;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object with the keys `props` declares: each declared one at most once (the scanner checks), required ones present. */
function checkProperties(value: Json, props: Spec, requiredList: Json | undefined, where: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`${where} is not an object`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(props, key)) problems.push(`${where} has undeclared key ${JSON.stringify(key)}`);
    else checkValue(value[key]!, props[key] as Spec, `${where}.${key}`, problems);
  }
  for (const [key, spec] of Object.entries(props)) {
    const required = (isObject(spec) && spec.required === true) || (Array.isArray(requiredList) && requiredList.includes(key));
    if (required && !Object.hasOwn(value, key)) problems.push(`${where} lacks required ${JSON.stringify(key)}`);
  }
}

function checkValue(value: Json, spec: Spec, where: string, problems: string[]): void {
  if (!isObject(spec)) return;
  const listed = "const" in spec ? [spec.const!] : Array.isArray(spec.enum) && spec.enum.length > 0 ? spec.enum : null;
  if (listed) {
    if (!listed.some((v) => sameJson(v, value))) problems.push(`${where} = ${JSON.stringify(value)} is not one of ${JSON.stringify(listed)}`);
    return;
  }
  const declared = typeof spec.type === "string" ? [spec.type] : Array.isArray(spec.type) ? spec.type : [];
  const types = declared.filter((t) => typeof t === "string" && ["string", "integer", "number", "boolean", "null", "array", "object"].includes(t)) as string[];
  if (spec.nullable === true) types.push("null");
  if (spec.type === undefined && isObject(spec.properties)) types.push("object");
  if (spec.type === undefined && isObject(spec.items)) types.push("array");
  if (types.length === 0) return; // any value
  const fits = types.some((type) => {
    switch (type) {
      case "string": return typeof value === "string";
      case "integer": return typeof value === "number" && Number.isInteger(value);
      case "number": return typeof value === "number" && Number.isFinite(value);
      case "boolean": return typeof value === "boolean";
      case "null": return value === null;
      case "array": return Array.isArray(value);
      default: return isObject(value);
    }
  });
  if (!fits) return void problems.push(`${where} = ${JSON.stringify(value)} is not ${types.join(" or ")}`);
  if (Array.isArray(value)) {
    if (isObject(spec.items)) value.forEach((item, i) => checkValue(item, spec.items as Spec, `${where}[${i}]`, problems));
  } else if (isObject(value) && types.includes("object")) {
    checkProperties(value, isObject(spec.properties) ? spec.properties : {}, spec.required, where, problems);
  }
}

function sameJson(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]!));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k]!, b[k]!));
  }
  return a === b;
}

/**
 * A JSON scanner of its own: reports duplicate keys in any object and raw
 * control characters in any string (JSON.parse, which it follows, has
 * already refused anything else).
 */
function scanJson(text: string, problems: string[]): void {
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i++;
    while (text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) problems.push(`raw control character U+${text.charCodeAt(i).toString(16).padStart(4, "0")} in a string`);
      i += text[i] === "\\" ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      space();
      if (text[i] === "}") return void i++;
      for (;;) {
        space();
        const key = string();
        if (seen.has(key)) problems.push(`duplicate key ${JSON.stringify(key)}`);
        seen.add(key);
        space();
        i++; // ":"
        value();
        space();
        if (text[i++] === "}") return;
      }
    }
    if (c === "[") {
      i++;
      space();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        space();
        if (text[i++] === "]") return;
      }
    }
    if (c === '"') return void string();
    while (i < text.length && !",]} \t\n\r".includes(text[i]!)) i++;
  };
  value();
}
