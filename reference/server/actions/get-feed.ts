import type { JsonObject } from '../../../spec/codec/index.ts';
import { isPlainObject } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/**
 * POST-3 (the starter always answers []): every stored post, oldest first as in posts.json, each
 * with its image as base64 `image_data` ('' when the file is gone or points outside data/).
 */
export const getFeed: ActionHandler<'get_feed'> = async (_request, context) => {
  const posts = await context.store.posts.read();
  const feed: JsonObject[] = [];
  for (const post of posts) {
    if (!isPlainObject(post)) continue;
    const imagePath = post['image_path'];
    const image = typeof imagePath === 'string' ? await context.store.readImage(imagePath) : undefined;
    feed.push({ ...post, image_data: image ? image.toString('base64') : '' });
  }
  return { status: 'success', posts: feed };
};
