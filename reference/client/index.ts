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
  ServerError,
  isClientError,
} from './errors.ts';
export type { ClientErrorCode, Endpoint } from './errors.ts';
export { ACTION_REQUIREMENT, type Validation } from './reply-check.ts';
export { dmTimestamp, postTimestamp, systemClock, type Clock } from './timestamps.ts';
