// The team: every user with how many of their tasks are in each column; adds a member by email.
import React, { FormEvent, useEffect, useState } from 'react';
import { api, STATUSES, STATUS_LABELS, Task, User } from './types';

export function TeamView({ onSelectUser }: { onSelectUser?: (user: User) => void }) {
  const [users, setUsers] = useState<User[]>([]);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([api<User[]>('/users'), api<Task[]>('/tasks')])
      .then(([u, t]) => {
        setUsers(u);
        setTasks(t);
      })
      .catch((e: Error) => setError(e.message));
  }, []);

  async function invite(event: FormEvent) {
    event.preventDefault();
    try {
      const user = await api<User>('/users', { method: 'POST', body: JSON.stringify({ email }) });
      setUsers((current) => [...current, user]);
      setEmail('');
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section className="team" aria-labelledby="team-title">
      <h2 id="team-title">Team</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Member</th>
            {STATUSES.map((s) => <th key={s} scope="col">{STATUS_LABELS[s]}</th>)}
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id}>
              <th scope="row">
                <button type="button" onClick={() => onSelectUser?.(user)}>{user.name ?? user.email}</button>
              </th>
              {STATUSES.map((s) => (
                <td key={s}>{tasks.filter((t) => t.userId === user.id && t.status === s).length}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={invite}>
        <label htmlFor="invite-email">Add a member by email</label>
        <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <button type="submit">Add</button>
      </form>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
