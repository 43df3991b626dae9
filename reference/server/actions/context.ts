import type { JsonObject } from '../../../spec/codec/index.ts';
import type { Action, RequestOf } from '../../../spec/messages/index.ts';
import type { ServerMode } from '../options.ts';
import type { Session } from '../session.ts';
import type { DataStore } from '../store/data-store.ts';

export type Reply = JsonObject;

/** What an action handler may use: the data, the caller's session and the image exchange. */
export interface ActionContext {
  readonly mode: ServerMode;
  readonly store: DataStore;
  readonly session: Session;
  /**
   * IMG-1..IMG-3: sends {"status": "ready"} and reads the 8-byte length and the bytes. Throws when
   * the connection cannot go on (image over the limit, peer gone, stalled); the connection handles it.
   */
  receiveImage(): Promise<Buffer>;
  /**
   * IMG-4: sends {"status": "success"} once the image is stored. If a handler returns an error
   * reply after receiveImage() without acknowledging, that error is sent in the acknowledgement's
   * place and is the exchange's last word (IMG-8).
   */
  acknowledgeImage(): Promise<void>;
}

export type ActionHandler<A extends Action> = (request: RequestOf<A>, context: ActionContext) => Promise<Reply>;
