import { Injectable } from '@nestjs/common';

/** The engine's idea of now; tests provide their own to move time. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
