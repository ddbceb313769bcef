/**
 * Valid examples of every message in both directions, typed against the message unions so the
 * compiler keeps them honest. Each is already in canonical form (ops normalised, parents sorted),
 * so a parse must give back an equal value. Tests and the fuzzer start from these.
 */
import { agentId } from '@tandem/core';
import type { ClientMessage, Event, PresencePeer, ServerMessage } from '../../src/index.js';

const alice = agentId('alice-tab1');
const bob = agentId('bob-phone');

const event0: Event = {
  id: { agent: alice, seq: 0 },
  parents: [],
  change: { type: 'text', name: 'body', op: [{ type: 'insert', content: 'Hello' }] },
};
const event1: Event = {
  id: { agent: alice, seq: 1 },
  parents: [{ agent: alice, seq: 0 }],
  change: { type: 'text', name: 'body', op: [{ type: 'retain', length: 5 }, { type: 'insert', content: ' world' }] },
};
const event2: Event = {
  id: { agent: bob, seq: 0 },
  parents: [{ agent: alice, seq: 0 }],
  change: { type: 'map_set', name: 'meta', key: 'title', value: { text: 'Greeting', tags: ['a', 1, true, null] } },
};
const event3: Event = {
  id: { agent: bob, seq: 1 },
  parents: [{ agent: alice, seq: 1 }, { agent: bob, seq: 0 }],
  change: { type: 'map_delete', name: 'meta', key: 'draft' },
};
export const EXAMPLE_EVENTS: readonly Event[] = [event0, event1, event2, event3];

const peer: PresencePeer = {
  userId: 'u_alice',
  name: 'Alice',
  color: '#e11d48',
  status: 'online',
  activity: 'editing the intro',
  typing: false,
  cursor: { text: 'body', anchor: 3, head: 7 },
  custom: { role: 'author', focus: { section: 2 } },
  lastSeen: 1_752_575_400_000,
};

export const CLIENT_EXAMPLES: readonly ClientMessage[] = [
  { type: 'hello', protocols: [1] },
  {
    type: 'hello',
    protocols: [2, 1],
    token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1X2FsaWNlIn0.c2lnbmF0dXJl',
    devUser: { id: 'dev-alice', name: 'Alice' },
    client: { name: '@tandem/client', version: '0.1.0' },
  },
  { type: 'hello', protocols: [1], devUser: { id: 'dev-bob' } },
  { type: 'join_session', docId: 'spec-42' },
  { type: 'join_session', docId: 'spec-42', mode: 'events', snapshot: true },
  {
    type: 'join_session',
    docId: 'spec-42',
    mode: 'ot',
    since: 17,
    link: 'lnk_5KX2pQ',
    presence: {
      name: 'Alice',
      color: '#e11',
      status: 'away',
      activity: '',
      typing: true,
      cursor: null,
      custom: { 'x-y': [1, 2.5, { deep: 'ok' }] },
      invisible: false,
    },
  },
  { type: 'leave_session', docId: 'spec-42' },
  { type: 'operation', docId: 'spec-42', operationId: 'op-1', events: [event0, event1] },
  { type: 'operation', docId: 'spec-42', operationId: 'op-2', events: [] },
  {
    type: 'operation',
    docId: 'spec-42',
    operationId: 'op-3',
    version: 42,
    operations: [{ type: 'retain', length: 5 }, { type: 'insert', content: 'x' }],
  },
  {
    type: 'operation',
    docId: 'spec-42',
    operationId: 'op-4',
    version: 0,
    text: 'notes',
    operations: [{ type: 'retain', length: 2 }, { type: 'insert', content: '😀' }, { type: 'delete', length: 3 }],
  },
  { type: 'cursor_update', docId: 'spec-42', version: 43, cursor: { anchor: 10, head: 10 } },
  { type: 'cursor_update', docId: 'spec-42', version: 43, cursor: null },
  { type: 'presence_update', scope: 'doc', id: 'spec-42', state: { typing: true, cursor: { text: 'body', anchor: 1, head: 4 } } },
  { type: 'presence_update', scope: 'room', id: 'team-growth', state: {} },
  { type: 'request_sync', docId: 'spec-42', since: 42 },
  { type: 'join_room', room: 'team-growth' },
  { type: 'join_room', room: 'team-growth', presence: { status: 'online', activity: 'planning Q3', color: '#3b82f6cc' } },
  { type: 'leave_room', room: 'team-growth' },
  { type: 'room_broadcast', room: 'team-growth', event: 'goal_created', data: { goalId: 'g-7', title: 'Ship v1' } },
  { type: 'room_broadcast', room: 'team-growth', event: 'nudge' },
  { type: 'signal', docId: 'spec-42', to: 'c_9f2', data: { kind: 'offer', sdp: 'v=0\r\n...' } },
  { type: 'ping', t: 1_752_575_400_123.5 },
];

export const SERVER_EXAMPLES: readonly ServerMessage[] = [
  {
    type: 'welcome',
    protocol: 1,
    server: { name: 'tandem', version: '0.1.0' },
    connectionId: 'c_7a1',
    user: { id: 'u_alice', name: 'Alice', color: '#e11d48' },
    heartbeatMs: 30_000,
    limits: { maxMessageBytes: 1_048_576, maxEventsPerMessage: 1_000 },
  },
  { type: 'session_joined', docId: 'spec-42', version: 4, level: 'editor', events: [event0, event1, event2, event3], activeUsers: [peer] },
  {
    type: 'session_joined',
    docId: 'spec-42',
    version: 4,
    level: 'viewer',
    content: { body: 'Hello world', notes: '' },
    maps: { meta: { title: { text: 'Greeting' }, pinned: true } },
    activeUsers: [],
  },
  { type: 'session_joined', docId: 'spec-42', version: 4, level: 'editor', snapshot: 'VE5ETQECAAwBCWJvYi1waG9uZQAABwEEYm9keQAABAEAAAAAAwAAAAACAAAAAQEAAgsAAAAAC0hlbGxvIHdvcmxkAAAAFAEBBGJvZHkLSGVsbG8gd29ybGQAmAostw==', activeUsers: [] },
  { type: 'operation_ack', docId: 'spec-42', operationId: 'op-3', version: 43, duplicates: 0 },
  { type: 'remote_operation', docId: 'spec-42', version: 44, userId: 'u_bob', events: [event2] },
  {
    type: 'remote_operation',
    docId: 'spec-42',
    version: 44,
    userId: 'u_bob',
    text: 'body',
    operations: [{ type: 'retain', length: 11 }, { type: 'insert', content: '!' }],
  },
  { type: 'remote_cursor', docId: 'spec-42', userId: 'u_bob', version: 44, cursor: { text: 'body', anchor: 12, head: 12 } },
  { type: 'presence', scope: 'doc', id: 'spec-42', peer },
  { type: 'user_joined', scope: 'room', id: 'team-growth', peer: { ...peer, cursor: null, custom: {} } },
  { type: 'user_left', scope: 'doc', id: 'spec-42', userId: 'u_bob' },
  { type: 'sync', docId: 'spec-42', version: 4, events: [event2, event3] },
  {
    type: 'sync',
    docId: 'spec-42',
    version: 45,
    operations: [
      { version: 44, text: 'body', operations: [{ type: 'retain', length: 11 }, { type: 'insert', content: '!' }] },
      { version: 45, text: 'body', operations: [{ type: 'delete', length: 5 }] },
    ],
  },
  { type: 'room_joined', room: 'team-growth', members: [peer] },
  { type: 'room_event', room: 'team-growth', from: 'u_alice', event: 'goal_created', data: { goalId: 'g-7' } },
  { type: 'room_event', room: 'team-growth', from: 'u_alice', event: 'nudge' },
  { type: 'signal', docId: 'spec-42', from: 'c_7a1', userId: 'u_alice', level: 'editor', data: { kind: 'answer', sdp: 'v=0' } },
  { type: 'pong', t: 1_752_575_400_123.5 },
  { type: 'error', code: 'VERSION_CONFLICT', message: 'version 40 is older than the 50 operations the server keeps', docId: 'spec-42', ref: 'op-3', currentVersion: 95 },
  { type: 'error', code: 'UNKNOWN_TYPE', message: 'unknown message type "subscribe"', ref: 'subscribe' },
];
