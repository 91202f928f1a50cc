// Gives a Node child process Electron's `process.parentPort` (utility process API) over Node IPC with
// structured-clone serialization, so the engine process bundle can run without Electron. MessagePorts that
// main sends (fake-electron.cjs) arrive as relays over the same IPC channel.
import { EventEmitter } from 'node:events';

const ports = new Map();
const listeners = [];
// Like Electron, messages that arrive before a 'message' listener exists are queued until one does.
const queued = [];
const deliver = (e) => (listeners.length ? listeners.forEach((l) => l(e)) : queued.push(e));

/** A MessagePortMain: like Electron's, it holds incoming messages until start(). */
class ShimPort extends EventEmitter {
  constructor(k) {
    super();
    this.k = k;
    this.held = [];
  }
  receive(data) {
    if (this.held) this.held.push(data);
    else this.emit('message', { data });
  }
  postMessage(data) {
    process.send({ __port: this.k, data });
  }
  start() {
    const held = this.held ?? [];
    this.held = null;
    for (const data of held) this.emit('message', { data });
  }
  close() {}
}

process.on('message', (m) => {
  if (m && m.__newPort !== undefined) {
    const port = new ShimPort(m.__newPort);
    ports.set(m.__newPort, port);
    deliver({ data: m.data, ports: [port] });
  } else if (m && m.__port !== undefined) {
    const port = ports.get(m.__port);
    if (m.close) port?.emit('close');
    else port?.receive(m.data);
  } else {
    deliver({ data: m, ports: [] });
  }
});

process.parentPort = {
  on(event, listener) {
    if (event !== 'message') return;
    listeners.push(listener);
    for (const e of queued.splice(0)) listener(e);
  },
  postMessage(message) {
    process.send(message);
  },
};
