import { from, of, lastValueFrom, firstValueFrom, Subject, BehaviorSubject } from 'rxjs';
import { map, filter, reduce, scan, mergeMap, toArray, bufferCount, distinctUntilChanged } from 'rxjs/operators';

export default async function probe() {
  const sum = await lastValueFrom(from([1, 2, 3, 4, 5]).pipe(filter((n) => n % 2 === 1), map((n) => n * 10), reduce((a, b) => a + b, 0)));
  const flat = await lastValueFrom(of('a', 'b').pipe(mergeMap((x) => of(x + '1', x + '2')), toArray()));
  const running = await lastValueFrom(from([1, 1, 2, 2, 3]).pipe(distinctUntilChanged(), scan((a, b) => a + b, 0), toArray()));
  const seen: number[] = [];
  const subject = new Subject<number>();
  subject.pipe(bufferCount(2)).subscribe((b) => seen.push(b.length));
  [1, 2, 3, 4, 5].forEach((n) => subject.next(n));
  subject.complete();
  const state = new BehaviorSubject('x');
  return { sum, flat, running, seen, first: await firstValueFrom(state) };
}
