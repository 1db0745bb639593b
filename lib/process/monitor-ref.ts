/** Handle of a monitor, for `demonitor`. */
export class MonitorRef {
  constructor(
    readonly id: number,
    /** The watched process. */
    readonly name: string,
  ) {}
}
