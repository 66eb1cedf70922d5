import http from 'node:http';

/**
 * Opens a real SSE connection and hands every message (event name, parsed data) to `onMessage`.
 * `opened` resolves with the status once the server answered (it subscribes before it answers); `ended` once the
 * server ended the stream (or it was closed).
 */
export function openSse(
  url: string,
  headers: Record<string, string>,
  onMessage: (event: string, data: any) => void,
): { opened: Promise<number>; ended: Promise<void>; close: () => void } {
  let answered: (status: number) => void = () => {};
  const opened = new Promise<number>((resolve) => (answered = resolve));
  let finished: () => void = () => {};
  const ended = new Promise<void>((resolve) => (finished = resolve));
  const req = http.get(url, { headers }, (res) => {
    answered(res.statusCode!);
    res.on('end', finished);
    res.on('close', finished);
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.find((l) => l.startsWith('data: '));
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
        if (data) onMessage(event, JSON.parse(data.slice(6)));
      }
    });
  });
  req.on('error', () => finished()); // closing the stream on purpose ends it with an error
  return { opened, ended, close: () => req.destroy() };
}
