/**
 * End-to-end latency bookkeeping for one document, kept beside the protocol (nothing is added to
 * the messages): when an edit leaves its client, its send time goes into a side log of its sender;
 * when a receiving client has applied the sender's edits up to some point, each of those edits counts
 * one more receiver; when every other client of the document has applied an edit, its latency (now
 * minus its send time) is recorded.
 *
 * How far a receiver has applied a sender's edits is told by a *mark* that grows with each edit of
 * the sender: the event's seq + 1 (Tandem), the Yjs clock after the edit, or the ShareDB op seq that
 * carried it. A mark may be assigned after the edit left its client (ShareDB composes edits made
 * while an op is in flight and numbers them when it sends); until then the edit waits.
 */

interface SenderLog {
  /** Absolute index of sentAt[head]. */
  base: number;
  head: number;
  readonly sentAt: number[];
  readonly marks: number[];
  readonly remaining: number[];
  /** First absolute index whose mark is not assigned yet. */
  unassigned: number;
}

/** One receiving client's progress through each sender's log: the absolute index of its next edit. */
export class ReceiverProgress {
  readonly next = new Map<string, number>();
  constructor(readonly id: string) {}
}

export class DocTracker {
  private readonly senders = new Map<string, SenderLog>();
  private receiverCount = 0;
  private outstandingEdits = 0;

  constructor(
    /** Records the latency of a fully delivered edit. */
    private readonly onDelivered: (latencyMs: number) => void,
    private readonly now: () => number,
  ) {}

  /** How many clients must apply each edit: the document's clients other than the sender. */
  setReceivers(count: number): void {
    this.receiverCount = count;
  }

  get outstanding(): number {
    return this.outstandingEdits;
  }

  receiver(id: string): ReceiverProgress {
    return new ReceiverProgress(id);
  }

  private log(sender: string): SenderLog {
    let log = this.senders.get(sender);
    if (log === undefined) {
      log = { base: 0, head: 0, sentAt: [], marks: [], remaining: [], unassigned: 0 };
      this.senders.set(sender, log);
    }
    return log;
  }

  /** An edit left `sender`, with its mark when already known. */
  sent(sender: string, mark?: number): void {
    if (this.receiverCount === 0) return;
    const log = this.log(sender);
    log.sentAt.push(this.now());
    log.marks.push(mark ?? Infinity);
    log.remaining.push(this.receiverCount);
    if (mark !== undefined && log.unassigned === log.base + log.marks.length - 1) log.unassigned++;
    this.outstandingEdits++;
  }

  /** Gives `mark` to every edit of `sender` that has none yet (they left together). */
  assignPending(sender: string, mark: number): void {
    const log = this.senders.get(sender);
    if (log === undefined) return;
    for (let i = log.unassigned - log.base; i < log.marks.length; i++) log.marks[i] = mark;
    log.unassigned = log.base + log.marks.length;
  }

  /** `receiver` has applied every edit of `sender` whose mark is at most `reached`. */
  reached(receiver: ReceiverProgress, sender: string, reached: number): void {
    const log = this.senders.get(sender);
    if (log === undefined) return;
    let index = receiver.next.get(sender) ?? 0;
    if (index < log.base) index = log.base;
    let i = index - log.base;
    let completed = false;
    while (i < log.marks.length && log.marks[i]! <= reached) {
      const left = --log.remaining[i]!;
      if (left === 0) {
        this.onDelivered(this.now() - log.sentAt[i]!);
        this.outstandingEdits--;
        completed = true;
      }
      i++;
    }
    receiver.next.set(sender, log.base + i);
    if (completed) this.trim(log);
  }

  /** Drops fully delivered edits from the front of a log. */
  private trim(log: SenderLog): void {
    while (log.head < log.remaining.length && log.remaining[log.head] === 0) log.head++;
    if (log.head > 1024 && log.head * 2 > log.remaining.length) {
      log.sentAt.splice(0, log.head);
      log.marks.splice(0, log.head);
      log.remaining.splice(0, log.head);
      log.base += log.head;
      log.head = 0;
    }
  }

  /**
   * Ends the run: every edit still not applied everywhere is recorded with its age as latency (a lower
   * bound) and counted. Returns how many there were.
   */
  flushUndelivered(record: (ageMs: number) => void): number {
    const now = this.now();
    let n = 0;
    for (const log of this.senders.values()) {
      for (let i = log.head; i < log.remaining.length; i++) {
        if (log.remaining[i]! > 0) {
          record(now - log.sentAt[i]!);
          n++;
        }
      }
    }
    this.senders.clear();
    this.outstandingEdits = 0;
    return n;
  }
}
