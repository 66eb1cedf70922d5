/** One server-sent event: its name (`message` when unnamed) and its data lines joined. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Reads a text/event-stream as it arrives (the WHATWG rules: CR, LF or CRLF line ends, `:`
 * comments such as the service's heart-beats, `id` ignored, `data` lines joined with newlines, a blank line
 * dispatching, one space after the colon dropped). Node 20 has no EventSource; fetch's stream
 * and this are enough for one long-lived GET.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** `onRetry` hears each `retry` field (digits only, else ignored): the reconnect delay the server asks for, in ms. */
  constructor(private readonly onRetry: (ms: number) => void = () => {}) {}

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A CR at the very end may be half of a CRLF: wait for the next chunk.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const message = this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : null;
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
    return null;
  }
}
