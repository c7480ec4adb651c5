/** The pieces every console table repeats: its header row, the row that says it is empty, a row's Remove button. */
import { api } from '../api.ts';

/** A column heading: its text, or that text hidden on small screens, or read only to screen readers (an actions column). */
export type Column = string | { readonly label: string; readonly hideSm?: boolean; readonly srOnly?: boolean };

export const hideSm = (label: string): Column => ({ label, hideSm: true });
export const ACTIONS: Column = { label: 'Actions', srOnly: true };

export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => {
          const col = typeof c === 'string' ? { label: c } : c;
          return (
            <th key={i} scope="col" class={col.hideSm ? 'hide-sm' : undefined}>
              {col.srOnly ? <span class="sr-only">{col.label}</span> : col.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

/** One muted row across all `columns` saying there is nothing, shown only `when` the list is known to be empty. */
export function EmptyRow({ when, columns, children }: { when: boolean; columns: number; children: string }) {
  if (!when) return null;
  return (
    <tr>
      <td colSpan={columns} class="muted">
        {children}
      </td>
    </tr>
  );
}

/** A row's Remove button: DELETEs `path` through the page's action runner (which reloads and keeps the problem), named `label` for screen readers. */
export function RemoveButton({ run, path, label }: { run: (what: () => Promise<unknown>) => Promise<unknown>; path: string; label: string }) {
  return (
    <button type="button" class="small danger" onClick={() => void run(() => api(path, { method: 'DELETE' }))} aria-label={label}>
      Remove
    </button>
  );
}
