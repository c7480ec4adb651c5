/**
 * At start, the recent window is refilled from the records the store already has, so that
 * `nimbus top` and alert rules see the hour before a restart, not an empty one. Newest first,
 * in pages (the event loop gets a turn between them), at most MAX_RESTORED records: past
 * that, the window is complete only from the oldest record read, and says so (coveredFrom).
 */
import type { InvocationRepo } from '../store/ports.ts';
import { WINDOW_SPAN_MS, type RecentWindow } from './window.ts';

export const MAX_RESTORED = 200_000;
const PAGE = 5_000;

/**
 * Adds the records that started in the hour before `startedAt` (this process's start: later
 * ones reach the window as they are pushed) and returns how many.
 */
export async function restoreWindow(
  window: RecentWindow,
  repo: Pick<InvocationRepo, 'list'>,
  startedAt: number,
  nextTurn: () => Promise<void> = () => new Promise((r) => setImmediate(r)),
  limits: { readonly max: number; readonly page: number } = { max: MAX_RESTORED, page: PAGE },
): Promise<number> {
  const since = startedAt - WINDOW_SPAN_MS;
  let before: string | undefined;
  let restored = 0;
  let oldest = startedAt;
  for (;;) {
    const page = await repo.list({ since, limit: limits.page, ...(before === undefined ? {} : { before }) });
    for (const r of page) {
      if (r.startedAt >= startedAt) continue;
      window.add(r, r.startedAt + r.durationMs);
      restored++;
      if (r.startedAt < oldest) oldest = r.startedAt;
    }
    if (page.length < limits.page) {
      window.coveredFrom = since;
      return restored;
    }
    if (restored >= limits.max) {
      window.coveredFrom = oldest;
      return restored;
    }
    before = page[page.length - 1].id;
    await nextTurn();
  }
}
