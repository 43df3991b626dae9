import { REPLY_TEXT, postImageName } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { userRecord } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';
import { checkPathFields } from './path-safety.ts';

/**
 * POST-1, POST-2, POST-5 with the image exchange: everything that could refuse the post is checked
 * before "ready", so a refused client never sends its image for nothing. The image is durable
 * before the acknowledgement, and the post is durable before the final reply (DATA-4).
 */
export const uploadPost: ActionHandler<'upload_post'> = async (request, context) => {
  const { username, caption, timestamp } = request;
  const unsafe = checkPathFields({ username, timestamp });
  if (unsafe !== undefined) return errorReply(unsafe);
  if (userRecord(await context.store.users.read(), username) === undefined) return errorReply(REPLY_TEXT.userNotFound);
  // An unreadable posts.json fails the request here, before the client sends its image for nothing.
  await context.store.posts.read();

  const image = await context.receiveImage();
  let imagePath: string;
  try {
    imagePath = await context.store.saveImage(postImageName(username, timestamp), image);
  } catch {
    return errorReply(REPLY_TEXT.failedToSaveImage);
  }
  await context.acknowledgeImage();
  await context.store.posts.update((posts) => {
    posts.push({ username, image_path: imagePath, caption, timestamp });
    return { changed: true, result: undefined };
  });
  return successReply(REPLY_TEXT.postUploaded);
};
