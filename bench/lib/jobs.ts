/** Runs `work(i)` for i = 0…count-1, at most `jobs` at once, in order of i; resolves when all are done. */
export async function eachAtOnce(count: number, jobs: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, count)) }, worker));
}
