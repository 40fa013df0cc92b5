// DOM for the results: the calls table, the stats, the token strips and the
// retrieval ranking. Everything is text content: nothing from the model or
// the tools is parsed as HTML.

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

/** A confidence the package reported (a number in [0, 1]) to 3 places; "—" when it reported none. */
export function confidenceText(value) {
  return typeof value === "number" ? value.toFixed(3) : "—";
}

/**
 * The calls as a table (name, arguments, and each call's `confidence` as
 * the result carries it), and under it the note: the parse error, or for
 * `[]` the result's `noCallConfidence`.
 */
export function renderCalls(table, note, result) {
  const head = table.tHead;
  const body = table.tBodies[0];
  head.replaceChildren(el("tr", {}, [
    ...["#", "name", "arguments"].map((t) => el("th", { scope: "col", textContent: t })),
    el("th", { scope: "col", textContent: "confidence", title: "the result's calls[i].confidence; — where the package reports none" }),
  ]));
  body.replaceChildren(...result.calls.map((call, i) => el("tr", {}, [
    el("td", { textContent: String(i + 1) }),
    el("td", { textContent: call.name, className: "name" }),
    el("td", {}, [el("code", { textContent: JSON.stringify(call.arguments) })]),
    el("td", { textContent: confidenceText(call.confidence), className: "confidence" }),
  ])));
  if (result.error) note.textContent = `No calls: the output is not a list of calls (${result.error.code}: ${result.error.message}).`;
  else if (result.calls.length === 0) {
    note.replaceChildren("No call: the model answered [] (no listed tool fits). Confidence that none fits: ", el("span", { className: "confidence", textContent: confidenceText(result.noCallConfidence) }));
  } else note.textContent = "";
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

/**
 * The steps where the constraints overrode the model, in words (the chips'
 * titles say it too, but a title needs a mouse): the step, the token
 * chosen, and the model's own first choice.
 */
export function renderChangedSteps(list, tokens) {
  list.replaceChildren(...tokens.flatMap((t, step) => {
    if (!t.changed) return [];
    const item = el("li", { textContent: `step ${step}: ${JSON.stringify(t.piece)} (id ${t.id}) instead of the model's own first choice ${JSON.stringify(t.changed.piece)} (id ${t.changed.id})` });
    item.dataset.step = String(step);
    return [item];
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
