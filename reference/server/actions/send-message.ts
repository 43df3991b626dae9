import type { JsonObject } from '../../../spec/codec/index.ts';
import { REPLY_TEXT, dmImageName } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { userRecord } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';
import { checkPathFields } from './path-safety.ts';

/**
 * DM-1, DM-3..DM-5: stores the message in the pair's conversation file, where the receiver's next
 * get_messages finds it. Both users must exist (the starter writes files for anyone) and both names
 * must be safe in a file name (SEC-1); that is checked before "ready" for an image DM.
 */
export const sendMessage: ActionHandler<'send_message'> = async (request, context) => {
  const { sender, receiver, timestamp } = request;
  const unsafe = checkPathFields({ sender, receiver, timestamp });
  if (unsafe !== undefined) return errorReply(unsafe);
  const users = await context.store.users.read();
  if (userRecord(users, sender) === undefined || userRecord(users, receiver) === undefined) {
    return errorReply(REPLY_TEXT.userNotFound);
  }

  const conversation = context.store.conversation(sender, receiver);
  // An unreadable conversation file fails the request here, before any image is sent.
  await conversation.read();
  const entry: JsonObject = { sender, receiver, message: request.message, timestamp, is_image: request.is_image };
  if (request.is_image) {
    const image = await context.receiveImage();
    try {
      entry['image_path'] = await context.store.saveImage(dmImageName(sender, receiver, timestamp), image);
    } catch {
      return errorReply(REPLY_TEXT.failedToSaveImage);
    }
    // DM-5: an image DM reads "Image" whatever text came with it.
    entry['message'] = REPLY_TEXT.imageMessageText;
    await context.acknowledgeImage();
  }
  await conversation.update((messages) => {
    messages.push(entry);
    return { changed: true, result: undefined };
  });
  return successReply(REPLY_TEXT.messageSent);
};
