// The users endpoints of the TaskFlow API, against a real server on a free port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../src/server.js';

let server;
let base;

before(async () => {
  server = createServer().listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${server.address().port}/api`;
});

after(() => new Promise((resolve) => server.close(resolve)));

async function call(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('users', () => {
  it('starts empty', async () => {
    assert.deepEqual(await call('GET', '/users'), { status: 200, body: [] });
  });

  it('creates, reads, updates and deletes a user', async () => {
    const created = await call('POST', '/users', { email: 'ada@example.com', name: 'Ada' });
    assert.equal(created.status, 201);
    assert.equal(created.body.email, 'ada@example.com');
    assert.equal(created.body.name, 'Ada');
    const id = created.body.id;

    assert.equal((await call('GET', `/users/${id}`)).body.name, 'Ada');
    assert.equal((await call('GET', '/users')).body.length, 1);

    const renamed = await call('PATCH', `/users/${id}`, { name: 'Ada Lovelace' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, 'Ada Lovelace');

    assert.equal((await call('DELETE', `/users/${id}`)).status, 204);
    assert.equal((await call('GET', `/users/${id}`)).status, 404);
  });

  it('rejects a bad email with 400 and a taken one with 409', async () => {
    assert.equal((await call('POST', '/users', { email: 'not-an-email' })).status, 400);
    assert.equal((await call('POST', '/users', { email: 'grace@example.com' })).status, 201);
    const taken = await call('POST', '/users', { email: 'grace@example.com' });
    assert.equal(taken.status, 409);
    assert.match(taken.body.error, /exists/);
  });

  it('answers 404 for unknown users on GET, PATCH and DELETE', async () => {
    assert.equal((await call('GET', '/users/nobody')).status, 404);
    assert.equal((await call('PATCH', '/users/nobody', { name: 'x' })).status, 404);
    assert.equal((await call('DELETE', '/users/nobody')).status, 404);
  });

  it('refuses to delete a user who still owns tasks', async () => {
    const owner = (await call('POST', '/users', { email: 'owner@example.com' })).body;
    await call('POST', '/tasks', { title: 'Keep me', userId: owner.id });
    const refused = await call('DELETE', `/users/${owner.id}`);
    assert.equal(refused.status, 409);
  });
});

describe('errors', () => {
  it('answers 400 to a body that is not JSON', async () => {
    const res = await call('POST', '/users', '{not json');
    assert.equal(res.status, 400);
    assert.match(res.body.error, /JSON/);
  });

  it('answers 404 to an unknown route and 405 to a wrong method', async () => {
    assert.equal((await call('GET', '/nothing-here')).status, 404);
    const res = await fetch(`${base}/users`, { method: 'PUT' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
  });

  it('answers the health check', async () => {
    assert.deepEqual(await call('GET', '/health'), { status: 200, body: { status: 'ok' } });
  });
});
