"""The course client's flows, driven through a student's socket_utils.py (the kit's correct sample
by default), against a server on HOST:PORT. Every reply is printed, one JSON line per step, so
the test can check them against the spec's schemas.

usage: course-flows.py SOCKET_UTILS_DIR HOST PORT
"""
import base64
import json
import sys
from datetime import datetime

sys.path.insert(0, sys.argv[1])
import socket_utils as su  # noqa: E402

host, port = sys.argv[2], int(sys.argv[3])


def step(name, action, value):
    print(json.dumps({'step': name, 'action': action, 'reply': value}), flush=True)


def login(sock, username):
    # The course client's login: a raw send and a single recv(4096).
    sock.send(json.dumps({'action': 'login', 'username': username.lower(), 'password': '123'}).encode('utf-8'))
    return json.loads(sock.recv(4096).decode('utf-8'))


alice = su.create_client_socket(host, port)
bob = su.create_client_socket(host, port)
step('login alice', 'login', login(alice, 'User1'))
step('login bob', 'login', login(bob, 'user2'))

su.send_json_message(alice, {'action': 'get_all_users'})
step('users', 'get_all_users', su.receive_json_message(alice))

su.send_json_message(alice, {'action': 'send_friend_request', 'sender': 'user1', 'receiver': 'user2'})
step('friend request', 'send_friend_request', su.receive_json_message(alice))
su.send_json_message(bob, {'action': 'get_user_data', 'username': 'user2'})
step('bob polls requests', 'get_user_data', su.receive_json_message(bob))
su.send_json_message(bob, {'action': 'accept_friend_request', 'user': 'user2', 'friend': 'user1'})
step('bob accepts', 'accept_friend_request', su.receive_json_message(bob))
su.send_json_message(alice, {'action': 'get_user_data', 'username': 'user1'})
step('alice friends', 'get_user_data', su.receive_json_message(alice))

text = 'مرحبا يا صديقي 😀👍 ' + 'long ' * 1000
su.send_json_message(alice, {'action': 'send_message', 'sender': 'user1', 'receiver': 'user2', 'message': text,
                             'timestamp': datetime.now().isoformat(), 'is_image': False})
step('dm', 'send_message', su.receive_json_message(alice))

# As client.py does it: send_json_message_with_image runs the exchange up to the acknowledgement
# (it returns None), then the client reads the action's final reply itself.
big = bytes((i * 7 + 3) % 256 for i in range(2 * 1024 * 1024))
su.send_json_message_with_image(alice, {'action': 'upload_post', 'username': 'user1', 'caption': 'صورة 📷',
                                        'timestamp': datetime.now().strftime('%Y-%m-%d %H:%M:%S')}, big)
step('upload 2 MiB', 'upload_post', su.receive_json_message(alice))

small = b'\xff\xd8\xff\xe0' + b'jpeg' * 100
su.send_json_message_with_image(bob, {'action': 'send_message', 'sender': 'user2', 'receiver': 'user1', 'message': 'Image',
                                      'timestamp': datetime.now().isoformat(), 'is_image': True}, small)
step('image dm', 'send_message', su.receive_json_message(bob))

su.send_json_message(bob, {'action': 'get_messages', 'user1': 'user2', 'user2': 'user1'})
messages = su.receive_json_message(bob)
step('bob reads', 'get_messages', messages)

su.send_json_message(bob, {'action': 'get_feed'})
feed = su.receive_json_message(bob)
# image_data is checked below and left out here: 2 MiB of base64 on one line helps no one.
step('feed', 'get_feed', {'status': feed['status'], 'posts': [dict(p, image_data='', image_bytes=len(base64.b64decode(p['image_data']))) for p in feed['posts']]})
print(json.dumps({'step': 'checks', 'dm_text_exact': messages['messages'][0]['message'] == text,
                  'feed_image_exact': base64.b64decode(feed['posts'][0]['image_data']) == big,
                  'post_image_path': feed['posts'][0]['image_path']}), flush=True)

su.send_json_message(bob, {'action': 'add_comment', 'post_image_path': feed['posts'][0]['image_path'], 'user': 'user2', 'text': 'جميل'})
step('comment', 'add_comment', su.receive_json_message(bob))
alice.close()
bob.close()
