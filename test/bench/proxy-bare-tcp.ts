/**
 * The floor for any Node relay: bytes piped between the client's TCP connection and one upstream
 * connection of its own, with no HTTP parsing at all. Port of the backend in argv[2]; sends `{port}`.
 */
import net, { type AddressInfo } from 'node:net';

const upstreamPort = Number(process.argv[2]);

const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
