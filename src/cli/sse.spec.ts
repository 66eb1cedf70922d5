import { describe, expect, it } from '@jest/globals';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('dispatches named events on a blank line and skips heart-beat comments', () => {
    const parser = new SseParser();
    const stream =
      'retry: 2000\n\n: heartbeat\n\nevent: run_progress\ndata: {"runId":"r1"}\n\nevent: loop_progress\ndata: {}\n\n';
    expect(parser.push(stream)).toEqual([
      { event: 'run_progress', data: '{"runId":"r1"}' },
      { event: 'loop_progress', data: '{}' },
    ]);
  });

  it('keeps a message split across chunks, even between a CR and its LF, until it is complete', () => {
    const parser = new SseParser();
    expect(parser.push('event: run_pro')).toEqual([]);
    expect(parser.push('gress\r')).toEqual([]);
    expect(parser.push('\ndata: {"a":')).toEqual([]);
    expect(parser.push('1}\r\n\r')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'run_progress', data: '{"a":1}' }]);
  });

  it('joins data lines with newlines, names an unnamed event "message", and drops one space only', () => {
    const parser = new SseParser();
    expect(parser.push('data:  two spaces\ndata:none\r\rdata\n\n')).toEqual([
      { event: 'message', data: ' two spaces\nnone' },
      { event: 'message', data: '' },
    ]);
  });

  it('tells the retry fields it reads, digits only, however they are split across chunks', () => {
    const retries: number[] = [];
    const parser = new SseParser((ms) => retries.push(ms));
    expect(parser.push('retry: 20')).toEqual([]);
    expect(parser.push('00\n\nretry: soon\nretry: -1\nretry:500\n\ndata: x\n\n')).toEqual([
      { event: 'message', data: 'x' },
    ]);
    expect(retries).toEqual([2000, 500]);
  });

  it('forgets the event name of a message without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: lonely\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
