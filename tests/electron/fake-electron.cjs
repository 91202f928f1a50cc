// A stand-in for the `electron` module, enough for the main bundle to start: it records the window's
// options, IPC handlers, menu and permission handlers, and runs utility processes as Node children.
const { EventEmitter } = require('node:events');
const { fork } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const records = { handlers: {}, windows: [], sent: [], ports: [], loaded: [], menu: null, permission: null, forks: [], exposed: {}, listeners: {}, schemes: [], protocols: {}, opened: [] };

// MessagePortMain pairs. A port sent to a utility process (a Node child here) is relayed over the child's
// IPC channel; parent-port-shim.mjs gives the child its end.
class FakePort extends EventEmitter {
  postMessage(data) {
    if (this.closed) return;
    // The peer may live in a utility process: then the message is relayed to it.
    if (this.peer.relay) this.peer.relay({ data });
    else queueMicrotask(() => this.peer.emit('message', { data }));
  }
  start() {}
  close() {
    if (this.closed) return;
    this.closed = true;
    this.peer.closed = true;
    queueMicrotask(() => this.peer.emit('close'));
  }
}
class MessageChannelMain {
  constructor() {
    this.port1 = new FakePort();
    this.port2 = new FakePort();
    this.port1.peer = this.port2;
    this.port2.peer = this.port1;
  }
}
const userData = mkdtempSync(join(tmpdir(), 'vqddm-main-'));

const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  getPath: () => userData,
  addRecentDocument: () => undefined,
  quit: () => undefined,
});

class WebContents extends EventEmitter {
  setWindowOpenHandler(h) {
    this.openHandler = h;
  }
  send(channel, value) {
    records.sent.push({ channel, value });
  }
  postMessage(channel, value, transfer = []) {
    records.ports.push(...transfer);
    for (const l of records.listeners[channel] ?? []) l({ ports: transfer }, value);
  }
}

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    records.windows.push(this);
  }
  loadFile(f) {
    records.loaded.push(f);
    return Promise.resolve();
  }
  loadURL(u) {
    records.loaded.push(u);
    return Promise.resolve();
  }
  isMinimized() {
    return false;
  }
  static getAllWindows() {
    return records.windows;
  }
}

const utilityProcess = {
  fork(script, args) {
    const child = fork(script, args, { serialization: 'advanced', execArgv: ['--import', join(__dirname, 'parent-port-shim.mjs')], stdio: 'inherit' });
    records.forks.push({ script, args, child });
    const handle = new EventEmitter();
    child.on('message', (m) => handle.emit('message', m));
    child.on('exit', (code) => handle.emit('exit', code));
    let ports = 0;
    const relayed = new Map();
    child.on('message', (m) => {
      if (m && m.__port !== undefined) relayed.get(m.__port)?.peer.emit('message', { data: m.data });
    });
    handle.postMessage = (m, transfer = []) => {
      const port = transfer[0];
      if (!port) return child.send(m);
      const k = ++ports;
      relayed.set(k, port);
      // What the page's end posts reaches the child; closing the page's end closes the child's.
      port.relay = ({ data }) => child.connected && child.send({ __port: k, data });
      port.peer.on('close', () => child.connected && child.send({ __port: k, close: true }));
      child.send({ __newPort: k, data: m });
    };
    handle.kill = () => child.kill();
    return handle;
  },
};

module.exports = {
  __records: records,
  app,
  BrowserWindow,
  utilityProcess,
  MessageChannelMain,
  ipcMain: { handle: (channel, fn) => (records.handlers[channel] = fn) },
  Menu: { buildFromTemplate: (t) => t, setApplicationMenu: (m) => (records.menu = m) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h) => (records.permission = h),
      setPermissionCheckHandler: (h) => (records.permissionCheck = h),
    },
  },
  // Every dialog cancels unless a test says otherwise (a message box answers with its cancel button).
  dialog: {
    showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
    showSaveDialog: async () => ({ canceled: true }),
    showMessageBox: async (...a) => ({ response: a.at(-1).cancelId ?? 1 }),
    showMessageBoxSync: () => 1,
  },
  shell: {
    openExternal: async (url) => void records.opened.push(url),
    openPath: async (path) => {
      records.opened.push(path);
      return '';
    },
  },
  // The app:// scheme: what main registers, and its handler (called by tests as Electron would).
  protocol: {
    registerSchemesAsPrivileged: (schemes) => records.schemes.push(...schemes),
    handle: (scheme, fn) => (records.protocols[scheme] = fn),
  },
  // Preload side: `invoke` calls main's handler as the app page would.
  contextBridge: { exposeInMainWorld: (key, value) => (records.exposed[key] = value) },
  ipcRenderer: {
    invoke: (channel, ...args) => {
      const loaded = records.loaded[0];
      const url = /^[a-z]+:\/\//.test(loaded) ? loaded : require('node:url').pathToFileURL(loaded).href;
      return records.handlers[channel]({ senderFrame: { url } }, ...args);
    },
    on: (channel, l) => ((records.listeners[channel] ??= []).push(l)),
    removeListener: (channel, l) => (records.listeners[channel] = (records.listeners[channel] ?? []).filter((x) => x !== l)),
  },
};
