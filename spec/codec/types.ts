export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export interface JsonFrame {
  kind: 'json';
  value: JsonObject;
  /** The object's exact bytes, from `{` to `}` (no surrounding whitespace). */
  raw: Buffer;
  /** Stream offset of the `{`. */
  offset: number;
}

export interface ImageFrame {
  kind: 'image';
  length: number;
  /** The 8 header bytes as received. */
  header: Buffer;
  data: Buffer;
  /** Stream offset of the first header byte. */
  offset: number;
}

export type Frame = JsonFrame | ImageFrame;
