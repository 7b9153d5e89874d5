/** What the line needs of a run (AgentRun): telling its user its position. */
export interface Queued {
  queued(position: number): void;
}

interface Place<R extends Queued> {
  run: R;
  /** The position it joined (or was adopted) at. */
  joined: number;
  /** The last position its user was told (`joined` for an adopted run: its journal has told them before). */
  told: number;
}

/**
 * The runs accepted while every slot was taken, in order, and when each tells its user where
 * it stands. Telling every run its new position whenever the line moves is quadratic (each
 * of n runs hears about each of the n moves ahead of it: 2,000 queued runs made 723,882
 * journaled and published events), so a run says its position at most three times: when it
 * joins, once when it has moved up to half that position, and when it reaches the front
 * (position 1). n queued runs thus make at most 3n waiting events: linear.
 */
export class WaitingLine<R extends Queued> {
  private places: Place<R>[] = [];

  get length(): number {
    return this.places.length;
  }

  /** The waiting runs, front first. */
  runs(): R[] {
    return this.places.map((p) => p.run);
  }

  /** 1 for the front of the line; 0 when the run is not in it. */
  positionOf(run: R): number {
    return this.places.findIndex((p) => p.run === run) + 1;
  }

  /** Puts a new run at the back and tells its user its position, which it returns. */
  join(run: R): number {
    const position = this.places.length + 1;
    this.places.push({ run, joined: position, told: position });
    run.queued(position);
    return position;
  }

  /** Puts a run of the previous runner process back in line; its journal already told its user a position. */
  adopt(run: R): void {
    const position = this.places.length + 1;
    this.places.push({ run, joined: position, told: position });
  }

  /** Takes the front run out to start it; undefined when the line is empty. */
  next(): R | undefined {
    const place = this.places.shift();
    this.moved();
    return place?.run;
  }

  /** Takes a run out of the line (cancelled before it started). */
  remove(run: R): void {
    this.places = this.places.filter((p) => p.run !== run);
    this.moved();
  }

  /** Tells only the runs that reached a milestone: half their joining position, or the front. */
  private moved(): void {
    this.places.forEach((place, i) => {
      const position = i + 1;
      const front = position === 1 && place.told !== 1;
      const halfway = position > 1 && place.told === place.joined && position <= place.joined / 2;
      if (!front && !halfway) return;
      place.told = position;
      place.run.queued(position);
    });
  }
}
