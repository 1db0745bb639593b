/** Handle of a `sendAfter` timer, for `cancelTimer`. */
export class TimerRef {
  constructor(readonly id: number) {}
}
