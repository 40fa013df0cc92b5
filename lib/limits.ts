// Every limit on what a caller hands the package, in one place. Each is
// checked before the work it bounds starts and refused with an InputError
// naming the limit; README's "Errors" section lists them.

/** Characters of a query (QUERY_TOO_LONG). */
export const MAX_QUERY_CHARS = 1 << 16;

/**
 * Size of a tool list (TOOLS_TOO_LONG): a JSON string's characters, or for
 * tools given as JS values the characters of every string and key plus one
 * per value and per key, counted while walking, before anything is copied.
 */
export const MAX_TOOLS_CHARS = 1 << 22;

/** Values (objects, arrays, strings, numbers, …) in a tool list given as JS values (TOOLS_TOO_LONG). */
export const MAX_TOOLS_VALUES = 1 << 20;

/** Tools in one list, for call and rank alike (TOO_MANY_TOOLS). */
export const MAX_TOOLS = 1024;

/**
 * Characters of the tool list as the model sees it, after JSON-Schema
 * conversion and Python's ASCII escaping (TOOLS_TOO_LONG).
 */
export const MAX_PREPARED_TOOLS_CHARS = 1 << 23;

/** Schema nodes all of a list's JSON-Schema parameters may expand to, `$ref`s inlined (SCHEMA_TOO_LARGE). */
export const MAX_SCHEMA_NODES = 10_000;

/** Keywords copied while expanding them: bounds the work a wide `$ref` target fans out to (SCHEMA_TOO_LARGE). */
export const MAX_SCHEMA_KEYWORDS = 200_000;

/** Nested schema levels one parameter may expand to, each `$ref` followed counting as one (SCHEMA_TOO_DEEP). */
export const MAX_SCHEMA_DEPTH = 64;

/** Characters of a forced `prefix`, checked before it is tokenised (PREFIX_TOO_LONG). */
export const MAX_PREFIX_CHARS = 1 << 14;

/**
 * Engine threads a model may ask for (BAD_OPTION): the runtime's cores, or
 * MIN_THREAD_CAP where it has fewer, and never more than MAX_THREADS;
 * "auto" takes the cores there are, up to MAX_THREADS.
 */
export const MAX_THREADS = 64;
export const MIN_THREAD_CAP = 4;

/** Longest `maxEncoderLength` (BAD_OPTION): 4 × Needle's 1024-token prompt. */
export const MAX_ENCODER_LENGTH = 4096;

/** Longest `maxDecoderLength` (BAD_OPTION). */
export const MAX_DECODER_LENGTH = 4096;
