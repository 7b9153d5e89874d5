import { Queued, WaitingLine } from './waiting-line';

/** A run that records the positions its user was told. */
class ToldRun implements Queued {
  readonly told: number[] = [];
  constructor(readonly name: string) {}
  queued(position: number): void {
    this.told.push(position);
  }
}

function lineOf(count: number): { line: WaitingLine<ToldRun>; runs: ToldRun[] } {
  const line = new WaitingLine<ToldRun>();
  const runs = Array.from({ length: count }, (_, i) => new ToldRun(`run-${i + 1}`));
  for (const run of runs) line.join(run);
  return { line, runs };
}

describe('WaitingLine', () => {
  it('tells a run its position when it joins, at half of it, and at the front', () => {
    const { line, runs } = lineOf(30);
    expect(runs[29].told).toEqual([30]);
    const started: string[] = [];
    for (let run = line.next(); run; run = line.next()) started.push(run.name);
    expect(started).toEqual(runs.map((r) => r.name));
    expect(runs[29].told).toEqual([30, 15, 1]);
    expect(runs[3].told).toEqual([4, 2, 1]);
    expect(runs[2].told).toEqual([3, 1]);
    expect(runs[1].told).toEqual([2, 1]);
    expect(runs[0].told).toEqual([1]);
  });

  it('makes at most three waiting events per run, however long the line (linear, not quadratic)', () => {
    const { line, runs } = lineOf(2_000);
    while (line.next());
    const total = runs.reduce((sum, r) => sum + r.told.length, 0);
    expect(Math.max(...runs.map((r) => r.told.length))).toBe(3);
    expect(total).toBeLessThanOrEqual(3 * runs.length);
    for (const run of runs) expect(run.told.at(-1)).toBe(1);
  });

  it('moves the line up when a run leaves it, and knows each position', () => {
    const { line, runs } = lineOf(4);
    line.remove(runs[0]);
    expect(runs[1].told).toEqual([2, 1]);
    expect(runs[3].told).toEqual([4]);
    expect(line.positionOf(runs[3])).toBe(3);
    expect(line.positionOf(runs[0])).toBe(0);
    expect(line.runs()).toEqual([runs[1], runs[2], runs[3]]);
    expect(line.length).toBe(3);
    line.remove(runs[2]);
    expect(runs[3].told).toEqual([4, 2]);
  });

  it('does not repeat an adopted run its position, but tells it the front', () => {
    const line = new WaitingLine<ToldRun>();
    const [first, adopted] = [new ToldRun('first'), new ToldRun('adopted')];
    line.adopt(first);
    line.adopt(adopted);
    expect(adopted.told).toEqual([]);
    line.next();
    expect(adopted.told).toEqual([1]);
    expect(first.told).toEqual([]);
  });
});
