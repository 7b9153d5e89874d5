import { OutputEventV1 } from '@patchbay/contracts';
import { inboundMessage, route, textEvent, useEngineStores } from '../../../test/support/engine-stores';
import { describeWith } from '../../../test/support/services';

jest.setTimeout(20_000);

describeWith(['postgres'], 'TranscriptStore', () => {
  const stores = useEngineStores();

  describe('transcript', () => {
    let sessionId: string;

    beforeEach(async () => {
      ({ sessionId } = await stores.inbound.acceptInbound(inboundMessage(), route('demo')));
    });

    it('stores an event once per (session, seq), keeping the first', async () => {
      expect(await stores.transcript.appendEvent(textEvent(sessionId, 1, 'first'))).toBe(true);
      expect(await stores.transcript.appendEvent(textEvent(sessionId, 1, 'redelivered'))).toBe(false);
      expect((await stores.transcript.transcript(sessionId, 0, 100)).map((e) => e.type === 'text' && e.text)).toEqual(['first']);
    });

    it("raises the session's lastSeq, never lowers it", async () => {
      await stores.transcript.appendEvent(textEvent(sessionId, 1));
      expect((await stores.sessions.session(sessionId))?.lastSeq).toBe(1);
      await stores.transcript.appendEvent(textEvent(sessionId, 3));
      expect((await stores.sessions.session(sessionId))?.lastSeq).toBe(3);
      expect(await stores.transcript.appendEvent(textEvent(sessionId, 2))).toBe(true);
      expect((await stores.sessions.session(sessionId))?.lastSeq).toBe(3);
    });

    it('returns the events after a seq, in seq order, up to the limit', async () => {
      const events = [4, 1, 5, 3, 2].map((seq) => textEvent(sessionId, seq));
      for (const e of events) await stores.transcript.appendEvent(e);
      const bySeq = [...events].sort((a, b) => a.seq - b.seq);
      expect(await stores.transcript.transcript(sessionId, 0, 100)).toEqual(bySeq);
      expect((await stores.transcript.transcript(sessionId, 2, 100)).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect((await stores.transcript.transcript(sessionId, 2, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await stores.transcript.transcript(sessionId, 5, 100)).toEqual([]);
    });

    it('drops the events a run sends after its end is stored and its task closed; a retried task stores its new run', async () => {
      const { taskId } = await stores.inbound.acceptInbound(inboundMessage({ text: 'retried' }), route('demo'));
      const of = (runId: string, seq: number, type: 'text' | 'error'): OutputEventV1 =>
        type === 'text'
          ? { ...textEvent(sessionId, seq), taskId: taskId!, runId }
          : { type, code: 'store_failed', text: 'given up', exitCode: null, sessionId, taskId: taskId!, runId, seq, at: new Date().toISOString() };
      // Run 1 ends in an error and its task goes back to the queue: run 2's events are stored.
      expect(await stores.transcript.appendEvent(of('run00001', 1, 'error'))).toBe(true);
      expect(await stores.transcript.appendEvent(of('run00002', 2, 'text'))).toBe(true);
      // Run 2 is given up: its task is failed and its end stored; what it still sends is dropped.
      await stores.tasks.finishTask(taskId!, 'failed', 'given up');
      expect(await stores.transcript.appendEvent(of('run00002', 3, 'error'))).toBe(true);
      expect(await stores.transcript.appendEvent(of('run00002', 4, 'text'))).toBe(false);
      expect(await stores.transcript.appendEvent(of('run00002', 5, 'error'))).toBe(false);
      expect((await stores.transcript.transcript(sessionId, 0, 100)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect((await stores.sessions.session(sessionId))?.lastSeq).toBe(3);
    });

    it("keeps each session's events apart", async () => {
      const other = (await stores.inbound.acceptInbound(inboundMessage(), route('demo'))).sessionId;
      await stores.transcript.appendEvent(textEvent(sessionId, 1, 'mine'));
      expect(await stores.transcript.appendEvent(textEvent(other, 1, 'theirs'))).toBe(true);
      expect(await stores.transcript.transcript(other, 0, 100)).toEqual([expect.objectContaining({ text: 'theirs' })]);
    });
  });
});
