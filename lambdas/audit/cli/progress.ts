/**
 * Progress on stderr while the audit runs, when stderr is a terminal: one line, redrawn in place, saying whether
 * the credential report is still awaited, how many users were listed and checked live, and how many IAM calls
 * were made. It watches the engine through its IAM port, so the engine needs no hook of its own.
 */
import { clearLine, cursorTo } from 'node:readline';
import type { IamPort } from '../engine';

/** How often the line is redrawn. */
const REDRAW_MS = 250;

export class Progress {
  private waitingForReport = false;
  private usersListed: number | undefined;
  private readonly usersChecked = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private shown = '';

  /**
   * @param stream stderr, a terminal (the caller shows no progress otherwise)
   * @param calls the IAM calls made so far
   */
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly calls: () => number,
  ) {}

  /** The line as it stands, e.g. `Auditing: waiting for the credential report, 40 users listed, 3 checked live, 52 IAM calls`. */
  text(): string {
    const parts = [
      ...(this.waitingForReport ? ['waiting for the credential report'] : []),
      ...(this.usersListed !== undefined ? [`${this.usersListed} users listed`] : []),
      `${this.usersChecked.size} checked live`,
      `${this.calls()} IAM calls`,
    ];
    return `Auditing: ${parts.join(', ')}`;
  }

  start(): void {
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
    this.draw();
  }

  /** Clears the line, so that what follows starts on a clean one. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) {
      clearLine(this.stream, 0);
      cursorTo(this.stream, 0);
      this.shown = '';
    }
  }

  private draw(): void {
    const text = this.text();
    if (text === this.shown) return;
    // A pseudo-terminal may report 0 columns.
    const columns = (this.stream as { columns?: number }).columns || 80;
    clearLine(this.stream, 0);
    cursorTo(this.stream, 0);
    this.stream.write(text.slice(0, Math.max(columns - 1, 0)));
    this.shown = text;
  }

  /** The IAM port with the progress watching it: same calls, same answers. */
  watch(iam: IamPort): IamPort {
    return {
      accountId: () => iam.accountId(),
      accountAlias: () => iam.accountAlias(),
      rootHasAccessKeys: () => iam.rootHasAccessKeys(),
      credentialReport: async (options) => {
        this.waitingForReport = true;
        try {
          return await iam.credentialReport(options);
        } finally {
          this.waitingForReport = false;
        }
      },
      listUsers: async () => {
        const users = await iam.listUsers();
        this.usersListed = users.length;
        return users;
      },
      getUser: (userName) => iam.getUser(userName),
      listAccessKeys: (userName) => {
        this.usersChecked.add(userName);
        return iam.listAccessKeys(userName);
      },
      lastUsed: (accessKeyId) => iam.lastUsed(accessKeyId),
    };
  }
}
