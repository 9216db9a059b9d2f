// The Kanban board: one column per status, a card per task; a card moves to the next column with one click.
import React, { useEffect, useState } from 'react';
import { api, STATUSES, STATUS_LABELS, Status, Task } from './types';

export interface TaskListProps {
  userId?: string;
  onSelect?: (task: Task) => void;
}

export function TaskList({ userId, onSelect }: TaskListProps) {
  const [tasks, setTasks] = useState<Task[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const query = userId ? `?userId=${encodeURIComponent(userId)}` : '';
    api<Task[]>(`/tasks${query}`).then(setTasks, (e: Error) => setError(e.message));
  }, [userId]);

  async function move(task: Task, status: Status) {
    const updated = await api<Task>(`/tasks/${task.id}`, { method: 'PATCH', body: JSON.stringify({ status }) });
    setTasks((current) => current.map((t) => (t.id === updated.id ? updated : t)));
  }

  if (error) {
    return <p role="alert">Could not load the tasks: {error}</p>;
  }

  return (
    <div className="board" role="list" aria-label="Task board">
      {STATUSES.map((status, column) => (
        <section key={status} className="board-column" aria-labelledby={`column-${status}`}>
          <h2 id={`column-${status}`}>
            {STATUS_LABELS[status]} <span className="count">{tasks.filter((t) => t.status === status).length}</span>
          </h2>
          <ul>
            {tasks
              .filter((t) => t.status === status)
              .map((task) => (
                <li key={task.id} className="card">
                  <button type="button" className="card-title" onClick={() => onSelect?.(task)}>
                    {task.title}
                  </button>
                  {column < STATUSES.length - 1 && (
                    <button type="button" aria-label={`Move ${task.title} to ${STATUS_LABELS[STATUSES[column + 1]]}`}
                      onClick={() => move(task, STATUSES[column + 1])}>
                      →
                    </button>
                  )}
                </li>
              ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
