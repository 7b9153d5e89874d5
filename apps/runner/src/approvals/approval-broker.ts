import { Logger } from '@nestjs/common';
import { createServer, Server, Socket } from 'node:net';
import { chmod, rm } from 'node:fs/promises';
import { ApprovalAskV1, ApprovalV1 } from '@patchbay/contracts';
import { Redactor } from '@patchbay/security';
import { approvalSummary, cleanSummary, denialMessage } from './approval-summary';
import { MAX_SOCKET_PATH, PermissionAnswer, PermissionQuestion } from './permission-wire';

/** What a broker needs of the bus: the engine's answer to one ask. */
export type AskApproval = (ask: ApprovalAskV1) => Promise<ApprovalV1>;

export interface BrokerTiming {
  /** A pending request is asked again this often even without a decided hint. */
  reaskMs: number;
  /** After a failed ask (no engine, say), the next try comes this soon. */
  retryMs: number;
}

/**
 * The runner's side of one run's permission prompts: listens on the run's unix socket for
 * the permission MCP server (or is asked by ScreenPrompts, in terminal mode), asks the
 * engine (approval.ask) and answers with the decision.
 * The decision is only ever taken from an ask's reply: a pending request is asked again,
 * with the same toolUseId, when a decided hint for it comes and at a slow interval, so a
 * lost hint or a restarted engine delays the answer, never loses it.
 */
export class ApprovalBroker {
  private readonly logger = new Logger(ApprovalBroker.name);
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Ends the pauses of pending tool uses early, by toolUseId. */
  private readonly waiting = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    readonly socketPath: string,
    private readonly run: Pick<ApprovalAskV1, 'sessionId' | 'taskId' | 'agent'>,
    private readonly ask: AskApproval,
    private readonly redactor: Redactor,
    private readonly timing: BrokerTiming,
  ) {}

  /** Binds the socket, replacing one a killed runner left behind; only the runner's user may connect. */
  async listen(): Promise<void> {
    if (Buffer.byteLength(this.socketPath) > MAX_SOCKET_PATH) {
      throw new Error(`approvals need a unix socket path of at most ${MAX_SOCKET_PATH} bytes; ${this.socketPath} is longer (choose a shorter home)`);
    }
    await rm(this.socketPath, { force: true });
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.error(`approval socket ${this.socketPath}: ${error.message}`));
    await chmod(this.socketPath, 0o600);
    this.server = server;
  }

  /** A decided approval (a hint): the wait for that tool use asks again now. */
  hint(approval: ApprovalV1): void {
    if (approval.sessionId !== this.run.sessionId) return;
    for (const wake of [...(this.waiting.get(approval.toolUseId) ?? [])]) wake();
  }

  /** Stops listening; waiting MCP calls see the socket close and ask the next runner. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wakes of [...this.waiting.values()]) for (const wake of [...wakes]) wake();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        void this.answer(line).then((answer) => {
          if (answer && !socket.destroyed) socket.write(`${JSON.stringify(answer)}\n`);
        });
      }
    });
  }

  private async answer(line: string): Promise<PermissionAnswer | undefined> {
    let question: PermissionQuestion;
    try {
      question = JSON.parse(line) as PermissionQuestion;
    } catch {
      return { behavior: 'deny', message: 'Patchbay could not read the permission question (not JSON)' };
    }
    const { toolUseId, tool, input } = question;
    if (typeof toolUseId !== 'string' || typeof tool !== 'string' || !input || typeof input !== 'object') {
      return { behavior: 'deny', message: 'Patchbay could not read the permission question (toolUseId, tool and input are required)' };
    }
    const decided = await this.decide(question);
    if (!decided) return undefined;
    return decided.status === 'allowed' ? { behavior: 'allow', updatedInput: input } : { behavior: 'deny', message: denialMessage(decided) };
  }

  /**
   * Asks until the engine has decided; undefined if the broker closed first. `summary`:
   * what chats show, when the asker has its own words for it (a prompt on a screen).
   */
  async decide({ toolUseId, tool, input }: PermissionQuestion, summary?: string): Promise<ApprovalV1 | undefined> {
    const ask: ApprovalAskV1 = {
      ...this.run,
      toolUseId,
      tool,
      input: this.redactor.redactAll(input),
      summary: summary !== undefined ? cleanSummary(summary, this.redactor) : approvalSummary(tool, input, this.redactor),
    };
    while (!this.closed) {
      // Listening before asking: a decision made while the ask is in flight still wakes us.
      const pause = this.pause(toolUseId, this.timing.reaskMs);
      let approval: ApprovalV1;
      try {
        approval = await this.ask(ask);
      } catch (error) {
        pause.end();
        this.logger.warn(`run of session ${this.run.sessionId}: asking about ${tool} failed (${(error as Error).message}); asking again`);
        await this.pause(toolUseId, this.timing.retryMs).done;
        continue;
      }
      if (approval.status !== 'pending') {
        pause.end();
        return approval;
      }
      await pause.done;
    }
    return undefined;
  }

  /** A wait before the next ask: a timer, ended early by a hint for the tool use (or by close). */
  private pause(toolUseId: string, ms: number): { done: Promise<void>; end: () => void } {
    const wakes = this.waiting.get(toolUseId) ?? new Set<() => void>();
    this.waiting.set(toolUseId, wakes);
    let end!: () => void;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => end(), ms);
      end = () => {
        clearTimeout(timer);
        wakes.delete(end);
        if (wakes.size === 0 && this.waiting.get(toolUseId) === wakes) this.waiting.delete(toolUseId);
        resolve();
      };
    });
    wakes.add(end);
    return { done, end };
  }
}
