// The reference client's public surface: the SDK class and its typed errors.
export { InstaNetClient } from './instanet-client.ts';
export type { CallOptions, ConnectOptions, Exchange, Reply, StampedCallOptions, TrafficDirection, TrafficEvent } from './instanet-client.ts';
export {
  ClientTimeoutError,
  ConnectFailedError,
  ConnectionClosedError,
  ConnectionRefusedError,
  InstaNetClientError,
  ProtocolError,
  ErrorReplyError,
  isClientError,
} from './errors.ts';
export type { ClientErrorCode, Endpoint } from './errors.ts';
export type { Validation } from './reply-check.ts';
// The SDK's name for spec's table of the requirement each action's reply demonstrates.
export { REPLY_REQUIREMENT as ACTION_REQUIREMENT } from '../../spec/messages/index.ts';
export { dmTimestamp, postTimestamp, systemClock, type Clock } from './timestamps.ts';
