// Test helper: schema-constrained greedy decoding driven by any logits
// source (a NeedleModel's decodeStep, or generated logits), the way the
// generation loop drives it: argmax(logits), stop at EOS, else feed.

import { SchemaDecoder } from "../lib/constrain/schema/decoder.ts";
import { ToolGrammar, type GrammarOptions } from "../lib/constrain/schema/grammar.ts";
import { TokenBytes } from "../lib/constrain/schema/token-bytes.ts";
import type { Tokenizer } from "../tokenizer/index.ts";

export interface Decoded {
  tokens: number[];
  /** decode(tokens) without a leading `<tool_call>`. */
  text: string;
  finish: "stop" | "length";
  decoder: SchemaDecoder;
}

export function schemaDecoder(tokenizer: Tokenizer, toolsJson: string, options: GrammarOptions, maxTokens: number): SchemaDecoder {
  return new SchemaDecoder(TokenBytes.for(tokenizer), new ToolGrammar(toolsJson, options), {
    eosId: tokenizer.eosId,
    toolCallId: tokenizer.pieceToId("<tool_call>"),
    maxTokens,
  });
}

/** Up to maxTokens greedy steps; `logitsAt(token, pos)` gives the logits after feeding `token` at `pos`. */
export function decodeWith(
  tokenizer: Tokenizer,
  decoder: SchemaDecoder,
  maxTokens: number,
  logitsAt: (token: number, pos: number) => ArrayLike<number>,
): Decoded {
  const tokens: number[] = [];
  let token = tokenizer.eosId;
  let finish: Decoded["finish"] = "length";
  for (let pos = 0; pos < maxTokens; pos++) {
    token = decoder.argmax(logitsAt(token, pos));
    if (token === tokenizer.eosId) {
      finish = "stop";
      break;
    }
    decoder.feed(token);
    tokens.push(token);
  }
  const text = tokenizer.decode(tokens);
  return { tokens, text: text.startsWith("<tool_call>") ? text.slice("<tool_call>".length) : text, finish, decoder };
}
