// A plain TypeScript Needle 2 forward pass in float64 over weights decoded
// from a .cact (SPEC.md section 3; decode.py _forward_cached): one token per
// step with a KV cache and the engram's value history, no SIMD, no layout
// tricks. The oracle the Wasm engine is checked against.

import { floatValues, tensor, type CactFile } from "../../lib/needle2/cact.ts";
import { dequant, walshHadamard } from "../../lib/needle2/cq.ts";

const EPS = 1e-6;
const ENGRAM_SEED = 0x9e3779b9;
const ENGRAM_PRIME = 0x01000193;
const SINKHORN_ITERS = 20;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** out = W x for W (rows, cols) row-major. */
function gemv(w: Float64Array, x: ArrayLike<number>, rows: number, cols: number, row0 = 0): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = (row0 + r) * cols;
    for (let c = 0; c < cols; c++) s += w[o + c]! * x[c]!;
    out[r] = s;
  }
  return out;
}

/** (1 + scale) * x / rms(x) over each `width`-wide row (scale null: rms_unit). */
function zcrms(x: Float64Array, scale: Float64Array | null, width = x.length): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length; r += width) {
    let ss = 0;
    for (let i = 0; i < width; i++) ss += x[r + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / width + EPS);
    for (let i = 0; i < width; i++) out[r + i] = (scale ? 1 + scale[i]! : 1) * x[r + i]! * inv;
  }
  return out;
}

/** Sinkhorn in log space: 20 x (normalise rows, then columns), then exp; m is n x n. */
export function sinkhorn(m: Float64Array, n: number): Float64Array {
  const k = Float64Array.from(m);
  const lse = (idx: (j: number) => number): number => {
    let mx = -Infinity;
    for (let j = 0; j < n; j++) mx = Math.max(mx, k[idx(j)]!);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(k[idx(j)]! - mx);
    return mx + Math.log(s);
  };
  for (let it = 0; it < SINKHORN_ITERS; it++) {
    for (let a = 0; a < n; a++) {
      const l = lse((j) => a * n + j);
      for (let j = 0; j < n; j++) k[a * n + j]! -= l;
    }
    for (let b = 0; b < n; b++) {
      const l = lse((j) => j * n + b);
      for (let j = 0; j < n; j++) k[j * n + b]! -= l;
    }
  }
  return k.map(Math.exp);
}

/** The engram slot of table `t` (of order `order`) at the end of `hist`. */
export function engramSlot(hist: ArrayLike<number>, p: number, t: number, order: number, slots: number): number {
  let acc = Math.imul(ENGRAM_SEED, t + 1) >>> 0;
  for (let j = 0; j < order; j++) acc = Math.imul((acc ^ (p - j >= 0 ? hist[p - j]! : 0)) >>> 0, ENGRAM_PRIME) >>> 0;
  acc = (acc ^ (acc >>> 15)) >>> 0;
  return acc % slots;
}

const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);

interface Layer {
  normIn: Float64Array;
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  qNorm: Float64Array;
  kNorm: Float64Array;
  gate: Float64Array;
  out: Float64Array;
  postNorm: Float64Array;
  attnGate: number;
  preHada: Float64Array;
  d1: Float64Array;
  d2: Float64Array;
  d3: Float64Array;
}

interface Site {
  layer: number;
  tables: Float64Array;
  keyProj: Float64Array;
  valueProj: Float64Array;
  taps: Float64Array;
}

function laneMean(X: Float64Array<ArrayBufferLike>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let l = 0; l < n; l++) for (let c = 0; c < d; c++) mean[c]! += X[l * d + c]! / n;
  return mean;
}

export class Needle2Twin {
  readonly vocab: number;
  private readonly h: CactFile["header"];
  private readonly emb: Float64Array;
  private readonly layers: Layer[] = [];
  private readonly sites: Site[] = [];
  private readonly mhc: Record<string, Float64Array>;
  private readonly finalNorm: Float64Array;
  // Per step: the tokens, per layer the K/V rows, per site the engram values before the conv.
  private tokens: number[] = [];
  private kCache: Float64Array[][] = [];
  private vCache: Float64Array[][] = [];
  private engramV: Float64Array[][] = [];
  /** Per step, the cells the probe heads pool (hidden_cells): x0, then the lane mean after each layer. */
  cells: Float64Array<ArrayBufferLike>[][] = [];

  /** kvWindow: decode.py's kv_window (0: none): a query at p sees keys at p - kvWindow + 1 .. p. */
  constructor(file: CactFile, private readonly kvWindow = 0) {
    const h = (this.h = file.header);
    this.vocab = h.vocab;
    const cq = (name: string): Float64Array => f64(dequant(file, tensor(file, name)));
    const fp = (name: string): Float64Array => f64(floatValues(file, tensor(file, name)));
    this.emb = cq("embedding");
    for (let i = 0; i < h.numLayers; i++) {
      const p = `layer${String(i).padStart(2, "0")}.`;
      this.layers.push({
        normIn: fp(p + "norm_in"), q: cq(p + "q_proj"), k: cq(p + "k_proj"), v: cq(p + "v_proj"),
        qNorm: fp(p + "q_norm"), kNorm: fp(p + "k_norm"), gate: cq(p + "gate_proj"), out: cq(p + "out_proj"),
        postNorm: fp(p + "post_norm"), attnGate: fp(p + "attn_gate")[0]!, preHada: fp(p + "pre_hada"),
        d1: fp(p + "d1"), d2: fp(p + "d2"), d3: fp(p + "d3"),
      });
    }
    this.mhc = {};
    for (const n of ["a_pre", "a_post", "a_res", "b_pre", "b_post", "b_res"]) this.mhc[n] = fp("mhc_" + n);
    for (const n of ["phi_pre", "phi_post", "phi_res"]) this.mhc[n] = cq("mhc_" + n);
    h.engramSites.forEach((layer, s) => {
      this.sites.push({ layer, tables: cq(`engram${s}.tables`), keyProj: cq(`engram${s}.key_proj`), valueProj: cq(`engram${s}.value_proj`), taps: fp(`engram${s}.taps`) });
    });
    this.finalNorm = fp("final_norm");
    this.reset();
  }

  reset(): void {
    this.tokens = [];
    this.kCache = this.layers.map(() => []);
    this.vCache = this.layers.map(() => []);
    this.engramV = this.sites.map(() => []);
    this.cells = [];
  }

  /** Feeds one token at the next position; returns the logits after it. */
  step(token: number): Float64Array {
    const h = this.h;
    const d = h.dModel;
    const n = h.mhcLanes;
    const p = this.tokens.length;
    this.tokens.push(token);
    const x0 = this.emb.slice(token * d, (token + 1) * d).map((v) => v * Math.sqrt(d));
    const engram = this.sites.map((site, s) => this.engramKv(site, s, p));
    // X: n lanes of d, all x0 at first.
    let X = new Float64Array(n * d);
    for (let l = 0; l < n; l++) X.set(x0, l * d);
    const cells: Float64Array<ArrayBufferLike>[] = [x0];
    this.cells.push(cells);
    const m = this.mhc;
    for (let i = 0; i < h.numLayers; i++) {
      const nx = zcrms(X, null);
      const lane = i % n;
      const pre = gemv(m.phi_pre!, nx, n, n * d, i * n);
      const post = gemv(m.phi_post!, nx, n, n * d, i * n);
      const res = gemv(m.phi_res!, nx, n * n, n * d, i * n * n);
      const u = new Float64Array(d);
      for (let l = 0; l < n; l++) {
        const hpre = sigmoid(m.a_pre![i]! * pre[l]! + m.b_pre![i * n + l]! + (l === lane ? 4 : -4));
        for (let c = 0; c < d; c++) u[c]! += hpre * X[l * d + c]!;
      }
      let bx = u;
      const s = h.engramSites.indexOf(i);
      if (s >= 0) {
        const ru = zcrms(u, null);
        const rk = zcrms(engram[s]!.k, null);
        let dot = 0;
        for (let c = 0; c < d; c++) dot += ru[c]! * rk[c]!;
        const alpha = sigmoid(dot / Math.sqrt(d));
        bx = u.map((v, c) => v + alpha * engram[s]!.v[c]!);
      }
      const y = this.block(i, bx, p);
      for (let c = 0; c < d; c++) y[c]! -= u[c]!;
      const logitsR = new Float64Array(n * n);
      for (let k = 0; k < n * n; k++) logitsR[k] = m.a_res![i]! * res[k]! + m.b_res![i * n * n + k]!;
      const R = sinkhorn(logitsR, n);
      const next = new Float64Array(n * d);
      for (let a = 0; a < n; a++) {
        const hpost = 2 * sigmoid(m.a_post![i]! * post[a]! + m.b_post![i * n + a]! - (a === lane ? 0 : 4));
        for (let c = 0; c < d; c++) {
          let v = hpost * y[c]!;
          for (let b = 0; b < n; b++) v += R[a * n + b]! * X[b * d + c]!;
          next[a * d + c] = v;
        }
      }
      X = next;
      cells.push(laneMean(X, n, d));
    }
    const mean = laneMean(X, n, d);
    return gemv(this.emb, zcrms(mean, this.finalNorm), h.vocab, d);
  }

  private engramKv(site: Site, s: number, p: number): { k: Float64Array; v: Float64Array } {
    const h = this.h;
    const sub = h.engramSubDim;
    const heads = h.numEngramTables / h.engramOrders.length;
    const e = new Float64Array(h.numEngramTables * sub);
    for (let t = 0; t < h.numEngramTables; t++) {
      const order = h.engramOrders[Math.floor(t / heads)]!;
      if (p < order - 1) continue;
      const row = t * h.engramSlots + engramSlot(this.tokens, p, t, order, h.engramSlots);
      e.set(site.tables.subarray(row * sub, (row + 1) * sub), t * sub);
    }
    const d = h.dModel;
    const k = gemv(site.keyProj, e, d, e.length);
    this.engramV[s]!.push(gemv(site.valueProj, e, d, e.length));
    const v = new Float64Array(d);
    for (let j = 0; j < 4; j++) {
      const q = p - j * h.engramConvDilation;
      if (q < 0) continue;
      const past = this.engramV[s]![q]!;
      for (let c = 0; c < d; c++) v[c]! += site.taps[j * d + c]! * past[c]!;
    }
    return { k, v };
  }

  private block(i: number, x: Float64Array, pos: number): Float64Array {
    const h = this.h;
    const L = this.layers[i]!;
    const d = h.dModel;
    const hd = h.headDim;
    const H = h.numHeads;
    const KV = h.numKvHeads;
    const hn = zcrms(x, L.normIn);
    const q = zcrms(gemv(L.q, hn, H * hd, d), L.qNorm, hd);
    const k = zcrms(gemv(L.k, hn, KV * hd, d), L.kNorm, hd);
    const v = gemv(L.v, hn, KV * hd, d);
    const half = hd / 2;
    for (const [vec, heads] of [[q, H], [k, KV]] as const) {
      for (let hh = 0; hh < heads; hh++) {
        for (let j = 0; j < half; j++) {
          const ang = pos * h.ropeTheta ** (-(2 * j) / hd);
          const a = vec[hh * hd + j]!;
          const b = vec[hh * hd + half + j]!;
          vec[hh * hd + j] = a * Math.cos(ang) - b * Math.sin(ang);
          vec[hh * hd + half + j] = b * Math.cos(ang) + a * Math.sin(ang);
        }
      }
    }
    this.kCache[i]!.push(k);
    this.vCache[i]!.push(v);
    const o = new Float64Array(H * hd);
    const n = pos + 1;
    const from = this.kvWindow > 0 ? Math.max(0, n - this.kvWindow) : 0;
    for (let hh = 0; hh < H; hh++) {
      const g = Math.floor(hh / (H / KV));
      const scores = new Float64Array(n);
      let mx = -Infinity;
      for (let t = from; t < n; t++) {
        let s = 0;
        for (let j = 0; j < hd; j++) s += q[hh * hd + j]! * this.kCache[i]![t]![g * hd + j]!;
        scores[t] = s / Math.sqrt(hd);
        mx = Math.max(mx, scores[t]!);
      }
      let sum = 0;
      for (let t = from; t < n; t++) sum += (scores[t] = Math.exp(scores[t]! - mx));
      for (let t = from; t < n; t++) for (let j = 0; j < hd; j++) o[hh * hd + j]! += (scores[t]! / sum) * this.vCache[i]![t]![g * hd + j]!;
    }
    const gate = gemv(L.gate, hn, H * hd, d);
    for (let j = 0; j < H * hd; j++) o[j]! *= sigmoid(gate[j]!);
    const a = zcrms(gemv(L.out, o, d, H * hd), L.postNorm);
    const gAttn = sigmoid(L.attnGate);
    const x1 = x.map((v, c) => v + gAttn * a[c]!);
    // Hadamard MLP: z = pad(zcrms(x1)); z = (d1 z) Hn; z = silu(d2 z) Hn; out = (d3 z)[:d].
    const nh = h.hadaN;
    const z = new Float64Array(nh);
    z.set(zcrms(x1, L.preHada));
    const scale = 1 / Math.sqrt(nh);
    for (let j = 0; j < nh; j++) z[j]! *= L.d1[j]!;
    walshHadamard(z, nh);
    for (let j = 0; j < nh; j++) {
      const t = z[j]! * scale * L.d2[j]!;
      z[j] = t * sigmoid(t);
    }
    walshHadamard(z, nh);
    return x1.map((v, c) => v + L.d3[c]! * z[c]! * scale);
  }
}
