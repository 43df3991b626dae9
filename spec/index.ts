// The protocol as code: the requirement catalogue, the message definitions and the stream codec.
export * from './requirements.ts';
export * from './messages/index.ts';
export * from './codec/index.ts';
