import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { isPlainObject, userRecord, withListItem } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/**
 * POST-4: appends {"user", "text"} to the comments of the post whose image_path matches, and
 * persists it (the starter's comment never reaches the file). "No posts found" when there are no
 * posts at all, "Post not found" when none matches.
 */
export const addComment: ActionHandler<'add_comment'> = async (request, context) => {
  const { post_image_path: imagePath, user, text } = request;
  if (userRecord(await context.store.users.read(), user) === undefined) return errorReply(REPLY_TEXT.userNotFound);
  return context.store.posts.update((posts) => {
    if (posts.length === 0) return { changed: false, result: errorReply(REPLY_TEXT.noPostsFound) };
    const index = posts.findIndex((entry) => isPlainObject(entry) && entry['image_path'] === imagePath);
    const post = posts[index];
    if (!isPlainObject(post)) return { changed: false, result: errorReply(REPLY_TEXT.postNotFound) };
    posts[index] = withListItem(post, 'comments', { user, text });
    return { changed: true, result: successReply() };
  });
};
