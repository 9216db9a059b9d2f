// In-memory storage shaped like prisma/schema.prisma: users own tasks; a task's status is TODO, IN_PROGRESS or DONE.
import { randomUUID } from 'node:crypto';

export const STATUSES = ['TODO', 'IN_PROGRESS', 'DONE'];

export class ValidationError extends Error {
  constructor(message, status = 400) {
    super(message);
    this.status = status;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function now() {
  return new Date().toISOString();
}

function optionalText(value, field) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`);
  return value.trim() === '' ? null : value.trim();
}

function requiredText(value, field) {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${field} is required`);
  return value.trim();
}

function status(value) {
  if (!STATUSES.includes(value)) throw new ValidationError(`status must be one of ${STATUSES.join(', ')}`);
  return value;
}

export function createStore() {
  const users = new Map();
  const tasks = new Map();

  function checkEmail(email, exceptId) {
    if (typeof email !== 'string' || !EMAIL.test(email)) throw new ValidationError('email must be a valid address');
    for (const user of users.values()) {
      if (user.email === email && user.id !== exceptId) throw new ValidationError(`a user with email ${email} exists`, 409);
    }
    return email;
  }

  return {
    listUsers: () => [...users.values()],
    getUser: (id) => users.get(id) ?? null,
    createUser(input) {
      const time = now();
      const user = { id: randomUUID(), email: checkEmail(input.email), name: optionalText(input.name, 'name'), createdAt: time, updatedAt: time };
      users.set(user.id, user);
      return user;
    },
    updateUser(id, input) {
      const user = users.get(id);
      if (!user) return null;
      if (input.email !== undefined) user.email = checkEmail(input.email, id);
      if (input.name !== undefined) user.name = optionalText(input.name, 'name');
      user.updatedAt = now();
      return user;
    },
    deleteUser(id) {
      if (!users.has(id)) return false;
      if ([...tasks.values()].some((task) => task.userId === id)) {
        throw new ValidationError('the user still owns tasks; delete or reassign them first', 409);
      }
      return users.delete(id);
    },

    listTasks(filter = {}) {
      return [...tasks.values()].filter((task) =>
        (filter.status === undefined || task.status === filter.status) && (filter.userId === undefined || task.userId === filter.userId));
    },
    getTask: (id) => tasks.get(id) ?? null,
    createTask(input) {
      const userId = requiredText(input.userId, 'userId');
      if (!users.has(userId)) throw new ValidationError(`userId ${userId} is not a user`);
      const time = now();
      const task = {
        id: randomUUID(),
        title: requiredText(input.title, 'title'),
        description: optionalText(input.description, 'description'),
        status: input.status === undefined ? 'TODO' : status(input.status),
        userId,
        createdAt: time,
        updatedAt: time,
      };
      tasks.set(task.id, task);
      return task;
    },
    updateTask(id, input) {
      const task = tasks.get(id);
      if (!task) return null;
      const next = { ...task };
      if (input.title !== undefined) next.title = requiredText(input.title, 'title');
      if (input.description !== undefined) next.description = optionalText(input.description, 'description');
      if (input.status !== undefined) next.status = status(input.status);
      if (input.userId !== undefined) {
        if (!users.has(input.userId)) throw new ValidationError(`userId ${input.userId} is not a user`);
        next.userId = input.userId;
      }
      next.updatedAt = now();
      tasks.set(id, next);
      return next;
    },
    deleteTask: (id) => tasks.delete(id),
  };
}
