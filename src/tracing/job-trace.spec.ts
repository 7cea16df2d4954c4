import { describe, expect, it } from '@jest/globals';
import { TRACE_FIELD, traceJob, withTraceContext } from './job-trace.js';
import { tracingEnabled } from './tracing-state.js';

describe('job trace context while tracing is off', () => {
  it('leaves the payload as it is: nothing is added to a queued job', () => {
    expect(tracingEnabled()).toBe(false);
    const payload = { to: '+14155550100', text: 'New todo' };
    expect(withTraceContext(payload)).toBe(payload);
  });

  it('hands a channel the payload without the trace context another instance put in', async () => {
    const delivered: object[] = [];
    const data = {
      to: '+14155550100',
      text: 'New todo',
      [TRACE_FIELD]: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    };
    await traceJob('sms', 'job-1', data, async (payload) => void delivered.push(payload));
    expect(delivered).toEqual([{ to: '+14155550100', text: 'New todo' }]);
  });
});
