// DOM for the results: the calls table, the stats, the token strips and the
// retrieval ranking. Everything is text content: nothing from the model or
// the tools is parsed as HTML.

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

/** The calls as a table: name, arguments, and confidence when the result carries it. */
export function renderCalls(table, note, result) {
  const head = table.tHead;
  const body = table.tBodies[0];
  head.replaceChildren();
  body.replaceChildren();
  const withConfidence = result.calls.some((c) => typeof c.confidence === "number");
  head.append(el("tr", {}, ["#", "name", "arguments", ...(withConfidence ? ["confidence"] : [])].map((t) => el("th", { scope: "col", textContent: t }))));
  for (const [i, call] of result.calls.entries()) {
    const cells = [
      el("td", { textContent: String(i + 1) }),
      el("td", { textContent: call.name, className: "name" }),
      el("td", {}, [el("code", { textContent: JSON.stringify(call.arguments) })]),
    ];
    if (withConfidence) cells.push(el("td", { textContent: typeof call.confidence === "number" ? call.confidence.toFixed(3) : "" }));
    body.append(el("tr", {}, cells));
  }
  note.textContent = result.error
    ? `No calls: the output is not a list of calls (${result.error.code}: ${result.error.message}).`
    : result.calls.length === 0 ? "No call: the model answered [] (no listed tool fits)." : "";
}

/** Rows of `{ key, label, value, title? }` into the stats table (each row's data-stat is its key). */
export function renderStats(table, rows) {
  table.tBodies[0].replaceChildren(...rows.map(({ key, label, value, title }) => {
    const row = el("tr", title ? { title } : {}, [el("th", { scope: "row", textContent: label }), el("td", { textContent: value })]);
    row.dataset.stat = key;
    return row;
  }));
}

/** Token chips: `{ id, piece, part?, forced?, changed? (the model's own choice) }`. */
export function renderTokens(box, tokens) {
  box.replaceChildren(...tokens.map((t) => {
    const classes = ["tok", t.part, t.forced ? "forced" : "", t.changed ? "changed" : ""].filter(Boolean).join(" ");
    const title = `id ${t.id}${t.part ? ` · ${t.part}` : ""}${t.forced ? " · forced" : ""}${t.changed ? ` · the model's own choice: ${JSON.stringify(t.changed.piece)} (id ${t.changed.id})` : ""}`;
    const chip = el("span", { className: classes, textContent: visiblePiece(t.piece), title });
    chip.dataset.id = String(t.id);
    return chip;
  }));
}

/** A piece with its word-boundary mark and whitespace made visible. */
function visiblePiece(piece) {
  return piece.replace(/\n/g, "\\n").replace(/\t/g, "\\t") || "∅";
}

/** The ranking: best first, a bar per score (cosine, -1 to 1). */
export function renderRanking(list, ranked, names) {
  list.replaceChildren(...ranked.map(({ index, score }) => {
    const bar = el("span", { className: "bar" });
    bar.style.setProperty("--score", String(Math.max(0, score)));
    return el("li", {}, [el("span", { className: "name", textContent: names[index] }), bar, el("span", { className: "score", textContent: score.toFixed(3) })]);
  }));
}
