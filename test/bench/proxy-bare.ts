/**
 * The floor for a Node proxy on undici: node's HTTP server relaying to an undici Pool with no
 * routing, no header rewriting and no events. Port of the backend in argv[2]; sends `{port}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

const pool = new Pool(`http://127.0.0.1:${process.argv[2]}`, { pipelining: 1 });

const server = http.createServer((req, res) => {
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart() {},
    onResponseStart(controller, statusCode) {
      res.writeHead(statusCode, ((controller.rawHeaders ?? []) as (string | Buffer)[]).map(String));
    },
    onResponseData(_controller, chunk) {
      res.write(chunk);
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError(_controller, err) {
      res.destroy(err);
    },
  };
  pool.dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.rawHeaders }, handler);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
