import { z } from 'zod';

// The image exchange's acknowledgements (IMG-1, IMG-4, IMG-8). They are objects of their own on the
// wire, separate from the action's final reply (IMG-6).

export const ReadyAck = z
  .object({ status: z.literal('ready') })
  .strict()
  .describe('Sent after an image-carrying request, before the server reads the image length (IMG-1).');
export type ReadyAck = z.infer<typeof ReadyAck>;

export const ImageSuccessAck = z
  .object({ status: z.literal('success') })
  .strict()
  .describe('Sent once every announced image byte arrived, before the final reply (IMG-4).');
export type ImageSuccessAck = z.infer<typeof ImageSuccessAck>;

export const ImageErrorAck = z
  .object({ status: z.literal('error'), message: z.string() })
  .strict()
  .describe('Sent instead of ImageSuccessAck when the image could not be received or saved (IMG-7, IMG-8).');
export type ImageErrorAck = z.infer<typeof ImageErrorAck>;

/** What may follow the image bytes first: the success or the error acknowledgement. */
export const ImageAck = z
  .union([ImageSuccessAck, ImageErrorAck])
  .describe('The acknowledgement after the image bytes (IMG-4, IMG-8).');
export type ImageAck = z.infer<typeof ImageAck>;
