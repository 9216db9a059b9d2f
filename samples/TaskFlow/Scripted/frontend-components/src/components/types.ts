// The shapes of prisma/schema.prisma as the API returns them (dates as ISO strings).

export type Status = 'TODO' | 'IN_PROGRESS' | 'DONE';

export const STATUSES: readonly Status[] = ['TODO', 'IN_PROGRESS', 'DONE'];

export const STATUS_LABELS: Record<Status, string> = {
  TODO: 'To do',
  IN_PROGRESS: 'In progress',
  DONE: 'Done',
};

export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Task {
  id: string;
  title: string;
  description: string | null;
  status: Status;
  userId: string;
  createdAt: string;
  updatedAt: string;
}

// Calls the TaskFlow API (/api/...); throws with the API's error text when the status is not 2xx.
export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`/api${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) },
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({ error: res.statusText }));
    throw new Error(body.error ?? res.statusText);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}
