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

export interface StreamRequest {
  /** The request's Cookie header (a console tab's stream), '' for a Bearer one. */
  cookie: string;
  res: http.ServerResponse;
  /** Answered, with this status (200: the stream opened); null while not yet. */
  status(): number | null;
  isOpen(): boolean;
}

/**
 * Every `/integration/stream` request the app's HTTP server gets from now on, seen from the
 * server's side: what it answered and whether the connection is still open. `stop()` stops watching.
 */
export function watchStreamRequests(server: http.Server): { seen: StreamRequest[]; stop: () => void } {
  const seen: StreamRequest[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!req.url?.startsWith('/integration/stream')) return;
    let open = true;
    res.on('close', () => (open = false));
    seen.push({
      cookie: req.headers.authorization ? '' : (req.headers.cookie ?? ''),
      res,
      status: () => (res.headersSent ? res.statusCode : null),
      isOpen: () => open,
    });
  };
  server.on('request', onRequest);
  return { seen, stop: () => server.off('request', onRequest) };
}
