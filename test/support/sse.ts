import http from 'node:http';

/**
 * Opens a real SSE connection and hands every message (event name, parsed data) to `onMessage`.
 * `opened` resolves once the server answered (it subscribes before it answers).
 */
export function openSse(
  url: string,
  headers: Record<string, string>,
  onMessage: (event: string, data: any) => void,
): { opened: Promise<void>; close: () => void } {
  let answered: () => void = () => {};
  const opened = new Promise<void>((resolve) => (answered = resolve));
  const req = http.get(url, { headers }, (res) => {
    answered();
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
  req.on('error', () => {}); // closing the stream on purpose ends it with an error
  return { opened, close: () => req.destroy() };
}
