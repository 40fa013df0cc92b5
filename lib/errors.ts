/**
 * Every error this package throws on purpose is a NeedleError with a stable
 * `code`, so callers can branch on the kind of failure without parsing text.
 */
export class NeedleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A pickle stream that is malformed, truncated or asks for something unsafe. */
export class PickleError extends NeedleError {}

/** A checkpoint whose config or tensors do not describe a runnable Needle model. */
export class CheckpointError extends NeedleError {}

/** A SentencePiece model file that is malformed or uses features we do not implement. */
export class TokenizerError extends NeedleError {}

/** Bad caller input: ids out of range, lengths over a limit, malformed tools. */
export class InputError extends NeedleError {}

/** Something could not be read from a path, URL or Response. */
export class SourceError extends NeedleError {}

/** A `.cact` (Needle 2) file that is malformed, truncated or describes no runnable model. */
export class CactError extends NeedleError {}
