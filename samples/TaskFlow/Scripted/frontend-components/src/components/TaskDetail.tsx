// One task: its title, description, owner and status, editable in place.
import React, { useEffect, useState } from 'react';
import { api, STATUSES, STATUS_LABELS, Status, Task, User } from './types';

export interface TaskDetailProps {
  taskId: string;
  onChange?: (task: Task) => void;
  onDelete?: (taskId: string) => void;
}

export function TaskDetail({ taskId, onChange, onDelete }: TaskDetailProps) {
  const [task, setTask] = useState<Task | null>(null);
  const [owner, setOwner] = useState<User | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<Task>(`/tasks/${taskId}`)
      .then(async (loaded) => {
        setTask(loaded);
        setOwner(await api<User>(`/users/${loaded.userId}`));
      })
      .catch((e: Error) => setError(e.message));
  }, [taskId]);

  async function save(changes: Partial<Pick<Task, 'title' | 'description' | 'status'>>) {
    try {
      const updated = await api<Task>(`/tasks/${taskId}`, { method: 'PATCH', body: JSON.stringify(changes) });
      setTask(updated);
      onChange?.(updated);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function remove() {
    await api<void>(`/tasks/${taskId}`, { method: 'DELETE' });
    onDelete?.(taskId);
  }

  if (error) return <p role="alert">{error}</p>;
  if (!task) return <p aria-busy="true">Loading…</p>;

  return (
    <article className="task-detail" aria-labelledby="task-title">
      <label htmlFor="task-title">Title</label>
      <input id="task-title" defaultValue={task.title} onBlur={(e) => e.target.value !== task.title && save({ title: e.target.value })} />

      <label htmlFor="task-description">Description</label>
      <textarea id="task-description" defaultValue={task.description ?? ''}
        onBlur={(e) => e.target.value !== (task.description ?? '') && save({ description: e.target.value })} />

      <label htmlFor="task-status">Status</label>
      <select id="task-status" value={task.status} onChange={(e) => save({ status: e.target.value as Status })}>
        {STATUSES.map((s) => (
          <option key={s} value={s}>{STATUS_LABELS[s]}</option>
        ))}
      </select>

      <p>Owner: {owner ? owner.name ?? owner.email : '…'}</p>
      <button type="button" onClick={remove}>Delete task</button>
    </article>
  );
}
