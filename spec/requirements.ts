// The requirement catalogue: the same IDs as spec/protocol.md (a test keeps the two lists equal).
// Checks, scenarios, reports and rubrics cite these IDs, so one ID can be followed from the
// spec to its schema, its scenario and its report row.

export type Level = 'MUST' | 'SHOULD' | 'MAY';

export type Section =
  | 'FRAME'
  | 'CONN'
  | 'IMG'
  | 'AUTH'
  | 'FRQ'
  | 'DM'
  | 'POST'
  | 'USER'
  | 'ERR'
  | 'DATA'
  | 'SEC'
  | 'LIM'
  | 'CLNT';

export interface Requirement {
  readonly id: string;
  readonly level: Level;
  readonly section: Section;
  readonly text: string;
  /** Whether the course's own starter server meets it; harness levels such checks down when it does not. */
  readonly starterMeets: boolean;
  /** Which reference-server modes meet it ('strict' always does). */
  readonly modes: readonly ('strict' | 'course')[];
}

export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  FRAME: 'Transport and framing',
  CONN: 'Connections and concurrency',
  IMG: 'Image exchange',
  AUTH: 'Login and sessions',
  FRQ: 'Friend requests',
  DM: 'Direct messages',
  POST: 'Posts, feed and comments',
  USER: 'User data',
  ERR: 'Errors and unknown actions',
  DATA: 'Data layout and durability',
  SEC: 'Path safety',
  LIM: 'Limits',
  CLNT: 'Client obligations',
};

const both = ['strict', 'course'] as const;
const strictOnly = ['strict'] as const;

function req(
  id: string,
  level: Level,
  text: string,
  starterMeets = true,
  modes: readonly ('strict' | 'course')[] = both,
): Requirement {
  const section = id.split('-')[0] as Section;
  return { id, level, section, text, starterMeets, modes };
}

export const REQUIREMENTS: readonly Requirement[] = [
  req('FRAME-1', 'MUST', 'Every message is one JSON object, UTF-8 encoded, sent over TCP with no delimiter and no length prefix.'),
  req('FRAME-2', 'MUST', 'A receiver accepts a message split across any number of TCP segments, at any byte.'),
  req('FRAME-3', 'MUST', 'A receiver accepts a multi-byte UTF-8 character split across two reads.', false),
  req('FRAME-4', 'MUST', 'A receiver accepts messages longer than one 4096-byte read.'),
  req('FRAME-5', 'SHOULD', 'A receiver ignores whitespace before and after an object (e.g. a trailing newline).'),
  req('FRAME-6', 'SHOULD', 'Two requests written back to back in one segment are both answered, in order.', false),
  req('FRAME-7', 'MUST', 'A sender writes the whole message (sendall), never a prefix of it.'),
  req('FRAME-8', 'MUST', 'A receiver accepts any valid JSON spacing and both \\uXXXX escapes and raw UTF-8 for non-ASCII text.'),
  req('FRAME-9', 'SHOULD', 'Malformed JSON or invalid UTF-8 gets an error reply and the connection is closed; it never stalls.', false),
  req('FRAME-10', 'SHOULD', 'A JSON value that is not an object, or a byte-order mark, gets an error reply.', false),
  req('FRAME-11', 'MAY', "Replies may use Python json.dumps defaults (', ' and ': ' separators, ASCII escapes with surrogate pairs), the course's and the reference server's encoding."),
  req('CONN-1', 'MUST', 'The server serves several clients at once; a client that sent half a request does not block the others.'),
  req('CONN-2', 'MUST', 'A connection carries any number of requests; each gets exactly one reply (plus the image acknowledgements), in order.'),
  req('CONN-3', 'SHOULD', 'The server serves at least 50 concurrent clients.'),
  req('CONN-4', 'MUST', 'The server survives a client that disconnects at any point, including mid-image, and keeps serving the others.'),
  req('IMG-1', 'MUST', 'After a request that carries an image, the server replies {"status": "ready"} before reading image bytes.'),
  req('IMG-2', 'MUST', 'The image length is an 8-byte unsigned big-endian integer; the receiver reads all 8 bytes even when they arrive split.', false),
  req('IMG-3', 'MUST', 'The receiver reads exactly the announced number of image bytes, across as many reads as it takes.'),
  req('IMG-4', 'MUST', 'Once all image bytes arrived the server sends {"status": "success"}, then the action\'s final reply.'),
  req('IMG-5', 'MUST', 'An image of length 0 is accepted.'),
  req('IMG-6', 'SHOULD', 'The image acknowledgement and the final reply never arrive in the same read of a client that parses one object per read.', false),
  req('IMG-7', 'SHOULD', 'An announced length over the image limit gets {"status": "error"} and the connection is closed without reading the bytes.', false),
  req('IMG-8', 'MUST', 'A failure after "ready" is reported as {"status": "error", "message": ...}; the image bytes are never parsed as a request.', false),
  req('AUTH-1', 'MUST', 'login with a known username and its password replies {"status": "success", "message": "Login successful"}.'),
  req('AUTH-2', 'MUST', 'login with an unknown username or a wrong password replies {"status": "error", "message": "Invalid credentials"}.'),
  req('AUTH-3', 'SHOULD', 'login lower-cases the username before looking it up.'),
  req('AUTH-4', 'SHOULD', 'A connection must log in before any action other than login; otherwise the reply is an error.', false, strictOnly),
  req('AUTH-5', 'SHOULD', 'A logged-in connection may act only as its own user (sender, user, username, user1/user2 of get_messages).', false, strictOnly),
  req('AUTH-6', 'SHOULD', 'get_user_data never discloses a password.', false, strictOnly),
  req('FRQ-1', 'MUST', 'send_friend_request replies "Friend request sent" and the receiver\'s requests list then holds the sender.'),
  req('FRQ-2', 'MUST', 'accept_friend_request replies "Friend request accepted"; both users list each other as friends and the request is gone.'),
  req('FRQ-3', 'MUST', 'reject_friend_request replies "Friend request rejected"; the request is gone and no friendship is made.'),
  req('FRQ-4', 'MUST', 'send_friend_request to an unknown user or to an existing friend replies {"status": "error", "message": "Invalid request"}.'),
  req('FRQ-5', 'MUST', 'accept or reject without a pending request replies {"status": "error", "message": "Invalid request"}.'),
  req('FRQ-6', 'SHOULD', 'A duplicate friend request is not stored twice and a request to oneself is refused with "Invalid request".', false),
  req('DM-1', 'MUST', 'send_message replies "Message sent" and stores the message where the receiver\'s next get_messages finds it.'),
  req('DM-2', 'MUST', 'get_messages returns every message between the two users, both directions, in the order they were sent.'),
  req('DM-3', 'MUST', 'Message text is stored and returned exactly, including Arabic and emoji and texts over 4096 bytes.'),
  req('DM-4', 'SHOULD', 'send_message to or from an unknown user replies with an error and stores nothing.', false),
  req('DM-5', 'MUST', 'send_message with "is_image": true runs the image exchange and stores the message with text "Image" and an image_path holding the bytes.'),
  req('DM-6', 'MUST', 'get_messages between users with no conversation replies {"status": "success", "messages": []}.'),
  req('POST-1', 'MUST', 'upload_post runs the image exchange and replies "Post uploaded successfully".'),
  req('POST-2', 'MUST', 'An uploaded post is appended to data/posts/posts.json with username, image_path, caption and timestamp, and its image file holds exactly the bytes sent.'),
  req('POST-3', 'SHOULD', 'get_feed returns the stored posts, each with image_path and the image as base64 image_data.', false),
  req('POST-4', 'SHOULD', 'add_comment appends {"user", "text"} to the post\'s comments and replies {"status": "success"}; "No posts found" / "Post not found" otherwise.', false),
  req('POST-5', 'MUST', 'A caption is stored exactly, including an empty caption and non-ASCII text.'),
  req('USER-1', 'MUST', 'get_all_users replies {"status": "success", "users": [...]} with every username in file order.'),
  req('USER-2', 'MUST', 'get_user_data replies user_data with friends and requests, or {"status": "error", "message": "User not found"}.'),
  req('ERR-1', 'MUST', 'An unknown or missing action replies {"status": "error", "message": "Invalid action"}.'),
  req('ERR-2', 'SHOULD', 'A request with missing fields or wrong types gets an error reply and the connection stays usable.', false),
  req('ERR-3', 'MUST', 'Every reply carries "status" ("success" or "error"); every error reply carries a "message" string.'),
  req('DATA-1', 'MUST', 'Data lives in the course layout: data/users/users.json, data/posts/posts.json, data/messages/<a>_<b>.json (names sorted), data/images/.'),
  req('DATA-2', 'SHOULD', 'Concurrent writes lose nothing: N clients sending to one conversation at once leave all N messages stored.', false),
  req('DATA-3', 'SHOULD', 'Every data file is valid JSON at every instant, even if the server is killed mid-write.', false),
  req('DATA-4', 'SHOULD', '"success" is sent only once the change is durable on disk.', false),
  req('DATA-5', 'MUST', 'An existing course data folder is read as it is.'),
  req('SEC-1', 'SHOULD', 'A name that becomes part of a file path (username, sender, receiver, timestamp) is refused when it holds "..", a path separator or an absolute path.', false),
  req('LIM-1', 'SHOULD', 'A request larger than the request limit gets an error reply and the connection is closed; nothing is buffered without bound.', false),
  req('LIM-2', 'SHOULD', 'A half-sent request idle for longer than the idle limit is dropped, freeing its resources.', false),
  req('LIM-3', 'MAY', 'The server may cap concurrent connections, refusing extra ones with an error reply.', false),
  req('CLNT-1', 'MUST', 'A client waits for {"status": "ready"} before sending the image length and bytes.'),
  req('CLNT-2', 'MUST', 'A client sends the image length as 8 bytes, unsigned big-endian, then exactly that many bytes.'),
  req('CLNT-3', 'MUST', 'A client reads replies with the same framing rules as the server (FRAME-2 to FRAME-5).'),
  req('CLNT-4', 'SHOULD', 'A client parses replies incrementally and keeps unread bytes, so an image acknowledgement and the final reply arriving in one read are both handled.', false),
];

const byId = new Map(REQUIREMENTS.map((r) => [r.id, r]));

export function requirement(id: string): Requirement {
  const found = byId.get(id);
  if (!found) throw new RangeError(`unknown requirement ID ${id}`);
  return found;
}

export function isRequirementId(id: string): boolean {
  return byId.has(id);
}
