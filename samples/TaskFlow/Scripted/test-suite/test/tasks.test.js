// The tasks endpoints of the TaskFlow API, against a real server on a free port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../src/server.js';

let server;
let base;
let userId;

before(async () => {
  server = createServer().listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${server.address().port}/api`;
  userId = (await call('POST', '/users', { email: 'lin@example.com', name: 'Lin' })).body.id;
});

after(() => new Promise((resolve) => server.close(resolve)));

async function call(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('tasks', () => {
  it('creates a task in TODO by default', async () => {
    const created = await call('POST', '/tasks', { title: 'Write the schema', userId });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'TODO');
    assert.equal(created.body.userId, userId);
    assert.equal(created.body.description, null);
  });

  it('moves a task across the board and reads it back', async () => {
    const { body: task } = await call('POST', '/tasks', { title: 'Build the API', description: 'REST, JSON', userId });
    const moved = await call('PATCH', `/tasks/${task.id}`, { status: 'IN_PROGRESS' });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.status, 'IN_PROGRESS');
    const read = await call('GET', `/tasks/${task.id}`);
    assert.equal(read.body.title, 'Build the API');
    assert.equal(read.body.status, 'IN_PROGRESS');
  });

  it('filters the list by status and by user', async () => {
    const { body: done } = await call('POST', '/tasks', { title: 'Ship it', status: 'DONE', userId });
    const doneTasks = await call('GET', '/tasks?status=DONE');
    assert.equal(doneTasks.status, 200);
    assert.deepEqual(doneTasks.body.map((t) => t.id), [done.id]);
    const mine = await call('GET', `/tasks?userId=${userId}`);
    assert.ok(mine.body.length >= 3);
    assert.equal((await call('GET', '/tasks?status=LATER')).status, 400);
  });

  it('deletes a task', async () => {
    const { body: task } = await call('POST', '/tasks', { title: 'Temporary', userId });
    assert.equal((await call('DELETE', `/tasks/${task.id}`)).status, 204);
    assert.equal((await call('GET', `/tasks/${task.id}`)).status, 404);
    assert.equal((await call('DELETE', `/tasks/${task.id}`)).status, 404);
  });

  it('rejects invalid tasks with 400', async () => {
    assert.equal((await call('POST', '/tasks', { userId })).status, 400);
    assert.equal((await call('POST', '/tasks', { title: 'No owner' })).status, 400);
    assert.equal((await call('POST', '/tasks', { title: 'Ghost owner', userId: 'nobody' })).status, 400);
    assert.equal((await call('POST', '/tasks', { title: 'Odd status', status: 'LATER', userId })).status, 400);
    const { body: task } = await call('POST', '/tasks', { title: 'Valid', userId });
    assert.equal((await call('PATCH', `/tasks/${task.id}`, { title: '' })).status, 400);
  });

  it('answers 404 for unknown tasks', async () => {
    assert.equal((await call('GET', '/tasks/nothing')).status, 404);
    assert.equal((await call('PATCH', '/tasks/nothing', { status: 'DONE' })).status, 404);
  });
});
