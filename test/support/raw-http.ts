import { request as httpRequest } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request with exactly the headers given (fetch would set Host and Origin itself),
 * as a browser on another site or a DNS-rebinding page would send them. Reads the whole body,
 * or only the head for an event stream.
 */
export function rawRequest(
  baseUrl: string,
  { method = 'GET', path, headers = {}, body }: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a kept-alive socket the server already closed would fail the next request.
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers, agent: false, setHost: headers.host === undefined && headers.Host === undefined },
      (res) => {
        const streaming = String(res.headers['content-type']).startsWith('text/event-stream');
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (streaming) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
