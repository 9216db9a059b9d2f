// TaskFlow's REST API on Node's built-in http module: JSON in and out, errors as { "error": "..." } with a status code.
import http from 'node:http';
import { createStore, STATUSES, ValidationError } from './store.js';

const MAX_BODY_BYTES = 1024 * 1024;

function send(res, status, body) {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ValidationError('the request body is larger than 1 MiB', 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError('the request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object');
  return body;
}

// One entry per resource: the collection's and the item's handlers by method.
function routes(store) {
  return [
    {
      pattern: /^\/api\/health$/,
      methods: { GET: () => [200, { status: 'ok' }] },
    },
    {
      pattern: /^\/api\/users$/,
      methods: {
        GET: () => [200, store.listUsers()],
        POST: async (req) => [201, store.createUser(await readJson(req))],
      },
    },
    {
      pattern: /^\/api\/users\/([^/]+)$/,
      methods: {
        GET: (req, id) => found(store.getUser(id), 'user', id),
        PATCH: async (req, id) => found(store.updateUser(id, await readJson(req)), 'user', id),
        DELETE: (req, id) => (store.deleteUser(id) ? [204] : notFound('user', id)),
      },
    },
    {
      pattern: /^\/api\/tasks$/,
      methods: {
        GET: (req, _id, query) => {
          const status = query.get('status') ?? undefined;
          if (status !== undefined && !STATUSES.includes(status)) throw new ValidationError(`status must be one of ${STATUSES.join(', ')}`);
          return [200, store.listTasks({ status, userId: query.get('userId') ?? undefined })];
        },
        POST: async (req) => [201, store.createTask(await readJson(req))],
      },
    },
    {
      pattern: /^\/api\/tasks\/([^/]+)$/,
      methods: {
        GET: (req, id) => found(store.getTask(id), 'task', id),
        PATCH: async (req, id) => found(store.updateTask(id, await readJson(req)), 'task', id),
        DELETE: (req, id) => (store.deleteTask(id) ? [204] : notFound('task', id)),
      },
    },
  ];
}

function found(item, kind, id) {
  return item ? [200, item] : notFound(kind, id);
}

function notFound(kind, id) {
  return [404, { error: `no ${kind} with id ${id}` }];
}

export function createServer({ store = createStore() } = {}) {
  const table = routes(store);
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const route = table.find((r) => r.pattern.test(url.pathname));
    if (!route) {
      send(res, 404, { error: `no route for ${url.pathname}` });
      return;
    }
    const handler = route.methods[req.method];
    if (!handler) {
      res.setHeader('allow', Object.keys(route.methods).join(', '));
      send(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
      return;
    }
    try {
      const id = url.pathname.match(route.pattern)[1];
      const [status, body] = await handler(req, id === undefined ? undefined : decodeURIComponent(id), url.searchParams);
      send(res, status, body);
    } catch (error) {
      if (error instanceof ValidationError) {
        send(res, error.status, { error: error.message });
      } else {
        send(res, 500, { error: 'internal error' });
      }
    }
  });
}
